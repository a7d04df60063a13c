/*
 * detection.c - the `detection` section (and a filter's `filter` section):
 * search identifiers into kz_sg_selection, then the condition.
 *
 * A selection is a map (AND of items), a list of maps (OR of maps), a list
 * of scalars or one scalar (keywords: one item with no field). A map key
 * `'|mods'` with an empty field is a keyword item (`'|all': [...]`).
 */
#include "sigma/sigma_int.h"

#include <string.h>

/* Builds one map of items from YAML map m. */
static kz_status
build_map(kz_sg_ctx *c, const kz_yn *m, kz_sg_map *out)
{
    kz_sg_item *items;
    size_t i;
    kz_status st;

    if (m->n == 0)
        return kz_sg_fail(c, KZ_SGV_INVALID, m->line, "empty selection map");
    if ((items = kz_arena_alloc(c->a, m->n * sizeof(*items))) == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < m->n; i++) {
        const kz_yn *k = m->kids[2 * i], *v = m->kids[2 * i + 1];
        const char *bar, *field = NULL, *mods = NULL;

        if (k->kind != KZ_YN_SCALAR)
            return kz_sg_fail(c, KZ_SGV_INVALID, k->line,
                              "a field name must be a scalar");
        bar = strchr(k->str, '|');
        if (bar == NULL) {
            field = k->len > 0 ? kz_sg_strdup(c, k->str) : NULL;
            if (k->len > 0 && field == NULL)
                return KZ_ENOMEM;
        } else {
            if (bar > k->str &&
                (field = kz_arena_strndup(c->a, k->str,
                                          (size_t)(bar - k->str))) == NULL)
                return KZ_ENOMEM;
            if ((mods = kz_sg_strdup(c, bar + 1)) == NULL)
                return KZ_ENOMEM;
        }
        if (field == NULL && k->len == 0)
            return kz_sg_fail(c, KZ_SGV_INVALID, k->line, "empty field name");
        if (mods != NULL && *mods == '\0')
            return kz_sg_fail(c, KZ_SGV_INVALID, k->line,
                              "empty modifier after '|'");
        if ((st = kz_sg_item_build(c, field, mods, v, k->line, &items[i])) !=
            KZ_OK)
            return st;
    }
    out->items = items;
    out->nitems = m->n;
    return KZ_OK;
}

static kz_status
build_selection(kz_sg_ctx *c, const char *name, const kz_yn *v,
                unsigned line, kz_sg_selection *sel)
{
    kz_sg_map *maps;
    size_t i, nmaps = 0, nscalars = 0;
    kz_status st;

    memset(sel, 0, sizeof(*sel));
    sel->name = name;
    sel->line = line;
    if (kz_yn_is_null(v))
        return kz_sg_fail(c, KZ_SGV_INVALID, line, "empty selection '%s'",
                          name);
    if (v->kind == KZ_YN_MAP) {
        if ((maps = kz_arena_alloc(c->a, sizeof(*maps))) == NULL)
            return KZ_ENOMEM;
        if ((st = build_map(c, v, maps)) != KZ_OK)
            return st;
        sel->maps = maps;
        sel->nmaps = 1;
        return KZ_OK;
    }
    if (v->kind == KZ_YN_SEQ) {
        if (v->n == 0)
            return kz_sg_fail(c, KZ_SGV_INVALID, line,
                              "empty selection '%s'", name);
        for (i = 0; i < v->n; i++) {
            if (v->kids[i]->kind == KZ_YN_MAP)
                nmaps++;
            else if (v->kids[i]->kind == KZ_YN_SCALAR)
                nscalars++;
        }
        if (nmaps == v->n) {
            if ((maps = kz_arena_alloc(c->a, nmaps * sizeof(*maps))) == NULL)
                return KZ_ENOMEM;
            for (i = 0; i < nmaps; i++)
                if ((st = build_map(c, v->kids[i], &maps[i])) != KZ_OK)
                    return st;
            sel->maps = maps;
            sel->nmaps = nmaps;
            return KZ_OK;
        }
        if (nscalars != v->n)
            return kz_sg_fail(c, KZ_SGV_INVALID, v->line,
                              "selection '%s' mixes maps and values", name);
    }
    /* Keywords: a list of scalars or a single scalar. */
    {
        kz_sg_item *it;

        maps = kz_arena_alloc(c->a, sizeof(*maps));
        it = kz_arena_alloc(c->a, sizeof(*it));
        if (maps == NULL || it == NULL)
            return KZ_ENOMEM;
        if ((st = kz_sg_item_build(c, NULL, NULL, v, v->line, it)) != KZ_OK)
            return st;
        maps->items = it;
        maps->nitems = 1;
        sel->maps = maps;
        sel->nmaps = 1;
    }
    return KZ_OK;
}

kz_status
kz_sg_detection(kz_sg_ctx *c, const kz_yn *det, bool filter)
{
    kz_sigma_rule *r = c->rule;
    kz_sg_selection *sels;
    const kz_yn *cond;
    const kz_sg_cond **parts;
    size_t i, k, n = 0;
    kz_status st;

    if (det == NULL || det->kind != KZ_YN_MAP)
        return kz_sg_fail(c, KZ_SGV_INVALID, det ? det->line : r->line,
                          "%s must be a map",
                          filter ? "filter" : "detection");
    if ((sels = kz_arena_alloc(c->a, (det->n + 1) * sizeof(*sels))) == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < det->n; i++) {
        const kz_yn *key = det->kids[2 * i];
        const char *name;
        bool later = false;

        if (key->kind != KZ_YN_SCALAR || key->len == 0)
            return kz_sg_fail(c, KZ_SGV_INVALID, key->line,
                              "a search identifier must be a scalar");
        if (kz_yn_key_is(key, "condition") ||
            (filter && kz_yn_key_is(key, "rules")))
            continue;
        if (kz_yn_key_is(key, "timeframe"))
            return kz_sg_fail(c, KZ_SGV_INVALID, key->line,
                              "deprecated v1 aggregation (timeframe)");
        /* Duplicate keys: the last one wins, as with PyYAML. */
        for (k = i + 1; k < det->n; k++)
            if (det->kids[2 * k]->kind == KZ_YN_SCALAR &&
                det->kids[2 * k]->len == key->len &&
                memcmp(det->kids[2 * k]->str, key->str, key->len) == 0)
                later = true;
        if (later)
            continue;
        if ((name = kz_sg_strdup(c, key->str)) == NULL)
            return KZ_ENOMEM;
        if ((st = build_selection(c, name, det->kids[2 * i + 1],
                                  key->line, &sels[n])) != KZ_OK)
            return st;
        n++;
    }
    if (n == 0)
        return kz_sg_fail(c, KZ_SGV_INVALID, det->line,
                          "no search identifier");
    r->sels = sels;
    r->nsels = n;
    cond = kz_yn_get(det, "condition");
    if (kz_yn_is_null(cond))
        return kz_sg_fail(c, KZ_SGV_INVALID, det->line, "missing condition");
    if (cond->kind == KZ_YN_SCALAR) {
        if ((r->cond_text = kz_sg_strdup(c, cond->str)) == NULL)
            return KZ_ENOMEM;
        return kz_sg_condition(c, cond->str, cond->line, &r->cond);
    }
    if (cond->kind != KZ_YN_SEQ || cond->n == 0 || filter)
        return kz_sg_fail(c, KZ_SGV_INVALID, cond->line,
                          "condition must be a string%s",
                          filter ? "" : " or a list of strings");
    /* A list of conditions is their OR. */
    if ((parts = kz_arena_alloc(c->a, cond->n * sizeof(*parts))) == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < cond->n; i++) {
        const kz_yn *s = cond->kids[i];

        if (s->kind != KZ_YN_SCALAR)
            return kz_sg_fail(c, KZ_SGV_INVALID, s->line,
                              "condition list entries must be strings");
        if ((st = kz_sg_condition(c, s->str, s->line, &parts[i])) != KZ_OK)
            return st;
    }
    if ((r->cond_text = kz_sg_strdup(c, cond->kids[0]->str)) == NULL)
        return KZ_ENOMEM;
    if (cond->n == 1) {
        r->cond = parts[0];
    } else {
        kz_sg_cond *or = kz_arena_alloc(c->a, sizeof(*or));

        if (or == NULL)
            return KZ_ENOMEM;
        memset(or, 0, sizeof(*or));
        or->op = KZ_CN_OR;
        or->kids = parts;
        or->nkids = cond->n;
        r->cond = or;
    }
    return KZ_OK;
}
