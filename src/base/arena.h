/*
 * arena.h - bump allocator for data with a phase lifetime (one EVTX chunk,
 * one JSON block, one rule compile).
 *
 * Ownership: the arena owns every block it hands out; kz_arena_reset()
 * makes all of them invalid at once and keeps the first block for reuse.
 * Bound: total bytes are capped by `limit` (0 = no cap); past it
 * kz_arena_alloc returns NULL, like an allocation failure.
 * Threads: an arena belongs to one thread at a time.
 */
#ifndef KZ_BASE_ARENA_H
#define KZ_BASE_ARENA_H

#include <stddef.h>

typedef struct kz_arena_block kz_arena_block;

typedef struct kz_arena {
    kz_arena_block *head;  /* newest block, or NULL */
    size_t block_size;     /* default size of a new block */
    size_t limit;          /* cap on bytes held, 0 = none */
    size_t held;           /* bytes of all blocks */
} kz_arena;

/* Prepares an empty arena; nothing is allocated until the first use. */
void kz_arena_init(kz_arena *a, size_t block_size, size_t limit);

/* Frees every block. Accepts NULL. */
void kz_arena_fini(kz_arena *a);

/* Invalidates all allocations; keeps one block for reuse. */
void kz_arena_reset(kz_arena *a);

/* Returns size bytes aligned for any type, or NULL on OOM/limit. */
void *kz_arena_alloc(kz_arena *a, size_t size);

/* Copies n bytes and appends a NUL; NULL on OOM. */
char *kz_arena_strndup(kz_arena *a, const char *s, size_t n);

#endif /* KZ_BASE_ARENA_H */
