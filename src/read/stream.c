/*
 * stream.c - the generic byte stream (peek buffer, offsets, delayed
 * errors) and its two simplest kinds: memory and file descriptors.
 *
 * Why delayed errors: a damaged gzip member or a failing disk still gave
 * good bytes before the failure; readers must see all of them, then the
 * error at the exact offset where the good bytes stop.
 */
#include "read/stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "read/stream_int.h"

kz_stream *
kz_stream_new(const kz_stream_ops *ops, void *impl, uint64_t size)
{
    kz_stream *s;

    if ((s = calloc(1, sizeof(*s))) == NULL) {
        kz_stream tmp = { .ops = ops, .impl = impl };
        ops->close(&tmp);
        return NULL;
    }
    s->ops = ops;
    s->impl = impl;
    s->size = size;
    s->pending = KZ_OK;
    kz_error_clear(&s->pending_err);
    return s;
}

void
kz_stream_close(kz_stream *s)
{
    if (s == NULL)
        return;
    s->ops->close(s);
    free(s);
}

uint64_t
kz_stream_offset(const kz_stream *s)
{
    return s->off;
}

uint64_t
kz_stream_size(const kz_stream *s)
{
    return s->size;
}

/* Calls fill once; an error is kept in s->pending, stamped with the
 * offset where the produced bytes stop. */
static void
fill_once(kz_stream *s, uint8_t *buf, size_t n, size_t *got)
{
    kz_error e;
    kz_status st;

    *got = 0;
    if (s->eof || s->pending != KZ_OK || n == 0)
        return;
    kz_error_clear(&e);
    st = s->ops->fill(s, buf, n, got, &e);
    if (*got > n)                       /* a kind's bug; never trust it */
        *got = n;
    s->produced += *got;
    if (st != KZ_OK) {
        if (e.code == KZ_OK)
            kz_error_set(&e, st, "%s: %s", s->ops->name, kz_status_str(st));
        e.offset = s->produced;
        s->pending = st;
        s->pending_err = e;
    } else if (*got == 0) {
        s->eof = true;
    }
}

/* Copies the pending error out; returns it. */
static kz_status
report_pending(kz_stream *s, kz_error *err)
{
    if (err != NULL && err->code == KZ_OK)
        *err = s->pending_err;
    return s->pending;
}

kz_status
kz_stream_read(kz_stream *s, void *buf, size_t n, size_t *got,
               kz_error *err)
{
    uint8_t *out = buf;
    size_t total = 0, k;

    *got = 0;
    if (s->pb_pos < s->pb_len) {
        k = s->pb_len - s->pb_pos;
        if (k > n)
            k = n;
        memcpy(out, s->pb + s->pb_pos, k);
        s->pb_pos += k;
        total += k;
    }
    while (total < n && !s->eof && s->pending == KZ_OK) {
        fill_once(s, out + total, n - total, &k);
        total += k;
    }
    s->off += total;
    *got = total;
    if (total == 0 && s->pending != KZ_OK)
        return report_pending(s, err);
    return KZ_OK;
}

kz_status
kz_stream_peek(kz_stream *s, size_t n, const uint8_t **p, size_t *got,
               kz_error *err)
{
    size_t k;

    if (n > KZ_STREAM_PEEK_MAX)
        n = KZ_STREAM_PEEK_MAX;
    if (s->pb_len - s->pb_pos < n && s->pb_pos > 0) {
        memmove(s->pb, s->pb + s->pb_pos, s->pb_len - s->pb_pos);
        s->pb_len -= s->pb_pos;
        s->pb_pos = 0;
    }
    while (s->pb_len - s->pb_pos < n && !s->eof && s->pending == KZ_OK) {
        fill_once(s, s->pb + s->pb_len, n - (s->pb_len - s->pb_pos), &k);
        s->pb_len += k;
    }
    *p = s->pb + s->pb_pos;
    *got = s->pb_len - s->pb_pos;
    if (*got > n)
        *got = n;
    if (*got == 0 && s->pending != KZ_OK)
        return report_pending(s, err);
    return KZ_OK;
}

/* --- memory ------------------------------------------------------------ */

typedef struct mem_impl {
    const uint8_t *p;   /* the bytes (not owned) */
    size_t n;           /* their count */
    size_t pos;         /* next byte */
} mem_impl;

static kz_status
mem_fill(kz_stream *s, uint8_t *buf, size_t n, size_t *got, kz_error *err)
{
    mem_impl *m = s->impl;
    size_t k = m->n - m->pos;

    (void)err;
    if (k > n)
        k = n;
    if (k > 0)
        memcpy(buf, m->p + m->pos, k);
    m->pos += k;
    *got = k;
    return KZ_OK;
}

static void
mem_close(kz_stream *s)
{
    free(s->impl);
}

static const kz_stream_ops mem_ops = { "memory", mem_fill, mem_close };

kz_stream *
kz_stream_from_memory(const void *p, size_t n)
{
    mem_impl *m;

    if ((m = calloc(1, sizeof(*m))) == NULL)
        return NULL;
    m->p = p;
    m->n = p != NULL ? n : 0;
    return kz_stream_new(&mem_ops, m, m->n);
}

/* --- file descriptors -------------------------------------------------- */

typedef struct fd_impl {
    int fd;             /* descriptor */
    bool own;           /* close it at the end */
} fd_impl;

static kz_status
fd_fill(kz_stream *s, uint8_t *buf, size_t n, size_t *got, kz_error *err)
{
    fd_impl *f = s->impl;
    ssize_t r;

    *got = 0;
    if (n > ((size_t)1 << 30))          /* read() takes at most SSIZE_MAX */
        n = (size_t)1 << 30;
    do {
        r = read(f->fd, buf, n);
    } while (r < 0 && errno == EINTR);
    if (r < 0)
        return kz_error_set(err, KZ_EIO, "read: %s", strerror(errno));
    *got = (size_t)r;
    return KZ_OK;
}

static void
fd_close(kz_stream *s)
{
    fd_impl *f = s->impl;

    if (f == NULL)
        return;
    if (f->own && f->fd >= 0)
        close(f->fd);
    free(f);
}

static const kz_stream_ops fd_ops = { "file", fd_fill, fd_close };

kz_stream *
kz_stream_from_fd(int fd, bool own_fd, uint64_t size)
{
    fd_impl *f;

    if ((f = calloc(1, sizeof(*f))) == NULL) {
        if (own_fd)
            close(fd);
        return NULL;
    }
    f->fd = fd;
    f->own = own_fd;
    return kz_stream_new(&fd_ops, f, size);
}
