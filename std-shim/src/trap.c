/* Trap unwinding for Lazuli: a host->wasm call runs under lazuli_catch; compiled code that traps
 * calls lazuli_raise, which jumps back to the innermost lazuli_catch on this thread.
 * sigsetjmp(buf, 0) does not save the signal mask, which keeps the entry cheap.
 * Before jumping, lazuli_raise records the return addresses on the frame-pointer chain from its
 * own frame up to the catching frame; compiled code keeps frame pointers, so these are the wasm
 * frames (and trampolines) between the trap and the host->wasm call. */
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>

static __thread sigjmp_buf *lazuli_current_catch;

#define LAZULI_MAX_FRAMES 64
static __thread uintptr_t lazuli_trap_pcs[LAZULI_MAX_FRAMES];
static __thread size_t lazuli_trap_depth;

/* The return addresses recorded by the last raise on this thread, innermost first. */
size_t lazuli_trap_frames(const uintptr_t **pcs) {
    *pcs = lazuli_trap_pcs;
    return lazuli_trap_depth;
}

/* Walk the frame-pointer chain from `fp`, staying strictly between it and `limit` (the catching
 * frame, which is older than every frame to walk): each frame is {saved fp, return address}.
 * A frame of code without frame pointers ends or derails the walk, never outside that range. */
static void record_frames(uintptr_t *fp, uintptr_t limit) {
    size_t n = 0;
    while (n < LAZULI_MAX_FRAMES && ((uintptr_t)fp & 7) == 0 && (uintptr_t)fp + 16 <= limit) {
        lazuli_trap_pcs[n++] = fp[1];
        uintptr_t *next = (uintptr_t *)fp[0];
        if (next <= fp) break;
        fp = next;
    }
    lazuli_trap_depth = n;
}

int lazuli_catch(void (*f)(void *), void *data) {
    sigjmp_buf buf;
    sigjmp_buf *prev = lazuli_current_catch;
    lazuli_current_catch = &buf;
    int code = sigsetjmp(buf, 0);
    if (code == 0) {
        f(data);
    }
    lazuli_current_catch = prev;
    return code;
}

void lazuli_raise(void *vmctx, uint32_t code) {
    (void)vmctx;
    if (lazuli_current_catch == NULL) {
        /* A trap outside any host->wasm call cannot happen; stop rather than corrupt. */
        abort();
    }
    record_frames((uintptr_t *)__builtin_frame_address(0), (uintptr_t)lazuli_current_catch);
    siglongjmp(*lazuli_current_catch, (int)code + 1);
}
