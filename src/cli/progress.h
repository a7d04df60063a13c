/*
 * progress.h - the progress line on stderr: files done, bytes, events per
 * second, ETA and the input being read, redrawn at most five times a
 * second, only on a terminal, and erased before any other message and at
 * the end. Every reading command (dump, hunt, ...) uses it.
 * Threads: the calling thread (on_progress runs there).
 */
#ifndef KZ_CLI_PROGRESS_H
#define KZ_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "read/read.h"

typedef struct kz_cli_progress {
    bool enabled;             /* stderr is a terminal and not disabled */
    bool shown;               /* a line is on screen now */
    struct timespec start;    /* when the run started */
    struct timespec last;     /* last redraw */
    kz_progress snap;         /* last snapshot (current not kept) */
} kz_cli_progress;

/* Starts the clock; the line is drawn only if `want` and stderr is a
 * terminal (and TERM is not "dumb"). */
void kz_cli_progress_init(kz_cli_progress *p, bool want);

/* Redraws with snapshot s (rate-limited to 5 per second). */
void kz_cli_progress_update(kz_cli_progress *p, const kz_progress *s);

/* Erases the line if shown (call before printing anything to stderr). */
void kz_cli_progress_clear(kz_cli_progress *p);

/* Seconds since kz_cli_progress_init(). */
double kz_cli_progress_elapsed(const kz_cli_progress *p);

/* Formats n bytes as "812 B", "1.5 KiB", "3.2 GiB" into buf. */
const char *kz_cli_fmt_bytes(uint64_t n, char *buf, size_t cap);

/* Formats a count with thousands separators ("1,234,567") into buf. */
const char *kz_cli_fmt_count(uint64_t n, char *buf, size_t cap);

#endif /* KZ_CLI_PROGRESS_H */
