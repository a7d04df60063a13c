/*
 * sigma.h - loading Sigma rule trees into a rule set, with a verdict for
 * every file and document (what `kizuki rules check` prints).
 *
 * Loading: paths are files or directories (walked in byte order of names,
 * *.yml and *.yaml, symlinks not followed). Each YAML document is parsed
 * with libyaml into a kz_sigma_rule (ast.h): rules, meta filters and
 * correlations. After all paths are loaded, kz_sigma_set_finish() applies
 * filters to the rules they name (pySigma semantics, sigma-notes.md 4),
 * checks correlation references, and asks the logsource mapping whether
 * each rule can run on EVTX (logsource.h).
 *
 * Verdicts: every document gets one kz_sg_verdict with an exact reason and
 * line when it is not loaded. Only KZ_SGV_LOADED rules are in set->rules.
 *
 * Ownership: the set owns its rules and reports.
 * Threads: building is single-threaded; a finished set is immutable.
 */
#ifndef KZ_SIGMA_SIGMA_H
#define KZ_SIGMA_SIGMA_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "sigma/ast.h"

/* What happened to one document (or one file that held none). */
typedef enum kz_sg_verdict {
    KZ_SGV_LOADED = 0,     /* in the set */
    KZ_SGV_NOT_RULE,       /* YAML, but not a Sigma document */
    KZ_SGV_DEPRECATED,     /* status deprecated or unsupported: skipped */
    KZ_SGV_PLACEHOLDER,    /* |expand placeholder without values */
    KZ_SGV_UNMAPPED,       /* logsource cannot map to an EVTX channel */
    KZ_SGV_INVALID,        /* bad YAML or bad Sigma: reason and line */
    KZ_SGV_DUPLICATE,      /* same id as a rule loaded earlier: skipped */
    KZ_SGV_COUNT
} kz_sg_verdict;

/* One line of the load report. */
typedef struct kz_sg_report {
    const char *path;      /* file */
    unsigned doc;          /* document index in the file */
    unsigned line;         /* line of the problem (0 = none) */
    uint8_t verdict;       /* kz_sg_verdict */
    const char *title;     /* rule title if known, else NULL */
    const char *reason;    /* why it was not loaded; NULL when loaded */
} kz_sg_report;

/* A reference a correlation makes to a rule that is not loaded. */
typedef struct kz_sg_missing_ref {
    const char *path;      /* file of the correlation */
    const char *corr;      /* correlation title */
    const char *ref;       /* the id or name it references */
} kz_sg_missing_ref;

/* Placeholder values for |expand: name ("Administrators") -> values. */
typedef struct kz_sg_expand kz_sg_expand;

/* Loader options. */
typedef struct kz_sigma_load_opts {
    const kz_sg_expand *expand;  /* placeholder values, or NULL */
    bool keep_deprecated;        /* load status deprecated/unsupported */
    bool keep_unmapped;          /* keep rules without an EVTX mapping */
} kz_sigma_load_opts;

typedef struct kz_sigma_set {
    kz_sigma_rule **rules;   /* loaded rules, filters and correlations,
                                in load order (file order, then doc) */
    size_t nrules;
    kz_sg_report *reports;   /* one per document or non-rule file */
    size_t nreports;
    kz_sg_missing_ref *missing;  /* correlation references not found */
    size_t nmissing;
    size_t counts[KZ_SGV_COUNT]; /* reports by verdict */
    size_t files;            /* YAML files read */
    kz_sigma_load_opts opts; /* options given to kz_sigma_set_new */
    kz_arena arena;          /* owns reports and strings */
} kz_sigma_set;

/* A new empty set; NULL on OOM. o may be NULL (defaults). */
kz_sigma_set *kz_sigma_set_new(const kz_sigma_load_opts *o);

/* Frees the set and its rules. Accepts NULL. */
void kz_sigma_set_free(kz_sigma_set *s);

/* Loads a file or a directory tree. Problems with single documents are
 * reports, not errors; returns an error only for a path that cannot be
 * read at all (KZ_EIO, message in err) or OOM. */
kz_status kz_sigma_load_path(kz_sigma_set *s, const char *path,
                             kz_error *err);

/* Loads YAML text held in memory; path names it in reports. */
kz_status kz_sigma_load_buffer(kz_sigma_set *s, const char *path,
                               const char *text, size_t len, kz_error *err);

/* Applies filters, resolves correlation references and decides the
 * EVTX mapping of every rule (moving unmappable ones to reports). Call
 * once after the last load. */
kz_status kz_sigma_set_finish(kz_sigma_set *s, kz_error *err);

/* Reads placeholder values from path: a YAML map of name -> list of
 * values, or a directory of NAME.txt files with one value per line
 * (docs/rules.md). NULL on error (message in err). */
kz_sg_expand *kz_sg_expand_load(const char *path, kz_error *err);

/* Frees placeholder values. Accepts NULL. */
void kz_sg_expand_free(kz_sg_expand *e);

/* The name of a verdict ("loaded", "not a rule", "deprecated", ...). */
const char *kz_sg_verdict_name(kz_sg_verdict v);

#endif /* KZ_SIGMA_SIGMA_H */
