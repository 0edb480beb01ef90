/* WASI: a program reading a file of its preopened directory, and its exit status. */
#include "common.h"

int main(int argc, char** argv) {
  CHECK(argc == 3);
  wasm_engine_t* engine;
  wasm_store_t* store;
  wasm_module_t* module;
  load(argv[1], &engine, &store, &module);

  lazuli_wasi_config_t* wasi = lazuli_wasi_config_new();
  lazuli_wasi_config_arg(wasi, "cat");
  CHECK(!lazuli_wasi_config_preopen_dir(wasi, "/no/such/directory", "/data"));
  CHECK(lazuli_wasi_config_preopen_dir(wasi, argv[2], "/data"));
  wasm_extern_vec_t imports;
  CHECK(lazuli_wasi_imports(store, module, wasi, &imports));
  printf("imports: %zu\n", imports.size);
  wasm_trap_t* trap = NULL;
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, &trap);
  CHECK(instance != NULL);

  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  const wasm_func_t* start = NULL;
  for (size_t i = 0; i < exports.size; i++)
    if (wasm_extern_kind(exports.data[i]) == WASM_EXTERN_FUNC) start = wasm_extern_as_func(exports.data[i]);
  CHECK(start != NULL);
  fflush(stdout);
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  trap = wasm_func_call(start, &none, &none);
  int status = 0;
  if (trap != NULL) {
    CHECK(lazuli_trap_exit_status(trap, &status));
    wasm_trap_delete(trap);
  }
  printf("exit status %d\n", status);

  wasm_extern_vec_delete(&exports);
  wasm_extern_vec_delete(&imports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return 0;
}
