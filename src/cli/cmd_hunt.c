/*
 * cmd_hunt.c - `kizuki hunt`: Sigma rules over the events, a timeline of
 * detections out.
 *
 * Flow: load the rules (kizuki's pack, then every -r) into one set,
 * compile it (which adds the field names rules read to the name table),
 * freeze the names, then read. Matching runs on the pool threads
 * (on_worker, one kz_matcher per worker id, made up front): every hit
 * becomes a compact detection record (detection.h) copied into the
 * batch's result, because event memory dies with the batch. On the
 * calling thread, in input order (on_batch), records of events that dedup
 * dropped are discarded and the rest go to the detection store, which
 * spills sorted runs past its bound. After the read: merge, write the
 * timeline, print the summary. With correlation rules, hits of the rules
 * they read also carry those fields (the record's Fields section); after
 * the read the matches of correlated rules (kept in a store of their own
 * while reading) go, in the total order, to the correlation engine, whose
 * alerts go to a second store; the timeline is the detection store
 * merged with the alerts, leaving out the rules generate: false hides. Every time is formatted on the
 * calling thread (tz.h). Analytics (unless --no-analytics; hunt_analytics.c):
 * the workers also render facts for the events some analytic reads, kept
 * in their own sorted store; after the read the facts go in the total
 * order to the analytics engine, then the integrity tap finishes, and
 * both write findings through kz_hunt_emit_finding into the detection
 * store before it is merged (docs/analytics.md). The body is a driver,
 * kz_hunt_drive, that `investigate` reuses with an extension (kz_hunt_ext
 * in hunt_int.h: more options, taps on the batches and on the timeline's
 * records, a finish); with none it is `hunt`. The total order and the
 * timeline's writing are in hunt_timeline.c. Reference: docs/cli.md
 * (hunt), docs/output.md.
 */
#include "cli/commands.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/grow.h"
#include "cli/cli.h"
#include "cli/hunt_int.h"
#include "cli/progress.h"
#include "correlate/correlate.h"
#include "match/match.h"
#include "sigma/sigma.h"
#include "write/det_store.h"
#include "write/detection.h"
#include "write/timeline.h"
#include "write/tz.h"

/* Default --spill-bound: memory of all detection stores together. */
#define HUNT_SPILL_DEFAULT KZ_DET_STORE_DEFAULT_BOUND

/* Part 1/div of the spill bound (0 = the default), at least 1 KiB. */
static size_t
spill_share(size_t spill, size_t div)
{
    size_t b = (spill != 0 ? spill : HUNT_SPILL_DEFAULT) / div;

    return b < 1024 ? 1024 : b;
}

/* Exit status for --fail-on (DESIGN.md Conventions: CLI). */
#define HUNT_EXIT_FAIL_ON 4
/* Most -r options. */
#define MAX_RULE_PATHS 64
/* Match problems printed one by one (the rest are counted). */
#define MAX_PROBLEM_LINES 20
/* Per batch: match problems kept for printing. */
#define BATCH_PROBLEMS 8

enum {
    OPT_NO_DEFAULT_RULES = KZ_OPT_COMMAND_BASE,
    OPT_EXPAND,
    OPT_MIN_LEVEL,
    OPT_PROFILE,
    OPT_TZ,
    OPT_FAIL_ON,
    OPT_CSV_BOM,
    OPT_SPILL,
    OPT_CORR_REPEAT,
    OPT_RULE_CACHE,
    OPT_NO_RULE_CACHE,
    OPT_NO_ANALYTICS,
    OPT_ANALYTICS_CONFIG,
    OPT_FANOUT_HOSTS,
    OPT_BULK_READ_FILES,
    OPT_TOOL_CLASSES,
    OPT_DISCOVERY_COMMANDS,
    OPT_INTERNAL_NETS,
};

static const kz_cli_option hunt_opts[] = {
    { "rules", 'r', 'r', "PATH",
      "also load the Sigma rules in PATH (a .yml file or a directory; "
      "repeatable)" },
    { "no-default-rules", 0, OPT_NO_DEFAULT_RULES, NULL,
      "leave kizuki's own rule pack out (default: loaded)" },
    { "expand", 0, OPT_EXPAND, "FILE",
      "values of |expand placeholders: a YAML map or a directory of "
      "NAME.txt files (default: none; such rules are skipped)" },
    { "format", 'f', 'f', "FMT",
      "table, csv or jsonl (default: from the -o extension .csv/.jsonl, "
      "else table on a terminal and csv otherwise)" },
    { "profile", 0, OPT_PROFILE, "NAME",
      "columns: standard, verbose or timesketch (default: standard)" },
    { "min-level", 0, OPT_MIN_LEVEL, "LEVEL",
      "write only detections at or above LEVEL: informational, low, "
      "medium, high, critical (default: informational)" },
    { "tz", 0, OPT_TZ, "ZONE",
      "time zone of the output: UTC, +09:00, local or an IANA name like "
      "Asia/Tokyo (default: UTC)" },
    { "fail-on", 0, OPT_FAIL_ON, "LEVEL",
      "exit 4 if any detection is at or above LEVEL (default: off)" },
    { "csv-bom", 0, OPT_CSV_BOM, NULL,
      "start CSV output with a UTF-8 BOM, for Excel (default: off)" },
    { "spill-bound", 0, OPT_SPILL, "BYTES",
      "memory for detections, correlated matches, alerts and analytics "
      "facts together before sorted runs spill to $TMPDIR; K, M, G "
      "suffixes (default: 64M)" },
    { "correlation-repeat", 0, OPT_CORR_REPEAT, "MODE",
      "after a correlation fires for a group: 'reset' starts a new window "
      "(every further burst alerts again) or 'suppress' keeps sliding "
      "and alerts for the group at most once per timespan "
      "(default: reset)" },
    { "rule-cache", 0, OPT_RULE_CACHE, "DIR",
      "keep compiled rule databases in DIR, keyed by the rule set's hash "
      "(default: $XDG_CACHE_HOME/kizuki/rules-db or "
      "~/.cache/kizuki/rules-db)" },
    { "no-rule-cache", 0, OPT_NO_RULE_CACHE, NULL,
      "compile the rules every time, read and write no cache" },
    { "no-analytics", 0, OPT_NO_ANALYTICS, NULL,
      "run no analytics (kz_a_*: RDP then privilege, tool bursts, "
      "fan-out, binary identity, bulk reads, discovery; default: on)" },
    { "analytics-config", 0, OPT_ANALYTICS_CONFIG, "FILE",
      "thresholds of the analytics: 'key = value' lines (keys: "
      "docs/analytics.md; default: built-in values)" },
    { "fanout-hosts", 0, OPT_FANOUT_HOSTS, "N",
      "hosts one account, source or payload must reach for kz_a_fanout "
      "(default: 5)" },
    { "bulk-read-files", 0, OPT_BULK_READ_FILES, "N",
      "distinct files per account and source in the window over which "
      "kz_a_bulk_file_read fires (default: 50)" },
    { "tool-classes", 0, OPT_TOOL_CLASSES, "N",
      "tool classes on one host for kz_a_attack_tool_burst (default: 3)" },
    { "discovery-commands", 0, OPT_DISCOVERY_COMMANDS, "N",
      "discovery commands for kz_a_discovery_burst (default: 4)" },
    { "internal-nets", 0, OPT_INTERNAL_NETS, "LIST",
      "networks that are internal besides RFC 1918, CGNAT, loopback, "
      "link-local and ULA, for kz_a_rdp_external_privilege: "
      "comma-separated addr/prefix, e.g. 203.0.113.0/24,2001:db8::/32 "
      "(default: none)" },
};

#define N_HUNT_OPTS (sizeof(hunt_opts) / sizeof(hunt_opts[0]))

typedef struct hunt_args {
    const char *rules[MAX_RULE_PATHS]; /* -r paths */
    size_t nrules;             /* count */
    bool no_default;           /* --no-default-rules */
    const char *expand;        /* --expand */
    int format;                /* kz_tl_format, or -1 = default */
    kz_tl_profile profile;     /* --profile */
    uint8_t min_level;         /* --min-level */
    uint8_t fail_on;           /* --fail-on, KZ_LEVEL_NONE = off */
    kz_tz tz;                  /* --tz */
    bool csv_bom;              /* --csv-bom */
    size_t spill;              /* --spill-bound (0 = default) */
    kz_corr_repeat corr_repeat; /* --correlation-repeat */
    const char *rule_cache;    /* --rule-cache DIR, NULL = default */
    bool no_rule_cache;        /* --no-rule-cache */
    bool no_analytics;         /* --no-analytics */
    const char *analytics_config; /* --analytics-config FILE */
    struct {
        const char *key;       /* config key */
        const char *value;     /* flag value */
    } aflags[8];               /* threshold flags, applied after the file */
    size_t naflags;
    kz_a_net nets[KZ_A_MAX_NETS]; /* --internal-nets */
    size_t nnets;
} hunt_args;

/* Records built by a worker for one batch (b->user). */
typedef struct hits {
    kz_strbuf facts;           /* fact records (analytics) */
    uint32_t *fevi;            /* event index of each fact */
    size_t nf, fcap;           /* facts, allocated */
    kz_strbuf recs;            /* records back to back */
    uint32_t *evi;             /* event index of each record */
    size_t n, cap;             /* records, allocated */
    struct {
        uint32_t rule;         /* rule index or UINT32_MAX */
        uint32_t ev;           /* event index */
        uint8_t kind;          /* kz_match_problem */
    } prob[BATCH_PROBLEMS];    /* first problems of the batch */
    size_t nprob;              /* problems seen (may exceed the array) */
    uint64_t prob_count[3];    /* by kind */
    void *ext_user;            /* the extension's (kz_hunt_ext) */
} hits;

/* State of one on_hit callback run. */
typedef struct hit_ctx {
    struct hunt_ctx *h;        /* the hunt */
    hits *out;                 /* the batch's records */
    const kz_batch *b;         /* the batch */
    size_t ev;                 /* current event index */
    kz_strbuf *scratch;        /* rendering buffer of the worker */
    kz_matcher *m;             /* the worker's matcher */
} hit_ctx;

/* kz_det_text_fn: the texts the matcher rendered for the event (the rule
 * set renders with the code page of h->ro: load_rules gets the same
 * c.read.ansi_codepage). */
static bool
matcher_text(void *ctx, const kz_event *ev, size_t i, const char **p,
             size_t *n)
{
    return kz_matcher_field_text(ctx, ev, i, p, n);
}


static int
parse_level(const char *s, uint8_t *out)
{
    kz_level l = kz_level_parse(s);

    if (l == KZ_LEVEL_NONE)
        return KZ_EXIT_USAGE;
    *out = (uint8_t)l;
    return KZ_EXIT_OK;
}

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints a usage error (the whole message made terminal-safe: it quotes
 * user input); returns KZ_EXIT_USAGE. */
static int
usage(const char *fmt, ...)
{
    char esc[600], line[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    kz_cli_msg("hunt: %s (see 'kizuki hunt --help')",
               kz_cli_escape(line, esc, sizeof(esc)));
    return KZ_EXIT_USAGE;
}

static int
on_option(void *vctx, int id, const char *arg)
{
    hunt_args *a = vctx;
    char *end;
    unsigned long long v;
    kz_error err;

    switch (id) {
    case 'r':
        if (a->nrules == MAX_RULE_PATHS)
            return usage("too many -r options (at most 64; name a "
                         "directory instead of '%s')", arg);
        a->rules[a->nrules++] = arg;
        return KZ_EXIT_OK;
    case OPT_NO_DEFAULT_RULES:
        a->no_default = true;
        return KZ_EXIT_OK;
    case OPT_EXPAND:
        a->expand = arg;
        return KZ_EXIT_OK;
    case 'f':
        if (strcmp(arg, "table") == 0)
            a->format = KZ_TL_TABLE;
        else if (strcmp(arg, "csv") == 0)
            a->format = KZ_TL_CSV;
        else if (strcmp(arg, "jsonl") == 0)
            a->format = KZ_TL_JSONL;
        else
            return usage("-f wants table, csv or jsonl, not '%s'", arg);
        return KZ_EXIT_OK;
    case OPT_PROFILE:
        if (strcmp(arg, "standard") == 0)
            a->profile = KZ_TL_STANDARD;
        else if (strcmp(arg, "verbose") == 0)
            a->profile = KZ_TL_VERBOSE;
        else if (strcmp(arg, "timesketch") == 0)
            a->profile = KZ_TL_TIMESKETCH;
        else
            return usage("--profile wants standard, verbose or timesketch, "
                         "not '%s'", arg);
        return KZ_EXIT_OK;
    case OPT_MIN_LEVEL:
        if (parse_level(arg, &a->min_level) != KZ_EXIT_OK)
            return usage("--min-level wants informational, low, medium, "
                         "high or critical, not '%s'", arg);
        return KZ_EXIT_OK;
    case OPT_FAIL_ON:
        if (parse_level(arg, &a->fail_on) != KZ_EXIT_OK)
            return usage("--fail-on wants informational, low, medium, high "
                         "or critical, not '%s'", arg);
        return KZ_EXIT_OK;
    case OPT_TZ:
        if (kz_tz_parse(arg, &a->tz, &err) != KZ_OK)
            return usage("--tz: '%s' is not UTC, an offset like +09:00, "
                         "local, or a zone of the system's database",
                         arg);
        return KZ_EXIT_OK;
    case OPT_CSV_BOM:
        a->csv_bom = true;
        return KZ_EXIT_OK;
    case OPT_RULE_CACHE:
        a->rule_cache = arg;
        return KZ_EXIT_OK;
    case OPT_NO_RULE_CACHE:
        a->no_rule_cache = true;
        return KZ_EXIT_OK;
    case OPT_NO_ANALYTICS:
        a->no_analytics = true;
        return KZ_EXIT_OK;
    case OPT_ANALYTICS_CONFIG:
        a->analytics_config = arg;
        return KZ_EXIT_OK;
    case OPT_INTERNAL_NETS: {
        size_t n;

        kz_error_clear(&err);
        if (kz_a_nets_parse(arg, a->nets + a->nnets,
                            KZ_A_MAX_NETS - a->nnets, &n, &err) != KZ_OK)
            return usage("%s", err.msg);
        a->nnets += n;
        return KZ_EXIT_OK;
    }
    case OPT_FANOUT_HOSTS:
    case OPT_BULK_READ_FILES:
    case OPT_TOOL_CLASSES:
    case OPT_DISCOVERY_COMMANDS: {
        kz_a_config probe;

        if (a->naflags == sizeof(a->aflags) / sizeof(a->aflags[0]))
            return usage("too many analytics threshold flags");
        a->aflags[a->naflags].key =
            id == OPT_FANOUT_HOSTS      ? "fanout.hosts"
            : id == OPT_BULK_READ_FILES ? "bulk_read.files"
            : id == OPT_TOOL_CLASSES    ? "tool_burst.classes"
                                        : "discovery.commands";
        a->aflags[a->naflags].value = arg;
        kz_a_config_defaults(&probe);
        kz_error_clear(&err);
        if (kz_a_config_set(&probe, a->aflags[a->naflags].key, arg, &err) !=
            KZ_OK)
            return usage("%s", err.msg);
        a->naflags++;
        return KZ_EXIT_OK;
    }
    case OPT_CORR_REPEAT:
        if (strcmp(arg, "reset") == 0)
            a->corr_repeat = KZ_CORR_RESET;
        else if (strcmp(arg, "suppress") == 0)
            a->corr_repeat = KZ_CORR_SUPPRESS;
        else
            return usage("--correlation-repeat wants reset or suppress, "
                         "not '%s'", arg);
        return KZ_EXIT_OK;
    case OPT_SPILL:
        v = strtoull(arg, &end, 10);
        if (end == arg || *arg < '0' || *arg > '9')
            return usage("--spill-bound wants a byte count, not '%s'", arg);
        if (*end == 'K' || *end == 'k')
            v <<= 10, end++;
        else if (*end == 'M' || *end == 'm')
            v <<= 20, end++;
        else if (*end == 'G' || *end == 'g')
            v <<= 30, end++;
        if (*end != '\0' || v < 1024 || v > ((unsigned long long)1 << 40))
            return usage("--spill-bound wants 1K..1024G bytes, not '%s'",
                         arg);
        a->spill = (size_t)v;
        return KZ_EXIT_OK;
    default:
        return KZ_EXIT_USAGE;
    }
}

/* ---- rules --------------------------------------------------------- */

static bool
is_dir(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Finds kizuki's rule pack: <exe dir>/../rules, <exe dir>/../share/
 * kizuki/rules, the source tree's rules/ (KZ_SOURCE_DIR, when the build
 * defines it), then $KIZUKI_RULES. Returns buf or NULL. */
static const char *
find_pack(char *buf, size_t cap)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    const char *env;
    char *slash;

    if (n > 0) {
        exe[n] = '\0';
        if ((slash = strrchr(exe, '/')) != NULL) {
            *slash = '\0';
            snprintf(buf, cap, "%s/../rules", exe);
            if (is_dir(buf))
                return buf;
            snprintf(buf, cap, "%s/../share/kizuki/rules", exe);
            if (is_dir(buf))
                return buf;
        }
    }
#ifdef KZ_SOURCE_DIR
    snprintf(buf, cap, "%s/rules", KZ_SOURCE_DIR);
    if (is_dir(buf))
        return buf;
#endif
    env = getenv("KIZUKI_RULES");
    if (env != NULL && *env != '\0' && is_dir(env)) {
        snprintf(buf, cap, "%s", env);
        return buf;
    }
    return NULL;
}

/* Writes the reports of rules not loaded to a TSV file; returns its path
 * (in buf) or NULL if there are none or it cannot be written. */
static const char *
write_skip_report(const kz_sigma_set *set, const kz_ruleset *rs,
                  const char *output, char *buf, size_t cap)
{
    const char *dir = getenv("TMPDIR");
    kz_strbuf line;
    size_t i, nskip = rs != NULL ? kz_ruleset_skipped(rs, 0, NULL, NULL) : 0;
    FILE *f;
    const kz_sg_report *r;

    if (set == NULL ||
        (set->nreports == set->counts[KZ_SGV_LOADED] && nskip == 0))
        return NULL;
    if (output != NULL && strcmp(output, "-") != 0) {
        snprintf(buf, cap, "%s.skipped-rules.tsv", output);
    } else {
        /* One file per user, overwritten by the next run, so that runs
         * to stdout do not pile files up: $XDG_CACHE_HOME/kizuki or
         * ~/.cache/kizuki, else $TMPDIR. */
        const char *xdg = getenv("XDG_CACHE_HOME");
        const char *home = getenv("HOME");
        char d[4096];

        d[0] = '\0';
        if (xdg != NULL && *xdg == '/')
            snprintf(d, sizeof(d), "%s/kizuki", xdg);
        else if (home != NULL && *home == '/')
            snprintf(d, sizeof(d), "%s/.cache/kizuki", home);
        if (d[0] != '\0') {
            char parent[4096];

            snprintf(parent, sizeof(parent), "%.*s",
                     (int)(strrchr(d, '/') - d), d);
            (void)mkdir(parent, 0700);
            if (mkdir(d, 0700) != 0 && errno != EEXIST)
                d[0] = '\0';
        }
        if (d[0] != '\0')
            snprintf(buf, cap, "%s/last-hunt.skipped-rules.tsv", d);
        else
            snprintf(buf, cap, "%s/kizuki-%ld.skipped-rules.tsv",
                     dir != NULL && *dir != '\0' ? dir : "/tmp",
                     (long)getuid());
    }
    if ((f = fopen(buf, "w")) == NULL)
        return NULL;
    kz_strbuf_init(&line, 0);
    fputs("path\tdocument\tline\tverdict\treason\ttitle\n", f);
    for (i = 0; i < set->nreports; i++) {
        r = &set->reports[i];
        if (r->verdict == KZ_SGV_LOADED)
            continue;
        kz_strbuf_reset(&line);
        /* Tabs and newlines in rule text would break the TSV. */
        kz_tl_flatten(&line, r->path ? r->path : "", strlen(r->path ? r->path
                                                                    : ""));
        kz_strbuf_addf(&line, "\t%u\t%u\t%s\t", r->doc, r->line,
                       kz_sg_verdict_name((kz_sg_verdict)r->verdict));
        kz_tl_flatten(&line, r->reason ? r->reason : "",
                      strlen(r->reason ? r->reason : ""));
        kz_strbuf_addc(&line, '\t');
        kz_tl_flatten(&line, r->title ? r->title : "",
                      strlen(r->title ? r->title : ""));
        kz_strbuf_addc(&line, '\n');
        fwrite(line.data, 1, line.len, f);
    }
    /* Rules that loaded but could not compile (a matcher bound). */
    for (i = 0; i < nskip; i++) {
        const kz_sigma_rule *sr;
        const char *why;

        kz_ruleset_skipped(rs, i, &sr, &why);
        kz_strbuf_reset(&line);
        kz_tl_flatten(&line, sr->path, strlen(sr->path));
        kz_strbuf_addf(&line, "\t%u\t%u\tinvalid\t", sr->doc, sr->line);
        kz_tl_flatten(&line, why, strlen(why));
        kz_strbuf_addc(&line, '\t');
        kz_tl_flatten(&line, sr->title ? sr->title : "",
                      strlen(sr->title ? sr->title : ""));
        kz_strbuf_addc(&line, '\n');
        fwrite(line.data, 1, line.len, f);
    }
    kz_strbuf_fini(&line);
    if (fclose(f) != 0)
        return NULL;
    return buf;
}

/* ---- reading ------------------------------------------------------- */

static void
free_hits(void *ctx, void *user)
{
    hits *h = user;
    const hunt_ctx *hc = ctx;

    if (h == NULL)
        return;
    if (h->ext_user != NULL && hc != NULL && hc->ext != NULL &&
        hc->ext->free_user != NULL)
        hc->ext->free_user(h->ext_user);
    kz_strbuf_fini(&h->recs);
    kz_strbuf_fini(&h->facts);
    free(h->evi);
    free(h->fevi);
    free(h);
}

static kz_status
on_hit(void *vctx, const kz_event *ev, uint32_t rule)
{
    hit_ctx *c = vctx;
    hits *o = c->out;
    const kz_sigma_rule *r = kz_ruleset_rule(c->h->rs, rule);
    kz_det_origin from;
    uint32_t *evi;
    size_t cap, start;
    kz_status st;

    if (o->n == o->cap) {
        cap = o->cap == 0 ? 16 : 2 * o->cap;
        if ((evi = realloc(o->evi, cap * sizeof(*evi))) == NULL)
            return KZ_ENOMEM;
        o->evi = evi;
        o->cap = cap;
    }
    from.path = c->b->input != NULL ? c->b->input->path : NULL;
    from.arg_index = c->b->input != NULL ? c->b->input->arg_index : 0;
    from.file_index = c->b->input != NULL ? c->b->input->file_index : 0;
    from.text = c->m != NULL ? matcher_text : NULL;
    from.text_ctx = c->m;
    from.dict = c->b->input != NULL ? &c->h->dict : NULL;
    start = o->recs.len;
    if ((st = kz_det_build(&o->recs, ev, &from, rule,
                           r != NULL ? r->level : 0, &c->h->ro,
                           c->scratch)) != KZ_OK)
        return st;
    if (c->h->corr != NULL && c->h->rf0 != NULL &&
        c->h->rf0[rule + 1] > c->h->rf0[rule] &&
        (st = kz_det_add_fields(&o->recs, start, ev,
                                c->h->rfn + c->h->rf0[rule],
                                c->h->rfid + c->h->rf0[rule],
                                c->h->rf0[rule + 1] - c->h->rf0[rule],
                                &c->h->ro, c->scratch)) != KZ_OK) {
        o->recs.len = start;
        return st;
    }
    o->evi[o->n++] = (uint32_t)c->ev;
    return KZ_OK;
}

static void
on_match_problem(void *vctx, const kz_event *ev, uint32_t rule,
                 kz_match_problem p)
{
    hit_ctx *c = vctx;
    hits *o = c->out;

    (void)ev;
    if ((unsigned)p < 3)
        o->prob_count[p]++;
    if (p != KZ_MP_REGEX_LIMIT)
        return;
    if (o->nprob < BATCH_PROBLEMS) {
        o->prob[o->nprob].rule = rule;
        o->prob[o->nprob].ev = (uint32_t)c->ev;
        o->prob[o->nprob].kind = (uint8_t)p;
    }
    o->nprob++;
}

/* The fact record of event i of b, if some analytic reads it. */
static kz_status
add_fact(hunt_ctx *h, hits *o, const kz_batch *b, size_t i, kz_matcher *m,
         kz_strbuf *scratch)
{
    kz_det_origin from;
    uint32_t *fevi;
    size_t cap;
    bool added;
    kz_status st;

    if (o->nf == o->fcap) {
        cap = o->fcap == 0 ? 16 : 2 * o->fcap;
        if ((fevi = realloc(o->fevi, cap * sizeof(*fevi))) == NULL)
            return KZ_ENOMEM;
        o->fevi = fevi;
        o->fcap = cap;
    }
    from.path = b->input != NULL ? b->input->path : NULL;
    from.arg_index = b->input != NULL ? b->input->arg_index : 0;
    from.file_index = b->input != NULL ? b->input->file_index : 0;
    from.text = NULL;
    from.text_ctx = NULL;
    from.dict = NULL;
    if ((st = kz_hunt_facts_event(h->facts, m, &b->events[i], &from, &h->ro,
                                  &o->facts, scratch, &added)) != KZ_OK)
        return st;
    if (added)
        o->fevi[o->nf++] = (uint32_t)i;
    return KZ_OK;
}

static kz_status
on_worker(void *vctx, kz_batch *b, unsigned worker)
{
    hunt_ctx *h = vctx;
    kz_match_cb cb;
    hit_ctx hc;
    hits *o;
    kz_status st = KZ_OK;
    size_t i;

    if ((h->rs == NULL && h->facts == NULL && h->ext == NULL) ||
        b->nevents == 0)
        return KZ_OK;
    if (worker >= h->nworkers)
        return KZ_EINTERNAL;
    if ((o = calloc(1, sizeof(*o))) == NULL)
        return KZ_ENOMEM;
    kz_strbuf_init(&o->recs, 0);
    kz_strbuf_init(&o->facts, 0);
    hc.h = h;
    hc.out = o;
    hc.b = b;
    hc.scratch = &h->scratch[worker];
    hc.m = h->rs != NULL ? h->m[worker] : NULL;
    cb.on_hit = on_hit;
    cb.on_problem = on_match_problem;
    cb.ctx = &hc;
    for (i = 0; i < b->nevents && st == KZ_OK; i++) {
        hc.ev = i;
        if (h->rs != NULL)
            st = kz_match_event(h->m[worker], &b->events[i], &cb);
        if (st == KZ_OK && h->facts != NULL)
            st = add_fact(h, o, b, i, h->rs != NULL ? h->m[worker] : NULL,
                          &h->scratch[worker]);
    }
    if (st == KZ_OK && h->ext != NULL && h->ext->on_worker != NULL)
        st = h->ext->on_worker(h->ext->ctx, b, worker, &o->ext_user);
    if (st != KZ_OK || (o->n == 0 && o->nf == 0 && o->nprob == 0 &&
                        o->prob_count[1] == 0 && o->prob_count[2] == 0 &&
                        o->ext_user == NULL)) {
        free_hits(h, o);
        return st;
    }
    b->user = o;
    return KZ_OK;
}

static void
print_match_problem(hunt_ctx *h, const kz_batch *b, const hits *o, size_t k)
{
    const kz_sigma_rule *r = o->prob[k].rule != UINT32_MAX
                                 ? kz_ruleset_rule(h->rs, o->prob[k].rule)
                                 : NULL;
    const kz_event *ev = &b->events[o->prob[k].ev];
    char e1[300], e2[200];

    kz_cli_progress_clear(&h->pg);
    kz_cli_msg("%s: record %llu: rule '%s': a regular expression hit the "
               "PCRE2 match limit and counted as not matching",
               kz_cli_escape(b->input ? b->input->path : "-", e1, sizeof(e1)),
               (unsigned long long)ev->record_id,
               kz_cli_escape(r && r->title ? r->title : "?", e2, sizeof(e2)));
}

static kz_status
on_batch(void *vctx, kz_batch *b)
{
    hunt_ctx *h = vctx;
    hits *o = b->user;
    const uint8_t *p;
    size_t i, len;
    kz_det d;
    kz_status st;

    for (i = 0; i < b->problems.n; i++) {
        kz_cli_progress_clear(&h->pg);
        kz_cli_problem(b->input != NULL ? b->input->path : NULL,
                       &b->problems.items[i]);
        if (b->input != NULL && b->input->file_index < h->nlast)
            h->last_problem[b->input->file_index] =
                b->problems.items[i].kind;
    }
    if (h->integ != NULL && (st = kz_hunt_integrity_batch(h->integ, b)) !=
                                KZ_OK)
        return st;
    if (h->ext != NULL && h->ext->on_batch != NULL &&
        (st = h->ext->on_batch(h->ext->ctx, b,
                               o != NULL ? o->ext_user : NULL)) != KZ_OK)
        return st;
    if (o == NULL)
        return KZ_OK;
    /* Before any record of this input is decoded or sorted. */
    if (o->n > 0 && b->input != NULL &&
        (st = kz_det_dict_set_path(&h->dict, b->input->file_index,
                                   b->input->path)) != KZ_OK)
        return st;
    p = (const uint8_t *)o->facts.data;
    for (i = 0; i < o->nf; i++, p += len) {
        len = kz_det_len(p);
        if (o->fevi[i] < b->nevents &&
            (b->events[o->fevi[i]].flags & KZ_EV_DUPLICATE))
            continue;
        if ((st = kz_hunt_facts_add(h->facts, p, len,
                                    b->input != NULL ? b->input->path : NULL,
                                    &h->err)) != KZ_OK)
            return st;
    }
    for (i = 0; i < 3; i++)
        h->tally.match_problems[i] += o->prob_count[i];
    for (i = 0; i < o->nprob && i < BATCH_PROBLEMS; i++)
        if (h->problem_lines++ < MAX_PROBLEM_LINES)
            print_match_problem(h, b, o, i);
    p = (const uint8_t *)o->recs.data;
    for (i = 0; i < o->n; i++, p += len) {
        len = kz_det_len(p);
        if (o->evi[i] < b->nevents &&
            (b->events[o->evi[i]].flags & KZ_EV_DUPLICATE))
            continue;
        if (!kz_det_decode_head_in(&h->dict, p, len, &d))
            return KZ_EINTERNAL;
        if (h->corr != NULL && kz_corr_suppressed(h->corr, d.rule))
            h->tally.suppressed++;
        else
            kz_hunt_tally_add(&h->tally, &d);
        if ((st = kz_det_store_add(h->store, p, len, &h->err)) != KZ_OK)
            return st;
        if (h->corr != NULL && d.time != KZ_TIME_NONE &&
            kz_corr_wants(h->corr, d.rule) &&
            (st = kz_det_store_add(h->cstore, p, len, &h->err)) != KZ_OK)
            return st;
    }
    return KZ_OK;
}

static void
on_problem(void *vctx, const char *path, const kz_problem *p)
{
    hunt_ctx *h = vctx;

    kz_cli_progress_clear(&h->pg);
    kz_cli_problem(path, p);
    /* A file that yielded nothing gets its reason from here ("all 4
     * events duplicate earlier input"); on_input_done follows it. Files
     * that were not read at all get no on_input_done. */
    snprintf(h->last_path, sizeof(h->last_path), "%s", path ? path : "");
    snprintf(h->last_msg, sizeof(h->last_msg), "%s%s%s",
             p->kind == KZ_PROB_EMPTY ? "" : kz_problem_kind_str(p->kind),
             p->kind == KZ_PROB_EMPTY || p->msg[0] == '\0' ? "" : ": ",
             p->msg);
    if (p->kind == KZ_PROB_UNSUPPORTED || p->kind == KZ_PROB_IO ||
        p->kind == KZ_PROB_ARCHIVE)
        kz_hunt_tally_empty(&h->tally, path, h->last_msg);
}

static void
on_input_done(void *vctx, const kz_input *in, uint64_t events)
{
    hunt_ctx *h = vctx;
    int64_t *grown;
    size_t n, i;
    int64_t kind = -1;

    if (in->file_index < h->nlast)
        kind = h->last_problem[in->file_index];
    if (events == 0)
        kz_hunt_tally_empty(
            &h->tally, in->path,
            strcmp(h->last_path, in->path ? in->path : "") == 0
                ? h->last_msg
            : kind >= 0 ? kz_problem_kind_str((kz_problem_kind)kind)
                        : "no events");
    /* Keep room for the next inputs' last problem (indexes grow). */
    if (in->file_index + 2 > h->nlast) {
        n = (in->file_index + 2) * 2;
        if ((grown = realloc(h->last_problem, n * sizeof(*grown))) != NULL) {
            for (i = h->nlast; i < n; i++)
                grown[i] = -1;
            h->last_problem = grown;
            h->nlast = n;
        }
    }
    if (in->file_index < h->nlast)
        h->last_problem[in->file_index] = -1;
}

static void
on_progress(void *vctx, const kz_progress *p)
{
    hunt_ctx *h = vctx;

    kz_cli_progress_update(&h->pg, p);
}

/* ---- output -------------------------------------------------------- */

static bool
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static kz_tl_format
pick_format(const hunt_args *a, const char *output)
{
    if (a->format >= 0)
        return (kz_tl_format)a->format;
    if (output != NULL && strcmp(output, "-") != 0) {
        if (ends_with(output, ".csv"))
            return KZ_TL_CSV;
        if (ends_with(output, ".jsonl") || ends_with(output, ".json"))
            return KZ_TL_JSONL;
        return KZ_TL_CSV;
    }
    return isatty(STDOUT_FILENO) ? KZ_TL_TABLE : KZ_TL_CSV;
}

static unsigned
term_width(void)
{
    struct winsize ws;
    const char *c = getenv("COLUMNS");
    long n = c != NULL ? strtol(c, NULL, 10) : 0;

    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
        return ws.ws_col;
    if (n >= 40 && n <= 1000)
        return (unsigned)n;
    return 160;
}

/* ---- analytics ----------------------------------------------------- */

/* Times in findings' Details: the output zone. */
static kz_status
fmt_time(void *ctx, kz_strbuf *b, kz_time t)
{
    return kz_tz_format(b, ctx, t);
}

/* Makes the analytics engine and its facts store (unless
 * --no-analytics); registers the field names facts read. Returns an exit
 * code. */
static int
setup_analytics(const hunt_args *a, hunt_ctx *h, kz_names *names)
{
    kz_analytics_opts ao;
    kz_det_store_opts so;
    kz_a_config cfg;
    kz_error err;
    char esc[600];
    size_t i;

    if (a->no_analytics)
        return KZ_EXIT_OK;
    kz_a_config_defaults(&cfg);
    kz_error_clear(&err);
    if (a->analytics_config != NULL &&
        kz_a_config_load(&cfg, a->analytics_config, &err) != KZ_OK) {
        kz_cli_msg("hunt: --analytics-config: %s",
                   kz_cli_escape(err.msg, esc, sizeof(esc)));
        return KZ_EXIT_USAGE;
    }
    for (i = 0; i < a->naflags; i++)
        if (kz_a_config_set(&cfg, a->aflags[i].key, a->aflags[i].value,
                            &err) != KZ_OK)
            return usage("%s", err.msg);
    memset(&ao, 0, sizeof(ao));
    ao.config = &cfg;
    ao.internal_nets = a->nets;
    ao.ninternal_nets = a->nnets;
    ao.sink.emit = kz_hunt_emit_finding;
    ao.sink.ctx = &h->fnd;
    ao.fmt_time = fmt_time;
    ao.fmt_ctx = (void *)h->tz;
    if ((h->an = kz_analytics_new(&ao)) == NULL)
        return KZ_EXIT_FATAL;
    memset(&so, 0, sizeof(so));
    so.mem_bound = spill_share(a->spill, 4); /* facts: a quarter */
    if (kz_analytics_kinds(h->an) != 0 &&
        (h->facts = kz_hunt_facts_new(names, h->an, &so, &err)) == NULL) {
        kz_cli_msg("hunt: analytics: %s", err.msg);
        return KZ_EXIT_FATAL;
    }
    return KZ_EXIT_OK;
}

/* After the read: facts to the engine, then the integrity tap; findings
 * go to the detection store (not finished yet). */
static kz_status
run_analytics(hunt_ctx *h, kz_error *err)
{
    kz_status st = KZ_OK;

    if (h->an != NULL && h->facts != NULL)
        st = kz_hunt_facts_run(h->facts, h->an, &h->nfacts, err);
    else if (h->an != NULL)
        st = kz_analytics_finish(h->an);
    if (st == KZ_OK && h->integ != NULL) {
        kz_finding_sink sink;

        sink.emit = kz_hunt_emit_finding;
        sink.ctx = &h->fnd;
        st = kz_hunt_integrity_finish(h->integ, &sink);
    }
    if (st != KZ_OK && h->fnd.err.msg[0] != '\0')
        *err = h->fnd.err;
    return st;
}

/* ---- the command --------------------------------------------------- */

void
kz_cli_hunt_help(FILE *f)
{
    fputs("Usage: kizuki hunt [options] PATH...\n"
          "\n"
          "Runs Sigma rules over every event of the inputs and writes the\n"
          "detections as a timeline, sorted by time (then input, record and\n"
          "rule id), identical for every thread count. Rules: kizuki's own\n"
          "pack (found next to the executable, in ../rules, then in the\n"
          "source tree, then in $KIZUKI_RULES) plus every -r. With no rules\n"
          "at all, hunt still reads every event (a baseline for\n"
          "benchmarks) and says so.\n"
          "\n"
          "Columns (standard profile): Timestamp, RuleTitle, Level, Computer,\n"
          "Channel, EventID, RecordID, Details, ExtraFieldInfo, RuleID,\n"
          "RuleAuthor, File. Details holds the fields an analyst reads first\n"
          "for the event type; ExtraFieldInfo every other field. Formats,\n"
          "profiles and escaping: docs/output.md.\n"
          "\n"
          "PATH is a file, a directory (walked recursively), or \"-\" for\n"
          "standard input; EVTX, JSON/JSONL and gzip or zip archives of them\n"
          "are recognised by their contents.\n"
          "\n"
          "Analytics run beside the rules (unless --no-analytics): external\n"
          "RDP then privilege, attack-tool bursts, fan-out to many hosts,\n"
          "binary identity, bulk file reads and discovery-command bursts.\n"
          "Their findings are rows like detections, RuleID kz_a_...;\n"
          "thresholds and the config file: docs/analytics.md.\n"
          "\n"
          "Options:\n",
          f);
    kz_cli_help_options(f, hunt_opts, N_HUNT_OPTS);
    kz_cli_help_common(f);
    fputs("\n"
          "Examples:\n"
          "  kizuki hunt C/Windows/System32/winevt/Logs/\n"
          "  kizuki hunt -r sigma/rules/windows -o timeline.csv logs/\n"
          "  kizuki hunt --min-level high --tz Asia/Tokyo -f table logs/\n"
          "  kizuki hunt -q -f jsonl --profile timesketch logs/ > ts.jsonl\n"
          "  kizuki hunt --fail-on high logs/ || echo \"alert\"\n"
          "\n",
          f);
    kz_cli_help_exit_codes(f);
    fputs("  4  --fail-on LEVEL was given and a detection is at or above\n"
          "     LEVEL (takes precedence over 1, not over 3)\n",
          f);
}

/* Loads and compiles the rules (databases on `threads` threads, the -j
 * value; 0 = one per core); fills *set_out, *rs_out, *sources.
 * Returns an exit code. */
static int
load_rules(const hunt_args *a, kz_names *names, unsigned ansi_cp,
           unsigned threads, bool quiet, kz_sigma_set **set_out, kz_ruleset **rs_out,
           kz_sg_expand **expand_out, size_t *sources)
{
    kz_sigma_load_opts lo;
    kz_match_opts mo;
    kz_error err;
    char pack[PATH_MAX + 32], esc[600], cache[PATH_MAX];
    const char *pack_path = NULL;
    kz_sigma_set *set = NULL;
    size_t i;

    *sources = 0;
    memset(&lo, 0, sizeof(lo));
    kz_error_clear(&err);
    if (a->expand != NULL &&
        (*expand_out = kz_sg_expand_load(a->expand, &err)) == NULL) {
        kz_cli_msg("hunt: --expand %s: %s",
                   kz_cli_escape(a->expand, esc, sizeof(esc)), err.msg);
        return KZ_EXIT_USAGE;
    }
    lo.expand = *expand_out;
    if (!a->no_default && (pack_path = find_pack(pack, sizeof(pack))) ==
                              NULL && !quiet)
        kz_cli_msg("hunt: kizuki's rule pack was not found (looked in "
                   "<executable dir>/../rules, the source tree and "
                   "$KIZUKI_RULES); going on without it");
    if (pack_path == NULL && a->nrules == 0)
        return KZ_EXIT_OK;
    if ((set = kz_sigma_set_new(&lo)) == NULL)
        return KZ_EXIT_FATAL;
    *set_out = set;
    if (pack_path != NULL) {
        if (kz_sigma_load_path(set, pack_path, &err) != KZ_OK) {
            kz_cli_msg("hunt: rule pack %s: %s",
                       kz_cli_escape(pack_path, esc, sizeof(esc)), err.msg);
            return KZ_EXIT_FATAL;
        }
        (*sources)++;
    }
    for (i = 0; i < a->nrules; i++) {
        kz_error_clear(&err);
        if (kz_sigma_load_path(set, a->rules[i], &err) != KZ_OK) {
            kz_cli_msg("hunt: -r %s: %s",
                       kz_cli_escape(a->rules[i], esc, sizeof(esc)),
                       err.msg);
            return err.code == KZ_ENOMEM ? KZ_EXIT_FATAL : KZ_EXIT_USAGE;
        }
        (*sources)++;
    }
    kz_error_clear(&err);
    if (kz_sigma_set_finish(set, &err) != KZ_OK) {
        kz_cli_msg("hunt: rules: %s", err.msg);
        return KZ_EXIT_FATAL;
    }
    memset(&mo, 0, sizeof(mo));
    mo.render.ansi_codepage = ansi_cp;
    mo.threads = threads;
    if (!a->no_rule_cache)
        mo.cache_dir = a->rule_cache != NULL
                           ? kz_cli_rule_cache_dir(a->rule_cache)
                           : kz_cli_cache_dir("rules-db", cache,
                                              sizeof(cache));
    if (kz_ruleset_compile(set, names, &mo, rs_out, &err) != KZ_OK) {
        kz_cli_msg("hunt: compiling the rules: %s", err.msg);
        return KZ_EXIT_FATAL;
    }
    /* Rules past a matcher bound are left out one by one, not the set. */
    for (i = 0; !quiet && i < kz_ruleset_skipped(*rs_out, 0, NULL, NULL);
         i++) {
        const kz_sigma_rule *sr;
        const char *why;
        char esc2[600];

        kz_ruleset_skipped(*rs_out, i, &sr, &why);
        kz_cli_msg("hunt: %s: invalid: %s; rule skipped",
                   kz_cli_escape(sr->path, esc, sizeof(esc)),
                   kz_cli_escape(why, esc2, sizeof(esc2)));
    }
    return KZ_EXIT_OK;
}

static unsigned
cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n < 1 ? 1 : n > 256 ? 256 : (unsigned)n;
}

void
kz_hunt_help_options(FILE *f)
{
    kz_cli_help_options(f, hunt_opts, N_HUNT_OPTS);
}

/* Options of hunt and of an extension, dispatched by id. */
typedef struct opt_ctx {
    hunt_args *a;
    const kz_hunt_ext *ext;
} opt_ctx;

static int
on_any_option(void *vctx, int id, const char *arg)
{
    opt_ctx *o = vctx;

    if (id >= KZ_HUNT_EXT_OPT && o->ext != NULL && o->ext->on_option)
        return o->ext->on_option(o->ext->ctx, id, arg);
    return on_option(o->a, id, arg);
}

int
kz_cli_hunt_run(int argc, char **argv)
{
    return kz_hunt_drive(argc, argv, NULL);
}

int
kz_hunt_drive(int argc, char **argv, const kz_hunt_ext *ext)
{
    kz_cli_common c;
    kz_cli_option *opts = NULL;
    opt_ctx oc;
    const char *tl_path = NULL;
    hunt_args a;
    hunt_ctx h;
    kz_read_stats stats;
    kz_error err;
    kz_status st;
    kz_names *names = NULL;
    kz_sigma_set *set = NULL;
    kz_sg_expand *expand = NULL;
    kz_ruleset *rs = NULL;
    uint32_t *rank = NULL;
    const kz_sigma_rule **rules = NULL;
    kz_det_store_opts so, so2, so3;
    kz_tl_opts to;
    kz_hunt_report rep;
    kz_corr_stats cst;
    kz_a_stats ast;
    FILE *out = NULL;
    char skip_buf[PATH_MAX + 64];
    const char *skip = NULL;
    size_t nrules = 0, ncorr = 0, nana = 0, sources = 0, i;
    uint64_t written = 0;
    int first, rc, rc2;
    unsigned w;

    memset(&a, 0, sizeof(a));
    memset(&h, 0, sizeof(h));
    a.format = -1;
    a.min_level = KZ_LEVEL_NONE;
    kz_tz_parse("UTC", &a.tz, NULL);
    if ((opts = calloc(N_HUNT_OPTS + (ext ? ext->nopts : 0),
                       sizeof(*opts))) == NULL)
        return KZ_EXIT_FATAL;
    memcpy(opts, hunt_opts, sizeof(hunt_opts));
    if (ext != NULL && ext->nopts > 0)
        memcpy(opts + N_HUNT_OPTS, ext->opts, ext->nopts * sizeof(*opts));
    oc.a = &a;
    oc.ext = ext;
    rc = kz_cli_parse(argc, argv, &c, opts, N_HUNT_OPTS +
                      (ext ? ext->nopts : 0), on_any_option, &oc, &first);
    free(opts);
    if (rc != KZ_EXIT_OK)
        return rc;
    if (c.help) {
        if (ext != NULL && ext->help != NULL)
            ext->help(stdout);
        else
            kz_cli_hunt_help(stdout);
        return KZ_EXIT_OK;
    }
    if (first >= argc) {
        kz_cli_msg("%s: no input paths (use - for standard input; see "
                   "'kizuki %s --help')", ext ? ext->name : "hunt",
                   ext ? ext->name : "hunt");
        return KZ_EXIT_USAGE;
    }
    h.ext = ext;
    tl_path = c.output;
    kz_tz_activate(&a.tz);
    if ((names = kz_names_new()) == NULL)
        return KZ_EXIT_FATAL;
    rc = load_rules(&a, names, c.read.ansi_codepage, c.read.threads,
                    c.quiet, &set, &rs, &expand, &sources);
    if (rc != KZ_EXIT_OK)
        goto out;
    h.tz = &a.tz;
    if ((rc = setup_analytics(&a, &h, names)) != KZ_EXIT_OK)
        goto out;
    if (!a.no_analytics &&
        (h.integ = kz_hunt_integrity_new(a.analytics_config)) == NULL) {
        rc = KZ_EXIT_FATAL;
        goto out;
    }
    /* the fields correlations read get ids like the rules' fields, so the
     * workers find them by id */
    if (set != NULL && kz_hunt_corr_intern(set, names) != KZ_OK) {
        rc = KZ_EXIT_FATAL;
        goto out;
    }
    if (ext != NULL && ext->setup != NULL &&
        (rc = ext->setup(ext->ctx, &c, a.nets, a.nnets, names, &tl_path)) !=
            KZ_EXIT_OK)
        goto out;
    if (ext != NULL && ext->on_paths != NULL)
        ext->on_paths(ext->ctx, (const char *const *)(argv + first),
                      (size_t)(argc - first));
    kz_names_freeze(names);
    kz_det_dict_init(&h.dict, names);
    if (rs != NULL) {
        nrules = kz_ruleset_rule_count(rs);
        if ((rules = calloc(nrules + 1, sizeof(*rules))) == NULL) {
            rc = KZ_EXIT_FATAL;
            goto out;
        }
        for (i = 0; i < nrules; i++)
            rules[i] = kz_ruleset_rule(rs, i);
        if ((rank = kz_hunt_make_ranks(rules, nrules)) == NULL) {
            rc = KZ_EXIT_FATAL;
            goto out;
        }
    }
    /* Correlations: an engine over the compiled rules; their alerts get
     * the output indexes after the compiled rules. */
    if (nrules > 0 && set != NULL &&
        (rc = kz_hunt_corr_setup(&h, set, rs, names, a.corr_repeat, &a.tz,
                                 &rules, &rank, nrules, &ncorr)) !=
            KZ_EXIT_OK)
        goto out;
    /* Analytics (and integrity) findings: the indexes after the
     * correlations, one per catalog entry. */
    if (h.an != NULL || h.integ != NULL) {
        const kz_sigma_rule *const *arules = kz_hunt_analytic_rules(&nana);
        const kz_sigma_rule **grown_rules;

        if ((grown_rules = realloc(rules, (nrules + ncorr + nana + 1) *
                                              sizeof(*rules))) == NULL) {
            rc = KZ_EXIT_FATAL;
            goto out;
        }
        rules = grown_rules;
        for (i = 0; i < nana; i++)
            rules[nrules + ncorr + i] = arules[i];
        rules[nrules + ncorr + nana] = NULL;
        if (h.corr != NULL)
            h.rules = rules;    /* on_alert's view moved with it */
        h.fnd.base = (uint32_t)(nrules + ncorr);
        h.fnd.tally = &h.tally;
        h.fnd.tz = &a.tz;
        kz_strbuf_init(&h.fnd.rec, 0);
    }
    if (nrules == 0) {
        kz_ruleset_free(rs);
        rs = NULL;
        kz_cli_msg("hunt: no rules loaded: reading every event without "
                   "matching (a baseline for benchmarks%s)",
                   h.an != NULL ? "; analytics still run: add "
                                  "--no-analytics for a reading baseline"
                                : "");
    }
    skip = c.quiet ? NULL
                   : write_skip_report(set, rs, tl_path, skip_buf,
                                       sizeof(skip_buf));
    /* Matchers and buffers for every worker id, made up front. */
    if (c.read.threads == 0)
        c.read.threads = cores();
    h.nworkers = c.read.threads;
    h.rs = rs;
    h.ro.ansi_codepage = c.read.ansi_codepage;
    if ((h.m = calloc(h.nworkers, sizeof(*h.m))) == NULL ||
        (h.scratch = calloc(h.nworkers, sizeof(*h.scratch))) == NULL) {
        rc = KZ_EXIT_FATAL;
        goto out;
    }
    for (w = 0; w < h.nworkers; w++) {
        kz_strbuf_init(&h.scratch[w], 0);
        if (rs != NULL && (h.m[w] = kz_matcher_new(rs)) == NULL) {
            rc = KZ_EXIT_FATAL;
            goto out;
        }
    }
    memset(&so, 0, sizeof(so));
    so.rank = rank;
    so.nrank = nrules + ncorr;
    so.dict = &h.dict;
    h.rank = so.rank;
    h.nrank = so.nrank;
    /* --spill-bound is shared: detections half, matches of correlated
     * rules a quarter, alerts an eighth (facts: a quarter, above); the
     * whole bound when the detection store is the only store */
    so2 = so3 = so;
    so.mem_bound = spill_share(a.spill,
                               h.corr == NULL && h.facts == NULL ? 1 : 2);
    so2.mem_bound = spill_share(a.spill, 4);
    so3.mem_bound = spill_share(a.spill, 8);
    kz_error_clear(&err);
    if (kz_hunt_tally_init(&h.tally, nrules + ncorr + nana) != KZ_OK ||
        kz_det_store_new(&so, &h.store, &err) != KZ_OK ||
        (h.corr != NULL &&
         (kz_det_store_new(&so3, &h.out2, &err) != KZ_OK ||
          kz_det_store_new(&so2, &h.cstore, &err) != KZ_OK))) {
        rc = KZ_EXIT_FATAL;
        goto out;
    }
    h.fnd.store = h.store;
    if ((out = kz_cli_output_open(tl_path)) == NULL) {
        rc = KZ_EXIT_FATAL;
        goto out;
    }
    kz_cli_progress_init(&h.pg, !c.quiet && !c.no_progress);
    c.read.names = names;
    c.read.on_worker = on_worker;
    c.read.on_batch = on_batch;
    c.read.on_problem = on_problem;
    c.read.on_input_done = on_input_done;
    c.read.on_progress = on_progress;
    c.read.free_user = free_hits;
    c.read.ctx = &h;
    kz_error_clear(&h.err);
    kz_error_clear(&err);
    st = kz_read_run((const char *const *)(argv + first),
                     (size_t)(argc - first), &c.read, &stats, &err);
    kz_cli_progress_clear(&h.pg);
    if (st != KZ_OK) {
        kz_cli_msg("hunt: stopped: %s",
                   h.err.msg[0] != '\0' ? h.err.msg
                   : err.msg[0] != '\0' ? err.msg
                                        : kz_status_str(st));
        kz_cli_output_close(out, tl_path);
        out = NULL;
        rc = KZ_EXIT_FATAL;
        goto out;
    }
    /* Sort, merge and write. */
    memset(&to, 0, sizeof(to));
    to.format = pick_format(&a, tl_path);
    to.profile = a.profile;
    to.tz = &a.tz;
    to.rules = rules;
    to.nrules = nrules + ncorr + nana;
    to.min_level = a.min_level;
    to.csv_bom = a.csv_bom;
    if (to.format == KZ_TL_TABLE) {
        bool tty = (tl_path == NULL || strcmp(tl_path, "-") == 0) &&
                   isatty(STDOUT_FILENO);

        to.color = tty && getenv("NO_COLOR") == NULL;
        to.width = tty ? term_width() : 160;
    }
    kz_error_clear(&err);
    if ((st = run_analytics(&h, &err)) == KZ_OK &&
        (st = kz_det_store_finish(h.store, &err)) == KZ_OK) {
        if (h.corr != NULL &&
            (st = kz_det_store_finish(h.cstore, &err)) == KZ_OK &&
            (st = kz_hunt_corr_run(&h, &err)) == KZ_OK)
            st = kz_hunt_write_timeline(&h, h.store, h.out2, out, &to,
                                        &written, &err);
        else if (h.corr == NULL)
            st = kz_hunt_write_timeline(&h, h.store, NULL, out, &to,
                                        &written, &err);
    }
    rc2 = kz_cli_output_close(out, tl_path);
    out = NULL;
    if (st != KZ_OK) {
        kz_cli_msg("hunt: writing the timeline failed: %s",
                   err.msg[0] != '\0' ? err.msg : kz_status_str(st));
        rc = KZ_EXIT_FATAL;
        goto out;
    }
    if (rc2 != KZ_EXIT_OK) {
        rc = rc2;
        goto out;
    }
    if (!c.quiet) {
        memset(&rep, 0, sizeof(rep));
        rep.read = &stats;
        rep.elapsed = kz_cli_progress_elapsed(&h.pg);
        rep.input_tz_min = c.read.json.input_tz_min;
        rep.set = set;
        rep.sources = sources;
        rep.skip_report = skip;
        rep.compile_skipped =
            rs != NULL ? kz_ruleset_skipped(rs, 0, NULL, NULL) : 0;
        rep.rules = rules;
        rep.written = written;
        rep.min_level = a.min_level;
        rep.tz = &a.tz;
        if (h.an != NULL) {
            kz_analytics_stats(h.an, &ast);
            rep.analytics = &ast;
            rep.findings = h.fnd.by_analytic;
            rep.facts = h.nfacts;
        }
        rep.analytics_off = a.no_analytics;
        if (h.corr != NULL) {
            kz_corr_stats_get(h.corr, &cst);
            rep.corr = &cst;
        }
        kz_hunt_summary(stderr, &h.tally, &rep);
    }
    rc = kz_cli_exit_code(&stats);
    if (a.fail_on != KZ_LEVEL_NONE)
        for (i = a.fail_on; i < 6; i++)
            if (h.tally.by_level[i] > 0)
                rc = HUNT_EXIT_FAIL_ON;
    if (ext != NULL && ext->finish != NULL) {
        kz_hunt_done dn;

        /* the timeline is written: the stores, the facts and the
         * matchers are done with; an extension builds its report next,
         * without them in memory */
        kz_det_store_free(h.store);
        kz_det_store_free(h.out2);
        kz_det_store_free(h.cstore);
        h.store = h.out2 = h.cstore = h.fnd.store = NULL;
        kz_hunt_facts_free(h.facts);
        h.facts = NULL;
        for (w = 0; h.m != NULL && w < h.nworkers; w++) {
            kz_matcher_free(h.m[w]);
            h.m[w] = NULL;
        }

        memset(&dn, 0, sizeof(dn));
        dn.read = &stats;
        dn.set = set;
        dn.sources = sources;
        dn.pack = a.no_default ? NULL
                               : find_pack(skip_buf, sizeof(skip_buf));
        dn.rule_paths = a.rules;
        dn.nrule_paths = a.nrules;
        dn.rules = rules;
        dn.nrules = nrules + ncorr + nana;
        dn.an = h.an;
        dn.tally = &h.tally;
        dn.written = written;
        dn.tz = &a.tz;
        dn.paths = (const char *const *)(argv + first);
        dn.npaths = (size_t)(argc - first);
        dn.argc = argc;
        dn.argv = argv;
        if ((rc2 = ext->finish(ext->ctx, &dn)) != KZ_EXIT_OK)
            rc = rc2;
    }
out:
    if (out != NULL)
        kz_cli_output_close(out, tl_path);
    for (w = 0; h.m != NULL && w < h.nworkers; w++)
        kz_matcher_free(h.m[w]);
    for (w = 0; h.scratch != NULL && w < h.nworkers; w++)
        kz_strbuf_fini(&h.scratch[w]);
    free(h.m);
    free(h.scratch);
    free(h.last_problem);
    kz_det_store_free(h.store);
    kz_det_store_free(h.out2);
    kz_det_store_free(h.cstore);
    kz_hunt_corr_free(&h);
    kz_strbuf_fini(&h.fnd.rec);
    kz_hunt_facts_free(h.facts);
    kz_analytics_free(h.an);
    kz_hunt_integrity_free(h.integ);
    kz_hunt_tally_fini(&h.tally);
    kz_det_dict_fini(&h.dict);
    free(rank);
    free(rules);
    kz_ruleset_free(rs);
    kz_sigma_set_free(set);
    kz_sg_expand_free(expand);
    kz_names_free(names);
    return rc;
}
