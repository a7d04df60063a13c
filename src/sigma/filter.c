/*
 * filter.c - meta filters (sigma-notes.md 4): reading the `filter`
 * section, and applying a filter to a rule at kz_sigma_set_finish.
 *
 * A filter applies to a rule when its logsource contains the rule's
 * (every product/category/service the filter sets equals the rule's) and
 * it names the rule by id or name, or says `rules: any` (or []). The
 * filter's selections are appended to the rule's, renamed
 * `_filt<N>_<name>` (N = the filter's index in the set, so names stay
 * deterministic), and the rule's condition becomes
 * `(<rule condition>) and (<filter condition>)`. The filter's condition
 * was resolved against its own selections at load time, so its `them`
 * covers only them. An exclusion is therefore written `not selection`.
 *
 * Ownership: the appended selections' maps stay in the filter's arena;
 * both rules belong to the same set and die together.
 */
#include "sigma/sigma_int.h"

#include <stdio.h>
#include <string.h>

kz_status
kz_sg_filter_read(kz_sg_ctx *c, const kz_yn *f)
{
    kz_sigma_rule *r = c->rule;
    const kz_yn *rules;
    kz_status st;

    if (f->kind != KZ_YN_MAP)
        return kz_sg_fail(c, KZ_SGV_INVALID, f->line,
                          "filter must be a map");
    rules = kz_yn_get(f, "rules");
    if (rules == NULL)
        return kz_sg_fail(c, KZ_SGV_INVALID, f->line,
                          "filter needs 'rules' (a list of ids or names, "
                          "or any)");
    if (rules->kind == KZ_YN_SCALAR && strcmp(rules->str, "any") == 0) {
        r->filter_any = true;
    } else {
        if ((st = kz_sg_strlist_read(c, rules, "rules", &r->filter_rules)) !=
            KZ_OK)
            return st;
        r->filter_any = r->filter_rules.n == 0;
    }
    return kz_sg_detection(c, f, true);
}

static bool
same(const char *want, const char *have)
{
    return want == NULL || (have != NULL && strcmp(want, have) == 0);
}

/* Copies cond tree n into arena a with selection indices moved by off.
 * Depth is bounded by the parser (KZ_SG_MAX_COND_DEPTH levels of
 * parentheses and `not`, each with one and/or level). */
static const kz_sg_cond *
copy_cond(kz_arena *a, const kz_sg_cond *n, uint32_t off)
{
    kz_sg_cond *m = kz_arena_alloc(a, sizeof(*m));
    const kz_sg_cond **kids = NULL;
    size_t i;

    if (m == NULL)
        return NULL;
    *m = *n;
    if (n->op == KZ_CN_SEL)
        m->sel = n->sel + off;
    if (n->nkids > 0) {
        if ((kids = kz_arena_alloc(a, n->nkids * sizeof(*kids))) == NULL)
            return NULL;
        for (i = 0; i < n->nkids; i++)
            if ((kids[i] = copy_cond(a, n->kids[i], off)) == NULL)
                return NULL;
    }
    m->kids = kids;
    return m;
}

kz_status
kz_sg_filter_apply(const kz_sigma_rule *f, unsigned fidx, kz_sigma_rule *r,
                   bool *applied)
{
    kz_arena *a = &r->arena;
    kz_sg_selection *sels;
    kz_sg_cond *and;
    const kz_sg_cond **kids;
    bool named = f->filter_any;
    size_t i;

    *applied = false;
    if (r->kind != KZ_SG_RULE || r->cond == NULL)
        return KZ_OK;
    if (!same(f->product, r->product) || !same(f->category, r->category) ||
        !same(f->service, r->service))
        return KZ_OK;
    for (i = 0; i < f->filter_rules.n && !named; i++)
        if ((r->id != NULL && strcmp(f->filter_rules.v[i], r->id) == 0) ||
            (r->name != NULL && strcmp(f->filter_rules.v[i], r->name) == 0))
            named = true;
    if (!named)
        return KZ_OK;
    if (r->nsels + f->nsels > UINT32_MAX / 2)
        return KZ_ELIMIT;
    sels = kz_arena_alloc(a, (r->nsels + f->nsels) * sizeof(*sels));
    and = kz_arena_alloc(a, sizeof(*and));
    kids = kz_arena_alloc(a, 2 * sizeof(*kids));
    if (sels == NULL || and == NULL || kids == NULL)
        return KZ_ENOMEM;
    memcpy(sels, r->sels, r->nsels * sizeof(*sels));
    for (i = 0; i < f->nsels; i++) {
        char name[320];

        sels[r->nsels + i] = f->sels[i];
        snprintf(name, sizeof(name), "_filt%u_%s", fidx, f->sels[i].name);
        if ((sels[r->nsels + i].name =
                 kz_arena_strndup(a, name, strlen(name))) == NULL)
            return KZ_ENOMEM;
    }
    kids[0] = r->cond;
    if ((kids[1] = copy_cond(a, f->cond, (uint32_t)r->nsels)) == NULL)
        return KZ_ENOMEM;
    memset(and, 0, sizeof(*and));
    and->op = KZ_CN_AND;
    and->kids = kids;
    and->nkids = 2;
    r->sels = sels;
    r->nsels += f->nsels;
    r->cond = and;
    *applied = true;
    return KZ_OK;
}
