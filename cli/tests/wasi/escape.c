/* Sandbox escapes through raw WASI calls on the preopened directory (descriptor 3), below
 * wasi-libc's own path handling: each must fail, and the errno is printed for the test. */
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#define DIRFD 3

static void report(const char *what, __wasi_errno_t e) { printf("%s: %d\n", what, (int)e); }

static __wasi_errno_t open_at(const char *path, int follow, __wasi_oflags_t oflags, __wasi_rights_t rights) {
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(DIRFD, follow ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW : 0, path, oflags, rights, 0, 0, &fd);
    if (e == 0) (void)!__wasi_fd_close(fd);
    return e;
}

int main(void) {
    const __wasi_rights_t R = __WASI_RIGHTS_FD_READ, W = __WASI_RIGHTS_FD_WRITE;
    report("mkdir sub (allowed)", __wasi_path_create_directory(DIRFD, "sub"));
    report("open ../secret.txt", open_at("../secret.txt", 1, 0, R));
    report("open sub/../../secret.txt", open_at("sub/../../secret.txt", 1, 0, R));
    report("open /etc/passwd", open_at("/etc/passwd", 1, 0, R));
    report("create ../created.txt", open_at("../created.txt", 1, __WASI_OFLAGS_CREAT, W));
    report("truncate ../secret.txt", open_at("../secret.txt", 1, __WASI_OFLAGS_TRUNC, W));
    report("symlink out (creating it)", __wasi_path_symlink("../secret.txt", DIRFD, "out"));
    report("open through symlink out", open_at("out", 1, 0, R));
    report("write through symlink out", open_at("out", 1, __WASI_OFLAGS_TRUNC, W));
    report("symlink abs (refused)", __wasi_path_symlink("/etc/passwd", DIRFD, "abs-guest"));
    /* "abs" -> /etc/passwd is planted by the host before the run. */
    report("open through symlink abs", open_at("abs", 1, 0, R));
    report("open dir through symlink out-dir", ((void)!__wasi_path_symlink("..", DIRFD, "up"), open_at("up/secret.txt", 1, 0, R)));
    __wasi_filestat_t st;
    report("stat ../secret.txt", __wasi_path_filestat_get(DIRFD, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "../secret.txt", &st));
    report("mkdir ../newdir", __wasi_path_create_directory(DIRFD, "../newdir"));
    report("unlink ../secret.txt", __wasi_path_unlink_file(DIRFD, "../secret.txt"));
    report("rmdir ..", __wasi_path_remove_directory(DIRFD, ".."));
    report("rename inside.txt to ../moved.txt", __wasi_path_rename(DIRFD, "inside.txt", DIRFD, "../moved.txt"));
    report("rename ../secret.txt in", __wasi_path_rename(DIRFD, "../secret.txt", DIRFD, "stolen.txt"));
    report("link ../secret.txt in", __wasi_path_link(DIRFD, 0, "../secret.txt", DIRFD, "stolen.txt"));
    report("link inside.txt out", __wasi_path_link(DIRFD, 0, "inside.txt", DIRFD, "../linked.txt"));
    report("set times of ../secret.txt", __wasi_path_filestat_set_times(DIRFD, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "../secret.txt", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    char buf[64];
    __wasi_size_t used;
    report("readlink ../x", __wasi_path_readlink(DIRFD, "../x", (uint8_t *)buf, sizeof buf, &used));
    report("open inside.txt (allowed)", open_at("inside.txt", 1, 0, R));
    report("bad pointer", __wasi_fd_write(1, (const __wasi_ciovec_t *)0xfffffff0, 4, &used));
    report("closed descriptor", __wasi_fd_close(77));
    return 0;
}
