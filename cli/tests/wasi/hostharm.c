/* WASI calls that could harm the host if taken at the guest's word: each must return an errno
 * and change nothing outside the sandbox. Then directory walks that need real inode numbers for
 * `.` and `..`: scandir of the preopen, and nftw removing a tree it made. Run under
 * `--dir HOST::/sandbox`; prints one line per check, "name: errno" or "name: ok". */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

static int preopen(void) {
    int fd = open("/sandbox", O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
        perror("open /sandbox");
        exit(1);
    }
    return fd;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

static int count_entries(const struct dirent *d) {
    (void)d;
    return 1;
}

int main(void) {
    int dir = preopen();
    static char small[64];
    __wasi_size_t used = 0;

    /* A buffer length far beyond linear memory: the whole range must be the guest's. */
    printf("readdir huge length: %d\n",
           __wasi_fd_readdir(dir, (uint8_t *)small, 0xffffffffu, 0, &used));
    /* A buffer that starts inside memory and runs past its end. */
    uint8_t *near_end = (uint8_t *)(__builtin_wasm_memory_size(0) * 65536 - 16);
    printf("readdir past the end: %d\n", __wasi_fd_readdir(dir, near_end, 4096, 0, &used));
    printf("readdir small buffer: %d used %d\n",
           __wasi_fd_readdir(dir, (uint8_t *)small, sizeof small, 0, &used), used <= sizeof small);

    /* Flags of inherited standard streams belong to the host's open file description. */
    printf("stdout nonblock: %d\n", __wasi_fd_fdstat_set_flags(1, __WASI_FDFLAGS_NONBLOCK));
    printf("stdout append: %d\n", __wasi_fd_fdstat_set_flags(1, __WASI_FDFLAGS_APPEND));
    printf("stdin nonblock: %d\n", __wasi_fd_fdstat_set_flags(0, __WASI_FDFLAGS_NONBLOCK));

    /* Reserving disk blocks on the guest's say-so. */
    int file = open("/sandbox/big", O_CREAT | O_RDWR, 0644);
    printf("allocate 1 GiB: %d\n", __wasi_fd_allocate(file, 0, 1u << 30));
    close(file);

    /* A link whose target is an absolute host path. */
    printf("absolute symlink: %d\n", symlink("/etc/passwd", "/sandbox/passwd") == 0 ? 0 : errno);
    printf("relative symlink: %d\n", symlink("inside.txt", "/sandbox/rel") == 0 ? 0 : errno);

    /* scandir stats entries whose d_ino is 0: `..` must carry a real one. */
    struct dirent **list;
    int n = scandir("/sandbox", &list, count_entries, alphasort);
    printf("scandir: %s\n", n >= 2 ? "ok" : strerror(errno));
    for (int i = 0; i < n; i++) {
        free(list[i]);
    }
    if (n >= 0) {
        free(list);
    }

    /* A tree made and removed again with nftw, as programs clean up temporary directories. */
    mkdir("/sandbox/tree", 0755);
    mkdir("/sandbox/tree/a", 0755);
    mkdir("/sandbox/tree/a/b", 0755);
    FILE *f = fopen("/sandbox/tree/a/b/leaf.txt", "w");
    if (f) {
        fputs("leaf\n", f);
        fclose(f);
    }
    f = fopen("/sandbox/tree/top.txt", "w");
    if (f) {
        fputs("top\n", f);
        fclose(f);
    }
    int walked = nftw("/sandbox/tree", remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    struct stat st;
    printf("nftw: %s\n", walked == 0 && stat("/sandbox/tree", &st) != 0 ? "ok" : strerror(errno));
    return 0;
}
