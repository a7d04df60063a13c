/*
 * problem.h - what a reader could not read, and where.
 *
 * Every input byte is either parsed or reported (DESIGN.md Invariants): a
 * problem names the input, the offset, the chunk or line, the reason, and
 * how many bytes were lost (an "unreadable range"). Problems travel with
 * the batch of the unit that found them, so they are reported in input
 * order whatever the thread count.
 */
#ifndef KZ_READ_PROBLEM_H
#define KZ_READ_PROBLEM_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/error.h"

/* X-macro: kind, short name shown in summaries. */
#define KZ_PROBLEM_KINDS(X)                                       \
    X(KZ_PROB_UNSUPPORTED, "unsupported file")                    \
    X(KZ_PROB_IO, "i/o error")                                    \
    X(KZ_PROB_ARCHIVE, "damaged archive")                         \
    X(KZ_PROB_EMPTY, "file yielded no events")                    \
    X(KZ_PROB_EVTX_HEADER, "evtx file header")                    \
    X(KZ_PROB_EVTX_TRUNCATED, "evtx truncated")                   \
    X(KZ_PROB_CHUNK_MAGIC, "evtx chunk signature")                \
    X(KZ_PROB_CHUNK_HEADER, "evtx chunk header")                  \
    X(KZ_PROB_CHUNK_CRC, "evtx chunk checksum")                   \
    X(KZ_PROB_RECORD, "evtx record framing")                      \
    X(KZ_PROB_BINXML, "evtx record content")                      \
    X(KZ_PROB_JSON_SYNTAX, "json syntax")                         \
    X(KZ_PROB_JSON_SHAPE, "json shape")                           \
    X(KZ_PROB_JSON_LIMIT, "json limit")                           \
    X(KZ_PROB_LIMIT, "limit")

typedef enum kz_problem_kind {
#define KZ_PROB_ENUM(k, s) k,
    KZ_PROBLEM_KINDS(KZ_PROB_ENUM)
#undef KZ_PROB_ENUM
    KZ_PROB_COUNT
} kz_problem_kind;

typedef struct kz_problem {
    kz_problem_kind kind;  /* what went wrong */
    uint64_t offset;       /* byte offset in the (decompressed) input, or
                              KZ_NO_OFFSET */
    uint64_t lost;         /* bytes not read because of it (0 = none) */
    int64_t chunk;         /* EVTX chunk number, or -1 */
    uint64_t line;         /* JSON line (1-based), or 0 */
    char msg[240];         /* reason, no path, no newline */
} kz_problem;

/* Short name of a kind ("evtx chunk checksum"). */
const char *kz_problem_kind_str(kz_problem_kind k);

/* A growable list of problems held in an arena. */
typedef struct kz_problem_list {
    kz_problem *items;     /* array */
    size_t n;              /* used */
    size_t cap;            /* allocated */
} kz_problem_list;

/* Appends a problem built from the arguments (printf-style msg). The list
 * is capped at KZ_PROBLEMS_MAX per unit; past that the last entry counts
 * the rest. Returns KZ_ENOMEM if the arena fails. */
kz_status kz_problem_add(kz_problem_list *l, kz_arena *a,
                         kz_problem_kind kind, uint64_t offset,
                         uint64_t lost, int64_t chunk, uint64_t line,
                         const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

#define KZ_PROBLEMS_MAX 64

#endif /* KZ_READ_PROBLEM_H */
