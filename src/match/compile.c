/*
 * compile.c - kz_ruleset_compile: rules -> targets -> predicates and
 * condition nodes, field slots, the (channel, event id) dispatch table
 * and one Vectorscan database per field. See docs/internals/match.md.
 */
#include "match/match.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/grow.h"
#include "base/hash.h"
#include "match/match_int.h"
#include "sigma/logsource.h"

/* Per-rule bounds: a rule past one is skipped (kz_ruleset_skipped), the
 * others still compile. Nodes also bound rules without predicates (a
 * selection of empty items referenced many times by the condition). */
#define RULE_MAX_PREDS ((size_t)1 << 18)
#define RULE_MAX_NODES ((size_t)1 << 20)


/* Compile state. */
typedef struct cc {
    kz_ruleset *rs;
    kz_names *names;
    kz_error *err;
    const kz_sigma_rule *rule;     /* rule being compiled */
    size_t pred0, node0;           /* first predicate / node of the rule */
    bool global;                   /* the failure concerns the whole set */
    size_t cap_targets, cap_preds, cap_nodes, cap_kids, cap_slots;
    size_t cap_rules;
    /* dispatch entries: (chan, eid, target); eid UINT32_MAX = any */
    struct disp { uint32_t chan, eid, target; } *disp;
    size_t ndisp, cap_disp;
} cc;

/* Grows array field arr of the ruleset (capacity in c->capf) to need. */
#define GROW(c, arr, capf, need)                                              \
    kz_grow(&(c)->rs->arr, &(c)->capf, (need), sizeof(*(c)->rs->arr), 64)

/* ---- field slots ---------------------------------------------------- */

static const struct {
    const char *name;
    mt_sys sys;
} sys_names[] = {
    { "EventID", SYS_EVENTID },           { "Channel", SYS_CHANNEL },
    { "Computer", SYS_COMPUTER },         { "Provider_Name", SYS_PROVIDER },
    { "Provider", SYS_PROVIDER },         { "Provider_Guid", SYS_PROVIDER_GUID },
    { "EventRecordID", SYS_RECORDID },    { "Level", SYS_LEVEL },
    { "Task", SYS_TASK },                 { "Opcode", SYS_OPCODE },
    { "Keywords", SYS_KEYWORDS },         { "Version", SYS_VERSION },
    { "ProcessID", SYS_PROCESSID },       { "ThreadID", SYS_THREADID },
    { "UserID", SYS_USERID },             { "TimeCreated", SYS_TIMECREATED },
    { "EventSourceName", SYS_EVENTSOURCE },
};

static int8_t
sys_of(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(sys_names) / sizeof(sys_names[0]); i++)
        if (strcasecmp(name, sys_names[i].name) == 0)
            return (int8_t)sys_names[i].sys;
    return SYS_NONE;
}

/* The slot of field name (added to the names table if new). */
static kz_status
slot_of(cc *c, const char *name, uint32_t *out)
{
    kz_ruleset *rs = c->rs;
    size_t len = strlen(name);
    int32_t id = kz_names_lookup(c->names, name, len);
    kz_status st;
    mt_slot *s;

    if (id == KZ_NAME_NONE &&
        (st = kz_names_add(c->names, name, len, &id)) != KZ_OK)
        return kz_error_set(c->err, st, "%s: cannot add field name %s",
                            c->rule->path, name);
    if ((size_t)id >= rs->nids) {
        size_t n = (size_t)id + 64, i;
        int32_t *p = realloc(rs->slot_of_id, n * sizeof(*p));

        if (p == NULL)
            return KZ_ENOMEM;
        for (i = rs->nids; i < n; i++)
            p[i] = -1;
        rs->slot_of_id = p;
        rs->nids = n;
    }
    if (rs->slot_of_id[id] >= 0) {
        *out = (uint32_t)rs->slot_of_id[id];
        return KZ_OK;
    }
    if ((st = GROW(c, slots, cap_slots, rs->nslots + 1)) != KZ_OK)
        return st;
    s = &rs->slots[rs->nslots];
    memset(s, 0, sizeof(*s));
    s->name = name;
    s->id = id;
    s->sys = sys_of(name);
    rs->slot_of_id[id] = (int32_t)rs->nslots;
    *out = (uint32_t)rs->nslots++;
    return KZ_OK;
}

/* ---- predicates and nodes ------------------------------------------- */

static kz_status
new_node(cc *c, uint8_t op, uint32_t n, uint32_t a, uint32_t *out)
{
    kz_ruleset *rs = c->rs;
    kz_status st;

    if (rs->nnodes - c->node0 >= RULE_MAX_NODES)
        return kz_error_set(c->err, KZ_ELIMIT, "%s: more than %zu condition "
                            "nodes", c->rule->path, RULE_MAX_NODES);
    if ((st = GROW(c, nodes, cap_nodes, rs->nnodes + 1)) != KZ_OK)
        return st;
    rs->nodes[rs->nnodes].op = op;
    rs->nodes[rs->nnodes].n = n;
    rs->nodes[rs->nnodes].a = a;
    *out = (uint32_t)rs->nnodes++;
    return KZ_OK;
}

/* A node combining kids[0..n) with op (N_AND/N_OR); one kid is itself. */
static kz_status
join(cc *c, uint8_t op, const uint32_t *kids, size_t n, uint32_t *out)
{
    kz_ruleset *rs = c->rs;
    kz_status st;
    size_t first = rs->nkids;

    if (n == 1) {
        *out = kids[0];
        return KZ_OK;
    }
    if (n == 0)
        return new_node(c, op == N_AND ? N_TRUE : N_FALSE, 0, 0, out);
    if ((st = GROW(c, kids, cap_kids, rs->nkids + n)) != KZ_OK)
        return st;
    memcpy(rs->kids + first, kids, n * sizeof(*kids));
    rs->nkids += n;
    return new_node(c, op, (uint32_t)n, (uint32_t)first, out);
}

/* PCRE2 options of a rule regex. */
static uint32_t
regex_opts(const kz_sg_value *v)
{
    uint32_t o = 0;

    if (v->flags & KZ_SVF_RE_I)
        o |= PCRE2_CASELESS;
    if (v->flags & KZ_SVF_RE_M)
        o |= PCRE2_MULTILINE;
    if (v->flags & KZ_SVF_RE_S)
        o |= PCRE2_DOTALL;
    return o;
}

static kz_status
new_pred(cc *c, const kz_sg_item *it, const kz_sg_value *v, uint32_t target,
         uint32_t *node)
{
    kz_ruleset *rs = c->rs;
    mt_pred p;
    kz_status st;

    if (rs->npreds - c->pred0 >= RULE_MAX_PREDS)
        return kz_error_set(c->err, KZ_ELIMIT, "%s: more than %zu "
                            "predicates", c->rule->path, RULE_MAX_PREDS);
    if (rs->npreds >= MT_MAX_PREDS) {
        c->global = true;
        return kz_error_set(c->err, KZ_ELIMIT, "the rules need more than %u "
                            "predicates", MT_MAX_PREDS);
    }
    memset(&p, 0, sizeof(p));
    p.v = v;
    p.target = target;
    p.slot = MT_SLOT_KEYWORD;
    if (it->field != NULL && (st = slot_of(c, it->field, &p.slot)) != KZ_OK)
        return st;
    switch (v->kind) {
    case KZ_SV_PATTERN:
        p.kind = (uint8_t)mt_glob_kind(v);
        if (p.kind == MP_PCRE &&
            (st = mt_glob_pcre(v, c->rule->path, &p.re, c->err)) != KZ_OK)
            return st;
        break;
    case KZ_SV_REGEX: {
        if (v->regex == NULL)
            return kz_error_set(c->err, KZ_EFORMAT, "%s: empty regex",
                                c->rule->path);
        p.kind = MP_PCRE;
        if ((st = mt_pcre_compile(v->regex, regex_opts(v), c->rule->path,
                                   &p.re, c->err)) != KZ_OK)
            return st;
        break;
    }
    case KZ_SV_NUMCMP: p.kind = MP_NUM; break;
    case KZ_SV_CIDR: p.kind = MP_CIDR; break;
    case KZ_SV_EXISTS: p.kind = MP_EXISTS; break;
    case KZ_SV_NULL: p.kind = MP_NULL; break;
    case KZ_SV_TIMEPART: p.kind = MP_TIME; break;
    case KZ_SV_FIELDREF:
        p.kind = MP_REF;
        if (v->ref_field == NULL)
            return kz_error_set(c->err, KZ_EFORMAT, "%s: fieldref without "
                                "field", c->rule->path);
        if ((st = slot_of(c, v->ref_field, &p.ref)) != KZ_OK)
            return st;
        break;
    default:
        return kz_error_set(c->err, KZ_EFORMAT, "%s: unknown value kind %u",
                            c->rule->path, (unsigned)v->kind);
    }
    if (p.slot == MT_SLOT_KEYWORD &&
        (p.kind == MP_EXISTS || p.kind == MP_NULL || p.kind == MP_REF))
        return kz_error_set(c->err, KZ_EFORMAT, "%s: keyword with a "
                            "field-only modifier", c->rule->path);
    if ((st = GROW(c, preds, cap_preds, rs->npreds + 1)) != KZ_OK) {
        pcre2_code_free(p.re);
        return st;
    }
    rs->preds[rs->npreds] = p;
    return new_node(c, N_PRED, 0, (uint32_t)rs->npreds++, node);
}

static kz_status
item_node(cc *c, const kz_sg_item *it, uint32_t target, uint32_t *out)
{
    uint32_t *g = NULL, *a = NULL, res;
    size_t gi, ai;
    kz_status st = KZ_OK;

    if (it->ngroups == 0)
        return new_node(c, N_FALSE, 0, 0, out);
    g = malloc(it->ngroups * sizeof(*g));
    if (g == NULL)
        return KZ_ENOMEM;
    for (gi = 0; gi < it->ngroups && st == KZ_OK; gi++) {
        const kz_sg_group *grp = &it->groups[gi];

        a = realloc(a, (grp->nalts ? grp->nalts : 1) * sizeof(*a));
        if (a == NULL) {
            st = KZ_ENOMEM;
            break;
        }
        for (ai = 0; ai < grp->nalts && st == KZ_OK; ai++)
            st = new_pred(c, it, &grp->alts[ai], target, &a[ai]);
        if (st == KZ_OK)
            st = join(c, N_OR, a, grp->nalts, &g[gi]);
    }
    if (st == KZ_OK)
        st = join(c, it->all ? N_AND : N_OR, g, it->ngroups, &res);
    if (st == KZ_OK && it->negate &&
        (st = GROW(c, kids, cap_kids, c->rs->nkids + 1)) == KZ_OK) {
        c->rs->kids[c->rs->nkids] = res;
        st = new_node(c, N_NOT, 1, (uint32_t)c->rs->nkids++, &res);
    }
    free(g);
    free(a);
    if (st == KZ_OK)
        *out = res;
    return st;
}

static kz_status
sel_node(cc *c, const kz_sg_selection *s, uint32_t target, uint32_t *out)
{
    uint32_t *m = malloc((s->nmaps ? s->nmaps : 1) * sizeof(*m));
    uint32_t *it = NULL;
    size_t mi, ii;
    kz_status st = KZ_OK;

    if (m == NULL)
        return KZ_ENOMEM;
    for (mi = 0; mi < s->nmaps && st == KZ_OK; mi++) {
        const kz_sg_map *map = &s->maps[mi];

        it = realloc(it, (map->nitems ? map->nitems : 1) * sizeof(*it));
        if (it == NULL) {
            st = KZ_ENOMEM;
            break;
        }
        for (ii = 0; ii < map->nitems && st == KZ_OK; ii++)
            st = item_node(c, &map->items[ii], target, &it[ii]);
        if (st == KZ_OK)
            st = join(c, N_AND, it, map->nitems, &m[mi]);
    }
    if (st == KZ_OK)
        st = join(c, N_OR, m, s->nmaps, out);
    free(m);
    free(it);
    return st;
}

static kz_status
cond_node(cc *c, const kz_sg_cond *cn, const kz_ls_target *t,
          uint32_t target, unsigned depth, uint32_t *out)
{
    uint32_t *k;
    size_t i;
    kz_status st = KZ_OK;

    if (depth > MT_MAX_DEPTH)
        return kz_error_set(c->err, KZ_ELIMIT, "%s: condition nested "
                            "deeper than %d", c->rule->path, MT_MAX_DEPTH);
    switch (cn->op) {
    case KZ_CN_SEL:
        if (cn->sel >= t->nsels)
            return kz_error_set(c->err, KZ_EFORMAT, "%s: condition names "
                                "selection %u of %zu", c->rule->path,
                                (unsigned)cn->sel, t->nsels);
        return sel_node(c, &t->sels[cn->sel], target, out);
    case KZ_CN_TRUE:
        return new_node(c, N_TRUE, 0, 0, out);
    case KZ_CN_FALSE:
        return new_node(c, N_FALSE, 0, 0, out);
    case KZ_CN_AND:
    case KZ_CN_OR:
    case KZ_CN_NOT:
        break;
    default:
        return kz_error_set(c->err, KZ_EFORMAT, "%s: bad condition node",
                            c->rule->path);
    }
    if (cn->nkids == 0 || (cn->op == KZ_CN_NOT && cn->nkids != 1))
        return kz_error_set(c->err, KZ_EFORMAT, "%s: bad condition arity",
                            c->rule->path);
    if ((k = malloc(cn->nkids * sizeof(*k))) == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < cn->nkids && st == KZ_OK; i++)
        st = cond_node(c, cn->kids[i], t, target, depth + 1, &k[i]);
    if (st == KZ_OK) {
        if (cn->op == KZ_CN_NOT) {
            if ((st = GROW(c, kids, cap_kids, c->rs->nkids + 1)) == KZ_OK) {
                c->rs->kids[c->rs->nkids] = k[0];
                st = new_node(c, N_NOT, 1, (uint32_t)c->rs->nkids++, out);
            }
        } else {
            st = join(c, cn->op == KZ_CN_AND ? N_AND : N_OR, k, cn->nkids,
                      out);
        }
    }
    free(k);
    return st;
}

/* A list of predicates (trigger sets). */
typedef struct plist {
    uint32_t *v;
    size_t n, cap;
} plist;

static kz_status
plist_add(plist *l, uint32_t p)
{
    kz_status st = kz_grow(&l->v, &l->cap, l->n + 1, sizeof(*l->v), 64);

    if (st == KZ_OK)
        l->v[l->n++] = p;
    return st;
}

/* Cost of triggering on l: predicates on System fields (EventID, ...)
 * fire on most events of their bucket, so they count heavily. */
static size_t
plist_cost(const kz_ruleset *rs, const plist *l)
{
    size_t i, c = 0;

    for (i = 0; i < l->n; i++) {
        const mt_pred *p = &rs->preds[l->v[i]];

        c += rs->slots[p->slot].sys >= 0 ? 1000 : p->kind == MP_PCRE ? 50 : 1;
    }
    return c;
}

/* True if p can be a trigger: it is only true when a pattern of its
 * slot's databases reported (MP_HS: its own pattern; MP_PCRE with a
 * prefilter: the prefilter literal, which every match contains). */
static bool
trigger_kind(const mt_pred *p)
{
    return p->kind == MP_HS || (p->kind == MP_PCRE && p->pre != 0);
}

/* Appends to out a trigger set of node n: predicates (trigger_kind) such that
 * whenever n is true one of them is true. Returns false when there is
 * none (n may be true with no such predicate true: the target is then
 * evaluated on every event of its buckets). For an AND the cheapest kid's
 * set is enough. Depth is bounded by construction (nodes mirror the
 * condition, bounded by MT_MAX_DEPTH, plus item levels). */
static bool
trigger_set(const kz_ruleset *rs, uint32_t n, plist *out, kz_status *st)
{
    const mt_node *nd = &rs->nodes[n];
    size_t i, best_cost = SIZE_MAX;
    plist best = { NULL, 0, 0 }, tmp = { NULL, 0, 0 };
    bool ok = false;

    switch (nd->op) {
    case N_PRED:
        if (rs->preds[nd->a].kind == MP_FALSE)
            return true; /* never true: nothing to trigger on */
        if (!trigger_kind(&rs->preds[nd->a]))
            return false;
        if ((*st = plist_add(out, nd->a)) != KZ_OK)
            return false;
        return true;
    case N_FALSE:
        return true;
    case N_OR:
        for (i = 0; i < nd->n; i++)
            if (!trigger_set(rs, rs->kids[nd->a + i], out, st))
                return false;
        return true;
    case N_AND:
        for (i = 0; i < nd->n && *st == KZ_OK; i++) {
            size_t c;

            tmp.n = 0;
            if (!trigger_set(rs, rs->kids[nd->a + i], &tmp, st))
                continue;
            c = plist_cost(rs, &tmp);
            if (!ok || c < best_cost) {
                plist sw = best;

                best = tmp;
                tmp = sw;
                best_cost = c;
                ok = true;
            }
        }
        for (i = 0; ok && i < best.n && *st == KZ_OK; i++)
            *st = plist_add(out, best.v[i]);
        free(best.v);
        free(tmp.v);
        return ok && *st == KZ_OK;
    default:
        return false; /* NOT, TRUE */
    }
}

/* Marks the trigger predicates of target t; sets t->always when there is
 * no trigger set. */
static kz_status
mark_triggers(kz_ruleset *rs, mt_target *t)
{
    plist l = { NULL, 0, 0 };
    kz_status st = KZ_OK;
    size_t i;

    t->always = !trigger_set(rs, t->root, &l, &st);
    if (st == KZ_OK && !t->always)
        for (i = 0; i < l.n; i++)
            rs->preds[l.v[i]].trigger = true;
    free(l.v);
    return st;
}

/* Builds pat_trig: per pattern, the targets of its trigger predicates
 * (the predicates of a pattern are in increasing order, so are their
 * targets: equal neighbours are merged). Frees pat_preds. */
static kz_status
build_pat_trig(kz_ruleset *rs)
{
    size_t id, i, q = 0;

    rs->pat_trig0 = malloc((rs->npat + 1) * sizeof(uint32_t));
    rs->pat_trig = malloc((rs->npat_preds + 1) * sizeof(uint32_t));
    if (rs->pat_trig0 == NULL || rs->pat_trig == NULL)
        return KZ_ENOMEM;
    for (id = 0; id < rs->npat; id++) {
        size_t q0 = q;

        rs->pat_trig0[id] = (uint32_t)q;
        for (i = rs->pat_pred0[id]; i < rs->pat_pred0[id + 1]; i++) {
            const mt_pred *p = &rs->preds[rs->pat_preds[i]];

            if (p->trigger && (q == q0 || rs->pat_trig[q - 1] != p->target))
                rs->pat_trig[q++] = p->target;
        }
    }
    rs->pat_trig0[rs->npat] = (uint32_t)q;
    free(rs->pat_pred0);
    free(rs->pat_preds);
    rs->pat_pred0 = NULL;
    rs->pat_preds = NULL;
    return KZ_OK;
}

/* ---- event id requirement ------------------------------------------- */

#define EID_SET_MAX 64

typedef struct eidset {
    bool any;                 /* no requirement */
    size_t n;
    uint32_t v[EID_SET_MAX];  /* sorted, unique */
} eidset;

static void
set_add(eidset *s, uint32_t x)
{
    size_t i, j;

    if (s->any)
        return;
    for (i = 0; i < s->n && s->v[i] < x; i++)
        ;
    if (i < s->n && s->v[i] == x)
        return;
    if (s->n == EID_SET_MAX) {
        s->any = true;
        return;
    }
    for (j = s->n; j > i; j--)
        s->v[j] = s->v[j - 1];
    s->v[i] = x;
    s->n++;
}

/* The event ids item it allows, when it is a plain `EventID: numbers`. */
static bool
item_eids(const kz_sg_item *it, eidset *out)
{
    size_t g, a, k;

    if (it->field == NULL || strcasecmp(it->field, "EventID") != 0 ||
        it->negate || (it->all && it->ngroups > 1))
        return false;
    out->any = false;
    out->n = 0;
    for (g = 0; g < it->ngroups; g++) {
        for (a = 0; a < it->groups[g].nalts; a++) {
            const kz_sg_value *v = &it->groups[g].alts[a];
            const kz_sg_tok *t = v->pat.toks;
            uint64_t x = 0;

            if (v->kind != KZ_SV_PATTERN || v->pat.ntoks != 1 ||
                t->kind != KZ_TOK_LIT || t->len == 0 || t->len > 9 ||
                (size_t)t->off + t->len > v->pat.text_len)
                return false;
            for (k = 0; k < t->len; k++) {
                char ch = v->pat.text[t->off + k];

                if (ch < '0' || ch > '9' || (k == 0 && ch == '0' &&
                                             t->len > 1))
                    return false;
                x = x * 10 + (uint64_t)(ch - '0');
            }
            set_add(out, (uint32_t)x);
        }
    }
    return !out->any;
}

static void
eid_req(const kz_sg_cond *cn, const kz_ls_target *t, unsigned depth,
        eidset *out)
{
    size_t i, j, m;
    eidset *k;

    out->any = true;
    out->n = 0;
    if (depth > MT_MAX_DEPTH)
        return;
    if (cn->op == KZ_CN_FALSE) {
        out->any = false;
        return;
    }
    if (cn->op == KZ_CN_SEL) {
        const kz_sg_selection *s;

        if (cn->sel >= t->nsels)
            return;
        s = &t->sels[cn->sel];
        out->any = false;
        for (m = 0; m < s->nmaps && !out->any; m++) {
            eidset one;
            bool found = false;

            for (i = 0; i < s->maps[m].nitems && !found; i++)
                found = item_eids(&s->maps[m].items[i], &one);
            if (!found) {
                out->any = true;
                break;
            }
            for (j = 0; j < one.n; j++)
                set_add(out, one.v[j]);
        }
        if (out->any)
            out->n = 0;
        return;
    }
    if ((cn->op != KZ_CN_AND && cn->op != KZ_CN_OR) || cn->nkids == 0)
        return;
    if ((k = malloc(sizeof(*k))) == NULL)
        return;
    if (cn->op == KZ_CN_OR) {
        out->any = false;
        for (i = 0; i < cn->nkids && !out->any; i++) {
            eid_req(cn->kids[i], t, depth + 1, k);
            if (k->any)
                out->any = true;
            for (j = 0; j < k->n && !out->any; j++)
                set_add(out, k->v[j]);
        }
        if (out->any)
            out->n = 0;
    } else {
        for (i = 0; i < cn->nkids; i++) {
            eid_req(cn->kids[i], t, depth + 1, k);
            if (k->any)
                continue;
            if (out->any) {
                *out = *k;
                continue;
            }
            for (j = m = 0; j < out->n; j++) {
                size_t q;

                for (q = 0; q < k->n && k->v[q] != out->v[j]; q++)
                    ;
                if (q < k->n)
                    out->v[m++] = out->v[j];
            }
            out->n = m;
        }
    }
    free(k);
}

/* ---- dispatch ------------------------------------------------------- */

static uint32_t
chan_find(const kz_ruleset *rs, const char *name, size_t len)
{
    size_t mask = rs->chan_slots - 1, i;
    uint32_t e;

    if (rs->chan_slots == 0)
        return UINT32_MAX;
    i = (size_t)kz_hash_fold(name, len) & mask;
    while ((e = rs->chan_hash[i]) != 0) {
        const mt_chan *ch = &rs->chans[e - 1];
        size_t k;

        if (ch->len == len) {
            for (k = 0; k < len; k++)
                if (ch->name[k] != (char)kz_ascii_lower((unsigned char)name[k]))
                    break;
            if (k == len)
                return e - 1;
        }
        i = (i + 1) & mask;
    }
    return UINT32_MAX;
}

/* Channel index of name, added if new (the hash is rebuilt at the end,
 * so this linear search runs at compile time only). */
static kz_status
chan_add(cc *c, const char *name, uint32_t *out)
{
    kz_ruleset *rs = c->rs;
    size_t len = strlen(name), i, k;
    mt_chan *p;

    for (i = 0; i < rs->nchans; i++) {
        if (rs->chans[i].len != len)
            continue;
        for (k = 0; k < len; k++)
            if (rs->chans[i].name[k] !=
                (char)kz_ascii_lower((unsigned char)name[k]))
                break;
        if (k == len) {
            *out = (uint32_t)i;
            return KZ_OK;
        }
    }
    if ((p = realloc(rs->chans, (rs->nchans + 1) * sizeof(*p))) == NULL)
        return KZ_ENOMEM;
    rs->chans = p;
    p = &rs->chans[rs->nchans];
    memset(p, 0, sizeof(*p));
    if ((p->name = malloc(len + 1)) == NULL)
        return KZ_ENOMEM;
    for (k = 0; k < len; k++)
        p->name[k] = (char)kz_ascii_lower((unsigned char)name[k]);
    p->name[len] = '\0';
    p->len = len;
    p->any = UINT32_MAX;
    *out = (uint32_t)rs->nchans++;
    return KZ_OK;
}

static kz_status
disp_add(cc *c, uint32_t chan, uint32_t eid, uint32_t target)
{
    kz_status st;

    if ((st = kz_grow(&c->disp, &c->cap_disp, c->ndisp + 1,
                      sizeof(*c->disp), 64)) != KZ_OK)
        return st;
    c->disp[c->ndisp].chan = chan;
    c->disp[c->ndisp].eid = eid;
    c->disp[c->ndisp].target = target;
    c->ndisp++;
    return KZ_OK;
}

static int
disp_cmp(const void *a, const void *b)
{
    const struct disp *x = a, *y = b;

    if (x->chan != y->chan)
        return x->chan < y->chan ? -1 : 1;
    if (x->eid != y->eid)
        return x->eid < y->eid ? -1 : 1;
    if (x->target != y->target)
        return x->target < y->target ? -1 : 1;
    return 0;
}

/* Fills bucket b from sorted target lists x and y (merged, unique). */
static kz_status
bucket_fill(kz_ruleset *rs, mt_bucket *b, const struct disp *x, size_t nx,
            const struct disp *y, size_t ny, uint8_t *slot_seen)
{
    size_t words = (rs->ntargets + 63) / 64, i = 0, j = 0, p;
    uint32_t t, last = UINT32_MAX;

    memset(b, 0, sizeof(*b));
    b->member = calloc(words ? words : 1, sizeof(uint64_t));
    b->always = malloc((nx + ny + 1) * sizeof(uint32_t));
    b->slots = malloc((rs->nslots + 1) * sizeof(uint32_t));
    if (b->member == NULL || b->always == NULL || b->slots == NULL)
        return KZ_ENOMEM;
    memset(slot_seen, 0, rs->nslots);
    while (i < nx || j < ny) {
        if (j >= ny || (i < nx && x[i].target <= y[j].target))
            t = x[i++].target;
        else
            t = y[j++].target;
        if (t == last)
            continue;
        last = t;
        b->member[t / 64] |= (uint64_t)1 << (t % 64);
        b->ntargets++;
        if (rs->targets[t].always)
            b->always[b->nalways++] = t;
        for (p = rs->targets[t].pred0;
             p < rs->targets[t].pred0 + rs->targets[t].npred; p++) {
            const mt_pred *pr = &rs->preds[p];

            if (!pr->trigger)
                continue; /* other slots are scanned on demand */
            if (pr->slot == MT_SLOT_KEYWORD) {
                b->keywords = true;
            } else if (!slot_seen[pr->slot]) {
                slot_seen[pr->slot] = 1;
                b->slots[b->nslots++] = pr->slot;
            }
        }
    }
    return KZ_OK;
}

/* Gives each rule regex predicate its gate (mt_regex_gate). */
static kz_status
build_gates(kz_ruleset *rs)
{
    kz_strbuf b;
    size_t i, n = 0;
    kz_status st = KZ_OK;

    for (i = 0; i < rs->npreds; i++)
        n += rs->preds[i].kind == MP_PCRE &&
             rs->preds[i].v->kind == KZ_SV_REGEX;
    if (n == 0)
        return KZ_OK;
    if (n > MT_MAX_GATES)
        n = MT_MAX_GATES;
    if ((rs->gates = malloc(n * sizeof(*rs->gates))) == NULL)
        return KZ_ENOMEM;
    kz_strbuf_init(&b, 0);
    for (i = 0; i < rs->npreds && rs->ngates < n; i++) {
        mt_pred *p = &rs->preds[i];
        size_t l0 = b.len;
        uint32_t fct = 0, fcu = 0;
        mt_gate *g = &rs->gates[rs->ngates];
        kz_error err;
        int wc;

        if (p->kind != MP_PCRE || p->v->kind != KZ_SV_REGEX)
            continue;
        memset(g, 0, sizeof(*g));
        kz_error_clear(&err);
        if ((wc = mt_regex_word_start(p->v->regex)) != 0 &&
            mt_pcre_compile(p->v->regex, regex_opts(p->v) | PCRE2_ANCHORED,
                            "", &g->anch, &err) == KZ_OK)
            g->wc = (uint8_t)wc;
        /* PCRE2 searches a known first byte itself (memchr): a gate only
         * pays when that byte is a common one (a letter) or unknown */
        if (!(pcre2_pattern_info(p->re, PCRE2_INFO_FIRSTCODETYPE, &fct) ==
                  0 &&
              fct == 1 &&
              pcre2_pattern_info(p->re, PCRE2_INFO_FIRSTCODEUNIT, &fcu) ==
                  0 &&
              !((fcu >= 'a' && fcu <= 'z') || (fcu >= 'A' && fcu <= 'Z'))) &&
            mt_regex_gate(p->v->regex, 2, &b)) {
            if (b.len > UINT32_MAX) {
                pcre2_code_free(g->anch);
                st = KZ_ENOMEM;
                break;
            }
            g->off = (uint32_t)l0;
            g->len = (uint32_t)(b.len - l0);
        } else {
            b.len = l0;
        }
        if (g->len == 0 && g->anch == NULL)
            continue;
        p->gate = (uint16_t)++rs->ngates;
    }
    if (st == KZ_OK && (rs->gate_text = malloc(b.len ? b.len : 1)) == NULL)
        st = KZ_ENOMEM;
    if (st == KZ_OK && b.len != 0)
        memcpy(rs->gate_text, b.data, b.len);
    kz_strbuf_fini(&b);
    return st;
}

static kz_status
build_dispatch(cc *c)
{
    kz_ruleset *rs = c->rs;
    size_t i = 0, j, k, nb = 0;
    uint8_t *seen = NULL;
    kz_status st = KZ_OK;

    if (c->ndisp > 1)
        qsort(c->disp, c->ndisp, sizeof(*c->disp), disp_cmp);
    /* Count buckets: one per channel ("any") plus one per (chan, eid). */
    for (i = 0; i < c->ndisp; i++)
        if (c->disp[i].eid != UINT32_MAX &&
            (i == 0 || c->disp[i - 1].chan != c->disp[i].chan ||
             c->disp[i - 1].eid != c->disp[i].eid))
            nb++;
    nb += rs->nchans;
    rs->buckets = calloc(nb ? nb : 1, sizeof(*rs->buckets));
    seen = malloc(rs->nslots + 1);
    if (rs->buckets == NULL || seen == NULL) {
        free(seen);
        return KZ_ENOMEM;
    }
    for (i = 0; i < c->ndisp && st == KZ_OK;) {
        uint32_t ch = c->disp[i].chan;
        size_t end = i, wild, nwild, ne = 0;
        mt_chan *chan = &rs->chans[ch];

        while (end < c->ndisp && c->disp[end].chan == ch)
            end++;
        /* UINT32_MAX sorts last: the wildcard run is at the end. */
        for (wild = end; wild > i && c->disp[wild - 1].eid == UINT32_MAX;
             wild--)
            ;
        nwild = end - wild;
        for (j = i; j < wild; j++)
            if (j == i || c->disp[j].eid != c->disp[j - 1].eid)
                ne++;
        chan->eids = malloc((ne ? ne : 1) * sizeof(*chan->eids));
        if (chan->eids == NULL) {
            st = KZ_ENOMEM;
            break;
        }
        chan->any = (uint32_t)rs->nbuckets;
        st = bucket_fill(rs, &rs->buckets[rs->nbuckets++], c->disp + wild,
                         nwild, NULL, 0, seen);
        for (j = i; j < wild && st == KZ_OK; j = k) {
            for (k = j; k < wild && c->disp[k].eid == c->disp[j].eid; k++)
                ;
            chan->eids[chan->neids].eid = c->disp[j].eid;
            chan->eids[chan->neids++].bucket = (uint32_t)rs->nbuckets;
            st = bucket_fill(rs, &rs->buckets[rs->nbuckets++], c->disp + j,
                             k - j, c->disp + wild, nwild, seen);
        }
        i = end;
    }
    free(seen);
    if (st != KZ_OK)
        return st;
    /* Channels without any entry (impossible) keep any = UINT32_MAX. */
    rs->chan_slots = 16;
    while (rs->chan_slots < 2 * rs->nchans + 2)
        rs->chan_slots *= 2;
    if ((rs->chan_hash = calloc(rs->chan_slots, sizeof(uint32_t))) == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < rs->nchans; i++) {
        size_t mask = rs->chan_slots - 1;
        size_t h = (size_t)kz_hash_fold(rs->chans[i].name, rs->chans[i].len);

        h &= mask;
        while (rs->chan_hash[h] != 0)
            h = (h + 1) & mask;
        rs->chan_hash[h] = (uint32_t)i + 1;
    }
    return KZ_OK;
}

uint32_t
mt_chan_find(const kz_ruleset *rs, const char *name, size_t len)
{
    return chan_find(rs, name, len);
}

/* ---- rules and targets ---------------------------------------------- */

static kz_status
compile_target(cc *c, uint32_t rule, const kz_ls_target *lt)
{
    kz_ruleset *rs = c->rs;
    const kz_sigma_rule *r = rs->rules[rule];
    uint32_t tid = (uint32_t)rs->ntargets, root, ch;
    mt_target *t;
    eidset *req;
    size_t i, j;
    kz_status st;

    if ((st = GROW(c, targets, cap_targets, rs->ntargets + 1)) != KZ_OK)
        return st;
    t = &rs->targets[tid];
    memset(t, 0, sizeof(*t));
    t->rule = rule;
    t->pred0 = (uint32_t)rs->npreds;
    rs->ntargets++;
    if (r->cond == NULL)
        return kz_error_set(c->err, KZ_EFORMAT, "%s: rule without condition",
                            r->path);
    if ((st = cond_node(c, r->cond, lt, tid, 0, &root)) != KZ_OK)
        return st;
    t = &rs->targets[tid];
    t->root = root;
    t->npred = (uint32_t)(rs->npreds - t->pred0);
    if ((req = malloc(sizeof(*req))) == NULL)
        return KZ_ENOMEM;
    eid_req(r->cond, lt, 0, req);
    for (i = 0; i < lt->nchannels && st == KZ_OK; i++) {
        if ((st = chan_add(c, lt->channels[i], &ch)) != KZ_OK)
            break;
        if (lt->eids == NULL && req->any) {
            st = disp_add(c, ch, UINT32_MAX, tid);
        } else if (lt->eids == NULL) {
            for (j = 0; j < req->n && st == KZ_OK; j++)
                st = disp_add(c, ch, req->v[j], tid);
        } else {
            for (j = 0; j < lt->neids && st == KZ_OK; j++) {
                size_t q;

                if (!req->any) {
                    for (q = 0; q < req->n && req->v[q] != lt->eids[j]; q++)
                        ;
                    if (q == req->n)
                        continue; /* the condition excludes this id */
                }
                st = disp_add(c, ch, lt->eids[j], tid);
            }
        }
    }
    free(req);
    return st;
}

/* What the ruleset held before a rule: compile_rule undoes a failed rule
 * back to it. */
typedef struct mark {
    size_t rules, targets, preds, nodes, kids, slots, chans, disp;
} mark;

static void
rollback(cc *c, const mark *m)
{
    kz_ruleset *rs = c->rs;
    size_t i;

    for (i = m->preds; i < rs->npreds; i++)
        pcre2_code_free(rs->preds[i].re);
    for (i = m->slots; i < rs->nslots; i++)
        if (rs->slots[i].id >= 0 && (size_t)rs->slots[i].id < rs->nids)
            rs->slot_of_id[rs->slots[i].id] = -1;
    for (i = m->chans; i < rs->nchans; i++) {
        free(rs->chans[i].name);
        free(rs->chans[i].eids);
    }
    rs->nrules = m->rules;
    rs->ntargets = m->targets;
    rs->npreds = m->preds;
    rs->nnodes = m->nodes;
    rs->nkids = m->kids;
    rs->nslots = m->slots;
    rs->nchans = m->chans;
    c->ndisp = m->disp;
}

/* Records that rule r was skipped because of msg ("PATH: why" or why). */
static kz_status
add_skip(kz_ruleset *rs, const kz_sigma_rule *r, const char *msg)
{
    kz_ruleset *x = rs;
    size_t pl = strlen(r->path);
    const char *why;
    kz_status st;

    if (strncmp(msg, r->path, pl) == 0 && msg[pl] == ':' &&
        msg[pl + 1] == ' ')
        msg += pl + 2;
    if (*msg == '\0')
        msg = "cannot compile";
    if ((why = kz_arena_strndup(&rs->arena, msg, strlen(msg))) == NULL)
        return KZ_ENOMEM;
    if ((st = kz_grow(&x->skip, &x->cap_skip, x->nskip + 1,
                      sizeof(*x->skip), 8)) != KZ_OK)
        return st;
    x->skip[x->nskip].rule = r;
    x->skip[x->nskip++].why = why;
    return KZ_OK;
}

/* Compiles rule r (all its targets). A failure that concerns this rule
 * only is undone and recorded as a skip (KZ_OK); out of memory and the
 * set-wide predicate bound fail the whole compile (message in err). */
static kz_status
compile_rule(cc *c, const kz_sigma_rule *r, kz_error *err)
{
    kz_ruleset *rs = c->rs;
    const kz_ls_target *tg;
    size_t nt, k;
    const char *why;
    kz_error rerr;
    kz_status st;
    mark m;
    uint32_t ri;

    st = kz_logsource_map(r, &rs->arena, &tg, &nt, &why);
    if (st == KZ_EUNSUPPORTED)
        return KZ_OK;
    if (st != KZ_OK)
        return st;
    m.rules = rs->nrules;
    m.targets = rs->ntargets;
    m.preds = rs->npreds;
    m.nodes = rs->nnodes;
    m.kids = rs->nkids;
    m.slots = rs->nslots;
    m.chans = rs->nchans;
    m.disp = c->ndisp;
    if ((st = GROW(c, rules, cap_rules, rs->nrules + 1)) != KZ_OK)
        return st;
    ri = (uint32_t)rs->nrules;
    rs->rules[rs->nrules++] = r;
    kz_error_clear(&rerr);
    c->err = &rerr;
    c->rule = r;
    c->pred0 = rs->npreds;
    c->node0 = rs->nnodes;
    c->global = false;
    for (k = 0; k < nt && st == KZ_OK; k++)
        st = compile_target(c, ri, &tg[k]);
    c->err = err;
    if (st == KZ_OK)
        return KZ_OK;
    rollback(c, &m);
    if (st == KZ_ENOMEM || c->global) {
        kz_error_set(err, st, "%s", rerr.msg[0] != '\0'
                                        ? rerr.msg : kz_status_str(st));
        return st;
    }
    return add_skip(rs, r, rerr.msg[0] != '\0' ? rerr.msg
                                               : kz_status_str(st));
}

kz_status
kz_ruleset_compile(const kz_sigma_set *set, kz_names *names,
                   const kz_match_opts *o, kz_ruleset **out, kz_error *err)
{
    kz_ruleset *rs;
    cc c;
    size_t i;
    kz_status st = KZ_OK;
    struct timespec t0, t1;

    *out = NULL;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((rs = calloc(1, sizeof(*rs))) == NULL)
        return KZ_ENOMEM;
    if (o != NULL)
        rs->o = *o;
    if (rs->o.pcre_match_limit == 0)
        rs->o.pcre_match_limit = 1000000;
    if (rs->o.pcre_depth_limit == 0)
        rs->o.pcre_depth_limit = 10000;
    if (rs->o.max_value == 0)
        rs->o.max_value = (size_t)1 << 20;
    kz_arena_init(&rs->arena, 64 * 1024, 0);
    memset(&c, 0, sizeof(c));
    c.rs = rs;
    c.names = names;
    c.err = err;
    /* slot 0: keywords */
    if ((st = GROW(&c, slots, cap_slots, 1)) != KZ_OK)
        goto out;
    memset(&rs->slots[0], 0, sizeof(rs->slots[0]));
    rs->slots[0].name = "(keywords)";
    rs->slots[0].id = KZ_NAME_NONE;
    rs->slots[0].sys = SYS_NONE;
    rs->nslots = 1;
    for (i = 0; i < set->nrules && st == KZ_OK; i++)
        if (set->rules[i]->kind == KZ_SG_RULE)
            st = compile_rule(&c, set->rules[i], err);
    if (st == KZ_OK)
        st = mt_build_dbs(rs, err);
    /* after the databases: a refused expression became MP_PCRE */
    for (i = 0; i < rs->ntargets && st == KZ_OK; i++)
        st = mark_triggers(rs, &rs->targets[i]);
    for (i = 0; i < rs->npreds && st == KZ_OK; i++) {
        size_t jsz = 0;

        rs->preds[i].jit = rs->preds[i].kind == MP_PCRE &&
                           rs->preds[i].re != NULL &&
                           pcre2_pattern_info(rs->preds[i].re,
                                              PCRE2_INFO_JITSIZE, &jsz) == 0 &&
                           jsz > 0;
    }
    if (st == KZ_OK)
        st = build_pat_trig(rs);
    if (st == KZ_OK)
        st = build_gates(rs);
    if (st == KZ_OK)
        st = build_dispatch(&c);
    if (st == KZ_OK && (rs->mctx = pcre2_match_context_create(NULL)) == NULL)
        st = KZ_ENOMEM;
    if (st == KZ_OK) {
        pcre2_set_match_limit(rs->mctx, rs->o.pcre_match_limit);
        pcre2_set_depth_limit(rs->mctx, rs->o.pcre_depth_limit);
    }
out:
    free(c.disp);
    if (st != KZ_OK) {
        if (st == KZ_ENOMEM)
            kz_error_set(err, st, "out of memory compiling rules");
        kz_ruleset_free(rs);
        return st;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    rs->st.rules = rs->nrules;
    rs->st.targets = rs->ntargets;
    rs->st.buckets = rs->nbuckets;
    rs->st.fields = rs->nslots - 1;
    for (i = 0; i < rs->npreds; i++) {
        if (rs->preds[i].kind == MP_HS)
            rs->st.patterns++;
        else if (rs->preds[i].kind == MP_PCRE)
            rs->st.regexes++;
    }
    rs->st.compile_s = (double)(t1.tv_sec - t0.tv_sec) +
                       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    *out = rs;
    return KZ_OK;
}

void
kz_ruleset_free(kz_ruleset *rs)
{
    size_t i;

    if (rs == NULL)
        return;
    for (i = 0; i < rs->npreds; i++)
        pcre2_code_free(rs->preds[i].re);
    for (i = 0; i < rs->nslots; i++) {
        hs_free_database(rs->slots[i].db);
        hs_free_database(rs->slots[i].ldb);
    }
    for (i = 0; i < rs->nchans; i++) {
        free(rs->chans[i].name);
        free(rs->chans[i].eids);
    }
    for (i = 0; i < rs->nbuckets; i++) {
        free(rs->buckets[i].member);
        free(rs->buckets[i].always);
        free(rs->buckets[i].slots);
    }
    if (rs->proto != NULL)
        hs_free_scratch(rs->proto);
    pcre2_match_context_free(rs->mctx);
    free(rs->rules);
    free(rs->targets);
    free(rs->preds);
    free(rs->nodes);
    free(rs->kids);
    free(rs->slots);
    free(rs->slot_of_id);
    free(rs->pat_pred0);
    free(rs->pat_preds);
    free(rs->pat_trig0);
    free(rs->pat_trig);
    free(rs->pat_lit);
    free(rs->exact);
    free(rs->exact_text);
    free(rs->shorts);
    free(rs->sgroups);
    free(rs->ptabs);
    for (i = 0; i < rs->ngates; i++)
        pcre2_code_free(rs->gates[i].anch);
    free(rs->gates);
    free(rs->gate_text);
    free(rs->chans);
    free(rs->chan_hash);
    free(rs->buckets);
    free(rs->skip);
    kz_arena_fini(&rs->arena);
    free(rs);
}

void
kz_ruleset_stats_get(const kz_ruleset *rs, kz_ruleset_stats *st)
{
    *st = rs->st;
}

size_t
kz_ruleset_rule_count(const kz_ruleset *rs)
{
    return rs->nrules;
}

const kz_sigma_rule *
kz_ruleset_rule(const kz_ruleset *rs, size_t i)
{
    return i < rs->nrules ? rs->rules[i] : NULL;
}

size_t
kz_ruleset_skipped(const kz_ruleset *rs, size_t i, const kz_sigma_rule **r,
                   const char **why)
{
    const kz_ruleset *x = rs;

    if (i < x->nskip) {
        if (r != NULL)
            *r = x->skip[i].rule;
        if (why != NULL)
            *why = x->skip[i].why;
    }
    return x->nskip;
}
