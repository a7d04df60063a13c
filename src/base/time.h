/*
 * time.h - kizuki's time: UTC in 100 ns ticks since 1601-01-01 (FILETIME),
 * conversions to and from calendar time, ISO 8601 formatting and parsing.
 *
 * KZ_TIME_NONE marks an absent time. Threads: all functions are reentrant.
 */
#ifndef KZ_BASE_TIME_H
#define KZ_BASE_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/strbuf.h"

typedef int64_t kz_time; /* 100 ns ticks since 1601-01-01T00:00:00Z */

#define KZ_TIME_NONE INT64_MIN
#define KZ_TICKS_PER_SEC 10000000LL
/* Ticks between 1601-01-01 and 1970-01-01. */
#define KZ_UNIX_EPOCH_TICKS 116444736000000000LL

/* Calendar fields of a time, all in the proleptic Gregorian calendar. */
typedef struct kz_civil {
    int year;     /* e.g. 2019 */
    int month;    /* 1..12 */
    int day;      /* 1..31 */
    int hour;     /* 0..23 */
    int min;      /* 0..59 */
    int sec;      /* 0..59 */
    int ticks;    /* 0..9999999, 100 ns units within the second */
} kz_civil;

/* Splits t (plus offset_min minutes) into calendar fields. t is clamped
 * to 1601-01-01 .. 9999-12-31T23:59:59.9999999 (hostile FILETIMEs can be
 * anything) and an offset beyond ±100 h is taken as 0, so no arithmetic
 * overflows. */
void kz_time_to_civil(kz_time t, int offset_min, kz_civil *c);

/* Joins calendar fields into a time; false if a field is out of range. */
bool kz_time_from_civil(const kz_civil *c, kz_time *t);

/* Appends "YYYY-MM-DDTHH:MM:SS.fffffffZ" (7 digits, Windows XML style). */
kz_status kz_time_format_xml(kz_strbuf *b, kz_time t);

/* Appends "YYYY-MM-DDTHH:MM:SS.ffffff+HH:MM" (microseconds) for the
 * given offset in minutes (0 gives "+00:00"). */
kz_status kz_time_format_iso(kz_strbuf *b, kz_time t, int offset_min);

/* Parses ISO 8601 / RFC 3339 text: "YYYY-MM-DD[T ]HH:MM[:SS[.f{1,9}]]"
 * then optional "Z" or "±HH[:]MM". *has_offset tells whether a zone was
 * given; without one the text is taken as UTC shifted by
 * default_offset_min. Returns false on malformed text. */
bool kz_time_parse_iso(const char *s, size_t n, int default_offset_min,
                       kz_time *t, bool *has_offset);

/* Parses a fixed zone offset as written on a command line: "Z", "z",
 * "UTC", "utc", or a sign, two hour digits and optionally two minute
 * digits with or without a ':' ("+09", "+0900", "+09:00", "-05:30"; a
 * lone trailing ':' as in "+09:" counts as minutes 00). The offset must
 * lie within -14:00..+14:00 and minutes within 00..59. Sets *min to the
 * minutes east of UTC and returns true; returns false and leaves *min
 * untouched on anything else. s is NUL-terminated and never read past
 * its terminator. */
bool kz_time_parse_offset(const char *s, int *min);

/* Converts a Windows SYSTEMTIME (8 u16: year, month, weekday, day, hour,
 * minute, second, ms) to a time; false if out of range. */
bool kz_time_from_systemtime(const uint16_t st[8], kz_time *t);

#endif /* KZ_BASE_TIME_H */
