/*
 * value.h - a field value as a reader stored it, converted to text only
 * when somebody reads it (lazy values).
 *
 * A kz_value points at bytes owned by the batch that produced the event
 * (an EVTX chunk, a JSON block); it is valid until that batch is released.
 * Types 0x00-0x23 and the 0x80 array flag are the EVTX value types of
 * docs/formats/evtx.md; KZ_VT_UTF8 and above are kizuki's own for values
 * that are text already. Rendering is documented in docs/dump-format.md.
 * Threads: rendering is reentrant.
 */
#ifndef KZ_EVENT_VALUE_H
#define KZ_EVENT_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"

enum {
    KZ_VT_NULL = 0x00,       /* no value */
    KZ_VT_STRING = 0x01,     /* UTF-16LE, len bytes, trailing NULs ignored */
    KZ_VT_ANSI = 0x02,       /* bytes in the ANSI code page */
    KZ_VT_INT8 = 0x03,
    KZ_VT_UINT8 = 0x04,
    KZ_VT_INT16 = 0x05,
    KZ_VT_UINT16 = 0x06,
    KZ_VT_INT32 = 0x07,
    KZ_VT_UINT32 = 0x08,
    KZ_VT_INT64 = 0x09,
    KZ_VT_UINT64 = 0x0A,
    KZ_VT_REAL32 = 0x0B,
    KZ_VT_REAL64 = 0x0C,
    KZ_VT_BOOL = 0x0D,       /* 32-bit; any non-zero is true */
    KZ_VT_BINARY = 0x0E,     /* rendered as upper-case hex */
    KZ_VT_GUID = 0x0F,       /* 16 bytes, rendered {XXXXXXXX-...} */
    KZ_VT_SIZET = 0x10,      /* 4 or 8 bytes, rendered 0x hex */
    KZ_VT_FILETIME = 0x11,   /* rendered as ISO time */
    KZ_VT_SYSTIME = 0x12,    /* SYSTEMTIME, rendered as ISO time */
    KZ_VT_SID = 0x13,        /* rendered S-1-... */
    KZ_VT_HEX32 = 0x14,      /* rendered 0x%x */
    KZ_VT_HEX64 = 0x15,      /* rendered 0x%llx */
    KZ_VT_EVTHANDLE = 0x20,
    KZ_VT_BINXML = 0x21,     /* never left in a view: readers flatten it */
    KZ_VT_EVTXML = 0x23,
    KZ_VT_ARRAY = 0x80,      /* flag: array of the base type */
    KZ_VT_UTF8 = 0x40,       /* text, valid or WTF-8 UTF-8 */
    KZ_VT_JSON_NUM = 0x41,   /* a JSON number, its text in UTF-8 */
    KZ_VT_JSON_BOOL = 0x42,  /* "true"/"false" */
};

typedef struct kz_value {
    const uint8_t *data;  /* raw bytes (not NUL-terminated) */
    uint32_t len;         /* bytes at data */
    uint8_t type;         /* KZ_VT_* */
} kz_value;

/* Options of text rendering. */
typedef struct kz_render_opts {
    unsigned ansi_codepage;  /* for KZ_VT_ANSI; 0 = 1252 */
} kz_render_opts;

/* Appends the text of v to out (UTF-8, WTF-8 for lone surrogates). An
 * array value renders as its items joined by ", " (readers normally split
 * arrays into one field per item: see kz_value_count/kz_value_item).
 * Returns KZ_EFORMAT for a value whose bytes do not fit its type (a short
 * integer...), after appending nothing. */
kz_status kz_value_render(const kz_value *v, const kz_render_opts *o,
                          kz_strbuf *out);

/* As kz_value_render, and sets *valid_utf8 to true only when the text
 * appended is guaranteed valid UTF-8 (kz_utf8_valid would accept it):
 * numbers, times, GUIDs, SIDs, hex and UTF-16 text without a lone
 * surrogate. False means "not known" (ANSI, UTF-8 text as stored by a
 * reader, WTF-8) and on any error: the caller must check itself. */
kz_status kz_value_render_checked(const kz_value *v, const kz_render_opts *o,
                                  kz_strbuf *out, bool *valid_utf8);

/* Number of items of an array value (1 for a scalar, 0 for Null). */
size_t kz_value_count(const kz_value *v);

/* Item i of an array value as a scalar value (v itself for a scalar). */
kz_value kz_value_item(const kz_value *v, size_t i);

/* True if v is an integer type (EVTX int types, JSON numbers without
 * fraction); its value goes to *out (unsigned types as their bits). */
bool kz_value_int(const kz_value *v, int64_t *out);

/* True if v renders as a JSON number or boolean without quotes. */
bool kz_value_is_json_scalar(const kz_value *v);

/* A view of a UTF-8 string stored elsewhere. */
typedef struct kz_str {
    const char *p;  /* bytes, not necessarily NUL-terminated */
    size_t len;     /* byte count */
} kz_str;

/* A UTF-8 value pointing at s (no copy). */
static inline kz_value
kz_value_utf8(const char *s, size_t n)
{
    kz_value v = { (const uint8_t *)s, (uint32_t)n, KZ_VT_UTF8 };
    return v;
}

#endif /* KZ_EVENT_VALUE_H */
