/*
 * test_sigma.c - the Sigma loader: tokenising, modifiers, conditions,
 * verdicts, filters, correlations, multi-document files, --expand, and a
 * conformance run over the shared SigmaHQ corpus.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/strbuf.h"
#include "sigma/sigma.h"
#include "sigma/sigma_int.h"
#include "t.h"

/* ---- rendering helpers ---------------------------------------------- */

static void
render_pat(kz_strbuf *b, const kz_sg_pattern *p)
{
    size_t i;

    if (p->ntoks == 0)
        kz_strbuf_adds(b, "<empty>");
    for (i = 0; i < p->ntoks; i++) {
        const kz_sg_tok *t = &p->toks[i];

        switch (t->kind) {
        case KZ_TOK_LIT:
            kz_strbuf_addf(b, "L(%.*s)", (int)t->len, p->text + t->off);
            break;
        case KZ_TOK_STAR: kz_strbuf_addc(b, '*'); break;
        case KZ_TOK_QMARK: kz_strbuf_addc(b, '?'); break;
        default: kz_strbuf_addc(b, 'D'); break;
        }
    }
}

static void
render_value(kz_strbuf *b, const kz_sg_value *v)
{
    static const char *const ops[] = { "=", ">", ">=", "<", "<=" };
    static const char *const parts[] = { "minute", "hour", "day", "week",
                                         "month", "year" };
    static const char *const modes[] = { "equals", "contains", "startswith",
                                         "endswith" };

    switch (v->kind) {
    case KZ_SV_PATTERN:
        render_pat(b, &v->pat);
        break;
    case KZ_SV_REGEX:
        kz_strbuf_addf(b, "re(%s)", v->regex);
        if (v->flags & KZ_SVF_RE_I)
            kz_strbuf_addc(b, 'i');
        if (v->flags & KZ_SVF_RE_M)
            kz_strbuf_addc(b, 'm');
        if (v->flags & KZ_SVF_RE_S)
            kz_strbuf_addc(b, 's');
        return;
    case KZ_SV_NUMCMP:
        kz_strbuf_addf(b, "num(%s%g)", ops[v->op], v->num);
        break;
    case KZ_SV_TIMEPART:
        kz_strbuf_addf(b, "time(%s%s%g)", parts[v->part], ops[v->op],
                       v->num);
        break;
    case KZ_SV_CIDR:
        if (v->family == 4)
            kz_strbuf_addf(b, "cidr4(%u.%u.%u.%u/%u)", v->addr[0],
                           v->addr[1], v->addr[2], v->addr[3], v->prefix);
        else
            kz_strbuf_addf(b, "cidr6(%02x%02x::/%u)", v->addr[0], v->addr[1],
                           v->prefix);
        break;
    case KZ_SV_EXISTS:
        kz_strbuf_addf(b, "exists(%d)", v->exists);
        break;
    case KZ_SV_NULL:
        kz_strbuf_adds(b, "null");
        break;
    case KZ_SV_FIELDREF:
        kz_strbuf_addf(b, "ref(%s,%s)", v->ref_field, modes[v->ref_mode]);
        break;
    }
    if (v->flags & KZ_SVF_CASED)
        kz_strbuf_adds(b, "C");
}

/* Groups joined by ',' (AND when all: '&'), alternatives by '|'. */
static void
render_item(kz_strbuf *b, const kz_sg_item *it)
{
    size_t g, a;

    if (it->negate)
        kz_strbuf_adds(b, "!");
    for (g = 0; g < it->ngroups; g++) {
        if (g > 0)
            kz_strbuf_adds(b, it->all ? "&" : ",");
        for (a = 0; a < it->groups[g].nalts; a++) {
            if (a > 0)
                kz_strbuf_adds(b, "|");
            render_value(b, &it->groups[g].alts[a]);
        }
    }
}

static void
render_cond(kz_strbuf *b, const kz_sigma_rule *r, const kz_sg_cond *c)
{
    static const char *const ops[] = { "sel", "and", "or", "not", "true",
                                       "false" };
    size_t i;

    if (c->op == KZ_CN_SEL) {
        kz_strbuf_adds(b, r->sels[c->sel].name);
        return;
    }
    if (c->op == KZ_CN_TRUE || c->op == KZ_CN_FALSE) {
        kz_strbuf_adds(b, ops[c->op]);
        return;
    }
    kz_strbuf_addf(b, "(%s", ops[c->op]);
    for (i = 0; i < c->nkids; i++) {
        kz_strbuf_addc(b, ' ');
        render_cond(b, r, c->kids[i]);
    }
    kz_strbuf_addc(b, ')');
}

static kz_sigma_set *
load_opts(const char *yaml, const kz_sigma_load_opts *o)
{
    kz_sigma_set *s = kz_sigma_set_new(o);
    kz_error err;

    kz_error_clear(&err);
    if (kz_sigma_load_buffer(s, "t.yml", yaml, strlen(yaml), &err) != KZ_OK)
        fprintf(stderr, "load error: %s\n", err.msg);
    return s;
}

static kz_sigma_set *
load(const char *yaml)
{
    return load_opts(yaml, NULL);
}

/* ---- tokenising ------------------------------------------------------ */

static void
test_tokenise(void)
{
    static const struct {
        const char *in, *want;
    } rows[] = {
        { "abc", "L(abc)" },
        { "a*b?c", "L(a)*L(b)?L(c)" },
        { "C:\\Windows\\x", "L(C:\\Windows\\x)" },
        { "\\\\", "L(\\)" },
        { "\\\\*", "L(\\)*" },
        { "\\\\\\*", "L(\\*)" },
        { "\\\\\\\\", "L(\\\\)" },
        { "\\\\\\\\127.0.0", "L(\\\\127.0.0)" },
        { "abc\\", "L(abc\\)" },
        { "\\", "L(\\)" },
        { "\\*", "L(*)" },
        { "\\?x", "L(?x)" },
        { "**a", "*L(a)" },
        { "", "<empty>" },
    };
    size_t i;

    for (i = 0; i < T_COUNT(rows); i++) {
        kz_arena a;
        kz_sg_pattern p;
        kz_strbuf b;

        kz_arena_init(&a, 1024, 0);
        kz_strbuf_init(&b, 0);
        T_EQ_INT(kz_sg_tokenise(&a, rows[i].in, strlen(rows[i].in), true,
                                &p), KZ_OK);
        render_pat(&b, &p);
        T_CHECK(strcmp(b.data, rows[i].want) == 0, "row %zu: %s -> %s, "
                "want %s", i, rows[i].in, b.data, rows[i].want);
        kz_strbuf_fini(&b);
        kz_arena_fini(&a);
    }
}

/* ---- modifiers ------------------------------------------------------- */

#define RULE_HEAD                                                        \
    "title: t\nid: 11111111-1111-1111-1111-111111111111\n"               \
    "logsource: {product: windows, category: process_creation}\n"        \
    "detection:\n"

static void
test_modifiers(void)
{
    static const struct {
        const char *key, *val, *want;
    } rows[] = {
        { "F|contains", "'abc'", "*L(abc)*" },
        { "F|contains", "'abc\\'", "*L(abc\\)*" },
        { "F|contains", "'\\\\server\\'", "*L(\\server\\)*" },
        { "F|startswith", "'*abc'", "*L(abc)*" },
        { "F|endswith", "'abc*'", "*L(abc)*" },
        { "F|endswith", "'\\\\*'", "*L(\\)*" },
        { "F|contains", "'*'", "*" },
        { "F", "4688", "L(4688)" },
        { "F", "'0x3e7'", "L(0x3e7)" },
        { "F", "true", "L(true)" },
        { "F", "True", "L(true)" },
        { "F", "null", "null" },
        { "F", "''", "<empty>" },
        { "F", "[]", "null" },
        { "F", "[a, b]", "L(a),L(b)" },
        { "F|contains|all", "[a, b]", "*L(a)*&*L(b)*" },
        { "F|base64", "'abc'", "L(YWJj)C" },
        { "F|base64offset|contains", "'abc'",
          "*L(YWJj)*C|*L(FiY)*C|*L(hYm)*C" },
        { "F|wide|base64offset|contains", "'ping'",
          "*L(cABpAG4AZw)*C|*L(AAaQBuAGcA)*C|*L(wAGkAbgBnA)*C" },
        { "F|utf16|base64", "'a'", "L(//5hAA==)C" },
        { "F|contains|windash", "'-foo /bar a-b'", "*DL(foo )DL(bar a-b)*" },
        { "F|windash|contains", "' -enc'", "*L( )DL(enc)*" },
        { "F|endswith|windash", "'x/y'", "*L(x/y)" },
        { "F|re", "'a.b\\d'", "re(a.b\\d)" },
        { "F|re|i", "'abc'", "re(abc)i" },
        { "F|re|m|s", "'abc'", "re(abc)ms" },
        { "F|re|contains", "'abc'", "re(.*abc.*)" },
        { "F|re|contains", "'^abc$'", "re(^abc$)" },
        { "F|re|startswith", "'abc'", "re(abc.*)" },
        { "F|cidr", "'10.0.0.0/8'", "cidr4(10.0.0.0/8)" },
        { "F|cidr", "'fe80::/10'", "cidr6(fe80::/10)" },
        { "F|cidr", "'192.168.1.7'", "cidr4(192.168.1.7/32)" },
        { "F|exists", "true", "exists(1)" },
        { "F|exists", "false", "exists(0)" },
        { "F|gte", "5", "num(>=5)" },
        { "F|lt", "-2.5", "num(<-2.5)" },
        { "F|hour|gte", "20", "time(hour>=20)" },
        { "F|week", "3", "time(week=3)" },
        { "F|fieldref", "Other", "ref(Other,equals)" },
        { "F|fieldref|startswith", "Other", "ref(Other,startswith)" },
        { "F|cased|contains", "'AbC'", "*L(AbC)*C" },
        { "F|contains|cased", "'AbC'", "*L(AbC)*C" },
        { "F|neq", "'x'", "!L(x)" },
        { "F|neq", "[a, b]", "!L(a),L(b)" },
        { "'|all'", "[a, b]", "*L(a)*&*L(b)*" },
    };
    size_t i;

    for (i = 0; i < T_COUNT(rows); i++) {
        char yaml[1024];
        kz_sigma_set *s;
        kz_strbuf b;

        snprintf(yaml, sizeof(yaml), RULE_HEAD "  sel:\n    %s: %s\n"
                 "  condition: sel\n", rows[i].key, rows[i].val);
        s = load(yaml);
        kz_strbuf_init(&b, 0);
        kz_strbuf_adds(&b, "");
        if (s->nrules == 1)
            render_item(&b, &s->rules[0]->sels[0].maps[0].items[0]);
        T_CHECK(s->nrules == 1 && strcmp(b.data, rows[i].want) == 0,
                "row %zu: %s: %s -> '%s' want '%s' (%s)", i, rows[i].key,
                rows[i].val, b.data, rows[i].want,
                s->nreports && s->reports[0].reason ? s->reports[0].reason
                                                    : "");
        kz_strbuf_fini(&b);
        kz_sigma_set_free(s);
    }
}

static void
test_modifier_errors(void)
{
    static const struct {
        const char *key, *val, *reason;
    } rows[] = {
        { "F|foo", "'a'", "unknown modifier 'foo'" },
        { "F|contains|re", "'a'", "modifier 're' must come first" },
        { "F|wide", "'a'", "utf16 encoding modifiers must be followed by "
                           "base64 or base64offset" },
        { "F|base64offset", "'a'", "base64offset must be followed by "
                                   "contains" },
        { "F|base64", "'a*'", "base64 value must not contain wildcards" },
        { "F|re", "'a('", "regex does not compile" },
        { "F|cidr", "'10.0.0.1/8'", "cidr value has host bits set" },
        { "F|cidr", "'nope'", "invalid cidr value 'nope'" },
        { "F|gt", "'abc'", "modifier 'gt' needs a number" },
        { "F|exists", "'yes'", "exists needs true or false" },
        { "F|i", "'a'", "modifier 'i' cannot be used here (it needs re)" },
        { "'|exists'", "true", "modifier 'exists' needs a field" },
    };
    size_t i;

    for (i = 0; i < T_COUNT(rows); i++) {
        char yaml[1024];
        kz_sigma_set *s;
        const char *why;

        snprintf(yaml, sizeof(yaml), RULE_HEAD "  sel:\n    %s: %s\n"
                 "  condition: sel\n", rows[i].key, rows[i].val);
        s = load(yaml);
        why = s->nreports ? s->reports[0].reason : NULL;
        T_CHECK(s->nrules == 0 && s->nreports == 1 &&
                s->reports[0].verdict == KZ_SGV_INVALID &&
                s->reports[0].line == 6 && why != NULL &&
                strncmp(why, rows[i].reason, strlen(rows[i].reason)) == 0,
                "row %zu: %s: got '%s' line %u", i, rows[i].key,
                why ? why : "(none)", s->nreports ? s->reports[0].line : 0);
        kz_sigma_set_free(s);
    }
}

/* ---- conditions ------------------------------------------------------ */

static void
test_conditions(void)
{
    static const struct {
        const char *cond, *want;   /* want NULL: invalid with reason */
        const char *reason;
    } rows[] = {
        { "a and b or c", "(or (and a b) c)", NULL },
        { "a or b and c", "(or a (and b c))", NULL },
        { "not a and b", "(and (not a) b)", NULL },
        { "not (a or b)", "(not (or a b))", NULL },
        { "not not a", "(not (not a))", NULL },
        { "a and (b or c) and not _x", "(and a (or b c) (not _x))", NULL },
        { "1 of sel*", "(or sel1 sel2)", NULL },
        { "any of sel*", "(or sel1 sel2)", NULL },
        { "all of sel*", "(and sel1 sel2)", NULL },
        { "all of them", "(and a b c sel1 sel2)", NULL },
        { "1 of them", "(or a b c sel1 sel2)", NULL },
        { "1 of _x*", "_x", NULL },
        { "1 of *", "(or a b c sel1 sel2)", NULL },
        { "a and not 1 of filter*", "(and a (not false))", NULL },
        { "all of nothing*", "true", NULL },
        { "not 1 of sel* and a", "(and (not (or sel1 sel2)) a)", NULL },
        { "[a, b]", "(or a b)", NULL },
        { "a | count() > 5", NULL, "deprecated v1 aggregation" },
        { "a and", NULL, "condition ends too early" },
        { "a b", NULL, "unexpected text after the end in condition" },
        { "(a", NULL, "missing ')' in condition" },
        { "zz", NULL, "unknown identifier 'zz' in condition" },
        { "sel*", NULL, "pattern 'sel*' needs '1 of' or 'all of'" },
        { "a AND b", NULL, "unexpected text after the end" },
        { "", NULL, "empty condition" },
    };
    size_t i;

    for (i = 0; i < T_COUNT(rows); i++) {
        char yaml[1024];
        kz_sigma_set *s;
        kz_strbuf b;
        const char *why;

        snprintf(yaml, sizeof(yaml), RULE_HEAD
                 "  a: {F: 1}\n  b: {F: 2}\n  c: {F: 3}\n  _x: {F: 4}\n"
                 "  sel1: {F: 5}\n  sel2: {F: 6}\n"
                 "  condition: %s%s%s\n", rows[i].cond[0] == '[' ? "" : "'",
                 rows[i].cond, rows[i].cond[0] == '[' ? "" : "'");
        s = load(yaml);
        kz_strbuf_init(&b, 0);
        kz_strbuf_adds(&b, "");
        why = s->nreports ? s->reports[0].reason : NULL;
        if (rows[i].want != NULL) {
            if (s->nrules == 1)
                render_cond(&b, s->rules[0], s->rules[0]->cond);
            T_CHECK(s->nrules == 1 && strcmp(b.data, rows[i].want) == 0,
                    "row %zu: %s -> %s want %s (%s)", i, rows[i].cond,
                    b.data, rows[i].want, why ? why : "");
        } else {
            T_CHECK(s->nrules == 0 && why != NULL &&
                    strncmp(why, rows[i].reason, strlen(rows[i].reason)) ==
                        0 && s->reports[0].line == 11,
                    "row %zu: %s -> '%s' line %u", i, rows[i].cond,
                    why ? why : "(loaded)",
                    s->nreports ? s->reports[0].line : 0);
        }
        kz_strbuf_fini(&b);
        kz_sigma_set_free(s);
    }
}

static void
test_condition_warning_and_depth(void)
{
    kz_sigma_set *s;
    char yaml[4096];
    size_t n;
    int i;

    s = load(RULE_HEAD "  a: {F: 1}\n  condition: a and not 1 of filter*\n");
    T_EQ_INT(s->nrules, 1);
    T_CHECK(s->reports[0].reason != NULL &&
            strstr(s->reports[0].reason, "matches no identifier") != NULL,
            "warning: %s", s->reports[0].reason ? s->reports[0].reason : "");
    kz_sigma_set_free(s);
    n = (size_t)snprintf(yaml, sizeof(yaml), RULE_HEAD
                         "  a: {F: 1}\n  condition: '");
    for (i = 0; i < 100; i++)
        yaml[n++] = '(';
    yaml[n++] = 'a';
    for (i = 0; i < 100; i++)
        yaml[n++] = ')';
    snprintf(yaml + n, sizeof(yaml) - n, "'\n");
    s = load(yaml);
    T_CHECK(s->nrules == 0 && s->reports[0].reason != NULL &&
            strstr(s->reports[0].reason, "deeper than 64") != NULL, "%s",
            s->reports[0].reason ? s->reports[0].reason : "(loaded)");
    kz_sigma_set_free(s);
}

/* `1 of s*` repeated over many selections: a short condition must not
 * grow into millions of nodes (hostile rule: 4 GB and a failed compile
 * of the whole set before the bound). Rows: selections, selectors,
 * loads. 40 x 100 selection nodes + 41 ORs stay under the bound. */
static void
test_condition_node_bound(void)
{
    static const struct {
        int nsels, nof;
        bool loads;
    } rows[] = { { 100, 40, true }, { 100, 50, false }, { 2000, 2000, false } };
    size_t r;

    for (r = 0; r < T_COUNT(rows); r++) {
        kz_strbuf y;
        kz_sigma_set *s;
        int i;

        kz_strbuf_init(&y, 0);
        kz_strbuf_adds(&y, RULE_HEAD);
        for (i = 0; i < rows[r].nsels; i++)
            kz_strbuf_addf(&y, "  s%d: {F: %d}\n", i, i);
        kz_strbuf_adds(&y, "  condition: 1 of s*");
        for (i = 1; i < rows[r].nof; i++)
            kz_strbuf_adds(&y, " or 1 of s*");
        kz_strbuf_adds(&y, "\n");
        s = load(y.data);
        T_CHECK((s->nrules == 1) == rows[r].loads, "row %zu: %zu rules", r,
                s->nrules);
        if (!rows[r].loads)
            T_CHECK(s->nreports == 1 && s->reports[0].reason != NULL &&
                        strstr(s->reports[0].reason,
                               "condition expands to more than 4096") != NULL,
                    "row %zu: reason %s", r,
                    s->nreports && s->reports[0].reason
                        ? s->reports[0].reason : "(none)");
        kz_sigma_set_free(s);
        kz_strbuf_fini(&y);
    }
}

/* ---- detections ------------------------------------------------------ */

static void
test_selection_shapes(void)
{
    kz_sigma_set *s = load(
        RULE_HEAD
        "  kw: [evil, '*bad*']\n"
        "  one: lonely\n"
        "  maps:\n    - {A: 1}\n    - {B: 2, C|contains: x}\n"
        "  allkw:\n    '|all': [x, y]\n"
        "  condition: kw or one or maps or allkw\n");
    const kz_sigma_rule *r;

    T_EQ_INT(s->nrules, 1);
    if (s->nrules != 1) {
        kz_sigma_set_free(s);
        return;
    }
    r = s->rules[0];
    T_EQ_INT(r->nsels, 4);
    T_CHECK(r->sels[0].maps[0].items[0].field == NULL, "keyword item");
    T_EQ_INT(r->sels[0].maps[0].items[0].ngroups, 2);
    T_CHECK(r->sels[1].maps[0].items[0].field == NULL, "scalar keyword");
    T_EQ_INT(r->sels[2].nmaps, 2);
    T_EQ_INT(r->sels[2].maps[1].nitems, 2);
    T_EQ_STR(r->sels[2].maps[1].items[1].field, "C");
    T_EQ_STR(r->sels[2].maps[1].items[1].mods, "contains");
    T_CHECK(r->sels[3].maps[0].items[0].all &&
            r->sels[3].maps[0].items[0].field == NULL, "|all keywords");
    T_EQ_STR(r->author ? r->author : "", "");
    kz_sigma_set_free(s);
}

/* ---- verdicts -------------------------------------------------------- */

static void
test_verdicts(void)
{
    static const struct {
        const char *yaml;
        kz_sg_verdict v;
        unsigned line;
        const char *reason;
    } rows[] = {
        { "foo: bar\n", KZ_SGV_NOT_RULE, 1, "not a Sigma document" },
        { "- a\n- b\n", KZ_SGV_NOT_RULE, 1, "not a Sigma document" },
        { "", KZ_SGV_NOT_RULE, 0, "no YAML document" },
        { "title: x\nlogsource: {product: windows}\n", KZ_SGV_INVALID, 1,
          "missing detection" },
        { RULE_HEAD "  a: {F: 1}\n  condition: a\nstatus: deprecated\n",
          KZ_SGV_DEPRECATED, 7, "status deprecated" },
        { RULE_HEAD "  a: {F: 1}\n  condition: a\nstatus: unsupported\n",
          KZ_SGV_DEPRECATED, 7, "status unsupported" },
        { RULE_HEAD "  a:\n    F|expand: '%Admins%'\n  condition: a\n",
          KZ_SGV_PLACEHOLDER, 6, "placeholder %Admins% has no values" },
        { RULE_HEAD "  a: {F: 1}\n", KZ_SGV_INVALID, 5, "missing condition" },
        { RULE_HEAD "  a: {F: [1, {x: 2}]}\n  condition: a\n",
          KZ_SGV_INVALID, 5, "a value must be a scalar" },
        { RULE_HEAD "  a: {F: 1}\n  condition: a\nlevel: urgent\n",
          KZ_SGV_INVALID, 7, "unknown level 'urgent'" },
        { "title: [x\n", KZ_SGV_INVALID, 2, "YAML: " },
        { "a: &x 1\nb: *x\n", KZ_SGV_INVALID, 2,
          "YAML: YAML aliases are not supported" },
        { RULE_HEAD "  a: {F: 1}\n  timeframe: 5m\n  condition: a\n",
          KZ_SGV_INVALID, 6, "deprecated v1 aggregation (timeframe)" },
        { "action: global\ntitle: t\nlogsource: {}\ndetection: {}\n",
          KZ_SGV_INVALID, 1, "deprecated v1 rule collection" },
        { RULE_HEAD "  a: null\n  condition: a\n", KZ_SGV_INVALID, 5,
          "empty selection 'a'" },
        /* a key with a NUL is not the key before it */
        { "\"title\\0x\": t\nlogsource: {product: windows}\n"
          "detection: {a: {F: 1}, condition: a}\n", KZ_SGV_INVALID, 1,
          "missing title" },
        /* an empty document reports its own line */
        { "\n\n---\n", KZ_SGV_NOT_RULE, 3, "not a Sigma document" },
    };
    size_t i;

    for (i = 0; i < T_COUNT(rows); i++) {
        kz_sigma_set *s = load(rows[i].yaml);
        const char *why = s->nreports ? s->reports[0].reason : NULL;

        T_CHECK(s->nrules == 0 && s->nreports == 1 &&
                s->reports[0].verdict == rows[i].v &&
                s->reports[0].line == rows[i].line && why != NULL &&
                strncmp(why, rows[i].reason, strlen(rows[i].reason)) == 0 &&
                s->counts[rows[i].v] == 1,
                "row %zu: verdict %s line %u reason '%s'", i,
                s->nreports ? kz_sg_verdict_name(s->reports[0].verdict) : "-",
                s->nreports ? s->reports[0].line : 0, why ? why : "(none)");
        kz_sigma_set_free(s);
    }
}

static void
test_keep_deprecated_and_duplicates(void)
{
    kz_sigma_load_opts o = { 0 };
    kz_sigma_set *s;

    o.keep_deprecated = true;
    s = load_opts(RULE_HEAD "  a: {F: 1}\n  condition: a\n"
                  "status: deprecated\n", &o);
    T_EQ_INT(s->nrules, 1);
    kz_sigma_set_free(s);
    s = load(RULE_HEAD "  a: {F: 1}\n  condition: a\n---\n" RULE_HEAD
             "  b: {F: 1}\n  condition: b\n");
    T_EQ_INT(s->nrules, 1);
    T_EQ_INT(s->nreports, 2);
    T_EQ_INT(s->counts[KZ_SGV_DUPLICATE], 1);
    T_EQ_INT(s->reports[1].doc, 1);
    T_CHECK(s->reports[1].reason != NULL &&
            strstr(s->reports[1].reason, "duplicate id") != NULL, "dup");
    kz_sigma_set_free(s);
}

/* ---- multi-document files, correlations ----------------------------- */

static void
test_multi_document(void)
{
    kz_sigma_set *s = load(
        "title: base\nid: aaaa\nname: base_rule\nauthor: Someone\n"
        "level: high\nstatus: test\ntags: [attack.t1]\n"
        "logsource: {product: windows, service: security}\n"
        "detection:\n  a: {EventID: 4625}\n  condition: a\n"
        "---\n"
        "title: many failures\nid: bbbb\nstatus: test\nlevel: critical\n"
        "correlation:\n  type: event_count\n  rules: [base_rule]\n"
        "  group-by: [IpAddress]\n  timespan: 5m\n"
        "  condition: {gte: 10}\n"
        "---\n"
        "title: chained\ncorrelation:\n  type: temporal\n"
        "  rules: [bbbb, nope]\n  timespan: 1h\n");
    kz_error err;
    const kz_sigma_rule *c;

    kz_error_clear(&err);
    T_EQ_INT(s->nrules, 3);
    T_EQ_INT(kz_sigma_set_finish(s, &err), KZ_OK);
    T_EQ_INT(s->nrules, 3);
    if (s->nrules == 3) {
        T_EQ_STR(s->rules[0]->author, "Someone");
        T_EQ_INT(s->rules[0]->level, KZ_LEVEL_HIGH);
        T_EQ_INT(s->rules[0]->tags.n, 1);
        c = s->rules[1];
        T_EQ_INT(c->kind, KZ_SG_CORRELATION);
        T_EQ_INT(c->doc, 1);
        T_EQ_INT(c->corr->type, KZ_CORR_EVENT_COUNT);
        T_EQ_INT(c->corr->timespan_s, 300);
        T_EQ_INT(c->corr->nconds, 1);
        T_EQ_INT(c->corr->conds[0].op, KZ_OP_GTE);
        T_CHECK(c->corr->conds[0].value == 10, "cond value");
        T_EQ_STR(c->corr->group_by.v[0], "IpAddress");
        T_EQ_INT(s->rules[2]->corr->type, KZ_CORR_TEMPORAL);
    }
    T_EQ_INT(s->nmissing, 1);
    if (s->nmissing == 1)
        T_EQ_STR(s->missing[0].ref, "nope");
    kz_sigma_set_free(s);
}

static void
test_correlation_validation(void)
{
    static const struct {
        const char *body, *reason;   /* reason NULL: valid */
    } rows[] = {
        { "  type: value_count\n  rules: [r]\n  timespan: 1d\n"
          "  condition: {gt: 3, lte: 10, field: User}\n", NULL },
        { "  type: temporal_ordered\n  rules: [r, s]\n  timespan: 30s\n",
          NULL },
        { "  type: temporal\n  timespan: 10m\n"
          "  condition: 'a and (b or not c)'\n", NULL },
        { "  type: value_percentile\n  rules: [r]\n  timespan: 1h\n"
          "  condition: {gte: 5, field: X, percentile: 95}\n", NULL },
        { "  type: event_count\n  rules: [r]\n  timespan: 1h\n"
          "  generate: true\n  condition: {gte: 1}\n"
          "  aliases: {ip: {r: SourceIp}}\n  group-by: [ip]\n", NULL },
        { "  type: nope\n  rules: [r]\n  timespan: 1h\n",
          "unknown correlation type 'nope'" },
        { "  type: event_count\n  rules: [r]\n  condition: {gte: 1}\n",
          "missing timespan" },
        { "  type: event_count\n  rules: [r]\n  timespan: 5x\n"
          "  condition: {gte: 1}\n", "bad timespan" },
        { "  type: event_count\n  rules: [r]\n  timespan: 5m\n",
          "event_count needs a condition" },
        { "  type: value_count\n  rules: [r]\n  timespan: 5m\n"
          "  condition: {gte: 1}\n", "value_count needs condition.field" },
        { "  type: event_count\n  timespan: 5m\n  condition: {gte: 1}\n",
          "correlation references no rules" },
        { "  type: event_count\n  rules: [r]\n  timespan: 5m\n"
          "  condition: {about: 1}\n", "unknown correlation condition" },
        { "  type: event_count\n  rules: [r]\n  timespan: 5m\n"
          "  condition: 'r and'\n", "a string condition needs a temporal" },
        { "  type: temporal\n  rules: [r, s]\n  timespan: 5m\n"
          "  condition: 'r and'\n", "bad correlation condition" },
        { "  type: temporal\n  rules: [r, s]\n  timespan: 5m\n"
          "  condition: 'r or t'\n", "rule 's' is not in the condition" },
        { "  type: event_count\n  rules: [r]\n  timespan: 5m\n"
          "  condition: {gte: 1}\n  extra: 1\n",
          "unknown correlation key 'extra'" },
    };
    size_t i;

    for (i = 0; i < T_COUNT(rows); i++) {
        char yaml[1024];
        kz_sigma_set *s;
        const char *why;

        snprintf(yaml, sizeof(yaml), "title: c\ncorrelation:\n%s",
                 rows[i].body);
        s = load(yaml);
        why = s->nreports ? s->reports[0].reason : NULL;
        if (rows[i].reason == NULL)
            T_CHECK(s->nrules == 1, "row %zu: %s", i, why ? why : "");
        else
            T_CHECK(s->nrules == 0 && why != NULL &&
                    strncmp(why, rows[i].reason, strlen(rows[i].reason)) ==
                        0 && s->reports[0].line > 0,
                    "row %zu: got '%s'", i, why ? why : "(loaded)");
        kz_sigma_set_free(s);
    }
}

/* ---- filters --------------------------------------------------------- */

static void
test_filters(void)
{
    kz_sigma_set *s = load(
        RULE_HEAD "  sel: {Image|endswith: '\\cmd.exe'}\n  condition: sel\n"
        "---\n"
        "title: other\nid: 22222222-2222-2222-2222-222222222222\n"
        "logsource: {product: windows, category: image_load}\n"
        "detection:\n  sel: {ImageLoaded: x}\n  condition: sel\n"
        "---\n"
        "title: filter admins\n"
        "logsource: {product: windows}\n"
        "filter:\n  rules: [11111111-1111-1111-1111-111111111111]\n"
        "  sel: {User|startswith: adm_}\n  condition: not sel\n"
        "---\n"
        "title: filter all process creation\n"
        "logsource: {category: process_creation}\n"
        "filter:\n  rules: any\n  sel: {Host: lab}\n  condition: not sel\n");
    kz_error err;
    kz_strbuf b;
    const kz_sigma_rule *r;

    kz_error_clear(&err);
    T_EQ_INT(s->nrules, 4);
    T_EQ_INT(kz_sigma_set_finish(s, &err), KZ_OK);
    kz_strbuf_init(&b, 0);
    kz_strbuf_adds(&b, "");
    r = s->rules[0];
    render_cond(&b, r, r->cond);
    T_EQ_STR(b.data, "(and (and sel (not _filt0_sel)) (not _filt1_sel))");
    T_EQ_INT(r->nsels, 3);
    T_EQ_STR(r->sels[1].maps[0].items[0].field, "User");
    kz_strbuf_reset(&b);
    r = s->rules[1];
    render_cond(&b, r, r->cond);
    T_EQ_STR(b.data, "sel");
    T_EQ_INT(s->rules[2]->kind, KZ_SG_FILTER);
    T_CHECK(s->rules[3]->filter_any, "rules: any");
    kz_strbuf_fini(&b);
    kz_sigma_set_free(s);
}

static void
test_unmapped(void)
{
    kz_sigma_set *s = load(
        "title: lin\nlogsource: {product: linux, category: process_creation}"
        "\ndetection:\n  a: {Image: x}\n  condition: a\n");
    kz_error err;

    kz_error_clear(&err);
    T_EQ_INT(kz_sigma_set_finish(s, &err), KZ_OK);
    T_EQ_INT(s->nrules, 0);
    T_EQ_INT(s->counts[KZ_SGV_UNMAPPED], 1);
    T_EQ_INT(s->counts[KZ_SGV_LOADED], 0);
    T_CHECK(s->reports[0].reason != NULL && *s->reports[0].reason, "why");
    kz_sigma_set_free(s);
}

/* ---- expand ---------------------------------------------------------- */

static void
test_expand(void)
{
    char dir[] = "/tmp/kz-expand-XXXXXX", path[256];
    kz_sigma_load_opts o = { 0 };
    kz_sigma_set *s;
    kz_sg_expand *e;
    kz_error err;
    kz_strbuf b;
    FILE *f;

    kz_error_clear(&err);
    T_CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(path, sizeof(path), "%s/Admins.txt", dir);
    f = fopen(path, "w");
    fputs("root\r\n\n# comment\nadm_*\n", f);
    fclose(f);
    e = kz_sg_expand_load(dir, &err);
    T_CHECK(e != NULL, "%s", err.msg);
    o.expand = e;
    s = load_opts(RULE_HEAD "  a:\n    U|expand|startswith: 'x\\%%Admins%'\n"
                  "  condition: a\n", &o);
    kz_strbuf_init(&b, 0);
    kz_strbuf_adds(&b, "");
    if (s->nrules == 1)
        render_item(&b, &s->rules[0]->sels[0].maps[0].items[0]);
    T_EQ_STR(b.data, "L(x%root)*|L(x%adm_)*");
    kz_sigma_set_free(s);
    kz_sg_expand_free(e);
    remove(path);
    /* The YAML form. */
    snprintf(path, sizeof(path), "%s/expand.yml", dir);
    f = fopen(path, "w");
    fputs("Admins: [a, b]\nServers: s1\n", f);
    fclose(f);
    e = kz_sg_expand_load(path, &err);
    T_CHECK(e != NULL, "%s", err.msg);
    o.expand = e;
    s = load_opts(RULE_HEAD "  a:\n    U|expand: '%admins%-%Servers%'\n"
                  "  condition: a\n", &o);
    kz_strbuf_reset(&b);
    if (s->nrules == 1)
        render_item(&b, &s->rules[0]->sels[0].maps[0].items[0]);
    T_EQ_STR(b.data, "L(a-s1)|L(b-s1)");
    kz_strbuf_fini(&b);
    kz_sigma_set_free(s);
    kz_sg_expand_free(e);
    remove(path);
    rmdir(dir);
}

/* |expand bounds: one value's alternatives together <= 1 MiB, a rule's
 * expanded values <= 16 MiB (4096 x 64 KiB could be made before). */
static void
test_expand_bounds(void)
{
    static const struct {
        const char *value;  /* the |expand value */
        int items;          /* items F0..F(n-1) with that value */
        bool loaded;
        const char *reason;
    } rows[] = {
        { "'%Small%'", 1, true, NULL },
        { "'%Small%%Small%'", 1, true, NULL },
        { "'%Big%'", 1, false, "|expand value larger than 1048576 bytes" },
        { "'%Small%%Small%%Small%'", 1, false,
          "|expand value larger than 1048576 bytes" },
        { "'%Mid%'", 1, true, NULL },
        { "'%Mid%'", 20, false, "|expand values of this rule exceed" },
    };
    /* Small: 16 x 300 bytes; Mid: 200 x 5000 (1,000,000); Big: 300 x
     * 4000 (1,200,000) */
    static const struct {
        const char *name;
        size_t n, len;
    } names[] = { { "Small", 16, 300 }, { "Mid", 200, 5000 },
                  { "Big", 300, 4000 } };
    char path[] = "/tmp/kz-expand-XXXXXX";
    kz_sigma_load_opts o = { 0 };
    kz_sg_expand *e;
    kz_error err;
    kz_strbuf b;
    size_t i, j, k;
    int fd;

    kz_error_clear(&err);
    kz_strbuf_init(&b, 0);
    for (i = 0; i < T_COUNT(names); i++) {
        kz_strbuf_addf(&b, "%s:\n", names[i].name);
        for (j = 0; j < names[i].n; j++) {
            kz_strbuf_addf(&b, "  - v%zu", j);
            for (k = 0; k < names[i].len - 2 - (j > 9) - (j > 99); k++)
                kz_strbuf_addc(&b, 'x');
            kz_strbuf_addc(&b, '\n');
        }
    }
    fd = mkstemp(path);
    T_CHECK(fd >= 0 && write(fd, b.data, b.len) == (ssize_t)b.len, "tmp");
    if (fd >= 0)
        close(fd);
    e = kz_sg_expand_load(path, &err);
    T_CHECK(e != NULL, "%s", err.msg);
    o.expand = e;
    for (i = 0; e != NULL && i < T_COUNT(rows); i++) {
        kz_sigma_set *s;
        const char *why;
        int n;

        kz_strbuf_reset(&b);
        kz_strbuf_adds(&b, RULE_HEAD "  a:\n");
        for (n = 0; n < rows[i].items; n++)
            kz_strbuf_addf(&b, "    F%d|expand: %s\n", n, rows[i].value);
        kz_strbuf_adds(&b, "  condition: a\n");
        s = load_opts(b.data, &o);
        why = s->nreports ? s->reports[0].reason : NULL;
        if (rows[i].loaded)
            T_CHECK(s->nrules == 1, "row %zu: not loaded: %s", i,
                    why ? why : "?");
        else
            T_CHECK(s->nrules == 0 && s->counts[KZ_SGV_INVALID] == 1 &&
                    why != NULL && strncmp(why, rows[i].reason,
                                           strlen(rows[i].reason)) == 0,
                    "row %zu: '%s'", i, why ? why : "(loaded)");
        kz_sigma_set_free(s);
    }
    kz_strbuf_fini(&b);
    kz_sg_expand_free(e);
    remove(path);
}

/* ---- conformance over the shared SigmaHQ corpus ---------------------- */

/* The load-time bound is checked only without sanitizers (they cost 10x+). */
#if defined(__SANITIZE_ADDRESS__)
#define T_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define T_SANITIZED 1
#endif
#endif
#ifndef T_SANITIZED
#define T_SANITIZED 0
#endif

static void
test_conformance_sigmahq(void)
{
    const char *root = "/work/shared/data/sigma/rules/windows";
    kz_sigma_set *s;
    kz_error err;
    struct stat sb;
    struct timespec t0, t1;
    size_t i, j, loaded, total;
    double secs;
    struct {
        const char *reason;
        size_t n;
    } hist[64];
    size_t nh = 0;

    if (stat(root, &sb) != 0) {
        fprintf(stderr, "SKIP: %s absent\n", root);
        return;
    }
    kz_error_clear(&err);
    s = kz_sigma_set_new(NULL);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    T_EQ_INT(kz_sigma_load_path(s, root, &err), KZ_OK);
    T_EQ_INT(kz_sigma_set_finish(s, &err), KZ_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) +
           (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    loaded = s->counts[KZ_SGV_LOADED];
    total = s->nreports;
    for (i = 0; i < s->nreports; i++) {
        const kz_sg_report *r = &s->reports[i];

        if (r->verdict == KZ_SGV_LOADED)
            continue;
        T_CHECK(r->reason != NULL && *r->reason, "%s: no reason", r->path);
        for (j = 0; j < nh; j++)
            if (r->reason && strcmp(hist[j].reason, r->reason) == 0)
                break;
        if (j == nh && nh < T_COUNT(hist)) {
            hist[nh].reason = r->reason ? r->reason : "";
            hist[nh++].n = 0;
        }
        if (j < nh)
            hist[j].n++;
    }
    fprintf(stderr, "sigmahq windows: %zu files, %zu loaded of %zu "
            "documents, %.3f s\n", s->files, loaded, total, secs);
    for (j = 0; j < nh; j++)
        fprintf(stderr, "  %5zu  %s\n", hist[j].n, hist[j].reason);
    T_CHECK(total > 0 && loaded * 100 >= total * 99, "%zu of %zu loaded",
            loaded, total);
    T_CHECK(T_SANITIZED || secs < 1.0, "%.3f s", secs);
    kz_sigma_set_free(s);
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(test_tokenise),
        T_CASE(test_modifiers),
        T_CASE(test_modifier_errors),
        T_CASE(test_conditions),
        T_CASE(test_condition_warning_and_depth),
        T_CASE(test_condition_node_bound),
        T_CASE(test_selection_shapes),
        T_CASE(test_verdicts),
        T_CASE(test_keep_deprecated_and_duplicates),
        T_CASE(test_multi_document),
        T_CASE(test_correlation_validation),
        T_CASE(test_filters),
        T_CASE(test_unmapped),
        T_CASE(test_expand),
        T_CASE(test_expand_bounds),
        T_CASE(test_conformance_sigmahq),
    };

    return t_run(cases, T_COUNT(cases), argc, argv);
}
