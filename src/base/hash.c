#include "base/hash.h"

#include <string.h>

/* Word-at-a-time: 8 bytes per multiply on two independent lanes, then the
 * tail, then kz_hash_mix as the final avalanche. Keys in kizuki are short
 * to medium (names, hosts, accounts, file paths), so the loop matters more
 * than the setup. */

#define K1 0x9E3779B97F4A7C15ULL
#define K2 0xC2B2AE3D27D4EB4FULL
#define M1 0xFF51AFD7ED558CCDULL
#define M2 0xC4CEB9FE1A85EC53ULL

/* ASCII lower case of the 8 bytes of x (SWAR): 0x20 is or-ed into each byte
 * in 'A'..'Z'; bytes >= 0x80 are left alone. */
static inline uint64_t
lower8(uint64_t x)
{
    const uint64_t h = 0x8080808080808080ULL, l7 = 0x7F7F7F7F7F7F7F7FULL;
    uint64_t b = x & l7;
    uint64_t ge_a = b + 0x3F3F3F3F3F3F3F3FULL; /* high bit: byte >= 'A' */
    uint64_t gt_z = b + 0x2525252525252525ULL; /* high bit: byte > 'Z' */
    uint64_t up = ge_a & ~gt_z & ~x & h;

    return x | (up >> 2);
}

static inline uint64_t
hash_words(const unsigned char *s, size_t n, int fold)
{
    uint64_t a = K1 ^ n, b = K2, x, y;
    size_t i = 0;

    for (; i + 16 <= n; i += 16) {
        memcpy(&x, s + i, 8);
        memcpy(&y, s + i + 8, 8);
        if (fold) {
            x = lower8(x);
            y = lower8(y);
        }
        a = (a ^ x) * M1;
        b = (b ^ y) * M2;
        a ^= a >> 29;
        b ^= b >> 31;
    }
    if (i + 8 <= n) {
        memcpy(&x, s + i, 8);
        if (fold)
            x = lower8(x);
        a = (a ^ x) * M1;
        a ^= a >> 29;
        i += 8;
    }
    if (i < n) {
        x = 0;
        memcpy(&x, s + i, n - i);
        if (fold)
            x = lower8(x);
        b = (b ^ x) * M2;
        b ^= b >> 31;
    }
    return kz_hash_mix(a, b);
}

uint64_t
kz_hash(const void *p, size_t n)
{
    return hash_words(p, n, 0);
}

uint64_t
kz_hash_fold(const void *p, size_t n)
{
    return hash_words(p, n, 1);
}
