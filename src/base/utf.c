#include "base/utf.h"

#include <iconv.h>
#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

size_t
kz_utf8_put(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t
kz_utf16le_to_utf8(const uint8_t *p, size_t n, char *out)
{
    bool valid;

    return kz_utf16le_to_utf8_checked(p, n, out, &valid);
}

size_t
kz_utf16le_to_utf8_checked(const uint8_t *p, size_t n, char *out,
                           bool *valid)
{
    char *o = out;
    size_t i = 0;
    bool lone = false;

    while (i < n) {
        uint32_t c;

#ifdef __SSE2__
        /* ASCII fast path: eight units (16 bytes) at a time, packed to
         * eight bytes when no unit is >= 0x80. */
        while (i + 8 <= n) {
            __m128i v = _mm_loadu_si128((const __m128i *)(p + 2 * i));

            if (_mm_movemask_epi8(_mm_cmpeq_epi16(
                    _mm_and_si128(v, _mm_set1_epi16((short)0xFF80)),
                    _mm_setzero_si128())) != 0xFFFF)
                break;
            _mm_storel_epi64((__m128i *)o, _mm_packus_epi16(v, v));
            o += 8;
            i += 8;
        }
#endif
        /* ASCII fast path: four units at a time. */
        while (i + 4 <= n) {
            uint64_t w;

            memcpy(&w, p + 2 * i, 8);
            if (w & 0xFF80FF80FF80FF80ULL)
                break;
            o[0] = (char)p[2 * i];
            o[1] = (char)p[2 * i + 2];
            o[2] = (char)p[2 * i + 4];
            o[3] = (char)p[2 * i + 6];
            o += 4;
            i += 4;
        }
        if (i >= n)
            break;
        c = (uint32_t)p[2 * i] | ((uint32_t)p[2 * i + 1] << 8);
        i++;
        if (c < 0x80) {
            *o++ = (char)c;
            continue;
        }
        if (c >= 0xD800 && c <= 0xDBFF && i < n) {
            uint32_t d = (uint32_t)p[2 * i] | ((uint32_t)p[2 * i + 1] << 8);

            if (d >= 0xDC00 && d <= 0xDFFF) {
                i++;
                c = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
            }
        }
        if (c >= 0xD800 && c <= 0xDFFF)
            lone = true; /* written as WTF-8 */
        /* A 4-byte sequence comes from 2 units, so 3 bytes a unit holds. */
        o += kz_utf8_put(o, c);
    }
    *valid = !lone;
    return (size_t)(o - out);
}

kz_status
kz_utf16le_append(kz_strbuf *b, const uint8_t *p, size_t n)
{
    bool valid;

    return kz_utf16le_append_checked(b, p, n, &valid);
}

kz_status
kz_utf16le_append_checked(kz_strbuf *b, const uint8_t *p, size_t n,
                          bool *valid)
{
    kz_status st;

    *valid = false;
    if (n > SIZE_MAX / 4)
        return KZ_ELIMIT;
    if ((st = kz_strbuf_reserve(b, KZ_UTF16_TO_UTF8_MAX(n))) != KZ_OK)
        return st;
    b->len += kz_utf16le_to_utf8_checked(p, n, b->data + b->len, valid);
    b->data[b->len] = '\0';
    return KZ_OK;
}

size_t
kz_utf8_decode(const char *str, size_t n, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    uint32_t c;
    size_t len, i;

    if (n == 0)
        return 0;
    c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        c &= 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        c &= 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        c &= 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10FFFF)))
        return 0;
    *cp = c;
    return len;
}

bool
kz_utf8_valid(const char *s, size_t n)
{
    size_t i = 0, k;
    uint32_t cp;

    while (i < n) {
        if ((unsigned char)s[i] < 0x80) {
            uint64_t w;

            i++;
            /* ASCII fast path: eight bytes at a time. */
            while (i + 8 <= n) {
                memcpy(&w, s + i, 8);
                if (w & 0x8080808080808080ULL)
                    break;
                i += 8;
            }
            continue;
        }
        k = kz_utf8_decode(s + i, n - i, &cp);
        if (k == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += k;
    }
    return true;
}

kz_status
kz_utf8_append_cp(kz_strbuf *b, uint32_t cp)
{
    char tmp[4];

    return kz_strbuf_add(b, tmp, kz_utf8_put(tmp, cp));
}

kz_status
kz_utf8_repair(kz_strbuf *b, const char *s, size_t n)
{
    static const char fffd[] = "\xEF\xBF\xBD";
    size_t i = 0, start = 0, k;
    uint32_t cp;
    kz_status st;

    while (i < n) {
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        k = kz_utf8_decode(s + i, n - i, &cp);
        if (k != 0 && !(cp >= 0xD800 && cp <= 0xDFFF)) {
            i += k;
            continue;
        }
        if ((st = kz_strbuf_add(b, s + start, i - start)) != KZ_OK ||
            (st = kz_strbuf_add(b, fffd, 3)) != KZ_OK)
            return st;
        i += k ? k : 1;
        start = i;
    }
    return kz_strbuf_add(b, s + start, n - start);
}

static void
cp_name(unsigned codepage, char *name, size_t size)
{
    if (codepage == 932)
        snprintf(name, size, "CP932");
    else if (codepage == 20127)
        snprintf(name, size, "ASCII");
    else if (codepage == 28591)
        snprintf(name, size, "ISO-8859-1");
    else
        snprintf(name, size, "CP%u", codepage);
}

bool
kz_ansi_codepage_supported(unsigned codepage)
{
    char name[32];
    iconv_t cd;

    if (codepage == 65001)
        return true;
    cp_name(codepage, name, sizeof(name));
    cd = iconv_open("UTF-8", name);
    if (cd == (iconv_t)-1)
        return false;
    iconv_close(cd);
    return true;
}

kz_status
kz_ansi_append(kz_strbuf *b, const uint8_t *p, size_t n, unsigned codepage)
{
    char name[32];
    iconv_t cd;
    char *in = (char *)p, *out;
    size_t inleft = n, outleft, done;
    kz_status st = KZ_OK;

    if (codepage == 65001)
        return kz_utf8_repair(b, (const char *)p, n);
    cp_name(codepage, name, sizeof(name));
    cd = iconv_open("UTF-8", name);
    if (cd == (iconv_t)-1)
        return kz_utf8_repair(b, (const char *)p, n);
    while (inleft > 0) {
        if ((st = kz_strbuf_reserve(b, inleft * 4 + 4)) != KZ_OK)
            break;
        out = b->data + b->len;
        outleft = b->cap - b->len - 1;
        done = iconv(cd, &in, &inleft, &out, &outleft);
        b->len = (size_t)(out - b->data);
        b->data[b->len] = '\0';
        if (done == (size_t)-1 && inleft > 0) {
            /* Unconvertible or truncated byte: mark it and go on. */
            if ((st = kz_strbuf_add(b, "\xEF\xBF\xBD", 3)) != KZ_OK)
                break;
            in++;
            inleft--;
        }
    }
    iconv_close(cd);
    return st;
}

bool
kz_utf16le_ascii_pack(const uint8_t *p, size_t n, char *out)
{
    size_t i = 0;

#ifdef __SSE2__
    for (; i + 8 <= n; i += 8) {
        __m128i w =
            _mm_loadu_si128((const __m128i *)(const void *)(p + 2 * i));
        /* good units: not zero, no bit of 0xFF80 set */
        __m128i hi_ok = _mm_cmpeq_epi16(
            _mm_and_si128(w, _mm_set1_epi16((short)0xFF80)),
            _mm_setzero_si128());
        __m128i zero = _mm_cmpeq_epi16(w, _mm_setzero_si128());

        if (_mm_movemask_epi8(_mm_andnot_si128(zero, hi_ok)) != 0xFFFF)
            return false;
        _mm_storel_epi64((__m128i *)(void *)(out + i),
                         _mm_packus_epi16(w, w));
    }
#endif
    for (; i < n; i++) {
        if (p[2 * i + 1] != 0 || p[2 * i] == 0 || p[2 * i] >= 0x80)
            return false;
        out[i] = (char)p[2 * i];
    }
    return true;
}
