/*
 * sigma_int.h - private seams of the Sigma loader (src/sigma): the small
 * YAML node tree, the per-document build context and the steps that turn
 * one document into a kz_sigma_rule.
 *
 * Flow: yaml.c turns libyaml events into a bounded node tree (one tree per
 * document, in a per-file scratch arena); rule.c reads the metadata and
 * dispatches to detection.c (selections, via modifier.c and value.c),
 * condition.c, correlation.c and filter.c; set.c walks paths, keeps the
 * verdicts and runs kz_sigma_set_finish (filters, correlation references,
 * logsource mapping).
 *
 * Errors: a document that cannot load sets ctx->verdict, ctx->reason and
 * ctx->line (first problem wins) and returns KZ_EFORMAT; KZ_ENOMEM is the
 * only other failure.
 * Threads: everything here is single-threaded.
 */
#ifndef KZ_SIGMA_SIGMA_INT_H
#define KZ_SIGMA_SIGMA_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/error.h"
#include "sigma/ast.h"
#include "sigma/sigma.h"

/* Bounds (docs/internals/sigma.md). */
#define KZ_SG_MAX_FILE ((size_t)4 << 20)   /* bytes of one YAML file */
#define KZ_SG_MAX_NODES 100000u            /* YAML nodes per file */
#define KZ_SG_MAX_DEPTH 64u                /* YAML nesting depth */
#define KZ_SG_MAX_COND_DEPTH 64u           /* condition nesting */
#define KZ_SG_MAX_COND_NODES 4096u        /* nodes of one condition */
#define KZ_SG_MAX_ALTS 4096u               /* alternatives of one value */
#define KZ_SG_MAX_DIR_DEPTH 64u            /* directory nesting */
#define KZ_SG_MAX_VALUE ((size_t)1 << 16)  /* bytes of one value */
#define KZ_SG_MAX_EXPANDED ((size_t)1 << 20) /* bytes of one |expand value,
                                                all alternatives together */
#define KZ_SG_MAX_EXPANDED_RULE ((size_t)16 << 20) /* same, whole rule */

/* YAML node kinds. */
typedef enum kz_yn_kind {
    KZ_YN_SCALAR = 0,
    KZ_YN_SEQ,
    KZ_YN_MAP,
} kz_yn_kind;

/* One YAML node. Maps hold 2*n kids: key, value, key, value ... */
typedef struct kz_yn {
    uint8_t kind;            /* kz_yn_kind */
    bool plain;              /* scalar written without quotes/block style */
    unsigned line;           /* 1-based line of the node's start */
    const char *str;         /* scalar text, NUL-terminated */
    size_t len;              /* scalar bytes */
    struct kz_yn **kids;     /* seq items, or map keys and values */
    size_t n;                /* seq items, or map pairs */
} kz_yn;

/* A YAML stream parser over one buffer (yaml.c). */
typedef struct kz_yaml kz_yaml;

/* Opens a parser over text[0..len); nodes go to arena a. NULL on OOM. */
kz_yaml *kz_yaml_open(const char *text, size_t len, kz_arena *a);

/* Next document: *root is its tree, or NULL at the end of the stream.
 * On a YAML error returns KZ_EFORMAT with *why (a constant or arena
 * string) and *line set; the stream cannot continue after that. */
kz_status kz_yaml_next(kz_yaml *y, kz_yn **root, const char **why,
                       unsigned *line);

/* Closes the parser. Accepts NULL. */
void kz_yaml_close(kz_yaml *y);

/* The value of key k in map m, or NULL (also when m is not a map). */
const kz_yn *kz_yn_get(const kz_yn *m, const char *k);

/* True when key is a scalar whose whole text (all key->len bytes, so an
 * embedded NUL never matches) is k. Accepts NULL (false). */
bool kz_yn_key_is(const kz_yn *key, const char *k);

/* True when n is a plain null scalar (null, ~, empty) or NULL. */
bool kz_yn_is_null(const kz_yn *n);

/* Per-document build context. */
typedef struct kz_sg_ctx {
    kz_sigma_rule *rule;          /* the rule being built */
    kz_arena *a;                  /* == &rule->arena */
    const kz_sigma_load_opts *opts; /* loader options */
    uint8_t verdict;              /* kz_sg_verdict when failing */
    const char *reason;           /* why (arena string), first wins */
    unsigned line;                /* line of the problem */
    const char *warning;          /* non-fatal note (unmatched pattern) */
    size_t expanded;              /* |expand bytes made for this rule */
} kz_sg_ctx;

/* Records a failure (verdict v, printf reason, line) unless one is
 * already recorded; returns KZ_EFORMAT (KZ_ENOMEM if the reason cannot
 * be allocated). */
kz_status kz_sg_fail(kz_sg_ctx *c, kz_sg_verdict v, unsigned line,
                     const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Copies a NUL-terminated string into the rule arena (NULL -> NULL). */
const char *kz_sg_strdup(kz_sg_ctx *c, const char *s);

/* Reads a string list (a scalar or a sequence of scalars). */
kz_status kz_sg_strlist_read(kz_sg_ctx *c, const kz_yn *n, const char *what,
                             kz_sg_strlist *out);

/* Builds a rule from one document root (rule.c). On success *out owns a
 * new rule; on KZ_EFORMAT c holds the verdict and *out still holds the
 * partial rule (title, id for the report) that the caller frees. */
kz_status kz_sg_build(const kz_yn *root, const char *path, unsigned doc,
                      const kz_sigma_load_opts *o, kz_sigma_rule **out,
                      kz_sg_ctx *c);

/* Frees a rule. Accepts NULL. */
void kz_sg_rule_free(kz_sigma_rule *r);

/* Parses the detection map (detection.c): selections and condition. */
kz_status kz_sg_detection(kz_sg_ctx *c, const kz_yn *det, bool filter);

/* Builds one item from `key: value` of a selection map (modifier.c);
 * field NULL for keyword items. */
kz_status kz_sg_item_build(kz_sg_ctx *c, const char *field,
                           const char *mods, const kz_yn *val,
                           unsigned line, kz_sg_item *out);

/* Tokenises a Sigma string (value.c, sigma-notes.md 1.2) into *p; with
 * wildcards false every character is literal. */
kz_status kz_sg_tokenise(kz_arena *a, const char *s, size_t n,
                         bool wildcards, kz_sg_pattern *p);

/* Parses a condition (condition.c) over the rule's selections: text is
 * one condition string. *out is the tree (arena). A condition nested
 * deeper than KZ_SG_MAX_COND_DEPTH or of more than KZ_SG_MAX_COND_NODES
 * nodes (after `1 of x*` expansion) is refused through kz_sg_fail(). */
kz_status kz_sg_condition(kz_sg_ctx *c, const char *text, unsigned line,
                          const kz_sg_cond **out);

/* Parses the correlation section (correlation.c). */
kz_status kz_sg_correlation_read(kz_sg_ctx *c, const kz_yn *corr);

/* Parses the filter section (filter.c). */
kz_status kz_sg_filter_read(kz_sg_ctx *c, const kz_yn *f);

/* Applies filter f to rule r when it matches (filter.c); *applied says
 * whether it did. */
kz_status kz_sg_filter_apply(const kz_sigma_rule *f, unsigned fidx,
                             kz_sigma_rule *r, bool *applied);

/* Values of placeholder name, or NULL (expand.c). */
const kz_sg_strlist *kz_sg_expand_get(const kz_sg_expand *e,
                                      const char *name, size_t n);

/* True when name matches glob pat (`*` any run), whole string. */
bool kz_sg_glob(const char *pat, const char *name);

/* Parses an IPv4/IPv6 CIDR "a.b.c.d/n" into v (value.c). False when bad;
 * *why says why. */
bool kz_sg_cidr_parse(const char *s, kz_sg_value *v, const char **why);

/* Base64 of n bytes into out (4*ceil(n/3) bytes + NUL). */
size_t kz_sg_base64(const unsigned char *in, size_t n, char *out);

#endif /* KZ_SIGMA_SIGMA_INT_H */
