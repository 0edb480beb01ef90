/* Trap unwinding for Lazuli: a host->wasm call runs under lazuli_catch; compiled code that traps
 * calls lazuli_raise, which jumps back to the innermost lazuli_catch on this thread.
 * sigsetjmp(buf, 0) does not save the signal mask, which keeps the entry cheap. */
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>

static __thread sigjmp_buf *lazuli_current_catch;

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
    siglongjmp(*lazuli_current_catch, (int)code + 1);
}
