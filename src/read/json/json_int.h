/*
 * json_int.h - private interface of the JSON reader (read/json/).
 *
 * Pieces, one per file:
 *   input.c   encoding (BOM, UTF-16 -> UTF-8) and block reads from a stream
 *   split.c   record boundaries of the "document" layout (arrays,
 *             concatenated pretty-printed objects) without parsing
 *   lexer.c   one record -> a flat token tree; string decoding
 *   build.c   event building: fields, flattening, typed System values
 *   shape.c   shape detection, shape names, channel name table
 *   map_*.c   one mapping per shape onto kz_event
 *   format.c  kz_format_json: open/next (calling thread), parse (pool)
 * Design and bounds: docs/internals/json.md; shapes: docs/json-shapes.md.
 *
 * Ownership: every text buffer handed to the splitter or the lexer must be
 * followed by KZ_JSON_PAD readable bytes, the first of which is NUL, so the
 * vectorised string scan needs no tail loop. Tokens point into the text
 * they were made from; decoding rewrites strings in place.
 * Threads: the lexer, builder and mappers touch only their own context, so
 * parse() may run them on any pool thread.
 */
#ifndef KZ_READ_JSON_JSON_INT_H
#define KZ_READ_JSON_JSON_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/error.h"
#include "event/event.h"
#include "read/format.h"
#include "read/json/json.h"
#include "read/read.h"
#include "read/stream.h"

#define KZ_JSON_BLOCK ((size_t)1 << 20) /* text bytes read per step */
#define KZ_JSON_PAD 64                  /* NUL bytes after a text */
#define KZ_JSON_MAX_RECORD_DEFAULT ((size_t)16 << 20)
#define KZ_JSON_MAX_RECORD_CAP ((size_t)1 << 30) /* value lengths are u32 */
#define KZ_JSON_MAX_DEPTH_DEFAULT 64u
#define KZ_JSON_MAX_DEPTH_CAP 1024u /* the builder recurses */
/* A unit ends at the first record boundary at or past KZ_JSON_BLOCK bytes,
 * or after KZ_JSON_UNIT_RECORDS records (document) or lines (JSON Lines),
 * whichever comes first: a batch holds one event per record, so bytes
 * alone would let 1 MiB of tiny records make ~130,000 events. */
#define KZ_JSON_UNIT_RECORDS ((size_t)8192)
/* JSON Lines: events of one unit at most (only lines holding several
 * records can reach it); the rest of the unit is reported and skipped. */
#define KZ_JSON_UNIT_EVENTS_MAX (4 * KZ_JSON_UNIT_RECORDS)
/* Tokens of one record at most (32 bytes each: 8 MiB of lexer state). */
#define KZ_JSON_MAX_TOKENS ((size_t)1 << 18)
/* Bytes of field names built from nested keys ("a.b.c") that one record
 * may need: NAME_FACTOR times its length plus NAME_SLACK. Each member of
 * a nested object copies its whole prefix, so without a bound one long
 * key over many members is quadratic ({"<500 KB>":{"a":1,"a":1,...}}). */
#define KZ_JSON_NAME_FACTOR ((size_t)4)
#define KZ_JSON_NAME_SLACK ((size_t)4 << 10)

/* Encodings of an input file. */
enum { KZ_JENC_UTF8 = 0, KZ_JENC_UTF16LE, KZ_JENC_UTF16BE };

/* Layouts of an input file. */
enum { KZ_JLAYOUT_LINES = 0, KZ_JLAYOUT_DOC };

/* Shapes of a record (docs/json-shapes.md). */
typedef enum kz_jshape {
    KZ_JSHAPE_NONE = 0, /* no record seen */
    KZ_JSHAPE_EVTX,     /* evtx_dump / kizuki dump: Event.System... */
    KZ_JSHAPE_BEAT,     /* Winlogbeat 7+ / Elastic Agent: winlog.* */
    KZ_JSHAPE_BEAT6,    /* Winlogbeat 6: log_name, event_data.* */
    KZ_JSHAPE_NXLOG,    /* NXLog im_msvistalog: EventTime, Hostname... */
    KZ_JSHAPE_FLAT,     /* anything else: configurable keys */
    KZ_JSHAPE_ECS,      /* event.code without winlog data: skipped */
} kz_jshape;

/* ---- input.c: encodings and reads ------------------------------------ */

typedef struct kz_jin {
    int enc;          /* KZ_JENC_* */
    uint8_t *raw;     /* UTF-16 bytes not converted yet (malloc) */
    size_t raw_len;   /* bytes at raw */
    size_t raw_cap;   /* allocated */
    bool eof;         /* the stream is exhausted */
    bool odd_tail;    /* UTF-16 input ended with an odd byte */
    uint64_t raw_off; /* input offset of raw[0] (UTF-16) */
} kz_jin;

/* Detects the encoding from the first bytes of s and appends up to one
 * block of UTF-8 text to *buf (see kz_jin_read). *bom gets the bytes of a
 * byte-order mark skipped (text starts at input offset *bom). */
kz_status kz_jin_start(kz_jin *in, kz_stream *s, uint8_t **buf, size_t *len,
                       size_t *cap, size_t *bom, kz_error *err);

/* Appends up to KZ_JSON_BLOCK bytes of UTF-8 text to *buf (grown with
 * realloc, always followed by KZ_JSON_PAD NULs); *got is 0 at the end. */
kz_status kz_jin_read(kz_jin *in, kz_stream *s, uint8_t **buf, size_t *len,
                      size_t *cap, size_t *got, kz_error *err);

/* Input bytes that the n text bytes at p came from (UTF-16: 2 per code
 * unit; UTF-8: n). */
uint64_t kz_jin_raw_bytes(int enc, const uint8_t *p, size_t n);

/* Frees the buffers. Accepts NULL. */
void kz_jin_fini(kz_jin *in);

/* Makes sure *buf holds need bytes plus KZ_JSON_PAD; KZ_ENOMEM on failure. */
kz_status kz_jbuf_reserve(uint8_t **buf, size_t *cap, size_t need);

/* ---- split.c: record boundaries of the document layout ----------------- */

typedef enum kz_jspan_kind {
    KZ_JSPAN_RECORD = 0, /* '{' ... matching '}' */
    KZ_JSPAN_BROKEN,     /* '{' ... up to a line break inside a string */
    KZ_JSPAN_GARBAGE,    /* a non-object at record level, to the line end */
    KZ_JSPAN_SKIPPED,    /* lines skipped to resynchronise after BROKEN */
} kz_jspan_kind;

typedef struct kz_jspan {
    kz_jspan_kind kind; /* what the bytes are */
    size_t start;       /* first byte (offset in the buffer) */
    size_t end;         /* one past the last byte */
    uint64_t nl;        /* line breaks before start, since the scan began */
} kz_jspan;

typedef struct kz_jsplit {
    int state;         /* scanner state (split.c) */
    uint32_t depth;    /* nesting inside the current record */
    size_t span_start; /* start of the span in progress */
    uint64_t span_nl;  /* nl at span_start */
    uint64_t nl;       /* line breaks consumed since the scan began */
    int64_t rec_col;   /* blanks before the record's '{' on its line, or
                          -1 if not at a line start (or unknown) */
    int64_t blanks;    /* resync: blanks at the start of this line */
    int64_t col0;      /* blanks before buf[0] on its line, or -1 if
                          something else precedes it there */
    uint64_t records;  /* RECORD and BROKEN spans returned */
} kz_jsplit;

/* Where a scan starts: what a scanner needs to carry on at a cut as if
 * the bytes before it were still there. A cut falls between spans, or
 * at the start of the span in progress, so the scanner there is either
 * at record level or resynchronising from the line break of a broken
 * record. */
typedef struct kz_jresume {
    int64_t col0;    /* kz_jsplit.col0 at the cut */
    int64_t rec_col; /* resync: column of the broken record's '{' */
    bool resync;     /* the scan starts resynchronising (at a '\n') */
} kz_jresume;

/* A scanner at record level with nothing scanned, at the start of a line
 * (the start of a file). */
void kz_jsplit_init(kz_jsplit *s);

/* A scanner with nothing scanned, in the state r (kz_jsplit_cut_state()).
 * Scanning from r gives the spans a scanner that had not stopped there
 * would have given. */
void kz_jsplit_resume(kz_jsplit *s, const kz_jresume *r);

/* The state to resume at buf[cut], where cut is where the last span
 * returned ended, or the start of the span in progress (s->span_start),
 * or the end of the bytes scanned when at level. */
void kz_jsplit_cut_state(const kz_jsplit *s, const char *buf, size_t cut,
                         kz_jresume *r);

/* Scans buf[*pos..len) (followed by KZ_JSON_PAD NULs) and returns true
 * with the next complete span, *pos just after it; or returns false when
 * the bytes end first (*pos = len; the state keeps the span in progress,
 * which starts at s->span_start unless kz_jsplit_at_level()). Scanning is
 * deterministic: the same bytes from the same state give the same spans,
 * which is what lets next() and parse() agree on record boundaries. */
bool kz_jsplit_next(kz_jsplit *s, const char *buf, size_t len, size_t *pos,
                    kz_jspan *span);

/* The text ends at len (what kz_jsplit_next() last scanned): returns true
 * with the span still in progress, to be reported as cut short, or false
 * if there is none. A resynchronisation ends there as it would at a '{'
 * line, so a text cut just before one gives the spans of the whole. */
bool kz_jsplit_finish(const kz_jsplit *s, size_t len, kz_jspan *span);

/* True if no span is in progress (a cut here is clean). */
bool kz_jsplit_at_level(const kz_jsplit *s);

/* Kind of the span in progress (meaningful when not at level). */
kz_jspan_kind kz_jsplit_pending_kind(const kz_jsplit *s);

/* ---- lexer.c: one record -> tokens ------------------------------------ */

typedef enum kz_jtype {
    KZ_JT_NULL = 0,
    KZ_JT_FALSE,
    KZ_JT_TRUE,
    KZ_JT_NUM,
    KZ_JT_STR,
    KZ_JT_OBJ,
    KZ_JT_ARR,
} kz_jtype;

/* String flags (kflags/vflags). Zero means "ready to use as is". */
enum {
    KZ_JS_ESC = 1,  /* holds backslash escapes */
    KZ_JS_HIGH = 2, /* holds bytes >= 0x80 (UTF-8 not checked yet) */
};

/* A token. Tokens of a record are stored in pre-order: a container's
 * children follow it; `end` is the index after its subtree. */
typedef struct kz_jnode {
    char *key;      /* member name (object members), else NULL */
    char *val;      /* STR: contents; NUM/TRUE/FALSE/NULL: text */
    uint32_t klen;  /* bytes at key */
    uint32_t vlen;  /* bytes at val; OBJ/ARR: number of children */
    uint32_t end;   /* index one past this token's subtree */
    uint8_t type;   /* kz_jtype */
    uint8_t kflags; /* KZ_JS_* of key */
    uint8_t vflags; /* KZ_JS_* of val */
    uint8_t used;   /* set by mappers: consumed, not left over */
} kz_jnode;

typedef struct kz_jlex {
    kz_jnode *nodes;    /* tokens of the last record (malloc) */
    size_t n;           /* tokens used */
    size_t cap;         /* tokens allocated */
    uint32_t *stack;    /* open containers (max_depth entries) */
    unsigned max_depth; /* nesting bound */
    size_t max_tokens;  /* bound on tokens of one record */
    size_t err_pos;     /* on failure: buffer offset of the error */
    const char *err;    /* on failure: static reason */
} kz_jlex;

/* Prepares a lexer with the nesting bound and KZ_JSON_MAX_TOKENS tokens a
 * record; KZ_ENOMEM on failure. */
kz_status kz_jlex_init(kz_jlex *lx, unsigned max_depth);

/* Frees the token arrays. Accepts NULL. */
void kz_jlex_fini(kz_jlex *lx);

/* Tokenises the value at buf[pos] (which must be '{' for a record) that
 * must end by buf[end]; buf is followed by KZ_JSON_PAD NULs. On success
 * lx->nodes[0] is the root and *stop is just past the value. Fails with
 * KZ_EFORMAT (syntax) or KZ_ELIMIT (nesting, max_tokens) and sets
 * err/err_pos, or with KZ_ENOMEM. */
kz_status kz_jlex_value(kz_jlex *lx, char *buf, size_t pos, size_t end,
                        size_t *stop);

/* Finds the first '"', '\\' or byte < 0x20 at or after p (the buffer must
 * hold one: the padding does); ORs into *high a non-zero value if a byte
 * >= 0x80 comes before it. */
const char *kz_json_str_stop(const char *p, unsigned *high);

/* Makes a string token usable: decodes escapes in place (\uD800 alone
 * becomes WTF-8) and, if the raw bytes are not valid UTF-8, rebuilds the
 * string in a (invalid bytes become U+FFFD). Clears *flags. KZ_ENOMEM on
 * failure. */
kz_status kz_json_str_decode(kz_arena *a, char **p, uint32_t *len,
                             uint8_t *flags);

/* ---- build.c: events from tokens -------------------------------------- */

typedef struct kz_jctx {
    kz_arena *arena;       /* batch arena: names, repaired strings */
    const kz_read_opts *o; /* options (names table, json keys) */
    kz_jnode *nodes;       /* tokens of the current record */
    size_t nnodes;         /* count */
    kz_event *ev;          /* event being filled */
    kz_field *fields;      /* fields of the current event (malloc) */
    size_t nfields;        /* used */
    size_t fcap;           /* allocated */
    size_t name_left;      /* bytes of built names the record may still
                              use (KZ_JSON_NAME_FACTOR); past it the
                              builder fails with KZ_ELIMIT */
} kz_jctx;

/* Key of token n, decoded (NULL-safe: a token without key gives ""). */
kz_status kz_jb_key(kz_jctx *c, kz_jnode *n, kz_str *out);

/* True if token n's (decoded) key is s[0..len). */
bool kz_jb_key_is(kz_jctx *c, kz_jnode *n, const char *s, size_t len);

/* The child of object obj whose key is key (first match), or NULL. */
kz_jnode *kz_jb_child(kz_jctx *c, kz_jnode *obj, const char *key);

/* Looks path up below object obj: the flat dotted key first, then nested
 * traversal at every dot ("winlog.event_data" finds {"winlog.event_data":
 * ..} and {"winlog": {"event_data": ..}}). NULL if absent. */
kz_jnode *kz_jb_path(kz_jctx *c, kz_jnode *obj, const char *path);

/* Decoded text of a scalar token (numbers and literals give their text). */
kz_status kz_jb_text(kz_jctx *c, kz_jnode *n, kz_str *out);

/* Appends one field named name[0..nlen) with the scalar value of n. */
kz_status kz_jb_field(kz_jctx *c, const char *name, size_t nlen, kz_jnode *n,
                      uint8_t group);

/* Appends the fields of token n under the name prefix[0..plen)
 * (docs/json-shapes.md "Data fields"): scalars as one field, arrays as one
 * field per item, objects as "prefix.key" per member, "#attributes" as
 * "prefix@attr" (xmlns skipped), "#text" as prefix itself; an empty
 * object as a null field. Tokens marked used are skipped. KZ_ELIMIT when
 * the names built exceed c->name_left (the record is to be skipped). */
kz_status kz_jb_flatten(kz_jctx *c, kz_jnode *n, const char *prefix,
                        size_t plen, uint8_t group);

/* Flattens the members of object obj with no prefix (a data root),
 * skipping its own "#attributes". */
kz_status kz_jb_flatten_members(kz_jctx *c, kz_jnode *obj, uint8_t group);

/* Collects every field stored under the logical path below obj, in both
 * the nested and the flat-dotted spelling, and marks them used:
 * {"a":{"b":{"X":1}}}, {"a.b":{"X":1}} and {"a.b.X":1} all give X. */
kz_status kz_jb_collect(kz_jctx *c, kz_jnode *obj, const char *path,
                        uint8_t group);

/* Integer value of a number or numeric string ("42", "0x1F"); negative
 * numbers give their two's complement. False if n is not one. */
bool kz_jb_u64(kz_jctx *c, kz_jnode *n, uint64_t *v);

/* Sets ev->time from an ISO 8601 string (or epoch number if allow_epoch);
 * flags KZ_EV_NO_TZ when it had no offset. False if it does not parse. */
bool kz_jb_time(kz_jctx *c, kz_jnode *n, bool allow_epoch);

/* Sets *out to the decoded string value of n (strings only; numbers too if
 * any_scalar). False if n has no usable value. */
bool kz_jb_str(kz_jctx *c, kz_jnode *n, bool any_scalar, kz_str *out);

/* Sets ev->provider_guid from n: "{XXXXXXXX-...}" upper case, braces added
 * when missing; other text is kept as is. */
bool kz_jb_guid(kz_jctx *c, kz_jnode *n);

/* Sets the event id (and qualifiers when q is not NULL) from numbers or
 * numeric strings; false if id is not one. */
bool kz_jb_event_id(kz_jctx *c, kz_jnode *id, kz_jnode *q);

/* The token after n's subtree: n's next sibling, or the end of n's parent
 * when n is the last child. Children of obj are walked with
 *   for (ch = obj + 1; ch < kz_jskip(c, obj); ch = kz_jskip(c, ch))
 * (tokens are in pre-order; scalars have no children). */
static inline kz_jnode *
kz_jskip(const kz_jctx *c, const kz_jnode *n)
{
    return c->nodes + n->end;
}

/* ---- shape.c ----------------------------------------------------------- */

/* Shape of the record whose root object is root. */
kz_jshape kz_jshape_detect(kz_jctx *c, kz_jnode *root);

/* Name of a shape ("evtx_dump"...), NULL for KZ_JSHAPE_NONE. */
const char *kz_jshape_name(kz_jshape s);

/* The canonical spelling of a well-known channel name given in any case,
 * or s itself. */
kz_str kz_jchannel_canon(kz_str s);

/* Numeric level of a level name ("Information" -> 4); -1 if unknown. */
int kz_jlevel_from_name(kz_str s);

/* Keyword bit of a standard keyword name ("Audit Success"); 0 if
 * unknown. */
uint64_t kz_jkeyword_from_name(kz_str s);

/* True if Winlogbeat's "paramN" names should stay as they are for this
 * provider (its manifest names the data param1..N). */
bool kz_jparams_are_named(kz_str provider);

/* ---- map_*.c: one record -> c->ev --------------------------------------- */

/* Each fills c->ev (already reset) and c->fields from the record whose
 * root is root; bad values are left as fields, never fail; KZ_ENOMEM,
 * or KZ_ELIMIT when the names built exceed c->name_left. */
kz_status kz_jmap_evtx(kz_jctx *c, kz_jnode *root);
kz_status kz_jmap_beat(kz_jctx *c, kz_jnode *root);
kz_status kz_jmap_beat6(kz_jctx *c, kz_jnode *root);
kz_status kz_jmap_nxlog(kz_jctx *c, kz_jnode *root);
kz_status kz_jmap_flat(kz_jctx *c, kz_jnode *root);

/* Shared by the Winlogbeat mappings: the members of the event_data object
 * at path as fields, Winlogbeat's param1..N given back the name "Data"
 * (unless the provider names its data that way). */
kz_status kz_jmap_beat_data(kz_jctx *c, kz_jnode *root, const char *path);

/* Shared by the Winlogbeat mappings: the user_data object at path, its
 * "xml_name" member becoming ev->userdata_root. */
kz_status kz_jmap_beat_userdata(kz_jctx *c, kz_jnode *root, const char *path);

/* ---- format.c: test seam --------------------------------------------- */

/* Sets the unit bounds of the file opened as file_state by
 * kz_format_json.open(): a unit ends at the first record boundary at or
 * past `bytes` text bytes, or after `records` records (lines); 0 keeps
 * the default (KZ_JSON_BLOCK, KZ_JSON_UNIT_RECORDS). For tests, which
 * need units cut at chosen places; call before the first next(). */
void kz_json_set_unit_bounds(void *file_state, size_t bytes, size_t records);

#endif /* KZ_READ_JSON_JSON_INT_H */
