/* Clocks and randomness: only properties are printed, so every run prints the same. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double seconds(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void) {
    double wall = seconds(CLOCK_REALTIME);
    printf("realtime after 2020: %d\n", wall > 1577836800.0);
    double t0 = seconds(CLOCK_MONOTONIC);
    struct timespec nap = {0, 20 * 1000 * 1000};
    nanosleep(&nap, NULL);
    double t1 = seconds(CLOCK_MONOTONIC);
    printf("monotonic advanced by the sleep: %d\n", t1 - t0 >= 0.019);
    usleep(5000);
    printf("monotonic never goes back: %d\n", seconds(CLOCK_MONOTONIC) >= t1);
    volatile double x = 0;
    for (int i = 0; i < 1000000; i++) x += i * 0.5;
    printf("process cpu clock runs: %d\n", seconds(CLOCK_PROCESS_CPUTIME_ID) > 0);
    struct timespec res;
    printf("resolution known: %d\n", clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0);
    printf("time(): %d\n", time(NULL) > 1577836800);
    unsigned char a[32], b[32];
    getentropy(a, sizeof a);
    getentropy(b, sizeof b);
    printf("random buffers differ: %d\n", memcmp(a, b, sizeof a) != 0);
    return 0;
}
