/*
 * test_escape.c - JSON, terminal and CSV escaping of hostile text.
 */
#include <string.h>

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

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(json_escape_table),
        T_CASE(json_string_adds_quotes),
        T_CASE(json_escape_respects_buffer_limit),
        T_CASE(term_escape_table),
        T_CASE(csv_guard_table),
        T_CASE(csv_cell_table),
    };

    return t_run(cases, T_COUNT(cases), argc, argv);
}
