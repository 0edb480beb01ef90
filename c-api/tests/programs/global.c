/* Global: host globals imported by wasm, exported globals read and written from C. */
#include "common.h"

int main(int argc, char** argv) {
  CHECK(argc == 2);
  wasm_engine_t* engine;
  wasm_store_t* store;
  wasm_module_t* module;
  load(argv[1], &engine, &store, &module);

  wasm_globaltype_t* const_i32 = wasm_globaltype_new(wasm_valtype_new_i32(), WASM_CONST);
  wasm_globaltype_t* var_f64 = wasm_globaltype_new(wasm_valtype_new_f64(), WASM_VAR);
  wasm_val_t base_value = WASM_I32_VAL(10);
  wasm_val_t scale_value = WASM_F64_VAL(1.5);
  wasm_global_t* base = wasm_global_new(store, const_i32, &base_value);
  wasm_global_t* scale = wasm_global_new(store, var_f64, &scale_value);
  CHECK(base && scale);
  wasm_globaltype_delete(const_i32);
  wasm_globaltype_delete(var_f64);

  wasm_extern_t* imports[] = {wasm_global_as_extern(base), wasm_global_as_extern(scale)};
  wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);
  wasm_instance_t* instance = wasm_instance_new(store, module, &import_vec, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  CHECK(exports.size == 3);
  wasm_global_t* count = wasm_extern_as_global(exports.data[0]);
  wasm_global_t* answer = wasm_extern_as_global(exports.data[1]);
  const wasm_func_t* step = wasm_extern_as_func(exports.data[2]);
  CHECK(count && answer && step);

  wasm_globaltype_t* answer_type = wasm_global_type(answer);
  printf("answer: mutability %d, kind %d\n", wasm_globaltype_mutability(answer_type),
         wasm_valtype_kind(wasm_globaltype_content(answer_type)));
  wasm_globaltype_delete(answer_type);

  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_EMPTY_VEC, result_vec = WASM_ARRAY_VEC(results);
  for (int i = 0; i < 2; i++) {
    CHECK(wasm_func_call(step, &args, &result_vec) == NULL);
    printf("step: %.1f\n", results[0].of.f64);
  }
  wasm_val_t v;
  wasm_global_get(count, &v);
  printf("count: %lld\n", (long long)v.of.i64);
  wasm_global_get(scale, &v);
  printf("scale seen by the host: %.1f\n", v.of.f64);

  wasm_val_t reset = WASM_F64_VAL(0.25);
  wasm_global_set(scale, &reset);
  wasm_val_t hundred = WASM_I64_VAL(100);
  wasm_global_set(count, &hundred);
  CHECK(wasm_func_call(step, &args, &result_vec) == NULL);
  wasm_global_get(count, &v);
  printf("after setting: step %.1f, count %lld\n", results[0].of.f64, (long long)v.of.i64);

  wasm_val_t wrong = WASM_I32_VAL(1);
  wasm_global_set(answer, &wrong);
  wasm_global_get(answer, &v);
  printf("setting an immutable global changes nothing: %d\n", v.of.i32);

  wasm_extern_vec_delete(&exports);
  wasm_global_delete(base);
  wasm_global_delete(scale);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return 0;
}
