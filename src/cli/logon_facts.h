/*
 * logon_facts.h - logon facts from a batch of events, as `kizuki logons`
 * and `kizuki investigate` both take them: the fields of the logon event
 * table (investigate/logon.h) interned before the names freeze, rendered
 * on the pool threads into a compact per-batch list, turned into
 * kz_logon_fact on the calling thread (duplicates skipped) and fed to a
 * collector. Reference: docs/logons.md.
 * Threads: kz_logon_facts_extract on pool threads (the ids are read
 * only); kz_logon_facts_feed on the calling thread.
 */
#ifndef KZ_CLI_LOGON_FACTS_H
#define KZ_CLI_LOGON_FACTS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "event/names.h"
#include "event/value.h"
#include "investigate/logon.h"
#include "read/read.h"

/* Entries of the event table read (the table is shorter). */
#define KZ_LOGON_FACTS_MAX_SOURCES 32

/* The field id of every slot of every table entry. */
typedef struct kz_logon_ids {
    int32_t id[KZ_LOGON_FACTS_MAX_SOURCES][KZ_LS_COUNT]; /* or
                                                    KZ_NAME_NONE */
} kz_logon_ids;

/* Facts a worker found in one batch (opaque). */
typedef struct kz_logon_found kz_logon_found;

/* Interns the fields of the event table in names (before it freezes);
 * a field that cannot be interned is read as absent. */
void kz_logon_facts_intern(kz_logon_ids *ids, kz_names *names);

/* Pool thread: renders the slots of the events of b that the table
 * lists into *out (NULL when there are none). KZ_ENOMEM. */
kz_status kz_logon_facts_extract(const kz_logon_ids *ids,
                                 const kz_render_opts *ro, const kz_batch *b,
                                 kz_logon_found **out);

/* Frees what kz_logon_facts_extract made. Accepts NULL. */
void kz_logon_facts_free(kz_logon_found *f);

/* Calling thread: feeds the facts of f (found in b) to col, skipping
 * duplicate events, and successes (failed_only) or failures
 * (success_only). f may be NULL. Collector errors. */
kz_status kz_logon_facts_feed(const kz_logon_found *f, const kz_batch *b,
                              kz_logon *col, bool failed_only,
                              bool success_only);

/* One fact to a consumer other than the collector (the entity table). */
typedef kz_status (*kz_logon_fact_fn)(void *ctx, const kz_logon_fact *f);

/* Calling thread: hands every fact of f (found in b) to fn, skipping
 * duplicate events, as kz_logon_facts_feed does. f may be NULL. fn's
 * errors. */
kz_status kz_logon_facts_each(const kz_logon_found *f, const kz_batch *b,
                              kz_logon_fact_fn fn, void *ctx);

#endif /* KZ_CLI_LOGON_FACTS_H */
