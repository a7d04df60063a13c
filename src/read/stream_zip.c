/*
 * stream_zip.c - zip archives read sequentially through libarchive, one
 * stream per member.
 *
 * The archive is read from a kz_stream (a file, stdin, a gzip stream, even
 * another archive's member), so it cannot seek: members come in the order
 * of their local headers, which is also what survives when the central
 * directory at the end is cut off. Memory is libarchive's own fixed
 * buffers plus one 64 KiB input buffer.
 *
 * Names: libarchive converts member names to the charset of the current
 * locale, and drops those it cannot convert (all non-ASCII names in the
 * "C" locale). The walker wants UTF-8 whatever the user's locale, so the
 * header is read with a UTF-8 LC_CTYPE set for this thread only
 * (uselocale). Names stored without zip's UTF-8 flag (often CP437 or
 * CP932) come through as their raw bytes, escaped when printed.
 *
 * Lifetime: the archive is reference counted (the walker plus each open
 * member stream) so closing in any order is safe; a member stream stops
 * working once the walker has moved to the next member (a generation
 * counter tells), since libarchive has only one current member.
 */
#include "read/stream_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "read/stream.h"

#define ZIP_INBUF ((size_t)64 * 1024)

struct kz_zip {
    struct archive *a;      /* libarchive reader */
    kz_stream *in;          /* archive bytes (owned) */
    unsigned refs;          /* walker + open member streams */
    uint64_t gen;           /* bumped at each kz_zip_next() */
    bool dead;              /* a fatal error: no more members */
    bool in_failed;         /* in returned an error (kept in in_err) */
    kz_error in_err;        /* that error */
    uint8_t *buf;           /* input buffer handed to libarchive */
    locale_t utf8;          /* a UTF-8 LC_CTYPE, or (locale_t)0 */
    char noname[48];        /* stand-in for a name that did not convert */
};

typedef struct member_impl {
    kz_zip *z;              /* archive (one reference) */
    uint64_t gen;           /* generation the member belongs to */
} member_impl;

static void
zip_unref(kz_zip *z)
{
    if (z == NULL || --z->refs > 0)
        return;
    if (z->a != NULL)
        archive_read_free(z->a);
    kz_stream_close(z->in);
    if (z->utf8 != (locale_t)0)
        freelocale(z->utf8);
    free(z->buf);
    free(z);
}

static la_ssize_t
zip_read_cb(struct archive *a, void *ud, const void **buf)
{
    kz_zip *z = ud;
    kz_error e;
    size_t got;

    kz_error_clear(&e);
    if (kz_stream_read(z->in, z->buf, ZIP_INBUF, &got, &e) != KZ_OK) {
        if (!z->in_failed) {
            z->in_failed = true;
            z->in_err = e;
        }
        archive_set_error(a, EIO, "%s", e.msg);
        return -1;
    }
    *buf = z->buf;
    return (la_ssize_t)got;
}

/* Records libarchive's (or the input's) error in err. */
static kz_status
zip_error(kz_zip *z, const char *what, kz_error *err)
{
    const char *msg = archive_error_string(z->a);
    uint64_t off = (uint64_t)archive_filter_bytes(z->a, 0);

    if (z->in_failed)
        return kz_error_set_at(err, z->in_err.code, z->in_err.offset,
                               "%s", z->in_err.msg);
    return kz_error_set_at(err, KZ_EFORMAT, off, "zip: %s: %s", what,
                           msg != NULL ? msg : "damaged archive");
}

kz_status
kz_zip_open(kz_stream *in, kz_zip **out, kz_error *err)
{
    kz_zip *z = NULL;
    kz_status st = KZ_OK;

    *out = NULL;
    if ((z = calloc(1, sizeof(*z))) == NULL) {
        kz_stream_close(in);
        return kz_error_set(err, KZ_ENOMEM, "zip: out of memory");
    }
    z->refs = 1;
    z->in = in;
    kz_error_clear(&z->in_err);
    z->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    if ((z->buf = malloc(ZIP_INBUF)) == NULL ||
        (z->a = archive_read_new()) == NULL) {
        st = kz_error_set(err, KZ_ENOMEM, "zip: out of memory");
        goto out;
    }
    if (archive_read_support_format_zip_streamable(z->a) != ARCHIVE_OK) {
        st = kz_error_set(err, KZ_EINTERNAL, "zip: no zip support");
        goto out;
    }
    if (archive_read_open(z->a, z, NULL, zip_read_cb, NULL) !=
        ARCHIVE_OK) {
        st = zip_error(z, "cannot open", err);
        goto out;
    }
    *out = z;
    z = NULL;
out:
    if (z != NULL)
        zip_unref(z);
    return st;
}

/* --- member streams ---------------------------------------------------- */

static kz_status
member_fill(kz_stream *s, uint8_t *buf, size_t n, size_t *got,
            kz_error *err)
{
    member_impl *m = s->impl;
    kz_zip *z = m->z;
    la_ssize_t r;

    *got = 0;
    if (z->gen != m->gen || z->dead)
        return kz_error_set(err, KZ_EINTERNAL,
                            "zip member read after the archive moved on");
    r = archive_read_data(z->a, buf, n);
    if (r >= 0) {
        *got = (size_t)r;
        return KZ_OK;
    }
    if (r == ARCHIVE_FATAL)
        z->dead = true;     /* the same error would repeat per member */
    return zip_error(z, "member data", err);
}

static void
member_close(kz_stream *s)
{
    member_impl *m = s->impl;

    if (m == NULL)
        return;
    zip_unref(m->z);
    free(m);
}

static const kz_stream_ops member_ops = { "zip member", member_fill,
                                          member_close };

kz_status
kz_zip_next(kz_zip *z, kz_zip_entry *e, kz_stream **member, bool *done,
            kz_error *err)
{
    struct archive_entry *ent = NULL;
    member_impl *m = NULL;
    const char *name = NULL;
    locale_t prev = (locale_t)0;
    unsigned type;
    int r, tries = 0;

    *member = NULL;
    *done = false;
    memset(e, 0, sizeof(*e));
    z->gen++;
    if (z->dead) {
        *done = true;
        return KZ_OK;
    }
    if (z->utf8 != (locale_t)0)
        prev = uselocale(z->utf8);
    do {
        r = archive_read_next_header(z->a, &ent);
    } while (r == ARCHIVE_RETRY && ++tries < 3);
    if (r == ARCHIVE_OK || r == ARCHIVE_WARN) {
        name = archive_entry_pathname_utf8(ent);
        if (name == NULL)
            name = archive_entry_pathname(ent);
    }
    if (prev != (locale_t)0)
        uselocale(prev);
    if (r == ARCHIVE_EOF) {
        *done = true;
        return KZ_OK;
    }
    if (r == ARCHIVE_FATAL || r == ARCHIVE_RETRY) {
        z->dead = true;
        return zip_error(z, "member header", err);
    }
    if (r == ARCHIVE_FAILED)
        return zip_error(z, "member header", err);
    /* ARCHIVE_OK or ARCHIVE_WARN (e.g. a name that did not convert). */
    if (name == NULL) {
        snprintf(z->noname, sizeof(z->noname), "(member %llu: name not "
                 "readable)", (unsigned long long)z->gen);
        name = z->noname;
    }
    e->name = name;
    type = (unsigned)archive_entry_filetype(ent);
    e->kind = type == AE_IFDIR ? KZ_ZIP_DIR
            : type == AE_IFREG || type == 0 ? KZ_ZIP_FILE
            : KZ_ZIP_OTHER;
    if (archive_entry_size_is_set(ent) && archive_entry_size(ent) > 0)
        e->size = (uint64_t)archive_entry_size(ent);
    e->encrypted = archive_entry_is_encrypted(ent) != 0;
    if (e->kind != KZ_ZIP_FILE || e->encrypted)
        return KZ_OK;
    if ((m = calloc(1, sizeof(*m))) == NULL)
        return kz_error_set(err, KZ_ENOMEM, "zip: out of memory");
    m->z = z;
    m->gen = z->gen;
    z->refs++;
    if ((*member = kz_stream_new(&member_ops, m, e->size)) == NULL)
        return kz_error_set(err, KZ_ENOMEM, "zip: out of memory");
    return KZ_OK;
}

void
kz_zip_close(kz_zip *z)
{
    zip_unref(z);
}
