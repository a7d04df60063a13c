/*
 * t.h - kizuki's small test harness (no cmocka here).
 *
 * T_CHECK records a failure with file, line and a formatted message and
 * goes on, so a table-driven test reports every failing row. t_run runs all
 * cases, or the one named in argv[1] (one ctest entry per case).
 */
#ifndef KZ_TESTS_T_H
#define KZ_TESTS_T_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct t_case {
    const char *name;  /* function name */
    void (*fn)(void);  /* the case */
} t_case;

static int t_failures;

#define T_COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define T_CASE(f) { #f, f }
#define T_CHECK(cond, ...)                                               \
    do {                                                                 \
        if (!(cond)) {                                                   \
            t_failures++;                                                \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__,       \
                    __LINE__, #cond);                                    \
            fprintf(stderr, __VA_ARGS__);                                \
            fputc('\n', stderr);                                         \
        }                                                                \
    } while (0)
#define T_EQ_INT(a, b)                                                   \
    T_CHECK((long long)(a) == (long long)(b), "%lld != %lld",            \
            (long long)(a), (long long)(b))
#define T_EQ_STR(a, b)                                                   \
    T_CHECK(strcmp((a), (b)) == 0, "\"%s\" != \"%s\"", (a), (b))

/* Decodes the hex text hex ("0aff...") into out; returns the byte count. */
static inline size_t
t_unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2, i;

    for (i = 0; i < n; i++) {
        unsigned v = 0;

        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

static inline int
t_run(const t_case *cases, size_t n, int argc, char **argv)
{
    size_t i;
    int ran = 0;

    for (i = 0; i < n; i++) {
        if (argc > 1 && strcmp(argv[1], cases[i].name) != 0)
            continue;
        ran++;
        cases[i].fn();
    }
    if (ran == 0) {
        fprintf(stderr, "no test case named %s\n", argc > 1 ? argv[1] : "");
        return 2;
    }
    if (t_failures != 0)
        fprintf(stderr, "%d check(s) failed\n", t_failures);
    return t_failures != 0;
}

#endif /* KZ_TESTS_T_H */
