/*
 * tz.h - the time zone of timeline output (--tz): UTC, a fixed offset,
 * the local zone, or an IANA zone name from the system's zone database.
 *
 * Fixed offsets and UTC are pure arithmetic. Zones (IANA names and
 * "local") go through the C library's zone database: localtime_r() after
 * TZ was set. Setting TZ is process-global and not thread-safe, so the
 * command line (src/cli, the only code allowed to touch globals) calls
 * kz_tz_activate() once before formatting, and every time of a timeline
 * is formatted on the calling thread (the writers run after the readers'
 * pool threads have stopped). Nothing here is called from pool threads.
 * Threads: kz_tz_parse is reentrant; kz_tz_activate and kz_tz_offset for
 * zones are calling-thread only (see above).
 */
#ifndef KZ_WRITE_TZ_H
#define KZ_WRITE_TZ_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "base/time.h"

typedef enum kz_tz_kind {
    KZ_TZ_FIXED = 0,   /* UTC or a fixed offset */
    KZ_TZ_LOCAL,       /* the system's local zone (TZ or /etc/localtime) */
    KZ_TZ_NAMED,       /* an IANA zone name ("Asia/Tokyo") */
} kz_tz_kind;

typedef struct kz_tz {
    kz_tz_kind kind;   /* which */
    int offset_min;    /* KZ_TZ_FIXED: minutes east of UTC */
    char name[128];    /* KZ_TZ_NAMED: the zone name */
} kz_tz;

/* Parses a --tz value: "UTC", "Z", "+09:00", "+0900", "-05:30", "local",
 * or an IANA name that exists under $TZDIR or /usr/share/zoneinfo (names
 * with "..", a leading '/' or other than [A-Za-z0-9_+-/] are refused).
 * Returns KZ_EUSAGE with a message in err if s is none of these. */
kz_status kz_tz_parse(const char *s, kz_tz *tz, kz_error *err);

/* Makes the C library use tz (sets TZ for KZ_TZ_NAMED, calls tzset()).
 * Calling thread only, before formatting; no-op for fixed offsets. */
void kz_tz_activate(const kz_tz *tz);

/* Offset in minutes east of UTC at time t. */
int kz_tz_offset(const kz_tz *tz, kz_time t);

/* Appends t as "YYYY-MM-DDTHH:MM:SS.ffffff+HH:MM" in tz, or "-" for
 * KZ_TIME_NONE. */
kz_status kz_tz_format(kz_strbuf *b, const kz_tz *tz, kz_time t);

#endif /* KZ_WRITE_TZ_H */
