/* Unit tests of src/base: time, UTF conversions, string buffers, arena. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/grow.h"
#include "base/hash.h"
#include "base/strbuf.h"
#include "base/time.h"
#include "base/utf.h"
#include "t.h"

static const struct time_case {
    const char *text;      /* input */
    int default_off;       /* minutes for zone-less input */
    bool ok;               /* parses */
    bool zone;             /* has an offset */
    const char *xml;       /* kz_time_format_xml of the result */
} time_cases[] = {
    { "2019-03-19T23:34:26.4551658Z", 0, true, true,
      "2019-03-19T23:34:26.4551658Z" },
    { "2019-03-19T23:34:26.455165Z", 0, true, true,
      "2019-03-19T23:34:26.4551650Z" },
    { "2019-03-19T23:34:26.123456789Z", 0, true, true,
      "2019-03-19T23:34:26.1234567Z" },
    { "2019-03-19 23:34:26", 0, true, false, "2019-03-19T23:34:26.0000000Z" },
    { "2019-03-19 23:34:26", 540, true, false,
      "2019-03-19T14:34:26.0000000Z" },
    { "2019-03-20T08:34:26+09:00", 0, true, true,
      "2019-03-19T23:34:26.0000000Z" },
    { "2019-03-19T20:34:26-0300", 0, true, true,
      "2019-03-19T23:34:26.0000000Z" },
    { "1601-01-01T00:00:00Z", 0, true, true, "1601-01-01T00:00:00.0000000Z" },
    { "2016-02-29T12:00:00Z", 0, true, true, "2016-02-29T12:00:00.0000000Z" },
    { "2019-13-01T00:00:00Z", 0, false, false, NULL },
    { "2019-03-19T23:34", 0, true, false, "2019-03-19T23:34:00.0000000Z" },
    { "2019-03-19T23:34:26.Z", 0, false, false, NULL },
    { "yesterday", 0, false, false, NULL },
    { "", 0, false, false, NULL },
    { "2019-03-19T23:34:26Zjunk", 0, false, false, NULL },
};

/* Extreme times (a hostile FILETIME) are clamped, never overflow. */
static void
test_time_civil_clamped(void)
{
    static const struct {
        kz_time t;
        int off, y, mo, d;
    } r[] = {
        { INT64_MAX, 0, 9999, 12, 31 },
        { INT64_MAX, 600, 10000, 1, 1 },      /* the offset still applies */
        { INT64_MIN + 1, 0, 1601, 1, 1 },
        { -1, -600, 1600, 12, 31 },
        { 0, 0, 1601, 1, 1 },
        { 0, 1000000, 1601, 1, 1 },            /* absurd offset: ignored */
    };
    kz_civil c;
    size_t i;

    for (i = 0; i < T_COUNT(r); i++) {
        kz_time_to_civil(r[i].t, r[i].off, &c);
        T_CHECK(c.year == r[i].y && c.month == r[i].mo && c.day == r[i].d,
                "row %zu: %d-%d-%d", i, c.year, c.month, c.day);
    }
}

static void
test_time_parse_and_format(void)
{
    size_t i;
    kz_strbuf b;

    kz_strbuf_init(&b, 0);
    for (i = 0; i < T_COUNT(time_cases); i++) {
        const struct time_case *c = &time_cases[i];
        kz_time t = 0;
        bool zone = false, ok;

        ok = kz_time_parse_iso(c->text, strlen(c->text), c->default_off, &t,
                               &zone);
        T_CHECK(ok == c->ok, "row %zu: \"%s\" parse %d", i, c->text, ok);
        if (!ok || !c->ok)
            continue;
        T_CHECK(zone == c->zone, "row %zu: zone %d", i, zone);
        kz_strbuf_reset(&b);
        kz_time_format_xml(&b, t);
        T_CHECK(strcmp(b.data, c->xml) == 0, "row %zu: \"%s\" != \"%s\"", i,
                b.data, c->xml);
    }
    kz_strbuf_fini(&b);
}

static const struct offset_case {
    const char *text;
    bool ok;
    int min;
} offset_cases[] = {
    { "Z", true, 0 },          { "z", true, 0 },
    { "UTC", true, 0 },        { "utc", true, 0 },
    { "+09:00", true, 540 },   { "+0900", true, 540 },
    { "+09", true, 540 },      { "-05:30", true, -330 },
    { "+00:00", true, 0 },     { "-00", true, 0 },
    { "+14:00", true, 840 },   { "-12:45", true, -765 },
    { "+09:", true, 540 },     { "+14:01", false, 0 },
    { "+15", false, 0 },       { "+09:60", false, 0 },
    { "+9", false, 0 },        { "+", false, 0 },
    { "", false, 0 },          { "09:00", false, 0 },
    { "+09:0", false, 0 },     { "+09:000", false, 0 },
    { "+09::00", false, 0 },   { "+0a:00", false, 0 },
    { "UTC+1", false, 0 },     { "Utc", false, 0 },
    { "+09:00 ", false, 0 },   { "local", false, 0 },
};

static void
test_time_parse_offset(void)
{
    size_t i;

    for (i = 0; i < T_COUNT(offset_cases); i++) {
        const struct offset_case *c = &offset_cases[i];
        int min = 12345;
        bool ok = kz_time_parse_offset(c->text, &min);

        T_CHECK(ok == c->ok, "row %zu: \"%s\" ok %d want %d", i, c->text, ok,
                c->ok);
        if (ok && c->ok)
            T_CHECK(min == c->min, "row %zu: \"%s\" %d != %d", i, c->text,
                    min, c->min);
        if (!ok)
            T_CHECK(min == 12345, "row %zu: *min touched on failure", i);
    }
}

static void
test_time_iso_with_offset(void)
{
    kz_time t = 0;
    kz_strbuf b;

    kz_strbuf_init(&b, 0);
    T_CHECK(kz_time_parse_iso("2019-03-19T23:34:26.4551658Z", 28, 0, &t,
                              NULL),
            "parse");
    kz_time_format_iso(&b, t, 540);
    T_EQ_STR(b.data, "2019-03-20T08:34:26.455165+09:00");
    kz_strbuf_reset(&b);
    kz_time_format_iso(&b, t, -330);
    T_EQ_STR(b.data, "2019-03-19T18:04:26.455165-05:30");
    kz_strbuf_reset(&b);
    kz_time_format_iso(&b, t, 0);
    T_EQ_STR(b.data, "2019-03-19T23:34:26.455165+00:00");
    kz_strbuf_fini(&b);
}

/* The printf form kz_time_format_iso had before its digits were written
 * by hand: the reference of the table below. */
static void
iso_reference(char *buf, size_t cap, kz_time t, int offset_min)
{
    kz_civil c;
    int off = offset_min < 0 ? -offset_min : offset_min;

    kz_time_to_civil(t, offset_min, &c);
    snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06d%c%02d:%02d",
             c.year, c.month, c.day, c.hour, c.min, c.sec, c.ticks / 10,
             offset_min < 0 ? '-' : '+', off / 60, off % 60);
}

static void
test_time_iso_matches_printf(void)
{
    static const kz_time times[] = {
        0, 1, 9, 10, 11, 9999999, 10000000, -1, -9, -10, -11, -9999999,
        -10000000, -10000001, KZ_UNIX_EPOCH_TICKS, KZ_UNIX_EPOCH_TICKS - 1,
        KZ_UNIX_EPOCH_TICKS + 1, 132048000000000000LL, 131976852874551658LL,
        /* year 9999 and 10000, year 0 and -1 (proleptic) */
        2650467743999999999LL, 2650467744000000000LL,
        -504911232000000000LL, -504911232000000001LL,
        -504911232000000000LL - 315537897600LL * 10000000LL,
        INT64_MAX, INT64_MIN / 2, INT64_MIN, /* KZ_TIME_NONE */
    };
    static const int offsets[] = {
        0, 1, -1, 59, -59, 60, -60, 330, -330, 540, -540, 840, -840,
        5999, -5999, 6000, -6000, 100000, -100000,
    };
    char want[96];
    kz_strbuf b;
    size_t i, j, k;
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    kz_time t;

    kz_strbuf_init(&b, 0);
    for (i = 0; i < sizeof(times) / sizeof(times[0]); i++)
        for (j = 0; j < sizeof(offsets) / sizeof(offsets[0]); j++) {
            /* INT64 extremes plus an offset would overflow: skip. */
            if ((times[i] > INT64_MAX / 2 || times[i] < INT64_MIN / 2) &&
                offsets[j] != 0)
                continue;
            iso_reference(want, sizeof(want), times[i], offsets[j]);
            kz_strbuf_reset(&b);
            T_CHECK(kz_time_format_iso(&b, times[i], offsets[j]) == KZ_OK,
                    "format %zu/%zu", i, j);
            T_CHECK(b.data != NULL && strcmp(b.data, want) == 0,
                    "time %lld offset %d: got %s want %s",
                    (long long)times[i], offsets[j], b.data ? b.data : "",
                    want);
        }
    /* Many times between 1601 and 30000 (and some before 1601). */
    for (k = 0; k < 200000; k++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        t = (kz_time)(x % 9000000000000000000ULL) -
            (kz_time)(k % 4 == 0 ? 1000000000000000000LL : 0);
        j = (size_t)(x >> 58) % (sizeof(offsets) / sizeof(offsets[0]) - 2);
        iso_reference(want, sizeof(want), t, offsets[j]);
        kz_strbuf_reset(&b);
        kz_time_format_iso(&b, t, offsets[j]);
        if (b.data == NULL || strcmp(b.data, want) != 0) {
            T_CHECK(false, "time %lld offset %d: got %s want %s",
                    (long long)t, offsets[j], b.data ? b.data : "", want);
            break;
        }
    }
    kz_strbuf_fini(&b);
}

static void
test_systemtime(void)
{
    uint16_t st[8] = { 2021, 7, 0, 4, 13, 5, 9, 250 };
    uint16_t bad[8] = { 2021, 13, 0, 4, 13, 5, 9, 250 };
    kz_time t;
    kz_strbuf b;

    kz_strbuf_init(&b, 0);
    T_CHECK(kz_time_from_systemtime(st, &t), "valid systemtime");
    kz_time_format_xml(&b, t);
    T_EQ_STR(b.data, "2021-07-04T13:05:09.2500000Z");
    T_CHECK(!kz_time_from_systemtime(bad, &t), "month 13 rejected");
    kz_strbuf_fini(&b);
}

static const struct utf16_case {
    const char *hex;       /* UTF-16LE bytes as hex */
    const char *utf8;      /* expected UTF-8 (WTF-8 for lone surrogates) */
    bool valid;            /* kz_utf8_valid of the result */
} utf16_cases[] = {
    { "41004200", "AB", true },
    { "e5652c67", "\xe6\x97\xa5\xe6\x9c\xac", true },         /* 日本 */
    { "3dd800de", "\xf0\x9f\x98\x80", true },                 /* 😀 */
    { "3dd84100", "\xed\xa0\xbd" "A", false },                /* lone high */
    { "00de", "\xed\xb8\x80", false },                        /* lone low */
    { "4100000042000000", "A\0B\0", true },                   /* NULs kept */
    { "", "", true },
};

/* Reference encoder for test_utf16_fast_paths: one unit at a time. */
static size_t
ref_utf16(const uint16_t *u, size_t n, char *out)
{
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        uint32_t c = u[i];

        if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n && u[i + 1] >= 0xDC00 &&
            u[i + 1] <= 0xDFFF) {
            c = 0x10000 + ((c - 0xD800) << 10) + (u[i + 1] - 0xDC00);
            i++;
        }
        o += kz_utf8_put(out + o, c);
    }
    return o;
}

/* The 8- and 4-unit ASCII paths against the one-unit reference: every
 * length up to 40, a non-ASCII unit (or a surrogate pair, or a lone
 * surrogate) at every position, and 0x7F / 0x80 edges. */
static void
test_utf16_fast_paths(void)
{
    static const uint16_t odd[] = {0x80, 0x7FF, 0x800, 0xFFFF, 0xD83D, 0xDC00,
                                   0x00FF, 0x0100};
    uint16_t u[48];
    uint8_t le[96];
    char a[200], b[200];
    size_t n, pos, k, i, la, lb;
    bool valid;

    for (n = 0; n <= 40; n++)
        for (pos = 0; pos <= n; pos++)
            for (k = 0; k < T_COUNT(odd); k++) {
                for (i = 0; i < n; i++)
                    u[i] = (uint16_t)(0x20 + (i * 7 + n) % 0x60); /* ASCII */
                if (pos < n)
                    u[pos] = odd[k];
                if (pos + 1 < n && odd[k] == 0xD83D)
                    u[pos + 1] = 0xDE00; /* a pair */
                for (i = 0; i < n; i++) {
                    le[2 * i] = (uint8_t)(u[i] & 0xFF);
                    le[2 * i + 1] = (uint8_t)(u[i] >> 8);
                }
                la = kz_utf16le_to_utf8_checked(le, n, a, &valid);
                lb = ref_utf16(u, n, b);
                T_CHECK(la == lb && memcmp(a, b, la) == 0,
                        "length %zu, 0x%04x at %zu", n, (unsigned)odd[k], pos);
            }
}

static void
test_utf16_to_utf8(void)
{
    size_t i;

    for (i = 0; i < T_COUNT(utf16_cases); i++) {
        const struct utf16_case *c = &utf16_cases[i];
        uint8_t in[64];
        char out[256];
        size_t n = t_unhex(c->hex, in), m, want;

        m = kz_utf16le_to_utf8(in, n / 2, out);
        want = c->hex[0] == '4' && strlen(c->hex) == 16 ? 4 : strlen(c->utf8);
        T_CHECK(m == want && memcmp(out, c->utf8, m) == 0,
                "row %zu: got %zu bytes", i, m);
        T_CHECK(kz_utf8_valid(out, m) == c->valid, "row %zu: validity", i);
        {
            bool valid = !c->valid;
            char out2[256];
            size_t m2 = kz_utf16le_to_utf8_checked(in, n / 2, out2, &valid);

            T_CHECK(m2 == m && memcmp(out2, out, m) == 0 &&
                        valid == c->valid,
                    "row %zu: checked conversion", i);
        }
    }
}

/* kz_utf16le_append_checked flags exactly the lone surrogates; the ASCII
 * fast path of kz_utf8_valid still finds a bad byte at any position. */
static void
test_utf16_checked_and_valid(void)
{
    static const uint8_t lone[] = { 'a', 0, 'b', 0, 'c', 0, 'd', 0,
                                    'e', 0, 0x01, 0xDC, 'f', 0 };
    kz_strbuf b;
    bool valid = true;
    char s[40];
    size_t i;

    kz_strbuf_init(&b, 0);
    T_CHECK(kz_utf16le_append_checked(&b, lone, 7, &valid) == KZ_OK &&
                !valid, "lone low surrogate after ASCII run");
    T_CHECK(!kz_utf8_valid(b.data, b.len), "WTF-8 is not valid UTF-8");
    kz_strbuf_reset(&b);
    T_CHECK(kz_utf16le_append_checked(&b, lone, 5, &valid) == KZ_OK && valid,
            "ASCII only");
    kz_strbuf_fini(&b);
    for (i = 0; i < sizeof(s); i++) {
        memset(s, 'x', sizeof(s));
        s[i] = (char)0xFF;
        T_CHECK(!kz_utf8_valid(s, sizeof(s)), "bad byte at %zu", i);
        T_CHECK(kz_utf8_valid(s, i), "prefix of %zu", i);
    }
}

static void
test_utf8_repair(void)
{
    static const struct {
        const char *in, *out;
    } rows[] = {
        { "plain", "plain" },
        { "a\xff" "b", "a\xef\xbf\xbd" "b" },
        { "\xed\xa0\xbd", "\xef\xbf\xbd" },          /* WTF-8 surrogate */
        { "\xc3\xa9t\xc3", "\xc3\xa9t\xef\xbf\xbd" }, /* truncated */
        { "\xe6\x97\xa5", "\xe6\x97\xa5" },
    };
    size_t i;
    kz_strbuf b;

    kz_strbuf_init(&b, 0);
    for (i = 0; i < T_COUNT(rows); i++) {
        kz_strbuf_reset(&b);
        kz_utf8_repair(&b, rows[i].in, strlen(rows[i].in));
        T_CHECK(b.len == strlen(rows[i].out) &&
                    memcmp(b.data, rows[i].out, b.len) == 0,
                "row %zu", i);
        T_CHECK(kz_utf8_valid(b.data, b.len), "row %zu valid", i);
    }
    kz_strbuf_fini(&b);
}

static void
test_ansi_codepages(void)
{
    kz_strbuf b;
    const uint8_t cp1252[] = { 'c', 'a', 'f', 0xe9, 0x80 };
    const uint8_t cp932[] = { 0x93, 0xfa, 0x96, 0x7b };   /* 日本 */

    kz_strbuf_init(&b, 0);
    kz_ansi_append(&b, cp1252, sizeof(cp1252), 1252);
    T_EQ_STR(b.data, "caf\xc3\xa9\xe2\x82\xac");
    kz_strbuf_reset(&b);
    kz_ansi_append(&b, cp932, sizeof(cp932), 932);
    T_EQ_STR(b.data, "\xe6\x97\xa5\xe6\x9c\xac");
    T_CHECK(kz_ansi_codepage_supported(932), "932 supported");
    T_CHECK(!kz_ansi_codepage_supported(99999), "99999 unsupported");
    kz_strbuf_fini(&b);
}

/* kz_utf16le_ascii_pack: every length across the 8-unit steps, with a
 * unit it must refuse (0, 0x80, 0x100, 0xFFFF, a surrogate) at every
 * position; what it accepts equals kz_utf16le_to_utf8. */
static void
test_utf16_ascii_pack(void)
{
    static const uint16_t bad[] = { 0x0000, 0x0080, 0x0100, 0xFFFF, 0xD800 };
    uint8_t in[64];
    char a[64], b[200];
    size_t n, at, k, i;

    for (n = 0; n <= 26; n++) {
        for (i = 0; i < n; i++) {
            in[2 * i] = (uint8_t)(0x01 + (i * 37) % 0x7F); /* 0x01..0x7F */
            in[2 * i + 1] = 0;
        }
        T_CHECK(kz_utf16le_ascii_pack(in, n, a), "n %zu: refused", n);
        T_CHECK(kz_utf16le_to_utf8(in, n, b) == n && memcmp(a, b, n) == 0,
                "n %zu: differs from kz_utf16le_to_utf8", n);
        for (at = 0; at < n; at++)
            for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
                uint8_t save0 = in[2 * at], save1 = in[2 * at + 1];

                in[2 * at] = (uint8_t)(bad[k] & 0xFF);
                in[2 * at + 1] = (uint8_t)(bad[k] >> 8);
                T_CHECK(!kz_utf16le_ascii_pack(in, n, a),
                        "n %zu: unit %04x at %zu accepted", n,
                        (unsigned)bad[k], at);
                in[2 * at] = save0;
                in[2 * at + 1] = save1;
            }
    }
}

static void
test_strbuf_bound(void)
{
    kz_strbuf b;

    kz_strbuf_init(&b, 8);
    T_EQ_INT(kz_strbuf_adds(&b, "12345678"), KZ_OK);
    T_EQ_INT(kz_strbuf_addc(&b, '9'), KZ_ELIMIT);
    T_EQ_INT(b.len, 8);
    kz_strbuf_reset(&b);
    T_EQ_INT(kz_strbuf_add_i64(&b, -42), KZ_OK);
    T_EQ_STR(b.data, "-42");
    kz_strbuf_fini(&b);
}

static void
test_arena_limit_and_reset(void)
{
    kz_arena a;
    void *p, *q;

    kz_arena_init(&a, 1024, 4096);
    p = kz_arena_alloc(&a, 1000);
    T_CHECK(p != NULL, "first");
    T_CHECK(kz_arena_alloc(&a, 8192) == NULL, "over the limit");
    kz_arena_reset(&a);
    q = kz_arena_alloc(&a, 16);
    T_CHECK(q != NULL, "after reset");
    T_CHECK(((uintptr_t)q % _Alignof(max_align_t)) == 0, "aligned");
    kz_arena_fini(&a);
}

static void
test_grow_doubles_and_checks_overflow(void)
{
    static const struct {
        size_t cap, need, first, want_cap;
        kz_status want;
    } rows[] = {
        { 0, 1, 4, 4, KZ_OK },          { 0, 5, 4, 8, KZ_OK },
        { 4, 4, 4, 4, KZ_OK },          { 4, 5, 4, 8, KZ_OK },
        { 8, 100, 4, 128, KZ_OK },      { 0, 1, 0, 1, KZ_OK },
        { 0, SIZE_MAX / 2 + 2, 4, 0, KZ_ENOMEM },
        { 0, SIZE_MAX / 4 + 1, 64, 0, KZ_ENOMEM },
    };
    size_t i, r;

    for (i = 0; i < T_COUNT(rows); i++) {
        int *a = NULL;
        size_t cap = 0;

        if (rows[i].cap != 0) {
            T_EQ_INT(kz_grow(&a, &cap, rows[i].cap, sizeof(*a),
                             rows[i].cap), KZ_OK);
            T_CHECK(cap == rows[i].cap, "row %zu: setup cap %zu", i, cap);
        }
        T_CHECK(kz_grow(&a, &cap, rows[i].need, sizeof(*a), rows[i].first) ==
                    rows[i].want, "row %zu: status", i);
        T_CHECK(cap == rows[i].want_cap || (rows[i].want != KZ_OK &&
                                            cap == rows[i].cap),
                "row %zu: cap %zu want %zu", i, cap, rows[i].want_cap);
        for (r = 0; rows[i].want == KZ_OK && r < rows[i].need; r++)
            a[r] = (int)r;              /* ASan: the whole range is ours */
        free(a);
    }
    T_CHECK(kz_size_mul(SIZE_MAX / 2, 2, &r) && r == SIZE_MAX - 1, "mul");
    T_CHECK(!kz_size_mul(SIZE_MAX / 2 + 1, 2, &r), "mul overflow");
    T_CHECK(kz_size_mul(0, SIZE_MAX, &r) && r == 0, "mul zero");
}

/* kz_hash_fold equals kz_hash of the ASCII-lowered bytes' fold for every
 * length (word loop, 8-byte step, tail) and every byte value; kz_hash
 * separates case, length and one changed byte. */
static void
test_hash_fold_and_spread(void)
{
    unsigned char a[64], b[64], c[64];
    size_t n, i, v, same = 0;

    for (n = 0; n <= sizeof(a); n++) {
        for (i = 0; i < n; i++) {
            a[i] = (unsigned char)((n * 31 + i * 7) % 256);
            b[i] = kz_ascii_lower(a[i]);
            c[i] = (a[i] >= 'a' && a[i] <= 'z') ? (unsigned char)(a[i] - 32)
                                                : a[i];
        }
        T_CHECK(kz_hash_fold(a, n) == kz_hash_fold(b, n) &&
                    kz_hash_fold(a, n) == kz_hash_fold(c, n),
                "fold, length %zu", n);
        T_CHECK(kz_hash_fold(b, n) == kz_hash_fold(b, n), "stable");
        if (n > 0) {
            T_CHECK(kz_hash(a, n) != kz_hash(a, n - 1), "length %zu", n);
            memcpy(c, a, n);
            c[n / 2] ^= 1;
            T_CHECK(kz_hash(a, n) != kz_hash(c, n), "one bit, length %zu", n);
        }
    }
    /* every byte value in every position of a word and of the tail */
    for (v = 0; v < 256; v++)
        for (i = 0; i < 13; i++) {
            memset(a, 'q', 13);
            a[i] = (unsigned char)v;
            memcpy(b, a, 13);
            b[i] = kz_ascii_lower((unsigned char)v);
            T_CHECK(kz_hash_fold(a, 13) == kz_hash_fold(b, 13),
                    "byte %zu at %zu", v, i);
            if (v >= 'A' && v <= 'Z')
                same += kz_hash(a, 13) == kz_hash(b, 13);
        }
    T_EQ_INT(same, 0);
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(test_hash_fold_and_spread),
        T_CASE(test_time_parse_and_format),
        T_CASE(test_time_civil_clamped),
        T_CASE(test_time_iso_with_offset),
        T_CASE(test_time_iso_matches_printf),
        T_CASE(test_time_parse_offset),
        T_CASE(test_systemtime),
        T_CASE(test_utf16_to_utf8),
        T_CASE(test_utf16_fast_paths),
        T_CASE(test_utf16_checked_and_valid),
        T_CASE(test_utf8_repair),
        T_CASE(test_ansi_codepages),
        T_CASE(test_utf16_ascii_pack),
        T_CASE(test_strbuf_bound),
        T_CASE(test_arena_limit_and_reset),
        T_CASE(test_grow_doubles_and_checks_overflow),
    };
    return t_run(cases, T_COUNT(cases), argc, argv);
}
