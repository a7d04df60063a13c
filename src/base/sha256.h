/*
 * sha256.h - SHA-256 (FIPS 180-4), streaming: init, update any number of
 * times with pieces of any size, final. Used for the input manifest
 * (DESIGN.md Provenance: the SHA-256 of every input file).
 *
 * Ownership: the context is caller storage; nothing is allocated.
 * Errors: none (inputs up to 2^61 - 1 bytes; the bit length wraps past it
 * as the standard allows no more).
 * Threads: a context belongs to one thread; functions are reentrant.
 */
#ifndef KZ_BASE_SHA256_H
#define KZ_BASE_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KZ_SHA256_LEN 32     /* digest bytes */
#define KZ_SHA256_HEX_LEN 64 /* hex digits, NUL excluded */

typedef struct kz_sha256 {
    uint32_t h[8];      /* chaining state */
    uint64_t total;     /* bytes hashed so far */
    uint8_t block[64];  /* pending partial block */
    size_t fill;        /* bytes in block, 0..63 */
} kz_sha256;

/* Starts a new digest. */
void kz_sha256_init(kz_sha256 *c);

/* True when blocks go through the CPU's SHA extensions (x86-64 SHA-NI;
 * the environment variable KZ_NO_SHA_NI, read once, turns them off). */
bool kz_sha256_accelerated(void);

/* Hashes n more bytes at p (p may be NULL when n is 0). */
void kz_sha256_update(kz_sha256 *c, const void *p, size_t n);

/* Finishes the digest into out; the context must be re-initialised
 * before it is used again. */
void kz_sha256_final(kz_sha256 *c, uint8_t out[KZ_SHA256_LEN]);

/* Writes the 64 lower-case hex digits of a digest and a NUL into hex. */
void kz_sha256_hex(const uint8_t digest[KZ_SHA256_LEN],
                   char hex[KZ_SHA256_HEX_LEN + 1]);

/* One-shot: the hex digest of p[0..n). */
void kz_sha256_hex_of(const void *p, size_t n,
                      char hex[KZ_SHA256_HEX_LEN + 1]);

#endif /* KZ_BASE_SHA256_H */
