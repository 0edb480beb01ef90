/* A WASI command: greets each argument, reads a file from a preopened directory, exits 3. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) printf("hello, %s\n", argv[i]);
    FILE *f = fopen("/examples/hello-wasi.c", "r");
    char line[128];
    if (f && fgets(line, sizeof line, f)) printf("first line of my source: %s", line);
    exit(3);
}
