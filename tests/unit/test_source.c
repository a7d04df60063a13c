/*
 * test_source.c - input discovery and streams: walking order, recognition
 * by bytes, gzip and zip unpacking, problems reported with their paths,
 * damaged archives delivering what they can before the error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "read/source.h"
#include "read/stream.h"
#include "read/stream_int.h"
#include "t.h"

/* --- helpers ----------------------------------------------------------- */

static char tmp_root[256];

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb;
    (void)flag;
    (void)f;
    return remove(p);
}

static void
tmp_cleanup(void)
{
    if (tmp_root[0] != '\0')
        nftw(tmp_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    tmp_root[0] = '\0';
}

/* Creates a fresh temporary directory and chdirs into it, so paths in
 * the tests are short and relative. */
static void
tmp_enter(void)
{
    const char *base = getenv("TMPDIR");

    tmp_cleanup();
    snprintf(tmp_root, sizeof(tmp_root), "%s/kz_source_XXXXXX",
             base != NULL ? base : "/tmp");
    if (mkdtemp(tmp_root) == NULL || chdir(tmp_root) != 0) {
        perror("mkdtemp");
        exit(2);
    }
}

static void
tmp_leave(void)
{
    if (chdir("/") != 0)
        perror("chdir");
    tmp_cleanup();
}

static void
put_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL || (n > 0 && fwrite(p, 1, n, f) != n)) {
        perror(path);
        exit(2);
    }
    fclose(f);
}

/* gzip of p[0..n) into a malloc'd buffer; *out_n its size. */
static unsigned char *
gzip_mem(const void *p, size_t n, size_t *out_n)
{
    z_stream z;
    size_t cap = compressBound((uLong)n) + 64;
    unsigned char *out = malloc(cap);

    memset(&z, 0, sizeof(z));
    if (out == NULL ||
        deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
            Z_OK)
        exit(2);
    z.next_in = (unsigned char *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        exit(2);
    *out_n = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

typedef struct zmember {
    const char *name;   /* path in the archive; ending in '/': directory */
    const void *data;   /* bytes */
    size_t len;         /* their count */
} zmember;

/* A zip of the members, in that order, into a malloc'd buffer. */
static unsigned char *
zip_mem(const zmember *m, size_t nm, size_t *out_n)
{
    struct archive *a = archive_write_new();
    struct archive_entry *e;
    size_t cap = 1 << 20, used = 0, i, len;
    unsigned char *out = malloc(cap);

    if (a == NULL || out == NULL || archive_write_set_format_zip(a) != 0 ||
        archive_write_set_options(a, "hdrcharset=UTF-8") != 0 ||
        archive_write_open_memory(a, out, cap, &used) != 0)
        exit(2);
    for (i = 0; i < nm; i++) {
        e = archive_entry_new();
        len = strlen(m[i].name);
        archive_entry_set_pathname_utf8(e, m[i].name);
        if (len > 0 && m[i].name[len - 1] == '/') {
            archive_entry_set_filetype(e, AE_IFDIR);
            archive_entry_set_perm(e, 0755);
        } else {
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_perm(e, 0644);
            archive_entry_set_size(e, (la_int64_t)m[i].len);
        }
        if (archive_write_header(a, e) != ARCHIVE_OK)
            exit(2);
        if (m[i].len > 0 &&
            archive_write_data(a, m[i].data, m[i].len) != (la_ssize_t)m[i].len)
            exit(2);
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    *out_n = used;
    return out;
}

/* One step of a walk, summarised. */
typedef struct step {
    char path[256];         /* display path */
    int kind;               /* kz_input_kind, or -1 for a problem */
    int prob;               /* problem kind, or -1 */
    char msg[240];          /* problem message */
    unsigned char data[4096]; /* first bytes of the input */
    size_t len;             /* total bytes of the input */
    uint32_t arg;           /* argument index */
    uint32_t file_index;    /* input ordinal */
} step;

/* Walks paths, reading every input to its end; returns the step count. */
static size_t
walk(const char *const *paths, size_t np, step *out, size_t max)
{
    kz_source *src = kz_source_new(paths, np);
    kz_input in;
    kz_stream *s;
    const char *pp;
    kz_problem prob;
    kz_error err;
    bool have, done;
    size_t n = 0, got;
    unsigned char buf[8192];
    kz_status st;

    T_CHECK(src != NULL, "kz_source_new");
    for (;;) {
        kz_error_clear(&err);
        st = kz_source_next(src, &in, &s, &pp, &prob, &have, &done, &err);
        T_CHECK(st == KZ_OK, "kz_source_next: %s", err.msg);
        if (st != KZ_OK || done || n == max)
            break;
        memset(&out[n], 0, sizeof(out[n]));
        if (have) {
            snprintf(out[n].path, sizeof(out[n].path), "%s", pp);
            out[n].kind = -1;
            out[n].prob = (int)prob.kind;
            snprintf(out[n].msg, sizeof(out[n].msg), "%s", prob.msg);
            n++;
            continue;
        }
        T_CHECK(s != NULL, "no stream and no problem");
        if (s == NULL)
            break;
        snprintf(out[n].path, sizeof(out[n].path), "%s", in.path);
        out[n].kind = (int)in.kind;
        out[n].prob = -1;
        out[n].arg = in.arg_index;
        out[n].file_index = in.file_index;
        for (;;) {
            st = kz_stream_read(s, buf, sizeof(buf), &got, &err);
            if (st != KZ_OK) {
                snprintf(out[n].msg, sizeof(out[n].msg), "%.200s", err.msg);
                break;
            }
            if (got == 0)
                break;
            if (out[n].len < sizeof(out[n].data))
                memcpy(out[n].data + out[n].len, buf,
                       got < sizeof(out[n].data) - out[n].len
                           ? got : sizeof(out[n].data) - out[n].len);
            out[n].len += got;
        }
        kz_stream_close(s);
        n++;
    }
    kz_source_free(src);
    return n;
}

static const char json1[] = "{\"Event\":{\"System\":{\"EventID\":1}}}\n";
static const char json2[] = "[{\"a\":1}]";
static const char evtx_head[] = "ElfFile\0rest-of-a-header";

/* Expectation for one step. */
typedef struct want {
    const char *path;       /* display path */
    int kind;               /* input kind, or -1 */
    int prob;               /* problem kind, or -1 */
    const char *msg_part;   /* substring of the problem message, or NULL */
} want;

static void
check_steps(const step *got, size_t ngot, const want *w, size_t nw)
{
    size_t i;

    T_CHECK(ngot == nw, "%zu steps, want %zu", ngot, nw);
    for (i = 0; i < ngot && i < nw; i++) {
        T_CHECK(strcmp(got[i].path, w[i].path) == 0,
                "step %zu: path \"%s\", want \"%s\"", i, got[i].path,
                w[i].path);
        T_CHECK(got[i].kind == w[i].kind, "step %zu (%s): kind %d, want %d",
                i, got[i].path, got[i].kind, w[i].kind);
        T_CHECK(got[i].prob == w[i].prob,
                "step %zu (%s): problem %d, want %d (%s)", i, got[i].path,
                got[i].prob, w[i].prob, got[i].msg);
        if (w[i].msg_part != NULL)
            T_CHECK(strstr(got[i].msg, w[i].msg_part) != NULL,
                    "step %zu (%s): message \"%s\" lacks \"%s\"", i,
                    got[i].path, got[i].msg, w[i].msg_part);
    }
}

/* --- cases ------------------------------------------------------------- */

static void
source_walks_tree_in_byte_order(void)
{
    static const zmember zm[] = {
        { "in/", NULL, 0 },
        { "in/x.json", json1, sizeof(json1) - 1 },
        { "in/y.evtx", evtx_head, sizeof(evtx_head) - 1 },
        { "in/readme.txt", "hello", 5 },
        { "in/\xe6\x97\xa5\xe6\x9c\xac.json", json2, sizeof(json2) - 1 },
    };
    unsigned char *gz, *zip;
    size_t ngz, nzip, n;
    step *st = calloc(32, sizeof(*st));
    const char *args[] = { "d" };
    static const want w[] = {
        { "d/A.json", KZ_INPUT_JSON, -1, NULL },
        { "d/B.gz", KZ_INPUT_JSON, -1, NULL },
        { "d/a.evtx", KZ_INPUT_EVTX, -1, NULL },
        { "d/empty", -1, KZ_PROB_UNSUPPORTED, "empty file" },
        { "d/g.zip:in/x.json", KZ_INPUT_JSON, -1, NULL },
        { "d/g.zip:in/y.evtx", KZ_INPUT_EVTX, -1, NULL },
        { "d/g.zip:in/readme.txt", -1, KZ_PROB_UNSUPPORTED,
          "starts with 68 65 6c 6c 6f" },
        { "d/g.zip:in/\xe6\x97\xa5\xe6\x9c\xac.json", KZ_INPUT_JSON, -1,
          NULL },
        { "d/link", -1, KZ_PROB_UNSUPPORTED, "symbolic link" },
        { "d/notes.txt", -1, KZ_PROB_UNSUPPORTED, "not EVTX, JSON" },
        { "d/sub/k.json", KZ_INPUT_JSON, -1, NULL },
        { "d/sub/z", KZ_INPUT_JSON, -1, NULL },
    };

    tmp_enter();
    if (mkdir("d", 0755) != 0 || mkdir("d/sub", 0755) != 0)
        exit(2);
    put_file("d/A.json", json1, sizeof(json1) - 1);
    put_file("d/a.evtx", evtx_head, sizeof(evtx_head) - 1);
    gz = gzip_mem(json1, sizeof(json1) - 1, &ngz);
    put_file("d/B.gz", gz, ngz);
    put_file("d/empty", "", 0);
    put_file("d/notes.txt", "just text\n", 10);
    zip = zip_mem(zm, T_COUNT(zm), &nzip);
    put_file("d/g.zip", zip, nzip);
    if (symlink("A.json", "d/link") != 0)
        exit(2);
    put_file("d/sub/k.json", json2, sizeof(json2) - 1);
    put_file("d/sub/z", json2, sizeof(json2) - 1);
    n = walk(args, 1, st, 32);
    check_steps(st, n, w, T_COUNT(w));
    /* Decompressed and member bytes are the originals. */
    T_CHECK(n > 1 && st[1].len == sizeof(json1) - 1 &&
                memcmp(st[1].data, json1, st[1].len) == 0,
            "gzip content differs (%zu bytes)", st[1].len);
    T_CHECK(n > 4 && st[4].len == sizeof(json1) - 1 &&
                memcmp(st[4].data, json1, st[4].len) == 0,
            "zip member content differs (%zu bytes)", st[4].len);
    T_CHECK(n > 11 && st[11].file_index == 7, "file_index %u",
            n > 11 ? st[11].file_index : 0);
    free(gz);
    free(zip);
    free(st);
    tmp_leave();
}

static void
source_keeps_argument_order_and_indexes(void)
{
    step st[8];
    size_t n;
    const char *args[] = { "b.json", "missing.json", "dir/", "a.json" };
    static const want w[] = {
        { "b.json", KZ_INPUT_JSON, -1, NULL },
        { "missing.json", -1, KZ_PROB_IO, "No such file" },
        { "dir/x.json", KZ_INPUT_JSON, -1, NULL },
        { "a.json", KZ_INPUT_JSON, -1, NULL },
    };

    tmp_enter();
    if (mkdir("dir", 0755) != 0)
        exit(2);
    put_file("a.json", json1, sizeof(json1) - 1);
    put_file("b.json", json1, sizeof(json1) - 1);
    put_file("dir/x.json", json1, sizeof(json1) - 1);
    n = walk(args, T_COUNT(args), st, T_COUNT(st));
    check_steps(st, n, w, T_COUNT(w));
    if (n == T_COUNT(w)) {
        T_EQ_INT(st[0].arg, 0);
        T_EQ_INT(st[2].arg, 2);
        T_EQ_INT(st[3].arg, 3);
        T_EQ_INT(st[3].file_index, 2);
    }
    tmp_leave();
}

static void
source_follows_symlink_given_as_argument(void)
{
    step st[4];
    size_t n;
    const char *args[] = { "link.json" };
    static const want w[] = { { "link.json", KZ_INPUT_JSON, -1, NULL } };

    tmp_enter();
    put_file("real.json", json1, sizeof(json1) - 1);
    if (symlink("real.json", "link.json") != 0)
        exit(2);
    n = walk(args, 1, st, T_COUNT(st));
    check_steps(st, n, w, T_COUNT(w));
    tmp_leave();
}

/* Recognition by the first bytes, whatever the name. */
static void
source_recognises_by_bytes(void)
{
    static const struct {
        const char *bytes;
        size_t len;
        int kind;           /* input kind or -1 */
        const char *msg;    /* problem message part, or NULL */
    } rows[] = {
        { "{\"a\":1}", 7, KZ_INPUT_JSON, NULL },
        { "[1]", 3, KZ_INPUT_JSON, NULL },
        { " \r\n\t{}", 6, KZ_INPUT_JSON, NULL },
        { "\xef\xbb\xbf{}", 5, KZ_INPUT_JSON, NULL },
        { "\xff\xfe{\0}\0", 6, KZ_INPUT_JSON, NULL },
        { "\xfe\xff\0{\0}", 6, KZ_INPUT_JSON, NULL },
        { " \0{\0}\0", 6, KZ_INPUT_JSON, NULL },      /* UTF-16LE */
        { "\0 \0[\0]", 6, KZ_INPUT_JSON, NULL },      /* UTF-16BE */
        { "ElfFile\0", 8, KZ_INPUT_EVTX, NULL },
        { "ElfFile", 7, -1, "not EVTX" },             /* no NUL */
        { "ElfChnk\0xxxx", 12, -1, "EVTX chunk without" },
        { "MZ\x90\0", 4, -1, "executable" },
        { "<?xml version", 13, -1, "XML" },
        { "hello {", 7, -1, "starts with 68 65 6c 6c 6f 20 7b" },
        { "   ", 3, -1, "starts with 20 20 20" },
        { "", 0, -1, "empty file" },
    };
    step st[2];
    size_t i, n;
    const char *args[] = { "f" };

    tmp_enter();
    for (i = 0; i < T_COUNT(rows); i++) {
        put_file("f", rows[i].bytes, rows[i].len);
        n = walk(args, 1, st, T_COUNT(st));
        T_CHECK(n == 1, "row %zu: %zu steps", i, n);
        if (n != 1)
            continue;
        T_CHECK(st[0].kind == rows[i].kind, "row %zu: kind %d want %d (%s)",
                i, st[0].kind, rows[i].kind, st[0].msg);
        if (rows[i].kind != -1)
            T_CHECK(st[0].len == rows[i].len,
                    "row %zu: peeked bytes consumed (%zu of %zu read)", i,
                    st[0].len, rows[i].len);
        if (rows[i].msg != NULL)
            T_CHECK(strstr(st[0].msg, rows[i].msg) != NULL,
                    "row %zu: \"%s\" lacks \"%s\"", i, st[0].msg,
                    rows[i].msg);
        if (rows[i].kind == -1)
            T_EQ_INT(st[0].prob, KZ_PROB_UNSUPPORTED);
    }
    tmp_leave();
}

static void
source_unpacks_nested_archives(void)
{
    unsigned char *gz, *inner, *outer, *gz2, *gz3, *gz4, *gz5;
    size_t ngz, ninner, nouter, n2, n3, n4, n5, n;
    step st[8];
    const char *args[] = { "outer.zip", "deep.gz" };

    gz = gzip_mem(json1, sizeof(json1) - 1, &ngz);
    {
        const zmember im[] = { { "a.json", json1, sizeof(json1) - 1 } };
        inner = zip_mem(im, 1, &ninner);
    }
    {
        const zmember om[] = { { "x/a.json.gz", gz, ngz },
                               { "x/inner.zip", inner, ninner } };
        outer = zip_mem(om, 2, &nouter);
    }
    gz2 = gzip_mem(gz, ngz, &n2);
    gz3 = gzip_mem(gz2, n2, &n3);
    gz4 = gzip_mem(gz3, n3, &n4);
    gz5 = gzip_mem(gz4, n4, &n5);
    {
        const want w[] = {
            { "outer.zip:x/a.json.gz", KZ_INPUT_JSON, -1, NULL },
            { "outer.zip:x/inner.zip:a.json", KZ_INPUT_JSON, -1, NULL },
            { "deep.gz", -1, KZ_PROB_UNSUPPORTED, "nested more than 4" },
        };

        tmp_enter();
        put_file("outer.zip", outer, nouter);
        put_file("deep.gz", gz5, n5);
        n = walk(args, 2, st, T_COUNT(st));
        check_steps(st, n, w, T_COUNT(w));
        T_CHECK(n > 1 && st[1].len == sizeof(json1) - 1 &&
                    memcmp(st[1].data, json1, st[1].len) == 0,
                "nested zip member content differs");
        tmp_leave();
    }
    /* Four layers are still fine. */
    {
        const char *a4[] = { "four.gz" };
        const want w4[] = { { "four.gz", KZ_INPUT_JSON, -1, NULL } };

        tmp_enter();
        put_file("four.gz", gz4, n4);
        n = walk(a4, 1, st, T_COUNT(st));
        check_steps(st, n, w4, T_COUNT(w4));
        tmp_leave();
    }
    free(gz);
    free(inner);
    free(outer);
    free(gz2);
    free(gz3);
    free(gz4);
    free(gz5);
}

static void
source_reports_empty_zip(void)
{
    unsigned char *zip;
    size_t nzip, n;
    step st[4];
    const char *args[] = { "e.zip" };
    static const want w[] = {
        { "e.zip", -1, KZ_PROB_EMPTY, "no members" },
    };

    zip = zip_mem(NULL, 0, &nzip);
    tmp_enter();
    put_file("e.zip", zip, nzip);
    n = walk(args, 1, st, T_COUNT(st));
    check_steps(st, n, w, T_COUNT(w));
    tmp_leave();
    free(zip);
}

/* A zip whose first header is broken: one problem, not two. */
static void
source_reports_damaged_zip_once(void)
{
    step st[4];
    size_t n;
    const char *args[] = { "g.zip" };
    static const want w[] = {
        { "g.zip", -1, KZ_PROB_ARCHIVE, "zip: member header" },
    };

    tmp_enter();
    put_file("g.zip", "PK\003\004garbage", 11);
    n = walk(args, 1, st, T_COUNT(st));
    check_steps(st, n, w, T_COUNT(w));
    tmp_leave();
}

/* A damaged zip: what inflated before the damage is read, then a problem
 * with an offset; a cut-off archive still yields its first member. */
static void
source_truncated_zip_keeps_readable_members(void)
{
    static char big[200000];
    unsigned char *zip;
    size_t nzip, n, i;
    step st[8];
    const char *args[] = { "t.zip" };
    uint32_t x = 1;

    big[0] = '[';
    for (i = 1; i < sizeof(big); i++) {
        x = x * 1103515245u + 12345u;
        big[i] = (char)('a' + (x >> 16) % 26);
    }
    {
        const zmember zm[] = { { "one.json", json1, sizeof(json1) - 1 },
                               { "two.json", big, sizeof(big) } };
        zip = zip_mem(zm, 2, &nzip);
    }
    tmp_enter();
    put_file("t.zip", zip, nzip - 30000);      /* cut inside two.json */
    n = walk(args, 1, st, T_COUNT(st));
    T_CHECK(n >= 2, "%zu steps", n);
    if (n >= 2) {
        T_EQ_STR(st[0].path, "t.zip:one.json");
        T_EQ_INT(st[0].len, sizeof(json1) - 1);
        T_EQ_STR(st[1].path, "t.zip:two.json");
        T_CHECK(st[1].len > 0 && st[1].len < sizeof(big),
                "partial member: %zu bytes", st[1].len);
        T_CHECK(st[1].msg[0] != '\0', "no error after the partial member");
        T_CHECK(memcmp(st[1].data, big, 4096) == 0, "member bytes differ");
    }
    for (i = 2; i < n; i++)
        T_CHECK(st[i].prob == KZ_PROB_ARCHIVE, "step %zu: prob %d (%s)", i,
                st[i].prob, st[i].msg);
    tmp_leave();
    free(zip);
}

/* --- streams ----------------------------------------------------------- */

static void
stream_memory_reads_and_peeks(void)
{
    static const char text[] = "0123456789";
    kz_stream *s = kz_stream_from_memory(text, 10);
    const uint8_t *p;
    size_t got;
    char buf[16];
    kz_error err;

    kz_error_clear(&err);
    T_CHECK(s != NULL, "from_memory");
    T_EQ_INT(kz_stream_size(s), 10);
    T_EQ_INT(kz_stream_peek(s, 4, &p, &got, &err), KZ_OK);
    T_EQ_INT(got, 4);
    T_CHECK(memcmp(p, "0123", 4) == 0, "peek bytes");
    T_EQ_INT(kz_stream_offset(s), 0);
    T_EQ_INT(kz_stream_read(s, buf, 3, &got, &err), KZ_OK);
    T_CHECK(got == 3 && memcmp(buf, "012", 3) == 0, "read after peek");
    T_EQ_INT(kz_stream_offset(s), 3);
    T_EQ_INT(kz_stream_peek(s, 100, &p, &got, &err), KZ_OK);
    T_CHECK(got == 7 && memcmp(p, "3456789", 7) == 0, "peek past end");
    T_EQ_INT(kz_stream_read(s, buf, sizeof(buf), &got, &err), KZ_OK);
    T_CHECK(got == 7 && memcmp(buf, "3456789", 7) == 0, "read rest");
    T_EQ_INT(kz_stream_read(s, buf, sizeof(buf), &got, &err), KZ_OK);
    T_EQ_INT(got, 0);
    T_EQ_INT(kz_stream_offset(s), 10);
    kz_stream_close(s);
    kz_stream_close(NULL);
}

/* Reads all of s; returns the bytes got (into buf, up to cap) and the
 * final status (KZ_OK at a clean end). */
static kz_status
drain(kz_stream *s, unsigned char *buf, size_t cap, size_t *total,
      kz_error *err)
{
    size_t got;
    kz_status st;

    *total = 0;
    for (;;) {
        st = kz_stream_read(s, buf + *total,
                            cap - *total < 1000 ? cap - *total : 1000, &got,
                            err);
        if (st != KZ_OK || got == 0)
            return st;
        *total += got;
    }
}

static void
stream_gunzip_multi_member(void)
{
    unsigned char *a, *b, *cat, out[256];
    size_t na, nb, total;
    kz_stream *s;
    kz_error err;

    a = gzip_mem("hello ", 6, &na);
    b = gzip_mem("world", 5, &nb);
    cat = malloc(na + nb);
    memcpy(cat, a, na);
    memcpy(cat + na, b, nb);
    kz_error_clear(&err);
    s = kz_stream_gunzip(kz_stream_from_memory(cat, na + nb));
    T_EQ_INT(drain(s, out, sizeof(out), &total, &err), KZ_OK);
    T_CHECK(total == 11 && memcmp(out, "hello world", 11) == 0,
            "got %zu bytes", total);
    kz_stream_close(s);
    free(a);
    free(b);
    free(cat);
}

static void
stream_gunzip_truncated_delivers_prefix_then_error(void)
{
    static unsigned char text[100000], out[100000];
    unsigned char *gz;
    size_t ngz, i, total;
    kz_stream *s;
    kz_error err;
    kz_status st;

    for (i = 0; i < sizeof(text); i++)
        text[i] = (unsigned char)("abcdefgh\n"[i % 9] ^ (i / 977 & 7));
    gz = gzip_mem(text, sizeof(text), &ngz);
    kz_error_clear(&err);
    s = kz_stream_gunzip(kz_stream_from_memory(gz, ngz / 2));
    st = drain(s, out, sizeof(out), &total, &err);
    T_EQ_INT(st, KZ_EFORMAT);
    T_CHECK(total > 0 && total < sizeof(text), "prefix of %zu bytes", total);
    T_CHECK(memcmp(out, text, total) == 0, "prefix differs");
    T_EQ_INT(err.offset, total);
    T_EQ_INT(kz_stream_offset(s), total);
    T_CHECK(strstr(err.msg, "truncated") != NULL, "msg: %s", err.msg);
    /* Sticky. */
    kz_error_clear(&err);
    T_EQ_INT(kz_stream_read(s, out, 10, &total, &err), KZ_EFORMAT);
    T_EQ_INT(total, 0);
    kz_stream_close(s);
    free(gz);
}

static void
stream_gunzip_corrupt_and_trailing_data(void)
{
    static const struct {
        const char *what;
        size_t at;          /* byte to damage from the end, 0 = append */
        const char *msg;    /* expected message part */
    } rows[] = {
        { "trailing garbage", 0, "trailing data" },
        { "bad crc", 6, "incorrect data check" },
        { "bad length", 2, "incorrect length check" },
    };
    unsigned char *gz, *buf, out[64];
    size_t ngz, i, total;
    kz_stream *s;
    kz_error err;

    gz = gzip_mem("some text here", 14, &ngz);
    for (i = 0; i < T_COUNT(rows); i++) {
        buf = malloc(ngz + 4);
        memcpy(buf, gz, ngz);
        if (rows[i].at == 0)
            memcpy(buf + ngz, "junk", 4);
        else
            buf[ngz - rows[i].at] ^= 0x55;
        kz_error_clear(&err);
        s = kz_stream_gunzip(
            kz_stream_from_memory(buf, ngz + (rows[i].at == 0 ? 4 : 0)));
        T_CHECK(drain(s, out, sizeof(out), &total, &err) == KZ_EFORMAT,
                "row %zu (%s): no error", i, rows[i].what);
        T_CHECK(strstr(err.msg, rows[i].msg) != NULL,
                "row %zu (%s): msg \"%s\"", i, rows[i].what, err.msg);
        T_CHECK(total == 14 && memcmp(out, "some text here", 14) == 0,
                "row %zu (%s): %zu bytes before the error", i, rows[i].what,
                total);
        kz_stream_close(s);
        free(buf);
    }
    free(gz);
}

static void
source_total_bytes_counts_plain_files(void)
{
    kz_source *src;
    const char *args[] = { "d", "x.json", "-", "nope" };

    tmp_enter();
    if (mkdir("d", 0755) != 0 || mkdir("d/e", 0755) != 0)
        exit(2);
    put_file("d/a", "12345", 5);
    put_file("d/e/b", "123", 3);
    put_file("x.json", "1234567", 7);
    if (symlink("../x.json", "d/l") != 0)
        exit(2);
    src = kz_source_new(args, T_COUNT(args));
    T_EQ_INT(kz_source_total_bytes(src), 15);
    kz_source_free(src);
    tmp_leave();
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(source_walks_tree_in_byte_order),
        T_CASE(source_keeps_argument_order_and_indexes),
        T_CASE(source_follows_symlink_given_as_argument),
        T_CASE(source_recognises_by_bytes),
        T_CASE(source_unpacks_nested_archives),
        T_CASE(source_reports_empty_zip),
        T_CASE(source_reports_damaged_zip_once),
        T_CASE(source_truncated_zip_keeps_readable_members),
        T_CASE(source_total_bytes_counts_plain_files),
        T_CASE(stream_memory_reads_and_peeks),
        T_CASE(stream_gunzip_multi_member),
        T_CASE(stream_gunzip_truncated_delivers_prefix_then_error),
        T_CASE(stream_gunzip_corrupt_and_trailing_data),
    };
    int r = t_run(cases, T_COUNT(cases), argc, argv);

    tmp_cleanup();
    return r;
}
