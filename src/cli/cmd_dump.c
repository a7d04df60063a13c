/*
 * cmd_dump.c - `kizuki dump`: every event as one line of JSON.
 *
 * Rendering is the expensive part, so it runs on the pool threads
 * (on_worker renders a whole batch into one buffer and records where each
 * event's line ends); the calling thread then writes the buffers in input
 * order (on_batch), leaving out the lines of events dedup marked. The
 * output is therefore byte-identical for every -j.
 */
#include "cli/commands.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "cli/summary.h"
#include "write/dump_json.h"

/* Lines rendered by a worker for one batch (b->user). */
typedef struct rendered {
    kz_strbuf buf;          /* the JSON lines of all events */
    size_t *ends;           /* ends[i]: offset just past event i's line */
    size_t n;               /* events */
} rendered;

typedef struct dump_ctx {
    FILE *out;              /* output stream */
    kz_render_opts ro;      /* value rendering options */
    kz_cli_progress pg;     /* progress line */
    bool write_failed;      /* an fwrite failed: stop */
} dump_ctx;

static void
free_rendered(void *ctx, void *user)
{
    rendered *r = user;

    (void)ctx;
    if (r == NULL)
        return;
    kz_strbuf_fini(&r->buf);
    free(r->ends);
    free(r);
}

static kz_status
on_worker(void *vctx, kz_batch *b, unsigned worker)
{
    dump_ctx *ctx = vctx;
    rendered *r;
    kz_status st = KZ_OK;
    size_t i;

    (void)worker;
    if (b->nevents == 0)
        return KZ_OK;
    if ((r = calloc(1, sizeof(*r))) == NULL ||
        (r->ends = calloc(b->nevents, sizeof(*r->ends))) == NULL) {
        free(r);
        return KZ_ENOMEM;
    }
    kz_strbuf_init(&r->buf, 0);
    for (i = 0; i < b->nevents && st == KZ_OK; i++) {
        st = kz_dump_event(&r->buf, &b->events[i], &ctx->ro);
        r->ends[i] = r->buf.len;
    }
    r->n = b->nevents;
    if (st != KZ_OK) {
        free_rendered(NULL, r);
        return st;
    }
    b->user = r;
    return KZ_OK;
}

static kz_status
on_batch(void *vctx, kz_batch *b)
{
    dump_ctx *ctx = vctx;
    rendered *r = b->user;
    size_t i, run = 0, start = 0;

    for (i = 0; i < b->problems.n; i++) {
        kz_cli_progress_clear(&ctx->pg);
        kz_cli_problem(b->input != NULL ? b->input->path : NULL,
                       &b->problems.items[i]);
    }
    if (r == NULL)
        return KZ_OK;
    /* Write runs of kept lines with one fwrite each. */
    for (i = 0; i <= r->n; i++) {
        bool keep = i < r->n && !(b->events[i].flags & KZ_EV_DUPLICATE);
        size_t begin = i == 0 ? 0 : r->ends[i - 1];

        if (keep) {
            if (run == 0)
                start = begin;
            run = r->ends[i] - start;
            continue;
        }
        if (run > 0 && fwrite(r->buf.data + start, 1, run, ctx->out) != run)
            ctx->write_failed = true;
        run = 0;
    }
    return ctx->write_failed ? KZ_EIO : KZ_OK;
}

static void
on_problem(void *vctx, const char *path, const kz_problem *p)
{
    dump_ctx *ctx = vctx;

    kz_cli_progress_clear(&ctx->pg);
    kz_cli_problem(path, p);
}

static void
on_progress(void *vctx, const kz_progress *p)
{
    dump_ctx *ctx = vctx;

    kz_cli_progress_update(&ctx->pg, p);
}

void
kz_cli_dump_help(FILE *f)
{
    fputs("Usage: kizuki dump [options] PATH...\n"
          "\n"
          "Writes every event of the inputs as one line of JSON, in the\n"
          "layout of evtx_dump: {\"Event\":{\"System\":{...},\"EventData\":\n"
          "{...}}}. Events come in input order: arguments as given,\n"
          "directories in byte order of names, records in file order, so\n"
          "the output is the same for every thread count. Records seen\n"
          "before (same Computer, Channel, EventRecordID and TimeCreated)\n"
          "are dropped and counted unless --no-dedup. Records recovered\n"
          "from slack (--carve) carry \"kizuki\":{\"recovered\":true}.\n"
          "The layout and every value's rendering: docs/dump-format.md.\n"
          "\n"
          "PATH is a file, a directory (walked recursively; symbolic links\n"
          "inside are reported, not followed), or \"-\" for standard input.\n"
          "EVTX, JSON/JSONL, and gzip or zip archives of them are\n"
          "recognised by their contents.\n"
          "\n"
          "Options:\n",
          f);
    kz_cli_help_common(f);
    fputs("\n"
          "Examples:\n"
          "  kizuki dump Security.evtx > security.jsonl\n"
          "  kizuki dump -o all.jsonl C/Windows/System32/winevt/Logs/\n"
          "  kizuki dump --input-tz +09:00 export.json.gz\n"
          "  zcat logs.jsonl.gz | kizuki dump -q - | jq .Event.System.EventID\n"
          "\n",
          f);
    kz_cli_help_exit_codes(f);
}

int
kz_cli_dump_run(int argc, char **argv)
{
    kz_cli_common c;
    dump_ctx ctx;
    kz_read_stats stats;
    kz_error err;
    kz_status st;
    int first, rc, rc2;

    if ((rc = kz_cli_parse(argc, argv, &c, NULL, 0, NULL, NULL, &first)) !=
        KZ_EXIT_OK)
        return rc;
    if (c.help) {
        kz_cli_dump_help(stdout);
        return KZ_EXIT_OK;
    }
    if (first >= argc) {
        kz_cli_msg("dump: no input paths (use - for standard input; see "
                   "'kizuki dump --help')");
        return KZ_EXIT_USAGE;
    }
    memset(&ctx, 0, sizeof(ctx));
    ctx.ro.ansi_codepage = c.read.ansi_codepage;
    if ((ctx.out = kz_cli_output_open(c.output)) == NULL)
        return KZ_EXIT_FATAL;
    kz_cli_progress_init(&ctx.pg, !c.quiet && !c.no_progress);
    c.read.on_worker = on_worker;
    c.read.on_batch = on_batch;
    c.read.on_problem = on_problem;
    c.read.on_progress = on_progress;
    c.read.free_user = free_rendered;
    c.read.ctx = &ctx;
    kz_error_clear(&err);
    st = kz_read_run((const char *const *)(argv + first),
                     (size_t)(argc - first), &c.read, &stats, &err);
    kz_cli_progress_clear(&ctx.pg);
    rc2 = kz_cli_output_close(ctx.out, c.output);
    if (st != KZ_OK) {
        if (!ctx.write_failed)
            kz_cli_msg("dump: stopped: %s", err.msg[0] != '\0'
                                                ? err.msg
                                                : kz_status_str(st));
        else if (rc2 == KZ_EXIT_OK)
            kz_cli_msg("dump: writing the output failed");
        return KZ_EXIT_FATAL;
    }
    if (rc2 != KZ_EXIT_OK)
        return rc2;
    if (!c.quiet)
        kz_cli_summary(stderr, &stats, kz_cli_progress_elapsed(&ctx.pg),
                       c.read.json.input_tz_min);
    if (stats.files == 0 && !c.quiet) {
        bool any = false;

        for (int k = 0; k < KZ_PROB_COUNT; k++)
            any = any || stats.problems[k] > 0;
        if (!any)
            kz_cli_msg("dump: no input files were found");
    }
    return kz_cli_exit_code(&stats);
}
