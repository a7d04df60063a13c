/*
 * hunt_summary.c - tallies of a hunt and its end-of-run summary on
 * stderr: what was read (kz_cli_summary), what the rules were, what was
 * detected (by level, the top rules and hosts, first and last time), the
 * correlation bounds reached, and
 * what yielded nothing and why.
 */
#include "cli/hunt_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "cli/summary.h"

#define TOP 5

kz_status
kz_hunt_tally_init(kz_hunt_tally *t, size_t nrules)
{
    memset(t, 0, sizeof(*t));
    t->first = t->last = KZ_TIME_NONE;
    kz_arena_init(&t->arena, 64 * 1024, 0);
    t->nrules = nrules;
    if (nrules > 0 && (t->by_rule = calloc(nrules, sizeof(*t->by_rule))) ==
                          NULL)
        return KZ_ENOMEM;
    t->hosts_cap = 64;
    if ((t->hosts = calloc(t->hosts_cap, sizeof(*t->hosts))) == NULL)
        return KZ_ENOMEM;
    return KZ_OK;
}

void
kz_hunt_tally_fini(kz_hunt_tally *t)
{
    if (t == NULL)
        return;
    free(t->by_rule);
    free(t->hosts);
    kz_arena_fini(&t->arena);
    memset(t, 0, sizeof(*t));
}

/* Doubles the host table; false on OOM (the host is then "other"). */
static bool
hosts_grow(kz_hunt_tally *t)
{
    size_t cap = t->hosts_cap * 2, i, j;
    kz_hunt_host *h = calloc(cap, sizeof(*h));

    if (h == NULL)
        return false;
    for (i = 0; i < t->hosts_cap; i++) {
        if (t->hosts[i].name == NULL)
            continue;
        j = kz_hash_fold(t->hosts[i].name, t->hosts[i].len) & (cap - 1);
        while (h[j].name != NULL)
            j = (j + 1) & (cap - 1);
        h[j] = t->hosts[i];
    }
    free(t->hosts);
    t->hosts = h;
    t->hosts_cap = cap;
    t->last_host = 0;
    return true;
}

static bool
same_host(const kz_hunt_host *h, kz_str s)
{
    size_t i;

    if (h->len != s.len)
        return false;
    for (i = 0; i < s.len; i++)
        if (kz_ascii_lower((unsigned char)h->name[i]) !=
            kz_ascii_lower((unsigned char)s.p[i]))
            return false;
    return true;
}

static void
count_host(kz_hunt_tally *t, kz_str s)
{
    size_t j;

    if (t->hosts == NULL) {
        t->other_hosts++;
        return;
    }
    if (t->last_host != 0 && same_host(&t->hosts[t->last_host - 1], s)) {
        t->hosts[t->last_host - 1].count++;
        return;
    }
    j = kz_hash_fold(s.p, s.len) & (t->hosts_cap - 1);
    while (t->hosts[j].name != NULL) {
        if (same_host(&t->hosts[j], s)) {
            t->hosts[j].count++;
            t->last_host = j + 1;
            return;
        }
        j = (j + 1) & (t->hosts_cap - 1);
    }
    if (t->nhosts >= KZ_HUNT_MAX_HOSTS) {
        t->other_hosts++;
        return;
    }
    if ((t->hosts[j].name = kz_arena_strndup(&t->arena, s.p, s.len)) ==
        NULL) {
        t->other_hosts++;
        return;
    }
    t->hosts[j].len = s.len;
    t->hosts[j].count = 1;
    t->last_host = j + 1;
    t->nhosts++;
    if (2 * t->nhosts > t->hosts_cap)
        hosts_grow(t);
}

void
kz_hunt_tally_add(kz_hunt_tally *t, const kz_det *d)
{
    t->total++;
    if (d->level < 6)
        t->by_level[d->level]++;
    if (d->rule < t->nrules)
        t->by_rule[d->rule]++;
    count_host(t, d->computer);
    if (d->time != KZ_TIME_NONE) {
        if (t->first == KZ_TIME_NONE || d->time < t->first)
            t->first = d->time;
        if (t->last == KZ_TIME_NONE || d->time > t->last)
            t->last = d->time;
    }
}

void
kz_hunt_tally_empty(kz_hunt_tally *t, const char *path, const char *why)
{
    if (t->nempty < KZ_HUNT_MAX_EMPTY) {
        t->empty[t->nempty] =
            kz_arena_strndup(&t->arena, path ? path : "-",
                             strlen(path ? path : "-"));
        t->empty_why[t->nempty] =
            why != NULL ? kz_arena_strndup(&t->arena, why, strlen(why))
                        : NULL;
    }
    t->nempty++;
}

static void
print_levels(FILE *f, const kz_hunt_tally *t, const kz_hunt_report *r)
{
    char a[32], b[32];
    bool any = false;
    int l;

    fprintf(f, "kizuki: %s detection%s",
            kz_cli_fmt_count(t->total, a, sizeof(a)),
            t->total == 1 ? "" : "s");
    for (l = 5; l >= 0; l--) {
        if (t->by_level[l] == 0)
            continue;
        fprintf(f, "%s%s %s", any ? ", " : " (",
                l == 0 ? "no level" : kz_level_name((kz_level)l),
                kz_cli_fmt_count(t->by_level[l], a, sizeof(a)));
        any = true;
    }
    fputs(any ? ")" : "", f);
    if (t->suppressed > 0)
        fprintf(f, "; %s suppressed (rules a correlation hides with "
                "generate: false)",
                kz_cli_fmt_count(t->suppressed, b, sizeof(b)));
    if (r->min_level > KZ_LEVEL_INFORMATIONAL)
        fprintf(f, "; %s written at or above %s (--min-level)",
                kz_cli_fmt_count(r->written, b, sizeof(b)),
                kz_level_name((kz_level)r->min_level));
    fputc('\n', f);
}

static void
print_top_rules(FILE *f, const kz_hunt_tally *t, const kz_hunt_report *r)
{
    size_t shown[TOP], n = 0, i, k, best;
    char a[32], esc[160];
    const kz_sigma_rule *rule;

    for (k = 0; k < TOP; k++) {
        best = SIZE_MAX;
        for (i = 0; i < t->nrules; i++) {
            bool taken = false;

            for (size_t j = 0; j < n; j++)
                taken = taken || shown[j] == i;
            if (taken || t->by_rule[i] == 0)
                continue;
            if (best == SIZE_MAX || t->by_rule[i] > t->by_rule[best])
                best = i;
        }
        if (best == SIZE_MAX)
            break;
        shown[n++] = best;
    }
    for (i = 0; i < n; i++) {
        rule = r->rules != NULL ? r->rules[shown[i]] : NULL;
        fprintf(f, "%s%s %s", i == 0 ? "kizuki: top rules: " : "; ",
                kz_cli_fmt_count(t->by_rule[shown[i]], a, sizeof(a)),
                kz_cli_escape(rule && rule->title ? rule->title : "?", esc,
                              sizeof(esc)));
    }
    if (n > 0)
        fputc('\n', f);
}

static void
print_top_hosts(FILE *f, const kz_hunt_tally *t)
{
    size_t shown[TOP], n = 0, i, k, best;
    char a[32], esc[160], name[128];

    for (k = 0; k < TOP; k++) {
        best = SIZE_MAX;
        for (i = 0; i < t->hosts_cap; i++) {
            bool taken = false;

            if (t->hosts[i].name == NULL)
                continue;
            for (size_t j = 0; j < n; j++)
                taken = taken || shown[j] == i;
            if (taken)
                continue;
            /* Ties go to the smaller name, for a stable summary. */
            if (best == SIZE_MAX || t->hosts[i].count > t->hosts[best].count ||
                (t->hosts[i].count == t->hosts[best].count &&
                 strcmp(t->hosts[i].name, t->hosts[best].name) < 0))
                best = i;
        }
        if (best == SIZE_MAX)
            break;
        shown[n++] = best;
    }
    for (i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "%s",
                 t->hosts[shown[i]].len ? t->hosts[shown[i]].name : "(none)");
        fprintf(f, "%s%s (%s)", i == 0 ? "kizuki: top hosts: " : ", ",
                kz_cli_escape(name, esc, sizeof(esc)),
                kz_cli_fmt_count(t->hosts[shown[i]].count, a, sizeof(a)));
    }
    if (t->other_hosts > 0)
        fprintf(f, "; %s more on hosts past %d",
                kz_cli_fmt_count(t->other_hosts, a, sizeof(a)),
                KZ_HUNT_MAX_HOSTS);
    if (n > 0)
        fputc('\n', f);
}

/* The correlation engine's bounds, when one was reached: one line. */
static void
print_corr_bounds(FILE *f, const kz_corr_stats *c)
{
    char a[32];
    const char *sep = "";

    if (c != NULL && c->repeats_suppressed > 0)
        fprintf(f, "kizuki: correlations: %s match%s within a timespan "
                "of their group's last alert raised no alert "
                "(--correlation-repeat suppress)\n",
                kz_cli_fmt_count(c->repeats_suppressed, a, sizeof(a)),
                c->repeats_suppressed == 1 ? "" : "es");
    if (c == NULL || (c->dropped_groups == 0 && c->dropped_entries == 0 &&
                      c->cut_values == 0 && c->skipped_values == 0))
        return;
    fprintf(f, "kizuki: correlations: %s alert%s; bounds reached:",
            kz_cli_fmt_count(c->alerts, a, sizeof(a)),
            c->alerts == 1 ? "" : "s");
    if (c->dropped_groups > 0) {
        fprintf(f, " %s match%s dropped (groups per correlation)",
                kz_cli_fmt_count(c->dropped_groups, a, sizeof(a)),
                c->dropped_groups == 1 ? "" : "es");
        sep = ",";
    }
    if (c->dropped_entries > 0) {
        fprintf(f, "%s %s entr%s dropped (window entries)", sep,
                kz_cli_fmt_count(c->dropped_entries, a, sizeof(a)),
                c->dropped_entries == 1 ? "y" : "ies");
        sep = ",";
    }
    if (c->cut_values > 0) {
        fprintf(f, "%s %s group-by value%s cut at %d bytes", sep,
                kz_cli_fmt_count(c->cut_values, a, sizeof(a)),
                c->cut_values == 1 ? "" : "s", KZ_CORR_VALUE_MAX);
        sep = ",";
    }
    if (c->skipped_values > 0)
        fprintf(f, "%s %s value_* match%s skipped (no usable field)", sep,
                kz_cli_fmt_count(c->skipped_values, a, sizeof(a)),
                c->skipped_values == 1 ? "" : "es");
    fputc('\n', f);
}

/* Analytics: findings by analytic, table bounds hit, what was not
 * evaluated. */
static void
print_analytics(FILE *f, const kz_hunt_report *r)
{
    const kz_a_stats *s = r->analytics;
    char a[32], b[32];
    const char *sep = ":";
    size_t i;

    if (r->analytics_off) {
        fputs("kizuki: analytics: off (--no-analytics)\n", f);
        return;
    }
    if (s == NULL)
        return;
    fprintf(f, "kizuki: analytics: %s fact%s read",
            kz_cli_fmt_count(r->facts, a, sizeof(a)),
            r->facts == 1 ? "" : "s");
    /* By catalog entry (the integrity tap's findings too). */
    for (i = 0; r->findings != NULL && i < kz_analytic_count() && i < 32;
         i++) {
        if (r->findings[i] == 0)
            continue;
        fprintf(f, "%s %s %s", sep, kz_analytic_at(i)->id,
                kz_cli_fmt_count(r->findings[i], b, sizeof(b)));
        sep = ",";
    }
    if (sep[0] == ':')
        fputs("; no findings", f);
    fputc('\n', f);
    if (s->dropped_keys > 0 || s->dropped_items > 0 ||
        s->bulk_files_dropped > 0) {
        char c[32];

        /* Three buffers: each count is formatted before the call. */
        fprintf(f, "kizuki: analytics bounds hit: %s key%s not tracked "
                   "(tables.max_keys or tables.max_bytes), %s value%s not "
                   "tracked (a key's set was full, or tables.max_bytes), %s "
                   "bulk-read file%s counted but not listed "
                   "(bulk_read.keep_files or tables.max_bytes)\n",
                kz_cli_fmt_count(s->dropped_keys, a, sizeof(a)),
                s->dropped_keys == 1 ? "" : "s",
                kz_cli_fmt_count(s->dropped_items, b, sizeof(b)),
                s->dropped_items == 1 ? "" : "s",
                kz_cli_fmt_count(s->bulk_files_dropped, c, sizeof(c)),
                s->bulk_files_dropped == 1 ? "" : "s");
    }
    if (s->bytes_refused > 0)
        fprintf(f, "kizuki: analytics memory bound reached: %llu bytes "
                   "(three quarters of tables.max_bytes), peak %llu; %llu "
                   "time%s a key, value, file or read was refused past "
                   "it\n",
                (unsigned long long)s->bytes_max,
                (unsigned long long)s->bytes_peak,
                (unsigned long long)s->bytes_refused,
                s->bytes_refused == 1 ? "" : "s");
    if (s->ne_bulk_baseline)
        fputs("kizuki: not evaluated: kz_a_bulk_file_read's p99 baseline "
              "(needs bulk_read.baseline_days of history); the fixed "
              "threshold was used\n",
              f);
    if (s->ne_rdp_history)
        fputs("kizuki: not evaluated: kz_a_rdp_external_privilege's "
              "\"first privilege ever of the account\" (needs history)\n",
              f);
    if (s->out_of_order > 0 || s->untimed > 0)
        fprintf(f, "kizuki: analytics: %s fact%s without a time skipped, "
                   "%s out of order\n",
                kz_cli_fmt_count(s->untimed, a, sizeof(a)),
                s->untimed == 1 ? "" : "s",
                kz_cli_fmt_count(s->out_of_order, b, sizeof(b)));
}

void
kz_hunt_summary(FILE *f, const kz_hunt_tally *t, const kz_hunt_report *r)
{
    kz_strbuf b1, b2;
    char a[32], esc[512];
    size_t i, skipped;
    int v;

    kz_cli_summary(f, r->read, r->elapsed, r->input_tz_min);
    if (r->set != NULL) {
        skipped = r->set->nreports - r->set->counts[KZ_SGV_LOADED] +
                  r->compile_skipped;
        fprintf(f, "kizuki: rules: %zu loaded from %zu source%s, %zu "
                   "file%s",
                r->set->counts[KZ_SGV_LOADED] - r->compile_skipped,
                r->sources,
                r->sources == 1 ? "" : "s", r->set->files,
                r->set->files == 1 ? "" : "s");
        if (skipped > 0) {
            fprintf(f, "; %zu skipped (", skipped);
            for (v = 1, i = 0; v < KZ_SGV_COUNT; v++) {
                size_t k = r->set->counts[v] +
                           (v == KZ_SGV_INVALID ? r->compile_skipped : 0);

                if (k > 0)
                    fprintf(f, "%s%s %zu", i++ ? ", " : "",
                            kz_sg_verdict_name((kz_sg_verdict)v), k);
            }
            fputc(')', f);
            if (r->skip_report != NULL)
                fprintf(f, ", listed in %s",
                        kz_cli_escape(r->skip_report, esc, sizeof(esc)));
        }
        fputc('\n', f);
    }
    print_levels(f, t, r);
    if (t->first != KZ_TIME_NONE) {
        kz_strbuf_init(&b1, 0);
        kz_strbuf_init(&b2, 0);
        if (kz_tz_format(&b1, r->tz, t->first) == KZ_OK &&
            kz_tz_format(&b2, r->tz, t->last) == KZ_OK)
            fprintf(f, "kizuki: first detection %s, last %s\n", b1.data,
                    b2.data);
        kz_strbuf_fini(&b1);
        kz_strbuf_fini(&b2);
    }
    print_top_rules(f, t, r);
    print_top_hosts(f, t);
    print_corr_bounds(f, r->corr);
    print_analytics(f, r);
    if (t->match_problems[0] > 0)
        fprintf(f, "kizuki: %s regex evaluation%s hit the PCRE2 limits "
                   "(counted as not matching; each was reported)\n",
                kz_cli_fmt_count(t->match_problems[0], a, sizeof(a)),
                t->match_problems[0] == 1 ? "" : "s");
    if (t->match_problems[1] > 0)
        fprintf(f, "kizuki: %s value%s longer than the scan bound were "
                   "matched on their beginning only\n",
                kz_cli_fmt_count(t->match_problems[1], a, sizeof(a)),
                t->match_problems[1] == 1 ? "" : "s");
    if (t->nempty > 0) {
        fprintf(f, "kizuki: %zu input%s yielded no events:\n", t->nempty,
                t->nempty == 1 ? "" : "s");
        for (i = 0; i < t->nempty && i < KZ_HUNT_MAX_EMPTY; i++) {
            fprintf(f, "kizuki:   %s: ",
                    kz_cli_escape(t->empty[i] ? t->empty[i] : "?", esc,
                                  sizeof(esc)));
            fprintf(f, "%s\n",
                    kz_cli_escape(t->empty_why[i] ? t->empty_why[i]
                                                  : "no events",
                                  esc, sizeof(esc)));
        }
        if (t->nempty > KZ_HUNT_MAX_EMPTY)
            fprintf(f, "kizuki:   and %zu more (reported above)\n",
                    t->nempty - KZ_HUNT_MAX_EMPTY);
    }
}
