/* Trap: wasm traps with their messages and frames, a host callback failing with a trap, a link
 * error reported as a trap, and the store still usable afterwards. */
#include "common.h"

static wasm_trap_t* fail(void* env, const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)args;
  (void)results;
  wasm_message_t message;
  wasm_name_new_from_string_nt(&message, "the host says no");
  wasm_trap_t* trap = wasm_trap_new((wasm_store_t*)env, &message);
  wasm_name_delete(&message);
  return trap;
}

int main(int argc, char** argv) {
  CHECK(argc == 2);
  wasm_engine_t* engine;
  wasm_store_t* store;
  wasm_module_t* module;
  load(argv[1], &engine, &store, &module);

  wasm_trap_t* trap = NULL;
  wasm_extern_vec_t none = WASM_EMPTY_VEC;
  CHECK(wasm_instance_new(store, module, &none, &trap) == NULL && trap != NULL);
  print_trap("instantiating without imports", trap);

  wasm_functype_t* type = wasm_functype_new_0_0();
  wasm_func_t* host = wasm_func_new_with_env(store, type, fail, store, NULL);
  wasm_functype_delete(type);
  wasm_extern_t* imports[] = {wasm_func_as_extern(host)};
  wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);
  wasm_instance_t* instance = wasm_instance_new(store, module, &import_vec, &trap);
  CHECK(instance != NULL && trap == NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  CHECK(exports.size == 3);

  wasm_val_vec_t args = WASM_EMPTY_VEC, results = WASM_EMPTY_VEC;
  trap = wasm_func_call(wasm_extern_as_func(exports.data[0]), &args, &results);
  CHECK(trap != NULL);
  wasm_frame_vec_t trace;
  wasm_trap_trace(trap, &trace);
  printf("frames:");
  for (size_t i = 0; i < trace.size; i++) printf(" %u", wasm_frame_func_index(trace.data[i]));
  printf("\n");
  wasm_frame_t* origin = wasm_trap_origin(trap);
  CHECK(origin != NULL);
  printf("origin: function %u\n", wasm_frame_func_index(origin));
  wasm_frame_delete(origin);
  wasm_frame_vec_delete(&trace);
  print_trap("unreachable", trap);

  wasm_val_t zero[] = {WASM_I32_VAL(0)};
  wasm_val_t out[1] = {WASM_INIT_VAL};
  wasm_val_vec_t zero_vec = WASM_ARRAY_VEC(zero), out_vec = WASM_ARRAY_VEC(out);
  const wasm_func_t* divide = wasm_extern_as_func(exports.data[1]);
  trap = wasm_func_call(divide, &zero_vec, &out_vec);
  CHECK(trap != NULL);
  print_trap("divide(0)", trap);

  trap = wasm_func_call(wasm_extern_as_func(exports.data[2]), &args, &results);
  CHECK(trap != NULL);
  print_trap("host_fails", trap);

  wasm_val_t four[] = {WASM_I32_VAL(4)};
  wasm_val_vec_t four_vec = WASM_ARRAY_VEC(four);
  wasm_val_t wrong[] = {WASM_I64_VAL(4)};
  wasm_val_vec_t wrong_vec = WASM_ARRAY_VEC(wrong);
  trap = wasm_func_call(divide, &wrong_vec, &out_vec);
  CHECK(trap != NULL);
  print_trap("divide with an i64", trap);
  CHECK(wasm_func_call(divide, &four_vec, &out_vec) == NULL);
  printf("divide(4) afterwards = %d\n", out[0].of.i32);

  wasm_extern_vec_delete(&exports);
  wasm_func_delete(host);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return 0;
}
