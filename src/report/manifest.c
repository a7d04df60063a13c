/*
 * manifest.c - the input manifest: every input hashed with SHA-256 while
 * streaming it (bounded memory whatever the file size), manifest.json,
 * and the writing of the report files into the output directory.
 */
#include "report/report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/report_int.h"

#define HASH_CHUNK (256 * 1024) /* bytes read at a time */

kz_status
kz_report_hash_file(const char *path, uint64_t *size,
                    char hex[KZ_SHA256_HEX_LEN + 1], kz_error *err)
{
    kz_sha256 c;
    uint8_t digest[KZ_SHA256_LEN];
    uint8_t *buf = NULL;
    uint64_t total = 0;
    kz_status st = KZ_OK;
    int fd;

    *size = 0;
    hex[0] = '\0';
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return kz_error_set(err, KZ_EIO, "%s", strerror(errno));
    buf = malloc(HASH_CHUNK);
    if (buf == NULL) {
        st = kz_error_set(err, KZ_ENOMEM, "hash buffer");
        goto out;
    }
    kz_sha256_init(&c);
    for (;;) {
        ssize_t got = read(fd, buf, HASH_CHUNK);

        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            st = kz_error_set(err, KZ_EIO, "%s", strerror(errno));
            goto out;
        }
        if (got == 0)
            break;
        kz_sha256_update(&c, buf, (size_t)got);
        total += (uint64_t)got;
    }
    kz_sha256_final(&c, digest);
    kz_sha256_hex(digest, hex);
    *size = total;
out:
    free(buf);
    close(fd);
    return st;
}

kz_status
kz_report_add_input_file(kz_report *r, const char *path, kz_error *err)
{
    char hex[KZ_SHA256_HEX_LEN + 1];
    kz_report_input in = { .path = path };
    kz_error why = { 0 };

    if (kz_report_hash_file(path, &in.size, hex, &why) == KZ_OK)
        in.sha256 = hex;
    else
        in.note = why.msg;
    return kz_report_add_input(r, &in, err);
}

kz_status
kz_report_manifest(const kz_report *r, kz_strbuf *out, kz_error *err)
{
    kz_status st = kz_rpt_json_manifest(r, out);

    if (st != KZ_OK)
        return kz_error_set(err, st, "manifest.json: %s",
                            kz_status_str(st));
    return KZ_OK;
}

/* Writes b to dir/name through dir/.name.tmp and a rename, so a reader
 * never sees half a file. */
static kz_status
write_file(const char *dir, const char *name, const kz_strbuf *b,
           kz_error *err)
{
    kz_strbuf path, tmp;
    kz_status st;
    FILE *f = NULL;

    kz_strbuf_init(&path, 8192);
    kz_strbuf_init(&tmp, 8192);
    if ((st = kz_strbuf_addf(&path, "%s/%s", dir, name)) != KZ_OK ||
        (st = kz_strbuf_addf(&tmp, "%s/.%s.tmp", dir, name)) != KZ_OK) {
        st = kz_error_set(err, st, "%s: path too long", name);
        goto out;
    }
    f = fopen(tmp.data, "wb");
    if (f == NULL) {
        st = kz_error_set(err, KZ_EIO, "%s: %s", path.data, strerror(errno));
        goto out;
    }
    if ((b->len != 0 && fwrite(b->data, 1, b->len, f) != b->len) ||
        fclose(f) != 0) {
        f = NULL;
        st = kz_error_set(err, KZ_EIO, "%s: %s", path.data, strerror(errno));
        unlink(tmp.data);
        goto out;
    }
    f = NULL;
    if (rename(tmp.data, path.data) != 0) {
        st = kz_error_set(err, KZ_EIO, "%s: %s", path.data, strerror(errno));
        unlink(tmp.data);
        goto out;
    }
out:
    if (f != NULL)
        fclose(f);
    kz_strbuf_fini(&path);
    kz_strbuf_fini(&tmp);
    return st;
}

kz_status
kz_report_write_dir(const kz_report *r, const char *dir, kz_error *err)
{
    static const struct {
        const char *name;
        kz_status (*render)(const kz_report *, kz_strbuf *, kz_error *);
    } outputs[] = {
        { "report.html", kz_report_html },
        { "report.md", kz_report_md },
        { "report.json", kz_report_json },
        { KZ_REPORT_NAVIGATOR_FILE, kz_report_navigator },
        { "manifest.json", kz_report_manifest },
    };
    kz_strbuf b;
    kz_status st = KZ_OK;

    kz_strbuf_init(&b, 0);
    for (size_t i = 0; i < sizeof(outputs) / sizeof(outputs[0]); i++) {
        kz_strbuf_reset(&b);
        if ((st = outputs[i].render(r, &b, err)) != KZ_OK ||
            (st = write_file(dir, outputs[i].name, &b, err)) != KZ_OK)
            break;
    }
    kz_strbuf_fini(&b);
    return st;
}
