/*
 * file_facts.h - file-access facts for investigate's impact scope
 * (investigate/impact.h): which events are read and how each becomes a
 * kz_imp_fact (docs/investigate.md "Procedure 6: impact scope", table
 * "Facts"). Fields are interned before the names freeze, rendered on the
 * pool threads into a compact per-batch list, and handed to the impact
 * engine on the calling thread in input order (duplicates skipped).
 * Threads: kz_file_facts_extract on pool threads (ids read only);
 * kz_file_facts_feed on the calling thread.
 */
#ifndef KZ_CLI_FILE_FACTS_H
#define KZ_CLI_FILE_FACTS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "event/names.h"
#include "event/value.h"
#include "investigate/impact.h"
#include "read/read.h"

/* The fields read (see file_facts.c). */
enum {
    KZ_FF_SUBJECT_USER = 0,
    KZ_FF_SUBJECT_DOMAIN,
    KZ_FF_IP_ADDRESS,
    KZ_FF_SHARE_NAME,
    KZ_FF_RELATIVE_TARGET,
    KZ_FF_ACCESS_MASK,
    KZ_FF_OBJECT_TYPE,
    KZ_FF_OBJECT_NAME,
    KZ_FF_PROCESS_NAME,
    KZ_FF_TARGET_FILENAME,
    KZ_FF_IMAGE,
    KZ_FF_USER,
    KZ_FF_SCRIPT_BLOCK,
    KZ_FF_DATA,     /* unnamed data ("Data"): Exchange cmdlet logs */
    KZ_FF_DATA1,    /* (not interned: the 2nd and 3rd "Data" texts) */
    KZ_FF_DATA2,
    KZ_FF_COUNT
};

/* The field id of every field read. */
typedef struct kz_file_ids {
    int32_t id[KZ_FF_COUNT]; /* or KZ_NAME_NONE */
} kz_file_ids;

/* Facts a worker found in one batch (opaque). */
typedef struct kz_file_found kz_file_found;

/* Interns the fields in names (before it freezes); a field that cannot
 * be interned is read as absent. */
void kz_file_facts_intern(kz_file_ids *ids, kz_names *names);

/* Pool thread: the facts of the events of b (*out NULL when none).
 * KZ_ENOMEM. */
kz_status kz_file_facts_extract(const kz_file_ids *ids,
                                const kz_render_opts *ro, const kz_batch *b,
                                kz_file_found **out);

/* Frees what kz_file_facts_extract made. Accepts NULL. */
void kz_file_facts_free(kz_file_found *f);

/* Calling thread: spools the facts of f (found in b) into m, skipping
 * duplicate events. f may be NULL. Errors of kz_imp_add. */
kz_status kz_file_facts_feed(const kz_file_found *f, const kz_batch *b,
                             kz_imp *m, kz_error *err);

#endif /* KZ_CLI_FILE_FACTS_H */
