/*
 * json.c - report.json, schema "kizuki-report/1" (docs/report.md, Schema):
 * the whole model, one member per section, every list with the count of
 * what its cap left out. Strings go through kz_json_string (write/
 * escape.h); absent strings and times are null.
 */
#include "report/report.h"

#include <stdio.h>
#include <string.h>

#include "report/report_int.h"
#include "write/escape.h"

#define JW_DEPTH 16

/* A small streaming writer: the first error sticks and later calls do
 * nothing, so callers check once at the end. */
typedef struct jw {
    kz_strbuf *b;          /* output */
    const kz_report *r;    /* for times */
    kz_status st;          /* first failure */
    int depth;             /* open containers */
    bool first[JW_DEPTH];  /* no member written yet at this depth */
} jw;

static void
jw_raw(jw *w, const char *s)
{
    if (w->st == KZ_OK)
        w->st = kz_strbuf_adds(w->b, s);
}

/* Comma, newline and indent before a member, then its key. */
static void
jw_key(jw *w, const char *key)
{
    if (w->st != KZ_OK)
        return;
    if (w->depth > 0) {
        if (!w->first[w->depth - 1])
            jw_raw(w, ",");
        w->first[w->depth - 1] = false;
        jw_raw(w, "\n");
        for (int i = 0; i < w->depth; i++)
            jw_raw(w, "  ");
    }
    if (key != NULL && w->st == KZ_OK) {
        w->st = kz_json_string(w->b, key, strlen(key));
        jw_raw(w, ": ");
    }
}

static void
jw_open(jw *w, const char *key, const char *brace)
{
    jw_key(w, key);
    jw_raw(w, brace);
    if (w->depth >= JW_DEPTH) {
        if (w->st == KZ_OK)
            w->st = KZ_EINTERNAL;
        return;
    }
    w->first[w->depth++] = true;
}

static void
jw_close(jw *w, const char *brace)
{
    bool empty;

    if (w->depth == 0)
        return;
    empty = w->first[--w->depth];
    if (!empty) {
        jw_raw(w, "\n");
        for (int i = 0; i < w->depth; i++)
            jw_raw(w, "  ");
    }
    jw_raw(w, brace);
}

static void
jw_str(jw *w, const char *key, const char *s)
{
    jw_key(w, key);
    if (w->st != KZ_OK)
        return;
    if (s == NULL)
        jw_raw(w, "null");
    else
        w->st = kz_json_string(w->b, s, strlen(s));
}

static void
jw_u64(jw *w, const char *key, uint64_t v)
{
    jw_key(w, key);
    if (w->st == KZ_OK)
        w->st = kz_strbuf_add_u64(w->b, v);
}

static void
jw_bool(jw *w, const char *key, bool v)
{
    jw_key(w, key);
    jw_raw(w, v ? "true" : "false");
}

static void
jw_time(jw *w, const char *key, kz_time t)
{
    jw_key(w, key);
    if (w->st != KZ_OK)
        return;
    if (t == KZ_TIME_NONE) {
        jw_raw(w, "null");
        return;
    }
    jw_raw(w, "\"");
    if (w->st == KZ_OK)
        w->st = kz_rpt_time(w->b, w->r, t);
    jw_raw(w, "\"");
}

static void
jw_rank(jw *w, const char *key, double v)
{
    char num[32];

    if (!(v >= 0.0 && v <= 1.0))   /* NaN and out of range: 0 */
        v = 0.0;
    snprintf(num, sizeof(num), "%.6f", v);
    jw_key(w, key);
    jw_raw(w, num);
}

static void
jw_omitted(jw *w, const kz_report_list *l)
{
    jw_u64(w, "omitted", l->omitted);
}

static void
write_meta(jw *w, const kz_report *r)
{
    const kz_report_meta *m = &r->meta;
    size_t i;

    jw_open(w, "meta", "{");
    jw_str(w, "tool", "kizuki");
    jw_str(w, "tool_version", m->tool_version);
    jw_time(w, "generated_at", m->generated_at);
    jw_str(w, "zone", m->zone_label);
    jw_str(w, "lang", m->lang == KZ_LANG_JA ? "ja" : "en");
    jw_open(w, "flags", "[");
    for (i = 0; i < m->flags.n; i++)
        jw_str(w, NULL, *KZ_REPORT_AT(&m->flags, kz_report_str, i));
    jw_close(w, "]");
    jw_u64(w, "flags_omitted", m->flags.omitted);
    jw_open(w, "rule_sources", "[");
    for (i = 0; i < m->rule_sources.n; i++) {
        const kz_report_rule_source *s =
            KZ_REPORT_AT(&m->rule_sources, kz_report_rule_source, i);

        jw_open(w, NULL, "{");
        jw_str(w, "path", s->path);
        jw_u64(w, "loaded", s->loaded);
        jw_u64(w, "failed", s->failed);
        jw_close(w, "}");
    }
    jw_close(w, "]");
    jw_u64(w, "rule_sources_omitted", m->rule_sources.omitted);
    jw_u64(w, "rules_loaded", m->rules_loaded);
    jw_u64(w, "rules_failed", m->rules_failed);
    jw_u64(w, "strings_cut", r->strings_cut);
    jw_close(w, "}");
}

static void
write_inputs(jw *w, const kz_report *r)
{
    jw_open(w, "inputs", "{");
    jw_open(w, "items", "[");
    for (size_t i = 0; i < r->inputs.n; i++) {
        const kz_report_input *in =
            KZ_REPORT_AT(&r->inputs, kz_report_input, i);

        jw_open(w, NULL, "{");
        jw_str(w, "path", in->path);
        jw_u64(w, "size", in->size);
        jw_str(w, "sha256", in->sha256);
        jw_str(w, "note", in->note);
        jw_close(w, "}");
    }
    jw_close(w, "]");
    jw_omitted(w, &r->inputs);
    jw_close(w, "}");
}

static void write_names(jw *w, const char *key, const char *const *names,
                        size_t n);

static void
write_summary(jw *w, const kz_report *r)
{
    const kz_report_summary *s = &r->summary;
    kz_strbuf text;

    jw_open(w, "summary", "{");
    jw_time(w, "first_activity", s->first_activity);
    jw_time(w, "last_activity", s->last_activity);
    jw_bool(w, "first_host_determined", s->first_host != NULL);
    jw_str(w, "first_host", s->first_host);
    jw_str(w, "first_host_reason", s->first_host_reason);
    jw_u64(w, "events", s->events);
    jw_u64(w, "detections", s->detections);
    jw_u64(w, "alerts", s->alerts);
    jw_u64(w, "hosts", s->hosts);
    jw_u64(w, "accounts", s->accounts);
    kz_strbuf_init(&text, 0);
    jw_open(w, "incidents", "[");
    for (size_t i = 0; i < r->incidents.n; i++) {
        const kz_report_incident *x =
            KZ_REPORT_AT(&r->incidents, kz_report_incident, i);

        jw_open(w, NULL, "{");
        jw_u64(w, "id", x->id);
        jw_time(w, "first", x->first);
        jw_time(w, "last", x->last);
        jw_str(w, "level", x->level);
        jw_u64(w, "alerts", x->seeds);
        write_names(w, "hosts", x->hosts, x->n_hosts);
        jw_u64(w, "hosts_omitted", x->hosts_omitted);
        write_names(w, "accounts", x->accounts, x->n_accounts);
        jw_u64(w, "accounts_omitted", x->accounts_omitted);
        jw_u64(w, "techniques", x->techniques);
        jw_u64(w, "lateral_steps", x->steps);
        jw_bool(w, "first_host_determined", x->first_host != NULL);
        jw_str(w, "first_host", x->first_host);
        jw_str(w, "first_host_reason", x->reason);
        write_names(w, "path", x->path, x->n_path);
        jw_u64(w, "path_omitted", x->path_omitted);
        jw_u64(w, "tools", x->tools);
        jw_u64(w, "files_read", x->files_read);
        jw_u64(w, "files_written", x->files_written);
        jw_u64(w, "files_deleted", x->files_deleted);
        jw_u64(w, "mailboxes", x->mailboxes);
        kz_strbuf_reset(&text);
        if (w->st == KZ_OK &&
            (w->st = kz_rpt_incident_text(&text, r, x)) == KZ_OK)
            jw_str(w, "text", text.data != NULL ? text.data : "");
        jw_close(w, "}");
    }
    kz_strbuf_fini(&text);
    jw_close(w, "]");
    jw_u64(w, "incidents_omitted", r->incidents.omitted);
    jw_close(w, "}");
}

static void
write_timeline(jw *w, const kz_report *r)
{
    jw_open(w, "timeline", "{");
    jw_open(w, "items", "[");
    for (size_t i = 0; i < r->rows.n; i++) {
        const kz_report_row *x = KZ_REPORT_AT(&r->rows, kz_report_row, i);

        jw_open(w, NULL, "{");
        if (x->incident != 0)
            jw_u64(w, "incident", x->incident);
        else {
            jw_key(w, "incident");
            jw_raw(w, "null");
        }
        jw_time(w, "time", x->time);
        jw_str(w, "host", x->host);
        jw_str(w, "account", x->account);
        jw_str(w, "activity", x->activity);
        jw_str(w, "tactic", x->tactic);
        jw_open(w, "evidence", "{");
        jw_str(w, "file", x->file);
        jw_str(w, "channel", x->channel);
        if (x->record_id == KZ_REPORT_NO_RECORD) {
            jw_key(w, "record_id");
            jw_raw(w, "null");
        } else {
            jw_u64(w, "record_id", x->record_id);
        }
        if (x->event_id == 0) {
            jw_key(w, "event_id");
            jw_raw(w, "null");
        } else {
            jw_u64(w, "event_id", x->event_id);
        }
        jw_close(w, "}");
        jw_str(w, "rule_id", x->rule_id);
        jw_str(w, "level", x->level);
        jw_close(w, "}");
    }
    jw_close(w, "]");
    jw_omitted(w, &r->rows);
    jw_close(w, "}");
}

static void
write_names(jw *w, const char *key, const char *const *names, size_t n)
{
    jw_open(w, key, "[");
    for (size_t i = 0; i < n; i++)
        jw_str(w, NULL, names[i]);
    jw_close(w, "]");
}

static void
write_tools(jw *w, const kz_report *r)
{
    jw_open(w, "tools", "{");
    jw_open(w, "items", "[");
    for (size_t i = 0; i < r->tools.n; i++) {
        const kz_report_tool *t = KZ_REPORT_AT(&r->tools, kz_report_tool, i);

        jw_open(w, NULL, "{");
        jw_str(w, "name", t->name);
        jw_str(w, "path", t->path);
        jw_str(w, "sha256", t->sha256);
        jw_time(w, "first_execution", t->first);
        write_names(w, "hosts", t->hosts, t->n_hosts);
        jw_u64(w, "hosts_omitted", t->hosts_omitted);
        jw_close(w, "}");
    }
    jw_close(w, "]");
    jw_omitted(w, &r->tools);
    jw_close(w, "}");
}

static void
write_steps(jw *w, const kz_report *r)
{
    jw_open(w, "lateral_movement", "{");
    jw_open(w, "items", "[");
    for (size_t i = 0; i < r->steps.n; i++) {
        const kz_report_step *s = KZ_REPORT_AT(&r->steps, kz_report_step, i);

        jw_open(w, NULL, "{");
        jw_u64(w, "step", i + 1);
        jw_str(w, "from", s->from);
        jw_str(w, "to", s->to);
        jw_str(w, "account", s->account);
        jw_time(w, "time", s->time);
        jw_str(w, "method", s->method);
        jw_str(w, "evidence", s->evidence);
        jw_close(w, "}");
    }
    jw_close(w, "]");
    jw_omitted(w, &r->steps);
    jw_close(w, "}");
}

/* The entities (docs/report.md "Entities"). */
static void
write_entities(jw *w, const kz_report *r)
{
    size_t i;

    jw_open(w, "entities", "{");
    jw_open(w, "hosts", "{");
    jw_open(w, "items", "[");
    for (i = 0; i < r->ent_hosts.n; i++) {
        const kz_report_ent_host *x =
            KZ_REPORT_AT(&r->ent_hosts, kz_report_ent_host, i);

        jw_open(w, NULL, "{");
        jw_str(w, "name", x->name);
        jw_str(w, "role", x->role);
        write_names(w, "spellings", x->spellings, x->n_spellings);
        jw_u64(w, "spellings_omitted", x->spellings_omitted);
        write_names(w, "addresses", x->addresses, x->n_addresses);
        jw_u64(w, "addresses_omitted", x->addresses_omitted);
        jw_bool(w, "logs_read", x->logs_read);
        jw_u64(w, "events", x->events);
        jw_time(w, "first", x->first);
        jw_time(w, "last", x->last);
        jw_close(w, "}");
    }
    jw_close(w, "]");
    jw_omitted(w, &r->ent_hosts);
    jw_close(w, "}");
    jw_open(w, "accounts", "{");
    jw_open(w, "items", "[");
    for (i = 0; i < r->ent_accounts.n; i++) {
        const kz_report_ent_account *x =
            KZ_REPORT_AT(&r->ent_accounts, kz_report_ent_account, i);

        jw_open(w, NULL, "{");
        jw_str(w, "name", x->name);
        write_names(w, "sids", x->sids, x->n_sids);
        jw_u64(w, "sids_omitted", x->sids_omitted);
        jw_str(w, "upn", x->upn);
        jw_bool(w, "admin", x->admin);
        jw_bool(w, "machine", x->machine);
        write_names(w, "admin_hosts", x->admin_hosts, x->n_admin_hosts);
        jw_u64(w, "admin_hosts_omitted", x->admin_hosts_omitted);
        write_names(w, "hosts", x->hosts, x->n_hosts);
        jw_u64(w, "hosts_omitted", x->hosts_omitted);
        jw_u64(w, "logons", x->logons);
        jw_u64(w, "failures", x->failures);
        jw_time(w, "first", x->first);
        jw_time(w, "last", x->last);
        jw_close(w, "}");
    }
    jw_close(w, "]");
    jw_omitted(w, &r->ent_accounts);
    jw_close(w, "}");
    jw_open(w, "addresses", "{");
    jw_open(w, "items", "[");
    for (i = 0; i < r->ent_addrs.n; i++) {
        const kz_report_ent_addr *x =
            KZ_REPORT_AT(&r->ent_addrs, kz_report_ent_addr, i);

        jw_open(w, NULL, "{");
        jw_str(w, "address", x->address);
        jw_bool(w, "internal", x->internal);
        jw_str(w, "host", x->host);
        jw_str(w, "basis", x->basis);
        jw_u64(w, "logons", x->logons);
        jw_u64(w, "failures", x->failures);
        jw_time(w, "first", x->first);
        jw_time(w, "last", x->last);
        jw_close(w, "}");
    }
    jw_close(w, "]");
    jw_omitted(w, &r->ent_addrs);
    jw_close(w, "}");
    jw_close(w, "}");
}

static void
write_scope(jw *w, const kz_report *r)
{
    jw_open(w, "impact_scope", "{");
    jw_open(w, "items", "[");
    for (size_t i = 0; i < r->scope.n; i++) {
        const kz_report_scope *s =
            KZ_REPORT_AT(&r->scope, kz_report_scope, i);

        jw_open(w, NULL, "{");
        jw_u64(w, "incident", s->incident);
        jw_str(w, "kind", s->kind);
        jw_str(w, "host", s->host);
        jw_str(w, "share", s->share);
        jw_u64(w, "files_read", s->files_read);
        jw_u64(w, "files_written", s->files_written);
        jw_u64(w, "files_deleted", s->files_deleted);
        jw_u64(w, "total", s->total);
        jw_time(w, "first", s->first);
        jw_time(w, "last", s->last);
        write_names(w, "accounts", s->accounts, s->n_accounts);
        jw_u64(w, "accounts_omitted", s->accounts_omitted);
        write_names(w, "names", s->names, s->n_names);
        jw_u64(w, "names_omitted", s->names_omitted);
        jw_close(w, "}");
    }
    jw_close(w, "]");
    jw_omitted(w, &r->scope);
    jw_str(w, "list_file", r->scope_file);
    jw_u64(w, "objects", r->scope_objects);
    jw_close(w, "}");
}

static void
write_limits(jw *w, const kz_report *r)
{
    jw_open(w, "evidence_limits", "{");
    jw_open(w, "items", "[");
    for (size_t i = 0; i < r->limits.n; i++) {
        const kz_report_limit *l =
            KZ_REPORT_AT(&r->limits, kz_report_limit, i);

        jw_open(w, NULL, "{");
        jw_str(w, "kind", l->kind);
        jw_str(w, "what", l->what);
        jw_str(w, "consequence", l->consequence);
        jw_close(w, "}");
    }
    jw_close(w, "]");
    jw_omitted(w, &r->limits);
    jw_close(w, "}");
}

static void
write_graph(jw *w, const kz_report *r, const char *key)
{
    size_t i;

    jw_open(w, key, "{");
    jw_open(w, "nodes", "[");
    for (i = 0; i < r->nodes.n; i++) {
        const kz_report_node *n = KZ_REPORT_AT(&r->nodes, kz_report_node, i);

        jw_open(w, NULL, "{");
        jw_str(w, "id", n->id);
        jw_str(w, "label", n->label);
        jw_str(w, "kind", n->kind);
        if (n->role != NULL && n->role[0] != '\0')
            jw_str(w, "role", n->role);
        jw_rank(w, "rank", n->rank);
        jw_close(w, "}");
    }
    jw_close(w, "]");
    jw_u64(w, "nodes_omitted", r->nodes.omitted);
    jw_open(w, "edges", "[");
    for (i = 0; i < r->edges.n; i++) {
        const kz_report_edge *e = KZ_REPORT_AT(&r->edges, kz_report_edge, i);

        jw_open(w, NULL, "{");
        jw_str(w, "source", e->source);
        jw_str(w, "target", e->target);
        jw_str(w, "label", e->label);
        jw_u64(w, "count", e->count);
        jw_time(w, "first", e->first);
        jw_time(w, "last", e->last);
        jw_close(w, "}");
    }
    jw_close(w, "]");
    jw_u64(w, "edges_omitted", r->edges.omitted);
    jw_close(w, "}");
}

static void
write_chart(jw *w, const kz_report *r)
{
    jw_open(w, "chart", "{");
    jw_open(w, "items", "[");
    for (size_t i = 0; i < r->buckets.n; i++) {
        const kz_report_bucket *b =
            KZ_REPORT_AT(&r->buckets, kz_report_bucket, i);

        jw_open(w, NULL, "{");
        jw_time(w, "start", b->start);
        jw_u64(w, "events", b->events);
        jw_u64(w, "alerts", b->alerts);
        jw_close(w, "}");
    }
    jw_close(w, "]");
    jw_omitted(w, &r->buckets);
    jw_close(w, "}");
}

static void
write_sections(jw *w, const kz_report *r)
{
    size_t n, i;
    const kz_rpt_section *s = kz_rpt_sections(&n);

    jw_open(w, "sections", "[");
    for (i = 0; i < n; i++) {
        jw_open(w, NULL, "{");
        jw_str(w, "key", s[i].key);
        jw_str(w, "heading", kz_rpt_tr(r->meta.lang, s[i].heading));
        jw_str(w, "data_source", kz_rpt_tr(r->meta.lang, s[i].source));
        jw_bool(w, "human", s[i].human);
        if (s[i].human) {
            /* never filled by kizuki: people write it */
            jw_key(w, "text");
            jw_raw(w, "null");
            jw_str(w, "guidance", kz_rpt_tr(r->meta.lang, s[i].guidance));
        } else {
            jw_bool(w, "has_data", kz_rpt_section_items(r, s[i].key) != 0);
        }
        jw_close(w, "}");
    }
    jw_close(w, "]");
}

kz_status
kz_report_json(const kz_report *r, kz_strbuf *out, kz_error *err)
{
    jw w = { .b = out, .r = r };

    jw_open(&w, NULL, "{");
    jw_str(&w, "schema", KZ_REPORT_SCHEMA);
    write_meta(&w, r);
    write_sections(&w, r);
    write_summary(&w, r);
    write_inputs(&w, r);
    write_timeline(&w, r);
    write_tools(&w, r);
    write_steps(&w, r);
    write_graph(&w, r, "graph");
    write_entities(&w, r);
    write_scope(&w, r);
    write_limits(&w, r);
    write_chart(&w, r);
    jw_close(&w, "}");
    jw_raw(&w, "\n");
    if (w.st != KZ_OK)
        return kz_error_set(err, w.st, "report.json: %s",
                            kz_status_str(w.st));
    return KZ_OK;
}

kz_status
kz_rpt_json_graph(const kz_report *r, kz_strbuf *out)
{
    jw w = { .b = out, .r = r };

    write_graph(&w, r, NULL);
    return w.st;
}

kz_status
kz_rpt_json_manifest(const kz_report *r, kz_strbuf *out)
{
    jw w = { .b = out, .r = r };

    jw_open(&w, NULL, "{");
    jw_str(&w, "schema", KZ_MANIFEST_SCHEMA);
    write_meta(&w, r);
    write_inputs(&w, r);
    jw_close(&w, "}");
    jw_raw(&w, "\n");
    return w.st;
}
