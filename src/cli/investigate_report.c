/*
 * investigate_report.c - the end of `kizuki investigate`: the logon
 * graph's edges and the coverage go to the incident engine, which runs;
 * then the report model is filled (meta, inputs with their SHA-256,
 * summary, tools, lateral steps, impact scope, evidence limits, graph,
 * chart) and written into DIR with the logon graph's exports. The rows
 * of the compromise timeline, the techniques and the integrity limits
 * were added while the timeline was written (cmd_investigate.c).
 * Reference: docs/investigate.md ("Command"), docs/report.md.
 * Threads: the calling thread only.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "base/grow.h"
#include "cli/cli.h"
#include "cli/investigate_int.h"
#include "report/report.h"
#include "write/escape.h"

/* ---- meta ---------------------------------------------------------- */

static kz_status
fill_meta(kz_inv *v, const kz_hunt_done *dn)
{
    kz_report *r = v->rep;
    kz_report_rule_source rs;
    char label[160];
    const char *src[66];
    size_t nsrc = 0, i, k, len;
    int j;
    kz_status st;

    r->meta.generated_at =
        (kz_time)time(NULL) * KZ_INC_SECOND + KZ_UNIX_EPOCH_TICKS;
    r->meta.tz = *dn->tz;
    if (dn->tz->kind == KZ_TZ_NAMED)
        snprintf(label, sizeof(label), "%s", dn->tz->name);
    else if (dn->tz->kind == KZ_TZ_LOCAL)
        snprintf(label, sizeof(label), "local");
    else if (dn->tz->offset_min == 0)
        snprintf(label, sizeof(label), "UTC");
    else
        snprintf(label, sizeof(label), "%c%02d:%02d",
                 dn->tz->offset_min < 0 ? '-' : '+',
                 abs(dn->tz->offset_min) / 60, abs(dn->tz->offset_min) % 60);
    if ((st = kz_report_set(r, &r->meta.zone_label, label, &v->err)) != KZ_OK)
        return st;
    /* flags: the command line before the input paths */
    for (j = 1; j < dn->argc - (int)dn->npaths; j++)
        if ((st = kz_report_add_flag(r, dn->argv[j], &v->err)) != KZ_OK)
            return st;
    if (dn->pack != NULL)
        src[nsrc++] = dn->pack;
    for (i = 0; i < dn->nrule_paths && nsrc < 66; i++)
        src[nsrc++] = dn->rule_paths[i];
    for (k = 0; k < nsrc; k++) {
        memset(&rs, 0, sizeof(rs));
        rs.path = src[k];
        len = strlen(src[k]);
        for (i = 0; dn->rules != NULL && i < dn->nrules; i++) {
            const kz_sigma_rule *x = dn->rules[i];

            if (x != NULL && x->path != NULL &&
                strncmp(x->path, src[k], len) == 0)
                rs.loaded++;
        }
        if ((st = kz_report_add_rule_source(r, &rs, &v->err)) != KZ_OK)
            return st;
    }
    if (dn->set != NULL) {
        r->meta.rules_loaded = dn->set->counts[KZ_SGV_LOADED];
        r->meta.rules_failed = dn->set->nreports > r->meta.rules_loaded
                                   ? dn->set->nreports - r->meta.rules_loaded
                                   : 0;
    }
    return KZ_OK;
}

/* ---- engine inputs ------------------------------------------------- */

static kz_status
feed_engine(kz_inv *v)
{
    const kz_logon *l = v->col;
    kz_strbuf ev;
    size_t i;
    kz_status st = KZ_OK;

    kz_strbuf_init(&ev, 0);
    for (i = 0; i < kz_logon_n_edges(l) && st == KZ_OK; i++) {
        const kz_logon_edge *e = kz_logon_edge_at(l, i);
        const kz_logon_node *acct, *tgt, *via = NULL;
        kz_inc_edge x;

        if (e->kind != KZ_EDGE_LOGON)
            continue;
        acct = kz_logon_node_at(l, e->source);
        tgt = kz_logon_node_at(l, e->target);
        if (e->via != SIZE_MAX)
            via = kz_logon_node_at(l, e->via);
        memset(&x, 0, sizeof(x));
        x.account = acct->label;
        x.target = strncmp(tgt->id, "host:", 5) == 0 ? tgt->id + 5 : tgt->id;
        if (via != NULL && via->kind == KZ_NODE_ADDRESS) {
            x.src_kind = via->external ? KZ_INC_SRC_EXTERNAL
                                       : KZ_INC_SRC_INTERNAL;
            x.source = strncmp(via->id, "addr:", 5) == 0 ? via->id + 5
                                                         : via->id;
        } else if (via != NULL && via->kind == KZ_NODE_HOST) {
            x.src_kind = KZ_INC_SRC_HOST;
            x.source = strncmp(via->id, "host:", 5) == 0 ? via->id + 5
                                                         : via->id;
        }
        x.logon_type = e->logon_type;
        x.first = e->first;
        x.last = e->last;
        x.count = e->count;
        x.failed = e->failed;
        kz_strbuf_reset(&ev);
        kz_strbuf_adds(&ev, "events ");
        kz_logon_mask_ids(&ev, e->event_mask);
        if (kz_strbuf_addc(&ev, '\0') != KZ_OK) {
            st = KZ_ENOMEM;
            break;
        }
        x.evidence = ev.data;
        st = kz_inc_add_edge(v->inc, &x);
    }
    kz_strbuf_fini(&ev);
    for (i = 0; i < KZ_INV_MAX_HOSTS * 2 && st == KZ_OK; i++)
        if (v->hosts[i].name != NULL)
            st = kz_inc_add_host(v->inc, v->hosts[i].name, v->hosts[i].first,
                                 v->hosts[i].last);
    return st;
}

/* Roles the coverage tap saw beside the logon facts (a 5145 on a user
 * share: file server) go to the logon graph and the entity table. */
static kz_status
add_roles(kz_inv *v)
{
    kz_status st = KZ_OK;
    size_t i;

    for (i = 0; i < KZ_INV_MAX_HOSTS * 2 && st == KZ_OK; i++) {
        const kz_inv_host *h = &v->hosts[i];

        if (h->name == NULL || !(h->chans & KZ_INV_CH_FILESERVER))
            continue;
        if ((st = kz_logon_add_roles(v->col, h->name, h->len,
                                     KZ_HOST_FILE_SERVER)) == KZ_OK)
            st = kz_ent_add_roles(v->ent, h->name, h->len,
                                  KZ_HOST_FILE_SERVER);
    }
    return st;
}

/* The entity table: the coverage added, finished, and its address ->
 * host observations given to the engine (docs/investigate.md "Address
 * join"). */
static kz_status
feed_entities(kz_inv *v)
{
    kz_inc_addr_host m;
    kz_status st = KZ_OK;
    size_t i;

    for (i = 0; i < KZ_INV_MAX_HOSTS * 2 && st == KZ_OK; i++)
        if (v->hosts[i].name != NULL)
            st = kz_ent_add_coverage(v->ent, v->hosts[i].name,
                                     v->hosts[i].len, v->hosts[i].events,
                                     v->hosts[i].first, v->hosts[i].last);
    if (st != KZ_OK || (st = kz_ent_finish(v->ent)) != KZ_OK)
        return st;
    for (i = 0; i < kz_ent_n_maps(v->ent) && st == KZ_OK; i++) {
        const kz_ent_map *x = kz_ent_map_at(v->ent, i);

        memset(&m, 0, sizeof(m));
        m.address = x->address;
        m.host = x->host;
        m.first = x->first;
        m.last = x->last;
        m.evidence = kz_ent_how_str(x->how);
        st = kz_inc_add_addr_host(v->inc, &m);
    }
    return st;
}

/* ---- entities ------------------------------------------------------ */

/* The report's entities from the entity table (docs/report.md
 * "Entities"), in the table's order (by key). */
static kz_status
fill_entities(kz_inv *v)
{
    const kz_ent *e = v->ent;
    const char *addrs[KZ_REPORT_MAX_ENT_LINKS];
    kz_strbuf b;
    kz_status st = KZ_OK;
    size_t i, j;

    for (i = 0; i < kz_ent_n_hosts(e) && st == KZ_OK; i++) {
        const kz_ent_host *h = kz_ent_host_at(e, i);
        kz_report_ent_host x;

        memset(&x, 0, sizeof(x));
        x.name = h->key;
        x.role = h->roles != 0 ? kz_logon_roles_str(h->roles) : NULL;
        x.spellings = (const char **)h->spellings;
        x.n_spellings = h->n_spellings;
        x.spellings_omitted = h->spellings_omitted;
        for (j = 0; j < h->n_addrs; j++) {
            const char *a = h->addrs[j]->address;

            if (x.n_addresses > 0 &&
                strcmp(addrs[x.n_addresses - 1], a) == 0)
                continue;
            if (x.n_addresses < KZ_REPORT_MAX_ENT_LINKS)
                addrs[x.n_addresses++] = a;
            else
                x.addresses_omitted++;
        }
        x.addresses = addrs;
        x.logs_read = h->logs_read;
        x.events = h->events;
        x.first = h->first;
        x.last = h->last;
        st = kz_report_add_ent_host(v->rep, &x, &v->err);
    }
    for (i = 0; i < kz_ent_n_accounts(e) && st == KZ_OK; i++) {
        const kz_ent_account *a = kz_ent_account_at(e, i);
        kz_report_ent_account x;

        memset(&x, 0, sizeof(x));
        x.name = a->label;
        x.sids = (const char **)a->sids;
        x.n_sids = a->n_sids;
        x.upn = a->upn;
        x.admin = a->admin;
        x.machine = a->machine;
        x.admin_hosts = (const char **)a->admin_hosts;
        x.n_admin_hosts = a->n_admin_hosts;
        x.admin_hosts_omitted = a->admin_hosts_omitted;
        x.hosts = (const char **)a->hosts;
        x.n_hosts = a->n_hosts;
        x.hosts_omitted = a->hosts_omitted;
        x.logons = a->logons + a->auths;
        x.failures = a->failures;
        x.first = a->first;
        x.last = a->last;
        st = kz_report_add_ent_account(v->rep, &x, &v->err);
    }
    kz_strbuf_init(&b, 4096);
    for (i = 0; i < kz_ent_n_addrs(e) && st == KZ_OK; i++) {
        const kz_ent_addr *a = kz_ent_addr_at(e, i);
        kz_report_ent_addr x;
        uint8_t hows = 0;

        memset(&x, 0, sizeof(x));
        x.address = a->address;
        x.internal = a->internal;
        x.host = a->host;
        kz_strbuf_reset(&b);
        for (j = 0; j < a->n_maps; j++)
            hows |= (uint8_t)(1u << a->maps[j]->how);
        if (a->n_hosts == 1) {
            for (j = 0; j < 8; j++)
                if (hows & (1u << j)) {
                    if (b.len > 0)
                        kz_strbuf_adds(&b, ", ");
                    kz_strbuf_adds(&b, kz_ent_how_str((uint8_t)j));
                }
        } else if (a->n_hosts > 1) {
            const char *last = NULL;
            size_t k = 0;

            kz_strbuf_adds(&b, "ambiguous:");
            for (j = 0; j < a->n_maps; j++) {
                if (last != NULL && strcmp(last, a->maps[j]->host) == 0)
                    continue;
                last = a->maps[j]->host;
                if (k++ == 8) {
                    kz_strbuf_adds(&b, ", ...");
                    break;
                }
                kz_strbuf_adds(&b, k > 1 ? ", " : " ");
                kz_strbuf_adds(&b, last);
            }
        }
        x.basis = b.len > 0 ? b.data : NULL;
        x.logons = a->logons;
        x.failures = a->failures;
        x.first = a->first;
        x.last = a->last;
        st = kz_report_add_ent_addr(v->rep, &x, &v->err);
    }
    kz_strbuf_fini(&b);
    return st;
}

/* ---- summary, tools, steps ----------------------------------------- */

static int
cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Distinct strings of an array (sorted in place). */
static uint64_t
distinct(const char **v, size_t n)
{
    uint64_t d = 0;
    size_t i;

    if (n > 1)
        qsort(v, n, sizeof(*v), cmp_cstr);
    for (i = 0; i < n; i++)
        if (i == 0 || strcmp(v[i], v[i - 1]) != 0)
            d++;
    return d;
}

/* The incident of the overall first host (kz_inc_first_host's choice:
 * highest level, then earliest), or NULL. */
static const kz_incident *
main_incident(const kz_inc *e)
{
    const kz_incident *best = NULL;
    size_t i;

    for (i = 0; i < kz_inc_count(e); i++) {
        const kz_incident *c = kz_inc_at(e, i);

        if (best == NULL || c->max_level > best->max_level)
            best = c;
    }
    return best;
}

/* A tool's name, "m64.exe (mimikatz.exe)" when it was renamed. */
static const char *
tool_name(const kz_inv *v, const kz_inc_tool *t, char *buf, size_t cap)
{
    size_t i;

    for (i = 0; t->path != NULL && i < v->nofn; i++)
        if (strcasecmp(v->ofn[i].image, t->path) == 0) {
            snprintf(buf, cap, "%s (%s)", t->name, v->ofn[i].ofn);
            return buf;
        }
    return t->name;
}

static kz_status
fill_incidents(kz_inv *v, const kz_hunt_done *dn)
{
    kz_report *r = v->rep;
    const kz_inc *e = v->inc;
    const kz_incident *m = main_incident(e);
    const char *fh, *why, **hv = NULL, **av = NULL, **path;
    size_t nh = 0, na = 0, i, k, pass;
    kz_status st = KZ_OK;

    kz_inc_first_host(e, &fh, &why);
    if ((st = kz_report_set(r, &r->summary.first_host, fh, &v->err)) !=
            KZ_OK ||
        (st = kz_report_set(r, &r->summary.first_host_reason, why,
                            &v->err)) != KZ_OK)
        return st;
    r->summary.events = dn->read->events;
    r->summary.detections = v->detections;
    r->summary.alerts = v->alerts;
    for (i = 0; i < kz_inc_count(e); i++) {
        const kz_incident *c = kz_inc_at(e, i);

        if (r->summary.first_activity == KZ_TIME_NONE ||
            c->first < r->summary.first_activity)
            r->summary.first_activity = c->first;
        if (r->summary.last_activity == KZ_TIME_NONE ||
            c->last > r->summary.last_activity)
            r->summary.last_activity = c->last;
        nh += c->n_hosts + c->n_steps + 1;
        na += c->n_accounts;
    }
    hv = calloc(nh + 1, sizeof(*hv));
    av = calloc(na + 1, sizeof(*av));
    if (hv == NULL || av == NULL) {
        free(hv);
        free(av);
        return KZ_ENOMEM;
    }
    nh = na = 0;
    for (i = 0; i < kz_inc_count(e); i++) {
        const kz_incident *c = kz_inc_at(e, i);

        /* hosts involved: its alerts' hosts, the hosts its path reached
         * and its first host */
        for (k = 0; k < c->n_hosts; k++)
            hv[nh++] = c->hosts[k];
        for (k = 0; k < c->n_steps; k++)
            hv[nh++] = c->steps[k].to;
        if (c->patient_zero != NULL)
            hv[nh++] = c->patient_zero;
        for (k = 0; k < c->n_accounts; k++)
            av[na++] = c->accounts[k];
    }
    r->summary.hosts = distinct(hv, nh);
    r->summary.accounts = distinct(av, na);
    free(hv);
    free(av);
    for (i = 0; i < kz_inc_count(e) && st == KZ_OK; i++) {
        const kz_incident *c = kz_inc_at(e, i);
        kz_report_incident ri;

        memset(&ri, 0, sizeof(ri));
        ri.id = c->id;
        ri.first = c->first;
        ri.last = c->last;
        ri.level = kz_level_name((kz_level)c->max_level);
        ri.seeds = c->n_seeds;
        ri.hosts = (const char **)c->hosts;
        ri.n_hosts = c->n_hosts;
        ri.accounts = (const char **)c->accounts;
        ri.n_accounts = c->n_accounts;
        ri.techniques = c->n_techniques;
        ri.steps = c->n_steps;
        ri.tools = c->n_tools;
        if ((path = calloc(c->n_steps + 1, sizeof(*path))) == NULL)
            return KZ_ENOMEM;
        path[0] = c->start_host;
        for (k = 0; k < c->n_steps; k++)
            path[k + 1] = c->steps[k].to;
        ri.path = path;
        ri.n_path = c->start_host != NULL ? c->n_steps + 1 : 0;
        ri.first_host = c->patient_zero;
        ri.reason = c->reason;
        st = kz_report_add_incident(r, &ri, &v->err);
        free(path);
    }
    if (st != KZ_OK)
        return st;
    /* the main incident first, then the others in their order */
    for (pass = 0; pass < 2 && m != NULL; pass++)
        for (i = 0; i < kz_inc_count(e) && st == KZ_OK; i++) {
            const kz_incident *c = kz_inc_at(e, i);

            if ((pass == 0) != (c == m))
                continue;
            for (k = 0; k < c->n_tools && st == KZ_OK; k++) {
                const kz_inc_tool *t = &c->tools[k];
                kz_report_tool rt;
                const char *hosts[1];
                char tname[600];

                memset(&rt, 0, sizeof(rt));
                rt.name = tool_name(v, t, tname, sizeof(tname));
                rt.path = t->path;
                rt.sha256 = t->hash != NULL && *t->hash ? t->hash : NULL;
                rt.first = t->first;
                hosts[0] = t->first_host;
                rt.hosts = hosts;
                rt.n_hosts = t->first_host != NULL ? 1 : 0;
                rt.hosts_omitted = t->n_hosts > rt.n_hosts
                                       ? t->n_hosts - rt.n_hosts
                                       : 0;
                st = kz_report_add_tool(r, &rt, &v->err);
            }
            for (k = 0; k < c->n_steps && st == KZ_OK; k++) {
                const kz_inc_step *s = &c->steps[k];
                kz_report_step rs;

                rs.from = s->from != NULL && *s->from ? s->from : NULL;
                rs.to = s->to;
                rs.account = s->account;
                rs.time = s->time;
                rs.method = s->method;
                rs.evidence = s->evidence != NULL && *s->evidence
                                  ? s->evidence
                                  : NULL;
                st = kz_report_add_step(r, &rs, &v->err);
            }
        }
    return st;
}

/* ---- the timeline per incident ------------------------------------- */

/* An incident row's identity: the alert's time, record id, file and
 * rule id, and its incident and tactic. */
typedef struct row_key {
    kz_time time;
    uint64_t record_id;
    const char *file, *rule_id;
    size_t incident;
    const char *tactic;
} row_key;

static int
cmp_row_key(const void *a, const void *b)
{
    const row_key *x = a, *y = b;
    int c;

    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    if (x->record_id != y->record_id)
        return x->record_id < y->record_id ? -1 : 1;
    if ((c = strcmp(x->file, y->file)) != 0)
        return c;
    return strcmp(x->rule_id, y->rule_id);
}

/* Gives each row of the compromise timeline its incident and tactic
 * (from the engine's rows: the same alert) and groups the rows per
 * incident in kill-chain order (kz_report_group_rows). Rows of no kept
 * incident row (past max_rows) keep incident 0 and come last. */
static kz_status
group_rows(kz_inv *v)
{
    size_t n = 0, i, k, m = 0;
    row_key *keys;
    kz_status st = KZ_OK;

    for (i = 0; i < kz_inc_count(v->inc); i++)
        n += kz_inc_at(v->inc, i)->n_rows;
    if (n == 0 || v->rep->rows.n == 0)
        return KZ_OK;
    if ((keys = calloc(n, sizeof(*keys))) == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < kz_inc_count(v->inc); i++) {
        const kz_incident *in = kz_inc_at(v->inc, i);

        for (k = 0; k < in->n_rows; k++) {
            const kz_inc_alert *a = &in->rows[k].alert;

            keys[m].time = a->time;
            keys[m].record_id = a->record_id == UINT64_MAX
                                    ? KZ_REPORT_NO_RECORD
                                    : a->record_id;
            keys[m].file = a->file != NULL ? a->file : "";
            keys[m].rule_id = a->rule_id != NULL ? a->rule_id : "";
            keys[m].incident = in->id;
            keys[m].tactic = in->rows[k].tactic;
            m++;
        }
    }
    qsort(keys, m, sizeof(*keys), cmp_row_key);
    for (i = 0; i < v->rep->rows.n && st == KZ_OK; i++) {
        kz_report_row *r = &((kz_report_row *)v->rep->rows.items)[i];
        row_key q, *hit;

        q.time = r->time;
        q.record_id = r->record_id;
        q.file = r->file != NULL ? r->file : "";
        q.rule_id = r->rule_id != NULL ? r->rule_id : "";
        if ((hit = bsearch(&q, keys, m, sizeof(*keys), cmp_row_key)) ==
            NULL)
            continue;
        r->incident = hit->incident;
        if (hit->tactic != NULL && hit->tactic[0] != '\0')
            st = kz_report_set(v->rep, &r->tactic, hit->tactic, &v->err);
    }
    free(keys);
    if (st == KZ_OK)
        kz_report_group_rows(v->rep);
    return st;
}

/* ---- evidence limits ----------------------------------------------- */

static kz_status
limit(kz_inv *v, const char *kind, const char *what, const char *cons)
{
    kz_report_limit l;

    l.kind = kind;
    l.what = what;
    l.consequence = cons;
    return kz_report_add_limit(v->rep, &l, &v->err);
}

/* The coverage by host key: channels, first and last event. */
typedef struct cov {
    char *key; /* malloc */
    uint32_t chans;
    kz_time first, last;
} cov;

static int
cmp_cov(const void *a, const void *b)
{
    return strcmp(((const cov *)a)->key, ((const cov *)b)->key);
}

/* The coverage of v by host key, sorted, duplicates joined; *n set.
 * NULL (n = 0) when empty or without memory. */
static cov *
coverage(kz_inv *v, size_t *n)
{
    kz_strbuf b;
    cov *c;
    size_t i, m = 0, k;

    *n = 0;
    if (v->nhosts == 0 || (c = calloc(v->nhosts, sizeof(*c))) == NULL)
        return NULL;
    kz_strbuf_init(&b, 0);
    for (i = 0; i < KZ_INV_MAX_HOSTS * 2 && m < v->nhosts; i++) {
        const kz_inv_host *h = &v->hosts[i];

        if (h->name == NULL)
            continue;
        kz_strbuf_reset(&b);
        if (kz_a_host_key(&b, h->name, h->len) != KZ_OK || b.len == 0 ||
            (c[m].key = strndup(b.data, b.len)) == NULL)
            continue;
        c[m].chans = h->chans;
        c[m].first = h->first;
        c[m].last = h->last;
        m++;
    }
    kz_strbuf_fini(&b);
    qsort(c, m, sizeof(*c), cmp_cov);
    for (i = 0, k = 0; i < m; i++) {
        if (k > 0 && strcmp(c[k - 1].key, c[i].key) == 0) {
            c[k - 1].chans |= c[i].chans;
            if (c[i].first != KZ_TIME_NONE &&
                (c[k - 1].first == KZ_TIME_NONE || c[i].first < c[k - 1].first))
                c[k - 1].first = c[i].first;
            if (c[i].last != KZ_TIME_NONE &&
                (c[k - 1].last == KZ_TIME_NONE || c[i].last > c[k - 1].last))
                c[k - 1].last = c[i].last;
            free(c[i].key);
            continue;
        }
        c[k++] = c[i];
    }
    *n = k;
    return c;
}

/* The limits of one host of incident in: not read, no Security, no
 * Sysmon (when other hosts have it), logs that begin after the
 * incident's first activity. */
static kz_status
host_limit(kz_inv *v, const kz_hunt_done *dn, const kz_incident *in,
           const char *host, const cov *c, size_t nc)
{
    cov q, *hit;
    char what[700];
    kz_strbuf t;
    kz_status st = KZ_OK;

    q.key = (char *)host;
    hit = nc > 0 ? bsearch(&q, c, nc, sizeof(*c), cmp_cov) : NULL;
    if (hit == NULL) {
        snprintf(what, sizeof(what),
                 "no logs of host %s were read (incident %zu)", host,
                 in->id);
        return limit(v, "missing-host", what,
                     "what happened on that host cannot be determined: it "
                     "is known only from other hosts' logs");
    }
    if (!(hit->chans & KZ_INV_CH_SECURITY)) {
        snprintf(what, sizeof(what),
                 "no Security events of host %s (incident %zu)", host,
                 in->id);
        st = limit(v, "missing-channel", what,
                   "logons into that host, their accounts and sources "
                   "cannot be determined");
    }
    if (st == KZ_OK && v->ch.sysmon > 0 && !(hit->chans & KZ_INV_CH_SYSMON)) {
        snprintf(what, sizeof(what),
                 "no Sysmon events of host %s (incident %zu)", host,
                 in->id);
        st = limit(v, "missing-channel", what,
                   "process images, hashes and file writes on that host "
                   "cannot be determined beyond its Security events");
    }
    if (st == KZ_OK && hit->first != KZ_TIME_NONE && hit->first > in->first) {
        kz_strbuf_init(&t, 0);
        if (kz_tz_format(&t, dn->tz, hit->first) == KZ_OK &&
            kz_strbuf_addc(&t, '\0') == KZ_OK) {
            snprintf(what, sizeof(what),
                     "the logs of host %s begin at %s, after incident %zu "
                     "began",
                     host, t.data, in->id);
            st = limit(v, "late-start", what,
                       "activity on that host before its logs begin cannot "
                       "be seen or ruled out");
        }
        kz_strbuf_fini(&t);
    }
    return st;
}

/* Whether host key k is one of incident in's hosts. */
static bool
incident_has_host(const kz_incident *in, const char *k)
{
    size_t i;

    for (i = 0; i < in->n_hosts; i++)
        if (strcmp(in->hosts[i], k) == 0)
            return true;
    for (i = 0; i < in->n_steps; i++)
        if (strcmp(in->steps[i].to, k) == 0)
            return true;
    return false;
}

/* Silences (investigate_silence.c) of busy files on an incident's host
 * that overlap its span [first - lead, last]; each gap once. */
static kz_status
silence_limits(kz_inv *v, const kz_hunt_done *dn)
{
    kz_strbuf key, t1, t2;
    char what[1024];
    kz_status st = KZ_OK;
    size_t i, g, k;

    kz_strbuf_init(&key, 0);
    kz_strbuf_init(&t1, 0);
    kz_strbuf_init(&t2, 0);
    for (i = 0; i < v->nfiles && st == KZ_OK; i++) {
        const kz_inv_file *f = &v->files[i];

        if (f->host[0] == '\0' || !kz_inv_file_busy(f))
            continue;
        kz_strbuf_reset(&key);
        if (kz_a_host_key(&key, f->host, strlen(f->host)) != KZ_OK ||
            kz_strbuf_addc(&key, '\0') != KZ_OK)
            continue;
        for (g = 0; g < KZ_INV_SILENCE_KEEP && st == KZ_OK; g++) {
            if (f->gap_end[g] == 0)
                continue;
            for (k = 0; k < kz_inc_count(v->inc); k++) {
                const kz_incident *in = kz_inc_at(v->inc, k);

                if (f->gap_end[g] < in->first - KZ_INC_LEAD ||
                    f->gap_start[g] > in->last ||
                    !incident_has_host(in, key.data))
                    continue;
                kz_strbuf_reset(&t1);
                kz_strbuf_reset(&t2);
                if (kz_tz_format(&t1, dn->tz, f->gap_start[g]) != KZ_OK ||
                    kz_strbuf_addc(&t1, '\0') != KZ_OK ||
                    kz_tz_format(&t2, dn->tz, f->gap_end[g]) != KZ_OK ||
                    kz_strbuf_addc(&t2, '\0') != KZ_OK)
                    break;
                snprintf(what, sizeof(what),
                         "no events in %s of host %s from %s to %s (%lld "
                         "min) though it logs often, during incident %zu",
                         f->channel, key.data, t1.data, t2.data,
                         (long long)((f->gap_end[g] - f->gap_start[g]) /
                                     (60 * KZ_INC_SECOND)),
                         in->id);
                st = limit(v, "silence", what,
                           "activity on that host in that span cannot be "
                           "seen in that log (it was stopped, paused, or "
                           "emptied of those events)");
                break; /* each gap once */
            }
        }
    }
    kz_strbuf_fini(&key);
    kz_strbuf_fini(&t1);
    kz_strbuf_fini(&t2);
    return st;
}

/* Per incident: its hosts (and the hosts its steps reached or came
 * from) whose logs are missing, partial or begin late, and the internal
 * addresses its logons came from that map to no host; each host or
 * address once. */
static kz_status
incident_limits(kz_inv *v, const kz_hunt_done *dn)
{
    size_t nc = 0, i, k, nseen = 0, cap_seen = 0;
    cov *c = coverage(v, &nc);
    const char **seen = NULL;
    char what[700];
    kz_status st = KZ_OK;

    for (i = 0; i < kz_inc_count(v->inc) && st == KZ_OK; i++) {
        const kz_incident *in = kz_inc_at(v->inc, i);
        size_t nh = in->n_hosts + 2 * in->n_steps;

        for (k = 0; k < nh && st == KZ_OK; k++) {
            const char *h;
            bool addr = false, dup = false;
            size_t j;

            if (k < in->n_hosts)
                h = in->hosts[k];
            else if ((k - in->n_hosts) % 2 == 0)
                h = in->steps[(k - in->n_hosts) / 2].to;
            else {
                const kz_inc_step *s = &in->steps[(k - in->n_hosts) / 2];

                if (s->from_kind == KZ_INC_SRC_INTERNAL)
                    addr = true;
                else if (s->from_kind != KZ_INC_SRC_HOST)
                    continue;
                h = s->from;
            }
            if (h == NULL || *h == '\0')
                continue;
            for (j = 0; j < nseen && !dup; j++)
                dup = strcmp(seen[j], h) == 0;
            if (dup)
                continue;
            if (kz_grow(&seen, &cap_seen, nseen + 1, sizeof(*seen), 16) !=
                KZ_OK) {
                st = KZ_ENOMEM;
                break;
            }
            seen[nseen++] = h;
            if (!addr) {
                st = host_limit(v, dn, in, h, c, nc);
                continue;
            }
            snprintf(what, sizeof(what),
                     "internal address %s, a source of logons in incident "
                     "%zu, maps to no host",
                     h, in->id);
            st = limit(v, "unmapped-address", what,
                       "which host stands behind that address, and what it "
                       "did, cannot be determined from these logs");
        }
    }
    free(seen);
    for (i = 0; i < nc; i++)
        free(c[i].key);
    free(c);
    return st == KZ_OK ? silence_limits(v, dn) : st;
}

static kz_status
fill_limits(kz_inv *v, const kz_hunt_done *dn)
{
    kz_logon_stats ls;
    kz_inc_stats is;
    char buf[300];
    kz_status st = KZ_OK;

    if (v->ch.sysmon == 0)
        st = limit(v, "missing-channel", "no Sysmon events",
                   "process images, hashes, network connections and file "
                   "writes cannot be determined beyond what Security "
                   "events say");
    if (st == KZ_OK && v->ch.proc4688 == 0)
        st = limit(v, "missing-channel",
                   "no process creation events (Security 4688)",
                   "which programs ran cannot be determined from Security "
                   "events");
    else if (st == KZ_OK && v->ch.proc4688_cmd == 0)
        st = limit(v, "missing-channel",
                   "4688 events without command lines (audit policy "
                   "'Include command line' off)",
                   "the arguments of the programs that ran cannot be "
                   "determined");
    if (st == KZ_OK && v->ch.share5145 == 0)
        st = limit(v, "missing-channel",
                   "no detailed file share events (Security 5145)",
                   "which files were read or written over shares cannot "
                   "be determined (impact scope)");
    if (st == KZ_OK && v->ch.obj4663 == 0)
        st = limit(v, "missing-channel",
                   "no object access events (Security 4663: file system "
                   "auditing off)",
                   "files read on the hosts themselves cannot be "
                   "determined; files written or deleted only from Sysmon "
                   "11, 23 and 26");
    if (st == KZ_OK && v->ch.security == 0)
        st = limit(v, "missing-channel", "no Security events",
                   "logons, the logon graph and lateral movement cannot be "
                   "determined");
    if (st == KZ_OK && dn->read->unreadable > 0) {
        snprintf(buf, sizeof(buf), "%llu unreadable ranges (%llu bytes)",
                 (unsigned long long)dn->read->unreadable,
                 (unsigned long long)dn->read->unreadable_bytes);
        st = limit(v, "unreadable", buf,
                   "events in those ranges are lost");
    }
    if (st == KZ_OK && v->other_hosts > 0) {
        snprintf(buf, sizeof(buf), "%llu events of hosts past %d hosts",
                 (unsigned long long)v->other_hosts, KZ_INV_MAX_HOSTS);
        st = limit(v, "cap", buf,
                   "those hosts count as not covered for the first host");
    }
    kz_logon_get_stats(v->col, &ls);
    if (st == KZ_OK && ls.dropped_edges + ls.dropped_accounts > 0) {
        snprintf(buf, sizeof(buf), "%llu logon facts past the graph's caps",
                 (unsigned long long)(ls.dropped_edges +
                                      ls.dropped_accounts));
        st = limit(v, "cap", buf, "some logons are missing from the graph");
    }
    kz_inc_get_stats(v->inc, &is);
    if (st == KZ_OK && is.dropped_alerts + is.dropped_edges > 0) {
        snprintf(buf, sizeof(buf), "%llu alerts and %llu logon edges past "
                 "the incident engine's caps",
                 (unsigned long long)is.dropped_alerts,
                 (unsigned long long)is.dropped_edges);
        st = limit(v, "cap", buf, "incidents may be incomplete");
    }
    if (st == KZ_OK && v->imp != NULL) {
        kz_imp_stats ms;

        kz_imp_get_stats(v->imp, &ms);
        if (ms.capped_facts > 0) {
            snprintf(buf, sizeof(buf),
                     "%llu file accesses past the impact scope's %llu",
                     (unsigned long long)ms.capped_facts,
                     (unsigned long long)KZ_IMP_MAX_FACTS);
            st = limit(v, "cap", buf,
                       "files touched after the cap are not in the impact "
                       "scope");
        }
    }
    if (st == KZ_OK)
        st = incident_limits(v, dn);
    return st;
}

/* ---- graph and chart ----------------------------------------------- */

static kz_status
fill_graph(kz_inv *v)
{
    const kz_logon *l = v->col;
    const size_t *rank = kz_logon_ranking(l);
    static const char *const kinds[] = {"account", "host", "address"};
    size_t n = kz_logon_n_nodes(l), i;
    bool *kept;
    kz_status st = KZ_OK;
    char label[64];

    if (n == 0)
        return KZ_OK;
    if ((kept = calloc(n, sizeof(*kept))) == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < n && st == KZ_OK; i++) {
        const kz_logon_node *x = kz_logon_node_at(l, rank[i]);
        kz_report_node rn;

        rn.id = x->id;
        rn.label = x->label;
        rn.kind = x->kind < 3 ? kinds[x->kind] : "node";
        rn.rank = x->rank_norm;
        rn.role = x->roles != 0 ? kz_logon_roles_str(x->roles) : NULL;
        kept[rank[i]] = i < KZ_REPORT_MAX_NODES;
        st = kz_report_add_node(v->rep, &rn, &v->err);
    }
    for (i = 0; i < kz_logon_n_edges(l) && st == KZ_OK; i++) {
        const kz_logon_edge *e = kz_logon_edge_at(l, i);
        kz_report_edge re;

        if (!kept[e->source] || !kept[e->target] ||
            (e->kind == KZ_EDGE_LOGON && e->failed == e->count))
            continue;
        re.source = kz_logon_node_at(l, e->source)->id;
        re.target = kz_logon_node_at(l, e->target)->id;
        if (e->kind == KZ_EDGE_LOGON && e->logon_type >= 0)
            snprintf(label, sizeof(label), "type %d", e->logon_type);
        else
            snprintf(label, sizeof(label), "%s",
                     e->kind == KZ_EDGE_LOGON ? "logon" : "from");
        re.label = label;
        re.count = e->count;
        re.first = e->first;
        re.last = e->last;
        st = kz_report_add_edge(v->rep, &re, &v->err);
    }
    free(kept);
    return st;
}

static int
cmp_run(const void *a, const void *b)
{
    int64_t x = ((const kz_inv_run *)a)->minute;
    int64_t y = ((const kz_inv_run *)b)->minute;

    return x < y ? -1 : x > y;
}

static kz_status
fill_chart(kz_inv *v)
{
    kz_time w = kz_report_chart_width(v->ev_first, v->ev_last);
    size_t i, n = 0;
    kz_status st = KZ_OK;

    /* runs of every input in time order, one per minute */
    if (v->nruns > 1)
        qsort(v->runs, v->nruns, sizeof(*v->runs), cmp_run);
    for (i = 0; i < v->nruns; i++) {
        if (n > 0 && v->runs[n - 1].minute == v->runs[i].minute)
            v->runs[n - 1].count += v->runs[i].count;
        else
            v->runs[n++] = v->runs[i];
    }
    v->nruns = n;
    for (i = 0; i < v->nruns && st == KZ_OK; i++)
        st = kz_report_chart_add(v->rep,
                                 v->runs[i].minute * 60 * KZ_INC_SECOND, w,
                                 v->runs[i].count, 0, &v->err);
    for (i = 0; i < v->natimes && st == KZ_OK; i++)
        st = kz_report_chart_add(v->rep, v->atimes[i], w, 0, 1, &v->err);
    return st;
}

/* ---- files --------------------------------------------------------- */

static kz_status
file_write(void *ctx, const char *p, size_t n)
{
    return fwrite(p, 1, n, ctx) == n ? KZ_OK : KZ_EIO;
}

static kz_status
fmt_time(void *ctx, kz_strbuf *b, kz_time t)
{
    return kz_tz_format(b, ctx, t);
}

static kz_status
write_graph(kz_inv *v, const char *name, bool graphml, const kz_tz *tz)
{
    char path[4200], tmp[4300];
    FILE *f;
    kz_status st;

    snprintf(path, sizeof(path), "%s/%s", v->dir, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if ((f = fopen(tmp, "wb")) == NULL)
        return kz_error_set(&v->err, KZ_EIO, "cannot write %s", name);
    st = graphml ? kz_logon_write_graphml(v->col, file_write, f, fmt_time,
                                          (void *)tz)
                 : kz_logon_write_cytoscape(v->col, file_write, f, fmt_time,
                                            (void *)tz);
    if (fclose(f) != 0 && st == KZ_OK)
        st = KZ_EIO;
    if (st == KZ_OK && rename(tmp, path) != 0)
        st = KZ_EIO;
    if (st != KZ_OK) {
        remove(tmp);
        return kz_error_set(&v->err, st, "cannot write %s", name);
    }
    return KZ_OK;
}

int
kz_inv_report(kz_inv *v, const kz_hunt_done *dn)
{
    const char *fh, *why;
    char esc[600];
    kz_status st;

    /* the engine's evidence and reasons in the report's zone */
    kz_inc_set_time_format(v->inc, fmt_time, (void *)dn->tz);
    if ((st = add_roles(v)) != KZ_OK ||
        (st = kz_logon_finish(v->col)) != KZ_OK ||
        (st = feed_engine(v)) != KZ_OK ||
        (st = feed_entities(v)) != KZ_OK ||
        (st = kz_inc_run(v->inc)) != KZ_OK ||
        (st = fill_meta(v, dn)) != KZ_OK ||
        (st = kz_inv_inputs_finish(&v->inputs, v->rep, dn, &v->err)) !=
            KZ_OK ||
        (st = fill_incidents(v, dn)) != KZ_OK ||
        (st = group_rows(v)) != KZ_OK ||
        (st = kz_inv_impact(v, dn)) != KZ_OK ||
        (st = kz_report_sum_scope(v->rep)) != KZ_OK ||
        (st = fill_entities(v)) != KZ_OK ||
        (st = fill_limits(v, dn)) != KZ_OK || (st = fill_graph(v)) != KZ_OK ||
        (st = fill_chart(v)) != KZ_OK ||
        (st = kz_report_write_dir(v->rep, v->dir, &v->err)) != KZ_OK ||
        (st = write_graph(v, "graph.json", false, dn->tz)) != KZ_OK ||
        (st = write_graph(v, "graph.graphml", true, dn->tz)) != KZ_OK) {
        kz_cli_msg("investigate: the report failed: %s",
                   v->err.msg[0] != '\0' ? v->err.msg : kz_status_str(st));
        return KZ_EXIT_FATAL;
    }
    if (v->quiet)
        return KZ_EXIT_OK;
    kz_inc_first_host(v->inc, &fh, &why);
    if (fh != NULL)
        fprintf(stderr, "investigate: %zu incident(s); first host: %s\n",
                kz_inc_count(v->inc), kz_cli_escape(fh, esc, sizeof(esc)));
    else
        fprintf(stderr,
                "investigate: %zu incident(s); first host: undetermined "
                "(%s)\n",
                kz_inc_count(v->inc),
                kz_cli_escape(why != NULL ? why : "", esc, sizeof(esc)));
    fprintf(stderr,
            "investigate: impact scope: %llu files and mailboxes in %zu "
            "entries (complete list: impact_files.csv)\n",
            (unsigned long long)v->rep->scope_objects,
            v->rep->scope.n);
    fprintf(stderr, "investigate: report: %s/report.html\n",
            kz_cli_escape(v->dir, esc, sizeof(esc)));
    return KZ_EXIT_OK;
}
