/* Table: elements read, set (to a host function) and grown from C, and called from wasm. */
#include "common.h"

static wasm_trap_t* forty_two(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)args;
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = 42;
  return NULL;
}

static wasm_trap_t* call(const wasm_func_t* f, int32_t index, int32_t* result) {
  wasm_val_t args[] = {WASM_I32_VAL(index)};
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args);
  wasm_val_vec_t result_vec = WASM_ARRAY_VEC(results);
  wasm_trap_t* trap = wasm_func_call(f, &arg_vec, &result_vec);
  *result = results[0].of.i32;
  return trap;
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
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  CHECK(exports.size == 3);
  wasm_table_t* table = wasm_extern_as_table(exports.data[0]);
  wasm_func_t* seven = wasm_extern_as_func(exports.data[1]);
  const wasm_func_t* call_fn = wasm_extern_as_func(exports.data[2]);
  CHECK(table && seven && call_fn);

  wasm_tabletype_t* type = wasm_table_type(table);
  printf("size %u, limits %u..%u, element funcref: %d\n", wasm_table_size(table),
         wasm_tabletype_limits(type)->min, wasm_tabletype_limits(type)->max,
         wasm_valtype_kind(wasm_tabletype_element(type)) == WASM_FUNCREF);
  wasm_tabletype_delete(type);

  wasm_ref_t* e0 = wasm_table_get(table, 0);
  wasm_ref_t* e1 = wasm_table_get(table, 1);
  printf("element 0 null: %d, element 1 null: %d\n", e0 == NULL, e1 == NULL);
  int32_t result;
  wasm_trap_t* trap = call(call_fn, 1, &result);
  CHECK(trap == NULL);
  printf("call(1) = %d\n", result);
  trap = call(call_fn, 0, &result);
  CHECK(trap != NULL);
  print_trap("call(0)", trap);

  wasm_functype_t* ft = wasm_functype_new_0_1(wasm_valtype_new_i32());
  wasm_func_t* host = wasm_func_new(store, ft, forty_two);
  wasm_functype_delete(ft);
  CHECK(wasm_table_set(table, 0, wasm_func_as_ref(host)));
  trap = call(call_fn, 0, &result);
  CHECK(trap == NULL);
  printf("after set, call(0) = %d\n", result);

  CHECK(wasm_table_grow(table, 3, e1));
  printf("grown by 3 to %u; call(4) = ", wasm_table_size(table));
  CHECK(call(call_fn, 4, &result) == NULL);
  printf("%d\n", result);
  CHECK(!wasm_table_set(table, 5, NULL));
  CHECK(!wasm_table_grow(table, 6, NULL));
  printf("set past the end and growing past the maximum: refused\n");

  wasm_ref_delete(e1);
  wasm_func_delete(host);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return 0;
}
