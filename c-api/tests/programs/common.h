/* Helpers shared by the C API test programs: reading a module, checking, printing traps. */
#include <stdio.h>
#include <stdlib.h>

#include "lazuli.h"
#include "wasm.h"

#define CHECK(cond)                                                                          \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      const char* why = lazuli_last_error();                                                 \
      fprintf(stderr, "%s:%d: check failed: %s (%s)\n", __FILE__, __LINE__, #cond,           \
              why ? why : "no error recorded");                                              \
      exit(1);                                                                               \
    }                                                                                        \
  } while (0)

/* The bytes of the file at `path`. */
static inline wasm_byte_vec_t read_file(const char* path) {
  FILE* f = fopen(path, "rb");
  CHECK(f != NULL);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  wasm_byte_vec_t bytes;
  wasm_byte_vec_new_uninitialized(&bytes, (size_t)size);
  CHECK(fread(bytes.data, 1, (size_t)size, f) == (size_t)size);
  fclose(f);
  return bytes;
}

/* Print a trap's message (then delete it). */
static inline void print_trap(const char* what, wasm_trap_t* trap) {
  wasm_message_t message;
  wasm_trap_message(trap, &message);
  printf("%s: trap: %s\n", what, message.data);
  wasm_byte_vec_delete(&message);
  wasm_trap_delete(trap);
}

/* The module at `path` in a new store; the engine, store and module through the pointers. */
static inline void load(const char* path, wasm_engine_t** engine, wasm_store_t** store, wasm_module_t** module) {
  *engine = wasm_engine_new();
  CHECK(*engine != NULL);
  *store = wasm_store_new(*engine);
  CHECK(*store != NULL);
  wasm_byte_vec_t binary = read_file(path);
  CHECK(wasm_module_validate(*store, &binary));
  *module = wasm_module_new(*store, &binary);
  CHECK(*module != NULL);
  wasm_byte_vec_delete(&binary);
}
