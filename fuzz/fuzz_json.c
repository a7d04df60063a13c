/*
 * fuzz_json.c - libFuzzer target for the JSON reader: the input is a whole
 * JSON file (any shape, any encoding), cut into units and parsed exactly
 * as the pipeline does, with small bounds so limits are reached.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "read/format.h"
#include "read/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kz_read_opts o;
    kz_input in;
    kz_stream *s;
    kz_unit u;
    kz_batch b;
    kz_error err;
    void *state = NULL;
    kz_render_opts ro = { 1252 };
    kz_strbuf text;
    size_t i, k;

    kz_read_opts_default(&o);
    o.json.max_record = 4096;
    o.json.max_depth = 16;
    memset(&in, 0, sizeof(in));
    in.path = "fuzz.json";
    in.kind = KZ_INPUT_JSON;
    if ((s = kz_stream_from_memory(data, size)) == NULL)
        return 0;
    memset(&u, 0, sizeof(u));
    kz_arena_init(&u.arena, 4096, 0);
    kz_error_clear(&err);
    kz_strbuf_init(&text, 1 << 22);
    if (kz_format_json.open(s, &in, &o, &state, &u, &err) != KZ_OK)
        goto out;
    for (;;) {
        memset(&u.problems, 0, sizeof(u.problems));
        kz_arena_reset(&u.arena);
        if (kz_format_json.next(state, s, &u, &err) != KZ_OK)
            break;
        if (u.len == 0 && u.problems.n == 0)
            break;
        if (u.len == 0)
            continue;
        memset(&b, 0, sizeof(b));
        kz_arena_init(&b.arena, 64 * 1024, 0);
        if (kz_format_json.parse(state, &u, &o, &b) == KZ_OK)
            for (i = 0; i < b.nevents; i++)
                for (k = 0; k < b.events[i].nfields; k++)
                    (void)kz_value_render(&b.events[i].fields[k].value, &ro,
                                          &text);
        kz_arena_fini(&b.arena);
    }
out:
    kz_format_json.close(state);
    kz_stream_close(s);
    free(u.data);
    kz_arena_fini(&u.arena);
    kz_strbuf_fini(&text);
    return 0;
}
