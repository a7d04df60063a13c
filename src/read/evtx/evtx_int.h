/*
 * evtx_int.h - private to the EVTX reader: the parsed form of binary XML
 * and the per-chunk parse context.
 *
 * Binary XML (a template body, a directly written record, a nested BinXml
 * value) is parsed once into a flat array of nodes in pre-order; every
 * node knows where its subtree ends. Templates are parsed once per chunk
 * (cached by definition offset) and instantiated for every record with the
 * record's substitution values, without copying the tree.
 *
 * Token types (low 5 bits; 0x40 = "more follows"):
 *   0x00 EOF             0x01 open start element   0x02 close start
 *   0x03 close empty     0x04 end element          0x05 value text
 *   0x06 attribute       0x07 CDATA                0x08 char ref
 *   0x09 entity ref      0x0A PI target            0x0B PI data
 *   0x0C template inst.  0x0D normal substitution  0x0E optional subst.
 *   0x0F fragment header
 */
#ifndef KZ_READ_EVTX_EVTX_INT_H
#define KZ_READ_EVTX_EVTX_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "read/evtx/evtx.h"

enum {
    TOK_EOF = 0x00,
    TOK_OPEN_START = 0x01,
    TOK_CLOSE_START = 0x02,
    TOK_CLOSE_EMPTY = 0x03,
    TOK_END_ELEMENT = 0x04,
    TOK_VALUE = 0x05,
    TOK_ATTRIBUTE = 0x06,
    TOK_CDATA = 0x07,
    TOK_CHARREF = 0x08,
    TOK_ENTITYREF = 0x09,
    TOK_PI_TARGET = 0x0A,
    TOK_PI_DATA = 0x0B,
    TOK_TEMPLATE = 0x0C,
    TOK_SUBST = 0x0D,
    TOK_OPT_SUBST = 0x0E,
    TOK_FRAGMENT = 0x0F,
};

#define EVTX_MAX_DEPTH 48        /* element nesting + BinXml nesting */
#define EVTX_MAX_NODES 65536     /* nodes of one parsed fragment */
#define EVTX_MAX_SUBST 8192      /* substitutions of one instance */
#define EVTX_MAX_FIELDS 4096     /* fields of one event */
#define EVTX_ID_ABSENT (-2)      /* xnode.id: looked up, not in the table */
#define EVTX_MAX_BINXML_NEST 8   /* BinXml values inside BinXml values */
#define EVTX_CHUNK_BUDGET (32u << 20) /* arena bytes one chunk may use */
#define EVTX_PATH_MEMO_MAX 2048  /* memoized tree field names per chunk */

/* Codes of the element and attribute names the extractor looks for, so
 * it compares small integers instead of strings (names.c). */
#define EVTX_NAME_CODES(X)                                                  \
    X(NC_SYSTEM, "System") X(NC_EVENTDATA, "EventData")                     \
    X(NC_USERDATA, "UserData") X(NC_RENDERINGINFO, "RenderingInfo")         \
    X(NC_DATA, "Data") X(NC_NAME, "Name") X(NC_BINARY, "Binary")            \
    X(NC_PROVIDER, "Provider") X(NC_GUID, "Guid")                           \
    X(NC_EVENTSOURCENAME, "EventSourceName") X(NC_EVENTID, "EventID")       \
    X(NC_QUALIFIERS, "Qualifiers") X(NC_VERSION, "Version")                 \
    X(NC_LEVEL, "Level") X(NC_TASK, "Task") X(NC_OPCODE, "Opcode")          \
    X(NC_KEYWORDS, "Keywords") X(NC_TIMECREATED, "TimeCreated")             \
    X(NC_SYSTEMTIME, "SystemTime") X(NC_EVENTRECORDID, "EventRecordID")     \
    X(NC_CORRELATION, "Correlation") X(NC_ACTIVITYID, "ActivityID")         \
    X(NC_RELATEDACTIVITYID, "RelatedActivityID")                            \
    X(NC_EXECUTION, "Execution") X(NC_PROCESSID, "ProcessID")               \
    X(NC_THREADID, "ThreadID") X(NC_CHANNEL, "Channel")                     \
    X(NC_COMPUTER, "Computer") X(NC_SECURITY, "Security")                   \
    X(NC_USERID, "UserID")

enum {
    NC_NONE = 0,
#define NC_ENUM(c, s) c,
    EVTX_NAME_CODES(NC_ENUM)
#undef NC_ENUM
};

/* The code of a name (NC_NONE for names the extractor ignores). */
uint8_t kz_evtx_name_code(const char *name, size_t len);

typedef enum xkind {
    X_ELEM,       /* element: name; children = attributes then content */
    X_ATTR,       /* attribute: name; children = value parts */
    X_TEXT,       /* literal text, converted to UTF-8 at parse time */
    X_SUBST,      /* substitution: index, type, optional */
    X_TEMPLATE,   /* template instance inside a nested fragment */
    X_PI,         /* processing instruction (kept, not extracted) */
} xkind;

typedef struct xnode {
    uint8_t kind;            /* xkind */
    uint8_t vtype;           /* X_SUBST: declared value type */
    uint8_t optional;        /* X_SUBST: 0x0E token */
    uint8_t cdata;           /* X_TEXT: came from CDATA */
    uint8_t code;            /* X_ELEM/X_ATTR: NC_* of the name */
    uint16_t index;          /* X_SUBST: substitution index */
    uint32_t end;            /* index of the node after this subtree */
    const char *name;        /* X_ELEM/X_ATTR: UTF-8 name (NUL-terminated);
                                X_TEXT: UTF-8 text */
    uint32_t len;            /* bytes of name/text */
    int32_t id;              /* X_TEXT (the text) and X_ELEM (the element
                                name, NC_NONE elements only): interned id
                                as a field name; EVTX_ID_ABSENT once looked up
                                and not found (no lookup per record);
                                KZ_NAME_NONE when not looked up */
    const struct xtemplate *tmpl; /* X_TEMPLATE: the template */
    const uint8_t *subst;    /* X_TEMPLATE: its substitution array */
    uint32_t subst_len;      /* X_TEMPLATE: bytes available there */
} xnode;

/* A parsed fragment: a template body or a directly written element. */
typedef struct xtree {
    xnode *nodes;            /* pre-order */
    uint32_t n;              /* node count */
} xtree;

/* A template definition of the chunk, parsed once. */
typedef struct xtemplate {
    uint32_t offset;         /* definition offset in the chunk */
    uint32_t end;            /* chunk offset after the definition */
    xtree tree;              /* its body */
    bool failed;             /* parse failed: instances are bad records */
} xtemplate;

/* One substitution value of an instance. */
typedef struct xvalue {
    const uint8_t *data;     /* bytes inside the chunk */
    uint32_t len;            /* declared size */
    uint8_t type;            /* declared type */
} xvalue;

/* A memoized field name of a tree leaf or attribute (extract.c): the
 * name built at template node `node` under a path prefix of plen bytes
 * (name[0..plen) is that prefix), and its interned id. */
typedef struct xpathmemo {
    const xnode *node;       /* element or attribute node; NULL = empty */
    const char *name;        /* full field name, in the arena */
    uint32_t len;            /* bytes of name */
    uint32_t plen;           /* bytes of the path prefix in name */
    int32_t id;              /* interned id, or EVTX_ID_ABSENT */
} xpathmemo;

/* Per-chunk parse state (one per call of kz_evtx_parse_chunk). */
typedef struct xchunk {
    const uint8_t *base;     /* chunk bytes */
    size_t len;              /* chunk length */
    uint64_t file_off;       /* file offset of base[0] */
    uint64_t chunk_no;       /* index in the file */
    kz_arena *arena;         /* batch arena (nodes, names, events) */
    const kz_read_opts *o;   /* options */
    /* name cache: chunk offset -> UTF-8 name */
    uint32_t *name_off;      /* open addressing keys (0 = empty) */
    const char **name_str;   /* values */
    uint32_t *name_len;      /* lengths */
    uint8_t *name_code;      /* NC_* codes */
    size_t name_slots;       /* power of two */
    size_t name_count;       /* names cached */
    /* template cache */
    xtemplate **tmpl;        /* open addressing by offset */
    size_t tmpl_slots;       /* power of two */
    size_t tmpl_count;       /* templates cached */
    /* tree field names by (template node, path): in the arena, so only
     * nodes of cached templates (alive for the chunk) are memoized */
    xpathmemo *pmemo;        /* open addressing */
    size_t pmemo_slots;      /* power of two (0 before the first) */
    size_t pmemo_count;      /* entries (at most EVTX_PATH_MEMO_MAX) */
    /* scratch */
    xnode *nodes;            /* node stack while parsing (malloc'd) */
    size_t nodes_cap;        /* allocated nodes */
    kz_strbuf text;          /* text rendering scratch */
    kz_strbuf path;          /* field path scratch (UserData) */
    kz_field *fields;        /* fields of the event being built */
    size_t nfields;          /* used */
    size_t fields_cap;       /* allocated */
    size_t budget;           /* arena bytes (held) past which records fail:
                                bounds what hostile BinXml can expand to */
    const char *why;         /* reason of the last parse failure */
    size_t why_off;          /* chunk offset of it */
} xchunk;

/* Parses a fragment at chunk offset off (bounded by limit) into t, nodes
 * in the arena. in_template: elements carry dependency ids. depth: BinXml
 * nesting so far. Sets *end to the offset after the fragment. Returns
 * false (with c->why) on malformed input; KZ_ENOMEM via *oom. */
bool kz_evtx_parse_fragment(xchunk *c, size_t off, size_t limit,
                            bool in_template, unsigned depth, xtree *t,
                            size_t *end, bool *oom);

/* The template defined at chunk offset off (parsed and cached on first
 * use), or NULL if it is malformed (c->why says why). depth: template and
 * BinXml nesting so far (bounded by EVTX_MAX_BINXML_NEST). *oom on OOM. */
const xtemplate *kz_evtx_template(xchunk *c, size_t off, unsigned depth,
                                  bool *oom);

/* Reads a substitution array at [off, limit) into vals (up to max);
 * *count gets the number, *end the offset after the values. */
bool kz_evtx_read_subst(xchunk *c, size_t off, size_t limit, xvalue *vals,
                        size_t max, size_t *count, size_t *end);

/* Builds the event view of one record from its parsed body (a template
 * instance or a direct element). Returns false (c->why) if the record
 * content is malformed; *oom on OOM. */
bool kz_evtx_extract(xchunk *c, const xtree *body, kz_event *ev, bool *oom);

#endif /* KZ_READ_EVTX_EVTX_INT_H */
