/*
 * tz.c - --tz values and zone offsets (see tz.h for the threading rule).
 */
#include "write/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* True if name is a plausible zone name that names a zone file. */
static bool
zone_exists(const char *name)
{
    const char *dir = getenv("TZDIR"), *p;
    char path[512];
    struct stat sb;

    if (name[0] == '/' || name[0] == '\0' || strstr(name, "..") != NULL)
        return false;
    for (p = name; *p != '\0'; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
              (*p >= '0' && *p <= '9') || *p == '_' || *p == '+' ||
              *p == '-' || *p == '/'))
            return false;
    if (dir == NULL || *dir == '\0')
        dir = "/usr/share/zoneinfo";
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

kz_status
kz_tz_parse(const char *s, kz_tz *tz, kz_error *err)
{
    memset(tz, 0, sizeof(*tz));
    if (s == NULL)
        return KZ_OK;
    if (kz_time_parse_offset(s, &tz->offset_min)) {
        tz->kind = KZ_TZ_FIXED;
        return KZ_OK;
    }
    if (strcmp(s, "local") == 0) {
        tz->kind = KZ_TZ_LOCAL;
        return KZ_OK;
    }
    if (strlen(s) < sizeof(tz->name) && zone_exists(s)) {
        tz->kind = KZ_TZ_NAMED;
        snprintf(tz->name, sizeof(tz->name), "%s", s);
        return KZ_OK;
    }
    return kz_error_set(err, KZ_EUSAGE, "not a time zone: UTC, an offset "
                        "like +09:00, local, or a zone name like "
                        "Asia/Tokyo");
}

void
kz_tz_activate(const kz_tz *tz)
{
    char v[sizeof(tz->name) + 2];

    if (tz->kind == KZ_TZ_NAMED) {
        snprintf(v, sizeof(v), ":%s", tz->name);
        setenv("TZ", v, 1);
    }
    if (tz->kind != KZ_TZ_FIXED)
        tzset();
}

int
kz_tz_offset(const kz_tz *tz, kz_time t)
{
    struct tm tm;
    time_t secs;
    int64_t s;

    if (tz->kind == KZ_TZ_FIXED || t == KZ_TIME_NONE)
        return tz->offset_min;
    s = (t - KZ_UNIX_EPOCH_TICKS) / KZ_TICKS_PER_SEC;
    if ((t - KZ_UNIX_EPOCH_TICKS) % KZ_TICKS_PER_SEC < 0)
        s--;
    secs = (time_t)s;
    if (localtime_r(&secs, &tm) == NULL)
        return 0;
    return (int)(tm.tm_gmtoff / 60);
}

kz_status
kz_tz_format(kz_strbuf *b, const kz_tz *tz, kz_time t)
{
    if (t == KZ_TIME_NONE)
        return kz_strbuf_addc(b, '-');
    return kz_time_format_iso(b, t, kz_tz_offset(tz, t));
}
