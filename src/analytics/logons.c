/*
 * logons.c - the analytics keyed by who logs on where.
 *
 * kz_a_rdp_external_privilege (D1): a remote-interactive logon (4624 type
 * 10, RCM 1149, LSM 21/22/25) from an address that is not internal, then,
 * for the same account within rdp.window_minutes, special privileges
 * (4672) or a membership added to a group (4728/4732/4756). The MK System
 * intrusion: public RemoteApp RDP at 01:12, admin at 01:42. Table: account
 * key -> the latest external session; SID -> account key, so a group add
 * naming the member by SID or by DN finds the session. One finding per
 * session (it is then forgotten).
 *
 * kz_a_fanout (D3): one account or one source address reaching at least
 * fanout.hosts distinct hosts (network or RDP logons 4624 type 3/10,
 * ADMIN$ or C$ share access 5140), or one service image path (7045/4697)
 * or scheduled-task command (4698) appearing on that many hosts, within
 * fanout.window_minutes. The MK System intrusion: every domain-joined
 * server reached before encryption at 03:14. Table: "kind|value" -> a
 * sliding set of host keys. One finding per burst: the key must go quiet
 * for a window before it can fire again.
 *
 * Reference: docs/analytics.md (D1, D3).
 */
#include "analytics/analytics_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"

typedef struct rdp_sess {
    kz_time time; /* the logon */
    a_ref ref;
    uint32_t event_id; /* 4624, 1149, 21... */
    char addr[64];
    char host[256];
    char user[256]; /* as logged (DOMAIN\user when known) */
} rdp_sess;

/* Copies v to buf (cut), NUL-terminated. */
static void
copy(char *buf, size_t cap, const kz_str *v)
{
    size_t n = v->len < cap - 1 ? v->len : cap - 1;

    if (v->p != NULL) {
        memcpy(buf, v->p, n);
        if (n < v->len)
            n = a_utf8_cut(buf, n); /* a whole last character */
    } else {
        n = 0;
    }
    buf[n] = '\0';
}

/* Account key of f's user slot into a->k1; false if none. */
static bool
account(kz_analytics *a, const kz_fact *f)
{
    kz_strbuf_reset(&a->k1);
    if (a_empty(&f->v[KZ_FS_USER]) ||
        kz_a_account_key(&a->k1, f->v[KZ_FS_USER].p, f->v[KZ_FS_USER].len) !=
            KZ_OK ||
        a->k1.len == 0)
        return false;
    /* Machine accounts and well-known service logons are not RDP users. */
    if (a->k1.data[a->k1.len - 1] == '$')
        return false;
    return true;
}

static kz_status
session(kz_analytics *a, const kz_fact *f)
{
    const kz_str *addr = &f->v[KZ_FS_ADDR];
    rdp_sess *s;
    size_t n;

    if (f->kind == KZ_FACT_LOGON && !a_ieq(f->v[KZ_FS_LOGON_TYPE], "10"))
        return KZ_OK;
    if (a_addr_class(a, addr) != KZ_ADDR_EXTERNAL)
        return KZ_OK;
    if (!account(a, f))
        return KZ_OK;
    a_saw_rdp(a, f);
    if ((s = a_table_get(&a->rdp, a->k1.data, a->k1.len)) == NULL) {
        if ((s = calloc(1, sizeof(*s))) == NULL)
            return KZ_ENOMEM;
        if (!a_table_put_sized(&a->rdp, a->k1.data, a->k1.len, s, sizeof(*s))) {
            free(s);
            return KZ_OK;
        }
    }
    s->time = f->ref.time;
    a_ref_of(a, f, &s->ref);
    s->event_id = f->ref.event_id;
    copy(s->addr, sizeof(s->addr), addr);
    copy(s->host, sizeof(s->host),
         &(kz_str){f->ref.computer,
                   f->ref.computer != NULL ? strlen(f->ref.computer) : 0});
    if (!a_empty(&f->v[KZ_FS_DOMAIN]) && f->v[KZ_FS_DOMAIN].len < 128 &&
        f->v[KZ_FS_USER].len < 120) {
        memcpy(s->user, f->v[KZ_FS_DOMAIN].p, f->v[KZ_FS_DOMAIN].len);
        n = f->v[KZ_FS_DOMAIN].len;
        s->user[n++] = '\\';
        memcpy(s->user + n, f->v[KZ_FS_USER].p, f->v[KZ_FS_USER].len);
        s->user[n + f->v[KZ_FS_USER].len] = '\0';
    } else {
        copy(s->user, sizeof(s->user), &f->v[KZ_FS_USER]);
    }
    /* The SID links a later group add that names the member by SID. */
    if (!a_empty(&f->v[KZ_FS_SID]) && f->v[KZ_FS_SID].len < 200 &&
        a_table_get(&a->rdp_sid, f->v[KZ_FS_SID].p, f->v[KZ_FS_SID].len) ==
            NULL) {
        char *k = malloc(a->k1.len + 1);

        if (k == NULL)
            return KZ_ENOMEM;
        memcpy(k, a->k1.data, a->k1.len + 1);
        if (!a_table_put_sized(&a->rdp_sid, f->v[KZ_FS_SID].p,
                               f->v[KZ_FS_SID].len, k, a->k1.len + 1))
            free(k);
    }
    return KZ_OK;
}

static kz_status
privilege(kz_analytics *a, const kz_fact *f)
{
    rdp_sess *s = NULL;
    const char *key;
    a_ref refs[2];
    kz_status st;
    bool group = f->kind == KZ_FACT_GROUP_ADD, by_actor = false;

    if (account(a, f))
        s = a_table_get(&a->rdp, a->k1.data, a->k1.len);
    if (s == NULL && !a_empty(&f->v[KZ_FS_SID]) &&
        (key = a_table_get(&a->rdp_sid, f->v[KZ_FS_SID].p,
                           f->v[KZ_FS_SID].len)) != NULL) {
        kz_strbuf_reset(&a->k1);
        if ((st = kz_strbuf_adds(&a->k1, key)) != KZ_OK)
            return st;
        s = a_table_get(&a->rdp, a->k1.data, a->k1.len);
    }
    /* A group add made by the session's account (it created an admin,
     * as in the MK System intrusion) counts too. */
    if (s == NULL && group && !a_empty(&f->v[KZ_FS_ACTOR])) {
        kz_strbuf_reset(&a->k1);
        if ((st = kz_a_account_key(&a->k1, f->v[KZ_FS_ACTOR].p,
                                   f->v[KZ_FS_ACTOR].len)) != KZ_OK)
            return st;
        if (a->k1.len > 0) {
            s = a_table_get(&a->rdp, a->k1.data, a->k1.len);
            by_actor = s != NULL;
        }
    }
    if (s == NULL)
        return KZ_OK;
    if (f->ref.time - s->time > a_minutes(a, KZ_AK_RDP_WINDOW)) {
        a_table_del(&a->rdp, a->k1.data, a->k1.len);
        return KZ_OK;
    }
    refs[0] = s->ref;
    a_ref_of(a, f, &refs[1]);
    a_begin(a);
    if ((st = a_pair(a, "Account", "%s", s->user)) != KZ_OK ||
        (st = a_pair(a, "SourceAddress", "%s", s->addr)) != KZ_OK ||
        (st = a_pair(a, "RdpHost", "%s", s->host)) != KZ_OK ||
        (st = a_pair(a, "RdpEvent", "%u", s->event_id)) != KZ_OK ||
        (st = a_pair(a, "Privilege", "%s",
                     by_actor ? "added another account to a group"
                     : group  ? "added to a group"
                              : "special privileges (4672)")) != KZ_OK ||
        (group && (st = a_pair_str(a, "Group", f->v[KZ_FS_GROUP].p,
                                   f->v[KZ_FS_GROUP].len)) != KZ_OK) ||
        (by_actor && (st = a_pair_str(a, "Member", f->v[KZ_FS_USER].p,
                                      f->v[KZ_FS_USER].len)) != KZ_OK) ||
        (st = a_pair(a, "PrivilegeHost", "%s",
                     f->ref.computer != NULL ? f->ref.computer : "")) !=
            KZ_OK ||
        (st = a_pair(a, "MinutesAfterLogon", "%lld",
                     (long long)((f->ref.time - s->time) /
                                 (60 * KZ_TICKS_PER_SEC)))) != KZ_OK ||
        (st = a_pair_time(a, "WindowStart", s->time)) != KZ_OK ||
        (st = a_pair_time(a, "WindowEnd", f->ref.time)) != KZ_OK)
        return st;
    a_end_details(a);
    if ((st = a_pair_refs(a, refs, 2, 2, &f->ref)) != KZ_OK ||
        (st = a_emit(a, KZ_A_RDP, &f->ref)) != KZ_OK)
        return st;
    a_table_del(&a->rdp, a->k1.data, a->k1.len);
    return KZ_OK;
}

kz_status
a_rdp_fact(kz_analytics *a, const kz_fact *f)
{
    switch (f->kind) {
    case KZ_FACT_LOGON:
    case KZ_FACT_RDP:
        return session(a, f);
    case KZ_FACT_PRIV:
    case KZ_FACT_GROUP_ADD:
        return privilege(a, f);
    default:
        return KZ_OK;
    }
}

static const char *const kind_names[] = {
    "account",
    "source address",
    "service image path",
    "scheduled task command",
};

static bool
idle(void *ctx, const char *key, void *value)
{
    kz_analytics *a = ctx;
    a_set *s = value;

    (void)key;
    a_set_expire(s, a->now, a_minutes(a, KZ_AK_FANOUT_WINDOW));
    return s->n == 0;
}

/* Appends lower-cased v to b. */
static kz_status
add_lower(kz_strbuf *b, kz_str v)
{
    size_t i;
    kz_status st;

    for (i = 0; i < v.len; i++)
        if ((st = kz_strbuf_addc(
                 b, (char)kz_ascii_lower((unsigned char)v.p[i]))) != KZ_OK)
            return st;
    return KZ_OK;
}

/* The text between <tag> and </tag> in xml, or an empty view. */
static kz_str
xml_text(kz_str xml, const char *tag)
{
    char open[32], close[32];
    size_t i, no, nc;
    kz_str r = {NULL, 0};

    no = (size_t)snprintf(open, sizeof(open), "<%s>", tag);
    nc = (size_t)snprintf(close, sizeof(close), "</%s>", tag);
    for (i = 0; i + no <= xml.len; i++)
        if (memcmp(xml.p + i, open, no) == 0) {
            r.p = xml.p + i + no;
            break;
        }
    if (r.p == NULL)
        return r;
    for (i = (size_t)(r.p - xml.p); i + nc <= xml.len; i++)
        if (memcmp(xml.p + i, close, nc) == 0) {
            r.len = (size_t)(xml.p + i - r.p);
            return r;
        }
    return (kz_str){NULL, 0};
}

/* One (kind, value) key reaches the fact's host. */
static kz_status
reach(kz_analytics *a, const kz_fact *f, int kind, kz_str v1, kz_str v2)
{
    kz_time w = a_minutes(a, KZ_AK_FANOUT_WINDOW);
    a_set *s;
    a_ref ref;
    kz_status st;

    kz_strbuf_reset(&a->k1);
    if ((st = kz_strbuf_addc(&a->k1, (char)('0' + kind))) != KZ_OK ||
        (st = kz_strbuf_addc(&a->k1, '|')) != KZ_OK)
        return st;
    if (kind == 0)
        st = kz_a_account_key(&a->k1, v1.p, v1.len);
    else
        st = add_lower(&a->k1, v1);
    if (st == KZ_OK && v2.len > 0 &&
        (st = kz_strbuf_addc(&a->k1, ' ')) == KZ_OK)
        st = add_lower(&a->k1, v2);
    if (st != KZ_OK)
        return st;
    if (a->k1.len <= 2 || a->k1.len > 4096)
        return KZ_OK;
    kz_strbuf_reset(&a->k2);
    if ((st = kz_a_host_key(&a->k2, f->ref.computer,
                            f->ref.computer ? strlen(f->ref.computer) : 0)) !=
        KZ_OK)
        return st;
    if (a->k2.len == 0)
        return KZ_OK;
    if ((s = a_key_set(a, &a->fan, a->k1.data, a->k1.len)) == NULL)
        return KZ_OK; /* refused by a bound: counted */
    a_set_expire(s, f->ref.time, w);
    a_ref_of(a, f, &ref);
    if (!a_set_add(s, a->k2.data, a->k2.len, f->ref.time, &ref,
                   &a->st.dropped_items))
        return KZ_ENOMEM;
    if (s->fired || s->n < (size_t)a->cfg.v[KZ_AK_FANOUT_HOSTS])
        return KZ_OK;
    s->fired = true;
    a_begin(a);
    if ((st = a_pair(a, "Via", "%s", kind_names[kind])) != KZ_OK ||
        (st = a_pair_str(a,
                         kind == 0   ? "Account"
                         : kind == 1 ? "SourceAddress"
                         : kind == 2 ? "ImagePath"
                                     : "Command",
                         a->k1.data + 2, a->k1.len - 2)) != KZ_OK ||
        (st = a_pair(a, "Hosts", "%zu", s->n)) != KZ_OK ||
        (st = a_pair_set_values(a, "HostList", s)) != KZ_OK ||
        (st = a_pair_time(a, "WindowStart", a_set_first(s))) != KZ_OK ||
        (st = a_pair_time(a, "WindowEnd", f->ref.time)) != KZ_OK)
        return st;
    a_end_details(a);
    if ((st = a_pair_set_refs(a, s, &f->ref)) != KZ_OK)
        return st;
    return a_emit(a, KZ_A_FANOUT, &f->ref);
}

bool
a_machine_or_anonymous(kz_str u)
{
    return a_empty(&u) || u.p[u.len - 1] == '$' ||
           a_ieq(u, "ANONYMOUS LOGON") || a_ieq(u, "SYSTEM") ||
           a_ieq(u, "LOCAL SERVICE") || a_ieq(u, "NETWORK SERVICE");
}

bool
a_usable_source(kz_str addr)
{
    if (kz_addr_classify(addr.p, addr.len) == KZ_ADDR_UNKNOWN)
        return false;
    /* Loopback is every host's own address. */
    return !(addr.len >= 4 && memcmp(addr.p, "127.", 4) == 0) &&
           !a_ieq(addr, "::1");
}

kz_status
a_fanout_fact(kz_analytics *a, const kz_fact *f)
{
    kz_str none = {NULL, 0}, share;
    kz_status st = KZ_OK;

    if (a->fan_sweep == KZ_TIME_NONE ||
        a->now - a->fan_sweep > a_minutes(a, KZ_AK_FANOUT_WINDOW)) {
        a_table_sweep(&a->fan, idle, a);
        a->fan_sweep = a->now;
    }
    switch (f->kind) {
    case KZ_FACT_LOGON:
        if (!a_ieq(f->v[KZ_FS_LOGON_TYPE], "3") &&
            !a_ieq(f->v[KZ_FS_LOGON_TYPE], "10"))
            return KZ_OK;
        if (!a_machine_or_anonymous(f->v[KZ_FS_USER]))
            st = reach(a, f, 0, f->v[KZ_FS_USER], none);
        if (st == KZ_OK && a_usable_source(f->v[KZ_FS_ADDR]))
            st = reach(a, f, 1, f->v[KZ_FS_ADDR], none);
        return st;
    case KZ_FACT_SHARE:
        share = f->v[KZ_FS_SHARE];
        if (!a_iends(share, "\\admin$") && !a_iends(share, "\\c$") &&
            !a_ieq(share, "admin$") && !a_ieq(share, "c$"))
            return KZ_OK;
        if (!a_machine_or_anonymous(f->v[KZ_FS_USER]))
            st = reach(a, f, 0, f->v[KZ_FS_USER], none);
        if (st == KZ_OK && a_usable_source(f->v[KZ_FS_ADDR]))
            st = reach(a, f, 1, f->v[KZ_FS_ADDR], none);
        return st;
    case KZ_FACT_SERVICE:
        if (a_empty(&f->v[KZ_FS_PATH]))
            return KZ_OK;
        return reach(a, f, 2, f->v[KZ_FS_PATH], none);
    case KZ_FACT_TASK: {
        kz_str cmd = xml_text(f->v[KZ_FS_PATH], "Command");
        kz_str args = xml_text(f->v[KZ_FS_PATH], "Arguments");

        if (cmd.len == 0)
            return KZ_OK;
        return reach(a, f, 3, cmd, args);
    }
    default:
        return KZ_OK;
    }
}
