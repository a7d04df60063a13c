#include "base/time.h"

#include <stdio.h>
#include <string.h>

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* 9999-12-31T23:59:59.9999999 in ticks since 1601. */
#define CIVIL_MAX ((int64_t)2650467743999999999)

void
kz_time_to_civil(kz_time t, int offset_min, kz_civil *c)
{
    int64_t u, secs, days, rem;

    if (t == KZ_TIME_NONE || t < 0)
        t = 0; /* before 1601 (a hostile FILETIME): 1601-01-01 */
    if (t > CIVIL_MAX)
        t = CIVIL_MAX; /* past 9999: 9999-12-31T23:59:59.9999999 */
    if (offset_min > 100 * 60 || offset_min < -100 * 60)
        offset_min = 0;
    u = t - KZ_UNIX_EPOCH_TICKS + (int64_t)offset_min * 60 * KZ_TICKS_PER_SEC;
    secs = u / KZ_TICKS_PER_SEC;
    rem = u % KZ_TICKS_PER_SEC;
    if (rem < 0) {
        rem += KZ_TICKS_PER_SEC;
        secs--;
    }
    days = secs / 86400;
    secs %= 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    civil_from_days(days, &c->year, &c->month, &c->day);
    c->hour = (int)(secs / 3600);
    c->min = (int)(secs / 60 % 60);
    c->sec = (int)(secs % 60);
    c->ticks = (int)rem;
}

bool
kz_time_from_civil(const kz_civil *c, kz_time *t)
{
    int64_t days;

    if (c->month < 1 || c->month > 12 || c->day < 1 || c->day > 31 ||
        c->hour < 0 || c->hour > 23 || c->min < 0 || c->min > 59 ||
        c->sec < 0 || c->sec > 60 || c->ticks < 0 ||
        c->ticks >= KZ_TICKS_PER_SEC || c->year < 1601 || c->year > 30000)
        return false;
    days = days_from_civil(c->year, c->month, c->day);
    *t = KZ_UNIX_EPOCH_TICKS +
         ((days * 86400 + c->hour * 3600 + c->min * 60 + c->sec) *
          KZ_TICKS_PER_SEC) +
         c->ticks;
    return true;
}

static char *
put_digits(char *o, int v, int n)
{
    int i;

    for (i = n - 1; i >= 0; i--) {
        o[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return o + n;
}

kz_status
kz_time_format_xml(kz_strbuf *b, kz_time t)
{
    kz_civil c;
    char tmp[28], *o = tmp;

    kz_time_to_civil(t, 0, &c);
    if (c.year < 0 || c.year > 9999)
        return kz_strbuf_addf(b, "%d-%02d-%02dT%02d:%02d:%02d.%07dZ", c.year,
                              c.month, c.day, c.hour, c.min, c.sec, c.ticks);
    o = put_digits(o, c.year, 4);
    *o++ = '-';
    o = put_digits(o, c.month, 2);
    *o++ = '-';
    o = put_digits(o, c.day, 2);
    *o++ = 'T';
    o = put_digits(o, c.hour, 2);
    *o++ = ':';
    o = put_digits(o, c.min, 2);
    *o++ = ':';
    o = put_digits(o, c.sec, 2);
    *o++ = '.';
    o = put_digits(o, c.ticks, 7);
    *o++ = 'Z';
    return kz_strbuf_add(b, tmp, (size_t)(o - tmp));
}

kz_status
kz_time_format_iso(kz_strbuf *b, kz_time t, int offset_min)
{
    kz_civil c;
    int off = offset_min < 0 ? -offset_min : offset_min;
    char tmp[32], *o = tmp;

    kz_time_to_civil(t, offset_min, &c);
    /* Digits by hand on the common path (every timeline row has a time);
     * years past four digits and offsets past 99 hours keep printf's
     * widths. */
    if (c.year < 0 || c.year > 9999 || off / 60 > 99)
        return kz_strbuf_addf(b,
                              "%04d-%02d-%02dT%02d:%02d:%02d.%06d%c%02d:%02d",
                              c.year, c.month, c.day, c.hour, c.min, c.sec,
                              c.ticks / 10, offset_min < 0 ? '-' : '+',
                              off / 60, off % 60);
    o = put_digits(o, c.year, 4);
    *o++ = '-';
    o = put_digits(o, c.month, 2);
    *o++ = '-';
    o = put_digits(o, c.day, 2);
    *o++ = 'T';
    o = put_digits(o, c.hour, 2);
    *o++ = ':';
    o = put_digits(o, c.min, 2);
    *o++ = ':';
    o = put_digits(o, c.sec, 2);
    *o++ = '.';
    o = put_digits(o, c.ticks / 10, 6);
    *o++ = offset_min < 0 ? '-' : '+';
    o = put_digits(o, off / 60, 2);
    *o++ = ':';
    o = put_digits(o, off % 60, 2);
    return kz_strbuf_add(b, tmp, (size_t)(o - tmp));
}

static bool
digits(const char *s, size_t n, size_t *i, int count, int *out)
{
    int v = 0, k;

    if (*i + (size_t)count > n)
        return false;
    for (k = 0; k < count; k++) {
        char ch = s[*i + (size_t)k];

        if (ch < '0' || ch > '9')
            return false;
        v = v * 10 + (ch - '0');
    }
    *i += (size_t)count;
    *out = v;
    return true;
}

bool
kz_time_parse_iso(const char *s, size_t n, int default_offset_min,
                  kz_time *t, bool *has_offset)
{
    kz_civil c = { 0, 0, 0, 0, 0, 0, 0 };
    size_t i = 0;
    int off = default_offset_min, oh, om, scale;
    bool zone = false;

    if (!digits(s, n, &i, 4, &c.year) || i >= n || s[i++] != '-' ||
        !digits(s, n, &i, 2, &c.month) || i >= n || s[i++] != '-' ||
        !digits(s, n, &i, 2, &c.day))
        return false;
    if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
        i++;
        if (!digits(s, n, &i, 2, &c.hour) || i >= n || s[i++] != ':' ||
            !digits(s, n, &i, 2, &c.min))
            return false;
        if (i < n && s[i] == ':') {
            i++;
            if (!digits(s, n, &i, 2, &c.sec))
                return false;
            if (i < n && (s[i] == '.' || s[i] == ',')) {
                i++;
                scale = 1000000;
                if (i >= n || s[i] < '0' || s[i] > '9')
                    return false;
                while (i < n && s[i] >= '0' && s[i] <= '9') {
                    if (scale > 0) {
                        c.ticks += (s[i] - '0') * scale;
                        scale /= 10;
                    }
                    i++;
                }
            }
        }
    }
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        zone = true;
        off = 0;
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        char sign = s[i++];

        if (!digits(s, n, &i, 2, &oh))
            return false;
        if (i < n && s[i] == ':')
            i++;
        om = 0;
        if (i < n && !digits(s, n, &i, 2, &om))
            return false;
        off = oh * 60 + om;
        if (sign == '-')
            off = -off;
        zone = true;
    }
    if (i != n)
        return false;
    if (!kz_time_from_civil(&c, t))
        return false;
    *t -= (int64_t)off * 60 * KZ_TICKS_PER_SEC;
    if (has_offset != NULL)
        *has_offset = zone;
    return true;
}

bool
kz_time_parse_offset(const char *s, int *min)
{
    int sign, h, m = 0;

    if (strcmp(s, "Z") == 0 || strcmp(s, "z") == 0 ||
        strcmp(s, "UTC") == 0 || strcmp(s, "utc") == 0) {
        *min = 0;
        return true;
    }
    /* each test stops at the first NUL, so short text is never overread */
    if ((s[0] != '+' && s[0] != '-') || s[1] < '0' || s[1] > '9' ||
        s[2] < '0' || s[2] > '9')
        return false;
    sign = s[0] == '-' ? -1 : 1;
    h = (s[1] - '0') * 10 + (s[2] - '0');
    s += 3;
    if (*s == ':')
        s++;
    if (*s != '\0') {
        if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' ||
            s[2] != '\0')
            return false;
        m = (s[0] - '0') * 10 + (s[1] - '0');
    }
    if (h > 14 || m > 59 || (h == 14 && m != 0))
        return false;
    *min = sign * (h * 60 + m);
    return true;
}

bool
kz_time_from_systemtime(const uint16_t st[8], kz_time *t)
{
    kz_civil c;

    c.year = st[0];
    c.month = st[1];
    c.day = st[3];
    c.hour = st[4];
    c.min = st[5];
    c.sec = st[6];
    c.ticks = st[7] * 10000;
    if (st[7] > 999)
        return false;
    return kz_time_from_civil(&c, t);
}
