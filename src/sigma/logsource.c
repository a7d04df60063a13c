/*
 * logsource.c - maps a rule's logsource to its EVTX targets: the native
 * row of logsource_table.c, then the Security alternate when the rule's
 * fields and values survive the rewrite of logsource_alt.c.
 */
#include "sigma/logsource.h"

#include <strings.h>

#include "sigma/logsource_int.h"

static const char *const alt_names[] = {
    "native", "security-4688", "security-4657", "security-5156", "wmi-5861",
};

const char *
kz_ls_alt_name(kz_ls_alt alt)
{
    if ((size_t)alt >= sizeof(alt_names) / sizeof(alt_names[0]))
        return "unknown";
    return alt_names[alt];
}

/* The row of r's logsource, or NULL with *why set. A category wins over
 * a service when both are given and the category is known (a service
 * then only narrows where the category's events come from). */
static const kz_ls_row *
lookup(const kz_sigma_rule *r, const char **why)
{
    const kz_ls_row *row = NULL;

    if (r->product != NULL && strcasecmp(r->product, "windows") != 0) {
        *why = "product is not windows: no EVTX channel";
        return NULL;
    }
    if (r->category == NULL && r->service == NULL) {
        *why = "logsource names neither category nor service";
        return NULL;
    }
    if (r->category != NULL)
        row = kz_ls_find_category(r->category);
    if (row == NULL && r->service != NULL)
        row = kz_ls_find_service(r->service);
    if (row == NULL) {
        if (r->category != NULL && r->service == NULL)
            *why = "unknown Windows logsource category";
        else if (r->category == NULL)
            *why = "unknown Windows logsource service";
        else
            *why = "unknown Windows logsource category and service";
        return NULL;
    }
    if (row->unsupported != NULL) {
        *why = row->unsupported;
        return NULL;
    }
    return row;
}

kz_status
kz_logsource_map(const kz_sigma_rule *r, kz_arena *a,
                 const kz_ls_target **targets, size_t *n, const char **why)
{
    const kz_ls_row *row;
    const kz_ls_alt_place *place;
    const kz_sg_selection *sels = NULL, *native = NULL;
    const char *alt_why = NULL;
    kz_ls_target *t;
    size_t nt = 1;
    kz_status st;

    *targets = NULL;
    *n = 0;
    *why = NULL;
    if ((row = lookup(r, why)) == NULL)
        return KZ_EUNSUPPORTED;
    native = r->sels;
    if (row->native_ren != 0) {
        /* same events, other field names (antivirus on Defender) */
        st = kz_ls_rewrite(r, row->native_ren, a, &native, &alt_why);
        if (st == KZ_EUNSUPPORTED)
            native = r->sels;
        else if (st != KZ_OK)
            return st;
    }
    place = kz_ls_alt_place_of((kz_ls_alt)row->alt);
    if (place != NULL) {
        st = kz_ls_rewrite(r, row->alt, a, &sels, &alt_why);
        if (st == KZ_OK)
            nt = 2;
        else if (st != KZ_EUNSUPPORTED)
            return st;
    }
    if ((t = kz_arena_alloc(a, nt * sizeof(*t))) == NULL)
        return KZ_ENOMEM;
    t[0].alt = KZ_LS_NATIVE;
    t[0].channels = row->channels;
    t[0].nchannels = kz_ls_row_nchannels(row);
    t[0].neids = kz_ls_row_neids(row);
    t[0].eids = t[0].neids != 0 ? row->eids : NULL;
    t[0].sels = native;
    t[0].nsels = r->nsels;
    if (nt == 2) {
        t[1].alt = row->alt;
        t[1].channels = place->channels;
        t[1].nchannels = 1;
        t[1].eids = place->eids;
        t[1].neids = 1;
        t[1].sels = sels;
        t[1].nsels = r->nsels;
    }
    *targets = t;
    *n = nt;
    return KZ_OK;
}
