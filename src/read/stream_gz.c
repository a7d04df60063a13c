/*
 * stream_gz.c - gzip decompression on the fly (zlib), streaming with fixed
 * memory: one 64 KiB input buffer and zlib's 32 KiB window, whatever the
 * size of the data.
 *
 * Concatenated members (gzip -c a >x; gzip -c b >>x) are all read, as
 * gunzip does. Anything after the last member that is not a member is
 * reported as an error rather than dropped silently (DESIGN.md: every
 * byte is parsed or reported). A truncated file delivers what inflated
 * before the cut, then the error.
 */
#include "read/stream_int.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "read/stream.h"

#define GZ_INBUF ((size_t)64 * 1024)

typedef struct gz_impl {
    kz_stream *in;          /* compressed bytes (owned) */
    z_stream z;             /* inflater */
    bool z_ready;           /* inflateInit2 succeeded */
    bool in_eof;            /* in is exhausted */
    bool member_end;        /* last inflate() ended a member */
    uint64_t members;       /* members completed */
    uint8_t *buf;           /* compressed input buffer, GZ_INBUF bytes */
} gz_impl;

/* Offset in the compressed stream of the next byte zlib will consume. */
static uint64_t
gz_in_offset(const gz_impl *g)
{
    return kz_stream_offset(g->in) - g->z.avail_in;
}

/* Ensures at least want bytes of input are buffered, unless the input
 * ends first. Errors of the inner stream are passed on. */
static kz_status
gz_need(gz_impl *g, size_t want, kz_error *err)
{
    size_t got;
    kz_status st;

    while (g->z.avail_in < want && !g->in_eof) {
        if (g->z.avail_in > 0 && g->z.next_in != g->buf)
            memmove(g->buf, g->z.next_in, g->z.avail_in);
        g->z.next_in = g->buf;
        st = kz_stream_read(g->in, g->buf + g->z.avail_in,
                            GZ_INBUF - g->z.avail_in, &got, err);
        if (st != KZ_OK)
            return st;
        if (got == 0)
            g->in_eof = true;
        g->z.avail_in += (uInt)got;
    }
    return KZ_OK;
}

static kz_status
gz_fill(kz_stream *s, uint8_t *buf, size_t n, size_t *got, kz_error *err)
{
    gz_impl *g = s->impl;
    kz_status st = KZ_OK;
    uInt in0, out0;
    int r;

    *got = 0;
    if (n > ((size_t)1 << 30))
        n = (size_t)1 << 30;
    g->z.next_out = buf;
    g->z.avail_out = (uInt)n;
    while (g->z.avail_out > 0) {
        if (g->member_end) {
            /* Another member, the clean end, or trailing garbage. */
            if ((st = gz_need(g, 2, err)) != KZ_OK)
                break;
            if (g->z.avail_in == 0)
                break;                              /* clean end */
            if (g->z.avail_in < 2 || g->z.next_in[0] != 0x1f ||
                g->z.next_in[1] != 0x8b) {
                st = kz_error_set(err, KZ_EFORMAT,
                                  "gzip: %u byte(s) of trailing data after "
                                  "member %llu at compressed offset "
                                  "0x%llx",
                                  g->z.avail_in, (unsigned long long)
                                  g->members,
                                  (unsigned long long)gz_in_offset(g));
                break;
            }
            if (inflateReset(&g->z) != Z_OK) {
                st = kz_error_set(err, KZ_EINTERNAL, "gzip: reset failed");
                break;
            }
            g->member_end = false;
        }
        if (g->z.avail_in == 0 && !g->in_eof &&
            (st = gz_need(g, 1, err)) != KZ_OK)
            break;
        in0 = g->z.avail_in;
        out0 = g->z.avail_out;
        r = inflate(&g->z, Z_NO_FLUSH);
        if (r == Z_STREAM_END) {
            g->member_end = true;
            g->members++;
            continue;
        }
        if (r == Z_OK || r == Z_BUF_ERROR) {
            /* No progress means zlib wants input that is not there. */
            if (g->z.avail_in == in0 && g->z.avail_out == out0 &&
                g->in_eof) {
                st = kz_error_set(err, KZ_EFORMAT,
                                  "gzip: data truncated at compressed "
                                  "offset 0x%llx",
                                  (unsigned long long)gz_in_offset(g));
                break;
            }
            continue;
        }
        if (r == Z_MEM_ERROR) {
            st = kz_error_set(err, KZ_ENOMEM, "gzip: out of memory");
            break;
        }
        st = kz_error_set(err, KZ_EFORMAT,
                          "gzip: %s at compressed offset 0x%llx",
                          g->z.msg != NULL ? g->z.msg : "corrupt data",
                          (unsigned long long)gz_in_offset(g));
        break;
    }
    *got = n - g->z.avail_out;
    return st;
}

static void
gz_close(kz_stream *s)
{
    gz_impl *g = s->impl;

    if (g == NULL)
        return;
    if (g->z_ready)
        inflateEnd(&g->z);
    kz_stream_close(g->in);
    free(g->buf);
    free(g);
}

static const kz_stream_ops gz_ops = { "gzip", gz_fill, gz_close };

kz_stream *
kz_stream_gunzip(kz_stream *in)
{
    gz_impl *g;

    if ((g = calloc(1, sizeof(*g))) == NULL) {
        kz_stream_close(in);
        return NULL;
    }
    g->in = in;
    if ((g->buf = malloc(GZ_INBUF)) == NULL)
        goto fail;
    g->z.next_in = g->buf;
    /* 15 + 16: a 32 KiB window, gzip wrapper only (no raw zlib). */
    if (inflateInit2(&g->z, 15 + 16) != Z_OK)
        goto fail;
    g->z_ready = true;
    return kz_stream_new(&gz_ops, g, 0);
fail:
    {
        kz_stream tmp = { .ops = &gz_ops, .impl = g };
        gz_close(&tmp);
    }
    return NULL;
}
