/*
 * progress.c - the progress line on stderr.
 *
 * The line is cut to the terminal width so it never wraps (a wrapped line
 * cannot be erased with \r), and the path shown is escaped: it may be a
 * zip member name chosen by an attacker.
 */
#include "cli/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/cli.h"

/* Minimum time between two redraws. */
#define REDRAW_NS 200000000L

static double
since(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) +
           (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void
kz_cli_progress_init(kz_cli_progress *p, bool want)
{
    const char *term = getenv("TERM");

    memset(p, 0, sizeof(*p));
    clock_gettime(CLOCK_MONOTONIC, &p->start);
    p->enabled = want && isatty(STDERR_FILENO) &&
                 !(term != NULL && strcmp(term, "dumb") == 0);
}

double
kz_cli_progress_elapsed(const kz_cli_progress *p)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return since(&p->start, &now);
}

const char *
kz_cli_fmt_bytes(uint64_t n, char *buf, size_t cap)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB",
                                         "PiB" };
    double v = (double)n;
    size_t u = 0;

    while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, cap, "%llu B", (unsigned long long)n);
    else
        snprintf(buf, cap, "%.1f %s", v, units[u]);
    return buf;
}

const char *
kz_cli_fmt_count(uint64_t n, char *buf, size_t cap)
{
    char digits[32];
    size_t len, i, o = 0;

    len = (size_t)snprintf(digits, sizeof(digits), "%llu",
                           (unsigned long long)n);
    for (i = 0; i < len && o + 2 < cap; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o < cap ? o : cap - 1] = '\0';
    return buf;
}

static int
term_width(void)
{
    struct winsize ws;

    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    return 80;
}

/* Events per second as "12.3k ev/s". */
static void
fmt_rate(double r, char *buf, size_t cap)
{
    if (r >= 1e6)
        snprintf(buf, cap, "%.1fM ev/s", r / 1e6);
    else if (r >= 1e3)
        snprintf(buf, cap, "%.1fk ev/s", r / 1e3);
    else
        snprintf(buf, cap, "%.0f ev/s", r);
}

void
kz_cli_progress_update(kz_cli_progress *p, const kz_progress *s)
{
    struct timespec now;
    char line[1024], done[32], total[32], rate[32], eta[32], path[512];
    double el, frac = -1.0, left;
    int width, n, bar = 20, fill, i;
    size_t plen, room;

    if (!p->enabled)
        return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (p->shown && since(&p->last, &now) * 1e9 < REDRAW_NS)
        return;
    p->last = now;
    p->snap = *s;
    p->snap.current = NULL;
    el = since(&p->start, &now);
    if (s->bytes_total > 0) {
        frac = (double)s->bytes_done / (double)s->bytes_total;
        if (frac > 1.0)
            frac = 1.0;     /* decompressed bytes can outgrow the total */
    }
    kz_cli_fmt_bytes(s->bytes_done, done, sizeof(done));
    kz_cli_fmt_bytes(s->bytes_total, total, sizeof(total));
    fmt_rate(el > 0.05 ? (double)s->events / el : 0.0, rate, sizeof(rate));
    eta[0] = '\0';
    if (frac > 0.01 && frac < 1.0 && el > 1.0) {
        left = el * (1.0 - frac) / frac;
        snprintf(eta, sizeof(eta), "  ETA %d:%02d:%02d", (int)(left / 3600),
                 (int)(left / 60) % 60, (int)left % 60);
    }
    n = 0;
    if (frac >= 0) {
        fill = (int)(frac * bar);
        n += snprintf(line + n, sizeof(line) - (size_t)n, "%3d%% [",
                      (int)(frac * 100));
        for (i = 0; i < bar; i++)
            line[n++] = i < fill ? '#' : '.';
        n += snprintf(line + n, sizeof(line) - (size_t)n, "] ");
    }
    n += snprintf(line + n, sizeof(line) - (size_t)n,
                  "%llu file%s  %s%s%s  %s%s  ",
                  (unsigned long long)s->files_done,
                  s->files_done == 1 ? "" : "s", done,
                  s->bytes_total > 0 ? " / " : "",
                  s->bytes_total > 0 ? total : "", rate, eta);
    if (n >= (int)sizeof(line))
        n = (int)sizeof(line) - 1;
    width = term_width() - 1;
    if (n > width)
        n = width;
    line[n] = '\0';
    if (s->current != NULL && n + 16 <= width) {
        kz_cli_escape(s->current, path, sizeof(path));
        plen = strlen(path);
        room = (size_t)(width - n);
        if (plen > room)        /* keep the end: the file name */
            snprintf(line + n, sizeof(line) - (size_t)n, "...%s",
                     path + plen - (room - 3));
        else
            snprintf(line + n, sizeof(line) - (size_t)n, "%s", path);
    }
    fprintf(stderr, "\r\033[K%s", line);
    fflush(stderr);
    p->shown = true;
}

void
kz_cli_progress_clear(kz_cli_progress *p)
{
    if (!p->shown)
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    p->shown = false;
}
