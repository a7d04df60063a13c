/*
 * summary.c - the end-of-run summary.
 *
 * Lines with nothing to say are left out, except the first two (files and
 * events), so a clean run prints three short lines and a damaged one shows
 * exactly what was lost.
 */
#include "cli/summary.h"

#include <stdlib.h>

#include "cli/progress.h"
#include "read/dedup.h"

void
kz_cli_summary(FILE *f, const kz_read_stats *s, double elapsed,
               int input_tz_min)
{
    char a[32], b[32], c[32];
    bool any = false;
    int k, off;

    fprintf(f, "kizuki: %s input%s read",
            kz_cli_fmt_count(s->files, a, sizeof(a)),
            s->files == 1 ? "" : "s");
    if (s->unsupported > 0)
        fprintf(f, ", %s unsupported",
                kz_cli_fmt_count(s->unsupported, a, sizeof(a)));
    fprintf(f, " (%s)\n", kz_cli_fmt_bytes(s->bytes, b, sizeof(b)));
    fprintf(f, "kizuki: %s event%s",
            kz_cli_fmt_count(s->events, a, sizeof(a)),
            s->events == 1 ? "" : "s");
    if (s->duplicates > 0)
        fprintf(f, ", %s duplicate%s dropped",
                kz_cli_fmt_count(s->duplicates, b, sizeof(b)),
                s->duplicates == 1 ? "" : "s");
    if (s->recovered > 0)
        fprintf(f, ", %s recovered from slack",
                kz_cli_fmt_count(s->recovered, c, sizeof(c)));
    fputc('\n', f);
    if (s->dedup_saturated)
        fprintf(f, "kizuki: deduplication reached its bounds (%d host/channel "
                "pairs or %d id ranges); later records were kept even if "
                "seen before\n", KZ_DEDUP_MAX_KEYS, KZ_DEDUP_MAX_RANGES);
    if (s->unreadable > 0)
        fprintf(f, "kizuki: %s unreadable range%s (%s skipped)\n",
                kz_cli_fmt_count(s->unreadable, a, sizeof(a)),
                s->unreadable == 1 ? "" : "s",
                kz_cli_fmt_bytes(s->unreadable_bytes, b, sizeof(b)));
    for (k = 0; k < KZ_PROB_COUNT; k++) {
        if (s->problems[k] == 0)
            continue;
        fprintf(f, "%s%s: %s", any ? ", " : "kizuki: problems: ",
                kz_problem_kind_str((kz_problem_kind)k),
                kz_cli_fmt_count(s->problems[k], a, sizeof(a)));
        any = true;
    }
    if (any)
        fputc('\n', f);
    if (s->no_tz > 0) {
        off = abs(input_tz_min);
        fprintf(f, "kizuki: %s JSON time%s without an offset, read as "
                   "%c%02d:%02d (--input-tz)\n",
                kz_cli_fmt_count(s->no_tz, a, sizeof(a)),
                s->no_tz == 1 ? "" : "s", input_tz_min < 0 ? '-' : '+',
                off / 60, off % 60);
    }
    if (elapsed >= 0.01)
        fprintf(f, "kizuki: %.2f s, %s events/s\n", elapsed,
                kz_cli_fmt_count((uint64_t)((double)s->events / elapsed), a,
                                 sizeof(a)));
    else
        fprintf(f, "kizuki: %.3f s\n", elapsed);
}
