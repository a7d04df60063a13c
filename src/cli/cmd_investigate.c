/*
 * cmd_investigate.c - `kizuki investigate`: one read of the logs (the
 * hunt: rules, correlations, analytics, integrity) that also collects
 * the logon graph and the coverage, then the incident engine and the
 * report directory.
 *
 * Built on the hunt's driver (kz_hunt_drive, hunt_int.h) through its
 * extension point: the pool threads also render logon facts
 * (logon_facts.c, as `kizuki logons` does); on the calling thread, in
 * input order, the facts go to the logon collector and every event to
 * the coverage tap (first and last event time per host, channels seen,
 * events per minute for the chart); the hunt writes DIR/timeline.csv
 * (its standard profile) and hands every record of it, in the total
 * order, to on_row: records at low or above become incident alerts
 * (tags from the rule, or from the analytics catalog), those at medium
 * or above also rows of the compromise timeline and techniques, and
 * integrity findings evidence limits. After the read investigate_report.c
 * adds the logon edges and the coverage to the engine, runs it and fills
 * the report. Reference: docs/cli.md (investigate), docs/investigate.md
 * ("Command").
 */
#include "cli/commands.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "analytics/finding.h"
#include "base/grow.h"
#include "cli/cli.h"
#include "cli/investigate_int.h"
#include "report/report.h"

enum {
    OPT_LANG = KZ_HUNT_EXT_OPT,
    OPT_INTERACTIVE,
    OPT_NO_INTERACTIVE,
};

static const kz_cli_option inv_opts[] = {
    {"lang", 0, OPT_LANG, "LANG",
     "language of the report: en or ja (default: en)"},
    {"interactive-graph", 0, OPT_INTERACTIVE, NULL,
     "report.html draws the logon graph interactively with the graph "
     "library this build embeds, the SVG graph staying as the fallback "
     "(default: on when the build embeds it)"},
    {"no-interactive-graph", 0, OPT_NO_INTERACTIVE, NULL,
     "report.html holds the SVG graph only (smaller, no script for the "
     "graph)"},
};
#define N_INV_OPTS (sizeof(inv_opts) / sizeof(inv_opts[0]))

static int
on_option(void *vctx, int id, const char *arg)
{
    kz_inv *v = vctx;
    char esc[128];

    switch (id) {
    case OPT_LANG:
        if (strcmp(arg, "en") == 0)
            v->lang = KZ_LANG_EN;
        else if (strcmp(arg, "ja") == 0)
            v->lang = KZ_LANG_JA;
        else {
            kz_cli_msg("investigate: --lang wants en or ja, not '%s'",
                       kz_cli_escape(arg, esc, sizeof(esc)));
            return KZ_EXIT_USAGE;
        }
        return KZ_EXIT_OK;
    case OPT_INTERACTIVE:
        v->interactive = true;
        return KZ_EXIT_OK;
    case OPT_NO_INTERACTIVE:
        v->interactive = false;
        return KZ_EXIT_OK;
    default:
        return KZ_EXIT_USAGE;
    }
}

/* The entity table, with --internal-nets as the logon collector. */
static kz_ent *
ent_new(const kz_a_net *nets, size_t nnets)
{
    kz_ent_opts eo;

    memset(&eo, 0, sizeof(eo));
    eo.internal_nets = nets;
    eo.ninternal_nets = nnets;
    return kz_ent_new(&eo);
}

/* -o DIR made (or existing), the engines and the model made, the fields
 * read interned. */
static int
setup(void *vctx, const kz_cli_common *c, const kz_a_net *nets, size_t nnets,
      kz_names *names, const char **timeline)
{
    kz_inv *v = vctx;
    kz_logon_opts lo;
    kz_error err;
    char esc[600];
    struct stat sb;

    if (c->output == NULL || strcmp(c->output, "-") == 0) {
        kz_cli_msg("investigate: -o DIR is required (the report "
                   "directory)");
        return KZ_EXIT_USAGE;
    }
    v->dir = c->output;
    if (mkdir(v->dir, 0777) != 0 && errno != EEXIST) {
        kz_cli_msg("investigate: cannot make %s: %s",
                   kz_cli_escape(v->dir, esc, sizeof(esc)), strerror(errno));
        return KZ_EXIT_FATAL;
    }
    if (stat(v->dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        kz_cli_msg("investigate: -o %s is not a directory",
                   kz_cli_escape(v->dir, esc, sizeof(esc)));
        return KZ_EXIT_USAGE;
    }
    if ((size_t)snprintf(v->timeline, sizeof(v->timeline),
                         "%s/timeline.csv", v->dir) >= sizeof(v->timeline)) {
        kz_cli_msg("investigate: -o: path too long");
        return KZ_EXIT_USAGE;
    }
    *timeline = v->timeline;
    kz_logon_facts_intern(&v->ids, names);
    kz_file_facts_intern(&v->fids, names);
    kz_sid_facts_intern(&v->sids, names);
    if (kz_names_add(names, "CommandLine", 11, &v->cmdline_id) != KZ_OK)
        v->cmdline_id = KZ_NAME_NONE;
    v->ro.ansi_codepage = c->read.ansi_codepage;
    v->quiet = c->quiet;
    memset(&lo, 0, sizeof(lo));
    lo.internal_nets = nets; /* --internal-nets, as the analytics */
    lo.ninternal_nets = nnets;
    kz_error_clear(&err);
    if ((v->col = kz_logon_new(&lo)) == NULL ||
        (v->inc = kz_inc_new(NULL)) == NULL ||
        (v->sidmap = kz_sid_map_new()) == NULL ||
        (v->hosts = calloc(KZ_INV_MAX_HOSTS * 2, sizeof(*v->hosts))) ==
            NULL ||
        kz_report_new(&v->rep, &err) != KZ_OK ||
        (v->ent = ent_new(nets, nnets)) == NULL)
        return KZ_EXIT_FATAL;
    if (kz_imp_new(NULL, &v->imp, &err) != KZ_OK) {
        kz_cli_msg("investigate: %s", err.msg);
        return KZ_EXIT_FATAL;
    }
    v->rep->meta.lang = v->lang;
    v->rep->meta.interactive_graph = v->interactive;
    return KZ_EXIT_OK;
}

/* What a pool thread found in one batch. */
typedef struct batch_found {
    kz_logon_found *logons;
    kz_file_found *files;
    kz_sid_found *sids;
} batch_found;

static void
free_user(void *user)
{
    batch_found *f = user;

    if (f == NULL)
        return;
    kz_logon_facts_free(f->logons);
    kz_file_facts_free(f->files);
    kz_sid_facts_free(f->sids);
    free(f);
}

static kz_status
on_worker(void *vctx, const kz_batch *b, unsigned worker, void **user)
{
    kz_inv *v = vctx;
    batch_found *f;
    kz_status st;

    (void)worker;
    *user = NULL;
    if ((f = calloc(1, sizeof(*f))) == NULL)
        return KZ_ENOMEM;
    if ((st = kz_logon_facts_extract(&v->ids, &v->ro, b, &f->logons)) !=
            KZ_OK ||
        (st = kz_file_facts_extract(&v->fids, &v->ro, b, &f->files)) !=
            KZ_OK ||
        (st = kz_sid_facts_extract(&v->sids, &v->ro, b, &f->sids)) !=
            KZ_OK) {
        free_user(f);
        return st;
    }
    *user = f;
    return KZ_OK;
}

/* The coverage entry of a host (NULL past the bound). */
static kz_inv_host *
host_slot(kz_inv *v, const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    size_t i, mask = KZ_INV_MAX_HOSTS * 2 - 1;

    for (i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 16777619u;
    for (i = h & mask;; i = (i + 1) & mask) {
        kz_inv_host *s = &v->hosts[i];

        if (s->name == NULL) {
            if (v->nhosts >= KZ_INV_MAX_HOSTS ||
                (s->name = malloc(n + 1)) == NULL)
                return NULL;
            memcpy(s->name, p, n);
            s->name[n] = '\0';
            s->len = n;
            s->hash = h;
            s->first = s->last = KZ_TIME_NONE;
            v->nhosts++;
            return s;
        }
        if (s->hash == h && s->len == n && memcmp(s->name, p, n) == 0)
            return s;
    }
}


/* A 5145 whose share is not administrative (its name, after "\\*\", does
 * not end in '$': ADMIN$, C$ and IPC$ are on every machine): its host
 * serves files (a role, docs/logons.md). */
static bool
user_share(kz_inv *v, const kz_event *ev)
{
    int32_t id = v->fids.id[KZ_FF_SHARE_NAME];
    const kz_field *fd;
    const char *s, *p;
    size_t n;

    if (id == KZ_NAME_NONE || (fd = kz_event_field(ev, id)) == NULL)
        return false;
    kz_strbuf_reset(&v->ltmp);
    if (kz_value_render(&fd->value, &v->ro, &v->ltmp) != KZ_OK ||
        v->ltmp.len == 0)
        return false;
    s = v->ltmp.data;
    n = v->ltmp.len;
    if (n > 2 && s[0] == '\\' && s[1] == '\\' &&
        (p = memchr(s + 2, '\\', n - 2)) != NULL) {
        n -= (size_t)(p + 1 - s);
        s = p + 1;
    }
    return n > 0 && s[n - 1] != '$' && !(n == 1 && s[0] == '-');
}

/* The coverage tap: one event. */
static void
cover(kz_inv *v, const kz_event *ev, kz_inv_host **last)
{
    kz_inv_host *s = *last;
    int64_t minute;
    uint32_t ch = 0;

    if (ev->computer.p != NULL && ev->computer.len > 0) {
        if (s == NULL || s->len != ev->computer.len ||
            memcmp(s->name, ev->computer.p, s->len) != 0)
            s = *last = host_slot(v, ev->computer.p, ev->computer.len);
        if (s == NULL)
            v->other_hosts++;
        else {
            s->events++;
            if (ev->time != KZ_TIME_NONE) {
                if (s->first == KZ_TIME_NONE || ev->time < s->first)
                    s->first = ev->time;
                if (s->last == KZ_TIME_NONE || ev->time > s->last)
                    s->last = ev->time;
            }
        }
    }
    if (ev->time != KZ_TIME_NONE) {
        if (v->ev_first == KZ_TIME_NONE || ev->time < v->ev_first)
            v->ev_first = ev->time;
        if (v->ev_last == KZ_TIME_NONE || ev->time > v->ev_last)
            v->ev_last = ev->time;
        minute = ev->time / (60 * KZ_INC_SECOND);
        if (v->nruns > 0 && v->runs[v->nruns - 1].minute == minute)
            v->runs[v->nruns - 1].count++;
        else if (v->nruns < KZ_INV_MAX_RUNS &&
                 kz_grow(&v->runs, &v->cap_runs, v->nruns + 1,
                         sizeof(*v->runs), 256) == KZ_OK) {
            v->runs[v->nruns].minute = minute;
            v->runs[v->nruns++].count = 1;
        }
    }
    if (!(ev->flags & KZ_EV_HAS_EVENT_ID))
        return;
    if (kz_event_channel_is(ev, "Security")) {
        v->ch.security++;
        ch |= KZ_INV_CH_SECURITY;
        if (ev->event_id == 4688) {
            v->ch.proc4688++;
            ch |= KZ_INV_CH_4688;
            if (v->cmdline_id != KZ_NAME_NONE &&
                kz_event_field(ev, v->cmdline_id) != NULL) {
                v->ch.proc4688_cmd++;
                ch |= KZ_INV_CH_4688_CMD;
            }
        } else if (ev->event_id == 5145) {
            v->ch.share5145++;
            ch |= KZ_INV_CH_5145;
            if (s != NULL && !(s->chans & KZ_INV_CH_FILESERVER) &&
                user_share(v, ev))
                ch |= KZ_INV_CH_FILESERVER;
        } else if (ev->event_id == 5140)
            v->ch.share5140++;
        else if (ev->event_id == 4663) {
            v->ch.obj4663++;
            ch |= KZ_INV_CH_4663;
        }
    } else if (kz_event_channel_is(ev, "Microsoft-Windows-Sysmon/Operational")) {
        v->ch.sysmon++;
        ch |= KZ_INV_CH_SYSMON;
    } else if (kz_event_channel_is(ev, "Microsoft-Windows-PowerShell/Operational"))
        ch |= KZ_INV_CH_POWERSHELL;
    if (s != NULL && ev->computer.p != NULL && ev->computer.len > 0)
        s->chans |= ch;
    else if (ev->channel.len > 30 &&
             strncasecmp(ev->channel.p, "Microsoft-Windows-TerminalServices",
                         30) == 0)
        v->ch.rdp++;
}

/* One logon fact to the entity table. */
static kz_status
ent_fact(void *ctx, const kz_logon_fact *f)
{
    return kz_ent_add_fact(ctx, f);
}

static kz_status
on_batch(void *vctx, const kz_batch *b, void *user)
{
    kz_inv *v = vctx;
    const batch_found *f = user;
    kz_inv_host *last = NULL;
    kz_status st;
    size_t i;

    if (f != NULL &&
        ((st = kz_logon_facts_feed(f->logons, b, v->col, false, false)) !=
             KZ_OK ||
         (st = kz_file_facts_feed(f->files, b, v->imp, &v->err)) != KZ_OK ||
         (st = kz_sid_map_feed(v->sidmap, f->sids, b)) != KZ_OK))
        return st;
    if (f != NULL &&
        (st = kz_logon_facts_each(f->logons, b, ent_fact, v->ent)) != KZ_OK)
        return st;
    for (i = 0; i < b->nevents; i++)
        if (!(b->events[i].flags & KZ_EV_DUPLICATE)) {
            cover(v, &b->events[i], &last);
            kz_inv_silence_event(v, b, &b->events[i]);
        }
    return KZ_OK;
}

/* ---- alerts -------------------------------------------------------- */

/* The value of field name in d (Details over ExtraFieldInfo), "-" and
 * empty values absent. */
static bool
det_get(const kz_det *d, const char *name, kz_str *out)
{
    const uint8_t *cur;
    kz_str n, val;
    size_t len = strlen(name), i;
    bool found = false;

    for (cur = d->extra, i = 0; cur != NULL && i < d->nextra; i++)
        if (kz_det_pair_next(d, &cur, &n, &val) && n.len == len &&
            memcmp(n.p, name, len) == 0 && val.len > 0 &&
            !(val.len == 1 && val.p[0] == '-')) {
            *out = val;
            found = true;
        }
    for (cur = d->details, i = 0; cur != NULL && i < d->ndetails; i++)
        if (kz_det_pair_next(d, &cur, &n, &val) && n.len == len &&
            memcmp(n.p, name, len) == 0 && val.len > 0 &&
            !(val.len == 1 && val.p[0] == '-')) {
            *out = val;
            found = true;
        }
    return found;
}

/* Appends the NUL-terminated text of the first of names present in d
 * to b; *off is its offset (SIZE_MAX: absent). */
static kz_status
take(kz_strbuf *b, const kz_det *d, const char *const *names, size_t *off)
{
    kz_str s;
    kz_status st;

    *off = SIZE_MAX;
    for (; *names != NULL; names++)
        if (det_get(d, *names, &s)) {
            *off = b->len;
            if ((st = kz_strbuf_add_grow(b, s.p, s.len)) != KZ_OK)
                return st;
            return kz_strbuf_addc(b, '\0');
        }
    return KZ_OK;
}

static const char *
at(const kz_strbuf *b, size_t off)
{
    return off == SIZE_MAX ? NULL : b->data + off;
}

/* The consequence of an integrity finding (evidence limits). */
static const char *
integrity_kind(const char *id, const char **consequence)
{
    static const struct {
        const char *id, *kind, *consequence;
    } k[] = {
        {"kz_a_log_gap", "gap",
         "activity during the gap cannot be seen or ruled out"},
        {"kz_a_log_unreadable", "unreadable",
         "events in the unreadable range are lost"},
        {"kz_a_time_backwards", "time-backwards",
         "the order of events around the jump is uncertain"},
        {"kz_a_json_coverage", "coverage",
         "fields missing from the JSON export cannot be evaluated"},
        {"kz_a_not_evaluated", "not-evaluated",
         "what the analytic would have found is unknown"},
    };
    size_t i;

    for (i = 0; id != NULL && i < sizeof(k) / sizeof(k[0]); i++)
        if (strcmp(id, k[i].id) == 0) {
            *consequence = k[i].consequence;
            return k[i].kind;
        }
    return NULL;
}

/* A copy of s[0..n) NUL-terminated at the end of b; its offset. */
static size_t
put(kz_strbuf *b, const char *p, size_t n)
{
    size_t off = b->len;

    if (kz_strbuf_add_grow(b, p != NULL ? p : "", p != NULL ? n : 0) !=
            KZ_OK ||
        kz_strbuf_addc(b, '\0') != KZ_OK)
        return SIZE_MAX;
    return off;
}

static kz_status
add_limit(kz_inv *v, const kz_det *d, const kz_sigma_rule *r,
          const char *kind, const char *consequence)
{
    kz_report_limit l;
    kz_strbuf *b = &v->ltmp;
    kz_str det;
    size_t off;

    kz_strbuf_reset(b);
    off = b->len;
    kz_strbuf_adds(b, r->title != NULL ? r->title : r->id);
    if (d->computer.len > 0) {
        kz_strbuf_adds(b, ": ");
        kz_strbuf_add_grow(b, d->computer.p, d->computer.len);
    }
    if (d->channel.len > 0) {
        kz_strbuf_adds(b, " / ");
        kz_strbuf_add_grow(b, d->channel.p, d->channel.len);
    }
    if (det_get(d, "Details", &det) || det_get(d, "Gap", &det)) {
        kz_strbuf_adds(b, " (");
        kz_strbuf_add_grow(b, det.p, det.len);
        kz_strbuf_addc(b, ')');
    }
    if (kz_strbuf_addc(b, '\0') != KZ_OK)
        return KZ_ENOMEM;
    l.kind = kind;
    l.what = b->data + off;
    l.consequence = consequence;
    return kz_report_add_limit(v->rep, &l, &v->err);
}

/* An image path of a service (ImagePath): the quoted part, or up to
 * the first ".exe", ".sys", ".dll", ".com" or ".scr" (a driver's
 * ImagePath names a .sys); cut in place. False when it names no such
 * file (a command line: "%COMSPEC% /c ..."). */
static bool
image_path(char *s)
{
    static const char *const ext[] = {".exe", ".sys", ".dll", ".com",
                                      ".scr"};
    char *q, *e;
    size_t k;

    if (s[0] == '"' && (q = strchr(s + 1, '"')) != NULL) {
        memmove(s, s + 1, (size_t)(q - s - 1));
        s[q - s - 1] = '\0';
        return true;
    }
    for (e = s; (e = strchr(e, '.')) != NULL; e++)
        for (k = 0; k < sizeof(ext) / sizeof(ext[0]); k++)
            if (strncasecmp(e, ext[k], 4) == 0 &&
                (e[4] == ' ' || e[4] == '\0')) {
                e[4] = '\0';
                return true;
            }
    return false;
}

/* Remembers the OriginalFileName of an image when it is not its
 * basename (a renamed tool: "m64.exe" that is mimikatz.exe). */
static kz_status
note_ofn(kz_inv *v, const char *image, const char *ofn)
{
    const char *base = image, *p;
    size_t i;

    for (p = image; *p != '\0'; p++)
        if (*p == '\\' || *p == '/')
            base = p + 1;
    if (strcasecmp(base, ofn) == 0)
        return KZ_OK;
    for (i = 0; i < v->nofn; i++)
        if (strcasecmp(v->ofn[i].image, image) == 0)
            return KZ_OK;
    if (v->nofn >= KZ_INV_MAX_RENAMED)
        return KZ_OK;
    if ((v->ofn[v->nofn].image = strdup(image)) == NULL)
        return KZ_ENOMEM;
    if ((v->ofn[v->nofn].ofn = strdup(ofn)) == NULL) {
        free(v->ofn[v->nofn].image);
        return KZ_ENOMEM;
    }
    v->nofn++;
    return KZ_OK;
}

static kz_status
on_row(void *vctx, const kz_det *d, const kz_sigma_rule *r)
{
    static const char *const acct_f[] = {"Account", "User", "TargetUserName",
                                         "SubjectUserName", NULL};
    static const char *const lid_f[] = {"LogonId", "SubjectLogonId",
                                        "TargetLogonId", NULL};
    static const char *const img_f[] = {"Image", "NewProcessName",
                                        "ImagePath", NULL};
    static const char *const pimg_f[] = {"ParentImage", "ParentProcessName",
                                         NULL};
    static const char *const ofn_f[] = {"OriginalFileName", NULL};
    static const char *const hash_f[] = {"Hashes", "Hash", NULL};
    static const char *const cmd_f[] = {"CommandLine", NULL};
    kz_inv *v = vctx;
    kz_strbuf *b = &v->tmp;
    const kz_analytic_info *ai;
    const char *kind, *cons, *tags = NULL;
    size_t o_acct, o_lid, o_img, o_hash, o_cmd, o_host, o_file, o_chan, o_ofn;
    size_t o_pimg;
    kz_inc_alert a;
    kz_report_row row;
    kz_status st;
    bool corr;

    if (r == NULL || d->level < 2 /* low */)
        return KZ_OK;
    ai = r->id != NULL ? kz_analytic_find(r->id) : NULL;
    corr = r->kind == KZ_SG_CORRELATION || ai != NULL;
    if (corr)
        v->alerts++;
    else
        v->detections++;
    if ((kind = integrity_kind(r->id, &cons)) != NULL)
        return add_limit(v, d, r, kind, cons);
    kz_strbuf_reset(b);
    if ((st = take(b, d, acct_f, &o_acct)) != KZ_OK ||
        (st = take(b, d, lid_f, &o_lid)) != KZ_OK ||
        (st = take(b, d, img_f, &o_img)) != KZ_OK ||
        (st = take(b, d, hash_f, &o_hash)) != KZ_OK ||
        (st = take(b, d, cmd_f, &o_cmd)) != KZ_OK ||
        (st = take(b, d, ofn_f, &o_ofn)) != KZ_OK ||
        (st = take(b, d, pimg_f, &o_pimg)) != KZ_OK)
        return st;
    if (o_img != SIZE_MAX && !image_path(b->data + o_img))
        o_img = SIZE_MAX;
    if (o_img != SIZE_MAX && o_ofn != SIZE_MAX &&
        (st = note_ofn(v, b->data + o_img, b->data + o_ofn)) != KZ_OK)
        return st;
    /* no account field: the account of the event's header SID
     * (PowerShell), as Security events name it */
    if (o_acct == SIZE_MAX) {
        const char *who = kz_sid_map_actor(v->sidmap, d->file_index,
                                           d->position);

        if (who != NULL)
            o_acct = put(b, who, strlen(who));
    }
    o_host = put(b, d->computer.p, d->computer.len);
    o_file = put(b, d->path.p, d->path.len);
    o_chan = put(b, d->channel.p, d->channel.len);
    if (o_host == SIZE_MAX || o_file == SIZE_MAX || o_chan == SIZE_MAX)
        return KZ_ENOMEM;
    if (r->tags.n > 0) {
        size_t i, off = b->len;

        for (i = 0; i < r->tags.n; i++) {
            if (i > 0)
                kz_strbuf_addc(b, ',');
            kz_strbuf_adds(b, r->tags.v[i]);
        }
        if (kz_strbuf_addc(b, '\0') != KZ_OK)
            return KZ_ENOMEM;
        tags = b->data + off;
    } else if (ai != NULL)
        tags = ai->tags;
    memset(&a, 0, sizeof(a));
    a.time = d->time;
    a.host = at(b, o_host);
    a.account = at(b, o_acct);
    a.logon_id = at(b, o_lid);
    a.rule_id = r->id;
    a.title = r->title;
    a.level = d->level;
    a.correlation = corr;
    a.tags = tags;
    a.file = at(b, o_file);
    a.record_id = d->record_id != 0 ? d->record_id : UINT64_MAX;
    a.image = at(b, o_img);
    a.hash = at(b, o_hash);
    a.cmdline = at(b, o_cmd);
    a.parent_image = at(b, o_pimg);
    if ((st = kz_inc_add_alert(v->inc, &a)) != KZ_OK)
        return st;
    /* a cleared log (Security 1102, System 104) is also a limit of the
     * evidence */
    if (((d->event_id == 1102 && d->channel.len == 8 &&
          strncasecmp(d->channel.p, "Security", 8) == 0) ||
         (d->event_id == 104 && d->channel.len == 6 &&
          strncasecmp(d->channel.p, "System", 6) == 0)) &&
        (st = add_limit(v, d, r, "cleared",
                        "events of that log before the clear are lost; "
                        "what happened then cannot be determined from "
                        "it")) != KZ_OK)
        return st;
    if (d->level < KZ_INC_MIN_LEVEL)
        return KZ_OK;
    if (d->time != KZ_TIME_NONE && v->natimes < KZ_INV_MAX_ALERT_TIMES &&
        kz_grow(&v->atimes, &v->cap_atimes, v->natimes + 1,
                sizeof(*v->atimes), 256) == KZ_OK)
        v->atimes[v->natimes++] = d->time;
    memset(&row, 0, sizeof(row));
    row.time = d->time;
    row.host = a.host;
    row.account = a.account;
    row.activity = r->title;
    row.file = a.file;
    row.channel = at(b, o_chan);
    row.record_id = a.record_id == UINT64_MAX ? KZ_REPORT_NO_RECORD
                                              : a.record_id;
    row.event_id = d->event_id;
    row.rule_id = r->id;
    row.level = kz_level_name((kz_level)d->level);
    if ((st = kz_report_add_row(v->rep, &row, &v->err)) != KZ_OK)
        return st;
    return tags != NULL ? kz_report_count_tags(v->rep, tags, r->title, &v->err)
                        : KZ_OK;
}

/* The operands: the manifest's inputs are walked and hashed beside the
 * read (investigate_inputs.c); without memory they are at the end. */
static void
on_paths(void *vctx, const char *const *paths, size_t n)
{
    kz_inv *v = vctx;

    v->inputs = kz_inv_inputs_start(paths, n);
}

static int
finish(void *vctx, const kz_hunt_done *dn)
{
    return kz_inv_report(vctx, dn);
}

/* ---- the command --------------------------------------------------- */

void
kz_cli_investigate_help(FILE *f)
{
    fputs("Usage: kizuki investigate [options] -o DIR PATH...\n"
          "\n"
          "Reads the logs once (the hunt: rules, correlations, analytics and\n"
          "integrity checks, plus the logon graph and which hosts' logs were\n"
          "read), groups the alerts at medium or above into incidents,\n"
          "follows the lateral movement and names the first host (or says\n"
          "why it is undetermined), and writes the incident report into\n"
          "DIR:\n"
          "  report.html  one self-contained page (no network access)\n"
          "  report.md, report.json (schema kizuki-report/1)\n"
          "  manifest.json  every input with its size and SHA-256, flags,\n"
          "               rule sources\n"
          "  timeline.csv   hunt's timeline (standard profile)\n"
          "  graph.json, graph.graphml  the logon graph\n"
          "  attack-navigator.json  the ATT&CK Navigator layer\n"
          "  impact_files.csv  every file and mailbox the incidents'\n"
          "               accounts, hosts and tools touched (complete)\n"
          "Times are shown in --tz with the offset. Procedures and\n"
          "parameters: docs/investigate.md; report sections: docs/report.md.\n"
          "\n"
          "Options:\n",
          f);
    kz_cli_help_options(f, inv_opts, N_INV_OPTS);
    kz_hunt_help_options(f);
    kz_cli_help_common(f);
    fputs("\n"
          "Examples:\n"
          "  kizuki investigate -o case1 C/Windows/System32/winevt/Logs/\n"
          "  kizuki investigate --lang ja --tz Asia/Tokyo -o case1 logs/\n"
          "\n",
          f);
    kz_cli_help_exit_codes(f);
}

int
kz_cli_investigate_run(int argc, char **argv)
{
    kz_inv v;
    kz_hunt_ext ext;
    size_t i;
    int rc;

    memset(&v, 0, sizeof(v));
    v.interactive = true; /* when the build embeds the library */
    v.cmdline_id = KZ_NAME_NONE;
    v.ev_first = v.ev_last = KZ_TIME_NONE;
    kz_strbuf_init(&v.tmp, 0);
    kz_strbuf_init(&v.ltmp, 0);
    kz_error_clear(&v.err);
    memset(&ext, 0, sizeof(ext));
    ext.name = "investigate";
    ext.opts = inv_opts;
    ext.nopts = N_INV_OPTS;
    ext.ctx = &v;
    ext.help = kz_cli_investigate_help;
    ext.on_option = on_option;
    ext.setup = setup;
    ext.on_paths = on_paths;
    ext.on_worker = on_worker;
    ext.on_batch = on_batch;
    ext.free_user = free_user;
    ext.on_row = on_row;
    ext.finish = finish;
    rc = kz_hunt_drive(argc, argv, &ext);
    for (i = 0; v.hosts != NULL && i < KZ_INV_MAX_HOSTS * 2; i++)
        free(v.hosts[i].name);
    free(v.hosts);
    free(v.runs);
    free(v.files);
    free(v.atimes);
    for (i = 0; i < v.nofn; i++) {
        free(v.ofn[i].image);
        free(v.ofn[i].ofn);
    }
    kz_logon_free(v.col);
    kz_inc_free(v.inc);
    kz_imp_free(v.imp);
    kz_sid_map_free(v.sidmap);
    kz_inv_inputs_free(v.inputs);
    kz_ent_free(v.ent);
    kz_report_free(v.rep);
    kz_strbuf_fini(&v.tmp);
    kz_strbuf_fini(&v.ltmp);
    return rc;
}
