/* Standard streams: formatted output, stderr, and reading all of stdin line by line. */
#include <stdio.h>
#include <string.h>

int main(void) {
    char line[256];
    int lines = 0;
    size_t bytes = 0;
    printf("%s %d %5.2f %x %c\n", "formatted", -42, 3.14159, 0xbeef, 'z');
    fputs("to stderr\n", stderr);
    while (fgets(line, sizeof line, stdin)) {
        lines++;
        bytes += strlen(line);
        line[strcspn(line, "\n")] = 0;
        printf("line %d: [%s]\n", lines, line);
    }
    printf("%d lines, %zu bytes\n", lines, bytes);
    fprintf(stderr, "done\n");
    return 0;
}
