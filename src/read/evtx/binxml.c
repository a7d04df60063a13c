/*
 * binxml.c - binary XML tokens to node trees; the chunk's name and
 * template caches.
 *
 * Offsets inside binary XML are chunk-relative. A name or template whose
 * offset equals the current position is stored inline and skipped; any
 * other offset refers back into the chunk. Everything is bounds-checked
 * against the chunk and the enclosing size, and recursion is bounded.
 */
#include "read/evtx/evtx_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/rd.h"
#include "base/utf.h"

static bool
fail(xchunk *c, size_t off, const char *why)
{
    if (c->why == NULL) {
        c->why = why;
        c->why_off = off;
    }
    return false;
}

/* ---- names ------------------------------------------------------------ */

static bool
name_cache_grow(xchunk *c)
{
    size_t slots = c->name_slots ? c->name_slots * 2 : 256, i, j;
    uint32_t *off = calloc(slots, sizeof(*off)), *len = calloc(slots, 4);
    const char **str = calloc(slots, sizeof(*str));
    uint8_t *code = calloc(slots, 1);

    if (off == NULL || len == NULL || str == NULL || code == NULL) {
        free(off);
        free(len);
        free(str);
        free(code);
        return false;
    }
    for (i = 0; i < c->name_slots; i++) {
        if (c->name_off[i] == 0)
            continue;
        j = (c->name_off[i] * 2654435761u) & (slots - 1);
        while (off[j] != 0)
            j = (j + 1) & (slots - 1);
        off[j] = c->name_off[i];
        str[j] = c->name_str[i];
        len[j] = c->name_len[i];
        code[j] = c->name_code[i];
    }
    free(c->name_off);
    free(c->name_str);
    free(c->name_len);
    free(c->name_code);
    c->name_off = off;
    c->name_str = str;
    c->name_len = len;
    c->name_code = code;
    c->name_slots = slots;
    return true;
}

/* The UTF-8 name stored at chunk offset off. */
static bool
name_at(xchunk *c, uint32_t off, const char **name, uint32_t *len,
        uint8_t *code, bool *oom)
{
    size_t i;
    uint16_t n;
    char *s;
    size_t ulen;

    if (c->name_slots != 0) {
        for (i = (off * 2654435761u) & (c->name_slots - 1); c->name_off[i];
             i = (i + 1) & (c->name_slots - 1)) {
            if (c->name_off[i] == off) {
                *name = c->name_str[i];
                *len = c->name_len[i];
                *code = c->name_code[i];
                return true;
            }
        }
    }
    /* next offset u32, hash u16, count u16, UTF-16 chars, NUL */
    if (off < KZ_EVTX_CHUNK_HEADER_SIZE - 384 || off > c->len ||
        c->len - off < 8)
        return fail(c, off, "name offset outside the chunk");
    n = kz_le16(c->base + off + 6);
    if (c->len - off - 8 < 2 * (size_t)n)
        return fail(c, off, "name runs past the chunk");
    if ((s = kz_arena_alloc(c->arena, KZ_UTF16_TO_UTF8_MAX((size_t)n) + 1)) ==
        NULL) {
        *oom = true;
        return false;
    }
    ulen = kz_utf16le_to_utf8(c->base + off + 8, n, s);
    s[ulen] = '\0';
    if ((c->name_count + 1) * 2 > c->name_slots && !name_cache_grow(c)) {
        *oom = true;
        return false;
    }
    for (i = (off * 2654435761u) & (c->name_slots - 1); c->name_off[i];
         i = (i + 1) & (c->name_slots - 1))
        ;
    c->name_off[i] = off;
    c->name_str[i] = s;
    c->name_len[i] = (uint32_t)ulen;
    c->name_code[i] = kz_evtx_name_code(s, ulen);
    c->name_count++;
    *name = s;
    *len = (uint32_t)ulen;
    *code = c->name_code[i];
    return true;
}

/* Reads a name reference at r; skips an inline name. code may be NULL. */
static bool
read_name(xchunk *c, kz_rd *r, const char **name, uint32_t *len,
          uint8_t *code, bool *oom)
{
    uint32_t off;
    uint16_t n;
    uint8_t dummy;

    if (!kz_rd_u32(r, &off))
        return fail(c, r->pos, "truncated name reference");
    if (!name_at(c, off, name, len, code ? code : &dummy, oom))
        return false;
    if (off == r->pos) {
        n = kz_le16(c->base + off + 6);
        if (!kz_rd_skip(r, 10 + 2 * (size_t)n))
            return fail(c, r->pos, "inline name runs past its fragment");
    }
    return true;
}

/* ---- node building ----------------------------------------------------- */

typedef struct builder {
    xchunk *c;          /* chunk */
    kz_rd r;            /* cursor over the chunk, limited to the fragment */
    bool in_template;   /* elements have dependency ids */
    unsigned depth;     /* BinXml nesting */
    uint32_t n;         /* nodes used in c->nodes */
    bool oom;           /* allocation failed */
} builder;

static xnode *
push(builder *b, xkind kind)
{
    xchunk *c = b->c;
    xnode *x;

    if (b->n >= EVTX_MAX_NODES) {
        fail(c, b->r.pos, "too many nodes in one fragment");
        return NULL;
    }
    if (b->n == c->nodes_cap) {
        size_t cap = c->nodes_cap ? c->nodes_cap * 2 : 256;
        xnode *p = realloc(c->nodes, cap * sizeof(*p));

        if (p == NULL) {
            b->oom = true;
            return NULL;
        }
        c->nodes = p;
        c->nodes_cap = cap;
    }
    x = &c->nodes[b->n++];
    memset(x, 0, sizeof(*x));
    x->kind = (uint8_t)kind;
    x->id = KZ_NAME_NONE;
    return x;
}

static bool
add_text_utf16(builder *b, const uint8_t *p, size_t units, bool cdata)
{
    xchunk *c = b->c;
    xnode *x;
    char *s;
    size_t n;

    if ((x = push(b, X_TEXT)) == NULL)
        return false;
    if ((s = kz_arena_alloc(c->arena, KZ_UTF16_TO_UTF8_MAX(units) + 1)) ==
        NULL) {
        b->oom = true;
        return false;
    }
    n = kz_utf16le_to_utf8(p, units, s);
    s[n] = '\0';
    x->name = s;
    x->len = (uint32_t)n;
    x->cdata = cdata;
    x->end = b->n;
    if (n <= 128 && c->o->names != NULL) {
        x->id = kz_names_lookup(c->o->names, s, n);
        if (x->id == KZ_NAME_NONE)
            x->id = EVTX_ID_ABSENT;
    }
    return true;
}

static bool
add_text_utf8(builder *b, const char *s, size_t n)
{
    xnode *x;
    char *copy;

    if ((x = push(b, X_TEXT)) == NULL)
        return false;
    if ((copy = kz_arena_strndup(b->c->arena, s, n)) == NULL) {
        b->oom = true;
        return false;
    }
    x->name = copy;
    x->len = (uint32_t)n;
    x->end = b->n;
    return true;
}

static bool parse_element(builder *b, uint8_t tok, unsigned level);
static bool parse_template_instance(builder *b);

/* One value token (text, substitution, reference, CDATA). */
static bool
parse_value_token(builder *b, uint8_t tok)
{
    xchunk *c = b->c;
    kz_rd *r = &b->r;
    uint8_t vt;
    uint16_t n, idx;
    const uint8_t *p;
    const char *name;
    uint32_t nlen;
    xnode *x;

    switch (tok & 0x1F) {
    case TOK_VALUE:
        if (!kz_rd_u8(r, &vt) || !kz_rd_u16(r, &n) ||
            !kz_rd_bytes(r, 2 * (size_t)n, &p))
            return fail(c, r->pos, "truncated text value");
        return add_text_utf16(b, p, n, false);
    case TOK_CDATA:
        if (!kz_rd_u16(r, &n) || !kz_rd_bytes(r, 2 * (size_t)n, &p))
            return fail(c, r->pos, "truncated CDATA");
        return add_text_utf16(b, p, n, true);
    case TOK_CHARREF: {
        kz_strbuf tmp;
        bool ok;

        if (!kz_rd_u16(r, &n))
            return fail(c, r->pos, "truncated character reference");
        kz_strbuf_init(&tmp, 16);
        ok = kz_utf8_append_cp(&tmp, n) == KZ_OK &&
             add_text_utf8(b, tmp.data, tmp.len);
        kz_strbuf_fini(&tmp);
        if (!ok && !b->oom && c->why == NULL)
            b->oom = true;
        return ok;
    }
    case TOK_ENTITYREF:
        if (!read_name(c, r, &name, &nlen, NULL, &b->oom))
            return false;
        /* The five XML entities become their characters; others stay
         * as written, "&name;". */
        if (strcmp(name, "amp") == 0)
            return add_text_utf8(b, "&", 1);
        if (strcmp(name, "lt") == 0)
            return add_text_utf8(b, "<", 1);
        if (strcmp(name, "gt") == 0)
            return add_text_utf8(b, ">", 1);
        if (strcmp(name, "quot") == 0)
            return add_text_utf8(b, "\"", 1);
        if (strcmp(name, "apos") == 0)
            return add_text_utf8(b, "'", 1);
        {
            char tmp[80];
            int k = snprintf(tmp, sizeof(tmp), "&%.70s;", name);

            return add_text_utf8(b, tmp, (size_t)k);
        }
    case TOK_SUBST:
    case TOK_OPT_SUBST:
        if (!kz_rd_u16(r, &idx) || !kz_rd_u8(r, &vt))
            return fail(c, r->pos, "truncated substitution");
        if ((x = push(b, X_SUBST)) == NULL)
            return false;
        x->index = idx;
        x->vtype = vt;
        x->optional = (tok & 0x1F) == TOK_OPT_SUBST;
        x->end = b->n;
        return true;
    default:
        return fail(c, r->pos, "unexpected token in a value");
    }
}

static bool
is_value_token(uint8_t tok)
{
    switch (tok & 0x1F) {
    case TOK_VALUE:
    case TOK_CDATA:
    case TOK_CHARREF:
    case TOK_ENTITYREF:
    case TOK_SUBST:
    case TOK_OPT_SUBST:
        return true;
    default:
        return false;
    }
}

static bool
parse_attributes(builder *b)
{
    xchunk *c = b->c;
    kz_rd *r = &b->r;
    uint32_t size, at;
    uint8_t tok;
    xnode *x;

    if (!kz_rd_u32(r, &size))
        return fail(c, r->pos, "truncated attribute list");
    for (;;) {
        if (!kz_rd_has(r, 1))
            return fail(c, r->pos, "truncated attribute");
        tok = kz_rd_ptr(r)[0];
        if ((tok & 0x1F) != TOK_ATTRIBUTE)
            return true;
        r->pos++;
        at = b->n;
        if ((x = push(b, X_ATTR)) == NULL)
            return false;
        if (!read_name(c, r, &c->nodes[at].name, &c->nodes[at].len,
                       &c->nodes[at].code, &b->oom))
            return false;
        while (kz_rd_has(r, 1) && is_value_token(kz_rd_ptr(r)[0])) {
            tok = kz_rd_ptr(r)[0];
            r->pos++;
            if (!parse_value_token(b, tok))
                return false;
        }
        c->nodes[at].end = b->n;
    }
}

static bool
parse_content(builder *b, unsigned level)
{
    xchunk *c = b->c;
    kz_rd *r = &b->r;
    uint8_t tok, vt;
    uint16_t n;
    const uint8_t *p;
    const char *name;
    uint32_t nlen;

    for (;;) {
        if (!kz_rd_u8(r, &tok))
            return fail(c, r->pos, "element not closed");
        switch (tok & 0x1F) {
        case TOK_END_ELEMENT:
            return true;
        case TOK_OPEN_START:
            if (!parse_element(b, tok, level + 1))
                return false;
            break;
        case TOK_PI_TARGET:
            if (!read_name(c, r, &name, &nlen, NULL, &b->oom))
                return false;
            if (push(b, X_PI) == NULL)
                return false;
            c->nodes[b->n - 1].name = name;
            c->nodes[b->n - 1].len = nlen;
            c->nodes[b->n - 1].end = b->n;
            break;
        case TOK_PI_DATA:
            if (!kz_rd_u16(r, &n) || !kz_rd_bytes(r, 2 * (size_t)n, &p))
                return fail(c, r->pos, "truncated PI data");
            break;
        case TOK_TEMPLATE:
            if (!parse_template_instance(b))
                return false;
            break;
        case TOK_EOF:
            return fail(c, r->pos, "end of fragment inside an element");
        default:
            if (!is_value_token(tok))
                return fail(c, r->pos - 1, "unknown token in content");
            (void)vt;
            if (!parse_value_token(b, tok))
                return false;
        }
    }
}

/* Reads the element header; with or without a dependency id. */
static bool
element_header(builder *b, bool with_dep, const char **name, uint32_t *nlen,
               uint8_t *code)
{
    xchunk *c = b->c;
    kz_rd *r = &b->r;
    uint16_t dep;
    uint32_t size;

    if (with_dep && !kz_rd_u16(r, &dep))
        return fail(c, r->pos, "truncated element");
    if (!kz_rd_u32(r, &size))
        return fail(c, r->pos, "truncated element");
    if (size > kz_rd_left(r) + 4)
        return fail(c, r->pos, "element size past its fragment");
    return read_name(c, r, name, nlen, code, &b->oom);
}

/* A name offset that could be right: inline here, or earlier in the
 * chunk, past the chunk header. */
static bool
plausible_name_ref(const builder *b, size_t at)
{
    uint32_t off;

    if (at + 4 > b->r.len)
        return false;
    off = kz_le32(b->r.base + at);
    return off == at + 4 || (off >= 128 && off + 8 <= at);
}

static bool
parse_element(builder *b, uint8_t tok, unsigned level)
{
    xchunk *c = b->c;
    kz_rd *r = &b->r;
    uint32_t at = b->n, nlen = 0;
    const char *name = NULL;
    bool with_dep = b->in_template;
    uint8_t next, code = NC_NONE;

    if (level > EVTX_MAX_DEPTH)
        return fail(c, r->pos, "elements nested too deeply");
    /* The dependency id is present in template bodies and absent
     * elsewhere; some writers differ, so check the name offset that
     * follows and switch when only the other layout fits. */
    if (with_dep && !plausible_name_ref(b, r->pos + 6) &&
        plausible_name_ref(b, r->pos + 4))
        with_dep = false;
    else if (!with_dep && !plausible_name_ref(b, r->pos + 4) &&
             plausible_name_ref(b, r->pos + 6))
        with_dep = true;
    if (push(b, X_ELEM) == NULL)
        return false;
    if (!element_header(b, with_dep, &name, &nlen, &code))
        return false;
    c->nodes[at].name = name;
    c->nodes[at].len = nlen;
    c->nodes[at].code = code;
    /* Field id of the element name, looked up once per template and
     * chunk rather than once per record (EventData children that are
     * not <Data> become fields by name). */
    if (c->o->names != NULL && code == NC_NONE && nlen <= 128) {
        int32_t id = kz_names_lookup(c->o->names, name, nlen);

        c->nodes[at].id = id == KZ_NAME_NONE ? EVTX_ID_ABSENT : id;
    }
    if ((tok & 0x40) && !parse_attributes(b))
        return false;
    if (!kz_rd_u8(r, &next))
        return fail(c, r->pos, "truncated element");
    switch (next & 0x1F) {
    case TOK_CLOSE_EMPTY:
        break;
    case TOK_CLOSE_START:
        if (!parse_content(b, level))
            return false;
        break;
    default:
        return fail(c, r->pos - 1, "expected the end of a start tag");
    }
    c->nodes[at].end = b->n;
    return true;
}

bool
kz_evtx_read_subst(xchunk *c, size_t off, size_t limit, xvalue *vals,
                   size_t max, size_t *count, size_t *end)
{
    kz_rd r = kz_rd_make(c->base, limit);
    uint32_t n, i;
    size_t pos;

    r.pos = off;
    if (!kz_rd_u32(&r, &n))
        return fail(c, off, "truncated substitution array");
    if (n > EVTX_MAX_SUBST || (size_t)n * 4 > kz_rd_left(&r))
        return fail(c, off, "substitution count past the record");
    pos = r.pos + (size_t)n * 4;
    for (i = 0; i < n; i++) {
        uint16_t size = kz_le16(c->base + r.pos + 4 * (size_t)i);
        uint8_t type = c->base[r.pos + 4 * (size_t)i + 2];

        if (size > limit - pos)
            return fail(c, pos, "substitution value past the record");
        if (vals != NULL && i < max) {
            vals[i].data = c->base + pos;
            vals[i].len = size;
            vals[i].type = type;
        }
        pos += size;
    }
    *count = n;
    *end = pos;
    return true;
}

static bool
parse_template_instance(builder *b)
{
    xchunk *c = b->c;
    kz_rd *r = &b->r;
    uint8_t one;
    uint32_t id, def;
    const xtemplate *t;
    size_t count, end;
    xnode *x;

    if (!kz_rd_u8(r, &one) || !kz_rd_u32(r, &id) || !kz_rd_u32(r, &def))
        return fail(c, r->pos, "truncated template instance");
    if ((t = kz_evtx_template(c, def, b->depth + 1, &b->oom)) == NULL)
        return false;
    /* The id is the first dword of the definition's GUID: a reference into
     * a block overwritten by another chunk's records does not match. */
    if (kz_le32(c->base + def + 4) != id)
        return fail(c, r->pos, "template id does not match its definition");
    if (def == r->pos && !kz_rd_seek(r, t->end))
        return fail(c, r->pos, "inline template past its fragment");
    if (!kz_evtx_read_subst(c, r->pos, r->len, NULL, 0, &count, &end))
        return false;
    if ((x = push(b, X_TEMPLATE)) == NULL)
        return false;
    x->tmpl = t;
    x->subst = c->base + r->pos;
    x->subst_len = (uint32_t)(end - r->pos);
    x->end = b->n;
    r->pos = end;
    return true;
}

bool
kz_evtx_parse_fragment(xchunk *c, size_t off, size_t limit,
                       bool in_template, unsigned depth, xtree *t,
                       size_t *end, bool *oom)
{
    builder b;
    uint8_t tok;
    bool ok = false;

    memset(&b, 0, sizeof(b));
    b.c = c;
    b.r = kz_rd_make(c->base, limit < c->len ? limit : c->len);
    b.r.pos = off;
    b.in_template = in_template;
    b.depth = depth;
    if (depth > EVTX_MAX_BINXML_NEST) {
        fail(c, off, "BinXml values nested too deeply");
        goto out;
    }
    /* Fragment header(s) are optional; any number may precede. */
    while (kz_rd_has(&b.r, 4) && kz_rd_ptr(&b.r)[0] == TOK_FRAGMENT)
        b.r.pos += 4;
    if (!kz_rd_u8(&b.r, &tok)) {
        fail(c, off, "empty fragment");
        goto out;
    }
    switch (tok & 0x1F) {
    case TOK_EOF:
        /* An empty fragment (seen in BinXml values of cut records). */
        b.r.pos--;
        break;
    case TOK_OPEN_START:
        if (!parse_element(&b, tok, 0))
            goto out;
        break;
    case TOK_TEMPLATE:
        if (!parse_template_instance(&b))
            goto out;
        break;
    default:
        fail(c, b.r.pos - 1, "fragment starts with an unexpected token");
        goto out;
    }
    /* An EOF token normally follows; tolerate its absence at the end. */
    if (kz_rd_has(&b.r, 1) && (kz_rd_ptr(&b.r)[0] & 0x1F) == TOK_EOF)
        b.r.pos++;
    if ((t->nodes = kz_arena_alloc(c->arena, (b.n ? b.n : 1) *
                                                 sizeof(xnode))) == NULL) {
        b.oom = true;
        goto out;
    }
    if (b.n != 0)
        memcpy(t->nodes, c->nodes, b.n * sizeof(xnode));
    t->n = b.n;
    *end = b.r.pos;
    ok = true;
out:
    if (b.oom)
        *oom = true;
    return ok;
}

/* ---- templates --------------------------------------------------------- */

static bool
tmpl_cache_grow(xchunk *c)
{
    size_t slots = c->tmpl_slots ? c->tmpl_slots * 2 : 64, i, j;
    xtemplate **tab = calloc(slots, sizeof(*tab));

    if (tab == NULL)
        return false;
    for (i = 0; i < c->tmpl_slots; i++) {
        if (c->tmpl[i] == NULL)
            continue;
        j = (c->tmpl[i]->offset * 2654435761u) & (slots - 1);
        while (tab[j] != NULL)
            j = (j + 1) & (slots - 1);
        tab[j] = c->tmpl[i];
    }
    free(c->tmpl);
    c->tmpl = tab;
    c->tmpl_slots = slots;
    return true;
}

const xtemplate *
kz_evtx_template(xchunk *c, size_t off, unsigned depth, bool *oom)
{
    size_t i, end;
    xtemplate *t;
    uint32_t size;
    xnode *saved;
    size_t saved_cap;

    if (c->tmpl_slots != 0) {
        for (i = (off * 2654435761u) & (c->tmpl_slots - 1); c->tmpl[i];
             i = (i + 1) & (c->tmpl_slots - 1)) {
            if (c->tmpl[i]->offset == off) {
                if (c->tmpl[i]->failed) {
                    fail(c, off, "malformed template definition");
                    return NULL;
                }
                return c->tmpl[i];
            }
        }
    }
    /* next offset u32, GUID 16, data size u32, body */
    if (off < KZ_EVTX_CHUNK_HEADER_SIZE || off > c->len || c->len - off < 24) {
        fail(c, off, "template offset outside the chunk");
        return NULL;
    }
    size = kz_le32(c->base + off + 20);
    if (size > c->len - off - 24) {
        fail(c, off, "template runs past the chunk");
        return NULL;
    }
    if ((t = kz_arena_alloc(c->arena, sizeof(*t))) == NULL) {
        *oom = true;
        return NULL;
    }
    memset(t, 0, sizeof(*t));
    t->offset = (uint32_t)off;
    t->end = (uint32_t)(off + 24 + size);
    /* Cache it before parsing, marked failed: a body that refers to its
     * own template (directly or through others) then fails instead of
     * recursing forever. */
    if ((c->tmpl_count + 1) * 2 > c->tmpl_slots && !tmpl_cache_grow(c)) {
        *oom = true;
        return NULL;
    }
    for (i = (off * 2654435761u) & (c->tmpl_slots - 1); c->tmpl[i];
         i = (i + 1) & (c->tmpl_slots - 1))
        ;
    c->tmpl[i] = t;
    c->tmpl_count++;
    t->failed = true;
    /* A template body may hold template instances itself (rare); the node
     * scratch is in use by the caller, so parse with a fresh one. */
    saved = c->nodes;
    saved_cap = c->nodes_cap;
    c->nodes = NULL;
    c->nodes_cap = 0;
    if (kz_evtx_parse_fragment(c, off + 24, off + 24 + size, true, depth,
                               &t->tree, &end, oom))
        t->failed = false;
    free(c->nodes);
    c->nodes = saved;
    c->nodes_cap = saved_cap;
    if (*oom)
        return NULL;
    return t->failed ? NULL : t;
}
