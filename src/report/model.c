/*
 * model.c - the report model's storage: bounded lists and copied strings
 * in one capped arena (model.h).
 */
#include "report/model.h"

#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/version.h"
#include "investigate/incident.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static void
list_init(kz_report_list *l, size_t elem, size_t max)
{
    memset(l, 0, sizeof(*l));
    l->elem = elem;
    l->max = max;
}

static void
list_fini(kz_report_list *l)
{
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}

/* Returns a zeroed new slot, or sets *slot to NULL and counts the item
 * as omitted when the list is full. KZ_ENOMEM only on allocation. */
static kz_status
list_slot(kz_report_list *l, void **slot, kz_error *err)
{
    *slot = NULL;
    if (l->n >= l->max) {
        l->omitted++;
        return KZ_OK;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap == 0 ? 16 : l->cap * 2;
        void *p;

        if (cap > l->max)
            cap = l->max;
        p = realloc(l->items, cap * l->elem);
        if (p == NULL)
            return kz_error_set(err, KZ_ENOMEM, "report: list of %zu items",
                                cap);
        l->items = p;
        l->cap = cap;
    }
    *slot = (char *)l->items + l->n * l->elem;
    memset(*slot, 0, l->elem);
    return KZ_OK;
}

/* Length of s cut to at most max bytes without splitting a UTF-8
 * sequence (continuation bytes 10xxxxxx are not a cut point). */
static size_t
cut_len(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

kz_status
kz_report_strdup(kz_report *r, const char *s, const char **out,
                 kz_error *err)
{
    size_t n, k;
    char *p;

    *out = NULL;
    if (s == NULL)
        return KZ_OK;
    n = strlen(s);
    k = cut_len(s, n, KZ_REPORT_STR_MAX);
    if (k != n)
        r->strings_cut++;
    p = kz_arena_strndup(&r->mem, s, k);
    if (p == NULL)
        return kz_error_set(err, KZ_ENOMEM,
                            "report: strings past %zu bytes",
                            (size_t)KZ_REPORT_ARENA_MAX);
    *out = p;
    return KZ_OK;
}

kz_status
kz_report_set(kz_report *r, const char **field, const char *s,
              kz_error *err)
{
    const char *p = NULL;
    kz_status st = kz_report_strdup(r, s, &p, err);

    if (st == KZ_OK)
        *field = p;
    return st;
}

kz_status
kz_report_new(kz_report **out, kz_error *err)
{
    kz_report *r;
    kz_status st;

    *out = NULL;
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return kz_error_set(err, KZ_ENOMEM, "report: model");
    kz_arena_init(&r->mem, 64 * 1024, KZ_REPORT_ARENA_MAX);
    list_init(&r->meta.flags, sizeof(const char *), KZ_REPORT_MAX_FLAGS);
    list_init(&r->meta.rule_sources, sizeof(kz_report_rule_source),
              KZ_REPORT_MAX_RULE_SOURCES);
    list_init(&r->inputs, sizeof(kz_report_input), KZ_REPORT_MAX_INPUTS);
    list_init(&r->rows, sizeof(kz_report_row), KZ_REPORT_MAX_ROWS);
    list_init(&r->tools, sizeof(kz_report_tool), KZ_REPORT_MAX_TOOLS);
    list_init(&r->steps, sizeof(kz_report_step), KZ_REPORT_MAX_STEPS);
    list_init(&r->scope, sizeof(kz_report_scope), KZ_REPORT_MAX_SCOPE);
    list_init(&r->limits, sizeof(kz_report_limit), KZ_REPORT_MAX_LIMITS);
    list_init(&r->nodes, sizeof(kz_report_node), KZ_REPORT_MAX_NODES);
    list_init(&r->edges, sizeof(kz_report_edge), KZ_REPORT_MAX_EDGES);
    list_init(&r->buckets, sizeof(kz_report_bucket),
              KZ_REPORT_MAX_BUCKETS);
    list_init(&r->techniques, sizeof(kz_report_technique),
              KZ_REPORT_MAX_TECHNIQUES);
    list_init(&r->incidents, sizeof(kz_report_incident),
              KZ_REPORT_MAX_INCIDENTS);
    list_init(&r->ent_hosts, sizeof(kz_report_ent_host),
              KZ_REPORT_MAX_ENT_HOSTS);
    list_init(&r->ent_accounts, sizeof(kz_report_ent_account),
              KZ_REPORT_MAX_ENT_ACCOUNTS);
    list_init(&r->ent_addrs, sizeof(kz_report_ent_addr),
              KZ_REPORT_MAX_ENT_ADDRS);
    r->meta.generated_at = KZ_TIME_NONE;
    r->meta.tz.kind = KZ_TZ_FIXED;
    r->meta.lang = KZ_LANG_EN;
    r->summary.first_activity = KZ_TIME_NONE;
    r->summary.last_activity = KZ_TIME_NONE;
    if ((st = kz_report_set(r, &r->meta.tool_version, KZ_VERSION, err)) !=
            KZ_OK ||
        (st = kz_report_set(r, &r->meta.zone_label, "UTC", err)) != KZ_OK) {
        kz_report_free(r);
        return st;
    }
    *out = r;
    return KZ_OK;
}

void
kz_report_free(kz_report *r)
{
    if (r == NULL)
        return;
    list_fini(&r->meta.flags);
    list_fini(&r->meta.rule_sources);
    list_fini(&r->inputs);
    list_fini(&r->rows);
    list_fini(&r->tools);
    list_fini(&r->steps);
    list_fini(&r->scope);
    list_fini(&r->limits);
    list_fini(&r->nodes);
    list_fini(&r->edges);
    list_fini(&r->buckets);
    list_fini(&r->techniques);
    list_fini(&r->incidents);
    list_fini(&r->ent_hosts);
    list_fini(&r->ent_accounts);
    list_fini(&r->ent_addrs);
    kz_arena_fini(&r->mem);
    free(r);
}

/* Copies up to max strings of src[0..n) into a new arena array. */
static kz_status
copy_names(kz_report *r, const char *const *src, size_t n, size_t max,
           const char ***out, size_t *kept, uint64_t *omitted,
           kz_error *err)
{
    const char **a;
    size_t k = n < max ? n : max, i;
    kz_status st;

    *out = NULL;
    *kept = 0;
    *omitted += n - k;
    if (k == 0)
        return KZ_OK;
    a = kz_arena_alloc(&r->mem, k * sizeof(*a));
    if (a == NULL)
        return kz_error_set(err, KZ_ENOMEM, "report: name list");
    for (i = 0; i < k; i++)
        if ((st = kz_report_strdup(r, src[i], &a[i], err)) != KZ_OK)
            return st;
    *out = a;
    *kept = k;
    return KZ_OK;
}

/* Copies the string fields listed by offset from src into dst. */
static kz_status
copy_strs(kz_report *r, void *dst, const void *src, const size_t *offs,
          size_t n, kz_error *err)
{
    kz_status st;
    size_t i;

    for (i = 0; i < n; i++) {
        const char *s = *(const char *const *)((const char *)src + offs[i]);
        const char **d = (const char **)((char *)dst + offs[i]);

        if ((st = kz_report_strdup(r, s, d, err)) != KZ_OK)
            return st;
    }
    return KZ_OK;
}

/* Adds a copy of *item to list l, deep-copying the string fields at
 * offs; *slot_out gets the new slot (NULL when omitted). */
static kz_status
add_item(kz_report *r, kz_report_list *l, const void *item,
         const size_t *offs, size_t n_offs, void **slot_out, kz_error *err)
{
    void *slot;
    kz_status st;

    if (slot_out != NULL)
        *slot_out = NULL;
    if ((st = list_slot(l, &slot, err)) != KZ_OK || slot == NULL)
        return st;
    memcpy(slot, item, l->elem);
    /* clear the borrowed pointers first so a failed copy leaves none */
    for (size_t i = 0; i < n_offs; i++)
        *(const char **)((char *)slot + offs[i]) = NULL;
    if ((st = copy_strs(r, slot, item, offs, n_offs, err)) != KZ_OK)
        return st;
    l->n++;
    if (slot_out != NULL)
        *slot_out = slot;
    return KZ_OK;
}

kz_status
kz_report_add_flag(kz_report *r, const char *flag, kz_error *err)
{
    static const size_t offs[] = { 0 };

    return add_item(r, &r->meta.flags, &flag, offs, 1, NULL, err);
}

kz_status
kz_report_add_rule_source(kz_report *r, const kz_report_rule_source *s,
                          kz_error *err)
{
    static const size_t offs[] = { offsetof(kz_report_rule_source, path) };

    return add_item(r, &r->meta.rule_sources, s, offs, N_OF(offs), NULL,
                    err);
}

kz_status
kz_report_add_input(kz_report *r, const kz_report_input *in, kz_error *err)
{
    static const size_t offs[] = { offsetof(kz_report_input, path),
                                   offsetof(kz_report_input, sha256),
                                   offsetof(kz_report_input, note) };

    return add_item(r, &r->inputs, in, offs, N_OF(offs), NULL, err);
}

kz_status
kz_report_add_row(kz_report *r, const kz_report_row *row, kz_error *err)
{
    static const size_t offs[] = {
        offsetof(kz_report_row, host),     offsetof(kz_report_row, account),
        offsetof(kz_report_row, activity), offsetof(kz_report_row, file),
        offsetof(kz_report_row, channel),  offsetof(kz_report_row, rule_id),
        offsetof(kz_report_row, level),    offsetof(kz_report_row, tactic),
    };

    return add_item(r, &r->rows, row, offs, N_OF(offs), NULL, err);
}

/* Kill-chain rank of a tactic name (none last). */
static int
tactic_rank(const char *t)
{
    int r = t != NULL ? kz_inc_tactic_rank(t, strlen(t)) : -1;

    return r >= 0 ? r : INT_MAX;
}

typedef struct row_ref {
    kz_report_row row;
    size_t index;
} row_ref;

static int
cmp_rows(const void *a, const void *b)
{
    const row_ref *x = a, *y = b;
    uint64_t ix = x->row.incident != 0 ? x->row.incident : UINT64_MAX;
    uint64_t iy = y->row.incident != 0 ? y->row.incident : UINT64_MAX;
    int rx = tactic_rank(x->row.tactic), ry = tactic_rank(y->row.tactic);

    if (ix != iy)
        return ix < iy ? -1 : 1;
    if (rx != ry)
        return rx < ry ? -1 : 1;
    if (x->row.time != y->row.time)
        return x->row.time < y->row.time ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

kz_status
kz_report_sum_scope(kz_report *r)
{
    kz_report_incident *inc = r->incidents.items;
    size_t i, k;

    for (i = 0; i < r->scope.n; i++) {
        const kz_report_scope *s = KZ_REPORT_AT(&r->scope, kz_report_scope, i);

        for (k = 0; k < r->incidents.n; k++) {
            if (inc[k].id != s->incident)
                continue;
            if (s->kind != NULL && strcmp(s->kind, "mailbox") == 0)
                inc[k].mailboxes += s->total;
            else {
                inc[k].files_read += s->files_read;
                inc[k].files_written += s->files_written;
                inc[k].files_deleted += s->files_deleted;
            }
            break;
        }
    }
    return KZ_OK;
}

void
kz_report_group_rows(kz_report *r)
{
    kz_report_row *rows = r->rows.items;
    row_ref *v;
    size_t i, n = r->rows.n;

    if (n < 2 || (v = malloc(n * sizeof(*v))) == NULL)
        return; /* without memory the rows keep their order */
    for (i = 0; i < n; i++) {
        v[i].row = rows[i];
        v[i].index = i;
    }
    qsort(v, n, sizeof(*v), cmp_rows);
    for (i = 0; i < n; i++)
        rows[i] = v[i].row;
    free(v);
}

kz_status
kz_report_add_tool(kz_report *r, const kz_report_tool *t, kz_error *err)
{
    static const size_t offs[] = { offsetof(kz_report_tool, name),
                                   offsetof(kz_report_tool, path),
                                   offsetof(kz_report_tool, sha256) };
    kz_report_tool *slot;
    void *p;
    kz_status st;

    if ((st = add_item(r, &r->tools, t, offs, N_OF(offs), &p, err)) !=
            KZ_OK ||
        p == NULL)
        return st;
    slot = p;
    slot->hosts = NULL;
    slot->n_hosts = 0;
    return copy_names(r, t->hosts, t->n_hosts, KZ_REPORT_MAX_TOOL_HOSTS,
                      &slot->hosts, &slot->n_hosts, &slot->hosts_omitted,
                      err);
}

kz_status
kz_report_add_step(kz_report *r, const kz_report_step *s, kz_error *err)
{
    static const size_t offs[] = {
        offsetof(kz_report_step, from),    offsetof(kz_report_step, to),
        offsetof(kz_report_step, account), offsetof(kz_report_step, method),
        offsetof(kz_report_step, evidence),
    };

    return add_item(r, &r->steps, s, offs, N_OF(offs), NULL, err);
}

kz_status
kz_report_add_scope(kz_report *r, const kz_report_scope *s, kz_error *err)
{
    static const size_t offs[] = { offsetof(kz_report_scope, kind),
                                   offsetof(kz_report_scope, host),
                                   offsetof(kz_report_scope, share) };
    kz_report_scope *slot;
    void *p;
    kz_status st;

    if ((st = add_item(r, &r->scope, s, offs, N_OF(offs), &p, err)) !=
            KZ_OK ||
        p == NULL)
        return st;
    slot = p;
    slot->names = NULL;
    slot->n_names = 0;
    slot->accounts = NULL;
    slot->n_accounts = 0;
    if ((st = copy_names(r, s->accounts, s->n_accounts,
                         KZ_REPORT_MAX_SCOPE_NAMES, &slot->accounts,
                         &slot->n_accounts, &slot->accounts_omitted, err)) !=
        KZ_OK)
        return st;
    return copy_names(r, s->names, s->n_names, KZ_REPORT_MAX_SCOPE_NAMES,
                      &slot->names, &slot->n_names, &slot->names_omitted,
                      err);
}

kz_status
kz_report_add_incident(kz_report *r, const kz_report_incident *in,
                       kz_error *err)
{
    static const size_t offs[] = { offsetof(kz_report_incident, level),
                                   offsetof(kz_report_incident, first_host),
                                   offsetof(kz_report_incident, reason) };
    kz_report_incident *slot;
    void *p;
    kz_status st;

    if ((st = add_item(r, &r->incidents, in, offs, N_OF(offs), &p, err)) !=
            KZ_OK ||
        p == NULL)
        return st;
    slot = p;
    slot->hosts = slot->accounts = slot->path = NULL;
    slot->n_hosts = slot->n_accounts = slot->n_path = 0;
    if ((st = copy_names(r, in->path, in->n_path, KZ_REPORT_MAX_INC_NAMES,
                         &slot->path, &slot->n_path, &slot->path_omitted,
                         err)) != KZ_OK)
        return st;
    if ((st = copy_names(r, in->hosts, in->n_hosts, KZ_REPORT_MAX_INC_NAMES,
                         &slot->hosts, &slot->n_hosts, &slot->hosts_omitted,
                         err)) != KZ_OK)
        return st;
    return copy_names(r, in->accounts, in->n_accounts,
                      KZ_REPORT_MAX_INC_NAMES, &slot->accounts,
                      &slot->n_accounts, &slot->accounts_omitted, err);
}

kz_status
kz_report_add_limit(kz_report *r, const kz_report_limit *l, kz_error *err)
{
    static const size_t offs[] = { offsetof(kz_report_limit, kind),
                                   offsetof(kz_report_limit, what),
                                   offsetof(kz_report_limit, consequence) };

    return add_item(r, &r->limits, l, offs, N_OF(offs), NULL, err);
}

kz_status
kz_report_add_node(kz_report *r, const kz_report_node *n, kz_error *err)
{
    static const size_t offs[] = { offsetof(kz_report_node, id),
                                   offsetof(kz_report_node, label),
                                   offsetof(kz_report_node, kind),
                                   offsetof(kz_report_node, role) };

    return add_item(r, &r->nodes, n, offs, N_OF(offs), NULL, err);
}

kz_status
kz_report_add_edge(kz_report *r, const kz_report_edge *e, kz_error *err)
{
    static const size_t offs[] = { offsetof(kz_report_edge, source),
                                   offsetof(kz_report_edge, target),
                                   offsetof(kz_report_edge, label) };

    return add_item(r, &r->edges, e, offs, N_OF(offs), NULL, err);
}

kz_status
kz_report_add_bucket(kz_report *r, const kz_report_bucket *b, kz_error *err)
{
    return add_item(r, &r->buckets, b, NULL, 0, NULL, err);
}

kz_status
kz_report_add_technique(kz_report *r, const kz_report_technique *t,
                        kz_error *err)
{
    static const size_t offs[] = { offsetof(kz_report_technique, id),
                                   offsetof(kz_report_technique, tactic) };
    kz_report_technique *slot;
    void *p;
    kz_status st;

    if ((st = add_item(r, &r->techniques, t, offs, N_OF(offs), &p, err)) !=
            KZ_OK ||
        p == NULL)
        return st;
    slot = p;
    slot->rules = NULL;
    slot->n_rules = 0;
    return copy_names(r, t->rules, t->n_rules, KZ_REPORT_MAX_TECH_RULES,
                      &slot->rules, &slot->n_rules, &slot->rules_omitted,
                      err);
}

/* ---- entities -------------------------------------------------------- */

kz_status
kz_report_add_ent_host(kz_report *r, const kz_report_ent_host *h,
                       kz_error *err)
{
    static const size_t offs[] = { offsetof(kz_report_ent_host, name),
                                   offsetof(kz_report_ent_host, role) };
    kz_report_ent_host *slot;
    void *p;
    kz_status st;

    if ((st = add_item(r, &r->ent_hosts, h, offs, N_OF(offs), &p, err)) !=
            KZ_OK ||
        p == NULL)
        return st;
    slot = p;
    slot->spellings = slot->addresses = NULL;
    slot->n_spellings = slot->n_addresses = 0;
    if ((st = copy_names(r, h->spellings, h->n_spellings,
                         KZ_REPORT_MAX_ENT_LINKS, &slot->spellings,
                         &slot->n_spellings, &slot->spellings_omitted,
                         err)) != KZ_OK)
        return st;
    return copy_names(r, h->addresses, h->n_addresses,
                      KZ_REPORT_MAX_ENT_LINKS, &slot->addresses,
                      &slot->n_addresses, &slot->addresses_omitted, err);
}

kz_status
kz_report_add_ent_account(kz_report *r, const kz_report_ent_account *a,
                          kz_error *err)
{
    static const size_t offs[] = { offsetof(kz_report_ent_account, name),
                                   offsetof(kz_report_ent_account, upn) };
    kz_report_ent_account *slot;
    void *p;
    kz_status st;

    if ((st = add_item(r, &r->ent_accounts, a, offs, N_OF(offs), &p,
                       err)) != KZ_OK ||
        p == NULL)
        return st;
    slot = p;
    slot->sids = slot->admin_hosts = slot->hosts = NULL;
    slot->n_sids = slot->n_admin_hosts = slot->n_hosts = 0;
    if ((st = copy_names(r, a->sids, a->n_sids, KZ_REPORT_MAX_ENT_LINKS,
                         &slot->sids, &slot->n_sids, &slot->sids_omitted,
                         err)) != KZ_OK ||
        (st = copy_names(r, a->admin_hosts, a->n_admin_hosts,
                         KZ_REPORT_MAX_ENT_LINKS, &slot->admin_hosts,
                         &slot->n_admin_hosts, &slot->admin_hosts_omitted,
                         err)) != KZ_OK)
        return st;
    return copy_names(r, a->hosts, a->n_hosts, KZ_REPORT_MAX_ENT_LINKS,
                      &slot->hosts, &slot->n_hosts, &slot->hosts_omitted,
                      err);
}

kz_status
kz_report_add_ent_addr(kz_report *r, const kz_report_ent_addr *a,
                       kz_error *err)
{
    static const size_t offs[] = { offsetof(kz_report_ent_addr, address),
                                   offsetof(kz_report_ent_addr, host),
                                   offsetof(kz_report_ent_addr, basis) };

    return add_item(r, &r->ent_addrs, a, offs, N_OF(offs), NULL, err);
}
