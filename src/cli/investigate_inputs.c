/*
 * investigate_inputs.c - the inputs of the manifest (保全機器's known
 * part): every file under the operands, walked as the reader walks, with
 * its size and SHA-256. Hashing reads every byte of the inputs a second
 * time, so it runs in a thread of its own beside the hunt (started when
 * the operands are known, joined when the report is filled); without a
 * thread the files are hashed at the end, as before. Reference:
 * docs/investigate.md ("Command"), docs/report.md (manifest.json).
 * Threads: kz_inv_inputs_start and _finish on the calling thread; the
 * hashing thread touches only its own list.
 */
#include "cli/investigate_int.h"

#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/grow.h"
#include "report/report.h"

/* Directory depth walked for the manifest (as deep as the reader goes
 * in practice; deeper files are left out and counted). */
#define WALK_DEPTH 32
/* Files listed in the manifest from directories. */
#define WALK_MAX 100000

/* One file: its path, a note ("" = to hash), and the hash's result. */
typedef struct file {
    char *path;       /* malloc: path, NUL, note */
    const char *note; /* in path's allocation */
    uint64_t size;
    char hex[KZ_SHA256_HEX_LEN + 1];
    char *why;        /* malloc: why it could not be hashed, or NULL */
} file;

struct kz_inv_inputs {
    file *v;
    size_t n, cap;
    uint64_t left_out;   /* past WALK_MAX or WALK_DEPTH */
    bool stdin_read;     /* "-" among the operands */
    pthread_t thread;
    bool threaded;       /* the thread runs (join it) */
    bool hashed;         /* every file hashed */
};

static int
cmp_file(const void *a, const void *b)
{
    return strcmp(((const file *)a)->path, ((const file *)b)->path);
}

/* Lists path with a note ("" = to hash). */
static void
list(kz_inv_inputs *p, const char *path, const char *note)
{
    size_t n = strlen(path), m = strlen(note);
    char *copy;

    if (p->n >= WALK_MAX ||
        kz_grow(&p->v, &p->cap, p->n + 1, sizeof(*p->v), 64) != KZ_OK ||
        (copy = malloc(n + m + 2)) == NULL) {
        p->left_out++;
        return;
    }
    memcpy(copy, path, n + 1);
    memcpy(copy + n + 1, note, m + 1);
    memset(&p->v[p->n], 0, sizeof(p->v[p->n]));
    p->v[p->n].path = copy;
    p->v[p->n].note = copy + n + 1;
    p->n++;
}

/* As the reader walks (src/read/source.c): operands through stat,
 * entries of a tree through lstat, symbolic links not followed, only
 * regular files hashed. */
static void
walk(kz_inv_inputs *p, const char *path, unsigned depth)
{
    struct stat sb;
    DIR *d;
    struct dirent *e;
    char sub[4096];
    int r = depth == 0 ? stat(path, &sb) : lstat(path, &sb);

    if (r != 0) {
        list(p, path, "cannot be read");
        return;
    }
    if (S_ISLNK(sb.st_mode)) {
        list(p, path, "symbolic link not followed");
        return;
    }
    if (!S_ISDIR(sb.st_mode)) {
        list(p, path, S_ISREG(sb.st_mode) ? "" : "not a regular file");
        return;
    }
    if (depth >= WALK_DEPTH || (d = opendir(path)) == NULL) {
        p->left_out++;
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) >=
            sizeof(sub)) {
            p->left_out++;
            continue;
        }
        walk(p, sub, depth + 1);
    }
    closedir(d);
}

/* Hashes every listed file that has no note. */
static void
hash_all(kz_inv_inputs *p)
{
    size_t i;

    for (i = 0; i < p->n; i++) {
        file *f = &p->v[i];
        kz_error why;

        if (*f->note != '\0')
            continue;
        kz_error_clear(&why);
        if (kz_report_hash_file(f->path, &f->size, f->hex, &why) != KZ_OK)
            f->why = strdup(why.msg[0] != '\0' ? why.msg : "cannot be read");
    }
    p->hashed = true;
}

static void *
hash_thread(void *arg)
{
    hash_all(arg);
    return NULL;
}

kz_inv_inputs *
kz_inv_inputs_start(const char *const *paths, size_t n)
{
    kz_inv_inputs *p = calloc(1, sizeof(*p));
    size_t i;

    if (p == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        if (strcmp(paths[i], "-") == 0)
            p->stdin_read = true;
        else
            walk(p, paths[i], 0);
    }
    if (p->n > 1)
        qsort(p->v, p->n, sizeof(*p->v), cmp_file);
    p->threaded = pthread_create(&p->thread, NULL, hash_thread, p) == 0;
    return p;
}

kz_status
kz_inv_inputs_finish(kz_inv_inputs **pp, kz_report *r,
                     const kz_hunt_done *dn, kz_error *err)
{
    kz_inv_inputs *p = *pp;
    kz_status st = KZ_OK;
    size_t i;

    if (p == NULL) /* the operands were never given: walk them now */
        p = *pp = kz_inv_inputs_start(dn->paths, dn->npaths);
    if (p == NULL)
        return KZ_ENOMEM;
    if (p->threaded) {
        pthread_join(p->thread, NULL);
        p->threaded = false;
    }
    if (!p->hashed)
        hash_all(p);
    if (p->stdin_read) {
        kz_report_input in = {"-", 0, NULL, "standard input (not hashed)"};

        st = kz_report_add_input(r, &in, err);
    }
    for (i = 0; i < p->n && st == KZ_OK; i++) {
        const file *f = &p->v[i];
        kz_report_input in = {f->path, f->size, NULL, NULL};

        if (*f->note != '\0')
            in.note = f->note;
        else if (f->why != NULL)
            in.note = f->why;
        else if (f->hex[0] == '\0')
            in.note = "cannot be read";
        else
            in.sha256 = f->hex;
        st = kz_report_add_input(r, &in, err);
    }
    r->inputs.omitted += p->left_out;
    return st;
}

void
kz_inv_inputs_free(kz_inv_inputs *p)
{
    size_t i;

    if (p == NULL)
        return;
    if (p->threaded)
        pthread_join(p->thread, NULL);
    for (i = 0; i < p->n; i++) {
        free(p->v[i].path);
        free(p->v[i].why);
    }
    free(p->v);
    free(p);
}
