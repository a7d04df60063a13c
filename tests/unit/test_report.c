/*
 * test_report.c - the incident report model and its renderers: hostile
 * log strings (markup, script, formulas, U+2028, ESC, long strings) in
 * every field rendered to HTML, Markdown and JSON; both languages; the
 * empty model; the caps; the section order; the files of a report
 * directory and the manifest's hashes.
 *
 * `test_report --render DIR LANG KIND` (KIND: sample or empty) writes a
 * report directory for tests/scenarios/report.sh, which checks it with
 * python3 (html.parser, json.load).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/sha256.h"
#include "report/model.h"
#include "report/report.h"
#include "report/report_int.h"
#include "t.h"
#include "write/escape.h"

/* Hostile strings, each put into every kind of string field. */
static const char *const hostile[] = {
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(2)>",
    "</script><script>alert(3)</script>",
    "=cmd|' /C calc'!A0",
    "line\xe2\x80\xa8sep\xe2\x80\xa9para",
    ("\x1b[31mred\x1b[0m \x07" "bell"),
    "'single' & \"double\" <!-- comment --> ]]>",
    "see http://evil.example/x and https://evil.example/y",
    "C:\\Windows\\System32\\cmd.exe | `x` *y* _z_ [l](m)",
    "\xe3\x83\x9b\xe3\x82\xb9\xe3\x83\x88\xe5\x90\x8d", /* ホスト名 */
};

/* 3000-byte strings: ASCII and 3-byte UTF-8 (cut on a boundary). */
static char long_ascii[3001];
static char long_utf8[3001];

static kz_time
t_at(int h, int m, int s)
{
    kz_civil c = { 2023, 6, 4, h, m, s, 0 };
    kz_time t = KZ_TIME_NONE;

    kz_time_from_civil(&c, &t);
    return t;
}

static void
fill_long(void)
{
    memset(long_ascii, 'A', 3000);
    long_ascii[3000] = '\0';
    for (size_t i = 0; i < 1000; i++)
        memcpy(long_utf8 + 3 * i, "\xe3\x81\x82", 3); /* あ */
    long_utf8[3000] = '\0';
}

/* A model with data in every section; strings from hostile[] (rotating)
 * or plain ones when hostile_strings is false. */
static kz_report *
sample(kz_report_lang lang, bool hostile_strings)
{
    kz_report *r = NULL;
    size_t nh = T_COUNT(hostile), i;
    const char *hs[3];
    kz_status st = KZ_OK;

    fill_long();
    if (kz_report_new(&r, NULL) != KZ_OK)
        return NULL;
    r->meta.lang = lang;
    r->meta.tz.kind = KZ_TZ_FIXED;
    r->meta.tz.offset_min = 9 * 60;
    r->meta.generated_at = t_at(12, 0, 0);
    r->meta.rules_loaded = 3012;
    r->meta.rules_failed = 2;
    st |= kz_report_set(r, &r->meta.zone_label, "+09:00", NULL);
    st |= kz_report_add_flag(r, "--tz=+09:00", NULL);
    st |= kz_report_add_flag(r, hostile_strings ? hostile[0] : "-o", NULL);
    st |= kz_report_add_rule_source(
        r, &(kz_report_rule_source){ "rules/", 3012, 2 }, NULL);
    r->summary.first_activity = t_at(16, 12, 5);
    r->summary.last_activity = t_at(18, 14, 0);
    st |= kz_report_set(r, &r->summary.first_host,
                        hostile_strings ? hostile[1] : "RAS01", NULL);
    st |= kz_report_set(r, &r->summary.first_host_reason,
                        "first RDP logon (4624 type 10) from outside", NULL);
    r->summary.events = 123456;
    r->summary.detections = 42;
    r->summary.alerts = 7;
    r->summary.hosts = 5;
    r->summary.accounts = 3;
    for (i = 0; i < 2 * nh + 2; i++) {
        const char *s = hostile_strings ? (i < 2 * nh ? hostile[i % nh]
                                           : i == 2 * nh ? long_ascii
                                                         : long_utf8)
                                        : "plain";
        kz_report_row row = {
            .time = t_at(16, 12, (int)i % 60), .host = s, .account = s,
            .activity = s, .file = s, .channel = "Security",
            .record_id = 1000 + i, .event_id = 4624, .rule_id = s,
            .level = i % 3 == 0 ? "high" : s,
        };
        kz_report_input in = { .path = s, .size = i, .sha256 = NULL,
                               .note = s };
        kz_report_limit lim = { "gap", s, s };
        kz_report_step stp = { s, s, s, t_at(16, 30, (int)i % 60), s, s };
        kz_report_bucket bk = { t_at(16, (int)i % 60, 0), 100 * i, i % 4 };

        hs[0] = s;
        hs[1] = "WS01";
        hs[2] = s;
        kz_report_tool tool = { s, s, s, t_at(16, 43, 0), hs, 3, 0 };
        kz_report_scope sc = {
            .incident = 1 + i % 2, .kind = i % 3 == 0 ? "local" : "share",
            .host = s, .share = i % 3 == 0 ? NULL : s, .files_read = i,
            .files_written = i, .files_deleted = i / 2, .total = 2 * i,
            .first = t_at(16, 40, 0), .last = t_at(16, 41, (int)i % 60),
            .accounts = hs, .n_accounts = 3, .accounts_omitted = 0,
            .names = hs, .n_names = 3, .names_omitted = 0,
        };

        st |= kz_report_add_row(r, &row, NULL);
        st |= kz_report_add_input(r, &in, NULL);
        st |= kz_report_add_limit(r, &lim, NULL);
        st |= kz_report_add_step(r, &stp, NULL);
        st |= kz_report_add_tool(r, &tool, NULL);
        st |= kz_report_add_scope(r, &sc, NULL);
        if (i < 3) {
            kz_report_incident inc = {
                .id = 1 + i, .first = t_at(16, 12, 0),
                .last = t_at(18, 18, 0), .level = "high", .seeds = 10 * i,
                .hosts = hs, .n_hosts = 3, .accounts = hs, .n_accounts = 3,
                .techniques = 4, .steps = i,
                .first_host = i == 0 ? s : NULL, .reason = s,
            };

            st |= kz_report_add_incident(r, &inc, NULL);
        }
        st |= kz_report_add_bucket(r, &bk, NULL);
        {
            kz_report_ent_host eh = { .name = s, .spellings = hs,
                                      .n_spellings = 3, .addresses = hs,
                                      .n_addresses = 2, .role = s,
                                      .logs_read = i % 2 == 0,
                                      .events = i, .first = t_at(16, 0, 0),
                                      .last = KZ_TIME_NONE };
            kz_report_ent_account ea = { .name = s, .sids = hs, .n_sids = 1,
                                         .upn = s, .admin = i % 2 == 1,
                                         .admin_hosts = hs,
                                         .n_admin_hosts = 3, .hosts = hs,
                                         .n_hosts = 3, .logons = i,
                                         .failures = 1,
                                         .first = t_at(16, 1, 0),
                                         .last = t_at(16, 2, 0) };
            kz_report_ent_addr ed = { s, i % 2 == 0, s, s, i, 0,
                                      t_at(16, 3, 0), KZ_TIME_NONE };

            st |= kz_report_add_ent_host(r, &eh, NULL);
            st |= kz_report_add_ent_account(r, &ea, NULL);
            st |= kz_report_add_ent_addr(r, &ed, NULL);
        }
    }
    for (i = 0; i < nh; i++) {
        char id[16];
        kz_report_node nd = { id, hostile_strings ? hostile[i] : "node",
                              i % 2 ? "host" : "account",
                              (double)(i + 1) / 20.0,
                              i % 4 == 1 ? (hostile_strings ? hostile[i]
                                                            : "file server")
                                         : NULL };
        kz_report_edge e = { NULL, id, hostile_strings ? hostile[i] : "3",
                             i + 1, t_at(16, (int)i, 0), t_at(17, 0, 0) };
        char prev[16];

        snprintf(id, sizeof(id), "n%zu", i);
        st |= kz_report_add_node(r, &nd, NULL);
        if (i == 0)
            continue;
        snprintf(prev, sizeof(prev), "n%zu", i - 1);
        e.source = prev;
        st |= kz_report_add_edge(r, &e, NULL);
    }
    if (st != KZ_OK) {
        kz_report_free(r);
        return NULL;
    }
    return r;
}

static size_t
count(const char *hay, const char *needle)
{
    size_t n = 0, k = strlen(needle);

    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += k)
        n++;
    return n;
}

typedef kz_status (*render_fn)(const kz_report *, kz_strbuf *, kz_error *);

static bool
render(const kz_report *r, render_fn fn, kz_strbuf *b)
{
    kz_error err = { 0 };

    kz_strbuf_init(b, 0);
    if (r == NULL || fn(r, b, &err) != KZ_OK) {
        T_CHECK(0, "render failed: %s", err.msg);
        return false;
    }
    return true;
}

/* ---- escapers ----------------------------------------------------- */

static const struct esc_row {
    const char *in;    /* input */
    const char *want;  /* kz_rpt_html_text output */
} html_rows[] = {
    { "<a href='x'>", "&lt;a href=&#39;x&#39;&gt;" },
    { "\"&\"", "&quot;&amp;&quot;" },
    { "http://x/y https://z", "http&#58;//x/y https&#58;//z" },
    { "a:b/c", "a:b/c" },
    { "\x1b[1m", "\\x1b[1m" },
    { "a\nb\tc", "a\\nb\\tc" },
    { "x\xe2\x80\xa8y", "x\\xe2\\x80\\xa8y" },
    { "\xe2\x80\xae" "evil", "\\xe2\\x80\\xae" "evil" }, /* bidi override */
    { "bad\xff", "bad\\xff" },
    { "", "-" },
    { "\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac" },
};

static void
test_report_html_escaper_table(void)
{
    kz_strbuf b, tmp;

    kz_strbuf_init(&b, 0);
    kz_strbuf_init(&tmp, 0);
    for (size_t i = 0; i < T_COUNT(html_rows); i++) {
        kz_strbuf_reset(&b);
        T_CHECK(kz_rpt_html_text(&b, &tmp, html_rows[i].in) == KZ_OK,
                "row %zu", i);
        T_CHECK(b.data != NULL && strcmp(b.data, html_rows[i].want) == 0,
                "row %zu: \"%s\" != \"%s\"", i, b.data ? b.data : "",
                html_rows[i].want);
    }
    kz_strbuf_reset(&b);
    T_CHECK(kz_rpt_html_text(&b, &tmp, NULL) == KZ_OK && b.len == 1 &&
                b.data[0] == '-',
            "NULL gives -");
    kz_strbuf_fini(&b);
    kz_strbuf_fini(&tmp);
}

static const struct esc_row script_rows[] = {
    { "{\"a\":\"</script>\"}", "{\"a\":\"\\u003c\\/script\\u003e\"}" },
    { "[\"<!--\",\"&\"]", "[\"\\u003c!--\",\"\\u0026\"]" },
    { "\"http://x\"", "\"http:\\/\\/x\"" },
    { "{\"n\":1}", "{\"n\":1}" },
};

static void
test_report_script_json_table(void)
{
    kz_strbuf b;

    kz_strbuf_init(&b, 0);
    for (size_t i = 0; i < T_COUNT(script_rows); i++) {
        kz_strbuf_reset(&b);
        T_CHECK(kz_rpt_script_json(&b, script_rows[i].in,
                                   strlen(script_rows[i].in)) == KZ_OK,
                "row %zu", i);
        T_CHECK(b.data != NULL && strcmp(b.data, script_rows[i].want) == 0,
                "row %zu: %s != %s", i, b.data ? b.data : "",
                script_rows[i].want);
    }
    kz_strbuf_fini(&b);
}

/* The formula of the hostile set is guarded in CSV (the timeline's
 * writer, write/escape.h); the report itself writes no CSV. */
static void
test_report_csv_formula_guarded(void)
{
    kz_strbuf b;

    kz_strbuf_init(&b, 0);
    T_CHECK(kz_csv_cell(&b, hostile[3], strlen(hostile[3])) == KZ_OK, "csv");
    T_CHECK(b.data != NULL && strncmp(b.data, "\"'=", 3) == 0, "%s",
            b.data ? b.data : "");
    kz_strbuf_fini(&b);
}

/* ---- renderers ---------------------------------------------------- */

static void
check_html_safe(const char *html, const char *what)
{
    /* exactly our two script elements: the data block and the code */
    T_CHECK(count(html, "<script") == 2, "%s: %zu <script", what,
            count(html, "<script"));
    T_CHECK(count(html, "</script") == 2, "%s: %zu </script", what,
            count(html, "</script"));
    T_CHECK(strstr(html, "<img") == NULL, "%s: raw <img", what);
    T_CHECK(strstr(html, "<!-- comment") == NULL, "%s: raw comment", what);
    T_CHECK(strstr(html, "http://") == NULL, "%s: http://", what);
    T_CHECK(strstr(html, "https://") == NULL, "%s: https://", what);
    T_CHECK(strstr(html, "://") == NULL, "%s: a URL", what);
    T_CHECK(strchr(html, '\x1b') == NULL, "%s: raw ESC", what);
    T_CHECK(strchr(html, '\x07') == NULL, "%s: raw BEL", what);
    T_CHECK(strstr(html, "\xe2\x80\xa8") == NULL, "%s: raw U+2028", what);
    T_CHECK(strstr(html, "\xe2\x80\xa9") == NULL, "%s: raw U+2029", what);
    T_CHECK(strstr(html, "Content-Security-Policy") != NULL &&
                strstr(html, "default-src 'none'") != NULL,
            "%s: CSP", what);
}

static void
test_report_html_hostile_strings(void)
{
    for (int lang = 0; lang < 2; lang++) {
        kz_report *r = sample((kz_report_lang)lang, true);
        kz_strbuf b;

        T_CHECK(r != NULL, "sample");
        if (!render(r, kz_report_html, &b))
            goto next;
        check_html_safe(b.data, lang ? "ja" : "en");
        /* the hostile text is there, as text */
        T_CHECK(strstr(b.data, "&lt;script&gt;alert(1)&lt;/script&gt;") !=
                    NULL,
                "escaped script text");
        T_CHECK(strstr(b.data, "&quot;&gt;&lt;img src=x onerror=alert(2)"
                               "&gt;") != NULL,
                "escaped img text");
        T_CHECK(strstr(b.data, "http&#58;//evil.example") != NULL,
                "URL shown as text");
        T_CHECK(strstr(b.data, "\\x1b[31mred") != NULL, "ESC visible");
    next:
        kz_strbuf_fini(&b);
        kz_report_free(r);
    }
}

static void
test_report_md_hostile_strings(void)
{
    kz_report *r = sample(KZ_LANG_EN, true);
    kz_strbuf b;

    if (render(r, kz_report_md, &b)) {
        T_CHECK(strstr(b.data, "<script") == NULL, "raw <script");
        T_CHECK(strstr(b.data, "<img") == NULL, "raw <img");
        T_CHECK(strchr(b.data, '\x1b') == NULL, "raw ESC");
        T_CHECK(strstr(b.data, "\xe2\x80\xa8") == NULL, "raw U+2028");
        T_CHECK(strstr(b.data, "=cmd\\|' /C calc'!A0") != NULL,
                "pipe escaped in a table cell");
        T_CHECK(strstr(b.data, "C:\\\\Windows") != NULL,
                "backslash escaped");
        /* every table line has the same number of unescaped pipes */
        for (const char *p = b.data; *p != '\0';) {
            const char *e = strchr(p, '\n');
            size_t n = e ? (size_t)(e - p) : strlen(p);

            if (n > 0 && p[0] == '|' && p[n - 1] != '|')
                T_CHECK(0, "table row not closed: %.60s", p);
            p += n + (e != NULL);
        }
    }
    kz_strbuf_fini(&b);
    kz_report_free(r);
}

static void
test_report_json_hostile_strings(void)
{
    kz_report *r = sample(KZ_LANG_EN, true);
    kz_strbuf b;

    if (render(r, kz_report_json, &b)) {
        T_CHECK(strstr(b.data, "\"schema\": \"kizuki-report/1\"") != NULL,
                "schema");
        T_CHECK(strstr(b.data, "\\u2028") != NULL, "U+2028 escaped");
        T_CHECK(strstr(b.data, "\\u001b[31m") != NULL, "ESC escaped");
        T_CHECK(strstr(b.data, "\\\"><img") != NULL, "quote escaped");
        T_CHECK(strchr(b.data, '\x1b') == NULL, "raw ESC");
        T_CHECK(strstr(b.data, "\"first_activity\": "
                               "\"2023-06-05T01:12:05.000000+09:00\"") !=
                    NULL,
                "time in the zone with the offset");
    }
    kz_strbuf_fini(&b);
    kz_report_free(r);
}

static const struct lang_row {
    kz_report_lang lang;      /* language */
    const char *heading[4];   /* headings that must appear, in order */
    const char *html_lang;    /* <html lang> */
} lang_rows[] = {
    { KZ_LANG_EN,
      { "Incident summary", "Traces of compromise",
        "Limits of the investigation", "Countermeasures" },
      "<html lang=\"en\">" },
    { KZ_LANG_JA,
      { "\xe7\x99\xba\xe7\x94\x9f\xe4\xba\x8b\xe8\xb1\xa1",      /* 発生事象 */
        "\xe4\xbe\xb5\xe5\xae\xb3\xe3\x81\xae\xe7\x97\x95\xe8\xb7\xa1",
        "\xe8\xaa\xbf\xe6\x9f\xbb\xe3\x81\xae\xe5\x88\xb6\xe7\xb4\x84",
        "\xe5\x86\x8d\xe7\x99\xba\xe9\x98\xb2\xe6\xad\xa2\xe7\xad\x96" },
      "<html lang=\"ja\">" },
};

static void
test_report_languages_and_order(void)
{
    static const render_fn fns[] = { kz_report_html, kz_report_md,
                                     kz_report_json };

    for (size_t i = 0; i < T_COUNT(lang_rows); i++) {
        kz_report *r = sample(lang_rows[i].lang, false);

        for (size_t f = 0; f < T_COUNT(fns); f++) {
            kz_strbuf b;
            const char *prev = NULL;

            if (!render(r, fns[f], &b)) {
                kz_strbuf_fini(&b);
                continue;
            }
            for (size_t k = 0; k < 4; k++) {
                const char *p = strstr(b.data, lang_rows[i].heading[k]);

                T_CHECK(p != NULL && (prev == NULL || p > prev),
                        "lang row %zu fn %zu: heading %zu missing or out "
                        "of order",
                        i, f, k);
                prev = p;
            }
            if (fns[f] == kz_report_html)
                T_CHECK(strstr(b.data, lang_rows[i].html_lang) != NULL,
                        "row %zu: html lang", i);
            kz_strbuf_fini(&b);
        }
        kz_report_free(r);
    }
}

static void
test_report_section_ids_in_order(void)
{
    kz_report *r = sample(KZ_LANG_EN, false);
    size_t n;
    const kz_rpt_section *s = kz_rpt_sections(&n);
    kz_strbuf b;

    if (render(r, kz_report_html, &b)) {
        const char *prev = b.data;

        T_EQ_INT(n, 11);
        for (size_t i = 0; i < n; i++) {
            char id[64];
            const char *p;

            snprintf(id, sizeof(id), "<section id=\"s-%s\"", s[i].key);
            p = strstr(b.data, id);
            T_CHECK(p != NULL && p > prev, "section %s out of order",
                    s[i].key);
            if (p != NULL)
                prev = p;
        }
    }
    kz_strbuf_fini(&b);
    kz_report_free(r);
}

static void
test_report_empty_model(void)
{
    for (int lang = 0; lang < 2; lang++) {
        kz_report *r = NULL;
        kz_strbuf h, m, j;
        const char *nodata = kz_rpt_tr((kz_report_lang)lang, KZ_L_NO_DATA);
        const char *fill = kz_rpt_tr((kz_report_lang)lang, KZ_L_TO_FILL);

        T_CHECK(kz_report_new(&r, NULL) == KZ_OK, "new");
        r->meta.lang = (kz_report_lang)lang;
        if (render(r, kz_report_html, &h)) {
            /* summary, chart, inputs, traces, tools, lateral,
             * entities, scope, limits, rule sources */
            T_EQ_INT(count(h.data, nodata), 10);
            T_EQ_INT(count(h.data, "data-human="), 4);
            T_EQ_INT(count(h.data, fill), 4);
            T_CHECK(strstr(h.data, "data-human=\"response\"") &&
                        strstr(h.data, "data-human=\"preserved\"") &&
                        strstr(h.data, "data-human=\"cause\"") &&
                        strstr(h.data, "data-human=\"prevention\""),
                    "human sections");
            check_html_safe(h.data, "empty");
        }
        if (render(r, kz_report_md, &m)) {
            T_EQ_INT(count(m.data, nodata), 8);
            T_EQ_INT(count(m.data, fill), 4);
        }
        if (render(r, kz_report_json, &j)) {
            T_EQ_INT(count(j.data, "\"has_data\": false"), 7);
            T_EQ_INT(count(j.data, "\"human\": true"), 4);
            T_CHECK(strstr(j.data, "\"first_host_determined\": false"),
                    "undetermined first host");
        }
        kz_strbuf_fini(&h);
        kz_strbuf_fini(&m);
        kz_strbuf_fini(&j);
        kz_report_free(r);
    }
}

/* ---- bounds ------------------------------------------------------- */

static void
test_report_caps(void)
{
    kz_report *r = NULL;
    const char *hosts[KZ_REPORT_MAX_TOOL_HOSTS + 8];
    kz_strbuf b;
    char want[64];
    size_t i;

    T_CHECK(kz_report_new(&r, NULL) == KZ_OK, "new");
    if (r == NULL)
        return;
    for (i = 0; i < KZ_REPORT_MAX_ROWS + 5; i++) {
        kz_report_row row = { .time = KZ_TIME_NONE, .host = "h",
                              .record_id = KZ_REPORT_NO_RECORD };

        T_CHECK(kz_report_add_row(r, &row, NULL) == KZ_OK, "row %zu", i);
    }
    T_EQ_INT(r->rows.n, KZ_REPORT_MAX_ROWS);
    T_EQ_INT(r->rows.omitted, 5);
    for (i = 0; i < T_COUNT(hosts); i++)
        hosts[i] = "host";
    T_CHECK(kz_report_add_tool(r,
                               &(kz_report_tool){ .name = "t",
                                                  .first = KZ_TIME_NONE,
                                                  .hosts = hosts,
                                                  .n_hosts =
                                                      T_COUNT(hosts) },
                               NULL) == KZ_OK,
            "tool");
    T_EQ_INT(KZ_REPORT_AT(&r->tools, kz_report_tool, 0)->n_hosts,
             KZ_REPORT_MAX_TOOL_HOSTS);
    T_EQ_INT(KZ_REPORT_AT(&r->tools, kz_report_tool, 0)->hosts_omitted, 8);
    for (i = 0; i < KZ_REPORT_MAX_NODES + 3; i++)
        kz_report_add_node(r, &(kz_report_node){ "n", "n", "host", 0.1, NULL },
                           NULL);
    T_EQ_INT(r->nodes.omitted, 3);
    if (render(r, kz_report_html, &b)) {
        snprintf(want, sizeof(want), "5 %s",
                 kz_rpt_tr(KZ_LANG_EN, KZ_L_OMITTED));
        T_CHECK(strstr(b.data, want) != NULL, "omitted rows shown");
        T_CHECK(strstr(b.data, "(+8)") != NULL, "omitted hosts shown");
    }
    kz_strbuf_fini(&b);
    kz_report_free(r);
}

static void
test_report_long_strings_cut(void)
{
    kz_report *r = NULL;
    const char *p = NULL;

    fill_long();
    T_CHECK(kz_report_new(&r, NULL) == KZ_OK, "new");
    if (r == NULL)
        return;
    T_CHECK(kz_report_strdup(r, long_ascii, &p, NULL) == KZ_OK, "ascii");
    T_EQ_INT(strlen(p), KZ_REPORT_STR_MAX);
    T_CHECK(kz_report_strdup(r, long_utf8, &p, NULL) == KZ_OK, "utf8");
    T_EQ_INT(strlen(p), KZ_REPORT_STR_MAX / 3 * 3);
    T_EQ_INT(strlen(p) % 3, 0);
    T_CHECK(kz_report_strdup(r, "short", &p, NULL) == KZ_OK, "short");
    T_EQ_STR(p, "short");
    T_CHECK(kz_report_strdup(r, NULL, &p, NULL) == KZ_OK && p == NULL,
            "NULL stays NULL");
    T_EQ_INT(r->strings_cut, 2);
    kz_report_free(r);
}

/* Broken numbers from a broken or hostile investigation: NaN and out of
 * range ranks, huge counts, times at the ends of the range, edges to
 * unknown nodes and loops. Every renderer still succeeds (and the
 * sanitizer builds see no overflow). */
static void
test_report_extreme_values(void)
{
    static const render_fn fns[] = { kz_report_html, kz_report_md,
                                     kz_report_json, kz_report_manifest };
    static const kz_time times[] = { INT64_MIN + 1, -1, 0, INT64_MAX };
    kz_report *r = NULL;

    T_CHECK(kz_report_new(&r, NULL) == KZ_OK, "new");
    if (r == NULL)
        return;
    kz_report_add_node(r, &(kz_report_node){ "a", "a", "host", 0.0 / 0.0,
                                             NULL },
                       NULL);
    kz_report_add_node(r, &(kz_report_node){ "b", NULL, NULL, -1.0, NULL }, NULL);
    kz_report_add_node(r, &(kz_report_node){ "c", "c", "x", 2.0, "" }, NULL);
    kz_report_add_node(r, &(kz_report_node){ NULL, NULL, NULL, 0.5, NULL }, NULL);
    for (size_t i = 0; i < T_COUNT(times); i++) {
        kz_report_row row = { .time = times[i], .record_id = UINT64_MAX - 1,
                              .event_id = UINT32_MAX };
        kz_report_bucket bk = { times[i], UINT64_MAX, UINT64_MAX };

        kz_report_add_row(r, &row, NULL);
        kz_report_add_bucket(r, &bk, NULL);
        kz_report_add_edge(r, &(kz_report_edge){ "a", "b", NULL, UINT64_MAX,
                                                 times[i], times[i] },
                           NULL);
    }
    kz_report_add_edge(r, &(kz_report_edge){ "a", "a", "loop", 1,
                                             KZ_TIME_NONE, KZ_TIME_NONE },
                       NULL);
    kz_report_add_edge(r, &(kz_report_edge){ "a", "zz", NULL, 0,
                                             KZ_TIME_NONE, KZ_TIME_NONE },
                       NULL);
    kz_report_add_edge(r, &(kz_report_edge){ NULL, NULL, NULL, 0,
                                             KZ_TIME_NONE, KZ_TIME_NONE },
                       NULL);
    r->summary.first_activity = INT64_MAX;
    r->summary.last_activity = INT64_MIN + 1;
    for (size_t f = 0; f < T_COUNT(fns); f++) {
        kz_strbuf b;

        if (!render(r, fns[f], &b)) {
            kz_strbuf_fini(&b);
            continue;
        }
        if (fns[f] == kz_report_html)
            check_html_safe(b.data, "extreme");
        if (fns[f] == kz_report_json)
            T_CHECK(strstr(b.data, "\"invalid-time:9223372036854775807\"") !=
                        NULL,
                    "out-of-range time shown as ticks");
        kz_strbuf_fini(&b);
    }
    kz_report_free(r);
}

static const struct width_row {
    int span_min;     /* minutes from first to last */
    int want_min;     /* bucket width in minutes */
} width_rows[] = {
    { 0, 1 }, { 199, 1 }, { 200, 5 }, { 999, 5 }, { 1000, 15 },
    { 2999, 15 }, { 3000, 60 }, { 11999, 60 }, { 12000, 360 },
    { 71999, 360 }, { 72000, 1440 }, { 2015999, 10080 },
    { 2016000, 43200 }, { 100000000, 43200 },
};

static void
test_report_chart_buckets(void)
{
    kz_report *r = NULL;
    const kz_time min = 60 * KZ_TICKS_PER_SEC, base = t_at(16, 0, 0);
    static const int order[] = { 5, 1, 3, 1, 9, 0, 5 };

    for (size_t i = 0; i < T_COUNT(width_rows); i++)
        T_CHECK(kz_report_chart_width(base, base + width_rows[i].span_min *
                                                       min) ==
                    width_rows[i].want_min * min,
                "width row %zu", i);
    T_CHECK(kz_report_chart_width(KZ_TIME_NONE, base) == 60 * min, "none");
    T_CHECK(kz_report_chart_width(base + 500 * min, base) == 5 * min,
            "reversed");
    T_CHECK(kz_report_chart_width(0, INT64_MAX) == 43200 * min, "huge");
    T_CHECK(kz_report_new(&r, NULL) == KZ_OK, "new");
    if (r == NULL)
        return;
    /* out of order, repeated buckets: sorted and summed */
    for (size_t i = 0; i < T_COUNT(order); i++)
        T_CHECK(kz_report_chart_add(r, base + order[i] * min + 7, min, 10,
                                    order[i] == 5, NULL) == KZ_OK,
                "add %zu", i);
    kz_report_chart_add(r, KZ_TIME_NONE, min, 1, 1, NULL);
    kz_report_chart_add(r, -5, min, 1, 1, NULL);
    kz_report_chart_add(r, base, 0, 1, 1, NULL);
    T_EQ_INT(r->buckets.n, 5);
    for (size_t i = 0; i + 1 < r->buckets.n; i++)
        T_CHECK(KZ_REPORT_AT(&r->buckets, kz_report_bucket, i)->start <
                    KZ_REPORT_AT(&r->buckets, kz_report_bucket, i + 1)->start,
                "order at %zu", i);
    T_CHECK(KZ_REPORT_AT(&r->buckets, kz_report_bucket, 0)->start == base,
            "aligned start");
    T_EQ_INT(KZ_REPORT_AT(&r->buckets, kz_report_bucket, 1)->events, 20);
    T_EQ_INT(KZ_REPORT_AT(&r->buckets, kz_report_bucket, 3)->alerts, 2);
    /* saturation and the cap */
    kz_report_chart_add(r, base, min, UINT64_MAX, 0, NULL);
    T_CHECK(KZ_REPORT_AT(&r->buckets, kz_report_bucket, 0)->events ==
                UINT64_MAX,
            "saturated");
    for (int i = 0; i < KZ_REPORT_MAX_BUCKETS + 10; i++)
        kz_report_chart_add(r, base + (kz_time)(i + 100) * min, min, 1, 0,
                            NULL);
    T_EQ_INT(r->buckets.n, KZ_REPORT_MAX_BUCKETS);
    T_EQ_INT(r->buckets.omitted, 15);
    kz_report_free(r);
}

/* ---- determinism, files -------------------------------------------- */

static void
test_report_graph_layout_deterministic(void)
{
    static const char *const ids[] = { "ws01", "ras01", "dc01", "corp\\a",
                                       "10.0.0.5" };
    kz_report *a = NULL, *b = NULL;
    kz_strbuf sa, sb, tmp;

    T_CHECK(kz_report_new(&a, NULL) == KZ_OK, "new");
    T_CHECK(kz_report_new(&b, NULL) == KZ_OK, "new");
    if (a == NULL || b == NULL)
        goto out;
    /* the same graph, nodes and edges added in opposite orders */
    for (size_t i = 0; i < T_COUNT(ids); i++) {
        size_t k = T_COUNT(ids) - 1 - i;

        kz_report_add_node(a, &(kz_report_node){ ids[i], ids[i], "host",
                                                 0.2, NULL },
                           NULL);
        kz_report_add_node(b, &(kz_report_node){ ids[k], ids[k], "host",
                                                 0.2, NULL },
                           NULL);
    }
    for (size_t i = 0; i + 1 < T_COUNT(ids); i++) {
        size_t k = T_COUNT(ids) - 2 - i;

        kz_report_add_edge(a, &(kz_report_edge){ ids[i], ids[i + 1], "10",
                                                 1, t_at(1, (int)i, 0),
                                                 t_at(2, 0, 0) },
                           NULL);
        kz_report_add_edge(b, &(kz_report_edge){ ids[k], ids[k + 1], "10",
                                                 1, t_at(1, (int)k, 0),
                                                 t_at(2, 0, 0) },
                           NULL);
    }
    kz_strbuf_init(&sa, 0);
    kz_strbuf_init(&sb, 0);
    kz_strbuf_init(&tmp, 0);
    T_CHECK(kz_rpt_svg_graph(&sa, &tmp, a) == KZ_OK, "svg a");
    /* the nodes are drawn in first-seen order: ws01 first */
    T_CHECK(sa.data != NULL && strstr(sa.data, ">ws01</text>") <
                                   strstr(sa.data, ">10.0.0.5</text>"),
            "first seen first");
    T_CHECK(kz_rpt_svg_graph(&sb, &tmp, b) == KZ_OK, "svg b");
    /* edges differ only in drawing order; the nodes' part is equal */
    T_CHECK(sa.data && sb.data &&
                strcmp(strstr(sa.data, "<g><title>ws01 ["),
                       strstr(sb.data, "<g><title>ws01 [")) == 0,
            "same node layout");
    kz_strbuf_fini(&sa);
    kz_strbuf_fini(&sb);
    kz_strbuf_fini(&tmp);
out:
    kz_report_free(a);
    kz_report_free(b);
}

static void
test_report_write_dir_and_manifest(void)
{
    char dir[] = "/tmp/kz-report-XXXXXX";
    char path[512], input[512];
    static const char *const files[] = { "report.html", "report.md",
                                         "report.json",
                                         "attack-navigator.json",
                                         "manifest.json" };
    kz_report *r = sample(KZ_LANG_JA, false);
    char hex[KZ_SHA256_HEX_LEN + 1];
    kz_error err = { 0 };
    FILE *f;

    T_CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    if (r == NULL)
        goto out;
    snprintf(input, sizeof(input), "%s/in.evtx", dir);
    f = fopen(input, "wb");
    T_CHECK(f != NULL, "input");
    if (f != NULL) {
        fputs("abc", f);
        fclose(f);
    }
    T_CHECK(kz_report_add_input_file(r, input, &err) == KZ_OK, "%s",
            err.msg);
    snprintf(path, sizeof(path), "%s/missing.evtx", dir);
    T_CHECK(kz_report_add_input_file(r, path, &err) == KZ_OK, "%s", err.msg);
    T_CHECK(kz_report_write_dir(r, dir, &err) == KZ_OK, "%s", err.msg);
    for (size_t i = 0; i < T_COUNT(files); i++) {
        struct stat st;

        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        T_CHECK(stat(path, &st) == 0 && st.st_size > 0, "%s", files[i]);
        unlink(path);
    }
    /* the manifest as rendered: size and SHA-256 of "abc" */
    {
        kz_strbuf b;

        if (render(r, kz_report_manifest, &b)) {
            kz_sha256_hex_of("abc", 3, hex);
            T_CHECK(strstr(b.data, hex) != NULL, "sha256 of the input");
            T_CHECK(strstr(b.data, "\"size\": 3") != NULL, "size");
            T_CHECK(strstr(b.data, "kizuki-manifest/1") != NULL, "schema");
            T_CHECK(strstr(b.data, "No such file") != NULL,
                    "unreadable input noted");
            T_CHECK(strstr(b.data, "\"rules_loaded\": 3012") != NULL,
                    "rule count");
            T_CHECK(strstr(b.data, "\"--tz=+09:00\"") != NULL, "flags");
        }
        kz_strbuf_fini(&b);
    }
    unlink(input);
out:
    rmdir(dir);
    kz_report_free(r);
}

static void
test_report_deterministic_bytes(void)
{
    static const render_fn fns[] = { kz_report_html, kz_report_md,
                                     kz_report_json, kz_report_manifest };

    for (size_t f = 0; f < T_COUNT(fns); f++) {
        kz_report *a = sample(KZ_LANG_JA, true), *b = sample(KZ_LANG_JA, true);
        kz_strbuf x, y;

        if (render(a, fns[f], &x) && render(b, fns[f], &y))
            T_CHECK(x.len == y.len && memcmp(x.data, y.data, x.len) == 0,
                    "renderer %zu differs", f);
        kz_strbuf_fini(&x);
        kz_strbuf_fini(&y);
        kz_report_free(a);
        kz_report_free(b);
    }
}

/* `--render DIR LANG KIND` for tests/scenarios/report.sh. */
static int
render_dir(const char *dir, const char *lang, const char *kind)
{
    kz_report_lang l = strcmp(lang, "ja") == 0 ? KZ_LANG_JA : KZ_LANG_EN;
    kz_report *r = NULL;
    kz_error err = { 0 };
    int rc = 0;

    if (strcmp(kind, "empty") == 0) {
        if (kz_report_new(&r, &err) == KZ_OK)
            r->meta.lang = l;
    } else {
        r = sample(l, strcmp(kind, "hostile") == 0);
    }
    if (r == NULL || kz_report_write_dir(r, dir, &err) != KZ_OK) {
        fprintf(stderr, "render: %s\n", err.msg);
        rc = 1;
    }
    kz_report_free(r);
    return rc;
}

/* kz_report_group_rows: incident (0 last), kill-chain tactic (none
 * last), time, order added. */
static void
test_report_group_rows(void)
{
    static const struct {
        uint64_t incident;
        const char *tactic;
        int min;
        const char *name;
    } rows[] = {
        {2, "execution", 1, "a"},    {0, "initial-access", 0, "b"},
        {1, NULL, 2, "c"},           {1, "impact", 3, "d"},
        {1, "initial_access", 9, "e"}, {1, "execution", 5, "f"},
        {1, "execution", 5, "g"},    {2, "bogus", 0, "h"},
        {1, "Initial-Access", 4, "i"},
    };
    static const char want[] = "i e f g d c a h b ";
    kz_report *r = NULL;
    char got[64] = "";
    size_t i;

    T_CHECK(kz_report_new(&r, NULL) == KZ_OK, "new");
    for (i = 0; i < T_COUNT(rows); i++) {
        kz_report_row row = {.time = t_at(16, rows[i].min, 0),
                             .activity = rows[i].name,
                             .record_id = KZ_REPORT_NO_RECORD,
                             .incident = rows[i].incident,
                             .tactic = rows[i].tactic};

        T_CHECK(kz_report_add_row(r, &row, NULL) == KZ_OK, "add");
    }
    kz_report_group_rows(r);
    for (i = 0; i < r->rows.n; i++) {
        size_t n = strlen(got);

        snprintf(got + n, sizeof(got) - n, "%s ",
                 KZ_REPORT_AT(&r->rows, kz_report_row, i)->activity);
    }
    T_EQ_STR(got, want);
    kz_report_free(r);
}

/* The summary paragraph of an incident (narrative.c): the facts in both
 * languages, the undetermined and no-movement forms, lists cut at 5. */
static void
test_report_incident_text(void)
{
    static const char *hosts[] = {"ws01", "dc01", "fs01", "a", "b",
                                        "c", "d"};
    static const char *accts[] = {"corp\\x"};
    kz_report_incident x = {
        .id = 2, .first = t_at(16, 12, 0), .last = t_at(18, 18, 0),
        .level = "critical", .seeds = 68, .hosts = hosts, .n_hosts = 7,
        .accounts = accts, .n_accounts = 1, .techniques = 9, .steps = 2,
        .path = hosts, .n_path = 3, .tools = 4, .first_host = "ws01",
        .reason = "earliest seed alert", .files_read = 27445,
        .files_written = 3, .mailboxes = 7,
    };
    static const char *const want_en[] = {
        "Incident 2 (critical): 68 alerts from 2023-06-04T16:12:00",
        "on 7 host(s) (ws01, dc01, fs01, a, b (+2))",
        "Accounts: corp\\x.", "First host: ws01 (earliest seed alert).",
        "Lateral movement: ws01 -> dc01 -> fs01 (2 step(s)).", "Tools: 4.",
        "Impact: 27445 files read, 3 written, 0 deleted, 7 mailboxes.",
    };
    static const char *const want_ja[] = {
        "インシデント2（critical）", "7 台のホスト", "68 件のアラート",
        "最初の侵入先は特定できず（理由: tie）", "アカウントは特定できず",
        "横展開は見られず", "読み取り 27445 件",
    };
    kz_report *r = NULL;
    kz_strbuf b;
    size_t i;

    T_CHECK(kz_report_new(&r, NULL) == KZ_OK, "new");
    kz_strbuf_init(&b, 0);
    T_CHECK(kz_rpt_incident_text(&b, r, &x) == KZ_OK, "en");
    for (i = 0; i < T_COUNT(want_en); i++)
        T_CHECK(b.data != NULL && strstr(b.data, want_en[i]) != NULL,
                "en lacks \"%s\": %s", want_en[i], b.data ? b.data : "");
    r->meta.lang = KZ_LANG_JA;
    x.first_host = NULL;
    x.reason = "tie";
    x.n_accounts = 0;
    x.steps = 0;
    kz_strbuf_reset(&b);
    T_CHECK(kz_rpt_incident_text(&b, r, &x) == KZ_OK, "ja");
    for (i = 0; i < T_COUNT(want_ja); i++)
        T_CHECK(b.data != NULL && strstr(b.data, want_ja[i]) != NULL,
                "ja lacks \"%s\": %s", want_ja[i], b.data ? b.data : "");
    kz_strbuf_fini(&b);
    kz_report_free(r);
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(test_report_html_escaper_table),
        T_CASE(test_report_script_json_table),
        T_CASE(test_report_csv_formula_guarded),
        T_CASE(test_report_html_hostile_strings),
        T_CASE(test_report_md_hostile_strings),
        T_CASE(test_report_json_hostile_strings),
        T_CASE(test_report_languages_and_order),
        T_CASE(test_report_section_ids_in_order),
        T_CASE(test_report_empty_model),
        T_CASE(test_report_caps),
        T_CASE(test_report_group_rows),
        T_CASE(test_report_incident_text),
        T_CASE(test_report_long_strings_cut),
        T_CASE(test_report_extreme_values),
        T_CASE(test_report_chart_buckets),
        T_CASE(test_report_graph_layout_deterministic),
        T_CASE(test_report_write_dir_and_manifest),
        T_CASE(test_report_deterministic_bytes),
    };

    if (argc == 5 && strcmp(argv[1], "--render") == 0)
        return render_dir(argv[2], argv[3], argv[4]);
    return t_run(cases, T_COUNT(cases), argc, argv);
}
