/*
 * grow.c - growable arrays (see grow.h).
 */
#include "base/grow.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

bool
kz_size_mul(size_t a, size_t b, size_t *out)
{
    if (b != 0 && a > SIZE_MAX / b)
        return false;
    *out = a * b;
    return true;
}

kz_status
kz_grow(void *arrp, size_t *cap, size_t need, size_t elem, size_t first)
{
    size_t nc = *cap != 0 ? *cap : (first != 0 ? first : 1), bytes;
    void *old, *q;

    if (need <= *cap)
        return KZ_OK;
    while (nc < need) {
        if (nc > SIZE_MAX / 2)
            return KZ_ENOMEM;
        nc *= 2;
    }
    if (!kz_size_mul(nc, elem, &bytes))
        return KZ_ENOMEM;
    /* arrp points at an object pointer: read and write it as bytes so any
     * element pointer type can be passed without aliasing games */
    memcpy(&old, arrp, sizeof(old));
    if ((q = realloc(old, bytes != 0 ? bytes : 1)) == NULL)
        return KZ_ENOMEM;
    memcpy(arrp, &q, sizeof(q));
    *cap = nc;
    return KZ_OK;
}
