/*
 * crc32.c - CRC-32 by folding with carry-less multiplication (the method
 * of Intel's white paper "Fast CRC Computation for Generic Polynomials
 * Using PCLMULQDQ", 2009): 64 bytes are folded per step with the constants
 * below, then reduced to 32 bits with Barrett reduction. Inputs shorter
 * than 64 bytes, the tail, and CPUs without PCLMULQDQ use zlib.
 */
#include "base/crc32.h"

#include <zlib.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define KZ_CRC_CLMUL 1

/* x^(4*128+32) mod P, x^(4*128-32) mod P (bit-reflected, shifted) ... */
static const uint64_t k1k2[2] = { 0x0154442bd4ULL, 0x01c6e41596ULL };
static const uint64_t k3k4[2] = { 0x01751997d0ULL, 0x00ccaa009eULL };
static const uint64_t k5k0[2] = { 0x0163cd6124ULL, 0x0000000000ULL };
static const uint64_t poly[2] = { 0x01db710641ULL, 0x01f7011641ULL };

/* Folds n bytes (n >= 64, a multiple of 16) into the running state crc
 * (zlib's internal, inverted form) and returns the new state. */
__attribute__((target("pclmul,sse4.1"))) static uint32_t
fold(uint32_t crc, const uint8_t *buf, size_t n)
{
    __m128i x0, x1, x2, x3, x4, x5, x6, x7, x8, y5, y6, y7, y8;

    x1 = _mm_loadu_si128((const __m128i *)(const void *)(buf + 0x00));
    x2 = _mm_loadu_si128((const __m128i *)(const void *)(buf + 0x10));
    x3 = _mm_loadu_si128((const __m128i *)(const void *)(buf + 0x20));
    x4 = _mm_loadu_si128((const __m128i *)(const void *)(buf + 0x30));
    x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128((int)crc));
    x0 = _mm_loadu_si128((const __m128i *)(const void *)k1k2);
    buf += 64;
    n -= 64;
    while (n >= 64) {
        x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
        x6 = _mm_clmulepi64_si128(x2, x0, 0x00);
        x7 = _mm_clmulepi64_si128(x3, x0, 0x00);
        x8 = _mm_clmulepi64_si128(x4, x0, 0x00);
        x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
        x2 = _mm_clmulepi64_si128(x2, x0, 0x11);
        x3 = _mm_clmulepi64_si128(x3, x0, 0x11);
        x4 = _mm_clmulepi64_si128(x4, x0, 0x11);
        y5 = _mm_loadu_si128((const __m128i *)(const void *)(buf + 0x00));
        y6 = _mm_loadu_si128((const __m128i *)(const void *)(buf + 0x10));
        y7 = _mm_loadu_si128((const __m128i *)(const void *)(buf + 0x20));
        y8 = _mm_loadu_si128((const __m128i *)(const void *)(buf + 0x30));
        x1 = _mm_xor_si128(_mm_xor_si128(x1, x5), y5);
        x2 = _mm_xor_si128(_mm_xor_si128(x2, x6), y6);
        x3 = _mm_xor_si128(_mm_xor_si128(x3, x7), y7);
        x4 = _mm_xor_si128(_mm_xor_si128(x4, x8), y8);
        buf += 64;
        n -= 64;
    }
    /* Fold the four lanes into one. */
    x0 = _mm_loadu_si128((const __m128i *)(const void *)k3k4);
    x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
    x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
    x1 = _mm_xor_si128(_mm_xor_si128(x1, x2), x5);
    x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
    x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
    x1 = _mm_xor_si128(_mm_xor_si128(x1, x3), x5);
    x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
    x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
    x1 = _mm_xor_si128(_mm_xor_si128(x1, x4), x5);
    /* Remaining 16-byte blocks. */
    while (n >= 16) {
        x2 = _mm_loadu_si128((const __m128i *)(const void *)buf);
        x5 = _mm_clmulepi64_si128(x1, x0, 0x00);
        x1 = _mm_clmulepi64_si128(x1, x0, 0x11);
        x1 = _mm_xor_si128(_mm_xor_si128(x1, x2), x5);
        buf += 16;
        n -= 16;
    }
    /* 128 bits to 64. */
    x2 = _mm_clmulepi64_si128(x1, x0, 0x10);
    x3 = _mm_setr_epi32(~0, 0, ~0, 0);
    x1 = _mm_srli_si128(x1, 8);
    x1 = _mm_xor_si128(x1, x2);
    x0 = _mm_loadl_epi64((const __m128i *)(const void *)k5k0);
    x2 = _mm_srli_si128(x1, 4);
    x1 = _mm_and_si128(x1, x3);
    x1 = _mm_clmulepi64_si128(x1, x0, 0x00);
    x1 = _mm_xor_si128(x1, x2);
    /* Barrett reduction to 32 bits. */
    x0 = _mm_loadu_si128((const __m128i *)(const void *)poly);
    x2 = _mm_and_si128(x1, x3);
    x2 = _mm_clmulepi64_si128(x2, x0, 0x10);
    x2 = _mm_and_si128(x2, x3);
    x2 = _mm_clmulepi64_si128(x2, x0, 0x00);
    x1 = _mm_xor_si128(x1, x2);
    return (uint32_t)_mm_extract_epi32(x1, 1);
}
#endif

uint32_t
kz_crc32(const uint8_t *p, size_t n)
{
#ifdef KZ_CRC_CLMUL
    if (n >= 64 && __builtin_cpu_supports("pclmul") &&
        __builtin_cpu_supports("sse4.1")) {
        size_t body = n & ~(size_t)15;
        uint32_t state = fold(0xFFFFFFFFu, p, body);

        return (uint32_t)crc32(~state & 0xFFFFFFFFu, p + body,
                               (uInt)(n - body));
    }
#endif
    return (uint32_t)crc32(0L, p, (uInt)n);
}
