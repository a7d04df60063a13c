#include "base/hash.h"

/* FNV-1a with a final avalanche; names and keys are short. */
uint64_t
kz_hash(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0xCBF29CE484222325ULL;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001B3ULL;
    }
    return kz_hash_mix(h, n);
}

uint64_t
kz_hash_fold(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0xCBF29CE484222325ULL;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= kz_ascii_lower(s[i]);
        h *= 0x100000001B3ULL;
    }
    return kz_hash_mix(h, n);
}
