/* Hello: a host callback (with an environment and a finalizer) called from wasm, which calls
 * back into wasm in the same store. */
#include "common.h"

static int finalized = 0;
static const wasm_func_t* twice = NULL;

static wasm_trap_t* hello(void* env, const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  printf("hello from the host, %s: got %d\n", (const char*)env, args->data[0].of.i32);
  /* Back into wasm: twice(x). */
  wasm_val_t inner_args[] = {WASM_I32_VAL(args->data[0].of.i32)};
  wasm_val_vec_t inner_arg_vec = WASM_ARRAY_VEC(inner_args);
  wasm_trap_t* trap = wasm_func_call(twice, &inner_arg_vec, results);
  if (trap == NULL) printf("twice(%d) = %d, called from the callback\n", args->data[0].of.i32, results->data[0].of.i32);
  return trap;
}

static void finalize(void* env) {
  (void)env;
  finalized++;
}

int main(int argc, char** argv) {
  CHECK(argc == 2);
  wasm_engine_t* engine;
  wasm_store_t* store;
  wasm_module_t* module;
  load(argv[1], &engine, &store, &module);

  wasm_functype_t* type = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t* func = wasm_func_new_with_env(store, type, hello, "C", finalize);
  CHECK(func != NULL);
  CHECK(wasm_func_param_arity(func) == 1 && wasm_func_result_arity(func) == 1);
  wasm_functype_delete(type);

  wasm_extern_t* imports[] = {wasm_func_as_extern(func)};
  wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);
  wasm_trap_t* trap = NULL;
  wasm_instance_t* instance = wasm_instance_new(store, module, &import_vec, &trap);
  CHECK(instance != NULL && trap == NULL);

  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  CHECK(exports.size == 2);
  CHECK(wasm_extern_kind(exports.data[0]) == WASM_EXTERN_FUNC);
  const wasm_func_t* run = wasm_extern_as_func(exports.data[0]);
  twice = wasm_extern_as_func(exports.data[1]);
  CHECK(run != NULL && twice != NULL);

  wasm_val_t args[] = {WASM_I32_VAL(20)};
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args);
  wasm_val_vec_t result_vec = WASM_ARRAY_VEC(results);
  CHECK(wasm_func_call(run, &arg_vec, &result_vec) == NULL);
  CHECK(results[0].kind == WASM_I32);
  printf("run(20) = %d\n", results[0].of.i32);

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_func_delete(func);
  wasm_module_delete(module);
  CHECK(finalized == 0);
  wasm_store_delete(store);
  printf("finalized: %d\n", finalized);
  wasm_engine_delete(engine);
  return 0;
}
