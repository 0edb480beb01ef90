/* Memory: its bytes seen from C and from wasm, growth to the maximum, an access out of bounds. */
#include "common.h"

static wasm_extern_vec_t exports;

static const wasm_func_t* export_func(size_t i) {
  const wasm_func_t* f = wasm_extern_as_func(exports.data[i]);
  CHECK(f != NULL);
  return f;
}

static int32_t call_i32(const wasm_func_t* f, int32_t a, int32_t b, size_t nargs, wasm_trap_t** trap) {
  wasm_val_t args[] = {WASM_I32_VAL(a), WASM_I32_VAL(b)};
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t arg_vec = {nargs, args};
  wasm_val_vec_t result_vec = WASM_ARRAY_VEC(results);
  *trap = wasm_func_call(f, &arg_vec, &result_vec);
  return results[0].of.i32;
}

int main(int argc, char** argv) {
  CHECK(argc == 2);
  wasm_engine_t* engine;
  wasm_store_t* store;
  wasm_module_t* module;
  load(argv[1], &engine, &store, &module);
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  CHECK(instance != NULL);
  wasm_instance_exports(instance, &exports);
  CHECK(exports.size == 4);
  wasm_memory_t* memory = wasm_extern_as_memory(exports.data[0]);
  CHECK(memory != NULL);
  const wasm_func_t *size = export_func(1), *load_fn = export_func(2), *store_fn = export_func(3);
  wasm_trap_t* trap;

  wasm_memorytype_t* type = wasm_memory_type(memory);
  const wasm_limits_t* limits = wasm_memorytype_limits(type);
  printf("limits %u..%u, %u pages, %zu bytes\n", limits->min, limits->max, wasm_memory_size(memory),
         wasm_memory_data_size(memory));
  wasm_memorytype_delete(type);

  byte_t* data = wasm_memory_data(memory);
  printf("data at 0x1000: %d %d %d %d\n", data[0x1000], data[0x1001], data[0x1002], data[0x1003]);
  data[0x2000] = 42;
  printf("wasm loads 0x2000: %d\n", call_i32(load_fn, 0x2000, 0, 1, &trap));
  CHECK(trap == NULL);
  call_i32(store_fn, 0x2001, -7, 2, &trap);
  CHECK(trap == NULL);
  printf("C reads 0x2001: %d\n", wasm_memory_data(memory)[0x2001]);

  CHECK(wasm_memory_grow(memory, 1));
  printf("grown: %u pages, wasm says %d\n", wasm_memory_size(memory), call_i32(size, 0, 0, 0, &trap));
  CHECK(!wasm_memory_grow(memory, 1));
  printf("growing past the maximum: refused\n");

  call_i32(load_fn, 3 * 65536, 0, 1, &trap);
  CHECK(trap != NULL);
  print_trap("load at 3 pages", trap);

  wasm_memorytype_t* own_type = wasm_memorytype_new(&(wasm_limits_t){1, wasm_limits_max_default});
  wasm_memory_t* host_memory = wasm_memory_new(store, own_type);
  CHECK(host_memory != NULL);
  printf("host memory: %u page, %zu bytes\n", wasm_memory_size(host_memory), wasm_memory_data_size(host_memory));
  wasm_memorytype_delete(own_type);
  wasm_memory_delete(host_memory);

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return 0;
}
