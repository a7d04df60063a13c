/*
 * escape.c - JSON, terminal and CSV escaping of hostile text.
 *
 * Runs of bytes that need nothing are appended in one piece; only the
 * bytes that need escaping are looked at one by one, since escaping sits
 * on the output path of every field of every event.
 */
#include "write/escape.h"

#include <stdbool.h>
#include <string.h>

#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "base/utf.h"

static const char hexd[] = "0123456789abcdef";

/* Appends "\u" and four lower-case hex digits of c. */
static kz_status
add_u(kz_strbuf *out, uint32_t c)
{
    char t[6] = { '\\', 'u', hexd[(c >> 12) & 15], hexd[(c >> 8) & 15],
                  hexd[(c >> 4) & 15], hexd[c & 15] };

    return kz_strbuf_add(out, t, sizeof(t));
}

/* Bytes JSON text can hold as they are: printable ASCII but '"' and '\\'
 * (non-ASCII goes through the UTF-8 checks). */
static const unsigned char plain[256] = {
#define R16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
    R16(0), R16(0),
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,   /* 0x20: '"' */
    R16(1), R16(1),
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,   /* 0x50: '\\' */
    R16(1),
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,   /* 0x7f: DEL */
    R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0),
#undef R16
};

/* The two-character JSON escape of ASCII byte c ("\\n", ...), or NULL when
 * c has none (other controls and DEL take \\uXXXX). */
static const char *
short_escape(uint32_t c)
{
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: return NULL;
    }
}

/* True if none of the eight bytes of v needs escaping in JSON: no byte
 * below 0x20, '"', '\\', DEL or non-ASCII (SWAR: a byte's high bit is set
 * in the test word where it matches). */
static inline bool
plain8(uint64_t v)
{
    const uint64_t ones = 0x0101010101010101ULL;
    const uint64_t high = 0x8080808080808080ULL;
    uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\'),
             d = v ^ (ones * 0x7f);

    return (((v - ones * 0x20) & ~v) | ((q - ones) & ~q) |
            ((b - ones) & ~b) | ((d - ones) & ~d) | v) & high ? false : true;
}

/* True if one of the eight bytes of v equals c (SWAR). */
static inline bool
has_byte(uint64_t v, unsigned char c)
{
    const uint64_t ones = 0x0101010101010101ULL;
    uint64_t x = v ^ (ones * c);

    return ((x - ones) & ~x & (ones * 0x80)) != 0;
}

/* True if all eight bytes of v are printable ASCII (0x20..0x7e). */
static inline bool
printable8(uint64_t v)
{
    const uint64_t ones = 0x0101010101010101ULL;
    const uint64_t high = 0x8080808080808080ULL;

    /* below 0x20, non-ASCII, or DEL (v + 1 sets the high bit of 0x7f) */
    return ((((v - ones * 0x20) & ~v) | v | (v + ones)) & high) == 0;
}

kz_status
kz_json_escape(kz_strbuf *out, const char *s, size_t n)
{
    size_t i = 0, start = 0, k;
    uint32_t cp;
    kz_status st = KZ_OK;
    unsigned char c;
    const char *rep;

    while (i < n) {
        /* Fast path: skip bytes that are copied as they are, eight at a
         * time while none of them needs a look (SWAR tests for bytes below
         * 0x20, '"', '\\', DEL and non-ASCII). */
        while (i + 8 <= n) {
            uint64_t v;

            memcpy(&v, s + i, 8);
            if (!plain8(v))
                break;
            i += 8;
        }
        while (i < n && plain[(unsigned char)s[i]])
            i++;
        if (i >= n)
            break;
        c = (unsigned char)s[i];
        k = 1;
        rep = NULL;
        cp = UINT32_MAX;            /* UINT32_MAX: write rep, not \u */
        if (c < 0x80) {
            if ((rep = short_escape(c)) == NULL)
                cp = c;                     /* other C0 and DEL */
        } else {
            k = kz_utf8_decode(s + i, n - i, &cp);
            if (k == 0) {
                k = 1;
                cp = 0xfffd;                /* invalid byte */
            } else if (!((cp >= 0xd800 && cp <= 0xdfff) ||
                         (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 ||
                         cp == 0x2029)) {
                i += k;                     /* valid: keep as is */
                continue;
            }
        }
        if ((st = kz_strbuf_add(out, s + start, i - start)) != KZ_OK)
            return st;
        st = rep != NULL ? kz_strbuf_add(out, rep, 2) : add_u(out, cp);
        if (st != KZ_OK)
            return st;
        i += k;
        start = i;
    }
    return kz_strbuf_add(out, s + start, n - start);
}

kz_status
kz_json_string(kz_strbuf *out, const char *s, size_t n)
{
    size_t i = 0;
    kz_status st;
    char *o;

    /* The opening quote and the leading bytes that need nothing are
     * written straight into the buffer (16 at a time with SSE2, the last
     * 16 or the first and last 8 as overlapping blocks, the rest one by
     * one); most strings end there and take their closing quote in the
     * same step. Otherwise kz_json_escape goes on from the first byte
     * that needs a look (a character boundary: every byte before it is
     * plain ASCII). */
    if (n > SIZE_MAX - 2)
        return KZ_ELIMIT;
    if (!(out->cap - out->len > n + 2 && out->max - out->len >= n + 2) &&
        (st = kz_strbuf_reserve(out, n + 2)) != KZ_OK)
        return st;
    o = out->data + out->len + 1;
    o[-1] = '"';
#ifdef __SSE2__
    if (n >= 16) {
        for (;;) {
            /* the block at i, or the last 16 bytes (those before i are
             * plain, so the first byte flagged is at i or after) */
            size_t at = i + 16 <= n ? i : n - 16;
            __m128i v =
                _mm_loadu_si128((const __m128i *)(const void *)(s + at));
            /* signed: below 0x20 and non-ASCII at once */
            __m128i m = _mm_or_si128(
                _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                             _mm_cmpeq_epi8(v, _mm_set1_epi8('"'))),
                _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\')),
                             _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f))));
            unsigned bits = (unsigned)_mm_movemask_epi8(m);

            _mm_storeu_si128((__m128i *)(void *)(o + at), v);
            if (bits != 0) {
                i = at + (size_t)__builtin_ctz(bits);
                goto rest;
            }
            i = at + 16;
            if (i == n)
                goto done;
        }
    }
#endif
    if (n >= 8) {
        uint64_t a, b;

        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        if (plain8(a) && plain8(b)) {
            memcpy(o, &a, 8);
            memcpy(o + n - 8, &b, 8);
            goto done;
        }
        while (i + 8 <= n) {
            memcpy(&a, s + i, 8);
            if (!plain8(a))
                break;
            memcpy(o + i, &a, 8);
            i += 8;
        }
    }
    while (i < n && plain[(unsigned char)s[i]]) {
        o[i] = s[i];
        i++;
    }
    if (i < n)
        goto rest;
done:
    o[n] = '"';
    out->len += n + 2;
    out->data[out->len] = '\0';
    return KZ_OK;
rest:
    out->len += 1 + i;
    out->data[out->len] = '\0';
    if ((st = kz_json_escape(out, s + i, n - i)) != KZ_OK)
        return st;
    return kz_strbuf_addc(out, '"');
}

kz_status
kz_json_string_utf16(kz_strbuf *out, const uint8_t *p, size_t n)
{
    size_t i = 0;
    kz_status st;
    char *o;

    /* Worst case: 6 bytes of \uXXXX per unit, plus the quotes. */
    if (n > (SIZE_MAX - 2) / 6)
        return KZ_ELIMIT;
    if ((st = kz_strbuf_reserve(out, 6 * n + 2)) != KZ_OK)
        return st;
    o = out->data + out->len;
    *o++ = '"';
    while (i < n) {
        uint32_t c;
        const char *rep = NULL;

        /* Four plain ASCII units at a time (SWAR on their low bytes). */
        while (i + 4 <= n) {
            uint64_t w;
            uint32_t lo;

            memcpy(&w, p + 2 * i, 8);
            if (w & 0xFF00FF00FF00FF00ULL)
                break;
            lo = (uint32_t)((w & 0xFF) | ((w >> 8) & 0xFF00) |
                            ((w >> 16) & 0xFF0000) | ((w >> 24) & 0xFF000000));
            /* Upper half 'aaaa': plain, so only lo decides. */
            if (!plain8(lo | 0x6161616100000000ULL))
                break;
            memcpy(o, &lo, 4);
            o += 4;
            i += 4;
        }
        if (i >= n)
            break;
        c = (uint32_t)p[2 * i] | ((uint32_t)p[2 * i + 1] << 8);
        i++;
        if (c < 0x80) {
            if (plain[c]) {
                *o++ = (char)c;
                continue;
            }
            rep = short_escape(c);
            if (rep != NULL) {
                *o++ = rep[0];
                *o++ = rep[1];
                continue;
            }
        } else if (c >= 0xD800 && c <= 0xDBFF && i < n) {
            uint32_t d = (uint32_t)p[2 * i] | ((uint32_t)p[2 * i + 1] << 8);

            if (d >= 0xDC00 && d <= 0xDFFF) {
                i++;
                c = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
                *o++ = (char)(0xF0 | (c >> 18));
                *o++ = (char)(0x80 | ((c >> 12) & 0x3F));
                *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
                *o++ = (char)(0x80 | (c & 0x3F));
                continue;
            }
        }
        if (c >= 0x80 && !(c <= 0x9F || (c >= 0xD800 && c <= 0xDFFF) ||
                           c == 0x2028 || c == 0x2029)) {
            if (c < 0x800) {
                *o++ = (char)(0xC0 | (c >> 6));
            } else {
                *o++ = (char)(0xE0 | (c >> 12));
                *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
            }
            *o++ = (char)(0x80 | (c & 0x3F));
            continue;
        }
        /* Controls, DEL, C1, line separators, lone surrogates: \uXXXX. */
        *o++ = '\\';
        *o++ = 'u';
        *o++ = hexd[(c >> 12) & 15];
        *o++ = hexd[(c >> 8) & 15];
        *o++ = hexd[(c >> 4) & 15];
        *o++ = hexd[c & 15];
    }
    *o++ = '"';
    out->len = (size_t)(o - out->data);
    out->data[out->len] = '\0';
    return KZ_OK;
}

/* True for code points a terminal would act on rather than show (and,
 * with line_seps, the Unicode line and paragraph separators). */
static bool
term_hidden(uint32_t cp, bool line_seps)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
           (cp >= 0xd800 && cp <= 0xdfff) ||
           (line_seps && (cp == 0x2028 || cp == 0x2029));
}

kz_status
kz_visible_escape(kz_strbuf *out, const char *s, size_t n, unsigned flags)
{
    const char *hex = (flags & KZ_VIS_UPPER_HEX) ? "0123456789ABCDEF" : hexd;
    bool bslash = (flags & KZ_VIS_BACKSLASH) != 0;
    bool names = (flags & KZ_VIS_WS_NAMES) != 0;
    bool seps = (flags & KZ_VIS_LINE_SEPS) != 0;
    size_t i = 0, start = 0, k, j;
    uint32_t cp;
    kz_status st;
    unsigned char c;
    char t[4] = { '\\', 'x', 0, 0 };

    while (i < n) {
        /* Eight plain bytes at a time (SWAR). */
        while (i + 8 <= n) {
            uint64_t v;

            memcpy(&v, s + i, 8);
            if (!printable8(v) || (bslash && has_byte(v, '\\')))
                break;
            i += 8;
        }
        if (i >= n)
            break;
        c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && (c != '\\' || !bslash)) {
            i++;
            continue;
        }
        k = 1;
        if (c >= 0x80) {
            k = kz_utf8_decode(s + i, n - i, &cp);
            if (k != 0 && !term_hidden(cp, seps)) {
                i += k;
                continue;
            }
            if (k == 0)
                k = 1;
        }
        if ((st = kz_strbuf_add(out, s + start, i - start)) != KZ_OK)
            return st;
        if (c == '\\') {
            if ((st = kz_strbuf_add(out, "\\\\", 2)) != KZ_OK)
                return st;
        } else if (names && (c == '\n' || c == '\r' || c == '\t')) {
            char e[2] = { '\\', c == '\n' ? 'n' : c == '\r' ? 'r' : 't' };

            if ((st = kz_strbuf_add(out, e, 2)) != KZ_OK)
                return st;
        } else {
            for (j = 0; j < k; j++) {
                c = (unsigned char)s[i + j];
                t[2] = hex[c >> 4];
                t[3] = hex[c & 15];
                if ((st = kz_strbuf_add(out, t, sizeof(t))) != KZ_OK)
                    return st;
            }
        }
        i += k;
        start = i;
    }
    return kz_strbuf_add(out, s + start, n - start);
}

kz_status
kz_term_escape(kz_strbuf *out, const char *s, size_t n)
{
    return kz_visible_escape(out, s, n, KZ_VIS_BACKSLASH);
}

bool
kz_csv_needs_guard(const char *s, size_t n)
{
    if (n == 0)
        return false;
    switch (s[0]) {
    case '=': case '+': case '-': case '@': case '\t': case '\r':
        return true;
    default:
        return false;
    }
}

kz_status
kz_csv_cell(kz_strbuf *out, const char *s, size_t n)
{
    bool guard = kz_csv_needs_guard(s, n), quote = guard;
    size_t i, start;
    kz_status st;

    for (i = 0; i + 8 <= n && !quote; i += 8) {
        uint64_t v;

        memcpy(&v, s + i, 8);
        quote = has_byte(v, ',') || has_byte(v, '"') || has_byte(v, '\r') ||
                has_byte(v, '\n');
    }
    for (; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote)
        return kz_strbuf_add(out, s, n);
    if ((st = kz_strbuf_addc(out, '"')) != KZ_OK)
        return st;
    if (guard && (st = kz_strbuf_addc(out, '\'')) != KZ_OK)
        return st;
    for (i = start = 0; i < n; i++) {
        if (s[i] != '"')
            continue;
        if ((st = kz_strbuf_add(out, s + start, i + 1 - start)) != KZ_OK)
            return st;
        start = i;                  /* the quote is written again: "" */
    }
    if ((st = kz_strbuf_add(out, s + start, n - start)) != KZ_OK)
        return st;
    return kz_strbuf_addc(out, '"');
}
