/* White-box tests of src/match: dispatch, field resolution, Vectorscan
 * databases (anchoring, windash, case), PCRE2 paths and limits, value
 * cuts and UTF-8 repair, the render cache, the other value kinds, and
 * two matchers on two threads. Rules are built by hand as ASTs. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/hash.h"
#include "event/event.h"
#include "event/names.h"
#include "match/match.h"
#include "match/match_int.h"
#include "sigma/ast.h"
#include "sigma/sigma.h"
#include "t.h"

/* ---- AST builder ------------------------------------------------------ */

static kz_arena A; /* AST memory of the current case (arena_done frees) */

static void *
al(size_t n)
{
    void *p;

    if (A.block_size == 0)
        kz_arena_init(&A, 1 << 16, 0);
    if ((p = kz_arena_alloc(&A, n)) == NULL)
        abort();
    memset(p, 0, n);
    return p;
}

static const char *
dup(const char *s)
{
    char *p = al(strlen(s) + 1);

    memcpy(p, s, strlen(s));
    return p;
}

static void
arena_done(void)
{
    kz_arena_fini(&A);
    memset(&A, 0, sizeof(A));
}

/* A glob value: `*` star, `?` qmark, `\x01` windash, other bytes literal. */
static kz_sg_value
glob_flags(const char *s, uint8_t flags)
{
    kz_sg_value v;
    size_t n = strlen(s), i, nt = 0;
    kz_sg_tok *t = al((n + 1) * sizeof(*t));
    char *text = al(n + 1);
    size_t tl = 0;

    memset(&v, 0, sizeof(v));
    for (i = 0; i < n; i++) {
        char c = s[i];

        if (c == '*' || c == '?' || c == '\x01') {
            t[nt++].kind = c == '*' ? KZ_TOK_STAR
                           : c == '?' ? KZ_TOK_QMARK : KZ_TOK_DASH;
            continue;
        }
        if (nt == 0 || t[nt - 1].kind != KZ_TOK_LIT) {
            t[nt].kind = KZ_TOK_LIT;
            t[nt].off = (uint32_t)tl;
            t[nt++].len = 0;
        }
        text[tl++] = c;
        t[nt - 1].len++;
    }
    v.kind = KZ_SV_PATTERN;
    v.flags = flags;
    v.pat.text = text;
    v.pat.text_len = tl;
    v.pat.toks = t;
    v.pat.ntoks = nt;
    v.orig = dup(s);
    return v;
}

static kz_sg_value
glob(const char *s)
{
    return glob_flags(s, 0);
}

static kz_sg_value
regex(const char *re, uint8_t flags)
{
    kz_sg_value v;

    memset(&v, 0, sizeof(v));
    v.kind = KZ_SV_REGEX;
    v.flags = flags;
    v.regex = dup(re);
    return v;
}

/* An item: field (NULL = keywords), n values, each its own group. */
static kz_sg_item
item(const char *field, bool all, bool negate, const kz_sg_value *vals,
     size_t n)
{
    kz_sg_item it;
    kz_sg_group *g = al(n * sizeof(*g));
    kz_sg_value *v = al(n * sizeof(*v));
    size_t i;

    memset(&it, 0, sizeof(it));
    for (i = 0; i < n; i++) {
        v[i] = vals[i];
        g[i].alts = &v[i];
        g[i].nalts = 1;
    }
    it.field = field ? dup(field) : NULL;
    it.all = all;
    it.negate = negate;
    it.groups = g;
    it.ngroups = n;
    return it;
}

static kz_sg_item
item1(const char *field, kz_sg_value v)
{
    return item(field, false, false, &v, 1);
}

static kz_sg_cond *
cnode(uint8_t op, uint32_t sel, size_t nkids)
{
    kz_sg_cond *c = al(sizeof(*c));

    c->op = op;
    c->sel = sel;
    c->nkids = nkids;
    if (nkids)
        c->kids = al(nkids * sizeof(*c->kids));
    return c;
}

/* A rule: selection 0 = items a (one map), selection 1 = items f (the
 * filter, if nf > 0); condition `sel` or `sel and not filter`. */
static kz_sigma_rule *
rule(const char *category, const char *service, const kz_sg_item *a,
     size_t na, const kz_sg_item *f, size_t nf)
{
    kz_sigma_rule *r = al(sizeof(*r));
    kz_sg_selection *s = al(2 * sizeof(*s));
    kz_sg_map *m = al(2 * sizeof(*m));
    kz_sg_item *ia = al((na + nf + 1) * sizeof(*ia));
    kz_sg_cond *c;

    memcpy(ia, a, na * sizeof(*a));
    if (nf)
        memcpy(ia + na, f, nf * sizeof(*f));
    m[0].items = ia;
    m[0].nitems = na;
    m[1].items = ia + na;
    m[1].nitems = nf;
    s[0].name = "selection";
    s[0].maps = &m[0];
    s[0].nmaps = 1;
    s[1].name = "filter";
    s[1].maps = &m[1];
    s[1].nmaps = 1;
    r->kind = KZ_SG_RULE;
    r->path = "test.yml";
    r->title = "test";
    r->product = "windows";
    r->category = category ? dup(category) : NULL;
    r->service = service ? dup(service) : NULL;
    r->sels = s;
    r->nsels = nf ? 2 : 1;
    if (nf) {
        kz_sg_cond *not = cnode(KZ_CN_NOT, 0, 1);

        c = cnode(KZ_CN_AND, 0, 2);
        ((const kz_sg_cond **)c->kids)[0] = cnode(KZ_CN_SEL, 0, 0);
        ((const kz_sg_cond **)not->kids)[0] = cnode(KZ_CN_SEL, 1, 0);
        ((const kz_sg_cond **)c->kids)[1] = not;
    } else {
        c = cnode(KZ_CN_SEL, 0, 0);
    }
    r->cond = c;
    return r;
}

/* ---- compiled set and events ------------------------------------------ */

#define SYSMON "Microsoft-Windows-Sysmon/Operational"

typedef struct env {
    kz_sigma_set set;
    kz_sigma_rule *rules[16];
    kz_names *names;
    kz_ruleset *rs;
    kz_matcher *m;
    uint32_t hits[64];
    size_t nhits;
    size_t problems[4];
} env;

static bool
env_compile(env *e, const kz_match_opts *o)
{
    kz_error err;

    memset(&err, 0, sizeof(err));
    e->set.rules = e->rules;
    e->names = kz_names_new();
    if (kz_ruleset_compile(&e->set, e->names, o, &e->rs, &err) != KZ_OK) {
        fprintf(stderr, "compile: %s\n", err.msg);
        return false;
    }
    kz_names_freeze(e->names);
    e->m = kz_matcher_new(e->rs);
    return e->m != NULL;
}

static void
env_add(env *e, kz_sigma_rule *r)
{
    e->rules[e->set.nrules++] = r;
}

static void
env_fini(env *e)
{
    kz_matcher_free(e->m);
    kz_ruleset_free(e->rs);
    kz_names_free(e->names);
}

static kz_status
on_hit(void *ctx, const kz_event *ev, uint32_t r)
{
    env *e = ctx;

    (void)ev;
    if (e->nhits < 64)
        e->hits[e->nhits++] = r;
    return KZ_OK;
}

static void
on_problem(void *ctx, const kz_event *ev, uint32_t r, kz_match_problem p)
{
    env *e = ctx;

    (void)ev;
    (void)r;
    e->problems[p]++;
}

/* An event on channel/eid with fields given as "Name=value" strings. */
typedef struct tev {
    kz_event ev;
    kz_field f[16];
} tev;

static void
tev_init(tev *t, const env *e, const char *channel, uint32_t eid,
         const char *const *kv, size_t n)
{
    size_t i;

    memset(t, 0, sizeof(*t));
    t->ev.channel.p = channel;
    t->ev.channel.len = strlen(channel);
    t->ev.event_id = eid;
    t->ev.flags = KZ_EV_HAS_EVENT_ID;
    t->ev.time = KZ_TIME_NONE;
    t->ev.computer.p = "WS01.corp.local";
    t->ev.computer.len = 15;
    t->ev.provider.p = "Microsoft-Windows-Sysmon";
    t->ev.provider.len = 24;
    for (i = 0; i < n && i < 16; i++) {
        const char *eq = strchr(kv[i], '=');

        t->f[i].name.p = kv[i];
        t->f[i].name.len = (size_t)(eq - kv[i]);
        t->f[i].id = kz_names_lookup(e->names, kv[i], t->f[i].name.len);
        t->f[i].value = kz_value_utf8(eq + 1, strlen(eq + 1));
    }
    t->ev.fields = t->f;
    t->ev.nfields = n < 16 ? n : 16;
}

/* Matches; returns the hit count (rule indexes in e->hits). */
static size_t
run(env *e, const tev *t)
{
    kz_match_cb cb = { on_hit, on_problem, e };

    e->nhits = 0;
    if (kz_match_event(e->m, &t->ev, &cb) != KZ_OK)
        return 999;
    return e->nhits;
}

/* One rule with one item on a sysmon event: does value v match? */
static int
one(const char *field, kz_sg_value v, const char *event_field_kv)
{
    env e;
    tev t;
    kz_sg_item it = item1(field, v);
    const char *kv[1] = { event_field_kv };
    int r;

    memset(&e, 0, sizeof(e));
    env_add(&e, rule(NULL, "sysmon", &it, 1, NULL, 0));
    if (!env_compile(&e, NULL))
        return -1;
    tev_init(&t, &e, SYSMON, 1, kv, event_field_kv ? 1 : 0);
    r = (int)run(&e, &t);
    env_fini(&e);
    return r;
}

/* ---- tests ----------------------------------------------------------- */

/* kz_matcher_field_text gives a field's text only when a rule read it
 * for this event and the text is the plain rendering: not for fields no
 * rule reads, values cut at max_value or repaired, or another event. */
static void
test_field_text_exact(void)
{
    env e;
    tev t, u;
    kz_match_opts o;
    kz_sg_item it = item1("CommandLine", glob("*calc*"));
    const char *kv[2] = { "CommandLine=run calc now", "Other=x" };
    const char *cut[1] = { "CommandLine=calc and then some more text" };
    const char *bad[1] = { "CommandLine=calc \xff" };
    const char *p = NULL;
    size_t n = 0;

    memset(&e, 0, sizeof(e));
    memset(&o, 0, sizeof(o));
    o.max_value = 16;
    env_add(&e, rule(NULL, "sysmon", &it, 1, NULL, 0));
    T_CHECK(env_compile(&e, &o), "compile");
    tev_init(&t, &e, SYSMON, 1, kv, 2);
    T_EQ_INT(run(&e, &t), 1);
    T_CHECK(kz_matcher_field_text(e.m, &t.ev, 0, &p, &n) && n == 12 &&
                memcmp(p, "run calc now", 12) == 0,
            "read field");
    T_CHECK(!kz_matcher_field_text(e.m, &t.ev, 1, &p, &n), "unread field");
    T_CHECK(!kz_matcher_field_text(e.m, &t.ev, 2, &p, &n), "no field 2");
    u = t;
    T_CHECK(!kz_matcher_field_text(e.m, &u.ev, 0, &p, &n), "other event");
    tev_init(&t, &e, SYSMON, 1, cut, 1);
    T_EQ_INT(run(&e, &t), 1);
    T_CHECK(!kz_matcher_field_text(e.m, &t.ev, 0, &p, &n), "cut value");
    tev_init(&t, &e, SYSMON, 1, bad, 1);
    T_EQ_INT(run(&e, &t), 1);
    T_CHECK(!kz_matcher_field_text(e.m, &t.ev, 0, &p, &n), "repaired value");
    T_CHECK(!kz_matcher_field_text(NULL, &t.ev, 0, &p, &n), "no matcher");
    env_fini(&e);
    arena_done();
}

static void
test_glob_anchoring(void)
{
    T_EQ_INT(one("Image", glob("*foo"), "Image=xfoo"), 1);
    T_EQ_INT(one("Image", glob("*foo"), "Image=xfoo\n"), 0);
    T_EQ_INT(one("Image", glob("*foo"), "Image=fooxfoo"), 1);
    T_EQ_INT(one("Image", glob("*foo"), "Image=foox"), 0);
    T_EQ_INT(one("Image", glob("foo"), "Image=foo"), 1);
    T_EQ_INT(one("Image", glob("foo"), "Image=foofoo"), 0);
    T_EQ_INT(one("Image", glob("foo"), "Image=FOO"), 1);
    T_EQ_INT(one("Image", glob("foo*"), "Image=foo\nbar"), 1);
    T_EQ_INT(one("Image", glob("*a*b*"), "Image=x\nA\nB\n"), 1);
    T_EQ_INT(one("Image", glob("*a*b*"), "Image=b a"), 0);
    T_EQ_INT(one("Image", glob("a?c"), "Image=a\xc3\xa9" "c"), 1);
    T_EQ_INT(one("Image", glob("a?c"), "Image=ac"), 0);
    T_EQ_INT(one("Image", glob("a.c"), "Image=abc"), 0); /* escaped */
    T_EQ_INT(one("Image", glob("*\\cmd.exe"), "Image=C:\\x\\CMD.EXE"), 1);
    T_EQ_INT(one("Image", glob_flags("*\\cmd.exe", KZ_SVF_CASED),
                 "Image=C:\\x\\CMD.EXE"), 0);
    arena_done();
}

static void
test_glob_special_forms(void)
{
    T_EQ_INT(one("Image", glob("*"), "Image="), 1);      /* MP_ANY */
    T_EQ_INT(one("Image", glob("*"), "Other=x"), 0);     /* absent */
    T_EQ_INT(one("Image", glob(""), "Image="), 1);       /* MP_EMPTY */
    T_EQ_INT(one("Image", glob(""), "Image=x"), 0);
    T_EQ_INT(one("Image", glob("** *"), "Image=a b"), 1);
    /* windash class */
    T_EQ_INT(one("CommandLine", glob("* \x01" "enc *"), "CommandLine=a -enc x"), 1);
    T_EQ_INT(one("CommandLine", glob("* \x01" "enc *"), "CommandLine=a /enc x"), 1);
    T_EQ_INT(one("CommandLine", glob("* \x01" "enc *"),
                 "CommandLine=a \xe2\x80\x94" "enc x"), 1);
    T_EQ_INT(one("CommandLine", glob("* \x01" "enc *"), "CommandLine=a +enc x"), 0);
    arena_done();
}

static void
test_non_ascii_caseless(void)
{
    env e;

    T_EQ_INT(one("Image", glob("*\xc3\x89t\xc3\xa9*"), "Image=x \xc3\xa9T\xc3\x89 y"), 1);
    T_EQ_INT(one("Image", glob_flags("*\xc3\x89t\xc3\xa9*", KZ_SVF_CASED),
                 "Image=x \xc3\xa9T\xc3\x89 y"), 0);
    T_EQ_INT(one("Image", glob_flags("*\xc3\x89t\xc3\xa9*", KZ_SVF_CASED),
                 "Image=x \xc3\x89t\xc3\xa9 y"), 1);
    T_EQ_INT(one("Image", glob("*j\xc3\xa4rjestelm\xc3\xa4*"),
                 "Image=x J\xc3\x84RJESTELM\xc3\x84 y"), 1);
    T_EQ_INT(one("Image", glob("*\xd0\x90\xd0\xb4\xd0\xbc*"),
                 "Image=\xd0\xb0\xd0\x94\xd0\x9c"), 1); /* Cyrillic */
    T_EQ_INT(one("Image", glob("\xce\xbc"), "Image=\xc2\xb5"), 1); /* mu */
    /* both are Vectorscan patterns: it folds non-ASCII case in UTF-8 mode */
    memset(&e, 0, sizeof(e));
    {
        kz_sg_item it[2] = { item1("A", glob("*\xc3\xa9*")),
                             item1("B", glob_flags("*\xc3\xa9*",
                                                   KZ_SVF_CASED)) };
        kz_ruleset_stats st;

        env_add(&e, rule(NULL, "sysmon", it, 2, NULL, 0));
        T_CHECK(env_compile(&e, NULL), "%s", "");
        kz_ruleset_stats_get(e.rs, &st);
        T_EQ_INT(st.regexes, 0);
        T_EQ_INT(st.patterns, 2);
        env_fini(&e);
    }
    arena_done();
}

static void
test_literal_database(void)
{
    env e;

    /* startswith / endswith / exact / contains with repeated occurrences:
     * the anchors are checked on every report of the literal database */
    T_EQ_INT(one("Image", glob("ab*"), "Image=xabab"), 0);
    T_EQ_INT(one("Image", glob("ab*"), "Image=ABxab"), 1);
    T_EQ_INT(one("Image", glob("*ab"), "Image=abxabx"), 0);
    T_EQ_INT(one("Image", glob("*ab"), "Image=abxaB"), 1);
    T_EQ_INT(one("Image", glob("*aa"), "Image=aaa"), 1); /* overlapping */
    T_EQ_INT(one("Image", glob("aa*"), "Image=aaa"), 1);
    T_EQ_INT(one("Image", glob("aa"), "Image=aaa"), 0);
    T_EQ_INT(one("Image", glob("aa"), "Image=aA"), 1);
    T_EQ_INT(one("Image", glob("aa"), "Image=a"), 0);
    T_EQ_INT(one("Image", glob("*ab*"), "Image=xxaBxxab"), 1);
    T_EQ_INT(one("Image", glob("*ab*"), "Image=a\nb"), 0);
    T_EQ_INT(one("Image", glob("*\n*"), "Image=a\nb"), 1);
    T_EQ_INT(one("Image", glob("*x"), "Image=x\n"), 0); /* true end */
    T_EQ_INT(one("Image", glob("*x"), "Image="), 0);
    /* U+017F (long s) and U+212A (Kelvin) fold to s and k, as in
     * Vectorscan's caseless UTF-8 regexes: same results as before the
     * literal database, anchors on the folded value */
    T_EQ_INT(one("Image", glob("*desk*"), "Image=x de\xc5\xbf\xe2\x84\xaa y"), 1);
    T_EQ_INT(one("Image", glob("desk"), "Image=de\xc5\xbf\xe2\x84\xaa"), 1);
    T_EQ_INT(one("Image", glob("sk*"), "Image=\xc5\xbf" "K tail"), 1);
    T_EQ_INT(one("Image", glob("*ask"), "Image=\xc3\xa9" "a\xc5\xbf\xe2\x84\xaa"), 1);
    T_EQ_INT(one("Image", glob("*ask"), "Image=a\xc5\xbf\xe2\x84\xaa" "x"), 0);
    T_EQ_INT(one("Image", glob_flags("*desk*", KZ_SVF_CASED),
                 "Image=de\xc5\xbf\xe2\x84\xaa"), 0);
    /* the literal forms go to the literal database (exact ones to the
     * exact table), the rest stay regex */
    memset(&e, 0, sizeof(e));
    {
        kz_sg_item it[4] = { item1("A", glob("*lit*")),
                             item1("A", glob("x?y")),
                             item1("B", glob("exact")),
                             item1("C", glob_flags("cased*",
                                                   KZ_SVF_CASED)) };
        int32_t sa, sb, sc;

        env_add(&e, rule(NULL, "sysmon", it, 4, NULL, 0));
        T_CHECK(env_compile(&e, NULL), "%s", "");
        sa = e.rs->slot_of_id[kz_names_lookup(e.names, "A", 1)];
        sb = e.rs->slot_of_id[kz_names_lookup(e.names, "B", 1)];
        sc = e.rs->slot_of_id[kz_names_lookup(e.names, "C", 1)];
        T_CHECK(e.rs->slots[sa].ldb != NULL && e.rs->slots[sa].db != NULL,
                "%s", "A: both");
        T_CHECK(e.rs->slots[sb].ldb == NULL && e.rs->slots[sb].db == NULL &&
                e.rs->slots[sb].exact_max == 5, "%s", "B: exact table");
        T_CHECK(e.rs->slots[sc].ldb == NULL && e.rs->slots[sc].db != NULL,
                "%s", "C: regex");
        env_fini(&e);
    }
    arena_done();
}

static void
test_dispatch_channel_and_eid(void)
{
    env e;
    tev t;
    const char *kv[] = { "Image=C:\\evil.exe" };
    kz_sg_item it = item1("Image", glob("*\\evil.exe"));
    kz_ruleset_stats st;
    kz_matcher_stats ms;

    memset(&e, 0, sizeof(e));
    env_add(&e, rule("process_creation", NULL, &it, 1, NULL, 0));
    T_CHECK(env_compile(&e, NULL), "%s", "");
    kz_ruleset_stats_get(e.rs, &st);
    T_EQ_INT(st.rules, 1);
    tev_init(&t, &e, SYSMON, 1, kv, 1);
    T_EQ_INT(run(&e, &t), 1);
    T_EQ_INT(e.hits[0], 0);
    tev_init(&t, &e, "microsoft-windows-SYSMON/operational", 1, kv, 1);
    T_EQ_INT(run(&e, &t), 1); /* channel compares ASCII-caselessly */
    tev_init(&t, &e, SYSMON, 2, kv, 1);
    T_EQ_INT(run(&e, &t), 0); /* other event id */
    tev_init(&t, &e, "Application", 1, kv, 1);
    T_EQ_INT(run(&e, &t), 0); /* other channel */
    memset(&ms, 0, sizeof(ms));
    kz_matcher_stats_add(e.m, &ms);
    T_EQ_INT(ms.events, 4);
    T_EQ_INT(ms.dispatched, 2);
    env_fini(&e);
    arena_done();
}

static void
test_eventid_requirement_narrows_dispatch(void)
{
    env e;
    tev t;
    kz_sg_value ids[2];
    kz_sg_item it[2];
    const char *kv[] = { "LogonType=3" };
    kz_matcher_stats ms;

    memset(&e, 0, sizeof(e));
    ids[0] = glob("4624");
    ids[1] = glob("4625");
    it[0] = item("EventID", false, false, ids, 2);
    it[1] = item1("LogonType", glob("3"));
    /* the two ids are alternatives of one group here */
    {
        kz_sg_group *g = al(sizeof(*g));

        g->alts = it[0].groups[0].alts;
        g->nalts = 2;
        ((kz_sg_value *)g->alts)[1] = ids[1];
        it[0].groups = g;
        it[0].ngroups = 1;
    }
    env_add(&e, rule(NULL, "security", it, 2, NULL, 0));
    T_CHECK(env_compile(&e, NULL), "%s", "");
    /* Security: an "any" bucket plus 4624 and 4625 */
    T_EQ_INT(e.rs->nbuckets, 3);
    T_EQ_INT(e.rs->buckets[0].ntargets, 0);
    tev_init(&t, &e, "Security", 4624, kv, 1);
    T_EQ_INT(run(&e, &t), 1);
    tev_init(&t, &e, "Security", 4625, kv, 1);
    T_EQ_INT(run(&e, &t), 1);
    tev_init(&t, &e, "Security", 4634, kv, 1);
    T_EQ_INT(run(&e, &t), 0);
    memset(&ms, 0, sizeof(ms));
    kz_matcher_stats_add(e.m, &ms);
    T_EQ_INT(ms.dispatched, 2); /* 4634 met no candidate */
    env_fini(&e);
    arena_done();
}

static void
test_field_names_fold_and_arrays(void)
{
    env e;
    tev t;
    kz_sg_item a = item1("FileName", glob("*.ps1"));
    kz_sg_item b = item1("Filename", glob("*.ps1"));
    kz_sg_item d = item1("Data", glob("two"));
    kz_sg_item nd = item1("Data", glob("two"));
    const char *kv[] = { "FILENAME=x.PS1", "Data=one", "Data=two" };
    const char *kv2[] = { "Data=one", "Data=three" };

    memset(&e, 0, sizeof(e));
    nd.negate = true;
    env_add(&e, rule(NULL, "sysmon", &a, 1, NULL, 0));
    env_add(&e, rule(NULL, "sysmon", &b, 1, NULL, 0));
    env_add(&e, rule(NULL, "sysmon", &d, 1, NULL, 0));
    env_add(&e, rule(NULL, "sysmon", &nd, 1, NULL, 0));
    T_CHECK(env_compile(&e, NULL), "%s", "");
    T_EQ_INT(kz_names_lookup(e.names, "FileName", 8),
             kz_names_lookup(e.names, "Filename", 8));
    T_EQ_INT(e.rs->nslots, 3); /* keywords, FileName, Data */
    tev_init(&t, &e, SYSMON, 11, kv, 3);
    T_EQ_INT(run(&e, &t), 3);
    T_EQ_INT(e.hits[0], 0);
    T_EQ_INT(e.hits[1], 1);
    T_EQ_INT(e.hits[2], 2); /* any member; the negation fails */
    tev_init(&t, &e, SYSMON, 11, kv2, 2);
    T_EQ_INT(run(&e, &t), 1);
    T_EQ_INT(e.hits[0], 3); /* no member is "two" */
    env_fini(&e);
    arena_done();
}

static void
test_system_fields(void)
{
    env e;
    tev t;
    kz_sg_item it[4] = { item1("EventID", glob("7")),
                         item1("Computer", glob("ws01*")),
                         item1("Provider_Name", glob("*sysmon")),
                         item1("ProcessId", glob("42")) };
    const char *kv[] = { "ProcessId=42" };

    memset(&e, 0, sizeof(e));
    env_add(&e, rule(NULL, "sysmon", it, 4, NULL, 0));
    env_add(&e, rule(NULL, "sysmon", &it[3], 1, NULL, 0));
    T_CHECK(env_compile(&e, NULL), "%s", "");
    tev_init(&t, &e, SYSMON, 7, kv, 1);
    t.ev.process_id = 9;
    t.ev.flags |= KZ_EV_HAS_EXECUTION;
    T_EQ_INT(run(&e, &t), 2); /* data ProcessId wins over Execution */
    tev_init(&t, &e, SYSMON, 7, NULL, 0);
    t.ev.process_id = 42;
    t.ev.flags |= KZ_EV_HAS_EXECUTION;
    T_EQ_INT(run(&e, &t), 2); /* falls back to the header */
    tev_init(&t, &e, SYSMON, 8, kv, 1);
    T_EQ_INT(run(&e, &t), 1);
    T_EQ_INT(e.hits[0], 1);
    env_fini(&e);
    arena_done();
}

static void
test_negation_and_missing_fields(void)
{
    env e;
    tev t;
    kz_sg_item sel = item1("Image", glob("*\\cmd.exe"));
    kz_sg_item flt = item1("ParentImage", glob("*\\explorer.exe"));
    const char *kv1[] = { "Image=C:\\cmd.exe" };
    const char *kv2[] = { "Image=C:\\cmd.exe", "ParentImage=C:\\explorer.exe" };
    const char *kv3[] = { "Image=C:\\cmd.exe", "ParentImage=C:\\x.exe" };

    memset(&e, 0, sizeof(e));
    env_add(&e, rule(NULL, "sysmon", &sel, 1, &flt, 1));
    T_CHECK(env_compile(&e, NULL), "%s", "");
    T_CHECK(!e.rs->targets[0].always, "%s", "");
    tev_init(&t, &e, SYSMON, 1, kv1, 1);
    T_EQ_INT(run(&e, &t), 1); /* filter field missing: not filter = true */
    tev_init(&t, &e, SYSMON, 1, kv2, 2);
    T_EQ_INT(run(&e, &t), 0);
    tev_init(&t, &e, SYSMON, 1, kv3, 2);
    T_EQ_INT(run(&e, &t), 1);
    env_fini(&e);
    arena_done();
}

static void
test_always_targets(void)
{
    env e;
    tev t;
    kz_sg_item neg = item1("Image", glob("*\\cmd.exe"));
    kz_sg_item re = item1("CommandLine", regex("-e[nc]+ ", 0));
    const char *kv[] = { "CommandLine=ps -enc AAA" };

    memset(&e, 0, sizeof(e));
    neg.negate = true;
    env_add(&e, rule(NULL, "sysmon", &neg, 1, NULL, 0));
    env_add(&e, rule(NULL, "sysmon", &re, 1, NULL, 0));
    T_CHECK(env_compile(&e, NULL), "%s", "");
    T_CHECK(e.rs->targets[0].always, "%s", "");
    T_CHECK(e.rs->targets[1].always, "%s", "");
    tev_init(&t, &e, SYSMON, 1, kv, 1);
    T_EQ_INT(run(&e, &t), 2);
    env_fini(&e);
    arena_done();
}

/* The required literal mt_regex_literal finds in re ("" = none). */
static const char *
req_lit(const char *re)
{
    static char out[300];
    kz_strbuf b;

    kz_strbuf_init(&b, 0);
    out[0] = '\0';
    if (mt_regex_literal(re, 3, &b))
        snprintf(out, sizeof(out), "%.*s", (int)b.len, b.data);
    kz_strbuf_fini(&b);
    return out;
}

static void
test_regex_required_literal(void)
{
    T_EQ_STR(req_lit("abc"), "abc");
    T_EQ_STR(req_lit("(?i)\\\\Temp\\\\[a-z]+\\\\Evil\\.exe$"),
             "\\evil.exe");
    T_EQ_STR(req_lit("\\Temp"), "");   /* \T: unknown escape */
    T_EQ_STR(req_lit("ab?cdef"), "cdef");          /* b optional */
    T_EQ_STR(req_lit("abcd*ef"), "abc");
    T_EQ_STR(req_lit("abcd+ef"), "abc");   /* any quantifier ends a run */
    T_EQ_STR(req_lit("abcd{0,2}xy"), "abc");
    T_EQ_STR(req_lit("abcd{2}?xy"), "abc");
    T_EQ_STR(req_lit("x(abcdef)?yz"), "");         /* groups are skipped */
    T_EQ_STR(req_lit("wxy(a|b)cdef"), "cdef");
    T_EQ_STR(req_lit("[abc]defg[)]hij"), "defg");
    T_EQ_STR(req_lit("[]x]abcd[[:alpha:]]efg"), "abcd");
    T_EQ_STR(req_lit("abc|defgh"), "");            /* alternation */
    T_EQ_STR(req_lit("\\x41\\x42\\x43"), "");        /* \x refused */
    T_EQ_STR(req_lit("abc\\Qdef"), "");
    T_EQ_STR(req_lit("abc(*ACCEPT)defg"), "");
    T_EQ_STR(req_lit("(?x)a b c d"), "");
    T_EQ_STR(req_lit("(?#x)abcd"), "");
    T_EQ_STR(req_lit("\\sabc\\d\\.exe"), ".exe");
    T_EQ_STR(req_lit("ab\xc3\xa9" "cd"), "");   /* non-ASCII breaks runs */
    T_EQ_STR(req_lit("ABCD"), "abcd");           /* lowercased */
    T_EQ_STR(req_lit("ab"), "");                 /* shorter than min */
    T_EQ_STR(req_lit("abc{"), "");               /* not understood */
    arena_done();
}

/* The gate mt_regex_gate finds in re with minimum min ("" = none). */
static const char *
req_gate(const char *re, size_t min)
{
    static char out[300];
    kz_strbuf b;

    kz_strbuf_init(&b, 0);
    out[0] = '\0';
    if (mt_regex_gate(re, min, &b))
        snprintf(out, sizeof(out), "%.*s", (int)b.len, b.data);
    kz_strbuf_fini(&b);
    return out;
}

/* Gates: the longest letter-free piece of a required run, none when the
 * regex is not understood; a regex rule with a gate matches exactly as
 * PCRE2 alone: the gate at every position of values of 1..40 bytes
 * (16-byte SSE2 steps and the rest), absent, or present without a match;
 * no gate when PCRE2 knows a first byte that is not a letter. */
static void
test_regex_gate(void)
{
    static const char *const re = "(?i)(set).*&&\\s?set.*(env|inv).*&&.*\"";
    env e;
    tev t;
    kz_sg_item it;
    const char *kv[1];
    char v[64];
    size_t len, at;

    T_EQ_STR(req_gate(re, 2), "&&");
    T_EQ_STR(req_gate("\\w+`(\\w+|-|.)`x", 2), "");   /* only 1 byte */
    T_EQ_STR(req_gate("\\w+`(\\w+|-|.)`x", 1), "`");
    T_EQ_STR(req_gate("a\\$\\{b", 2), "${");
    T_EQ_STR(req_gate("ab--cd::::e", 2), "::::");
    T_EQ_STR(req_gate("A-B_C", 2), "");             /* pieces of 1 byte */
    T_EQ_STR(req_gate("x12:34y", 2), "12:34");     /* digits: no case */
    T_EQ_STR(req_gate("&&|x", 1), "");             /* alternation */
    T_EQ_STR(req_gate("(?x)&& ||", 1), "");
    T_EQ_STR(req_gate("&&+x", 2), "");             /* quantified: "&" */
    memset(&e, 0, sizeof(e));
    it = item1("CommandLine", regex("x&&", 0));
    env_add(&e, rule(NULL, "sysmon", &it, 1, NULL, 0));
    it = item1("CommandLine", regex(re, 0));
    env_add(&e, rule(NULL, "sysmon", &it, 1, NULL, 0));
    it = item1("CommandLine", regex("\\$\\{ab", 0));
    env_add(&e, rule(NULL, "sysmon", &it, 1, NULL, 0));
    T_CHECK(env_compile(&e, NULL), "%s", "");
    T_EQ_INT(e.rs->ngates, 2);    /* not `\$\{ab`: PCRE2 looks for `$` */
    kv[0] = v;
    for (len = 3; len <= 40; len++)
        for (at = 0; at + 3 <= len; at++) {
            memset(v, 0, sizeof(v));
            memcpy(v, "CommandLine=", 12);
            memset(v + 12, 'q', len);
            memcpy(v + 12 + at, "x&&", 3);
            tev_init(&t, &e, SYSMON, 1, kv, 1);
            T_EQ_INT(run(&e, &t), 1);
            v[12 + at + 1] = '_';     /* the gate gone at that place */
            tev_init(&t, &e, SYSMON, 1, kv, 1);
            T_EQ_INT(run(&e, &t), 0);
        }
    kv[0] = "CommandLine=SET a && set ENV && \"";
    tev_init(&t, &e, SYSMON, 1, kv, 1);
    T_EQ_INT(run(&e, &t), 1);
    T_EQ_INT(e.hits[0], 1);
    kv[0] = "CommandLine=SET a & set ENV && \"";
    tev_init(&t, &e, SYSMON, 1, kv, 1);
    T_EQ_INT(run(&e, &t), 0);
    kv[0] = "CommandLine=&& x&";          /* gate, no match */
    tev_init(&t, &e, SYSMON, 1, kv, 1);
    T_EQ_INT(run(&e, &t), 0);
    kv[0] = "CommandLine=a${ab";
    tev_init(&t, &e, SYSMON, 1, kv, 1);
    T_EQ_INT(run(&e, &t), 1);
    env_fini(&e);
    arena_done();
}

/* Regexes starting with `\w+` and a non-word literal are tried anchored
 * at the starts of the word runs that literal follows: same result as
 * PCRE2's unanchored search on random values (word characters, the
 * literal, other punctuation, non-ASCII, newlines). */
static void
test_regex_word_start(void)
{
    static const char *const res[2] = {
        "\\w+`(\\w+|-|.)`[\\w+|\\s]", "\\w+\\.ex{1,2}E\\b",
    };
    static const char *const tok[] = {
        "a", "B", "_", "1", "`", "-", " ", ".", "x", "e", "E",
        "\xC3\xA9", "\n", "``", "ab`c", ".exe",
    };
    env e;
    tev t;
    kz_sg_item it[2];
    pcre2_code *re[2];
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    char val[128], kv[160];
    const char *kvp[1] = { kv };
    uint32_t rnd = 777;
    size_t n, i, r, bad = 0;
    int ec;
    PCRE2_SIZE eo;

    T_EQ_INT(mt_regex_word_start("\\w+`x"), '`');
    T_EQ_INT(mt_regex_word_start("\\w+\\.exe"), '.');
    T_EQ_INT(mt_regex_word_start("\\w+a"), 0);      /* a word character */
    T_EQ_INT(mt_regex_word_start("\\w+?`"), 0);     /* lazy: not handled */
    T_EQ_INT(mt_regex_word_start("\\w+`?x"), 0);    /* quantified */
    T_EQ_INT(mt_regex_word_start("\\w+(`)"), 0);
    T_EQ_INT(mt_regex_word_start("\\w+\\d"), 0);
    T_EQ_INT(mt_regex_word_start("x\\w+`"), 0);
    T_EQ_INT(mt_regex_word_start("\\w+"), 0);
    T_EQ_INT(mt_regex_word_start("\\w+ x"), 0);
    memset(&e, 0, sizeof(e));
    for (r = 0; r < 2; r++) {
        /* the second one caseless (|i) */
        it[r] = item1("CommandLine", regex(res[r], r ? KZ_SVF_RE_I : 0));
        env_add(&e, rule(NULL, "sysmon", &it[r], 1, NULL, 0));
        re[r] = pcre2_compile((PCRE2_SPTR)res[r], PCRE2_ZERO_TERMINATED,
                              PCRE2_UTF | (r ? PCRE2_CASELESS : 0), &ec,
                              &eo, NULL);
        T_CHECK(re[r] != NULL, "%s", res[r]);
    }
    T_CHECK(env_compile(&e, NULL), "%s", "");
    T_EQ_INT(e.rs->ngates, 2);
    T_CHECK(e.rs->gates[0].anch != NULL && e.rs->gates[1].anch != NULL,
            "%s", "word starts");
    for (n = 0; n < 4000 && md != NULL && re[0] != NULL && re[1] != NULL;
         n++) {
        size_t len, o = 0;
        uint32_t want = 0, got = 0;

        rnd = rnd * 1103515245u + 12345u;
        len = (rnd >> 16) % 24;
        for (i = 0; i < len; i++) {
            const char *tk;

            rnd = rnd * 1103515245u + 12345u;
            tk = tok[(rnd >> 16) % (sizeof(tok) / sizeof(tok[0]))];
            memcpy(val + o, tk, strlen(tk));
            o += strlen(tk);
        }
        val[o] = '\0';
        snprintf(kv, sizeof(kv), "CommandLine=%s", val);
        for (r = 0; r < 2; r++)
            if (pcre2_match(re[r], (PCRE2_SPTR)val, o, 0, 0, md, NULL) >= 0)
                want |= 1u << r;
        tev_init(&t, &e, SYSMON, 1, kvp, 1);
        run(&e, &t);
        for (i = 0; i < e.nhits; i++)
            got |= 1u << e.hits[i];
        if (got != want && bad++ < 5)
            T_CHECK(false, "'%s': hits %x, want %x", val, got, want);
    }
    T_EQ_INT(bad, 0);
    /* more candidate starts than WS_MAX (16): the rest by one search */
    for (n = 0; n < 2; n++)
        for (r = 10; r <= 40; r += 15) {
            memset(kv, 0, sizeof(kv));
            memcpy(kv, "CommandLine=", 12);
            for (i = 0; i < r; i++)
                memcpy(kv + 12 + 3 * i, "a`-", 3);
            if (n == 1)
                memcpy(kv + 12 + 3 * r, "b`c`d", 5);
            tev_init(&t, &e, SYSMON, 1, kvp, 1);
            T_EQ_INT(run(&e, &t), n);
        }
    for (r = 0; r < 2; r++)
        pcre2_code_free(re[r]);
    pcre2_match_data_free(md);
    env_fini(&e);
    arena_done();
}

/* The matcher's text of a UTF-16LE string field (its short-ASCII fast
 * path or the renderer) equals kz_value_render's, for every unit shape:
 * lengths around the 8-unit steps and the fast path's 4,096-unit limit,
 * trailing NUL units (dropped), an inner NUL, 0x7F, 0x80, non-ASCII,
 * surrogates. A rule reading the field makes the matcher render it. */
static void
test_utf16_text_as_rendered(void)
{
    static const struct {
        size_t units;       /* length before the extras */
        int tail_nuls;      /* NUL units appended */
        int odd;            /* 0 none, 1 inner NUL, 2 0x7F, 3 0x80,
                               4 U+00E9, 5 surrogate pair, 6 lone high */
        size_t at;          /* unit index of the odd one */
    } rows[] = {
        { 0, 0, 0, 0 }, { 1, 0, 0, 0 }, { 7, 0, 0, 0 }, { 8, 0, 0, 0 },
        { 9, 0, 0, 0 }, { 16, 1, 0, 0 }, { 17, 2, 0, 0 }, { 3, 3, 0, 0 },
        { 12, 0, 1, 5 }, { 12, 0, 1, 9 }, { 12, 0, 2, 3 }, { 12, 0, 3, 3 },
        { 20, 0, 3, 17 }, { 20, 1, 4, 0 }, { 20, 0, 5, 10 },
        { 20, 0, 6, 19 }, { 4096, 0, 0, 0 }, { 4097, 0, 0, 0 },
        { 4096, 2, 0, 0 }, { 4096, 0, 3, 4095 },
    };
    size_t r;

    for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        size_t n = rows[r].units + (size_t)rows[r].tail_nuls + 2, i;
        uint16_t *u = calloc(n, sizeof(*u));
        uint8_t *b = calloc(n, 2);
        size_t units = rows[r].units, pn;
        kz_strbuf want;
        const char *p;
        env e;
        tev t;
        kz_sg_item it = item1("CommandLine", glob("*zz*"));
        const char *kv[1] = { "CommandLine=x" };

        for (i = 0; i < units; i++)
            u[i] = (uint16_t)('a' + i % 26);
        if (rows[r].odd != 0 && rows[r].at < units) {
            static const uint16_t odd[] = { 0, 0, 0x7F, 0x80, 0xE9, 0xD83D,
                                            0xD83D };

            u[rows[r].at] = odd[rows[r].odd];
            if (rows[r].odd == 5 && rows[r].at + 1 < units)
                u[rows[r].at + 1] = 0xDE00; /* the low half */
        }
        units += (size_t)rows[r].tail_nuls; /* zero already */
        for (i = 0; i < units; i++) {
            b[2 * i] = (uint8_t)(u[i] & 0xFF);
            b[2 * i + 1] = (uint8_t)(u[i] >> 8);
        }
        memset(&e, 0, sizeof(e));
        env_add(&e, rule(NULL, "sysmon", &it, 1, NULL, 0));
        T_CHECK(env_compile(&e, NULL), "row %zu", r);
        tev_init(&t, &e, SYSMON, 1, kv, 1);
        t.f[0].value.type = KZ_VT_STRING;
        t.f[0].value.data = b;
        t.f[0].value.len = (uint32_t)(2 * units);
        T_EQ_INT((int)run(&e, &t), 0);
        kz_strbuf_init(&want, 0);
        T_EQ_INT(kz_value_render(&t.f[0].value, NULL, &want), KZ_OK);
        if (rows[r].odd == 6) {
            /* a lone surrogate renders as WTF-8: repaired, not as is */
            T_CHECK(!kz_matcher_field_text(e.m, &t.ev, 0, &p, &pn),
                    "row %zu: repaired text handed out", r);
        } else {
            T_CHECK(kz_matcher_field_text(e.m, &t.ev, 0, &p, &pn) &&
                        pn == want.len &&
                        memcmp(p, want.data ? want.data : "", pn) == 0,
                    "row %zu: matcher text differs from the rendering", r);
        }
        kz_strbuf_fini(&want);
        env_fini(&e);
        free(u);
        free(b);
    }
    arena_done();
}

/* Rule 0: glob g on field (gives the slot its databases); rule 1: regex
 * re on field. Returns the hit mask (bit i: rule i) for value v. */
static int
glob_and_regex(const char *field, const char *g, const char *re,
               uint8_t reflags, const char *kv0)
{
    env e;
    tev t;
    kz_sg_item a = item1(field, glob(g)), b = item1(field, regex(re,
                                                                 reflags));
    const char *kv[1] = { kv0 };
    int r = 0;
    size_t i, n;

    memset(&e, 0, sizeof(e));
    env_add(&e, rule(NULL, "sysmon", &a, 1, NULL, 0));
    env_add(&e, rule(NULL, "sysmon", &b, 1, NULL, 0));
    if (!env_compile(&e, NULL))
        return -1;
    tev_init(&t, &e, SYSMON, 1, kv, 1);
    n = run(&e, &t);
    for (i = 0; i < n && i < e.nhits; i++)
        r |= 1 << e.hits[i];
    env_fini(&e);
    return r;
}

static void
test_exact_table_and_prefilters(void)
{
    env e;
    tev t;

    /* exact literals: hash table, ASCII caseless, U+017F / U+212A fold */
    T_EQ_INT(glob_and_regex("User", "admin", "zzz", 0, "User=ADMIN"), 1);
    T_EQ_INT(glob_and_regex("User", "admin", "zzz", 0, "User=admins"), 0);
    T_EQ_INT(glob_and_regex("User", "admin", "zzz", 0, "User=admi"), 0);
    T_EQ_INT(glob_and_regex("User", "sa", "zzz", 0, "User=\xc5\xbf" "A"), 1);
    T_EQ_INT(glob_and_regex("User", "ka", "zzz", 0,
                            "User=\xe2\x84\xaa" "a"), 1);
    /* prefiltered regex: runs only when its literal occurred */
    T_EQ_INT(glob_and_regex("CommandLine", "*zz*", "evil\\d+\\.exe", 0,
                            "CommandLine=x evil12.exe"), 2);
    T_EQ_INT(glob_and_regex("CommandLine", "*zz*", "evil\\d+\\.exe", 0,
                            "CommandLine=x evil.exe"), 0);
    T_EQ_INT(glob_and_regex("CommandLine", "*zz*", "evil\\d+\\.exe", 0,
                            "CommandLine=zz EVIL1.exe"), 1); /* cased */
    T_EQ_INT(glob_and_regex("CommandLine", "*zz*", "evil\\d+\\.exe",
                            KZ_SVF_RE_I, "CommandLine=zz EVIL1.EXE"), 3);
    /* PCRE2 caseless UTF: k matches U+212A, like the folded copy */
    T_EQ_INT(glob_and_regex("CommandLine", "*zz*", "kabc", KZ_SVF_RE_I,
                            "CommandLine=\xe2\x84\xaa" "ABC"),
             glob_and_regex("CommandLine", "*zz*", "[k]abc", KZ_SVF_RE_I,
                            "CommandLine=\xe2\x84\xaa" "ABC"));
    T_EQ_INT(glob_and_regex("CommandLine", "*zz*", "sabc", KZ_SVF_RE_I,
                            "CommandLine=\xc5\xbf" "ABC"),
             glob_and_regex("CommandLine", "*zz*", "[s]abc", KZ_SVF_RE_I,
                            "CommandLine=\xc5\xbf" "ABC"));
    /* the prefilter is only used when the slot was scanned */
    memset(&e, 0, sizeof(e));
    {
        kz_sg_item it = item1("CommandLine", regex("abcd", 0));
        kz_sg_item g = item1("CommandLine", glob("*q*"));
        const char *kv[] = { "CommandLine=xabcd" };

        env_add(&e, rule(NULL, "sysmon", &g, 1, NULL, 0));
        env_add(&e, rule(NULL, "sysmon", &it, 1, NULL, 0));
        T_CHECK(env_compile(&e, NULL), "%s", "");
        T_CHECK(e.rs->preds[1].pre != 0, "%s", "");
        T_CHECK(e.rs->slots[e.rs->preds[0].slot].exact_max == 0, "%s", "");
        tev_init(&t, &e, SYSMON, 1, kv, 1);
        T_EQ_INT(run(&e, &t), 1);
        env_fini(&e);
    }
    arena_done();
}

/* A regex with a prefilter literal is a trigger (its target is not
 * evaluated on every event); a negated one stays `always`; in an AND the
 * literal glob is preferred. */
static void
test_prefilter_triggers(void)
{
    env e;
    tev t;
    kz_sg_item g = item1("CommandLine", glob("*zz*"));
    kz_sg_item re = item1("CommandLine", regex("evil\\d+\\.exe", 0));
    kz_sg_item neg = item1("CommandLine", regex("abcd\\d", 0));
    kz_sg_item both[2];
    const char *kv1[] = { "CommandLine=x evil12.exe", "Image=C:\\x.exe" };
    const char *kv2[] = { "CommandLine=abcd1" };
    const char *kv3[] = { "CommandLine=nothing", "Image=C:\\x.exe" };

    memset(&e, 0, sizeof(e));
    neg.negate = true;
    both[0] = item1("Image", glob("*\\x.exe"));
    both[1] = item1("CommandLine", regex("evil\\d", 0));
    env_add(&e, rule(NULL, "sysmon", &g, 1, NULL, 0));
    env_add(&e, rule(NULL, "sysmon", &re, 1, NULL, 0));
    env_add(&e, rule(NULL, "sysmon", &neg, 1, NULL, 0));
    env_add(&e, rule(NULL, "sysmon", both, 2, NULL, 0));
    T_CHECK(env_compile(&e, NULL), "%s", "");
    T_CHECK(e.rs->preds[1].pre != 0 && e.rs->preds[1].trigger, "%s", "");
    T_CHECK(!e.rs->targets[1].always, "%s", "");
    T_CHECK(e.rs->preds[2].pre != 0 && !e.rs->preds[2].trigger, "%s", "");
    T_CHECK(e.rs->targets[2].always, "%s", "");
    T_CHECK(!e.rs->targets[3].always, "%s", "");
    T_CHECK(e.rs->preds[3].trigger && !e.rs->preds[4].trigger, "%s", "");
    tev_init(&t, &e, SYSMON, 1, kv1, 2);
    T_EQ_INT(run(&e, &t), 3);
    T_CHECK(e.nhits == 3 && e.hits[0] == 1 && e.hits[1] == 2 &&
            e.hits[2] == 3, "%s", "");
    tev_init(&t, &e, SYSMON, 1, kv2, 1);
    T_EQ_INT(run(&e, &t), 0);
    tev_init(&t, &e, SYSMON, 1, kv3, 2);
    T_EQ_INT(run(&e, &t), 1);
    env_fini(&e);
    arena_done();
}

static void
test_regex_limit_reported(void)
{
    env e;
    tev t;
    kz_match_opts o;
    kz_sg_item re = item1("CommandLine", regex("^(a+)+$", 0));
    const char *kv[] = { "CommandLine=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!" };

    memset(&e, 0, sizeof(e));
    memset(&o, 0, sizeof(o));
    o.pcre_match_limit = 1000;
    env_add(&e, rule(NULL, "sysmon", &re, 1, NULL, 0));
    T_CHECK(env_compile(&e, &o), "%s", "");
    tev_init(&t, &e, SYSMON, 1, kv, 1);
    T_EQ_INT(run(&e, &t), 0);
    T_EQ_INT(e.problems[KZ_MP_REGEX_LIMIT], 1);
    env_fini(&e);
    arena_done();
}

static void
test_value_cut_and_utf8_repair(void)
{
    env e;
    tev t;
    kz_match_opts o;
    kz_sg_item it[2] = { item1("CommandLine", glob("abc*")),
                         item1("Image", glob("a?b")) };
    const char *kv[] = { "CommandLine=abcdefghij" };
    static const uint8_t utf16[] = { 'a', 0, 0x00, 0xd8, 'b', 0 };

    memset(&e, 0, sizeof(e));
    memset(&o, 0, sizeof(o));
    o.max_value = 8;
    env_add(&e, rule(NULL, "sysmon", &it[0], 1, NULL, 0));
    env_add(&e, rule(NULL, "sysmon", &it[1], 1, NULL, 0));
    T_CHECK(env_compile(&e, &o), "%s", "");
    tev_init(&t, &e, SYSMON, 1, kv, 1);
    T_EQ_INT(run(&e, &t), 1);
    T_EQ_INT(e.problems[KZ_MP_VALUE_CUT], 1);
    /* a lone surrogate becomes U+FFFD: one code point for `?` */
    tev_init(&t, &e, SYSMON, 1, NULL, 0);
    t.f[0].name.p = "Image";
    t.f[0].name.len = 5;
    t.f[0].id = kz_names_lookup(e.names, "Image", 5);
    t.f[0].value.data = utf16;
    t.f[0].value.len = sizeof(utf16);
    t.f[0].value.type = KZ_VT_STRING;
    t.ev.nfields = 1;
    T_EQ_INT(run(&e, &t), 1);
    T_EQ_INT(e.hits[0], 1);
    env_fini(&e);
    arena_done();
}

static void
test_render_cache_once_per_field(void)
{
    env e;
    tev t;
    kz_sg_item it[3] = { item1("CommandLine", glob("*a*")),
                         item1("CommandLine", regex("b", 0)),
                         item1("CommandLine", glob("*c*")) };
    const char *kv[] = { "CommandLine=abc", "Other=zzz" };
    kz_matcher_stats ms;

    memset(&e, 0, sizeof(e));
    env_add(&e, rule(NULL, "sysmon", it, 3, NULL, 0));
    T_CHECK(env_compile(&e, NULL), "%s", "");
    tev_init(&t, &e, SYSMON, 1, kv, 2);
    T_EQ_INT(run(&e, &t), 1);
    memset(&ms, 0, sizeof(ms));
    kz_matcher_stats_add(e.m, &ms);
    T_EQ_INT(ms.renders, 1); /* Other is never rendered */
    env_fini(&e);
    arena_done();
}

static kz_sg_value
numv(uint8_t kind, uint8_t op, double x)
{
    kz_sg_value v;

    memset(&v, 0, sizeof(v));
    v.kind = kind;
    v.op = op;
    v.num = x;
    return v;
}

static void
test_other_value_kinds(void)
{
    kz_sg_value v;

    T_EQ_INT(one("N", numv(KZ_SV_NUMCMP, KZ_OP_GT, 10), "N=11"), 1);
    T_EQ_INT(one("N", numv(KZ_SV_NUMCMP, KZ_OP_GT, 10), "N=10"), 0);
    T_EQ_INT(one("N", numv(KZ_SV_NUMCMP, KZ_OP_LTE, 10), "N=9.5"), 1);
    T_EQ_INT(one("N", numv(KZ_SV_NUMCMP, KZ_OP_GT, 10), "N=0x20"), 0);
    T_EQ_INT(one("N", numv(KZ_SV_NUMCMP, KZ_OP_GT, 10), "N=abc"), 0);
    T_EQ_INT(one("T", numv(KZ_SV_TIMEPART, KZ_OP_GTE, 20),
                 "T=2024-01-02T21:05:00Z"), 0); /* part = minute: 5 */
    v = numv(KZ_SV_TIMEPART, KZ_OP_EQ, 21);
    v.part = KZ_TP_HOUR;
    T_EQ_INT(one("T", v, "T=2024-01-02T21:05:00+09:00"), 1);
    v = numv(KZ_SV_TIMEPART, KZ_OP_EQ, 53);
    v.part = KZ_TP_WEEK;
    T_EQ_INT(one("T", v, "T=2021-01-03 10:00:00"), 1); /* ISO 2020-W53 */
    v.num = 1;
    T_EQ_INT(one("T", v, "T=2024-12-30T00:00:00Z"), 1); /* 2025-W01 */
    memset(&v, 0, sizeof(v));
    v.kind = KZ_SV_CIDR;
    v.family = 4;
    v.prefix = 8;
    v.addr[0] = 10;
    T_EQ_INT(one("Ip", v, "Ip=10.1.2.3"), 1);
    T_EQ_INT(one("Ip", v, "Ip=::ffff:10.1.2.3"), 1);
    T_EQ_INT(one("Ip", v, "Ip=11.1.2.3"), 0);
    T_EQ_INT(one("Ip", v, "Ip=-"), 0);
    memset(&v, 0, sizeof(v));
    v.kind = KZ_SV_EXISTS;
    v.exists = true;
    T_EQ_INT(one("X", v, "X="), 1);
    T_EQ_INT(one("X", v, "Y=1"), 0);
    v.exists = false;
    T_EQ_INT(one("X", v, "Y=1"), 1);
    memset(&v, 0, sizeof(v));
    v.kind = KZ_SV_NULL;
    T_EQ_INT(one("X", v, "Y=1"), 1);
    T_EQ_INT(one("X", v, "X="), 0); /* empty is not null */
    memset(&v, 0, sizeof(v));
    v.kind = KZ_SV_FIELDREF;
    v.ref_field = "Y";
    T_EQ_INT(one("X", v, "X=1"), 0); /* Y missing */
    arena_done();
}

/* Hostile rules for test_rule_skipped_not_set (kind = row kind). */
static kz_sigma_rule *
hostile(int kind)
{
    kz_sg_item it;
    kz_sigma_rule *r;
    kz_sg_cond *c;
    size_t i, nref = 0;

    if (kind == 0) {        /* a regex PCRE2 refuses */
        it = item1("CommandLine", regex("(", 0));
        return rule(NULL, "sysmon", &it, 1, NULL, 0);
    }
    if (kind == 1) {        /* exists on keywords */
        kz_sg_value v;

        memset(&v, 0, sizeof(v));
        v.kind = KZ_SV_EXISTS;
        v.exists = true;
        it = item1(NULL, v);
        return rule(NULL, "sysmon", &it, 1, NULL, 0);
    }
    if (kind == 2) {        /* 2100 x 128 predicates */
        kz_sg_value *v = al(128 * sizeof(*v));
        kz_sg_group *g = al(sizeof(*g));

        for (i = 0; i < 128; i++)
            v[i] = glob("x");
        it = item1("Image", glob("x"));
        g->alts = v;
        g->nalts = 128;
        it.groups = g;
        nref = 2100;
    } else {                /* 4000 x 301 nodes, no predicate */
        kz_sg_item *e = al(300 * sizeof(*e));

        r = rule(NULL, "sysmon", e, 300, NULL, 0);
        nref = 4000;
    }
    if (kind == 2)
        r = rule(NULL, "sysmon", &it, 1, NULL, 0);
    c = cnode(KZ_CN_AND, 0, nref);
    for (i = 0; i < nref; i++)
        ((const kz_sg_cond **)c->kids)[i] = cnode(KZ_CN_SEL, 0, 0);
    r->cond = c;
    r->path = "hostile.yml";
    return r;
}

/* A rule that cannot compile is skipped with its reason; the rules
 * around it still compile and match (it used to fail the whole set). */
static void
test_rule_skipped_not_set(void)
{
    static const struct {
        int kind;
        const char *why;
    } rows[] = {
        { 0, "regex /(/ does not compile" },
        { 1, "keyword with a field-only modifier" },
        { 2, "more than 262144 predicates" },
        { 3, "more than 1048576 condition nodes" },
    };
    size_t i;

    for (i = 0; i < T_COUNT(rows); i++) {
        env e;
        tev t;
        kz_sg_item a = item1("Image", glob("*a*"));
        const char *kv[] = { "Image=abc" };
        const kz_sigma_rule *sr = NULL;
        const char *why = NULL;

        memset(&e, 0, sizeof(e));
        env_add(&e, rule(NULL, "sysmon", &a, 1, NULL, 0));
        env_add(&e, hostile(rows[i].kind));
        env_add(&e, rule(NULL, "sysmon", &a, 1, NULL, 0));
        T_CHECK(env_compile(&e, NULL), "row %zu: set failed", i);
        if (e.rs == NULL)
            continue;
        T_EQ_INT(kz_ruleset_rule_count(e.rs), 2);
        T_EQ_INT(kz_ruleset_skipped(e.rs, 0, &sr, &why), 1);
        T_CHECK(sr == e.rules[1] && why != NULL &&
                strncmp(why, rows[i].why, strlen(rows[i].why)) == 0,
                "row %zu: skipped '%s'", i, why ? why : "(none)");
        T_EQ_INT(e.rs->ntargets, 2);
        T_EQ_INT(e.rs->nslots, 2); /* keywords, Image: nothing left over */
        tev_init(&t, &e, SYSMON, 1, kv, 1);
        T_EQ_INT(run(&e, &t), 2);
        T_EQ_INT(e.hits[1], 1);
        env_fini(&e);
        arena_done();
    }
}

/* fieldref|contains: same answers as the byte loop, in linear time
 * (two 1 MiB values took ~10^11 steps before). */
static void
test_fieldref_contains_linear(void)
{
    static const struct {
        const char *a, *b;
        uint8_t mode;
        bool cased, want;
    } rows[] = {
        { "C:\\Temp\\X.EXE -y", "x.exe", KZ_REF_CONTAINS, false, true },
        { "C:\\Temp\\X.EXE -y", "x.exe", KZ_REF_CONTAINS, true, false },
        { "C:\\Temp\\x.exe -y", "x.exe", KZ_REF_CONTAINS, true, true },
        { "abc", "", KZ_REF_CONTAINS, false, true },
        { "ab", "abc", KZ_REF_CONTAINS, false, false },
        { "aab", "AB", KZ_REF_CONTAINS, false, true },
        /* non-ASCII bytes compare exactly, as before */
        { "x\xc3\x89y", "\xc3\xa9", KZ_REF_CONTAINS, false, false },
        { "x\xc3\x89y", "\xc3\x89Y", KZ_REF_CONTAINS, false, true },
        { "a\0B", "\0b", KZ_REF_CONTAINS, false, true },
        { "abc", "AB", KZ_REF_STARTSWITH, false, true },
        { "abc", "BC", KZ_REF_ENDSWITH, false, true },
        { "abc", "ABC", KZ_REF_EQUALS, true, false },
    };
    size_t i, big = (size_t)1 << 20;
    char *a = malloc(big), *b = malloc(big / 2 + 1);
    struct timespec t0, t1;
    double s;

    for (i = 0; i < T_COUNT(rows); i++) {
        size_t an = strlen(rows[i].a), bn = strlen(rows[i].b);

        if (i == 8) {
            an = 3;
            bn = 2;
        }
        T_CHECK(mt_ref_match(rows[i].a, an, rows[i].b, bn, rows[i].mode,
                             rows[i].cased) == rows[i].want, "row %zu", i);
    }
    T_CHECK(a != NULL && b != NULL, "malloc");
    if (a == NULL || b == NULL)
        goto out;
    /* the worst case of the byte loop: aaaa...a vs aaa...ab */
    memset(a, 'A', big);
    memset(b, 'a', big / 2);
    b[big / 2] = 'b';
    clock_gettime(CLOCK_MONOTONIC, &t0);
    T_CHECK(!mt_ref_match(a, big, b, big / 2 + 1, KZ_REF_CONTAINS, false),
            "caseless");
    T_CHECK(!mt_ref_match(a, big, b, big / 2 + 1, KZ_REF_CONTAINS, true),
            "cased");
    b[big / 2] = 'A';
    T_CHECK(mt_ref_match(a, big, b, big / 2 + 1, KZ_REF_CONTAINS, false),
            "caseless, found");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    T_CHECK(s < 2.0, "%.2f s for three 1 MiB fieldref|contains", s);
out:
    free(a);
    free(b);
}

static void
test_fieldref_and_null_value(void)
{
    env e;
    tev t;
    kz_sg_value r, n;
    kz_sg_item it[2];
    const char *kv[] = { "User=ADMIN", "Target=admin", "Z=x" };

    memset(&e, 0, sizeof(e));
    memset(&r, 0, sizeof(r));
    memset(&n, 0, sizeof(n));
    r.kind = KZ_SV_FIELDREF;
    r.ref_field = "Target";
    n.kind = KZ_SV_NULL;
    it[0] = item1("User", r);
    it[1] = item1("Z", n);
    env_add(&e, rule(NULL, "sysmon", &it[0], 1, NULL, 0));
    env_add(&e, rule(NULL, "sysmon", &it[1], 1, NULL, 0));
    T_CHECK(env_compile(&e, NULL), "%s", "");
    tev_init(&t, &e, SYSMON, 1, kv, 3);
    t.f[2].value.type = KZ_VT_NULL; /* JSON null */
    T_EQ_INT(run(&e, &t), 2);
    env_fini(&e);
    arena_done();
}

static void
test_keywords_any_field(void)
{
    env e;
    tev t;
    kz_sg_value kw[2] = { glob("*mimikatz*"), glob("*sekurlsa*") };
    kz_sg_item any = item(NULL, false, false, kw, 2);
    kz_sg_item all = item(NULL, true, false, kw, 2);
    const char *kv1[] = { "A=run MIMIKATZ now", "B=x" };
    const char *kv2[] = { "A=mimikatz", "B=sekurlsa::logonpasswords" };

    memset(&e, 0, sizeof(e));
    env_add(&e, rule(NULL, "sysmon", &any, 1, NULL, 0));
    env_add(&e, rule(NULL, "sysmon", &all, 1, NULL, 0));
    T_CHECK(env_compile(&e, NULL), "%s", "");
    tev_init(&t, &e, SYSMON, 1, kv1, 2);
    T_EQ_INT(run(&e, &t), 1);
    tev_init(&t, &e, SYSMON, 1, kv2, 2);
    T_EQ_INT(run(&e, &t), 2);
    env_fini(&e);
    arena_done();
}

/* Keywords are scanned once over the fields joined with NULs: a keyword
 * never matches across two fields, and each field still matches. */
static void
test_keywords_joined(void)
{
    env e;
    tev t;
    kz_sg_value kw[1] = { glob("*bcde*") };
    kz_sg_item any = item(NULL, false, false, kw, 1);
    const char *split[] = { "A=abc", "B=dex", "C=" };
    const char *last[] = { "A=abc", "B=", "C=xBCDE" };

    memset(&e, 0, sizeof(e));
    env_add(&e, rule(NULL, "sysmon", &any, 1, NULL, 0));
    T_CHECK(env_compile(&e, NULL), "%s", "");
    T_CHECK(e.rs->slots[MT_SLOT_KEYWORD].joined, "%s", "keywords joined");
    tev_init(&t, &e, SYSMON, 1, split, 3);
    T_EQ_INT(run(&e, &t), 0);
    tev_init(&t, &e, SYSMON, 1, last, 3);
    T_EQ_INT(run(&e, &t), 1);
    env_fini(&e);
    arena_done();
}

/* Short literals (<= 2 bytes) are tested by the matcher, not the literal
 * database: anchors, case, U+017F folding, every position of values of
 * 1..40 bytes (16-byte steps and the padded rest), groups of one first
 * byte with one or several second bytes, and a slot with more first
 * bytes than MT_SHORT_GROUPS (searched with a pair table). */
static void
test_short_literals(void)
{
    char v[64];
    size_t len, at;
    kz_sg_value lz[2] = { glob("*ly*"), glob("*lz*") };
    kz_sg_value many[10] = { glob("*a1*"), glob("*b1*"), glob("*c1*"),
                             glob("*d1*"), glob("*e1*"), glob("*f1*"),
                             glob("*g1*"), glob("*h1*"), glob("*i1*"),
                             glob("*$*") };
    env e;
    tev t;
    kz_sg_item it;
    const char *kv[1];

    T_EQ_INT(one("CommandLine", glob("* x"), "CommandLine=abc x"), 1);
    T_EQ_INT(one("CommandLine", glob("* x"), "CommandLine=ABC X"), 1);
    T_EQ_INT(one("CommandLine", glob("* x"), "CommandLine= x"), 1);
    T_EQ_INT(one("CommandLine", glob("* x"), "CommandLine=a xy"), 0);
    T_EQ_INT(one("CommandLine", glob("* x"), "CommandLine=x"), 0);
    T_EQ_INT(one("CommandLine", glob("ab*"), "CommandLine=ABcd"), 1);
    T_EQ_INT(one("CommandLine", glob("ab*"), "CommandLine=cab"), 0);
    T_EQ_INT(one("CommandLine", glob("ab*"), "CommandLine=a"), 0);
    T_EQ_INT(one("CommandLine", glob("$*"), "CommandLine=$x"), 1);
    T_EQ_INT(one("CommandLine", glob("*>"), "CommandLine=a>"), 1);
    T_EQ_INT(one("CommandLine", glob("*>"), "CommandLine=>a"), 0);
    T_EQ_INT(one("CommandLine", glob("*$*"), "CommandLine=a$b"), 1);
    T_EQ_INT(one("CommandLine", glob("*$*"), "CommandLine=ab"), 0);
    T_EQ_INT(one("CommandLine", glob("*st*"), "CommandLine=x\xC5\xBFty"), 1);
    T_EQ_INT(one("CommandLine", glob("*s*"), "CommandLine=\xC5\xBF"), 1);
    T_EQ_INT(one("CommandLine", glob("*k*"), "CommandLine=a\xE2\x84\xAA"), 1);
    /* rule 0: `ls` anywhere, rule 1: `l` anywhere */
    memset(&e, 0, sizeof(e));
    it = item1("CommandLine", glob("*ls*"));
    env_add(&e, rule(NULL, "sysmon", &it, 1, NULL, 0));
    it = item1("CommandLine", glob("*l*"));
    env_add(&e, rule(NULL, "sysmon", &it, 1, NULL, 0));
    T_CHECK(env_compile(&e, NULL), "%s", "");
    kv[0] = v;
    for (len = 1; len <= 40; len++)
        for (at = 0; at < len; at++) {
            memset(v, 0, sizeof(v));
            memcpy(v, "CommandLine=", 12);
            memset(v + 12, 'a', len);
            v[12 + at] = 'L';
            /* 'l' then 'S' only when there is room for both */
            if (at + 1 < len)
                v[12 + at + 1] = 'S';
            tev_init(&t, &e, SYSMON, 1, kv, 1);
            T_EQ_INT(run(&e, &t), at + 1 < len ? 2 : 1);
        }
    kv[0] = "CommandLine=lxs";
    tev_init(&t, &e, SYSMON, 1, kv, 1);
    T_EQ_INT(run(&e, &t), 1);
    env_fini(&e);
    /* one first byte, two second bytes */
    memset(&e, 0, sizeof(e));
    it = item("CommandLine", false, false, lz, 2);
    env_add(&e, rule(NULL, "sysmon", &it, 1, NULL, 0));
    T_CHECK(env_compile(&e, NULL), "%s", "");
    kv[0] = "CommandLine=aLz";
    tev_init(&t, &e, SYSMON, 1, kv, 1);
    T_EQ_INT(run(&e, &t), 1);
    kv[0] = "CommandLine=al";
    tev_init(&t, &e, SYSMON, 1, kv, 1);
    T_EQ_INT(run(&e, &t), 0);
    env_fini(&e);
    /* ten first bytes: a pair table */
    memset(&e, 0, sizeof(e));
    it = item("CommandLine", false, false, many, 10);
    env_add(&e, rule(NULL, "sysmon", &it, 1, NULL, 0));
    T_CHECK(env_compile(&e, NULL), "%s", "");
    T_EQ_INT(e.rs->nshorts, 10);
    T_EQ_INT(e.rs->nptabs, 1);
    kv[0] = "CommandLine=xI1x";
    tev_init(&t, &e, SYSMON, 1, kv, 1);
    T_EQ_INT(run(&e, &t), 1);
    kv[0] = "CommandLine=x$";
    tev_init(&t, &e, SYSMON, 1, kv, 1);
    T_EQ_INT(run(&e, &t), 1);
    kv[0] = "CommandLine=x1a";
    tev_init(&t, &e, SYSMON, 1, kv, 1);
    T_EQ_INT(run(&e, &t), 0);
    env_fini(&e);
    arena_done();
}

/* The pair table (a slot whose unanchored short literals start with more
 * than MT_SHORT_GROUPS bytes), table-driven against a plain caseless
 * search: 1-byte literals (letters and not) alone and sharing a first
 * byte with 2-byte ones, case variants of one literal, U+017F/U+212A
 * folding, literals at the first and last byte; events of one and of two
 * values (a literal found in the first value is not searched again) one
 * after the other (the table's working copy restored per event). */
static const char *const pair_lits[16] = {
    "a", "ac", "a;", "/c", "/C", " -", " /", "#", "$", "1", "12", "{",
    "}\"", "k", "s;", "zz",
};

/* Folds U+017F to s and U+212A to k, as the matcher does. */
static void
pair_fold(const char *v, char *out, size_t cap)
{
    size_t o = 0;

    for (; *v != '\0' && o + 1 < cap; v++) {
        if ((unsigned char)v[0] == 0xC5 && (unsigned char)v[1] == 0xBF) {
            out[o++] = 's';
            v++;
        } else if ((unsigned char)v[0] == 0xE2 &&
                   (unsigned char)v[1] == 0x84 &&
                   (unsigned char)v[2] == 0xAA) {
            out[o++] = 'k';
            v += 2;
        } else {
            out[o++] = (char)kz_ascii_lower((unsigned char)*v);
        }
    }
    out[o] = '\0';
}

static void
test_short_pair_table(void)
{
    static const char *const tok[] = {
        "a", "A", "c", "C", ";", "/", " ", "-", "#", "$", "1", "2", "{",
        "}", "\"", "k", "K", "s", "S", "z", "Z", "x", "\xC5\xBF",
        "\xE2\x84\xAA",
    };
    env e;
    tev t;
    kz_sg_value v[16];
    kz_sg_item it[16];
    char val[2][80], kv[2][96], fold[2][80];
    const char *kvp[2];
    uint32_t rnd = 12345;
    size_t r, i, k, n, nv, bad = 0;

    memset(&e, 0, sizeof(e));
    for (r = 0; r < 16; r++) {
        char g[8];

        snprintf(g, sizeof(g), "*%s*", pair_lits[r]);
        v[r] = glob(g);
        it[r] = item1("CommandLine", v[r]);
        env_add(&e, rule(NULL, "sysmon", &it[r], 1, NULL, 0));
    }
    T_CHECK(env_compile(&e, NULL), "%s", "");
    T_EQ_INT(e.rs->nptabs, 1);
    for (n = 0; n < 3000; n++) {
        uint32_t want = 0, got = 0;

        nv = 1 + n % 2;
        for (k = 0; k < nv; k++) {
            size_t len, o = 0;

            rnd = rnd * 1103515245u + 12345u;
            len = (rnd >> 16) % 24;
            for (i = 0; i < len; i++) {
                const char *tk;

                rnd = rnd * 1103515245u + 12345u;
                tk = tok[(rnd >> 16) % (sizeof(tok) / sizeof(tok[0]))];
                memcpy(val[k] + o, tk, strlen(tk));
                o += strlen(tk);
            }
            val[k][o] = '\0';
            snprintf(kv[k], sizeof(kv[k]), "CommandLine=%s", val[k]);
            kvp[k] = kv[k];
            pair_fold(val[k], fold[k], sizeof(fold[k]));
            for (r = 0; r < 16; r++) {
                char lw[8];

                pair_fold(pair_lits[r], lw, sizeof(lw));
                if (strstr(fold[k], lw) != NULL)
                    want |= 1u << r;
            }
        }
        tev_init(&t, &e, SYSMON, 1, kvp, nv);
        run(&e, &t);
        for (i = 0; i < e.nhits; i++)
            got |= 1u << e.hits[i];
        if (got != want && bad++ < 5)
            T_CHECK(false, "'%s' '%s': hits %x, want %x", val[0],
                    nv > 1 ? val[1] : "", got, want);
    }
    T_EQ_INT(bad, 0);
    env_fini(&e);
    arena_done();
}

/* Two threads, two matchers, one ruleset: same hits. */
typedef struct thr {
    env *e;
    kz_matcher *m;
    const tev *evs;
    size_t nev;
    uint64_t sum;
    size_t hits;
} thr;

static kz_status
thr_hit(void *ctx, const kz_event *ev, uint32_t r)
{
    thr *t = ctx;

    t->sum = t->sum * 31 + r + (uint64_t)(uintptr_t)ev % 7;
    t->hits++;
    return KZ_OK;
}

static void *
thr_run(void *arg)
{
    thr *t = arg;
    kz_match_cb cb = { thr_hit, NULL, t };
    size_t round, i;

    for (round = 0; round < 200; round++)
        for (i = 0; i < t->nev; i++)
            kz_match_event(t->m, &t->evs[i].ev, &cb);
    return NULL;
}

static void
test_two_threads_same_hits(void)
{
    env e;
    tev ev[3];
    kz_sg_item it[3] = { item1("CommandLine", glob("*whoami*")),
                         item1("CommandLine", regex("net\\s+user", 0)),
                         item1("Image", glob("*\\cmd.exe")) };
    const char *kv0[] = { "CommandLine=whoami /all", "Image=C:\\cmd.exe" };
    const char *kv1[] = { "CommandLine=net  user x" };
    const char *kv2[] = { "CommandLine=dir" };
    thr a, b;
    pthread_t ta, tb;

    memset(&e, 0, sizeof(e));
    env_add(&e, rule(NULL, "sysmon", &it[0], 1, NULL, 0));
    env_add(&e, rule(NULL, "sysmon", &it[1], 1, NULL, 0));
    env_add(&e, rule(NULL, "sysmon", &it[2], 1, NULL, 0));
    T_CHECK(env_compile(&e, NULL), "%s", "");
    tev_init(&ev[0], &e, SYSMON, 1, kv0, 2);
    tev_init(&ev[1], &e, SYSMON, 1, kv1, 1);
    tev_init(&ev[2], &e, SYSMON, 1, kv2, 1);
    memset(&a, 0, sizeof(a));
    a.e = &e;
    a.m = kz_matcher_new(e.rs);
    a.evs = ev;
    a.nev = 3;
    b = a;
    b.m = kz_matcher_new(e.rs);
    T_CHECK(a.m != NULL && b.m != NULL, "%s", "");
    T_CHECK(pthread_create(&ta, NULL, thr_run, &a) == 0, "%s", "");
    T_CHECK(pthread_create(&tb, NULL, thr_run, &b) == 0, "%s", "");
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    T_EQ_INT(a.hits, 600);
    T_EQ_INT(b.hits, 600);
    T_CHECK(a.sum == b.sum, "%s", "");
    kz_matcher_free(a.m);
    kz_matcher_free(b.m);
    env_fini(&e);
    arena_done();
}

/* The database cache: the second compile reads it and matches the same. */
static void
test_database_cache(void)
{
    char dir[] = "/tmp/kz-match-cache-XXXXXX";
    env e1, e2;
    tev t;
    kz_match_opts o;
    kz_sg_item it[2] = { item1("CommandLine", glob("*whoami*")),
                         item1("Image", glob_flags("*\\cmd.exe",
                                                   KZ_SVF_CASED)) };
    const char *kv[] = { "CommandLine=WHOAMI /all", "Image=C:\\cmd.exe" };
    kz_ruleset_stats st;
    char cmd[128];

    T_CHECK(mkdtemp(dir) != NULL, "%s", dir);
    memset(&o, 0, sizeof(o));
    o.cache_dir = dir;
    memset(&e1, 0, sizeof(e1));
    memset(&e2, 0, sizeof(e2));
    env_add(&e1, rule(NULL, "sysmon", it, 2, NULL, 0));
    env_add(&e2, rule(NULL, "sysmon", it, 2, NULL, 0));
    T_CHECK(env_compile(&e1, &o), "%s", "");
    kz_ruleset_stats_get(e1.rs, &st);
    T_CHECK(!st.from_cache, "%s", "");
    T_CHECK(env_compile(&e2, &o), "%s", "");
    kz_ruleset_stats_get(e2.rs, &st);
    T_CHECK(st.from_cache, "%s", "");
    tev_init(&t, &e1, SYSMON, 1, kv, 2);
    T_EQ_INT(run(&e1, &t), 1);
    tev_init(&t, &e2, SYSMON, 1, kv, 2);
    T_EQ_INT(run(&e2, &t), 1);
    env_fini(&e1);
    env_fini(&e2);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    T_CHECK(system(cmd) == 0, "%s", cmd);
    arena_done();
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(test_glob_anchoring),
        T_CASE(test_field_text_exact),
        T_CASE(test_glob_special_forms),
        T_CASE(test_non_ascii_caseless),
        T_CASE(test_literal_database),
        T_CASE(test_dispatch_channel_and_eid),
        T_CASE(test_eventid_requirement_narrows_dispatch),
        T_CASE(test_field_names_fold_and_arrays),
        T_CASE(test_system_fields),
        T_CASE(test_negation_and_missing_fields),
        T_CASE(test_always_targets),
        T_CASE(test_regex_required_literal),
        T_CASE(test_regex_gate),
        T_CASE(test_regex_word_start),
        T_CASE(test_utf16_text_as_rendered),
        T_CASE(test_exact_table_and_prefilters),
        T_CASE(test_prefilter_triggers),
        T_CASE(test_regex_limit_reported),
        T_CASE(test_value_cut_and_utf8_repair),
        T_CASE(test_render_cache_once_per_field),
        T_CASE(test_other_value_kinds),
        T_CASE(test_fieldref_and_null_value),
        T_CASE(test_rule_skipped_not_set),
        T_CASE(test_fieldref_contains_linear),
        T_CASE(test_keywords_any_field),
        T_CASE(test_keywords_joined),
        T_CASE(test_short_literals),
        T_CASE(test_short_pair_table),
        T_CASE(test_two_threads_same_hits),
        T_CASE(test_database_cache),
    };
    return t_run(cases, T_COUNT(cases), argc, argv);
}
