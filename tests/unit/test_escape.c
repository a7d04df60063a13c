/*
 * test_escape.c - JSON, terminal and CSV escaping of hostile text.
 */
#include <stdint.h>
#include <string.h>

#include "base/utf.h"
#include "t.h"
#include "write/escape.h"

typedef struct esc_row {
    const char *in;       /* input bytes */
    size_t len;           /* their count (strings may hold NULs) */
    const char *want;     /* expected output */
} esc_row;

#define ROW(in, want) { in, sizeof(in) - 1, want }

typedef kz_status (*esc_fn)(kz_strbuf *, const char *, size_t);

static void
run_rows(const char *what, esc_fn fn, const esc_row *rows, size_t n)
{
    kz_strbuf b;
    size_t i;

    kz_strbuf_init(&b, 0);
    for (i = 0; i < n; i++) {
        kz_strbuf_reset(&b);
        T_CHECK(fn(&b, rows[i].in, rows[i].len) == KZ_OK, "%s row %zu",
                what, i);
        T_CHECK(b.len == strlen(rows[i].want) &&
                    memcmp(b.data ? b.data : "", rows[i].want, b.len) == 0,
                "%s row %zu: got \"%s\", want \"%s\"", what, i,
                b.data ? b.data : "", rows[i].want);
    }
    kz_strbuf_fini(&b);
}

static void
json_escape_table(void)
{
    static const esc_row rows[] = {
        ROW("", ""),
        ROW("plain text", "plain text"),
        ROW("a\"b\\c/d", "a\\\"b\\\\c/d"),
        ROW("\b\f\n\r\t", "\\b\\f\\n\\r\\t"),
        ROW("\x01\x1f", "\\u0001\\u001f"),
        ROW("nul\0here", "nul\\u0000here"),
        ROW("esc\x1b[31m", "esc\\u001b[31m"),
        ROW("del\x7f", "del\\u007f"),
        ROW("caf\xc3\xa9", "caf\xc3\xa9"),                  /* é kept */
        ROW("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac"),
        ROW("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"),         /* emoji */
        ROW("c1\xc2\x9b", "c1\\u009b"),                     /* CSI */
        ROW("ls\xe2\x80\xa8", "ls\\u2028"),
        ROW("\xed\xa0\x80", "\\ud800"),                     /* WTF-8 */
        ROW("x\xed\xbf\xbfy", "x\\udfffy"),
        ROW("\xff", "\\ufffd"),
        ROW("\xc3", "\\ufffd"),                             /* cut */
        ROW("\xc0\xaf", "\\ufffd\\ufffd"),                  /* overlong */
        ROW("\xe0\x80\xaf", "\\ufffd\\ufffd\\ufffd"),
        ROW("\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd"),
        ROW("a\x80z", "a\\ufffdz"),
    };

    run_rows("json", kz_json_escape, rows, T_COUNT(rows));
}

static void
json_string_adds_quotes(void)
{
    kz_strbuf b;

    kz_strbuf_init(&b, 0);
    T_EQ_INT(kz_json_string(&b, "a\"", 2), KZ_OK);
    T_EQ_STR(b.data, "\"a\\\"\"");
    kz_strbuf_fini(&b);
}

/* kz_json_string is the quotes around kz_json_escape, whatever its fast
 * paths take: strings of 0..80 bytes, plain ASCII with one byte that
 * needs a look (every kind, at every position), and random bytes, each
 * appended after some text already in the buffer. */
static void
json_string_is_quoted_escape(void)
{
    static const char special[] = { '"', '\\', 0x01, 0x1f, 0x7f, '\n',
                                    (char)0xc3, (char)0xe2, (char)0x80 };
    char s[96];
    kz_strbuf a, b;
    size_t n, k, j;
    uint32_t x = 12345;

    kz_strbuf_init(&a, 0);
    kz_strbuf_init(&b, 0);
    for (n = 0; n <= 80; n++) {
        for (k = 0; k <= n + sizeof(special); k++) {
            memset(s, 'a' + (int)(n % 26), n);
            if (k < n)
                s[k] = special[(n + k) % sizeof(special)];
            else
                for (j = 0; j < n; j++) {
                    x = x * 1103515245u + 12345u;
                    s[j] = (char)(x >> 16);
                }
            kz_strbuf_reset(&a);
            kz_strbuf_reset(&b);
            T_EQ_INT(kz_strbuf_adds(&a, "x:"), KZ_OK);
            T_EQ_INT(kz_strbuf_adds(&b, "x:\""), KZ_OK);
            T_EQ_INT(kz_json_string(&a, s, n), KZ_OK);
            T_EQ_INT(kz_json_escape(&b, s, n), KZ_OK);
            T_EQ_INT(kz_strbuf_addc(&b, '"'), KZ_OK);
            T_CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0 &&
                        a.data[a.len] == '\0',
                    "n %zu k %zu: %s vs %s", n, k, a.data, b.data);
        }
    }
    kz_strbuf_fini(&a);
    kz_strbuf_fini(&b);
}

static void
json_escape_respects_buffer_limit(void)
{
    kz_strbuf b;

    kz_strbuf_init(&b, 8);
    T_EQ_INT(kz_json_escape(&b, "\x01\x02\x03", 3), KZ_ELIMIT);
    kz_strbuf_fini(&b);
}

static void
term_escape_table(void)
{
    static const esc_row rows[] = {
        ROW("logs/Security.evtx", "logs/Security.evtx"),
        ROW("a\\b", "a\\\\b"),
        ROW("new\nline", "new\\x0aline"),
        ROW("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),
        ROW("tab\there", "tab\\x09here"),
        ROW("del\x7f", "del\\x7f"),
        ROW("\xe6\x97\xa5\xe6\x9c\xac.evtx", "\xe6\x97\xa5\xe6\x9c\xac.evtx"),
        ROW("c1\xc2\x9b", "c1\\xc2\\x9b"),
        ROW("rlo\xe2\x80\xaetxt.exe", "rlo\\xe2\\x80\\xaetxt.exe"),
        ROW("\xed\xa0\x80", "\\xed\\xa0\\x80"),
        ROW("bad\xff", "bad\\xff"),
        ROW("nul\0", "nul\\x00"),
    };

    run_rows("term", kz_term_escape, rows, T_COUNT(rows));
}

static void
csv_guard_table(void)
{
    static const struct {
        const char *in;
        bool guard;
    } rows[] = {
        { "", false },         { "plain", false },   { "=1+1", true },
        { "+cmd", true },      { "-2", true },       { "@SUM(A1)", true },
        { "\tx", true },       { "\rx", true },      { " =x", false },
        { "a=b", false },
    };
    size_t i;

    for (i = 0; i < T_COUNT(rows); i++)
        T_CHECK(kz_csv_needs_guard(rows[i].in, strlen(rows[i].in)) ==
                    rows[i].guard,
                "row %zu: \"%s\"", i, rows[i].in);
}

static void
csv_cell_table(void)
{
    static const esc_row rows[] = {
        ROW("plain", "plain"),
        ROW("a,b", "\"a,b\""),
        ROW("say \"hi\"", "\"say \"\"hi\"\"\""),
        ROW("two\nlines", "\"two\nlines\""),
        ROW("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""),
        ROW("-1", "\"'-1\""),
        ROW("", ""),
    };

    run_rows("csv", kz_csv_cell, rows, T_COUNT(rows));
}

/* The byte-at-a-time forms of kz_visible_escape and of kz_csv_cell's
 * quoting decision, as they were before their SWAR fast paths: the
 * reference of the randomized test below. */
static void
ref_visible(kz_strbuf *out, const char *s, size_t n, unsigned flags)
{
    const char *hex = (flags & KZ_VIS_UPPER_HEX) ? "0123456789ABCDEF"
                                                 : "0123456789abcdef";
    size_t i = 0, k, j;
    uint32_t cp;
    unsigned char c;
    char t[4] = { '\\', 'x', 0, 0 };

    while (i < n) {
        c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f &&
            (c != '\\' || !(flags & KZ_VIS_BACKSLASH))) {
            kz_strbuf_addc(out, (char)c);
            i++;
            continue;
        }
        k = 1;
        if (c >= 0x80) {
            k = kz_utf8_decode(s + i, n - i, &cp);
            if (k != 0 &&
                !(cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
                  (cp >= 0x202a && cp <= 0x202e) ||
                  (cp >= 0x2066 && cp <= 0x2069) ||
                  (cp >= 0xd800 && cp <= 0xdfff) ||
                  ((flags & KZ_VIS_LINE_SEPS) &&
                   (cp == 0x2028 || cp == 0x2029)))) {
                kz_strbuf_add(out, s + i, k);
                i += k;
                continue;
            }
            if (k == 0)
                k = 1;
        }
        if (c == '\\') {
            kz_strbuf_add(out, "\\\\", 2);
        } else if ((flags & KZ_VIS_WS_NAMES) &&
                   (c == '\n' || c == '\r' || c == '\t')) {
            kz_strbuf_addc(out, '\\');
            kz_strbuf_addc(out, c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
        } else {
            for (j = 0; j < k; j++) {
                c = (unsigned char)s[i + j];
                t[2] = hex[c >> 4];
                t[3] = hex[c & 15];
                kz_strbuf_add(out, t, 4);
            }
        }
        i += k;
    }
}

static bool
ref_csv_quotes(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
            return true;
    return false;
}

static void
visible_and_csv_random(void)
{
    static const char alpha[] = {
        'a', 'b', ' ', '~', '\\', ',', '"', '\r', '\n', '\t', 0x00, 0x1f,
        0x7f, (char)0x80, (char)0xc2, (char)0xa6, (char)0xe2, (char)0x80,
        (char)0xae, (char)0xff, (char)0xed, (char)0xa0, '=', '-', '0', 'Z',
    };
    char s[64];
    kz_strbuf a, b;
    uint32_t x = 99;
    size_t it, i, n;
    unsigned flags;

    kz_strbuf_init(&a, 0);
    kz_strbuf_init(&b, 0);
    for (it = 0; it < 20000; it++) {
        x = x * 1103515245u + 12345u;
        n = (x >> 16) % sizeof(s);
        for (i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            /* mostly plain letters, so the eight-byte runs get used */
            s[i] = (x >> 24) % 4 != 0 ? (char)('a' + (x >> 8) % 26)
                                      : alpha[(x >> 8) % sizeof(alpha)];
        }
        flags = (unsigned)(x >> 4) & 15u;
        kz_strbuf_reset(&a);
        kz_strbuf_reset(&b);
        T_CHECK(kz_visible_escape(&a, s, n, flags) == KZ_OK, "visible");
        ref_visible(&b, s, n, flags);
        T_CHECK(a.len == b.len && memcmp(a.data ? a.data : "",
                                         b.data ? b.data : "", a.len) == 0,
                "visible %zu flags %u", it, flags);
        kz_strbuf_reset(&a);
        T_CHECK(kz_csv_cell(&a, s, n) == KZ_OK, "csv");
        T_CHECK((a.len != n) ==
                    (ref_csv_quotes(s, n) || kz_csv_needs_guard(s, n)),
                "csv quoting %zu", it);
    }
    kz_strbuf_fini(&a);
    kz_strbuf_fini(&b);
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(json_escape_table),
        T_CASE(json_string_adds_quotes),
        T_CASE(json_string_is_quoted_escape),
        T_CASE(json_escape_respects_buffer_limit),
        T_CASE(term_escape_table),
        T_CASE(csv_guard_table),
        T_CASE(csv_cell_table),
        T_CASE(visible_and_csv_random),
    };

    return t_run(cases, T_COUNT(cases), argc, argv);
}
