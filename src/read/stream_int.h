/*
 * stream_int.h - private to src/read: how a kind of stream plugs into
 * kz_stream, and the constructors the source walker uses (files, stdin,
 * gzip, zip members). See docs/internals/read-source.md.
 *
 * A kind supplies fill() (produce the next bytes) and close(); the generic
 * layer in stream.c adds the peek buffer, the offset, and the rule that
 * bytes produced before an error are delivered before the error.
 *
 * Ownership: a gzip stream owns the stream it decompresses. A zip archive
 * owns the stream it reads; each member stream holds a reference to its
 * archive, so closing the archive and its members in any order is safe.
 * Threads: one thread at a time per stream (and per archive with its
 * members).
 */
#ifndef KZ_READ_STREAM_INT_H
#define KZ_READ_STREAM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "read/stream.h"

/* Most gzip and zip layers that may wrap each other around one input. */
#define KZ_STREAM_MAX_NEST 4

/* One kind of stream. */
typedef struct kz_stream_ops {
    const char *name;  /* "file", "memory", "gzip", "zip member" */
    /* Produces up to n bytes at buf. KZ_OK with *got > 0, or KZ_OK with
     * *got == 0 at the end, or an error (err filled) with *got bytes
     * produced before it. */
    kz_status (*fill)(kz_stream *s, uint8_t *buf, size_t n, size_t *got,
                      kz_error *err);
    /* Frees the kind's state (s->impl); s itself is freed by the caller. */
    void (*close)(kz_stream *s);
} kz_stream_ops;

struct kz_stream {
    const kz_stream_ops *ops;   /* the kind */
    void *impl;                 /* the kind's state */
    uint64_t size;              /* total bytes if known, else 0 */
    uint64_t off;               /* bytes handed out by read */
    uint64_t produced;          /* bytes produced by fill */
    size_t pb_pos;              /* first unread byte in pb */
    size_t pb_len;              /* bytes held in pb */
    bool eof;                   /* fill reported the end */
    kz_status pending;          /* error waiting behind buffered bytes */
    kz_error pending_err;       /* its details */
    uint8_t pb[KZ_STREAM_PEEK_MAX]; /* peeked, not yet read bytes */
};

/* A stream of the given kind over impl (owned from now on: on failure it
 * is closed with ops->close). NULL on OOM. */
kz_stream *kz_stream_new(const kz_stream_ops *ops, void *impl,
                         uint64_t size);

/* A stream reading fd; closes it at the end if own_fd. size as known
 * (0 if not). NULL on OOM (fd is then closed if own_fd). */
kz_stream *kz_stream_from_fd(int fd, bool own_fd, uint64_t size);

/* A stream of the gzip-decompressed bytes of in (all members of a
 * multi-member file; trailing bytes that are not a gzip member are an
 * error). Takes ownership of in, also on failure. NULL on OOM. */
kz_stream *kz_stream_gunzip(kz_stream *in);

/* A zip archive read sequentially from a stream (members in the order of
 * their local headers). */
typedef struct kz_zip kz_zip;

/* What a member is. */
typedef enum kz_zip_kind {
    KZ_ZIP_FILE,      /* a regular file: has a stream */
    KZ_ZIP_DIR,       /* a directory: nothing to read */
    KZ_ZIP_OTHER,     /* a symlink or device entry */
} kz_zip_kind;

/* One member, as returned by kz_zip_next(). */
typedef struct kz_zip_entry {
    const char *name;   /* path inside the archive, raw bytes; valid until
                           the next kz_zip_next() */
    kz_zip_kind kind;   /* what it is */
    uint64_t size;      /* uncompressed size if known, else 0 */
    bool encrypted;     /* data cannot be read */
} kz_zip_entry;

/* Opens an archive over in; takes ownership of in, also on failure.
 * KZ_EFORMAT if libarchive rejects it, KZ_ENOMEM. */
kz_status kz_zip_open(kz_stream *in, kz_zip **out, kz_error *err);

/* Moves to the next member: *done at the end; otherwise *e describes it
 * and, for a readable file, *member is a stream of its bytes (the caller
 * closes it; reading it after the next kz_zip_next() fails). A damaged
 * member header returns KZ_EFORMAT (err->offset: offset in the archive
 * stream); calling again goes on with the next member when the archive
 * allows it, else reports *done. */
kz_status kz_zip_next(kz_zip *z, kz_zip_entry *e, kz_stream **member,
                      bool *done, kz_error *err);

/* Drops the caller's reference; the archive is freed once its member
 * streams are closed too. Accepts NULL. */
void kz_zip_close(kz_zip *z);

#endif /* KZ_READ_STREAM_INT_H */
