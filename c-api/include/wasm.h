/* wasm.h for Lazuli: the standard WebAssembly C API (github.com/WebAssembly/wasm-c-api), as far as
 * Lazuli implements it. Written from the standard's documented interface; programs written
 * against the standard header compile against this one for every declared function.
 *
 * Conventions (the standard's):
 * - a parameter or result marked `own` passes ownership: the receiver must delete it with the
 *   matching `wasm_X_delete`; everything else is borrowed;
 * - a vector `wasm_X_vec_t` owns its elements; `wasm_X_vec_delete` deletes them too;
 * - objects of a store (functions, memories, tables, globals, instances, modules' instances) must
 *   not be used after their store is deleted, and a store is used by one thread at a time.
 *
 * Not implemented (not declared here): host info (`wasm_X_get_host_info`), shared modules
 * (`wasm_shared_module_t`), foreign objects (`wasm_foreign_t`), reference copies and comparison
 * for anything but functions, and frame offsets other than the function index. See lazuli.h
 * for configuration and WASI. */
#ifndef WASM_H
#define WASM_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define own

typedef char byte_t;
typedef float float32_t;
typedef double float64_t;

/* Vectors: `size` elements at `data`, owned. */
#define WASM_DECLARE_VEC(name, ptr_or_none)                                                        \
  typedef struct wasm_##name##_vec_t {                                                             \
    size_t size;                                                                                   \
    wasm_##name##_t ptr_or_none* data;                                                             \
  } wasm_##name##_vec_t;                                                                           \
  void wasm_##name##_vec_new_empty(own wasm_##name##_vec_t* out);                                  \
  void wasm_##name##_vec_new_uninitialized(own wasm_##name##_vec_t* out, size_t size);             \
  void wasm_##name##_vec_new(own wasm_##name##_vec_t* out, size_t size,                            \
                             own wasm_##name##_t ptr_or_none const data[]);                        \
  void wasm_##name##_vec_copy(own wasm_##name##_vec_t* out, const wasm_##name##_vec_t* src);        \
  void wasm_##name##_vec_delete(own wasm_##name##_vec_t* vec);

/* Bytes and names. A name or message includes its terminating NUL in `size` when made by
 * `wasm_name_new_from_string_nt`. */
typedef byte_t wasm_byte_t;
WASM_DECLARE_VEC(byte, )
typedef wasm_byte_vec_t wasm_name_t;
#define wasm_name wasm_byte_vec
#define wasm_name_new wasm_byte_vec_new
#define wasm_name_new_empty wasm_byte_vec_new_empty
#define wasm_name_new_uninitialized wasm_byte_vec_new_uninitialized
#define wasm_name_copy wasm_byte_vec_copy
#define wasm_name_delete wasm_byte_vec_delete
static inline void wasm_name_new_from_string(own wasm_name_t* out, const char* s) {
  wasm_name_new(out, strlen(s), s);
}
static inline void wasm_name_new_from_string_nt(own wasm_name_t* out, const char* s) {
  wasm_name_new(out, strlen(s) + 1, s);
}
typedef wasm_name_t wasm_message_t;

/* Runtime environment. */
typedef struct wasm_config_t wasm_config_t;
own wasm_config_t* wasm_config_new(void);
void wasm_config_delete(own wasm_config_t*);

typedef struct wasm_engine_t wasm_engine_t;
own wasm_engine_t* wasm_engine_new(void);
own wasm_engine_t* wasm_engine_new_with_config(own wasm_config_t*);
void wasm_engine_delete(own wasm_engine_t*);

typedef struct wasm_store_t wasm_store_t;
own wasm_store_t* wasm_store_new(wasm_engine_t*);
void wasm_store_delete(own wasm_store_t*);

/* Type representations. */
typedef uint8_t wasm_mutability_t;
enum wasm_mutability_enum { WASM_CONST, WASM_VAR };

typedef struct wasm_limits_t {
  uint32_t min;
  uint32_t max;
} wasm_limits_t;
static const uint32_t wasm_limits_max_default = 0xffffffff;

typedef uint8_t wasm_valkind_t;
enum wasm_valkind_enum { WASM_I32, WASM_I64, WASM_F32, WASM_F64, WASM_EXTERNREF = 128, WASM_FUNCREF };
#define WASM_ANYREF WASM_EXTERNREF

typedef struct wasm_valtype_t wasm_valtype_t;
WASM_DECLARE_VEC(valtype, *)
own wasm_valtype_t* wasm_valtype_new(wasm_valkind_t);
own wasm_valtype_t* wasm_valtype_copy(const wasm_valtype_t*);
void wasm_valtype_delete(own wasm_valtype_t*);
wasm_valkind_t wasm_valtype_kind(const wasm_valtype_t*);
static inline bool wasm_valkind_is_num(wasm_valkind_t k) { return k < WASM_EXTERNREF; }
static inline bool wasm_valkind_is_ref(wasm_valkind_t k) { return k >= WASM_EXTERNREF; }
static inline bool wasm_valtype_is_num(const wasm_valtype_t* t) { return wasm_valkind_is_num(wasm_valtype_kind(t)); }
static inline bool wasm_valtype_is_ref(const wasm_valtype_t* t) { return wasm_valkind_is_ref(wasm_valtype_kind(t)); }

typedef struct wasm_functype_t wasm_functype_t;
WASM_DECLARE_VEC(functype, *)
own wasm_functype_t* wasm_functype_new(own wasm_valtype_vec_t* params, own wasm_valtype_vec_t* results);
own wasm_functype_t* wasm_functype_copy(const wasm_functype_t*);
void wasm_functype_delete(own wasm_functype_t*);
const wasm_valtype_vec_t* wasm_functype_params(const wasm_functype_t*);
const wasm_valtype_vec_t* wasm_functype_results(const wasm_functype_t*);

typedef struct wasm_globaltype_t wasm_globaltype_t;
WASM_DECLARE_VEC(globaltype, *)
own wasm_globaltype_t* wasm_globaltype_new(own wasm_valtype_t*, wasm_mutability_t);
own wasm_globaltype_t* wasm_globaltype_copy(const wasm_globaltype_t*);
void wasm_globaltype_delete(own wasm_globaltype_t*);
const wasm_valtype_t* wasm_globaltype_content(const wasm_globaltype_t*);
wasm_mutability_t wasm_globaltype_mutability(const wasm_globaltype_t*);

typedef struct wasm_tabletype_t wasm_tabletype_t;
WASM_DECLARE_VEC(tabletype, *)
own wasm_tabletype_t* wasm_tabletype_new(own wasm_valtype_t*, const wasm_limits_t*);
own wasm_tabletype_t* wasm_tabletype_copy(const wasm_tabletype_t*);
void wasm_tabletype_delete(own wasm_tabletype_t*);
const wasm_valtype_t* wasm_tabletype_element(const wasm_tabletype_t*);
const wasm_limits_t* wasm_tabletype_limits(const wasm_tabletype_t*);

typedef struct wasm_memorytype_t wasm_memorytype_t;
WASM_DECLARE_VEC(memorytype, *)
own wasm_memorytype_t* wasm_memorytype_new(const wasm_limits_t*);
own wasm_memorytype_t* wasm_memorytype_copy(const wasm_memorytype_t*);
void wasm_memorytype_delete(own wasm_memorytype_t*);
const wasm_limits_t* wasm_memorytype_limits(const wasm_memorytype_t*);

typedef struct wasm_externtype_t wasm_externtype_t;
WASM_DECLARE_VEC(externtype, *)
own wasm_externtype_t* wasm_externtype_copy(const wasm_externtype_t*);
void wasm_externtype_delete(own wasm_externtype_t*);

typedef uint8_t wasm_externkind_t;
enum wasm_externkind_enum { WASM_EXTERN_FUNC, WASM_EXTERN_GLOBAL, WASM_EXTERN_TABLE, WASM_EXTERN_MEMORY };
wasm_externkind_t wasm_externtype_kind(const wasm_externtype_t*);

wasm_externtype_t* wasm_functype_as_externtype(wasm_functype_t*);
wasm_externtype_t* wasm_globaltype_as_externtype(wasm_globaltype_t*);
wasm_externtype_t* wasm_tabletype_as_externtype(wasm_tabletype_t*);
wasm_externtype_t* wasm_memorytype_as_externtype(wasm_memorytype_t*);
wasm_functype_t* wasm_externtype_as_functype(wasm_externtype_t*);
wasm_globaltype_t* wasm_externtype_as_globaltype(wasm_externtype_t*);
wasm_tabletype_t* wasm_externtype_as_tabletype(wasm_externtype_t*);
wasm_memorytype_t* wasm_externtype_as_memorytype(wasm_externtype_t*);
const wasm_externtype_t* wasm_functype_as_externtype_const(const wasm_functype_t*);
const wasm_externtype_t* wasm_globaltype_as_externtype_const(const wasm_globaltype_t*);
const wasm_externtype_t* wasm_tabletype_as_externtype_const(const wasm_tabletype_t*);
const wasm_externtype_t* wasm_memorytype_as_externtype_const(const wasm_memorytype_t*);
const wasm_functype_t* wasm_externtype_as_functype_const(const wasm_externtype_t*);
const wasm_globaltype_t* wasm_externtype_as_globaltype_const(const wasm_externtype_t*);
const wasm_tabletype_t* wasm_externtype_as_tabletype_const(const wasm_externtype_t*);
const wasm_memorytype_t* wasm_externtype_as_memorytype_const(const wasm_externtype_t*);

typedef struct wasm_importtype_t wasm_importtype_t;
WASM_DECLARE_VEC(importtype, *)
own wasm_importtype_t* wasm_importtype_new(own wasm_name_t* module, own wasm_name_t* name, own wasm_externtype_t*);
own wasm_importtype_t* wasm_importtype_copy(const wasm_importtype_t*);
void wasm_importtype_delete(own wasm_importtype_t*);
const wasm_name_t* wasm_importtype_module(const wasm_importtype_t*);
const wasm_name_t* wasm_importtype_name(const wasm_importtype_t*);
const wasm_externtype_t* wasm_importtype_type(const wasm_importtype_t*);

typedef struct wasm_exporttype_t wasm_exporttype_t;
WASM_DECLARE_VEC(exporttype, *)
own wasm_exporttype_t* wasm_exporttype_new(own wasm_name_t*, own wasm_externtype_t*);
own wasm_exporttype_t* wasm_exporttype_copy(const wasm_exporttype_t*);
void wasm_exporttype_delete(own wasm_exporttype_t*);
const wasm_name_t* wasm_exporttype_name(const wasm_exporttype_t*);
const wasm_externtype_t* wasm_exporttype_type(const wasm_exporttype_t*);

/* Values. A reference is a function of a store (`wasm_func_as_ref`) or null. */
typedef struct wasm_ref_t wasm_ref_t;
own wasm_ref_t* wasm_ref_copy(const wasm_ref_t*);
void wasm_ref_delete(own wasm_ref_t*);

typedef struct wasm_val_t {
  wasm_valkind_t kind;
  union {
    int32_t i32;
    int64_t i64;
    float32_t f32;
    float64_t f64;
    struct wasm_ref_t* ref;
  } of;
} wasm_val_t;
void wasm_val_delete(own wasm_val_t* v);
void wasm_val_copy(own wasm_val_t* out, const wasm_val_t*);
WASM_DECLARE_VEC(val, )

/* Frames and traps. */
typedef struct wasm_instance_t wasm_instance_t;
typedef struct wasm_frame_t wasm_frame_t;
WASM_DECLARE_VEC(frame, *)
own wasm_frame_t* wasm_frame_copy(const wasm_frame_t*);
void wasm_frame_delete(own wasm_frame_t*);
wasm_instance_t* wasm_frame_instance(const wasm_frame_t*);
uint32_t wasm_frame_func_index(const wasm_frame_t*);
size_t wasm_frame_func_offset(const wasm_frame_t*);
size_t wasm_frame_module_offset(const wasm_frame_t*);

typedef struct wasm_trap_t wasm_trap_t;
own wasm_trap_t* wasm_trap_new(wasm_store_t* store, const wasm_message_t*);
own wasm_trap_t* wasm_trap_copy(const wasm_trap_t*);
void wasm_trap_delete(own wasm_trap_t*);
void wasm_trap_message(const wasm_trap_t*, own wasm_message_t* out);
own wasm_frame_t* wasm_trap_origin(const wasm_trap_t*);
void wasm_trap_trace(const wasm_trap_t*, own wasm_frame_vec_t* out);

/* Modules. */
typedef struct wasm_module_t wasm_module_t;
own wasm_module_t* wasm_module_new(wasm_store_t*, const wasm_byte_vec_t* binary);
own wasm_module_t* wasm_module_copy(const wasm_module_t*);
void wasm_module_delete(own wasm_module_t*);
bool wasm_module_validate(wasm_store_t*, const wasm_byte_vec_t* binary);
void wasm_module_imports(const wasm_module_t*, own wasm_importtype_vec_t* out);
void wasm_module_exports(const wasm_module_t*, own wasm_exporttype_vec_t* out);
void wasm_module_serialize(const wasm_module_t*, own wasm_byte_vec_t* out);
/* Trusts its input: a serialized module is native code (see lazuli.h). */
own wasm_module_t* wasm_module_deserialize(wasm_store_t*, const wasm_byte_vec_t*);

/* Functions. A callback's trap (made with wasm_trap_new) ends the wasm call that reached it. */
typedef struct wasm_func_t wasm_func_t;
typedef own wasm_trap_t* (*wasm_func_callback_t)(const wasm_val_vec_t* args, own wasm_val_vec_t* results);
typedef own wasm_trap_t* (*wasm_func_callback_with_env_t)(void* env, const wasm_val_vec_t* args, own wasm_val_vec_t* results);
own wasm_func_t* wasm_func_new(wasm_store_t*, const wasm_functype_t*, wasm_func_callback_t);
own wasm_func_t* wasm_func_new_with_env(wasm_store_t*, const wasm_functype_t* type, wasm_func_callback_with_env_t,
                                        void* env, void (*finalizer)(void*));
own wasm_func_t* wasm_func_copy(const wasm_func_t*);
void wasm_func_delete(own wasm_func_t*);
own wasm_functype_t* wasm_func_type(const wasm_func_t*);
size_t wasm_func_param_arity(const wasm_func_t*);
size_t wasm_func_result_arity(const wasm_func_t*);
own wasm_trap_t* wasm_func_call(const wasm_func_t*, const wasm_val_vec_t* args, wasm_val_vec_t* results);
wasm_ref_t* wasm_func_as_ref(wasm_func_t*);
wasm_func_t* wasm_ref_as_func(wasm_ref_t*);
const wasm_ref_t* wasm_func_as_ref_const(const wasm_func_t*);
const wasm_func_t* wasm_ref_as_func_const(const wasm_ref_t*);

/* Globals. */
typedef struct wasm_global_t wasm_global_t;
own wasm_global_t* wasm_global_new(wasm_store_t*, const wasm_globaltype_t*, const wasm_val_t*);
own wasm_global_t* wasm_global_copy(const wasm_global_t*);
void wasm_global_delete(own wasm_global_t*);
own wasm_globaltype_t* wasm_global_type(const wasm_global_t*);
void wasm_global_get(const wasm_global_t*, own wasm_val_t* out);
void wasm_global_set(wasm_global_t*, const wasm_val_t*);

/* Tables. */
typedef struct wasm_table_t wasm_table_t;
typedef uint32_t wasm_table_size_t;
own wasm_table_t* wasm_table_new(wasm_store_t*, const wasm_tabletype_t*, wasm_ref_t* init);
own wasm_table_t* wasm_table_copy(const wasm_table_t*);
void wasm_table_delete(own wasm_table_t*);
own wasm_tabletype_t* wasm_table_type(const wasm_table_t*);
own wasm_ref_t* wasm_table_get(const wasm_table_t*, wasm_table_size_t index);
bool wasm_table_set(wasm_table_t*, wasm_table_size_t index, wasm_ref_t*);
wasm_table_size_t wasm_table_size(const wasm_table_t*);
bool wasm_table_grow(wasm_table_t*, wasm_table_size_t delta, wasm_ref_t* init);

/* Memories. */
typedef struct wasm_memory_t wasm_memory_t;
typedef uint32_t wasm_memory_pages_t;
static const size_t MEMORY_PAGE_SIZE = 0x10000;
own wasm_memory_t* wasm_memory_new(wasm_store_t*, const wasm_memorytype_t*);
own wasm_memory_t* wasm_memory_copy(const wasm_memory_t*);
void wasm_memory_delete(own wasm_memory_t*);
own wasm_memorytype_t* wasm_memory_type(const wasm_memory_t*);
byte_t* wasm_memory_data(wasm_memory_t*);
size_t wasm_memory_data_size(const wasm_memory_t*);
wasm_memory_pages_t wasm_memory_size(const wasm_memory_t*);
bool wasm_memory_grow(wasm_memory_t*, wasm_memory_pages_t delta);

/* Externals: a function, global, table or memory. The `as` conversions borrow. */
typedef struct wasm_extern_t wasm_extern_t;
WASM_DECLARE_VEC(extern, *)
own wasm_extern_t* wasm_extern_copy(const wasm_extern_t*);
void wasm_extern_delete(own wasm_extern_t*);
wasm_externkind_t wasm_extern_kind(const wasm_extern_t*);
own wasm_externtype_t* wasm_extern_type(const wasm_extern_t*);
wasm_extern_t* wasm_func_as_extern(wasm_func_t*);
wasm_extern_t* wasm_global_as_extern(wasm_global_t*);
wasm_extern_t* wasm_table_as_extern(wasm_table_t*);
wasm_extern_t* wasm_memory_as_extern(wasm_memory_t*);
wasm_func_t* wasm_extern_as_func(wasm_extern_t*);
wasm_global_t* wasm_extern_as_global(wasm_extern_t*);
wasm_table_t* wasm_extern_as_table(wasm_extern_t*);
wasm_memory_t* wasm_extern_as_memory(wasm_extern_t*);
const wasm_extern_t* wasm_func_as_extern_const(const wasm_func_t*);
const wasm_extern_t* wasm_global_as_extern_const(const wasm_global_t*);
const wasm_extern_t* wasm_table_as_extern_const(const wasm_table_t*);
const wasm_extern_t* wasm_memory_as_extern_const(const wasm_memory_t*);
const wasm_func_t* wasm_extern_as_func_const(const wasm_extern_t*);
const wasm_global_t* wasm_extern_as_global_const(const wasm_extern_t*);
const wasm_table_t* wasm_extern_as_table_const(const wasm_extern_t*);
const wasm_memory_t* wasm_extern_as_memory_const(const wasm_extern_t*);

/* Instances. `imports` are the module's imports in order; a link error or a trap of the start
 * function is returned in `*trap` (when `trap` is not NULL) with a NULL instance. */
own wasm_instance_t* wasm_instance_new(wasm_store_t*, const wasm_module_t*, const wasm_extern_vec_t* imports,
                                       own wasm_trap_t** trap);
own wasm_instance_t* wasm_instance_copy(const wasm_instance_t*);
void wasm_instance_delete(own wasm_instance_t*);
void wasm_instance_exports(const wasm_instance_t*, own wasm_extern_vec_t* out);

/* Convenience: value types and function types of small arity. */
static inline own wasm_valtype_t* wasm_valtype_new_i32(void) { return wasm_valtype_new(WASM_I32); }
static inline own wasm_valtype_t* wasm_valtype_new_i64(void) { return wasm_valtype_new(WASM_I64); }
static inline own wasm_valtype_t* wasm_valtype_new_f32(void) { return wasm_valtype_new(WASM_F32); }
static inline own wasm_valtype_t* wasm_valtype_new_f64(void) { return wasm_valtype_new(WASM_F64); }
static inline own wasm_valtype_t* wasm_valtype_new_externref(void) { return wasm_valtype_new(WASM_EXTERNREF); }
static inline own wasm_valtype_t* wasm_valtype_new_anyref(void) { return wasm_valtype_new(WASM_EXTERNREF); }
static inline own wasm_valtype_t* wasm_valtype_new_funcref(void) { return wasm_valtype_new(WASM_FUNCREF); }

static inline own wasm_functype_t* wasm_functype_new_types(size_t n, own wasm_valtype_t** params, size_t m,
                                                           own wasm_valtype_t** results) {
  wasm_valtype_vec_t p, r;
  wasm_valtype_vec_new(&p, n, params);
  wasm_valtype_vec_new(&r, m, results);
  return wasm_functype_new(&p, &r);
}
static inline own wasm_functype_t* wasm_functype_new_0_0(void) { return wasm_functype_new_types(0, NULL, 0, NULL); }
static inline own wasm_functype_t* wasm_functype_new_1_0(own wasm_valtype_t* p) { return wasm_functype_new_types(1, &p, 0, NULL); }
static inline own wasm_functype_t* wasm_functype_new_0_1(own wasm_valtype_t* r) { return wasm_functype_new_types(0, NULL, 1, &r); }
static inline own wasm_functype_t* wasm_functype_new_1_1(own wasm_valtype_t* p, own wasm_valtype_t* r) {
  return wasm_functype_new_types(1, &p, 1, &r);
}
static inline own wasm_functype_t* wasm_functype_new_2_0(own wasm_valtype_t* p1, own wasm_valtype_t* p2) {
  wasm_valtype_t* ps[2] = {p1, p2};
  return wasm_functype_new_types(2, ps, 0, NULL);
}
static inline own wasm_functype_t* wasm_functype_new_2_1(own wasm_valtype_t* p1, own wasm_valtype_t* p2,
                                                         own wasm_valtype_t* r) {
  wasm_valtype_t* ps[2] = {p1, p2};
  return wasm_functype_new_types(2, ps, 1, &r);
}
static inline own wasm_functype_t* wasm_functype_new_3_1(own wasm_valtype_t* p1, own wasm_valtype_t* p2,
                                                         own wasm_valtype_t* p3, own wasm_valtype_t* r) {
  wasm_valtype_t* ps[3] = {p1, p2, p3};
  return wasm_functype_new_types(3, ps, 1, &r);
}

/* Convenience: values. */
#define WASM_I32_VAL(x) {.kind = WASM_I32, .of = {.i32 = (x)}}
#define WASM_I64_VAL(x) {.kind = WASM_I64, .of = {.i64 = (x)}}
#define WASM_F32_VAL(x) {.kind = WASM_F32, .of = {.f32 = (x)}}
#define WASM_F64_VAL(x) {.kind = WASM_F64, .of = {.f64 = (x)}}
#define WASM_REF_VAL(x) {.kind = WASM_FUNCREF, .of = {.ref = (x)}}
#define WASM_INIT_VAL {.kind = WASM_EXTERNREF, .of = {.ref = NULL}}
#define WASM_EMPTY_VEC {0, NULL}
#define WASM_ARRAY_VEC(array) {sizeof(array) / sizeof(*(array)), array}

#ifdef __cplusplus
}
#endif

#endif /* WASM_H */
