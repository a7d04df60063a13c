/*
 * cmd_rules.c - `kizuki rules check PATH...`: load Sigma rule trees and
 * say, for every file and document, what happened to it.
 *
 * Output (stdout), one line per document that is not loaded, or per
 * document with --verbose:
 *   PATH[#DOC]: VERDICT[: REASON] [(line N)]
 * (a rule the matcher cannot compile is `invalid` with the compiler's
 * reason, and counted as skipped)
 * then the correlation references that name no loaded rule, the
 * correlations that hide (generate: false) a rule loaded from another
 * PATH argument (a warning only), a count per verdict, the compile
 * figures, and last the line `loaded N, skipped M`.
 * Exit: 0 when nothing is invalid; 1 when some document is invalid or a
 * correlation references a missing rule (so a CI job can lint a rule
 * pack); 2 usage; 3 a path could not be read or the set did not compile.
 */
#include "cli/commands.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "match/match.h"
#include "sigma/sigma.h"

enum {
    OPT_EXPAND = KZ_OPT_COMMAND_BASE,
    OPT_VERBOSE,
    OPT_NO_COMPILE,
    OPT_ALL_STATUS,
    OPT_RULE_CACHE,
    OPT_NO_RULE_CACHE,
};

typedef struct rules_opts {
    const char *expand;     /* --expand FILE */
    bool verbose;           /* --verbose: list loaded documents too */
    bool compile;           /* compile after loading (default) */
    bool all_status;        /* --include-deprecated */
    bool quiet;             /* -q */
    const char *rule_cache; /* --rule-cache DIR */
    bool no_rule_cache;     /* --no-rule-cache */
} rules_opts;

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
kz_cli_rules_help(FILE *f)
{
    fputs("Usage: kizuki rules check [options] PATH...\n"
          "\n"
          "Loads Sigma rules (files or directory trees of .yml/.yaml,\n"
          "walked in byte order of names) exactly as `kizuki hunt` does,\n"
          "and reports what happened to every document:\n"
          "  loaded        parsed, mapped to EVTX channels, compiled\n"
          "  not a rule    YAML, but not a Sigma rule, filter or correlation\n"
          "  deprecated    status deprecated or unsupported (skipped)\n"
          "  placeholder   uses |expand but --expand gives no values\n"
          "  unmapped      its log source has no EVTX channel (reason given)\n"
          "  invalid       bad YAML or bad Sigma (reason and line given),\n"
          "                or too big for the matcher (reason given)\n"
          "  duplicate     same id as a rule loaded before (skipped)\n"
          "Then it lists correlation references to rules that are not\n"
          "loaded, warns about correlations that hide (generate: false) a\n"
          "rule loaded from another PATH, counts per verdict, and ends with\n"
          "`loaded N, skipped M`.\n"
          "\n"
          "Options:\n"
          "  --expand FILE        values for |expand placeholders: a YAML map\n"
          "                       name -> list, or a directory of NAME.txt\n"
          "  --verbose            list loaded documents too\n"
          "  --include-deprecated load deprecated/unsupported rules as well\n"
          "  --no-compile         stop after loading (skip the matcher)\n"
          "  --rule-cache DIR     compiled databases cache, created if\n"
          "                       missing (default: ~/.cache/kizuki/rules-db,\n"
          "                       as hunt uses)\n"
          "  --no-rule-cache      compile without reading or writing it\n"
          "  -q, --quiet          print only the last line\n"
          "  -h, --help           this help\n"
          "\n"
          "Examples:\n"
          "  kizuki rules check rules/\n"
          "  kizuki rules check --expand placeholders.yml sigma/rules/windows\n"
          "\n"
          "Exit codes:\n"
          "  0  nothing invalid (skipped documents are fine)\n"
          "  1  some document is invalid, or a correlation references a\n"
          "     rule that is not loaded\n"
          "  2  usage error\n"
          "  3  a path could not be read, or the rules did not compile\n"
          "Reference: docs/rules.md.\n",
          f);
}

static int
parse_args(int argc, char **argv, rules_opts *o, int *first)
{
    static const struct option longs[] = {
        { "expand", required_argument, NULL, OPT_EXPAND },
        { "verbose", no_argument, NULL, OPT_VERBOSE },
        { "no-compile", no_argument, NULL, OPT_NO_COMPILE },
        { "include-deprecated", no_argument, NULL, OPT_ALL_STATUS },
        { "rule-cache", required_argument, NULL, OPT_RULE_CACHE },
        { "no-rule-cache", no_argument, NULL, OPT_NO_RULE_CACHE },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    memset(o, 0, sizeof(*o));
    o->compile = true;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+qh", longs, NULL)) != -1) {
        switch (c) {
        case OPT_EXPAND:
            o->expand = optarg;
            break;
        case OPT_VERBOSE:
            o->verbose = true;
            break;
        case OPT_NO_COMPILE:
            o->compile = false;
            break;
        case OPT_ALL_STATUS:
            o->all_status = true;
            break;
        case OPT_RULE_CACHE:
            o->rule_cache = optarg;
            break;
        case OPT_NO_RULE_CACHE:
            o->no_rule_cache = true;
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'h':
            kz_cli_rules_help(stdout);
            return -1;
        default: {
            char esc[128];

            kz_cli_msg("rules: unknown option '%s' (see 'kizuki rules "
                       "--help')",
                       kz_cli_escape(argv[optind - 1], esc, sizeof(esc)));
            return KZ_EXIT_USAGE;
        }
        }
    }
    *first = optind;
    return KZ_EXIT_OK;
}

static void
print_report(const kz_sg_report *r)
{
    char path[1024], reason[1024];

    printf("%s", kz_cli_escape(r->path, path, sizeof(path)));
    if (r->doc > 0)
        printf("#%u", r->doc);
    printf(": %s", kz_sg_verdict_name((kz_sg_verdict)r->verdict));
    if (r->reason != NULL)
        printf(": %s", kz_cli_escape(r->reason, reason, sizeof(reason)));
    if (r->line > 0)
        printf(" (line %u)", r->line);
    putchar('\n');
}

/* The reason rs skipped the rule of report r at compile, or NULL. */
static const char *
skip_reason(const kz_ruleset *rs, const kz_sg_report *r)
{
    size_t i, n = rs != NULL ? kz_ruleset_skipped(rs, 0, NULL, NULL) : 0;

    for (i = 0; i < n; i++) {
        const kz_sigma_rule *sr;
        const char *why;

        kz_ruleset_skipped(rs, i, &sr, &why);
        if (sr->doc == r->doc && strcmp(sr->path, r->path) == 0)
            return why;
    }
    return NULL;
}

/* Prints the reports (a rule skipped at compile as invalid, with the
 * compiler's reason) and the missing correlation references. */
static void
print_reports(const kz_sigma_set *set, const kz_ruleset *rs, bool verbose)
{
    char esc[1024];
    size_t i;

    for (i = 0; i < set->nreports; i++) {
        kz_sg_report r = set->reports[i];
        const char *why = NULL;

        if (r.verdict == KZ_SGV_LOADED &&
            (why = skip_reason(rs, &r)) != NULL) {
            r.verdict = KZ_SGV_INVALID;
            r.reason = why;
            r.line = 0;
        }
        if (verbose || r.verdict != KZ_SGV_LOADED)
            print_report(&r);
    }
    for (i = 0; i < set->nmissing; i++) {
        char a[512], b[512];

        printf("%s: correlation '%s' references '%s', which is not "
               "loaded\n",
               kz_cli_escape(set->missing[i].path, esc, sizeof(esc)),
               kz_cli_escape(set->missing[i].corr ? set->missing[i].corr
                                                  : "",
                             a, sizeof(a)),
               kz_cli_escape(set->missing[i].ref, b, sizeof(b)));
    }
}

/* The PATH argument (index) rule r was loaded from: src[i] for
 * loaded[i] == r; SIZE_MAX when unknown. */
static size_t
source_of(const kz_sigma_rule *r, const kz_sigma_rule *const *loaded,
          const size_t *src, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (loaded[i] == r)
            return src[i];
    return SIZE_MAX;
}

/* Warns about each correlation with generate: false whose referenced
 * rules (by id, else by name, as the engine resolves them) were loaded
 * from another PATH argument than the correlation: their own detections
 * disappear because of a file of another tree. loaded/src: every rule
 * loaded and its PATH index (n of them). */
static void
print_cross_hides(const kz_sigma_set *set, const kz_sigma_rule *const *loaded,
                  const size_t *src, size_t n)
{
    char a[1024], b[512], c[512];
    size_t i, j, k, cs, ts;

    for (i = 0; i < set->nrules; i++) {
        const kz_sigma_rule *cr = set->rules[i];
        const kz_sg_correlation *co = cr->corr;

        if (cr->kind != KZ_SG_CORRELATION || co == NULL || co->generate ||
            (cs = source_of(cr, loaded, src, n)) == SIZE_MAX)
            continue;
        for (j = 0; j < co->rules.n; j++) {
            const char *ref = co->rules.v[j];
            bool by_id = false, other = false;

            if (ref == NULL)
                continue;
            for (k = 0; k < set->nrules; k++)
                by_id = by_id || (set->rules[k]->kind != KZ_SG_FILTER &&
                                  set->rules[k]->id != NULL &&
                                  strcmp(set->rules[k]->id, ref) == 0);
            for (k = 0; k < set->nrules && !other; k++) {
                const kz_sigma_rule *t = set->rules[k];
                const char *key = by_id ? t->id : t->name;

                if (t == cr || t->kind == KZ_SG_FILTER || key == NULL ||
                    strcmp(key, ref) != 0)
                    continue;
                ts = source_of(t, loaded, src, n);
                other = ts != SIZE_MAX && ts != cs;
            }
            if (other)
                printf("%s: correlation '%s' hides rule '%s' from another "
                       "source (generate: false)\n",
                       kz_cli_escape(cr->path ? cr->path : "?", a, sizeof(a)),
                       kz_cli_escape(cr->title ? cr->title : "", b,
                                     sizeof(b)),
                       kz_cli_escape(ref, c, sizeof(c)));
        }
    }
}

static int
check(char **paths, size_t n, const rules_opts *o)
{
    kz_sigma_load_opts lo;
    kz_sigma_set *set = NULL;
    kz_sg_expand *ex = NULL;
    kz_ruleset *rs = NULL;
    kz_names *names = NULL;
    kz_error err;
    kz_status st;
    double t0, t_load, t_comp = 0;
    char cache[4096];
    size_t i, skipped = 0, loaded, nskip;
    size_t counts[KZ_SGV_COUNT];
    kz_ruleset_stats rst;
    int rc = KZ_EXIT_OK;
    char esc[1024];
    const kz_sigma_rule **byarg = NULL; /* every rule loaded, */
    size_t *src = NULL;                  /* with its PATH index */
    size_t nloaded = 0, capl = 0, j;

    memset(&lo, 0, sizeof(lo));
    kz_error_clear(&err);
    if (o->expand != NULL &&
        (ex = kz_sg_expand_load(o->expand, &err)) == NULL) {
        kz_cli_msg("rules: %s: %s", kz_cli_escape(o->expand, esc,
                                                  sizeof(esc)),
                   err.msg);
        return KZ_EXIT_USAGE;
    }
    lo.expand = ex;
    lo.keep_deprecated = o->all_status;
    t0 = now_s();
    if ((set = kz_sigma_set_new(&lo)) == NULL) {
        rc = KZ_EXIT_FATAL;
        goto out;
    }
    for (i = 0; i < n; i++) {
        if ((st = kz_sigma_load_path(set, paths[i], &err)) != KZ_OK) {
            kz_cli_msg("rules: %s: %s",
                       kz_cli_escape(paths[i], esc, sizeof(esc)),
                       err.msg[0] != '\0' ? err.msg : kz_status_str(st));
            rc = KZ_EXIT_FATAL;
            goto out;
        }
        /* The rules this PATH added (before finish moves any). */
        if (set->nrules > capl) {
            const kz_sigma_rule **gl;
            size_t *gs;

            capl = set->nrules;
            if ((gl = realloc(byarg, capl * sizeof(*byarg))) == NULL) {
                rc = KZ_EXIT_FATAL;
                goto out;
            }
            byarg = gl;
            if ((gs = realloc(src, capl * sizeof(*src))) == NULL) {
                rc = KZ_EXIT_FATAL;
                goto out;
            }
            src = gs;
        }
        for (j = nloaded; j < set->nrules; j++) {
            byarg[j] = set->rules[j];
            src[j] = i;
        }
        nloaded = set->nrules;
    }
    if ((st = kz_sigma_set_finish(set, &err)) != KZ_OK) {
        kz_cli_msg("rules: %s", err.msg[0] != '\0' ? err.msg
                                                   : kz_status_str(st));
        rc = KZ_EXIT_FATAL;
        goto out;
    }
    t_load = now_s() - t0;
    memcpy(counts, set->counts, sizeof(counts));
    if (o->compile) {
        kz_match_opts mo;

        memset(&mo, 0, sizeof(mo));
        if (!o->no_rule_cache)
            mo.cache_dir = o->rule_cache != NULL
                               ? kz_cli_rule_cache_dir(o->rule_cache)
                               : kz_cli_cache_dir("rules-db", cache,
                                                  sizeof(cache));
        t0 = now_s();
        if ((names = kz_names_new()) == NULL) {
            rc = KZ_EXIT_FATAL;
            goto out;
        }
        if ((st = kz_ruleset_compile(set, names, &mo, &rs, &err)) != KZ_OK) {
            if (!o->quiet)
                print_reports(set, NULL, o->verbose);
            kz_cli_msg("rules: compiling failed: %s",
                       err.msg[0] != '\0' ? err.msg : kz_status_str(st));
            rc = KZ_EXIT_FATAL;
            goto out;
        }
        t_comp = now_s() - t0;
        /* rules that did not compile are invalid, not loaded */
        nskip = kz_ruleset_skipped(rs, 0, NULL, NULL);
        counts[KZ_SGV_LOADED] -= nskip;
        counts[KZ_SGV_INVALID] += nskip;
        kz_ruleset_stats_get(rs, &rst);
    }
    if (!o->quiet) {
        print_reports(set, rs, o->verbose);
        print_cross_hides(set, byarg, src, nloaded);
    }
    if (counts[KZ_SGV_INVALID] > 0 || set->nmissing > 0)
        rc = KZ_EXIT_PARTIAL;
    if (rs != NULL) {
        if (!o->quiet)
            fprintf(stderr,
                    "kizuki: rules: compiled %zu rules into %zu targets, "
                    "%zu dispatch buckets, %zu patterns, %zu regexes over "
                    "%zu fields%s\n",
                    rst.rules, rst.targets, rst.buckets, rst.patterns,
                    rst.regexes, rst.fields,
                    rst.from_cache ? " (databases from the cache)" : "");
    }
    if (!o->quiet) {
        for (i = 0; i < KZ_SGV_COUNT; i++)
            if (counts[i] > 0)
                printf("%-12s %zu\n", kz_sg_verdict_name((kz_sg_verdict)i),
                       counts[i]);
        fprintf(stderr,
                "kizuki: rules: %zu files read; load %.3f s, compile "
                "%.3f s\n",
                set->files, t_load, t_comp);
    }
    loaded = counts[KZ_SGV_LOADED];
    for (i = 0; i < KZ_SGV_COUNT; i++)
        if (i != KZ_SGV_LOADED)
            skipped += counts[i];
    printf("loaded %zu, skipped %zu\n", loaded, skipped);
out:
    free(byarg);
    free(src);
    kz_ruleset_free(rs);
    kz_names_free(names);
    kz_sigma_set_free(set);
    kz_sg_expand_free(ex);
    if (fflush(stdout) != 0)
        rc = KZ_EXIT_FATAL;
    return rc;
}

int
kz_cli_rules_run(int argc, char **argv)
{
    rules_opts o;
    int first, rc;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        if (argc < 2) {
            kz_cli_msg("rules: which action? (kizuki rules check PATH...)");
            return KZ_EXIT_USAGE;
        }
        kz_cli_rules_help(stdout);
        return KZ_EXIT_OK;
    }
    if (strcmp(argv[1], "check") != 0) {
        char esc[128];

        kz_cli_msg("rules: unknown action '%s' (known: check)",
                   kz_cli_escape(argv[1], esc, sizeof(esc)));
        return KZ_EXIT_USAGE;
    }
    if ((rc = parse_args(argc - 1, argv + 1, &o, &first)) != KZ_EXIT_OK)
        return rc < 0 ? KZ_EXIT_OK : rc;
    if (first >= argc - 1) {
        kz_cli_msg("rules check: no rule paths given");
        return KZ_EXIT_USAGE;
    }
    return check(argv + 1 + first, (size_t)(argc - 1 - first), &o);
}
