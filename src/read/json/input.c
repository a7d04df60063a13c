/*
 * input.c - reading JSON text from a stream: encoding detection (UTF-8 BOM,
 * UTF-16 LE/BE with or without BOM) and conversion of UTF-16 to UTF-8 so
 * that everything after this file sees UTF-8.
 *
 * UTF-16 is converted block by block; an odd byte or a high surrogate at
 * the end of a block waits for the next one so that pairs split by a block
 * boundary are joined. Unpaired surrogates become WTF-8 (base/utf.h).
 */
#include "read/json/json_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/utf.h"

kz_status
kz_jbuf_reserve(uint8_t **buf, size_t *cap, size_t need)
{
    size_t want, ncap;
    uint8_t *p;

    if (need > SIZE_MAX / 2)
        return KZ_ENOMEM;
    want = need + KZ_JSON_PAD;
    if (*buf != NULL && want <= *cap)
        return KZ_OK;
    ncap = *cap > 4096 ? *cap : 4096;
    while (ncap < want)
        ncap *= 2;
    if ((p = realloc(*buf, ncap)) == NULL)
        return KZ_ENOMEM;
    *buf = p;
    *cap = ncap;
    return KZ_OK;
}

static void
pad(uint8_t *buf, size_t len)
{
    memset(buf + len, 0, KZ_JSON_PAD);
}

/* Converts the whole code units of in->raw (keeping back an odd byte and,
 * before the end, a trailing high surrogate) and appends them to *buf. */
static kz_status
convert(kz_jin *in, uint8_t **buf, size_t *len, size_t *cap, size_t *got)
{
    size_t units = in->raw_len / 2, i, out;
    kz_status st;

    if (!in->eof && units > 0) {
        const uint8_t *last = in->raw + 2 * (units - 1);
        unsigned u = in->enc == KZ_JENC_UTF16LE
                         ? (unsigned)(last[0] | last[1] << 8)
                         : (unsigned)(last[1] | last[0] << 8);

        if (u >= 0xD800 && u <= 0xDBFF)
            units--;
    }
    if (units > SIZE_MAX / 8)
        return KZ_ENOMEM;
    if ((st = kz_jbuf_reserve(buf, cap, *len + KZ_UTF16_TO_UTF8_MAX(units))) !=
        KZ_OK)
        return st;
    if (in->enc == KZ_JENC_UTF16BE) {
        for (i = 0; i < units; i++) {
            uint8_t t = in->raw[2 * i];

            in->raw[2 * i] = in->raw[2 * i + 1];
            in->raw[2 * i + 1] = t;
        }
    }
    out = kz_utf16le_to_utf8(in->raw, units, (char *)*buf + *len);
    *len += out;
    *got = out;
    pad(*buf, *len);
    in->raw_len -= 2 * units;
    memmove(in->raw, in->raw + 2 * units, in->raw_len);
    in->raw_off += 2 * units;
    if (in->eof && in->raw_len != 0) {
        in->odd_tail = true; /* the caller reports it */
        in->raw_len = 0;
    }
    return KZ_OK;
}

/* Reads up to one block of UTF-16 bytes after the pending ones. */
static kz_status
fill_raw(kz_jin *in, kz_stream *s, kz_error *err)
{
    size_t got = 0;
    kz_status st;
    uint8_t *p;

    if (in->raw_cap < in->raw_len + KZ_JSON_BLOCK) {
        if ((p = realloc(in->raw, in->raw_len + KZ_JSON_BLOCK)) == NULL)
            return KZ_ENOMEM;
        in->raw = p;
        in->raw_cap = in->raw_len + KZ_JSON_BLOCK;
    }
    if ((st = kz_stream_read(s, in->raw + in->raw_len, KZ_JSON_BLOCK, &got,
                             err)) != KZ_OK)
        return st;
    in->raw_len += got;
    if (got == 0)
        in->eof = true; /* a short read is not the end: only 0 is */
    return KZ_OK;
}

kz_status
kz_jin_start(kz_jin *in, kz_stream *s, uint8_t **buf, size_t *len, size_t *cap,
             size_t *bom, kz_error *err)
{
    const uint8_t *b = NULL;
    size_t got = 0, n = 0;
    kz_status st;

    memset(in, 0, sizeof(*in));
    *bom = 0;
    *len = 0;
    /* The first bytes tell the encoding; peek so a failure to read them
     * surfaces at the first real read. */
    if (kz_stream_peek(s, 4, &b, &got, NULL) != KZ_OK)
        got = 0;
    if (got >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) {
        *bom = 3;
    } else if (got >= 2 && b[0] == 0xFF && b[1] == 0xFE) {
        in->enc = KZ_JENC_UTF16LE;
        *bom = 2;
    } else if (got >= 2 && b[0] == 0xFE && b[1] == 0xFF) {
        in->enc = KZ_JENC_UTF16BE;
        *bom = 2;
    } else if (got >= 4 && b[0] != 0 && b[1] == 0 && b[2] != 0 && b[3] == 0) {
        in->enc = KZ_JENC_UTF16LE; /* "{\0\"\0": no BOM */
    } else if (got >= 4 && b[0] == 0 && b[1] != 0 && b[2] == 0 && b[3] != 0) {
        in->enc = KZ_JENC_UTF16BE;
    }
    if ((st = kz_jbuf_reserve(buf, cap, KZ_JSON_BLOCK)) != KZ_OK)
        return st;
    if ((st = kz_stream_read(s, *buf, KZ_JSON_BLOCK, &n, err)) != KZ_OK)
        return st;
    if (n == 0)
        in->eof = true;
    if (*bom > n)
        *bom = n;
    if (in->enc == KZ_JENC_UTF8) {
        memmove(*buf, *buf + *bom, n - *bom);
        *len = n - *bom;
        pad(*buf, *len);
        return KZ_OK;
    }
    if ((in->raw = malloc(KZ_JSON_BLOCK)) == NULL)
        return KZ_ENOMEM;
    in->raw_cap = KZ_JSON_BLOCK;
    in->raw_len = n - *bom;
    memcpy(in->raw, *buf + *bom, in->raw_len);
    in->raw_off = *bom;
    return convert(in, buf, len, cap, &got);
}

kz_status
kz_jin_read(kz_jin *in, kz_stream *s, uint8_t **buf, size_t *len, size_t *cap,
            size_t *got, kz_error *err)
{
    size_t n = 0;
    kz_status st;

    *got = 0;
    if (in->enc == KZ_JENC_UTF8) {
        if (in->eof)
            return KZ_OK;
        if ((st = kz_jbuf_reserve(buf, cap, *len + KZ_JSON_BLOCK)) != KZ_OK)
            return st;
        if ((st = kz_stream_read(s, *buf + *len, KZ_JSON_BLOCK, &n, err)) !=
            KZ_OK)
            return st;
        if (n == 0)
            in->eof = true;
        *len += n;
        *got = n;
        pad(*buf, *len);
        return KZ_OK;
    }
    /* A held-back surrogate alone gives no text: read until some comes. */
    while (*got == 0 && !(in->eof && in->raw_len == 0)) {
        if (!in->eof && (st = fill_raw(in, s, err)) != KZ_OK)
            return st;
        if ((st = convert(in, buf, len, cap, got)) != KZ_OK)
            return st;
    }
    return KZ_OK;
}

uint64_t
kz_jin_raw_bytes(int enc, const uint8_t *p, size_t n)
{
    uint64_t units = 0;
    size_t i;

    if (enc == KZ_JENC_UTF8)
        return n;
    /* One code unit per sequence start, two for a 4-byte sequence. */
    for (i = 0; i < n; i++) {
        units += (p[i] & 0xC0) != 0x80;
        units += p[i] >= 0xF0;
    }
    return 2 * units;
}

void
kz_jin_fini(kz_jin *in)
{
    if (in == NULL)
        return;
    free(in->raw);
    in->raw = NULL;
    in->raw_len = in->raw_cap = 0;
}
