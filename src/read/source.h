/*
 * source.h - input discovery: paths to recognised input streams.
 *
 * Walks arguments in order; a directory is walked recursively in byte order
 * of names; symlinks inside directories are not followed (reported,
 * skipped), a symlink given as an argument is; "-" is stdin. Each file is
 * recognised by its bytes: "ElfFile\0" -> EVTX; gzip -> decompressed,
 * then recognised again; zip -> each member in archive (local header)
 * order, recognised again; '{', '[' or a UTF-8/UTF-16 BOM (after optional
 * whitespace) -> JSON. Anything else is reported as unsupported. Rules
 * and failure behaviour: docs/internals/read-source.md.
 *
 * Ownership: the walker owns the strings of the kz_input it fills; they
 * stay valid until the next kz_source_next() or kz_source_free().
 * Threads: one thread.
 */
#ifndef KZ_READ_SOURCE_H
#define KZ_READ_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "read/problem.h"
#include "read/read.h"
#include "read/stream.h"

typedef struct kz_source kz_source;

/* A walker over paths (copied). NULL on OOM. */
kz_source *kz_source_new(const char *const *paths, size_t npaths);

/* Frees the walker and any open stream. Accepts NULL. */
void kz_source_free(kz_source *src);

/* Advances to the next input. On success either *stream is an open stream
 * positioned at byte 0 with *in describing it (kind EVTX or JSON; the
 * caller closes the stream), or *stream is NULL and *prob_path, *prob
 * describe a problem to report (unsupported file, I/O error, symlink), or
 * both are NULL/false at the end (*done = true). Problems never fail the
 * walk; only OOM does. */
kz_status kz_source_next(kz_source *src, kz_input *in, kz_stream **stream,
                         const char **prob_path, kz_problem *prob,
                         bool *have_prob, bool *done, kz_error *err);

/* Bytes of plain input files given on the command line (for progress);
 * computed lazily at the first call. */
uint64_t kz_source_total_bytes(kz_source *src);

#endif /* KZ_READ_SOURCE_H */
