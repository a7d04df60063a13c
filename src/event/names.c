#include "event/names.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"

#define NAMES_MAX 65536 /* ids fit comfortably in int32 and tables stay small */

struct kz_names {
    char **names;       /* id -> NUL-terminated name */
    size_t *lens;       /* id -> length of the name */
    size_t n;           /* names held */
    size_t cap;         /* allocated entries of names */
    int32_t *exact;     /* open-addressing table of ids by exact hash */
    int32_t *fold;      /* same, by ASCII-folded hash (first id wins) */
    size_t slots;       /* power of two, > 2 * n */
    bool loose_dups;    /* two names share a loose class ("Image" and
                           "image"): lookups must try the exact table */
    bool frozen;        /* lookups allowed, adds refused */
    uint64_t serial;    /* unique per table of the process (front cache) */
};

/* Serials of tables: never 0, never reused in a process. */
static atomic_uint_fast64_t next_serial = 1;

kz_names *
kz_names_new(void)
{
    kz_names *t = calloc(1, sizeof(kz_names));

    if (t != NULL)
        t->serial = (uint64_t)atomic_fetch_add(&next_serial, 1);
    return t;
}

void
kz_names_free(kz_names *t)
{
    size_t i;

    if (t == NULL)
        return;
    for (i = 0; i < t->n; i++)
        free(t->names[i]);
    free(t->names);
    free(t->lens);
    free(t->exact);
    free(t->fold);
    free(t);
}

/* ASCII lower case of every byte value (a table: no branch per byte). */
static const unsigned char lower_tab[256] = {
#define L1(c) (unsigned char)((c) >= 'A' && (c) <= 'Z' ? (c) + 32 : (c))
#define L4(c) L1(c), L1((c) + 1), L1((c) + 2), L1((c) + 3)
#define L16(c) L4(c), L4((c) + 4), L4((c) + 8), L4((c) + 12)
#define L64(c) L16(c), L16((c) + 16), L16((c) + 32), L16((c) + 48)
    L64(0), L64(64), L64(128), L64(192)
#undef L64
#undef L16
#undef L4
#undef L1
};

/* FNV-1a over the loose key of s[0..n) (spaces left out, ASCII lower
 * case): the hash of keys longer than LOOSE_BUF bytes. */
static uint64_t
hash_loose_long(const char *s, size_t n)
{
    uint64_t h = 0xCBF29CE484222325ULL;
    size_t i, kept = 0;

    for (i = 0; i < n; i++) {
        if (s[i] == ' ')
            continue;
        h ^= lower_tab[(unsigned char)s[i]];
        h *= 0x100000001B3ULL;
        kept++;
    }
    return kz_hash_mix(h, kept);
}

#define LOOSE_BUF 256

/* The loose key of a name: ASCII lower case, spaces left out, so that
 * Defender's "Threat Name" and a rule's ThreatName are one field. The
 * hash depends only on the key: kz_hash_fold (word at a time) when it
 * is at most LOOSE_BUF bytes, else hash_loose_long. */
static uint64_t
hash_loose(const char *s, size_t n)
{
    char buf[LOOSE_BUF];
    size_t i, kept = 0;

    if (memchr(s, ' ', n) == NULL) /* the usual case: the key is s */
        return n <= LOOSE_BUF ? kz_hash_fold(s, n) : hash_loose_long(s, n);
    for (i = 0; i < n; i++) {
        if (s[i] == ' ')
            continue;
        if (kept == LOOSE_BUF)
            return hash_loose_long(s, n);
        buf[kept++] = s[i];
    }
    return kz_hash_fold(buf, kept);
}

static bool
eq_loose(const char *a, size_t na, const char *b, size_t nb)
{
    size_t i = 0, j = 0;

    /* Same length and equal but case: spaces sit at the same places. */
    if (na == nb) {
        while (i < na && lower_tab[(unsigned char)a[i]] ==
                             lower_tab[(unsigned char)b[i]])
            i++;
        if (i == na)
            return true;
        i = 0;
    }
    for (;;) {
        while (i < na && a[i] == ' ')
            i++;
        while (j < nb && b[j] == ' ')
            j++;
        if (i == na || j == nb)
            return i == na && j == nb;
        if (kz_ascii_lower((unsigned char)a[i]) !=
            kz_ascii_lower((unsigned char)b[j]))
            return false;
        i++;
        j++;
    }
}

static int32_t
find(const kz_names *t, const char *name, size_t len, bool fold)
{
    const int32_t *tab = fold ? t->fold : t->exact;
    uint64_t h = fold ? hash_loose(name, len) : kz_hash(name, len);
    size_t mask = t->slots - 1, i = (size_t)h & mask;
    int32_t id;

    if (tab == NULL)
        return KZ_NAME_NONE;
    while ((id = tab[i]) != KZ_NAME_NONE) {
        const char *s = t->names[id];
        size_t n = t->lens[id];

        if (fold ? eq_loose(s, n, name, len)
                 : n == len && memcmp(s, name, len) == 0)
            return id;
        i = (i + 1) & mask;
    }
    return KZ_NAME_NONE;
}

static void
insert(int32_t *tab, size_t slots, uint64_t h, int32_t id)
{
    size_t mask = slots - 1, i = (size_t)h & mask;

    while (tab[i] != KZ_NAME_NONE)
        i = (i + 1) & mask;
    tab[i] = id;
}

static kz_status
rehash(kz_names *t, size_t slots)
{
    int32_t *ex = malloc(slots * sizeof(*ex)), *fo = malloc(slots * sizeof(*fo));
    size_t i;

    if (ex == NULL || fo == NULL) {
        free(ex);
        free(fo);
        return KZ_ENOMEM;
    }
    for (i = 0; i < slots; i++)
        ex[i] = fo[i] = KZ_NAME_NONE;
    free(t->exact);
    free(t->fold);
    t->exact = ex;
    t->fold = fo;
    t->slots = slots;
    for (i = 0; i < t->n; i++) {
        const char *s = t->names[i];
        size_t len = t->lens[i];

        insert(ex, slots, kz_hash(s, len), (int32_t)i);
        /* Only the first name of a loose class is reachable loosely. */
        if (find(t, s, len, true) == KZ_NAME_NONE)
            insert(fo, slots, hash_loose(s, len), (int32_t)i);
        else
            t->loose_dups = true;
    }
    return KZ_OK;
}

kz_status
kz_names_add(kz_names *t, const char *name, size_t len, int32_t *id)
{
    int32_t got;
    char *copy;
    kz_status st;

    if (t->frozen)
        return KZ_EUSAGE;
    if ((got = find(t, name, len, false)) != KZ_NAME_NONE) {
        *id = got;
        return KZ_OK;
    }
    if (t->n >= NAMES_MAX || memchr(name, 0, len) != NULL)
        return KZ_ELIMIT;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char **p = realloc(t->names, cap * sizeof(*p));
        size_t *l;

        if (p == NULL)
            return KZ_ENOMEM;
        t->names = p;
        if ((l = realloc(t->lens, cap * sizeof(*l))) == NULL)
            return KZ_ENOMEM;
        t->lens = l;
        t->cap = cap;
    }
    if ((copy = malloc(len + 1)) == NULL)
        return KZ_ENOMEM;
    memcpy(copy, name, len);
    copy[len] = '\0';
    t->lens[t->n] = len;
    t->names[t->n++] = copy;
    if (t->slots < 4 * t->n) {
        if ((st = rehash(t, t->slots ? t->slots * 4 : 256)) != KZ_OK) {
            free(copy);
            t->n--;
            return st;
        }
    } else {
        insert(t->exact, t->slots, kz_hash(name, len), (int32_t)(t->n - 1));
        if (find(t, name, len, true) == KZ_NAME_NONE)
            insert(t->fold, t->slots, hash_loose(name, len),
                   (int32_t)(t->n - 1));
        else
            t->loose_dups = true;
    }
    *id = (int32_t)(t->n - 1);
    return KZ_OK;
}

void
kz_names_freeze(kz_names *t)
{
    t->frozen = true;
}

/* Front cache of the lookups on frozen tables, one per thread. The EVTX
 * reader looks names up once per template and chunk: about 120 lookups a
 * 64 KiB chunk, nearly all of the same few hundred names, each of which
 * costs a space check, a folding hash and a loose compare in the tables.
 * An entry holds the key's bytes as given (so no folding rule is
 * involved: a frozen table answers the same for the same bytes) and the
 * answer, tagged with the table's serial; direct-mapped by the key's
 * first and last 8 bytes and length. One cache line an entry (keys up to
 * 51 bytes: UserData paths such as "UserData.EventXML.SubjectUserName"
 * fit), 32 KiB a thread. */
#define FRONT_SLOTS 512
#define FRONT_KEY 51 /* an entry is one 64-byte cache line */

typedef struct front_entry {
    uint64_t serial;    /* table serial, 0: empty */
    int32_t id;         /* the answer */
    uint8_t len;        /* key bytes */
    char key[FRONT_KEY];
} front_entry;

static _Thread_local _Alignas(64) front_entry front[FRONT_SLOTS];

static size_t
front_slot(const char *s, size_t n)
{
    uint64_t a = 0, b = 0;

    if (n >= 8) {
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
    } else {
        memcpy(&a, s, n);
    }
    return (size_t)kz_hash_mix(a ^ (b * 0x9E3779B97F4A7C15ULL), n) &
           (FRONT_SLOTS - 1);
}

static int32_t
lookup(const kz_names *t, const char *name, size_t len)
{
    int32_t id;

    /* When every loose class has one name, the loose probe alone gives
     * the same answer as exact-then-loose, with one hash instead of two
     * (readers look up every field name they meet). */
    if (t->loose_dups && (id = find(t, name, len, false)) != KZ_NAME_NONE)
        return id;
    return find(t, name, len, true);
}

int32_t
kz_names_lookup(const kz_names *t, const char *name, size_t len)
{
    front_entry *e;
    int32_t id;

    if (t == NULL || t->n == 0)
        return KZ_NAME_NONE;
    if (!t->frozen || len == 0 || len > FRONT_KEY)
        return lookup(t, name, len);
    e = &front[front_slot(name, len)];
    if (e->serial == t->serial && e->len == len &&
        memcmp(e->key, name, len) == 0)
        return e->id;
    id = lookup(t, name, len);
    e->serial = t->serial;
    e->id = id;
    e->len = (uint8_t)len;
    memcpy(e->key, name, len);
    return id;
}

size_t
kz_names_count(const kz_names *t)
{
    return t ? t->n : 0;
}

const char *
kz_names_name(const kz_names *t, int32_t id)
{
    if (t == NULL || id < 0 || (size_t)id >= t->n)
        return NULL;
    return t->names[id];
}

void
kz_names_arrays(const kz_names *t, const char *const **names,
                const size_t **lens, size_t *n)
{
    *names = t != NULL ? (const char *const *)t->names : NULL;
    *lens = t != NULL ? t->lens : NULL;
    *n = t != NULL ? t->n : 0;
}

size_t
kz_names_len(const kz_names *t, int32_t id)
{
    if (t == NULL || id < 0 || (size_t)id >= t->n)
        return 0;
    return t->lens[id];
}
