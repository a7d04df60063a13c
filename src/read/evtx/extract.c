/*
 * extract.c - from a record's parsed binary XML and substitution values to
 * the event view (event.h): typed System fields, and data fields with lazy
 * values pointing into the chunk.
 *
 * The walk follows the XML structure: Event/System/<known elements>,
 * Event/EventData/Data[@Name], Event/UserData/<Root>/..., RenderingInfo and
 * any other section. Template instances and BinXml values met on the way
 * are walked in place, as if their XML were written there. Optional
 * substitutions whose value is Null remove their element or attribute;
 * array values repeat their element once per item.
 */
#include "read/evtx/evtx_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/rd.h"
#include "base/time.h"
#include "base/utf.h"

typedef enum ctx {
    CTX_ROOT,       /* the record's root element (Event) */
    CTX_TOP,        /* children of the record root (Event) */
    CTX_SYSTEM,     /* children of System */
    CTX_EVENTDATA,  /* children of EventData */
    CTX_USERDATA,   /* children of UserData: the first is the root */
    CTX_TREE,       /* below a section: fields named by path */
} ctx;

typedef struct walk {
    xchunk *c;              /* chunk */
    kz_event *ev;           /* event being built */
    bool oom;               /* allocation failed */
    bool failed;            /* the record is malformed (c->why says why) */
    unsigned nest;          /* template/BinXml nesting */
    size_t budget;          /* arena bytes the chunk may still take */
    bool memo;              /* the nodes walked belong to a cached template
                               (alive for the chunk): names may be memoized */
} walk;

/* The values of one template instance. */
typedef struct vals {
    const xvalue *v;        /* array */
    size_t n;               /* count */
} vals;

static bool
bad(walk *w, const char *why)
{
    if (w->c->why == NULL) {
        w->c->why = why;
        w->c->why_off = 0;
    }
    w->failed = true;
    return false;
}

static bool walk_children(walk *w, const xnode *nodes, uint32_t from,
                          uint32_t to, const vals *vs, ctx cx,
                          uint8_t group);

/* ---- values ------------------------------------------------------------ */

/* A part of element or attribute content. */
typedef struct part {
    const xnode *x;         /* X_TEXT or X_SUBST */
    xvalue v;               /* X_SUBST: its value */
} part;

#define MAX_PARTS 64

/* Collects the text/substitution children of node i (not descending into
 * child elements); returns their count, of which the first MAX_PARTS are
 * stored. *has_elems tells whether element-like children exist (elements,
 * templates, BinXml values). */
static size_t
collect_parts(const xnode *nodes, uint32_t i, const vals *vs, part *parts,
              bool *has_elems)
{
    uint32_t k = i + 1, end = nodes[i].end;
    size_t n = 0;

    *has_elems = false;
    while (k < end) {
        const xnode *x = &nodes[k];

        if (x->kind == X_ATTR) {
            k = x->end;
            continue;
        }
        if (x->kind == X_ELEM || x->kind == X_TEMPLATE) {
            *has_elems = true;
            k = x->end;
            continue;
        }
        if (x->kind == X_SUBST) {
            xvalue v = { NULL, 0, KZ_VT_NULL };

            if (x->index < vs->n)
                v = vs->v[x->index];
            if (v.type == KZ_VT_BINXML) {
                *has_elems = true;
                k = x->end;
                continue;
            }
            if (n < MAX_PARTS) {
                parts[n].x = x;
                parts[n].v = v;
            }
            n++;
        } else if (x->kind == X_TEXT) {
            if (n < MAX_PARTS)
                parts[n].x = x;
            n++;
        }
        k = x->end;
    }
    return n;
}

/* Appends the text of one part to c->text; false (w->oom or w->failed)
 * on failure. */
static bool
part_text(walk *w, const xnode *x, const xvalue *xv)
{
    xchunk *c = w->c;
    kz_render_opts ro = { c->o->ansi_codepage };
    kz_status st = KZ_OK;

    if (x->kind == X_TEXT) {
        st = kz_strbuf_add(&c->text, x->name, x->len);
    } else if (xv->type != KZ_VT_NULL) {
        kz_value v = { xv->data, xv->len, xv->type };

        st = kz_value_render(&v, &ro, &c->text);
        if (st == KZ_EFORMAT)
            st = KZ_OK; /* a value not fitting its type renders as nothing */
    }
    if (st == KZ_ELIMIT)
        return bad(w, "value text longer than 1 MiB");
    if (st != KZ_OK) {
        w->oom = true;
        return false;
    }
    return true;
}

/* Turns the content of node i (its n parts, the first MAX_PARTS of them in
 * parts) into one value. Returns false when the content is absent (an
 * optional substitution of Null) or on failure (w->oom, w->failed). */
static bool
parts_value(walk *w, const xnode *nodes, uint32_t i, const vals *vs,
            const part *parts, size_t n, kz_value *out)
{
    xchunk *c = w->c;
    size_t k;
    char *s;

    if (n == 0) {
        *out = kz_value_utf8("", 0);
        return true;
    }
    if (n == 1) {
        const part *p = &parts[0];

        if (p->x->kind == X_TEXT) {
            *out = kz_value_utf8(p->x->name, p->x->len);
            return true;
        }
        if (p->v.type == KZ_VT_NULL) {
            if (p->x->optional)
                return false;
            *out = kz_value_utf8("", 0);
            return true;
        }
        out->data = p->v.data;
        out->len = p->v.len;
        out->type = p->v.type;
        return true;
    }
    /* Mixed content: render every part, in order, into one text. */
    kz_strbuf_reset(&c->text);
    if (n <= MAX_PARTS) {
        for (k = 0; k < n; k++)
            if (!part_text(w, parts[k].x, &parts[k].v))
                return false;
    } else {
        /* More parts than the array holds: walk the nodes again. */
        for (k = i + 1; k < nodes[i].end; k = nodes[k].end) {
            const xnode *x = &nodes[k];
            xvalue v = { NULL, 0, KZ_VT_NULL };

            if (x->kind != X_TEXT && x->kind != X_SUBST)
                continue;
            if (x->kind == X_SUBST && x->index < vs->n)
                v = vs->v[x->index];
            if (v.type == KZ_VT_BINXML)
                continue;
            if (!part_text(w, x, &v))
                return false;
        }
    }
    if ((s = kz_arena_strndup(c->arena, c->text.data ? c->text.data : "",
                              c->text.len)) == NULL) {
        w->oom = true;
        return false;
    }
    *out = kz_value_utf8(s, c->text.len);
    return true;
}

/* Text of a value as a kz_str in the arena (UTF-8 values are not
 * copied). */
static bool
value_str(walk *w, const kz_value *v, kz_str *out)
{
    xchunk *c = w->c;
    kz_render_opts ro = { c->o->ansi_codepage };
    kz_value item = kz_value_item(v, 0);
    char *s;

    if (item.type == KZ_VT_UTF8) {
        out->p = (const char *)item.data;
        out->len = item.len;
        return true;
    }
    kz_strbuf_reset(&c->text);
    switch (kz_value_render(&item, &ro, &c->text)) {
    case KZ_ENOMEM:
        w->oom = true;
        return false;
    case KZ_ELIMIT:
        return bad(w, "value text longer than 1 MiB");
    default:
        break;
    }
    if ((s = kz_arena_strndup(c->arena, c->text.data ? c->text.data : "",
                              c->text.len)) == NULL) {
        w->oom = true;
        return false;
    }
    out->p = s;
    out->len = c->text.len;
    return true;
}

/* Unsigned integer of a value: integer types directly, text as decimal
 * or 0x-hex. */
static bool
value_u64(walk *w, const kz_value *v, uint64_t *out)
{
    kz_value item = kz_value_item(v, 0);
    const uint8_t *p = item.data;
    kz_str s;
    uint64_t x = 0;
    size_t i = 0, k;
    int base = 10;

    switch (item.type) {
    case KZ_VT_UINT8:
    case KZ_VT_INT8:
    case KZ_VT_UINT16:
    case KZ_VT_INT16:
    case KZ_VT_UINT32:
    case KZ_VT_INT32:
    case KZ_VT_UINT64:
    case KZ_VT_INT64:
    case KZ_VT_HEX32:
    case KZ_VT_HEX64:
    case KZ_VT_SIZET: {
        size_t size = item.len > 8 ? 8 : item.len;

        if (size == 0)
            return false;
        for (k = 0; k < size; k++)
            x |= (uint64_t)p[k] << (8 * k);
        *out = x;
        return true;
    }
    default:
        break;
    }
    if (!value_str(w, &item, &s) || s.len == 0)
        return false;
    if (s.len > 2 && s.p[0] == '0' && (s.p[1] == 'x' || s.p[1] == 'X')) {
        base = 16;
        i = 2;
    }
    for (; i < s.len; i++) {
        char ch = s.p[i];
        unsigned d;

        if (ch >= '0' && ch <= '9')
            d = (unsigned)(ch - '0');
        else if (base == 16 && ch >= 'a' && ch <= 'f')
            d = (unsigned)(ch - 'a' + 10);
        else if (base == 16 && ch >= 'A' && ch <= 'F')
            d = (unsigned)(ch - 'A' + 10);
        else
            return false;
        x = x * (uint64_t)base + d;
    }
    *out = x;
    return true;
}

static bool
value_time(walk *w, const kz_value *v, kz_time *out)
{
    kz_value item = kz_value_item(v, 0);
    kz_str s;
    bool zone;

    if (item.type == KZ_VT_FILETIME && item.len >= 8) {
        uint64_t u = kz_le64(item.data);

        if (u > (uint64_t)INT64_MAX)
            return false;
        *out = (kz_time)u;
        return true;
    }
    if (item.type == KZ_VT_SYSTIME && item.len >= 16) {
        uint16_t st[8];
        int k;

        for (k = 0; k < 8; k++)
            st[k] = kz_le16(item.data + 2 * k);
        return kz_time_from_systemtime(st, out);
    }
    if (!value_str(w, &item, &s))
        return false;
    return kz_time_parse_iso(s.p, s.len, 0, out, &zone);
}

/* ---- fields ------------------------------------------------------------ */

static bool
add_field(walk *w, const char *name, size_t len, int32_t id, uint8_t group,
          const kz_value *v)
{
    xchunk *c = w->c;
    kz_field *f;
    size_t n, i;

    n = kz_value_count(v);
    if (n == 0)
        n = 1; /* Null renders as an empty value */
    for (i = 0; i < n; i++) {
        if (c->nfields >= EVTX_MAX_FIELDS)
            return bad(w, "too many fields in one event");
        if (c->nfields == c->fields_cap) {
            size_t cap = c->fields_cap ? c->fields_cap * 2 : 64;
            kz_field *p = realloc(c->fields, cap * sizeof(*p));

            if (p == NULL) {
                w->oom = true;
                return false;
            }
            c->fields = p;
            c->fields_cap = cap;
        }
        f = &c->fields[c->nfields++];
        f->name.p = name;
        f->name.len = len;
        if (id == EVTX_ID_ABSENT)
            f->id = KZ_NAME_NONE;      /* looked up once per chunk */
        else
            f->id = id != KZ_NAME_NONE || c->o->names == NULL
                        ? id
                        : kz_names_lookup(c->o->names, name, len);
        f->group = group;
        f->value = (v->type & KZ_VT_ARRAY)
                       ? kz_value_item(v, i)
                       : *v;
    }
    return true;
}

/* Value of the attribute of element i whose name has code `acode`
 * (NC_*), or, for acode NC_NONE, whose name is aname; false if absent. */
static bool
attr_value(walk *w, const xnode *nodes, uint32_t i, const vals *vs,
           uint8_t acode, const char *aname, kz_value *out,
           const xnode **text_node)
{
    uint32_t k = i + 1, end = nodes[i].end;
    part parts[MAX_PARTS];
    bool has_elems;
    size_t n;

    while (k < end && nodes[k].kind == X_ATTR) {
        if (acode != NC_NONE ? nodes[k].code == acode
                             : strcmp(nodes[k].name, aname) == 0) {
            n = collect_parts(nodes, k, vs, parts, &has_elems);
            if (text_node != NULL)
                *text_node = n == 1 && parts[0].x->kind == X_TEXT
                                 ? parts[0].x
                                 : NULL;
            return parts_value(w, nodes, k, vs, parts, n, out);
        }
        k = nodes[k].end;
    }
    return false;
}

/* Value of element i's own content; false if absent. */
static bool
elem_value(walk *w, const xnode *nodes, uint32_t i, const vals *vs,
           kz_value *out)
{
    part parts[MAX_PARTS];
    bool has_elems;
    size_t n = collect_parts(nodes, i, vs, parts, &has_elems);

    return parts_value(w, nodes, i, vs, parts, n, out);
}

static bool
attr_str(walk *w, const xnode *nodes, uint32_t i, const vals *vs,
         uint8_t acode, kz_str *out)
{
    kz_value v;

    if (!attr_value(w, nodes, i, vs, acode, NULL, &v, NULL))
        return !w->oom;
    return value_str(w, &v, out);
}

/* ---- System ------------------------------------------------------------ */

/* The view holds GUIDs in upper case (event.h); a GUID written as text
 * may be lower case: copy it upper-cased. */
static bool
upper_guid(walk *w, kz_str *g)
{
    size_t i;
    char *s;

    for (i = 0; i < g->len; i++)
        if (g->p[i] >= 'a' && g->p[i] <= 'f')
            break;
    if (i == g->len)
        return true;
    if ((s = kz_arena_strndup(w->c->arena, g->p, g->len)) == NULL) {
        w->oom = true;
        return false;
    }
    for (i = 0; i < g->len; i++)
        if (s[i] >= 'a' && s[i] <= 'z')
            s[i] = (char)(s[i] - 32);
    g->p = s;
    return true;
}

static bool
system_elem(walk *w, const xnode *nodes, uint32_t i, const vals *vs)
{
    kz_event *ev = w->ev;
    kz_value v;
    uint64_t u;

    switch (nodes[i].code) {
    case NC_PROVIDER:
        return attr_str(w, nodes, i, vs, NC_NAME, &ev->provider) &&
               attr_str(w, nodes, i, vs, NC_GUID, &ev->provider_guid) &&
               upper_guid(w, &ev->provider_guid) &&
               attr_str(w, nodes, i, vs, NC_EVENTSOURCENAME,
                        &ev->event_source);
    case NC_TIMECREATED:
        if (attr_value(w, nodes, i, vs, NC_SYSTEMTIME, NULL, &v, NULL) &&
            !value_time(w, &v, &ev->time))
            ev->time = KZ_TIME_NONE;
        return !w->oom;
    case NC_CORRELATION:
        return attr_str(w, nodes, i, vs, NC_ACTIVITYID, &ev->activity_id) &&
               attr_str(w, nodes, i, vs, NC_RELATEDACTIVITYID,
                        &ev->related_activity);
    case NC_EXECUTION:
        ev->flags |= KZ_EV_HAS_EXECUTION;
        if (attr_value(w, nodes, i, vs, NC_PROCESSID, NULL, &v, NULL) &&
            value_u64(w, &v, &u))
            ev->process_id = (uint32_t)u;
        if (attr_value(w, nodes, i, vs, NC_THREADID, NULL, &v, NULL) &&
            value_u64(w, &v, &u))
            ev->thread_id = (uint32_t)u;
        return !w->oom;
    case NC_SECURITY:
        return attr_str(w, nodes, i, vs, NC_USERID, &ev->user_sid);
    case NC_EVENTID:
    case NC_VERSION:
    case NC_LEVEL:
    case NC_TASK:
    case NC_OPCODE:
    case NC_KEYWORDS:
    case NC_EVENTRECORDID:
    case NC_CHANNEL:
    case NC_COMPUTER:
        break;
    default:
        return true; /* other System children are not part of the view */
    }
    if (!elem_value(w, nodes, i, vs, &v))
        return !w->oom;
    switch (nodes[i].code) {
    case NC_EVENTID: {
        kz_value q;

        if (value_u64(w, &v, &u)) {
            ev->event_id = (uint32_t)u;
            ev->flags |= KZ_EV_HAS_EVENT_ID;
        }
        if (attr_value(w, nodes, i, vs, NC_QUALIFIERS, NULL, &q, NULL) &&
            value_u64(w, &q, &u)) {
            ev->qualifiers = (uint16_t)u;
            ev->flags |= KZ_EV_HAS_QUALIFIERS;
        }
        break;
    }
    case NC_VERSION:
        if (value_u64(w, &v, &u)) {
            ev->version = (uint8_t)u;
            ev->flags |= KZ_EV_HAS_VERSION;
        }
        break;
    case NC_LEVEL:
        if (value_u64(w, &v, &u)) {
            ev->level = (uint8_t)u;
            ev->flags |= KZ_EV_HAS_LEVEL;
        }
        break;
    case NC_TASK:
        if (value_u64(w, &v, &u)) {
            ev->task = (uint16_t)u;
            ev->flags |= KZ_EV_HAS_TASK;
        }
        break;
    case NC_OPCODE:
        if (value_u64(w, &v, &u)) {
            ev->opcode = (uint8_t)u;
            ev->flags |= KZ_EV_HAS_OPCODE;
        }
        break;
    case NC_KEYWORDS:
        if (value_u64(w, &v, &u)) {
            ev->keywords = u;
            ev->flags |= KZ_EV_HAS_KEYWORDS;
        }
        break;
    case NC_EVENTRECORDID:
        if (value_u64(w, &v, &u)) {
            ev->record_id = u;
            ev->flags |= KZ_EV_HAS_RECORD_ID;
        }
        break;
    case NC_CHANNEL:
        return value_str(w, &v, &ev->channel);
    case NC_COMPUTER:
        return value_str(w, &v, &ev->computer);
    default:
        break;
    }
    return !w->oom;
}

/* ---- data sections ----------------------------------------------------- */

/* Field name "<path>.<name>" (or just name at the top), in the arena. */
static bool
path_name(walk *w, const char *name, size_t len, const char **out,
          size_t *out_len)
{
    xchunk *c = w->c;
    char *s;

    if (c->path.len == 0) {
        /* name may be a caller's buffer: the field outlives it */
        if ((s = kz_arena_strndup(c->arena, name, len)) == NULL) {
            w->oom = true;
            return false;
        }
        *out = s;
        *out_len = len;
        return true;
    }
    if ((s = kz_arena_alloc(c->arena, c->path.len + 1 + len + 1)) == NULL) {
        w->oom = true;
        return false;
    }
    memcpy(s, c->path.data, c->path.len);
    if (name[0] != '@')
        s[c->path.len] = '.';
    else
        s[c->path.len] = '\0';
    memcpy(s + c->path.len + (name[0] != '@'), name, len);
    *out_len = c->path.len + (name[0] != '@') + len;
    s[*out_len] = '\0';
    *out = s;
    return true;
}

static bool
eventdata_elem(walk *w, const xnode *nodes, uint32_t i, const vals *vs,
               uint8_t group)
{
    const xnode *name_node = NULL;
    kz_value nv, v;
    kz_str name;
    bool has_elems;
    part parts[MAX_PARTS];
    size_t nparts;

    nparts = collect_parts(nodes, i, vs, parts, &has_elems);
    if (has_elems && nodes[i].code != NC_DATA) {
        /* A structured element (ComplexData...): fields by path. */
        size_t mark = w->c->path.len;
        bool ok;

        if (kz_strbuf_add(&w->c->path, nodes[i].name, nodes[i].len) != KZ_OK) {
            w->oom = true;
            return false;
        }
        ok = walk_children(w, nodes, i + 1, nodes[i].end, vs, CTX_TREE, group);
        w->c->path.len = mark;
        return ok;
    }
    if (!parts_value(w, nodes, i, vs, parts, nparts, &v))
        return !w->oom;
    if (nodes[i].code != NC_DATA)
        return add_field(w, nodes[i].name, nodes[i].len, nodes[i].id, group,
                         &v);
    if (!attr_value(w, nodes, i, vs, NC_NAME, NULL, &nv, &name_node)) {
        if (w->oom)
            return false;
        return add_field(w, "Data", 4, KZ_NAME_NONE, group, &v);
    }
    if (name_node != NULL) /* literal name: converted and interned once */
        return add_field(w, name_node->name, name_node->len, name_node->id,
                         group, &v);
    if (!value_str(w, &nv, &name))
        return false;
    return add_field(w, name.p, name.len, KZ_NAME_NONE, group, &v);
}

/* ---- memoized tree field names ---------------------------------------- */

/* Tree leaves and attributes are named by their path, which is the same
 * for every record of a template: the name and its interned id are kept
 * per (template node, path prefix), so records neither rebuild nor look up
 * the name. The prefix is compared in full: the same template node can be
 * reached under different paths (templates inside BinXml values). */

static size_t
memo_hash(const xnode *node, size_t plen)
{
    return (size_t)kz_hash_mix((uint64_t)(uintptr_t)node, plen);
}

/* The memo of node under the current path (c->path), or NULL. */
static const xpathmemo *
memo_find(const xchunk *c, const xnode *node)
{
    size_t mask, i;
    const xpathmemo *m;

    if (c->pmemo_slots == 0)
        return NULL;
    mask = c->pmemo_slots - 1;
    i = memo_hash(node, c->path.len) & mask;
    while ((m = &c->pmemo[i])->node != NULL) {
        if (m->node == node && m->plen == c->path.len &&
            memcmp(m->name, c->path.data, m->plen) == 0)
            return m;
        i = (i + 1) & mask;
    }
    return NULL;
}

static void
memo_put(xpathmemo *tab, size_t slots, const xpathmemo *e)
{
    size_t mask = slots - 1, i = memo_hash(e->node, e->plen) & mask;

    while (tab[i].node != NULL)
        i = (i + 1) & mask;
    tab[i] = *e;
}

/* Remembers name (len bytes, starting with the current path) as the field
 * name of node under the current path. Best effort: a full memo or a
 * failed allocation only means later records look the name up again. */
static void
memo_add(walk *w, const xnode *node, const char *name, size_t len,
         int32_t id)
{
    xchunk *c = w->c;
    xpathmemo e;

    if (!w->memo || c->pmemo_count >= EVTX_PATH_MEMO_MAX ||
        len > UINT32_MAX)
        return;
    if (2 * (c->pmemo_count + 1) > c->pmemo_slots) {
        size_t slots = c->pmemo_slots ? 2 * c->pmemo_slots : 64, k;
        xpathmemo *t = kz_arena_alloc(c->arena, slots * sizeof(*t));

        if (t == NULL)
            return;
        memset(t, 0, slots * sizeof(*t));
        for (k = 0; k < c->pmemo_slots; k++)
            if (c->pmemo[k].node != NULL)
                memo_put(t, slots, &c->pmemo[k]);
        c->pmemo = t;
        c->pmemo_slots = slots;
    }
    e.node = node;
    e.name = name;
    e.len = (uint32_t)len;
    e.plen = (uint32_t)c->path.len;
    e.id = id;
    memo_put(c->pmemo, c->pmemo_slots, &e);
    c->pmemo_count++;
}

/* The interned id of a field name, EVTX_ID_ABSENT if it has none. */
static int32_t
name_id(const xchunk *c, const char *name, size_t len)
{
    int32_t id = c->o->names != NULL
                     ? kz_names_lookup(c->o->names, name, len)
                     : KZ_NAME_NONE;

    return id == KZ_NAME_NONE ? EVTX_ID_ABSENT : id;
}

/* An element below UserData's root or another section: leaves become
 * fields named by their path, attributes "path@attr". */
static bool
tree_elem(walk *w, const xnode *nodes, uint32_t i, const vals *vs,
          uint8_t group)
{
    xchunk *c = w->c;
    size_t mark = c->path.len;
    uint32_t k;
    bool has_elems, ok = true;
    part parts[MAX_PARTS];
    kz_value v;
    const char *name;
    size_t len;

    if (c->path.len != 0 && kz_strbuf_addc(&c->path, '.') != KZ_OK)
        goto nomem;
    if (kz_strbuf_add(&c->path, nodes[i].name, nodes[i].len) != KZ_OK)
        goto nomem;
    /* Attributes (xmlns excluded) */
    for (k = i + 1; k < nodes[i].end && nodes[k].kind == X_ATTR;
         k = nodes[k].end) {
        char an[300];
        int an_len;
        const xpathmemo *m;
        int32_t id;

        if (strncmp(nodes[k].name, "xmlns", 5) == 0)
            continue;
        if (!attr_value(w, nodes, i, vs, NC_NONE, nodes[k].name, &v,
                        NULL)) {
            if (w->oom)
                goto nomem;
            continue;
        }
        if (w->memo && (m = memo_find(c, &nodes[k])) != NULL) {
            if (!add_field(w, m->name, m->len, m->id, group, &v))
                goto out_fail;
            continue;
        }
        an_len = snprintf(an, sizeof(an), "@%.280s", nodes[k].name);
        if (!path_name(w, an, (size_t)an_len, &name, &len))
            goto out_fail;
        id = name_id(c, name, len);
        memo_add(w, &nodes[k], name, len, id);
        if (!add_field(w, name, len, id, group, &v))
            goto out_fail;
    }
    collect_parts(nodes, i, vs, parts, &has_elems);
    if (has_elems) {
        ok = walk_children(w, nodes, i + 1, nodes[i].end, vs, CTX_TREE,
                           group);
    } else if (elem_value(w, nodes, i, vs, &v)) {
        const xpathmemo *m = w->memo ? memo_find(c, &nodes[i]) : NULL;
        int32_t id;

        if (m != NULL) {
            ok = add_field(w, m->name, m->len, m->id, group, &v);
        } else {
            if ((name = kz_arena_strndup(c->arena, c->path.data,
                                         c->path.len)) == NULL)
                goto nomem;
            id = name_id(c, name, c->path.len);
            memo_add(w, &nodes[i], name, c->path.len, id);
            ok = add_field(w, name, c->path.len, id, group, &v);
        }
    } else if (w->oom) {
        goto nomem;
    }
    c->path.len = mark;
    return ok;
nomem:
    w->oom = true;
out_fail:
    c->path.len = mark;
    return false;
}

static bool
section(walk *w, const xnode *nodes, uint32_t i, const vals *vs)
{
    xchunk *c = w->c;
    uint8_t code = nodes[i].code;
    size_t mark = c->path.len;
    bool ok;

    if (code == NC_SYSTEM)
        return walk_children(w, nodes, i + 1, nodes[i].end, vs, CTX_SYSTEM,
                             0);
    if (code == NC_EVENTDATA)
        return walk_children(w, nodes, i + 1, nodes[i].end, vs,
                             CTX_EVENTDATA, KZ_FG_EVENTDATA);
    if (code == NC_USERDATA) {
        w->ev->flags |= KZ_EV_USERDATA;
        return walk_children(w, nodes, i + 1, nodes[i].end, vs, CTX_USERDATA,
                             KZ_FG_USERDATA);
    }
    /* RenderingInfo, ProcessingErrorData, DebugData, ...: by path. */
    c->path.len = 0;
    ok = tree_elem(w, nodes, i, vs,
                   code == NC_RENDERINGINFO ? KZ_FG_RENDERING : KZ_FG_EXTRA);
    c->path.len = mark;
    return ok;
}

static bool
element(walk *w, const xnode *nodes, uint32_t i, const vals *vs, ctx cx,
        uint8_t group)
{
    xchunk *c = w->c;
    size_t mark;
    bool ok;

    switch (cx) {
    case CTX_ROOT:
        return walk_children(w, nodes, i + 1, nodes[i].end, vs, CTX_TOP, 0);
    case CTX_TOP:
        return section(w, nodes, i, vs);
    case CTX_SYSTEM:
        return system_elem(w, nodes, i, vs);
    case CTX_EVENTDATA:
        return eventdata_elem(w, nodes, i, vs, group);
    case CTX_USERDATA:
        if (w->ev->userdata_root.len == 0) {
            w->ev->userdata_root.p = nodes[i].name;
            w->ev->userdata_root.len = nodes[i].len;
        }
        /* Fields below the root are named from the root's children. */
        mark = c->path.len;
        c->path.len = 0;
        ok = walk_children(w, nodes, i + 1, nodes[i].end, vs, CTX_TREE,
                           group);
        c->path.len = mark;
        return ok;
    case CTX_TREE:
        return tree_elem(w, nodes, i, vs, group);
    }
    return true;
}

/* Walks a template instance node: its values, then its body. */
static bool
instance(walk *w, const xnode *x, ctx cx, uint8_t group)
{
    xchunk *c = w->c;
    const xtemplate *t = x->tmpl;
    xvalue *v;
    size_t n, end, off = (size_t)(x->subst - c->base);
    vals vs;
    bool ok, memo;

    if (w->nest++ > EVTX_MAX_BINXML_NEST)
        return bad(w, "templates nested too deeply");
    if (c->arena->held > w->budget)
        return bad(w, "record expands past the chunk's memory budget");
    /* The count was checked when the instance was parsed. */
    n = x->subst_len >= 4 ? kz_le32(x->subst) : 0;
    if ((v = kz_arena_alloc(c->arena, (n ? n : 1) * sizeof(*v))) == NULL) {
        w->oom = true;
        return false;
    }
    if (!kz_evtx_read_subst(c, off, off + x->subst_len, v, n, &n, &end))
        return false;
    vs.v = v;
    vs.n = n;
    memo = w->memo;
    w->memo = true; /* the template's nodes live as long as the chunk */
    ok = walk_children(w, t->tree.nodes, 0, t->tree.n, &vs, cx, group);
    w->memo = memo;
    w->nest--;
    return ok;
}

/* Walks a BinXml substitution value: a nested fragment in the chunk. */
static bool
binxml_value(walk *w, const xvalue *v, ctx cx, uint8_t group)
{
    xchunk *c = w->c;
    size_t off = (size_t)(v->data - c->base), end;
    xtree t;
    vals none = { NULL, 0 };
    bool ok, memo = w->memo;

    if (v->len == 0)
        return true;
    if (w->nest++ > EVTX_MAX_BINXML_NEST)
        return bad(w, "BinXml values nested too deeply");
    if (c->arena->held > w->budget)
        return bad(w, "record expands past the chunk's memory budget");
    w->memo = false; /* this fragment is parsed for this record only */
    ok = kz_evtx_parse_fragment(c, off, off + v->len, false, w->nest, &t,
                                &end, &w->oom) &&
         walk_children(w, t.nodes, 0, t.n, &none, cx, group);
    w->memo = memo;
    w->nest--;
    return ok;
}

static bool
walk_children(walk *w, const xnode *nodes, uint32_t from, uint32_t to,
              const vals *vs, ctx cx, uint8_t group)
{
    uint32_t k = from;

    while (k < to) {
        const xnode *x = &nodes[k];

        switch (x->kind) {
        case X_ELEM:
            if (!element(w, nodes, k, vs, cx, group))
                return false;
            break;
        case X_TEMPLATE:
            if (!instance(w, x, cx, group))
                return false;
            break;
        case X_SUBST:
            if (x->index < vs->n && vs->v[x->index].type == KZ_VT_BINXML &&
                !binxml_value(w, &vs->v[x->index], cx, group))
                return false;
            break;
        default:
            break;
        }
        k = x->end;
    }
    return true;
}

bool
kz_evtx_extract(xchunk *c, const xtree *body, kz_event *ev, bool *oom)
{
    walk w;
    vals none = { NULL, 0 };
    bool ok;

    memset(&w, 0, sizeof(w));
    w.c = c;
    w.ev = ev;
    w.budget = c->budget;
    c->nfields = 0;
    kz_strbuf_reset(&c->path);
    c->path.len = 0;
    /* The root: a template instance or a direct element; its children are
     * the sections (System, EventData, ...). */
    ok = walk_children(&w, body->nodes, 0, body->n, &none, CTX_ROOT, 0);
    if (ok && c->nfields != 0) {
        kz_field *f = kz_arena_alloc(c->arena, c->nfields * sizeof(*f));

        if (f == NULL) {
            w.oom = true;
            ok = false;
        } else {
            memcpy(f, c->fields, c->nfields * sizeof(*f));
            ev->fields = f;
            ev->nfields = c->nfields;
        }
    }
    if (w.oom)
        *oom = true;
    return ok && !w.oom && !w.failed;
}
