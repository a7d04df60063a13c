/*
 * fuzz_rules.c - libFuzzer target for the Sigma loader: the input is one
 * YAML file (any number of documents), loaded with kz_sigma_load_buffer
 * (with placeholder values, so |expand is exercised too) and then
 * finished (filters, logsource mapping, correlation references).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sigma/sigma.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static kz_sg_expand *
expand_values(void)
{
    static kz_sg_expand *e;
    static int tried;

    /* One YAML file of placeholder values, read once per process. */
    if (!tried) {
        const char *p = getenv("KZ_FUZZ_EXPAND");
        kz_error err;

        tried = 1;
        kz_error_clear(&err);
        if (p != NULL)
            e = kz_sg_expand_load(p, &err);
    }
    return e;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kz_sigma_load_opts o;
    kz_sigma_set *s;
    kz_error err;
    size_t i;

    memset(&o, 0, sizeof(o));
    o.expand = expand_values();
    o.keep_unmapped = size > 0 && (data[0] & 1);
    o.keep_deprecated = size > 0 && (data[0] & 2);
    if ((s = kz_sigma_set_new(&o)) == NULL)
        return 0;
    kz_error_clear(&err);
    if (kz_sigma_load_buffer(s, "fuzz.yml", (const char *)data, size,
                             &err) == KZ_OK)
        (void)kz_sigma_set_finish(s, &err);
    /* Touch every report so bad pointers show up under ASan. */
    for (i = 0; i < s->nreports; i++)
        if (s->reports[i].reason != NULL)
            (void)strlen(s->reports[i].reason);
    kz_sigma_set_free(s);
    return 0;
}
