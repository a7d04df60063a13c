/*
 * cmd_logons.c - `kizuki logons`: the logon summary (table or CSV) and
 * the logon graph (Cytoscape JSON, GraphML), without a hunt.
 *
 * Only the fields of the logon event table (investigate/logon.h) are
 * interned before the names freeze; the pool threads render those fields
 * of the events of the table into the batch's result (compact facts: the
 * event index and the slot texts); the calling thread feeds the facts to
 * the collector in input order, skipping duplicates. The collector's
 * output order depends only on the set of facts, so every -j writes the
 * same bytes. Reference: docs/logons.md.
 */
#include "cli/commands.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/grow.h"
#include "cli/cli.h"
#include "cli/logon_facts.h"
#include "cli/progress.h"
#include "cli/summary.h"
#include "investigate/logon.h"
#include "write/escape.h"
#include "write/timeline.h"
#include "write/tz.h"

enum {
    OPT_FAILED_ONLY = KZ_OPT_COMMAND_BASE,
    OPT_SUCCESS_ONLY,
    OPT_GRAPH_JSON,
    OPT_GRAPHML,
    OPT_TZ,
    OPT_INTERNAL_NETS,
    OPT_MAX_ROWS,
    OPT_MAX_EDGES,
};

static const kz_cli_option logons_opts[] = {
    {"format", 'f', 'f', "FMT",
     "table or csv (default: csv when -o ends in .csv, else table on a "
     "terminal and csv otherwise)"},
    {"failed-only", 0, OPT_FAILED_ONLY, NULL,
     "only failed logons and authentications (summary and graph)"},
    {"success-only", 0, OPT_SUCCESS_ONLY, NULL,
     "only successful ones (summary and graph)"},
    {"graph-json", 0, OPT_GRAPH_JSON, "FILE",
     "also write the logon graph as Cytoscape JSON to FILE"},
    {"graphml", 0, OPT_GRAPHML, "FILE",
     "also write the logon graph as GraphML to FILE"},
    {"tz", 0, OPT_TZ, "ZONE",
     "time zone of the output: UTC, +09:00, local or an IANA name like "
     "Asia/Tokyo (default: UTC)"},
    {"internal-nets", 0, OPT_INTERNAL_NETS, "LIST",
     "more networks counted as internal, comma-separated CIDRs "
     "(default: RFC 1918, RFC 6598, loopback, link-local, ULA)"},
    {"max-rows", 0, OPT_MAX_ROWS, "N",
     "most summary rows; facts past it are counted (default: 200000)"},
    {"max-edges", 0, OPT_MAX_EDGES, "N",
     "most graph edges; facts past it are counted (default: 200000)"},
};
#define N_OPTS (sizeof(logons_opts) / sizeof(logons_opts[0]))

typedef struct logons_args {
    int format; /* -1 auto, 0 table, 1 csv */
    bool failed_only, success_only;
    const char *graph_json;       /* --graph-json */
    const char *graphml;          /* --graphml */
    kz_tz tz;                     /* --tz */
    kz_a_net nets[KZ_A_MAX_NETS]; /* --internal-nets */
    size_t nnets;
    size_t max_rows, max_edges;
} logons_args;

typedef struct logons_ctx {
    const logons_args *a;
    kz_logon_ids ids;     /* field id per slot */
    kz_render_opts ro;
    kz_logon *col; /* the collector */
    kz_cli_progress pg;
    kz_status st; /* collector error */
} logons_ctx;

/* Prints "logons: WHAT, not 'ARG'" (ARG escaped); KZ_EXIT_USAGE. */
static int
usage(const char *what, const char *arg)
{
    char esc[256];

    kz_cli_msg("logons: %s, not '%s'", what,
               kz_cli_escape(arg, esc, sizeof(esc)));
    return KZ_EXIT_USAGE;
}

static int
parse_count(const char *arg, size_t *out)
{
    char *end;
    unsigned long long v;

    if (arg[0] < '0' || arg[0] > '9')
        return KZ_EXIT_USAGE;
    v = strtoull(arg, &end, 10);
    if (*end != '\0' || v == 0 || v > 100000000ull)
        return KZ_EXIT_USAGE;
    *out = (size_t)v;
    return KZ_EXIT_OK;
}

static int
on_option(void *vctx, int id, const char *arg)
{
    logons_args *a = vctx;
    kz_error err;
    size_t n;

    switch (id) {
    case 'f':
        if (strcmp(arg, "table") == 0)
            a->format = 0;
        else if (strcmp(arg, "csv") == 0)
            a->format = 1;
        else
            return usage("-f wants table or csv", arg);
        return KZ_EXIT_OK;
    case OPT_FAILED_ONLY:
        a->failed_only = true;
        return KZ_EXIT_OK;
    case OPT_SUCCESS_ONLY:
        a->success_only = true;
        return KZ_EXIT_OK;
    case OPT_GRAPH_JSON:
        a->graph_json = arg;
        return KZ_EXIT_OK;
    case OPT_GRAPHML:
        a->graphml = arg;
        return KZ_EXIT_OK;
    case OPT_TZ:
        if (kz_tz_parse(arg, &a->tz, &err) != KZ_OK)
            return usage("--tz wants UTC, an offset like +09:00, local, or "
                         "a zone of the system's database",
                         arg);
        return KZ_EXIT_OK;
    case OPT_INTERNAL_NETS:
        kz_error_clear(&err);
        if (kz_a_nets_parse(arg, a->nets + a->nnets, KZ_A_MAX_NETS - a->nnets,
                            &n, &err) != KZ_OK)
            return usage(err.msg, arg);
        a->nnets += n;
        return KZ_EXIT_OK;
    case OPT_MAX_ROWS:
        if (parse_count(arg, &a->max_rows) != KZ_EXIT_OK)
            return usage("--max-rows wants 1..100000000", arg);
        return KZ_EXIT_OK;
    case OPT_MAX_EDGES:
        if (parse_count(arg, &a->max_edges) != KZ_EXIT_OK)
            return usage("--max-edges wants 1..100000000", arg);
        return KZ_EXIT_OK;
    default:
        return KZ_EXIT_USAGE;
    }
}

/* ---- reading -------------------------------------------------------- */

static void
free_found(void *ctx, void *user)
{
    (void)ctx;
    kz_logon_facts_free(user);
}

static kz_status
on_worker(void *vctx, kz_batch *b, unsigned worker)
{
    logons_ctx *ctx = vctx;
    kz_logon_found *f = NULL;
    kz_status st;

    (void)worker;
    st = kz_logon_facts_extract(&ctx->ids, &ctx->ro, b, &f);
    b->user = f;
    return st;
}

static kz_status
on_batch(void *vctx, kz_batch *b)
{
    logons_ctx *ctx = vctx;
    size_t i;

    for (i = 0; i < b->problems.n; i++) {
        kz_cli_progress_clear(&ctx->pg);
        kz_cli_problem(b->input != NULL ? b->input->path : NULL,
                       &b->problems.items[i]);
    }
    ctx->st = kz_logon_facts_feed(b->user, b, ctx->col, ctx->a->failed_only,
                                  ctx->a->success_only);
    return ctx->st;
}

static void
on_problem(void *vctx, const char *path, const kz_problem *p)
{
    logons_ctx *ctx = vctx;

    kz_cli_progress_clear(&ctx->pg);
    kz_cli_problem(path, p);
}

static void
on_progress(void *vctx, const kz_progress *p)
{
    logons_ctx *ctx = vctx;

    kz_cli_progress_update(&ctx->pg, p);
}

/* ---- the summary ---------------------------------------------------- */

#define NCOLS 11
static const char *const col_names[NCOLS] = {
    "Result",      "Count",     "Account", "Host",  "Source", "Scope",
    "Workstation", "LogonType", "Status",  "First", "Last"};
static const char *const scopes[] = {"", "internal", "external", "host"};
#define TABLE_CELL_MAX 40

/* The texts of row r's cells, each NUL-terminated in b at off[c]; absent
 * values as `absent` ("-" in the table, "" in CSV). */
static kz_status
row_cells(const kz_logon_row *r, const kz_tz *tz, kz_strbuf *b,
          size_t off[NCOLS], const char *absent)
{
    kz_status st = KZ_OK;
    size_t c;

    kz_strbuf_reset(b);
    for (c = 0; c < NCOLS && st == KZ_OK; c++) {
        off[c] = b->len;
        switch (c) {
        case 0:
            st = kz_strbuf_adds(b, r->result == KZ_LOGON_FAILURE ? "failure"
                                                                 : "success");
            break;
        case 1:
            st = kz_strbuf_add_u64(b, r->count);
            break;
        case 2:
            st = kz_strbuf_adds(b, r->account);
            break;
        case 3:
            st = kz_strbuf_adds(b, r->host[0] ? r->host : absent);
            break;
        case 4:
            st = kz_strbuf_adds(b, r->address[0] ? r->address : absent);
            break;
        case 5:
            st = kz_strbuf_adds(b, r->src_kind != 0 ? scopes[r->src_kind & 3]
                                                    : absent);
            break;
        case 6:
            st = kz_strbuf_adds(b, r->workstation[0] ? r->workstation : absent);
            break;
        case 7:
            st = r->logon_type < 0
                     ? kz_strbuf_adds(b, absent)
                     : kz_strbuf_add_u64(b, (uint64_t)r->logon_type);
            break;
        case 8:
            st = kz_strbuf_adds(b, r->status[0] ? r->status : absent);
            break;
        case 9:
            st = kz_tz_format(b, tz, r->first);
            break;
        default:
            st = kz_tz_format(b, tz, r->last);
            break;
        }
        if (st == KZ_OK)
            st = kz_strbuf_addc(b, '\0');
    }
    return st;
}

/* Display width of UTF-8 text (code points). */
static size_t
width(const char *s, size_t n)
{
    size_t w = 0, i;

    for (i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            w++;
    return w;
}

/* Appends the cell for a terminal, cut to max columns (with "..."):
 * flattened as the timeline's cells (kz_tl_flatten: controls,
 * bidirectional overrides and invalid UTF-8 as \xHH, LF/CR/TAB as \n \r
 * \t; a backslash stays single: account names hold one). */
static kz_status
term_cell(kz_strbuf *o, const char *s, size_t max, size_t *w)
{
    kz_strbuf t;
    size_t n, cut, k;
    kz_status st;

    kz_strbuf_init(&t, 0);
    if ((st = kz_tl_flatten(&t, s, strlen(s))) != KZ_OK)
        goto out;
    n = t.len;
    if (width(t.data, n) > max) {
        for (cut = 0, k = 0; cut < n; cut++)
            if (((unsigned char)t.data[cut] & 0xc0) != 0x80 && k++ == max - 3)
                break;
        n = cut;
        if ((st = kz_strbuf_add(o, t.data, n)) == KZ_OK)
            st = kz_strbuf_adds(o, "...");
        *w = max;
        goto out;
    }
    st = kz_strbuf_add(o, t.data != NULL ? t.data : "", n);
    *w = width(t.data != NULL ? t.data : "", n);
out:
    kz_strbuf_fini(&t);
    return st;
}

static kz_status
write_csv(FILE *out, const kz_logon *l, const kz_tz *tz)
{
    kz_strbuf line, cells, flat;
    size_t off[NCOLS], i, c, n = kz_logon_n_rows(l);
    kz_status st = KZ_OK;

    kz_strbuf_init(&line, 0);
    kz_strbuf_init(&cells, 0);
    kz_strbuf_init(&flat, 0);
    for (c = 0; c < NCOLS && st == KZ_OK; c++)
        st = kz_strbuf_adds(&line, c > 0 ? "," : "") == KZ_OK
                 ? kz_strbuf_adds(&line, col_names[c])
                 : KZ_ENOMEM;
    if (st == KZ_OK)
        st = kz_strbuf_adds(&line, ",EventIDs\n");
    for (i = 0; i < n && st == KZ_OK; i++) {
        const kz_logon_row *r = kz_logon_row_at(l, i);

        if ((st = row_cells(r, tz, &cells, off, "")) != KZ_OK)
            break;
        for (c = 0; c < NCOLS && st == KZ_OK; c++) {
            if (c > 0)
                st = kz_strbuf_addc(&line, ',');
            /* One line per row: controls visible, then the guard. */
            kz_strbuf_reset(&flat);
            if (st == KZ_OK)
                st = kz_tl_flatten(&flat, cells.data + off[c],
                                   strlen(cells.data + off[c]));
            if (st == KZ_OK)
                st = kz_csv_cell(&line, flat.data != NULL ? flat.data : "",
                                 flat.len);
        }
        if (st == KZ_OK)
            st = kz_strbuf_addc(&line, ',');
        if (st == KZ_OK)
            st = kz_logon_mask_ids(&line, r->event_mask);
        if (st == KZ_OK)
            st = kz_strbuf_addc(&line, '\n');
        if (st == KZ_OK && line.len >= 65536) {
            if (fwrite(line.data, 1, line.len, out) != line.len)
                st = KZ_EIO;
            kz_strbuf_reset(&line);
        }
    }
    if (st == KZ_OK && line.len > 0 &&
        fwrite(line.data, 1, line.len, out) != line.len)
        st = KZ_EIO;
    kz_strbuf_fini(&line);
    kz_strbuf_fini(&cells);
    kz_strbuf_fini(&flat);
    return st;
}

static kz_status
write_table(FILE *out, const kz_logon *l, const kz_tz *tz)
{
    kz_strbuf line, cells, tmp;
    size_t off[NCOLS], wid[NCOLS], i, c, w, n = kz_logon_n_rows(l);
    kz_status st = KZ_OK;

    kz_strbuf_init(&line, 0);
    kz_strbuf_init(&cells, 0);
    kz_strbuf_init(&tmp, 0);
    for (c = 0; c < NCOLS; c++)
        wid[c] = strlen(col_names[c]);
    /* Widths over all rows (cells cut at TABLE_CELL_MAX). */
    for (i = 0; i < n && st == KZ_OK; i++) {
        if ((st = row_cells(kz_logon_row_at(l, i), tz, &cells, off, "-")) !=
            KZ_OK)
            break;
        for (c = 0; c < NCOLS && st == KZ_OK; c++) {
            kz_strbuf_reset(&tmp);
            st = term_cell(&tmp, cells.data + off[c], TABLE_CELL_MAX, &w);
            wid[c] = w > wid[c] ? w : wid[c];
        }
    }
    for (i = 0; i <= n && st == KZ_OK; i++) {
        kz_strbuf_reset(&line);
        if (i > 0 && (st = row_cells(kz_logon_row_at(l, i - 1), tz, &cells, off,
                                     "-")) != KZ_OK)
            break;
        for (c = 0; c < NCOLS && st == KZ_OK; c++) {
            const char *s = i == 0 ? col_names[c] : cells.data + off[c];

            if (c > 0)
                st = kz_strbuf_adds(&line, "  ");
            if (st == KZ_OK)
                st = term_cell(&line, s, TABLE_CELL_MAX, &w);
            for (; st == KZ_OK && w < wid[c] && c + 1 < NCOLS; w++)
                st = kz_strbuf_addc(&line, ' ');
        }
        if (st == KZ_OK)
            st = kz_strbuf_addc(&line, '\n');
        if (st == KZ_OK && fwrite(line.data, 1, line.len, out) != line.len)
            st = KZ_EIO;
    }
    kz_strbuf_fini(&line);
    kz_strbuf_fini(&cells);
    kz_strbuf_fini(&tmp);
    return st;
}

/* ---- graph files ---------------------------------------------------- */

static kz_status
file_write(void *ctx, const char *p, size_t n)
{
    return fwrite(p, 1, n, (FILE *)ctx) == n ? KZ_OK : KZ_EIO;
}

static kz_status
fmt_time(void *ctx, kz_strbuf *b, kz_time t)
{
    return kz_tz_format(b, ctx, t);
}

/* Writes one graph file; KZ_EXIT_OK or KZ_EXIT_FATAL (message printed). */
static int
write_graph(const kz_logon *l, const char *path, bool graphml, const kz_tz *tz)
{
    FILE *f;
    kz_status st;
    int rc;

    if ((f = kz_cli_output_open(path)) == NULL)
        return KZ_EXIT_FATAL;
    st = graphml
             ? kz_logon_write_graphml(l, file_write, f, fmt_time, (void *)tz)
             : kz_logon_write_cytoscape(l, file_write, f, fmt_time, (void *)tz);
    rc = kz_cli_output_close(f, path);
    if (st != KZ_OK && rc == KZ_EXIT_OK) {
        kz_cli_msg("logons: writing the graph failed: %s", kz_status_str(st));
        rc = KZ_EXIT_FATAL;
    }
    return rc;
}

static void
print_summary(const kz_logon *l)
{
    kz_logon_stats s;

    kz_logon_get_stats(l, &s);
    fprintf(stderr,
            "logons: %llu facts (%llu privileged), %zu summary rows, %zu "
            "nodes, %zu edges\n",
            (unsigned long long)s.facts, (unsigned long long)s.privileged,
            kz_logon_n_rows(l), kz_logon_n_nodes(l), kz_logon_n_edges(l));
    if (s.no_account > 0)
        fprintf(stderr, "logons: %llu facts named no account (skipped)\n",
                (unsigned long long)s.no_account);
    if (s.merged_accounts > 0)
        fprintf(stderr,
                "logons: %llu account keys joined to another (same name "
                "without domain, or same SID)\n",
                (unsigned long long)s.merged_accounts);
    if (s.dropped_rows + s.dropped_edges + s.dropped_accounts + s.dropped_text >
        0)
        fprintf(stderr,
                "logons: caps reached: %llu facts not in a row "
                "(--max-rows), %llu not in an edge (--max-edges), %llu "
                "skipped (accounts full), %llu skipped (text bound)\n",
                (unsigned long long)s.dropped_rows,
                (unsigned long long)s.dropped_edges,
                (unsigned long long)s.dropped_accounts,
                (unsigned long long)s.dropped_text);
    if (s.cut_values > 0)
        fprintf(stderr, "logons: %llu values cut at 256 bytes\n",
                (unsigned long long)s.cut_values);
}

/* ---- the command ---------------------------------------------------- */

void
kz_cli_logons_help(FILE *f)
{
    const kz_logon_source *s;
    size_t i;

    fputs("Usage: kizuki logons [options] PATH...\n"
          "\n"
          "Summarises logons the way Hayabusa's logon-summary does, and\n"
          "builds the logon graph the way LogonTracer does, without running\n"
          "any rule. The summary has one row per (result, account, source\n"
          "address, workstation, logon type, target host, failure status)\n"
          "with a count and the first and last time; failures first, then\n"
          "by count. The graph has account, host and address nodes, \"logon\"\n"
          "edges account -> host (per source, logon type and auth package)\n"
          "and \"from\" edges source -> account, each with count, failures,\n"
          "first, last and event ids, and a PageRank of every node.\n"
          "Hosts compare case-insensitively without DNS suffix; accounts\n"
          "are DOMAIN\\name (a name seen without domain joins its one\n"
          "domain; a bare SID joins the account logged with it).\n"
          "\n"
          "Events read, and what each contributes:\n",
          f);
    for (i = 0; (s = kz_logon_source_at(i)) != NULL; i++)
        fprintf(
            f, "  %5u %-9s %s\n", s->event_id,
            strncmp(s->channel, "Microsoft-Windows-TerminalServices-R", 36) == 0
                ? "RCM"
            : strncmp(s->channel, "Microsoft-Windows-Terminal", 26) == 0
                ? "LSM"
                : s->channel,
            s->doc);
    fputs("  (RCM, LSM: the TerminalServices RemoteConnectionManager and\n"
          "  LocalSessionManager Operational logs)\n"
          "\n"
          "Logon types: 2 interactive, 3 network, 4 batch, 5 service,\n"
          "7 unlock, 8 network cleartext, 9 new credentials, 10 remote\n"
          "interactive (RDP), 11 cached interactive.\n"
          "\n"
          "Options:\n",
          f);
    kz_cli_help_options(f, logons_opts, N_OPTS);
    kz_cli_help_common(f);
    fputs("\n"
          "Examples:\n"
          "  kizuki logons logs/                      table on a terminal\n"
          "  kizuki logons -o logons.csv logs/        CSV (formula-guarded)\n"
          "  kizuki logons --failed-only -f table Security.evtx\n"
          "  kizuki logons -q -o /dev/null --graph-json graph.json \\\n"
          "      --graphml graph.graphml logs/\n"
          "  kizuki logons --tz Asia/Tokyo --internal-nets 198.51.100.0/24 "
          "logs/\n"
          "\n"
          "The model, the ranking and the export schemas: docs/logons.md.\n"
          "\n",
          f);
    kz_cli_help_exit_codes(f);
}

static bool
ends_csv(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;

    return n >= 4 && strcasecmp(s + n - 4, ".csv") == 0;
}

int
kz_cli_logons_run(int argc, char **argv)
{
    kz_cli_common c;
    logons_args a;
    logons_ctx ctx;
    kz_logon_opts lo;
    kz_names *names = NULL;
    kz_read_stats stats;
    kz_error err;
    kz_status st;
    FILE *out = NULL;
    int first, rc, rc2;
    bool table;

    memset(&a, 0, sizeof(a));
    a.format = -1;
    kz_tz_parse("UTC", &a.tz, NULL);
    if ((rc = kz_cli_parse(argc, argv, &c, logons_opts, N_OPTS, on_option, &a,
                           &first)) != KZ_EXIT_OK)
        return rc;
    if (c.help) {
        kz_cli_logons_help(stdout);
        return KZ_EXIT_OK;
    }
    if (first >= argc) {
        kz_cli_msg("logons: no input paths (use - for standard input; see "
                   "'kizuki logons --help')");
        return KZ_EXIT_USAGE;
    }
    if (a.failed_only && a.success_only) {
        kz_cli_msg("logons: --failed-only and --success-only exclude each "
                   "other");
        return KZ_EXIT_USAGE;
    }
    kz_tz_activate(&a.tz);
    memset(&ctx, 0, sizeof(ctx));
    ctx.a = &a;
    ctx.ro.ansi_codepage = c.read.ansi_codepage;
    if ((names = kz_names_new()) == NULL)
        return KZ_EXIT_FATAL;
    kz_logon_facts_intern(&ctx.ids, names);
    kz_names_freeze(names);
    memset(&lo, 0, sizeof(lo));
    lo.max_rows = a.max_rows;
    lo.max_edges = a.max_edges;
    lo.internal_nets = a.nets;
    lo.ninternal_nets = a.nnets;
    if ((ctx.col = kz_logon_new(&lo)) == NULL) {
        rc = KZ_EXIT_FATAL;
        goto out;
    }
    table =
        a.format == 0 || (a.format < 0 && !ends_csv(c.output) &&
                          (c.output == NULL || strcmp(c.output, "-") == 0) &&
                          isatty(STDOUT_FILENO));
    kz_cli_progress_init(&ctx.pg, !c.quiet && !c.no_progress);
    c.read.names = names;
    c.read.on_worker = on_worker;
    c.read.on_batch = on_batch;
    c.read.on_problem = on_problem;
    c.read.on_progress = on_progress;
    c.read.free_user = free_found;
    c.read.ctx = &ctx;
    kz_error_clear(&err);
    st = kz_read_run((const char *const *)(argv + first),
                     (size_t)(argc - first), &c.read, &stats, &err);
    kz_cli_progress_clear(&ctx.pg);
    if (st == KZ_OK)
        st = kz_logon_finish(ctx.col);
    if (st != KZ_OK) {
        kz_cli_msg("logons: stopped: %s",
                   err.msg[0] != '\0' ? err.msg : kz_status_str(st));
        rc = KZ_EXIT_FATAL;
        goto out;
    }
    if ((out = kz_cli_output_open(c.output)) == NULL) {
        rc = KZ_EXIT_FATAL;
        goto out;
    }
    st = table ? write_table(out, ctx.col, &a.tz)
               : write_csv(out, ctx.col, &a.tz);
    rc2 = kz_cli_output_close(out, c.output);
    if (st != KZ_OK || rc2 != KZ_EXIT_OK) {
        if (rc2 == KZ_EXIT_OK)
            kz_cli_msg("logons: writing the summary failed");
        rc = KZ_EXIT_FATAL;
        goto out;
    }
    if (a.graph_json != NULL &&
        (rc = write_graph(ctx.col, a.graph_json, false, &a.tz)) != KZ_EXIT_OK)
        goto out;
    if (a.graphml != NULL &&
        (rc = write_graph(ctx.col, a.graphml, true, &a.tz)) != KZ_EXIT_OK)
        goto out;
    if (!c.quiet) {
        kz_cli_summary(stderr, &stats, kz_cli_progress_elapsed(&ctx.pg),
                       c.read.json.input_tz_min);
        print_summary(ctx.col);
    }
    rc = kz_cli_exit_code(&stats);
out:
    kz_logon_free(ctx.col);
    kz_names_free(names);
    return rc;
}
