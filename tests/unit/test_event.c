/* Unit tests of src/event: value rendering per type, arrays, the name
 * table, field lookup. */
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/utf.h"
#include "event/event.h"
#include "event/names.h"
#include "event/value.h"
#include "t.h"

static const struct render_case {
    uint8_t type;          /* KZ_VT_* */
    const char *hex;       /* value bytes */
    const char *want;      /* rendered text, NULL = KZ_EFORMAT */
} render_cases[] = {
    { KZ_VT_NULL, "", "" },
    { KZ_VT_STRING, "410042000000", "AB" },          /* trailing NUL cut */
    { KZ_VT_ANSI, "636166e900", "caf\xc3\xa9" },
    { KZ_VT_INT8, "ff", "-1" },
    { KZ_VT_UINT8, "ff", "255" },
    { KZ_VT_INT16, "feff", "-2" },
    { KZ_VT_UINT16, "1012", "4624" },
    { KZ_VT_INT32, "ffffffff", "-1" },
    { KZ_VT_UINT32, "ffffffff", "4294967295" },
    { KZ_VT_INT64, "feffffffffffffff", "-2" },
    { KZ_VT_UINT64, "ffffffffffffffff", "18446744073709551615" },
    { KZ_VT_REAL32, "0000c03f", "1.5" },
    { KZ_VT_REAL64, "000000000000f83f", "1.5" },
    { KZ_VT_BOOL, "01000000", "true" },
    { KZ_VT_BOOL, "00000000", "false" },
    { KZ_VT_BOOL, "02000000", "true" },             /* irregular value */
    { KZ_VT_BINARY, "00ff10", "00FF10" },
    { KZ_VT_GUID, "25968454785494 49a5ba3e3b0328c30d", NULL },
    { KZ_VT_GUID, "2596845478549449a5ba3e3b0328c30d",
      "{54849625-5478-4994-A5BA-3E3B0328C30D}" },
    { KZ_VT_SIZET, "e8030000", "0x3e8" },
    { KZ_VT_SIZET, "e803000000000000", "0x3e8" },
    { KZ_VT_FILETIME, "1896575744d9d101", "2016-07-08T18:12:51.6816408Z" },
    { KZ_VT_SYSTIME, "e507070000000400" "0d00050009000000",
      "2021-07-04T13:05:09.0000000Z" },
    { KZ_VT_SID, "010100000000000512000000", "S-1-5-18" },
    { KZ_VT_SID, "0105000000000005150000001111111122222222333333"
                 "33e8030000", "S-1-5-21-286331153-572662306-858993459-1000" },
    { KZ_VT_SID, "0105000000000005", NULL },        /* sub-auths missing */
    { KZ_VT_HEX32, "e7030000", "0x3e7" },
    { KZ_VT_HEX64, "0000000000000080", "0x8000000000000000" },
    { KZ_VT_UINT32, "0100", NULL },                 /* too short */
    { KZ_VT_STRING | KZ_VT_ARRAY, "6100000062000000", "a, b" },
    { KZ_VT_UINT16 | KZ_VT_ARRAY, "01000200", "1, 2" },
};

static void
test_value_render_table(void)
{
    size_t i;
    kz_strbuf b;
    kz_render_opts o = { 1252 };

    kz_strbuf_init(&b, 0);
    for (i = 0; i < T_COUNT(render_cases); i++) {
        const struct render_case *c = &render_cases[i];
        uint8_t bytes[128];
        kz_value v;
        kz_status st;

        if (strchr(c->hex, ' ') != NULL) {
            /* a malformed row: odd GUID length */
            v.data = (const uint8_t *)"\x01\x02\x03";
            v.len = 3;
        } else {
            v.len = (uint32_t)t_unhex(c->hex, bytes);
            v.data = bytes;
        }
        v.type = c->type;
        kz_strbuf_reset(&b);
        st = kz_value_render(&v, &o, &b);
        if (c->want == NULL) {
            T_CHECK(st == KZ_EFORMAT && b.len == 0, "row %zu: status %d", i,
                    st);
            continue;
        }
        T_CHECK(st == KZ_OK && strcmp(b.data ? b.data : "", c->want) == 0,
                "row %zu: type 0x%02x got \"%s\" want \"%s\"", i, c->type,
                b.data ? b.data : "", c->want);
    }
    kz_strbuf_fini(&b);
}

/* kz_value_render_checked renders as kz_value_render and claims valid
 * UTF-8 only when kz_utf8_valid agrees; it claims it for UTF-16 text
 * without lone surrogates and never for stored UTF-8. */
static void
test_value_render_checked(void)
{
    static const struct {
        uint8_t type;
        const char *hex;
        bool valid;        /* expected claim */
    } rows[] = {
        { KZ_VT_STRING, "e5652c67", true },
        { KZ_VT_STRING, "3dd800de", true },
        { KZ_VT_STRING, "41003dd84100", false },   /* lone high surrogate */
        { KZ_VT_STRING | KZ_VT_ARRAY, "6100000000dc0000", false },
        { KZ_VT_STRING | KZ_VT_ARRAY, "6100000062000000", true },
        { KZ_VT_UTF8, "616263", false },           /* not known: checked */
        { KZ_VT_UTF8, "edb880", false },
        { KZ_VT_ANSI, "636166e900", false },
        { KZ_VT_UINT32, "0100", false },           /* KZ_EFORMAT */
        { KZ_VT_UINT32, "01000000", true },
    };
    size_t i;
    kz_strbuf a, b;
    kz_render_opts o = { 1252 };

    kz_strbuf_init(&a, 0);
    kz_strbuf_init(&b, 0);
    for (i = 0; i < T_COUNT(rows) + T_COUNT(render_cases); i++) {
        uint8_t bytes[128];
        kz_value v;
        kz_status sa, sb;
        bool valid = !(i < T_COUNT(rows) ? rows[i].valid : false);
        const char *hex = i < T_COUNT(rows)
                              ? rows[i].hex
                              : render_cases[i - T_COUNT(rows)].hex;

        if (strchr(hex, ' ') != NULL)
            continue;
        v.len = (uint32_t)t_unhex(hex, bytes);
        v.data = bytes;
        v.type = i < T_COUNT(rows) ? rows[i].type
                                   : render_cases[i - T_COUNT(rows)].type;
        kz_strbuf_reset(&a);
        kz_strbuf_reset(&b);
        sa = kz_value_render(&v, &o, &a);
        sb = kz_value_render_checked(&v, &o, &b, &valid);
        T_CHECK(sa == sb && a.len == b.len &&
                    (a.len == 0 || memcmp(a.data, b.data, a.len) == 0),
                "row %zu: same rendering", i);
        if (i < T_COUNT(rows))
            T_CHECK(valid == rows[i].valid, "row %zu: claim %d", i, valid);
        if (valid)
            T_CHECK(sb == KZ_OK && kz_utf8_valid(b.data ? b.data : "",
                                                 b.len),
                    "row %zu: claimed valid", i);
    }
    kz_strbuf_fini(&a);
    kz_strbuf_fini(&b);
}

static void
test_value_arrays(void)
{
    uint8_t bytes[64];
    kz_value v, it;
    int64_t x;

    v.len = (uint32_t)t_unhex("610000006200630000000000", bytes);
    v.data = bytes;
    v.type = KZ_VT_STRING | KZ_VT_ARRAY;
    T_EQ_INT(kz_value_count(&v), 3);
    it = kz_value_item(&v, 1);
    T_EQ_INT(it.type, KZ_VT_STRING);
    T_EQ_INT(it.len, 4);
    v.len = (uint32_t)t_unhex("0100000002000000", bytes);
    v.type = KZ_VT_UINT32 | KZ_VT_ARRAY;
    T_EQ_INT(kz_value_count(&v), 2);
    it = kz_value_item(&v, 1);
    T_CHECK(kz_value_int(&it, &x) && x == 2, "item 1 = %lld", (long long)x);
    v.type = KZ_VT_NULL;
    T_EQ_INT(kz_value_count(&v), 0);
}

static void
test_value_json_scalars(void)
{
    kz_value num = kz_value_utf8("-12", 3), str = kz_value_utf8("12", 2);
    int64_t x = 0;

    num.type = KZ_VT_JSON_NUM;
    T_CHECK(kz_value_int(&num, &x) && x == -12, "json number");
    T_CHECK(kz_value_is_json_scalar(&num), "number is scalar");
    T_CHECK(!kz_value_is_json_scalar(&str), "string is not");
    num = kz_value_utf8("1.5", 3);
    num.type = KZ_VT_JSON_NUM;
    T_CHECK(!kz_value_int(&num, &x), "fraction is not an integer");
}

static void
test_names_exact_then_folded(void)
{
    kz_names *t = kz_names_new();
    int32_t a, b, c;

    T_EQ_INT(kz_names_add(t, "Image", 5, &a), KZ_OK);
    T_EQ_INT(kz_names_add(t, "CommandLine", 11, &b), KZ_OK);
    T_EQ_INT(kz_names_add(t, "image", 5, &c), KZ_OK);
    T_CHECK(a != c, "exact names differ");
    T_EQ_INT(kz_names_add(t, "Image", 5, &c), KZ_OK);
    T_EQ_INT(c, a);
    kz_names_freeze(t);
    T_EQ_INT(kz_names_add(t, "New", 3, &c), KZ_EUSAGE);
    T_EQ_INT(kz_names_lookup(t, "Image", 5), a);
    T_EQ_INT(kz_names_lookup(t, "COMMANDLINE", 11), b);
    T_EQ_INT(kz_names_lookup(t, "Nope", 4), KZ_NAME_NONE);
    T_EQ_INT(kz_names_lookup(NULL, "Image", 5), KZ_NAME_NONE);
    T_EQ_STR(kz_names_name(t, b), "CommandLine");
    kz_names_free(t);
}

/* Frozen tables answer repeated lookups from a per-thread front cache:
 * the answers must stay those of the table itself, whatever table asked
 * last (tables freed and made again, possibly at the same address, with
 * other ids for the same names), for keys up to and past the cached key
 * size, and for loose keys. */
static void
test_names_front_cache(void)
{
    static const char *const names[] = {
        "SubjectUserName", "TargetUserName", "Image",
        "A_name_of_exactly_thirty_two_by", /* 31 */
        "A_name_of_exactly_thirty_two_byt", /* 32 */
        "A_name_of_exactly_thirty_two_byte", /* 33 */
        "x",
        "UserData.EventXML.A_name_of_fifty_one_bytes_abcdefg", /* 51 */
        "UserData.EventXML.A_name_of_fifty_one_bytes_abcdefgh", /* 52 */
    };
    static const struct {
        const char *look;
        int want;            /* index into names, -1: none */
    } rows[] = {
        { "SubjectUserName", 0 }, { "subjectusername", 0 },
        { "Subject User Name", 0 }, { "TargetUserName", 1 },
        { "TargetUserNam", -1 }, { "image", 2 }, { "IMAGE", 2 },
        { "A_name_of_exactly_thirty_two_by", 3 },
        { "A_name_of_exactly_thirty_two_byt", 4 },
        { "a_name_of_exactly_thirty_two_byt", 4 },
        { "A_name_of_exactly_thirty_two_byte", 5 },
        { "A_name_of_exactly_thirty_two_bytf", -1 },
        { "x", 6 }, { "X", 6 }, { "y", -1 },
        { "UserData.EventXML.A_name_of_fifty_one_bytes_abcdefg", 7 },
        { "userdata.eventxml.a_name_of_fifty_one_bytes_abcdefg", 7 },
        { "UserData.EventXML.A_name_of_fifty_one_bytes_abcdz", -1 },
        { "UserData.EventXML.A_name_of_fifty_one_bytes_abcdefgh", 8 },
        { "UserData.EventXML.A_name_of_fifty_one_bytes_abcdefgz", -1 },
    };
    const size_t nn = sizeof(names) / sizeof(names[0]);
    const size_t nr = sizeof(rows) / sizeof(rows[0]);
    size_t round, i, k;

    for (round = 0; round < 4; round++) {
        kz_names *t = kz_names_new(), *u = kz_names_new();
        int32_t ids[16], uid = -1;

        /* t: the names in a rotated order (other ids each round); u: only
         * "Image", so every other row is a miss in u. */
        for (i = 0; i < nn; i++) {
            size_t j = (i + round) % nn;

            T_EQ_INT(kz_names_add(t, names[j], strlen(names[j]), &ids[j]),
                     KZ_OK);
        }
        T_EQ_INT(kz_names_add(u, "Image", 5, &uid), KZ_OK);
        kz_names_freeze(t);
        kz_names_freeze(u);
        for (k = 0; k < 3; k++) /* first lookups fill, then hit */
            for (i = 0; i < nr; i++) {
                const char *l = rows[i].look;
                int32_t got = kz_names_lookup(t, l, strlen(l));
                int32_t gu = kz_names_lookup(u, l, strlen(l));

                T_CHECK(got == (rows[i].want < 0 ? KZ_NAME_NONE
                                                 : ids[rows[i].want]),
                        "round %zu pass %zu row %zu '%s': got %d", round, k,
                        i, l, (int)got);
                T_CHECK(gu == (rows[i].want == 2 ? uid : KZ_NAME_NONE),
                        "round %zu pass %zu row %zu '%s' in u: got %d",
                        round, k, i, l, (int)gu);
            }
        kz_names_free(t);
        kz_names_free(u);
    }
}

/* The loose fallback ignores spaces too (Defender writes "Threat Name",
 * rules say ThreatName), but never merges names that differ otherwise. */
static void
test_names_loose_spaces(void)
{
    static const struct {
        const char *look;
        int want;           /* index into ids, -1 = none */
    } rows[] = {
        { "ThreatName", 0 },
        { "Threat Name", 0 },
        { "threat name", 0 },
        { " T h r e a t N a m e ", 0 },
        { "Threat_Name", -1 },
        { "ThreatNam", -1 },
        { "ThreatNames", -1 },
        { "Source Name", 1 },
        { "SOURCENAME", 1 },
        { "", -1 },
        { "   ", -1 },
    };
    kz_names *t = kz_names_new();
    int32_t ids[2];
    size_t i;

    T_EQ_INT(kz_names_add(t, "ThreatName", 10, &ids[0]), KZ_OK);
    T_EQ_INT(kz_names_add(t, "SourceName", 10, &ids[1]), KZ_OK);
    kz_names_freeze(t);
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int32_t got = kz_names_lookup(t, rows[i].look, strlen(rows[i].look));

        T_CHECK(got == (rows[i].want < 0 ? KZ_NAME_NONE : ids[rows[i].want]),
                "row %zu '%s': got %d", i, rows[i].look, (int)got);
    }
    kz_names_free(t);
    /* Names with spaces added between rehashes are found loosely too. */
    t = kz_names_new();
    for (i = 0; i < 300; i++) {
        char nm[32];
        int n = snprintf(nm, sizeof(nm), "Field Name %zu", i);
        int32_t id;

        T_EQ_INT(kz_names_add(t, nm, (size_t)n, &id), KZ_OK);
    }
    kz_names_freeze(t);
    for (i = 0; i < 300; i++) {
        char nm[32];
        int n = snprintf(nm, sizeof(nm), "fieldname%zu", i);

        T_CHECK(kz_names_lookup(t, nm, (size_t)n) == (int32_t)i,
                "loose lookup of name %zu", i);
    }
    kz_names_free(t);
    /* Long keys (the hash changes past 256 bytes: the key decides, not
     * the spelling): 255..258-byte keys looked up with spaces added. */
    t = kz_names_new();
    for (i = 255; i <= 258; i++) {
        char nm[300];
        int32_t id;

        memset(nm, 'a' + (int)(i - 255), i);
        T_EQ_INT(kz_names_add(t, nm, i, &id), KZ_OK);
    }
    kz_names_freeze(t);
    for (i = 255; i <= 258; i++) {
        char nm[600];
        size_t k, n = 0;

        for (k = 0; k < i; k++) {
            nm[n++] = (char)('A' + (int)(i - 255));
            if (k % 3 == 0)
                nm[n++] = ' ';
        }
        T_CHECK(kz_names_lookup(t, nm, n) == (int32_t)(i - 255),
                "long loose key of %zu bytes", i);
    }
    kz_names_free(t);
}

static void
test_names_many(void)
{
    kz_names *t = kz_names_new();
    char name[32];
    int32_t id;
    int i, bad = 0;

    for (i = 0; i < 5000; i++) {
        int n = snprintf(name, sizeof(name), "Field%d", i);

        if (kz_names_add(t, name, (size_t)n, &id) != KZ_OK || id != i)
            bad++;
    }
    kz_names_freeze(t);
    for (i = 0; i < 5000; i++) {
        int n = snprintf(name, sizeof(name), "FIELD%d", i);

        if (kz_names_lookup(t, name, (size_t)n) != i)
            bad++;
    }
    T_EQ_INT(bad, 0);
    T_EQ_INT(kz_names_count(t), 5000);
    kz_names_free(t);
}

static void
test_event_field_lookup(void)
{
    kz_field f[3] = {
        { { "Image", 5 }, 7, KZ_FG_EVENTDATA, { 0, 0, 0 } },
        { { "Data", 4 }, KZ_NAME_NONE, KZ_FG_EVENTDATA, { 0, 0, 0 } },
        { { "Data", 4 }, KZ_NAME_NONE, KZ_FG_EVENTDATA, { 0, 0, 0 } },
    };
    kz_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.fields = f;
    ev.nfields = 3;
    T_CHECK(kz_event_field(&ev, 7) == &f[0], "by id");
    T_CHECK(kz_event_field(&ev, KZ_NAME_NONE) == NULL, "none");
    T_CHECK(kz_event_field_by_name(&ev, "image", 5) == &f[0], "folded");
    T_CHECK(kz_event_field_by_name(&ev, "Data", 4) == &f[1], "first Data");
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(test_value_render_table),
        T_CASE(test_value_render_checked),
        T_CASE(test_value_arrays),
        T_CASE(test_value_json_scalars),
        T_CASE(test_names_exact_then_folded),
        T_CASE(test_names_loose_spaces),
        T_CASE(test_names_front_cache),
        T_CASE(test_names_many),
        T_CASE(test_event_field_lookup),
    };
    return t_run(cases, T_COUNT(cases), argc, argv);
}
