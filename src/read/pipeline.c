/*
 * pipeline.c - kz_read_run: inputs -> units -> parallel parse -> batches
 * delivered in input order.
 *
 * The calling thread walks the sources, cuts units (format->next) into a
 * ring of slots, and delivers finished slots in ring order; pool threads
 * take queued slots in ring order and parse them. Because delivery follows
 * the ring, the output never depends on the thread count. Every slot is
 * one of: a unit to parse, a problem-only unit, or an end-of-input marker.
 * Memory is bounded by the ring (2 * threads + 2 slots, each one unit and
 * one batch arena).
 */
#include "read/read.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "read/dedup.h"
#include "read/format.h"
#include "read/json/json.h"
#include "read/source.h"

enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_RUNNING, SLOT_DONE };
enum slot_kind { SK_UNIT, SK_PROBLEMS, SK_END };

/* One input while any of its slots is in flight. */
typedef struct pfile {
    kz_input input;            /* copy with owned path */
    char *path;                /* owned display path */
    const kz_format *fmt;      /* its format */
    void *state;               /* format per-file state */
    uint64_t events;           /* events delivered */
    uint64_t dups;             /* events dropped as duplicates */
    uint64_t problems;         /* problems delivered */
} pfile;

typedef struct slot {
    enum slot_state state;     /* guarded by the pipeline mutex */
    enum slot_kind kind;       /* what to do with it */
    pfile *file;               /* owner input */
    kz_unit unit;              /* the unit (buffer reused) */
    kz_batch batch;            /* result (arena reused) */
    kz_status st;              /* parse status */
} slot;

typedef struct pipe {
    const kz_read_opts *o;     /* options */
    kz_read_stats *stats;      /* caller's stats */
    slot *slots;               /* ring */
    size_t nslots;             /* ring size */
    uint64_t submitted;        /* slots handed out so far */
    uint64_t taken;            /* slots taken by workers */
    uint64_t delivered;        /* slots delivered */
    pthread_mutex_t mu;        /* guards states and counters */
    pthread_cond_t work;       /* a slot was queued or stop was set */
    pthread_cond_t done;       /* a slot became DONE */
    pthread_t *threads;        /* pool */
    unsigned nthreads;         /* pool size (0 = inline) */
    int stop;                  /* workers exit */
    unsigned next_worker;      /* id of the next worker to start */
    kz_dedup *dedup;           /* NULL when off */
    bool failed;               /* a fatal error: deliver nothing more */
    kz_progress progress;      /* progress snapshot */
    struct timespec last_tick; /* last on_progress call */
} pipe_t;

/* Orders a unit's problems by offset (stable; no offset last), so they
 * read in file order whatever order the format found them in. */
static void
sort_problems(kz_problem_list *l)
{
    size_t i, j;

    for (i = 1; i < l->n; i++) {
        kz_problem x = l->items[i];

        for (j = i; j > 0 && l->items[j - 1].offset > x.offset; j--)
            l->items[j] = l->items[j - 1];
        l->items[j] = x;
    }
}

static void
run_slot(pipe_t *p, slot *s, unsigned worker)
{
    kz_batch *b = &s->batch;
    size_t i;

    s->st = KZ_OK;
    /* Problems found while cutting the unit come first. */
    for (i = 0; i < s->unit.problems.n && s->st == KZ_OK; i++) {
        const kz_problem *q = &s->unit.problems.items[i];

        s->st = kz_problem_add(&b->problems, &b->arena, q->kind, q->offset,
                               q->lost, q->chunk, q->line, "%s", q->msg);
    }
    if (s->st == KZ_OK && s->kind == SK_UNIT && s->unit.len != 0)
        s->st = s->file->fmt->parse(s->file->state, &s->unit, p->o, b);
    sort_problems(&b->problems);
    if (s->st == KZ_OK && s->kind == SK_UNIT && p->o->on_worker != NULL)
        s->st = p->o->on_worker(p->o->ctx, b, worker);
}

static void *
worker_main(void *arg)
{
    pipe_t *p = arg;
    unsigned worker;
    slot *s;

    pthread_mutex_lock(&p->mu);
    worker = p->next_worker++;
    for (;;) {
        while (!p->stop && p->taken == p->submitted)
            pthread_cond_wait(&p->work, &p->mu);
        if (p->stop && p->taken == p->submitted)
            break;
        s = &p->slots[p->taken % p->nslots];
        p->taken++;
        s->state = SLOT_RUNNING;
        pthread_mutex_unlock(&p->mu);
        run_slot(p, s, worker);
        pthread_mutex_lock(&p->mu);
        s->state = SLOT_DONE;
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void
tick(pipe_t *p, bool force)
{
    struct timespec now;
    long ms;

    if (p->o->on_progress == NULL)
        return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (now.tv_sec - p->last_tick.tv_sec) * 1000 +
         (now.tv_nsec - p->last_tick.tv_nsec) / 1000000;
    if (!force && ms < 200)
        return;
    p->last_tick = now;
    p->o->on_progress(p->o->ctx, &p->progress);
}

static void
count_problems(pipe_t *p, const kz_problem_list *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        const kz_problem *q = &l->items[i];

        if ((unsigned)q->kind < KZ_PROB_COUNT)
            p->stats->problems[q->kind]++;
        if (q->lost != 0) {
            p->stats->unreadable++;
            p->stats->unreadable_bytes += q->lost;
        }
    }
}

static void
free_file(pfile *f)
{
    if (f == NULL)
        return;
    if (f->fmt != NULL)
        f->fmt->close(f->state);
    free(f->path);
    free(f);
}

/* Delivers slot s (DONE) to the caller and frees it. */
static kz_status
deliver(pipe_t *p, slot *s)
{
    const kz_read_opts *o = p->o;
    kz_batch *b = &s->batch;
    pfile *f = s->file;
    kz_status st = s->st;
    size_t i;

    if (s->kind == SK_END) {
        if (st != KZ_OK || p->failed)
            goto end_input;
        p->stats->files++;
        p->progress.files_done++;
        if (f->events == 0 && f->problems == 0 && o->on_problem != NULL) {
            kz_problem q;

            memset(&q, 0, sizeof(q));
            q.kind = KZ_PROB_EMPTY;
            q.offset = KZ_NO_OFFSET;
            q.chunk = -1;
            if (f->dups != 0)
                snprintf(q.msg, sizeof(q.msg),
                         "%s %llu event%s duplicate%s earlier input "
                         "(--no-dedup keeps them)",
                         f->dups == 1 ? "its" : "all",
                         (unsigned long long)f->dups, f->dups == 1 ? "" : "s",
                         f->dups == 1 ? "s" : "");
            else
                snprintf(q.msg, sizeof(q.msg), "no events in this %s input",
                         f->fmt->name);
            p->stats->problems[KZ_PROB_EMPTY]++;
            o->on_problem(o->ctx, f->path, &q);
        }
        if (o->on_input_done != NULL)
            o->on_input_done(o->ctx, &f->input, f->events);
    end_input:
        if (p->progress.current == f->path)
            p->progress.current = NULL;
        free_file(f);
        goto out;
    }
    if (st != KZ_OK || p->failed)
        goto out;
    for (i = 0; i < b->nevents; i++) {
        kz_event *ev = &b->events[i];

        if (p->dedup != NULL && kz_dedup_seen(p->dedup, ev)) {
            ev->flags |= KZ_EV_DUPLICATE;
            p->stats->duplicates++;
            f->dups++;
            continue;
        }
        p->stats->events++;
        f->events++;
        if (ev->flags & KZ_EV_RECOVERED)
            p->stats->recovered++;
        if (ev->flags & KZ_EV_NO_TZ)
            p->stats->no_tz++;
    }
    p->stats->used_bytes += b->used_bytes;
    p->progress.events = p->stats->events;
    p->progress.bytes_done = p->stats->bytes;
    count_problems(p, &b->problems);
    f->problems += b->problems.n;
    if (o->on_batch != NULL)
        st = o->on_batch(o->ctx, b);
    tick(p, false);
out:
    if (st != KZ_OK)
        p->failed = true;
    if (b->user != NULL && o->free_user != NULL)
        o->free_user(o->ctx, b->user);
    b->user = NULL;
    b->events = NULL;
    b->nevents = 0;
    b->used_bytes = 0;
    b->recovered = 0;
    b->chunk_first_rid = 0;
    b->chunk_last_rid = 0;
    b->chunk_rid = KZ_CHUNK_RID_NONE;
    b->rid_foreign = 0;
    memset(&b->problems, 0, sizeof(b->problems));
    kz_arena_reset(&b->arena);
    memset(&s->unit.problems, 0, sizeof(s->unit.problems));
    kz_arena_reset(&s->unit.arena);
    s->state = SLOT_FREE;
    return st;
}

/* Delivers the oldest slot, waiting for it. */
static kz_status
deliver_oldest(pipe_t *p)
{
    slot *s = &p->slots[p->delivered % p->nslots];

    if (p->nthreads != 0) {
        pthread_mutex_lock(&p->mu);
        while (s->state != SLOT_DONE) {
            /* Rather than sleep, the calling thread parses a queued unit
             * itself: with -j N there are N - 1 pool threads, and this
             * thread is the N-th whenever the ring is full. */
            if (p->taken < p->submitted) {
                slot *t = &p->slots[p->taken % p->nslots];

                p->taken++;
                t->state = SLOT_RUNNING;
                pthread_mutex_unlock(&p->mu);
                run_slot(p, t, p->nthreads);
                pthread_mutex_lock(&p->mu);
                t->state = SLOT_DONE;
                pthread_cond_broadcast(&p->done);
                continue;
            }
            pthread_cond_wait(&p->done, &p->mu);
        }
        pthread_mutex_unlock(&p->mu);
    }
    p->delivered++;
    return deliver(p, s);
}

/* A free slot for the next submission (delivering the oldest if needed). */
static kz_status
acquire(pipe_t *p, slot **out)
{
    kz_status st;

    while (p->submitted - p->delivered >= p->nslots)
        if ((st = deliver_oldest(p)) != KZ_OK)
            return st;
    *out = &p->slots[p->submitted % p->nslots];
    return KZ_OK;
}

static kz_status
submit(pipe_t *p, slot *s, enum slot_kind kind, pfile *f)
{
    s->kind = kind;
    s->file = f;
    s->batch.input = &f->input;
    s->batch.seq = s->unit.index;
    if (p->nthreads == 0) {
        p->submitted++;
        run_slot(p, s, 0);
        s->state = SLOT_DONE;
        p->delivered++;
        return deliver(p, s);
    }
    pthread_mutex_lock(&p->mu);
    s->state = SLOT_QUEUED;
    p->submitted++;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->mu);
    return KZ_OK;
}

static kz_status
drain(pipe_t *p)
{
    kz_status st = KZ_OK, st2;

    while (p->delivered < p->submitted)
        if ((st2 = deliver_oldest(p)) != KZ_OK && st == KZ_OK)
            st = st2;
    return st;
}

static const kz_format *
format_of(kz_input_kind k)
{
    switch (k) {
    case KZ_INPUT_EVTX:
        return &kz_format_evtx;
    case KZ_INPUT_JSON:
        return &kz_format_json;
    default:
        return NULL;
    }
}

/* Reads one input: open, units, end marker. */
static kz_status
read_input(pipe_t *p, const kz_input *in, kz_stream *stream, kz_error *err)
{
    pfile *f = calloc(1, sizeof(*f));
    slot *s = NULL;
    kz_status st;
    kz_error serr;
    uint64_t before;

    if (f == NULL)
        return kz_error_set(err, KZ_ENOMEM, "out of memory");
    f->input = *in;
    if ((f->path = strdup(in->path ? in->path : "-")) == NULL) {
        free(f);
        return kz_error_set(err, KZ_ENOMEM, "out of memory");
    }
    f->input.path = f->path;
    f->fmt = format_of(in->kind);
    p->progress.current = f->path;
    if ((st = acquire(p, &s)) != KZ_OK)
        goto fail;
    kz_error_clear(&serr);
    s->unit.index = 0;
    s->unit.len = 0;
    s->unit.offset = 0;
    s->unit.first_line = 0;
    st = f->fmt->open(stream, &f->input, p->o, &f->state, &s->unit, &serr);
    if (st == KZ_ENOMEM)
        goto fail;
    if (st != KZ_OK) {
        /* The input cannot be read at all: report and end it. */
        kz_problem_add(&s->unit.problems, &s->unit.arena,
                       st == KZ_EIO ? KZ_PROB_IO : KZ_PROB_ARCHIVE,
                       serr.offset, 0, -1, 0, "%s", serr.msg);
        f->state = NULL;
    } else if (in->kind == KZ_INPUT_JSON) {
        f->input.shape = kz_json_shape_name(f->state);
    }
    before = kz_stream_offset(stream);
    p->stats->bytes += before;
    if ((st = submit(p, s, SK_PROBLEMS, f)) != KZ_OK)
        goto fail_submitted;
    while (f->state != NULL) {
        if ((st = acquire(p, &s)) != KZ_OK)
            goto fail_submitted;
        kz_error_clear(&serr);
        st = f->fmt->next(f->state, stream, &s->unit, &serr);
        p->stats->bytes += kz_stream_offset(stream) - before;
        before = kz_stream_offset(stream);
        if (st == KZ_ENOMEM)
            goto fail_submitted;
        if (st != KZ_OK) {
            /* A read error ends the input; what was cut so far counts. */
            s->unit.len = 0;
            kz_problem_add(&s->unit.problems, &s->unit.arena,
                           st == KZ_EIO ? KZ_PROB_IO : KZ_PROB_ARCHIVE,
                           serr.offset, 0, -1, 0, "%s", serr.msg);
            if ((st = submit(p, s, SK_PROBLEMS, f)) != KZ_OK)
                goto fail_submitted;
            break;
        }
        if (s->unit.len == 0 && s->unit.problems.n == 0)
            break;
        if ((st = submit(p, s, s->unit.len ? SK_UNIT : SK_PROBLEMS, f)) !=
            KZ_OK)
            goto fail_submitted;
    }
    if ((st = acquire(p, &s)) != KZ_OK)
        goto fail_submitted;
    s->unit.index = UINT64_MAX;
    s->unit.len = 0;
    return submit(p, s, SK_END, f);
fail:
    free_file(f);
    return kz_error_set(err, st, "%s", kz_status_str(st));
fail_submitted:
    /* Slots still reference f: drain them, then let the caller stop. The
     * end marker was not queued, so free f here. */
    drain(p);
    free_file(f);
    return kz_error_set(err, st, "%s", kz_status_str(st));
}

static void
report_source_problem(pipe_t *p, const char *path, const kz_problem *q)
{
    /* Keep order: everything before this problem is delivered first. */
    drain(p);
    if ((unsigned)q->kind < KZ_PROB_COUNT)
        p->stats->problems[q->kind]++;
    if (q->kind == KZ_PROB_UNSUPPORTED)
        p->stats->unsupported++;
    if (p->o->on_problem != NULL)
        p->o->on_problem(p->o->ctx, path, q);
}

static unsigned
cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n < 1 ? 1 : n > 256 ? 256 : (unsigned)n;
}

kz_status
kz_read_run(const char *const *paths, size_t npaths, const kz_read_opts *o,
            kz_read_stats *stats, kz_error *err)
{
    pipe_t p;
    kz_source *src = NULL;
    kz_status st = KZ_OK, st2;
    unsigned threads = o->threads ? o->threads : cores(), i;
    unsigned started = 0;
    size_t k;

    memset(&p, 0, sizeof(p));
    memset(stats, 0, sizeof(*stats));
    p.o = o;
    p.stats = stats;
    /* -j N: N - 1 pool threads plus the calling thread (deliver_oldest). */
    p.nthreads = threads <= 1 ? 0 : threads - 1;
    p.nslots = p.nthreads ? 2 * (size_t)threads + 2 : 1;
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.work, NULL);
    pthread_cond_init(&p.done, NULL);
    clock_gettime(CLOCK_MONOTONIC, &p.last_tick);
    if ((p.slots = calloc(p.nslots, sizeof(slot))) == NULL ||
        (p.nthreads &&
         (p.threads = calloc(p.nthreads, sizeof(pthread_t))) == NULL) ||
        (o->dedup && (p.dedup = kz_dedup_new()) == NULL) ||
        (src = kz_source_new(paths, npaths)) == NULL) {
        st = kz_error_set(err, KZ_ENOMEM, "out of memory");
        goto out;
    }
    for (k = 0; k < p.nslots; k++) {
        kz_arena_init(&p.slots[k].batch.arena, 256 * 1024, 0);
        kz_arena_init(&p.slots[k].unit.arena, 4096, 0);
    }
    for (i = 0; i < p.nthreads; i++) {
        if (pthread_create(&p.threads[i], NULL, worker_main, &p) != 0)
            break;
        started++;
    }
    if (p.nthreads != 0 && started == 0)
        p.nthreads = 0; /* no threads could start: run inline */
    p.progress.bytes_total = kz_source_total_bytes(src);
    for (;;) {
        kz_input in;
        kz_stream *stream = NULL;
        const char *ppath = NULL;
        kz_problem prob;
        bool have_prob = false, done = false;

        memset(&in, 0, sizeof(in));
        st = kz_source_next(src, &in, &stream, &ppath, &prob, &have_prob,
                            &done, err);
        if (st != KZ_OK)
            break;
        if (have_prob)
            report_source_problem(&p, ppath, &prob);
        if (done)
            break;
        if (stream == NULL)
            continue;
        if (format_of(in.kind) == NULL) {
            kz_stream_close(stream);
            continue;
        }
        st = read_input(&p, &in, stream, err);
        kz_stream_close(stream);
        if (st != KZ_OK)
            break;
    }
    st2 = drain(&p);
    if (p.dedup != NULL)
        stats->dedup_saturated = kz_dedup_saturated(p.dedup);
    if (st == KZ_OK && st2 != KZ_OK)
        st = kz_error_set(err, st2, "%s", kz_status_str(st2));
    tick(&p, true);
out:
    pthread_mutex_lock(&p.mu);
    p.stop = 1;
    pthread_cond_broadcast(&p.work);
    pthread_mutex_unlock(&p.mu);
    for (i = 0; i < started; i++)
        pthread_join(p.threads[i], NULL);
    if (p.slots != NULL) {
        for (k = 0; k < p.nslots; k++) {
            free(p.slots[k].unit.data);
            kz_arena_fini(&p.slots[k].unit.arena);
            kz_arena_fini(&p.slots[k].batch.arena);
        }
    }
    free(p.slots);
    free(p.threads);
    kz_dedup_free(p.dedup);
    kz_source_free(src);
    pthread_cond_destroy(&p.work);
    pthread_cond_destroy(&p.done);
    pthread_mutex_destroy(&p.mu);
    return st;
}
