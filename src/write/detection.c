/*
 * detection.c - building and decoding detection records (layout in
 * detection.h).
 *
 * Building runs on pool threads for every rule hit, so it renders only
 * the fields it keeps and looks fields up by name once per hit; matching,
 * not this, is the hot path (detections are rare next to events). A
 * value is rendered straight into the record; plain-ASCII UTF-16 values
 * are packed without the renderer, and the texts the matcher already
 * rendered for the event are taken from it (kz_det_origin.text). With a
 * dictionary (kz_det_origin.dict) the path and the interned field names
 * are not copied: decoding reads them from the dictionary.
 */
#include "write/detection.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf.h"
#include "write/details.h"

#define PATH_MAX_BYTES (KZ_DET_NAME_MAX * 32)

#define SEEN_MAX (KZ_DET_MAX_EXTRA + KZ_DET_MAX_DETAILS)
#define SEEN_SLOTS 256      /* power of two, more than SEEN_MAX */

/* Names already written in one section, to make repeated names unique
 * ("Data", "Data[1]", ...): the distinct names in an open-addressing
 * table, each with how many times it was recorded. At most SEEN_MAX
 * names are recorded (as a list of SEEN_MAX entries would hold). */
typedef struct seen_names {
    kz_str base[SEEN_MAX];      /* distinct names, as in the log */
    uint16_t count[SEEN_MAX];   /* times each was recorded */
    uint8_t slot[SEEN_SLOTS];   /* index + 1 into base, 0 = empty */
    size_t n;                   /* names recorded (repeats included) */
    size_t ndistinct;           /* entries of base used */
} seen_names;

static void
seen_reset(seen_names *seen)
{
    memset(seen->slot, 0, sizeof(seen->slot));
    seen->n = 0;
    seen->ndistinct = 0;
}

/* Records p[0..n) and returns how many times it was recorded before. */
static size_t
seen_add(seen_names *seen, const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    uint64_t a = 0, b = 0, h;
    uint32_t a4, b4;
    size_t k, same = 0;
    uint8_t s;

    /* Hash of the length and the first and last bytes (no loop: names
     * are short and usually differ there). */
    if (n >= 8) {
        memcpy(&a, p, 8);
        memcpy(&b, p + n - 8, 8);
    } else if (n >= 4) {
        memcpy(&a4, p, 4);
        memcpy(&b4, p + n - 4, 4);
        a = a4;
        b = b4;
    } else if (n > 0) {
        a = (uint64_t)u[0] | (uint64_t)u[n / 2] << 8 |
            (uint64_t)u[n - 1] << 16;
    }
    h = ((a * 0x9E3779B97F4A7C15ULL) ^ b ^ n) * 0xC2B2AE3D27D4EB4FULL;
    for (k = (size_t)(h >> 56) & (SEEN_SLOTS - 1);;
         k = (k + 1) & (SEEN_SLOTS - 1)) {
        s = seen->slot[k];
        if (s == 0)
            break;
        if (seen->base[s - 1].len == n &&
            (n == 0 || memcmp(seen->base[s - 1].p, p, n) == 0)) {
            same = seen->count[s - 1];
            break;
        }
    }
    if (seen->n >= SEEN_MAX)
        return same;
    seen->n++;
    if (s != 0) {
        seen->count[s - 1]++;
    } else {
        seen->base[seen->ndistinct] = (kz_str){ p, n };
        seen->count[seen->ndistinct] = 1;
        seen->slot[k] = (uint8_t)(++seen->ndistinct);
    }
    return same;
}

/* Writes v in decimal at the end of buf[0..cap); returns where the
 * digits start. */
static char *
dec_digits(char *buf, size_t cap, size_t v)
{
    char *o = buf + cap;

    do {
        *--o = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    return o;
}

/* Length of s cut to at most max bytes without splitting a UTF-8
 * sequence. */
static size_t
utf8_cut(const char *s, size_t n, size_t max)
{
    size_t k;

    if (n <= max)
        return n;
    k = max;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    return k;
}

/* Width of the length of a string of n bytes (n < KZ_DET_STR_CODE0):
 * 1 byte below 0x80, else 2 (detection.h). */
static inline size_t
len_width(size_t n)
{
    return n < 0x80 ? 1 : 2;
}

/* Writes the length n (< KZ_DET_STR_CODE0) in w bytes at o. */
static inline void
put_len(char *o, size_t w, size_t n)
{
    if (w == 1) {
        o[0] = (char)(uint8_t)n;
    } else {
        o[0] = (char)(uint8_t)(0x80 | (n >> 8));
        o[1] = (char)(uint8_t)(n & 0xFF);
    }
}

/* Appends one string made of p[0..n) then tail[0..m) with its length
 * (lw 1: a name's 1-byte length; lw 2: any other string's 1- or 2-byte
 * one; the callers' cuts keep n + m below 256, or KZ_DET_STR_CODE0),
 * with a single reserve. */
static kz_status
put_str2(kz_strbuf *out, size_t lw, const char *p, size_t n,
         const char *tail, size_t m)
{
    kz_status st;
    char *o;

    if (lw == 2)
        lw = len_width(n + m);
    if (!(out->cap - out->len > lw + n + m &&
          out->max - out->len >= lw + n + m) &&
        (st = kz_strbuf_reserve(out, lw + n + m)) != KZ_OK)
        return st;
    o = out->data + out->len;
    put_len(o, lw, n + m);
    if (n > 0)
        memcpy(o + lw, p, n);
    if (m > 0)
        memcpy(o + lw + n, tail, m);
    out->len += lw + n + m;
    out->data[out->len] = '\0';
    return KZ_OK;
}

/* Channels a record names by code (KZ_DET_STR_CODE0 + index) instead of
 * holding them: the most common ones, spelled as Windows writes them
 * (only an exact match is coded). Never reorder: codes are positions. */
static const kz_str channel_codes[] = {
#define CH(s) { s, sizeof(s) - 1 }
    CH("Security"),
    CH("System"),
    CH("Application"),
    CH("Setup"),
    CH("Windows PowerShell"),
    CH("Microsoft-Windows-Sysmon/Operational"),
    CH("Microsoft-Windows-PowerShell/Operational"),
    CH("Microsoft-Windows-Windows Defender/Operational"),
    CH("Microsoft-Windows-TaskScheduler/Operational"),
    CH("Microsoft-Windows-WMI-Activity/Operational"),
    CH("Microsoft-Windows-Bits-Client/Operational"),
    CH("Microsoft-Windows-DNS-Client/Operational"),
    CH("Microsoft-Windows-CodeIntegrity/Operational"),
    CH("Microsoft-Windows-NTLM/Operational"),
    CH("Microsoft-Windows-SMBClient/Security"),
    CH("Microsoft-Windows-TerminalServices-LocalSessionManager/"
       "Operational"),
    CH("Microsoft-Windows-TerminalServices-RemoteConnectionManager/"
       "Operational"),
    CH("Microsoft-Windows-Windows Firewall With Advanced Security/"
       "Firewall"),
    CH("Microsoft-Windows-AppLocker/EXE and DLL"),
    CH("Microsoft-Windows-AppLocker/MSI and Script"),
    CH("DNS Server"),
#undef CH
};

#define N_CHANNEL_CODES (sizeof(channel_codes) / sizeof(channel_codes[0]))

/* Appends a channel: by code when it is one of channel_codes, else as
 * put_str2 (cut to max bytes). */
static kz_status
put_channel(kz_strbuf *out, const char *p, size_t n, size_t max)
{
    size_t i, code;
    char c[2];

    for (i = 0; i < N_CHANNEL_CODES; i++)
        if (channel_codes[i].len == n &&
            memcmp(channel_codes[i].p, p, n) == 0) {
            code = KZ_DET_STR_CODE0 + i;
            c[0] = (char)(uint8_t)(0x80 | (code >> 8));
            c[1] = (char)(uint8_t)(code & 0xFF);
            return kz_strbuf_add(out, c, 2);
        }
    return put_str2(out, 2, p, utf8_cut(p, n, max), NULL, 0);
}

/* Appends a string (1- or 2-byte length; n < KZ_DET_STR_CODE0). */
static kz_status
put_str(kz_strbuf *out, const char *p, size_t n)
{
    return put_str2(out, 2, p, n, NULL, 0);
}

/* Appends a name (1-byte length; n <= KZ_DET_NAME_MAX). */
static kz_status
put_name_raw(kz_strbuf *out, const char *p, size_t n)
{
    return put_str2(out, 1, p, n, NULL, 0);
}

#define MARK_MAX 48

/* Writes into mark the marker of a value cut by left bytes,
 * "...(+N bytes)"; returns its length. */
static size_t
cut_marker(char mark[MARK_MAX], size_t left)
{
    char *d;
    size_t m;

    memcpy(mark + MARK_MAX - 7, " bytes)", 7);
    d = dec_digits(mark, MARK_MAX - 7, left);
    d -= 5;
    memcpy(d, "...(+", 5);
    m = (size_t)(mark + MARK_MAX - d);
    memmove(mark, d, m);
    return m;
}

/* Appends a value cut to KZ_DET_VALUE_MAX with its marker. */
static kz_status
put_value(kz_strbuf *out, const char *p, size_t n)
{
    char mark[MARK_MAX];
    size_t keep = utf8_cut(p, n, KZ_DET_VALUE_MAX), m = 0;

    if (keep < n)
        m = cut_marker(mark, n - keep);
    return put_str2(out, 2, p, keep, mark, m);
}

/* Appends a UTF-16LE value (KZ_VT_STRING, not an array) of at most
 * KZ_DET_VALUE_MAX units, all in U+0001..U+007F once trailing NUL units
 * are dropped (as kz_value_render drops them), as a value string: the
 * low bytes of its units are its UTF-8 text. KZ_EFORMAT, with out as it
 * was, for any other value (the caller renders it). */
static kz_status
put_ascii16(kz_strbuf *out, const kz_value *v)
{
    const uint8_t *p = v->data;
    size_t n = v->len, units, lw;
    kz_status st;

    while (n >= 2 && p[n - 1] == 0 && p[n - 2] == 0)
        n -= 2;
    units = n / 2;
    if (units > KZ_DET_VALUE_MAX)
        return KZ_EFORMAT;
    lw = len_width(units);
    if (!(out->cap - out->len > lw + units &&
          out->max - out->len >= lw + units) &&
        (st = kz_strbuf_reserve(out, lw + units)) != KZ_OK)
        return st;
    if (!kz_utf16le_ascii_pack(p, units, out->data + out->len + lw))
        return KZ_EFORMAT;
    put_len(out->data + out->len, lw, units);
    out->len += lw + units;
    out->data[out->len] = '\0';
    return KZ_OK;
}

/* Appends f's value as put_value would append its rendering, but
 * rendered straight into out (no copy through a scratch buffer): a
 * length slot, the text, then the cut and its marker when it is longer
 * than KZ_DET_VALUE_MAX. A value whose bytes do not fit its type shows
 * as "(bad value)". On failure out holds a partial value (the caller
 * drops the record). */
static kz_status
put_rendered(kz_strbuf *out, const kz_field *f, const kz_render_opts *ro,
             const kz_det_origin *from, const kz_event *ev)
{
    static const char slot[2] = { 0, 0 };
    char mark[MARK_MAX];
    const char *tp;
    size_t at = out->len, n, keep, tn;
    kz_status st;

    if (from != NULL && from->text != NULL &&
        from->text(from->text_ctx, ev, (size_t)(f - ev->fields), &tp, &tn))
        return put_value(out, tp, tn);
    if (f->value.type == KZ_VT_STRING &&
        (st = put_ascii16(out, &f->value)) != KZ_EFORMAT)
        return st;
    if ((st = kz_strbuf_add(out, slot, 2)) != KZ_OK)
        return st;
    st = kz_value_render(&f->value, ro, out);
    if (st == KZ_EFORMAT) {
        out->len = at + 2;
        st = kz_strbuf_adds(out, "(bad value)");
    }
    if (st != KZ_OK)
        return st;
    n = out->len - at - 2;
    if (n > KZ_DET_VALUE_MAX) {
        keep = utf8_cut(out->data + at + 2, n, KZ_DET_VALUE_MAX);
        out->len = at + 2 + keep;
        if ((st = kz_strbuf_add(out, mark, cut_marker(mark, n - keep))) !=
            KZ_OK)
            return st;
    }
    n = out->len - at - 2;
    if (len_width(n) == 1) {
        /* short: a 1-byte length, the text moved down one byte */
        memmove(out->data + at + 1, out->data + at + 2, n);
        out->len--;
        out->data[out->len] = '\0';
    }
    put_len(out->data + at, len_width(n), n);
    return KZ_OK;
}

/* Appends a name, made unique within the section by a "[k]" suffix;
 * by its id in the field-name table (KZ_DET_NAME_ID) when id is not
 * KZ_NAME_NONE (the caller checked that the table spells it as p) and it
 * is not a repeat. */
static kz_status
put_name_id(kz_strbuf *out, seen_names *seen, const char *p, size_t n,
            uint8_t marker, int32_t id)
{
    char suffix[24], *d = suffix + sizeof(suffix);
    size_t same, keep = utf8_cut(p, n, KZ_DET_NAME_MAX), m = 0;
    uint16_t id16;
    kz_status st;
    char *o;

    same = seen_add(seen, p, keep);
    if (same == 0 && id != KZ_NAME_NONE) {
        if (!(out->cap - out->len > 3 && out->max - out->len >= 3) &&
            (st = kz_strbuf_reserve(out, 3)) != KZ_OK)
            return st;
        o = out->data + out->len;
        o[0] = (char)marker;
        id16 = (uint16_t)id;
        memcpy(o + 1, &id16, 2);
        out->len += 3;
        out->data[out->len] = '\0';
        return KZ_OK;
    }
    if (same > 0) {
        /* "[N]" */
        *--d = ']';
        d = dec_digits(suffix, sizeof(suffix) - 1, same);
        *--d = '[';
        m = (size_t)(suffix + sizeof(suffix) - d);
    }
    return put_str2(out, 1, p, keep, d, m);
}

/* Renders f's value into scratch (reset first). A value whose bytes do
 * not fit its type shows as "(bad value)". */
static kz_status
render(const kz_field *f, const kz_render_opts *ro, kz_strbuf *scratch)
{
    kz_status st;

    kz_strbuf_reset(scratch);
    st = kz_value_render(&f->value, ro, scratch);
    if (st == KZ_EFORMAT) {
        kz_strbuf_reset(scratch);
        st = kz_strbuf_adds(scratch, "(bad value)");
    }
    return st;
}

static bool
is_blank(const kz_strbuf *b)
{
    return b->len == 0 || (b->len == 1 && b->data[0] == '-');
}

/* Appends the Details pairs of a table row; used[] gets the fields
 * shown. Returns the number of pairs through *np. */
static kz_status
put_row(kz_strbuf *out, const kz_event *ev, const kz_detail_row *row,
        const kz_render_opts *ro, const kz_det_origin *from,
        kz_strbuf *scratch, seen_names *seen, const kz_field **used,
        size_t *nused, uint16_t *np)
{
    const kz_detail_item *it;
    const kz_field *f1, *f2;
    kz_status st;
    size_t i, dom_len, nrows;
    const kz_detail_row *rows = kz_details_table(&nrows);
    size_t row_code = (size_t)(row - rows) * KZ_DETAILS_MAX_ITEMS;

    for (i = 0; i < KZ_DETAILS_MAX_ITEMS && row->items[i].label; i++) {
        it = &row->items[i];
        f1 = kz_event_field_by_name(ev, it->field, strlen(it->field));
        f2 = it->field2 == NULL
                 ? NULL
                 : kz_event_field_by_name(ev, it->field2,
                                          strlen(it->field2));
        if (it->field2 != NULL && f2 == NULL)
            continue;               /* no user name: nothing to show */
        if (it->field2 == NULL && f1 == NULL)
            continue;
        if (f1 != NULL)
            used[(*nused)++] = f1;
        if (f2 != NULL)
            used[(*nused)++] = f2;
        if ((st = put_name_id(out, seen, it->label, strlen(it->label),
                              KZ_DET_NAME_LABEL,
                              (int32_t)(row_code + i))) != KZ_OK)
            return st;
        if (f2 == NULL) {
            if ((st = put_rendered(out, f1, ro, from, ev)) != KZ_OK)
                return st;
            (*np)++;
            continue;
        }
        /* DOMAIN\user, or user alone when the domain is blank. */
        dom_len = 0;
        if (f1 != NULL) {
            if ((st = render(f1, ro, scratch)) != KZ_OK)
                return st;
            if (!is_blank(scratch)) {
                if ((st = kz_strbuf_addc(scratch, '\\')) != KZ_OK)
                    return st;
                dom_len = scratch->len;
            }
        }
        scratch->len = dom_len;
        if ((st = kz_value_render(&f2->value, ro, scratch)) == KZ_EFORMAT) {
            scratch->len = dom_len;
            st = kz_strbuf_adds(scratch, "(bad value)");
        }
        if (st != KZ_OK ||
            (st = put_value(out, scratch->data ? scratch->data : "",
                            scratch->len)) != KZ_OK)
            return st;
        (*np)++;
    }
    return KZ_OK;
}

static bool
was_used(const kz_field *f, const kz_field *const *used, size_t nused)
{
    size_t i;

    for (i = 0; i < nused; i++)
        if (used[i] == f)
            return true;
    return false;
}

/* Appends one field as a pair. */
static kz_status
put_field(kz_strbuf *out, const kz_event *ev, const kz_field *f,
          const kz_render_opts *ro, const kz_det_origin *from,
          seen_names *seen)
{
    const kz_names *names =
        from != NULL && from->dict != NULL ? from->dict->names : NULL;
    const char *canon;
    int32_t id = KZ_NAME_NONE;
    kz_status st;

    /* By id when the table spells the name exactly as the log does. */
    if (names != NULL && f->id >= 0 && f->id <= 0xFFFF &&
        (size_t)f->id < from->dict->nnames &&
        f->name.len <= KZ_DET_NAME_MAX &&
        from->dict->name_len[f->id] == f->name.len &&
        (canon = from->dict->name_p[f->id]) != NULL &&
        (f->name.len == 0 || memcmp(canon, f->name.p, f->name.len) == 0))
        id = f->id;
    if ((st = put_name_id(out, seen, f->name.p ? f->name.p : "",
                          f->name.len, KZ_DET_NAME_ID, id)) != KZ_OK)
        return st;
    return put_rendered(out, f, ro, from, ev);
}

kz_status
kz_det_build(kz_strbuf *out, const kz_event *ev, const kz_det_origin *from,
             uint32_t rule, uint8_t level, const kz_render_opts *ro,
             kz_strbuf *scratch)
{
    static const uint8_t zero[KZ_DET_HEADER];
    const kz_field *used[2 * KZ_DETAILS_MAX_ITEMS];
    const kz_detail_row *row;
    seen_names *seen = NULL;
    seen_names seen_store;
    size_t start = out->len, nused = 0, i, extra_start, left;
    uint16_t nd = 0, nx = 0;
    uint32_t len;
    uint8_t flags = 0;
    kz_status st;
    const char *path = from != NULL && from->path != NULL ? from->path : "";
    char more[48];
    int m;

    seen = &seen_store;
    if (from != NULL && from->dict != NULL) {
        path = "";                  /* the dictionary has it */
        flags |= KZ_DET_PATH_BY_INDEX;
    }
    if ((st = kz_strbuf_add(out, zero, sizeof(zero))) != KZ_OK)
        goto out;
    if ((st = put_str(out, path, utf8_cut(path, strlen(path),
                                          PATH_MAX_BYTES))) != KZ_OK ||
        (st = put_str(out, ev->computer.p,
                      utf8_cut(ev->computer.p, ev->computer.len,
                               PATH_MAX_BYTES))) != KZ_OK ||
        (st = put_channel(out, ev->channel.p, ev->channel.len,
                          PATH_MAX_BYTES)) != KZ_OK)
        goto out;
    /* Details */
    seen_reset(seen);
    row = kz_details_find(ev->channel, ev->event_id);
    if (row != NULL) {
        st = put_row(out, ev, row, ro, from, scratch, seen, used, &nused,
                     &nd);
        if (st != KZ_OK)
            goto out;
    } else {
        for (i = 0; i < ev->nfields && nd < KZ_DETAILS_FALLBACK; i++) {
            if ((st = put_field(out, ev, &ev->fields[i], ro, from, seen)) !=
                KZ_OK)
                goto out;
            used[nused++] = &ev->fields[i];
            nd++;
        }
    }
    /* ExtraFieldInfo: every other field, within the bounds. */
    seen_reset(seen);
    extra_start = out->len;
    for (i = 0; i < ev->nfields; i++) {
        if (was_used(&ev->fields[i], used, nused))
            continue;
        if (nx >= KZ_DET_MAX_EXTRA - 1 ||
            out->len - extra_start >= KZ_DET_EXTRA_BYTES) {
            left = 0;
            for (; i < ev->nfields; i++)
                left += !was_used(&ev->fields[i], used, nused);
            m = snprintf(more, sizeof(more), "%zu more field%s left out",
                         left, left == 1 ? "" : "s");
            if ((st = put_name_raw(out, "...", 3)) != KZ_OK ||
                (st = put_str(out, more, (size_t)m)) != KZ_OK)
                goto out;
            nx++;
            break;
        }
        if ((st = put_field(out, ev, &ev->fields[i], ro, from, seen)) !=
            KZ_OK)
            goto out;
        nx++;
    }
    /* Header */
    if (ev->flags & KZ_EV_HAS_RECORD_ID)
        flags |= KZ_DET_HAS_RECORD_ID;
    if (ev->flags & KZ_EV_HAS_EVENT_ID)
        flags |= KZ_DET_HAS_EVENT_ID;
    if (ev->flags & KZ_EV_RECOVERED)
        flags |= KZ_DET_RECOVERED;
    len = (uint32_t)(out->len - start);
    {
        uint8_t *h = (uint8_t *)out->data + start;
        uint32_t arg = from != NULL ? from->arg_index : 0;
        uint32_t file = from != NULL ? from->file_index : 0;

        memcpy(h + 0, &len, 4);
        memcpy(h + 4, &rule, 4);
        memcpy(h + 8, &ev->time, 8);
        memcpy(h + 16, &ev->position, 8);
        memcpy(h + 24, &ev->record_id, 8);
        memcpy(h + 32, &ev->event_id, 4);
        memcpy(h + 36, &arg, 4);
        memcpy(h + 40, &file, 4);
        h[44] = level;
        h[45] = flags;
        memcpy(h + 46, &nd, 2);
        memcpy(h + 48, &nx, 2);
    }
out:
    if (st != KZ_OK) {
        out->len = start;
        if (out->data != NULL)
            out->data[start] = '\0';
    }
    return st;
}

kz_status
kz_det_add_fields(kz_strbuf *out, size_t start, const kz_event *ev,
                  const char *const *names, const int32_t *ids, size_t n,
                  const kz_render_opts *ro, kz_strbuf *scratch)
{
    size_t old = out->len, i;
    const kz_field *f;
    uint16_t nf = 0;
    uint32_t len;
    kz_status st = KZ_OK;

    if (start + KZ_DET_HEADER > out->len)
        return KZ_EUSAGE;
    memcpy(&nf, out->data + start + 50, 2);
    if (nf != 0)
        return KZ_EUSAGE;
    for (i = 0; i < n && nf < KZ_DET_MAX_FIELDS; i++) {
        if (names[i] == NULL)
            continue;
        f = ids != NULL && ids[i] != KZ_NAME_NONE
                ? kz_event_field(ev, ids[i])
                : kz_event_field_by_name(ev, names[i], strlen(names[i]));
        if (f == NULL)
            continue;
        if ((st = render(f, ro, scratch)) != KZ_OK)
            break;
        if ((st = put_name_raw(out, names[i],
                               utf8_cut(names[i], strlen(names[i]),
                                        KZ_DET_NAME_MAX))) != KZ_OK ||
            (st = put_str(out, scratch->data != NULL ? scratch->data : "",
                          utf8_cut(scratch->data != NULL ? scratch->data
                                                         : "",
                                   scratch->len, KZ_DET_VALUE_MAX))) !=
                KZ_OK)
            break;
        nf++;
    }
    if (st != KZ_OK) {
        out->len = old;
        if (out->data != NULL)
            out->data[old] = '\0';
        return st;
    }
    len = (uint32_t)(out->len - start);
    memcpy(out->data + start, &len, 4);
    memcpy(out->data + start + 50, &nf, 2);
    return KZ_OK;
}

kz_status
kz_det_build_pairs(kz_strbuf *out, const kz_det *from, uint32_t rule,
                   uint8_t level, const kz_str *pairs, size_t nd, size_t nx)
{
    static const uint8_t zero[KZ_DET_HEADER];
    size_t start = out->len, i;
    uint16_t d16, x16, f16 = 0;
    uint32_t len;
    kz_status st;

    if (nd > KZ_DET_MAX_DETAILS)
        nd = KZ_DET_MAX_DETAILS;
    if (nx > KZ_DET_MAX_EXTRA)
        nx = KZ_DET_MAX_EXTRA;
    if ((st = kz_strbuf_add(out, zero, sizeof(zero))) != KZ_OK ||
        (st = put_str(out, from->path.p,
                      utf8_cut(from->path.p, from->path.len,
                               PATH_MAX_BYTES))) != KZ_OK ||
        (st = put_str(out, from->computer.p,
                      utf8_cut(from->computer.p, from->computer.len,
                               PATH_MAX_BYTES))) != KZ_OK ||
        (st = put_channel(out, from->channel.p, from->channel.len,
                          PATH_MAX_BYTES)) != KZ_OK)
        goto out;
    for (i = 0; i < 2 * (nd + nx); i += 2) {
        if ((st = put_name_raw(out, pairs[i].p,
                               utf8_cut(pairs[i].p, pairs[i].len,
                                        KZ_DET_NAME_MAX))) != KZ_OK ||
            (st = put_value(out, pairs[i + 1].p, pairs[i + 1].len)) != KZ_OK)
            goto out;
    }
    len = (uint32_t)(out->len - start);
    d16 = (uint16_t)nd;
    x16 = (uint16_t)nx;
    {
        uint8_t *h = (uint8_t *)out->data + start;

        memcpy(h + 0, &len, 4);
        memcpy(h + 4, &rule, 4);
        memcpy(h + 8, &from->time, 8);
        memcpy(h + 16, &from->position, 8);
        memcpy(h + 24, &from->record_id, 8);
        memcpy(h + 32, &from->event_id, 4);
        memcpy(h + 36, &from->arg_index, 4);
        memcpy(h + 40, &from->file_index, 4);
        h[44] = level;
        h[45] = (uint8_t)(from->flags & ~KZ_DET_PATH_BY_INDEX);
        memcpy(h + 46, &d16, 2);
        memcpy(h + 48, &x16, 2);
        memcpy(h + 50, &f16, 2);
    }
out:
    if (st != KZ_OK) {
        out->len = start;
        if (out->data != NULL)
            out->data[start] = '\0';
    }
    return st;
}

/* Reads a string's length at *p (1 or 2 bytes, detection.h) into *n;
 * false if it overruns end. A code (KZ_DET_STR_CODE0 and up) is given
 * as it is. */
static inline bool
get_len(const uint8_t **p, const uint8_t *end, size_t *n)
{
    const uint8_t *q = *p;

    if (q >= end)
        return false;
    if (q[0] < 0x80) {
        *n = q[0];
        *p = q + 1;
        return true;
    }
    if (end - q < 2)
        return false;
    *n = (size_t)(q[0] & 0x7F) << 8 | q[1];
    *p = q + 2;
    return true;
}

/* Reads a string at *p; false if it overruns end or is a code. */
static bool
get_str(const uint8_t **p, const uint8_t *end, kz_str *s)
{
    size_t n;

    if (!get_len(p, end, &n) || n >= KZ_DET_STR_CODE0 ||
        (size_t)(end - *p) < n)
        return false;
    s->p = (const char *)*p;
    s->len = n;
    *p += n;
    return true;
}

/* Reads a channel at *p: a string or a code of channel_codes. */
static bool
get_channel(const uint8_t **p, const uint8_t *end, kz_str *s)
{
    const uint8_t *q = *p;
    size_t n;

    if (!get_len(&q, end, &n))
        return false;
    if (n < KZ_DET_STR_CODE0)
        return get_str(p, end, s);
    if (n - KZ_DET_STR_CODE0 >= N_CHANNEL_CODES)
        return false;
    *s = channel_codes[n - KZ_DET_STR_CODE0];
    *p = q;
    return true;
}

/* The Details label of code (row * KZ_DETAILS_MAX_ITEMS + item), or
 * NULL. */
static const char *
label_of(uint16_t code)
{
    size_t nrows;
    const kz_detail_row *rows = kz_details_table(&nrows);

    if ((size_t)code / KZ_DETAILS_MAX_ITEMS >= nrows)
        return NULL;
    return rows[code / KZ_DETAILS_MAX_ITEMS]
        .items[code % KZ_DETAILS_MAX_ITEMS]
        .label;
}

/* Reads a (name, value) pair at *p: the name has a 1-byte length (or is
 * KZ_DET_NAME_ID and a 2-byte id in dict's table, *id set), the value a
 * 2-byte one; false if either overruns end or the id is unknown. */
static inline bool
get_pair(const uint8_t **p, const uint8_t *end, const kz_det_dict *dict,
         kz_str *name, kz_str *value, int32_t *id)
{
    const uint8_t *q = *p;
    size_t n;
    uint16_t id16;

    if (q >= end)
        return false;
    n = *q++;
    if (n == KZ_DET_NAME_ID) {
        if ((size_t)(end - q) < 2 || dict == NULL || dict->names == NULL)
            return false;
        memcpy(&id16, q, 2);
        q += 2;
        if (id16 >= dict->nnames)
            return false;
        name->p = dict->name_p[id16];
        name->len = dict->name_len[id16];
        *id = id16;
    } else if (n == KZ_DET_NAME_LABEL) {
        if ((size_t)(end - q) < 2)
            return false;
        memcpy(&id16, q, 2);
        q += 2;
        if (dict != NULL && dict->labels != NULL) {
            if (id16 >= dict->nlabels || dict->labels[id16].p == NULL)
                return false;
            *name = dict->labels[id16];
        } else {
            if ((name->p = label_of(id16)) == NULL)
                return false;
            name->len = strlen(name->p);
        }
        *id = KZ_DET_LABEL_ID0 + id16;
    } else {
        if ((size_t)(end - q) < n)
            return false;
        name->p = (const char *)q;
        name->len = n;
        q += n;
        *id = KZ_NAME_NONE;
    }
    if (!get_str(&q, end, value))
        return false;
    *p = q;
    return true;
}

/* Steps over the pair at *p as get_pair would read it (names by id or
 * label checked, not resolved); false where get_pair would fail. */
static inline bool
skip_pair(const uint8_t **p, const uint8_t *end, const kz_det_dict *dict)
{
    const uint8_t *q = *p;
    uint16_t id16;
    size_t n, vn;

    if (q >= end)
        return false;
    n = *q++;
    if (n >= KZ_DET_NAME_LABEL) {
        if ((size_t)(end - q) < 2)
            return false;
        memcpy(&id16, q, 2);
        q += 2;
        if (n == KZ_DET_NAME_ID
                ? dict == NULL || id16 >= dict->nnames
                : (dict != NULL && dict->labels != NULL
                       ? id16 >= dict->nlabels ||
                             dict->labels[id16].p == NULL
                       : label_of(id16) == NULL))
            return false;
    } else {
        if ((size_t)(end - q) < n)
            return false;
        q += n;
    }
    if (!get_len(&q, end, &vn) || vn >= KZ_DET_STR_CODE0 ||
        (size_t)(end - q) < vn)
        return false;
    *p = q + vn;
    return true;
}

bool
kz_det_decode_head_in(const kz_det_dict *dict, const uint8_t *p, size_t len,
                      kz_det *d)
{
    const uint8_t *cur, *end;
    uint32_t rec_len;

    if (len < KZ_DET_HEADER)
        return false;
    memcpy(&rec_len, p, 4);
    if (rec_len < KZ_DET_HEADER || rec_len > len)
        return false;
    end = p + rec_len;
    memcpy(&d->rule, p + 4, 4);
    memcpy(&d->time, p + 8, 8);
    memcpy(&d->position, p + 16, 8);
    memcpy(&d->record_id, p + 24, 8);
    memcpy(&d->event_id, p + 32, 4);
    memcpy(&d->arg_index, p + 36, 4);
    memcpy(&d->file_index, p + 40, 4);
    d->level = p[44];
    d->flags = p[45];
    memcpy(&d->ndetails, p + 46, 2);
    memcpy(&d->nextra, p + 48, 2);
    memcpy(&d->nfields, p + 50, 2);
    cur = p + KZ_DET_HEADER;
    if (!get_str(&cur, end, &d->path) || !get_str(&cur, end, &d->computer) ||
        !get_channel(&cur, end, &d->channel))
        return false;
    if (d->flags & KZ_DET_PATH_BY_INDEX) {
        if (dict == NULL || d->file_index >= dict->npaths ||
            dict->paths[d->file_index] == NULL)
            return false;
        d->path.p = dict->paths[d->file_index];
        d->path.len = dict->path_lens[d->file_index];
    }
    d->details = cur;
    d->extra = NULL;
    d->fields = NULL;
    d->end = end;
    d->dict = dict;
    return true;
}

bool
kz_det_decode_head(const uint8_t *p, size_t len, kz_det *d)
{
    return kz_det_decode_head_in(NULL, p, len, d);
}

bool
kz_det_decode_in(const kz_det_dict *dict, const uint8_t *p, size_t len,
                 kz_det *d)
{
    const uint8_t *cur;
    size_t i;

    if (!kz_det_decode_head_in(dict, p, len, d))
        return false;
    cur = d->details;
    for (i = 0; i < d->ndetails; i++)
        if (!skip_pair(&cur, d->end, dict))
            return false;
    d->extra = cur;
    for (i = 0; i < d->nextra; i++)
        if (!skip_pair(&cur, d->end, dict))
            return false;
    d->fields = cur;
    for (i = 0; i < d->nfields; i++)
        if (!skip_pair(&cur, d->end, dict))
            return false;
    return true;
}

bool
kz_det_decode(const uint8_t *p, size_t len, kz_det *d)
{
    return kz_det_decode_in(NULL, p, len, d);
}

bool
kz_det_pair_next_any(const kz_det *d, const uint8_t **cur, kz_str *name,
                     kz_str *value, int32_t *id)
{
    const uint8_t *p = *cur;

    if (p >= d->end || !get_pair(&p, d->end, d->dict, name, value, id))
        return false;
    *cur = p;
    return true;
}

bool
kz_det_pair_next(const kz_det *d, const uint8_t **cur, kz_str *name,
                 kz_str *value)
{
    int32_t id;

    return kz_det_pair_next_id(d, cur, name, value, &id);
}

/* ---- dictionary ---------------------------------------------------- */

/* Most input ordinals a dictionary holds a path for. */
#define DICT_MAX_PATHS ((uint32_t)1 << 24)

void
kz_det_dict_init(kz_det_dict *d, const kz_names *names)
{
    const kz_detail_row *rows;
    size_t nrows, i;

    memset(d, 0, sizeof(*d));
    d->names = names;
    kz_names_arrays(names, &d->name_p, &d->name_len, &d->nnames);
    rows = kz_details_table(&nrows);
    if ((d->labels = calloc(nrows * KZ_DETAILS_MAX_ITEMS,
                            sizeof(*d->labels))) != NULL) {
        d->nlabels = nrows * KZ_DETAILS_MAX_ITEMS;
        for (i = 0; i < d->nlabels; i++) {
            d->labels[i].p = rows[i / KZ_DETAILS_MAX_ITEMS]
                                 .items[i % KZ_DETAILS_MAX_ITEMS]
                                 .label;
            d->labels[i].len = d->labels[i].p ? strlen(d->labels[i].p) : 0;
        }
    }
}

void
kz_det_dict_fini(kz_det_dict *d)
{
    size_t i;

    if (d == NULL)
        return;
    for (i = 0; i < d->npaths; i++)
        free(d->paths[i]);
    free(d->paths);
    free(d->path_lens);
    free(d->labels);
    memset(d, 0, sizeof(*d));
}

kz_status
kz_det_dict_set_path(kz_det_dict *d, uint32_t file_index, const char *path)
{
    char **paths;
    uint16_t *lens;
    size_t n, cap, k;

    if (file_index < d->npaths && d->paths[file_index] != NULL)
        return KZ_OK;
    if (file_index >= DICT_MAX_PATHS)
        return KZ_ELIMIT;
    if (file_index >= d->npaths) {
        cap = d->npaths == 0 ? 16 : d->npaths;
        while (cap <= file_index)
            cap *= 2;
        if ((paths = realloc(d->paths, cap * sizeof(*paths))) == NULL)
            return KZ_ENOMEM;
        d->paths = paths;
        if ((lens = realloc(d->path_lens, cap * sizeof(*lens))) == NULL)
            return KZ_ENOMEM;
        d->path_lens = lens;
        for (k = d->npaths; k < cap; k++) {
            d->paths[k] = NULL;
            d->path_lens[k] = 0;
        }
        d->npaths = cap;
    }
    if (path == NULL)
        path = "";
    n = utf8_cut(path, strlen(path), PATH_MAX_BYTES);
    if ((d->paths[file_index] = malloc(n + 1)) == NULL)
        return KZ_ENOMEM;
    memcpy(d->paths[file_index], path, n);
    d->paths[file_index][n] = '\0';
    d->path_lens[file_index] = (uint16_t)n;
    return KZ_OK;
}
