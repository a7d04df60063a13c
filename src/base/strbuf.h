/*
 * strbuf.h - growable byte buffer with a hard maximum.
 *
 * The buffer keeps a NUL after its contents so .data can be used as a C
 * string. Every append fails with KZ_ELIMIT past `max` (curl's "toobig").
 * Ownership: the buffer owns .data; kz_strbuf_fini frees it.
 * Threads: one thread at a time.
 */
#ifndef KZ_BASE_STRBUF_H
#define KZ_BASE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include "base/error.h"

typedef struct kz_strbuf {
    char *data;   /* contents + NUL, or NULL when nothing was appended */
    size_t len;   /* bytes used, NUL excluded */
    size_t cap;   /* bytes allocated */
    size_t max;   /* hard cap on len */
} kz_strbuf;

#define KZ_STRBUF_DEFAULT_MAX ((size_t)1 << 30)

/* Empty buffer that may grow to max bytes (0 = KZ_STRBUF_DEFAULT_MAX). */
void kz_strbuf_init(kz_strbuf *b, size_t max);

/* Frees the contents. Accepts NULL. */
void kz_strbuf_fini(kz_strbuf *b);

/* Sets len to 0 and keeps the allocation. */
void kz_strbuf_reset(kz_strbuf *b);

/* Makes room for n more bytes; KZ_ENOMEM or KZ_ELIMIT on failure. */
kz_status kz_strbuf_reserve(kz_strbuf *b, size_t n);

/* Appends n bytes (slow path of kz_strbuf_add: grows the buffer). */
kz_status kz_strbuf_add_grow(kz_strbuf *b, const void *p, size_t n);

/* Appends n bytes. Inline: most appends fit the allocation. */
static inline kz_status
kz_strbuf_add(kz_strbuf *b, const void *p, size_t n)
{
    if (b->cap - b->len > n && b->max - b->len >= n) {
        if (n != 0)
            memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return KZ_OK;
    }
    return kz_strbuf_add_grow(b, p, n);
}

/* Appends a NUL-terminated string. */
static inline kz_status
kz_strbuf_adds(kz_strbuf *b, const char *s)
{
    return kz_strbuf_add(b, s, strlen(s));
}

/* Appends one byte. */
static inline kz_status
kz_strbuf_addc(kz_strbuf *b, char c)
{
    return kz_strbuf_add(b, &c, 1);
}

/* Appends printf-style text. */
kz_status kz_strbuf_addf(kz_strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends the decimal form of v. */
kz_status kz_strbuf_add_u64(kz_strbuf *b, uint64_t v);

/* Appends the decimal form of v. */
kz_status kz_strbuf_add_i64(kz_strbuf *b, int64_t v);

#endif /* KZ_BASE_STRBUF_H */
