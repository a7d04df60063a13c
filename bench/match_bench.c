/*
 * match_bench.c - measures rule loading, compiling and matching over EVTX
 * inputs: `match_bench RULES_DIR|- [-j N] FILE...` (RULES "-" = no rules,
 * reading only; KZ_MATCH_CACHE=DIR caches the databases). Not part of
 * the build; see docs/internals/match.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "match/match.h"
#include "read/read.h"
#include "sigma/sigma.h"

typedef struct bench {
    kz_ruleset *rs;
    kz_matcher *m[64];
    uint64_t hits;
} bench;

static double
now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static kz_status
count_hit(void *ctx, const kz_event *ev, uint32_t rule)
{
    (void)ev;
    (void)rule;
    (*(uint64_t *)ctx)++;
    return KZ_OK;
}

static kz_status
on_worker(void *ctx, kz_batch *b, unsigned worker)
{
    bench *x = ctx;
    uint64_t *n = calloc(1, sizeof(*n));
    kz_match_cb cb = { count_hit, NULL, n };
    size_t i;
    kz_status st;

    b->user = n;
    if (x->rs == NULL || worker >= 64)
        return KZ_OK;
    if (x->m[worker] == NULL && (x->m[worker] = kz_matcher_new(x->rs)) == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < b->nevents; i++)
        if ((st = kz_match_event(x->m[worker], &b->events[i], &cb)) != KZ_OK)
            return st;
    return KZ_OK;
}

static kz_status
on_batch(void *ctx, kz_batch *b)
{
    bench *x = ctx;

    if (b->user != NULL)
        x->hits += *(uint64_t *)b->user;
    return KZ_OK;
}

static void
free_user(void *ctx, void *u)
{
    (void)ctx;
    free(u);
}

int
main(int argc, char **argv)
{
    bench x;
    kz_read_opts o;
    kz_read_stats rst;
    kz_error err;
    kz_names *names = kz_names_new();
    kz_sigma_set *set = NULL;
    unsigned threads = 1;
    int a = 2;
    double t0, t1, t2;
    kz_matcher_stats ms;
    size_t i;

    memset(&x, 0, sizeof(x));
    memset(&err, 0, sizeof(err));
    if (argc < 3) {
        fprintf(stderr, "usage: match_bench RULES|- [-j N] FILE...\n");
        return 2;
    }
    if (strcmp(argv[a], "-j") == 0 && a + 1 < argc) {
        threads = (unsigned)strtoul(argv[a + 1], NULL, 10);
        a += 2;
    }
    t0 = now();
    if (strcmp(argv[1], "-") != 0) {
        kz_match_opts mo;
        kz_ruleset_stats st;

        memset(&mo, 0, sizeof(mo));
        mo.cache_dir = getenv("KZ_MATCH_CACHE");
        set = kz_sigma_set_new(NULL);
        if (kz_sigma_load_path(set, argv[1], &err) != KZ_OK ||
            kz_sigma_set_finish(set, &err) != KZ_OK) {
            fprintf(stderr, "load: %s\n", err.msg);
            return 1;
        }
        t1 = now();
        if (kz_ruleset_compile(set, names, &mo, &x.rs, &err) != KZ_OK) {
            fprintf(stderr, "compile: %s\n", err.msg);
            return 1;
        }
        kz_ruleset_stats_get(x.rs, &st);
        fprintf(stderr, "load %.3fs (%zu loaded docs), compile %.3fs: %zu rules "
                "%zu targets %zu buckets %zu patterns %zu regexes %zu fields%s\n",
                t1 - t0, set->nrules, st.compile_s, st.rules, st.targets,
                st.buckets, st.patterns, st.regexes, st.fields,
                st.from_cache ? " (cached)" : "");
    }
    kz_names_freeze(names);
    kz_read_opts_default(&o);
    o.threads = threads;
    o.names = names;
    o.on_worker = on_worker;
    o.on_batch = on_batch;
    o.free_user = free_user;
    o.ctx = &x;
    t1 = now();
    if (kz_read_run((const char *const *)argv + a, (size_t)(argc - a), &o,
                    &rst, &err) != KZ_OK) {
        fprintf(stderr, "read: %s\n", err.msg);
        return 1;
    }
    t2 = now();
    memset(&ms, 0, sizeof(ms));
    for (i = 0; i < 64; i++)
        if (x.m[i] != NULL)
            kz_matcher_stats_add(x.m[i], &ms);
    printf("events %llu in %.3fs: %.0f events/s; hits %llu; dispatched %llu "
           "candidates %llu renders %llu\n",
           (unsigned long long)rst.events, t2 - t1,
           (double)rst.events / (t2 - t1), (unsigned long long)x.hits,
           (unsigned long long)ms.dispatched,
           (unsigned long long)ms.candidates,
           (unsigned long long)ms.renders);
    for (i = 0; i < 64; i++)
        kz_matcher_free(x.m[i]);
    kz_ruleset_free(x.rs);
    kz_sigma_set_free(set);
    kz_names_free(names);
    return 0;
}
