/*
 * sha256.c - SHA-256 as specified by FIPS 180-4 §6.2, written from the
 * standard: 64-byte blocks, big-endian words, 64 rounds per block.
 *
 * On x86-64 CPUs with the SHA extensions (CPUID leaf 7 EBX bit 29, with
 * SSSE3 and SSE4.1), blocks go through the SHA256RNDS2 / SHA256MSG1 /
 * SHA256MSG2 instructions instead (about 5x faster: the manifest hashes
 * every input); the choice is made once, at the first block, and both
 * paths give the same digests (tests/unit/test_sha256.c runs the NIST
 * vectors through whichever the machine has, and compares the two on
 * random input where the instructions exist).
 */
#include "base/sha256.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define KZ_SHA_NI 1
#include <cpuid.h>
#include <immintrin.h>
#endif

/* FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the
 * cube roots of the first 64 primes. */
static const uint32_t k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t
rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

/* One block (§6.2.2): message schedule, then 64 rounds. */
static void
compress(uint32_t h[8], const uint8_t *p)
{
    uint32_t w[64], a, b, c, d, e, f, g, hh;
    unsigned t;

    for (t = 0; t < 16; t++)
        w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 |
               (uint32_t)p[4 * t + 2] << 8 | (uint32_t)p[4 * t + 3];
    for (t = 16; t < 64; t++) {
        uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^
                      (w[t - 15] >> 3);
        uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^
                      (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    a = h[0], b = h[1], c = h[2], d = h[3];
    e = h[4], f = h[5], g = h[6], hh = h[7];
    for (t = 0; t < 64; t++) {
        uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) +
                      ((e & f) ^ (~e & g)) + k[t] + w[t];
        uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) +
                      ((a & b) ^ (a & c) ^ (b & c));
        hh = g, g = f, f = e, e = d + t1;
        d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d;
    h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

#ifdef KZ_SHA_NI
/* n blocks with the SHA extensions. The state is kept as two vectors,
 * (a, b, e, f) and (c, d, g, h) in the lane order SHA256RNDS2 uses; each
 * step of the loop is four rounds: message words plus constants, two
 * RNDS2 (two rounds each), and the schedule of the words four groups
 * ahead (W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16]). */
__attribute__((target("sha,sse4.1,ssse3"))) static void
compress_ni(uint32_t h[8], const uint8_t *p, size_t n)
{
    const __m128i bswap =
        _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i s0, s1, t, save0, save1, w[4], msg;
    unsigned g;

    t = _mm_loadu_si128((const __m128i *)&h[0]);  /* d c b a */
    s1 = _mm_loadu_si128((const __m128i *)&h[4]); /* h g f e */
    t = _mm_shuffle_epi32(t, 0xB1);               /* c d a b */
    s1 = _mm_shuffle_epi32(s1, 0x1B);             /* e f g h */
    s0 = _mm_alignr_epi8(t, s1, 8);               /* a b e f */
    s1 = _mm_blend_epi16(s1, t, 0xF0);            /* c d g h */
    for (; n > 0; n--, p += 64) {
        save0 = s0;
        save1 = s1;
        for (g = 0; g < 4; g++)
            w[g] = _mm_shuffle_epi8(
                _mm_loadu_si128((const __m128i *)(p + 16 * g)), bswap);
        for (g = 0; g < 16; g++) {
            __m128i cur;

            if (g < 4)
                cur = w[g];
            else {
                /* w[g % 4] holds group g-4, then g-3, g-2, g-1 */
                cur = _mm_sha256msg1_epu32(w[g % 4], w[(g + 1) % 4]);
                cur = _mm_add_epi32(
                    cur, _mm_alignr_epi8(w[(g + 3) % 4], w[(g + 2) % 4], 4));
                cur = _mm_sha256msg2_epu32(cur, w[(g + 3) % 4]);
                w[g % 4] = cur;
            }
            msg = _mm_add_epi32(cur,
                                _mm_loadu_si128((const __m128i *)&k[4 * g]));
            s1 = _mm_sha256rnds2_epu32(s1, s0, msg);
            msg = _mm_shuffle_epi32(msg, 0x0E);
            s0 = _mm_sha256rnds2_epu32(s0, s1, msg);
        }
        s0 = _mm_add_epi32(s0, save0);
        s1 = _mm_add_epi32(s1, save1);
    }
    t = _mm_shuffle_epi32(s0, 0x1B);   /* f e b a */
    s1 = _mm_shuffle_epi32(s1, 0xB1);  /* d c h g */
    s0 = _mm_blend_epi16(t, s1, 0xF0); /* d c b a */
    s1 = _mm_alignr_epi8(s1, t, 8);    /* h g f e */
    _mm_storeu_si128((__m128i *)&h[0], s0);
    _mm_storeu_si128((__m128i *)&h[4], s1);
}

/* The SHA extensions, SSSE3 and SSE4.1 are there (and not turned off by
 * KZ_NO_SHA_NI in the environment, for tests). Asked once; a benign race
 * between threads computes the same answer. */
static bool
have_ni(void)
{
    static int known = -1;
    unsigned a, b, c, d;

    if (known < 0) {
        int yes = 0;

        if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 9)) &&
            (c & (1u << 19)) && __get_cpuid_count(7, 0, &a, &b, &c, &d) &&
            (b & (1u << 29)))
            yes = getenv("KZ_NO_SHA_NI") == NULL;
        known = yes;
    }
    return known == 1;
}
#endif

/* n whole blocks at p. */
static void
blocks(uint32_t h[8], const uint8_t *p, size_t n)
{
#ifdef KZ_SHA_NI
    if (have_ni()) {
        compress_ni(h, p, n);
        return;
    }
#endif
    for (; n > 0; n--, p += 64)
        compress(h, p);
}

bool
kz_sha256_accelerated(void)
{
#ifdef KZ_SHA_NI
    return have_ni();
#else
    return false;
#endif
}

void
kz_sha256_init(kz_sha256 *c)
{
    /* §5.3.3: fractional parts of the square roots of the first 8 primes */
    static const uint32_t h0[8] = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };

    memcpy(c->h, h0, sizeof(h0));
    c->total = 0;
    c->fill = 0;
}

void
kz_sha256_update(kz_sha256 *c, const void *p, size_t n)
{
    const uint8_t *s = p;

    if (n == 0)
        return;
    c->total += n;
    if (c->fill != 0) {
        size_t take = 64 - c->fill < n ? 64 - c->fill : n;

        memcpy(c->block + c->fill, s, take);
        c->fill += take;
        s += take;
        n -= take;
        if (c->fill < 64)
            return;
        blocks(c->h, c->block, 1);
        c->fill = 0;
    }
    if (n >= 64) {
        blocks(c->h, s, n / 64);
        s += n / 64 * 64;
        n %= 64;
    }
    if (n != 0)
        memcpy(c->block, s, n);
    c->fill = n;
}

void
kz_sha256_final(kz_sha256 *c, uint8_t out[KZ_SHA256_LEN])
{
    uint64_t bits = c->total * 8;
    unsigned i;

    /* §5.1.1: a 1 bit, zeros up to 56 mod 64, the 64-bit length */
    c->block[c->fill++] = 0x80;
    if (c->fill > 56) {
        memset(c->block + c->fill, 0, 64 - c->fill);
        blocks(c->h, c->block, 1);
        c->fill = 0;
    }
    memset(c->block + c->fill, 0, 56 - c->fill);
    for (i = 0; i < 8; i++)
        c->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    blocks(c->h, c->block, 1);
    for (i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(c->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)c->h[i];
    }
    c->fill = 0;
}

void
kz_sha256_hex(const uint8_t digest[KZ_SHA256_LEN],
              char hex[KZ_SHA256_HEX_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    unsigned i;

    for (i = 0; i < KZ_SHA256_LEN; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[KZ_SHA256_HEX_LEN] = '\0';
}

void
kz_sha256_hex_of(const void *p, size_t n, char hex[KZ_SHA256_HEX_LEN + 1])
{
    kz_sha256 c;
    uint8_t d[KZ_SHA256_LEN];

    kz_sha256_init(&c);
    kz_sha256_update(&c, p, n);
    kz_sha256_final(&c, d);
    kz_sha256_hex(d, hex);
}
