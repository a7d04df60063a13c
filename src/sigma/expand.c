/*
 * expand.c - placeholder values for the `expand` modifier (--expand):
 * a YAML map `name: [values]` (a single scalar is a one-value list), or a
 * directory of NAME.txt files with one value per line (empty lines and
 * lines starting with '#' skipped, trailing CR removed). Names are looked
 * up exactly, then ASCII case-insensitively.
 */
#include "sigma/sigma_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define MAX_NAMES 4096
#define MAX_VALUES 65536

struct kz_sg_expand {
    kz_arena arena;          /* names and values */
    const char **names;      /* placeholder names */
    kz_sg_strlist *vals;     /* their values */
    size_t n, cap;           /* entries used / allocated */
};

static kz_status
add_entry(kz_sg_expand *e, const char *name, size_t nlen,
          const char **vals, size_t nvals)
{
    const char **v;

    if (e->n >= MAX_NAMES)
        return KZ_ELIMIT;
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 16;
        const char **nn = realloc(e->names, cap * sizeof(*nn));
        kz_sg_strlist *nv;

        if (nn == NULL)
            return KZ_ENOMEM;
        e->names = nn;
        if ((nv = realloc(e->vals, cap * sizeof(*nv))) == NULL)
            return KZ_ENOMEM;
        e->vals = nv;
        e->cap = cap;
    }
    v = kz_arena_alloc(&e->arena, (nvals ? nvals : 1) * sizeof(*v));
    if (v == NULL ||
        (e->names[e->n] = kz_arena_strndup(&e->arena, name, nlen)) == NULL)
        return KZ_ENOMEM;
    if (nvals > 0)
        memcpy(v, vals, nvals * sizeof(*v));
    e->vals[e->n].v = v;
    e->vals[e->n].n = nvals;
    e->n++;
    return KZ_OK;
}

static kz_status
read_all(const char *path, char **text, size_t *len, kz_error *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0;

    *text = NULL;
    if (f == NULL)
        return kz_error_set(err, KZ_EIO, "%s: %s", path, strerror(errno));
    if ((buf = malloc(KZ_SG_MAX_FILE + 1)) == NULL) {
        fclose(f);
        return kz_error_set(err, KZ_ENOMEM, "out of memory");
    }
    n = fread(buf, 1, KZ_SG_MAX_FILE + 1, f);
    if (ferror(f) || n > KZ_SG_MAX_FILE) {
        fclose(f);
        free(buf);
        return kz_error_set(err, KZ_ELIMIT, "%s: unreadable or larger "
                            "than 4 MiB", path);
    }
    fclose(f);
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return KZ_OK;
}

static kz_status
load_txt(kz_sg_expand *e, const char *path, const char *name, size_t nlen,
         kz_error *err)
{
    char *text, *p;
    size_t len, n = 0;
    const char **vals = NULL;
    kz_status st;

    if ((st = read_all(path, &text, &len, err)) != KZ_OK)
        return st;
    if ((vals = malloc(MAX_VALUES * sizeof(*vals))) == NULL) {
        free(text);
        return kz_error_set(err, KZ_ENOMEM, "out of memory");
    }
    for (p = text; *p && st == KZ_OK;) {
        char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);

        if (l > 0 && p[l - 1] == '\r')
            l--;
        if (l > 0 && p[0] != '#') {
            if (n >= MAX_VALUES)
                st = kz_error_set(err, KZ_ELIMIT, "%s: too many values",
                                  path);
            else if ((vals[n++] = kz_arena_strndup(&e->arena, p, l)) == NULL)
                st = kz_error_set(err, KZ_ENOMEM, "out of memory");
        }
        p = nl ? nl + 1 : p + strlen(p);
    }
    if (st == KZ_OK && (st = add_entry(e, name, nlen, vals, n)) != KZ_OK)
        kz_error_set(err, st, "%s: too many placeholders", path);
    free(vals);
    free(text);
    return st;
}

static kz_status
load_dir(kz_sg_expand *e, const char *path, kz_error *err)
{
    DIR *d = opendir(path);
    struct dirent *de;
    kz_status st = KZ_OK;

    if (d == NULL)
        return kz_error_set(err, KZ_EIO, "%s: %s", path, strerror(errno));
    while (st == KZ_OK && (de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        char full[4096];

        if (l <= 4 || strcmp(de->d_name + l - 4, ".txt") != 0 ||
            de->d_name[0] == '.')
            continue;
        if ((size_t)snprintf(full, sizeof(full), "%s/%s", path,
                             de->d_name) >= sizeof(full))
            continue;
        st = load_txt(e, full, de->d_name, l - 4, err);
    }
    closedir(d);
    return st;
}

static kz_status
load_yaml(kz_sg_expand *e, const char *path, kz_error *err)
{
    char *text;
    size_t len, i, j;
    kz_arena scratch;
    kz_yaml *y = NULL;
    kz_yn *root = NULL;
    const char *why;
    unsigned line;
    kz_status st;

    if ((st = read_all(path, &text, &len, err)) != KZ_OK)
        return st;
    kz_arena_init(&scratch, 65536, 0);
    if ((y = kz_yaml_open(text, len, &scratch)) == NULL) {
        st = kz_error_set(err, KZ_ENOMEM, "out of memory");
        goto out;
    }
    if ((st = kz_yaml_next(y, &root, &why, &line)) != KZ_OK) {
        kz_error_set(err, st, "%s:%u: %s", path, line, why ? why : "?");
        goto out;
    }
    if (root == NULL || root->kind != KZ_YN_MAP) {
        st = kz_error_set(err, KZ_EFORMAT, "%s: expected a map of "
                          "placeholder names to value lists", path);
        goto out;
    }
    for (i = 0; i < root->n && st == KZ_OK; i++) {
        const kz_yn *k = root->kids[2 * i], *v = root->kids[2 * i + 1];
        size_t nv = v->kind == KZ_YN_SEQ ? v->n : 1;
        const char **vals;

        if (k->kind != KZ_YN_SCALAR || v->kind == KZ_YN_MAP) {
            st = kz_error_set(err, KZ_EFORMAT, "%s:%u: expected name: "
                              "[values]", path, k->line);
            break;
        }
        if ((vals = kz_arena_alloc(&scratch, nv * sizeof(*vals) + 1)) ==
            NULL) {
            st = kz_error_set(err, KZ_ENOMEM, "out of memory");
            break;
        }
        for (j = 0; j < nv; j++) {
            const kz_yn *s = v->kind == KZ_YN_SEQ ? v->kids[j] : v;

            if (s->kind != KZ_YN_SCALAR) {
                st = kz_error_set(err, KZ_EFORMAT, "%s:%u: values must "
                                  "be scalars", path, s->line);
                break;
            }
            if ((vals[j] = kz_arena_strndup(&e->arena, s->str, s->len)) ==
                NULL) {
                st = kz_error_set(err, KZ_ENOMEM, "out of memory");
                break;
            }
        }
        if (st == KZ_OK &&
            (st = add_entry(e, k->str, k->len, vals, nv)) != KZ_OK)
            kz_error_set(err, st, "%s: too many placeholders", path);
    }
out:
    kz_yaml_close(y);
    kz_arena_fini(&scratch);
    free(text);
    return st;
}

kz_sg_expand *
kz_sg_expand_load(const char *path, kz_error *err)
{
    kz_sg_expand *e;
    struct stat sb;
    kz_status st;

    if (stat(path, &sb) != 0) {
        kz_error_set(err, KZ_EIO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if ((e = calloc(1, sizeof(*e))) == NULL) {
        kz_error_set(err, KZ_ENOMEM, "out of memory");
        return NULL;
    }
    kz_arena_init(&e->arena, 16384, 0);
    st = S_ISDIR(sb.st_mode) ? load_dir(e, path, err)
                             : load_yaml(e, path, err);
    if (st != KZ_OK) {
        kz_sg_expand_free(e);
        return NULL;
    }
    return e;
}

void
kz_sg_expand_free(kz_sg_expand *e)
{
    if (e == NULL)
        return;
    free(e->names);
    free(e->vals);
    kz_arena_fini(&e->arena);
    free(e);
}

const kz_sg_strlist *
kz_sg_expand_get(const kz_sg_expand *e, const char *name, size_t n)
{
    size_t i;

    if (e == NULL)
        return NULL;
    for (i = 0; i < e->n; i++)
        if (strlen(e->names[i]) == n && memcmp(e->names[i], name, n) == 0)
            return &e->vals[i];
    for (i = 0; i < e->n; i++)
        if (strlen(e->names[i]) == n &&
            strncasecmp(e->names[i], name, n) == 0)
            return &e->vals[i];
    return NULL;
}
