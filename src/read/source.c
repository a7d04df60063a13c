/*
 * source.c - input discovery: command-line paths to recognised streams.
 *
 * The walker is a stack of frames (a directory being listed, a zip archive
 * being unpacked) over the list of arguments; each kz_source_next() call
 * advances the top frame until it has an input or a problem to return.
 * Everything is recognised by its first bytes, never by its name, since
 * logs collected during an incident are routinely renamed (Security.evtx
 * saved as "sec.log", exports without extensions).
 *
 * Symlinks met inside directories are reported, not followed (no cycles,
 * no escaping the evidence tree); a symlink named on the command line is
 * followed, because the user chose it (like find -H).
 * Contract and failure behaviour: docs/internals/read-source.md.
 */
#include "read/source.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "read/stream_int.h"

/* Directory depth below which kz_source_total_bytes() stops counting. */
#define SOURCE_SIZE_DEPTH 64

typedef enum frame_kind {
    FR_DIR,                 /* a directory being listed */
    FR_ZIP,                 /* a zip archive being unpacked */
} frame_kind;

typedef struct frame {
    frame_kind kind;        /* what is being walked */
    char *path;             /* display path of the directory or archive */
    uint32_t arg_index;     /* argument it came from */
    struct dirent **ents;   /* FR_DIR: entries in byte order of names */
    int nents;              /* FR_DIR: entry count */
    int next;               /* FR_DIR: next entry */
    kz_zip *zip;            /* FR_ZIP: the archive */
    unsigned depth;         /* FR_ZIP: archive layers around its members */
    uint64_t members;       /* FR_ZIP: entries seen */
    bool damaged;           /* FR_ZIP: a header error was reported */
} frame;

struct kz_source {
    char **paths;           /* arguments (copies) */
    size_t npaths;          /* their count */
    size_t next_arg;        /* next argument to visit */
    frame *stack;           /* open directories and archives */
    size_t nstack;          /* frames in use */
    size_t capstack;        /* frames allocated */
    char *cur;              /* display path of the last result */
    uint32_t file_index;    /* inputs returned so far */
    bool total_known;       /* total computed */
    uint64_t total;         /* kz_source_total_bytes() */
};

/* The result of one step of the walk. */
typedef struct visit {
    bool have;              /* an input or a problem to return */
    kz_stream *stream;      /* the input's stream, or NULL for a problem */
    kz_input_kind kind;     /* the input's kind */
    uint32_t arg_index;     /* argument it came from */
    kz_problem prob;        /* the problem, when stream is NULL */
} visit;

/* What the first bytes say. */
typedef enum sniff_kind {
    SN_OTHER,
    SN_EVTX,
    SN_JSON,
    SN_GZIP,
    SN_ZIP,
} sniff_kind;

/* Formats we recognise only to say why they are not read. */
static const struct known_magic {
    size_t off;             /* where the magic sits */
    const char *magic;      /* its bytes */
    size_t len;             /* their count */
    const char *what;       /* the explanation */
} known_magics[] = {
    { 0, "ElfChnk\0", 8, "an EVTX chunk without a file header" },
    { 4, "LfLe", 4, "a legacy EVT log (Windows XP/2003)" },
    { 0, "BZh", 3, "bzip2 data (decompress it first)" },
    { 0, "\xfd" "7zXZ\0", 6, "xz data (decompress it first)" },
    { 0, "\x28\xb5\x2f\xfd", 4, "zstd data (decompress it first)" },
    { 0, "7z\xbc\xaf\x27\x1c", 6, "a 7-Zip archive" },
    { 0, "Rar!", 4, "a RAR archive" },
    { 0, "<?xml", 5, "XML (export the log as EVTX or JSON)" },
    { 0, "<Event", 6, "XML (export the log as EVTX or JSON)" },
    { 0, "MZ", 2, "a Windows executable" },
};

static bool
is_ws(uint32_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* True if the first non-whitespace code unit of p is '{' or '[', reading
 * units of `unit` bytes with the ASCII byte at index `lo` (UTF-8: 1, 0;
 * UTF-16LE: 2, 0; UTF-16BE: 2, 1). */
static bool
looks_json(const uint8_t *p, size_t n, size_t unit, size_t lo)
{
    size_t i;
    uint32_t c;

    for (i = 0; i + unit <= n; i += unit) {
        c = p[i + lo];
        if (unit == 2 && p[i + 1 - lo] != 0)
            return false;
        if (is_ws(c))
            continue;
        return c == '{' || c == '[';
    }
    return false;
}

static sniff_kind
sniff(const uint8_t *p, size_t n)
{
    if (n >= 8 && memcmp(p, "ElfFile\0", 8) == 0)
        return SN_EVTX;
    if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
        return SN_GZIP;
    if (n >= 4 && p[0] == 'P' && p[1] == 'K' &&
        ((p[2] == 3 && p[3] == 4) || (p[2] == 5 && p[3] == 6) ||
         (p[2] == 7 && p[3] == 8)))
        return SN_ZIP;
    if ((n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) ||
        (n >= 2 && p[0] == 0xff && p[1] == 0xfe) ||
        (n >= 2 && p[0] == 0xfe && p[1] == 0xff))
        return SN_JSON;
    if (looks_json(p, n, 1, 0) || looks_json(p, n, 2, 0) ||
        looks_json(p, n, 2, 1))
        return SN_JSON;
    return SN_OTHER;
}

/* Fills v with a problem; the message is printf-style. */
static void
set_problem(visit *v, kz_problem_kind kind, uint64_t offset,
            const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
set_problem(visit *v, kz_problem_kind kind, uint64_t offset,
            const char *fmt, ...)
{
    va_list ap;

    v->have = true;
    v->stream = NULL;
    memset(&v->prob, 0, sizeof(v->prob));
    v->prob.kind = kind;
    v->prob.offset = offset;
    v->prob.lost = 0;
    v->prob.chunk = -1;
    v->prob.line = 0;
    va_start(ap, fmt);
    vsnprintf(v->prob.msg, sizeof(v->prob.msg), fmt, ap);
    va_end(ap);
}

/* Explains bytes that are none of our formats. */
static void
set_unsupported(visit *v, const uint8_t *p, size_t n)
{
    const struct known_magic *m;
    size_t i;
    char hex[3 * 8 + 1] = "";

    for (i = 0; i < sizeof(known_magics) / sizeof(known_magics[0]); i++) {
        m = &known_magics[i];
        if (n >= m->off + m->len &&
            memcmp(p + m->off, m->magic, m->len) == 0) {
            set_problem(v, KZ_PROB_UNSUPPORTED, KZ_NO_OFFSET,
                        "not a supported format: %s", m->what);
            return;
        }
    }
    for (i = 0; i < n && i < 8; i++)
        snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x ", p[i]);
    if (i > 0)
        hex[3 * i - 1] = '\0';
    set_problem(v, KZ_PROB_UNSUPPORTED, KZ_NO_OFFSET,
                "not EVTX, JSON, gzip or zip (starts with %s)", hex);
}

/* Replaces the current display path by a copy of a[0..na) + b. */
static kz_status
set_cur(kz_source *src, const char *a, size_t na, const char *b)
{
    size_t nb = b != NULL ? strlen(b) : 0;
    char *p;

    if (na > SIZE_MAX - nb - 1 || (p = malloc(na + nb + 1)) == NULL)
        return KZ_ENOMEM;
    memcpy(p, a, na);
    if (nb > 0)
        memcpy(p + na, b, nb);
    p[na + nb] = '\0';
    free(src->cur);
    src->cur = p;
    return KZ_OK;
}

static kz_status
push_frame(kz_source *src, const frame *f)
{
    frame *s;
    size_t cap;

    if (src->nstack == src->capstack) {
        cap = src->capstack ? src->capstack * 2 : 8;
        if ((s = realloc(src->stack, cap * sizeof(*s))) == NULL)
            return KZ_ENOMEM;
        src->stack = s;
        src->capstack = cap;
    }
    src->stack[src->nstack++] = *f;
    return KZ_OK;
}

static void
frame_fini(frame *f)
{
    int i;

    if (f->kind == FR_DIR) {
        for (i = 0; i < f->nents; i++)
            free(f->ents[i]);
        free(f->ents);
    } else {
        kz_zip_close(f->zip);
    }
    free(f->path);
}

static void
pop_frame(kz_source *src)
{
    frame_fini(&src->stack[--src->nstack]);
}

/* Recognises stream (owned from now on) and either returns it in v, or
 * unwraps it (gzip) and looks again, or pushes an archive frame, or
 * reports a problem. depth: archive layers already around it. */
static kz_status
recognise(kz_source *src, kz_stream *stream, uint32_t arg, unsigned depth,
          visit *v, kz_error *err)
{
    const uint8_t *p;
    size_t n;
    kz_status st = KZ_OK;
    kz_error e;
    kz_zip *zip = NULL;
    frame f;

    for (;;) {
        kz_error_clear(&e);
        st = kz_stream_peek(stream, KZ_STREAM_PEEK_MAX, &p, &n, &e);
        if (st == KZ_ENOMEM) {
            kz_error_set(err, st, "%s", e.msg);
            goto out;
        }
        if (st != KZ_OK) {
            set_problem(v, st == KZ_EIO ? KZ_PROB_IO : KZ_PROB_ARCHIVE,
                        e.offset, "%s", e.msg);
            st = KZ_OK;
            goto out;
        }
        if (n == 0) {
            set_problem(v, KZ_PROB_UNSUPPORTED, KZ_NO_OFFSET,
                        "empty file");
            goto out;
        }
        switch (sniff(p, n)) {
        case SN_EVTX:
        case SN_JSON:
            v->have = true;
            v->kind = sniff(p, n) == SN_EVTX ? KZ_INPUT_EVTX
                                             : KZ_INPUT_JSON;
            v->arg_index = arg;
            v->stream = stream;
            return KZ_OK;
        case SN_GZIP:
        case SN_ZIP:
            if (depth >= KZ_STREAM_MAX_NEST) {
                set_problem(v, KZ_PROB_UNSUPPORTED, KZ_NO_OFFSET,
                            "archives nested more than %d deep",
                            KZ_STREAM_MAX_NEST);
                goto out;
            }
            depth++;
            if (sniff(p, n) == SN_GZIP) {
                if ((stream = kz_stream_gunzip(stream)) == NULL) {
                    st = kz_error_set(err, KZ_ENOMEM, "out of memory");
                    goto out;
                }
                continue;
            }
            st = kz_zip_open(stream, &zip, &e);
            stream = NULL;                      /* owned by the zip */
            if (st == KZ_ENOMEM) {
                kz_error_set(err, st, "%s", e.msg);
                goto out;
            }
            if (st != KZ_OK) {
                set_problem(v, st == KZ_EIO ? KZ_PROB_IO : KZ_PROB_ARCHIVE,
                            e.offset, "%s", e.msg);
                st = KZ_OK;
                goto out;
            }
            memset(&f, 0, sizeof(f));
            f.kind = FR_ZIP;
            f.arg_index = arg;
            f.zip = zip;
            f.depth = depth;
            if ((f.path = strdup(src->cur)) == NULL ||
                (st = push_frame(src, &f)) != KZ_OK) {
                free(f.path);
                st = kz_error_set(err, KZ_ENOMEM, "out of memory");
                goto out;
            }
            zip = NULL;
            goto out;
        case SN_OTHER:
            set_unsupported(v, p, n);
            goto out;
        }
    }
out:
    kz_zip_close(zip);
    kz_stream_close(stream);
    return st;
}

/* Keeps "." and ".." out of directory listings. */
static int
not_dots(const struct dirent *d)
{
    return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

/* Byte order of names, whatever the locale (alphasort uses strcoll). */
static int
by_bytes(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static const char *
file_type_name(mode_t m)
{
    return S_ISFIFO(m) ? "a fifo" : S_ISSOCK(m) ? "a socket"
         : S_ISCHR(m) ? "a character device"
         : S_ISBLK(m) ? "a block device" : "not a regular file";
}

/* Visits the path in src->cur: a command-line argument (is_arg) or a
 * directory entry. */
static kz_status
visit_path(kz_source *src, uint32_t arg, bool is_arg, visit *v,
           kz_error *err)
{
    const char *path = src->cur;
    struct stat sb;
    frame f;
    kz_stream *s;
    int fd, r, flags;

    if (is_arg && strcmp(path, "-") == 0) {
        if ((s = kz_stream_from_fd(STDIN_FILENO, false, 0)) == NULL)
            return kz_error_set(err, KZ_ENOMEM, "out of memory");
        return recognise(src, s, arg, 0, v, err);
    }
    r = is_arg ? stat(path, &sb) : lstat(path, &sb);
    if (r != 0) {
        set_problem(v, KZ_PROB_IO, KZ_NO_OFFSET, "cannot read: %s",
                    strerror(errno));
        return KZ_OK;
    }
    if (S_ISLNK(sb.st_mode)) {
        set_problem(v, KZ_PROB_UNSUPPORTED, KZ_NO_OFFSET,
                    "symbolic link not followed");
        return KZ_OK;
    }
    if (S_ISDIR(sb.st_mode)) {
        memset(&f, 0, sizeof(f));
        f.kind = FR_DIR;
        f.arg_index = arg;
        f.nents = scandir(path, &f.ents, not_dots, by_bytes);
        if (f.nents < 0) {
            if (errno == ENOMEM)
                return kz_error_set(err, KZ_ENOMEM, "out of memory");
            set_problem(v, KZ_PROB_IO, KZ_NO_OFFSET,
                        "cannot read directory: %s", strerror(errno));
            return KZ_OK;
        }
        if ((f.path = strdup(path)) == NULL ||
            push_frame(src, &f) != KZ_OK) {
            frame_fini(&f);
            return kz_error_set(err, KZ_ENOMEM, "out of memory");
        }
        return KZ_OK;
    }
    if (!is_arg && !S_ISREG(sb.st_mode)) {
        set_problem(v, KZ_PROB_UNSUPPORTED, KZ_NO_OFFSET, "%s",
                    file_type_name(sb.st_mode));
        return KZ_OK;
    }
    /* Inside a tree, O_NOFOLLOW and O_NONBLOCK make a file swapped for a
     * symlink or a fifo since lstat() fail or not block. */
    flags = O_RDONLY | O_CLOEXEC | O_NOCTTY;
    if (!is_arg)
        flags |= O_NOFOLLOW | O_NONBLOCK;
    do {
        fd = open(path, flags);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        set_problem(v, KZ_PROB_IO, KZ_NO_OFFSET, "cannot open: %s",
                    strerror(errno));
        return KZ_OK;
    }
    if (fstat(fd, &sb) != 0 || (!is_arg && !S_ISREG(sb.st_mode))) {
        close(fd);
        set_problem(v, KZ_PROB_UNSUPPORTED, KZ_NO_OFFSET,
                    "changed while being opened");
        return KZ_OK;
    }
    s = kz_stream_from_fd(fd, true,
                          S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0);
    if (s == NULL)
        return kz_error_set(err, KZ_ENOMEM, "out of memory");
    return recognise(src, s, arg, 0, v, err);
}

/* Advances the archive on top of the stack by one member. */
static kz_status
visit_member(kz_source *src, visit *v, kz_error *err)
{
    frame *f = &src->stack[src->nstack - 1];
    kz_zip_entry e;
    kz_stream *m = NULL;
    kz_error ze;
    kz_status st;
    bool done;
    size_t np = strlen(f->path);
    uint32_t arg = f->arg_index;
    unsigned depth = f->depth;

    kz_error_clear(&ze);
    st = kz_zip_next(f->zip, &e, &m, &done, &ze);
    if (st == KZ_ENOMEM)
        return kz_error_set(err, st, "%s", ze.msg);
    if (st != KZ_OK) {
        f->damaged = true;
        if (set_cur(src, f->path, np, NULL) != KZ_OK)
            return kz_error_set(err, KZ_ENOMEM, "out of memory");
        set_problem(v, st == KZ_EIO ? KZ_PROB_IO : KZ_PROB_ARCHIVE,
                    ze.offset, "%s", ze.msg);
        return KZ_OK;
    }
    if (done) {
        if (f->members == 0 && !f->damaged) {
            if (set_cur(src, f->path, np, NULL) != KZ_OK)
                return kz_error_set(err, KZ_ENOMEM, "out of memory");
            set_problem(v, KZ_PROB_EMPTY, KZ_NO_OFFSET,
                        "zip archive has no members");
        }
        pop_frame(src);
        return KZ_OK;
    }
    f->members++;
    if (set_cur(src, f->path, np, ":") != KZ_OK ||
        set_cur(src, src->cur, np + 1, e.name) != KZ_OK) {
        kz_stream_close(m);
        return kz_error_set(err, KZ_ENOMEM, "out of memory");
    }
    if (e.kind == KZ_ZIP_DIR)
        return KZ_OK;
    if (e.kind == KZ_ZIP_OTHER) {
        set_problem(v, KZ_PROB_UNSUPPORTED, KZ_NO_OFFSET,
                    "zip member is not a regular file");
        return KZ_OK;
    }
    if (e.encrypted) {
        set_problem(v, KZ_PROB_UNSUPPORTED, KZ_NO_OFFSET,
                    "encrypted zip member");
        return KZ_OK;
    }
    return recognise(src, m, arg, depth, v, err);
}

kz_source *
kz_source_new(const char *const *paths, size_t npaths)
{
    kz_source *src;
    size_t i;

    if ((src = calloc(1, sizeof(*src))) == NULL)
        return NULL;
    if (npaths > 0 &&
        (src->paths = calloc(npaths, sizeof(*src->paths))) == NULL)
        goto fail;
    for (i = 0; i < npaths; i++) {
        if ((src->paths[i] = strdup(paths[i])) == NULL)
            goto fail;
        src->npaths++;
    }
    return src;
fail:
    kz_source_free(src);
    return NULL;
}

void
kz_source_free(kz_source *src)
{
    size_t i;

    if (src == NULL)
        return;
    while (src->nstack > 0)
        pop_frame(src);
    for (i = 0; i < src->npaths; i++)
        free(src->paths[i]);
    free(src->paths);
    free(src->stack);
    free(src->cur);
    free(src);
}

kz_status
kz_source_next(kz_source *src, kz_input *in, kz_stream **stream,
               const char **prob_path, kz_problem *prob, bool *have_prob,
               bool *done, kz_error *err)
{
    visit v;
    frame *f;
    const char *name;
    size_t np;
    kz_status st;
    uint32_t arg;

    *stream = NULL;
    *prob_path = NULL;
    *have_prob = false;
    *done = false;
    for (;;) {
        memset(&v, 0, sizeof(v));
        if (src->nstack == 0) {
            if (src->next_arg >= src->npaths) {
                *done = true;
                return KZ_OK;
            }
            arg = (uint32_t)src->next_arg++;
            name = src->paths[arg];
            if (set_cur(src, name, strlen(name), NULL) != KZ_OK)
                return kz_error_set(err, KZ_ENOMEM, "out of memory");
            st = visit_path(src, arg, true, &v, err);
        } else if ((f = &src->stack[src->nstack - 1])->kind == FR_ZIP) {
            st = visit_member(src, &v, err);
        } else if (f->next >= f->nents) {
            pop_frame(src);
            continue;
        } else {
            name = f->ents[f->next++]->d_name;
            np = strlen(f->path);
            arg = f->arg_index;
            if (np > 0 && f->path[np - 1] == '/')
                st = set_cur(src, f->path, np, name);
            else if ((st = set_cur(src, f->path, np, "/")) == KZ_OK)
                st = set_cur(src, src->cur, np + 1, name);
            if (st != KZ_OK)
                return kz_error_set(err, KZ_ENOMEM, "out of memory");
            st = visit_path(src, arg, false, &v, err);
        }
        if (st != KZ_OK)
            return st;
        if (!v.have)
            continue;
        if (v.stream == NULL) {
            *prob_path = src->cur;
            *prob = v.prob;
            *have_prob = true;
            return KZ_OK;
        }
        memset(in, 0, sizeof(*in));
        in->path = src->cur;
        in->arg_index = v.arg_index;
        in->file_index = src->file_index++;
        in->kind = v.kind;
        in->size = kz_stream_size(v.stream);
        in->shape = NULL;
        *stream = v.stream;
        return KZ_OK;
    }
}

/* Bytes of the regular files at path (a tree walked like the reader
 * does: no symlinks inside, depth-capped). */
static uint64_t
tree_bytes(const char *path, bool is_arg, unsigned depth)
{
    struct stat sb;
    struct dirent *d;
    DIR *dir;
    char *sub;
    size_t np, nd;
    uint64_t sum = 0;

    if ((is_arg ? stat(path, &sb) : lstat(path, &sb)) != 0)
        return 0;
    if (S_ISREG(sb.st_mode))
        return (uint64_t)sb.st_size;
    if (!S_ISDIR(sb.st_mode) || depth >= SOURCE_SIZE_DEPTH ||
        (dir = opendir(path)) == NULL)
        return 0;
    np = strlen(path);
    while ((d = readdir(dir)) != NULL) {
        if (!not_dots(d))
            continue;
        nd = strlen(d->d_name);
        if ((sub = malloc(np + nd + 2)) == NULL)
            break;
        memcpy(sub, path, np);
        sub[np] = '/';
        memcpy(sub + np + 1, d->d_name, nd + 1);
        sum += tree_bytes(sub, false, depth + 1);
        free(sub);
    }
    closedir(dir);
    return sum;
}

uint64_t
kz_source_total_bytes(kz_source *src)
{
    size_t i;

    if (!src->total_known) {
        for (i = 0; i < src->npaths; i++)
            if (strcmp(src->paths[i], "-") != 0)
                src->total += tree_bytes(src->paths[i], true, 0);
        src->total_known = true;
    }
    return src->total;
}
