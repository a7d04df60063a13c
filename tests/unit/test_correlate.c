/*
 * test_correlate.c - the correlation engine (src/correlate): every type,
 * windows and their edges, resets, close-evaluated conditions, group-by,
 * aliases, chaining, generate, ordering and the bounds. Rules are YAML
 * text; matches are synthetic (no events).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/correlate.h"
#include "t.h"

/* Three base rules named a, b and c (ids id-a...). */
static const char base_yaml[] =
    "title: A\nid: id-a\nname: a\nstatus: test\nlevel: low\n"
    "logsource: {product: windows, service: security}\n"
    "detection:\n  s: {EventID: 1}\n  condition: s\n"
    "---\n"
    "title: B\nid: id-b\nname: b\nstatus: test\nlevel: low\n"
    "logsource: {product: windows, service: security}\n"
    "detection:\n  s: {EventID: 2}\n  condition: s\n"
    "---\n"
    "title: C\nid: id-c\nname: c\nstatus: test\nlevel: low\n"
    "logsource: {product: windows, service: security}\n"
    "detection:\n  s: {EventID: 3}\n  condition: s\n";

typedef struct env {
    kz_sigma_set *set;
    kz_names *names;
    kz_ruleset *rs;
    kz_corr_engine *e;
    char out[4096];     /* alerts: "name:value:g1,g2@sec" space-separated */
    int suppressed;     /* alerts flagged suppressed */
    size_t last_nrefs;
    uint64_t last_total;
    char last_ids[256];
} env;

static kz_status
on_alert(void *ctx, const kz_corr_alert *a)
{
    env *v = ctx;
    char buf[512];
    size_t i, n;

    n = (size_t)snprintf(buf, sizeof buf, "%s%s:%g:", v->out[0] ? " " : "",
                         a->rule->name ? a->rule->name : a->rule->title,
                         a->value);
    for (i = 0; i < a->ngroup && n < sizeof buf; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s",
                              i ? "," : "", a->group[i].value);
    if (n < sizeof buf)
        snprintf(buf + n, sizeof buf - n, "@%lld",
                 (long long)((a->time - KZ_UNIX_EPOCH_TICKS) /
                             KZ_TICKS_PER_SEC));
    strncat(v->out, buf, sizeof v->out - strlen(v->out) - 1);
    v->suppressed += a->suppressed;
    v->last_nrefs = a->nrefs;
    v->last_total = a->total;
    v->last_ids[0] = '\0';
    for (i = 0; i < a->nrule_ids; i++) {
        size_t used = strlen(v->last_ids);

        snprintf(v->last_ids + used, sizeof v->last_ids - used, "%s ",
                 a->rule_ids[i]);
    }
    T_CHECK(a->first <= a->last && a->last <= a->time + 1,
            "window times");
    return KZ_OK;
}

/* After-firing mode of the engines env_open builds (test_repeat). */
static kz_corr_repeat repeat_mode = KZ_CORR_RESET;

/* Loads base rules + corr, compiles, builds the engine. */
static bool
env_open(env *v, const char *corr, size_t max_groups, size_t max_entries,
         kz_error *err)
{
    kz_match_opts mo;
    kz_corr_opts co;
    char *y;
    size_t n = strlen(base_yaml) + strlen(corr) + 8;

    memset(v, 0, sizeof *v);
    memset(&mo, 0, sizeof mo);
    memset(&co, 0, sizeof co);
    kz_error_clear(err);
    v->set = kz_sigma_set_new(NULL);
    v->names = kz_names_new();
    if ((y = malloc(n)) == NULL || v->set == NULL || v->names == NULL) {
        free(y);
        return false;
    }
    snprintf(y, n, "%s---\n%s", base_yaml, corr);
    if (kz_sigma_load_buffer(v->set, "t.yml", y, strlen(y), err) != KZ_OK ||
        kz_sigma_set_finish(v->set, err) != KZ_OK ||
        kz_ruleset_compile(v->set, v->names, &mo, &v->rs, err) != KZ_OK) {
        free(y);
        return false;
    }
    free(y);
    kz_names_freeze(v->names);
    co.on_alert = on_alert;
    co.ctx = v;
    co.max_groups = max_groups;
    co.max_entries = max_entries;
    co.repeat = repeat_mode;
    v->e = kz_corr_new(v->set, v->rs, &co, err);
    return v->e != NULL;
}

static void
env_close(env *v)
{
    kz_corr_free(v->e);
    kz_ruleset_free(v->rs);
    kz_names_free(v->names);
    kz_sigma_set_free(v->set);
}

static uint32_t
rule_index(const env *v, const char *name)
{
    size_t i, n = kz_ruleset_rule_count(v->rs);

    for (i = 0; i < n; i++)
        if (strcmp(kz_ruleset_rule(v->rs, i)->name, name) == 0)
            return (uint32_t)i;
    return UINT32_MAX;
}

/* Feeds "a@0 User=u1 Ip=1;b@10;..."; returns the first non-OK status. */
static kz_status
feed(env *v, const char *input)
{
    char buf[1024], *save1 = NULL, *m;
    static int refs[256];
    int nref = 0;
    kz_status st = KZ_OK;

    snprintf(buf, sizeof buf, "%s", input);
    for (m = strtok_r(buf, ";", &save1); m != NULL && st == KZ_OK;
         m = strtok_r(NULL, ";", &save1)) {
        kz_corr_field f[8];
        kz_corr_match cm;
        char *save2 = NULL, *tok, *at;
        size_t nf = 0;

        memset(&cm, 0, sizeof cm);
        tok = strtok_r(m, " ", &save2);
        at = strchr(tok, '@');
        *at = '\0';
        cm.rule = rule_index(v, tok);
        cm.time = KZ_UNIX_EPOCH_TICKS + atoll(at + 1) * KZ_TICKS_PER_SEC;
        cm.key = (uint64_t)nref;
        cm.ref = &refs[nref++ % 256];
        while ((tok = strtok_r(NULL, " ", &save2)) != NULL && nf < 8) {
            char *eq = strchr(tok, '=');

            *eq = '\0';
            f[nf].name = tok;
            f[nf++].value = eq + 1;
        }
        cm.fields = f;
        cm.nfields = nf;
        st = kz_corr_add(v->e, &cm);
    }
    return st;
}

typedef struct crow {
    const char *name;
    const char *corr;     /* correlation YAML (documents after the base) */
    const char *input;
    const char *expect;   /* alerts before finish */
    const char *after;    /* alerts after finish (whole list) */
} crow;

#define EC(type, extra) \
    "title: t\nname: x\ncorrelation:\n  type: " type "\n  rules: [a]\n" extra

static const crow rows[] = {
    /* event_count */
    { "ec fires", EC("event_count", "  group-by: [User]\n  timespan: 5m\n"
                     "  condition: {gte: 3}\n"),
      "a@0 User=u1;a@10 User=u1;a@20 User=u1", "x:3:u1@20", NULL },
    { "ec below", EC("event_count", "  group-by: [User]\n  timespan: 5m\n"
                     "  condition: {gte: 3}\n"),
      "a@0 User=u1;a@10 User=u1;b@20 User=u1", "", NULL },
    { "ec gt", EC("event_count", "  timespan: 5m\n  condition: {gt: 2}\n"),
      "a@0;a@1;a@2", "x:3:@2", NULL },
    { "edge inclusive", EC("event_count", "  timespan: 60s\n"
                           "  condition: {gte: 2}\n"),
      "a@0;a@60", "x:2:@60", NULL },
    { "edge outside", EC("event_count", "  timespan: 60s\n"
                         "  condition: {gte: 2}\n"),
      "a@0;a@61", "", NULL },
    { "reset after firing", EC("event_count", "  timespan: 1h\n"
                               "  condition: {gte: 2}\n"),
      "a@0;a@1;a@2;a@3;a@4", "x:2:@1 x:2:@3", NULL },
    { "group separation", EC("event_count", "  group-by: [User]\n"
                             "  timespan: 1h\n  condition: {gte: 2}\n"),
      "a@0 User=u1;a@1 User=u2;a@2 USER=u1", "x:2:u1@2", NULL },
    { "missing sentinel", EC("event_count", "  group-by: [User, Host]\n"
                             "  timespan: 1h\n  condition: {gte: 2}\n"),
      "a@0 Host=h;a@1 Host=h User=u", "", NULL },
    { "missing sentinel 2", EC("event_count", "  group-by: [User, Host]\n"
                               "  timespan: 1h\n  condition: {gte: 2}\n"),
      "a@0 Host=h;a@1 Host=h", "x:2:-,h@1", NULL },
    /* close-evaluated conditions */
    { "lt at close", EC("event_count", "  group-by: [User]\n"
                        "  timespan: 60s\n  condition: {lt: 3}\n"),
      "a@0 User=u;a@10 User=u;b@100", "x:2:u@10", "x:2:u@10" },
    { "lt at finish", EC("event_count", "  timespan: 60s\n"
                         "  condition: {lt: 3}\n"),
      "a@0", "", "x:1:@0" },
    { "lt not met", EC("event_count", "  timespan: 60s\n"
                       "  condition: {lt: 3}\n"),
      "a@0;a@1;a@2", "", "" },
    { "lt window edge", EC("event_count", "  timespan: 60s\n"
                           "  condition: {lte: 1}\n"),
      "a@0;a@60;a@61", "", "x:1:@61" },
    { "eq", EC("event_count", "  timespan: 60s\n  condition: {eq: 2}\n"),
      "a@0;a@5;a@100", "x:2:@5", "x:2:@5" },
    { "neq", EC("event_count", "  timespan: 60s\n  condition: {neq: 2}\n"),
      "a@0;a@5;a@100", "", "x:1:@100" },
    { "range anded", EC("event_count", "  timespan: 60s\n"
                        "  condition: {gte: 2, lte: 3}\n"),
      "a@0;a@1;a@2;a@3;a@100;a@101", "", "x:2:@101" },
    /* value_count */
    { "vc fires", EC("value_count", "  timespan: 1h\n"
                     "  condition: {gte: 3, field: Ip}\n"),
      "a@0 Ip=1;a@1 Ip=1;a@2 Ip=2;a@3;a@4 Ip=3", "x:3:@4", NULL },
    { "vc distinct only", EC("value_count", "  timespan: 1h\n"
                             "  condition: {gte: 3, field: Ip}\n"),
      "a@0 Ip=1;a@1 Ip=1;a@2 Ip=2;a@3 Ip=2", "", NULL },
    { "vc tuple", EC("value_count", "  timespan: 1h\n"
                     "  condition: {gte: 3, field: [Ip, Port]}\n"),
      "a@0 Ip=1 Port=1;a@1 Ip=1 Port=2;a@2 Ip=1;a@3 Ip=2 Port=1",
      "x:3:@3", NULL },
    /* value_sum / avg / percentile */
    { "sum", EC("value_sum", "  timespan: 1h\n"
                "  condition: {gt: 100, field: Bytes}\n"),
      "a@0 Bytes=50;a@1 Bytes=40;a@2 Bytes=zz;a@3 Bytes=20",
      "x:110:@3", NULL },
    { "sum below", EC("value_sum", "  timespan: 1h\n"
                      "  condition: {gt: 100, field: Bytes}\n"),
      "a@0 Bytes=50;a@1 Bytes=40", "", NULL },
    { "avg", EC("value_avg", "  timespan: 1h\n"
                "  condition: {gte: 50, field: Bytes}\n"),
      "a@0 Bytes=40;a@1 Bytes=60", "x:50:@1", NULL },
    { "avg below", EC("value_avg", "  timespan: 1h\n"
                      "  condition: {gte: 50, field: Bytes}\n"),
      "a@0 Bytes=40;a@1 Bytes=59", "", NULL },
    { "median", EC("value_percentile", "  timespan: 1h\n"
                   "  condition: {gte: 25, field: B, percentile: 50}\n"),
      "a@0 B=20;a@1 B=10;a@2 B=30;a@3 B=40", "x:25:@3", NULL },
    { "p90 interpolates", EC("value_percentile", "  timespan: 1h\n"
                             "  condition: {gte: 19, field: B, "
                             "percentile: 90}\n"),
      "a@0 B=10;a@1 B=20", "x:19:@1", NULL },
    { "p90 below", EC("value_percentile", "  timespan: 1h\n"
                      "  condition: {gte: 19.5, field: B, percentile: 90}\n"),
      "a@0 B=10;a@1 B=20", "", NULL },
    /* temporal */
    { "temporal", "title: t\nname: x\ncorrelation:\n  type: temporal\n"
      "  rules: [a, id-b]\n  group-by: [User]\n  timespan: 60s\n",
      "a@0 User=u1;b@10 User=u2;b@20 User=u1", "x:2:u1@20", NULL },
    { "temporal groups apart", "title: t\nname: x\ncorrelation:\n"
      "  type: temporal\n  rules: [a, b]\n  group-by: [User]\n"
      "  timespan: 60s\n",
      "a@0 User=u1;b@1 User=u2;a@2 User=u2", "x:2:u2@2", NULL },
    { "temporal outside", "title: t\nname: x\ncorrelation:\n"
      "  type: temporal\n  rules: [a, b]\n  timespan: 60s\n",
      "a@0;b@61", "", NULL },
    { "temporal condition", "title: t\nname: x\ncorrelation:\n"
      "  type: temporal\n  rules: [a, b, c]\n  timespan: 60s\n"
      "  condition: {gte: 2}\n",
      "a@0;a@1;c@2", "x:2:@2", NULL },
    { "temporal bool", "title: t\nname: x\ncorrelation:\n"
      "  type: temporal\n  timespan: 60s\n  condition: 'a and not c'\n",
      "c@0;a@1;a@100", "x:1:@100", NULL },
    /* temporal_ordered */
    { "ordered", "title: t\nname: x\ncorrelation:\n"
      "  type: temporal_ordered\n  rules: [a, b, c]\n  timespan: 60s\n",
      "a@0;b@1;c@2", "x:3:@2", NULL },
    { "ordered violated", "title: t\nname: x\ncorrelation:\n"
      "  type: temporal_ordered\n  rules: [a, b, c]\n  timespan: 60s\n",
      "a@0;c@1;b@2", "", NULL },
    { "ordered violated 2", "title: t\nname: x\ncorrelation:\n"
      "  type: temporal_ordered\n  rules: [a, b, c]\n  timespan: 60s\n",
      "c@0;b@1;a@2", "", NULL },
    { "ordered recovers", "title: t\nname: x\ncorrelation:\n"
      "  type: temporal_ordered\n  rules: [a, b, c]\n  timespan: 60s\n",
      "b@0;a@1;c@2;b@3;c@4", "x:3:@4", NULL },
    { "ordered same time", "title: t\nname: x\ncorrelation:\n"
      "  type: temporal_ordered\n  rules: [a, b]\n  timespan: 60s\n",
      "a@5;b@5", "x:2:@5", NULL },
    { "ordered window", "title: t\nname: x\ncorrelation:\n"
      "  type: temporal_ordered\n  rules: [a, b]\n  timespan: 60s\n",
      "a@0;b@61", "", NULL },
    /* aliases */
    { "aliases", "title: t\nname: x\ncorrelation:\n  type: temporal\n"
      "  rules: [a, b]\n  group-by: [who]\n  timespan: 60s\n"
      "  aliases:\n    who: {a: User, b: TargetUser}\n",
      "a@0 User=z;b@1 User=z TargetUser=y;b@2 TargetUser=z", "x:2:z@2",
      NULL },
    /* chaining */
    { "chain", "title: ti\nname: inner\ncorrelation:\n"
      "  type: event_count\n  rules: [a]\n  group-by: [User]\n"
      "  timespan: 60s\n  condition: {gte: 2}\n---\n"
      "title: to\nname: outer\ncorrelation:\n  type: temporal_ordered\n"
      "  rules: [inner, b]\n  group-by: [User]\n  timespan: 60s\n",
      "b@0 User=u;a@1 User=u;a@2 User=v;a@3 User=u;b@4 User=v;b@5 User=u",
      "inner:2:u@3 outer:2:u@5", NULL },
    { "chain close", "title: ti\nname: inner\ncorrelation:\n"
      "  type: event_count\n  rules: [a]\n  timespan: 10s\n"
      "  condition: {lt: 2}\n---\n"
      "title: to\nname: outer\ncorrelation:\n  type: event_count\n"
      "  rules: [inner]\n  timespan: 1h\n  condition: {gte: 2}\n",
      "a@0;a@20;b@40", "inner:1:@0 inner:1:@20 outer:2:@40", NULL },
};

/* Suppress mode: one alert per group per timespan while the burst goes
 * on; the same input in reset mode for contrast. */
static void
test_repeat(void)
{
    static const struct {
        kz_corr_repeat mode;
        const char *corr, *input, *expect;
        uint64_t suppressed;
    } r[] = {
        { KZ_CORR_RESET, EC("event_count", "  timespan: 10s\n"
                            "  condition: {gte: 2}\n"),
          "a@0;a@1;a@2;a@3;a@12;a@13", "x:2:@1 x:2:@3 x:2:@13", 0 },
        { KZ_CORR_SUPPRESS, EC("event_count", "  timespan: 10s\n"
                               "  condition: {gte: 2}\n"),
          "a@0;a@1;a@2;a@3;a@12;a@13", "x:2:@1 x:3:@12", 3 },
        /* per group: u2's first firing is not held back by u1's */
        { KZ_CORR_SUPPRESS, EC("event_count", "  group-by: [User]\n"
                               "  timespan: 10s\n  condition: {gte: 2}\n"),
          "a@0 User=u1;a@1 User=u1;a@2 User=u2;a@3 User=u2;a@4 User=u1",
          "x:2:u1@1 x:2:u2@3", 1 },
        /* the quiet time is inclusive: a firing exactly a timespan
         * after the alert is still held back */
        { KZ_CORR_SUPPRESS, EC("event_count", "  timespan: 10s\n"
                               "  condition: {gte: 1}\n"),
          "a@0;a@10;a@11", "x:1:@0 x:2:@11", 1 },
        { KZ_CORR_SUPPRESS, "title: t\nname: x\ncorrelation:\n"
          "  type: temporal\n  rules: [a, b]\n  timespan: 60s\n",
          "a@0;b@1;b@2;a@3;a@65;b@70", "x:2:@1 x:2:@70", 2 },
    };
    kz_corr_stats st;
    kz_error err;
    size_t i;
    env v;

    for (i = 0; i < T_COUNT(r); i++) {
        repeat_mode = r[i].mode;
        T_CHECK(env_open(&v, r[i].corr, 0, 0, &err), "row %zu: %s", i,
                err.msg);
        T_CHECK(feed(&v, r[i].input) == KZ_OK, "row %zu feed", i);
        T_CHECK(kz_corr_finish(v.e) == KZ_OK, "row %zu finish", i);
        T_EQ_STR(v.out, r[i].expect);
        kz_corr_stats_get(v.e, &st);
        T_CHECK(st.repeats_suppressed == r[i].suppressed,
                "row %zu: %llu suppressed, want %llu", i,
                (unsigned long long)st.repeats_suppressed,
                (unsigned long long)r[i].suppressed);
        env_close(&v);
    }
    repeat_mode = KZ_CORR_RESET;
}

/* kz_corr_rule_fields: per base rule, the group-by fields with aliases
 * resolved for that rule, and the value fields, unique; none for a rule
 * no correlation reads. */
static void
test_rule_fields(void)
{
    static const char corr[] =
        "title: t\nname: x\ncorrelation:\n  type: value_count\n"
        "  rules: [a, b]\n  group-by: [who, Host]\n  timespan: 60s\n"
        "  aliases:\n    who: {a: User, b: TargetUser}\n"
        "  condition: {gte: 2, field: Ip}\n"
        "---\ntitle: t2\nname: y\ncorrelation:\n  type: event_count\n"
        "  rules: [a]\n  group-by: [host]\n  timespan: 60s\n"
        "  condition: {gte: 2}\n";
    const char *f[8];
    char got[128];
    size_t n, i, k;
    kz_error err;
    env v;
    static const struct {
        const char *rule, *want;
    } r[] = {
        {"a", "User Host Ip"},       /* y's "host" is Host again */
        {"b", "TargetUser Host Ip"},
        {"c", ""},
    };

    T_CHECK(env_open(&v, corr, 0, 0, &err), "open: %s", err.msg);
    for (i = 0; i < T_COUNT(r); i++) {
        n = kz_corr_rule_fields(v.e, rule_index(&v, r[i].rule), f, 8);
        got[0] = '\0';
        for (k = 0; k < n; k++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s",
                     k ? " " : "", f[k]);
        T_EQ_STR(got, r[i].want);
    }
    T_EQ_INT(kz_corr_rule_fields(v.e, rule_index(&v, "a"), f, 1), 1);
    env_close(&v);
}

static void
test_rows(void)
{
    size_t i;

    for (i = 0; i < T_COUNT(rows); i++) {
        const crow *r = &rows[i];
        kz_error err;
        env v;

        if (!env_open(&v, r->corr, 0, 0, &err)) {
            T_CHECK(0, "%s: open: %s", r->name, err.msg);
            env_close(&v);
            continue;
        }
        T_CHECK(feed(&v, r->input) == KZ_OK, "%s: feed", r->name);
        T_CHECK(strcmp(v.out, r->expect) == 0, "%s: got \"%s\" want \"%s\"",
                r->name, v.out, r->expect);
        T_EQ_INT(kz_corr_finish(v.e), KZ_OK);
        T_CHECK(strcmp(v.out, r->after ? r->after : r->expect) == 0,
                "%s: after finish got \"%s\" want \"%s\"", r->name, v.out,
                r->after ? r->after : r->expect);
        env_close(&v);
    }
}

/* generate: false (default) suppresses the referenced rules and flags
 * inner alerts; generate: true does not. */
static void
test_generate(void)
{
    static const struct {
        const char *corr;
        int a, b, c, inner_flagged;
    } t[] = {
        { "title: t\nname: inner\ncorrelation:\n  type: event_count\n"
          "  rules: [a]\n  timespan: 1h\n  condition: {gte: 1}\n---\n"
          "title: o\nname: outer\ncorrelation:\n  type: temporal\n"
          "  rules: [inner, b]\n  timespan: 1h\n",
          1, 1, 0, 1 },
        { "title: t\nname: inner\ncorrelation:\n  type: event_count\n"
          "  rules: [a]\n  timespan: 1h\n  condition: {gte: 1}\n"
          "  generate: true\n---\n"
          "title: o\nname: outer\ncorrelation:\n  type: temporal\n"
          "  rules: [inner, b]\n  timespan: 1h\n  generate: true\n",
          0, 0, 0, 0 },
    };
    size_t i;

    for (i = 0; i < T_COUNT(t); i++) {
        kz_error err;
        env v;

        if (!env_open(&v, t[i].corr, 0, 0, &err)) {
            T_CHECK(0, "row %zu: %s", i, err.msg);
            env_close(&v);
            continue;
        }
        T_EQ_INT(kz_corr_suppressed(v.e, rule_index(&v, "a")), t[i].a);
        T_EQ_INT(kz_corr_suppressed(v.e, rule_index(&v, "b")), t[i].b);
        T_EQ_INT(kz_corr_suppressed(v.e, rule_index(&v, "c")), t[i].c);
        T_EQ_INT(kz_corr_wants(v.e, rule_index(&v, "c")), 0);
        T_EQ_INT(kz_corr_wants(v.e, rule_index(&v, "b")), 1);
        T_EQ_INT(feed(&v, "a@0;b@1"), KZ_OK);
        T_EQ_STR(v.out, "inner:1:@0 outer:2:@1");
        T_EQ_INT(v.suppressed, t[i].inner_flagged);
        T_EQ_STR(v.last_ids, "inner id-b ");
        env_close(&v);
    }
}

/* Matches out of time order are refused; so are adds after finish. */
static void
test_order(void)
{
    kz_error err;
    env v;

    if (!env_open(&v, EC("event_count", "  timespan: 1h\n"
                         "  condition: {gte: 3}\n"), 0, 0, &err)) {
        T_CHECK(0, "open: %s", err.msg);
        env_close(&v);
        return;
    }
    T_EQ_INT(feed(&v, "a@10;a@10"), KZ_OK);
    T_EQ_INT(feed(&v, "a@5"), KZ_EUSAGE);
    T_EQ_STR(v.out, "");
    T_EQ_INT(feed(&v, "a@11"), KZ_OK);
    T_EQ_STR(v.out, "x:3:@11");
    T_EQ_INT(v.last_nrefs, 3);
    T_EQ_INT(v.last_total, 3);
    T_EQ_INT(kz_corr_finish(v.e), KZ_OK);
    T_EQ_INT(feed(&v, "a@12"), KZ_EUSAGE);
    T_EQ_INT(kz_corr_finish(v.e), KZ_EUSAGE);
    env_close(&v);
}

/* Group and entry caps: counted, never grown past. */
static void
test_bounds(void)
{
    kz_corr_stats st;
    kz_error err;
    env v;

    if (env_open(&v, EC("event_count", "  group-by: [User]\n"
                        "  timespan: 1m\n  condition: {gte: 2}\n"), 2, 0,
                 &err)) {
        T_EQ_INT(feed(&v, "a@0 User=1;a@1 User=2;a@2 User=3;a@3 User=1"),
                 KZ_OK);
        kz_corr_stats_get(v.e, &st);
        T_EQ_INT(st.dropped_groups, 1);
        T_EQ_STR(v.out, "x:2:1@3");
        /* After the windows expire, the sweep frees room. */
        T_EQ_INT(feed(&v, "a@200 User=4;a@201 User=5;a@202 User=4"),
                 KZ_OK);
        kz_corr_stats_get(v.e, &st);
        T_EQ_INT(st.dropped_groups, 1);
        T_EQ_STR(v.out, "x:2:1@3 x:2:4@202");
    } else {
        T_CHECK(0, "open: %s", err.msg);
    }
    env_close(&v);
    if (env_open(&v, EC("event_count", "  timespan: 1h\n"
                        "  condition: {gte: 5}\n"), 0, 3, &err)) {
        T_EQ_INT(feed(&v, "a@0;a@1;a@2;a@3;a@4;a@5"), KZ_OK);
        kz_corr_stats_get(v.e, &st);
        T_EQ_INT(st.dropped_entries, 3);
        T_EQ_INT(st.matches, 6);
        T_EQ_STR(v.out, "");
    } else {
        T_CHECK(0, "open: %s", err.msg);
    }
    env_close(&v);
    if (env_open(&v, EC("event_count", "  group-by: [User]\n"
                        "  timespan: 1h\n  condition: {gte: 5}\n"), 0, 0,
                 &err)) {
        char big[3000];

        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        {
            kz_corr_field f = { "User", big };
            kz_corr_match m = { rule_index(&v, "a"), KZ_UNIX_EPOCH_TICKS, 0,
                                NULL, &f, 1 };

            T_EQ_INT(kz_corr_add(v.e, &m), KZ_OK);
            m.rule = 99;
            T_EQ_INT(kz_corr_add(v.e, &m), KZ_EUSAGE);
        }
        kz_corr_stats_get(v.e, &st);
        T_EQ_INT(st.cut_values, 1);
    } else {
        T_CHECK(0, "open: %s", err.msg);
    }
    env_close(&v);
}

/* Reference cycles are refused at build time. */
static void
test_cycle(void)
{
    kz_error err;
    env v;

    T_CHECK(!env_open(&v, "title: x\nname: x\ncorrelation:\n"
                      "  type: temporal\n  rules: [y, a]\n  timespan: 1m\n"
                      "---\ntitle: y\nname: y\ncorrelation:\n"
                      "  type: temporal\n  rules: [x]\n  timespan: 1m\n",
                      0, 0, &err), "cycle accepted");
    T_CHECK(strstr(err.msg, "cycle") != NULL, "message: %s", err.msg);
    env_close(&v);
    {
        /* A chain of KZ_CORR_MAX_DEPTH + 1 correlations is too deep; one
         * of KZ_CORR_MAX_DEPTH is fine. */
        static char y[16384];
        int depth, i;

        for (depth = KZ_CORR_MAX_DEPTH; depth <= KZ_CORR_MAX_DEPTH + 1;
             depth++) {
            size_t n = 0;

            for (i = 0; i < depth; i++) {
                char ref[16];

                if (i == 0)
                    snprintf(ref, sizeof ref, "a");
                else
                    snprintf(ref, sizeof ref, "c%d", i - 1);
                n += (size_t)snprintf(y + n, sizeof y - n,
                                      "%stitle: c%d\nname: c%d\n"
                                      "correlation:\n  type: event_count\n"
                                      "  rules: [%s]\n  timespan: 1m\n"
                                      "  condition: {gte: 1}\n",
                                      i ? "---\n" : "", i, i, ref);
            }
            T_EQ_INT(env_open(&v, y, 0, 0, &err),
                     depth <= KZ_CORR_MAX_DEPTH);
            if (depth <= KZ_CORR_MAX_DEPTH) {
                T_EQ_INT(feed(&v, "a@0"), KZ_OK);
                T_CHECK(strstr(v.out, "c15:1:@0") != NULL, "%s", v.out);
            }
            env_close(&v);
        }
    }
    T_CHECK(!env_open(&v, "title: x\nname: x\ncorrelation:\n"
                      "  type: event_count\n  rules: [x]\n  timespan: 1m\n"
                      "  condition: {gte: 1}\n", 0, 0, &err),
            "self reference accepted");
    env_close(&v);
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(test_rows),     T_CASE(test_generate), T_CASE(test_order),
        T_CASE(test_repeat),   T_CASE(test_rule_fields),
        T_CASE(test_bounds),   T_CASE(test_cycle),
    };

    return t_run(cases, T_COUNT(cases), argc, argv);
}
