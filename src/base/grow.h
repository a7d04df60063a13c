/*
 * grow.h - growable malloc'd arrays and overflow-checked size arithmetic
 * (STYLE.md rule 22: every n * size goes through one checked helper).
 *
 * Ownership: the caller owns the array; kz_grow() only reallocates it.
 * Errors: KZ_ENOMEM when realloc fails or a size would overflow; the
 * array and its capacity are then unchanged.
 * Threads: reentrant.
 */
#ifndef KZ_BASE_GROW_H
#define KZ_BASE_GROW_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

/* Sets *out to a * b and returns true, or returns false (and leaves *out
 * untouched) if the product does not fit in size_t. */
bool kz_size_mul(size_t a, size_t b, size_t *out);

/* Makes the malloc'd array *arrp (arrp is the address of any object
 * pointer, e.g. &list->items; *arrp may be NULL when *cap is 0) of
 * elements of elem bytes, *cap of them allocated, hold at least need
 * elements: the capacity doubles from `first` (or from *cap) until it
 * covers need. No-op when need <= *cap. On KZ_ENOMEM *arrp and *cap are
 * unchanged (the old array stays valid). */
kz_status kz_grow(void *arrp, size_t *cap, size_t need, size_t elem,
                  size_t first);

#endif /* KZ_BASE_GROW_H */
