/*
 * test_sorter.c - the external sorter (src/base/sorter.h): order, stable
 * ties, the same output in memory and with spills (several memory bounds
 * and run caps), empty input, size caps and misuse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sorter.h"
#include "t.h"

/* A reference record: key and its position of addition. */
typedef struct ref {
    char key[16];
    size_t klen;
    unsigned seq;
} ref;

static int
ref_cmp(const void *a, const void *b)
{
    const ref *x = a, *y = b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);

    if (c != 0)
        return c;
    if (x->klen != y->klen)
        return x->klen < y->klen ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq; /* stable */
}

static unsigned rng_state;

static unsigned
rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 8) & 0xffffff;
}

/* Sorts n random records (keys of 0..5 bytes from a 3-letter alphabet,
 * so there are prefixes and many ties; value = the sequence number)
 * with the given bound and run cap; checks against qsort. */
static void
check_sort(size_t n, size_t bound, size_t runs, unsigned seed)
{
    kz_sorter_opts o = {bound, runs, NULL};
    kz_sorter *s = NULL;
    kz_sorter_stats st;
    kz_error err;
    ref *r = calloc(n ? n : 1, sizeof(*r));
    size_t i;

    rng_state = seed;
    T_CHECK(kz_sorter_new(&o, &s, &err) == KZ_OK, "new");
    for (i = 0; i < n; i++) {
        size_t k;

        r[i].klen = rng() % 6;
        for (k = 0; k < r[i].klen; k++)
            r[i].key[k] = (char)("abc"[rng() % 3]);
        r[i].seq = (unsigned)i;
        T_CHECK(kz_sorter_add(s, r[i].key, r[i].klen, &r[i].seq,
                              sizeof(r[i].seq), &err) == KZ_OK,
                "add %zu", i);
    }
    T_CHECK(kz_sorter_finish(s, &err) == KZ_OK, "finish");
    qsort(r, n, sizeof(*r), ref_cmp);
    for (i = 0;; i++) {
        const uint8_t *k, *v;
        size_t kl, vl;
        unsigned seq;

        T_CHECK(kz_sorter_next(s, &k, &kl, &v, &vl, &err) == KZ_OK,
                "next");
        if (k == NULL)
            break;
        if (i >= n) {
            T_CHECK(0, "more records than added");
            break;
        }
        memcpy(&seq, v, sizeof(seq));
        T_CHECK(vl == sizeof(seq) && kl == r[i].klen &&
                    memcmp(k, r[i].key, kl) == 0 && seq == r[i].seq,
                "record %zu: seq %u, want %u (bound %zu, runs %zu)", i, seq,
                r[i].seq, bound, runs);
    }
    T_EQ_INT(i, n);
    kz_sorter_stats_get(s, &st);
    T_EQ_INT(st.records, n);
    if (bound > 0 && bound < n * 16)
        T_CHECK(st.spills > 0, "bound %zu spilled nothing", bound);
    kz_sorter_free(s);
    free(r);
}

static void
test_sorter_in_memory_and_spilled(void)
{
    static const struct {
        size_t n, bound, runs;
    } rows[] = {
        {0, 0, 0},         /* empty */
        {1, 0, 0},         /* one record */
        {1000, 0, 0},      /* in memory */
        {1000, 256, 0},    /* many runs, merged at 16 */
        {1000, 256, 2},    /* merged at every second run */
        {5000, 4096, 3},
        {5000, 1 << 20, 0},
        {3, 1, 2},         /* a spill per record */
    };
    size_t i;

    for (i = 0; i < T_COUNT(rows); i++)
        check_sort(rows[i].n, rows[i].bound, rows[i].runs,
                   (unsigned)(7 + i));
}

static void
test_sorter_caps_and_misuse(void)
{
    kz_sorter *s = NULL;
    kz_error err;
    const uint8_t *k, *v;
    size_t kl, vl;
    static char big[KZ_SORTER_MAX_KEY + 1];

    kz_error_clear(&err);
    T_CHECK(kz_sorter_new(NULL, &s, &err) == KZ_OK, "new");
    T_CHECK(kz_sorter_next(s, &k, &kl, &v, &vl, &err) == KZ_EUSAGE,
            "next before finish");
    T_CHECK(kz_sorter_add(s, big, sizeof(big), "", 0, &err) == KZ_EUSAGE,
            "key past the cap");
    T_CHECK(kz_sorter_add(s, "a", 1, "", 0, &err) == KZ_OK, "add");
    T_CHECK(kz_sorter_finish(s, &err) == KZ_OK, "finish");
    T_CHECK(kz_sorter_add(s, "b", 1, "", 0, &err) == KZ_EUSAGE,
            "add after finish");
    T_CHECK(kz_sorter_finish(s, &err) == KZ_EUSAGE, "finish twice");
    T_CHECK(kz_sorter_next(s, &k, &kl, &v, &vl, &err) == KZ_OK && k != NULL &&
                kl == 1 && k[0] == 'a' && vl == 0,
            "the record");
    T_CHECK(kz_sorter_next(s, &k, &kl, &v, &vl, &err) == KZ_OK && k == NULL,
            "end");
    T_CHECK(kz_sorter_next(s, &k, &kl, &v, &vl, &err) == KZ_OK && k == NULL,
            "end stays end");
    kz_sorter_free(s);
    kz_sorter_free(NULL);
}

static void
test_sorter_bad_tmp_dir(void)
{
    kz_sorter_opts o = {1, 0, "/nonexistent/kizuki-test"};
    kz_sorter *s = NULL;
    kz_error err;
    kz_status st;

    kz_error_clear(&err);
    T_CHECK(kz_sorter_new(&o, &s, &err) == KZ_OK, "new");
    st = kz_sorter_add(s, "a", 1, "", 0, &err);
    if (st == KZ_OK)
        st = kz_sorter_add(s, "b", 1, "", 0, &err); /* spills */
    T_CHECK(st == KZ_EIO && strstr(err.msg, "/nonexistent") != NULL,
            "spill into a missing directory: %d %s", (int)st, err.msg);
    kz_sorter_free(s);
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(test_sorter_in_memory_and_spilled),
        T_CASE(test_sorter_caps_and_misuse),
        T_CASE(test_sorter_bad_tmp_dir),
    };

    return t_run(cases, T_COUNT(cases), argc, argv);
}
