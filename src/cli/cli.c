/*
 * cli.c - messages, escaped paths, output files and exit codes shared by
 * the subcommands.
 *
 * Every line a message prints is assembled first and written with one
 * fputs, so a message never interleaves with the progress bar's redraws.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/strbuf.h"
#include "write/escape.h"

#define OUTPUT_BUFFER ((size_t)1 << 20)

void
kz_cli_msg(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    int n;

    memcpy(line, "kizuki: ", 8);
    va_start(ap, fmt);
    n = vsnprintf(line + 8, sizeof(line) - 9, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    n = n + 8 > (int)sizeof(line) - 2 ? (int)sizeof(line) - 2 : n + 8;
    line[n] = '\n';
    line[n + 1] = '\0';
    fputs(line, stderr);
}

const char *
kz_cli_escape(const char *s, char *buf, size_t cap)
{
    kz_strbuf b;
    size_t n;

    if (cap == 0)
        return buf;
    kz_strbuf_init(&b, 0);
    if (s == NULL)
        s = "";
    if (kz_term_escape(&b, s, strlen(s)) != KZ_OK || b.data == NULL) {
        snprintf(buf, cap, "%s", b.data == NULL ? "" : "(unprintable)");
    } else {
        n = b.len < cap - 1 ? b.len : cap - 1;
        memcpy(buf, b.data, n);
        buf[n] = '\0';
        if (b.len > cap - 1 && cap > 4)
            memcpy(buf + cap - 4, "...", 3);
    }
    kz_strbuf_fini(&b);
    return buf;
}

void
kz_cli_problem(const char *path, const kz_problem *p)
{
    kz_strbuf b;
    bool where = false;
    kz_status st = KZ_OK;

    kz_strbuf_init(&b, 1 << 16);
    st = kz_strbuf_adds(&b, "kizuki: ");
    if (st == KZ_OK)
        st = kz_term_escape(&b, path != NULL ? path : "-",
                            path != NULL ? strlen(path) : 1);
    if (st == KZ_OK)
        st = kz_strbuf_adds(&b, ": ");
    if (st == KZ_OK && p->offset != KZ_NO_OFFSET) {
        st = kz_strbuf_addf(&b, "offset 0x%llx",
                            (unsigned long long)p->offset);
        where = true;
    }
    if (st == KZ_OK && p->chunk >= 0) {
        st = kz_strbuf_addf(&b, where ? " (chunk %lld)" : "chunk %lld",
                            (long long)p->chunk);
        where = true;
    }
    if (st == KZ_OK && p->line > 0) {
        st = kz_strbuf_addf(&b, where ? " (line %llu)" : "line %llu",
                            (unsigned long long)p->line);
        where = true;
    }
    if (st == KZ_OK && where)
        st = kz_strbuf_adds(&b, ": ");
    if (st == KZ_OK)
        st = kz_strbuf_adds(&b, kz_problem_kind_str(p->kind));
    if (st == KZ_OK && p->msg[0] != '\0') {
        st = kz_strbuf_adds(&b, ": ");
        if (st == KZ_OK)
            st = kz_term_escape(&b, p->msg, strnlen(p->msg,
                                                    sizeof(p->msg)));
    }
    if (st == KZ_OK && p->lost > 0)
        st = kz_strbuf_addf(&b, " (%llu bytes skipped)",
                            (unsigned long long)p->lost);
    if (st == KZ_OK)
        st = kz_strbuf_addc(&b, '\n');
    if (st == KZ_OK)
        fputs(b.data, stderr);
    else
        kz_cli_msg("(a problem could not be printed: %s)",
                   kz_status_str(st));
    kz_strbuf_fini(&b);
}

FILE *
kz_cli_output_open(const char *path)
{
    FILE *f;
    char esc[512];

    if (path == NULL || strcmp(path, "-") == 0) {
        f = stdout;
    } else if ((f = fopen(path, "wb")) == NULL) {
        kz_cli_msg("%s: cannot create: %s",
                   kz_cli_escape(path, esc, sizeof(esc)), strerror(errno));
        return NULL;
    }
    setvbuf(f, NULL, _IOFBF, OUTPUT_BUFFER);
    return f;
}

int
kz_cli_output_close(FILE *f, const char *path)
{
    char esc[512];
    int bad;

    if (f == NULL)
        return KZ_EXIT_OK;
    bad = ferror(f) != 0;
    if (fflush(f) != 0)
        bad = 1;
    if (f != stdout && fclose(f) != 0)
        bad = 1;
    if (!bad)
        return KZ_EXIT_OK;
    kz_cli_msg("%s: write failed: %s",
               path != NULL && strcmp(path, "-") != 0
                   ? kz_cli_escape(path, esc, sizeof(esc))
                   : "standard output",
               strerror(errno));
    return KZ_EXIT_FATAL;
}

int
kz_cli_exit_code(const kz_read_stats *s)
{
    if (s->unsupported > 0 || s->unreadable > 0 ||
        s->problems[KZ_PROB_UNSUPPORTED] > 0 ||
        s->problems[KZ_PROB_IO] > 0 || s->problems[KZ_PROB_ARCHIVE] > 0)
        return KZ_EXIT_PARTIAL;
    return KZ_EXIT_OK;
}

/* mkdir -p buf (modified while working, restored): every missing
 * directory is created with mode 0700. Returns 0, or an errno value
 * (ENOTDIR when the path exists and is not a directory). */
static int
mkdir_p(char *buf)
{
    struct stat sb;
    char *p;

    /* from the first component below the root */
    for (p = buf + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
            int e = errno;

            *p = '/';
            return e;
        }
        *p = '/';
    }
    if (mkdir(buf, 0700) != 0 && errno != EEXIST)
        return errno;
    if (stat(buf, &sb) != 0)
        return errno;
    return S_ISDIR(sb.st_mode) ? 0 : ENOTDIR;
}

const char *
kz_cli_rule_cache_dir(const char *dir)
{
    char esc[512];
    char *copy = strdup(dir);
    int e = copy == NULL ? ENOMEM : mkdir_p(copy);

    free(copy);
    if (e == 0)
        return dir;
    kz_cli_msg("--rule-cache %s: cannot create: %s; compiling without a "
               "cache", kz_cli_escape(dir, esc, sizeof(esc)), strerror(e));
    return NULL;
}

const char *
kz_cli_cache_dir(const char *sub, char *buf, size_t cap)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int n;

    if (xdg != NULL && *xdg == '/')
        n = snprintf(buf, cap, "%s/kizuki/%s", xdg, sub);
    else if (home != NULL && *home == '/')
        n = snprintf(buf, cap, "%s/.cache/kizuki/%s", home, sub);
    else
        return NULL;
    if (n < 0 || (size_t)n >= cap)
        return NULL;
    return mkdir_p(buf) == 0 ? buf : NULL;
}
