/*
 * timeline_table.c - the timeline as an aligned table for a terminal:
 * fixed-width columns (so rows can stream without a first pass), text
 * flattened to one line, cut with "…" to its column's display width, the
 * last column (Details) filling the line. Colour marks the level only,
 * and only when the caller says the output is a terminal.
 */
#include "write/timeline.h"

#include <stdio.h>
#include <string.h>

#include "base/utf.h"

#define W_LEVEL 4
#define W_COMPUTER 15
#define W_EVENT_ID 5
#define W_TITLE 38
#define W_DETAILS_MIN 20
#define ELLIPSIS "\xE2\x80\xA6"

static const char *const level_short[] = {
    "-", "info", "low", "med", "high", "crit",
};

static const char *const level_color[] = {
    "", "", "\033[32m", "\033[33m", "\033[31m", "\033[1;31m",
};

/* Appends s[0..n) (already one line) fitted to w columns: cut with an
 * ellipsis if wider, padded with spaces unless last. */
/* True if s[0..n) is wider than w columns (kz_tl_width, stopping as soon
 * as the answer is known). */
static bool
wider_than(const char *s, size_t n, size_t w)
{
    size_t i = 0, used = 0, k;
    uint32_t cp;

    while (i < n) {
        if ((unsigned char)s[i] < 0x80) {
            i++;
            used++;
        } else {
            k = kz_utf8_decode(s + i, n - i, &cp);
            if (k == 0)
                k = 1;
            used += kz_tl_width(s + i, k);
            i += k;
        }
        if (used > w)
            return true;
    }
    return false;
}

static kz_status
fit(kz_strbuf *out, const char *s, size_t n, size_t w, bool last)
{
    size_t i = 0, used = 0, k, cw;
    uint32_t cp;
    kz_status st;
    bool cut = wider_than(s, n, w);
    static const char spaces[] = "                                ";

    while (i < n) {
        if ((unsigned char)s[i] < 0x80) {
            k = 1;              /* ASCII: one column */
            cw = 1;
        } else {
            k = kz_utf8_decode(s + i, n - i, &cp);
            if (k == 0)
                k = 1;
            cw = kz_tl_width(s + i, k);
        }
        if (cut && used + cw > w - 1)
            break;
        if (!cut && used + cw > w)
            break;
        used += cw;
        i += k;
    }
    if ((st = kz_strbuf_add(out, s, i)) != KZ_OK)
        return st;
    if (cut) {
        if ((st = kz_strbuf_adds(out, ELLIPSIS)) != KZ_OK)
            return st;
        used++;
    }
    while (!last && used < w) {
        k = w - used < sizeof(spaces) - 1 ? w - used : sizeof(spaces) - 1;
        if ((st = kz_strbuf_add(out, spaces, k)) != KZ_OK)
            return st;
        used += k;
    }
    return KZ_OK;
}

static size_t
details_width(const kz_timeline *tl, size_t ts_width)
{
    const kz_tl_opts *o = kz_timeline_opts(tl);
    size_t width = o->width != 0 ? o->width : 160;
    size_t fixed = ts_width + W_LEVEL + W_COMPUTER + W_EVENT_ID + W_TITLE + 5;

    return width > fixed + W_DETAILS_MIN ? width - fixed : W_DETAILS_MIN;
}

/* Width of a formatted timestamp ("2019-...+09:00" = 32). */
#define W_TIME 32

kz_status
kz_tl_table_header(kz_timeline *tl, kz_strbuf *out)
{
    kz_status st;

    if ((st = fit(out, "Timestamp", 9, W_TIME, false)) != KZ_OK ||
        (st = kz_strbuf_addc(out, ' ')) != KZ_OK ||
        (st = fit(out, "Lvl", 3, W_LEVEL, false)) != KZ_OK ||
        (st = kz_strbuf_addc(out, ' ')) != KZ_OK ||
        (st = fit(out, "Computer", 8, W_COMPUTER, false)) != KZ_OK ||
        (st = kz_strbuf_addc(out, ' ')) != KZ_OK ||
        (st = fit(out, "Event", 5, W_EVENT_ID, false)) != KZ_OK ||
        (st = kz_strbuf_addc(out, ' ')) != KZ_OK ||
        (st = fit(out, "RuleTitle", 9, W_TITLE, false)) != KZ_OK ||
        (st = kz_strbuf_addc(out, ' ')) != KZ_OK ||
        (st = fit(out, "Details", 7, details_width(tl, W_TIME), true)) !=
            KZ_OK)
        return st;
    return kz_strbuf_addc(out, '\n');
}

kz_status
kz_tl_table_row(kz_timeline *tl, const kz_det *d, kz_strbuf *out)
{
    const kz_tl_opts *o = kz_timeline_opts(tl);
    const kz_sigma_rule *r = kz_tl_rule(tl, d->rule);
    const char *title = r != NULL && r->title != NULL ? r->title : "";
    unsigned lv = d->level <= 5 ? d->level : 0;
    kz_strbuf *t = kz_tl_scratch(tl);
    kz_status st;
    char num[16], *np = num + sizeof(num);
    uint32_t v;

    if ((st = kz_tz_format(t, o->tz != NULL ? o->tz : &(kz_tz){ 0 },
                           d->time)) != KZ_OK ||
        (st = fit(out, t->data, t->len, W_TIME, false)) != KZ_OK ||
        (st = kz_strbuf_addc(out, ' ')) != KZ_OK)
        goto out;
    if (o->color && level_color[lv][0] != '\0' &&
        (st = kz_strbuf_adds(out, level_color[lv])) != KZ_OK)
        goto out;
    if ((st = fit(out, level_short[lv], strlen(level_short[lv]), W_LEVEL,
                  false)) != KZ_OK)
        goto out;
    if (o->color && level_color[lv][0] != '\0' &&
        (st = kz_strbuf_adds(out, "\033[0m")) != KZ_OK)
        goto out;
    kz_strbuf_reset(t);
    if ((st = kz_strbuf_addc(out, ' ')) != KZ_OK ||
        (st = kz_tl_flatten(t, d->computer.p, d->computer.len)) != KZ_OK ||
        (st = fit(out, t->data ? t->data : "", t->len, W_COMPUTER, false)) !=
            KZ_OK ||
        (st = kz_strbuf_addc(out, ' ')) != KZ_OK)
        goto out;
    if (d->flags & KZ_DET_HAS_EVENT_ID) {
        v = d->event_id;
        do {
            *--np = (char)('0' + v % 10);
            v /= 10;
        } while (v != 0);
    } else {
        *--np = '-';
    }
    kz_strbuf_reset(t);
    if ((st = fit(out, np, (size_t)(num + sizeof(num) - np), W_EVENT_ID, false)) != KZ_OK ||
        (st = kz_strbuf_addc(out, ' ')) != KZ_OK ||
        (st = kz_tl_flatten(t, title, strlen(title))) != KZ_OK ||
        (st = fit(out, t->data ? t->data : "", t->len, W_TITLE, false)) !=
            KZ_OK ||
        (st = kz_strbuf_addc(out, ' ')) != KZ_OK)
        goto out;
    kz_strbuf_reset(t);
    if ((st = kz_tl_pairs_text(t, d, false)) != KZ_OK ||
        (st = fit(out, t->data ? t->data : "", t->len,
                  details_width(tl, W_TIME), true)) != KZ_OK)
        goto out;
    st = kz_strbuf_addc(out, '\n');
out:
    return st;
}
