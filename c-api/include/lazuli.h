/* lazuli.h: Lazuli's additions to the standard C API (wasm.h): configuration of an engine, WASI,
 * and the exit status of a WASI program. */
#ifndef LAZULI_H
#define LAZULI_H

#include "wasm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Code generators (lazuli_config_tiers). */
enum lazuli_tiers_enum {
  LAZULI_TIERED = 0,          /* single-pass code first, LLVM for hot functions (the default) */
  LAZULI_BASELINE_ONLY = 1,   /* the single-pass compiler alone: no serialization */
  LAZULI_OPTIMIZING_ONLY = 2, /* LLVM alone */
};

/* Choices of a configuration; each returns false (changing nothing) for a value out of range. */
bool lazuli_config_tiers(wasm_config_t*, int tiers);
/* Compile every function when the module is made (eager: optimized, serializable). */
void lazuli_config_eager(wasm_config_t*, bool eager);
/* Check the engine's epoch at function entries and loop headers (lazuli_engine_increment_epoch,
 * lazuli_store_set_epoch_deadline). */
void lazuli_config_epoch_interruption(wasm_config_t*, bool enabled);
/* Most bytes of linear memory a store may hold over all its memories (default 4 GiB). */
void lazuli_config_max_memory_bytes(wasm_config_t*, uint64_t bytes);
/* Background compilation threads (default: available cores minus one; 0: none). */
void lazuli_config_workers(wasm_config_t*, size_t workers);

/* The last error of this thread's failed call that returned NULL or false (a module that does not
 * validate, an engine that cannot start, a deserialize refused), as a NUL-terminated message
 * valid until the thread's next call into the library; NULL if there was none. */
const char* lazuli_last_error(void);

/* Epoch interruption: advance the engine's epoch; a store traps with "interrupt" once the epoch
 * passes its deadline (ticks from now). */
void lazuli_engine_increment_epoch(wasm_engine_t*);
void lazuli_store_set_epoch_deadline(wasm_store_t*, uint64_t ticks);

/* WASI preview1: a program's arguments, environment and preopened directories. */
typedef struct lazuli_wasi_config_t lazuli_wasi_config_t;
own lazuli_wasi_config_t* lazuli_wasi_config_new(void);
void lazuli_wasi_config_delete(own lazuli_wasi_config_t*);
void lazuli_wasi_config_arg(lazuli_wasi_config_t*, const char* arg);
void lazuli_wasi_config_env(lazuli_wasi_config_t*, const char* name, const char* value);
/* Give the program the host directory `host_path` under the name `guest_path`; false if it
 * cannot be opened. The program reaches nothing outside it. */
bool lazuli_wasi_config_preopen_dir(lazuli_wasi_config_t*, const char* host_path, const char* guest_path);

/* The imports of `module` for wasm_instance_new, in order, made in `store`: WASI's functions for
 * the `wasi_snapshot_preview1` imports. Consumes `config`. False (with lazuli_last_error) if the
 * module imports anything else. */
bool lazuli_wasi_imports(wasm_store_t*, const wasm_module_t*, own lazuli_wasi_config_t* config,
                         own wasm_extern_vec_t* out);

/* Whether `trap` is a WASI program's exit (proc_exit), and its status. */
bool lazuli_trap_exit_status(const wasm_trap_t*, int* status);

#ifdef __cplusplus
}
#endif

#endif /* LAZULI_H */
