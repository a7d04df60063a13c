/*
 * rule.c - one YAML document into a kz_sigma_rule: kind detection,
 * metadata, logsource, then the detection, filter or correlation section.
 *
 * Kind: `correlation` -> correlation, `filter` -> meta filter,
 * `detection` -> rule. A document with none of them is NOT_RULE, unless
 * it has both title and logsource (a rule missing its detection:
 * INVALID). `action:` (v1 rule collections) is rejected as deprecated.
 */
#include "sigma/sigma_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

kz_status
kz_sg_fail(kz_sg_ctx *c, kz_sg_verdict v, unsigned line, const char *fmt,
           ...)
{
    char buf[512];
    va_list ap;

    if (c->reason != NULL)
        return KZ_EFORMAT;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if ((c->reason = kz_arena_strndup(c->a, buf, strlen(buf))) == NULL)
        return KZ_ENOMEM;
    c->verdict = (uint8_t)v;
    c->line = line;
    return KZ_EFORMAT;
}

const char *
kz_sg_strdup(kz_sg_ctx *c, const char *s)
{
    if (s == NULL)
        return NULL;
    return kz_arena_strndup(c->a, s, strlen(s));
}

kz_status
kz_sg_strlist_read(kz_sg_ctx *c, const kz_yn *n, const char *what,
                   kz_sg_strlist *out)
{
    const char **v;
    size_t i, cnt;

    memset(out, 0, sizeof(*out));
    if (kz_yn_is_null(n))
        return KZ_OK;
    if (n->kind == KZ_YN_MAP)
        return kz_sg_fail(c, KZ_SGV_INVALID, n->line,
                          "'%s' must be a string or a list", what);
    cnt = n->kind == KZ_YN_SEQ ? n->n : 1;
    if (cnt == 0)
        return KZ_OK;
    if ((v = kz_arena_alloc(c->a, cnt * sizeof(*v))) == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < cnt; i++) {
        const kz_yn *s = n->kind == KZ_YN_SEQ ? n->kids[i] : n;

        if (s->kind != KZ_YN_SCALAR)
            return kz_sg_fail(c, KZ_SGV_INVALID, s->line,
                              "entries of '%s' must be strings", what);
        if ((v[i] = kz_sg_strdup(c, s->str)) == NULL)
            return KZ_ENOMEM;
    }
    out->v = v;
    out->n = cnt;
    return KZ_OK;
}

void
kz_sg_rule_free(kz_sigma_rule *r)
{
    if (r == NULL)
        return;
    kz_arena_fini(&r->arena);
    free(r);
}

/* Copies scalar metadata key k of map m into *out (NULL when absent). */
static kz_status
meta_str(kz_sg_ctx *c, const kz_yn *m, const char *k, const char **out)
{
    const kz_yn *v = kz_yn_get(m, k);

    *out = NULL;
    if (kz_yn_is_null(v))
        return KZ_OK;
    if (v->kind != KZ_YN_SCALAR)
        return kz_sg_fail(c, KZ_SGV_INVALID, v->line,
                          "'%s' must be a string", k);
    if ((*out = kz_sg_strdup(c, v->str)) == NULL)
        return KZ_ENOMEM;
    return KZ_OK;
}

static kz_status
read_related(kz_sg_ctx *c, const kz_yn *n)
{
    kz_sigma_rule *r = c->rule;
    kz_sg_related *rel;
    size_t i;
    kz_status st;

    if (kz_yn_is_null(n))
        return KZ_OK;
    if (n->kind != KZ_YN_SEQ)
        return kz_sg_fail(c, KZ_SGV_INVALID, n->line,
                          "'related' must be a list");
    if (n->n == 0)
        return KZ_OK;
    if ((rel = kz_arena_alloc(c->a, n->n * sizeof(*rel))) == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < n->n; i++) {
        if (n->kids[i]->kind != KZ_YN_MAP)
            return kz_sg_fail(c, KZ_SGV_INVALID, n->kids[i]->line,
                              "'related' entries must be maps");
        if ((st = meta_str(c, n->kids[i], "id", &rel[i].id)) != KZ_OK ||
            (st = meta_str(c, n->kids[i], "type", &rel[i].type)) != KZ_OK)
            return st;
    }
    r->related = rel;
    r->nrelated = n->n;
    return KZ_OK;
}

static kz_status
read_meta(kz_sg_ctx *c, const kz_yn *root)
{
    kz_sigma_rule *r = c->rule;
    static const struct {
        const char *key;
        size_t off;
    } strs[] = {
        { "title", offsetof(kz_sigma_rule, title) },
        { "id", offsetof(kz_sigma_rule, id) },
        { "name", offsetof(kz_sigma_rule, name) },
        { "status", offsetof(kz_sigma_rule, status) },
        { "description", offsetof(kz_sigma_rule, description) },
        { "author", offsetof(kz_sigma_rule, author) },
        { "date", offsetof(kz_sigma_rule, date) },
        { "modified", offsetof(kz_sigma_rule, modified) },
        { "license", offsetof(kz_sigma_rule, license) },
    };
    const char *level = NULL;
    const kz_yn *ls;
    size_t i;
    kz_status st;

    for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if ((st = meta_str(c, root, strs[i].key,
                           (const char **)((char *)r + strs[i].off))) !=
            KZ_OK)
            return st;
    if ((st = meta_str(c, root, "level", &level)) != KZ_OK)
        return st;
    if (level != NULL) {
        r->level = (uint8_t)kz_level_parse(level);
        if (r->level == KZ_LEVEL_NONE)
            return kz_sg_fail(c, KZ_SGV_INVALID,
                              kz_yn_get(root, "level")->line,
                              "unknown level '%.32s'", level);
    }
    if ((st = kz_sg_strlist_read(c, kz_yn_get(root, "tags"), "tags",
                                 &r->tags)) != KZ_OK ||
        (st = kz_sg_strlist_read(c, kz_yn_get(root, "references"),
                                 "references", &r->references)) != KZ_OK ||
        (st = kz_sg_strlist_read(c, kz_yn_get(root, "falsepositives"),
                                 "falsepositives", &r->falsepositives)) !=
            KZ_OK ||
        (st = kz_sg_strlist_read(c, kz_yn_get(root, "fields"), "fields",
                                 &r->fields)) != KZ_OK ||
        (st = read_related(c, kz_yn_get(root, "related"))) != KZ_OK)
        return st;
    ls = kz_yn_get(root, "logsource");
    if (!kz_yn_is_null(ls)) {
        if (ls->kind != KZ_YN_MAP)
            return kz_sg_fail(c, KZ_SGV_INVALID, ls->line,
                              "logsource must be a map");
        if ((st = meta_str(c, ls, "product", &r->product)) != KZ_OK ||
            (st = meta_str(c, ls, "category", &r->category)) != KZ_OK ||
            (st = meta_str(c, ls, "service", &r->service)) != KZ_OK ||
            (st = meta_str(c, ls, "definition", &r->definition)) != KZ_OK)
            return st;
    }
    return KZ_OK;
}

kz_status
kz_sg_build(const kz_yn *root, const char *path, unsigned doc,
            const kz_sigma_load_opts *o, kz_sigma_rule **out, kz_sg_ctx *c)
{
    kz_sigma_rule *r;
    const kz_yn *det, *corr, *filt, *act, *ls;
    kz_status st;

    memset(c, 0, sizeof(*c));
    *out = NULL;
    if ((r = calloc(1, sizeof(*r))) == NULL)
        return KZ_ENOMEM;
    kz_arena_init(&r->arena, 4096, 0);
    r->path = path;
    r->doc = doc;
    r->line = root->line;
    *out = r;
    c->rule = r;
    c->a = &r->arena;
    c->opts = o;
    if (root->kind != KZ_YN_MAP)
        return kz_sg_fail(c, KZ_SGV_NOT_RULE, root->line,
                          "not a Sigma document (not a YAML map)");
    det = kz_yn_get(root, "detection");
    corr = kz_yn_get(root, "correlation");
    filt = kz_yn_get(root, "filter");
    ls = kz_yn_get(root, "logsource");
    if ((st = read_meta(c, root)) != KZ_OK)
        return st;
    if ((act = kz_yn_get(root, "action")) != NULL)
        return kz_sg_fail(c, KZ_SGV_INVALID, act->line,
                          "deprecated v1 rule collection (action: %.32s)",
                          act->kind == KZ_YN_SCALAR ? act->str : "?");
    if (det == NULL && corr == NULL && filt == NULL) {
        if (r->title != NULL && ls != NULL)
            return kz_sg_fail(c, KZ_SGV_INVALID, root->line,
                              "missing detection");
        return kz_sg_fail(c, KZ_SGV_NOT_RULE, root->line,
                          "not a Sigma document (no detection, "
                          "correlation or filter)");
    }
    if ((det != NULL) + (corr != NULL) + (filt != NULL) > 1)
        return kz_sg_fail(c, KZ_SGV_INVALID, root->line,
                          "a document has only one of detection, "
                          "correlation and filter");
    if (r->status != NULL &&
        (strcmp(r->status, "deprecated") == 0 ||
         strcmp(r->status, "unsupported") == 0) &&
        (o == NULL || !o->keep_deprecated))
        return kz_sg_fail(c, KZ_SGV_DEPRECATED,
                          kz_yn_get(root, "status")->line, "status %s",
                          r->status);
    if (r->title == NULL)
        return kz_sg_fail(c, KZ_SGV_INVALID, root->line, "missing title");
    if (corr != NULL) {
        r->kind = KZ_SG_CORRELATION;
        return kz_sg_correlation_read(c, corr);
    }
    if (ls == NULL)
        return kz_sg_fail(c, KZ_SGV_INVALID, root->line,
                          "missing logsource");
    if (filt != NULL) {
        r->kind = KZ_SG_FILTER;
        return kz_sg_filter_read(c, filt);
    }
    r->kind = KZ_SG_RULE;
    return kz_sg_detection(c, det, false);
}
