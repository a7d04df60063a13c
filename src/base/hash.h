/*
 * hash.h - fast non-cryptographic hashing and ASCII case folding.
 *
 * Not for hostile-collision resistance across runs (tables keyed by
 * attacker-chosen strings must bound their size instead).
 * Threads: reentrant.
 */
#ifndef KZ_BASE_HASH_H
#define KZ_BASE_HASH_H

#include <stddef.h>
#include <stdint.h>

/* ASCII lower case of c; other bytes unchanged. */
static inline unsigned char
kz_ascii_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* 64-bit hash of n bytes. */
uint64_t kz_hash(const void *p, size_t n);

/* Hash of the ASCII-lower-cased bytes (equal for names equal but case). */
uint64_t kz_hash_fold(const void *p, size_t n);

/* Mixes a 64-bit value into a hash state. */
static inline uint64_t
kz_hash_mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ULL;
    return h ^ (h >> 29);
}

#endif /* KZ_BASE_HASH_H */
