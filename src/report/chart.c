/*
 * chart.c - filling the events/alerts-over-time chart of the report
 * model: a bucket width from the activity's span, and counts added into
 * time-ordered buckets (model.h).
 */
#include "report/model.h"

#include <stdlib.h>
#include <string.h>

#define MINUTE (60 * KZ_TICKS_PER_SEC)

kz_time
kz_report_chart_width(kz_time first, kz_time last)
{
    static const kz_time ladder[] = {
        MINUTE,           5 * MINUTE,       15 * MINUTE,
        60 * MINUTE,      360 * MINUTE,     1440 * MINUTE,
        7 * 1440 * MINUTE, 30 * 1440 * MINUTE,
    };
    size_t n = sizeof(ladder) / sizeof(ladder[0]), i;
    uint64_t span;

    if (first == KZ_TIME_NONE || last == KZ_TIME_NONE)
        return 60 * MINUTE;
    if (last < first) {
        kz_time x = first;

        first = last;
        last = x;
    }
    /* unsigned: the difference of any two int64 fits */
    span = (uint64_t)last - (uint64_t)first;
    for (i = 0; i < n; i++)
        if (span / (uint64_t)ladder[i] < KZ_REPORT_CHART_TARGET)
            return ladder[i];
    return ladder[n - 1];
}

kz_status
kz_report_chart_add(kz_report *r, kz_time t, kz_time width,
                    uint64_t events, uint64_t alerts, kz_error *err)
{
    kz_report_list *l = &r->buckets;
    kz_report_bucket *b;
    size_t lo = 0, hi = l->n;
    kz_time start;

    /* times before 1601 cannot be real (FILETIME is unsigned); they are
     * shown as invalid elsewhere and have no bucket here */
    if (t == KZ_TIME_NONE || t < 0 || width <= 0)
        return KZ_OK;
    start = t - t % width;
    b = l->items;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (b[mid].start < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < l->n && b[lo].start == start) {
        /* saturating: counts from hostile input cannot wrap */
        b[lo].events = b[lo].events + events < events ? UINT64_MAX
                                                        : b[lo].events + events;
        b[lo].alerts = b[lo].alerts + alerts < alerts ? UINT64_MAX
                                                       : b[lo].alerts + alerts;
        return KZ_OK;
    }
    {
        kz_report_bucket nb = { start, events, alerts };
        size_t before = l->n;
        kz_status st;

        /* append through the model (cap, growth), then move into place */
        if ((st = kz_report_add_bucket(r, &nb, err)) != KZ_OK)
            return st;
        if (l->n == before)
            return KZ_OK;   /* the list was full: counted as omitted */
        b = l->items;
        memmove(&b[lo + 1], &b[lo], (l->n - 1 - lo) * sizeof(*b));
        b[lo] = nb;
    }
    return KZ_OK;
}
