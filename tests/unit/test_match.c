/* Black-box semantic tests of the Sigma engine: loader (src/sigma),
 * logsource mapping and matcher (src/match) together. Every row is a small
 * Sigma rule (YAML), one event (channel, event id, fields) and the expected
 * outcome; the rows live in match_rows.h and follow sigma-notes.md
 * (section numbers in the comments). Rows of one table are loaded into one
 * rule set and compiled once; each row's event is matched against the
 * whole ruleset and only that row's rule is checked. A failing row prints
 * its rule and event. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mkstemps, fdopen */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/strbuf.h"
#include "event/event.h"
#include "event/names.h"
#include "event/value.h"
#include "match/match.h"
#include "sigma/sigma.h"
#include "t.h"

/* Logsource headers of the generated rules. LS_FULL: det is a whole
 * rule (or several documents) and the table runs one set per row. */
enum {
    LS_PC = 0,   /* windows / process_creation: Sysmon 1 (and 4688) */
    LS_IL,       /* windows / image_load: Sysmon 7 */
    LS_NET,      /* windows / network_connection: Sysmon 3 (and 5156) */
    LS_REG,      /* windows / registry_set: Sysmon 13 (and 4657) */
    LS_SEC,      /* windows / service security */
    LS_SYS,      /* windows / service system */
    LS_PS,       /* windows / ps_script: PowerShell 4104 */
    LS_PSC,      /* windows / ps_classic_start: Windows PowerShell 400 */
    LS_FULL,     /* det is the whole YAML text */
};

#define CH_SYSMON "Microsoft-Windows-Sysmon/Operational"
#define CH_SEC "Security"
#define CH_SYS "System"
#define CH_PS "Microsoft-Windows-PowerShell/Operational"
#define CH_PSCORE "PowerShellCore/Operational"
#define CH_PSC "Windows PowerShell"

#define MAXF 10

/* One row: rule, event, expected outcome. */
typedef struct mrow {
    const char *what;     /* what the row checks */
    int ls;               /* LS_* header of the rule */
    const char *det;      /* detection body (indented by 2), or whole
                             rule for LS_FULL */
    const char *chan;     /* event channel; NULL = the logsource's */
    uint32_t eid;         /* event id; 0 = the logsource's */
    const char *f[MAXF];  /* "Name=Value"; "~Name" = JSON null */
    int want;             /* 1 = the row's rule matches */
} mrow;

/* One rejection row: a whole rule and its verdict. */
typedef struct vrow {
    const char *what;
    const char *yaml;     /* whole document */
    int verdict;          /* kz_sg_verdict expected */
} vrow;

/* Handy detection bodies. */
#define S1(k, v) "  sel:\n    " k ": " v "\n  condition: sel\n"
#define S2(k1, v1, k2, v2)                                               \
    "  sel:\n    " k1 ": " v1 "\n    " k2 ": " v2 "\n  condition: sel\n"

#include "match_rows.h"

/* --- building rules ----------------------------------------------------- */

static const char *
ls_header(int ls)
{
    switch (ls) {
    case LS_PC:
        return "    product: windows\n    category: process_creation\n";
    case LS_IL:
        return "    product: windows\n    category: image_load\n";
    case LS_NET:
        return "    product: windows\n    category: network_connection\n";
    case LS_REG:
        return "    product: windows\n    category: registry_set\n";
    case LS_SEC:
        return "    product: windows\n    service: security\n";
    case LS_SYS:
        return "    product: windows\n    service: system\n";
    case LS_PS:
        return "    product: windows\n    category: ps_script\n";
    case LS_PSC:
        return "    product: windows\n    category: ps_classic_start\n";
    }
    return "";
}

static void
ls_event(int ls, const char **chan, uint32_t *eid)
{
    switch (ls) {
    case LS_IL: *chan = CH_SYSMON; *eid = 7; break;
    case LS_NET: *chan = CH_SYSMON; *eid = 3; break;
    case LS_REG: *chan = CH_SYSMON; *eid = 13; break;
    case LS_SEC: *chan = CH_SEC; *eid = 4624; break;
    case LS_SYS: *chan = CH_SYS; *eid = 7045; break;
    case LS_PS: *chan = CH_PS; *eid = 4104; break;
    case LS_PSC: *chan = CH_PSC; *eid = 400; break;
    default: *chan = CH_SYSMON; *eid = 1; break;
    }
}

/* The YAML text of row i (caller frees). */
static char *
row_yaml(const mrow *r, size_t i)
{
    kz_strbuf b;
    char head[256];

    kz_strbuf_init(&b, 0);
    if (r->ls == LS_FULL) {
        (void)kz_strbuf_add(&b, r->det, strlen(r->det));
    } else {
        snprintf(head, sizeof head,
                 "title: row %zu\nid: 5e0c0000-0000-4000-8000-%012zu\n"
                 "status: test\nlogsource:\n", i, i);
        (void)kz_strbuf_add(&b, head, strlen(head));
        (void)kz_strbuf_add(&b, ls_header(r->ls), strlen(ls_header(r->ls)));
        (void)kz_strbuf_add(&b, "detection:\n", 11);
        (void)kz_strbuf_add(&b, r->det, strlen(r->det));
        (void)kz_strbuf_add(&b, "level: high\n", 12);
    }
    return b.data; /* malloc'ed, NUL-terminated */
}

/* --- describing rows ---------------------------------------------------- */

/* Appends a C-like rendering of s (newlines and controls escaped). */
static void
add_shown(kz_strbuf *b, const char *s)
{
    for (; *s != '\0'; s++) {
        char e[8];

        if ((unsigned char)*s < 0x20) {
            snprintf(e, sizeof e, "\\x%02x", (unsigned char)*s);
            (void)kz_strbuf_add(b, e, strlen(e));
        } else {
            (void)kz_strbuf_add(b, s, 1);
        }
    }
}

/* Prints row i of table tab (a failing row). */
static void
print_row(const char *tab, const mrow *r, size_t i, const char *yaml,
          const char *chan, uint32_t eid)
{
    kz_strbuf b;
    size_t k;

    kz_strbuf_init(&b, 0);
    for (k = 0; k < MAXF && r->f[k] != NULL; k++) {
        (void)kz_strbuf_add(&b, "    ", 4);
        add_shown(&b, r->f[k]);
        (void)kz_strbuf_add(&b, "\n", 1);
    }
    fprintf(stderr,
            "  [%s row %zu] %s: want %s\n  --- rule ---\n%s  --- event: "
            "channel '%s' id %u\n%s",
            tab, i, r->what, r->want ? "MATCH" : "no match", yaml, chan,
            eid, b.data != NULL ? b.data : "");
    kz_strbuf_fini(&b);
}

/* --- running rows ------------------------------------------------------- */

typedef struct hits {
    unsigned char *hit;  /* per ruleset rule index */
    size_t n;
} hits;

static kz_status
on_hit(void *ctx, const kz_event *ev, uint32_t rule)
{
    hits *h = ctx;

    (void)ev;
    if (rule < h->n)
        h->hit[rule] = 1;
    return KZ_OK;
}

/* The row index written in a rule title "row N", or SIZE_MAX. */
static size_t
title_row(const kz_sigma_rule *r)
{
    unsigned long v;
    char *end;

    if (r == NULL || r->title == NULL || strncmp(r->title, "row ", 4) != 0)
        return SIZE_MAX;
    v = strtoul(r->title + 4, &end, 10);
    return *end == '\0' ? (size_t)v : SIZE_MAX;
}

/* Fills ev from row r (fields point into r and into ids). */
static void
make_event(const mrow *r, const kz_names *names, kz_field *fields,
           kz_event *ev, const char **chan_out, uint32_t *eid_out)
{
    const char *chan;
    uint32_t eid;
    size_t k, n = 0;

    ls_event(r->ls, &chan, &eid);
    if (r->chan != NULL)
        chan = r->chan;
    if (r->eid != 0)
        eid = r->eid;
    memset(ev, 0, sizeof *ev);
    ev->time = KZ_TIME_NONE;
    ev->written = KZ_TIME_NONE;
    ev->event_id = eid;
    ev->channel.p = chan;
    ev->channel.len = strlen(chan);
    if (strcmp(chan, CH_SYSMON) == 0)
        ev->provider.p = "Microsoft-Windows-Sysmon";
    else if (strcmp(chan, CH_SEC) == 0)
        ev->provider.p = "Microsoft-Windows-Security-Auditing";
    else
        ev->provider.p = chan;
    ev->provider.len = strlen(ev->provider.p);
    ev->computer.p = "HOST1";
    ev->computer.len = 5;
    ev->flags = KZ_EV_HAS_EVENT_ID | KZ_EV_HAS_RECORD_ID;
    ev->record_id = 1;
    for (k = 0; k < MAXF && r->f[k] != NULL; k++) {
        const char *s = r->f[k];
        kz_field *f = &fields[n];

        if (strcmp(s, "!qualifiers") == 0) {
            ev->flags |= KZ_EV_HAS_QUALIFIERS;
            ev->qualifiers = 16384;
            continue;
        }
        n++;
        memset(f, 0, sizeof *f);
        f->group = KZ_FG_EVENTDATA;
        if (s[0] == '~') {
            f->name.p = s + 1;
            f->name.len = strlen(s + 1);
            f->value.type = KZ_VT_NULL;
        } else {
            const char *eq = strchr(s, '=');

            f->name.p = s;
            f->name.len = eq != NULL ? (size_t)(eq - s) : strlen(s);
            f->value = eq != NULL ? kz_value_utf8(eq + 1, strlen(eq + 1))
                                  : kz_value_utf8("", 0);
        }
        f->id = kz_names_lookup(names, f->name.p, f->name.len);
    }
    ev->fields = fields;
    ev->nfields = n;
    *chan_out = chan;
    *eid_out = eid;
}

/* Prints the verdict of the documents loaded from path "row N". */
static void
print_reports(const kz_sigma_set *s, size_t i)
{
    char path[32];
    size_t k;

    snprintf(path, sizeof path, "row %zu", i);
    for (k = 0; k < s->nreports; k++) {
        const kz_sg_report *rp = &s->reports[k];

        if (rp->path != NULL && strcmp(rp->path, path) == 0)
            fprintf(stderr, "  verdict of doc %u: %s (%s, line %u)\n",
                    rp->doc, kz_sg_verdict_name((kz_sg_verdict)rp->verdict),
                    rp->reason != NULL ? rp->reason : "-", rp->line);
    }
}

/* Loads rows [lo, hi) into one set, compiles it and checks every row.
 * Returns false when compiling failed (nothing was checked). */
static bool
run_range(const char *tab, const mrow *rows, size_t lo, size_t hi,
          const kz_sigma_load_opts *lo_opts, bool quiet_compile)
{
    kz_sigma_set *s = kz_sigma_set_new(lo_opts);
    kz_names *names = kz_names_new();
    kz_ruleset *rs = NULL;
    kz_matcher *m = NULL;
    kz_match_opts mo;
    kz_error err;
    size_t i, nr = 0, *rule_of = NULL;
    hits h = { NULL, 0 };
    size_t checked = 0;
    bool ok = true;

    memset(&mo, 0, sizeof mo);
    memset(&err, 0, sizeof err);
    T_CHECK(s != NULL && names != NULL, "%s: out of memory", tab);
    if (s == NULL || names == NULL)
        goto out;
    for (i = lo; i < hi; i++) {
        char *y = row_yaml(&rows[i], i);
        char path[32];
        kz_status st;

        snprintf(path, sizeof path, "row %zu", i);
        st = kz_sigma_load_buffer(s, path, y, strlen(y), &err);
        T_CHECK(st == KZ_OK, "%s row %zu: load status %d: %s", tab, i, st,
                err.msg);
        free(y);
    }
    T_EQ_INT(kz_sigma_set_finish(s, &err), KZ_OK);
    if (kz_ruleset_compile(s, names, &mo, &rs, &err) != KZ_OK) {
        if (!quiet_compile)
            T_CHECK(0, "%s rows %zu..%zu: compile failed: %s", tab, lo,
                    hi - 1, err.msg);
        ok = false;
        goto out;
    }
    kz_names_freeze(names);
    m = kz_matcher_new(rs);
    T_CHECK(m != NULL, "%s: matcher", tab);
    if (m == NULL)
        goto out;
    nr = kz_ruleset_rule_count(rs);
    h.n = nr;
    h.hit = calloc(nr + 1, 1);
    rule_of = malloc((hi + 1) * sizeof *rule_of);
    if (h.hit == NULL || rule_of == NULL)
        goto out;
    for (i = 0; i <= hi; i++)
        rule_of[i] = SIZE_MAX;
    for (i = 0; i < nr; i++) {
        const kz_sigma_rule *r = kz_ruleset_rule(rs, i);
        size_t row = title_row(r);

        if (r != NULL && r->kind == KZ_SG_RULE && row < hi &&
            rule_of[row] == SIZE_MAX)
            rule_of[row] = i;
    }
    /* A whole-document row (one set per row): its only rule. */
    if (hi - lo == 1 && rule_of[lo] == SIZE_MAX)
        for (i = 0; i < nr; i++) {
            const kz_sigma_rule *r = kz_ruleset_rule(rs, i);

            if (r != NULL && r->kind == KZ_SG_RULE) {
                rule_of[lo] = i;
                break;
            }
        }
    for (i = lo; i < hi; i++) {
        const mrow *r = &rows[i];
        kz_field fields[MAXF];
        kz_event ev;
        kz_match_cb cb = { on_hit, NULL, &h };
        const char *chan;
        uint32_t eid;
        kz_status st;
        int got;

        make_event(r, names, fields, &ev, &chan, &eid);
        memset(h.hit, 0, nr + 1);
        st = kz_match_event(m, &ev, &cb);
        if (rule_of[i] == SIZE_MAX) {
            char *y = row_yaml(r, i);

            T_CHECK(0, "%s row %zu: rule not compiled (not loaded?)", tab, i);
            print_reports(s, i);
            print_row(tab, r, i, y, chan, eid);
            free(y);
            continue;
        }
        got = h.hit[rule_of[i]];
        checked++;
        if (st != KZ_OK || got != r->want) {
            char *y = row_yaml(r, i);

            T_CHECK(st == KZ_OK && got == r->want,
                    "%s row %zu: got %s (status %d)", tab, i,
                    got ? "MATCH" : "no match", st);
            print_row(tab, r, i, y, chan, eid);
            free(y);
        }
    }
    if (getenv("KZ_TEST_VERBOSE") != NULL)
        fprintf(stderr, "%s rows %zu..%zu: %zu checked, %zu rules\n", tab,
                lo, hi - 1, checked, nr);
out:
    free(rule_of);
    free(h.hit);
    kz_matcher_free(m);
    kz_ruleset_free(rs);
    kz_names_free(names);
    kz_sigma_set_free(s);
    return ok;
}

/* Runs a table: all rows in one set (or one set per row when per_row or
 * when the whole set does not compile). */
static void
run_rows(const char *tab, const mrow *rows, size_t n,
         const kz_sigma_load_opts *o, bool per_row)
{
    size_t i;

    if (getenv("KZ_TEST_PER_ROW") != NULL)
        per_row = true; /* isolates a row from the others of its table */
    if (!per_row && run_range(tab, rows, 0, n, o, true))
        return;
    if (!per_row)
        fprintf(stderr, "%s: the whole table does not compile; one set per "
                "row\n", tab);
    for (i = 0; i < n; i++)
        (void)run_range(tab, rows, i, i + 1, o, false);
}

#define RUN(rows) run_rows(#rows, rows, T_COUNT(rows), NULL, false)

/* --- cases -------------------------------------------------------------- */

static void
test_modifier_substring(void)
{
    RUN(rows_substring);
}

static void
test_modifier_all(void)
{
    RUN(rows_all);
}

static void
test_modifier_re(void)
{
    RUN(rows_re);
}

static void
test_modifier_base64(void)
{
    RUN(rows_base64);
}

static void
test_modifier_windash(void)
{
    RUN(rows_windash);
}

static void
test_modifier_cidr(void)
{
    RUN(rows_cidr);
}

static void
test_modifier_exists_numeric(void)
{
    RUN(rows_exists_num);
}

static void
test_modifier_neq_fieldref(void)
{
    RUN(rows_neq_ref);
}

static void
test_modifier_cased(void)
{
    RUN(rows_cased);
}

static void
test_modifier_time(void)
{
    RUN(rows_time);
}

/* Writes the placeholder file of the expand rows; returns its path in
 * buf (caller unlinks), or false. */
static bool
write_expand_file(char *buf, size_t n)
{
    static const char text[] =
        "Administrators:\n  - 'admin1'\n  - 'ADMIN2'\n"
        "DomainControllers:\n  - 'DC01'\n  - 'dc02.corp.local'\n";
    const char *tmp = getenv("TMPDIR");
    FILE *f;
    int fd;

    snprintf(buf, n, "%s/kz-test-expand-XXXXXX.yml",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    fd = mkstemps(buf, 4);
    if (fd < 0)
        return false;
    f = fdopen(fd, "w");
    if (f == NULL) {
        close(fd);
        unlink(buf);
        return false;
    }
    fputs(text, f);
    fclose(f);
    return true;
}

static void
test_modifier_expand(void)
{
    char path[512];
    kz_sigma_load_opts o;
    kz_sg_expand *e;
    kz_error err;

    memset(&o, 0, sizeof o);
    memset(&err, 0, sizeof err);
    T_CHECK(write_expand_file(path, sizeof path), "temp file");
    e = kz_sg_expand_load(path, &err);
    unlink(path);
    T_CHECK(e != NULL, "kz_sg_expand_load: %s", err.msg);
    if (e == NULL)
        return;
    o.expand = e;
    run_rows("rows_expand", rows_expand, T_COUNT(rows_expand), &o, false);
    kz_sg_expand_free(e);
}

static void
test_escapes(void)
{
    RUN(rows_escapes);
}

static void
test_values(void)
{
    RUN(rows_values);
}

static void
test_null_missing(void)
{
    RUN(rows_null_missing);
}

static void
test_keywords(void)
{
    RUN(rows_keywords);
}

static void
test_conditions(void)
{
    RUN(rows_conditions);
}

static void
test_mapping(void)
{
    RUN(rows_mapping);
}

static void
test_dispatch(void)
{
    RUN(rows_dispatch);
}

static void
test_edge_cases(void)
{
    RUN(rows_edge);
}

static void
test_filters(void)
{
    run_rows("rows_filters", rows_filters, T_COUNT(rows_filters), NULL,
             true);
}

static void
test_rejections(void)
{
    size_t i;

    for (i = 0; i < T_COUNT(rows_reject); i++) {
        const vrow *r = &rows_reject[i];
        kz_sigma_set *s = kz_sigma_set_new(NULL);
        kz_error err;
        size_t k, seen = 0;

        memset(&err, 0, sizeof err);
        if (s == NULL)
            continue;
        T_EQ_INT(kz_sigma_load_buffer(s, "reject.yml", r->yaml,
                                      strlen(r->yaml), &err), KZ_OK);
        T_EQ_INT(kz_sigma_set_finish(s, &err), KZ_OK);
        /* The last document's report is the row's (duplicate rows load
         * the same rule twice). */
        for (k = 0; k < s->nreports; k++) {
            const kz_sg_report *rp = &s->reports[k];

            if (k + 1 != s->nreports)
                continue;
            seen++;
            T_CHECK(rp->verdict == r->verdict &&
                        (r->verdict == KZ_SGV_LOADED ||
                         (rp->reason != NULL && rp->reason[0] != '\0')),
                    "reject row %zu (%s): verdict %s reason '%s', want %s"
                    "\n--- rule ---\n%s",
                    i, r->what, kz_sg_verdict_name((kz_sg_verdict)rp->verdict),
                    rp->reason != NULL ? rp->reason : "(null)",
                    kz_sg_verdict_name((kz_sg_verdict)r->verdict), r->yaml);
        }
        T_CHECK(seen == 1, "reject row %zu (%s): %zu reports", i, r->what,
                s->nreports);
        kz_sigma_set_free(s);
    }
}

/* Loads one document and returns the verdict of its last report (or -1);
 * *reason gets a copy of the reason's first byte ('\0' when none). */
static int
verdict_of(const char *yaml, size_t len, char *reason)
{
    kz_sigma_set *s = kz_sigma_set_new(NULL);
    kz_error err;
    int v = -1;

    memset(&err, 0, sizeof err);
    *reason = '\0';
    if (s == NULL)
        return -1;
    if (kz_sigma_load_buffer(s, "deep.yml", yaml, len, &err) == KZ_OK &&
        kz_sigma_set_finish(s, &err) == KZ_OK && s->nreports > 0) {
        const kz_sg_report *rp = &s->reports[s->nreports - 1];

        v = rp->verdict;
        if (rp->reason != NULL)
            *reason = rp->reason[0];
    }
    kz_sigma_set_free(s);
    return v;
}

/* Hostile nesting (rules are attacker-controlled): the loader must answer
 * with a verdict, without deep recursion. */
static void
test_rejection_bounds(void)
{
    static const char head[] =
        "title: Deep\nlogsource:\n    product: windows\n"
        "    category: process_creation\ndetection:\n    sel:\n"
        "        Image: 'x'\n    condition: ";
    const size_t depth = 100000;
    kz_strbuf b;
    size_t i;
    char reason;
    int v;

    /* (((((...sel...))))) */
    kz_strbuf_init(&b, 0);
    (void)kz_strbuf_adds(&b, head);
    for (i = 0; i < depth; i++)
        (void)kz_strbuf_addc(&b, '(');
    (void)kz_strbuf_adds(&b, "sel");
    for (i = 0; i < depth; i++)
        (void)kz_strbuf_addc(&b, ')');
    (void)kz_strbuf_adds(&b, "\n");
    v = verdict_of(b.data, b.len, &reason);
    T_CHECK(v == KZ_SGV_INVALID && reason != '\0',
            "100000 nested parentheses: verdict %d", v);
    /* not not not ... sel */
    kz_strbuf_reset(&b);
    (void)kz_strbuf_adds(&b, head);
    for (i = 0; i < depth; i++)
        (void)kz_strbuf_adds(&b, "not ");
    (void)kz_strbuf_adds(&b, "sel\n");
    v = verdict_of(b.data, b.len, &reason);
    T_CHECK(v == KZ_SGV_INVALID && reason != '\0',
            "100000 nested nots: verdict %d", v);
    /* a YAML value nested 100000 deep */
    kz_strbuf_reset(&b);
    (void)kz_strbuf_adds(&b, "title: Deep\nlogsource:\n    product: windows"
                         "\ndetection:\n    sel:\n        Image: ");
    for (i = 0; i < depth; i++)
        (void)kz_strbuf_addc(&b, '[');
    for (i = 0; i < depth; i++)
        (void)kz_strbuf_addc(&b, ']');
    (void)kz_strbuf_adds(&b, "\n    condition: sel\n");
    v = verdict_of(b.data, b.len, &reason);
    T_CHECK(v == KZ_SGV_INVALID && reason != '\0',
            "YAML nested 100000 deep: verdict %d", v);
    kz_strbuf_fini(&b);
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(test_modifier_substring),
        T_CASE(test_modifier_all),
        T_CASE(test_modifier_re),
        T_CASE(test_modifier_base64),
        T_CASE(test_modifier_windash),
        T_CASE(test_modifier_cidr),
        T_CASE(test_modifier_exists_numeric),
        T_CASE(test_modifier_neq_fieldref),
        T_CASE(test_modifier_cased),
        T_CASE(test_modifier_time),
        T_CASE(test_modifier_expand),
        T_CASE(test_escapes),
        T_CASE(test_values),
        T_CASE(test_null_missing),
        T_CASE(test_keywords),
        T_CASE(test_conditions),
        T_CASE(test_mapping),
        T_CASE(test_dispatch),
        T_CASE(test_edge_cases),
        T_CASE(test_filters),
        T_CASE(test_rejections),
        T_CASE(test_rejection_bounds),
    };

    return t_run(cases, T_COUNT(cases), argc, argv);
}
