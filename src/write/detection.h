/*
 * detection.h - one detection (an event that a rule matched) as a compact
 * self-contained byte record, built on a pool thread while the event is
 * still alive, kept by the detection store (det_store.h), sorted, and
 * read back by the timeline writers (timeline.h).
 *
 * A record holds everything a timeline row needs from the event: the
 * System header fields, the input's path, and the rendered Details and
 * ExtraFieldInfo pairs (details.h decides which fields go where). Event
 * memory dies with its batch, so every string is copied in, except what
 * outlives the store anyway: rule metadata (title, author, tags: the
 * record names the rule by its index in the compiled rule set), Details
 * labels and common channels (by code), and, for records built with a
 * dictionary (kz_det_dict), the input path (by file_index) and interned
 * field names (by id).
 *
 * Record layout (host byte order: records never leave the process, the
 * spill files of det_store.c are temporary and unlinked):
 *
 *   off  size  field
 *   0    4     rec_len     bytes of the whole record, header included
 *   4    4     rule        rule index in the rule set
 *   8    8     time        kz_time (UTC ticks), KZ_TIME_NONE if absent
 *   16   8     position    record position in its input (sort key)
 *   24   8     record_id   EventRecordID (see flags)
 *   32   4     event_id    EventID (see flags)
 *   36   4     arg_index   command-line argument of the input
 *   40   4     file_index  ordinal of the input over the run
 *   44   1     level       kz_level of the rule
 *   45   1     flags       KZ_DET_HAS_RECORD_ID | _HAS_EVENT_ID | ...
 *   46   2     ndetails    pairs in the Details section
 *   48   2     nextra      pairs in the ExtraFieldInfo section
 *   50   2     nfields     pairs in the Fields section (0 unless the
 *                          rule feeds a correlation)
 *   52   ...   strings     path, computer, channel, then ndetails
 *                          (name, value) pairs, then nextra pairs, then
 *                          nfields pairs; each string is its length then
 *                          its bytes (UTF-8 as the reader gave it, not
 *                          escaped): a name has a 1-byte length, every
 *                          other string (path, computer, channel, value)
 *                          a 1- or 2-byte one: below 0x80 one byte, else
 *                          two, big-endian with the top bit set (15 bits).
 *                          The cuts below keep a name under 256 bytes
 *                          (KZ_DET_NAME_MAX plus a "[k]" suffix) and any
 *                          other string under KZ_DET_STR_CODE0; a channel
 *                          "length" of KZ_DET_STR_CODE0 + k (no bytes
 *                          follow) is the k-th of a fixed table of common
 *                          channels (detection.c)
 *
 * Strings by reference (records built with a kz_det_dict): the path is
 * empty and the flag KZ_DET_PATH_BY_INDEX set; the dictionary holds the
 * path of each file_index. A name whose length byte is KZ_DET_NAME_ID
 * (0xFF, never a real length) is followed by a 2-byte id in the field-name
 * table (names.h) instead of its bytes: a field is named so when the log
 * spells it exactly as the table does and it is not a repeat. Such
 * records decode only with their dictionary (kz_det_decode_in). A
 * Details label (details.h) is KZ_DET_NAME_LABEL (0xFE) and a 2-byte
 * code, row * KZ_DETAILS_MAX_ITEMS + item in kz_details_table(), in
 * every record (no dictionary needed).
 *
 * The optional Fields section (kz_det_add_fields) holds the raw rendered
 * values of the fields correlation rules read (group-by, alias targets,
 * value fields), named as in the log: at most KZ_DET_MAX_FIELDS pairs,
 * each value cut at KZ_DET_VALUE_MAX bytes (no marker: a correlation
 * compares the first bytes). The timeline does not show it.
 *
 * Bounds: a value is cut at KZ_DET_VALUE_MAX bytes (on a UTF-8 boundary,
 * with a "...(+N bytes)" marker), a name at KZ_DET_NAME_MAX, the path,
 * computer and channel at KZ_DET_NAME_MAX * 32; at most KZ_DET_MAX_DETAILS
 * Details pairs; ExtraFieldInfo stops at KZ_DET_MAX_EXTRA pairs or
 * KZ_DET_EXTRA_BYTES bytes, and a last pair named "..." says how many
 * fields were left out. A record is therefore at most KZ_DET_MAX_RECORD
 * bytes, whatever the event holds.
 * Threads: reentrant (kz_det_build runs on pool threads).
 */
#ifndef KZ_WRITE_DETECTION_H
#define KZ_WRITE_DETECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "base/time.h"
#include "event/event.h"
#include "event/names.h"
#include "event/value.h"

#define KZ_DET_HEADER 52
#define KZ_DET_VALUE_MAX 1024
#define KZ_DET_NAME_MAX 128
#define KZ_DET_MAX_DETAILS 16
#define KZ_DET_MAX_EXTRA 128
#define KZ_DET_EXTRA_BYTES (32 * 1024)
#define KZ_DET_MAX_FIELDS 32
#define KZ_DET_MAX_RECORD (192 * 1024)
#define KZ_DET_STR_CODE0 0x7F00 /* string lengths from here are codes */
#define KZ_DET_NAME_ID 0xFF     /* name length byte: a 2-byte id follows */
#define KZ_DET_NAME_LABEL 0xFE  /* name length byte: a 2-byte label code */
#define KZ_DET_LABEL_ID0 0x10000 /* kz_det_pair_next_id: label code + this */

/* Flags of a record. */
enum {
    KZ_DET_HAS_RECORD_ID = 1u << 0,  /* record_id is meaningful */
    KZ_DET_HAS_EVENT_ID = 1u << 1,   /* event_id is meaningful */
    KZ_DET_RECOVERED = 1u << 2,      /* the event was carved from slack */
    KZ_DET_PATH_BY_INDEX = 1u << 3,  /* path in the dictionary, by
                                        file_index (record's path empty) */
};

/* What records built with it name instead of holding: the field-name
 * table (names by id) and the path of each input ordinal. Threads:
 * kz_det_build reads only `names` (any thread, the table is frozen);
 * paths are set and read on one thread, and a path must be set before
 * a record naming it is decoded or sorted. */
typedef struct kz_det_dict {
    const kz_names *names;   /* frozen field-name table, or NULL */
    size_t nnames;           /* its names (ids below this are valid) */
    const char *const *name_p; /* names by id (kz_names_arrays) */
    const size_t *name_len;  /* their lengths */
    kz_str *labels;          /* Details labels by code, or NULL (OOM:
                                looked up in details.h each time) */
    size_t nlabels;          /* entries */
    char **paths;            /* path of each file_index (NULL: unset) */
    uint16_t *path_lens;     /* their lengths (cut like a held path) */
    size_t npaths;           /* entries of both */
} kz_det_dict;

/* An empty dictionary over names (NULL: names are always held). */
void kz_det_dict_init(kz_det_dict *d, const kz_names *names);

/* Frees the paths and labels. Accepts NULL. */
void kz_det_dict_fini(kz_det_dict *d);

/* Sets the path of file_index (copied and cut as a record's path would
 * be; NULL = ""), unless it is set already. Errors: KZ_ENOMEM,
 * KZ_ELIMIT (file_index >= 2^24). */
kz_status kz_det_dict_set_path(kz_det_dict *d, uint32_t file_index,
                               const char *path);

/* The text of data field i of ev exactly as kz_value_render would give
 * it, when the caller has it at hand (*p valid until kz_det_build
 * returns); false: kz_det_build renders the field itself. */
typedef bool (*kz_det_text_fn)(void *ctx, const kz_event *ev, size_t i,
                               const char **p, size_t *n);

/* Where the event came from (copied into the record). */
typedef struct kz_det_origin {
    const char *path;     /* display path of the input (raw bytes) */
    uint32_t arg_index;   /* argument index */
    uint32_t file_index;  /* input ordinal */
    kz_det_text_fn text;  /* texts already rendered (e.g. by the matcher,
                             kz_matcher_field_text), or NULL */
    void *text_ctx;       /* its context */
    const kz_det_dict *dict; /* names ids and the path by file_index
                                (KZ_DET_PATH_BY_INDEX), or NULL: every
                                string is held in the record */
} kz_det_origin;

/* Appends the record of (ev, rule) to out. level is the rule's kz_level;
 * ro renders values (NULL = defaults); scratch is a caller buffer reused
 * between calls (contents undefined afterwards). On failure out is left
 * as it was. Errors: KZ_ENOMEM / KZ_ELIMIT from out. */
kz_status kz_det_build(kz_strbuf *out, const kz_event *ev,
                       const kz_det_origin *from, uint32_t rule,
                       uint8_t level, const kz_render_opts *ro,
                       kz_strbuf *scratch);

/* Appends to the record that starts at out->data + start (the last one
 * kz_det_build appended) a Fields section: the first field of ev named
 * names[i] (ASCII case-insensitive), for each i < n that the event has,
 * at most KZ_DET_MAX_FIELDS. The record's length and nfields are
 * updated. On failure the record is left as it was. Errors: KZ_ENOMEM /
 * KZ_ELIMIT from out, KZ_EUSAGE if the record already has fields. ids,
 * when not NULL, holds the interned id of each name (KZ_NAME_NONE: not
 * interned): a field is then found by id (kz_event_field), else by name. */
kz_status kz_det_add_fields(kz_strbuf *out, size_t start,
                            const kz_event *ev, const char *const *names,
                            const int32_t *ids, size_t n,
                            const kz_render_opts *ro, kz_strbuf *scratch);

/* A decoded record: a view into the record's bytes (valid while they
 * are). */
typedef struct kz_det {
    uint32_t rule;           /* rule index */
    kz_time time;            /* event time (UTC) or KZ_TIME_NONE */
    uint64_t position;       /* position in the input */
    uint64_t record_id;      /* EventRecordID */
    uint32_t event_id;       /* EventID */
    uint32_t arg_index;      /* argument index */
    uint32_t file_index;     /* input ordinal */
    uint8_t level;           /* kz_level */
    uint8_t flags;           /* KZ_DET_* */
    uint16_t ndetails;       /* Details pairs */
    uint16_t nextra;         /* ExtraFieldInfo pairs */
    uint16_t nfields;        /* Fields pairs (correlations) */
    kz_str path;             /* input path */
    kz_str computer;         /* Computer */
    kz_str channel;          /* Channel */
    const uint8_t *details;  /* first Details pair (kz_det_pair_next) */
    const uint8_t *extra;    /* first Extra pair */
    const uint8_t *fields;   /* first Fields pair (kz_det_decode) */
    const uint8_t *end;      /* end of the record */
    const kz_det_dict *dict; /* dictionary it was decoded with, or NULL */
} kz_det;

/* A record built from parts rather than from an event (a correlation
 * alert): the header and path/computer/channel of `from` (its rule and
 * level replaced), then nd Details and nx Extra pairs from pairs (2 *
 * (nd + nx) strings: name, value, ...), each cut like kz_det_build's
 * (nd at most KZ_DET_MAX_DETAILS, nx at most KZ_DET_MAX_EXTRA). Appended
 * to out; on failure out is left as it was. */
kz_status kz_det_build_pairs(kz_strbuf *out, const kz_det *from,
                             uint32_t rule, uint8_t level,
                             const kz_str *pairs, size_t nd, size_t nx);

/* Decodes the record at p (len bytes) built with dictionary dict (NULL
 * if built without one); d->path is the dictionary's path when the
 * record names it. False if it is malformed (a length that does not fit,
 * a name id or a path the dictionary does not have), so a damaged spill
 * file cannot overrun. */
bool kz_det_decode_in(const kz_det_dict *dict, const uint8_t *p,
                      size_t len, kz_det *d);

/* kz_det_decode_in without a dictionary. */
bool kz_det_decode(const uint8_t *p, size_t len, kz_det *d);

/* Like kz_det_decode_in, but only the fixed header and the path,
 * computer and channel strings: d->extra is NULL and the Details/Extra
 * pairs are neither checked nor located (for counting; use
 * kz_det_decode_in to read them). False when the header or those
 * strings do not fit in len. */
bool kz_det_decode_head_in(const kz_det_dict *dict, const uint8_t *p,
                           size_t len, kz_det *d);

/* kz_det_decode_head_in without a dictionary. */
bool kz_det_decode_head(const uint8_t *p, size_t len, kz_det *d);

/* Reads the pair at *cur (advancing it); false at the end of the record.
 * Call at most ndetails times from d->details, nextra from d->extra,
 * nfields from d->fields. A name given by id is read from the
 * dictionary. */
bool kz_det_pair_next(const kz_det *d, const uint8_t **cur, kz_str *name,
                      kz_str *value);

/* The out-of-line part of kz_det_pair_next_id (any pair). */
bool kz_det_pair_next_any(const kz_det *d, const uint8_t **cur,
                          kz_str *name, kz_str *value, int32_t *id);

/* kz_det_pair_next that also gives the name's id in the field-name table
 * when the record names it by id, KZ_DET_LABEL_ID0 + its code for a
 * Details label, else KZ_NAME_NONE: equal ids (with one dictionary) are
 * equal names. Inline for the pairs the dictionary resolves (the
 * timeline reads every pair of every row). */
static inline bool
kz_det_pair_next_id(const kz_det *d, const uint8_t **cur, kz_str *name,
                    kz_str *value, int32_t *id)
{
    const uint8_t *q = *cur;
    const kz_det_dict *dict = d->dict;
    uint16_t id16;
    size_t vn;

    /* marker, 2-byte id, a value with a 1-byte length */
    if (q >= d->end || d->end - q < 4 || dict == NULL ||
        (q[0] != KZ_DET_NAME_ID && q[0] != KZ_DET_NAME_LABEL) ||
        q[3] >= 0x80)
        return kz_det_pair_next_any(d, cur, name, value, id);
    memcpy(&id16, q + 1, 2);
    vn = q[3];
    if ((size_t)(d->end - q) - 4 < vn)
        return false;
    if (q[0] == KZ_DET_NAME_ID) {
        if (id16 >= dict->nnames)
            return false;
        name->p = dict->name_p[id16];
        name->len = dict->name_len[id16];
        *id = id16;
    } else {
        if (dict->labels == NULL)
            return kz_det_pair_next_any(d, cur, name, value, id);
        if (id16 >= dict->nlabels || dict->labels[id16].p == NULL)
            return false;
        *name = dict->labels[id16];
        *id = KZ_DET_LABEL_ID0 + id16;
    }
    value->p = (const char *)q + 4;
    value->len = vn;
    *cur = q + 4 + vn;
    return true;
}

/* Length of the record at p (its first 4 bytes). */
static inline uint32_t
kz_det_len(const uint8_t *p)
{
    uint32_t n;

    memcpy(&n, p, 4);
    return n;
}

#endif /* KZ_WRITE_DETECTION_H */
