/*
 * impact.h - the impact scope of incidents: which files (and mailboxes)
 * the incidents' accounts and hosts read, wrote or deleted, counted per
 * host and share, with the complete list of every distinct object.
 *
 * Two phases, because incidents are known only after the read:
 * 1. during the read, every file-access fact (5145, 4663, Sysmon 11, 23,
 *    26; mailbox exports) is spooled to an unlinked temporary file
 *    (kz_imp_add; memory: one write buffer);
 * 2. after the incident engine ran, kz_imp_run reads the spool once,
 *    attributes each fact to the incidents it belongs to (the procedure
 *    in docs/investigate.md "Procedure 6: impact scope"), sorts the
 *    attributed facts externally (base/sorter.h, bounded memory) by
 *    (incident, kind, host, share, object, time) and reads them back in
 *    that order: one call of on_object per distinct object and one of
 *    on_group per (incident, kind, host, share).
 *
 * Identity: hosts by kz_a_host_key, accounts as the incident engine keys
 * them (kz_inc_account_key), objects case-insensitively (ASCII) with `/`
 * taken as `\` and leading `\` dropped, shares case-insensitively with a
 * leading `\\*\` dropped. Service identities (kz_inc_service_identity)
 * never attribute a fact.
 *
 * Bounds: strings are cut to KZ_IMP_MAX_TEXT bytes (cut_strings); the
 * spool holds at most max_facts facts (dropped_facts); the sorter keeps
 * mem_bound bytes in memory.
 * Errors: KZ_ENOMEM; KZ_EIO for the temporary files (message in err).
 * Threads: one engine, one thread.
 */
#ifndef KZ_INVESTIGATE_IMPACT_H
#define KZ_INVESTIGATE_IMPACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/time.h"

#define KZ_IMP_MAX_TEXT 1024
#define KZ_IMP_MAX_FACTS ((uint64_t)100000000)
#define KZ_IMP_MAX_NAMES 20 /* names given per group (first in order) */

/* Access bits. */
#define KZ_IMP_READ 1u
#define KZ_IMP_WRITE 2u
#define KZ_IMP_DELETE 4u

/* What a fact touched. */
typedef enum kz_imp_kind {
    KZ_IMP_SHARE = 0, /* a file on a share, reached over the network */
    KZ_IMP_LOCAL,     /* a file on the host itself */
    KZ_IMP_MAILBOX,   /* a mailbox (export, search) */
} kz_imp_kind;

/* One access, as logged. */
typedef struct kz_imp_fact {
    kz_time time;         /* event time; a fact without one is dropped */
    uint8_t kind;         /* kz_imp_kind */
    uint8_t access;       /* KZ_IMP_READ | WRITE | DELETE (0: dropped) */
    const char *host;     /* Computer: where the object is */
    const char *share;    /* share name (SHARE), else NULL */
    const char *object;   /* file path (relative to the share), or the
                             mailbox */
    const char *account;  /* "DOMAIN\name", "name@realm", "name", NULL */
    const char *source;   /* source address or host (SHARE), or NULL */
    const char *image;    /* process image (LOCAL), or NULL */
    const char *file;     /* evidence: input file */
    uint32_t event_id;    /* evidence: event id */
    uint64_t record_id;   /* evidence: record id, UINT64_MAX = none */
} kz_imp_fact;

/* What one incident is, for attribution. Keys as the incident engine
 * makes them (kz_incident's hosts and accounts, its steps' sources). */
typedef struct kz_imp_incident {
    size_t id;                      /* incident number */
    kz_time from, to;               /* facts in [from, to] */
    const char *const *hosts;       /* host keys */
    size_t n_hosts;
    const char *const *sources;     /* addresses (and hosts) its
                                       accounts came from */
    size_t n_sources;
    const char *const *accounts;    /* account keys */
    size_t n_accounts;
    const char *const *images;      /* image paths of its alerts */
    size_t n_images;
} kz_imp_incident;

/* One distinct object of one group. */
typedef struct kz_imp_object {
    size_t incident;      /* incident id */
    uint8_t kind;         /* kz_imp_kind */
    const char *host;     /* as first logged */
    const char *share;    /* as first logged, or NULL */
    const char *object;   /* as first logged */
    uint8_t access;       /* every access seen (bits) */
    kz_time first, last;  /* first and last access */
    uint64_t events;      /* facts */
    const char *account;  /* account of the first access, or NULL */
    const char *source;   /* its source, or NULL */
    const char *image;    /* its image, or NULL */
    const char *file;     /* evidence of the first access */
    uint32_t event_id;
    uint64_t record_id;
} kz_imp_object;

/* One (incident, kind, host, share) with its counts. */
typedef struct kz_imp_group {
    size_t incident;
    uint8_t kind;
    const char *host;          /* as logged by its first object */
    const char *share;         /* or NULL (the same) */
    uint64_t read, written, deleted; /* distinct objects with that
                                        access */
    uint64_t total;            /* distinct objects */
    uint64_t events;           /* facts */
    kz_time first, last;
    const char *const *accounts; /* distinct accounts, first seen first */
    size_t n_accounts;           /* <= KZ_IMP_MAX_NAMES */
    const char *const *names;  /* the first objects, in object order */
    size_t n_names;            /* <= KZ_IMP_MAX_NAMES */
} kz_imp_group;

typedef struct kz_imp_config {
    size_t mem_bound;     /* sorter memory (0 = 32 MiB) */
    uint64_t max_facts;   /* facts spooled (0 = KZ_IMP_MAX_FACTS) */
    const char *tmp_dir;  /* NULL = $TMPDIR or /tmp */
} kz_imp_config;

typedef struct kz_imp_stats {
    uint64_t facts;          /* facts spooled */
    uint64_t dropped_facts;  /* no time, access or object */
    uint64_t capped_facts;   /* past max_facts */
    uint64_t attributed;     /* (incident, fact) pairs */
    uint64_t unattributed;   /* facts of no incident */
    uint64_t objects;        /* distinct objects (all groups) */
    uint64_t groups;
    uint64_t cut_strings;
    uint64_t spills;         /* sorter runs */
} kz_imp_stats;

typedef struct kz_imp kz_imp;

/* Callbacks of kz_imp_run: a non-OK return stops the run with it. */
typedef kz_status (*kz_imp_object_fn)(void *ctx, const kz_imp_object *o);
typedef kz_status (*kz_imp_group_fn)(void *ctx, const kz_imp_group *g);

/* A new engine (cfg may be NULL: defaults); *out NULL on failure. */
kz_status kz_imp_new(const kz_imp_config *cfg, kz_imp **out, kz_error *err);

/* Frees the engine and its temporary files. Accepts NULL. */
void kz_imp_free(kz_imp *m);

/* Spools one fact (copied, strings cut at KZ_IMP_MAX_TEXT). */
kz_status kz_imp_add(kz_imp *m, const kz_imp_fact *f, kz_error *err);

/* Attributes the spooled facts to incs[0..n) and reports, in order, each
 * group's objects (on_object, may be NULL) and then the group itself
 * (on_group, may be NULL). Call once. */
kz_status kz_imp_run(kz_imp *m, const kz_imp_incident *incs, size_t n,
                     kz_imp_object_fn on_object, kz_imp_group_fn on_group,
                     void *ctx, kz_error *err);

/* Figures so far. */
void kz_imp_get_stats(const kz_imp *m, kz_imp_stats *st);

/* The access bits of an access mask as logged ("0x1", "0x120089",
 * decimal): ReadData 0x1 = read, WriteData 0x2 or AppendData 0x4 =
 * write, DELETE 0x10000 = delete; 0 for none of them or a text that is
 * no number. */
unsigned kz_imp_access_bits(const char *s, size_t n);

/* The mailbox a PowerShell or Exchange command line exports or searches:
 * the value of New-MailboxExportRequest's -Mailbox or Search-Mailbox's
 * -Identity (the first such command; quoted or bare, up to 256 bytes),
 * in out; false when there is none. */
bool kz_imp_mailbox_of(const char *s, size_t n, char *out, size_t cap);

#endif /* KZ_INVESTIGATE_IMPACT_H */
