/*
 * stream.h - a byte stream an input is read from: a plain file, stdin, a
 * gzip-compressed file or a zip member. Formats read sequentially from it;
 * the first bytes can be peeked for sniffing without being consumed.
 *
 * Ownership: a stream owns its file descriptor / decompressor.
 * Threads: one thread at a time (the pipeline's calling thread).
 */
#ifndef KZ_READ_STREAM_H
#define KZ_READ_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

typedef struct kz_stream kz_stream;

/* Most bytes kz_stream_peek() can show at once. */
#define KZ_STREAM_PEEK_MAX 4096

/* Reads up to n bytes into buf, looping until n bytes or end of stream;
 * *got is 0 at the end. A short read is not the end: read again until
 * *got is 0 or an error comes. I/O and decompression errors fill err
 * (with the offset) and return KZ_EIO / KZ_EFORMAT. Bytes produced before
 * an error are delivered first (KZ_OK, *got > 0, usually a short read);
 * the error comes with the next call, with *got = 0 and err->offset =
 * kz_stream_offset(), the offset where the readable data stops. Errors
 * are sticky: later calls return the same error again. */
kz_status kz_stream_read(kz_stream *s, void *buf, size_t n, size_t *got,
                         kz_error *err);

/* Shows up to n (<= KZ_STREAM_PEEK_MAX) of the next bytes without
 * consuming them: *p points at *got bytes (fewer than n only at the end
 * of the stream or before an error), valid until the next call on s.
 * Fails like kz_stream_read() only when no byte at all is available. */
kz_status kz_stream_peek(kz_stream *s, size_t n, const uint8_t **p,
                         size_t *got, kz_error *err);

/* A stream over n bytes at p (not copied: p must outlive the stream).
 * For tests and in-memory inputs. NULL on OOM. */
kz_stream *kz_stream_from_memory(const void *p, size_t n);

/* Offset of the next byte kz_stream_read returns (decompressed bytes). */
uint64_t kz_stream_offset(const kz_stream *s);

/* Total size if known (plain files, zip members), else 0. */
uint64_t kz_stream_size(const kz_stream *s);

/* Closes the stream. Accepts NULL. */
void kz_stream_close(kz_stream *s);

#endif /* KZ_READ_STREAM_H */
