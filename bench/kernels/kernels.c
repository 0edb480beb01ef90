/* Compute kernels for Lazuli's steady-state benchmark: integer, floating point, memory-heavy
 * and call-heavy work. Built to wasm32 (no libc; each kernel exported) and natively, from the
 * same source, by bench/run.sh. Each returns a checksum so results can be compared. */
#include <stdint.h>

#ifdef __wasm__
#define EXPORT(name) __attribute__((export_name(#name)))
#else
#define EXPORT(name)
#endif

static uint32_t state = 12345;
static uint32_t next(void) { state = state * 1103515245u + 12345u; return state >> 8; }

/* Integer: a sieve of Eratosthenes, repeated. */
static uint8_t sieve_buf[1 << 20];
EXPORT(sieve) uint32_t sieve(uint32_t rounds) {
    uint32_t count = 0;
    for (uint32_t r = 0; r < rounds; r++) {
        for (uint32_t i = 0; i < sizeof sieve_buf; i++) sieve_buf[i] = 1;
        count = 0;
        for (uint32_t i = 2; i < sizeof sieve_buf; i++) {
            if (sieve_buf[i]) {
                count++;
                for (uint32_t j = i * 2; j < sizeof sieve_buf; j += i) sieve_buf[j] = 0;
            }
        }
    }
    return count;
}

/* Floating point: an n-body style accumulation. */
EXPORT(nbody) double nbody(uint32_t steps) {
    double x[16], v[16];
    for (int i = 0; i < 16; i++) { x[i] = i * 0.5; v[i] = 0; }
    for (uint32_t s = 0; s < steps; s++) {
        for (int i = 0; i < 16; i++) {
            double a = 0;
            for (int j = 0; j < 16; j++) {
                double d = x[j] - x[i];
                a += d / (d * d + 0.01);
            }
            v[i] += a * 0.001;
        }
        for (int i = 0; i < 16; i++) x[i] += v[i] * 0.001;
    }
    double sum = 0;
    for (int i = 0; i < 16; i++) sum += x[i];
    return sum;
}

/* Memory-heavy: matrix multiplication. */
#define N 192
static float ma[N * N], mb[N * N], mc[N * N];
EXPORT(matmul) float matmul(uint32_t rounds) {
    for (int i = 0; i < N * N; i++) { ma[i] = (float)(next() % 100) / 10; mb[i] = (float)(next() % 100) / 10; }
    for (uint32_t r = 0; r < rounds; r++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                float s = 0;
                for (int k = 0; k < N; k++) s += ma[i * N + k] * mb[k * N + j];
                mc[i * N + j] = s;
            }
    float sum = 0;
    for (int i = 0; i < N * N; i++) sum += mc[i];
    return sum;
}

/* Call-heavy: naive recursive Fibonacci (not inlined away). */
__attribute__((noinline)) static uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
EXPORT(fibonacci) uint32_t fibonacci(uint32_t n) { return fib(n); }
