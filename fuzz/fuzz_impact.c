/*
 * fuzz_impact.c - libFuzzer target for the impact scope's text parsers
 * and its engine (investigate/impact.h): the input's first byte picks a
 * split; the parts go through kz_imp_access_bits and kz_imp_mailbox_of
 * (attacker-controlled AccessMask and script-block texts), then become
 * facts (objects, shares, accounts, sources, images) attributed to one
 * incident with a tiny sorter bound, so the spool, the external sort and
 * the grouped read-back all run on hostile strings. Must not crash,
 * leak or read out of bounds; the counts must add up.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "investigate/impact.h"

static kz_status
on_object(void *ctx, const kz_imp_object *o)
{
    uint64_t *n = ctx;

    if (o->object == NULL || o->events == 0)
        abort();
    (*n)++;
    return KZ_OK;
}

static kz_status
on_group(void *ctx, const kz_imp_group *g)
{
    (void)ctx;
    if (g->total == 0 || g->read > g->total || g->written > g->total ||
        g->deleted > g->total || g->n_names > KZ_IMP_MAX_NAMES)
        abort();
    return KZ_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const hosts[] = {"ws01", "fs01"};
    static const char *const sources[] = {"10.0.0.5"};
    static const char *const accounts[] = {"corp\\x", "y"};
    static const char *const images[] = {"c:\\t\\a.exe"};
    kz_imp_config cfg = {512, 0, NULL};
    kz_imp_incident inc;
    kz_imp *m = NULL;
    char *text, mbx[300];
    char *part[6];
    size_t i, k, np = 0;
    uint64_t objects = 0;

    if (size == 0 || size > 1 << 16)
        return 0;
    /* the text, NUL-terminated, cut into parts at each '\n' */
    if ((text = malloc(size + 1)) == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    (void)kz_imp_access_bits(text, size);
    (void)kz_imp_mailbox_of(text, strlen(text), mbx, sizeof(mbx));
    part[np++] = text;
    for (i = 0; i < size && np < 6; i++)
        if (text[i] == '\n') {
            text[i] = '\0';
            part[np++] = text + i + 1;
        }
    while (np < 6)
        part[np++] = NULL;
    if (kz_imp_new(&cfg, &m, NULL) != KZ_OK) {
        free(text);
        return 0;
    }
    for (k = 0; k < 40; k++) {
        kz_imp_fact f;

        memset(&f, 0, sizeof(f));
        f.time = (kz_time)(1000000 + k * (data[0] + 1));
        f.kind = (uint8_t)(k % 3);
        f.access = (uint8_t)(1 + (k + data[0]) % 7);
        f.host = k % 2 ? part[1] : "WS01";
        f.share = part[2];
        f.object = k % 4 ? part[0] : part[3];
        f.account = k % 3 ? part[4] : "CORP\\x";
        f.source = k % 5 ? part[5] : "10.0.0.5";
        f.image = k % 2 ? "C:/t/A.EXE" : part[1];
        f.file = "a.evtx";
        f.record_id = k;
        if (kz_imp_add(m, &f, NULL) != KZ_OK)
            break;
    }
    memset(&inc, 0, sizeof(inc));
    inc.id = 1;
    inc.from = 0;
    inc.to = INT64_MAX;
    inc.hosts = hosts;
    inc.n_hosts = 2;
    inc.sources = sources;
    inc.n_sources = 1;
    inc.accounts = accounts;
    inc.n_accounts = 2;
    inc.images = images;
    inc.n_images = 1;
    (void)kz_imp_run(m, &inc, 1, on_object, on_group, &objects, NULL);
    kz_imp_free(m);
    free(text);
    return 0;
}
