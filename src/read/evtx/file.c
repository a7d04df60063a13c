/*
 * file.c - the EVTX format for the pipeline: the file header, then one
 * unit per 64 KiB block, whatever the header says (dirty files' headers
 * lag; every block is checked on its own).
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/rd.h"
#include "read/evtx/evtx.h"
#include "read/format.h"

/* Reads up to n bytes, looping over short reads; *got < n only at the
 * end of the stream or with an error (returned after the bytes before
 * it, on the next call, as kz_stream_read does). */
static kz_status
read_full(kz_stream *s, uint8_t *buf, size_t n, size_t *got, kz_error *err)
{
    size_t k;
    kz_status st;

    *got = 0;
    while (*got < n) {
        st = kz_stream_read(s, buf + *got, n - *got, &k, err);
        if (st != KZ_OK)
            return *got != 0 ? KZ_OK : st;
        if (k == 0)
            break;
        *got += k;
    }
    return KZ_OK;
}

typedef struct evtx_file {
    kz_evtx_file_info info;  /* what the header said */
    uint64_t next_chunk;     /* index of the next block */
    bool ended;              /* the stream is exhausted */
} evtx_file;

static kz_status
evtx_open(kz_stream *s, const kz_input *in, const kz_read_opts *o,
          void **state, kz_unit *u0, kz_error *err)
{
    uint8_t h[KZ_EVTX_FILE_HEADER_SIZE];
    evtx_file *f;
    size_t got = 0;
    uint32_t stored, computed;
    kz_status st;

    (void)in;
    (void)o;
    if ((st = read_full(s, h, sizeof(h), &got, err)) != KZ_OK)
        return st;
    if ((f = calloc(1, sizeof(*f))) == NULL)
        return kz_error_set(err, KZ_ENOMEM, "out of memory");
    *state = f;
    if (got < sizeof(h)) {
        size_t more = 0;

        /* A stream error right after the bytes read is the real reason:
         * the stream reports it on the next read. */
        if ((st = kz_stream_read(s, h, 1, &more, err)) != KZ_OK)
            return st;
        f->ended = true;
        return kz_problem_add(&u0->problems, &u0->arena,
                              KZ_PROB_EVTX_TRUNCATED, 0, got, -1, 0,
                              "file ends inside the 4096-byte file header "
                              "(%zu bytes)", got);
    }
    f->info.header_chunks = kz_le16(h + 42);
    f->info.minor = kz_le16(h + 36);
    f->info.major = kz_le16(h + 38);
    f->info.flags = kz_le32(h + 120);
    stored = kz_le32(h + 124);
    computed = (uint32_t)crc32(0L, h, 120);
    f->info.header_ok = stored == computed;
    if (!f->info.header_ok &&
        (st = kz_problem_add(&u0->problems, &u0->arena, KZ_PROB_EVTX_HEADER,
                             124, 0, -1, 0,
                             "file header checksum mismatch (stored %08x, "
                             "computed %08x); chunks read anyway",
                             (unsigned)stored, (unsigned)computed)) != KZ_OK)
        return st;
    if (f->info.major != 3 &&
        (st = kz_problem_add(&u0->problems, &u0->arena, KZ_PROB_EVTX_HEADER,
                             38, 0, -1, 0,
                             "unknown format version %u.%u; read as 3.x",
                             f->info.major, f->info.minor)) != KZ_OK)
        return st;
    return KZ_OK;
}

static kz_status
evtx_next(void *state, kz_stream *s, kz_unit *u, kz_error *err)
{
    evtx_file *f = state;
    size_t got = 0;
    kz_status st;

    u->len = 0;
    if (f->ended)
        return KZ_OK;
    if (u->cap < KZ_EVTX_CHUNK_SIZE) {
        uint8_t *p = realloc(u->data, KZ_EVTX_CHUNK_SIZE);

        if (p == NULL)
            return kz_error_set(err, KZ_ENOMEM, "out of memory");
        u->data = p;
        u->cap = KZ_EVTX_CHUNK_SIZE;
    }
    u->offset = kz_stream_offset(s);
    /* A read error after some bytes: those bytes form a last, short unit;
     * the error itself comes from the stream at the next call. */
    if ((st = read_full(s, u->data, KZ_EVTX_CHUNK_SIZE, &got, err)) != KZ_OK)
        return st;
    if (got == 0)
        return KZ_OK;
    u->len = got;
    u->index = f->next_chunk++;
    u->first_line = 0;
    return KZ_OK;
}

static kz_status
evtx_parse(const void *state, const kz_unit *u, const kz_read_opts *o,
           kz_batch *b)
{
    const evtx_file *f = state;

    return kz_evtx_parse_chunk(u->data, u->len, u->offset, u->index, &f->info,
                               o, b);
}

static void
evtx_close(void *state)
{
    free(state);
}

const kz_format kz_format_evtx = {
    "evtx", evtx_open, evtx_next, evtx_parse, evtx_close,
};
