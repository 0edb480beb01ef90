/* Arguments and environment as the program sees them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int by_string(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    const char *greeting = getenv("GREETING");
    printf("GREETING=%s\n", greeting ? greeting : "(unset)");
    printf("MISSING=%s\n", getenv("MISSING") ? "set" : "(unset)");
    int n = 0;
    while (environ[n]) n++;
    qsort(environ, n, sizeof *environ, by_string);
    for (int i = 0; i < n; i++) printf("env: %s\n", environ[i]);
    return 0;
}
