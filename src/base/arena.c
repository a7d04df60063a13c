#include "base/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct kz_arena_block {
    kz_arena_block *next;               /* older block */
    size_t used;                        /* bytes handed out */
    size_t cap;                         /* bytes in data[] */
    alignas(max_align_t) unsigned char data[];
};

void
kz_arena_init(kz_arena *a, size_t block_size, size_t limit)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 64 * 1024;
    a->limit = limit;
    a->held = 0;
}

void
kz_arena_fini(kz_arena *a)
{
    kz_arena_block *b, *next;

    if (a == NULL)
        return;
    for (b = a->head; b != NULL; b = next) {
        next = b->next;
        free(b);
    }
    a->head = NULL;
    a->held = 0;
}

void
kz_arena_reset(kz_arena *a)
{
    kz_arena_block *b, *next, *keep = NULL;

    /* Keep the largest block so a steady workload stops calling malloc. */
    for (b = a->head; b != NULL; b = b->next)
        if (keep == NULL || b->cap > keep->cap)
            keep = b;
    for (b = a->head; b != NULL; b = next) {
        next = b->next;
        if (b != keep)
            free(b);
    }
    a->head = keep;
    a->held = 0;
    if (keep != NULL) {
        keep->next = NULL;
        keep->used = 0;
        a->held = keep->cap;
    }
}

void *
kz_arena_alloc(kz_arena *a, size_t size)
{
    const size_t align = alignof(max_align_t);
    kz_arena_block *b = a->head;
    size_t cap;
    void *p;

    if (size > SIZE_MAX / 2)
        return NULL;
    size = (size + align - 1) & ~(align - 1);
    if (b == NULL || b->cap - b->used < size) {
        cap = size > a->block_size ? size : a->block_size;
        if (a->limit != 0 && a->held + cap > a->limit)
            return NULL;
        if ((b = malloc(sizeof(*b) + cap)) == NULL)
            return NULL;
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
        a->held += cap;
    }
    p = b->data + b->used;
    b->used += size;
    return p;
}

char *
kz_arena_strndup(kz_arena *a, const char *s, size_t n)
{
    char *p = kz_arena_alloc(a, n + 1);

    if (p == NULL)
        return NULL;
    if (n != 0)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
