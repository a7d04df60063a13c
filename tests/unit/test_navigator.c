/*
 * test_navigator.c - attack-navigator.json (the ATT&CK Navigator layer of
 * the alerts' techniques) and the interactive graph of report.html:
 * technique counting from IDs and Sigma tags, the layer's keys, order,
 * scores, comments and escaping, the empty model, the caps; the graph
 * library inlined once with its init script and hashes when the build
 * embeds it and the model asks, the SVG only otherwise.
 *
 * `test_navigator --render DIR MODE` (MODE: interactive or static)
 * writes report.html and attack-navigator.json of a sample model with
 * hostile strings for tests/scenarios/graph.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/model.h"
#include "report/report.h"
#include "t.h"

static size_t
count(const char *hay, const char *needle)
{
    size_t n = 0, k = strlen(needle);

    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += k)
        n++;
    return n;
}

static kz_report *
new_model(void)
{
    kz_report *r = NULL;
    kz_error err = { 0 };

    T_CHECK(kz_report_new(&r, &err) == KZ_OK, "new: %s", err.msg);
    return r;
}

static const kz_report_technique *
find(const kz_report *r, const char *id, const char *tactic)
{
    for (size_t i = 0; i < r->techniques.n; i++) {
        const kz_report_technique *t =
            KZ_REPORT_AT(&r->techniques, kz_report_technique, i);

        if (strcmp(t->id, id) != 0)
            continue;
        if (tactic == NULL ? t->tactic == NULL
                           : t->tactic != NULL &&
                                 strcmp(t->tactic, tactic) == 0)
            return t;
    }
    return NULL;
}

static char *
layer(const kz_report *r)
{
    kz_strbuf b;
    kz_error err = { 0 };
    char *s;

    kz_strbuf_init(&b, 0);
    T_CHECK(kz_report_navigator(r, &b, &err) == KZ_OK, "layer: %s",
            err.msg);
    s = strdup(b.data != NULL ? b.data : "");
    kz_strbuf_fini(&b);
    return s;
}

/* IDs and tactics normalised; what is not ATT&CK ignored. */
static void
test_navigator_count_ids(void)
{
    static const struct {
        const char *id, *tactic;
        const char *want_id, *want_tactic; /* NULL id: ignored */
    } rows[] = {
        { "T1021.001", "lateral-movement", "T1021.001", "lateral-movement" },
        { "t1021.001", "attack.lateral_movement", "T1021.001",
          "lateral-movement" },
        { "attack.t1059.001", "EXECUTION", "T1059.001", "execution" },
        { "ATTACK.T1003", NULL, "T1003", NULL },
        { "T1003", "no-such-tactic", "T1003", NULL },
        { "T10", "execution", NULL, NULL },
        { "T1021.01", NULL, NULL, NULL },
        { "T1021x001", NULL, NULL, NULL },
        { "attack.g0016", NULL, NULL, NULL },
        { "", NULL, NULL, NULL },
        { "S0002", NULL, NULL, NULL },
    };
    kz_report *r = new_model();
    kz_error err = { 0 };
    size_t want_n = 0;

    for (size_t i = 0; i < T_COUNT(rows); i++) {
        size_t before = r->techniques.n;

        T_CHECK(kz_report_count_technique(r, rows[i].id, rows[i].tactic,
                                          "Rule", &err) == KZ_OK,
                "row %zu", i);
        if (rows[i].want_id == NULL) {
            T_EQ_INT(r->techniques.n, before);
            continue;
        }
        T_CHECK(find(r, rows[i].want_id, rows[i].want_tactic) != NULL,
                "row %zu: %s/%s missing", i, rows[i].want_id,
                rows[i].want_tactic ? rows[i].want_tactic : "-");
    }
    /* rows 0 and 1, 3 and 4 are the same (technique, tactic) */
    want_n = 3;
    T_EQ_INT(r->techniques.n, want_n);
    T_EQ_INT(find(r, "T1021.001", "lateral-movement")->alerts, 2);
    T_EQ_INT(find(r, "T1003", NULL)->alerts, 2);
    T_EQ_INT(find(r, "T1021.001", "lateral-movement")->n_rules, 1);
    T_CHECK(kz_report_count_technique(r, NULL, NULL, NULL, &err) == KZ_OK,
            "NULL id");
    kz_report_free(r);
}

/* Sigma tags: each technique once per alert, the tactic when the tags
 * name exactly one. */
static void
test_navigator_count_tags(void)
{
    kz_report *r = new_model();
    kz_error err = { 0 };

    T_CHECK(kz_report_count_tags(r,
                                 "attack.lateral_movement,attack.t1021.002, "
                                 "attack.t1021.002 attack.t1570",
                                 "PsExec service", &err) == KZ_OK,
            "tags 1");
    T_CHECK(kz_report_count_tags(r, "attack.lateral_movement;attack.t1021.002",
                                 "Admin share", &err) == KZ_OK,
            "tags 2");
    /* two tactics: none assigned */
    T_CHECK(kz_report_count_tags(r,
                                 "attack.execution,attack.persistence,"
                                 "attack.t1543.003",
                                 "Service", &err) == KZ_OK,
            "tags 3");
    T_CHECK(kz_report_count_tags(r, NULL, "x", &err) == KZ_OK, "NULL");
    T_CHECK(kz_report_count_tags(r, ",,  ,", "x", &err) == KZ_OK, "empty");
    T_EQ_INT(r->techniques.n, 3);
    {
        const kz_report_technique *t =
            find(r, "T1021.002", "lateral-movement");

        T_CHECK(t != NULL, "T1021.002");
        if (t != NULL) {
            T_EQ_INT(t->alerts, 2);
            T_EQ_INT(t->n_rules, 2);
            T_EQ_STR(t->rules[0], "PsExec service");
            T_EQ_STR(t->rules[1], "Admin share");
        }
    }
    T_CHECK(find(r, "T1570", "lateral-movement") != NULL, "T1570");
    T_CHECK(find(r, "T1543.003", NULL) != NULL, "T1543.003 no tactic");
    kz_report_free(r);
}

/* Titles: distinct ones kept up to the cap, the rest counted; the count
 * saturates. */
static void
test_navigator_title_cap(void)
{
    kz_report *r = new_model();
    kz_error err = { 0 };
    char title[32];
    const kz_report_technique *t;
    char *s;

    for (int i = 0; i < KZ_REPORT_MAX_TECH_RULES + 5; i++) {
        snprintf(title, sizeof(title), "rule %02d", i);
        T_CHECK(kz_report_count_technique(r, "T1078", NULL, title, &err) ==
                    KZ_OK,
                "count %d", i);
        T_CHECK(kz_report_count_technique(r, "T1078", NULL, title, &err) ==
                    KZ_OK,
                "again %d", i);
    }
    t = find(r, "T1078", NULL);
    T_CHECK(t != NULL, "T1078");
    if (t == NULL) {
        kz_report_free(r);
        return;
    }
    T_EQ_INT(t->alerts, 2 * (KZ_REPORT_MAX_TECH_RULES + 5));
    T_EQ_INT(t->n_rules, KZ_REPORT_MAX_TECH_RULES);
    T_EQ_INT(t->rules_omitted, 10);
    s = layer(r);
    T_CHECK(strstr(s, "rule 00; rule 01; ") != NULL, "comment: %s", s);
    T_CHECK(strstr(s, "rule titles of 10 more alerts not listed") != NULL,
            "omitted note");
    T_CHECK(strstr(s, "rule 20") == NULL, "title past the cap");
    free(s);
    ((kz_report_technique *)r->techniques.items)[0].alerts = UINT64_MAX;
    T_CHECK(kz_report_count_technique(r, "T1078", NULL, NULL, &err) == KZ_OK,
            "saturate");
    T_CHECK(find(r, "T1078", NULL)->alerts == UINT64_MAX, "saturated");
    kz_report_free(r);
}

/* The technique list's cap: the rest counted in omitted and in the
 * layer's metadata. */
static void
test_navigator_list_cap(void)
{
    kz_report *r = new_model();
    kz_error err = { 0 };
    char id[16];
    char *s;

    for (int i = 0; i < KZ_REPORT_MAX_TECHNIQUES + 7; i++) {
        snprintf(id, sizeof(id), "T%04d", i);
        T_CHECK(kz_report_count_technique(r, id, NULL, "r", &err) == KZ_OK,
                "%s", id);
    }
    T_EQ_INT(r->techniques.n, KZ_REPORT_MAX_TECHNIQUES);
    T_EQ_INT(r->techniques.omitted, 7);
    s = layer(r);
    T_CHECK(strstr(s, "\"name\": \"techniques_omitted\", \"value\": \"7\"") !=
                NULL,
            "omitted in metadata");
    T_EQ_INT(count(s, "\"techniqueID\""), KZ_REPORT_MAX_TECHNIQUES);
    free(s);
    kz_report_free(r);
}

/* Every key of the layer, in the schema's names; scores and gradient. */
static void
test_navigator_layer_keys(void)
{
    static const char *const keys[] = {
        "\"name\": ", "\"versions\": {\"navigator\": \"4.9.1\", \"layer\": "
                      "\"4.5\"}",
        "\"domain\": \"enterprise-attack\"", "\"description\": ",
        "\"filters\": {\"platforms\": [\"Windows\"]}", "\"sorting\": 3",
        "\"layout\": {\"layout\": \"side\"", "\"hideDisabled\": false",
        "\"techniques\": [", "\"gradient\": {\"colors\": [",
        "\"minValue\": 0, \"maxValue\": 3", "\"legendItems\": []",
        "\"showTacticRowBackground\": false", "\"tacticRowBackground\": ",
        "\"selectTechniquesAcrossTactics\": true",
        "\"selectSubtechniquesWithParent\": false",
        "\"selectVisibleTechniques\": false", "\"metadata\": [",
        "\"links\": []",
        "{\"techniqueID\": \"T1021.001\", \"tactic\": \"lateral-movement\", "
        "\"score\": 3, \"comment\": \"RDP logon; RDP from outside\"",
        "{\"techniqueID\": \"T1003.001\", \"tactic\": \"credential-access\", "
        "\"score\": 1, \"comment\": \"LSASS access\"",
    };
    kz_report *r = new_model();
    kz_error err = { 0 };
    char *s;

    kz_report_count_technique(r, "T1021.001", "lateral-movement",
                              "RDP logon", &err);
    kz_report_count_technique(r, "T1021.001", "lateral-movement",
                              "RDP from outside", &err);
    kz_report_count_technique(r, "T1021.001", "lateral-movement",
                              "RDP logon", &err);
    kz_report_count_technique(r, "T1003.001", "credential-access",
                              "LSASS access", &err);
    s = layer(r);
    for (size_t i = 0; i < T_COUNT(keys); i++)
        T_CHECK(strstr(s, keys[i]) != NULL, "missing %s in\n%s", keys[i], s);
    /* ID order: T1003.001 before T1021.001 */
    T_CHECK(strstr(s, "T1003.001") < strstr(s, "T1021.001"), "order");
    T_CHECK(strstr(s, "://") == NULL, "a URL");
    free(s);
    kz_report_free(r);
}

/* The empty model: a valid layer with no technique. */
static void
test_navigator_empty(void)
{
    kz_report *r = new_model();
    char *s = layer(r);

    T_CHECK(strstr(s, "\"techniques\": [],") != NULL, "empty list: %s", s);
    T_CHECK(strstr(s, "\"maxValue\": 1}") != NULL, "maxValue above min");
    T_CHECK(strstr(s, "\"value\": \"-\"") != NULL, "no generation time");
    free(s);
    kz_report_free(r);
}

/* Hostile titles: JSON-escaped; a Japanese layer. */
static void
test_navigator_escaping(void)
{
    static const struct {
        const char *in, *want;
    } rows[] = {
        { "a\"b\\c", "a\\\"b\\\\c" },
        { "line\nbreak\ttab", "line\\nbreak\\ttab" },
        { "esc\x1b[31m", "esc\\u001b[31m" },
        { "sep\xe2\x80\xa8x", "sep\\u2028x" },
        { "bad\xff utf8", "bad\\ufffd utf8" },
        { "</script><b>", "</script><b>" },
    };
    kz_report *r = new_model();
    kz_error err = { 0 };
    char *s;

    for (size_t i = 0; i < T_COUNT(rows); i++)
        T_CHECK(kz_report_count_technique(r, "T1059", NULL, rows[i].in,
                                          &err) == KZ_OK,
                "row %zu", i);
    s = layer(r);
    for (size_t i = 0; i < T_COUNT(rows); i++)
        T_CHECK(strstr(s, rows[i].want) != NULL, "row %zu: %s not in %s", i,
                rows[i].want, s);
    T_CHECK(strchr(s, '\x1b') == NULL, "raw ESC");
    free(s);
    r->meta.lang = KZ_LANG_JA;
    s = layer(r);
    T_CHECK(strstr(s, "アラートの ATT&CK 手法") != NULL, "ja name");
    free(s);
    kz_report_free(r);
}

/* The same techniques counted in another order give the same bytes. */
static void
test_navigator_deterministic(void)
{
    static const char *const ids[] = { "T1059.001", "T1021.002", "T1003",
                                       "T1570", "T1021.001" };
    kz_report *a = new_model(), *b = new_model();
    kz_error err = { 0 };
    char *x, *y;

    for (size_t i = 0; i < T_COUNT(ids); i++) {
        kz_report_count_technique(a, ids[i], "execution", "r", &err);
        kz_report_count_technique(a, ids[i], NULL, "r", &err);
    }
    for (size_t i = T_COUNT(ids); i-- > 0;) {
        kz_report_count_technique(b, ids[i], NULL, "r", &err);
        kz_report_count_technique(b, ids[i], "execution", "r", &err);
    }
    x = layer(a);
    y = layer(b);
    T_EQ_STR(x, y);
    /* no tactic sorts before a tactic */
    T_CHECK(strstr(x, "{\"techniqueID\": \"T1003\", \"score\"") <
                strstr(x, "{\"techniqueID\": \"T1003\", \"tactic\""),
            "tactic order");
    free(x);
    free(y);
    kz_report_free(a);
    kz_report_free(b);
}

/* ---- the interactive graph ---------------------------------------- */

/* A model with a small logon graph holding hostile labels and ids (6
 * nodes, 5 edges into WS01). */
static kz_report *
graph_model(bool interactive)
{
    static const char *const ids[] = {
        "WS01", "FS01", "corp\\admin", "</script><script>alert(1)</script>",
        "see http://evil.example/x", "__proto__",
    };
    static const char *const kinds[] = { "host", "host", "account",
                                         "address", "host", "constructor" };
    kz_report *r = new_model();
    kz_error err = { 0 };

    for (size_t i = 0; i < T_COUNT(ids); i++) {
        kz_report_node n = { .id = ids[i], .label = ids[i],
                             .kind = kinds[i], .rank = 0.2 * (double)i };

        T_CHECK(kz_report_add_node(r, &n, &err) == KZ_OK, "node");
    }
    for (size_t i = 1; i < T_COUNT(ids); i++) {
        kz_report_edge e = { .source = ids[i], .target = ids[0],
                             .label = "<img src=x onerror=alert(2)>",
                             .count = i, .first = 133000000000000000LL,
                             .last = 133000000000000000LL + 1000 };

        T_CHECK(kz_report_add_edge(r, &e, &err) == KZ_OK, "edge");
    }
    kz_report_count_tags(r, "attack.lateral_movement,attack.t1021.001",
                         "RDP \"logon\" </script>", &err);
    r->meta.interactive_graph = interactive;
    return r;
}

static char *
html(const kz_report *r)
{
    kz_strbuf b;
    kz_error err = { 0 };
    char *s;

    kz_strbuf_init(&b, 0);
    T_CHECK(kz_report_html(r, &b, &err) == KZ_OK, "html: %s", err.msg);
    s = strdup(b.data != NULL ? b.data : "");
    kz_strbuf_fini(&b);
    return s;
}

/* With the library (when the build has it) and the model asking: the
 * library once, the init script, both hashed, the SVG kept; without:
 * the page as before (two script elements, the SVG). */
static void
test_navigator_graph_modes(void)
{
    kz_report *r = graph_model(false);
    char *s = html(r);

    T_EQ_INT(count(s, "<script"), 2);
    T_CHECK(strstr(s, "id=\"kz-cy\"") == NULL, "no interactive view");
    T_CHECK(strstr(s, "<svg") != NULL, "SVG fallback");
    T_EQ_INT(count(s, "'sha256-"), 2);
    free(s);
    kz_report_free(r);

    r = graph_model(true);
    s = html(r);
    T_CHECK(strstr(s, "<svg") != NULL, "SVG kept");
    T_CHECK(strstr(s, "://") == NULL, "a URL");
#ifdef KZ_REPORT_GRAPH_JS
    T_EQ_INT(count(s, "<script"), 4);
    T_EQ_INT(count(s, "</script"), 4);
    T_EQ_INT(count(s, "'sha256-"), 4);
    T_CHECK(strstr(s, "id=\"kz-cy\" hidden") != NULL, "container");
    T_CHECK(strstr(s, "<div id=\"kz-graph-svg\"><svg") != NULL, "svg box");
    {
        /* the library's first 200 bytes (its license header) once */
        char head[201];

        memcpy(head, kz_report_graph_js, sizeof(head) - 1);
        head[sizeof(head) - 1] = '\0';
        T_EQ_INT(count(s, head), 1);
    }
    T_CHECK(strlen(s) > kz_report_graph_js_len, "library inlined");
    T_CHECK(strstr(s, kz_report_graph_js) != NULL, "library bytes");
    T_CHECK(strstr(kz_report_graph_js, "://") == NULL, "URL in library");
    T_EQ_INT(strlen(kz_report_graph_js), kz_report_graph_js_len);
#else
    T_EQ_INT(count(s, "<script"), 2);
    T_CHECK(strstr(s, "id=\"kz-cy\"") == NULL, "no library in this build");
#endif
    free(s);
    /* no node: nothing to draw, no library */
    kz_report_free(r);
    r = new_model();
    r->meta.interactive_graph = true;
    s = html(r);
    T_EQ_INT(count(s, "<script"), 2);
    free(s);
    kz_report_free(r);
}

/* `--render DIR MODE` for tests/scenarios/graph.sh. */
static int
render_dir(const char *dir, const char *mode)
{
    kz_report *r = graph_model(strcmp(mode, "interactive") == 0);
    kz_strbuf b;
    kz_error err = { 0 };
    char path[4096];
    int rc = 0;

    static const struct {
        const char *name;
        kz_status (*fn)(const kz_report *, kz_strbuf *, kz_error *);
    } files[] = { { "report.html", kz_report_html },
                  { KZ_REPORT_NAVIGATOR_FILE, kz_report_navigator } };

    for (size_t i = 0; i < T_COUNT(files) && rc == 0; i++) {
        FILE *f;

        kz_strbuf_init(&b, 0);
        snprintf(path, sizeof(path), "%s/%s", dir, files[i].name);
        if (files[i].fn(r, &b, &err) != KZ_OK ||
            (f = fopen(path, "wb")) == NULL) {
            fprintf(stderr, "render %s: %s\n", path, err.msg);
            rc = 1;
        } else {
            if (fwrite(b.data, 1, b.len, f) != b.len)
                rc = 1;
            if (fclose(f) != 0)
                rc = 1;
        }
        kz_strbuf_fini(&b);
    }
    printf("%s\n", KZ_REPORT_HAS_GRAPH_JS ? "embedded" : "absent");
    kz_report_free(r);
    return rc;
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(test_navigator_count_ids),
        T_CASE(test_navigator_count_tags),
        T_CASE(test_navigator_title_cap),
        T_CASE(test_navigator_list_cap),
        T_CASE(test_navigator_layer_keys),
        T_CASE(test_navigator_empty),
        T_CASE(test_navigator_escaping),
        T_CASE(test_navigator_deterministic),
        T_CASE(test_navigator_graph_modes),
    };

    if (argc == 4 && strcmp(argv[1], "--render") == 0)
        return render_dir(argv[2], argv[3]);
    return t_run(cases, T_COUNT(cases), argc, argv);
}
