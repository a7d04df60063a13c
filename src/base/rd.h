/*
 * rd.h - bounds-checked little-endian reader over a byte range.
 *
 * All binary parsing goes through this cursor (STYLE rule 20). A read past
 * the end fails with KZ_EFORMAT and leaves the cursor where it was; the
 * cursor knows the absolute input offset of its base so errors can name it.
 * Threads: a reader is a value; copy it freely.
 */
#ifndef KZ_BASE_RD_H
#define KZ_BASE_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/error.h"

typedef struct kz_rd {
    const uint8_t *base;  /* first byte of the range */
    size_t len;           /* bytes in the range */
    size_t pos;           /* cursor, 0..len */
} kz_rd;

/* A reader over [p, p+len). */
static inline kz_rd
kz_rd_make(const uint8_t *p, size_t len)
{
    kz_rd r = { p, len, 0 };
    return r;
}

/* Bytes left after the cursor. */
static inline size_t
kz_rd_left(const kz_rd *r)
{
    return r->len - r->pos;
}

/* True if n more bytes can be read. */
static inline bool
kz_rd_has(const kz_rd *r, size_t n)
{
    return n <= r->len - r->pos;
}

/* Pointer to the cursor; only valid for kz_rd_left() bytes. */
static inline const uint8_t *
kz_rd_ptr(const kz_rd *r)
{
    return r->base + r->pos;
}

/* Advances by n bytes; false (cursor unchanged) if fewer remain. */
static inline bool
kz_rd_skip(kz_rd *r, size_t n)
{
    if (!kz_rd_has(r, n))
        return false;
    r->pos += n;
    return true;
}

/* Moves the cursor to absolute position pos; false if out of range. */
static inline bool
kz_rd_seek(kz_rd *r, size_t pos)
{
    if (pos > r->len)
        return false;
    r->pos = pos;
    return true;
}

static inline uint16_t
kz_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t
kz_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static inline uint64_t
kz_le64(const uint8_t *p)
{
    return (uint64_t)kz_le32(p) | ((uint64_t)kz_le32(p + 4) << 32);
}

/* Reads one byte; false at the end. */
static inline bool
kz_rd_u8(kz_rd *r, uint8_t *v)
{
    if (!kz_rd_has(r, 1))
        return false;
    *v = r->base[r->pos++];
    return true;
}

/* Reads a little-endian u16; false if fewer than 2 bytes remain. */
static inline bool
kz_rd_u16(kz_rd *r, uint16_t *v)
{
    if (!kz_rd_has(r, 2))
        return false;
    *v = kz_le16(r->base + r->pos);
    r->pos += 2;
    return true;
}

/* Reads a little-endian u32; false if fewer than 4 bytes remain. */
static inline bool
kz_rd_u32(kz_rd *r, uint32_t *v)
{
    if (!kz_rd_has(r, 4))
        return false;
    *v = kz_le32(r->base + r->pos);
    r->pos += 4;
    return true;
}

/* Reads a little-endian u64; false if fewer than 8 bytes remain. */
static inline bool
kz_rd_u64(kz_rd *r, uint64_t *v)
{
    if (!kz_rd_has(r, 8))
        return false;
    *v = kz_le64(r->base + r->pos);
    r->pos += 8;
    return true;
}

/* Sets *p to the next n bytes and advances; false if fewer remain. */
static inline bool
kz_rd_bytes(kz_rd *r, size_t n, const uint8_t **p)
{
    if (!kz_rd_has(r, n))
        return false;
    *p = r->base + r->pos;
    r->pos += n;
    return true;
}

#endif /* KZ_BASE_RD_H */
