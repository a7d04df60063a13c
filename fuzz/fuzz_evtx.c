/*
 * fuzz_evtx.c - libFuzzer target for the EVTX reader.
 *
 * The input is one chunk (any length up to 64 KiB) parsed directly, and,
 * when it is longer than a file header, a whole file cut into chunks as
 * the pipeline does. Every event is rendered field by field, so lazy
 * values are exercised too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "read/evtx/evtx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
render_all(const kz_batch *b, const kz_read_opts *o)
{
    kz_render_opts ro = { o->ansi_codepage };
    kz_strbuf s;
    size_t i, k;

    kz_strbuf_init(&s, 1 << 22);
    for (i = 0; i < b->nevents; i++)
        for (k = 0; k < b->events[i].nfields; k++)
            (void)kz_value_render(&b->events[i].fields[k].value, &ro, &s);
    kz_strbuf_fini(&s);
}

static void
one_chunk(const uint8_t *p, size_t n, uint64_t no, const kz_read_opts *o)
{
    kz_evtx_file_info info;
    kz_batch b;

    memset(&info, 0, sizeof(info));
    info.header_chunks = 1;
    memset(&b, 0, sizeof(b));
    kz_arena_init(&b.arena, 64 * 1024, 64u << 20);
    (void)kz_evtx_parse_chunk(p, n, 4096 + no * KZ_EVTX_CHUNK_SIZE, no,
                              &info, o, &b);
    render_all(&b, o);
    kz_arena_fini(&b.arena);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kz_read_opts o;
    size_t off, n;
    uint64_t no = 0;

    kz_read_opts_default(&o);
    o.carve = size > 0 && (data[size - 1] & 1);
    if (size <= KZ_EVTX_CHUNK_SIZE)
        one_chunk(data, size, 0, &o);
    if (size > KZ_EVTX_FILE_HEADER_SIZE &&
        memcmp(data, "ElfFile", 7) == 0) {
        for (off = KZ_EVTX_FILE_HEADER_SIZE; off < size;
             off += KZ_EVTX_CHUNK_SIZE, no++) {
            n = size - off < KZ_EVTX_CHUNK_SIZE ? size - off
                                                : KZ_EVTX_CHUNK_SIZE;
            one_chunk(data + off, n, no, &o);
        }
    }
    return 0;
}
