/* Serialize: an eagerly compiled module serialized, loaded back without compiling and run; a
 * damaged blob refused with a reason. */
#include "common.h"

static int32_t fib(wasm_store_t* store, wasm_module_t* module, int32_t n) {
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_val_t args[] = {WASM_I32_VAL(n)};
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args), result_vec = WASM_ARRAY_VEC(results);
  CHECK(wasm_func_call(wasm_extern_as_func(exports.data[0]), &arg_vec, &result_vec) == NULL);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  return results[0].of.i32;
}

int main(int argc, char** argv) {
  CHECK(argc == 2);
  wasm_config_t* config = wasm_config_new();
  lazuli_config_eager(config, true);
  CHECK(!lazuli_config_tiers(config, 7));
  wasm_engine_t* engine = wasm_engine_new_with_config(config);
  CHECK(engine != NULL);
  wasm_store_t* store = wasm_store_new(engine);
  wasm_byte_vec_t binary = read_file(argv[1]);
  wasm_module_t* module = wasm_module_new(store, &binary);
  CHECK(module != NULL);
  wasm_byte_vec_delete(&binary);

  wasm_byte_vec_t blob;
  wasm_module_serialize(module, &blob);
  CHECK(blob.size > 0);
  printf("serialized: %s\n", blob.size > 100 ? "yes" : "too small");
  printf("fib(20) compiled: %d\n", fib(store, module, 20));
  wasm_module_delete(module);

  wasm_module_t* loaded = wasm_module_deserialize(store, &blob);
  CHECK(loaded != NULL);
  printf("fib(20) deserialized: %d\n", fib(store, loaded, 20));
  wasm_exporttype_vec_t exports;
  wasm_module_exports(loaded, &exports);
  const wasm_name_t* name = wasm_exporttype_name(exports.data[0]);
  printf("export: %.*s, a function: %d\n", (int)name->size, name->data,
         wasm_externtype_kind(wasm_exporttype_type(exports.data[0])) == WASM_EXTERN_FUNC);
  wasm_exporttype_vec_delete(&exports);
  wasm_module_delete(loaded);

  blob.data[blob.size / 2] ^= 1;
  CHECK(wasm_module_deserialize(store, &blob) == NULL);
  printf("damaged: %s\n", lazuli_last_error());
  wasm_byte_vec_delete(&blob);

  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return 0;
}
