/* Native driver: runs one kernel of kernels.c and prints its result and time in ms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
uint32_t sieve(uint32_t); double nbody(uint32_t); float matmul(uint32_t); uint32_t fibonacci(uint32_t);
int main(int argc, char **argv) {
    const char *k = argv[1]; uint32_t n = (uint32_t)atoi(argv[2]);
    struct timespec a, b; clock_gettime(CLOCK_MONOTONIC, &a);
    double r;
    if (!strcmp(k, "sieve")) r = sieve(n); else if (!strcmp(k, "nbody")) r = nbody(n);
    else if (!strcmp(k, "matmul")) r = matmul(n); else r = fibonacci(n);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.17g %.3f\n", r, (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
    return 0;
}
