/*
 * names.h - the interned field-name table.
 *
 * Before events flow, the caller adds every field name that rules and
 * analytics read, then freezes the table; readers look names up and store
 * the id in each kz_field. Names nobody added are KZ_NAME_NONE, so names
 * chosen by an attacker never grow the table. Lookup: exact name, then
 * loosely: ASCII case-insensitive with spaces ignored ("Threat Name" =
 * ThreatName = threatname; the first name added of such a class wins).
 * Threads: building is single-threaded; a frozen table is immutable and
 * shared by all threads. Lookups on frozen tables go through a small
 * per-thread front cache (names.c: 512 entries, keys up to 51 bytes,
 * tagged with the table's serial), since readers look up the same few
 * hundred names once per template in every chunk.
 */
#ifndef KZ_EVENT_NAMES_H
#define KZ_EVENT_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define KZ_NAME_NONE (-1)

typedef struct kz_names kz_names;

/* A new empty table; NULL on OOM. */
kz_names *kz_names_new(void);

/* Frees the table. Accepts NULL. */
void kz_names_free(kz_names *t);

/* Adds name (if absent) and sets *id to its id (0, 1, ...). Fails with
 * KZ_EUSAGE once frozen. */
kz_status kz_names_add(kz_names *t, const char *name, size_t len,
                       int32_t *id);

/* Ends building; lookups are allowed from now on. */
void kz_names_freeze(kz_names *t);

/* Id of name, or KZ_NAME_NONE; t may be NULL (always KZ_NAME_NONE). */
int32_t kz_names_lookup(const kz_names *t, const char *name, size_t len);

/* Number of names. */
size_t kz_names_count(const kz_names *t);

/* The name of id (NUL-terminated), or NULL. */
const char *kz_names_name(const kz_names *t, int32_t id);

/* Length of the name of id (0 if there is none). */
size_t kz_names_len(const kz_names *t, int32_t id);

/* The names by id and their lengths, *n entries each (valid while t is
 * and frozen), for callers that resolve ids in a hot loop. t may be NULL
 * (*n = 0). */
void kz_names_arrays(const kz_names *t, const char *const **names,
                     const size_t **lens, size_t *n);

#endif /* KZ_EVENT_NAMES_H */
