/*
 * test_timeline.c - detection records, the Details table, the detection
 * store (sort, spill, merge) and the timeline writers (CSV, JSONL, table)
 * with their escaping of hostile text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "write/det_store.h"
#include "write/detection.h"
#include "write/details.h"
#include "write/timeline.h"
#include "write/tz.h"

#define F(n, v)                                                            \
    { { n, sizeof(n) - 1 }, KZ_NAME_NONE, KZ_FG_EVENTDATA,                 \
      { (const uint8_t *)(v), sizeof(v) - 1, KZ_VT_UTF8 } }

static const kz_field logon_fields[] = {
    F("SubjectUserSid", "S-1-5-18"),
    F("TargetUserName", "alice"),
    F("TargetDomainName", "CORP"),
    F("LogonType", "10"),
    F("IpAddress", "203.0.113.7"),
    F("WorkstationName", "=HYPERLINK(\"x\")"),
    F("ProcessName", "C:\\Windows\\System32\\svchost.exe\r\nline2\x1b[31m"),
};

static kz_event
logon_event(kz_time t, uint64_t pos)
{
    kz_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.time = t;
    ev.record_id = 42;
    ev.event_id = 4624;
    ev.flags = KZ_EV_HAS_RECORD_ID | KZ_EV_HAS_EVENT_ID;
    ev.channel = (kz_str){ "Security", 8 };
    ev.computer = (kz_str){ "WS01.corp.local", 15 };
    ev.fields = logon_fields;
    ev.nfields = T_COUNT(logon_fields);
    ev.position = pos;
    return ev;
}

/* 2019-05-01T12:00:00Z */
#define T0 ((kz_time)(1556712000LL * KZ_TICKS_PER_SEC + KZ_UNIX_EPOCH_TICKS))

static const char *const rule_tags[] = {
    "attack.lateral-movement", "attack.t1021.001", "attack.g0016",
    "cve.2019-0708", "attack.execution",
};
static const char *const rule_fps[] = { "admins", "jump hosts" };

static kz_sigma_rule test_rule;

static const kz_sigma_rule *
make_rule(void)
{
    memset(&test_rule, 0, sizeof(test_rule));
    test_rule.title = "RDP logon, from \"outside\"";
    test_rule.id = "0b5c8d4e-0000-4000-8000-000000000001";
    test_rule.author = "kizuki tests";
    test_rule.path = "rules/rdp.yml";
    test_rule.level = KZ_LEVEL_HIGH;
    test_rule.tags = (kz_sg_strlist){ rule_tags, T_COUNT(rule_tags) };
    test_rule.falsepositives = (kz_sg_strlist){ rule_fps, 2 };
    return &test_rule;
}

/* Builds the record of ev into buf (reset first). */
static void
build(kz_strbuf *buf, const kz_event *ev, const char *path, uint32_t arg,
      uint32_t rule, uint8_t level)
{
    kz_strbuf scratch;
    kz_det_origin o = { path, arg, 0, NULL, NULL, NULL };

    kz_strbuf_init(&scratch, 0);
    kz_strbuf_reset(buf);
    T_CHECK(kz_det_build(buf, ev, &o, rule, level, NULL, &scratch) == KZ_OK,
            "build");
    kz_strbuf_fini(&scratch);
}

static void
record_round_trip(void)
{
    kz_event ev = logon_event(T0, 4096);
    kz_strbuf b;
    kz_det d;
    kz_str n, v;
    const uint8_t *cur;

    kz_strbuf_init(&b, 0);
    build(&b, &ev, "logs/Security.evtx", 1, 7, KZ_LEVEL_HIGH);
    T_EQ_INT(kz_det_len((const uint8_t *)b.data), b.len);
    T_CHECK(kz_det_decode((const uint8_t *)b.data, b.len, &d), "decode");
    T_EQ_INT(d.rule, 7);
    T_EQ_INT(d.time, T0);
    T_EQ_INT(d.record_id, 42);
    T_EQ_INT(d.event_id, 4624);
    T_EQ_INT(d.arg_index, 1);
    T_EQ_INT(d.level, KZ_LEVEL_HIGH);
    T_CHECK(d.path.len == 18 && memcmp(d.path.p, "logs/Security.evtx", 18)
            == 0, "path");
    /* Details follow the table: Account first, joined DOMAIN\user. */
    T_EQ_INT(d.ndetails, 4);
    cur = d.details;
    T_CHECK(kz_det_pair_next(&d, &cur, &n, &v), "pair 0");
    T_CHECK(n.len == 7 && memcmp(n.p, "Account", 7) == 0, "name 0");
    T_CHECK(v.len == 10 && memcmp(v.p, "CORP\\alice", 10) == 0, "value 0");
    T_CHECK(kz_det_pair_next(&d, &cur, &n, &v), "pair 1");
    T_CHECK(n.len == 9 && memcmp(n.p, "LogonType", 9) == 0, "name 1");
    /* Extra: the fields Details did not show, in event order. */
    T_EQ_INT(d.nextra, 2);
    cur = d.extra;
    T_CHECK(kz_det_pair_next(&d, &cur, &n, &v), "extra 0");
    T_CHECK(n.len == 14 && memcmp(n.p, "SubjectUserSid", 14) == 0,
            "extra name 0");
    /* The header alone (for counting): no pairs located. */
    T_CHECK(kz_det_decode_head((const uint8_t *)b.data, b.len, &d) &&
                d.extra == NULL && d.level == KZ_LEVEL_HIGH && d.rule == 7,
            "head decode");
    /* A truncated record never decodes. */
    T_CHECK(!kz_det_decode_head((const uint8_t *)b.data, 20, &d),
            "head of a cut record");
    T_CHECK(!kz_det_decode((const uint8_t *)b.data, b.len - 1, &d),
            "short record");
    kz_strbuf_fini(&b);
}

/* The Fields section (correlations) and records built from pairs. */
static void
record_fields_and_pairs(void)
{
    static const char *const names[] = { "targetusername", "Missing",
                                          "IpAddress" };
    kz_event ev = logon_event(T0, 9);
    kz_strbuf b, scratch, c;
    kz_det d, e;
    kz_str n, v, pairs[6];
    const uint8_t *cur;

    kz_strbuf_init(&b, 0);
    kz_strbuf_init(&c, 0);
    kz_strbuf_init(&scratch, 0);
    build(&b, &ev, "a.evtx", 1, 3, KZ_LEVEL_LOW);
    T_CHECK(kz_det_add_fields(&b, 0, &ev, names, NULL, 3, NULL, &scratch) ==
                KZ_OK,
            "add fields");
    T_CHECK(kz_det_add_fields(&b, 0, &ev, names, NULL, 3, NULL, &scratch) ==
                KZ_EUSAGE,
            "fields twice");
    T_EQ_INT(kz_det_len((const uint8_t *)b.data), b.len);
    T_CHECK(kz_det_decode((const uint8_t *)b.data, b.len, &d), "decode");
    T_EQ_INT(d.nfields, 2);
    cur = d.fields;
    T_CHECK(kz_det_pair_next(&d, &cur, &n, &v), "field 0");
    T_CHECK(n.len == 14 && memcmp(n.p, "targetusername", 14) == 0 &&
                v.len == 5 && memcmp(v.p, "alice", 5) == 0,
            "field 0: %.*s", (int)v.len, v.p);
    T_CHECK(kz_det_pair_next(&d, &cur, &n, &v), "field 1");
    T_CHECK(v.len == 11 && memcmp(v.p, "203.0.113.7", 11) == 0, "field 1");
    T_CHECK(!kz_det_decode((const uint8_t *)b.data, b.len - 1, &d),
            "cut fields");
    /* An alert: header of d, rule and level replaced, own pairs. */
    T_CHECK(kz_det_decode((const uint8_t *)b.data, b.len, &d), "decode");
    pairs[0] = (kz_str){ "Account", 7 };
    pairs[1] = (kz_str){ "alice", 5 };
    pairs[2] = (kz_str){ "Count", 5 };
    pairs[3] = (kz_str){ "3", 1 };
    pairs[4] = (kz_str){ "Events", 6 };
    pairs[5] = (kz_str){ "3", 1 };
    T_CHECK(kz_det_build_pairs(&c, &d, 99, KZ_LEVEL_HIGH, pairs, 2, 1) ==
                KZ_OK,
            "build pairs");
    T_CHECK(kz_det_decode((const uint8_t *)c.data, c.len, &e), "decode");
    T_CHECK(e.rule == 99 && e.level == KZ_LEVEL_HIGH && e.time == T0 &&
                e.record_id == 42 && e.position == 9 && e.arg_index == 1 &&
                e.ndetails == 2 && e.nextra == 1 && e.nfields == 0,
            "alert header");
    T_CHECK(e.path.len == 6 && memcmp(e.path.p, "a.evtx", 6) == 0, "path");
    cur = e.extra;
    T_CHECK(kz_det_pair_next(&e, &cur, &n, &v) && n.len == 6, "extra");
    kz_strbuf_fini(&b);
    kz_strbuf_fini(&c);
    kz_strbuf_fini(&scratch);
}

/* A value whose bytes do not fit its type shows as "(bad value)" in both
 * sections; the values around it are intact. */
static void
record_bad_values(void)
{
    static const uint8_t three[3] = { 1, 2, 3 };
    kz_field f[12];
    kz_event ev;
    kz_strbuf b;
    kz_det d;
    kz_str n, v;
    const uint8_t *cur;
    size_t i;

    for (i = 0; i < T_COUNT(f); i++) {
        f[i].name = (kz_str){ i % 2 ? "Good" : "Bad", i % 2 ? 4u : 3u };
        f[i].id = KZ_NAME_NONE;
        f[i].group = KZ_FG_EVENTDATA;
        if (i % 2)
            f[i].value = kz_value_utf8("fine", 4);
        else
            f[i].value = (kz_value){ three, 3, KZ_VT_GUID };
    }
    memset(&ev, 0, sizeof(ev));
    ev.channel = (kz_str){ "Application", 11 };
    ev.fields = f;
    ev.nfields = T_COUNT(f);
    kz_strbuf_init(&b, 0);
    build(&b, &ev, "x", 0, 0, KZ_LEVEL_LOW);
    T_CHECK(kz_det_decode((const uint8_t *)b.data, b.len, &d), "decode");
    T_EQ_INT(d.ndetails + d.nextra, T_COUNT(f));
    T_CHECK(d.nextra > 0, "some in ExtraFieldInfo");
    cur = d.details;
    for (i = 0; i < T_COUNT(f); i++) {
        if (i == d.ndetails)
            cur = d.extra;
        T_CHECK(kz_det_pair_next(&d, &cur, &n, &v), "pair %zu", i);
        if (i % 2)
            T_CHECK(v.len == 4 && memcmp(v.p, "fine", 4) == 0, "good %zu",
                    i);
        else
            T_CHECK(v.len == 11 && memcmp(v.p, "(bad value)", 11) == 0,
                    "bad %zu: %.*s", i, (int)v.len, v.p);
    }
    kz_strbuf_fini(&b);
}

/* UTF-16 values give the text kz_value_render gives, whichever way the
 * record takes (plain ASCII units copied directly, anything else
 * rendered): trailing NULs, an embedded NUL, non-ASCII, a lone
 * surrogate, an odd byte, 7/8/9/16/17 units, and a value over the cut. */
static void
record_utf16_values(void)
{
    static uint8_t u[13][2400];
    static const char *const ascii[] = { "abcdefg", "abcdefgh", "abcdefghi",
                                         "0123456789abcdef",
                                         "0123456789abcdefg" };
    size_t len[13], i, k;
    kz_field f[13];
    kz_event ev;
    kz_strbuf b, want;
    kz_det d;
    kz_str n, v;
    const uint8_t *cur;

    memset(u, 0, sizeof(u));
    for (i = 0; i < 5; i++) {
        for (k = 0; ascii[i][k] != '\0'; k++)
            u[i][2 * k] = (uint8_t)ascii[i][k];
        len[i] = 2 * k;
    }
    len[5] = 2 * 7 + 4;                       /* "abcdefg" + 2 NULs */
    memcpy(u[5], u[0], 14);
    memcpy(u[6], u[1], 16);                   /* NUL inside */
    u[6][6] = 0;
    len[6] = 16;
    memcpy(u[7], u[2], 18);                   /* U+00E9 */
    u[7][8] = 0xE9;
    len[7] = 18;
    memcpy(u[8], u[3], 32);                   /* lone surrogate */
    u[8][20] = 0x00;
    u[8][21] = 0xD8;
    len[8] = 32;
    memcpy(u[9], u[1], 16);                   /* odd trailing byte */
    u[9][16] = 'z';
    len[9] = 17;
    for (k = 0; k < 1100; k++)                /* over KZ_DET_VALUE_MAX */
        u[10][2 * k] = (uint8_t)('a' + k % 26);
    len[10] = 2200;
    for (k = 0; k < 1024; k++)                /* exactly KZ_DET_VALUE_MAX */
        u[11][2 * k] = (uint8_t)('A' + k % 26);
    len[11] = 2048;
    u[12][0] = 0x7F;                          /* DEL, then U+0080 */
    u[12][2] = 0x80;
    len[12] = 4;
    for (i = 0; i < 13; i++) {
        f[i].name = (kz_str){ "V", 1 };
        f[i].id = KZ_NAME_NONE;
        f[i].group = KZ_FG_EVENTDATA;
        f[i].value = (kz_value){ u[i], (uint32_t)len[i], KZ_VT_STRING };
    }
    memset(&ev, 0, sizeof(ev));
    ev.channel = (kz_str){ "Application", 11 };
    ev.fields = f;
    ev.nfields = 13;
    kz_strbuf_init(&b, 0);
    kz_strbuf_init(&want, 0);
    build(&b, &ev, "x", 0, 0, KZ_LEVEL_LOW);
    T_CHECK(kz_det_decode((const uint8_t *)b.data, b.len, &d), "decode");
    T_EQ_INT(d.ndetails + d.nextra, 13);
    cur = d.details;
    for (i = 0; i < 13; i++) {
        if (i == d.ndetails)
            cur = d.extra;
        T_CHECK(kz_det_pair_next(&d, &cur, &n, &v), "pair %zu", i);
        kz_strbuf_reset(&want);
        T_EQ_INT(kz_value_render(&f[i].value, NULL, &want), KZ_OK);
        if (i == 10) {
            T_CHECK(v.len == KZ_DET_VALUE_MAX + 14 &&
                        memcmp(v.p, want.data, KZ_DET_VALUE_MAX) == 0 &&
                        memcmp(v.p + KZ_DET_VALUE_MAX, "...(+76 bytes)",
                               14) == 0,
                    "cut value: %zu bytes", v.len);
            continue;
        }
        T_CHECK(v.len == want.len && memcmp(v.p, want.data, v.len) == 0,
                "value %zu: %zu vs %zu bytes", i, v.len, want.len);
    }
    kz_strbuf_fini(&want);
    kz_strbuf_fini(&b);
}

/* The longest strings a record holds (a name cut at KZ_DET_NAME_MAX
 * with a "[k]" suffix, a path and computer cut at 32 times that, a value
 * at its cut with the marker) keep their lengths through the short
 * length prefixes. */
static void
record_long_strings(void)
{
    static char longname[300], longtext[5000], path[5000];
    kz_field f[3];
    kz_event ev;
    kz_strbuf b;
    kz_det d;
    kz_str n, v;
    const uint8_t *cur;
    size_t i;

    memset(longname, 'N', sizeof(longname));
    memset(longtext, 'c', sizeof(longtext));
    memset(path, 'p', sizeof(path) - 1);
    for (i = 0; i < 3; i++) {
        f[i].name = (kz_str){ longname, sizeof(longname) };
        f[i].id = KZ_NAME_NONE;
        f[i].group = KZ_FG_EVENTDATA;
        f[i].value = kz_value_utf8(longtext, sizeof(longtext));
    }
    memset(&ev, 0, sizeof(ev));
    ev.channel = (kz_str){ "Application", 11 };
    ev.computer = (kz_str){ longtext, sizeof(longtext) };
    ev.fields = f;
    ev.nfields = 3;
    kz_strbuf_init(&b, 0);
    build(&b, &ev, path, 0, 0, KZ_LEVEL_LOW);
    T_CHECK(kz_det_decode((const uint8_t *)b.data, b.len, &d), "decode");
    T_EQ_INT(d.path.len, KZ_DET_NAME_MAX * 32);
    T_EQ_INT(d.computer.len, KZ_DET_NAME_MAX * 32);
    T_EQ_INT(d.ndetails + d.nextra, 3);
    cur = d.details;
    for (i = 0; i < 3; i++) {
        if (i == d.ndetails)
            cur = d.extra;
        T_CHECK(kz_det_pair_next(&d, &cur, &n, &v), "pair %zu", i);
        T_EQ_INT(n.len, KZ_DET_NAME_MAX + (i == 0 || i == d.ndetails ? 0 : 3));
        T_CHECK(v.len > KZ_DET_VALUE_MAX && v.len < KZ_DET_VALUE_MAX + 32 &&
                    memcmp(v.p + KZ_DET_VALUE_MAX, "...(+3976 bytes)", 16) ==
                        0,
                "value %zu: %zu bytes", i, v.len);
    }
    kz_strbuf_fini(&b);
}

static void
record_bounds(void)
{
    static kz_field many[300];
    static char big[5000];
    kz_event ev;
    kz_strbuf b;
    kz_det d;
    kz_str n, v;
    const uint8_t *cur;
    size_t i;

    memset(big, 'A', sizeof(big));
    for (i = 0; i < T_COUNT(many); i++) {
        many[i].name = (kz_str){ i % 2 ? "Data" : "Payload", i % 2 ? 4 : 7 };
        many[i].id = KZ_NAME_NONE;
        many[i].value = kz_value_utf8(big, i == 0 ? sizeof(big) : 10);
    }
    memset(&ev, 0, sizeof(ev));
    ev.channel = (kz_str){ "Application", 11 };
    ev.event_id = 1;
    ev.fields = many;
    ev.nfields = T_COUNT(many);
    kz_strbuf_init(&b, 0);
    build(&b, &ev, "x", 0, 0, KZ_LEVEL_LOW);
    T_CHECK(b.len <= KZ_DET_MAX_RECORD, "record size %zu", b.len);
    T_CHECK(kz_det_decode((const uint8_t *)b.data, b.len, &d), "decode");
    /* No table row: the first fields are Details, names made unique. */
    T_EQ_INT(d.ndetails, KZ_DETAILS_FALLBACK);
    cur = d.details;
    T_CHECK(kz_det_pair_next(&d, &cur, &n, &v), "first");
    T_CHECK(v.len < 1100 && memcmp(v.p + KZ_DET_VALUE_MAX, "...(+", 5) == 0,
            "cut marker");
    T_CHECK(kz_det_pair_next(&d, &cur, &n, &v), "second");
    T_CHECK(kz_det_pair_next(&d, &cur, &n, &v), "third");
    T_CHECK(n.len == 10 && memcmp(n.p, "Payload[1]", 10) == 0,
            "unique name: %.*s", (int)n.len, n.p);
    T_EQ_INT(d.nextra, KZ_DET_MAX_EXTRA);
    cur = d.extra;
    for (i = 0; i < d.nextra; i++)
        T_CHECK(kz_det_pair_next(&d, &cur, &n, &v), "extra %zu", i);
    T_CHECK(n.len == 3 && memcmp(n.p, "...", 3) == 0, "last is the marker");
    T_CHECK(v.len > 0 && memcmp(v.p, "169 more", 8) == 0, "left out: %.*s",
            (int)v.len, v.p);
    kz_strbuf_fini(&b);
}

/* Repeated names get "[k]" suffixes counted per section (long names cut
 * to KZ_DET_NAME_MAX first), checked against a plain count; a cut value
 * carries the exact "...(+N bytes)" marker. */
static void
record_unique_names(void)
{
    enum { NF = 150 };
    static kz_field f[NF];
    static char longname[3][200], big[5000];
    static const char *const names[] = { "Data", "Data", "", "x", "Payload",
                                         "Data[1]", "Datb", "aData" };
    kz_str base[NF];
    kz_event ev;
    kz_strbuf b;
    kz_det d;
    kz_str n, v;
    const uint8_t *cur;
    size_t i, j, k, same, first, count;
    char want[200];

    memset(big, 'A', sizeof(big));
    for (i = 0; i < 3; i++) {
        memset(longname[i], 'N', sizeof(longname[i]));
        longname[i][150 + i] = (char)('a' + i);
    }
    for (i = 0; i < NF; i++) {
        if (i % 11 == 5)
            f[i].name = (kz_str){ longname[i % 3], 160 };
        else
            f[i].name = (kz_str){ names[i % T_COUNT(names)],
                                  strlen(names[i % T_COUNT(names)]) };
        base[i] = f[i].name;
        if (base[i].len > KZ_DET_NAME_MAX)
            base[i].len = KZ_DET_NAME_MAX;
        f[i].id = KZ_NAME_NONE;
        f[i].value = kz_value_utf8(big, i == 0 ? sizeof(big) : 3);
    }
    memset(&ev, 0, sizeof(ev));
    ev.channel = (kz_str){ "Application", 11 };
    ev.event_id = 1;
    ev.fields = f;
    ev.nfields = NF;
    kz_strbuf_init(&b, 0);
    build(&b, &ev, "x", 0, 0, KZ_LEVEL_LOW);
    T_CHECK(kz_det_decode((const uint8_t *)b.data, b.len, &d), "decode");
    T_EQ_INT(d.ndetails, KZ_DETAILS_FALLBACK);
    cur = d.details;
    T_CHECK(kz_det_pair_next(&d, &cur, &n, &v), "first");
    T_CHECK(v.len == KZ_DET_VALUE_MAX + 16 &&
            memcmp(v.p + KZ_DET_VALUE_MAX, "...(+3976 bytes)", 16) == 0,
            "marker: %.*s", (int)(v.len - KZ_DET_VALUE_MAX),
            v.p + KZ_DET_VALUE_MAX);
    for (k = 0; k < 2; k++) {
        first = k == 0 ? 0 : KZ_DETAILS_FALLBACK;
        count = k == 0 ? d.ndetails : d.nextra - 1u;
        cur = k == 0 ? d.details : d.extra;
        for (i = first; i < first + count; i++) {
            T_CHECK(kz_det_pair_next(&d, &cur, &n, &v), "pair %zu", i);
            for (same = 0, j = first; j < i; j++)
                same += base[j].len == base[i].len &&
                        memcmp(base[j].p, base[i].p, base[i].len) == 0;
            memcpy(want, base[i].p, base[i].len);
            if (same > 0)
                snprintf(want + base[i].len, sizeof(want) - base[i].len,
                         "[%zu]", same);
            else
                want[base[i].len] = '\0';
            T_CHECK(n.len == strlen(want) && memcmp(n.p, want, n.len) == 0,
                    "field %zu: %.*s, want %s", i, (int)n.len, n.p, want);
        }
    }
    kz_strbuf_fini(&b);
}

static kz_timeline *
writer(kz_tl_format f, kz_tl_profile p, const kz_tz *tz,
       const kz_sigma_rule **rules)
{
    kz_tl_opts o;

    memset(&o, 0, sizeof(o));
    o.format = f;
    o.profile = p;
    o.tz = tz;
    rules[0] = make_rule();
    o.rules = rules;
    o.nrules = 1;
    o.width = 120;
    return kz_timeline_new(&o);
}

static void
csv_row_guarded(void)
{
    const kz_sigma_rule *rules[1];
    kz_timeline *tl = writer(KZ_TL_CSV, KZ_TL_STANDARD, NULL, rules);
    kz_event ev = logon_event(T0, 1);
    kz_strbuf rec, out;
    kz_det d;
    bool w;

    kz_strbuf_init(&rec, 0);
    kz_strbuf_init(&out, 0);
    build(&rec, &ev, "-cmd.evtx", 0, 0, KZ_LEVEL_HIGH);
    T_CHECK(kz_det_decode((const uint8_t *)rec.data, rec.len, &d), "decode");
    T_CHECK(kz_timeline_header(tl, &out) == KZ_OK, "header");
    T_EQ_STR(out.data, "Timestamp,RuleTitle,Level,Computer,Channel,EventID,"
                       "RecordID,Details,ExtraFieldInfo,RuleID,RuleAuthor,"
                       "File\n");
    kz_strbuf_reset(&out);
    T_CHECK(kz_timeline_row(tl, &d, &out, &w) == KZ_OK && w, "row");
    T_EQ_STR(out.data,
             "2019-05-01T12:00:00.000000+00:00,"
             "\"RDP logon, from \"\"outside\"\"\",high,WS01.corp.local,"
             "Security,4624,42,"
             "\"Account: CORP\\alice \xC2\xA6 LogonType: 10 \xC2\xA6 IpAddress: "
             "203.0.113.7 \xC2\xA6 WorkstationName: =HYPERLINK(\"\"x\"\")\""
             ","
             "SubjectUserSid: S-1-5-18 \xC2\xA6 ProcessName: C:\\Windows\\"
             "System32\\svchost.exe\\r\\nline2\\x1B[31m,"
             "0b5c8d4e-0000-4000-8000-000000000001,kizuki tests,"
             "\"'-cmd.evtx\"\n");
    T_CHECK(strchr(out.data, '\x1b') == NULL, "no raw ESC");
    /* min_level filters rows. */
    kz_timeline_free(tl);
    {
        kz_tl_opts o;

        memset(&o, 0, sizeof(o));
        o.format = KZ_TL_CSV;
        o.min_level = KZ_LEVEL_CRITICAL;
        tl = kz_timeline_new(&o);
    }
    kz_strbuf_reset(&out);
    T_CHECK(kz_timeline_row(tl, &d, &out, &w) == KZ_OK && !w && out.len == 0,
            "filtered");
    kz_timeline_free(tl);
    kz_strbuf_fini(&rec);
    kz_strbuf_fini(&out);
}

/* A cell that starts a formula is guarded even when it is a Details
 * value's first character. */
static void
csv_formula_cells(void)
{
    static const kz_field f[] = { F("CommandLine", "=1+1") };
    const kz_sigma_rule *rules[1];
    kz_timeline *tl = writer(KZ_TL_CSV, KZ_TL_STANDARD, NULL, rules);
    kz_event ev;
    kz_strbuf rec, out;
    kz_det d;

    memset(&ev, 0, sizeof(ev));
    ev.time = KZ_TIME_NONE;
    ev.computer = (kz_str){ "@host", 5 };
    ev.channel = (kz_str){ "+x", 2 };
    ev.fields = f;
    ev.nfields = 1;
    kz_strbuf_init(&rec, 0);
    kz_strbuf_init(&out, 0);
    build(&rec, &ev, "a.json", 0, 0, KZ_LEVEL_LOW);
    T_CHECK(kz_det_decode((const uint8_t *)rec.data, rec.len, &d), "decode");
    T_CHECK(kz_timeline_row(tl, &d, &out, NULL) == KZ_OK, "row");
    T_CHECK(strstr(out.data, ",\"'@host\",\"'+x\",,,CommandLine: =1+1,,")
            != NULL, "guarded: %s", out.data);
    T_CHECK(strncmp(out.data, "\"'-\",", 5) == 0, "no time: %s", out.data);
    kz_timeline_free(tl);
    kz_strbuf_fini(&rec);
    kz_strbuf_fini(&out);
}

static void
jsonl_row(void)
{
    const kz_sigma_rule *rules[1];
    kz_tz tz;
    kz_timeline *tl;
    kz_event ev = logon_event(T0, 1);
    kz_strbuf rec, out;
    kz_det d;

    T_CHECK(kz_tz_parse("+09:00", &tz, NULL) == KZ_OK, "tz");
    tl = writer(KZ_TL_JSONL, KZ_TL_STANDARD, &tz, rules);
    kz_strbuf_init(&rec, 0);
    kz_strbuf_init(&out, 0);
    build(&rec, &ev, "Security.evtx", 0, 0, KZ_LEVEL_HIGH);
    T_CHECK(kz_det_decode((const uint8_t *)rec.data, rec.len, &d), "decode");
    T_CHECK(kz_timeline_row(tl, &d, &out, NULL) == KZ_OK, "row");
    T_EQ_STR(out.data,
             "{\"Timestamp\":\"2019-05-01T21:00:00.000000+09:00\","
             "\"RuleTitle\":\"RDP logon, from \\\"outside\\\"\","
             "\"Level\":\"high\",\"Computer\":\"WS01.corp.local\","
             "\"Channel\":\"Security\",\"EventID\":4624,\"RecordID\":42,"
             "\"Details\":{\"Account\":\"CORP\\\\alice\",\"LogonType\":\"10\","
             "\"IpAddress\":\"203.0.113.7\","
             "\"WorkstationName\":\"=HYPERLINK(\\\"x\\\")\"},"
             "\"ExtraFieldInfo\":{\"SubjectUserSid\":\"S-1-5-18\","
             "\"ProcessName\":\"C:\\\\Windows\\\\System32\\\\svchost.exe"
             "\\r\\nline2\\u001b[31m\"},"
             "\"RuleID\":\"0b5c8d4e-0000-4000-8000-000000000001\","
             "\"RuleAuthor\":\"kizuki tests\",\"File\":\"Security.evtx\"}\n");
    kz_timeline_free(tl);
    kz_strbuf_fini(&rec);
    kz_strbuf_fini(&out);
}

static void
verbose_and_timesketch(void)
{
    const kz_sigma_rule *rules[1];
    kz_timeline *tl = writer(KZ_TL_JSONL, KZ_TL_VERBOSE, NULL, rules);
    kz_event ev = logon_event(T0, 1);
    kz_strbuf rec, out;
    kz_det d;

    kz_strbuf_init(&rec, 0);
    kz_strbuf_init(&out, 0);
    build(&rec, &ev, "S.evtx", 0, 0, KZ_LEVEL_HIGH);
    T_CHECK(kz_det_decode((const uint8_t *)rec.data, rec.len, &d), "decode");
    T_CHECK(kz_timeline_row(tl, &d, &out, NULL) == KZ_OK, "row");
    T_CHECK(strstr(out.data, "\"MitreTactics\":[\"Lateral Movement\","
                             "\"Execution\"],\"MitreTags\":[\"T1021.001\","
                             "\"G0016\"],\"OtherTags\":[\"cve.2019-0708\"],"
                             "\"FalsePositives\":[\"admins\",\"jump hosts\"],"
                             "\"RuleFile\":\"rules/rdp.yml\"}") != NULL,
            "verbose: %s", out.data);
    kz_timeline_free(tl);
    tl = writer(KZ_TL_CSV, KZ_TL_TIMESKETCH, NULL, rules);
    kz_strbuf_reset(&out);
    T_CHECK(kz_timeline_header(tl, &out) == KZ_OK, "header");
    T_CHECK(strncmp(out.data, "datetime,timestamp_desc,message,Timestamp,",
                    42) == 0, "timesketch header: %s", out.data);
    kz_strbuf_reset(&out);
    T_CHECK(kz_timeline_row(tl, &d, &out, NULL) == KZ_OK, "row");
#define TS_ROW "2019-05-01T12:00:00.000000+00:00,Event Time,"             \
               "\"RDP logon, from \"\"outside\"\" - Account: CORP\\alice"
    T_CHECK(strncmp(out.data, TS_ROW, strlen(TS_ROW)) == 0,
            "timesketch row: %s", out.data);
    kz_timeline_free(tl);
    kz_strbuf_fini(&rec);
    kz_strbuf_fini(&out);
}

static void
table_row_escaped(void)
{
    static const kz_field f[] = {
        F("Image", "C:\\evil\x1b]0;pwned\x07.exe"),
        F("CommandLine", "\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88 "
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
    };
    const kz_sigma_rule *rules[1];
    kz_timeline *tl = writer(KZ_TL_TABLE, KZ_TL_STANDARD, NULL, rules);
    kz_event ev;
    kz_strbuf rec, out;
    kz_det d;
    const char *nl;

    memset(&ev, 0, sizeof(ev));
    ev.time = T0;
    ev.event_id = 1;
    ev.flags = KZ_EV_HAS_EVENT_ID;
    ev.channel = (kz_str){ "Microsoft-Windows-Sysmon/Operational", 36 };
    ev.computer = (kz_str){ "a-very-long-computer-name.example", 33 };
    ev.fields = f;
    ev.nfields = 2;
    kz_strbuf_init(&rec, 0);
    kz_strbuf_init(&out, 0);
    build(&rec, &ev, "s.evtx", 0, 0, KZ_LEVEL_CRITICAL);
    T_CHECK(kz_det_decode((const uint8_t *)rec.data, rec.len, &d), "decode");
    T_CHECK(kz_timeline_header(tl, &out) == KZ_OK, "header");
    T_CHECK(kz_timeline_row(tl, &d, &out, NULL) == KZ_OK, "row");
    T_CHECK(strchr(out.data, '\x1b') == NULL && strchr(out.data, '\x07') ==
            NULL, "control characters escaped: %s", out.data);
    T_CHECK(strstr(out.data, "Image: C:\\evil\\x1B]0") != NULL,
            "shown as \\x: %s", out.data);
    T_CHECK(strstr(out.data, "a-very-long-co\xE2\x80\xA6 ") != NULL,
            "computer cut: %s", out.data);
    nl = strchr(out.data, '\n');
    T_CHECK(nl != NULL && kz_tl_width(nl + 1, strlen(nl + 1) - 1) == 120,
            "row width %zu", nl ? kz_tl_width(nl + 1, strlen(nl + 1) - 1) : 0);
    kz_timeline_free(tl);
    /* Colour only when asked. */
    {
        kz_tl_opts o;

        memset(&o, 0, sizeof(o));
        o.format = KZ_TL_TABLE;
        o.color = true;
        tl = kz_timeline_new(&o);
    }
    kz_strbuf_reset(&out);
    T_CHECK(kz_timeline_row(tl, &d, &out, NULL) == KZ_OK, "row");
    T_CHECK(strstr(out.data, "\033[1;31mcrit\033[0m") != NULL, "colour");
    kz_timeline_free(tl);
    kz_strbuf_fini(&rec);
    kz_strbuf_fini(&out);
}

static void
flatten_and_width(void)
{
    kz_strbuf b;

    kz_strbuf_init(&b, 0);
    T_CHECK(kz_tl_flatten(&b, "a\tb\\c\xe2\x80\xae" "d\xff", 10) == KZ_OK, "f");
    T_EQ_STR(b.data, "a\\tb\\c\\xE2\\x80\\xAEd\\xFF");
    T_EQ_INT(kz_tl_width("\xe6\x97\xa5\xe6\x9c\xac" "ab", 8), 6);
    kz_strbuf_fini(&b);
}

/* Builds n records with pseudo-random times, args and rules. */
static uint8_t **
random_records(size_t n, size_t **lens)
{
    uint8_t **recs = calloc(n, sizeof(*recs));
    kz_strbuf b;
    uint32_t x = 12345;
    size_t i;

    *lens = calloc(n, sizeof(**lens));
    kz_strbuf_init(&b, 0);
    for (i = 0; i < n; i++) {
        kz_event ev;
        const char *path = (x >> 5) % 2 ? "b.evtx" : "a.evtx";

        x = x * 1103515245u + 12345u;
        ev = logon_event(T0 + (kz_time)((x >> 8) % 50) * KZ_TICKS_PER_SEC,
                         (x >> 3) % 7);
        build(&b, &ev, path, (x >> 11) % 2, (x >> 13) % 3, KZ_LEVEL_LOW);
        recs[i] = malloc(b.len);
        memcpy(recs[i], b.data, b.len);
        (*lens)[i] = b.len;
    }
    kz_strbuf_fini(&b);
    return recs;
}

static void
store_spill_merge(void)
{
    enum { N = 600 };
    static const uint32_t rank[3] = { 2, 0, 1 };
    size_t *lens, i, len, count = 0;
    uint8_t **recs = random_records(N, &lens), *prev = NULL;
    kz_det_store_opts o = { 4096, 3, NULL, rank, 3, NULL };
    kz_det_store *s = NULL;
    kz_det_store_stats st;
    const uint8_t *r;
    kz_error err;

    kz_error_clear(&err);
    T_CHECK(kz_det_store_new(&o, &s, &err) == KZ_OK, "new");
    for (i = 0; i < N; i++)
        T_CHECK(kz_det_store_add(s, recs[i], lens[i], &err) == KZ_OK,
                "add %zu: %s", i, err.msg);
    kz_det_store_stats_get(s, &st);
    T_CHECK(st.spills > 3, "spilled %llu times", (unsigned long long)st.spills);
    T_CHECK(kz_det_store_finish(s, &err) == KZ_OK, "finish");
    for (;;) {
        T_CHECK(kz_det_store_next(s, &r, &len, &err) == KZ_OK, "next");
        if (r == NULL)
            break;
        if (prev != NULL)
            T_CHECK(kz_det_compare(prev, r, rank, 3) <= 0, "order at %zu",
                    count);
        free(prev);
        prev = malloc(len);
        memcpy(prev, r, len);
        count++;
    }
    free(prev);
    T_EQ_INT(count, N);
    kz_det_store_free(s);
    for (i = 0; i < N; i++)
        free(recs[i]);
    free(recs);
    free(lens);
}

/* The store's own sort (keys taken out of the records) gives the order
 * of kz_det_compare, paths sharing long prefixes included, in memory
 * and through spills. */
static void
store_sort_matches_compare(void)
{
    enum { N = 900 };
    static const char *const paths[] = {
        "", "a", "ab", "abcdefgh", "abcdefghi", "abcdefgh\x01",
        "abcdefgha", "abcdefgi", "\xff", "abcdefghijklmnop",
        "abcdefghijklmnoq", "abcdefg", "b",
    };
    static const uint32_t rank[3] = { 2, 0, 1 };
    size_t bounds[2] = { (size_t)1 << 30, 8192 }, i, pass, len, count;
    uint8_t *recs[N], *prev;
    kz_strbuf b;
    uint32_t x = 777;
    const uint8_t *r;
    kz_det_store *s;
    kz_error err;

    kz_strbuf_init(&b, 0);
    for (i = 0; i < N; i++) {
        kz_event ev;

        x = x * 1103515245u + 12345u;
        ev = logon_event(T0 + (kz_time)((x >> 8) % 3), (x >> 3) % 5);
        build(&b, &ev, paths[(x >> 16) % (sizeof(paths) / sizeof(paths[0]))],
              (x >> 11) % 2, (x >> 13) % 3, KZ_LEVEL_LOW);
        recs[i] = malloc(b.len);
        memcpy(recs[i], b.data, b.len);
    }
    kz_strbuf_fini(&b);
    for (pass = 0; pass < 2; pass++) {
        kz_det_store_opts o = { bounds[pass], 4, NULL, rank, 3, NULL };

        kz_error_clear(&err);
        s = NULL;
        prev = NULL;
        count = 0;
        T_CHECK(kz_det_store_new(&o, &s, &err) == KZ_OK, "new");
        for (i = 0; i < N; i++)
            T_CHECK(kz_det_store_add(s, recs[i], kz_det_len(recs[i]),
                                     &err) == KZ_OK, "add %zu", i);
        T_CHECK(kz_det_store_finish(s, &err) == KZ_OK, "finish");
        for (;;) {
            T_CHECK(kz_det_store_next(s, &r, &len, &err) == KZ_OK, "next");
            if (r == NULL)
                break;
            if (prev != NULL)
                T_CHECK(kz_det_compare(prev, r, rank, 3) <= 0,
                        "pass %zu: order at %zu", pass, count);
            free(prev);
            prev = malloc(len);
            memcpy(prev, r, len);
            count++;
        }
        free(prev);
        T_EQ_INT(count, N);
        kz_det_store_free(s);
    }
    for (i = 0; i < N; i++)
        free(recs[i]);
}

static void
sort_order(void)
{
    static const uint32_t rank[2] = { 1, 0 };
    kz_event e1 = logon_event(T0, 100), e2 = logon_event(T0, 50);
    kz_strbuf a, b;

    kz_strbuf_init(&a, 0);
    kz_strbuf_init(&b, 0);
    /* Time first. */
    e2.time = T0 - 1;
    build(&a, &e1, "a", 0, 0, 1);
    build(&b, &e2, "a", 0, 0, 1);
    T_CHECK(kz_det_compare((uint8_t *)a.data, (uint8_t *)b.data, NULL, 0) > 0,
            "time");
    /* Then the argument index, then the path, then the position. */
    e2.time = T0;
    build(&b, &e2, "a", 1, 0, 1);
    T_CHECK(kz_det_compare((uint8_t *)a.data, (uint8_t *)b.data, NULL, 0) < 0,
            "arg");
    build(&b, &e2, "b", 0, 0, 1);
    T_CHECK(kz_det_compare((uint8_t *)a.data, (uint8_t *)b.data, NULL, 0) < 0,
            "path");
    build(&b, &e2, "a", 0, 0, 1);
    T_CHECK(kz_det_compare((uint8_t *)a.data, (uint8_t *)b.data, NULL, 0) > 0,
            "position");
    /* Then the rule's rank. */
    build(&b, &e1, "a", 0, 1, 1);
    T_CHECK(kz_det_compare((uint8_t *)a.data, (uint8_t *)b.data, NULL, 0) < 0,
            "rule index");
    T_CHECK(kz_det_compare((uint8_t *)a.data, (uint8_t *)b.data, rank, 2) > 0,
            "rule rank");
    T_CHECK(kz_det_compare((uint8_t *)a.data, (uint8_t *)a.data, rank, 2) == 0,
            "equal");
    kz_strbuf_fini(&a);
    kz_strbuf_fini(&b);
}

static void
tz_values(void)
{
    kz_tz tz;
    kz_strbuf b;

    T_CHECK(kz_tz_parse("UTC", &tz, NULL) == KZ_OK && tz.offset_min == 0,
            "UTC");
    T_CHECK(kz_tz_parse("-05:30", &tz, NULL) == KZ_OK &&
            tz.offset_min == -330, "offset");
    T_CHECK(kz_tz_parse("local", &tz, NULL) == KZ_OK &&
            tz.kind == KZ_TZ_LOCAL, "local");
    T_CHECK(kz_tz_parse("../etc/passwd", &tz, NULL) == KZ_EUSAGE, "dots");
    T_CHECK(kz_tz_parse("Mars/Olympus", &tz, NULL) == KZ_EUSAGE, "unknown");
    T_CHECK(kz_tz_parse("+25:00", &tz, NULL) == KZ_EUSAGE, "range");
    kz_strbuf_init(&b, 0);
    if (kz_tz_parse("America/New_York", &tz, NULL) == KZ_OK) {
        kz_tz_activate(&tz);
        /* 2019-05-01 is in daylight saving time: -04:00. */
        T_EQ_INT(kz_tz_offset(&tz, T0), -240);
        T_CHECK(kz_tz_format(&b, &tz, T0) == KZ_OK, "format");
        T_EQ_STR(b.data, "2019-05-01T08:00:00.000000-04:00");
    } else {
        fprintf(stderr, "no zone database: named zones not tested\n");
    }
    kz_strbuf_fini(&b);
}

static void
details_table_sane(void)
{
    size_t n, i, j;
    const kz_detail_row *rows = kz_details_table(&n);

    T_CHECK(n >= 30, "%zu rows", n);
    for (i = 0; i < n; i++)
        for (j = i + 1; j < n; j++)
            T_CHECK(rows[i].event_id != rows[j].event_id ||
                    strcmp(rows[i].channel, rows[j].channel) != 0,
                    "row %zu repeats row %zu", j, i);
    T_CHECK(kz_details_find((kz_str){ "security", 8 }, 4624) != NULL,
            "case-insensitive channel");
    T_CHECK(kz_details_find((kz_str){ "System", 6 }, 4624) == NULL,
            "channel matters");
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(record_round_trip),  T_CASE(record_bounds),
        T_CASE(record_fields_and_pairs),
        T_CASE(csv_row_guarded),    T_CASE(csv_formula_cells),
        T_CASE(jsonl_row),          T_CASE(verbose_and_timesketch),
        T_CASE(table_row_escaped),  T_CASE(flatten_and_width),
        T_CASE(store_spill_merge),  T_CASE(sort_order),
        T_CASE(store_sort_matches_compare),
        T_CASE(record_unique_names), T_CASE(record_long_strings),
        T_CASE(record_bad_values), T_CASE(record_utf16_values),
        T_CASE(tz_values),          T_CASE(details_table_sane),
    };
    return t_run(cases, T_COUNT(cases), argc, argv);
}
