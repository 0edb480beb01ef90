/* A larger program: reads a text file, counts words in a growing hash table, sorts them,
 * hashes the text with SHA-256, runs a small matrix and statistics workload, and prints a
 * report. Exercises malloc/realloc, qsort, string functions and floating-point formatting. */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { char *word; int count; } Entry;
static Entry *table;
static size_t capacity = 16, used;

static uint64_t fnv(const char *s) {
    uint64_t h = 1469598103934665603ull;
    while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211ull;
    return h;
}

static void insert(Entry *t, size_t cap, char *word, int count) {
    size_t i = fnv(word) & (cap - 1);
    while (t[i].word && strcmp(t[i].word, word)) i = (i + 1) & (cap - 1);
    if (!t[i].word) { t[i].word = word; used++; }
    t[i].count += count;
}

static void add(const char *word) {
    if (used * 2 >= capacity) {
        Entry *old = table;
        size_t old_cap = capacity;
        capacity *= 2;
        table = calloc(capacity, sizeof *table);
        used = 0;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].word) insert(table, capacity, old[i].word, old[i].count);
        free(old);
    }
    size_t i = fnv(word) & (capacity - 1);
    while (table[i].word && strcmp(table[i].word, word)) i = (i + 1) & (capacity - 1);
    if (table[i].word) table[i].count++;
    else insert(table, capacity, strdup(word), 1);
}

static int by_count(const void *a, const void *b) {
    const Entry *x = a, *y = b;
    if (x->count != y->count) return y->count - x->count;
    return strcmp(x->word, y->word);
}

/* SHA-256 (FIPS 180-4). */
static const uint32_t K[64] = {
    0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,0x923f82a4,0xab1c5ed5,
    0xd807aa98,0x12835b01,0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,0x9bdc06a7,0xc19bf174,
    0xe49b69c1,0xefbe4786,0x0fc19dc6,0x240ca1cc,0x2de92c6f,0x4a7484aa,0x5cb0a9dc,0x76f988da,
    0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,0xc6e00bf3,0xd5a79147,0x06ca6351,0x14292967,
    0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,0x81c2c92e,0x92722c85,
    0xa2bfe8a1,0xa81a664b,0xc24b8b70,0xc76c51a3,0xd192e819,0xd6990624,0xf40e3585,0x106aa070,
    0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,0x5b9cca4f,0x682e6ff3,
    0x748f82ee,0x78a5636f,0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,0xbef9a3f7,0xc67178f2};
#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void block(uint32_t h[8], const unsigned char *p) {
    uint32_t w[64], v[8];
    for (int i = 0; i < 16; i++) w[i] = (uint32_t)p[4*i] << 24 | p[4*i+1] << 16 | p[4*i+2] << 8 | p[4*i+3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i-15], 7) ^ ROR(w[i-15], 18) ^ (w[i-15] >> 3);
        uint32_t s1 = ROR(w[i-2], 17) ^ ROR(w[i-2], 19) ^ (w[i-2] >> 10);
        w[i] = w[i-16] + s0 + w[i-7] + s1;
    }
    memcpy(v, h, sizeof v);
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = v[7] + (ROR(v[4], 6) ^ ROR(v[4], 11) ^ ROR(v[4], 25)) + ((v[4] & v[5]) ^ (~v[4] & v[6])) + K[i] + w[i];
        uint32_t t2 = (ROR(v[0], 2) ^ ROR(v[0], 13) ^ ROR(v[0], 22)) + ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
        memmove(v + 1, v, 7 * sizeof *v);
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (int i = 0; i < 8; i++) h[i] += v[i];
}

static void sha256(const unsigned char *data, size_t len, char out[65]) {
    uint32_t h[8] = {0x6a09e667,0xbb67ae85,0x3c6ef372,0xa54ff53a,0x510e527f,0x9b05688c,0x1f83d9ab,0x5be0cd19};
    size_t full = len / 64 * 64;
    for (size_t i = 0; i < full; i += 64) block(h, data + i);
    unsigned char tail[128] = {0};
    size_t rest = len - full, padded = rest < 56 ? 64 : 128;
    memcpy(tail, data + full, rest);
    tail[rest] = 0x80;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) tail[padded - 1 - i] = (unsigned char)(bits >> (8 * i));
    for (size_t i = 0; i < padded; i += 64) block(h, tail + i);
    for (int i = 0; i < 8; i++) sprintf(out + 8 * i, "%08x", h[i]);
}

int main(int argc, char **argv) {
    FILE *f = argc > 1 ? fopen(argv[1], "rb") : stdin;
    if (!f) { perror(argv[1]); return 2; }
    size_t len = 0, cap = 4096;
    unsigned char *text = malloc(cap);
    size_t n;
    while ((n = fread(text + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) text = realloc(text, cap *= 2);
    }
    table = calloc(capacity, sizeof *table);
    char word[64];
    size_t wl = 0, words = 0;
    for (size_t i = 0; i <= len; i++) {
        int c = i < len ? text[i] : ' ';
        if (isalpha(c) && wl < sizeof word - 1) word[wl++] = (char)tolower(c);
        else if (wl) { word[wl] = 0; add(word); words++; wl = 0; }
    }
    Entry *sorted = malloc(used * sizeof *sorted);
    size_t k = 0;
    for (size_t i = 0; i < capacity; i++) if (table[i].word) sorted[k++] = table[i];
    qsort(sorted, k, sizeof *sorted, by_count);
    printf("%zu bytes, %zu words, %zu distinct\n", len, words, k);
    for (size_t i = 0; i < k && i < 10; i++) printf("%-12s %5d %6.2f%%\n", sorted[i].word, sorted[i].count, 100.0 * sorted[i].count / words);
    char digest[65];
    sha256(text, len, digest);
    printf("sha256 %s\n", digest);
    sha256((const unsigned char *)"abc", 3, digest);
    printf("sha256(abc) %s\n", digest);

    double mean = 0, m2 = 0;
    for (size_t i = 0; i < k; i++) {
        double x = log(1.0 + sorted[i].count), d = x - mean;
        mean += d / (i + 1);
        m2 += d * (x - mean);
    }
    printf("log-count mean %.6f stddev %.6e\n", mean, k > 1 ? sqrt(m2 / (k - 1)) : 0.0);
    enum { N = 48 };
    static double a[N][N], b[N][N], c[N][N];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) { a[i][j] = sin(i + j * 0.5); b[i][j] = cos(i * 0.25 - j); }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int t = 0; t < N; t++) s += a[i][t] * b[t][j];
            c[i][j] = s;
        }
    double trace = 0;
    for (int i = 0; i < N; i++) trace += c[i][i];
    printf("trace %.9g strtod %g\n", trace, strtod("6.02214076e23", NULL));
    return 0;
}
