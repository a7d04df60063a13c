/*
 * yaml.c - libyaml event stream -> a small node tree per document.
 *
 * Why a tree of our own: libyaml's document loader has no bounds and
 * resolves aliases into shared nodes (billion laughs). Here the tree is
 * built iteratively from events with an explicit stack: depth <= 64,
 * nodes <= 100,000 per file (across its documents), and aliases are
 * refused outright (no Sigma rule needs them; anchors are ignored).
 */
#include "sigma/sigma_int.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/grow.h"

typedef struct level {
    kz_yn *node;        /* the open sequence or map */
    kz_yn **kids;       /* growing children (malloc) */
    size_t n, cap;      /* children used / allocated */
} level;

struct kz_yaml {
    yaml_parser_t p;                  /* libyaml parser */
    kz_arena *a;                      /* nodes and strings */
    size_t nodes;                     /* nodes made in this file */
    bool done;                        /* stream end or error seen */
    level stack[KZ_SG_MAX_DEPTH + 1]; /* open collections */
    size_t depth;                     /* used entries of stack */
};

kz_yaml *
kz_yaml_open(const char *text, size_t len, kz_arena *a)
{
    kz_yaml *y = calloc(1, sizeof(*y));

    if (y == NULL)
        return NULL;
    if (!yaml_parser_initialize(&y->p)) {
        free(y);
        return NULL;
    }
    yaml_parser_set_input_string(&y->p, (const unsigned char *)text, len);
    y->a = a;
    return y;
}

static void
drop_stack(kz_yaml *y)
{
    while (y->depth > 0) {
        y->depth--;
        free(y->stack[y->depth].kids);
        y->stack[y->depth].kids = NULL;
    }
}

void
kz_yaml_close(kz_yaml *y)
{
    if (y == NULL)
        return;
    drop_stack(y);
    yaml_parser_delete(&y->p);
    free(y);
}

static kz_yn *
new_node(kz_yaml *y, uint8_t kind, const yaml_event_t *ev)
{
    kz_yn *n;

    if (y->nodes >= KZ_SG_MAX_NODES)
        return NULL;
    if ((n = kz_arena_alloc(y->a, sizeof(*n))) == NULL)
        return NULL;
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    n->line = (unsigned)ev->start_mark.line + 1;
    y->nodes++;
    return n;
}

/* Appends kid to the innermost open collection; false on OOM. */
static bool
add_kid(level *l, kz_yn *kid)
{
    if (kz_grow(&l->kids, &l->cap, l->n + 1, sizeof(*l->kids), 8) != KZ_OK)
        return false;
    l->kids[l->n++] = kid;
    return true;
}

kz_status
kz_yaml_next(kz_yaml *y, kz_yn **root, const char **why, unsigned *line)
{
    kz_status st = KZ_OK;
    kz_yn *doc = NULL;
    bool in_doc = false;
    unsigned doc_line = 1;   /* line of the document's start */

    *root = NULL;
    *why = NULL;
    *line = 0;
    while (!y->done) {
        yaml_event_t ev;
        kz_yn *n = NULL;

        if (!yaml_parser_parse(&y->p, &ev)) {
            *why = y->p.problem ? y->p.problem : "YAML syntax error";
            *line = (unsigned)y->p.problem_mark.line + 1;
            y->done = true;
            return KZ_EFORMAT;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            y->done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            in_doc = true;
            doc = NULL;
            doc_line = (unsigned)ev.start_mark.line + 1;
            break;
        case YAML_DOCUMENT_END_EVENT:
            /* yaml_event_delete zeroes ev: nothing of it is read after. */
            yaml_event_delete(&ev);
            /* libyaml gives an empty document an empty scalar placed
             * after the `---` line: report the document's own line. */
            if (doc != NULL && doc->kind == KZ_YN_SCALAR && doc->plain &&
                doc->len == 0)
                doc->line = doc_line;
            *root = doc;
            if (doc == NULL) {
                /* An empty document: a null scalar root. */
                if ((doc = kz_arena_alloc(y->a, sizeof(*doc))) == NULL)
                    return KZ_ENOMEM;
                memset(doc, 0, sizeof(*doc));
                doc->kind = KZ_YN_SCALAR;
                doc->plain = true;
                doc->str = "";
                doc->line = doc_line;
                *root = doc;
            }
            return KZ_OK;
        case YAML_ALIAS_EVENT:
            *why = "YAML aliases are not supported";
            *line = (unsigned)ev.start_mark.line + 1;
            st = KZ_EFORMAT;
            break;
        case YAML_SCALAR_EVENT:
            if ((n = new_node(y, KZ_YN_SCALAR, &ev)) == NULL)
                break;
            n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                       ev.data.scalar.plain_implicit;
            n->len = ev.data.scalar.length;
            n->str = kz_arena_strndup(y->a, (const char *)ev.data.scalar.value,
                                      n->len);
            if (n->str == NULL)
                n = NULL;
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (y->depth >= KZ_SG_MAX_DEPTH) {
                *why = "YAML nesting deeper than 64";
                *line = (unsigned)ev.start_mark.line + 1;
                st = KZ_EFORMAT;
                break;
            }
            n = new_node(y, ev.type == YAML_SEQUENCE_START_EVENT
                                ? KZ_YN_SEQ : KZ_YN_MAP, &ev);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: {
            level *l = &y->stack[y->depth - 1];
            kz_yn *c = l->node;

            if (l->n > 0) {
                c->kids = kz_arena_alloc(y->a, l->n * sizeof(*c->kids));
                if (c->kids == NULL) {
                    st = KZ_ENOMEM;
                    break;
                }
                memcpy(c->kids, l->kids, l->n * sizeof(*c->kids));
            }
            c->n = c->kind == KZ_YN_MAP ? l->n / 2 : l->n;
            free(l->kids);
            l->kids = NULL;
            y->depth--;
            if (y->depth == 0)
                doc = c;
            else if (!add_kid(&y->stack[y->depth - 1], c))
                st = KZ_ENOMEM;
            break;
        }
        default:
            break;
        }
        if (st == KZ_OK && n == NULL &&
            (ev.type == YAML_SCALAR_EVENT ||
             ev.type == YAML_SEQUENCE_START_EVENT ||
             ev.type == YAML_MAPPING_START_EVENT)) {
            if (y->nodes >= KZ_SG_MAX_NODES) {
                *why = "more than 100000 YAML nodes in one file";
                *line = (unsigned)ev.start_mark.line + 1;
                st = KZ_EFORMAT;
            } else {
                st = KZ_ENOMEM;
            }
        }
        if (st == KZ_OK && n != NULL) {
            if (n->kind != KZ_YN_SCALAR) {
                level *l = &y->stack[y->depth++];

                l->node = n;
                l->kids = NULL;
                l->n = l->cap = 0;
            } else if (y->depth == 0) {
                doc = n;
            } else if (!add_kid(&y->stack[y->depth - 1], n)) {
                st = KZ_ENOMEM;
            }
        }
        yaml_event_delete(&ev);
        if (st != KZ_OK) {
            y->done = true;
            drop_stack(y);
            return st;
        }
    }
    (void)in_doc;
    return KZ_OK;
}

const kz_yn *
kz_yn_get(const kz_yn *m, const char *k)
{
    const kz_yn *found = NULL;
    size_t i;

    if (m == NULL || m->kind != KZ_YN_MAP)
        return NULL;
    /* The last one wins, as with PyYAML (pySigma's loader). */
    for (i = 0; i < m->n; i++)
        if (kz_yn_key_is(m->kids[2 * i], k))
            found = m->kids[2 * i + 1];
    return found;
}

bool
kz_yn_key_is(const kz_yn *key, const char *k)
{
    size_t n = strlen(k);

    /* By length: "title\0x" (a quoted key with a NUL) is not "title". */
    return key != NULL && key->kind == KZ_YN_SCALAR && key->len == n &&
           memcmp(key->str, k, n) == 0;
}

bool
kz_yn_is_null(const kz_yn *n)
{
    if (n == NULL)
        return true;
    if (n->kind != KZ_YN_SCALAR || !n->plain)
        return false;
    return n->len == 0 || strcmp(n->str, "~") == 0 ||
           strcmp(n->str, "null") == 0 || strcmp(n->str, "Null") == 0 ||
           strcmp(n->str, "NULL") == 0;
}
