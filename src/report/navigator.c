/*
 * navigator.c - attack-navigator.json: the ATT&CK techniques of the
 * alerts as an ATT&CK Navigator layer (layer format 4.5, domain
 * enterprise-attack), and the counting of alerts into the model's
 * technique list (docs/report.md, attack-navigator.json).
 *
 * The layer has one technique object per (technique, tactic) of
 * r->techniques, sorted by technique ID then tactic (none first), with
 * score = the number of alerts, comment = the titles of the rules behind
 * them (at most KZ_REPORT_MAX_TECH_RULES, then how many alerts were not
 * listed), and a gradient from white (0) to dark red (the highest score).
 * Every string goes through kz_json_string; the layer has no link and no
 * URL. The same model gives the same bytes.
 */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"
#include "write/escape.h"

/* The versions written into the layer ("navigator" must be at least
 * 4.9.0 for layer format 4.5; "attack" is left out: the Navigator then
 * uses its current ATT&CK release). */
#define NAV_LAYER_VERSION "4.5"
#define NAV_NAVIGATOR_VERSION "4.9.1"

/* The longest tag or tactic name looked at (longer ones are not ATT&CK). */
#define TAG_MAX 64

/* ATT&CK Enterprise's tactics by their Navigator short names. */
static const char *const tactics[] = {
    "reconnaissance",       "resource-development", "initial-access",
    "execution",            "persistence",          "privilege-escalation",
    "defense-evasion",      "credential-access",    "discovery",
    "lateral-movement",     "collection",           "command-and-control",
    "exfiltration",         "impact",
};

#define N_TACTICS (sizeof(tactics) / sizeof(tactics[0]))

/* ---- names ---------------------------------------------------------- */

/* s[0..n) past a leading "attack." (any case), as Sigma tags have it. */
static const char *
skip_attack_prefix(const char *s, size_t *n)
{
    static const char pre[] = "attack.";
    size_t i;

    if (*n < 7)
        return s;
    for (i = 0; i < 7; i++)
        if ((s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]) !=
            pre[i])
            return s;
    {
        *n -= 7;
        return s + 7;
    }
    return s;
}

/* The tactic s[0..n) ("lateral-movement", "attack.lateral_movement",
 * any case) as one of tactics[], or NULL. */
static const char *
norm_tactic(const char *s, size_t n)
{
    char buf[TAG_MAX];

    if (s == NULL)
        return NULL;
    s = skip_attack_prefix(s, &n);
    if (n == 0 || n >= sizeof(buf))
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        else if (c == '_')
            c = '-';
        buf[i] = c;
    }
    buf[n] = '\0';
    for (size_t i = 0; i < N_TACTICS; i++)
        if (strcmp(buf, tactics[i]) == 0)
            return tactics[i];
    return NULL;
}

static bool
is_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Writes the technique ID of s[0..n) ("T1021", "t1021.001",
 * "attack.t1021.001") into out as "T1021" / "T1021.001"; false if s is
 * not one. */
static bool
norm_technique(const char *s, size_t n, char out[16])
{
    s = skip_attack_prefix(s, &n);
    if ((n != 5 && n != 9) || (s[0] != 'T' && s[0] != 't') ||
        !is_digits(s + 1, 4))
        return false;
    if (n == 9 && (s[5] != '.' || !is_digits(s + 6, 3)))
        return false;
    out[0] = 'T';
    memcpy(out + 1, s + 1, n - 1);
    out[n] = '\0';
    return true;
}

/* The length the model keeps of s (model.c's rule: at most
 * KZ_REPORT_STR_MAX bytes, not splitting a UTF-8 sequence). */
static size_t
kept_len(const char *s)
{
    size_t n = strnlen(s, KZ_REPORT_STR_MAX + 1);

    if (n <= KZ_REPORT_STR_MAX)
        return n;
    n = KZ_REPORT_STR_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* ---- counting ------------------------------------------------------- */

static bool
same_tactic(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

/* Adds the title rule to t's titles once (a new arena array of one more
 * pointer: at most KZ_REPORT_MAX_TECH_RULES copies per technique). */
static kz_status
add_title(kz_report *r, kz_report_technique *t, const char *rule,
          kz_error *err)
{
    size_t n = kept_len(rule);
    const char **a;
    kz_status st;

    for (size_t i = 0; i < t->n_rules; i++)
        if (strlen(t->rules[i]) == n && memcmp(t->rules[i], rule, n) == 0)
            return KZ_OK;
    if (t->n_rules >= KZ_REPORT_MAX_TECH_RULES) {
        if (t->rules_omitted < UINT64_MAX)
            t->rules_omitted++;
        return KZ_OK;
    }
    a = kz_arena_alloc(&r->mem, (t->n_rules + 1) * sizeof(*a));
    if (a == NULL)
        return kz_error_set(err, KZ_ENOMEM, "report: technique titles");
    if (t->n_rules != 0)
        memcpy(a, t->rules, t->n_rules * sizeof(*a));
    if ((st = kz_report_strdup(r, rule, &a[t->n_rules], err)) != KZ_OK)
        return st;
    t->rules = a;
    t->n_rules++;
    return KZ_OK;
}

kz_status
kz_report_count_technique(kz_report *r, const char *id, const char *tactic,
                          const char *rule, kz_error *err)
{
    char tid[16];
    const char *ta;
    kz_report_technique *items = r->techniques.items, *t = NULL;

    if (id == NULL || !norm_technique(id, strnlen(id, TAG_MAX), tid))
        return KZ_OK;
    ta = tactic == NULL ? NULL : norm_tactic(tactic, strnlen(tactic, TAG_MAX));
    for (size_t i = 0; i < r->techniques.n; i++)
        if (strcmp(items[i].id, tid) == 0 && same_tactic(items[i].tactic, ta)) {
            t = &items[i];
            break;
        }
    if (t == NULL) {
        kz_report_technique nt = { .id = tid, .tactic = ta };
        size_t before = r->techniques.n;
        kz_status st = kz_report_add_technique(r, &nt, err);

        if (st != KZ_OK || r->techniques.n == before)
            return st; /* error, or counted in techniques.omitted */
        t = &((kz_report_technique *)r->techniques.items)[before];
    }
    if (t->alerts < UINT64_MAX)
        t->alerts++;
    if (rule == NULL || rule[0] == '\0')
        return KZ_OK;
    return add_title(r, t, rule, err);
}

static bool
is_sep(char c)
{
    return c == ',' || c == ' ' || c == '\t' || c == ';' || c == '\n';
}

kz_status
kz_report_count_tags(kz_report *r, const char *tags, const char *rule,
                     kz_error *err)
{
    const char *tactic = NULL, *p;
    size_t n_tactics = 0;
    kz_status st;

    if (tags == NULL)
        return KZ_OK;
    /* first pass: the tactics named */
    for (p = tags; *p != '\0';) {
        size_t n = 0;
        const char *ta;

        while (is_sep(*p))
            p++;
        while (p[n] != '\0' && !is_sep(p[n]))
            n++;
        if (n != 0 && (ta = norm_tactic(p, n)) != NULL &&
            !same_tactic(ta, tactic)) {
            tactic = ta;
            n_tactics++;
        }
        p += n;
    }
    if (n_tactics != 1)
        tactic = NULL;
    /* second pass: each technique once */
    for (p = tags; *p != '\0';) {
        size_t n = 0;
        char tid[16];

        while (is_sep(*p))
            p++;
        while (p[n] != '\0' && !is_sep(p[n]))
            n++;
        if (n != 0 && norm_technique(p, n, tid)) {
            bool seen = false;

            /* a tag repeated in one rule counts once */
            for (const char *q = tags; q < p && !seen;) {
                size_t m = 0;
                char qid[16];

                while (is_sep(*q))
                    q++;
                while (q[m] != '\0' && !is_sep(q[m]))
                    m++;
                if (q < p && m != 0 && norm_technique(q, m, qid) &&
                    strcmp(qid, tid) == 0)
                    seen = true;
                q += m;
            }
            if (!seen &&
                (st = kz_report_count_technique(r, tid, tactic, rule, err)) !=
                    KZ_OK)
                return st;
        }
        p += n;
    }
    return KZ_OK;
}

/* ---- the layer ------------------------------------------------------ */

typedef struct nav_w {
    kz_strbuf *b;
    kz_status st;
} nav_w;

static void
raw(nav_w *w, const char *s)
{
    if (w->st == KZ_OK)
        w->st = kz_strbuf_adds(w->b, s);
}

static void
str(nav_w *w, const char *s)
{
    if (w->st == KZ_OK)
        w->st = kz_json_string(w->b, s, strlen(s));
}

static void
u64(nav_w *w, uint64_t v)
{
    if (w->st == KZ_OK)
        w->st = kz_strbuf_add_u64(w->b, v);
}

/* Order: technique ID, then tactic (none first), then the list index,
 * so the same model always gives the same order. */
static int
cmp_tech(const void *pa, const void *pb)
{
    const kz_report_technique *a = *(const kz_report_technique *const *)pa;
    const kz_report_technique *b = *(const kz_report_technique *const *)pb;
    int c = strcmp(a->id != NULL ? a->id : "", b->id != NULL ? b->id : "");

    if (c != 0)
        return c;
    if (a->tactic == NULL || b->tactic == NULL) {
        if (a->tactic != b->tactic)
            return a->tactic == NULL ? -1 : 1;
    } else if ((c = strcmp(a->tactic, b->tactic)) != 0) {
        return c;
    }
    return a < b ? -1 : a > b;
}

/* The comment: the titles joined by "; ", then how many alerts had a
 * title that was not kept. */
static kz_status
comment(kz_strbuf *tmp, const kz_report *r, const kz_report_technique *t)
{
    kz_status st = KZ_OK;

    kz_strbuf_reset(tmp);
    for (size_t i = 0; i < t->n_rules && st == KZ_OK; i++) {
        if (i != 0)
            st = kz_strbuf_adds(tmp, "; ");
        if (st == KZ_OK)
            st = kz_strbuf_adds(tmp, t->rules[i]);
    }
    if (st == KZ_OK && t->rules_omitted != 0) {
        st = kz_strbuf_adds(tmp, t->n_rules != 0 ? "; " : "");
        if (st == KZ_OK)
            st = kz_strbuf_addf(tmp,
                                r->meta.lang == KZ_LANG_JA
                                    ? "他 %llu 件のアラートのルール名は省略"
                                    : "rule titles of %llu more alerts "
                                      "not listed",
                                (unsigned long long)t->rules_omitted);
    }
    return st;
}

static void
technique(nav_w *w, kz_strbuf *tmp, const kz_report *r,
          const kz_report_technique *t)
{
    raw(w, "    {\"techniqueID\": ");
    str(w, t->id != NULL ? t->id : "");
    if (t->tactic != NULL) {
        raw(w, ", \"tactic\": ");
        str(w, t->tactic);
    }
    raw(w, ", \"score\": ");
    u64(w, t->alerts);
    raw(w, ", \"comment\": ");
    if (w->st == KZ_OK)
        w->st = comment(tmp, r, t);
    if (w->st == KZ_OK)
        w->st = kz_json_string(w->b, tmp->data != NULL ? tmp->data : "",
                               tmp->len);
    raw(w, ", \"enabled\": true, \"metadata\": [{\"name\": \"alerts\", "
           "\"value\": \"");
    u64(w, t->alerts);
    raw(w, "\"}], \"links\": [], \"showSubtechniques\": false}");
}

kz_status
kz_report_navigator(const kz_report *r, kz_strbuf *out, kz_error *err)
{
    nav_w w = { .b = out, .st = KZ_OK };
    const kz_report_technique **order = NULL;
    size_t n = r->techniques.n;
    uint64_t max = 0;
    kz_strbuf tmp;
    bool ja = r->meta.lang == KZ_LANG_JA;

    if (n != 0) {
        order = malloc(n * sizeof(*order));
        if (order == NULL)
            return kz_error_set(err, KZ_ENOMEM, "attack-navigator.json");
    }
    for (size_t i = 0; i < n; i++) {
        order[i] = KZ_REPORT_AT(&r->techniques, kz_report_technique, i);
        if (order[i]->alerts > max)
            max = order[i]->alerts;
    }
    if (n > 1)
        qsort(order, n, sizeof(*order), cmp_tech);
    kz_strbuf_init(&tmp, 0);

    raw(&w, "{\n  \"name\": ");
    str(&w, ja ? "kizuki: アラートの ATT&CK 手法"
               : "kizuki: ATT&CK techniques of the alerts");
    raw(&w, ",\n  \"versions\": {\"navigator\": \"" NAV_NAVIGATOR_VERSION
            "\", \"layer\": \"" NAV_LAYER_VERSION "\"},\n"
            "  \"domain\": \"enterprise-attack\",\n  \"description\": ");
    if (w.st == KZ_OK)
        w.st = kz_strbuf_addf(
            &tmp,
            ja ? "手法 %zu 件（スコア＝その手法のタグを持つアラート数）。"
                 "kizuki %s が作成。"
               : "Techniques: %zu (score = alerts tagged with the "
                 "technique). Made by kizuki %s.",
            n, r->meta.tool_version != NULL ? r->meta.tool_version : "-");
    if (w.st == KZ_OK)
        w.st = kz_json_string(w.b, tmp.data, tmp.len);
    raw(&w, ",\n  \"filters\": {\"platforms\": [\"Windows\"]},\n"
            "  \"sorting\": 3,\n"
            "  \"layout\": {\"layout\": \"side\", \"showID\": true, "
            "\"showName\": true, \"showAggregateScores\": false, "
            "\"countUnscored\": false, \"aggregateFunction\": \"max\", "
            "\"expandedSubtechniques\": \"annotated\"},\n"
            "  \"hideDisabled\": false,\n  \"techniques\": [");
    for (size_t i = 0; i < n; i++) {
        raw(&w, i == 0 ? "\n" : ",\n");
        technique(&w, &tmp, r, order[i]);
    }
    raw(&w, n != 0 ? "\n  ],\n" : "],\n");
    /* maxValue must be above minValue: 1 for an empty layer */
    raw(&w, "  \"gradient\": {\"colors\": [\"#ffffff\", \"#fc9272\", "
            "\"#a50f15\"], \"minValue\": 0, \"maxValue\": ");
    u64(&w, max != 0 ? max : 1);
    raw(&w, "},\n  \"legendItems\": [],\n"
            "  \"showTacticRowBackground\": false,\n"
            "  \"tacticRowBackground\": \"#dddddd\",\n"
            "  \"selectTechniquesAcrossTactics\": true,\n"
            "  \"selectSubtechniquesWithParent\": false,\n"
            "  \"selectVisibleTechniques\": false,\n"
            "  \"metadata\": [{\"name\": \"generator\", \"value\": ");
    if (w.st == KZ_OK) {
        kz_strbuf_reset(&tmp);
        w.st = kz_strbuf_addf(&tmp, "kizuki %s",
                              r->meta.tool_version != NULL
                                  ? r->meta.tool_version
                                  : "-");
    }
    if (w.st == KZ_OK)
        w.st = kz_json_string(w.b, tmp.data, tmp.len);
    raw(&w, "}, {\"name\": \"generated_at\", \"value\": ");
    if (w.st == KZ_OK) {
        kz_strbuf_reset(&tmp);
        w.st = kz_rpt_time(&tmp, r, r->meta.generated_at);
    }
    if (w.st == KZ_OK)
        w.st = kz_json_string(w.b, tmp.data != NULL ? tmp.data : "",
                              tmp.len);
    raw(&w, "}, {\"name\": \"techniques_omitted\", \"value\": \"");
    u64(&w, r->techniques.omitted);
    raw(&w, "\"}],\n  \"links\": []\n}\n");
    kz_strbuf_fini(&tmp);
    free(order);
    if (w.st != KZ_OK)
        return kz_error_set(err, w.st, "attack-navigator.json: %s",
                            kz_status_str(w.st));
    return KZ_OK;
}
