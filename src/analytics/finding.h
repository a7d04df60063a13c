/*
 * finding.h - what an analytic reports, and the catalog of analytics.
 *
 * Analytics (DESIGN.md: event taps) report findings. hunt writes a
 * finding like a detection (same columns, same total order): RuleID is
 * the analytic's id ("kz_a_..."), RuleTitle its title, RuleAuthor
 * "kizuki", Level its level. A finding points at one event (the one that
 * completed it, or the first one after a gap) through kz_finding_ref; the
 * analytic's own facts go in the Details and ExtraFieldInfo pairs.
 * Reference: docs/analytics.md.
 */
#ifndef KZ_ANALYTICS_FINDING_H
#define KZ_ANALYTICS_FINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/time.h"
#include "event/value.h"

/* The event a finding points at. Strings are borrowed for the call. */
typedef struct kz_finding_ref {
    kz_time time;          /* when the finding completed (UTC) */
    const char *path;      /* input display path (raw bytes), or NULL */
    uint32_t arg_index;    /* argument index of that input */
    uint32_t file_index;   /* input ordinal */
    uint64_t position;     /* record position in the input */
    uint64_t record_id;    /* EventRecordID, when has_record_id */
    uint32_t event_id;     /* EventID, when has_event_id */
    bool has_record_id;
    bool has_event_id;
    const char *computer;  /* host, or NULL */
    const char *channel;   /* channel, or NULL */
} kz_finding_ref;

/* One finding. pairs holds 2 * (ndetails + nextra) strings: name, value,
 * ...; Details first, then ExtraFieldInfo. Borrowed for the call. */
typedef struct kz_finding {
    const char *analytic;  /* catalog id, e.g. "kz_a_log_gap" */
    kz_finding_ref at;     /* the event it points at */
    const kz_str *pairs;   /* name/value strings */
    size_t ndetails;       /* Details pairs */
    size_t nextra;         /* ExtraFieldInfo pairs */
} kz_finding;

/* Where findings go (hunt: into the output store). emit copies what it
 * keeps; a non-OK status stops the analytic and is returned by it. */
typedef struct kz_finding_sink {
    kz_status (*emit)(void *ctx, const kz_finding *f);
    void *ctx;
} kz_finding_sink;

/* One analytic of the catalog. */
typedef struct kz_analytic_info {
    const char *id;          /* "kz_a_..." (the RuleID column) */
    const char *title;       /* RuleTitle */
    uint8_t level;           /* kz_level */
    const char *tags;        /* ATT&CK tags, comma-separated */
    const char *scenario;    /* "D1".."D15" of incidents-and-scenarios */
    const char *description; /* one sentence */
} kz_analytic_info;

/* Catalog entry of id, or NULL. */
const kz_analytic_info *kz_analytic_find(const char *id);

/* Entry i of the catalog (0 <= i < kz_analytic_count()), in a fixed
 * order. */
const kz_analytic_info *kz_analytic_at(size_t i);

/* Number of catalog entries. */
size_t kz_analytic_count(void);

#endif /* KZ_ANALYTICS_FINDING_H */
