/*
 * error.h - status codes and the error record threaded through kizuki.
 *
 * Fallible functions return kz_status and take an optional trailing
 * kz_error *err. The first failure fills it; callers may add context with
 * kz_error_prefix(). A NULL err is allowed everywhere.
 * Threads: a kz_error belongs to one thread.
 */
#ifndef KZ_BASE_ERROR_H
#define KZ_BASE_ERROR_H

#include <stdint.h>

typedef enum kz_status {
    KZ_OK = 0,        /* success */
    KZ_ENOMEM,        /* allocation failed or a hard bound was reached */
    KZ_EIO,           /* read/write failure of the OS */
    KZ_EFORMAT,       /* malformed input */
    KZ_EUSAGE,        /* bad argument or option */
    KZ_ELIMIT,        /* a documented bound was exceeded */
    KZ_EUNSUPPORTED,  /* input kind not supported */
    KZ_EINTERNAL,     /* broken invariant */
} kz_status;

#define KZ_NO_OFFSET UINT64_MAX

typedef struct kz_error {
    kz_status code;   /* KZ_OK when nothing was recorded */
    uint64_t offset;  /* byte offset in the input, or KZ_NO_OFFSET */
    char msg[512];    /* human-readable, no trailing newline */
} kz_error;

/* Records code and message (printf-style) in err, if err is not NULL and
 * holds no error yet, and returns code. */
kz_status kz_error_set(kz_error *err, kz_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like kz_error_set and also records the input offset. */
kz_status kz_error_set_at(kz_error *err, kz_status code, uint64_t offset,
                          const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prepends printf-style context to err->msg ("file.evtx: " + msg). */
void kz_error_prefix(kz_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Clears err to "no error". Accepts NULL. */
void kz_error_clear(kz_error *err);

/* A short lower-case name of a status ("out of memory", ...). */
const char *kz_status_str(kz_status st);

#endif /* KZ_BASE_ERROR_H */
