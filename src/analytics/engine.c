/*
 * engine.c - the analytics engine: facts in, dispatched by kind to the
 * enabled analytics; the finding builder they share (Details, then the
 * contributing events in ExtraFieldInfo); the end of the run (pending
 * bulk-read bursts, the "not evaluated" note). Reference:
 * docs/analytics.md.
 *
 * And the bounded structures they share: a string-keyed table with a cap
 * on its entries (keys past it are counted, not kept), and a sliding set
 * of at most KZ_A_SET_CAP distinct values with first/last times.
 */
#include "analytics/analytics_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"

/* Inputs whose path is remembered for refs (more are "input #N"). */
#define MAX_PATHS (1u << 20)

static const char *const which_ids[KZ_A_COUNT] = {
    "kz_a_rdp_external_privilege",
    "kz_a_attack_tool_burst",
    "kz_a_fanout",
    "kz_a_binary_identity",
    "kz_a_bulk_file_read",
    "kz_a_discovery_burst",
    "kz_a_not_evaluated",
};

const char *
kz_a_which_id(kz_a_which w)
{
    return (unsigned)w < KZ_A_COUNT ? which_ids[w] : NULL;
}

kz_analytics *
kz_analytics_new(const kz_analytics_opts *o)
{
    kz_analytics *a = calloc(1, sizeof(*a));
    size_t cap;

    if (a == NULL)
        return NULL;
    if (o->config != NULL)
        a->cfg = *o->config;
    else
        kz_a_config_defaults(&a->cfg);
    /* Every file up to the threshold must be listed to be counted. */
    if (a->cfg.v[KZ_AK_BULK_KEEP] <= a->cfg.v[KZ_AK_BULK_FILES])
        a->cfg.v[KZ_AK_BULK_KEEP] = a->cfg.v[KZ_AK_BULK_FILES] + 1;
    if (o->internal_nets != NULL) {
        a->nnets = o->ninternal_nets < KZ_A_MAX_NETS ? o->ninternal_nets
                                                     : KZ_A_MAX_NETS;
        memcpy(a->nets, o->internal_nets, a->nnets * sizeof(*a->nets));
    }
    a->sink = o->sink;
    a->fmt_time = o->fmt_time;
    a->fmt_ctx = o->fmt_ctx;
    a->now = KZ_TIME_NONE;
    a->file_first = a->file_last = KZ_TIME_NONE;
    kz_strbuf_init(&a->k1, 1 << 16);
    kz_strbuf_init(&a->k2, 1 << 16);
    kz_strbuf_init(&a->text, 1 << 20);
    cap = (size_t)a->cfg.v[KZ_AK_MAX_KEYS];
    /* Three quarters of tables.max_bytes; the integrity intervals have
     * the last quarter (hunt_integrity.c). */
    a->bud.max = (uint64_t)a->cfg.v[KZ_AK_MAX_BYTES] -
                 (uint64_t)a->cfg.v[KZ_AK_MAX_BYTES] / 4;
    a->bud.refused = &a->st.bytes_refused;
    a->st.bytes_max = a->bud.max;
    a_table_init(&a->rdp, cap, free, &a->st.dropped_keys, &a->bud);
    a_table_init(&a->rdp_sid, cap, free, &a->st.dropped_keys, &a->bud);
    a_table_init(&a->tools, cap, a_set_free, &a->st.dropped_keys, &a->bud);
    a_table_init(&a->fan, cap, a_set_free, &a->st.dropped_keys, &a->bud);
    a_table_init(&a->ident_seen, cap, NULL, &a->st.dropped_keys, &a->bud);
    a_table_init(&a->hashes, cap, a_set_free, &a->st.dropped_keys, &a->bud);
    a_table_init(&a->bulk, cap, a_bulk_value_free, &a->st.dropped_keys,
                 &a->bud);
    a_table_init(&a->disc, cap, a_set_free, &a->st.dropped_keys, &a->bud);
    a->tools_sweep = a->fan_sweep = a->bulk_sweep = a->disc_sweep =
        KZ_TIME_NONE;
    return a;
}

void
kz_analytics_free(kz_analytics *a)
{
    size_t i;

    if (a == NULL)
        return;
    a_table_fini(&a->rdp);
    a_table_fini(&a->rdp_sid);
    a_table_fini(&a->tools);
    a_table_fini(&a->fan);
    a_table_fini(&a->ident_seen);
    a_table_fini(&a->hashes);
    a_table_fini(&a->bulk);
    a_table_fini(&a->disc);
    a_bulk_free_done(a);
    for (i = 0; i < a->npaths; i++)
        free(a->paths[i]);
    free(a->paths);
    free(a->ne_path);
    free(a->ne_computer);
    free(a->ne_channel);
    kz_strbuf_fini(&a->k1);
    kz_strbuf_fini(&a->k2);
    kz_strbuf_fini(&a->text);
    free(a);
}

uint32_t
kz_analytics_kinds(const kz_analytics *a)
{
    uint32_t k = 0;

    if (a->cfg.v[KZ_AK_RDP_ENABLED])
        k |= 1u << KZ_FACT_LOGON | 1u << KZ_FACT_PRIV |
             1u << KZ_FACT_GROUP_ADD | 1u << KZ_FACT_RDP;
    if (a->cfg.v[KZ_AK_TOOL_ENABLED])
        k |= 1u << KZ_FACT_SERVICE | 1u << KZ_FACT_PROC | 1u << KZ_FACT_LSASS |
             1u << KZ_FACT_PIPE | 1u << KZ_FACT_DNS;
    if (a->cfg.v[KZ_AK_FANOUT_ENABLED])
        k |= 1u << KZ_FACT_LOGON | 1u << KZ_FACT_SHARE | 1u << KZ_FACT_SERVICE |
             1u << KZ_FACT_TASK;
    if (a->cfg.v[KZ_AK_IDENTITY_ENABLED])
        k |= 1u << KZ_FACT_PROC;
    if (a->cfg.v[KZ_AK_BULK_ENABLED])
        k |= 1u << KZ_FACT_FILE;
    if (a->cfg.v[KZ_AK_DISC_ENABLED])
        k |= 1u << KZ_FACT_PROC;
    return k;
}

/* The share is ADMIN$ or C$ ("\\\\*\\ADMIN$" or bare). */
static bool
admin_share(kz_str share)
{
    return a_iends(share, "\\admin$") || a_iends(share, "\\c$") ||
           a_ieq(share, "admin$") || a_ieq(share, "c$");
}

bool
kz_analytics_wants(const kz_analytics *a, const kz_fact *f)
{
    const int64_t *v = a->cfg.v;
    const kz_str *u = &f->v[KZ_FS_USER], *addr = &f->v[KZ_FS_ADDR];
    const char *tool;
    kz_str base;

    switch (f->kind) {
    case KZ_FACT_LOGON:
        if (v[KZ_AK_RDP_ENABLED] && a_ieq(f->v[KZ_FS_LOGON_TYPE], "10") &&
            a_addr_class(a, addr) == KZ_ADDR_EXTERNAL)
            return true;
        return v[KZ_AK_FANOUT_ENABLED] &&
               (a_ieq(f->v[KZ_FS_LOGON_TYPE], "3") ||
                a_ieq(f->v[KZ_FS_LOGON_TYPE], "10")) &&
               (!a_machine_or_anonymous(*u) || a_usable_source(*addr));
    case KZ_FACT_PRIV:
        return v[KZ_AK_RDP_ENABLED] && !a_machine_or_anonymous(*u);
    case KZ_FACT_GROUP_ADD:
        return v[KZ_AK_RDP_ENABLED] != 0;
    case KZ_FACT_RDP:
        return v[KZ_AK_RDP_ENABLED] &&
               a_addr_class(a, addr) == KZ_ADDR_EXTERNAL;
    case KZ_FACT_SHARE:
        return v[KZ_AK_FANOUT_ENABLED] && admin_share(f->v[KZ_FS_SHARE]) &&
               (!a_machine_or_anonymous(*u) || a_usable_source(*addr));
    case KZ_FACT_FILE:
        return v[KZ_AK_BULK_ENABLED] && !a_empty(u) &&
               !a_empty(&f->v[KZ_FS_FILE]) &&
               !a_iends(f->v[KZ_FS_SHARE], "IPC$") &&
               (a_empty(&f->v[KZ_FS_LOGON_TYPE]) ||
                a_ieq(f->v[KZ_FS_LOGON_TYPE], "File"));
    case KZ_FACT_SERVICE:
        return (v[KZ_AK_FANOUT_ENABLED] && !a_empty(&f->v[KZ_FS_PATH])) ||
               (v[KZ_AK_TOOL_ENABLED] && a_tool_class(f, &tool) >= 0);
    case KZ_FACT_TASK:
        return v[KZ_AK_FANOUT_ENABLED] != 0;
    case KZ_FACT_PROC:
        if (v[KZ_AK_TOOL_ENABLED] && a_tool_class(f, &tool) >= 0)
            return true;
        if (v[KZ_AK_DISC_ENABLED] && a_discovery_command(f) != NULL)
            return true;
        /* D5 reads every start with an original name or a hash (Sysmon
         * 1), and browsers. */
        base = a_basename(f->v[KZ_FS_IMAGE]);
        return v[KZ_AK_IDENTITY_ENABLED] &&
               (!a_empty(&f->v[KZ_FS_OFN]) || !a_empty(&f->v[KZ_FS_HASHES]) ||
                a_is_browser(base));
    case KZ_FACT_LSASS:
    case KZ_FACT_PIPE:
    case KZ_FACT_DNS:
        return v[KZ_AK_TOOL_ENABLED] && a_tool_class(f, &tool) >= 0;
    default:
        return false;
    }
}

kz_addr_class
a_addr_class(const kz_analytics *a, const kz_str *addr)
{
    return kz_addr_classify_nets(addr->p, addr->len, a->nets, a->nnets);
}

kz_time
a_minutes(const kz_analytics *a, kz_a_key k)
{
    return (kz_time)a->cfg.v[k] * 60 * KZ_TICKS_PER_SEC;
}

void
a_ref_of(kz_analytics *a, const kz_fact *f, a_ref *r)
{
    uint32_t fi = f->ref.file_index;
    char **grown;
    size_t n, i;

    r->file_index = fi;
    r->has_rid = f->ref.has_record_id;
    r->id = f->ref.has_record_id ? f->ref.record_id : f->ref.position;
    if (fi >= MAX_PATHS || f->ref.path == NULL)
        return;
    if (fi >= a->npaths) {
        n = fi + 1 < 2 * a->npaths ? 2 * a->npaths : fi + 16;
        if ((grown = realloc(a->paths, n * sizeof(*grown))) == NULL)
            return;
        for (i = a->npaths; i < n; i++)
            grown[i] = NULL;
        a->paths = grown;
        a->npaths = n;
    }
    if (a->paths[fi] == NULL)
        a->paths[fi] = strdup(f->ref.path);
}

/* Copies s (may be NULL) to *dst. */
static void
own(char **dst, const char *s)
{
    free(*dst);
    *dst = s != NULL ? strdup(s) : NULL;
}

kz_status
kz_analytics_add(kz_analytics *a, const kz_fact *f)
{
    kz_status st = KZ_OK;
    kz_fact g;

    a->st.facts++;
    /* A time before 1601 (only a hostile JSON input makes one) is skipped
     * like no time: with times >= 0 no window arithmetic overflows. */
    if (f->ref.time == KZ_TIME_NONE || f->ref.time < 0) {
        a->st.untimed++;
        return KZ_OK;
    }
    g = *f;
    if (a->now != KZ_TIME_NONE && g.ref.time < a->now) {
        a->st.out_of_order++;
        g.ref.time = a->now;
    }
    a->now = g.ref.time;
    if (g.kind == KZ_FACT_FILE && a->cfg.v[KZ_AK_BULK_ENABLED]) {
        if (!a->saw_file && !a->saw_rdp) {
            a->ne_ref = g.ref;
            own(&a->ne_path, g.ref.path);
            own(&a->ne_computer, g.ref.computer);
            own(&a->ne_channel, g.ref.channel);
        }
        a->saw_file = true;
        if (a->file_first == KZ_TIME_NONE)
            a->file_first = g.ref.time;
        a->file_last = g.ref.time;
    }
    if (a->cfg.v[KZ_AK_RDP_ENABLED] && st == KZ_OK)
        st = a_rdp_fact(a, &g);
    if (a->cfg.v[KZ_AK_TOOL_ENABLED] && st == KZ_OK)
        st = a_tools_fact(a, &g);
    if (a->cfg.v[KZ_AK_FANOUT_ENABLED] && st == KZ_OK)
        st = a_fanout_fact(a, &g);
    if (a->cfg.v[KZ_AK_IDENTITY_ENABLED] && st == KZ_OK)
        st = a_identity_fact(a, &g);
    if (a->cfg.v[KZ_AK_BULK_ENABLED] && st == KZ_OK)
        st = a_bulk_fact(a, &g);
    if (a->cfg.v[KZ_AK_DISC_ENABLED] && st == KZ_OK)
        st = a_discovery_fact(a, &g);
    return st;
}

void
a_saw_rdp(kz_analytics *a, const kz_fact *f)
{
    if (!a->saw_file && !a->saw_rdp) {
        a->ne_ref = f->ref;
        own(&a->ne_path, f->ref.path);
        own(&a->ne_computer, f->ref.computer);
        own(&a->ne_channel, f->ref.channel);
    }
    a->saw_rdp = true;
}

/* One informational finding naming what needed history. */
static kz_status
not_evaluated(kz_analytics *a)
{
    kz_finding_ref at;
    double days;
    kz_status st = KZ_OK;

    if (!a->saw_file && !a->saw_rdp)
        return KZ_OK;
    a->st.ne_bulk_baseline = a->saw_file;
    a->st.ne_rdp_history = a->saw_rdp;
    at = a->ne_ref;
    at.path = a->ne_path;
    at.computer = a->ne_computer;
    at.channel = a->ne_channel;
    a_begin(a);
    if (a->saw_file) {
        days = a->file_last != KZ_TIME_NONE
                   ? (double)(a->file_last - a->file_first) /
                         (86400.0 * KZ_TICKS_PER_SEC)
                   : 0;
        if ((st = a_pair(a, "Analytic", "kz_a_bulk_file_read")) != KZ_OK ||
            (st = a_pair(a, "Skipped",
                         "p99 baseline of distinct files per (account, "
                         "source) per window over %lld days",
                         (long long)a->cfg.v[KZ_AK_BULK_BASELINE_DAYS])) !=
                KZ_OK ||
            (st = a_pair(a, "Reason", "%s (file events span %.1f days)",
                         days < (double)a->cfg.v[KZ_AK_BULK_BASELINE_DAYS]
                             ? "not enough history"
                             : "baselines are not computed by this "
                               "version",
                         days)) != KZ_OK ||
            (st = a_pair(a, "Used", "fixed threshold bulk_read.files = %lld",
                         (long long)a->cfg.v[KZ_AK_BULK_FILES])) != KZ_OK)
            return st;
    }
    if (a->saw_rdp &&
        ((st = a_pair(a, a->saw_file ? "Analytic2" : "Analytic",
                      "kz_a_rdp_external_privilege")) != KZ_OK ||
         (st = a_pair(a, a->saw_file ? "Skipped2" : "Skipped",
                      "first privileged logon ever of the account")) != KZ_OK ||
         (st = a_pair(a, a->saw_file ? "Reason2" : "Reason",
                      "needs the account's history, which one run does not "
                      "have")) != KZ_OK))
        return st;
    a_end_details(a);
    return a_emit(a, KZ_A_NOT_EVALUATED, &at);
}

kz_status
kz_analytics_finish(kz_analytics *a)
{
    kz_status st = KZ_OK;

    if (a->finished)
        return KZ_OK;
    a->finished = true;
    if (a->cfg.v[KZ_AK_BULK_ENABLED])
        st = a_bulk_finish(a);
    if (st == KZ_OK)
        st = not_evaluated(a);
    return st;
}

void
kz_analytics_stats(const kz_analytics *a, kz_a_stats *st)
{
    *st = a->st;
    st->bytes_peak = a->bud.peak;
}

/* ---- the finding builder ------------------------------------------- */

void
a_begin(kz_analytics *a)
{
    kz_strbuf_reset(&a->text);
    a->np = a->nd = 0;
}

/* Starts a pair: its name. false when the pairs are full. */
static kz_status
put_name(kz_analytics *a, const char *name)
{
    kz_status st;

    if (a->np + 2 > KZ_A_MAX_PAIRS)
        return KZ_ELIMIT;
    a->off[a->np++] = a->text.len;
    if ((st = kz_strbuf_add(&a->text, name, strlen(name) + 1)) != KZ_OK)
        return st;
    a->off[a->np++] = a->text.len;
    return KZ_OK;
}

size_t
a_utf8_cut(const char *s, size_t len)
{
    size_t i = len, need;
    unsigned char c;

    /* Back over continuation bytes to the last lead byte. */
    while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80 && len - i < 3)
        i--;
    if (i == 0)
        return len;
    c = (unsigned char)s[i - 1];
    need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > 1 && (i - 1) + need > len ? i - 1 : len;
}

kz_status
a_pair(kz_analytics *a, const char *name, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    size_t len;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        buf[0] = '\0';
    len = strlen(buf);
    /* A cut value ends on a whole UTF-8 character. */
    if (n >= (int)sizeof(buf))
        len = a_utf8_cut(buf, len);
    return a_pair_str(a, name, buf, len);
}

kz_status
a_pair_str(kz_analytics *a, const char *name, const char *s, size_t len)
{
    kz_status st;

    if ((st = put_name(a, name)) != KZ_OK)
        return st == KZ_ELIMIT ? KZ_OK : st;
    if ((st = kz_strbuf_add(&a->text, s != NULL ? s : "", s ? len : 0)) !=
        KZ_OK)
        return st;
    return kz_strbuf_addc(&a->text, '\0');
}

kz_status
a_pair_time(kz_analytics *a, const char *name, kz_time t)
{
    kz_status st;

    if ((st = put_name(a, name)) != KZ_OK)
        return st == KZ_ELIMIT ? KZ_OK : st;
    st = a->fmt_time != NULL ? a->fmt_time(a->fmt_ctx, &a->text, t)
                             : kz_time_format_iso(&a->text, t, 0);
    if (st != KZ_OK)
        return st;
    return kz_strbuf_addc(&a->text, '\0');
}

void
a_end_details(kz_analytics *a)
{
    a->nd = a->np / 2;
}

kz_status
a_pair_refs(kz_analytics *a, const a_ref *refs, size_t n, uint64_t total,
            const kz_finding_ref *at)
{
    char name[16];
    const char *path;
    size_t i;
    kz_status st;

    if ((st = a_pair(a, "Events", "%llu%s", (unsigned long long)total,
                     total > n ? " (first ones below)" : "")) != KZ_OK)
        return st;
    for (i = 0; i < n && i < KZ_A_MAX_REFS; i++) {
        snprintf(name, sizeof(name), "Event%zu", i + 1);
        path = refs[i].file_index < a->npaths ? a->paths[refs[i].file_index]
                                              : NULL;
        if (at != NULL && refs[i].file_index == at->file_index)
            st = a_pair(a, name, "%s %llu",
                        refs[i].has_rid ? "record" : "position",
                        (unsigned long long)refs[i].id);
        else if (path != NULL)
            st = a_pair(a, name, "%s %s %llu", path,
                        refs[i].has_rid ? "record" : "position",
                        (unsigned long long)refs[i].id);
        else
            st = a_pair(a, name, "input #%u %s %llu", refs[i].file_index,
                        refs[i].has_rid ? "record" : "position",
                        (unsigned long long)refs[i].id);
        if (st != KZ_OK)
            return st;
    }
    return KZ_OK;
}

kz_status
a_pair_set_refs(kz_analytics *a, const a_set *s, const kz_finding_ref *at)
{
    a_ref refs[KZ_A_MAX_REFS];
    size_t i;

    for (i = 0; i < s->n && i < KZ_A_MAX_REFS; i++)
        refs[i] = s->it[i].ref;
    return a_pair_refs(a, refs, i, s->events, at);
}

kz_status
a_pair_set_values(kz_analytics *a, const char *name, const a_set *s)
{
    kz_status st;
    size_t i;

    if ((st = put_name(a, name)) != KZ_OK)
        return st == KZ_ELIMIT ? KZ_OK : st;
    for (i = 0; i < s->n; i++)
        if ((i > 0 && (st = kz_strbuf_add(&a->text, ", ", 2)) != KZ_OK) ||
            (st = kz_strbuf_adds(&a->text, s->it[i].val)) != KZ_OK)
            return st;
    if (s->dropped > 0) {
        char note[96];

        snprintf(note, sizeof(note),
                 " (and %llu more not tracked: a table bound was reached)",
                 (unsigned long long)s->dropped);
        if ((st = kz_strbuf_adds(&a->text, note)) != KZ_OK)
            return st;
    }
    return kz_strbuf_addc(&a->text, '\0');
}

kz_status
a_emit(kz_analytics *a, kz_a_which w, const kz_finding_ref *at)
{
    kz_str pairs[KZ_A_MAX_PAIRS];
    kz_finding f;
    size_t i;

    for (i = 0; i < a->np; i++) {
        pairs[i].p = a->text.data + a->off[i];
        pairs[i].len = strlen(pairs[i].p);
    }
    if ((unsigned)w < KZ_A_COUNT)
        a->st.by_analytic[w]++;
    f.analytic = which_ids[w];
    f.at = *at;
    f.pairs = pairs;
    f.ndetails = a->nd;
    f.nextra = a->np / 2 - a->nd;
    if (a->sink.emit == NULL)
        return KZ_OK;
    return a->sink.emit(a->sink.ctx, &f);
}

/* ---- value helpers ------------------------------------------------- */

bool
a_empty(const kz_str *v)
{
    size_t i;

    if (v->p == NULL || v->len == 0 || (v->len == 1 && v->p[0] == '-'))
        return true;
    for (i = 0; i < v->len; i++)
        if (v->p[i] != ' ')
            return false;
    return true;
}

kz_str
a_basename(kz_str path)
{
    size_t i;
    kz_str r = path;

    for (i = path.len; i > 0; i--)
        if (path.p[i - 1] == '\\' || path.p[i - 1] == '/') {
            r.p = path.p + i;
            r.len = path.len - i;
            break;
        }
    return r;
}

bool
a_ieq(kz_str s, const char *lit)
{
    size_t i;

    /* no strlen: called per fact for every name of a list */
    for (i = 0; i < s.len; i++)
        if (lit[i] == '\0' || kz_ascii_lower((unsigned char)s.p[i]) !=
                                   kz_ascii_lower((unsigned char)lit[i]))
            return false;
    return lit[s.len] == '\0';
}

bool
a_iends(kz_str s, const char *lit)
{
    size_t n = strlen(lit);
    kz_str t;

    if (s.len < n)
        return false;
    t.p = s.p + s.len - n;
    t.len = n;
    return a_ieq(t, lit);
}

bool
a_icontains(kz_str s, const char *lit)
{
    size_t n = strlen(lit), i, j;
    unsigned char c0, c1;
    const char *p;

    if (n == 0)
        return true;
    if (s.len < n)
        return false;
    /* Scan for the first byte in either case (memchr is fast), then
     * compare the rest. */
    c0 = kz_ascii_lower((unsigned char)lit[0]);
    c1 = (unsigned char)(c0 >= 'a' && c0 <= 'z' ? c0 - 32 : c0);
    for (i = 0; i + n <= s.len; i++) {
        p = memchr(s.p + i, c0, s.len - n + 1 - i);
        if (c1 != c0) {
            const char *q = memchr(s.p + i, c1, s.len - n + 1 - i);

            if (q != NULL && (p == NULL || q < p))
                p = q;
        }
        if (p == NULL)
            return false;
        i = (size_t)(p - s.p);
        for (j = 1; j < n; j++)
            if (kz_ascii_lower((unsigned char)s.p[i + j]) !=
                kz_ascii_lower((unsigned char)lit[j]))
                break;
        if (j == n)
            return true;
    }
    return false;
}

/* ---- memory budget ------------------------------------------------- */

size_t
a_cost(size_t n)
{
    /* glibc-like: an 8-byte header, 16-byte granules, 32 at least. */
    size_t c = (n + 8 + 15) & ~(size_t)15;

    return c < 32 ? 32 : c;
}

bool
a_charge(a_budget *b, size_t n)
{
    uint64_t c = a_cost(n);

    if (b->used + c > b->max) {
        if (b->refused != NULL)
            (*b->refused)++;
        return false;
    }
    b->used += c;
    if (b->used > b->peak)
        b->peak = b->used;
    return true;
}

void
a_charge_force(a_budget *b, size_t n)
{
    b->used += a_cost(n);
    if (b->used > b->peak)
        b->peak = b->used;
}

void
a_uncharge(a_budget *b, size_t n)
{
    uint64_t c = a_cost(n);

    if (b->used >= c)
        b->used -= c;
    else {
        b->used = 0;
        b->underflow++;
    }
}

/* ---- tables -------------------------------------------------------- */

void
a_table_init(a_table *t, size_t cap, void (*free_value)(void *),
             uint64_t *dropped, a_budget *bud)
{
    memset(t, 0, sizeof(*t));
    t->cap = cap;
    t->free_value = free_value;
    t->dropped = dropped;
    t->bud = bud;
}

/* Frees node n (and its value), giving back what they were charged. */
static void
node_free(a_table *t, a_node *n)
{
    if (t->free_value != NULL)
        t->free_value(n->value);
    if (n->vsize > 0)
        a_uncharge(t->bud, n->vsize);
    a_uncharge(t->bud, sizeof(*n) + n->klen + 1);
    free(n);
}

void
a_table_fini(a_table *t)
{
    size_t i;
    a_node *n, *next;

    for (i = 0; i < t->nb; i++)
        for (n = t->b[i]; n != NULL; n = next) {
            next = n->next;
            node_free(t, n);
        }
    if (t->nb > 0)
        a_uncharge(t->bud, t->nb * sizeof(*t->b));
    free(t->b);
    t->b = NULL;
    t->nb = t->n = 0;
}

void *
a_table_get(const a_table *t, const char *key, size_t klen)
{
    uint64_t h;
    a_node *n;

    if (t->nb == 0)
        return NULL;
    h = kz_hash(key, klen);
    for (n = t->b[h & (t->nb - 1)]; n != NULL; n = n->next)
        if (n->hash == h && n->klen == klen && memcmp(n->key, key, klen) == 0)
            return n->value;
    return NULL;
}

static bool
grow(a_table *t)
{
    size_t nb = t->nb == 0 ? 64 : 2 * t->nb, i;
    a_node **b, *n, *next;

    if (!a_charge(t->bud, nb * sizeof(*b)))
        return false;
    if ((b = calloc(nb, sizeof(*b))) == NULL) {
        a_uncharge(t->bud, nb * sizeof(*b));
        return false;
    }
    for (i = 0; i < t->nb; i++)
        for (n = t->b[i]; n != NULL; n = next) {
            next = n->next;
            n->next = b[n->hash & (nb - 1)];
            b[n->hash & (nb - 1)] = n;
        }
    if (t->nb > 0)
        a_uncharge(t->bud, t->nb * sizeof(*t->b));
    free(t->b);
    t->b = b;
    t->nb = nb;
    return true;
}

bool
a_table_put_sized(a_table *t, const char *key, size_t klen, void *value,
                  size_t vsize)
{
    a_node *n;

    if (t->n >= t->cap || ((t->nb == 0 || t->n >= t->nb) && !grow(t))) {
        if (t->dropped != NULL)
            (*t->dropped)++;
        return false;
    }
    if (!a_charge(t->bud, sizeof(*n) + klen + 1)) {
        if (t->dropped != NULL)
            (*t->dropped)++;
        return false;
    }
    if (vsize > 0 && !a_charge(t->bud, vsize)) {
        a_uncharge(t->bud, sizeof(*n) + klen + 1);
        if (t->dropped != NULL)
            (*t->dropped)++;
        return false;
    }
    if ((n = malloc(sizeof(*n) + klen + 1)) == NULL) {
        a_uncharge(t->bud, sizeof(*n) + klen + 1);
        if (vsize > 0)
            a_uncharge(t->bud, vsize);
        return false;
    }
    n->hash = kz_hash(key, klen);
    n->value = value;
    n->vsize = vsize;
    n->klen = klen;
    memcpy(n->key, key, klen);
    n->key[klen] = '\0';
    n->next = t->b[n->hash & (t->nb - 1)];
    t->b[n->hash & (t->nb - 1)] = n;
    t->n++;
    return true;
}

bool
a_table_put(a_table *t, const char *key, size_t klen, void *value)
{
    return a_table_put_sized(t, key, klen, value, 0);
}

void
a_table_del(a_table *t, const char *key, size_t klen)
{
    uint64_t h;
    a_node **pp, *n;

    if (t->nb == 0)
        return;
    h = kz_hash(key, klen);
    for (pp = &t->b[h & (t->nb - 1)]; (n = *pp) != NULL; pp = &n->next)
        if (n->hash == h && n->klen == klen && memcmp(n->key, key, klen) == 0) {
            *pp = n->next;
            node_free(t, n);
            t->n--;
            return;
        }
}

void
a_table_sweep(a_table *t, bool (*fn)(void *ctx, const char *key, void *value),
              void *ctx)
{
    size_t i;
    a_node **pp, *n;

    for (i = 0; i < t->nb; i++) {
        pp = &t->b[i];
        while ((n = *pp) != NULL) {
            if (fn(ctx, n->key, n->value)) {
                *pp = n->next;
                node_free(t, n);
                t->n--;
            } else {
                pp = &n->next;
            }
        }
    }
}

/* ---- sliding sets -------------------------------------------------- */

a_set *
a_set_new(a_budget *bud)
{
    a_set *s;

    if (!a_charge(bud, sizeof(a_set)))
        return NULL;
    if ((s = calloc(1, sizeof(a_set))) == NULL) {
        a_uncharge(bud, sizeof(a_set));
        return NULL;
    }
    s->bud = bud;
    return s;
}

void
a_set_free(void *v)
{
    a_set *s = v;
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < s->n; i++) {
        a_uncharge(s->bud, strlen(s->it[i].val) + 1);
        free(s->it[i].val);
    }
    a_uncharge(s->bud, sizeof(a_set));
    free(s);
}

void
a_set_expire(a_set *s, kz_time t, kz_time window)
{
    size_t i, j;

    for (i = j = 0; i < s->n; i++) {
        if (s->it[i].last < t - window) {
            a_uncharge(s->bud, strlen(s->it[i].val) + 1);
            free(s->it[i].val);
            continue;
        }
        s->it[j++] = s->it[i];
    }
    s->n = j;
    if (s->n == 0) {
        s->events = 0;
        s->dropped = 0;
        s->fired = false;
        s->start = KZ_TIME_NONE;
    }
}

bool
a_set_add(a_set *s, const char *val, size_t len, kz_time t, const a_ref *ref,
          uint64_t *dropped)
{
    size_t i;
    char *v;

    if (s->n == 0 || s->start == KZ_TIME_NONE)
        s->start = t;
    s->events++;
    /* Values are C strings: cut at an embedded NUL (else one hostile
     * value would count as a new one at every fact). */
    len = strnlen(val, len);
    for (i = 0; i < s->n; i++)
        if (strlen(s->it[i].val) == len &&
            memcmp(s->it[i].val, val, len) == 0) {
            s->it[i].last = t;
            return true;
        }
    if (s->n == KZ_A_SET_CAP || !a_charge(s->bud, len + 1)) {
        if (dropped != NULL)
            (*dropped)++;
        s->dropped++;
        return true;
    }
    if ((v = malloc(len + 1)) == NULL) {
        a_uncharge(s->bud, len + 1);
        return false;
    }
    memcpy(v, val, len);
    v[len] = '\0';
    s->it[s->n].val = v;
    s->it[s->n].first = s->it[s->n].last = t;
    s->it[s->n].ref = *ref;
    s->n++;
    return true;
}

kz_time
a_set_first(const a_set *s)
{
    kz_time t = KZ_TIME_NONE;
    size_t i;

    for (i = 0; i < s->n; i++)
        if (t == KZ_TIME_NONE || s->it[i].first < t)
            t = s->it[i].first;
    return t;
}

a_set *
a_key_set(kz_analytics *a, a_table *t, const char *key, size_t klen)
{
    a_set *s;

    if ((s = a_table_get(t, key, klen)) != NULL)
        return s;
    if ((s = a_set_new(&a->bud)) == NULL) {
        a->st.dropped_keys++; /* refused by tables.max_bytes */
        return NULL;
    }
    if (!a_table_put(t, key, klen, s)) {
        a_set_free(s);
        return NULL;
    }
    return s;
}
