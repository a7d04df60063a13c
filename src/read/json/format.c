/*
 * format.c - kz_format_json: JSON and JSON Lines files of Windows events
 * (docs/internals/json.md).
 *
 * open() detects the encoding, the layout (JSON Lines, or a "document":
 * an array or objects back to back) and the shape of the first record.
 * next() (calling thread) reads 1 MiB blocks and cuts them after the last
 * complete record: after the last line feed for JSON Lines, at the end of
 * the last complete span of the splitter (split.c) for documents; the rest
 * is carried to the next unit. It also enforces max_record, dropping an
 * oversized record or line while it streams past. parse() (pool threads)
 * copies the unit into the batch arena, cuts it the same way, tokenises
 * each record and maps it by its shape; malformed records become problems
 * with their offset and line and are skipped.
 *
 * Positions: JSON Lines events carry their line number; document events
 * their record ordinal (1-based), which next() passes to parse() through
 * a table indexed by unit number (written before the unit is handed out,
 * read-only afterwards).
 */
#include "read/json/json_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENT_PAGE 4096 /* units per page of the unit table */
#define ENT_TOP 4096  /* pages: 16M units */

/* What next() tells parse() about unit k besides the unit itself. */
typedef struct kz_jent {
    uint64_t ord;  /* document: records before the unit */
    kz_jresume at; /* document: scanner state at the unit's first byte */
    uint32_t nrec; /* records (document) or lines (JSON Lines) in the
                      unit, plus one: sizes the event array */
} kz_jent;

typedef struct kz_jfile {
    /* set by open(), read-only afterwards (parse() reads these) */
    int enc;               /* KZ_JENC_* */
    int layout;            /* KZ_JLAYOUT_* */
    kz_jshape shape;       /* shape of the first record */
    bool ecs_file;         /* first record ECS-only: reported in u0 */
    size_t max_record;     /* bound on one record or line */
    unsigned max_depth;    /* bound on nesting */
    size_t unit_bytes;     /* a unit ends at the first boundary past */
    size_t unit_records;   /* ... or after this many records (lines) */
    kz_jent *ent[ENT_TOP]; /* unit table, pages of ENT_PAGE (written by
                              next() before the unit leaves) */
    /* next() state (calling thread only) */
    kz_jin in;                 /* encoding and raw input */
    uint8_t *mem;              /* text buffer (malloc) */
    size_t cap;                /* allocated at mem (with padding) */
    uint8_t *buf;              /* text from the last cut on, in mem */
    size_t len;                /* bytes at buf */
    uint64_t buf_off;          /* input offset of buf[0] */
    uint64_t buf_line;         /* line number of buf[0] */
    uint64_t buf_ord;          /* document: records before buf[0] */
    kz_jresume at;             /* document: scanner state at buf[0] */
    kz_jsplit sp;              /* document: scanner over buf[0..scan) */
    size_t scan;               /* document: bytes scanned */
    size_t nl_scan;            /* lines: bytes searched for '\n' */
    size_t last_nl;            /* lines: offset after the last '\n', or 0 */
    uint64_t lines;            /* lines: '\n' in buf[0..last_nl) */
    bool skipping;             /* dropping an oversized record/line */
    kz_problem_kind skip_kind; /* what to report when it ends */
    kz_jspan_kind skip_span;   /* document: the kind of span dropped */
    uint64_t skip_off;         /* its input offset */
    uint64_t skip_line;        /* its line */
    uint64_t skip_lost;        /* input bytes dropped so far */
    bool tail_reported;        /* odd UTF-16 byte reported */
    uint64_t index;            /* next unit number */
} kz_jfile;

const char *
kz_json_shape_name(const void *file_state)
{
    const kz_jfile *f = file_state;

    return f != NULL ? kz_jshape_name(f->shape) : NULL;
}

const char *
kz_json_layout_name(const void *file_state)
{
    const kz_jfile *f = file_state;

    if (f == NULL)
        return NULL;
    return f->layout == KZ_JLAYOUT_LINES ? "lines" : "document";
}

const char *
kz_json_encoding_name(const void *file_state)
{
    const kz_jfile *f = file_state;

    if (f == NULL)
        return NULL;
    switch (f->enc) {
    case KZ_JENC_UTF16LE:
        return "utf-16le";
    case KZ_JENC_UTF16BE:
        return "utf-16be";
    default:
        return "utf-8";
    }
}

static bool
text_eof(const kz_jfile *f)
{
    return f->in.eof && f->in.raw_len == 0;
}

/* Appends a block of text to buf, first moving buf back to the start of
 * mem (units cut by their record bound leave it further on). */
static kz_status
read_more(kz_jfile *f, kz_stream *s, kz_error *err)
{
    size_t got = 0;
    kz_status st;

    if (f->buf != f->mem) {
        memmove(f->mem, f->buf, f->len + KZ_JSON_PAD);
        f->buf = f->mem;
    }
    st = kz_jin_read(&f->in, s, &f->mem, &f->len, &f->cap, &got, err);
    f->buf = f->mem;
    return st;
}

static uint64_t
count_nl(const uint8_t *p, size_t n)
{
    const uint8_t *e = p + n;
    uint64_t k = 0;

    while (p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
        k++;
        p++;
    }
    return k;
}

/* ---- open: encoding, layout, shape ------------------------------------ */

/* Shape of the record text[start..end), tokenised on a private copy so the
 * buffer next() will hand out stays untouched. */
static kz_jshape
sniff_shape(kz_jfile *f, const kz_read_opts *o, const uint8_t *text,
            size_t start, size_t end)
{
    kz_jshape shape = KZ_JSHAPE_NONE;
    size_t n = end - start, stop;
    kz_arena arena;
    kz_jlex lx;
    kz_jctx c;
    kz_event ev;
    char *copy;

    if ((copy = malloc(n + KZ_JSON_PAD)) == NULL)
        return KZ_JSHAPE_NONE;
    memcpy(copy, text + start, n);
    memset(copy + n, 0, KZ_JSON_PAD);
    kz_arena_init(&arena, 4096, 0);
    if (kz_jlex_init(&lx, f->max_depth) == KZ_OK &&
        kz_jlex_value(&lx, copy, 0, n, &stop) == KZ_OK) {
        memset(&c, 0, sizeof(c));
        memset(&ev, 0, sizeof(ev));
        c.arena = &arena;
        c.o = o;
        c.nodes = lx.nodes;
        c.nnodes = lx.n;
        c.ev = &ev;
        c.name_left = KZ_JSON_NAME_FACTOR * n + KZ_JSON_NAME_SLACK;
        shape = kz_jshape_detect(&c, &lx.nodes[0]);
    }
    kz_jlex_fini(&lx);
    kz_arena_fini(&arena);
    free(copy);
    return shape;
}

/* Reads until the first record is complete (or the file, or max_record,
 * ends), then decides the layout and the shape. */
static kz_status
sniff(kz_jfile *f, kz_stream *s, const kz_read_opts *o, kz_unit *u0,
      kz_error *err)
{
    kz_jsplit sp;
    kz_jspan span, first = {KZ_JSPAN_GARBAGE, 0, 0, 0};
    size_t pos, i, tries = 0;
    bool found = false;
    kz_status st;

    for (;;) {
        kz_jsplit_init(&sp);
        pos = 0;
        while (kz_jsplit_next(&sp, (const char *)f->buf, f->len, &pos, &span)) {
            if (span.kind == KZ_JSPAN_RECORD || span.kind == KZ_JSPAN_BROKEN) {
                if (!found)
                    first = span;
                found = true;
                if (f->shape == KZ_JSHAPE_NONE &&
                    span.kind == KZ_JSPAN_RECORD &&
                    span.end - span.start <= f->max_record)
                    f->shape = sniff_shape(f, o, f->buf, span.start, span.end);
                if (f->shape != KZ_JSHAPE_NONE || ++tries >= 16)
                    break;
            }
        }
        if (found || text_eof(f) || f->len > f->max_record)
            break;
        /* A read error is sticky: next() meets it again after handing out
         * what was read, so only a lack of memory fails here. */
        if ((st = read_more(f, s, err)) != KZ_OK) {
            if (st == KZ_ENOMEM)
                return st;
            kz_error_clear(err);
            break;
        }
    }
    f->layout = KZ_JLAYOUT_LINES;
    if (found) {
        /* JSON Lines: the first record is one line, alone on it, and not
         * inside an array. Anything else reads as a document. */
        i = first.end;
        while (i < f->len &&
               (f->buf[i] == ' ' || f->buf[i] == '\t' || f->buf[i] == '\r'))
            i++;
        if (first.kind != KZ_JSPAN_RECORD ||
            memchr(f->buf + first.start, '\n', first.end - first.start) ||
            memchr(f->buf, '[', first.start) ||
            (i < f->len && f->buf[i] != '\n'))
            f->layout = KZ_JLAYOUT_DOC;
    }
    if (f->shape == KZ_JSHAPE_ECS) {
        f->ecs_file = true;
        if ((st = kz_problem_add(
                 &u0->problems, &u0->arena, KZ_PROB_JSON_SHAPE,
                 f->buf_off + kz_jin_raw_bytes(f->enc, f->buf, first.start), 0,
                 -1, f->buf_line + first.nl,
                 "ECS-only events are not supported yet "
                 "(event.code without winlog.event_data): "
                 "such records of this file are skipped")) != KZ_OK)
            return st;
    }
    return KZ_OK;
}

static void json_close(void *file_state);

static kz_status
json_open(kz_stream *s, const kz_input *in, const kz_read_opts *o,
          void **file_state, kz_unit *u0, kz_error *err)
{
    kz_jfile *f;
    size_t bom = 0;
    kz_status st;

    (void)in;
    *file_state = NULL;
    if ((f = calloc(1, sizeof(*f))) == NULL)
        return kz_error_set(err, KZ_ENOMEM, "json: out of memory");
    f->max_record =
        o->json.max_record ? o->json.max_record : KZ_JSON_MAX_RECORD_DEFAULT;
    if (f->max_record > KZ_JSON_MAX_RECORD_CAP)
        f->max_record = KZ_JSON_MAX_RECORD_CAP;
    f->max_depth =
        o->json.max_depth ? o->json.max_depth : KZ_JSON_MAX_DEPTH_DEFAULT;
    if (f->max_depth > KZ_JSON_MAX_DEPTH_CAP)
        f->max_depth = KZ_JSON_MAX_DEPTH_CAP;
    f->unit_bytes = KZ_JSON_BLOCK;
    f->unit_records = KZ_JSON_UNIT_RECORDS;
    kz_jsplit_init(&f->sp);
    f->buf_line = 1;
    st = kz_jin_start(&f->in, s, &f->mem, &f->len, &f->cap, &bom, err);
    f->buf = f->mem;
    if (st != KZ_OK)
        goto out;
    f->enc = f->in.enc;
    f->buf_off = bom;
    if ((st = sniff(f, s, o, u0, err)) != KZ_OK)
        goto out;
    *file_state = f;
    f = NULL;
out:
    if (st == KZ_ENOMEM)
        kz_error_set(err, KZ_ENOMEM, "json: out of memory");
    json_close(f);
    return st;
}

/* ---- next: units of whole records ------------------------------------- */

static kz_status
ent_set(kz_jfile *f, uint64_t index, const kz_jent *e)
{
    uint64_t top = index / ENT_PAGE;

    if (top >= ENT_TOP)
        return KZ_OK; /* positions saturate past 16M units */
    if (f->ent[top] == NULL &&
        (f->ent[top] = calloc(ENT_PAGE, sizeof(kz_jent))) == NULL)
        return KZ_ENOMEM;
    f->ent[top][index % ENT_PAGE] = *e;
    return KZ_OK;
}

static void
ent_get(const kz_jfile *f, uint64_t index, kz_jent *e)
{
    uint64_t top = index / ENT_PAGE;

    if (top >= ENT_TOP || f->ent[top] == NULL) {
        memset(e, 0, sizeof(*e));
        e->at.col0 = -1;
        return;
    }
    *e = f->ent[top][index % ENT_PAGE];
}

void
kz_json_set_unit_bounds(void *file_state, size_t bytes, size_t records)
{
    kz_jfile *f = file_state;

    f->unit_bytes = bytes ? bytes : KZ_JSON_BLOCK;
    f->unit_records = records ? records : KZ_JSON_UNIT_RECORDS;
}

/* Scans what was read since the last call and returns the cut: the first
 * boundary that completes a unit (*full: unit_bytes or unit_records
 * reached; nothing after it is scanned), else the last clean boundary. */
static size_t
find_cut(kz_jfile *f, bool *full)
{
    kz_jspan span;
    const uint8_t *p;

    *full = false;
    if (f->layout == KZ_JLAYOUT_LINES) {
        while (f->nl_scan < f->len) {
            p = memchr(f->buf + f->nl_scan, '\n', f->len - f->nl_scan);
            if (p == NULL)
                break;
            f->last_nl = (size_t)(p - f->buf) + 1;
            f->nl_scan = f->last_nl;
            f->lines++;
            if (f->lines >= f->unit_records || f->last_nl >= f->unit_bytes) {
                *full = true;
                return f->last_nl;
            }
        }
        f->nl_scan = f->len;
        return f->last_nl;
    }
    while (
        kz_jsplit_next(&f->sp, (const char *)f->buf, f->len, &f->scan, &span)) {
        if (f->sp.records >= f->unit_records || span.end >= f->unit_bytes) {
            *full = true;
            return span.end;
        }
    }
    return kz_jsplit_at_level(&f->sp) ? f->len : f->sp.span_start;
}

/* Restarts the scan of buf from its first byte (in the state f->at). */
static void
rescan(kz_jfile *f)
{
    kz_jsplit_resume(&f->sp, &f->at);
    f->scan = 0;
    f->nl_scan = 0;
    f->last_nl = 0;
    f->lines = 0;
}

/* Hands buf[0..cut) out as u and keeps the rest for the next unit. cut
 * is what find_cut() returned (or len once everything is scanned). */
static kz_status
emit(kz_jfile *f, kz_unit *u, size_t cut)
{
    uint8_t *old = u->data;
    size_t oldcap = u->cap, carry = f->len - cut;
    uint64_t nl, recs = 0;
    kz_jresume at = f->at;
    bool pending;
    kz_jent e;
    kz_status st;

    e.ord = f->buf_ord;
    e.at = f->at;
    if (f->layout == KZ_JLAYOUT_LINES) {
        nl = f->lines; /* the bytes after the last '\n' hold none */
        e.nrec = (uint32_t)(nl < UINT32_MAX - 1 ? nl + 1 : UINT32_MAX);
    } else {
        pending = !kz_jsplit_at_level(&f->sp) && cut == f->sp.span_start;
        nl = pending ? f->sp.span_nl : f->sp.nl;
        recs = f->sp.records;
        e.nrec = (uint32_t)(recs < UINT32_MAX - 1 ? recs + 1 : UINT32_MAX);
        kz_jsplit_cut_state(&f->sp, (const char *)f->buf, cut, &at);
    }
    if ((st = ent_set(f, f->index, &e)) != KZ_OK)
        return st;
    u->offset = f->buf_off;
    u->first_line = f->buf_line;
    u->index = f->index++;
    if (f->buf == f->mem && carry <= cut) {
        /* The usual case: hand the buffer over, keep the short rest. */
        u->data = f->mem;
        u->len = cut;
        u->cap = f->cap;
        f->mem = f->buf = old;
        f->cap = old != NULL ? oldcap : 0;
        f->len = 0;
        if ((st = kz_jbuf_reserve(&f->mem, &f->cap, carry)) != KZ_OK)
            return st;
        f->buf = f->mem;
        memcpy(f->buf, u->data + cut, carry);
        memset(f->buf + carry, 0, KZ_JSON_PAD);
    } else {
        /* A unit cut by its record bound, shorter than what follows it:
         * copy it out and move buf on, so that cutting many units from
         * one block costs one copy of the block, not one per unit. */
        if ((st = kz_jbuf_reserve(&u->data, &u->cap, cut)) != KZ_OK)
            return st;
        memcpy(u->data, f->buf, cut);
        u->len = cut;
        f->buf += cut; /* the padding after len stays */
    }
    f->len = carry;
    f->buf_off += kz_jin_raw_bytes(f->enc, u->data, cut);
    f->buf_line += nl;
    f->buf_ord += recs;
    f->at = at;
    rescan(f);
    return KZ_OK;
}

/* Drops buf[0..n), which held nl line feeds. */
static void
drop(kz_jfile *f, size_t n, uint64_t nl)
{
    uint64_t raw = kz_jin_raw_bytes(f->enc, f->buf, n);

    f->skip_lost += raw;
    f->buf_off += raw;
    f->buf_line += nl;
    memmove(f->buf, f->buf + n, f->len - n);
    f->len -= n;
    memset(f->buf + f->len, 0, KZ_JSON_PAD);
}

static kz_status
skip_report(kz_jfile *f, kz_unit *u)
{
    f->skipping = false;
    rescan(f);
    if (f->skip_kind == KZ_PROB_JSON_LIMIT)
        return kz_problem_add(&u->problems, &u->arena, KZ_PROB_JSON_LIMIT,
                              f->skip_off, f->skip_lost, -1, f->skip_line,
                              "%s longer than %zu bytes (max_record): "
                              "skipped",
                              f->layout == KZ_JLAYOUT_LINES ? "line" : "record",
                              f->max_record);
    /* Worded as parse() words the same span when it fits in a unit. */
    if (f->skip_span == KZ_JSPAN_SKIPPED)
        return kz_problem_add(&u->problems, &u->arena, KZ_PROB_JSON_SYNTAX,
                              f->skip_off, f->skip_lost, -1, f->skip_line,
                              "%llu bytes skipped to resynchronise after "
                              "a broken record",
                              (unsigned long long)f->skip_lost);
    return kz_problem_add(&u->problems, &u->arena, KZ_PROB_JSON_SYNTAX,
                          f->skip_off, f->skip_lost, -1, f->skip_line,
                          "expected a JSON object: rest of the line skipped");
}

/* The span in progress at buf[0] is longer than max_record: start
 * dropping it as it streams past. */
static void
skip_begin(kz_jfile *f)
{
    f->skipping = true;
    f->skip_kind = KZ_PROB_JSON_LIMIT;
    f->skip_span = KZ_JSPAN_RECORD;
    if (f->layout == KZ_JLAYOUT_DOC)
        f->skip_span = kz_jsplit_pending_kind(&f->sp);
    if (f->skip_span != KZ_JSPAN_RECORD)
        f->skip_kind = KZ_PROB_JSON_SYNTAX;
    f->skip_off = f->buf_off;
    f->skip_line = f->buf_line;
    f->skip_lost = 0;
}

/* One step of dropping; sets *done when the oversized span has ended. */
static void
skip_step(kz_jfile *f, bool *done)
{
    kz_jspan span;
    kz_jresume at;
    const uint8_t *p;
    uint64_t nl;

    *done = false;
    if (f->layout == KZ_JLAYOUT_LINES) {
        if ((p = memchr(f->buf, '\n', f->len)) != NULL) {
            drop(f, (size_t)(p - f->buf), 0);
            *done = true;
        } else {
            drop(f, f->len, 0);
        }
        return;
    }
    if (kz_jsplit_next(&f->sp, (const char *)f->buf, f->len, &f->scan, &span)) {
        nl = f->sp.nl;
        /* What follows starts where the span left the scanner: at level,
         * or resynchronising after a broken record. */
        kz_jsplit_cut_state(&f->sp, (const char *)f->buf, span.end, &f->at);
        drop(f, span.end, nl);
        if (span.kind == KZ_JSPAN_RECORD || span.kind == KZ_JSPAN_BROKEN)
            f->buf_ord++; /* the dropped record keeps its ordinal */
        *done = true;
        return;
    }
    nl = f->sp.nl;
    kz_jsplit_cut_state(&f->sp, (const char *)f->buf, f->len, &at);
    drop(f, f->len, nl);
    /* The scanner keeps its state; its offsets restart at the new buf. */
    f->sp.nl = 0;
    f->sp.span_nl = 0;
    f->sp.span_start = 0;
    f->sp.col0 = at.col0;
    f->scan = 0;
}

static kz_status
json_next(void *file_state, kz_stream *s, kz_unit *u, kz_error *err)
{
    kz_jfile *f = file_state;
    size_t cut;
    bool done, full, read_failed = false;
    kz_status st;

    for (;;) {
        if (f->skipping) {
            skip_step(f, &done);
            if (done || (f->len == 0 && text_eof(f))) {
                if ((st = skip_report(f, u)) != KZ_OK)
                    return st;
                continue;
            }
            if ((st = read_more(f, s, err)) != KZ_OK)
                return st;
            continue;
        }
        if (read_failed) {
            /* Hand out what was read; the error comes with the next call
             * (stream errors are sticky). */
            kz_error_clear(err);
            cut = find_cut(f, &full);
            /* The scanner must cover every byte of what is handed out. */
            return emit(f, u, full ? cut : f->len);
        }
        cut = find_cut(f, &full);
        if (full || (cut > 0 && (f->len >= f->unit_bytes || text_eof(f))))
            return emit(f, u, cut);
        if (text_eof(f)) {
            if (f->len > 0)
                return emit(f, u, f->len);
            break;
        }
        if (cut == 0 && f->len > f->max_record) {
            skip_begin(f);
            continue;
        }
        if ((st = read_more(f, s, err)) != KZ_OK) {
            if (st == KZ_ENOMEM || f->len == 0)
                return st;
            read_failed = true;
        }
    }
    /* End of input. */
    if (f->in.odd_tail && !f->tail_reported) {
        f->tail_reported = true;
        if ((st = kz_problem_add(&u->problems, &u->arena, KZ_PROB_JSON_SYNTAX,
                                 f->buf_off, 1, -1, f->buf_line,
                                 "UTF-16 input ends with an odd byte")) !=
            KZ_OK)
            return st;
    }
    free(u->data);
    u->data = NULL;
    u->len = u->cap = 0;
    u->offset = f->buf_off;
    u->first_line = f->buf_line;
    u->index = f->index;
    return KZ_OK;
}

/* ---- parse: records to events ----------------------------------------- */

typedef struct pstate {
    const kz_jfile *f; /* file state */
    const kz_unit *u;  /* the unit */
    kz_batch *b;       /* the batch filled */
    kz_jent e;         /* what next() said about the unit */
    char *text;        /* copy of the unit in b->arena, padded */
    size_t len;        /* bytes at text */
    kz_jlex lx;        /* tokens of the current record */
    kz_jctx c;         /* event builder */
    kz_event *events;  /* events so far (b->arena) */
    size_t nev;        /* count */
    size_t evcap;      /* allocated */
    size_t off_pos;    /* in_off() cursor: a text offset... */
    uint64_t off_raw;  /* ... and the input bytes before it */
    uint64_t ecs;      /* ECS-only records skipped */
    uint64_t ecs_lost; /* their bytes */
    uint64_t ecs_pos;  /* buffer offset of the first one */
    uint64_t ecs_line; /* its line */
} pstate;

/* Input bytes of text[start..end) (UTF-16 counts its code units). */
static uint64_t
in_len(const pstate *ps, size_t start, size_t end)
{
    return kz_jin_raw_bytes(ps->f->enc, (const uint8_t *)ps->text + start,
                            end - start);
}

/* Input offset of text[pos]. Problems come nearly in text order, so a
 * cursor moved from the last position keeps UTF-16 input from being
 * recounted from the unit start for each one (in_len() is a sum over
 * bytes, so moving back subtracts exactly). */
static uint64_t
in_off(pstate *ps, size_t pos)
{
    if (pos >= ps->off_pos)
        ps->off_raw += in_len(ps, ps->off_pos, pos);
    else
        ps->off_raw -= in_len(ps, pos, ps->off_pos);
    ps->off_pos = pos;
    return ps->u->offset + ps->off_raw;
}

/* Reports text[start..end) as skipped: the problem's range is exactly
 * those bytes (offset of start, lost = their input bytes); line is the
 * line of start. */
static kz_status skipped(pstate *ps, kz_problem_kind kind, size_t start,
                         size_t end, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static kz_status
skipped(pstate *ps, kz_problem_kind kind, size_t start, size_t end,
        uint64_t line, const char *fmt, ...)
{
    char msg[sizeof(((kz_problem *)0)->msg)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return kz_problem_add(&ps->b->problems, &ps->b->arena, kind,
                          in_off(ps, start), in_len(ps, start, end), -1, line,
                          "%s", msg);
}

/* A malformed record at text[start..end) (line: the line of start), the
 * fault at text[at]: the problem covers the record, the message says
 * where the fault is. */
static kz_status
report(pstate *ps, kz_problem_kind kind, size_t start, size_t end,
       uint64_t line, size_t at, const char *what)
{
    uint64_t at_off = in_off(ps, at);
    uint64_t at_line =
        line + count_nl((const uint8_t *)ps->text + start, at - start);

    return skipped(ps, kind, start, end, line,
                   "%s at offset 0x%llx (line %llu): record skipped", what,
                   (unsigned long long)at_off, (unsigned long long)at_line);
}

/* Appends an event. The array lives in the batch arena, sized from
 * next()'s count of records (or lines) in the unit, so it is normally
 * allocated once and never copied; more records than lines (several on
 * a line) grow it. */
static kz_status
push_event(pstate *ps, const kz_event *ev)
{
    kz_event *p;
    size_t cap;

    if (ps->nev == ps->evcap) {
        cap = ps->evcap ? ps->evcap * 2 : 16;
        if (cap > SIZE_MAX / sizeof(*p) ||
            (p = kz_arena_alloc(&ps->b->arena, cap * sizeof(*p))) == NULL)
            return KZ_ENOMEM;
        if (ps->nev > 0)
            memcpy(p, ps->events, ps->nev * sizeof(*p));
        ps->events = p;
        ps->evcap = cap;
    }
    ps->events[ps->nev++] = *ev;
    return KZ_OK;
}

/* Tokenises and maps the record at text[start] (ending by end, the line
 * or span end). *stop gets where the record ended, or end if it was
 * malformed or refused (reported). line: the line of start. */
static kz_status
record(pstate *ps, size_t start, size_t end, uint64_t line, uint64_t position,
       size_t *stop)
{
    kz_event ev;
    kz_jnode *root;
    kz_field *fields;
    kz_jshape shape;
    kz_status st;

    *stop = end;
    st = kz_jlex_value(&ps->lx, ps->text, start, end, stop);
    if (st == KZ_ENOMEM)
        return st;
    if (st != KZ_OK) {
        *stop = end;
        return report(
            ps, st == KZ_ELIMIT ? KZ_PROB_JSON_LIMIT : KZ_PROB_JSON_SYNTAX,
            start, end, line, ps->lx.err_pos, ps->lx.err);
    }
    memset(&ev, 0, sizeof(ev));
    ev.time = KZ_TIME_NONE;
    ev.written = KZ_TIME_NONE;
    ev.position = position;
    ps->c.nodes = ps->lx.nodes;
    ps->c.nnodes = ps->lx.n;
    ps->c.ev = &ev;
    ps->c.nfields = 0;
    ps->c.name_left =
        KZ_JSON_NAME_FACTOR * (*stop - start) + KZ_JSON_NAME_SLACK;
    root = &ps->lx.nodes[0];
    shape = kz_jshape_detect(&ps->c, root);
    switch (shape) {
    case KZ_JSHAPE_EVTX:
        st = kz_jmap_evtx(&ps->c, root);
        break;
    case KZ_JSHAPE_BEAT:
        st = kz_jmap_beat(&ps->c, root);
        break;
    case KZ_JSHAPE_BEAT6:
        st = kz_jmap_beat6(&ps->c, root);
        break;
    case KZ_JSHAPE_NXLOG:
        st = kz_jmap_nxlog(&ps->c, root);
        break;
    case KZ_JSHAPE_ECS:
        if (ps->ecs++ == 0) {
            ps->ecs_pos = start;
            ps->ecs_line = line;
        }
        ps->ecs_lost += in_len(ps, start, *stop);
        return KZ_OK;
    default:
        st = kz_jmap_flat(&ps->c, root);
        break;
    }
    if (st == KZ_ELIMIT)
        return skipped(ps, KZ_PROB_JSON_LIMIT, start, *stop, line,
                       "field names built from nested keys need more than "
                       "%zu bytes (%zu x the record + %zu): record skipped",
                       KZ_JSON_NAME_FACTOR * (*stop - start) +
                           KZ_JSON_NAME_SLACK,
                       KZ_JSON_NAME_FACTOR, KZ_JSON_NAME_SLACK);
    if (st != KZ_OK)
        return st;
    if (ps->c.nfields > 0) {
        fields = kz_arena_alloc(&ps->b->arena, ps->c.nfields * sizeof(*fields));
        if (fields == NULL)
            return KZ_ENOMEM;
        memcpy(fields, ps->c.fields, ps->c.nfields * sizeof(*fields));
        ev.fields = fields;
        ev.nfields = ps->c.nfields;
    }
    ps->b->used_bytes += *stop - start;
    return push_event(ps, &ev);
}

static bool
level_byte(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == ',' || c == '[' ||
           c == ']';
}

static kz_status
parse_lines(pstate *ps)
{
    const size_t max_events =
        KZ_JSON_UNIT_EVENTS_MAX / KZ_JSON_UNIT_RECORDS * ps->f->unit_records;
    size_t pos = 0, eol, p, stop, first;
    uint64_t line = ps->u->first_line;
    const char *nl;
    kz_status st;

    while (pos < ps->len) {
        nl = memchr(ps->text + pos, '\n', ps->len - pos);
        eol = nl != NULL ? (size_t)(nl - ps->text) : ps->len;
        if (eol - pos > ps->f->max_record) {
            if ((st = skipped(ps, KZ_PROB_JSON_LIMIT, pos, eol, line,
                              "line longer than %zu bytes "
                              "(max_record): skipped",
                              ps->f->max_record)) != KZ_OK)
                return st;
            p = eol;
        } else {
            p = pos;
        }
        first = SIZE_MAX;
        while (p < eol) {
            while (p < eol && level_byte(ps->text[p]))
                p++;
            if (p >= eol)
                break;
            if (ps->text[p] != '{') {
                if ((st = skipped(ps, KZ_PROB_JSON_SYNTAX, p, eol, line,
                                  "expected a JSON object: rest of the "
                                  "line skipped")) != KZ_OK)
                    return st;
                break;
            }
            if (p > first && ps->nev >= max_events) {
                /* Only lines holding several records get here. Each line
                 * still gives its first record, so events stay below
                 * max_events + unit_records. */
                if ((st = skipped(ps, KZ_PROB_JSON_LIMIT, p, eol, line,
                                  "more than %zu records in one unit "
                                  "(lines holding several records): rest "
                                  "of the line skipped",
                                  max_events)) != KZ_OK)
                    return st;
                break;
            }
            if ((st = record(ps, p, eol, line, line, &stop)) != KZ_OK)
                return st;
            if (first == SIZE_MAX)
                first = p;
            p = stop;
        }
        pos = eol + 1;
        line++;
    }
    return KZ_OK;
}

static kz_status
parse_doc(pstate *ps)
{
    const uint64_t first = ps->u->first_line;
    uint64_t ord = ps->e.ord;
    kz_jsplit sp;
    kz_jspan span;
    size_t pos = 0, stop;
    kz_status st = KZ_OK;
    bool more = true;

    kz_jsplit_resume(&sp, &ps->e.at);
    while (more) {
        if (!kz_jsplit_next(&sp, ps->text, ps->len, &pos, &span)) {
            /* A span cut by the end of the unit: the end of the input, a
             * read error, the line break that breaks a record, or the
             * lines skipped before a record of the next unit. */
            if (!kz_jsplit_finish(&sp, ps->len, &span))
                break;
            more = false;
        }
        switch (span.kind) {
        case KZ_JSPAN_RECORD:
        case KZ_JSPAN_BROKEN:
            ord++;
            if (span.end - span.start > ps->f->max_record)
                st = skipped(ps, KZ_PROB_JSON_LIMIT, span.start, span.end,
                             first + span.nl,
                             "record longer than %zu bytes "
                             "(max_record): skipped",
                             ps->f->max_record);
            else
                st = record(ps, span.start, span.end, first + span.nl, ord,
                            &stop);
            break;
        case KZ_JSPAN_GARBAGE:
            st = skipped(ps, KZ_PROB_JSON_SYNTAX, span.start, span.end,
                         first + span.nl,
                         "expected a JSON object: rest of the line skipped");
            break;
        case KZ_JSPAN_SKIPPED:
            st = skipped(ps, KZ_PROB_JSON_SYNTAX, span.start, span.end,
                         first + span.nl,
                         "%llu bytes skipped to resynchronise after "
                         "a broken record",
                         (unsigned long long)in_len(ps, span.start, span.end));
            break;
        }
        if (st != KZ_OK)
            return st;
    }
    return KZ_OK;
}

static kz_status
json_parse(const void *file_state, const kz_unit *u, const kz_read_opts *o,
           kz_batch *b)
{
    pstate ps;
    kz_status st;

    b->events = NULL;
    b->nevents = 0;
    if (u->data == NULL || u->len == 0)
        return KZ_OK;
    memset(&ps, 0, sizeof(ps));
    ps.f = file_state;
    ps.u = u;
    ps.b = b;
    ps.len = u->len;
    ent_get(ps.f, u->index, &ps.e);
    if ((ps.text = kz_arena_alloc(&b->arena, u->len + KZ_JSON_PAD)) == NULL)
        return KZ_ENOMEM;
    memcpy(ps.text, u->data, u->len);
    memset(ps.text + u->len, 0, KZ_JSON_PAD);
    if (ps.e.nrec > 0) {
        ps.evcap = ps.e.nrec;
        ps.events = kz_arena_alloc(&b->arena, ps.evcap * sizeof(kz_event));
        if (ps.events == NULL)
            return KZ_ENOMEM;
    }
    if ((st = kz_jlex_init(&ps.lx, ps.f->max_depth)) != KZ_OK)
        goto out;
    ps.c.arena = &b->arena;
    ps.c.o = o;
    if (ps.f->layout == KZ_JLAYOUT_LINES)
        st = parse_lines(&ps);
    else
        st = parse_doc(&ps);
    if (st != KZ_OK)
        goto out;
    if (ps.ecs > 0 && !ps.f->ecs_file &&
        (st = kz_problem_add(&b->problems, &b->arena, KZ_PROB_JSON_SHAPE,
                             in_off(&ps, ps.ecs_pos), ps.ecs_lost, -1,
                             ps.ecs_line,
                             "ECS-only events are not supported yet: %llu "
                             "record(s) skipped",
                             (unsigned long long)ps.ecs)) != KZ_OK)
        goto out;
    b->events = ps.nev > 0 ? ps.events : NULL;
    b->nevents = ps.nev;
out:
    free(ps.c.fields);
    kz_jlex_fini(&ps.lx);
    return st;
}

static void
json_close(void *file_state)
{
    kz_jfile *f = file_state;
    size_t i;

    if (f == NULL)
        return;
    for (i = 0; i < ENT_TOP; i++)
        free(f->ent[i]);
    kz_jin_fini(&f->in);
    free(f->mem);
    free(f);
}

const kz_format kz_format_json = {
    "json", json_open, json_next, json_parse, json_close,
};
