#include "read/problem.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *
kz_problem_kind_str(kz_problem_kind k)
{
    switch (k) {
#define KZ_PROB_STR(e, s) \
    case e:               \
        return s;
        KZ_PROBLEM_KINDS(KZ_PROB_STR)
#undef KZ_PROB_STR
    case KZ_PROB_COUNT:
        break;
    }
    return "problem";
}

kz_status
kz_problem_add(kz_problem_list *l, kz_arena *a, kz_problem_kind kind,
               uint64_t offset, uint64_t lost, int64_t chunk, uint64_t line,
               const char *fmt, ...)
{
    kz_problem *p;
    va_list ap;

    if (l->n >= KZ_PROBLEMS_MAX) {
        /* Keep the count of bytes lost exact even when the list is full. */
        p = &l->items[l->n - 1];
        p->lost += lost;
        snprintf(p->msg, sizeof(p->msg), "and more problems in this unit");
        return KZ_OK;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        kz_problem *items = kz_arena_alloc(a, cap * sizeof(*items));

        if (items == NULL)
            return KZ_ENOMEM;
        if (l->n != 0)
            memcpy(items, l->items, l->n * sizeof(*items));
        l->items = items;
        l->cap = cap;
    }
    p = &l->items[l->n++];
    p->kind = kind;
    p->offset = offset;
    p->lost = lost;
    p->chunk = chunk;
    p->line = line;
    va_start(ap, fmt);
    vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
    va_end(ap);
    return KZ_OK;
}
