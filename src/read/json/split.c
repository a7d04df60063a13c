/*
 * split.c - record boundaries of the "document" layout (one JSON array of
 * objects, or objects back to back, pretty-printed or not) found without
 * parsing: strings, escapes and bracket depth only.
 *
 * At record level, blanks, line breaks, ',', '[' and ']' are skipped (the
 * outer array and its commas); '{' starts a record that ends at its
 * matching bracket; anything else is garbage up to the end of its line.
 * Valid JSON never holds a raw line break inside a string, so one ends the
 * record there (BROKEN) instead of letting a lost quote invert the string
 * state of the rest of the file; the scanner then skips lines (SKIPPED)
 * until one starts with '{' at most as indented as the broken record, so
 * nested objects of the broken record are not taken for records.
 */
#include "read/json/json_int.h"

#include <string.h>

enum {
    SP_LEVEL = 0,   /* between records */
    SP_REC,         /* inside a record, outside strings */
    SP_STR,         /* inside a string */
    SP_ESC,         /* after a backslash inside a string */
    SP_GARB,        /* garbage up to the line end */
    SP_RESYNC_BOL,  /* resynchronising: at a line start, counting blanks */
    SP_RESYNC_SKIP, /* resynchronising: skipping to the line end */
};

void
kz_jsplit_init(kz_jsplit *s)
{
    memset(s, 0, sizeof(*s));
    s->state = SP_LEVEL;
    s->rec_col = -1;
}

void
kz_jsplit_resume(kz_jsplit *s, const kz_jresume *r)
{
    kz_jsplit_init(s);
    s->col0 = r->col0;
    if (r->resync) {
        /* As broken() left it: the span starts at the line break. */
        s->state = SP_RESYNC_SKIP;
        s->rec_col = r->rec_col;
    }
}

bool
kz_jsplit_at_level(const kz_jsplit *s)
{
    return s->state == SP_LEVEL;
}

kz_jspan_kind
kz_jsplit_pending_kind(const kz_jsplit *s)
{
    switch (s->state) {
    case SP_REC:
    case SP_STR:
    case SP_ESC:
        return KZ_JSPAN_RECORD;
    case SP_GARB:
        return KZ_JSPAN_GARBAGE;
    default:
        return KZ_JSPAN_SKIPPED;
    }
}

/* Blanks between the start of the line and buf[pos], or -1 if something
 * else precedes it on the line. A line that starts before the buffer is
 * continued from col0, the column of buf[0]. */
static int64_t
line_col(const char *buf, size_t pos, int64_t col0)
{
    size_t i = pos;

    while (i > 0 && (buf[i - 1] == ' ' || buf[i - 1] == '\t'))
        i--;
    if (i == 0)
        return col0 < 0 ? -1 : col0 + (int64_t)pos;
    if (buf[i - 1] != '\n')
        return -1;
    return (int64_t)(pos - i);
}

void
kz_jsplit_cut_state(const kz_jsplit *s, const char *buf, size_t cut,
                    kz_jresume *r)
{
    r->col0 = line_col(buf, cut, s->col0);
    r->resync = s->state == SP_RESYNC_BOL || s->state == SP_RESYNC_SKIP;
    r->rec_col = r->resync ? s->rec_col : -1;
}

static void
emit(kz_jsplit *s, kz_jspan *span, kz_jspan_kind kind, size_t end)
{
    span->kind = kind;
    span->start = s->span_start;
    span->end = end;
    span->nl = s->span_nl;
    if (kind == KZ_JSPAN_RECORD || kind == KZ_JSPAN_BROKEN)
        s->records++;
}

/* A raw line break at buf[pos] inside a string: the record is broken. The
 * break itself starts the resynchronisation span. */
static void
broken(kz_jsplit *s, kz_jspan *span, size_t pos)
{
    emit(s, span, KZ_JSPAN_BROKEN, pos);
    s->state = SP_RESYNC_SKIP;
    s->span_start = pos;
    s->span_nl = s->nl;
}

bool
kz_jsplit_finish(const kz_jsplit *s, size_t len, kz_jspan *span)
{
    if (s->state == SP_LEVEL)
        return false;
    span->kind = kz_jsplit_pending_kind(s);
    span->start = s->span_start;
    span->end = len;
    span->nl = s->span_nl;
    if (s->state == SP_RESYNC_BOL) {
        /* Only blanks on the last line: the resynchronisation ends at its
         * start as it would if a '{' followed (as it does when a cut
         * falls at that '{'), and a line break alone is not reported. */
        span->end = len - (size_t)s->blanks;
        if (span->end <= s->span_start + 1)
            return false;
    }
    return true;
}

bool
kz_jsplit_next(kz_jsplit *s, const char *buf, size_t len, size_t *posp,
               kz_jspan *span)
{
    size_t pos = *posp;
    const char *p;
    unsigned high;
    char c;

    while (pos < len) {
        switch (s->state) {
        case SP_LEVEL:
            c = buf[pos];
            if (c == '{') {
                s->span_start = pos;
                s->span_nl = s->nl;
                s->rec_col = line_col(buf, pos, s->col0);
                s->depth = 1;
                s->state = SP_REC;
                pos++;
            } else if (c == '\n') {
                s->nl++;
                pos++;
            } else if (c == ' ' || c == '\t' || c == '\r' || c == ',' ||
                       c == '[' || c == ']') {
                pos++;
            } else {
                s->span_start = pos;
                s->span_nl = s->nl;
                s->state = SP_GARB;
            }
            break;
        case SP_REC:
            while (pos < len) {
                c = buf[pos++];
                if (c == '"') {
                    s->state = SP_STR;
                    break;
                }
                if (c == '{' || c == '[') {
                    s->depth++;
                } else if (c == '}' || c == ']') {
                    if (--s->depth == 0) {
                        s->state = SP_LEVEL;
                        emit(s, span, KZ_JSPAN_RECORD, pos);
                        *posp = pos;
                        return true;
                    }
                } else if (c == '\n') {
                    s->nl++;
                }
            }
            break;
        case SP_STR:
            high = 0;
            p = kz_json_str_stop(buf + pos, &high);
            pos = (size_t)(p - buf);
            if (pos >= len) {
                pos = len;
                break;
            }
            c = buf[pos];
            if (c == '"') {
                s->state = SP_REC;
                pos++;
            } else if (c == '\\') {
                s->state = SP_ESC;
                pos++;
            } else if (c == '\n') {
                broken(s, span, pos);
                *posp = pos;
                return true;
            } else {
                pos++;
            }
            break;
        case SP_ESC:
            if (buf[pos] == '\n') {
                broken(s, span, pos);
                *posp = pos;
                return true;
            }
            s->state = SP_STR;
            pos++;
            break;
        case SP_GARB:
            p = memchr(buf + pos, '\n', len - pos);
            if (p == NULL) {
                pos = len;
                break;
            }
            pos = (size_t)(p - buf);
            s->state = SP_LEVEL;
            emit(s, span, KZ_JSPAN_GARBAGE, pos);
            *posp = pos;
            return true;
        case SP_RESYNC_BOL:
            c = buf[pos];
            if (c == ' ' || c == '\t') {
                s->blanks++;
                pos++;
            } else if (c == '{' &&
                       (s->rec_col < 0 || s->blanks <= s->rec_col)) {
                size_t bol = pos - (size_t)s->blanks;

                s->state = SP_LEVEL;
                /* Only the line break of the broken string: nothing was
                 * skipped that needs a report. */
                if (bol > s->span_start + 1) {
                    emit(s, span, KZ_JSPAN_SKIPPED, bol);
                    *posp = bol;
                    return true;
                }
                pos = bol;
            } else {
                s->state = SP_RESYNC_SKIP;
            }
            break;
        case SP_RESYNC_SKIP:
            p = memchr(buf + pos, '\n', len - pos);
            if (p == NULL) {
                pos = len;
                break;
            }
            pos = (size_t)(p - buf) + 1;
            s->nl++;
            s->blanks = 0;
            s->state = SP_RESYNC_BOL;
            break;
        }
    }
    *posp = len;
    return false;
}
