/* Exit statuses: exit(N) with N from the first argument, after flushing buffered output. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    int status = argc > 1 ? atoi(argv[1]) : 0;
    printf("exiting with %d\n", status);
    if (argc > 2) return status; /* returning from main goes through exit too */
    exit(status);
}
