/*
 * eval.c - the per-thread matcher: dispatch of one event to its bucket,
 * lazy rendering of the fields candidate rules read, Vectorscan scans
 * that set predicate bits and queue targets, and evaluation of the
 * queued and always-evaluated targets in rule order.
 * See docs/internals/match.md.
 */
#include "match/match.h"

#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "base/hash.h"
#include "base/utf.h"
#include "match/match_int.h"

#define EPOCH_MAX 0x7fffffffu

kz_matcher *
kz_matcher_new(const kz_ruleset *rs)
{
    kz_matcher *m = calloc(1, sizeof(*m));
    size_t np = rs->npreds ? rs->npreds : 1;
    size_t nt = rs->ntargets ? rs->ntargets : 1, i;

    if (m == NULL)
        return NULL;
    m->rs = rs;
    m->last_chan = UINT32_MAX;
    kz_strbuf_init(&m->buf, 0);
    kz_strbuf_init(&m->tmp, 0);
    kz_strbuf_init(&m->refb, 0);
    kz_strbuf_init(&m->fold, 0);
    kz_strbuf_init(&m->join, 0);
    m->pst = calloc(np, sizeof(*m->pst));
    m->patst = calloc(rs->npat ? rs->npat : 1, sizeof(*m->patst));
    m->tst = calloc(nt, sizeof(*m->tst));
    m->trig = malloc(nt * sizeof(*m->trig));
    m->head_st = calloc(rs->nslots + 1, sizeof(*m->head_st));
    m->head = calloc(rs->nslots + 1, sizeof(*m->head));
    m->scan_st = calloc(rs->nslots + 1, sizeof(*m->scan_st));
    m->plive = calloc(rs->nptabs ? rs->nptabs : 1, sizeof(*m->plive));
    if (m->plive != NULL)
        for (i = 0; i < rs->nptabs; i++)
            memcpy(m->plive[i].bits, rs->ptabs[i].bits,
                   sizeof(m->plive[i].bits));
    m->md = pcre2_match_data_create(1, NULL);
    m->mctx = pcre2_match_context_copy(rs->mctx);
    m->jit = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
    if (m->pst == NULL || m->patst == NULL || m->tst == NULL || m->trig == NULL ||
        m->head_st == NULL || m->head == NULL || m->scan_st == NULL || m->md == NULL ||
        m->mctx == NULL || m->jit == NULL || m->plive == NULL) {
        kz_matcher_free(m);
        return NULL;
    }
    pcre2_jit_stack_assign(m->mctx, NULL, m->jit);
    if (rs->proto != NULL &&
        hs_clone_scratch(rs->proto, &m->scratch) != HS_SUCCESS) {
        kz_matcher_free(m);
        return NULL;
    }
    return m;
}

void
kz_matcher_free(kz_matcher *m)
{
    if (m == NULL)
        return;
    if (m->scratch != NULL)
        hs_free_scratch(m->scratch);
    pcre2_match_data_free(m->md);
    pcre2_match_context_free(m->mctx);
    pcre2_jit_stack_free(m->jit);
    free(m->pst);
    free(m->patst);
    free(m->tst);
    free(m->trig);
    free(m->head_st);
    free(m->head);
    free(m->scan_st);
    free(m->next);
    free(m->fslot);
    free(m->rc);
    free(m->plive);
    kz_strbuf_fini(&m->buf);
    kz_strbuf_fini(&m->tmp);
    kz_strbuf_fini(&m->refb);
    kz_strbuf_fini(&m->fold);
    kz_strbuf_fini(&m->join);
    free(m);
}

void
kz_matcher_stats_add(const kz_matcher *m, kz_matcher_stats *st)
{
    st->events += m->stats.events;
    st->dispatched += m->stats.dispatched;
    st->candidates += m->stats.candidates;
    st->renders += m->stats.renders;
    st->hits += m->stats.hits;
    st->regex_limits += m->stats.regex_limits;
}

static void
problem(kz_matcher *m, uint32_t rule, kz_match_problem p)
{
    if (p == KZ_MP_REGEX_LIMIT)
        m->stats.regex_limits++;
    if (m->cb->on_problem != NULL)
        m->cb->on_problem(m->cb->ctx, m->ev, rule, p);
}

/* Starts a new event: a fresh epoch invalidates every stamp at once. */
static void
next_epoch(kz_matcher *m)
{
    const kz_ruleset *rs = m->rs;
    size_t i;

    if (++m->epoch >= EPOCH_MAX) {
        memset(m->pst, 0, (rs->npreds ? rs->npreds : 1) * sizeof(*m->pst));
        memset(m->patst, 0, (rs->npat ? rs->npat : 1) * sizeof(*m->patst));
        memset(m->tst, 0, (rs->ntargets ? rs->ntargets : 1) *
                              sizeof(*m->tst));
        memset(m->head_st, 0, (rs->nslots + 1) * sizeof(*m->head_st));
        memset(m->scan_st, 0, (rs->nslots + 1) * sizeof(*m->scan_st));
        if (m->rc != NULL)
            memset(m->rc, 0, m->fcap * sizeof(*m->rc));
        memset(m->sys, 0, sizeof(m->sys));
        for (i = 0; i < rs->nptabs; i++) { /* stale epochs: restore all */
            memcpy(m->plive[i].bits, rs->ptabs[i].bits,
                   sizeof(m->plive[i].bits));
            memset(m->plive[i].isdirty, 0, sizeof(m->plive[i].isdirty));
            m->plive[i].ndirty = 0;
            m->plive[i].epoch = 0;
        }
        m->epoch = 1;
    }
}

/* Links the event's data fields by slot (document order); false on OOM. */
static bool
index_fields(kz_matcher *m)
{
    const kz_ruleset *rs = m->rs;
    const kz_event *ev = m->ev;
    size_t i, n = ev->nfields;

    if (m->indexed)
        return true;
    if (n > m->fcap) {
        size_t cap = m->fcap ? m->fcap : 64;
        int32_t *nx, *fs;
        mt_rc *rc;

        while (cap < n)
            cap *= 2;
        nx = realloc(m->next, cap * sizeof(*nx));
        if (nx != NULL)
            m->next = nx;
        fs = realloc(m->fslot, cap * sizeof(*fs));
        if (fs != NULL)
            m->fslot = fs;
        rc = realloc(m->rc, cap * sizeof(*rc));
        if (rc != NULL)
            m->rc = rc;
        if (nx == NULL || fs == NULL || rc == NULL)
            return false;
        memset(m->rc + m->fcap, 0, (cap - m->fcap) * sizeof(*rc));
        m->fcap = cap;
    }
    for (i = n; i-- > 0;) {
        int32_t id = ev->fields[i].id, s = -1;

        if (id >= 0 && (size_t)id < rs->nids)
            s = rs->slot_of_id[id];
        m->fslot[i] = s;
        if (s < 0)
            continue;
        m->next[i] = m->head_st[s] == m->epoch ? m->head[s] : -1;
        m->head[s] = (int32_t)i;
        m->head_st[s] = m->epoch;
    }
    m->indexed = true;
    return true;
}

/* Makes buf[off..] valid UTF-8 and at most max_value bytes (valid: the
 * renderer guarantees it is valid UTF-8 already). Returns whether the
 * text was left as rendered (neither cut nor repaired). */
static bool
finish_text(kz_matcher *m, size_t off, bool valid)
{
    size_t len = m->buf.len - off, max = m->rs->o.max_value;
    bool exact = true;

    if (len > max) {
        size_t cut = max;

        while (cut > 0 && ((unsigned char)m->buf.data[off + cut] & 0xC0) ==
                              0x80)
            cut--;
        m->buf.len = off + cut;
        m->buf.data[m->buf.len] = '\0';
        len = cut;
        exact = false;
        problem(m, UINT32_MAX, KZ_MP_VALUE_CUT);
    }
    if (!valid && !kz_utf8_valid(m->buf.data + off, len)) {
        exact = false;
        kz_strbuf_reset(&m->tmp);
        if (kz_utf8_repair(&m->tmp, m->buf.data + off, len) == KZ_OK) {
            m->buf.len = off;
            if (kz_strbuf_add(&m->buf, m->tmp.data, m->tmp.len) != KZ_OK)
                m->buf.len = off;
            if (m->buf.data != NULL)
                m->buf.data[m->buf.len] = '\0';
        }
    }
    return exact;
}

/* Records in rc the value just rendered at buf[off..] (made valid and
 * cut by finish_text; valid: known valid UTF-8), or, when !rendered, an
 * absent value (buf rolled back to off). Returns whether rc now holds
 * text. */
static bool
keep_text(kz_matcher *m, mt_rc *rc, size_t off, bool rendered, bool valid)
{
    bool exact;

    rc->stamp = m->epoch;
    rc->ok = 0;
    rc->exact = 0;
    if (!rendered) {
        m->buf.len = off;
        if (m->buf.data != NULL)
            m->buf.data[off] = '\0';
        return false;
    }
    exact = finish_text(m, off, valid);
    if (m->buf.len - off > UINT32_MAX || off > UINT32_MAX)
        return false;
    rc->off = (uint32_t)off;
    rc->len = (uint32_t)(m->buf.len - off);
    rc->ok = 1;
    rc->exact = exact;
    return true;
}

/* The text cached in rc for this event; false if absent. */
static bool
cached_text(const kz_matcher *m, const mt_rc *rc, const char **p, size_t *n)
{
    if (!rc->ok)
        return false;
    *p = m->buf.data ? m->buf.data + rc->off : "";
    *n = rc->len;
    return true;
}

/* Appends UTF-16LE string value v to m->buf as kz_value_render would
 * when all its units are in U+0001..U+007F once trailing NUL units are
 * dropped (their low bytes are its text) and it has at most ASCII16_MAX
 * of them; false, with m->buf unchanged, for any other value. Most
 * values rules read are short ASCII strings: this skips the renderer's
 * layers for them. */
#define ASCII16_MAX 4096

static bool
ascii16(kz_matcher *m, const kz_value *v)
{
    const uint8_t *p = v->data;
    size_t n = v->len, units;

    while (n >= 2 && p[n - 1] == 0 && p[n - 2] == 0)
        n -= 2;
    units = n / 2;
    if (units > ASCII16_MAX ||
        kz_strbuf_reserve(&m->buf, units + 1) != KZ_OK)
        return false;
    if (!kz_utf16le_ascii_pack(p, units, m->buf.data + m->buf.len))
        return false;
    m->buf.len += units;
    m->buf.data[m->buf.len] = '\0';
    return true;
}

/* Text of data field i; false if null or unrenderable. */
static bool
field_text(kz_matcher *m, size_t i, const char **p, size_t *n)
{
    mt_rc *rc = &m->rc[i];
    const kz_value *v = &m->ev->fields[i].value;

    if (rc->stamp != m->epoch) {
        size_t off = m->buf.len;
        kz_status st;
        bool valid = false;

        if (v->type == KZ_VT_NULL) {
            rc->stamp = m->epoch;
            rc->ok = 0;
            return false;
        }
        m->stats.renders++;
        if (v->type == KZ_VT_STRING && ascii16(m, v)) {
            keep_text(m, rc, off, true, true);
            return cached_text(m, rc, p, n);
        }
        st = kz_value_render_checked(v, &m->rs->o.render, &m->buf, &valid);
        keep_text(m, rc, off, st == KZ_OK, valid);
        if (st != KZ_OK)
            problem(m, UINT32_MAX, KZ_MP_BAD_VALUE);
    }
    return cached_text(m, rc, p, n);
}

/* Appends the text of system field s; false when absent. */
static bool
sys_render(const kz_event *ev, int s, kz_strbuf *b)
{
    const kz_str *str = NULL;
    uint32_t f = ev->flags;

    switch (s) {
    case SYS_EVENTID:
        return (f & KZ_EV_HAS_EVENT_ID) &&
               kz_strbuf_add_u64(b, ev->event_id) == KZ_OK;
    case SYS_CHANNEL: str = &ev->channel; break;
    case SYS_COMPUTER: str = &ev->computer; break;
    case SYS_PROVIDER: str = &ev->provider; break;
    case SYS_PROVIDER_GUID: str = &ev->provider_guid; break;
    case SYS_USERID: str = &ev->user_sid; break;
    case SYS_EVENTSOURCE: str = &ev->event_source; break;
    case SYS_RECORDID:
        return (f & KZ_EV_HAS_RECORD_ID) &&
               kz_strbuf_add_u64(b, ev->record_id) == KZ_OK;
    case SYS_LEVEL:
        return (f & KZ_EV_HAS_LEVEL) &&
               kz_strbuf_add_u64(b, ev->level) == KZ_OK;
    case SYS_TASK:
        return (f & KZ_EV_HAS_TASK) &&
               kz_strbuf_add_u64(b, ev->task) == KZ_OK;
    case SYS_OPCODE:
        return (f & KZ_EV_HAS_OPCODE) &&
               kz_strbuf_add_u64(b, ev->opcode) == KZ_OK;
    case SYS_VERSION:
        return (f & KZ_EV_HAS_VERSION) &&
               kz_strbuf_add_u64(b, ev->version) == KZ_OK;
    case SYS_KEYWORDS:
        return (f & KZ_EV_HAS_KEYWORDS) &&
               kz_strbuf_addf(b, "0x%llx",
                              (unsigned long long)ev->keywords) == KZ_OK;
    case SYS_PROCESSID:
        return (f & KZ_EV_HAS_EXECUTION) &&
               kz_strbuf_add_u64(b, ev->process_id) == KZ_OK;
    case SYS_THREADID:
        return (f & KZ_EV_HAS_EXECUTION) &&
               kz_strbuf_add_u64(b, ev->thread_id) == KZ_OK;
    case SYS_TIMECREATED:
        return ev->time != KZ_TIME_NONE &&
               kz_time_format_xml(b, ev->time) == KZ_OK;
    default:
        return false;
    }
    return str->len != 0 && kz_strbuf_add(b, str->p, str->len) == KZ_OK;
}

/* Text of system field s; false when absent. */
static bool
sys_text(kz_matcher *m, int s, const char **p, size_t *n)
{
    mt_rc *rc = &m->sys[s];

    if (rc->stamp != m->epoch) {
        size_t off = m->buf.len;

        keep_text(m, rc, off, sys_render(m->ev, s, &m->buf), false);
    }
    return cached_text(m, rc, p, n);
}

/* First data field of slot, or -1. */
static int32_t
first_field(const kz_matcher *m, uint32_t slot)
{
    return m->head_st[slot] == m->epoch ? m->head[slot] : -1;
}

/* A test of one value. */
typedef bool (*value_fn)(kz_matcher *m, const mt_pred *p, const char *s,
                         size_t n);

/* Calls fn on every non-null value of slot (all data fields for the
 * keyword slot) until it returns true, which is returned. *present and
 * *has_null (may be NULL) tell whether the field exists / holds a null. */
static bool
each_value(kz_matcher *m, uint32_t slot, const mt_pred *p, value_fn fn,
           bool *present, bool *has_null)
{
    const kz_event *ev = m->ev;
    const char *s;
    size_t n;
    int32_t i;
    bool pres = false, nul = false, r = false;

    if (slot == MT_SLOT_KEYWORD) {
        size_t k;

        for (k = 0; k < ev->nfields && !r; k++) {
            pres = true;
            if (field_text(m, k, &s, &n))
                r = fn(m, p, s, n);
        }
    } else {
        for (i = first_field(m, slot); i >= 0 && !r; i = m->next[i]) {
            pres = true;
            if (ev->fields[i].value.type == KZ_VT_NULL)
                nul = true;
            else if (field_text(m, (size_t)i, &s, &n))
                r = fn(m, p, s, n);
        }
        if (!pres && m->rs->slots[slot].sys >= 0 &&
            sys_text(m, m->rs->slots[slot].sys, &s, &n)) {
            pres = true;
            r = fn(m, p, s, n);
        }
    }
    if (present != NULL)
        *present = pres;
    if (has_null != NULL)
        *has_null = nul;
    return r;
}

/* Vectorscan report of pattern id: sets the bits of its predicates and
 * queues their targets that are in the bucket. */
static int
on_scan(unsigned id, unsigned long long from, unsigned long long to,
        unsigned flags, void *ctx)
{
    kz_matcher *m = ctx;
    const kz_ruleset *rs = m->rs;
    const uint64_t *mem = m->bucket->member;
    uint32_t t, i, e, ep = m->epoch;

    (void)from;
    (void)to;
    (void)flags;
    if (m->patst[id] == ep)
        return 0;
    m->patst[id] = ep; /* the value of its predicates (pred_value) */
    if (!m->queue)
        return 0;
    for (i = rs->pat_trig0[id], e = rs->pat_trig0[id + 1]; i < e; i++) {
        t = rs->pat_trig[i];
        if ((mem[t / 64] >> (t % 64) & 1) && m->tst[t] != ep) {
            m->tst[t] = ep;
            m->trig[m->ntrig++] = t;
        }
    }
    return 0;
}

/* Literal database report: checks the anchors of the literal (its start
 * is to - length), then as on_scan. Anchored literals report every
 * occurrence. */
static int
on_lit(unsigned id, unsigned long long from, unsigned long long to,
       unsigned flags, void *ctx)
{
    kz_matcher *m = ctx;
    uint32_t a = m->rs->pat_lit[id];

    if (m->patst[id] == m->epoch)
        return 0;
    if ((a & MT_LIT_START) && to != (a >> 2))
        return 0;
    if ((a & MT_LIT_END) && to != m->scan_len)
        return 0;
    return on_scan(id, from, to, flags, ctx);
}

/* True if s[0..n) holds U+017F (C5 BF) or U+212A (E2 84 AA), the only
 * non-ASCII characters whose case partner is ASCII (`s`, `k`). */
static bool
has_fold(const char *s, size_t n)
{
    const char *p, *e = s + n;
    uint64_t w, hi = 0;
    size_t i = 0;

    /* the usual case, pure ASCII, eight bytes at a time */
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        hi |= w;
    }
    for (; i < n; i++)
        hi |= (unsigned char)s[i];
    if (!(hi & 0x8080808080808080ULL))
        return false;

    for (p = s; (p = memchr(p, 0xC5, (size_t)(e - p))) != NULL; p++)
        if (e - p >= 2 && (unsigned char)p[1] == 0xBF)
            return true;
    for (p = s; (p = memchr(p, 0xE2, (size_t)(e - p))) != NULL; p++)
        if (e - p >= 3 && (unsigned char)p[1] == 0x84 &&
            (unsigned char)p[2] == 0xAA)
            return true;
    return false;
}

/* s[0..n) with U+017F as `s` and U+212A as `k` in m->fold, so that the
 * caseless ASCII literal database matches as Vectorscan's caseless UTF-8
 * regexes do; false on OOM. */
static bool
fold_value(kz_matcher *m, const char *s, size_t n)
{
    size_t i;
    kz_status st = KZ_OK;

    kz_strbuf_reset(&m->fold);
    for (i = 0; i < n && st == KZ_OK; i++) {
        const unsigned char *u = (const unsigned char *)s + i;

        if (u[0] == 0xC5 && i + 1 < n && u[1] == 0xBF) {
            st = kz_strbuf_addc(&m->fold, 's');
            i++;
        } else if (u[0] == 0xE2 && i + 2 < n && u[1] == 0x84 &&
                   u[2] == 0xAA) {
            st = kz_strbuf_addc(&m->fold, 'k');
            i += 2;
        } else {
            st = kz_strbuf_addc(&m->fold, (char)u[0]);
        }
    }
    return st == KZ_OK;
}

/* Reports the exact literals of slot equal (ASCII caseless) to
 * s[0..n), as the literal database would. */
static void
exact_lookup(kz_matcher *m, uint32_t slot, const char *s, size_t n)
{
    const kz_ruleset *rs = m->rs;
    size_t mask = rs->exact_cap - 1, h, i;
    uint64_t h64 = mt_exact_hash(slot, s, n);
    uint32_t fp = (uint32_t)(h64 >> 32);

    for (h = (size_t)h64 & mask; rs->exact[h].pat != 0; h = (h + 1) & mask) {
        const mt_exact *e = &rs->exact[h];
        const char *t;

        if (e->fp != fp || e->slot != slot || e->len != n)
            continue;
        t = rs->exact_text + e->off;
        for (i = 0; i < n; i++)
            if ((char)kz_ascii_lower((unsigned char)s[i]) != t[i])
                break;
        if (i == n)
            on_scan(e->pat - 1, 0, n, 0, m);
    }
}

/* Reports the short literals of group g found at position i of s[0..n)
 * (s[i] is the group's first byte, folded): its 1-byte literals, and its
 * 2-byte ones whose second byte is s[i + 1]. Returns how many reported
 * now. */
static uint32_t
short_hit(kz_matcher *m, const mt_sgroup *g, const unsigned char *s,
          size_t n, size_t i)
{
    const mt_short *e = m->rs->shorts + g->first, *end = e + g->count;
    uint32_t got = 0, ep = m->epoch;
    unsigned c2;

    for (; e < end && e->len == 1; e++)
        if (m->patst[e->pat] != ep) {
            on_scan(e->pat, 0, 0, 0, m);
            got++;
        }
    if (i + 1 >= n)
        return got;
    c2 = kz_ascii_lower(s[i + 1]);
    if (!(g->second[c2 / 64] >> (c2 % 64) & 1))
        return got; /* no 2-byte literal of the group goes on with it */
    for (; e < end && e->b[1] < c2; e++)
        ;
    for (; e < end && e->b[1] == c2; e++)
        if (m->patst[e->pat] != ep) {
            on_scan(e->pat, 0, 0, 0, m);
            got++;
        }
    return got;
}

/* Sets row b (both cases) of the working copy lv to the pairs of the
 * literals of group g that have not reported this event. */
static void
plive_refresh(kz_matcher *m, mt_plive *lv, const mt_sgroup *g)
{
    const mt_short *e = m->rs->shorts + g->first, *end = e + g->count;
    uint64_t row[4] = { 0 };
    unsigned b[2], k, c;

    b[0] = g->b0;
    b[1] = g->b0 >= 'a' && g->b0 <= 'z' ? g->b0 - 32u : g->b0;
    for (; e < end; e++) {
        if (m->patst[e->pat] == m->epoch)
            continue;
        if (e->len == 1) {
            memset(row, 0xff, sizeof(row));
            break;
        }
        c = e->b[1];
        row[c / 64] |= (uint64_t)1 << (c % 64);
        if (c >= 'a' && c <= 'z')
            row[(c - 32) / 64] |= (uint64_t)1 << ((c - 32) % 64);
    }
    for (k = 0; k < 2; k++) {
        memcpy(&lv->bits[4 * b[k]], row, sizeof(row));
        if (!(lv->isdirty[b[k] / 64] >> (b[k] % 64) & 1)) {
            lv->isdirty[b[k] / 64] |= (uint64_t)1 << (b[k] % 64);
            lv->dirty[lv->ndirty++] = (uint8_t)b[k];
        }
    }
}

/* Candidate at s[i] (group g, i + 1 < n or not) in the working copy lv:
 * reports, then drops what reported from lv. Once g's 1-byte literal has
 * reported (or without one), a hit reports exactly the 2-byte literals
 * of the pair s[i], s[i + 1]: only that pair's bits are cleared; the
 * row is recomputed otherwise. */
static void
pair_hit(kz_matcher *m, mt_plive *lv, const mt_sgroup *g,
         const unsigned char *s, size_t n, size_t i)
{
    unsigned rows[2], c, k, x;

    if (i + 1 >= n ||
        (g->one && m->patst[m->rs->shorts[g->first].pat] != m->epoch)) {
        short_hit(m, g, s, n, i);
        plive_refresh(m, lv, g);
        return;
    }
    short_hit(m, g, s, n, i);
    /* the row is already dirty: plive_refresh made it so (1-byte
     * literal) or it is the table's, whose bit is cleared now */
    c = kz_ascii_lower(s[i + 1]);
    rows[0] = g->b0;
    rows[1] = g->b0 >= 'a' && g->b0 <= 'z' ? g->b0 - 32u : g->b0;
    for (k = 0; k < 2; k++) {
        x = rows[k];
        lv->bits[4 * x + c / 64] &= ~((uint64_t)1 << (c % 64));
        if (c >= 'a' && c <= 'z')
            lv->bits[4 * x + (c - 32) / 64] &=
                ~((uint64_t)1 << ((c - 32) % 64));
        if (!(lv->isdirty[x / 64] >> (x % 64) & 1)) {
            lv->isdirty[x / 64] |= (uint64_t)1 << (x % 64);
            lv->dirty[lv->ndirty++] = (uint8_t)x;
        }
    }
}

/* Reports the unanchored short literals of a slot with pair table t
 * (working copy lv) in s[0..n): one pass testing each position's two
 * bytes (the last byte with a 0 after it) in lv, then the candidates
 * against the group of the first byte (short_hit), whose row then drops
 * the literals that reported. */
static void
pair_scan(kz_matcher *m, const mt_ptab *t, mt_plive *lv,
          const unsigned char *s, size_t n)
{
    const mt_sgroup *g = m->rs->sgroups;
    const uint64_t *bits = lv->bits;
    size_t i = 0;
    uint32_t k;
    unsigned w;

    if (lv->epoch != m->epoch) { /* a new event: every literal again */
        for (k = 0; k < lv->ndirty; k++)
            memcpy(&lv->bits[4 * lv->dirty[k]], &t->bits[4 * lv->dirty[k]],
                   4 * sizeof(uint64_t));
        memset(lv->isdirty, 0, sizeof(lv->isdirty));
        lv->ndirty = 0;
        lv->epoch = m->epoch;
    }
    if (n == 0)
        return;
    for (; i + 1 < n; i++) {
        w = (unsigned)s[i] << 8 | s[i + 1];
        if (bits[w >> 6] >> (w & 63) & 1)
            pair_hit(m, lv, &g[t->grp[s[i]] - 1], s, n, i);
    }
    w = (unsigned)s[i] << 8;
    if (bits[w >> 6] >> (w & 63) & 1)
        pair_hit(m, lv, &g[t->grp[s[i]] - 1], s, n, i);
}

/* Reports the short literals of the current slot in s[0..n): anchored
 * ones compared in place, unanchored ones searched one first byte at a
 * time (16 bytes per step with SSE2), a group dropped once all of its
 * literals have reported, or with the slot's pair table. Same reports as
 * the literal database gave them (on_lit: anchors checked, one report is
 * enough). */
static void
short_scan(kz_matcher *m, const char *str, size_t n)
{
    const kz_ruleset *rs = m->rs;
    const mt_slot *sl = &rs->slots[m->cur_slot];
    const unsigned char *s = (const unsigned char *)str;
    const mt_short *e = rs->shorts + sl->short0, *end = e + sl->nshort;
    const mt_sgroup *g = rs->sgroups + sl->sg0, *gend = g + sl->nsg;
    uint32_t ep = m->epoch;
    size_t i;
#ifdef __SSE2__
    /* 16-byte steps at i while s[i + 16] is in the value (a step also
     * reads the byte after each position), then the rest, 1 to 16 bytes,
     * from a zero-padded copy; candidates are checked by short_hit. */
    size_t full = n >= 17 ? ((n - 17) / 16 + 1) * 16 : 0;
    unsigned char tail[32] = { 0 };
    unsigned tmask = (1u << (n - full)) - 1; /* its valid positions */

    memcpy(tail, s + full, n - full);
#endif

    for (; e < end && e->anc != 0; e++) {
        const unsigned char *at;

        if (m->patst[e->pat] == ep || n < e->len)
            continue;
        at = (e->anc & MT_LIT_START) ? s : s + n - e->len;
        if (e->anc == (MT_LIT_START | MT_LIT_END) && n != e->len)
            continue;
        if (kz_ascii_lower(at[0]) == e->b[0] &&
            (e->len == 1 || kz_ascii_lower(at[1]) == e->b[1]))
            on_scan(e->pat, 0, 0, 0, m);
    }
    if (sl->ptab != 0) {
        pair_scan(m, &rs->ptabs[sl->ptab - 1], &m->plive[sl->ptab - 1], s,
                  n);
        return;
    }
    for (; g < gend; g++) {
        /* reported ones are counted as they report (a literal reported
         * by an earlier value of the slot only delays the early stop) */
        uint32_t left = g->count;
        bool letter = g->b0 >= 'a' && g->b0 <= 'z';

        i = 0;
#ifdef __SSE2__
        {
            const __m128i want = _mm_set1_epi8((char)g->b0);
            const __m128i low = _mm_set1_epi8(letter ? 0x20 : 0);
            /* a group of one second byte compares it too */
            int b1 = g->b1 >= 0 ? g->b1 : 0;
            const __m128i want1 = _mm_set1_epi8((char)b1);
            const __m128i low1 = _mm_set1_epi8(
                b1 >= 'a' && b1 <= 'z' ? 0x20 : 0);
            const __m128i any = _mm_set1_epi8(g->b1 >= 0 ? 0 : -1);

            for (; left != 0 && i <= full; i += 16) {
                const unsigned char *at = i < full ? s + i : tail;
                __m128i v = _mm_loadu_si128((const __m128i *)at);
                __m128i v1 = _mm_loadu_si128((const __m128i *)(at + 1));
                unsigned mask = (unsigned)_mm_movemask_epi8(_mm_and_si128(
                    _mm_cmpeq_epi8(_mm_or_si128(v, low), want),
                    _mm_or_si128(any, _mm_cmpeq_epi8(
                                          _mm_or_si128(v1, low1), want1))));

                if (i == full)
                    mask &= tmask;
                while (mask != 0 && left != 0) {
                    left -= short_hit(m, g, s, n, i + (size_t)__builtin_ctz(
                                                          mask));
                    mask &= mask - 1;
                }
            }
            continue;
        }
#endif
        for (; left != 0 && i < n; i++)
            if ((letter ? (s[i] | 0x20) : s[i]) == g->b0)
                left -= short_hit(m, g, s, n, i);
    }
}

static bool
scan_value(kz_matcher *m, const mt_pred *p, const char *s, size_t n)
{
    uint32_t emax = m->rs->slots[m->cur_slot].exact_max;

    (void)p;
    if (m->cur_db != NULL &&
        hs_scan(m->cur_db, n ? s : "", (unsigned)n, 0, m->scratch, on_scan,
                m) != HS_SUCCESS)
        problem(m, UINT32_MAX, KZ_MP_BAD_VALUE);
    if (m->cur_ldb == NULL && m->rs->slots[m->cur_slot].nshort == 0 &&
        n / 3 > emax)
        return false; /* even folded (3 bytes -> 1), longer than any */
    if (n != 0 && has_fold(s, n)) {
        if (!fold_value(m, s, n)) {
            problem(m, UINT32_MAX, KZ_MP_BAD_VALUE);
            return false;
        }
        s = m->fold.data;
        n = m->fold.len;
    }
    if (n != 0 && n <= emax &&
        (m->rs->slots[m->cur_slot].exact_lens >> (n < 63 ? n : 63) & 1))
        exact_lookup(m, m->cur_slot, s, n);
    m->scan_len = n;
    if (m->rs->slots[m->cur_slot].nshort != 0)
        short_scan(m, s, n);
    if (m->cur_ldb != NULL &&
        hs_scan(m->cur_ldb, n ? s : "", (unsigned)n, 0, m->scratch, on_lit,
                m) != HS_SUCCESS)
        problem(m, UINT32_MAX, KZ_MP_BAD_VALUE);
    return false;
}

/* Appends value s[0..n) and a NUL to m->join (each_value callback);
 * on OOM the join is abandoned (join.len = SIZE_MAX). */
static bool
join_value(kz_matcher *m, const mt_pred *p, const char *s, size_t n)
{
    (void)p;
    if (kz_strbuf_add(&m->join, s, n) != KZ_OK ||
        kz_strbuf_addc(&m->join, '\0') != KZ_OK) {
        m->join.len = SIZE_MAX;
        return true; /* stop */
    }
    return false;
}

/* Scans slot once per event with its database. A joined slot (keywords:
 * every data field) is scanned in one call over its values, each
 * followed by a NUL: its literals hold no NUL, so every match lies
 * within one value, and none is anchored, so offsets do not matter. */
static void
scan_slot(kz_matcher *m, uint32_t slot)
{
    const mt_slot *sl = &m->rs->slots[slot];

    if (m->scan_st[slot] == m->epoch)
        return;
    m->scan_st[slot] = m->epoch;
    m->cur_slot = slot;
    m->cur_db = sl->db;
    m->cur_ldb = sl->ldb;
    if (sl->joined) {
        kz_strbuf_reset(&m->join);
        each_value(m, slot, NULL, join_value, NULL, NULL);
        if (m->join.len <= UINT32_MAX) { /* hs_scan takes an unsigned */
            if (m->join.len != 0)
                scan_value(m, NULL, m->join.data, m->join.len);
            return;
        }
        kz_strbuf_reset(&m->join); /* OOM or huge: value by value */
    }
    if (m->cur_db != NULL || m->cur_ldb != NULL || sl->exact_max != 0 ||
        sl->nshort != 0)
        each_value(m, slot, NULL, scan_value, NULL, NULL);
}

static bool
v_any(kz_matcher *m, const mt_pred *p, const char *s, size_t n)
{
    (void)m;
    (void)p;
    (void)s;
    (void)n;
    return true;
}

static bool
v_empty(kz_matcher *m, const mt_pred *p, const char *s, size_t n)
{
    (void)m;
    (void)p;
    (void)s;
    return n == 0;
}

/* True if s[0..n) contains t[0..len) (len >= 2): its first two bytes
 * searched 16 positions at a time with SSE2, then the rest compared. */
static bool
has_gate(const char *s, size_t n, const char *t, size_t len)
{
    size_t i = 0, k;

    if (n < len)
        return false;
#ifdef __SSE2__
    {
        const __m128i a = _mm_set1_epi8(t[0]), b = _mm_set1_epi8(t[1]);

        /* positions i..i+15, reading s[i .. i + 16]: all in the value */
        for (; i + 17 <= n; i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
            __m128i v1 = _mm_loadu_si128((const __m128i *)(s + i + 1));
            unsigned mask = (unsigned)_mm_movemask_epi8(_mm_and_si128(
                _mm_cmpeq_epi8(v, a), _mm_cmpeq_epi8(v1, b)));

            while (mask != 0) {
                k = i + (size_t)__builtin_ctz(mask);
                if (k + len <= n &&
                    memcmp(s + k + 2, t + 2, len - 2) == 0)
                    return true;
                mask &= mask - 1;
            }
        }
    }
#endif
    for (; i + len <= n; i++)
        if (s[i] == t[0] && s[i + 1] == t[1] &&
            memcmp(s + i + 2, t + 2, len - 2) == 0)
            return true;
    return false;
}

static bool
word_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
}

/* Rule regex p (gate g with a word start) on s[0..n): anchored at the
 * start of each run of word characters that g->wc follows
 * (mt_regex_word_start). After WS_MAX of them, p's own search from the
 * next start (no match starts before it): at most WS_MAX + 1 PCRE2
 * calls, each under the match limit, for a value. */
#define WS_MAX 16

static bool
word_starts(kz_matcher *m, const mt_pred *p, const mt_gate *g,
            const char *s, size_t n)
{
    const char *q = s, *e = s + n;
    size_t end, r, tries = 0;
    int rc;

    while (q < e && (q = memchr(q, g->wc, (size_t)(e - q))) != NULL) {
        end = (size_t)(q - s);
        for (r = end; r > 0 && word_char((unsigned char)s[r - 1]); r--)
            ;
        q++;
        if (r == end)
            continue;
        rc = pcre2_match(++tries > WS_MAX ? p->re : g->anch, (PCRE2_SPTR)s,
                         n, r, PCRE2_NO_UTF_CHECK, m->md, m->mctx);
        if (tries > WS_MAX && rc == PCRE2_ERROR_NOMATCH)
            return false;
        if (rc >= 0)
            return true;
        if (rc != PCRE2_ERROR_NOMATCH) {
            problem(m, m->rs->targets[p->target].rule, KZ_MP_REGEX_LIMIT);
            return false;
        }
    }
    return false;
}

static bool
v_pcre(kz_matcher *m, const mt_pred *p, const char *s, size_t n)
{
    int rc;

    if (p->gate != 0) {
        /* a value without the gate cannot match */
        const mt_gate *g = &m->rs->gates[p->gate - 1];
        const char *t = m->rs->gate_text + g->off;

        if (g->len != 0 && !has_gate(s, n, t, g->len))
            return false;
        if (g->anch != NULL)
            return word_starts(m, p, g, s, n);
    }
    /* JIT code straight away: pcre2_match's checks are done (the text
     * is valid UTF-8: rendered, repaired) */
    rc = p->jit ? pcre2_jit_match(p->re, (PCRE2_SPTR)(n ? s : ""), n, 0, 0,
                                  m->md, m->mctx)
                : pcre2_match(p->re, (PCRE2_SPTR)(n ? s : ""), n, 0,
                              PCRE2_NO_UTF_CHECK, m->md, m->mctx);
    if (rc >= 0)
        return true;
    if (rc != PCRE2_ERROR_NOMATCH)
        problem(m, m->rs->targets[p->target].rule, KZ_MP_REGEX_LIMIT);
    return false;
}

static bool
v_num(kz_matcher *m, const mt_pred *p, const char *s, size_t n)
{
    double x;

    (void)m;
    return mt_parse_number(s, n, &x) && mt_cmp(x, p->v->op, p->v->num);
}

static bool
v_cidr(kz_matcher *m, const mt_pred *p, const char *s, size_t n)
{
    int fam = 0;

    /* a field is tested against many networks: parse its text once */
    if (n == 0 || n >= sizeof(m->ip_text))
        return mt_cidr_match(p->v, s, n);
    if (m->ip_len != n || memcmp(m->ip_text, s, n) != 0) {
        if (!mt_ip_parse(s, n, m->ip_addr, &fam))
            fam = 0;
        memcpy(m->ip_text, s, n);
        m->ip_len = (uint8_t)n;
        m->ip_fam = (int8_t)fam;
    }
    return m->ip_fam != 0 && mt_cidr_in(p->v, m->ip_addr, m->ip_fam);
}

static bool
v_time(kz_matcher *m, const mt_pred *p, const char *s, size_t n)
{
    (void)m;
    return mt_timepart_match(p->v, s, n);
}

static bool
v_copy(kz_matcher *m, const mt_pred *p, const char *s, size_t n)
{
    (void)p;
    kz_strbuf_reset(&m->refb);
    return kz_strbuf_add(&m->refb, s, n) == KZ_OK;
}

static bool
v_ref(kz_matcher *m, const mt_pred *p, const char *s, size_t n)
{
    return mt_ref_match(s, n, m->refb.data ? m->refb.data : "",
                        m->refb.len, p->v->ref_mode,
                        (p->v->flags & KZ_SVF_CASED) != 0);
}

static bool
pred_compute(kz_matcher *m, const mt_pred *p)
{
    bool present, nul;

    switch (p->kind) {
    case MP_EXISTS:
        each_value(m, p->slot, p, v_any, &present, NULL);
        return present == p->v->exists;
    case MP_NULL:
        each_value(m, p->slot, p, v_any, &present, &nul);
        return !present || nul;
    case MP_ANY: return each_value(m, p->slot, p, v_any, NULL, NULL);
    case MP_EMPTY: return each_value(m, p->slot, p, v_empty, NULL, NULL);
    case MP_PCRE: return each_value(m, p->slot, p, v_pcre, NULL, NULL);
    case MP_NUM: return each_value(m, p->slot, p, v_num, NULL, NULL);
    case MP_CIDR: return each_value(m, p->slot, p, v_cidr, NULL, NULL);
    case MP_TIME: return each_value(m, p->slot, p, v_time, NULL, NULL);
    case MP_REF:
        /* both fields must exist; the first value of the other field */
        if (!each_value(m, p->ref, p, v_copy, NULL, NULL))
            return false;
        return each_value(m, p->slot, p, v_ref, NULL, NULL);
    default:
        return false;
    }
}

static bool
pred_value(kz_matcher *m, uint32_t i)
{
    uint32_t s;
    bool v;

    if (m->rs->preds[i].kind == MP_HS) {
        /* its pattern's report; a slot no trigger reads is scanned now,
         * without queueing */
        uint32_t slot = m->rs->preds[i].slot;

        if (m->patst[m->rs->preds[i].pat] == m->epoch)
            return true;
        if (m->scan_st[slot] == m->epoch)
            return false;
        m->queue = false;
        scan_slot(m, slot);
        return m->patst[m->rs->preds[i].pat] == m->epoch;
    }
    s = m->pst[i];
    if ((s >> 1) == m->epoch)
        return s & 1;
    if (m->rs->preds[i].kind == MP_FALSE)
        return false;
    if (m->rs->preds[i].pre != 0 &&
        m->scan_st[m->rs->preds[i].slot] == m->epoch &&
        m->patst[m->rs->preds[i].pre - 1] != m->epoch) {
        /* the slot was scanned and the regex's literal did not occur */
        m->pst[i] = m->epoch << 1;
        return false;
    }
    v = pred_compute(m, &m->rs->preds[i]);
    m->pst[i] = (m->epoch << 1) | (v ? 1u : 0u);
    return v;
}

/* Evaluates node n; depth is bounded at compile (MT_MAX_DEPTH levels of
 * condition plus item, group and value levels). */
static bool
eval(kz_matcher *m, uint32_t n)
{
    const kz_ruleset *rs = m->rs;
    const mt_node *nd = &rs->nodes[n];
    size_t i;

    switch (nd->op) {
    case N_PRED: return pred_value(m, nd->a);
    case N_TRUE: return true;
    case N_FALSE: return false;
    case N_NOT: return !eval(m, rs->kids[nd->a]);
    case N_AND:
        for (i = 0; i < nd->n; i++)
            if (!eval(m, rs->kids[nd->a + i]))
                return false;
        return true;
    default:
        for (i = 0; i < nd->n; i++)
            if (eval(m, rs->kids[nd->a + i]))
                return true;
        return false;
    }
}

static int
u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

static void
sort_trig(kz_matcher *m)
{
    size_t i, j;

    if (m->ntrig > 24) {
        qsort(m->trig, m->ntrig, sizeof(*m->trig), u32_cmp);
        return;
    }
    for (i = 1; i < m->ntrig; i++) {
        uint32_t x = m->trig[i];

        for (j = i; j > 0 && m->trig[j - 1] > x; j--)
            m->trig[j] = m->trig[j - 1];
        m->trig[j] = x;
    }
}

/* The bucket of ev, or NULL. */
static const mt_bucket *
find_bucket(kz_matcher *m, const kz_event *ev)
{
    const kz_ruleset *rs = m->rs;
    uint32_t ch = m->last_chan, b;
    const mt_chan *c;
    size_t i, n = ev->channel.len;

    /* consecutive events mostly share their channel: compare first */
    if (ch < rs->nchans && rs->chans[ch].len == n) {
        const char *a = rs->chans[ch].name, *e = ev->channel.p;

        for (i = 0; i < n; i++)
            if (a[i] != (char)kz_ascii_lower((unsigned char)e[i]))
                break;
        if (i != n)
            ch = UINT32_MAX;
    } else {
        ch = UINT32_MAX;
    }
    if (ch == UINT32_MAX)
        ch = mt_chan_find(rs, ev->channel.p, n);
    if (ch == UINT32_MAX)
        return NULL;
    m->last_chan = ch;
    c = &rs->chans[ch];
    b = c->any;
    if (ev->flags & KZ_EV_HAS_EVENT_ID) {
        size_t lo = 0, hi = c->neids;

        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;

            if (c->eids[mid].eid < ev->event_id)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < c->neids && c->eids[lo].eid == ev->event_id)
            b = c->eids[lo].bucket;
    }
    return b == UINT32_MAX ? NULL : &rs->buckets[b];
}

kz_status
kz_match_event(kz_matcher *m, const kz_event *ev, const kz_match_cb *cb)
{
    const kz_ruleset *rs = m->rs;
    const mt_bucket *b;
    size_t i, j;
    uint32_t last = UINT32_MAX, t;
    kz_status st;

    m->stats.events++;
    m->ev = NULL; /* kz_matcher_text: no cache until ev is set up */
    if ((b = find_bucket(m, ev)) == NULL || b->ntargets == 0)
        return KZ_OK;
    m->stats.dispatched++;
    next_epoch(m);
    m->ev = ev;
    m->cb = cb;
    m->bucket = b;
    m->indexed = false;
    m->ntrig = 0;
    kz_strbuf_reset(&m->buf);
    if (!index_fields(m))
        return KZ_ENOMEM;
    m->queue = true;
    for (i = 0; i < b->nslots; i++)
        scan_slot(m, b->slots[i]);
    if (b->keywords)
        scan_slot(m, MT_SLOT_KEYWORD);
    m->queue = false;
    sort_trig(m);
    for (i = j = 0; i < m->ntrig || j < b->nalways;) {
        if (j >= b->nalways || (i < m->ntrig && m->trig[i] <= b->always[j])) {
            t = m->trig[i++];
            if (j < b->nalways && b->always[j] == t)
                j++;
        } else {
            t = b->always[j++];
        }
        if (rs->targets[t].rule == last)
            continue;
        m->stats.candidates++;
        if (!eval(m, rs->targets[t].root))
            continue;
        last = rs->targets[t].rule;
        m->stats.hits++;
        if ((st = cb->on_hit(cb->ctx, ev, last)) != KZ_OK)
            return st;
    }
    return KZ_OK;
}

bool
kz_matcher_text(kz_matcher *m, const kz_event *ev, int32_t id,
                const char **p, size_t *n)
{
    int32_t slot, i;

    if (m == NULL || m->ev != ev || ev == NULL || id < 0 ||
        (size_t)id >= m->rs->nids || (slot = m->rs->slot_of_id[id]) < 0 ||
        !index_fields(m))
        return false;
    if ((i = first_field(m, (uint32_t)slot)) < 0)
        return false;
    return field_text(m, (size_t)i, p, n);
}

bool
kz_matcher_field_text(const kz_matcher *m, const kz_event *ev, size_t i,
                      const char **p, size_t *n)
{
    const mt_rc *rc;

    if (m == NULL || ev == NULL || m->ev != ev || !m->indexed ||
        i >= ev->nfields || i >= m->fcap)
        return false;
    rc = &m->rc[i];
    if (rc->stamp != m->epoch || !rc->exact)
        return false;
    return cached_text(m, rc, p, n);
}
