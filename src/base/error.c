#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void vset(kz_error *err, kz_status code, uint64_t offset,
                 const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void
vset(kz_error *err, kz_status code, uint64_t offset, const char *fmt,
     va_list ap)
{
    if (err == NULL || err->code != KZ_OK)
        return;
    err->code = code;
    err->offset = offset;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

kz_status
kz_error_set(kz_error *err, kz_status code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vset(err, code, KZ_NO_OFFSET, fmt, ap);
    va_end(ap);
    return code;
}

kz_status
kz_error_set_at(kz_error *err, kz_status code, uint64_t offset,
                const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vset(err, code, offset, fmt, ap);
    va_end(ap);
    return code;
}

void
kz_error_prefix(kz_error *err, const char *fmt, ...)
{
    char pre[256];
    char old[sizeof(err->msg)];
    va_list ap;

    if (err == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof(pre), fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof(old));
    snprintf(err->msg, sizeof(err->msg), "%.200s%.300s", pre, old);
}

void
kz_error_clear(kz_error *err)
{
    if (err == NULL)
        return;
    err->code = KZ_OK;
    err->offset = KZ_NO_OFFSET;
    err->msg[0] = '\0';
}

const char *
kz_status_str(kz_status st)
{
    switch (st) {
    case KZ_OK: return "ok";
    case KZ_ENOMEM: return "out of memory";
    case KZ_EIO: return "i/o error";
    case KZ_EFORMAT: return "malformed input";
    case KZ_EUSAGE: return "usage error";
    case KZ_ELIMIT: return "limit exceeded";
    case KZ_EUNSUPPORTED: return "unsupported input";
    case KZ_EINTERNAL: return "internal error";
    }
    return "unknown error";
}
