/*
 * dump_json.c - the evtx_dump-like JSON form of an event.
 *
 * The System header is written from the typed fields. Data fields are a
 * flat list in the event view; to give them back their XML shape they are
 * first grouped into a small tree (per event, in a local arena): equal
 * names merge (repeated names become arrays), "a.b" nests, "a@x" becomes
 * a's "#attributes". A hash keyed by (parent, name) keeps this linear in
 * the number of fields, since field names and counts come from the log.
 */
#include "write/dump_json.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "base/hash.h"
#include "base/time.h"
#include "write/escape.h"

/* A value of a tree node, in order. */
typedef struct vref {
    const kz_value *v;      /* the value */
    struct vref *next;      /* next value of the same node */
} vref;

/* An element or attribute of the rebuilt tree. */
typedef struct tnode {
    const char *name;       /* name bytes (not NUL-terminated) */
    size_t len;             /* their count */
    const struct tnode *parent; /* for the hash key */
    bool is_attr;           /* an attribute (goes to "#attributes") */
    bool force_array;       /* values always as an array (unnamed Data) */
    struct tnode *kids;     /* child elements, first-seen order */
    struct tnode *kids_last; /* last child element */
    struct tnode *attrs;    /* attributes, first-seen order */
    struct tnode *attrs_last; /* last attribute */
    struct tnode *next;     /* next sibling */
    vref *vals;             /* values (text) */
    vref *vals_last;        /* last value */
    size_t nvals;           /* value count */
} tnode;

/* Per-call state. */
typedef struct dumper {
    kz_strbuf *out;         /* output */
    kz_strbuf tmp;          /* scratch for one rendered value */
    const kz_render_opts *o; /* rendering options */
    kz_arena arena;         /* tree nodes and the hash */
    tnode **hash;           /* (parent, attr, name) -> node */
    size_t hmask;           /* hash size - 1 */
    bool oom;               /* an allocation failed */
} dumper;

/* --- output helpers ---------------------------------------------------- */

static kz_status
put(dumper *d, const char *s)
{
    return kz_strbuf_adds(d->out, s);
}

static kz_status
put_str(dumper *d, const char *s, size_t n)
{
    return kz_json_string(d->out, s, n);
}

/* "name": */
static kz_status
put_key(dumper *d, const char *s, size_t n)
{
    kz_status st;

    if ((st = put_str(d, s, n)) != KZ_OK)
        return st;
    return kz_strbuf_addc(d->out, ':');
}

static kz_status
put_u64(dumper *d, uint64_t v)
{
    return kz_strbuf_add_u64(d->out, v);
}

/* True if s[0..n) is a JSON number (RFC 8259 grammar). */
static bool
json_number(const char *s, size_t n)
{
    size_t i = 0, k;

    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0')
        i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9')
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    else
        return false;
    if (i < n && s[i] == '.') {
        for (k = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            ;
        if (i == k)
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        for (k = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            ;
        if (i == k)
            return false;
    }
    return i == n;
}

/* Writes one scalar value: a number or boolean bare when the value is
 * one, text as a JSON string, Null as null; bytes that do not fit their
 * type as a string of their upper-case hex. */
static kz_status
put_scalar(dumper *d, const kz_value *v)
{
    static const char hex[] = "0123456789ABCDEF";
    kz_status st;
    size_t i;

    if (v->type == KZ_VT_NULL)
        return put(d, "null");
    /* Fast paths for the common types; same text as the general path. */
    if (v->type == KZ_VT_STRING) {
        size_t units = v->len / 2;

        while (units > 0 && v->data[2 * units - 2] == 0 &&
               v->data[2 * units - 1] == 0)
            units--;
        return kz_json_string_utf16(d->out, v->data, units);
    }
    if (v->type == KZ_VT_UTF8)
        return put_str(d, (const char *)v->data, v->len);
    if (v->type >= KZ_VT_INT8 && v->type <= KZ_VT_UINT64) {
        int64_t x;

        if (kz_value_int(v, &x))
            return kz_strbuf_add_i64(d->out, x);
    }
    kz_strbuf_reset(&d->tmp);
    st = kz_value_render(v, d->o, &d->tmp);
    if (st == KZ_ENOMEM || st == KZ_ELIMIT)
        return st;
    if (st != KZ_OK) {
        kz_strbuf_reset(&d->tmp);
        for (i = 0; i < v->len; i++) {
            if ((st = kz_strbuf_addc(&d->tmp, hex[v->data[i] >> 4])) !=
                    KZ_OK ||
                (st = kz_strbuf_addc(&d->tmp, hex[v->data[i] & 15])) !=
                    KZ_OK)
                return st;
        }
        return put_str(d, d->tmp.data ? d->tmp.data : "", d->tmp.len);
    }
    if (d->tmp.len > 0 && kz_value_is_json_scalar(v)) {
        if (v->type == KZ_VT_JSON_BOOL
                ? (d->tmp.len == 4 && memcmp(d->tmp.data, "true", 4) == 0) ||
                      (d->tmp.len == 5 &&
                       memcmp(d->tmp.data, "false", 5) == 0)
                : json_number(d->tmp.data, d->tmp.len))
            return kz_strbuf_add(d->out, d->tmp.data, d->tmp.len);
    }
    return put_str(d, d->tmp.data ? d->tmp.data : "", d->tmp.len);
}

/* Writes a value: an EVTX array type as a JSON array of its items. */
static kz_status
put_value(dumper *d, const kz_value *v)
{
    kz_value item;
    size_t i, n;
    kz_status st;

    if (!(v->type & KZ_VT_ARRAY) || (v->type & 0x7f) >= KZ_VT_UTF8)
        return put_scalar(d, v);
    n = kz_value_count(v);
    if ((st = kz_strbuf_addc(d->out, '[')) != KZ_OK)
        return st;
    for (i = 0; i < n; i++) {
        item = kz_value_item(v, i);
        if ((i > 0 && (st = kz_strbuf_addc(d->out, ',')) != KZ_OK) ||
            (st = put_scalar(d, &item)) != KZ_OK)
            return st;
    }
    return kz_strbuf_addc(d->out, ']');
}

/* --- System ------------------------------------------------------------ */

static bool
has(const kz_str *s)
{
    return s->len > 0 && s->p != NULL;
}

/* ,"key":"value" if value is present; *first tracks the comma. */
static kz_status
put_attr(dumper *d, bool *first, const char *key, const kz_str *s)
{
    kz_status st;

    if (!has(s))
        return KZ_OK;
    if (!*first && (st = kz_strbuf_addc(d->out, ',')) != KZ_OK)
        return st;
    *first = false;
    if ((st = put_key(d, key, strlen(key))) != KZ_OK)
        return st;
    return put_str(d, s->p, s->len);
}

/* Writes "," unless first, then the key text; clears *first. */
static kz_status
key(dumper *d, bool *first, const char *text)
{
    kz_status st;

    if (!*first && (st = put(d, ",")) != KZ_OK)
        return st;
    *first = false;
    return put(d, text);
}

static kz_status
put_system(dumper *d, const kz_event *ev)
{
    kz_status st;
    bool first;

    if ((st = put(d, "\"System\":{")) != KZ_OK)
        return st;
    first = true;
    if (has(&ev->provider) || has(&ev->provider_guid) ||
        has(&ev->event_source)) {
        bool f2 = true;

        if ((st = put(d, "\"Provider\":{\"#attributes\":{")) != KZ_OK ||
            (st = put_attr(d, &f2, "Name", &ev->provider)) != KZ_OK ||
            (st = put_attr(d, &f2, "Guid", &ev->provider_guid)) != KZ_OK ||
            (st = put_attr(d, &f2, "EventSourceName", &ev->event_source)) !=
                KZ_OK ||
            (st = put(d, "}}")) != KZ_OK)
            return st;
        first = false;
    }
    if (ev->flags & KZ_EV_HAS_EVENT_ID) {
        if ((st = put(d, first ? "\"EventID\":" : ",\"EventID\":")) != KZ_OK)
            return st;
        first = false;
        if (ev->flags & KZ_EV_HAS_QUALIFIERS) {
            if ((st = put(d, "{\"#attributes\":{\"Qualifiers\":")) != KZ_OK ||
                (st = put_u64(d, ev->qualifiers)) != KZ_OK ||
                (st = put(d, "},\"#text\":")) != KZ_OK ||
                (st = put_u64(d, ev->event_id)) != KZ_OK ||
                (st = put(d, "}")) != KZ_OK)
                return st;
        } else if ((st = put_u64(d, ev->event_id)) != KZ_OK) {
            return st;
        }
    }
    /* The numbered System fields, each only when the log had it. */
    {
        static const struct {
            uint32_t flag;      /* KZ_EV_HAS_* */
            const char *key;    /* JSON key with separator */
        } nums[] = {
            { KZ_EV_HAS_VERSION, ",\"Version\":" },
            { KZ_EV_HAS_LEVEL, ",\"Level\":" },
            { KZ_EV_HAS_TASK, ",\"Task\":" },
            { KZ_EV_HAS_OPCODE, ",\"Opcode\":" },
        };
        const uint64_t vals[] = { ev->version, ev->level, ev->task,
                                  ev->opcode };
        size_t i;

        for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
            if (!(ev->flags & nums[i].flag))
                continue;
            if ((st = put(d, nums[i].key + (first ? 1 : 0))) != KZ_OK ||
                (st = put_u64(d, vals[i])) != KZ_OK)
                return st;
            first = false;
        }
    }
    if (ev->flags & KZ_EV_HAS_KEYWORDS) {
        static const char hexlo[] = "0123456789abcdef";
        char tmp[20];
        size_t i = sizeof(tmp);
        uint64_t k = ev->keywords;

        do {
            tmp[--i] = hexlo[k & 15];
            k >>= 4;
        } while (k != 0);
        if ((st = put(d, first ? "\"Keywords\":\"0x" : ",\"Keywords\":\"0x")) !=
                KZ_OK ||
            (st = kz_strbuf_add(d->out, tmp + i, sizeof(tmp) - i)) != KZ_OK ||
            (st = put(d, "\"")) != KZ_OK)
            return st;
        first = false;
    }
    if (ev->time != KZ_TIME_NONE &&
        ((st = key(d, &first, "\"TimeCreated\":{\"#attributes\":{\"SystemTime\":"
                      "\"")) != KZ_OK ||
         (st = kz_time_format_xml(d->out, ev->time)) != KZ_OK ||
         (st = put(d, "\"}}")) != KZ_OK))
        return st;
    if ((ev->flags & KZ_EV_HAS_RECORD_ID) &&
        ((st = key(d, &first, "\"EventRecordID\":")) != KZ_OK ||
         (st = put_u64(d, ev->record_id)) != KZ_OK))
        return st;
    if ((st = key(d, &first, "\"Correlation\":")) != KZ_OK)
        return st;
    if (has(&ev->activity_id) || has(&ev->related_activity)) {
        first = true;
        if ((st = put(d, "{\"#attributes\":{")) != KZ_OK ||
            (st = put_attr(d, &first, "ActivityID", &ev->activity_id)) !=
                KZ_OK ||
            (st = put_attr(d, &first, "RelatedActivityID",
                           &ev->related_activity)) != KZ_OK ||
            (st = put(d, "}}")) != KZ_OK)
            return st;
    } else if ((st = put(d, "null")) != KZ_OK) {
        return st;
    }
    if ((ev->flags & KZ_EV_HAS_EXECUTION) &&
        ((st = key(d, &first, "\"Execution\":{\"#attributes\":{\"ProcessID\":")) !=
             KZ_OK ||
         (st = put_u64(d, ev->process_id)) != KZ_OK ||
         (st = key(d, &first, "\"ThreadID\":")) != KZ_OK ||
         (st = put_u64(d, ev->thread_id)) != KZ_OK ||
         (st = put(d, "}}")) != KZ_OK))
        return st;
    if (has(&ev->channel) &&
        ((st = key(d, &first, "\"Channel\":")) != KZ_OK ||
         (st = put_str(d, ev->channel.p, ev->channel.len)) != KZ_OK))
        return st;
    if (has(&ev->computer) &&
        ((st = key(d, &first, "\"Computer\":")) != KZ_OK ||
         (st = put_str(d, ev->computer.p, ev->computer.len)) != KZ_OK))
        return st;
    if ((st = key(d, &first, "\"Security\":")) != KZ_OK)
        return st;
    if (has(&ev->user_sid)) {
        if ((st = put(d, "{\"#attributes\":{\"UserID\":")) != KZ_OK ||
            (st = put_str(d, ev->user_sid.p, ev->user_sid.len)) != KZ_OK ||
            (st = put(d, "}}")) != KZ_OK)
            return st;
    } else if ((st = put(d, "null")) != KZ_OK) {
        return st;
    }
    return put(d, "}");
}

/* --- the data tree ----------------------------------------------------- */

static tnode *
new_node(dumper *d, tnode *parent, bool is_attr, const char *name,
         size_t len)
{
    tnode *n = kz_arena_alloc(&d->arena, sizeof(*n));

    if (n == NULL) {
        d->oom = true;
        return NULL;
    }
    memset(n, 0, sizeof(*n));
    n->name = name;
    n->len = len;
    n->parent = parent;
    n->is_attr = is_attr;
    if (is_attr) {
        if (parent->attrs_last != NULL)
            parent->attrs_last->next = n;
        else
            parent->attrs = n;
        parent->attrs_last = n;
    } else {
        if (parent->kids_last != NULL)
            parent->kids_last->next = n;
        else
            parent->kids = n;
        parent->kids_last = n;
    }
    return n;
}

/* The child (or attribute) of parent named name, created if absent. */
static tnode *
child(dumper *d, tnode *parent, bool is_attr, const char *name, size_t len)
{
    uint64_t h = kz_hash_mix(kz_hash(name, len),
                             (uint64_t)(uintptr_t)parent * 2 + is_attr);
    size_t i = (size_t)h & d->hmask;
    tnode *n;

    while ((n = d->hash[i]) != NULL) {
        if (n->parent == parent && n->is_attr == is_attr && n->len == len &&
            memcmp(n->name, name, len) == 0)
            return n;
        i = (i + 1) & d->hmask;
    }
    if ((n = new_node(d, parent, is_attr, name, len)) != NULL)
        d->hash[i] = n;
    return n;
}

static void
add_val(dumper *d, tnode *n, const kz_value *v)
{
    vref *r = kz_arena_alloc(&d->arena, sizeof(*r));

    if (r == NULL) {
        d->oom = true;
        return;
    }
    r->v = v;
    r->next = NULL;
    if (n->vals_last != NULL)
        n->vals_last->next = r;
    else
        n->vals = r;
    n->vals_last = r;
    n->nvals++;
}

/* Adds field f below root: with split, "a.b" nests and "a@x" is an
 * attribute of a; without, the name is taken whole. */
static void
add_field(dumper *d, tnode *root, const kz_field *f, bool split)
{
    const char *s = f->name.p != NULL ? f->name.p : "";
    size_t n = f->name.len, i, start = 0;
    tnode *cur = root;

    if (split) {
        for (i = 0; i < n && cur != NULL; i++) {
            if (s[i] != '.' && s[i] != '@')
                continue;
            if (i > start)
                cur = child(d, cur, false, s + start, i - start);
            start = i + 1;
            if (s[i] == '@') {
                /* The rest is an attribute name (it may hold dots). */
                if (cur != NULL)
                    cur = child(d, cur, true, s + start, n - start);
                if (cur != NULL)
                    add_val(d, cur, &f->value);
                return;
            }
        }
    }
    if (cur != NULL)
        cur = child(d, cur, false, s + start, n - start);
    if (cur != NULL)
        add_val(d, cur, &f->value);
}

static kz_status put_node_body(dumper *d, const tnode *n);

/* Writes the values of n: one bare, several (or forced) as an array. */
static kz_status
put_vals(dumper *d, const tnode *n)
{
    const vref *r;
    kz_status st;

    if (n->nvals == 1 && !n->force_array)
        return put_value(d, n->vals->v);
    if ((st = kz_strbuf_addc(d->out, '[')) != KZ_OK)
        return st;
    for (r = n->vals; r != NULL; r = r->next)
        if ((r != n->vals && (st = kz_strbuf_addc(d->out, ',')) != KZ_OK) ||
            (st = put_value(d, r->v)) != KZ_OK)
            return st;
    return kz_strbuf_addc(d->out, ']');
}

/* Writes the members of an object for the children and attributes of n
 * (no braces). */
static kz_status
put_members(dumper *d, const tnode *n)
{
    const tnode *k;
    bool first = true;
    kz_status st;

    if (n->attrs != NULL) {
        if ((st = put(d, "\"#attributes\":{")) != KZ_OK)
            return st;
        for (k = n->attrs; k != NULL; k = k->next)
            if ((k != n->attrs &&
                 (st = kz_strbuf_addc(d->out, ',')) != KZ_OK) ||
                (st = put_key(d, k->name, k->len)) != KZ_OK ||
                (st = put_vals(d, k)) != KZ_OK)
                return st;
        if ((st = kz_strbuf_addc(d->out, '}')) != KZ_OK)
            return st;
        first = false;
    }
    for (k = n->kids; k != NULL; k = k->next) {
        if ((!first && (st = kz_strbuf_addc(d->out, ',')) != KZ_OK) ||
            (st = put_key(d, k->name, k->len)) != KZ_OK ||
            (st = put_node_body(d, k)) != KZ_OK)
            return st;
        first = false;
    }
    if (n->nvals > 0 && (n->kids != NULL || n->attrs != NULL)) {
        if ((st = put(d, ",\"#text\":")) != KZ_OK ||
            (st = put_vals(d, n)) != KZ_OK)
            return st;
    }
    return KZ_OK;
}

/* Writes the value of a key for node n: its value(s) for a leaf, an
 * object otherwise, null when it has nothing. */
static kz_status
put_node_body(dumper *d, const tnode *n)
{
    kz_status st;

    if (n->kids == NULL && n->attrs == NULL)
        return n->nvals > 0 ? put_vals(d, n) : put(d, "null");
    if ((st = kz_strbuf_addc(d->out, '{')) != KZ_OK ||
        (st = put_members(d, n)) != KZ_OK)
        return st;
    return kz_strbuf_addc(d->out, '}');
}

/* Top-level keys that other Event members must not collide with. */
static bool
reserved_top(const char *s, size_t n)
{
    static const char *const names[] = { "System", "EventData", "UserData",
                                         "#attributes" };
    size_t i, k;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        k = strlen(names[i]);
        if (n >= k && memcmp(s, names[i], k) == 0 &&
            (n == k || s[k] == '.' || s[k] == '@'))
            return true;
    }
    return false;
}

/* True if the event's data is EventData only, with distinct names and no
 * unnamed Data: then it is written field by field, with no tree. */
static bool
flat_eventdata(const kz_event *ev)
{
    size_t i, k;

    if (ev->nfields > 64 || has(&ev->userdata_root) ||
        (ev->flags & KZ_EV_USERDATA))
        return false;
    for (i = 0; i < ev->nfields; i++) {
        const kz_str *a = &ev->fields[i].name;

        if (ev->fields[i].group != KZ_FG_EVENTDATA ||
            (a->len == 4 && memcmp(a->p, "Data", 4) == 0))
            return false;
        for (k = 0; k < i; k++) {
            const kz_str *b = &ev->fields[k].name;

            if (a->len == b->len && (a->p == b->p ||
                                     memcmp(a->p, b->p, a->len) == 0))
                return false;
        }
    }
    return true;
}

/* Writes ,"EventData":{...} of an event flat_eventdata() accepted. */
static kz_status
put_flat_eventdata(dumper *d, const kz_event *ev)
{
    size_t i;
    kz_status st;

    if (ev->nfields == 0)
        return KZ_OK;
    if ((st = put(d, ",\"EventData\":{")) != KZ_OK)
        return st;
    for (i = 0; i < ev->nfields; i++) {
        const kz_field *f = &ev->fields[i];

        if ((i > 0 && (st = kz_strbuf_addc(d->out, ',')) != KZ_OK) ||
            (st = put_str(d, f->name.p != NULL ? f->name.p : "",
                          f->name.len)) != KZ_OK ||
            (st = kz_strbuf_addc(d->out, ':')) != KZ_OK ||
            (st = put_value(d, &f->value)) != KZ_OK)
            return st;
    }
    return kz_strbuf_addc(d->out, '}');
}

static kz_status
put_data(dumper *d, const kz_event *ev)
{
    tnode ed, ud, top, extra, *root = NULL, *dn;
    size_t i, parts = 16, cap;
    kz_status st;
    const kz_field *f;

    if (flat_eventdata(ev))
        return put_flat_eventdata(d, ev);
    memset(&ed, 0, sizeof(ed));
    memset(&ud, 0, sizeof(ud));
    memset(&top, 0, sizeof(top));
    memset(&extra, 0, sizeof(extra));
    for (i = 0; i < ev->nfields; i++) {
        const kz_str *nm = &ev->fields[i].name;
        size_t k;

        parts += 2;
        for (k = 0; k < nm->len; k++)
            parts += nm->p[k] == '.' || nm->p[k] == '@';
    }
    for (cap = 64; cap < 2 * parts; cap *= 2)
        ;
    if (cap > SIZE_MAX / sizeof(*d->hash) ||
        (d->hash = kz_arena_alloc(&d->arena, cap * sizeof(*d->hash))) ==
            NULL)
        return KZ_ENOMEM;
    memset(d->hash, 0, cap * sizeof(*d->hash));
    d->hmask = cap - 1;
    if (has(&ev->userdata_root))
        root = child(d, &ud, false, ev->userdata_root.p,
                     ev->userdata_root.len);
    else
        root = &ud;
    extra.name = "Extra";
    extra.len = 5;
    for (i = 0; i < ev->nfields && !d->oom; i++) {
        f = &ev->fields[i];
        switch (f->group) {
        case KZ_FG_EVENTDATA:
            add_field(d, &ed, f, false);
            break;
        case KZ_FG_USERDATA:
            if (root != NULL)
                add_field(d, root, f, true);
            break;
        default:
            add_field(d, reserved_top(f->name.p, f->name.len) ? &extra
                                                              : &top,
                      f, true);
            break;
        }
    }
    if (d->oom)
        return KZ_ENOMEM;
    /* Unnamed <Data> elements are positional: always an array. */
    for (dn = ed.kids; dn != NULL; dn = dn->next)
        if (dn->len == 4 && memcmp(dn->name, "Data", 4) == 0)
            dn->force_array = true;
    if (ed.kids != NULL &&
        ((st = put(d, ",\"EventData\":{")) != KZ_OK ||
         (st = put_members(d, &ed)) != KZ_OK ||
         (st = kz_strbuf_addc(d->out, '}')) != KZ_OK))
        return st;
    if ((ud.kids != NULL || (ev->flags & KZ_EV_USERDATA)) &&
        ((st = put(d, ",\"UserData\":")) != KZ_OK ||
         (st = put_node_body(d, &ud)) != KZ_OK))
        return st;
    if (top.kids != NULL &&
        ((st = kz_strbuf_addc(d->out, ',')) != KZ_OK ||
         (st = put_members(d, &top)) != KZ_OK))
        return st;
    if (extra.kids != NULL &&
        ((st = put(d, ",\"Extra\":")) != KZ_OK ||
         (st = put_node_body(d, &extra)) != KZ_OK))
        return st;
    return KZ_OK;
}

kz_status
kz_dump_event(kz_strbuf *out, const kz_event *ev, const kz_render_opts *o)
{
    static const kz_render_opts defaults = { 1252 };
    size_t mark = out->len;
    dumper d;
    kz_status st;

    memset(&d, 0, sizeof(d));
    d.out = out;
    d.o = o != NULL ? o : &defaults;
    kz_strbuf_init(&d.tmp, out->max);
    kz_arena_init(&d.arena, 8192, 0);
    if ((st = put(&d, "{\"Event\":{")) != KZ_OK ||
        (st = put_system(&d, ev)) != KZ_OK ||
        (st = put_data(&d, ev)) != KZ_OK ||
        (st = put(&d, "}")) != KZ_OK)
        goto out;
    if ((ev->flags & KZ_EV_RECOVERED) &&
        (st = put(&d, ",\"kizuki\":{\"recovered\":true}")) != KZ_OK)
        goto out;
    st = put(&d, "}\n");
out:
    if (st != KZ_OK) {
        out->len = mark;
        if (out->data != NULL)
            out->data[mark] = '\0';
    }
    kz_strbuf_fini(&d.tmp);
    kz_arena_fini(&d.arena);
    return st;
}
