/*
 * summary.h - the end-of-run summary on stderr: what was read, what was
 * dropped or recovered, what could not be read (by kind), and how fast.
 * Every reading command prints it unless -q.
 * Threads: the calling thread.
 */
#ifndef KZ_CLI_SUMMARY_H
#define KZ_CLI_SUMMARY_H

#include <stdio.h>

#include "read/read.h"

/* Writes the summary of stats to f; elapsed in seconds; input_tz_min is
 * the offset assumed for JSON times without one (--input-tz). */
void kz_cli_summary(FILE *f, const kz_read_stats *stats, double elapsed,
                    int input_tz_min);

#endif /* KZ_CLI_SUMMARY_H */
