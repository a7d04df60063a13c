/*
 * chunk.c - one 64 KiB chunk: header checks, record framing, resync after
 * damage, carving of slack space.
 *
 * Checksums are evidence, not gates: a mismatch is reported and the
 * records are still read, each validated on its own (signature, size
 * inside the chunk, trailing size copy). A damaged record is reported with
 * its offset and the parser resumes at the next valid record signature.
 */
#include "read/evtx/evtx_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crc32.h"
#include "base/rd.h"

static const uint8_t rec_magic[4] = { 0x2a, 0x2a, 0x00, 0x00 };

typedef struct cstate {
    xchunk c;               /* parse context */
    kz_batch *b;            /* output */
    kz_event *events;       /* growing event vector */
    size_t nevents, cap;    /* used / allocated */
    uint64_t carve_failed;  /* slack fragments that did not parse */
    /* A run of adjacent records that failed for the same reason is one
     * problem: the run being built. */
    size_t run_index;       /* index of its problem, or SIZE_MAX */
    uint64_t run_first;     /* first record id */
    uint64_t run_count;     /* records in the run */
    const char *run_why;    /* reason shared by the run */
    size_t trunc_index;     /* problem of a truncated chunk, or SIZE_MAX */
} cstate;

static uint32_t
crc(const uint8_t *p, size_t n)
{
    return kz_crc32(p, n);
}

static bool
all_zero(const uint8_t *p, size_t n)
{
    /* p[0] is 0 and every byte equals the one before it: all zero. The
     * overlapping memcmp runs at memory speed (preallocated logs are
     * mostly zero chunks). */
    return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* True if a record with valid framing starts at pos and ends by limit. */
static bool
framed(const uint8_t *base, size_t pos, size_t limit, uint32_t *size)
{
    uint32_t n;

    if (pos + 28 > limit || memcmp(base + pos, rec_magic, 4) != 0)
        return false;
    n = kz_le32(base + pos + 4);
    if (n < 28 || n > limit - pos || kz_le32(base + pos + n - 4) != n)
        return false;
    *size = n;
    return true;
}

/* Next offset >= from where a framed record starts, or limit. */
static size_t
resync(const uint8_t *base, size_t from, size_t limit)
{
    uint32_t n;
    size_t pos = from;

    while (pos + 28 <= limit) {
        const uint8_t *hit = memchr(base + pos, 0x2a, limit - pos);

        if (hit == NULL)
            break;
        pos = (size_t)(hit - base);
        if (framed(base, pos, limit, &n))
            return pos;
        pos++;
    }
    return limit;
}

#define PROBLEM(s, kind, at, lost, ...)                                     \
    kz_problem_add(&(s)->b->problems, &(s)->b->arena, (kind),              \
                   (s)->c.file_off + (at), (lost), (int64_t)(s)->c.chunk_no, \
                   0, __VA_ARGS__)

/* Reports a record whose content does not parse; joins it to the run of
 * the previous problem when that one is adjacent and has the same reason,
 * so a damaged area is one problem, not hundreds. */
static kz_status
content_problem(cstate *s, size_t pos, uint32_t size, uint64_t id,
                const char *why, size_t why_off)
{
    kz_problem_list *l = &s->b->problems;
    kz_problem *p;

    if (s->run_index != SIZE_MAX && s->run_index == l->n - 1 &&
        s->run_why == why) {
        p = &l->items[s->run_index];
        if (p->offset + p->lost == s->c.file_off + pos) {
            p->lost += size;
            s->run_count++;
            snprintf(p->msg, sizeof(p->msg),
                     "records %llu..%llu (%llu records): %s",
                     (unsigned long long)s->run_first,
                     (unsigned long long)id,
                     (unsigned long long)s->run_count, why);
            return KZ_OK;
        }
    }
    s->run_index = l->n;
    s->run_first = id;
    s->run_count = 1;
    s->run_why = why;
    return PROBLEM(s, KZ_PROB_BINXML, pos, size,
                   "record %llu (%u bytes): %s at chunk offset 0x%zx",
                   (unsigned long long)id, (unsigned)size, why, why_off);
}

/* True (with c->why) if the content of a record whose trailing size copy
 * is wrong ends in a run of zeros reaching into its parsed values: a record
 * cut short by a crash parses "whole" from zeros, and must not be read as
 * intact. 16 zero bytes are allowed (a zero GUID or counter at the end). */
static bool
zero_filled(cstate *s, size_t pos, uint32_t size, size_t end)
{
    const uint8_t *p = s->c.base;
    size_t last = pos + size - 4;

    while (last > pos + 24 && p[last - 1] == 0)
        last--;
    if (end > last && end - last >= 16) {
        s->c.why = "content zero-filled before its end (record cut short)";
        s->c.why_off = last;
        return true;
    }
    return false;
}

/* How record() treats a record whose content does not parse. */
enum rmode {
    R_LIVE,       /* report a problem */
    R_TRY,        /* say nothing: the caller decides */
    R_RECOVERED,  /* carved from slack: count it */
};

/* Parses the record at pos (framing already checked). Returns KZ_ENOMEM
 * only; a bad record becomes a problem (or, when carving, a count). */
static kz_status
record(cstate *s, size_t pos, uint32_t size, enum rmode mode)
{
    bool recovered = mode == R_RECOVERED;
    xchunk *c = &s->c;
    kz_event *ev;
    xtree body;
    size_t end;
    bool oom = false;
    uint64_t id = kz_le64(c->base + pos + 8);
    uint64_t written = kz_le64(c->base + pos + 16);

    if (s->nevents == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 128;
        kz_event *p = realloc(s->events, cap * sizeof(*p));

        if (p == NULL)
            return KZ_ENOMEM;
        s->events = p;
        s->cap = cap;
    }
    ev = &s->events[s->nevents];
    memset(ev, 0, sizeof(*ev));
    ev->time = KZ_TIME_NONE;
    ev->written = written <= (uint64_t)INT64_MAX ? (kz_time)written
                                                 : KZ_TIME_NONE;
    ev->record_id = id;
    ev->position = c->file_off + pos;
    ev->flags = KZ_EV_HAS_RECORD_ID | (recovered ? KZ_EV_RECOVERED : 0);
    c->why = NULL;
    if (size > 28 &&
        kz_evtx_parse_fragment(c, pos + 24, pos + size - 4, false, 0, &body,
                               &end, &oom) &&
        (mode != R_TRY || !zero_filled(s, pos, size, end)) &&
        kz_evtx_extract(c, &body, ev, &oom)) {
        if (!recovered && ev->record_id != id)
            s->b->rid_foreign++;
        s->nevents++;
        return KZ_OK;
    }
    if (oom)
        return KZ_ENOMEM;
    if (mode == R_RECOVERED) {
        s->carve_failed++;
        return KZ_OK;
    }
    if (mode == R_TRY)
        return KZ_OK;
    return content_problem(s, pos, size, id,
                           size <= 28 ? "record has no content"
                                      : (c->why ? c->why
                                                : "malformed content"),
                           c->why ? c->why_off : pos);
}

/* Walks records in [from, limit); damage is reported and skipped. */
static kz_status
records(cstate *s, size_t from, size_t limit)
{
    const uint8_t *base = s->c.base;
    size_t pos = from, next;
    uint32_t size;
    kz_status st;

    while (pos + 28 <= limit) {
        if (framed(base, pos, limit, &size)) {
            if ((st = record(s, pos, size, R_LIVE)) != KZ_OK)
                return st;
            pos += size;
            continue;
        }
        /* Zeroes up to the limit: the rest of the chunk is unused. */
        if (all_zero(base + pos, limit - pos))
            return KZ_OK;
        /* A record cut by the end of a truncated file: its bytes belong to
         * the truncation problem. */
        s->c.why = NULL;
        size = kz_le32(base + pos + 4);
        if (s->trunc_index != SIZE_MAX && limit == s->c.len &&
            memcmp(base + pos, rec_magic, 4) == 0 && size > limit - pos) {
            kz_problem *t = &s->b->problems.items[s->trunc_index];

            /* The lost range starts at the cut record. */
            t->offset = s->c.file_off + pos;
            t->lost += limit - pos;
            return KZ_OK;
        }
        /* Signature and size fit but the trailing copy differs (a record
         * cut short by a crash): keep it if its content parses whole. */
        size = kz_le32(base + pos + 4);
        if (memcmp(base + pos, rec_magic, 4) == 0 && size > 28 &&
            size <= limit - pos) {
            size_t before = s->nevents;

            if ((st = record(s, pos, size, R_TRY)) != KZ_OK)
                return st;
            if (s->nevents > before) {
                if ((st = PROBLEM(s, KZ_PROB_RECORD, pos, 0,
                                  "record %llu: trailing size copy %u "
                                  "differs from its size %u; content intact",
                                  (unsigned long long)kz_le64(base + pos + 8),
                                  (unsigned)kz_le32(base + pos + size - 4),
                                  (unsigned)size)) != KZ_OK)
                    return st;
                pos += size;
                continue;
            }
        }
        next = resync(base, pos + 1, limit);
        if (s->c.why != NULL && memcmp(base + pos, rec_magic, 4) == 0 &&
            size > 28 && size <= limit - pos) {
            if ((st = PROBLEM(s, KZ_PROB_RECORD, pos, next - pos,
                              "record %llu: trailing size copy %u differs "
                              "from its size %u and %s at chunk offset "
                              "0x%zx; skipped %zu bytes to the next record",
                              (unsigned long long)kz_le64(base + pos + 8),
                              (unsigned)kz_le32(base + pos + size - 4),
                              (unsigned)size, s->c.why, s->c.why_off,
                              next - pos)) != KZ_OK)
                return st;
            pos = next;
            continue;
        }
        if ((st = PROBLEM(s, KZ_PROB_RECORD, pos, next - pos,
                          "damaged record framing (signature %02x%02x%02x%02x,"
                          " size %u); skipped %zu bytes to the next record",
                          base[pos], base[pos + 1], base[pos + 2],
                          base[pos + 3], (unsigned)kz_le32(base + pos + 4),
                          next - pos)) != KZ_OK)
            return st;
        pos = next;
    }
    return KZ_OK;
}

/* Recovers framed records from slack space [from, len). */
static kz_status
carve(cstate *s, size_t from)
{
    const uint8_t *base = s->c.base;
    size_t pos = from;
    uint32_t size;
    kz_status st;

    while (pos + 28 <= s->c.len) {
        pos = resync(base, pos, s->c.len);
        if (pos >= s->c.len || !framed(base, pos, s->c.len, &size))
            break;
        if ((st = record(s, pos, size, R_RECOVERED)) != KZ_OK)
            return st;
        pos += size;
    }
    if (s->carve_failed != 0)
        return PROBLEM(s, KZ_PROB_RECORD, from, 0,
                       "%llu record fragments in slack space could not be "
                       "recovered",
                       (unsigned long long)s->carve_failed);
    return KZ_OK;
}

/* Records the record-id range the chunk header declares (offsets 24/32)
 * when it is plausible: first <= last and no more records than a chunk
 * can hold. check_header() upgrades it to verified when the header
 * checksum is right. */
static void
declared_range(kz_batch *b, const uint8_t *h)
{
    uint64_t first = kz_le64(h + 24), last = kz_le64(h + 32);

    if (first <= last &&
        last - first < (KZ_EVTX_CHUNK_SIZE - KZ_EVTX_CHUNK_HEADER_SIZE) / 28) {
        b->chunk_first_rid = first;
        b->chunk_last_rid = last;
        b->chunk_rid = KZ_CHUNK_RID_PLAUSIBLE;
    }
}

static kz_status
check_header(cstate *s, size_t *free_off)
{
    const uint8_t *h = s->c.base;
    uint32_t stored, computed, hsize;
    uint8_t tmp[512 - 8];
    kz_status st;
    bool truncated = false;

    *free_off = kz_le32(h + 48);
    hsize = kz_le32(h + 40);
    if (hsize != 128 &&
        (st = PROBLEM(s, KZ_PROB_CHUNK_HEADER, 40, 0,
                      "unexpected chunk header size %u", (unsigned)hsize)) !=
            KZ_OK)
        return st;
    if (s->c.len < KZ_EVTX_CHUNK_SIZE && *free_off > s->c.len &&
        *free_off <= KZ_EVTX_CHUNK_SIZE) {
        /* A truncated chunk (reported by the caller): read what is there;
         * the data checksum cannot be checked. */
        *free_off = s->c.len;
        truncated = true;
    } else if (*free_off < KZ_EVTX_CHUNK_HEADER_SIZE ||
               *free_off > s->c.len) {
        if ((st = PROBLEM(s, KZ_PROB_CHUNK_HEADER, 48, 0,
                          "free space offset %u outside the chunk; records "
                          "read up to the first invalid one",
                          (unsigned)*free_off)) != KZ_OK)
            return st;
        *free_off = s->c.len;
    }
    memcpy(tmp, h, 120);
    memcpy(tmp + 120, h + 128, 384);
    stored = kz_le32(h + 124);
    computed = crc(tmp, 504);
    if (stored == computed && s->b->chunk_rid == KZ_CHUNK_RID_PLAUSIBLE)
        s->b->chunk_rid = KZ_CHUNK_RID_VERIFIED;
    if (stored != computed &&
        (st = PROBLEM(s, KZ_PROB_CHUNK_CRC, 124, 0,
                      "chunk header checksum mismatch (stored %08x, "
                      "computed %08x); records read anyway",
                      (unsigned)stored, (unsigned)computed)) != KZ_OK)
        return st;
    stored = kz_le32(h + 52);
    computed = truncated ? stored : crc(h + 512, *free_off - 512);
    if (stored != computed &&
        (st = PROBLEM(s, KZ_PROB_CHUNK_CRC, 52, 0,
                      "record data checksum mismatch (stored %08x, computed "
                      "%08x); records read anyway",
                      (unsigned)stored, (unsigned)computed)) != KZ_OK)
        return st;
    return KZ_OK;
}

static void
cstate_fini(cstate *s)
{
    free(s->events);
    free(s->c.name_off);
    free(s->c.name_str);
    free(s->c.name_len);
    free(s->c.name_code);
    free(s->c.tmpl);
    free(s->c.nodes);
    free(s->c.fields);
    kz_strbuf_fini(&s->c.text);
    kz_strbuf_fini(&s->c.path);
}

kz_status
kz_evtx_parse_chunk(const uint8_t *chunk, size_t len, uint64_t off,
                    uint64_t chunk_no, const kz_evtx_file_info *info,
                    const kz_read_opts *o, kz_batch *b)
{
    cstate s;
    size_t free_off, nev;
    kz_status st = KZ_OK;
    kz_event *evs;

    memset(&s, 0, sizeof(s));
    s.run_index = SIZE_MAX;
    s.trunc_index = SIZE_MAX;
    s.b = b;
    s.c.base = chunk;
    s.c.len = len;
    s.c.file_off = off;
    s.c.chunk_no = chunk_no;
    s.c.arena = &b->arena;
    s.c.budget = b->arena.held + EVTX_CHUNK_BUDGET;
    s.c.o = o;
    kz_strbuf_init(&s.c.text, 1 << 20);
    kz_strbuf_init(&s.c.path, 4096);
    b->chunk_rid = KZ_CHUNK_RID_UNKNOWN;
    if (len < KZ_EVTX_CHUNK_HEADER_SIZE) {
        if (!all_zero(chunk, len))
            st = PROBLEM(&s, KZ_PROB_EVTX_TRUNCATED, 0, len,
                         "file ends %zu bytes into chunk %llu", len,
                         (unsigned long long)chunk_no);
        goto out;
    }
    if (memcmp(chunk, "ElfChnk\0", 8) != 0) {
        if (all_zero(chunk, len)) {
            /* Preallocated space past the last chunk is normal; a zeroed
             * chunk the header counts is not. */
            if (chunk_no < info->header_chunks)
                st = PROBLEM(&s, KZ_PROB_CHUNK_MAGIC, 0, len,
                             "chunk %llu is zeroed although the file header "
                             "counts %llu chunks",
                             (unsigned long long)chunk_no,
                             (unsigned long long)info->header_chunks);
            goto out;
        }
        /* Bad signature: salvage records that frame correctly. Reported
         * after, with what was found; bytes count as lost when the header
         * says this block should hold records. */
        {
            size_t before = s.nevents, at = b->problems.n;
            size_t first = resync(chunk, KZ_EVTX_CHUNK_HEADER_SIZE, len);
            kz_problem *p;

            /* The block's problem comes first; its text is known after. */
            if ((st = PROBLEM(&s, KZ_PROB_CHUNK_MAGIC, 0, 0, "bad chunk "
                              "signature")) != KZ_OK ||
                (st = records(&s, first, len)) != KZ_OK)
                goto out;
            p = &b->problems.items[at];
            if (s.nevents > before) {
                p->lost = first;
                snprintf(p->msg, sizeof(p->msg),
                         "bad chunk signature; %zu records salvaged from "
                         "the block", s.nevents - before);
            } else {
                uint64_t other = 0;
                size_t k;

                /* Bytes of later problems of this block are theirs. */
                for (k = at + 1; k < b->problems.n; k++)
                    other += b->problems.items[k].lost;
                p->lost = chunk_no < info->header_chunks && other < len
                              ? len - other
                              : 0;
                snprintf(p->msg, sizeof(p->msg),
                         "bad chunk signature and no readable "
                         "record in the block%s",
                         chunk_no < info->header_chunks
                             ? ""
                             : "; past the header's chunk count, so likely "
                               "unused space");
            }
        }
        b->used_bytes += len;
        goto done;
    }
    declared_range(b, chunk);
    if ((st = check_header(&s, &free_off)) != KZ_OK)
        goto out;
    if (len < KZ_EVTX_CHUNK_SIZE)
        s.trunc_index = b->problems.n;
    if (len < KZ_EVTX_CHUNK_SIZE &&
        (st = PROBLEM(&s, KZ_PROB_EVTX_TRUNCATED, len, 0,
                      "file ends %zu bytes into chunk %llu; records up to "
                      "there are read",
                      len, (unsigned long long)chunk_no)) != KZ_OK)
        goto out;
    if ((st = records(&s, KZ_EVTX_CHUNK_HEADER_SIZE, free_off)) != KZ_OK)
        goto out;
    b->used_bytes += free_off;
    if (o->carve && free_off < len && (st = carve(&s, free_off)) != KZ_OK)
        goto out;
done:
    if (s.nevents != 0) {
        nev = b->nevents + s.nevents;
        if ((evs = kz_arena_alloc(&b->arena, nev * sizeof(*evs))) == NULL) {
            st = KZ_ENOMEM;
            goto out;
        }
        if (b->nevents != 0)
            memcpy(evs, b->events, b->nevents * sizeof(*evs));
        memcpy(evs + b->nevents, s.events, s.nevents * sizeof(*evs));
        b->events = evs;
        b->nevents = nev;
        for (size_t i = 0; i < s.nevents; i++)
            if (s.events[i].flags & KZ_EV_RECOVERED)
                b->recovered++;
    }
out:
    cstate_fini(&s);
    return st;
}
