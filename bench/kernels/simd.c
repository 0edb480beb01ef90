/* SIMD kernels (wasm_simd128.h) for the single-pass tier's SIMD: each exported function runs
 * its loop N times over a 64 KiB buffer and returns a checksum, so every engine's result must
 * agree. Build: clang-22 --target=wasm32 -O2 -msimd128 -nostdlib -Wl,--no-entry. */
#include <wasm_simd128.h>

#define BYTES 65536
static unsigned char bytes[BYTES] __attribute__((aligned(16)));
static short shorts[BYTES / 2] __attribute__((aligned(16)));
static float floats[BYTES / 4] __attribute__((aligned(16)));

static void fill(void) {
  unsigned x = 12345;
  for (int i = 0; i < BYTES; i++) {
    x = x * 1103515245u + 12345u;
    bytes[i] = (unsigned char)(x >> 16);
  }
  for (int i = 0; i < BYTES / 2; i++) shorts[i] = (short)(bytes[2 * i] << 8 | bytes[2 * i + 1]);
  for (int i = 0; i < BYTES / 4; i++) floats[i] = (float)(shorts[i]) / 1024.0f;
}

/* Bytes below 'm' and equal to 'e': compares, bitmasks, popcounts (a text scanner's loop). */
__attribute__((export_name("scan"))) int scan(int n) {
  fill();
  int count = 0;
  for (int round = 0; round < n; round++) {
    v128_t below = wasm_i8x16_splat('m' + (round & 1));
    v128_t e = wasm_i8x16_splat('e');
    for (int i = 0; i < BYTES; i += 16) {
      v128_t v = wasm_v128_load(bytes + i);
      count += __builtin_popcount(wasm_i8x16_bitmask(wasm_u8x16_lt(v, below)));
      count += __builtin_popcount(wasm_i8x16_bitmask(wasm_i8x16_eq(v, e)));
    }
  }
  return count;
}

/* A 16-bit dot product with saturating adds and min/max (a codec's inner loop). */
__attribute__((export_name("dot16"))) int dot16(int n) {
  fill();
  int total = 0;
  for (int round = 0; round < n; round++) {
    v128_t acc = wasm_i32x4_splat(round);
    for (int i = 0; i < BYTES / 2; i += 16) {
      v128_t a = wasm_v128_load(shorts + i);
      v128_t b = wasm_v128_load(shorts + i + 8);
      v128_t clamped = wasm_i16x8_max(wasm_i16x8_min(a, wasm_i16x8_splat(8000)), wasm_i16x8_splat(-8000));
      acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(clamped, wasm_i16x8_add_sat(b, a)));
    }
    total += wasm_i32x4_extract_lane(acc, 0) ^ wasm_i32x4_extract_lane(acc, 3);
  }
  return total;
}

/* Float clamping with pseudo-min/max, a select by comparison and a square root. */
__attribute__((export_name("clamp"))) int clamp(int n) {
  fill();
  float sum = 0;
  for (int round = 0; round < n; round++) {
    v128_t s = wasm_f32x4_splat(0);
    v128_t lo = wasm_f32x4_splat(-4.0f), hi = wasm_f32x4_splat(4.0f + round % 3);
    for (int i = 0; i < BYTES / 4; i += 4) {
      v128_t v = wasm_v128_load(floats + i);
      v128_t c = wasm_f32x4_pmax(wasm_f32x4_pmin(v, hi), lo);
      v128_t pos = wasm_f32x4_gt(c, wasm_f32x4_splat(0));
      s = wasm_f32x4_add(s, wasm_v128_bitselect(wasm_f32x4_sqrt(c), wasm_f32x4_neg(c), pos));
    }
    sum += wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 2);
  }
  return (int)sum;
}
