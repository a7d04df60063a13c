#include "base/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
kz_strbuf_init(kz_strbuf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : KZ_STRBUF_DEFAULT_MAX;
}

void
kz_strbuf_fini(kz_strbuf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void
kz_strbuf_reset(kz_strbuf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

kz_status
kz_strbuf_reserve(kz_strbuf *b, size_t n)
{
    size_t need, cap;
    char *p;

    if (n > b->max || b->len > b->max - n)
        return KZ_ELIMIT;
    need = b->len + n + 1;
    if (need <= b->cap)
        return KZ_OK;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if ((p = realloc(b->data, cap)) == NULL)
        return KZ_ENOMEM;
    b->data = p;
    b->cap = cap;
    return KZ_OK;
}

kz_status
kz_strbuf_add_grow(kz_strbuf *b, const void *p, size_t n)
{
    kz_status st;

    if ((st = kz_strbuf_reserve(b, n)) != KZ_OK)
        return st;
    if (n != 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return KZ_OK;
}

kz_status
kz_strbuf_addf(kz_strbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    kz_status st;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return KZ_EINTERNAL;
    if ((st = kz_strbuf_reserve(b, (size_t)n)) != KZ_OK)
        return st;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return KZ_OK;
}

kz_status
kz_strbuf_add_u64(kz_strbuf *b, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof(tmp);

    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    return kz_strbuf_add(b, tmp + i, sizeof(tmp) - i);
}

kz_status
kz_strbuf_add_i64(kz_strbuf *b, int64_t v)
{
    kz_status st;

    if (v >= 0)
        return kz_strbuf_add_u64(b, (uint64_t)v);
    if ((st = kz_strbuf_addc(b, '-')) != KZ_OK)
        return st;
    return kz_strbuf_add_u64(b, (uint64_t)0 - (uint64_t)v);
}
