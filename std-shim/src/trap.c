/* Trap unwinding for Lazuli: a host->wasm call runs under lazuli_catch; compiled code that traps
 * calls lazuli_raise, which jumps back to the innermost lazuli_catch on this thread.
 * sigsetjmp(buf, 0) does not save the signal mask, which keeps the entry cheap.
 * Before jumping, lazuli_raise records the return addresses on the frame-pointer chain from its
 * own frame up to the catching frame; compiled code keeps frame pointers, so these are the wasm
 * frames (and trampolines) between the trap and the host->wasm call.
 *
 * Compiled code that skips bounds checks faults instead, on a linear memory's guard pages: the
 * SIGSEGV/SIGBUS handler installed by lazuli_install_fault_handlers asks the runtime whether
 * the faulting instruction is compiled code and the address lies in a memory reservation, and
 * only then jumps to the catch as a trap. Any other fault goes to the handler that was there
 * before (or the default action: a crash). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

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
 * A frame of code without frame pointers ends or derails the walk, never outside that range.
 * The first `n` entries are already recorded. */
static void record_frames(size_t n, uintptr_t *fp, uintptr_t limit) {
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
    record_frames(0, (uintptr_t *)__builtin_frame_address(0), (uintptr_t)lazuli_current_catch);
    siglongjmp(*lazuli_current_catch, (int)code + 1);
}

/* Set once by lazuli_install_fault_handlers, before any handler can run. */
static int (*lazuli_is_wasm_fault)(uintptr_t pc, uintptr_t address);
static int lazuli_fault_trap_code;
static struct sigaction lazuli_previous_segv, lazuli_previous_bus;
/* Our own disposition, to put back after a handler we chain to replaced it. */
static struct sigaction lazuli_fault_action;
/* How many faults became traps in this process. */
static uint64_t lazuli_fault_traps;

uint64_t lazuli_fault_trap_count(void) {
    return __atomic_load_n(&lazuli_fault_traps, __ATOMIC_RELAXED);
}

/* Hand a fault that is not a wasm trap to whoever handled it before us.
 *
 * A signal another process (or `kill`, `raise`) sent is no fault: its si_code is SI_USER,
 * SI_QUEUE, SI_TKILL or another value <= 0. It must not leave memory faults unhandled: the
 * previous handler may reset the disposition (Rust's does, and returns), so ours is put back
 * after it; with no previous handler, the default action (termination) is taken at once. */
static void chain_fault(int sig, siginfo_t *info, void *context) {
    struct sigaction *previous = sig == SIGBUS ? &lazuli_previous_bus : &lazuli_previous_segv;
    int sent = info->si_code <= 0;
    if (previous->sa_flags & SA_SIGINFO) {
        previous->sa_sigaction(sig, info, context);
    } else if (previous->sa_handler == SIG_DFL || previous->sa_handler == SIG_IGN) {
        /* Put the previous disposition back and return: the faulting instruction runs again
         * and takes the default action, a crash with the right signal. A sent signal has no
         * instruction to run again: it is raised again under the previous disposition. */
        sigaction(sig, previous, NULL);
        if (sent) {
            raise(sig);
            sigaction(sig, &lazuli_fault_action, NULL);
        }
        return;
    } else {
        previous->sa_handler(sig);
    }
    if (sent) sigaction(sig, &lazuli_fault_action, NULL);
}

static void fault_handler(int sig, siginfo_t *info, void *context) {
    ucontext_t *uc = context;
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    uintptr_t *fp = (uintptr_t *)uc->uc_mcontext.gregs[REG_RBP];
    /* Only a fault has an address (si_code > 0); a sent signal's si_addr is not one. */
    if (lazuli_current_catch != NULL && info->si_code > 0 &&
        lazuli_is_wasm_fault(pc, (uintptr_t)info->si_addr)) {
        /* The faulting function first: recorded as if it were a return address just past the
         * faulting instruction (backtraces look one byte before return addresses). */
        lazuli_trap_pcs[0] = pc + 1;
        record_frames(1, fp, (uintptr_t)lazuli_current_catch);
        __atomic_fetch_add(&lazuli_fault_traps, 1, __ATOMIC_RELAXED);
        /* SA_NODEFER left the signal unblocked, so jumping out of the handler is enough. */
        siglongjmp(*lazuli_current_catch, lazuli_fault_trap_code + 1);
    }
    chain_fault(sig, info, context);
}

/* Install the SIGSEGV and SIGBUS handlers (call once): a fault that `is_wasm_fault` accepts
 * inside a lazuli_catch becomes trap `trap_code`. Returns 1 on success, 0 if the system
 * refused. */
int lazuli_install_fault_handlers(int (*is_wasm_fault)(uintptr_t, uintptr_t), uint32_t trap_code) {
    lazuli_is_wasm_fault = is_wasm_fault;
    lazuli_fault_trap_code = (int)trap_code;
    struct sigaction *action = &lazuli_fault_action;
    memset(action, 0, sizeof *action);
    action->sa_sigaction = fault_handler;
    /* SA_ONSTACK: run on the thread's alternate stack when it has one (Rust's threads do). */
    action->sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&action->sa_mask);
    if (sigaction(SIGSEGV, action, &lazuli_previous_segv) != 0) return 0;
    if (sigaction(SIGBUS, action, &lazuli_previous_bus) != 0) return 0;
    return 1;
}
