/*
 * correlation.c - the `correlation` section (sigma-notes.md 3): parsed and
 * validated into kz_sg_correlation. References are resolved later, by
 * kz_sigma_set_finish (they may name rules of other files).
 */
#include "sigma/sigma_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {
    "event_count", "value_count", "temporal", "temporal_ordered",
    "value_sum", "value_avg", "value_percentile",
};

static const char *const op_names[] = { "eq", "gt", "gte", "lt", "lte",
                                        "neq" };

/* `5m`: an integer and s/m/h/d/w/M/y. */
static bool
parse_timespan(const char *s, uint64_t *out)
{
    uint64_t v = 0, mul;
    size_t i = 0;

    if (!(s[0] >= '0' && s[0] <= '9'))
        return false;
    for (; s[i] >= '0' && s[i] <= '9'; i++) {
        if (v > 1000000000ULL)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    switch (s[i]) {
    case 's': mul = 1; break;
    case 'm': mul = 60; break;
    case 'h': mul = 3600; break;
    case 'd': mul = 86400; break;
    case 'w': mul = 7 * 86400; break;
    case 'M': mul = 2629746; break;
    case 'y': mul = 31556952; break;
    default: return false;
    }
    if (s[i + 1] != '\0' || v == 0)
        return false;
    *out = v * mul;
    return true;
}

static bool
number(const kz_yn *n, double *out)
{
    char *end;

    if (n == NULL || n->kind != KZ_YN_SCALAR || n->len == 0 || n->len > 64)
        return false;
    *out = strtod(n->str, &end);
    return *end == '\0' && (n->str[0] == '-' || n->str[0] == '+' ||
                            n->str[0] == '.' ||
                            (n->str[0] >= '0' && n->str[0] <= '9'));
}

/* A boolean temporal condition: identifiers, and/or/not, parentheses.
 * Collects the identifiers into *ids when ids is not NULL. */
static kz_status
bool_cond(kz_sg_ctx *c, const kz_yn *n, kz_sg_strlist *ids)
{
    const char *s = n->str;
    const char **v = NULL;
    size_t i = 0, cnt = 0;
    int depth = 0;
    bool want_operand = true;

    if ((v = kz_arena_alloc(c->a, (n->len / 2 + 1) * sizeof(*v))) == NULL)
        return KZ_ENOMEM;
    while (s[i]) {
        if (s[i] == ' ' || s[i] == '\t') {
            i++;
        } else if (s[i] == '(') {
            if (!want_operand || ++depth > (int)KZ_SG_MAX_COND_DEPTH)
                goto bad;
            i++;
        } else if (s[i] == ')') {
            if (want_operand || --depth < 0)
                goto bad;
            i++;
        } else if ((s[i] >= 'a' && s[i] <= 'z') ||
                   (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_') {
            size_t b = i, k;
            bool dup = false;

            while ((s[i] >= 'a' && s[i] <= 'z') ||
                   (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' ||
                   (s[i] >= '0' && s[i] <= '9'))
                i++;
            if ((i - b == 3 && memcmp(s + b, "and", 3) == 0) ||
                (i - b == 2 && memcmp(s + b, "or", 2) == 0)) {
                if (want_operand)
                    goto bad;
                want_operand = true;
            } else if (i - b == 3 && memcmp(s + b, "not", 3) == 0) {
                if (!want_operand)
                    goto bad;
            } else {
                if (!want_operand)
                    goto bad;
                want_operand = false;
                for (k = 0; k < cnt; k++)
                    if (strlen(v[k]) == i - b &&
                        memcmp(v[k], s + b, i - b) == 0)
                        dup = true;
                if (!dup &&
                    (v[cnt++] = kz_arena_strndup(c->a, s + b, i - b)) ==
                        NULL)
                    return KZ_ENOMEM;
            }
        } else {
            goto bad;
        }
    }
    if (want_operand || depth != 0 || cnt == 0)
        goto bad;
    if (ids != NULL) {
        ids->v = v;
        ids->n = cnt;
    }
    return KZ_OK;
bad:
    return kz_sg_fail(c, KZ_SGV_INVALID, n->line,
                      "bad correlation condition '%.64s'", s);
}

static kz_status
read_condition(kz_sg_ctx *c, const kz_yn *n, kz_sg_correlation *k,
               bool temporal, bool *has_rules)
{
    kz_sg_corr_cond *conds;
    size_t i, j, cnt = 0;
    kz_status st;

    if (n->kind == KZ_YN_SCALAR) {
        if (!temporal)
            return kz_sg_fail(c, KZ_SGV_INVALID, n->line,
                              "a string condition needs a temporal type");
        if ((k->bool_cond = kz_sg_strdup(c, n->str)) == NULL)
            return KZ_ENOMEM;
        return bool_cond(c, n, *has_rules ? NULL : &k->rules);
    }
    if (n->kind != KZ_YN_MAP)
        return kz_sg_fail(c, KZ_SGV_INVALID, n->line,
                          "correlation condition must be a map");
    if ((conds = kz_arena_alloc(c->a, (n->n + 1) * sizeof(*conds))) == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < n->n; i++) {
        const kz_yn *key = n->kids[2 * i], *val = n->kids[2 * i + 1];
        bool found = false;

        if (key->kind != KZ_YN_SCALAR)
            return kz_sg_fail(c, KZ_SGV_INVALID, key->line,
                              "bad correlation condition key");
        if (kz_yn_key_is(key, "field")) {
            if ((st = kz_sg_strlist_read(c, val, "field", &k->fields)) !=
                KZ_OK)
                return st;
            if (k->fields.n > 0)
                k->field = k->fields.v[0];
            continue;
        }
        if (kz_yn_key_is(key, "percentile")) {
            if (!number(val, &k->percentile) || k->percentile < 0 ||
                k->percentile > 100)
                return kz_sg_fail(c, KZ_SGV_INVALID, val->line,
                                  "percentile must be a number 0-100");
            continue;
        }
        for (j = 0; j < 6; j++)
            if (kz_yn_key_is(key, op_names[j])) {
                conds[cnt].op = (uint8_t)j;
                if (!number(val, &conds[cnt].value))
                    return kz_sg_fail(c, KZ_SGV_INVALID, val->line,
                                      "condition '%s' needs a number",
                                      op_names[j]);
                cnt++;
                found = true;
                break;
            }
        if (!found)
            return kz_sg_fail(c, KZ_SGV_INVALID, key->line,
                              "unknown correlation condition '%.32s'",
                              key->str);
    }
    k->conds = conds;
    k->nconds = cnt;
    return KZ_OK;
}

static kz_status
read_aliases(kz_sg_ctx *c, const kz_yn *n, kz_sg_correlation *k)
{
    kz_sg_alias *al;
    size_t i, j;

    if (n->kind != KZ_YN_MAP)
        return kz_sg_fail(c, KZ_SGV_INVALID, n->line,
                          "aliases must be a map");
    if (n->n == 0)
        return KZ_OK;
    if ((al = kz_arena_alloc(c->a, n->n * sizeof(*al))) == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < n->n; i++) {
        const kz_yn *key = n->kids[2 * i], *m = n->kids[2 * i + 1];
        const char **rn, **fl;

        if (key->kind != KZ_YN_SCALAR || m->kind != KZ_YN_MAP || m->n == 0)
            return kz_sg_fail(c, KZ_SGV_INVALID, key->line,
                              "an alias maps rule names to fields");
        rn = kz_arena_alloc(c->a, m->n * sizeof(*rn));
        fl = kz_arena_alloc(c->a, m->n * sizeof(*fl));
        if (rn == NULL || fl == NULL ||
            (al[i].alias = kz_sg_strdup(c, key->str)) == NULL)
            return KZ_ENOMEM;
        for (j = 0; j < m->n; j++) {
            if (m->kids[2 * j]->kind != KZ_YN_SCALAR ||
                m->kids[2 * j + 1]->kind != KZ_YN_SCALAR)
                return kz_sg_fail(c, KZ_SGV_INVALID, m->kids[2 * j]->line,
                                  "an alias maps rule names to fields");
            rn[j] = kz_sg_strdup(c, m->kids[2 * j]->str);
            fl[j] = kz_sg_strdup(c, m->kids[2 * j + 1]->str);
            if (rn[j] == NULL || fl[j] == NULL)
                return KZ_ENOMEM;
        }
        al[i].rules.v = rn;
        al[i].rules.n = m->n;
        al[i].fields.v = fl;
        al[i].fields.n = m->n;
    }
    k->aliases = al;
    k->naliases = n->n;
    return KZ_OK;
}

kz_status
kz_sg_correlation_read(kz_sg_ctx *c, const kz_yn *n)
{
    kz_sg_correlation *k;
    const kz_yn *type, *ts, *cond, *al, *gen, *rules;
    size_t i;
    bool temporal, has_rules, valued;
    kz_status st;

    if (n->kind != KZ_YN_MAP)
        return kz_sg_fail(c, KZ_SGV_INVALID, n->line,
                          "correlation must be a map");
    for (i = 0; i < n->n; i++) {
        static const char *const keys[] = {
            "type", "rules", "group-by", "timespan", "condition",
            "aliases", "generate",
        };
        const kz_yn *key = n->kids[2 * i];
        size_t j;
        bool ok = false;

        for (j = 0; j < sizeof(keys) / sizeof(keys[0]); j++)
            if (kz_yn_key_is(key, keys[j]))
                ok = true;
        if (!ok)
            return kz_sg_fail(c, KZ_SGV_INVALID, key->line,
                              "unknown correlation key '%.32s'",
                              key->kind == KZ_YN_SCALAR ? key->str : "?");
    }
    if ((k = kz_arena_alloc(c->a, sizeof(*k))) == NULL)
        return KZ_ENOMEM;
    memset(k, 0, sizeof(*k));
    c->rule->corr = k;
    type = kz_yn_get(n, "type");
    if (type == NULL || type->kind != KZ_YN_SCALAR)
        return kz_sg_fail(c, KZ_SGV_INVALID, n->line,
                          "missing correlation type");
    for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (strcmp(type->str, type_names[i]) == 0)
            break;
    if (i == sizeof(type_names) / sizeof(type_names[0]))
        return kz_sg_fail(c, KZ_SGV_INVALID, type->line,
                          "unknown correlation type '%.32s'", type->str);
    k->type = (uint8_t)i;
    temporal = k->type == KZ_CORR_TEMPORAL ||
               k->type == KZ_CORR_TEMPORAL_ORDERED;
    valued = k->type == KZ_CORR_VALUE_COUNT || k->type == KZ_CORR_VALUE_SUM ||
             k->type == KZ_CORR_VALUE_AVG ||
             k->type == KZ_CORR_VALUE_PERCENTILE;
    rules = kz_yn_get(n, "rules");
    if ((st = kz_sg_strlist_read(c, rules, "rules", &k->rules)) != KZ_OK ||
        (st = kz_sg_strlist_read(c, kz_yn_get(n, "group-by"), "group-by",
                                 &k->group_by)) != KZ_OK)
        return st;
    has_rules = k->rules.n > 0;
    ts = kz_yn_get(n, "timespan");
    if (ts == NULL || ts->kind != KZ_YN_SCALAR ||
        !parse_timespan(ts->str, &k->timespan_s))
        return kz_sg_fail(c, KZ_SGV_INVALID, ts ? ts->line : n->line,
                          ts ? "bad timespan (an integer and s, m, h, d, "
                               "w, M or y)"
                             : "missing timespan");
    cond = kz_yn_get(n, "condition");
    if (cond != NULL &&
        (st = read_condition(c, cond, k, temporal, &has_rules)) != KZ_OK)
        return st;
    if (k->rules.n == 0)
        return kz_sg_fail(c, KZ_SGV_INVALID, n->line,
                          "correlation references no rules");
    if (!temporal && k->nconds == 0)
        return kz_sg_fail(c, KZ_SGV_INVALID, cond ? cond->line : n->line,
                          "%s needs a condition (gt, gte, lt, lte, eq or "
                          "neq)", type_names[k->type]);
    if (valued && k->field == NULL)
        return kz_sg_fail(c, KZ_SGV_INVALID, cond ? cond->line : n->line,
                          "%s needs condition.field", type_names[k->type]);
    if (k->bool_cond != NULL && has_rules) {
        /* Every listed rule must be referenced by the condition. */
        kz_sg_strlist ids = { 0 };
        size_t j;

        if ((st = bool_cond(c, cond, &ids)) != KZ_OK)
            return st;
        for (i = 0; i < k->rules.n; i++) {
            bool seen = false;

            for (j = 0; j < ids.n; j++)
                if (strcmp(ids.v[j], k->rules.v[i]) == 0)
                    seen = true;
            if (!seen)
                return kz_sg_fail(c, KZ_SGV_INVALID, cond->line,
                                  "rule '%.64s' is not in the condition",
                                  k->rules.v[i]);
        }
    }
    if ((al = kz_yn_get(n, "aliases")) != NULL &&
        (st = read_aliases(c, al, k)) != KZ_OK)
        return st;
    if ((gen = kz_yn_get(n, "generate")) != NULL) {
        if (gen->kind != KZ_YN_SCALAR ||
            (strcmp(gen->str, "true") != 0 && strcmp(gen->str, "false") != 0))
            return kz_sg_fail(c, KZ_SGV_INVALID, gen->line,
                              "generate must be true or false");
        k->generate = strcmp(gen->str, "true") == 0;
    }
    return KZ_OK;
}
