/*
 * incident_probe.c - test-only driver of the incident engine
 * (src/investigate/incident.h) until the `investigate` command exists.
 *
 *   incident_probe [--window-min N] [--tie-min N] [--lead-min N] INPUT.tsv
 *
 * INPUT holds one record per line, fields separated by TAB (no field
 * holds a TAB or a newline; "-" or "" = absent); tests/scenarios/
 * incident.sh writes it from `kizuki hunt -f jsonl` and `kizuki logons
 * --graph-json`:
 *   A time host account logon_id rule_id title level(0..5) correlation(0|1)
 *     tags file record_id image hash cmdline        (an alert)
 *   E account source src_kind(0..3) target logon_type first last count
 *     failed evidence                                (a logon edge)
 *   H host first last                                (a host whose logs
 *                                                     were read)
 * Times are ISO 8601. An alert of an analytic (kz_a_...) without tags
 * takes the catalog's tags. Writes the incidents as one JSON object on
 * stdout. Exit 0, 1 on a run error, 2 on usage or unreadable input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/finding.h"
#include "base/strbuf.h"
#include "base/time.h"
#include "investigate/incident.h"
#include "write/escape.h"

#define MAX_FIELDS 16
#define LINE_MAX_BYTES (64 * 1024)

static const char *
field(char **f, size_t nf, size_t i)
{
    if (i >= nf || strcmp(f[i], "-") == 0)
        return "";
    return f[i];
}

static kz_time
tm(const char *s)
{
    kz_time t;

    if (*s == '\0' || !kz_time_parse_iso(s, strlen(s), 0, &t, NULL))
        return KZ_TIME_NONE;
    return t;
}

static uint64_t
num(const char *s, uint64_t dflt)
{
    char *end;
    unsigned long long v;

    if (*s == '\0')
        return dflt;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return dflt;
    return (uint64_t)v;
}

static void
str(kz_strbuf *b, const char *s)
{
    if (s == NULL) {
        kz_strbuf_adds(b, "null");
        return;
    }
    kz_json_string(b, s, strlen(s));
}

static void
tstr(kz_strbuf *b, kz_time t)
{
    if (t == KZ_TIME_NONE) {
        kz_strbuf_adds(b, "null");
        return;
    }
    kz_strbuf_addc(b, '"');
    kz_time_format_iso(b, t, 0);
    kz_strbuf_addc(b, '"');
}

static void
strlist(kz_strbuf *b, const char *const *v, size_t n)
{
    size_t i;

    kz_strbuf_addc(b, '[');
    for (i = 0; i < n; i++) {
        if (i)
            kz_strbuf_addc(b, ',');
        str(b, v[i]);
    }
    kz_strbuf_addc(b, ']');
}

static void
write_incident(kz_strbuf *b, const kz_incident *c)
{
    size_t i;

    kz_strbuf_addf(b, "{\"id\":%zu,\"first\":", c->id);
    tstr(b, c->first);
    kz_strbuf_adds(b, ",\"last\":");
    tstr(b, c->last);
    kz_strbuf_addf(b, ",\"max_level\":%u,\"seeds\":%zu,\"hosts\":",
                   (unsigned)c->max_level, c->n_seeds);
    strlist(b, c->hosts, c->n_hosts);
    kz_strbuf_adds(b, ",\"accounts\":");
    strlist(b, c->accounts, c->n_accounts);
    kz_strbuf_adds(b, ",\"techniques\":");
    strlist(b, c->techniques, c->n_techniques);
    kz_strbuf_adds(b, ",\"timeline\":[");
    for (i = 0; i < c->n_rows; i++) {
        const kz_inc_row *r = &c->rows[i];

        kz_strbuf_adds(b, i ? ",\n {\"time\":" : "\n {\"time\":");
        tstr(b, r->alert.time);
        kz_strbuf_adds(b, ",\"host\":");
        str(b, r->host);
        kz_strbuf_adds(b, ",\"account\":");
        str(b, r->account);
        kz_strbuf_adds(b, ",\"tactic\":");
        str(b, r->tactic);
        kz_strbuf_adds(b, ",\"rule\":");
        str(b, r->alert.rule_id);
        kz_strbuf_adds(b, ",\"title\":");
        str(b, r->alert.title);
        kz_strbuf_addc(b, '}');
    }
    kz_strbuf_adds(b, "],\n\"tools\":[");
    for (i = 0; i < c->n_tools; i++) {
        const kz_inc_tool *t = &c->tools[i];

        kz_strbuf_adds(b, i ? ",{\"name\":" : "{\"name\":");
        str(b, t->name);
        kz_strbuf_adds(b, ",\"path\":");
        str(b, t->path);
        kz_strbuf_adds(b, ",\"hash\":");
        str(b, t->hash);
        kz_strbuf_adds(b, ",\"first\":");
        tstr(b, t->first);
        kz_strbuf_adds(b, ",\"host\":");
        str(b, t->first_host);
        kz_strbuf_addf(b, ",\"n_hosts\":%zu}", t->n_hosts);
    }
    kz_strbuf_adds(b, "],\n\"start_host\":");
    str(b, c->start_host);
    kz_strbuf_adds(b, ",\"steps\":[");
    for (i = 0; i < c->n_steps; i++) {
        const kz_inc_step *s = &c->steps[i];

        kz_strbuf_adds(b, i ? ",{\"from\":" : "{\"from\":");
        str(b, s->from);
        kz_strbuf_adds(b, ",\"to\":");
        str(b, s->to);
        kz_strbuf_adds(b, ",\"account\":");
        str(b, s->account);
        kz_strbuf_adds(b, ",\"time\":");
        tstr(b, s->time);
        kz_strbuf_adds(b, ",\"method\":");
        str(b, s->method);
        kz_strbuf_adds(b, ",\"evidence\":");
        str(b, s->evidence);
        kz_strbuf_addc(b, '}');
    }
    kz_strbuf_adds(b, "],\n\"candidates\":[");
    for (i = 0; i < c->n_candidates; i++) {
        const kz_inc_candidate *x = &c->candidates[i];
        static const char *const kinds[] = {"alert", "external", "source"};

        kz_strbuf_adds(b, i ? ",{\"host\":" : "{\"host\":");
        str(b, x->host);
        kz_strbuf_addf(b, ",\"kind\":\"%s\",\"logs_read\":%s,\"time\":",
                       x->kind < 3 ? kinds[x->kind] : "?",
                       x->logs_read ? "true" : "false");
        tstr(b, x->time);
        kz_strbuf_adds(b, ",\"evidence\":");
        str(b, x->evidence);
        kz_strbuf_addc(b, '}');
    }
    kz_strbuf_adds(b, "],\n\"patient_zero\":");
    str(b, c->patient_zero);
    kz_strbuf_adds(b, ",\"reason\":");
    str(b, c->reason);
    kz_strbuf_addc(b, '}');
}

static int
usage(void)
{
    fputs("usage: incident_probe [--window-min N] [--tie-min N] "
          "[--lead-min N] INPUT.tsv\n",
          stderr);
    return 2;
}

int
main(int argc, char **argv)
{
    kz_inc_config cfg = {0};
    const char *path = NULL;
    char *line, *f[MAX_FIELDS];
    FILE *in;
    kz_inc *e;
    kz_strbuf b;
    kz_inc_stats st;
    const char *fh, *fr;
    uint64_t long_lines = 0;
    size_t i;
    int a;

    for (a = 1; a < argc; a++) {
        kz_time *t = NULL;

        if (strcmp(argv[a], "--window-min") == 0)
            t = &cfg.window;
        else if (strcmp(argv[a], "--tie-min") == 0)
            t = &cfg.tie_window;
        else if (strcmp(argv[a], "--lead-min") == 0)
            t = &cfg.lead;
        else if (argv[a][0] == '-' || path != NULL)
            return usage();
        else
            path = argv[a];
        if (t != NULL) {
            if (++a >= argc)
                return usage();
            *t = (kz_time)num(argv[a], 0) * 60 * KZ_INC_SECOND;
        }
    }
    if (path == NULL)
        return usage();
    in = fopen(path, "r");
    line = malloc(LINE_MAX_BYTES);
    e = kz_inc_new(&cfg);
    if (in == NULL || line == NULL || e == NULL) {
        fprintf(stderr, "incident_probe: cannot read %s\n", path);
        return 2;
    }
    while (fgets(line, LINE_MAX_BYTES, in) != NULL) {
        size_t n = strlen(line), nf = 0;
        char *p = line;
        kz_status s = KZ_OK;

        if (n > 0 && line[n - 1] != '\n' && !feof(in)) {
            int ch;

            long_lines++;
            while ((ch = fgetc(in)) != EOF && ch != '\n')
                ;
            continue;
        }
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        while (nf < MAX_FIELDS) {
            char *tab = strchr(p, '\t');

            f[nf++] = p;
            if (tab == NULL)
                break;
            *tab = '\0';
            p = tab + 1;
        }
        if (strcmp(f[0], "A") == 0) {
            kz_inc_alert x = {0};

            x.time = tm(field(f, nf, 1));
            x.host = field(f, nf, 2);
            x.account = field(f, nf, 3);
            x.logon_id = field(f, nf, 4);
            x.rule_id = field(f, nf, 5);
            x.title = field(f, nf, 6);
            x.level = (uint8_t)num(field(f, nf, 7), 0);
            x.correlation = num(field(f, nf, 8), 0) != 0;
            x.tags = field(f, nf, 9);
            if (*x.tags == '\0' && kz_analytic_find(x.rule_id) != NULL)
                x.tags = kz_analytic_find(x.rule_id)->tags;
            x.file = field(f, nf, 10);
            x.record_id = num(field(f, nf, 11), UINT64_MAX);
            x.image = field(f, nf, 12);
            x.hash = field(f, nf, 13);
            x.cmdline = field(f, nf, 14);
            s = kz_inc_add_alert(e, &x);
        } else if (strcmp(f[0], "E") == 0) {
            kz_inc_edge x = {0};
            const char *ty = field(f, nf, 5);

            x.account = field(f, nf, 1);
            x.source = field(f, nf, 2);
            x.src_kind = (uint8_t)num(field(f, nf, 3), 0);
            x.target = field(f, nf, 4);
            x.logon_type = *ty ? (int)num(ty, 0) : -1;
            x.first = tm(field(f, nf, 6));
            x.last = tm(field(f, nf, 7));
            x.count = num(field(f, nf, 8), 1);
            x.failed = num(field(f, nf, 9), 0);
            x.evidence = field(f, nf, 10);
            s = kz_inc_add_edge(e, &x);
        } else if (strcmp(f[0], "H") == 0) {
            s = kz_inc_add_host(e, field(f, nf, 1), tm(field(f, nf, 2)),
                                tm(field(f, nf, 3)));
        }
        if (s != KZ_OK) {
            fprintf(stderr, "incident_probe: %s\n", kz_status_str(s));
            return 1;
        }
    }
    fclose(in);
    free(line);
    if (kz_inc_run(e) != KZ_OK) {
        fputs("incident_probe: run failed\n", stderr);
        return 1;
    }
    kz_strbuf_init(&b, (size_t)1 << 30);
    kz_strbuf_adds(&b, "{\"incidents\":[\n");
    for (i = 0; i < kz_inc_count(e); i++) {
        if (i)
            kz_strbuf_adds(&b, ",\n");
        write_incident(&b, kz_inc_at(e, i));
    }
    kz_inc_first_host(e, &fh, &fr);
    kz_strbuf_adds(&b, "],\n\"first_host\":");
    str(&b, fh);
    kz_strbuf_adds(&b, ",\"first_host_reason\":");
    str(&b, fr);
    kz_inc_get_stats(e, &st);
    kz_strbuf_addf(&b,
                   ",\"stats\":{\"alerts\":%llu,\"seeds\":%llu,"
                   "\"long_lines\":%llu}}\n",
                   (unsigned long long)st.alerts, (unsigned long long)st.seeds,
                   (unsigned long long)long_lines);
    fwrite(b.data, 1, b.len, stdout);
    kz_strbuf_fini(&b);
    kz_inc_free(e);
    return 0;
}
