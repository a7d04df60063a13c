#include "event/value.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/time.h"
#include "base/utf.h"

/* Byte size of one item of a fixed-size type, 0 for variable-size types. */
static size_t
item_size(uint8_t base, uint32_t len)
{
    switch (base) {
    case KZ_VT_INT8:
    case KZ_VT_UINT8:
        return 1;
    case KZ_VT_INT16:
    case KZ_VT_UINT16:
        return 2;
    case KZ_VT_INT32:
    case KZ_VT_UINT32:
    case KZ_VT_REAL32:
    case KZ_VT_BOOL:
    case KZ_VT_HEX32:
        return 4;
    case KZ_VT_INT64:
    case KZ_VT_UINT64:
    case KZ_VT_REAL64:
    case KZ_VT_FILETIME:
    case KZ_VT_HEX64:
        return 8;
    case KZ_VT_GUID:
    case KZ_VT_SYSTIME:
        return 16;
    case KZ_VT_SIZET:
        return len == 4 ? 4 : 8;
    default:
        return 0;
    }
}

size_t
kz_value_count(const kz_value *v)
{
    uint8_t base = v->type & 0x7F;
    size_t sz, n, i;

    if (v->type == KZ_VT_NULL)
        return 0;
    if (!(v->type & KZ_VT_ARRAY))
        return 1;
    if (base == KZ_VT_STRING) {
        /* NUL-separated UTF-16; a trailing NUL ends the last item. */
        if (v->len < 2)
            return 0;
        for (i = 0, n = 1; i + 1 < v->len; i += 2)
            if (v->data[i] == 0 && v->data[i + 1] == 0 && i + 2 < v->len)
                n++;
        return n;
    }
    if (base == KZ_VT_ANSI) {
        if (v->len == 0)
            return 0;
        for (i = 0, n = 1; i < v->len; i++)
            if (v->data[i] == 0 && i + 1 < v->len)
                n++;
        return n;
    }
    if (base == KZ_VT_SID) {
        for (i = 0, n = 0; i + 8 <= v->len; n++)
            i += 8 + 4 * (size_t)v->data[i + 1];
        return n;
    }
    sz = item_size(base, base == KZ_VT_SIZET ? 8 : v->len);
    return sz ? v->len / sz : 1;
}

kz_value
kz_value_item(const kz_value *v, size_t idx)
{
    kz_value r = *v;
    uint8_t base = v->type & 0x7F;
    size_t i, start, k, sz;

    if (!(v->type & KZ_VT_ARRAY))
        return r;
    r.type = base;
    r.len = 0;
    if (base == KZ_VT_STRING || base == KZ_VT_ANSI) {
        size_t unit = base == KZ_VT_STRING ? 2 : 1;

        for (i = 0, start = 0, k = 0; i + unit <= v->len; i += unit) {
            bool nul = v->data[i] == 0 && (unit == 1 || v->data[i + 1] == 0);

            if (!nul)
                continue;
            if (k == idx) {
                r.data = v->data + start;
                r.len = (uint32_t)(i - start);
                return r;
            }
            k++;
            start = i + unit;
        }
        if (k == idx) {
            r.data = v->data + start;
            r.len = (uint32_t)(v->len - start);
        }
        return r;
    }
    if (base == KZ_VT_SID) {
        for (i = 0, k = 0; i + 8 <= v->len; k++) {
            sz = 8 + 4 * (size_t)v->data[i + 1];
            if (k == idx) {
                r.data = v->data + i;
                r.len = (uint32_t)(sz <= v->len - i ? sz : v->len - i);
                return r;
            }
            i += sz;
        }
        return r;
    }
    sz = item_size(base, 8);
    if (sz != 0 && (idx + 1) * sz <= v->len) {
        r.data = v->data + idx * sz;
        r.len = (uint32_t)sz;
    }
    return r;
}

bool
kz_value_int(const kz_value *v, int64_t *out)
{
    const uint8_t *p = v->data;
    size_t i;
    int64_t x = 0;
    bool neg = false;

    switch (v->type) {
    case KZ_VT_INT8:
        if (v->len < 1) return false;
        *out = (int8_t)p[0];
        return true;
    case KZ_VT_UINT8:
        if (v->len < 1) return false;
        *out = p[0];
        return true;
    case KZ_VT_INT16:
        if (v->len < 2) return false;
        *out = (int16_t)(p[0] | (p[1] << 8));
        return true;
    case KZ_VT_UINT16:
        if (v->len < 2) return false;
        *out = (uint16_t)(p[0] | (p[1] << 8));
        return true;
    case KZ_VT_INT32:
    case KZ_VT_UINT32: {
        uint32_t u;

        if (v->len < 4) return false;
        u = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
            ((uint32_t)p[3] << 24);
        *out = v->type == KZ_VT_INT32 ? (int64_t)(int32_t)u : (int64_t)u;
        return true;
    }
    case KZ_VT_INT64:
    case KZ_VT_UINT64: {
        uint64_t u = 0;

        if (v->len < 8) return false;
        for (i = 0; i < 8; i++)
            u |= (uint64_t)p[i] << (8 * i);
        if (v->type == KZ_VT_UINT64 && u > INT64_MAX)
            return false; /* renders as digits; no JSON int64 loss */
        *out = (int64_t)u;
        return true;
    }
    case KZ_VT_JSON_NUM:
        if (v->len == 0 || v->len > 19)
            return false;
        i = 0;
        if (p[0] == '-') {
            neg = true;
            i = 1;
            if (v->len == 1) return false;
        }
        for (; i < v->len; i++) {
            if (p[i] < '0' || p[i] > '9')
                return false;
            x = x * 10 + (p[i] - '0');
        }
        *out = neg ? -x : x;
        return true;
    default:
        return false;
    }
}

bool
kz_value_is_json_scalar(const kz_value *v)
{
    int64_t x;

    if (v->type == KZ_VT_JSON_NUM || v->type == KZ_VT_JSON_BOOL)
        return true;
    if (v->type == KZ_VT_UINT64 && v->len >= 8)
        return true;
    return kz_value_int(v, &x);
}

static const char hexup[] = "0123456789ABCDEF";

/* Appends bytes p[0..n) as upper-case hex, most significant first when
 * `reverse` (little-endian integers inside a GUID). */
static char *
put_hex(char *o, const uint8_t *p, size_t n, bool reverse)
{
    size_t i;

    for (i = 0; i < n; i++) {
        uint8_t b = reverse ? p[n - 1 - i] : p[i];

        *o++ = hexup[b >> 4];
        *o++ = hexup[b & 15];
    }
    return o;
}

static kz_status
render_guid(const uint8_t *p, kz_strbuf *out)
{
    char tmp[38], *o = tmp;

    *o++ = '{';
    o = put_hex(o, p, 4, true);
    *o++ = '-';
    o = put_hex(o, p + 4, 2, true);
    *o++ = '-';
    o = put_hex(o, p + 6, 2, true);
    *o++ = '-';
    o = put_hex(o, p + 8, 2, false);
    *o++ = '-';
    o = put_hex(o, p + 10, 6, false);
    *o++ = '}';
    return kz_strbuf_add(out, tmp, sizeof(tmp));
}

static kz_status
render_sid(const uint8_t *p, size_t len, kz_strbuf *out)
{
    uint64_t auth = 0;
    size_t n, i;
    kz_status st;

    if (len < 8)
        return KZ_EFORMAT;
    n = p[1];
    if (8 + 4 * n > len)
        return KZ_EFORMAT;
    for (i = 2; i < 8; i++)
        auth = (auth << 8) | p[i];
    if ((st = kz_strbuf_add(out, "S-", 2)) != KZ_OK ||
        (st = kz_strbuf_add_u64(out, p[0])) != KZ_OK ||
        (st = kz_strbuf_addc(out, '-')) != KZ_OK ||
        (st = kz_strbuf_add_u64(out, auth)) != KZ_OK)
        return st;
    for (i = 0; i < n; i++) {
        const uint8_t *q = p + 8 + 4 * i;

        if ((st = kz_strbuf_addc(out, '-')) != KZ_OK ||
            (st = kz_strbuf_add_u64(out, (uint32_t)q[0] |
                                             ((uint32_t)q[1] << 8) |
                                             ((uint32_t)q[2] << 16) |
                                             ((uint32_t)q[3] << 24))) !=
                KZ_OK)
            return st;
    }
    return KZ_OK;
}

/* Appends "0x" and the lower-case hex of u without leading zeros. */
static kz_status
render_hex(uint64_t u, kz_strbuf *out)
{
    static const char hexlo[] = "0123456789abcdef";
    char tmp[18];
    size_t i = sizeof(tmp);

    do {
        tmp[--i] = hexlo[u & 15];
        u >>= 4;
    } while (u != 0);
    tmp[--i] = 'x';
    tmp[--i] = '0';
    return kz_strbuf_add(out, tmp + i, sizeof(tmp) - i);
}

/* Appends the text of scalar v; clears *valid unless the text appended is
 * known to be valid UTF-8 (ASCII renderings, UTF-16 without a lone
 * surrogate). */
static kz_status
render_scalar(const kz_value *v, const kz_render_opts *o, kz_strbuf *out,
              bool *valid)
{
    const uint8_t *p = v->data;
    size_t n = v->len, need = item_size(v->type, v->len), i;
    int64_t x;
    uint64_t u = 0;
    kz_time t;
    kz_status st;

    if (need != 0 && n < need)
        return KZ_EFORMAT;
    switch (v->type) {
    case KZ_VT_NULL:
        return KZ_OK;
    case KZ_VT_STRING: {
        bool ok = false;

        while (n >= 2 && p[n - 1] == 0 && p[n - 2] == 0)
            n -= 2;
        st = kz_utf16le_append_checked(out, p, n / 2, &ok);
        if (!ok)
            *valid = false;
        return st;
    }
    case KZ_VT_ANSI:
        *valid = false; /* code page 65001 passes bytes through */
        while (n >= 1 && p[n - 1] == 0)
            n--;
        return kz_ansi_append(out, p, n, o && o->ansi_codepage ?
                                             o->ansi_codepage : 1252);
    case KZ_VT_UTF8:
    case KZ_VT_JSON_NUM:
    case KZ_VT_JSON_BOOL:
    case KZ_VT_EVTXML:
        *valid = false; /* bytes as the reader stored them */
        return kz_strbuf_add(out, p, n);
    case KZ_VT_INT8:
    case KZ_VT_UINT8:
    case KZ_VT_INT16:
    case KZ_VT_UINT16:
    case KZ_VT_INT32:
    case KZ_VT_UINT32:
    case KZ_VT_INT64:
        if (!kz_value_int(v, &x))
            return KZ_EFORMAT;
        return kz_strbuf_add_i64(out, x);
    case KZ_VT_UINT64:
        for (i = 0; i < 8; i++)
            u |= (uint64_t)p[i] << (8 * i);
        return kz_strbuf_add_u64(out, u);
    case KZ_VT_REAL32: {
        float f;

        memcpy(&f, p, 4);
        return kz_strbuf_addf(out, "%.9g", (double)f);
    }
    case KZ_VT_REAL64: {
        double d;

        memcpy(&d, p, 8);
        return kz_strbuf_addf(out, "%.17g", d);
    }
    case KZ_VT_BOOL:
        return kz_strbuf_adds(out, (p[0] | p[1] | p[2] | p[3]) ? "true" : "false");
    case KZ_VT_BINARY:
    case KZ_VT_EVTHANDLE:
        if ((st = kz_strbuf_reserve(out, 2 * n)) != KZ_OK)
            return st;
        out->len = (size_t)(put_hex(out->data + out->len, p, n, false) -
                            out->data);
        out->data[out->len] = '\0';
        return KZ_OK;
    case KZ_VT_GUID:
        return render_guid(p, out);
    case KZ_VT_SIZET:
    case KZ_VT_HEX32:
    case KZ_VT_HEX64:
        for (i = 0; i < need; i++)
            u |= (uint64_t)p[i] << (8 * i);
        return render_hex(u, out);
    case KZ_VT_FILETIME:
        for (i = 0; i < 8; i++)
            u |= (uint64_t)p[i] << (8 * i);
        if (u > (uint64_t)INT64_MAX)
            return kz_strbuf_addf(out, "0x%" PRIx64, u);
        return kz_time_format_xml(out, (kz_time)u);
    case KZ_VT_SYSTIME: {
        uint16_t w[8];

        for (i = 0; i < 8; i++)
            w[i] = (uint16_t)(p[2 * i] | (p[2 * i + 1] << 8));
        if (!kz_time_from_systemtime(w, &t))
            return kz_strbuf_addf(out, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ",
                                  w[0], w[1], w[3], w[4], w[5], w[6], w[7]);
        return kz_time_format_xml(out, t);
    }
    case KZ_VT_SID:
        return render_sid(p, n, out);
    default:
        /* Unknown type: show the bytes, never drop them. */
        if ((st = kz_strbuf_reserve(out, 2 * n)) != KZ_OK)
            return st;
        for (i = 0; i < n; i++)
            if ((st = kz_strbuf_addf(out, "%02X", p[i])) != KZ_OK)
                return st;
        return KZ_OK;
    }
}

kz_status
kz_value_render(const kz_value *v, const kz_render_opts *o, kz_strbuf *out)
{
    bool valid;

    return kz_value_render_checked(v, o, out, &valid);
}

kz_status
kz_value_render_checked(const kz_value *v, const kz_render_opts *o,
                        kz_strbuf *out, bool *valid_utf8)
{
    size_t n, i, mark = out->len;
    kz_value item;
    kz_status st;

    *valid_utf8 = true;
    if (!(v->type & KZ_VT_ARRAY)) {
        st = render_scalar(v, o, out, valid_utf8);
        goto out;
    }
    /* An array rendered as one text: items joined by ", " (the reader
     * normally splits arrays into one field per item). */
    n = kz_value_count(v);
    st = KZ_OK;
    for (i = 0; i < n && st == KZ_OK; i++) {
        item = kz_value_item(v, i);
        if (i != 0)
            st = kz_strbuf_add(out, ", ", 2);
        if (st == KZ_OK)
            st = render_scalar(&item, o, out, valid_utf8);
    }
out:
    if (st != KZ_OK)
        *valid_utf8 = false;
    if (st != KZ_OK && st != KZ_ENOMEM && st != KZ_ELIMIT) {
        out->len = mark;
        if (out->data != NULL)
            out->data[mark] = '\0';
    }
    return st;
}
