/*
 * build.c - filling a kz_event from the tokens of one record: data fields
 * (with the flattening conventions of docs/json-shapes.md), key and path
 * lookups, and the typed System values (numbers, times, GUIDs).
 *
 * Strings are decoded in place in the batch's copy of the unit, so a field
 * value normally points into that copy; only dotted names, GUIDs that need
 * braces and repaired UTF-8 are new allocations in the batch arena. Dotted
 * names are bounded per record (c->name_left).
 */
#include "read/json/json_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/time.h"

static inline kz_status
decode_key(kz_jctx *c, kz_jnode *n)
{
    if (n->kflags == 0)
        return KZ_OK;
    return kz_json_str_decode(c->arena, &n->key, &n->klen, &n->kflags);
}

kz_status
kz_jb_key(kz_jctx *c, kz_jnode *n, kz_str *out)
{
    kz_status st;

    out->p = "";
    out->len = 0;
    if (n->key == NULL)
        return KZ_OK;
    if ((st = decode_key(c, n)) != KZ_OK)
        return st;
    out->p = n->key;
    out->len = n->klen;
    return KZ_OK;
}

bool
kz_jb_key_is(kz_jctx *c, kz_jnode *n, const char *s, size_t len)
{
    if (n->key == NULL || decode_key(c, n) != KZ_OK)
        return false;
    return n->klen == len && memcmp(n->key, s, len) == 0;
}

kz_jnode *
kz_jb_child(kz_jctx *c, kz_jnode *obj, const char *key)
{
    size_t len = strlen(key);

    if (obj == NULL || obj->type != KZ_JT_OBJ)
        return NULL;
    for (kz_jnode *ch = obj + 1; ch < kz_jskip(c, obj); ch = kz_jskip(c, ch)) {
        if (kz_jb_key_is(c, ch, key, len))
            return ch;
    }
    return NULL;
}

static kz_jnode *
path_n(kz_jctx *c, kz_jnode *obj, const char *path, size_t plen)
{
    kz_jnode *r;

    if (obj == NULL || obj->type != KZ_JT_OBJ)
        return NULL;
    for (kz_jnode *ch = obj + 1; ch < kz_jskip(c, obj); ch = kz_jskip(c, ch)) {
        if (kz_jb_key_is(c, ch, path, plen))
            return ch;
    }
    for (kz_jnode *ch = obj + 1; ch < kz_jskip(c, obj); ch = kz_jskip(c, ch)) {
        if (ch->type != KZ_JT_OBJ || ch->key == NULL ||
            decode_key(c, ch) != KZ_OK)
            continue;
        if (ch->klen < plen && path[ch->klen] == '.' &&
            memcmp(path, ch->key, ch->klen) == 0 &&
            (r = path_n(c, ch, path + ch->klen + 1, plen - ch->klen - 1)) !=
                NULL)
            return r;
    }
    return NULL;
}

kz_jnode *
kz_jb_path(kz_jctx *c, kz_jnode *obj, const char *path)
{
    return path_n(c, obj, path, strlen(path));
}

kz_status
kz_jb_text(kz_jctx *c, kz_jnode *n, kz_str *out)
{
    kz_status st;

    out->p = n->val;
    out->len = n->vlen;
    if (n->type == KZ_JT_STR) {
        if (n->vflags != 0 &&
            (st = kz_json_str_decode(c->arena, &n->val, &n->vlen,
                                     &n->vflags)) != KZ_OK)
            return st;
        out->p = n->val;
        out->len = n->vlen;
    } else if (n->type == KZ_JT_OBJ || n->type == KZ_JT_ARR) {
        out->len = 0;
    }
    return KZ_OK;
}

static kz_field *
new_field(kz_jctx *c)
{
    size_t cap;
    kz_field *p;

    if (c->nfields == c->fcap) {
        cap = c->fcap ? c->fcap * 2 : 64;
        if ((p = realloc(c->fields, cap * sizeof(*p))) == NULL)
            return NULL;
        c->fields = p;
        c->fcap = cap;
    }
    return &c->fields[c->nfields++];
}

static kz_status
add_null(kz_jctx *c, const char *name, size_t nlen, uint8_t group)
{
    kz_field *f = new_field(c);

    if (f == NULL)
        return KZ_ENOMEM;
    f->name.p = name;
    f->name.len = nlen;
    f->id =
        c->o->names ? kz_names_lookup(c->o->names, name, nlen) : KZ_NAME_NONE;
    f->group = group;
    f->value.data = NULL;
    f->value.len = 0;
    f->value.type = KZ_VT_NULL;
    return KZ_OK;
}

kz_status
kz_jb_field(kz_jctx *c, const char *name, size_t nlen, kz_jnode *n,
            uint8_t group)
{
    kz_field *f;
    kz_str s;
    kz_status st;
    uint8_t type;

    switch (n->type) {
    case KZ_JT_STR:
        type = KZ_VT_UTF8;
        break;
    case KZ_JT_NUM:
        type = KZ_VT_JSON_NUM;
        break;
    case KZ_JT_TRUE:
    case KZ_JT_FALSE:
        type = KZ_VT_JSON_BOOL;
        break;
    case KZ_JT_NULL:
        return add_null(c, name, nlen, group);
    default:
        return kz_jb_flatten(c, n, name, nlen, group);
    }
    if ((st = kz_jb_text(c, n, &s)) != KZ_OK)
        return st;
    if ((f = new_field(c)) == NULL)
        return KZ_ENOMEM;
    f->name.p = name;
    f->name.len = nlen;
    f->id =
        c->o->names ? kz_names_lookup(c->o->names, name, nlen) : KZ_NAME_NONE;
    f->group = group;
    f->value.data = (const uint8_t *)s.p;
    f->value.len = (uint32_t)s.len;
    f->value.type = type;
    return KZ_OK;
}

/* prefix + sep + key in the arena (or key itself without a prefix).
 * Every member of a nested object copies its whole prefix, so the bytes
 * built are charged to the record's budget (c->name_left): past it the
 * record is refused (KZ_ELIMIT) rather than growing quadratically. */
static kz_status
join(kz_jctx *c, const char *prefix, size_t plen, char sep, kz_str key,
     kz_str *out)
{
    size_t need;
    char *p;

    if (plen == 0) {
        *out = key;
        return KZ_OK;
    }
    need = plen + 1 + key.len + 1;
    if (need > c->name_left)
        return KZ_ELIMIT;
    c->name_left -= need;
    if ((p = kz_arena_alloc(c->arena, need)) == NULL)
        return KZ_ENOMEM;
    memcpy(p, prefix, plen);
    p[plen] = sep;
    memcpy(p + plen + 1, key.p, key.len);
    p[plen + 1 + key.len] = '\0';
    out->p = p;
    out->len = plen + 1 + key.len;
    return KZ_OK;
}

static bool
is_xmlns(kz_str k)
{
    return k.len >= 5 && memcmp(k.p, "xmlns", 5) == 0 &&
           (k.len == 5 || k.p[5] == ':');
}

static kz_status
flatten_attrs(kz_jctx *c, kz_jnode *attrs, const char *prefix, size_t plen,
              uint8_t group)
{
    kz_str k, name;
    kz_status st;

    for (kz_jnode *a = attrs + 1; a < kz_jskip(c, attrs); a = kz_jskip(c, a)) {
        if (a->used)
            continue;
        if ((st = kz_jb_key(c, a, &k)) != KZ_OK)
            return st;
        if (is_xmlns(k))
            continue;
        if ((st = join(c, prefix, plen, '@', k, &name)) != KZ_OK ||
            (st = kz_jb_flatten(c, a, name.p, name.len, group)) != KZ_OK)
            return st;
    }
    return KZ_OK;
}

kz_status
kz_jb_flatten(kz_jctx *c, kz_jnode *n, const char *prefix, size_t plen,
              uint8_t group)
{
    kz_str k, name;
    kz_status st;

    if (n->used)
        return KZ_OK;
    if (n->type == KZ_JT_ARR) {
        for (kz_jnode *item = n + 1; item < kz_jskip(c, n);
             item = kz_jskip(c, item)) {
            if ((st = kz_jb_flatten(c, item, prefix, plen, group)) != KZ_OK)
                return st;
        }
        return KZ_OK;
    }
    if (n->type != KZ_JT_OBJ)
        return kz_jb_field(c, prefix, plen, n, group);
    if (n->vlen == 0)
        return add_null(c, prefix, plen, group);
    for (kz_jnode *ch = n + 1; ch < kz_jskip(c, n); ch = kz_jskip(c, ch)) {
        if (ch->used)
            continue;
        if ((st = kz_jb_key(c, ch, &k)) != KZ_OK)
            return st;
        if (k.len == 11 && memcmp(k.p, "#attributes", 11) == 0 &&
            ch->type == KZ_JT_OBJ) {
            st = flatten_attrs(c, ch, prefix, plen, group);
        } else if (k.len == 5 && memcmp(k.p, "#text", 5) == 0 && plen > 0) {
            st = kz_jb_flatten(c, ch, prefix, plen, group);
        } else if ((st = join(c, prefix, plen, '.', k, &name)) == KZ_OK) {
            st = kz_jb_flatten(c, ch, name.p, name.len, group);
        }
        if (st != KZ_OK)
            return st;
    }
    return KZ_OK;
}

kz_status
kz_jb_flatten_members(kz_jctx *c, kz_jnode *obj, uint8_t group)
{
    kz_str k;
    kz_status st;

    if (obj->type != KZ_JT_OBJ)
        return KZ_OK;
    for (kz_jnode *ch = obj + 1; ch < kz_jskip(c, obj); ch = kz_jskip(c, ch)) {
        if (ch->used)
            continue;
        if ((st = kz_jb_key(c, ch, &k)) != KZ_OK)
            return st;
        if (k.len == 11 && memcmp(k.p, "#attributes", 11) == 0)
            continue;
        if ((st = kz_jb_flatten(c, ch, k.p, k.len, group)) != KZ_OK)
            return st;
    }
    return KZ_OK;
}

static kz_status
collect_n(kz_jctx *c, kz_jnode *obj, const char *path, size_t plen,
          uint8_t group)
{
    kz_str k;
    kz_status st;

    for (kz_jnode *ch = obj + 1; ch < kz_jskip(c, obj); ch = kz_jskip(c, ch)) {
        if (ch->used)
            continue;
        if ((st = kz_jb_key(c, ch, &k)) != KZ_OK)
            return st;
        st = KZ_OK;
        if (k.len == plen && memcmp(k.p, path, plen) == 0) {
            st = ch->type == KZ_JT_OBJ ? kz_jb_flatten_members(c, ch, group)
                                       : kz_jb_flatten(c, ch, "Data", 4, group);
            ch->used = 1;
        } else if (k.len > plen && k.p[plen] == '.' &&
                   memcmp(k.p, path, plen) == 0) {
            st = kz_jb_flatten(c, ch, k.p + plen + 1, k.len - plen - 1, group);
            ch->used = 1;
        } else if (k.len < plen && path[k.len] == '.' &&
                   memcmp(k.p, path, k.len) == 0 && ch->type == KZ_JT_OBJ) {
            st = collect_n(c, ch, path + k.len + 1, plen - k.len - 1, group);
        }
        if (st != KZ_OK)
            return st;
    }
    return KZ_OK;
}

kz_status
kz_jb_collect(kz_jctx *c, kz_jnode *obj, const char *path, uint8_t group)
{
    if (obj->type != KZ_JT_OBJ)
        return KZ_OK;
    return collect_n(c, obj, path, strlen(path), group);
}

/* Unsigned decimal or 0x hex in s[0..n); false on overflow or junk. */
static bool
parse_u64(const char *s, size_t n, uint64_t *v)
{
    uint64_t x = 0;
    size_t i = 0;
    int d;

    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        if (n - 2 > 16)
            return false;
        for (i = 2; i < n; i++) {
            char ch = s[i];

            if (ch >= '0' && ch <= '9')
                d = ch - '0';
            else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
                d = (ch | 0x20) - 'a' + 10;
            else
                return false;
            x = x << 4 | (uint64_t)d;
        }
        *v = x;
        return true;
    }
    if (n == 0)
        return false;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        d = s[i] - '0';
        if (x > (UINT64_MAX - (uint64_t)d) / 10)
            return false;
        x = x * 10 + (uint64_t)d;
    }
    *v = x;
    return true;
}

bool
kz_jb_u64(kz_jctx *c, kz_jnode *n, uint64_t *v)
{
    kz_str s;
    uint64_t x;
    bool neg;

    if (n == NULL || (n->type != KZ_JT_NUM && n->type != KZ_JT_STR))
        return false;
    if (kz_jb_text(c, n, &s) != KZ_OK)
        return false;
    neg = s.len > 0 && s.p[0] == '-';
    if (!parse_u64(s.p + neg, s.len - neg, &x))
        return false;
    if (neg) {
        if (x > (uint64_t)INT64_MAX + 1)
            return false;
        x = (uint64_t)0 - x;
    }
    *v = x;
    return true;
}

bool
kz_jb_str(kz_jctx *c, kz_jnode *n, bool any_scalar, kz_str *out)
{
    if (n == NULL)
        return false;
    if (n->type != KZ_JT_STR && !(any_scalar && n->type == KZ_JT_NUM))
        return false;
    return kz_jb_text(c, n, out) == KZ_OK;
}

/* Seconds (or ms, us, ns by magnitude) since 1970, maybe with a fraction
 * of the unit; false if it does not fit. */
static bool
epoch_time(const char *s, size_t n, kz_time *t)
{
    uint64_t ip = 0, scale, ticks, frac = 0, fscale = 1;
    size_t i = 0;

    while (i < n && s[i] >= '0' && s[i] <= '9') {
        if (ip > UINT64_MAX / 10 - 10)
            return false;
        ip = ip * 10 + (uint64_t)(s[i++] - '0');
    }
    if (i == 0)
        return false;
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            if (fscale < 1000000000ULL) {
                frac = frac * 10 + (uint64_t)(s[i] - '0');
                fscale *= 10;
            }
        }
    }
    if (i != n)
        return false;
    if (ip < 100000000000ULL)
        scale = KZ_TICKS_PER_SEC; /* seconds */
    else if (ip < 100000000000000ULL)
        scale = 10000; /* milliseconds */
    else if (ip < 100000000000000000ULL)
        scale = 10; /* microseconds */
    else
        scale = 0; /* nanoseconds */
    if (scale == 0)
        ticks = ip / 100;
    else
        ticks = ip * scale + frac * scale / fscale;
    if (ticks > (uint64_t)(INT64_MAX - KZ_UNIX_EPOCH_TICKS))
        return false;
    *t = KZ_UNIX_EPOCH_TICKS + (kz_time)ticks;
    return true;
}

bool
kz_jb_time(kz_jctx *c, kz_jnode *n, bool allow_epoch)
{
    kz_str s;
    kz_time t;
    bool zone = false;

    if (n == NULL)
        return false;
    if (n->type == KZ_JT_NUM && allow_epoch) {
        if (!epoch_time(n->val, n->vlen, &t))
            return false;
        c->ev->time = t;
        return true;
    }
    if (n->type != KZ_JT_STR || kz_jb_text(c, n, &s) != KZ_OK)
        return false;
    /* PowerShell's ConvertTo-Json: "/Date(1553038466123)/". */
    if (allow_epoch && s.len > 8 && memcmp(s.p, "/Date(", 6) == 0 &&
        memcmp(s.p + s.len - 2, ")/", 2) == 0) {
        uint64_t ms;

        if (!parse_u64(s.p + 6, s.len - 8, &ms) ||
            ms > (uint64_t)(INT64_MAX - KZ_UNIX_EPOCH_TICKS) / 10000)
            return false;
        c->ev->time = KZ_UNIX_EPOCH_TICKS + (kz_time)(ms * 10000);
        return true;
    }
    if (allow_epoch && s.len > 0 && s.p[0] >= '0' && s.p[0] <= '9' &&
        epoch_time(s.p, s.len, &t)) {
        c->ev->time = t;
        return true;
    }
    if (!kz_time_parse_iso(s.p, s.len, c->o->json.input_tz_min, &t, &zone))
        return false;
    c->ev->time = t;
    if (!zone)
        c->ev->flags |= KZ_EV_NO_TZ;
    return true;
}

static bool
is_hex(char ch)
{
    return (ch >= '0' && ch <= '9') ||
           ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f');
}

bool
kz_jb_guid(kz_jctx *c, kz_jnode *n)
{
    kz_str s;
    const char *g;
    bool canon = true;
    char *p;
    size_t i;

    if (!kz_jb_str(c, n, false, &s))
        return false;
    if (s.len == 38 && s.p[0] == '{' && s.p[37] == '}')
        g = s.p + 1;
    else if (s.len == 36)
        g = s.p, canon = false;
    else
        g = NULL;
    for (i = 0; g != NULL && i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (g[i] != '-')
                g = NULL;
        } else if (!is_hex(g[i])) {
            g = NULL;
        } else if (g[i] >= 'a') {
            canon = false;
        }
    }
    if (g == NULL || canon) {
        c->ev->provider_guid = s; /* canonical, or not a GUID at all */
        return true;
    }
    if ((p = kz_arena_alloc(c->arena, 39)) == NULL)
        return false;
    p[0] = '{';
    for (i = 0; i < 36; i++)
        p[i + 1] = g[i] >= 'a' ? (char)(g[i] - 'a' + 'A') : g[i];
    p[37] = '}';
    p[38] = '\0';
    c->ev->provider_guid.p = p;
    c->ev->provider_guid.len = 38;
    return true;
}

bool
kz_jb_event_id(kz_jctx *c, kz_jnode *id, kz_jnode *q)
{
    uint64_t v, qv;

    if (!kz_jb_u64(c, id, &v) || v > UINT32_MAX)
        return false;
    c->ev->event_id = (uint32_t)v;
    c->ev->flags |= KZ_EV_HAS_EVENT_ID;
    if (q != NULL && kz_jb_u64(c, q, &qv) && qv <= UINT16_MAX) {
        c->ev->qualifiers = (uint16_t)qv;
        c->ev->flags |= KZ_EV_HAS_QUALIFIERS;
    }
    return true;
}
