/*
 * md.c - report.md: the content of report.json as Markdown, in the
 * Japanese section order, headings and labels in the report's language.
 *
 * Escaping (docs/report.md, Escaping): every string from logs is first
 * made one visible line (kz_visible_escape: controls, ESC, bidi overrides
 * and invalid UTF-8 as \xHH, newlines as \n), then '<' '>' '&' become
 * entities (so a renderer that allows raw HTML shows them as text) and
 * the Markdown metacharacters \ ` * _ [ ] | ~ are backslash-escaped.
 */
#include "report/report.h"

#include <string.h>

#include "report/report_int.h"
#include "write/escape.h"

typedef struct md {
    kz_strbuf *b;         /* output */
    kz_strbuf tmp;        /* visible form of one string */
    const kz_report *r;   /* model */
    kz_status st;         /* first failure, sticky */
} md;

static void
md_raw(md *m, const char *s)
{
    if (m->st == KZ_OK)
        m->st = kz_strbuf_adds(m->b, s);
}

static const char *
tr(md *m, kz_rpt_text id)
{
    return kz_rpt_tr(m->r->meta.lang, id);
}

/* A string from logs (or NULL, shown as "-"). */
static void
md_text(md *m, const char *s)
{
    if (m->st != KZ_OK)
        return;
    if (s == NULL || s[0] == '\0') {
        md_raw(m, "-");
        return;
    }
    kz_strbuf_reset(&m->tmp);
    m->st = kz_visible_escape(&m->tmp, s, strlen(s),
                              KZ_VIS_WS_NAMES | KZ_VIS_LINE_SEPS);
    for (size_t i = 0; m->st == KZ_OK && i < m->tmp.len; i++) {
        char c = m->tmp.data[i];

        switch (c) {
        case '<':
            md_raw(m, "&lt;");
            break;
        case '>':
            md_raw(m, "&gt;");
            break;
        case '&':
            md_raw(m, "&amp;");
            break;
        case '\\': case '`': case '*': case '_': case '[': case ']':
        case '|': case '~':
            m->st = kz_strbuf_addc(m->b, '\\');
            if (m->st == KZ_OK)
                m->st = kz_strbuf_addc(m->b, c);
            break;
        default:
            m->st = kz_strbuf_addc(m->b, c);
        }
    }
}

static void
md_u64(md *m, uint64_t v)
{
    if (m->st == KZ_OK)
        m->st = kz_strbuf_add_u64(m->b, v);
}

static void
md_time(md *m, kz_time t)
{
    if (m->st == KZ_OK)
        m->st = kz_rpt_time(m->b, m->r, t);
}

/* "- **Label:** " */
static void
md_item(md *m, kz_rpt_text label)
{
    md_raw(m, "- **");
    md_raw(m, tr(m, label));
    md_raw(m, ":** ");
}

/* A table header: | a | b |\n|---|---| */
static void
md_head(md *m, const kz_rpt_text *cols, size_t n)
{
    size_t i;

    md_raw(m, "\n|");
    for (i = 0; i < n; i++) {
        md_raw(m, " ");
        md_raw(m, tr(m, cols[i]));
        md_raw(m, " |");
    }
    md_raw(m, "\n|");
    for (i = 0; i < n; i++)
        md_raw(m, "---|");
    md_raw(m, "\n");
}

static void
md_omitted(md *m, uint64_t n)
{
    if (n == 0 || m->st != KZ_OK)
        return;
    md_raw(m, "\n_");
    if (m->st == KZ_OK)
        m->st = kz_rpt_omitted(m->b, m->r, n);
    md_raw(m, "_\n");
}

static void
md_no_data(md *m)
{
    md_raw(m, "\n");
    md_raw(m, tr(m, KZ_L_NO_DATA));
    md_raw(m, "\n");
}

static void md_names(md *m, const char *const *names, size_t n,
                     uint64_t omitted);

static void
sec_summary(md *m)
{
    const kz_report_summary *s = &m->r->summary;
    const kz_report *r = m->r;

    md_raw(m, "\n");
    md_item(m, KZ_L_FIRST_ACT);
    md_time(m, s->first_activity);
    md_raw(m, "\n");
    md_item(m, KZ_L_LAST_ACT);
    md_time(m, s->last_activity);
    md_raw(m, "\n");
    md_item(m, KZ_L_FIRST_HOST);
    if (s->first_host != NULL)
        md_text(m, s->first_host);
    else
        md_raw(m, tr(m, KZ_L_UNDETERMINED));
    md_raw(m, "\n");
    md_item(m, KZ_L_REASON);
    md_text(m, s->first_host_reason);
    md_raw(m, "\n");
    md_item(m, KZ_L_EVENTS);
    md_u64(m, s->events);
    md_raw(m, "\n");
    md_item(m, KZ_L_DETECTIONS);
    md_u64(m, s->detections);
    md_raw(m, "\n");
    md_item(m, KZ_L_ALERTS);
    md_u64(m, s->alerts);
    md_raw(m, "\n");
    md_item(m, KZ_L_HOST_COUNT);
    md_u64(m, s->hosts);
    md_raw(m, "\n");
    md_item(m, KZ_L_ACCOUNT_COUNT);
    md_u64(m, s->accounts);
    md_raw(m, "\n");
    if (r->incidents.n != 0) {
        static const kz_rpt_text icols[] = {
            KZ_L_INCIDENT, KZ_L_FIRST_ACT, KZ_L_LAST_ACT, KZ_L_LEVEL,
            KZ_L_SEEDS,    KZ_L_HOSTS,     KZ_L_ACCOUNT,  KZ_L_TECHNIQUES,
            KZ_L_STEPS,    KZ_L_FIRST_HOST, KZ_L_REASON,
        };

        md_raw(m, "\n**");
        md_raw(m, tr(m, KZ_L_INCIDENTS));
        md_raw(m, "**\n\n");
        for (size_t i = 0; i < r->incidents.n && m->st == KZ_OK; i++) {
            kz_strbuf t;

            kz_strbuf_init(&t, 0);
            if ((m->st = kz_rpt_incident_text(
                     &t, r,
                     KZ_REPORT_AT(&r->incidents, kz_report_incident, i))) ==
                KZ_OK) {
                md_raw(m, "- ");
                md_text(m, t.data);
                md_raw(m, "\n");
            }
            kz_strbuf_fini(&t);
        }
        md_head(m, icols, sizeof(icols) / sizeof(icols[0]));
        for (size_t i = 0; i < r->incidents.n; i++) {
            const kz_report_incident *x =
                KZ_REPORT_AT(&r->incidents, kz_report_incident, i);

            md_raw(m, "| ");
            md_u64(m, x->id);
            md_raw(m, " | ");
            md_time(m, x->first);
            md_raw(m, " | ");
            md_time(m, x->last);
            md_raw(m, " | ");
            md_text(m, x->level);
            md_raw(m, " | ");
            md_u64(m, x->seeds);
            md_raw(m, " | ");
            md_names(m, x->hosts, x->n_hosts, x->hosts_omitted);
            md_raw(m, " | ");
            md_names(m, x->accounts, x->n_accounts, x->accounts_omitted);
            md_raw(m, " | ");
            md_u64(m, x->techniques);
            md_raw(m, " | ");
            md_u64(m, x->steps);
            md_raw(m, " | ");
            if (x->first_host != NULL)
                md_text(m, x->first_host);
            else
                md_raw(m, tr(m, KZ_L_UNDETERMINED));
            md_raw(m, " | ");
            md_text(m, x->reason);
            md_raw(m, " |\n");
        }
        md_omitted(m, r->incidents.omitted);
    }
    if (kz_rpt_section_items(r, "summary") == 0)
        md_no_data(m);
    if (r->buckets.n != 0) {
        static const kz_rpt_text cols[] = { KZ_L_BUCKET, KZ_L_EVENTS,
                                            KZ_L_ALERTS };

        md_raw(m, "\n**");
        md_raw(m, tr(m, KZ_L_CHART));
        md_raw(m, "**\n");
        md_head(m, cols, 3);
        for (size_t i = 0; i < r->buckets.n; i++) {
            const kz_report_bucket *b =
                KZ_REPORT_AT(&r->buckets, kz_report_bucket, i);

            md_raw(m, "| ");
            md_time(m, b->start);
            md_raw(m, " | ");
            md_u64(m, b->events);
            md_raw(m, " | ");
            md_u64(m, b->alerts);
            md_raw(m, " |\n");
        }
        md_omitted(m, r->buckets.omitted);
    }
}

static void
sec_preserved(md *m)
{
    static const kz_rpt_text cols[] = { KZ_L_PATH, KZ_L_SIZE, KZ_L_SHA256,
                                        KZ_L_NOTE };
    const kz_report *r = m->r;

    md_raw(m, "\n**");
    md_raw(m, tr(m, KZ_L_INPUTS));
    md_raw(m, "**\n");
    if (r->inputs.n == 0) {
        md_no_data(m);
        return;
    }
    md_head(m, cols, 4);
    for (size_t i = 0; i < r->inputs.n; i++) {
        const kz_report_input *in =
            KZ_REPORT_AT(&r->inputs, kz_report_input, i);

        md_raw(m, "| ");
        md_text(m, in->path);
        md_raw(m, " | ");
        md_u64(m, in->size);
        md_raw(m, " | ");
        md_text(m, in->sha256);
        md_raw(m, " | ");
        md_text(m, in->note);
        md_raw(m, " |\n");
    }
    md_omitted(m, r->inputs.omitted);
}

static void
md_evidence(md *m, const kz_report_row *x)
{
    md_text(m, x->file);
    md_raw(m, " / ");
    md_text(m, x->channel);
    md_raw(m, " / ");
    if (x->event_id != 0)
        md_u64(m, x->event_id);
    else
        md_raw(m, "-");
    md_raw(m, " / #");
    if (x->record_id != KZ_REPORT_NO_RECORD)
        md_u64(m, x->record_id);
    else
        md_raw(m, "-");
}

static void
sec_traces(md *m)
{
    static const kz_rpt_text cols[] = {
        KZ_L_INCIDENT, KZ_L_TIME, KZ_L_HOST, KZ_L_ACCOUNT, KZ_L_ACTIVITY,
        KZ_L_TACTIC,   KZ_L_EVIDENCE, KZ_L_RULE, KZ_L_LEVEL };
    const kz_report *r = m->r;

    if (r->rows.n == 0) {
        md_no_data(m);
        return;
    }
    md_raw(m, "\n_");
    md_raw(m, tr(m, KZ_L_EVIDENCE));
    md_raw(m, ": ");
    md_raw(m, tr(m, KZ_L_FILE));
    md_raw(m, " / ");
    md_raw(m, tr(m, KZ_L_CHANNEL));
    md_raw(m, " / ");
    md_raw(m, tr(m, KZ_L_EVENT_ID));
    md_raw(m, " / ");
    md_raw(m, tr(m, KZ_L_RECORD));
    md_raw(m, "_\n");
    md_head(m, cols, sizeof(cols) / sizeof(cols[0]));
    for (size_t i = 0; i < r->rows.n; i++) {
        const kz_report_row *x = KZ_REPORT_AT(&r->rows, kz_report_row, i);

        md_raw(m, "| ");
        if (x->incident != 0)
            md_u64(m, x->incident);
        else
            md_raw(m, "-");
        md_raw(m, " | ");
        md_time(m, x->time);
        md_raw(m, " | ");
        md_text(m, x->host);
        md_raw(m, " | ");
        md_text(m, x->account);
        md_raw(m, " | ");
        md_text(m, x->activity);
        md_raw(m, " | ");
        md_text(m, x->tactic);
        md_raw(m, " | ");
        md_evidence(m, x);
        md_raw(m, " | ");
        md_text(m, x->rule_id);
        md_raw(m, " | ");
        md_text(m, x->level);
        md_raw(m, " |\n");
    }
    md_omitted(m, r->rows.omitted);
}

static void
md_names(md *m, const char *const *names, size_t n, uint64_t omitted)
{
    if (n == 0 && omitted == 0) {
        md_raw(m, "-");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (i != 0)
            md_raw(m, ", ");
        md_text(m, names[i]);
    }
    if (omitted != 0) {
        md_raw(m, " (+");
        md_u64(m, omitted);
        md_raw(m, ")");
    }
}

static void
sec_tools(md *m)
{
    static const kz_rpt_text cols[] = { KZ_L_NAME, KZ_L_PATH, KZ_L_SHA256,
                                        KZ_L_FIRST_EXEC, KZ_L_HOSTS };
    const kz_report *r = m->r;

    if (r->tools.n == 0) {
        md_no_data(m);
        return;
    }
    md_head(m, cols, 5);
    for (size_t i = 0; i < r->tools.n; i++) {
        const kz_report_tool *t = KZ_REPORT_AT(&r->tools, kz_report_tool, i);

        md_raw(m, "| ");
        md_text(m, t->name);
        md_raw(m, " | ");
        md_text(m, t->path);
        md_raw(m, " | ");
        md_text(m, t->sha256);
        md_raw(m, " | ");
        md_time(m, t->first);
        md_raw(m, " | ");
        md_names(m, t->hosts, t->n_hosts, t->hosts_omitted);
        md_raw(m, " |\n");
    }
    md_omitted(m, r->tools.omitted);
}

static void
sec_lateral(md *m)
{
    static const kz_rpt_text cols[] = { KZ_L_STEP, KZ_L_TIME, KZ_L_FROM,
                                        KZ_L_TO, KZ_L_ACCOUNT, KZ_L_METHOD,
                                        KZ_L_EVIDENCE };
    static const kz_rpt_text ecols[] = { KZ_L_SOURCE, KZ_L_TARGET,
                                         KZ_L_LABEL, KZ_L_COUNT,
                                         KZ_L_FIRST_ACT, KZ_L_LAST };
    const kz_report *r = m->r;
    size_t i;

    if (r->steps.n == 0 && r->nodes.n == 0) {
        md_no_data(m);
        return;
    }
    if (r->steps.n != 0) {
        md_head(m, cols, 7);
        for (i = 0; i < r->steps.n; i++) {
            const kz_report_step *s =
                KZ_REPORT_AT(&r->steps, kz_report_step, i);

            md_raw(m, "| ");
            md_u64(m, i + 1);
            md_raw(m, " | ");
            md_time(m, s->time);
            md_raw(m, " | ");
            md_text(m, s->from);
            md_raw(m, " | ");
            md_text(m, s->to);
            md_raw(m, " | ");
            md_text(m, s->account);
            md_raw(m, " | ");
            md_text(m, s->method);
            md_raw(m, " | ");
            md_text(m, s->evidence);
            md_raw(m, " |\n");
        }
        md_omitted(m, r->steps.omitted);
    }
    if (r->edges.n != 0) {
        md_raw(m, "\n**");
        md_raw(m, tr(m, KZ_L_GRAPH));
        md_raw(m, "**\n");
        md_head(m, ecols, 6);
        for (i = 0; i < r->edges.n; i++) {
            const kz_report_edge *e =
                KZ_REPORT_AT(&r->edges, kz_report_edge, i);

            md_raw(m, "| ");
            md_text(m, e->source);
            md_raw(m, " | ");
            md_text(m, e->target);
            md_raw(m, " | ");
            md_text(m, e->label);
            md_raw(m, " | ");
            md_u64(m, e->count);
            md_raw(m, " | ");
            md_time(m, e->first);
            md_raw(m, " | ");
            md_time(m, e->last);
            md_raw(m, " |\n");
        }
        md_omitted(m, r->edges.omitted);
    }
}

/* ---- entities ------------------------------------------------------- */

static void
md_cell(md *m, const char *s)
{
    md_raw(m, " | ");
    md_text(m, s);
}

static void
md_cell_u64(md *m, uint64_t v)
{
    md_raw(m, " | ");
    md_u64(m, v);
}

static void
md_cell_time(md *m, kz_time t)
{
    md_raw(m, " | ");
    md_time(m, t);
}

static void
md_cell_names(md *m, const char *const *v, size_t n, uint64_t omitted)
{
    md_raw(m, " | ");
    md_names(m, v, n, omitted);
}

static void
md_sub(md *m, kz_rpt_text id)
{
    md_raw(m, "\n**");
    md_raw(m, tr(m, id));
    md_raw(m, "**\n");
}

static void
sec_entities(md *m)
{
    static const kz_rpt_text hcols[] = { KZ_L_HOST, KZ_L_ROLE,
                                         KZ_L_SPELLINGS, KZ_L_ADDRESSES,
                                         KZ_L_LOGS_READ, KZ_L_EVENTS,
                                         KZ_L_FIRST_SEEN, KZ_L_LAST };
    static const kz_rpt_text acols[] = { KZ_L_ACCOUNT, KZ_L_ADMIN,
                                         KZ_L_ADMIN_ON, KZ_L_SIDS, KZ_L_UPN,
                                         KZ_L_HOSTS, KZ_L_LOGONS,
                                         KZ_L_FAILURES, KZ_L_FIRST_SEEN,
                                         KZ_L_LAST };
    static const kz_rpt_text dcols[] = { KZ_L_SOURCE, KZ_L_INTERNAL,
                                         KZ_L_BELONGS, KZ_L_BASIS,
                                         KZ_L_LOGONS, KZ_L_FAILURES,
                                         KZ_L_FIRST_SEEN, KZ_L_LAST };
    const kz_report *r = m->r;
    size_t i;

    if (r->ent_hosts.n + r->ent_accounts.n + r->ent_addrs.n == 0) {
        md_no_data(m);
        return;
    }
    md_sub(m, KZ_L_ENT_HOSTS);
    md_head(m, hcols, 8);
    for (i = 0; i < r->ent_hosts.n; i++) {
        const kz_report_ent_host *x =
            KZ_REPORT_AT(&r->ent_hosts, kz_report_ent_host, i);

        md_raw(m, "| ");
        md_text(m, x->name);
        md_cell(m, x->role);
        md_cell_names(m, x->spellings, x->n_spellings, x->spellings_omitted);
        md_cell_names(m, x->addresses, x->n_addresses, x->addresses_omitted);
        md_cell(m, tr(m, x->logs_read ? KZ_L_YES : KZ_L_NO));
        md_cell_u64(m, x->events);
        md_cell_time(m, x->first);
        md_cell_time(m, x->last);
        md_raw(m, " |\n");
    }
    md_omitted(m, r->ent_hosts.omitted);
    md_sub(m, KZ_L_ENT_ACCOUNTS);
    md_head(m, acols, 10);
    for (i = 0; i < r->ent_accounts.n; i++) {
        const kz_report_ent_account *x =
            KZ_REPORT_AT(&r->ent_accounts, kz_report_ent_account, i);

        md_raw(m, "| ");
        md_text(m, x->name);
        md_cell(m, tr(m, x->admin ? KZ_L_YES : KZ_L_NO));
        md_cell_names(m, x->admin_hosts, x->n_admin_hosts,
                      x->admin_hosts_omitted);
        md_cell_names(m, x->sids, x->n_sids, x->sids_omitted);
        md_cell(m, x->upn);
        md_cell_names(m, x->hosts, x->n_hosts, x->hosts_omitted);
        md_cell_u64(m, x->logons);
        md_cell_u64(m, x->failures);
        md_cell_time(m, x->first);
        md_cell_time(m, x->last);
        md_raw(m, " |\n");
    }
    md_omitted(m, r->ent_accounts.omitted);
    md_sub(m, KZ_L_ENT_ADDRS);
    md_head(m, dcols, 8);
    for (i = 0; i < r->ent_addrs.n; i++) {
        const kz_report_ent_addr *x =
            KZ_REPORT_AT(&r->ent_addrs, kz_report_ent_addr, i);

        md_raw(m, "| ");
        md_text(m, x->address);
        md_cell(m, tr(m, x->internal ? KZ_L_YES : KZ_L_NO));
        md_cell(m, x->host);
        md_cell(m, x->basis);
        md_cell_u64(m, x->logons);
        md_cell_u64(m, x->failures);
        md_cell_time(m, x->first);
        md_cell_time(m, x->last);
        md_raw(m, " |\n");
    }
    md_omitted(m, r->ent_addrs.omitted);
}

static void
sec_scope(md *m)
{
    static const kz_rpt_text cols[] = {
        KZ_L_INCIDENT, KZ_L_HOST,    KZ_L_SHARE,      KZ_L_READ,
        KZ_L_WRITTEN,  KZ_L_DELETED, KZ_L_TOTAL,      KZ_L_ACCOUNT,
        KZ_L_FIRST_SEEN, KZ_L_LAST,  KZ_L_NAMES };
    const kz_report *r = m->r;

    if (r->scope.n == 0) {
        md_no_data(m);
        return;
    }
    md_head(m, cols, sizeof(cols) / sizeof(cols[0]));
    for (size_t i = 0; i < r->scope.n; i++) {
        const kz_report_scope *s =
            KZ_REPORT_AT(&r->scope, kz_report_scope, i);

        md_raw(m, "| ");
        md_u64(m, s->incident);
        md_raw(m, " | ");
        md_text(m, s->host);
        md_raw(m, " | ");
        if (s->share != NULL)
            md_text(m, s->share);
        else
            md_raw(m, tr(m, s->kind != NULL && strcmp(s->kind, "mailbox") == 0
                                ? KZ_L_SCOPE_MAILBOX
                                : KZ_L_SCOPE_LOCAL));
        md_raw(m, " | ");
        md_u64(m, s->files_read);
        md_raw(m, " | ");
        md_u64(m, s->files_written);
        md_raw(m, " | ");
        md_u64(m, s->files_deleted);
        md_raw(m, " | ");
        md_u64(m, s->total);
        md_raw(m, " | ");
        md_names(m, s->accounts, s->n_accounts, s->accounts_omitted);
        md_raw(m, " | ");
        md_time(m, s->first);
        md_raw(m, " | ");
        md_time(m, s->last);
        md_raw(m, " | ");
        md_names(m, s->names, s->n_names, s->names_omitted);
        md_raw(m, " |\n");
    }
    md_omitted(m, r->scope.omitted);
    if (r->scope_file != NULL) {
        md_raw(m, "\n");
        md_raw(m, tr(m, KZ_L_SCOPE_LIST));
        md_raw(m, " `");
        md_text(m, r->scope_file);
        md_raw(m, "`.\n");
    }
}

static void
sec_limits(md *m)
{
    static const kz_rpt_text cols[] = { KZ_L_KIND, KZ_L_WHAT,
                                        KZ_L_CONSEQUENCE };
    const kz_report *r = m->r;

    if (r->limits.n == 0) {
        md_no_data(m);
        return;
    }
    md_head(m, cols, 3);
    for (size_t i = 0; i < r->limits.n; i++) {
        const kz_report_limit *l =
            KZ_REPORT_AT(&r->limits, kz_report_limit, i);

        md_raw(m, "| ");
        md_text(m, l->kind);
        md_raw(m, " | ");
        md_text(m, l->what);
        md_raw(m, " | ");
        md_text(m, l->consequence);
        md_raw(m, " |\n");
    }
    md_omitted(m, r->limits.omitted);
}

static void
sec_human(md *m, const kz_rpt_section *s)
{
    md_raw(m, "\n> **");
    md_raw(m, tr(m, KZ_L_TO_FILL));
    md_raw(m, "**\n>\n> ");
    md_raw(m, tr(m, s->guidance));
    md_raw(m, "\n\n<!-- kizuki: ");
    md_raw(m, s->key);
    md_raw(m, ": empty, to be written by people -->\n");
}

static void
sec_provenance(md *m)
{
    const kz_report_meta *mt = &m->r->meta;
    size_t i;

    md_raw(m, "\n## ");
    md_raw(m, tr(m, KZ_S_PROVENANCE));
    md_raw(m, "\n\n");
    md_item(m, KZ_L_VERSION);
    md_raw(m, "kizuki ");
    md_text(m, mt->tool_version);
    md_raw(m, "\n");
    md_item(m, KZ_L_GENERATED);
    md_time(m, mt->generated_at);
    md_raw(m, "\n");
    md_item(m, KZ_L_ZONE);
    md_text(m, mt->zone_label);
    md_raw(m, "\n");
    md_item(m, KZ_L_FLAGS);
    if (mt->flags.n == 0)
        md_raw(m, "-");
    for (i = 0; i < mt->flags.n; i++) {
        if (i != 0)
            md_raw(m, " ");
        md_text(m, *KZ_REPORT_AT(&mt->flags, kz_report_str, i));
    }
    md_raw(m, "\n");
    md_item(m, KZ_L_RULES);
    md_u64(m, mt->rules_loaded);
    md_raw(m, " / ");
    md_u64(m, mt->rules_failed);
    md_raw(m, "\n");
    md_item(m, KZ_L_RULE_SOURCES);
    if (mt->rule_sources.n == 0)
        md_raw(m, "-");
    for (i = 0; i < mt->rule_sources.n; i++) {
        const kz_report_rule_source *s =
            KZ_REPORT_AT(&mt->rule_sources, kz_report_rule_source, i);

        if (i != 0)
            md_raw(m, "; ");
        md_text(m, s->path);
        md_raw(m, " (");
        md_u64(m, s->loaded);
        md_raw(m, " / ");
        md_u64(m, s->failed);
        md_raw(m, ")");
    }
    md_raw(m, "\n");
    md_item(m, KZ_L_CUT);
    md_u64(m, m->r->strings_cut);
    md_raw(m, "\n");
}

kz_status
kz_report_md(const kz_report *r, kz_strbuf *out, kz_error *err)
{
    md m = { .b = out, .r = r };
    size_t n, i;
    const kz_rpt_section *s = kz_rpt_sections(&n);

    kz_strbuf_init(&m.tmp, 4 * KZ_REPORT_STR_MAX + 64);
    md_raw(&m, "# ");
    md_raw(&m, tr(&m, KZ_T_TITLE));
    md_raw(&m, "\n\n");
    md_item(&m, KZ_L_ZONE);
    md_text(&m, r->meta.zone_label);
    md_raw(&m, "\n");
    md_item(&m, KZ_L_GENERATED);
    md_time(&m, r->meta.generated_at);
    md_raw(&m, " (kizuki ");
    md_text(&m, r->meta.tool_version);
    md_raw(&m, ")\n");
    for (i = 0; i < n; i++) {
        if (m.st == KZ_OK)
            m.st = kz_strbuf_addf(out, "\n## %zu. %s\n\n_%s: %s_\n", i + 1,
                                  tr(&m, s[i].heading),
                                  tr(&m, KZ_L_DATA_SOURCE),
                                  tr(&m, s[i].source));
        if (s[i].human)
            sec_human(&m, &s[i]);
        if (strcmp(s[i].key, "summary") == 0)
            sec_summary(&m);
        else if (strcmp(s[i].key, "preserved") == 0)
            sec_preserved(&m);
        else if (strcmp(s[i].key, "traces") == 0)
            sec_traces(&m);
        else if (strcmp(s[i].key, "tools") == 0)
            sec_tools(&m);
        else if (strcmp(s[i].key, "lateral") == 0)
            sec_lateral(&m);
        else if (strcmp(s[i].key, "entities") == 0)
            sec_entities(&m);
        else if (strcmp(s[i].key, "scope") == 0)
            sec_scope(&m);
        else if (strcmp(s[i].key, "limits") == 0)
            sec_limits(&m);
    }
    sec_provenance(&m);
    kz_strbuf_fini(&m.tmp);
    if (m.st != KZ_OK)
        return kz_error_set(err, m.st, "report.md: %s", kz_status_str(m.st));
    return KZ_OK;
}
