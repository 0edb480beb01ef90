/* A program that traps: integer division by zero three calls deep, after printing a line. */
#include <stdio.h>
#include <stdlib.h>
__attribute__((noinline)) int divide(int a, int b) { return a / b; }
__attribute__((noinline)) int average(int *xs, int n) { int s = 0; for (int i = 0; i < n; i++) s += xs[i]; return divide(s, n); }
int main(int argc, char **argv) { int xs[4] = {1,2,3,4}; printf("average of 4: %d\n", average(xs, 4)); fflush(stdout); printf("%d\n", average(xs, argc - 1)); return 0; }
