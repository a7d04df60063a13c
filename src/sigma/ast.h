/*
 * ast.h - the Sigma rule AST: what the loader produces from YAML and what
 * the logsource mapping and the matcher consume.
 *
 * Values are tokenised BEFORE modifiers are applied (sigma-notes.md 1.2):
 * a string value becomes a pattern of tokens (literal runs, `*`, `?`, a
 * windash character class); contains/startswith/endswith add STAR tokens,
 * never characters. Every modifier chain is resolved at load time, so the
 * matcher sees only the value kinds below.
 *
 * Shape of a detection:
 *   selection = OR of maps (a YAML list of maps), or one map;
 *   map       = AND of items (one per `field|mods: values` key);
 *   item      = groups of alternatives: OR over groups (AND with |all),
 *               each group an OR of alternative values (one written value
 *               may expand into several: base64offset, expand, windash);
 *               negate (|neq) wraps the whole item in NOT.
 * A keyword selection (a list of scalars, or `'|all': [...]`) is one map
 * holding one item whose field is NULL; its patterns already carry STAR
 * tokens at both ends (a keyword is found anywhere in any value) unless
 * the chain placed it with contains/startswith/endswith.
 *
 * Ownership: every pointer of a rule points into rule->arena.
 * Threads: immutable after loading; shared by all threads.
 */
#ifndef KZ_SIGMA_AST_H
#define KZ_SIGMA_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"

/* Rule levels, in increasing order (KZ_LEVEL_NONE: not given). */
typedef enum kz_level {
    KZ_LEVEL_NONE = 0,
    KZ_LEVEL_INFORMATIONAL,
    KZ_LEVEL_LOW,
    KZ_LEVEL_MEDIUM,
    KZ_LEVEL_HIGH,
    KZ_LEVEL_CRITICAL,
} kz_level;

/* One token of a pattern. */
typedef enum kz_sg_tok_kind {
    KZ_TOK_LIT = 0,  /* literal bytes text[off .. off+len) */
    KZ_TOK_STAR,     /* any run of characters, newlines included */
    KZ_TOK_QMARK,    /* exactly one character (code point) */
    KZ_TOK_DASH,     /* windash: one of - / U+2013 U+2014 U+2015 */
} kz_sg_tok_kind;

typedef struct kz_sg_tok {
    uint8_t kind;    /* kz_sg_tok_kind */
    uint32_t off;    /* KZ_TOK_LIT: offset into the pattern's text */
    uint32_t len;    /* KZ_TOK_LIT: byte length */
} kz_sg_tok;

/* A whole-value glob: matches when the tokens cover the entire value. */
typedef struct kz_sg_pattern {
    const char *text;        /* literal bytes (UTF-8), NUL-terminated */
    size_t text_len;         /* bytes of text */
    const kz_sg_tok *toks;   /* tokens in order */
    size_t ntoks;            /* count */
} kz_sg_pattern;

/* The kinds of a resolved value. */
typedef enum kz_sg_vkind {
    KZ_SV_PATTERN = 0,  /* glob over the value's text (pat) */
    KZ_SV_REGEX,        /* PCRE2, unanchored search (regex, re_flags) */
    KZ_SV_NUMCMP,       /* numeric compare: value <op> num */
    KZ_SV_CIDR,         /* address inside net/prefix */
    KZ_SV_EXISTS,       /* field present == exists (any value) */
    KZ_SV_NULL,         /* field absent, or JSON null (see docs) */
    KZ_SV_FIELDREF,     /* compare with field ref_field (ref_mode) */
    KZ_SV_TIMEPART,     /* timestamp component <op> num */
} kz_sg_vkind;

/* Comparison operators (gt/gte/lt/lte, and eq for time parts). */
typedef enum kz_sg_op {
    KZ_OP_EQ = 0,
    KZ_OP_GT,
    KZ_OP_GTE,
    KZ_OP_LT,
    KZ_OP_LTE,
} kz_sg_op;

/* Value flags. */
enum {
    KZ_SVF_CASED = 1u << 0,     /* case-sensitive (|cased, base64*) */
    KZ_SVF_RE_I = 1u << 1,      /* regex |i */
    KZ_SVF_RE_M = 1u << 2,      /* regex |m */
    KZ_SVF_RE_S = 1u << 3,      /* regex |s */
};

/* Fieldref modes. */
typedef enum kz_sg_refmode {
    KZ_REF_EQUALS = 0,
    KZ_REF_CONTAINS,
    KZ_REF_STARTSWITH,
    KZ_REF_ENDSWITH,
} kz_sg_refmode;

/* Timestamp components of the v2.1 time modifiers. */
typedef enum kz_sg_timepart {
    KZ_TP_MINUTE = 0,
    KZ_TP_HOUR,
    KZ_TP_DAY,
    KZ_TP_WEEK,        /* ISO week */
    KZ_TP_MONTH,
    KZ_TP_YEAR,
} kz_sg_timepart;

/* One resolved value. */
typedef struct kz_sg_value {
    uint8_t kind;            /* kz_sg_vkind */
    uint8_t flags;           /* KZ_SVF_* */
    uint8_t op;              /* kz_sg_op (NUMCMP, TIMEPART) */
    uint8_t part;            /* kz_sg_timepart (TIMEPART) */
    kz_sg_pattern pat;       /* PATTERN */
    const char *regex;       /* REGEX: pattern, NUL-terminated */
    double num;              /* NUMCMP, TIMEPART */
    uint8_t addr[16];        /* CIDR: network, IPv4 in addr[0..3] */
    uint8_t prefix;          /* CIDR: prefix length */
    uint8_t family;          /* CIDR: 4 or 6 */
    bool exists;             /* EXISTS: wanted presence */
    const char *ref_field;   /* FIELDREF: the other field's name */
    uint8_t ref_mode;        /* FIELDREF: kz_sg_refmode */
    const char *orig;        /* the value as written (for messages) */
} kz_sg_value;

/* An OR-group of alternatives from one written value. */
typedef struct kz_sg_group {
    const kz_sg_value *alts; /* alternatives */
    size_t nalts;            /* count (>= 1) */
} kz_sg_group;

/* One `field|modifiers: values` entry. */
typedef struct kz_sg_item {
    const char *field;       /* field name, NULL = keyword item */
    const char *mods;        /* modifier chain as written ("contains|all") */
    bool all;                /* AND over groups instead of OR */
    bool negate;             /* |neq: NOT of the whole item */
    const kz_sg_group *groups; /* groups (values) */
    size_t ngroups;          /* count (>= 1) */
    unsigned line;           /* line in the YAML file (1-based) */
} kz_sg_item;

/* AND of items. */
typedef struct kz_sg_map {
    const kz_sg_item *items;
    size_t nitems;
} kz_sg_map;

/* A search identifier: OR of maps. */
typedef struct kz_sg_selection {
    const char *name;        /* identifier ("selection_img") */
    const kz_sg_map *maps;   /* maps (OR) */
    size_t nmaps;            /* count (>= 1) */
    unsigned line;           /* line in the YAML file */
} kz_sg_selection;

/* Condition node operators. */
typedef enum kz_sg_cop {
    KZ_CN_SEL = 0,   /* selection `sel` */
    KZ_CN_AND,       /* all kids */
    KZ_CN_OR,        /* any kid */
    KZ_CN_NOT,       /* not kids[0] */
    KZ_CN_TRUE,      /* constant (all of an unmatched pattern) */
    KZ_CN_FALSE,     /* constant (1 of an unmatched pattern) */
} kz_sg_cop;

/* A condition node (n-ary). `x of pattern` is expanded at load time. */
typedef struct kz_sg_cond {
    uint8_t op;                      /* kz_sg_cop */
    uint32_t sel;                    /* KZ_CN_SEL: index in selections */
    const struct kz_sg_cond *const *kids; /* operands */
    size_t nkids;                    /* count */
} kz_sg_cond;

/* A document kind. */
typedef enum kz_sg_kind {
    KZ_SG_RULE = 0,
    KZ_SG_FILTER,          /* meta filter (sigma-notes.md 4) */
    KZ_SG_CORRELATION,     /* correlation (sigma-notes.md 3) */
} kz_sg_kind;

typedef struct kz_sg_strlist {
    const char *const *v;
    size_t n;
} kz_sg_strlist;

typedef struct kz_sg_related {
    const char *id;
    const char *type;        /* derived, obsolete, merged, renamed, similar */
} kz_sg_related;

/* Correlation types. */
typedef enum kz_sg_corr_type {
    KZ_CORR_EVENT_COUNT = 0,
    KZ_CORR_VALUE_COUNT,
    KZ_CORR_TEMPORAL,
    KZ_CORR_TEMPORAL_ORDERED,
    KZ_CORR_VALUE_SUM,
    KZ_CORR_VALUE_AVG,
    KZ_CORR_VALUE_PERCENTILE,
} kz_sg_corr_type;

typedef struct kz_sg_corr_cond {
    uint8_t op;              /* kz_sg_op, or 5 = neq */
    double value;
} kz_sg_corr_cond;

typedef struct kz_sg_alias {
    const char *alias;       /* group-by name */
    kz_sg_strlist rules;     /* rule names ... */
    kz_sg_strlist fields;    /* ... and their field (same index) */
} kz_sg_alias;

/* A parsed and validated correlation (the engine is issue 4). */
typedef struct kz_sg_correlation {
    uint8_t type;            /* kz_sg_corr_type */
    kz_sg_strlist rules;     /* referenced ids or names */
    kz_sg_strlist group_by;  /* fields or aliases (may be empty) */
    uint64_t timespan_s;     /* seconds */
    const kz_sg_corr_cond *conds; /* ANDed (may be empty for temporal) */
    size_t nconds;
    const char *field;       /* condition.field (value_* types), or NULL */
    kz_sg_strlist fields;    /* value_count over several fields */
    double percentile;       /* value_percentile */
    const char *bool_cond;   /* string condition of temporal types */
    const kz_sg_alias *aliases;
    size_t naliases;
    bool generate;           /* referenced rules alert too */
} kz_sg_correlation;

/* One loaded document: a rule, a filter or a correlation. */
typedef struct kz_sigma_rule {
    uint8_t kind;            /* kz_sg_kind */
    const char *path;        /* file it came from */
    unsigned doc;            /* document index in the file (0-based) */
    unsigned line;           /* line where the document starts */
    /* metadata (NULL when absent) */
    const char *title, *id, *name, *status, *description, *author;
    const char *date, *modified, *license;
    uint8_t level;           /* kz_level */
    kz_sg_strlist tags, references, falsepositives, fields;
    const kz_sg_related *related;
    size_t nrelated;
    /* logsource */
    const char *product, *category, *service, *definition;
    /* detection (rules and filters) */
    const kz_sg_selection *sels;
    size_t nsels;
    const kz_sg_cond *cond;  /* the whole condition (list already ORed) */
    const char *cond_text;   /* as written (first entry if a list) */
    /* filter: referenced rules; any_rule when `rules: any` or [] */
    kz_sg_strlist filter_rules;
    bool filter_any;
    /* correlation */
    const kz_sg_correlation *corr;
    kz_arena arena;          /* owns everything above */
} kz_sigma_rule;

/* The level named s ("high"), or KZ_LEVEL_NONE. */
kz_level kz_level_parse(const char *s);

/* The name of a level ("high"; "" for KZ_LEVEL_NONE). */
const char *kz_level_name(kz_level l);

#endif /* KZ_SIGMA_AST_H */
