/*
 * condition.c - the condition grammar of sigma-notes.md 2 into a tree of
 * kz_sg_cond over the rule's selections.
 *
 *   or_expr  := and_expr { "or" and_expr }
 *   and_expr := not_expr { "and" not_expr }
 *   not_expr := "not" not_expr | primary
 *   primary  := "(" or_expr ")" | ("1"|"any"|"all") "of" ("them"|PATTERN)
 *             | IDENT
 *
 * Keywords are lower case (as pySigma). `x of` is expanded here: `them`
 * is every identifier not starting with `_`; a pattern skips `_` names
 * unless it starts with `_` itself. An unmatched pattern gives FALSE
 * (`1 of`) or TRUE (`all of`) and a warning. Any `|` is a deprecated v1
 * aggregation and is rejected. Recursion is bounded by
 * KZ_SG_MAX_COND_DEPTH.
 */
#include "sigma/sigma_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"

enum tok { T_END, T_WORD, T_LP, T_RP };

typedef struct parser {
    kz_sg_ctx *c;            /* build context */
    const char *s;           /* condition text */
    size_t pos;              /* next byte */
    unsigned line;           /* line of the condition */
    int tok;                 /* current token (enum tok) */
    const char *w;           /* T_WORD: start */
    size_t wlen;             /* T_WORD: length */
    unsigned depth;          /* nesting */
    size_t nodes;            /* nodes made so far */
    bool too_big;            /* node() refused: KZ_SG_MAX_COND_NODES */
} parser;

static bool
word_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '*';
}

static kz_status
next(parser *p)
{
    const char *s = p->s;

    while (s[p->pos] == ' ' || s[p->pos] == '\t' || s[p->pos] == '\n' ||
           s[p->pos] == '\r')
        p->pos++;
    if (s[p->pos] == '\0') {
        p->tok = T_END;
        return KZ_OK;
    }
    if (s[p->pos] == '(' || s[p->pos] == ')') {
        p->tok = s[p->pos] == '(' ? T_LP : T_RP;
        p->pos++;
        return KZ_OK;
    }
    if (s[p->pos] == '|')
        return kz_sg_fail(p->c, KZ_SGV_INVALID, p->line,
                          "deprecated v1 aggregation in condition");
    if (!word_char(s[p->pos]))
        return kz_sg_fail(p->c, KZ_SGV_INVALID, p->line,
                          "unexpected character '%c' in condition",
                          s[p->pos]);
    p->tok = T_WORD;
    p->w = s + p->pos;
    while (word_char(s[p->pos]))
        p->pos++;
    p->wlen = (size_t)(s + p->pos - p->w);
    return KZ_OK;
}

static bool
is_kw(const parser *p, const char *kw)
{
    return p->tok == T_WORD && p->wlen == strlen(kw) &&
           memcmp(p->w, kw, p->wlen) == 0;
}

/* A new node, or NULL on OOM or past KZ_SG_MAX_COND_NODES (`1 of x*`
 * repeated over many selections would otherwise grow a short condition
 * into millions of nodes); callers report both as KZ_ENOMEM and
 * kz_sg_condition() tells them apart by too_big. */
static kz_sg_cond *
node(parser *p, uint8_t op)
{
    kz_sg_cond *n;

    if (p->nodes >= KZ_SG_MAX_COND_NODES) {
        p->too_big = true;
        return NULL;
    }
    p->nodes++;
    n = kz_arena_alloc(p->c->a, sizeof(*n));
    if (n != NULL)
        memset(n, 0, sizeof(*n));
    (void)op;
    if (n != NULL)
        n->op = op;
    return n;
}

/* A growing operand list (malloc), moved into the arena by finish(). */
typedef struct kids {
    const kz_sg_cond **v;
    size_t n, cap;
} kids;

static bool
kids_push(kids *k, const kz_sg_cond *c)
{
    if (kz_grow(&k->v, &k->cap, k->n + 1, sizeof(*k->v), 4) != KZ_OK)
        return false;
    k->v[k->n++] = c;
    return true;
}

/* The n-ary node of op over k (or its only kid); NULL on OOM. */
static const kz_sg_cond *
finish(parser *p, uint8_t op, kids *k)
{
    kz_sg_cond *n;
    const kz_sg_cond **arr;

    if (k->n == 1)
        return k->v[0];
    if ((n = node(p, op)) == NULL)
        return NULL;
    if (k->n == 0)
        return n;
    if ((arr = kz_arena_alloc(p->c->a, k->n * sizeof(*arr))) == NULL)
        return NULL;
    memcpy(arr, k->v, k->n * sizeof(*arr));
    n->kids = arr;
    n->nkids = k->n;
    return n;
}

static kz_status or_expr(parser *p, const kz_sg_cond **out);

/* `1 of` / `all of` over them or a pattern. */
static kz_status
selector(parser *p, bool all, const kz_sg_cond **out)
{
    const kz_sigma_rule *r = p->c->rule;
    kids k = { 0 };
    char pat[256];
    bool them;
    size_t i;
    kz_status st;

    if (p->tok != T_WORD)
        return kz_sg_fail(p->c, KZ_SGV_INVALID, p->line,
                          "'of' must be followed by 'them' or a pattern");
    if (p->wlen >= sizeof(pat))
        return kz_sg_fail(p->c, KZ_SGV_INVALID, p->line,
                          "pattern too long in condition");
    memcpy(pat, p->w, p->wlen);
    pat[p->wlen] = '\0';
    them = strcmp(pat, "them") == 0;
    for (i = 0; i < r->nsels; i++) {
        const char *name = r->sels[i].name;
        kz_sg_cond *n;

        if (name[0] == '_' && (them || pat[0] != '_'))
            continue;
        if (!them && !kz_sg_glob(pat, name))
            continue;
        if ((n = node(p, KZ_CN_SEL)) == NULL || !kids_push(&k, n)) {
            free(k.v);
            return KZ_ENOMEM;
        }
        n->sel = (uint32_t)i;
    }
    if (k.n == 0 && p->c->warning == NULL) {
        char msg[320];

        snprintf(msg, sizeof(msg), "warning: '%s of %s' matches no "
                 "identifier (taken as %s)", all ? "all" : "1", pat,
                 all ? "true" : "false");
        p->c->warning = kz_sg_strdup(p->c, msg);
    }
    if (k.n == 0)
        *out = node(p, all ? KZ_CN_TRUE : KZ_CN_FALSE);
    else
        *out = finish(p, all ? KZ_CN_AND : KZ_CN_OR, &k);
    free(k.v);
    if (*out == NULL)
        return KZ_ENOMEM;
    st = next(p);
    return st;
}

static kz_status
primary(parser *p, const kz_sg_cond **out)
{
    const kz_sigma_rule *r = p->c->rule;
    kz_status st;
    size_t i;

    if (p->tok == T_LP) {
        if (++p->depth > KZ_SG_MAX_COND_DEPTH)
            return kz_sg_fail(p->c, KZ_SGV_INVALID, p->line,
                              "condition nested deeper than %u",
                              KZ_SG_MAX_COND_DEPTH);
        if ((st = next(p)) != KZ_OK || (st = or_expr(p, out)) != KZ_OK)
            return st;
        if (p->tok != T_RP)
            return kz_sg_fail(p->c, KZ_SGV_INVALID, p->line,
                              "missing ')' in condition");
        p->depth--;
        return next(p);
    }
    if (p->tok != T_WORD)
        return kz_sg_fail(p->c, KZ_SGV_INVALID, p->line,
                          p->tok == T_END ? "condition ends too early"
                                          : "unexpected ')' in condition");
    if (is_kw(p, "1") || is_kw(p, "any") || is_kw(p, "all")) {
        bool all = is_kw(p, "all");
        size_t save = p->pos;
        const char *w = p->w;
        size_t wl = p->wlen;

        if ((st = next(p)) != KZ_OK)
            return st;
        if (is_kw(p, "of")) {
            if ((st = next(p)) != KZ_OK)
                return st;
            return selector(p, all, out);
        }
        /* Not a quantifier: an identifier named 1/any/all. */
        p->pos = save;
        p->tok = T_WORD;
        p->w = w;
        p->wlen = wl;
    }
    if (is_kw(p, "and") || is_kw(p, "or") || is_kw(p, "of") ||
        is_kw(p, "them"))
        return kz_sg_fail(p->c, KZ_SGV_INVALID, p->line,
                          "unexpected '%.*s' in condition", (int)p->wlen,
                          p->w);
    if (memchr(p->w, '*', p->wlen) != NULL)
        return kz_sg_fail(p->c, KZ_SGV_INVALID, p->line,
                          "pattern '%.*s' needs '1 of' or 'all of'",
                          (int)(p->wlen > 64 ? 64 : p->wlen), p->w);
    for (i = 0; i < r->nsels; i++)
        if (strlen(r->sels[i].name) == p->wlen &&
            memcmp(r->sels[i].name, p->w, p->wlen) == 0) {
            kz_sg_cond *n = node(p, KZ_CN_SEL);

            if (n == NULL)
                return KZ_ENOMEM;
            n->sel = (uint32_t)i;
            *out = n;
            return next(p);
        }
    return kz_sg_fail(p->c, KZ_SGV_INVALID, p->line,
                      "unknown identifier '%.*s' in condition",
                      (int)(p->wlen > 64 ? 64 : p->wlen), p->w);
}

static kz_status
not_expr(parser *p, const kz_sg_cond **out)
{
    kz_status st;
    unsigned nots = 0, i;
    const kz_sg_cond *in = NULL;

    while (is_kw(p, "not")) {
        nots++;
        if (++p->depth > KZ_SG_MAX_COND_DEPTH)
            return kz_sg_fail(p->c, KZ_SGV_INVALID, p->line,
                              "condition nested deeper than %u",
                              KZ_SG_MAX_COND_DEPTH);
        if ((st = next(p)) != KZ_OK)
            return st;
    }
    if ((st = primary(p, &in)) != KZ_OK)
        return st;
    p->depth -= nots;
    for (i = 0; i < nots; i++) {
        kz_sg_cond *n = node(p, KZ_CN_NOT);
        const kz_sg_cond **kid = kz_arena_alloc(p->c->a, sizeof(*kid));

        if (n == NULL || kid == NULL)
            return KZ_ENOMEM;
        kid[0] = in;
        n->kids = kid;
        n->nkids = 1;
        in = n;
    }
    *out = in;
    return KZ_OK;
}

static kz_status
and_expr(parser *p, const kz_sg_cond **out)
{
    kids k = { 0 };
    const kz_sg_cond *x = NULL;
    kz_status st;

    for (;;) {
        if ((st = not_expr(p, &x)) != KZ_OK)
            goto out;
        if (!kids_push(&k, x)) {
            st = KZ_ENOMEM;
            goto out;
        }
        if (!is_kw(p, "and"))
            break;
        if ((st = next(p)) != KZ_OK)
            goto out;
    }
    if ((*out = finish(p, KZ_CN_AND, &k)) == NULL)
        st = KZ_ENOMEM;
out:
    free(k.v);
    return st;
}

static kz_status
or_expr(parser *p, const kz_sg_cond **out)
{
    kids k = { 0 };
    const kz_sg_cond *x = NULL;
    kz_status st;

    for (;;) {
        if ((st = and_expr(p, &x)) != KZ_OK)
            goto out;
        if (!kids_push(&k, x)) {
            st = KZ_ENOMEM;
            goto out;
        }
        if (!is_kw(p, "or"))
            break;
        if ((st = next(p)) != KZ_OK)
            goto out;
    }
    if ((*out = finish(p, KZ_CN_OR, &k)) == NULL)
        st = KZ_ENOMEM;
out:
    free(k.v);
    return st;
}

kz_status
kz_sg_condition(kz_sg_ctx *c, const char *text, unsigned line,
                const kz_sg_cond **out)
{
    parser p;
    kz_status st;

    memset(&p, 0, sizeof(p));
    p.c = c;
    p.s = text;
    p.line = line;
    *out = NULL;
    if ((st = next(&p)) != KZ_OK)
        return st;
    if (p.tok == T_END)
        return kz_sg_fail(c, KZ_SGV_INVALID, line, "empty condition");
    if ((st = or_expr(&p, out)) != KZ_OK) {
        *out = NULL;
        if (st == KZ_ENOMEM && p.too_big)
            return kz_sg_fail(c, KZ_SGV_INVALID, line,
                              "condition expands to more than %u nodes",
                              KZ_SG_MAX_COND_NODES);
        return st;
    }
    if (p.tok != T_END)
        return kz_sg_fail(c, KZ_SGV_INVALID, line,
                          "unexpected %s in condition",
                          p.tok == T_RP ? "')'" : "text after the end");
    return KZ_OK;
}
