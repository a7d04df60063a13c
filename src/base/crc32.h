/*
 * crc32.h - CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320: the one
 * EVTX headers and zlib use), with a carry-less multiplication path on
 * x86-64 CPUs that have PCLMULQDQ and zlib's table code elsewhere.
 * Threads: reentrant.
 */
#ifndef KZ_BASE_CRC32_H
#define KZ_BASE_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* The CRC-32 of n bytes at p (same value as zlib's crc32(0, p, n)). */
uint32_t kz_crc32(const uint8_t *p, size_t n);

#endif /* KZ_BASE_CRC32_H */
