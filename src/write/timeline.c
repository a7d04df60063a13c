/*
 * timeline.c - the CSV and JSON Lines timeline writers, their columns and
 * profiles, and the one-line "flattened" text they share with the table
 * writer (timeline_table.c). Column names and their order are a contract
 * (docs/output.md, golden files in tests/scenarios/expected/).
 */
#include "write/timeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf.h"
#include "write/details.h"
#include "write/escape.h"

/* Columns, in the order of the X-macro; each profile picks a subset. */
#define KZ_TL_COLUMNS(X)                                                   \
    X(DATETIME, "datetime")                                                \
    X(TS_DESC, "timestamp_desc")                                           \
    X(MESSAGE, "message")                                                  \
    X(TIMESTAMP, "Timestamp")                                              \
    X(RULE_TITLE, "RuleTitle")                                             \
    X(LEVEL, "Level")                                                      \
    X(COMPUTER, "Computer")                                                \
    X(CHANNEL, "Channel")                                                  \
    X(EVENT_ID, "EventID")                                                 \
    X(RECORD_ID, "RecordID")                                               \
    X(DETAILS, "Details")                                                  \
    X(EXTRA, "ExtraFieldInfo")                                             \
    X(RULE_ID, "RuleID")                                                   \
    X(RULE_AUTHOR, "RuleAuthor")                                           \
    X(FILE, "File")                                                        \
    X(MITRE_TACTICS, "MitreTactics")                                       \
    X(MITRE_TAGS, "MitreTags")                                             \
    X(OTHER_TAGS, "OtherTags")                                             \
    X(FALSE_POSITIVES, "FalsePositives")                                   \
    X(RULE_FILE, "RuleFile")

enum {
#define COL_ENUM(id, name) COL_##id,
    KZ_TL_COLUMNS(COL_ENUM)
#undef COL_ENUM
    COL_COUNT
};

static const char *const col_names[] = {
#define COL_NAME(id, name) name,
    KZ_TL_COLUMNS(COL_NAME)
#undef COL_NAME
};

/* JSON keys of the columns, quoted, with the ':' after them and a ','
 * before (skipped for the first column). Names are plain ASCII, so this
 * is what kz_json_string would write. */
static const struct {
    const char *s;
    size_t len;
} col_keys[] = {
#define COL_KEY(id, name) { ",\"" name "\":", sizeof(",\"" name "\":") - 1 },
    KZ_TL_COLUMNS(COL_KEY)
#undef COL_KEY
};

/* Columns that depend on the rule only: their cells are made once per
 * rule and format, then copied. */
static int
rule_col_slot(int col)
{
    switch (col) {
    case COL_RULE_TITLE: return 0;
    case COL_RULE_ID: return 1;
    case COL_RULE_AUTHOR: return 2;
    case COL_MITRE_TACTICS: return 3;
    case COL_MITRE_TAGS: return 4;
    case COL_OTHER_TAGS: return 5;
    case COL_FALSE_POSITIVES: return 6;
    case COL_RULE_FILE: return 7;
    default: return -1;
    }
}

#define RULE_SLOTS 8
#define CACHE_NONE UINT32_MAX

#define STANDARD_COLS                                                      \
    COL_TIMESTAMP, COL_RULE_TITLE, COL_LEVEL, COL_COMPUTER, COL_CHANNEL,   \
        COL_EVENT_ID, COL_RECORD_ID, COL_DETAILS, COL_EXTRA, COL_RULE_ID,  \
        COL_RULE_AUTHOR, COL_FILE

static const int cols_standard[] = { STANDARD_COLS };
static const int cols_verbose[] = { STANDARD_COLS, COL_MITRE_TACTICS,
                                    COL_MITRE_TAGS, COL_OTHER_TAGS,
                                    COL_FALSE_POSITIVES, COL_RULE_FILE };
static const int cols_timesketch[] = { COL_DATETIME, COL_TS_DESC,
                                       COL_MESSAGE, STANDARD_COLS };

/* Separator of pairs and list items in one-line text (U+00A6). */
#define SEP " \xC2\xA6 "

/* Longest message of the Timesketch profile, in bytes. */
#define MESSAGE_MAX 2048

struct kz_timeline {
    kz_tl_opts o;            /* options */
    const int *cols;         /* columns of the profile */
    size_t ncols;            /* count */
    kz_strbuf cell;          /* scratch: one cell */
    kz_strbuf tmp;           /* scratch: flattening input */
    kz_strbuf scratch;       /* scratch of the table writer */
    kz_strbuf cache;         /* rule-only cells, back to back */
    uint32_t *cache_off;     /* [rule * RULE_SLOTS + slot]: offset in
                                cache, CACHE_NONE if not made yet */
    uint32_t *cache_len;     /* and length */
    bool cache_failed;       /* no cache (OOM or too big): compute */
    /* JSON keys ("name":) of the pair names records give by id */
    kz_strbuf keys;          /* back to back */
    uint32_t *key_off;       /* [slot]: offset + 1 in keys, 0 = not yet */
    uint32_t *key_len;       /* and length */
    size_t nkeys;            /* slots: the dictionary's names, then the
                                Details labels */
    size_t nnames;           /* names among them */
    const kz_det_dict *key_dict; /* dictionary the ids belong to */
    bool keys_failed;        /* no key cache (OOM): escape each time */
};

/* MITRE ATT&CK tactics as tags write them, and their display names. */
static const struct {
    const char *tag;
    const char *name;
} tactics[] = {
    { "reconnaissance", "Reconnaissance" },
    { "resource-development", "Resource Development" },
    { "initial-access", "Initial Access" },
    { "execution", "Execution" },
    { "persistence", "Persistence" },
    { "privilege-escalation", "Privilege Escalation" },
    { "defense-evasion", "Defense Evasion" },
    { "credential-access", "Credential Access" },
    { "discovery", "Discovery" },
    { "lateral-movement", "Lateral Movement" },
    { "collection", "Collection" },
    { "command-and-control", "Command and Control" },
    { "exfiltration", "Exfiltration" },
    { "impact", "Impact" },
};

kz_timeline *
kz_timeline_new(const kz_tl_opts *o)
{
    kz_timeline *tl = calloc(1, sizeof(*tl));

    if (tl == NULL)
        return NULL;
    tl->o = *o;
    switch (o->profile) {
    case KZ_TL_VERBOSE:
        tl->cols = cols_verbose;
        tl->ncols = sizeof(cols_verbose) / sizeof(cols_verbose[0]);
        break;
    case KZ_TL_TIMESKETCH:
        tl->cols = cols_timesketch;
        tl->ncols = sizeof(cols_timesketch) / sizeof(cols_timesketch[0]);
        break;
    default:
        tl->cols = cols_standard;
        tl->ncols = sizeof(cols_standard) / sizeof(cols_standard[0]);
        break;
    }
    kz_strbuf_init(&tl->cell, 0);
    kz_strbuf_init(&tl->tmp, 0);
    kz_strbuf_init(&tl->scratch, 0);
    kz_strbuf_init(&tl->cache, (size_t)UINT32_MAX - 1);
    kz_strbuf_init(&tl->keys, 0);
    return tl;
}

void
kz_timeline_free(kz_timeline *tl)
{
    if (tl == NULL)
        return;
    kz_strbuf_fini(&tl->cell);
    kz_strbuf_fini(&tl->tmp);
    kz_strbuf_fini(&tl->scratch);
    kz_strbuf_fini(&tl->cache);
    free(tl->cache_off);
    free(tl->cache_len);
    kz_strbuf_fini(&tl->keys);
    free(tl->key_off);
    free(tl->key_len);
    free(tl);
}

const kz_tl_opts *
kz_timeline_opts(const kz_timeline *tl)
{
    return &tl->o;
}

kz_strbuf *
kz_tl_scratch(kz_timeline *tl)
{
    kz_strbuf_reset(&tl->scratch);
    return &tl->scratch;
}

const kz_sigma_rule *
kz_tl_rule(const kz_timeline *tl, uint32_t i)
{
    if (tl->o.rules == NULL || i >= tl->o.nrules)
        return NULL;
    return tl->o.rules[i];
}

kz_status
kz_tl_flatten(kz_strbuf *out, const char *s, size_t n)
{
    return kz_visible_escape(out, s, n, KZ_VIS_WS_NAMES | KZ_VIS_LINE_SEPS |
                                            KZ_VIS_UPPER_HEX);
}

size_t
kz_tl_width(const char *s, size_t n)
{
    size_t i = 0, w = 0, k;
    uint32_t cp;

    while (i < n) {
        k = kz_utf8_decode(s + i, n - i, &cp);
        if (k == 0) {
            k = 1;
            cp = 0xFFFD;
        }
        i += k;
        if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
            (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
            (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
            (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1FAFF) ||
            (cp >= 0x20000 && cp <= 0x3FFFD))
            w += 2;
        else
            w += 1;
    }
    return w;
}

kz_status
kz_tl_pairs_text(kz_strbuf *out, const kz_det *d, bool extra)
{
    const uint8_t *cur = extra ? d->extra : d->details;
    size_t i, n = extra ? d->nextra : d->ndetails;
    kz_str name, value;
    kz_status st;

    for (i = 0; i < n && kz_det_pair_next(d, &cur, &name, &value); i++) {
        if ((i > 0 && (st = kz_strbuf_adds(out, SEP)) != KZ_OK) ||
            (st = kz_tl_flatten(out, name.p, name.len)) != KZ_OK ||
            (st = kz_strbuf_add(out, ": ", 2)) != KZ_OK ||
            (st = kz_tl_flatten(out, value.p, value.len)) != KZ_OK)
            return st;
    }
    return KZ_OK;
}

/* Tags of the rule of kind which (COL_MITRE_TACTICS, _TAGS, _OTHER_TAGS)
 * as display strings, through add(ctx, text). */
static kz_status
each_tag(const kz_sigma_rule *r, int which,
         kz_status (*add)(void *ctx, const char *s, size_t n), void *ctx)
{
    const char *t, *rest;
    char up[64];
    size_t i, j, k, n;
    kz_status st;
    bool done;

    if (r == NULL)
        return KZ_OK;
    for (i = 0; i < r->tags.n; i++) {
        t = r->tags.v[i];
        if (t == NULL)
            continue;
        done = false;
        if (strncmp(t, "attack.", 7) == 0) {
            rest = t + 7;
            n = strlen(rest);
            for (j = 0; j < sizeof(tactics) / sizeof(tactics[0]); j++) {
                if (strcmp(rest, tactics[j].tag) != 0)
                    continue;
                done = true;
                if (which == COL_MITRE_TACTICS &&
                    (st = add(ctx, tactics[j].name,
                              strlen(tactics[j].name))) != KZ_OK)
                    return st;
            }
            /* t1059.001, g0016, s0002: technique, group, software. */
            if (!done && n >= 2 && n < sizeof(up) &&
                (rest[0] == 't' || rest[0] == 'g' || rest[0] == 's' ||
                 rest[0] == 'T' || rest[0] == 'G' || rest[0] == 'S') &&
                rest[1] >= '0' && rest[1] <= '9') {
                done = true;
                for (k = 0; k < n; k++)
                    up[k] = (rest[k] >= 'a' && rest[k] <= 'z')
                                ? (char)(rest[k] - 32)
                                : rest[k];
                if (which == COL_MITRE_TAGS && (st = add(ctx, up, n)) != KZ_OK)
                    return st;
            }
        }
        if (!done && which == COL_OTHER_TAGS &&
            (st = add(ctx, t, strlen(t))) != KZ_OK)
            return st;
    }
    return KZ_OK;
}

/* Adders for each_tag and lists: one-line text joined by SEP, or a JSON
 * array's items. */
typedef struct list_ctx {
    kz_strbuf *out;          /* where items go */
    size_t n;                /* items so far */
    bool json;               /* JSON strings, comma-separated */
} list_ctx;

static kz_status
list_add(void *vctx, const char *s, size_t n)
{
    list_ctx *c = vctx;
    kz_status st;

    if (c->n++ > 0 &&
        (st = kz_strbuf_adds(c->out, c->json ? "," : SEP)) != KZ_OK)
        return st;
    return c->json ? kz_json_string(c->out, s, n) : kz_tl_flatten(c->out, s, n);
}

/* The message of the Timesketch profile: title, then the Details text,
 * bounded. */
static kz_status
message_text(kz_strbuf *out, const kz_sigma_rule *r, const kz_det *d)
{
    const char *title = r != NULL && r->title != NULL ? r->title : "";
    size_t start = out->len, keep;
    kz_status st;

    if ((st = kz_tl_flatten(out, title, strlen(title))) != KZ_OK)
        return st;
    if (d->ndetails > 0 && ((st = kz_strbuf_add(out, " - ", 3)) != KZ_OK ||
                            (st = kz_tl_pairs_text(out, d, false)) != KZ_OK))
        return st;
    if (out->len - start > MESSAGE_MAX) {
        keep = MESSAGE_MAX;
        while (keep > 0 &&
               ((unsigned char)out->data[start + keep] & 0xC0) == 0x80)
            keep--;
        out->len = start + keep;
        out->data[out->len] = '\0';
        return kz_strbuf_add(out, "...", 3);
    }
    return KZ_OK;
}

static const char *
nz(const char *s)
{
    return s != NULL ? s : "";
}

/* Appends the text of column col for the one-line formats (CSV). */
static kz_status
cell_text(kz_timeline *tl, int col, const kz_det *d, kz_strbuf *out)
{
    const kz_sigma_rule *r = kz_tl_rule(tl, d->rule);
    list_ctx lc = { out, 0, false };
    size_t i;
    kz_status st;

    switch (col) {
    case COL_DATETIME:
    case COL_TIMESTAMP:
        return kz_tz_format(out, tl->o.tz != NULL ? tl->o.tz : &(kz_tz){ 0 },
                            d->time);
    case COL_TS_DESC:
        return kz_strbuf_adds(out, "Event Time");
    case COL_MESSAGE:
        return message_text(out, r, d);
    case COL_RULE_TITLE:
        return kz_tl_flatten(out, nz(r ? r->title : NULL),
                             strlen(nz(r ? r->title : NULL)));
    case COL_LEVEL:
        return kz_strbuf_adds(out, kz_level_name((kz_level)d->level));
    case COL_COMPUTER:
        return kz_tl_flatten(out, d->computer.p, d->computer.len);
    case COL_CHANNEL:
        return kz_tl_flatten(out, d->channel.p, d->channel.len);
    case COL_EVENT_ID:
        if (!(d->flags & KZ_DET_HAS_EVENT_ID))
            return KZ_OK;
        return kz_strbuf_add_u64(out, d->event_id);
    case COL_RECORD_ID:
        if (!(d->flags & KZ_DET_HAS_RECORD_ID))
            return KZ_OK;
        return kz_strbuf_add_u64(out, d->record_id);
    case COL_DETAILS:
        return kz_tl_pairs_text(out, d, false);
    case COL_EXTRA:
        return kz_tl_pairs_text(out, d, true);
    case COL_RULE_ID:
        return kz_tl_flatten(out, nz(r ? r->id : NULL),
                             strlen(nz(r ? r->id : NULL)));
    case COL_RULE_AUTHOR:
        return kz_tl_flatten(out, nz(r ? r->author : NULL),
                             strlen(nz(r ? r->author : NULL)));
    case COL_FILE:
        return kz_tl_flatten(out, d->path.p, d->path.len);
    case COL_MITRE_TACTICS:
    case COL_MITRE_TAGS:
    case COL_OTHER_TAGS:
        return each_tag(r, col, list_add, &lc);
    case COL_FALSE_POSITIVES:
        for (i = 0; r != NULL && i < r->falsepositives.n; i++)
            if (r->falsepositives.v[i] != NULL &&
                (st = list_add(&lc, r->falsepositives.v[i],
                               strlen(r->falsepositives.v[i]))) != KZ_OK)
                return st;
        return KZ_OK;
    case COL_RULE_FILE:
        return kz_tl_flatten(out, nz(r ? r->path : NULL),
                             strlen(nz(r ? r->path : NULL)));
    default:
        return KZ_EINTERNAL;
    }
}

/* Appends the JSON key of a pair name, "name": taken from the key cache
 * when the record gives the name by id (kz_det_pair_next_id), escaped and
 * kept there the first time. */
static kz_status
key_json(kz_timeline *tl, const kz_det *d, int32_t id, kz_str name,
         kz_strbuf *out)
{
    size_t k, nrows, start, i;
    kz_status st;

    if (id == KZ_NAME_NONE || tl->keys_failed)
        goto plain;
    if (tl->key_off == NULL || tl->key_dict != d->dict) {
        free(tl->key_off);
        free(tl->key_len);
        kz_strbuf_reset(&tl->keys);
        (void)kz_details_table(&nrows);
        tl->nnames = d->dict != NULL ? d->dict->nnames : 0;
        tl->nkeys = tl->nnames + nrows * KZ_DETAILS_MAX_ITEMS;
        tl->key_off = calloc(tl->nkeys, sizeof(*tl->key_off));
        tl->key_len = malloc(tl->nkeys * sizeof(*tl->key_len));
        tl->key_dict = d->dict;
        if (tl->key_off == NULL || tl->key_len == NULL) {
            tl->keys_failed = true;
            goto plain;
        }
    }
    k = id < KZ_DET_LABEL_ID0 ? (size_t)id
                              : tl->nnames + (size_t)(id - KZ_DET_LABEL_ID0);
    if (k >= tl->nkeys)
        goto plain;
    if (tl->key_off[k] == 0) {
        start = tl->keys.len;
        if (start >= UINT32_MAX - 1024 ||
            (st = kz_json_string(&tl->keys, name.p, name.len)) != KZ_OK ||
            (st = kz_strbuf_addc(&tl->keys, ':')) != KZ_OK) {
            tl->keys.len = start;
            goto plain;
        }
        tl->key_off[k] = (uint32_t)start + 1;
        tl->key_len[k] = (uint32_t)(tl->keys.len - start);
    }
    i = tl->key_off[k] - 1;
    return kz_strbuf_add(out, tl->keys.data + i, tl->key_len[k]);
plain:
    if ((st = kz_json_string(out, name.p, name.len)) != KZ_OK)
        return st;
    return kz_strbuf_addc(out, ':');
}

/* Appends the pairs of d as a JSON object. */
static kz_status
pairs_json(kz_timeline *tl, kz_strbuf *out, const kz_det *d, bool extra)
{
    const uint8_t *cur = extra ? d->extra : d->details;
    size_t i, n = extra ? d->nextra : d->ndetails;
    kz_str name, value;
    int32_t id;
    kz_status st;

    if ((st = kz_strbuf_addc(out, '{')) != KZ_OK)
        return st;
    for (i = 0; i < n && kz_det_pair_next_id(d, &cur, &name, &value, &id);
         i++) {
        if ((i > 0 && (st = kz_strbuf_addc(out, ',')) != KZ_OK) ||
            (st = key_json(tl, d, id, name, out)) != KZ_OK ||
            (st = kz_json_string(out, value.p, value.len)) != KZ_OK)
            return st;
    }
    return kz_strbuf_addc(out, '}');
}

/* Appends the JSON value of column col. */
static kz_status
cell_json(kz_timeline *tl, int col, const kz_det *d, kz_strbuf *out)
{
    const kz_sigma_rule *r = kz_tl_rule(tl, d->rule);
    list_ctx lc = { out, 0, true };
    size_t i;
    kz_status st;

    switch (col) {
    case COL_EVENT_ID:
        if (!(d->flags & KZ_DET_HAS_EVENT_ID))
            return kz_strbuf_adds(out, "null");
        return kz_strbuf_add_u64(out, d->event_id);
    case COL_RECORD_ID:
        if (!(d->flags & KZ_DET_HAS_RECORD_ID))
            return kz_strbuf_adds(out, "null");
        return kz_strbuf_add_u64(out, d->record_id);
    case COL_DETAILS:
    case COL_EXTRA:
        return pairs_json(tl, out, d, col == COL_EXTRA);
    case COL_MITRE_TACTICS:
    case COL_MITRE_TAGS:
    case COL_OTHER_TAGS:
        if ((st = kz_strbuf_addc(out, '[')) != KZ_OK ||
            (st = each_tag(r, col, list_add, &lc)) != KZ_OK)
            return st;
        return kz_strbuf_addc(out, ']');
    case COL_FALSE_POSITIVES:
        if ((st = kz_strbuf_addc(out, '[')) != KZ_OK)
            return st;
        for (i = 0; r != NULL && i < r->falsepositives.n; i++)
            if (r->falsepositives.v[i] != NULL &&
                (st = list_add(&lc, r->falsepositives.v[i],
                               strlen(r->falsepositives.v[i]))) != KZ_OK)
                return st;
        return kz_strbuf_addc(out, ']');
    case COL_RULE_TITLE:
        return kz_json_string(out, nz(r ? r->title : NULL),
                              strlen(nz(r ? r->title : NULL)));
    case COL_RULE_ID:
        return kz_json_string(out, nz(r ? r->id : NULL),
                              strlen(nz(r ? r->id : NULL)));
    case COL_RULE_AUTHOR:
        return kz_json_string(out, nz(r ? r->author : NULL),
                              strlen(nz(r ? r->author : NULL)));
    case COL_RULE_FILE:
        return kz_json_string(out, nz(r ? r->path : NULL),
                              strlen(nz(r ? r->path : NULL)));
    case COL_COMPUTER:
        return kz_json_string(out, d->computer.p, d->computer.len);
    case COL_CHANNEL:
        return kz_json_string(out, d->channel.p, d->channel.len);
    case COL_FILE:
        return kz_json_string(out, d->path.p, d->path.len);
    case COL_LEVEL:
        /* Level names are plain ASCII: no escaping to do. */
        if ((st = kz_strbuf_addc(out, '"')) != KZ_OK ||
            (st = kz_strbuf_adds(out, kz_level_name((kz_level)d->level))) !=
                KZ_OK)
            return st;
        return kz_strbuf_addc(out, '"');
    case COL_DATETIME:
    case COL_TIMESTAMP:
        /* "-" or ISO digits, signs and colons: no escaping to do. */
        if ((st = kz_strbuf_addc(out, '"')) != KZ_OK ||
            (st = cell_text(tl, col, d, out)) != KZ_OK)
            return st;
        return kz_strbuf_addc(out, '"');
    default:
        /* Plain text columns (times, level, message). */
        kz_strbuf_reset(&tl->tmp);
        if ((st = cell_text(tl, col, d, &tl->tmp)) != KZ_OK)
            return st;
        return kz_json_string(out, tl->tmp.data ? tl->tmp.data : "",
                              tl->tmp.len);
    }
}

/* Appends the finished cell of column col (JSON value, or CSV cell) the
 * way the row writers below do, uncached. */
static kz_status
cell_plain(kz_timeline *tl, int col, const kz_det *d, kz_strbuf *out)
{
    kz_status st;

    if (tl->o.format == KZ_TL_JSONL)
        return cell_json(tl, col, d, out);
    kz_strbuf_reset(&tl->cell);
    if ((st = cell_text(tl, col, d, &tl->cell)) != KZ_OK)
        return st;
    return kz_csv_cell(out, tl->cell.data ? tl->cell.data : "",
                       tl->cell.len);
}

/* Appends the cell of column col: from the rule cache for the columns
 * that only depend on the rule, else made now. */
static kz_status
cell_out(kz_timeline *tl, int col, const kz_det *d, kz_strbuf *out)
{
    int slot = rule_col_slot(col);
    size_t i, k, start;
    kz_status st;

    if (slot < 0 || tl->cache_failed || tl->o.rules == NULL ||
        d->rule >= tl->o.nrules ||
        tl->o.nrules > (size_t)UINT32_MAX / RULE_SLOTS)
        return cell_plain(tl, col, d, out);
    if (tl->cache_off == NULL) {
        tl->cache_off = malloc(tl->o.nrules * RULE_SLOTS *
                               sizeof(*tl->cache_off));
        tl->cache_len = malloc(tl->o.nrules * RULE_SLOTS *
                               sizeof(*tl->cache_len));
        if (tl->cache_off == NULL || tl->cache_len == NULL) {
            tl->cache_failed = true;
            return cell_plain(tl, col, d, out);
        }
        for (i = 0; i < tl->o.nrules * RULE_SLOTS; i++)
            tl->cache_off[i] = CACHE_NONE;
    }
    k = (size_t)d->rule * RULE_SLOTS + (size_t)slot;
    if (tl->cache_off[k] == CACHE_NONE) {
        start = tl->cache.len;
        st = cell_plain(tl, col, d, &tl->cache);
        if (st == KZ_ELIMIT || st == KZ_ENOMEM) {
            tl->cache.len = start;
            tl->cache_failed = true;
            return cell_plain(tl, col, d, out);
        }
        if (st != KZ_OK)
            return st;
        tl->cache_off[k] = (uint32_t)start;
        tl->cache_len[k] = (uint32_t)(tl->cache.len - start);
    }
    return kz_strbuf_add(out, tl->cache.data + tl->cache_off[k],
                         tl->cache_len[k]);
}

kz_status
kz_timeline_header(kz_timeline *tl, kz_strbuf *out)
{
    size_t i;
    kz_status st;

    switch (tl->o.format) {
    case KZ_TL_TABLE:
        return kz_tl_table_header(tl, out);
    case KZ_TL_JSONL:
        return KZ_OK;
    case KZ_TL_CSV:
        if (tl->o.csv_bom &&
            (st = kz_strbuf_adds(out, "\xEF\xBB\xBF")) != KZ_OK)
            return st;
        for (i = 0; i < tl->ncols; i++)
            if ((i > 0 && (st = kz_strbuf_addc(out, ',')) != KZ_OK) ||
                (st = kz_strbuf_adds(out, col_names[tl->cols[i]])) != KZ_OK)
                return st;
        return kz_strbuf_addc(out, '\n');
    }
    return KZ_EINTERNAL;
}

kz_status
kz_timeline_row(kz_timeline *tl, const kz_det *d, kz_strbuf *out,
                bool *written)
{
    size_t i, start = out->len;
    kz_status st = KZ_OK;

    if (written != NULL)
        *written = false;
    if (d->level < tl->o.min_level)
        return KZ_OK;
    switch (tl->o.format) {
    case KZ_TL_TABLE:
        st = kz_tl_table_row(tl, d, out);
        break;
    case KZ_TL_CSV:
        for (i = 0; i < tl->ncols && st == KZ_OK; i++) {
            if (i > 0)
                st = kz_strbuf_addc(out, ',');
            if (st == KZ_OK)
                st = cell_out(tl, tl->cols[i], d, out);
        }
        if (st == KZ_OK)
            st = kz_strbuf_addc(out, '\n');
        break;
    case KZ_TL_JSONL:
        st = kz_strbuf_addc(out, '{');
        for (i = 0; i < tl->ncols && st == KZ_OK; i++) {
            /* ',"Name":' (no comma before the first) */
            st = kz_strbuf_add(out, col_keys[tl->cols[i]].s + (i == 0),
                               col_keys[tl->cols[i]].len - (i == 0));
            if (st == KZ_OK)
                st = cell_out(tl, tl->cols[i], d, out);
        }
        if (st == KZ_OK)
            st = kz_strbuf_add(out, "}\n", 2);
        break;
    default:
        st = KZ_EINTERNAL;
    }
    if (st != KZ_OK) {
        out->len = start;
        if (out->data != NULL)
            out->data[start] = '\0';
        return st;
    }
    if (written != NULL)
        *written = true;
    return KZ_OK;
}
