/*
 * timeline.h - detections as a timeline: CSV, JSON Lines, or an aligned
 * table for terminals; in the standard, verbose or Timesketch profile.
 * Every column, format and profile is described, with a worked example,
 * in docs/output.md.
 *
 * Standard columns, in order: Timestamp, RuleTitle, Level, Computer,
 * Channel, EventID, RecordID, Details, ExtraFieldInfo, RuleID, RuleAuthor,
 * File. Verbose adds MitreTactics, MitreTags, OtherTags (from the rule's
 * tags), FalsePositives and RuleFile. Timesketch puts datetime,
 * timestamp_desc and message first, then the standard columns.
 * The table format shows Timestamp, Level, Computer, EventID, RuleTitle
 * and Details in fixed-width columns, whatever the profile.
 *
 * Escaping: JSON strings through kz_json_escape; CSV and table text is
 * first "flattened" to one line (\n, \r, \t written as two characters;
 * other control characters, bidirectional overrides and invalid UTF-8 as
 * \xHH; backslashes kept, so Windows paths stay readable), then CSV cells
 * are formula-guarded (kz_csv_cell).
 *
 * Ownership: a writer borrows opts->rules and opts->tz (they must outlive
 * it); rows are appended to a buffer of the caller.
 * Threads: one thread (times in a named zone use the C library's zone
 * state: tz.h).
 */
#ifndef KZ_WRITE_TIMELINE_H
#define KZ_WRITE_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "sigma/ast.h"
#include "write/detection.h"
#include "write/tz.h"

typedef enum kz_tl_format {
    KZ_TL_TABLE = 0,   /* aligned, truncated columns for a terminal */
    KZ_TL_CSV,         /* RFC 4180, header row, formula-guarded */
    KZ_TL_JSONL,       /* one JSON object per line */
} kz_tl_format;

typedef enum kz_tl_profile {
    KZ_TL_STANDARD = 0,  /* the 12 standard columns */
    KZ_TL_VERBOSE,       /* + MITRE tags, other tags, false positives,
                            rule file */
    KZ_TL_TIMESKETCH,    /* datetime, timestamp_desc, message + standard */
} kz_tl_profile;

typedef struct kz_tl_opts {
    kz_tl_format format;        /* output format */
    kz_tl_profile profile;      /* column set */
    const kz_tz *tz;            /* zone of times (NULL = UTC) */
    const kz_sigma_rule *const *rules; /* rule of each rule index */
    size_t nrules;              /* entries in rules */
    uint8_t min_level;          /* rows below this kz_level are skipped */
    bool color;                 /* table: colour the level (terminals) */
    unsigned width;             /* table: line width (0 = 160) */
    bool csv_bom;               /* CSV: start with a UTF-8 BOM */
} kz_tl_opts;

typedef struct kz_timeline kz_timeline;

/* A new writer; NULL on OOM. */
kz_timeline *kz_timeline_new(const kz_tl_opts *o);

/* Frees a writer. Accepts NULL. */
void kz_timeline_free(kz_timeline *tl);

/* Appends what comes before the first row (CSV header, table header;
 * nothing for JSONL). */
kz_status kz_timeline_header(kz_timeline *tl, kz_strbuf *out);

/* Appends the row of d, or nothing if d's level is below min_level
 * (*written tells which; may be NULL). */
kz_status kz_timeline_row(kz_timeline *tl, const kz_det *d, kz_strbuf *out,
                          bool *written);

/* Appends s[0..n) flattened to one line (see above): for CSV, table and
 * messages. */
kz_status kz_tl_flatten(kz_strbuf *out, const char *s, size_t n);

/* Display width of s[0..n) in terminal columns (East Asian wide
 * characters count 2). */
size_t kz_tl_width(const char *s, size_t n);

/* The table row of d (used by kz_timeline_row for KZ_TL_TABLE;
 * timeline_table.c). */
kz_status kz_tl_table_row(kz_timeline *tl, const kz_det *d, kz_strbuf *out);

/* The table header (timeline_table.c). */
kz_status kz_tl_table_header(kz_timeline *tl, kz_strbuf *out);

/* Appends the Details (or Extra, if extra) pairs of d as
 * "Name: value ¦ Name: value", flattened; "" when there are none. */
kz_status kz_tl_pairs_text(kz_strbuf *out, const kz_det *d, bool extra);

/* A scratch buffer of the writer, emptied (for the table writer: valid
 * until the next call). */
kz_strbuf *kz_tl_scratch(kz_timeline *tl);

/* The options of a writer. */
const kz_tl_opts *kz_timeline_opts(const kz_timeline *tl);

/* The rule of index i, or NULL. */
const kz_sigma_rule *kz_tl_rule(const kz_timeline *tl, uint32_t i);

#endif /* KZ_WRITE_TIMELINE_H */
