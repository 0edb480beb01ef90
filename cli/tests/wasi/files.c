/* Files and directories under the preopened /sandbox: create, write, seek, read, append,
 * truncate, pread/pwrite, stat, rename, links, directory listing, removal, and errors. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHECK(x) do { if (!(x)) { printf("FAILED: %s (line %d): %s\n", #x, __LINE__, strerror(errno)); return 1; } } while (0)

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *path) {
    DIR *d = opendir(path);
    if (!d) { printf("opendir %s: %s\n", path, strerror(errno)); return; }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            char buf[300];
            snprintf(buf, sizeof buf, "%s%s", e->d_name, e->d_type == DT_DIR ? "/" : "");
            names[n++] = strdup(buf);
        }
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    printf("%s:", path);
    for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
    printf("\n");
}

int main(void) {
    char buf[128];
    FILE *f = fopen("/sandbox/input.txt", "r");
    CHECK(f);
    while (fgets(buf, sizeof buf, f)) printf("input: %s", buf);
    fclose(f);

    f = fopen("/sandbox/out.txt", "w");
    CHECK(f);
    for (int i = 0; i < 100; i++) fprintf(f, "line %03d\n", i);
    fclose(f);
    f = fopen("/sandbox/out.txt", "a");
    CHECK(f);
    fputs("appended\n", f);
    fclose(f);

    struct stat st;
    CHECK(stat("/sandbox/out.txt", &st) == 0);
    printf("size %lld regular %d dir %d\n", (long long)st.st_size, S_ISREG(st.st_mode), S_ISDIR(st.st_mode));

    int fd = open("/sandbox/out.txt", O_RDWR);
    CHECK(fd >= 0);
    CHECK(lseek(fd, 9 * 50, SEEK_SET) == 450);
    ssize_t n = read(fd, buf, 9);
    buf[n] = 0;
    printf("at 450: %s", buf);
    CHECK(lseek(fd, -9, SEEK_END) == (off_t)st.st_size - 9);
    n = read(fd, buf, sizeof buf - 1);
    buf[n] = 0;
    printf("last: %s", buf);
    CHECK(pwrite(fd, "LINE", 4, 0) == 4);
    CHECK(pread(fd, buf, 8, 0) == 8);
    buf[8] = 0;
    printf("pread: %s\n", buf);
    CHECK(ftruncate(fd, 18) == 0);
    CHECK(fstat(fd, &st) == 0);
    printf("truncated size %lld\n", (long long)st.st_size);
    CHECK(fsync(fd) == 0);
    CHECK(fdatasync(fd) == 0);
    printf("fadvise: %d\n", posix_fadvise(fd, 0, 18, POSIX_FADV_SEQUENTIAL));
    printf("lseek cur: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    struct timespec times[2] = {{1600000000, 0}, {1700000000, 500}};
    CHECK(futimens(fd, times) == 0);
    CHECK(fstat(fd, &st) == 0);
    printf("mtime %lld atime %lld\n", (long long)st.st_mtim.tv_sec, (long long)st.st_atim.tv_sec);
    close(fd);
    struct timespec later[2] = {{1610000000, 0}, {1650000000, 0}};
    CHECK(utimensat(AT_FDCWD, "/sandbox/out.txt", later, 0) == 0);
    CHECK(stat("/sandbox/out.txt", &st) == 0);
    printf("by path: mtime %lld atime %lld\n", (long long)st.st_mtim.tv_sec, (long long)st.st_atim.tv_sec);
    fd = open("/sandbox/out.txt", O_WRONLY | O_APPEND);
    CHECK(fd >= 0);
    CHECK(write(fd, "tail\n", 5) == 5);
    CHECK(fstat(fd, &st) == 0);
    printf("appended size %lld, O_APPEND kept %d\n", (long long)st.st_size, (fcntl(fd, F_GETFL) & O_APPEND) != 0);
    printf("read on a write-only descriptor: %s\n", read(fd, buf, 1) < 0 ? strerror(errno) : "read");
    close(fd);
    printf("close twice: %s\n", close(fd) < 0 ? strerror(errno) : "closed");

    CHECK(mkdir("/sandbox/sub", 0755) == 0);
    CHECK(mkdir("/sandbox/sub/deeper", 0755) == 0);
    printf("mkdir again: %s\n", mkdir("/sandbox/sub", 0755) == 0 ? "ok" : strerror(errno));
    CHECK(rename("/sandbox/out.txt", "/sandbox/sub/moved.txt") == 0);
    CHECK(symlink("moved.txt", "/sandbox/sub/link") == 0);
    n = readlink("/sandbox/sub/link", buf, sizeof buf - 1);
    CHECK(n > 0);
    buf[n] = 0;
    printf("readlink: %s\n", buf);
    CHECK(lstat("/sandbox/sub/link", &st) == 0);
    printf("lstat link: symlink %d\n", S_ISLNK(st.st_mode));
    f = fopen("/sandbox/sub/link", "r");
    CHECK(f);
    CHECK(fgets(buf, sizeof buf, f));
    printf("through link: %s", buf);
    fclose(f);
    CHECK(link("/sandbox/sub/moved.txt", "/sandbox/hard.txt") == 0);
    CHECK(stat("/sandbox/hard.txt", &st) == 0);
    printf("hard link: nlink %d size %lld\n", (int)st.st_nlink, (long long)st.st_size);
    list("/sandbox");
    list("/sandbox/sub");

    printf("open missing: %s\n", open("/sandbox/nope", O_RDONLY) < 0 ? strerror(errno) : "opened");
    printf("rmdir non-empty: %s\n", rmdir("/sandbox/sub") == 0 ? "ok" : strerror(errno));
    printf("excl create: %s\n", open("/sandbox/hard.txt", O_WRONLY | O_CREAT | O_EXCL, 0644) < 0 ? strerror(errno) : "created");
    CHECK(unlink("/sandbox/sub/link") == 0);
    CHECK(unlink("/sandbox/sub/moved.txt") == 0);
    CHECK(unlink("/sandbox/hard.txt") == 0);
    CHECK(rmdir("/sandbox/sub/deeper") == 0);
    CHECK(rmdir("/sandbox/sub") == 0);
    list("/sandbox");
    return 0;
}
