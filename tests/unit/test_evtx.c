/*
 * Unit tests of the EVTX reader, table-driven over fixtures built by
 * tests/tools/gen_evtx_fixtures.py (one file per token, value type and
 * kind of damage) with expectations written by hand in expected.tsv.
 * The fixture directory comes from $KZ_EVTX_FIXTURES.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "read/evtx/evtx.h"
#include "read/read.h"
#include "t.h"

#define MAX_ROWS 20000

/* One parsed expected.tsv line. */
typedef struct row {
    char kind[16];      /* fixture, event, field, events, problem, lost */
    char *f[7];         /* tab-separated fields after the kind */
    size_t nf;          /* count */
} row;

static row rows[MAX_ROWS];
static size_t nrows;
static char fixdir[1024];

static char *
unescape(char *s)
{
    char *r = s, *w = s;

    while (*r != '\0') {
        if (r[0] == '\\' && r[1] != '\0') {
            *w++ = r[1] == 't' ? '\t' : r[1] == 'n' ? '\n' : r[1];
            r += 2;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return s;
}

static bool
load(void)
{
    const char *dir = getenv("KZ_EVTX_FIXTURES");
    char path[1100], line[65536];
    FILE *f;

    if (nrows != 0)
        return true;
    if (dir == NULL) {
        fprintf(stderr, "KZ_EVTX_FIXTURES is not set\n");
        return false;
    }
    snprintf(fixdir, sizeof(fixdir), "%s", dir);
    snprintf(path, sizeof(path), "%s/expected.tsv", dir);
    if ((f = fopen(path, "r")) == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        return false;
    }
    while (nrows < MAX_ROWS && fgets(line, sizeof(line), f) != NULL) {
        row *r = &rows[nrows];
        char *save = NULL, *tok;
        size_t len = strlen(line);

        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        tok = strtok_r(line, "\t", &save);
        if (tok == NULL)
            continue;
        snprintf(r->kind, sizeof(r->kind), "%s", tok);
        r->nf = 0;
        /* strtok_r skips empty fields; expected values may be empty, so
         * split by hand after the kind. */
        {
            char *p = save;

            while (p != NULL && r->nf < 7) {
                char *tab = strchr(p, '\t');

                if (tab != NULL)
                    *tab = '\0';
                r->f[r->nf++] = strdup(unescape(p));
                p = tab ? tab + 1 : NULL;
            }
        }
        nrows++;
    }
    fclose(f);
    return nrows != 0;
}

/* What the reader produced for one fixture, rendered. */
typedef struct got {
    kz_strbuf text;                 /* one line per event and field */
    uint64_t events;                /* events delivered */
    uint64_t problems[KZ_PROB_COUNT];
    uint64_t lost;                  /* bytes reported unreadable */
} got;

static void
add_line(kz_strbuf *b, const char *kind, const char *a, const char *c)
{
    kz_strbuf_adds(b, kind);
    kz_strbuf_addc(b, '\t');
    kz_strbuf_adds(b, a);
    if (c != NULL) {
        kz_strbuf_addc(b, '\t');
        kz_strbuf_adds(b, c);
    }
    kz_strbuf_addc(b, '\n');
}

static kz_status
on_batch(void *ctx, kz_batch *b)
{
    got *g = ctx;
    kz_render_opts ro = { 1252 };
    kz_strbuf v, head;
    size_t i, k;

    kz_strbuf_init(&v, 0);
    kz_strbuf_init(&head, 0);
    for (i = 0; i < b->nevents; i++) {
        const kz_event *ev = &b->events[i];

        if (ev->flags & KZ_EV_DUPLICATE)
            continue;
        g->events++;
        kz_strbuf_reset(&head);
        kz_strbuf_addf(&head, "%llu\t%u\t%.*s\t%.*s\t",
                       (unsigned long long)ev->record_id, ev->event_id,
                       (int)ev->channel.len, ev->channel.p,
                       (int)ev->computer.len, ev->computer.p);
        kz_time_format_xml(&head, ev->time);
        kz_strbuf_adds(&head, "\t");
        if (ev->flags & KZ_EV_HAS_QUALIFIERS)
            kz_strbuf_addc(&head, 'q');
        if (ev->flags & KZ_EV_RECOVERED)
            kz_strbuf_addc(&head, 'r');
        if (!(ev->flags & (KZ_EV_HAS_QUALIFIERS | KZ_EV_RECOVERED)))
            kz_strbuf_addc(&head, '-');
        add_line(&g->text, "event", head.data, NULL);
        for (k = 0; k < ev->nfields; k++) {
            char name[512];

            kz_strbuf_reset(&v);
            if (kz_value_render(&ev->fields[k].value, &ro, &v) != KZ_OK)
                kz_strbuf_adds(&v, "<render error>");
            snprintf(name, sizeof(name), "%.*s", (int)ev->fields[k].name.len,
                     ev->fields[k].name.p);
            add_line(&g->text, "field", name, v.data ? v.data : "");
        }
    }
    for (i = 0; i < b->problems.n; i++) {
        g->problems[b->problems.items[i].kind]++;
        g->lost += b->problems.items[i].lost;
    }
    kz_strbuf_fini(&v);
    kz_strbuf_fini(&head);
    return KZ_OK;
}

static bool
run(const char *file, bool carve, unsigned threads, got *g)
{
    char path[1200];
    const char *paths[1];
    kz_read_opts o;
    kz_read_stats st;
    kz_error err;

    memset(g, 0, sizeof(*g));
    kz_strbuf_init(&g->text, 0);
    snprintf(path, sizeof(path), "%s/%s", fixdir, file);
    paths[0] = path;
    kz_read_opts_default(&o);
    o.threads = threads;
    o.carve = carve;
    o.on_batch = on_batch;
    o.ctx = g;
    kz_error_clear(&err);
    return kz_read_run(paths, 1, &o, &st, &err) == KZ_OK;
}

static kz_problem_kind
kind_named(const char *name)
{
    int k;

    for (k = 0; k < KZ_PROB_COUNT; k++)
        if (strcmp(kz_problem_kind_str((kz_problem_kind)k), name) == 0)
            return (kz_problem_kind)k;
    return KZ_PROB_COUNT;
}

/* Checks every fixture whose name starts with prefix; returns how many. */
static size_t
check_prefix(const char *prefix)
{
    size_t i = 0, nfix = 0;

    T_CHECK(load(), "fixtures loaded from $KZ_EVTX_FIXTURES");
    while (i < nrows) {
        const row *fx = &rows[i++];
        kz_strbuf want;
        got g;
        bool have_problem_rows = false;
        uint64_t want_problems[KZ_PROB_COUNT];

        if (strcmp(fx->kind, "fixture") != 0 ||
            strncmp(fx->f[0], prefix, strlen(prefix)) != 0)
            continue;
        nfix++;
        memset(want_problems, 0, sizeof(want_problems));
        kz_strbuf_init(&want, 0);
        T_CHECK(run(fx->f[1], strcmp(fx->f[2], "carve") == 0, 1, &g),
                "%s: run", fx->f[0]);
        for (; i < nrows && strcmp(rows[i].kind, "fixture") != 0; i++) {
            const row *r = &rows[i];

            if (strcmp(r->kind, "event") == 0 && r->nf >= 6) {
                char head[2048];

                snprintf(head, sizeof(head), "%s\t%s\t%s\t%s\t%s\t%s",
                         r->f[0], r->f[1], r->f[2], r->f[3], r->f[4],
                         r->f[5]);
                add_line(&want, "event", head, NULL);
            } else if (strcmp(r->kind, "field") == 0 && r->nf >= 2) {
                add_line(&want, "field", r->f[0], r->f[1]);
            } else if (strcmp(r->kind, "events") == 0) {
                long n = strtol(r->f[0], NULL, 10);

                if (n >= 0)
                    T_CHECK(g.events == (uint64_t)n,
                            "%s: %llu events, want %ld", fx->f[0],
                            (unsigned long long)g.events, n);
            } else if (strcmp(r->kind, "problem") == 0) {
                kz_problem_kind k = kind_named(r->f[0]);

                have_problem_rows = true;
                T_CHECK(k != KZ_PROB_COUNT, "%s: unknown kind %s", fx->f[0],
                        r->f[0]);
                if (k != KZ_PROB_COUNT)
                    want_problems[k] = strtoull(r->f[1], NULL, 10);
            } else if (strcmp(r->kind, "lost") == 0) {
                if (strcmp(r->f[0], "any>0") == 0)
                    T_CHECK(g.lost > 0, "%s: nothing reported lost",
                            fx->f[0]);
                else
                    T_CHECK(g.lost == strtoull(r->f[0], NULL, 10),
                            "%s: lost %llu bytes, want %s", fx->f[0],
                            (unsigned long long)g.lost, r->f[0]);
            }
        }
        /* Expected events are a prefix of what was read, in order; for
         * fixtures listing only some fields, compare event by event. */
        {
            const char *w = want.data ? want.data : "";
            const char *h = g.text.data ? g.text.data : "";
            bool ok = true;

            /* Walk both texts line by line: every wanted line must appear
             * in order; extra got field lines between them are allowed
             * (fixtures may name only the fields they are about). */
            while (*w != '\0' && ok) {
                const char *wend = strchr(w, '\n');
                size_t wl = (size_t)(wend - w) + 1;

                while (*h != '\0' && strncmp(h, w, wl) != 0) {
                    if (strncmp(h, "event\t", 6) == 0 &&
                        strncmp(w, "field\t", 6) == 0) {
                        ok = false; /* a wanted field missing in its event */
                        break;
                    }
                    h = strchr(h, '\n') + 1;
                }
                if (*h == '\0')
                    ok = false;
                if (!ok) {
                    T_CHECK(false, "%s: wanted line not read: %.*s",
                            fx->f[0], (int)wl - 1, w);
                    break;
                }
                h += wl;
                w += wl;
            }
        }
        if (have_problem_rows) {
            int k;

            for (k = 0; k < KZ_PROB_COUNT; k++)
                T_CHECK(g.problems[k] == want_problems[k],
                        "%s: %llu \"%s\" problems, want %llu", fx->f[0],
                        (unsigned long long)g.problems[k],
                        kz_problem_kind_str((kz_problem_kind)k),
                        (unsigned long long)want_problems[k]);
        }
        kz_strbuf_fini(&want);
        kz_strbuf_fini(&g.text);
    }
    return nfix;
}

static void
test_value_types(void)
{
    T_CHECK(check_prefix("value_") >= 30, "value fixtures present");
}

static void
test_tokens(void)
{
    T_CHECK(check_prefix("token_") >= 14, "token fixtures present");
}

static void
test_damage(void)
{
    T_CHECK(check_prefix("damage_") >= 14, "damage fixtures present");
}

/* Every fixture gives the same events and problems with 1 and 2 threads. */
static void
test_thread_counts_agree(void)
{
    size_t i;

    T_CHECK(load(), "fixtures loaded");
    for (i = 0; i < nrows; i++) {
        got a, b;
        bool carve;

        if (strcmp(rows[i].kind, "fixture") != 0)
            continue;
        carve = strcmp(rows[i].f[2], "carve") == 0;
        run(rows[i].f[1], carve, 1, &a);
        run(rows[i].f[1], carve, 2, &b);
        T_CHECK(a.text.len == b.text.len &&
                    memcmp(a.text.data, b.text.data, a.text.len) == 0 &&
                    memcmp(a.problems, b.problems, sizeof(a.problems)) == 0,
                "%s: -j1 and -j2 differ", rows[i].f[0]);
        kz_strbuf_fini(&a.text);
        kz_strbuf_fini(&b.text);
    }
}

/* Inputs that once crashed the parser (fuzz/): each must parse without a
 * sanitizer report, as one chunk and as a file. */
static void
test_crashers_stay_fixed(void)
{
    const char *src = getenv("KZ_SRC");
    char dir[1024], path[1400];
    DIR *d;
    struct dirent *e;
    int n = 0;

    snprintf(dir, sizeof(dir), "%s/tests/data/crashers", src ? src : ".");
    if ((d = opendir(dir)) == NULL) {
        T_CHECK(false, "cannot open %s", dir);
        return;
    }
    while ((e = readdir(d)) != NULL) {
        FILE *f;
        uint8_t *buf;
        long len;
        kz_batch b;
        kz_read_opts o;
        kz_evtx_file_info info;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if ((f = fopen(path, "rb")) == NULL)
            continue;
        fseek(f, 0, SEEK_END);
        len = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc((size_t)len + 1);
        if (buf != NULL && fread(buf, 1, (size_t)len, f) == (size_t)len) {
            kz_read_opts_default(&o);
            o.carve = true;
            memset(&info, 0, sizeof(info));
            info.header_chunks = 1;
            memset(&b, 0, sizeof(b));
            kz_arena_init(&b.arena, 65536, 0);
            T_CHECK(kz_evtx_parse_chunk(buf, (size_t)len < 65536 ? (size_t)len
                                                                 : 65536,
                                        4096, 0, &info, &o, &b) == KZ_OK,
                    "%s", e->d_name);
            kz_arena_fini(&b.arena);
            n++;
        }
        free(buf);
        fclose(f);
    }
    closedir(d);
    T_CHECK(n > 0, "no crasher files found");
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(test_value_types),
        T_CASE(test_tokens),
        T_CASE(test_damage),
        T_CASE(test_thread_counts_agree),
        T_CASE(test_crashers_stay_fixed),
    };
    return t_run(cases, T_COUNT(cases), argc, argv);
}
