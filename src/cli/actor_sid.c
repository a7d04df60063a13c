/*
 * actor_sid.c - SID -> account and event -> header SID for alerts
 * without an account (actor_sid.h): two open-addressing tables that grow
 * by doubling up to their bounds.
 */
#include "cli/actor_sid.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/grow.h"
#include "base/hash.h"
#include "base/strbuf.h"

#define MAX_TEXT 256

static const char *const field_names[KZ_SF_COUNT] = {
    [KZ_SF_SUBJECT_SID] = "SubjectUserSid",
    [KZ_SF_SUBJECT_DOMAIN] = "SubjectDomainName",
    [KZ_SF_SUBJECT_USER] = "SubjectUserName",
    [KZ_SF_TARGET_SID] = "TargetUserSid",
    [KZ_SF_TARGET_DOMAIN] = "TargetDomainName",
    [KZ_SF_TARGET_USER] = "TargetUserName",
};

/* One pair: offsets of the SID and the account in the batch's buffer. */
typedef struct pair {
    size_t sid, acct;
} pair;

struct kz_sid_found {
    kz_strbuf buf;
    pair *v;
    size_t n, cap;
};

/* A SID and the first account seen for it (NULL: none yet). */
typedef struct sid_ent {
    char *sid;
    char *account;
    uint64_t hash;
} sid_ent;

/* An event's header SID: (file, position) -> SID index + 1 (0 free). */
typedef struct ev_ent {
    uint64_t position;
    uint32_t file;
    uint32_t sid1;
} ev_ent;

struct kz_sid_map {
    sid_ent *sids;      /* by index */
    size_t nsids, cap_sids;
    uint32_t *stab;     /* SID hash table: index + 1, 0 = free */
    size_t nstab;       /* power of two */
    ev_ent *etab;       /* event table */
    size_t netab, nev;  /* slots (power of two), used */
    uint64_t dropped;
};

void
kz_sid_facts_intern(kz_sid_ids *ids, kz_names *names)
{
    size_t i;

    for (i = 0; i < KZ_SF_COUNT; i++)
        if (kz_names_add(names, field_names[i], strlen(field_names[i]),
                         &ids->id[i]) != KZ_OK)
            ids->id[i] = KZ_NAME_NONE;
}

void
kz_sid_facts_free(kz_sid_found *f)
{
    if (f == NULL)
        return;
    kz_strbuf_fini(&f->buf);
    free(f->v);
    free(f);
}

/* Renders field k of ev into b, NUL-ended; its offset or SIZE_MAX when
 * absent, empty, "-" or longer than MAX_TEXT. */
static size_t
render(const kz_sid_ids *ids, const kz_render_opts *ro, const kz_event *ev,
       int k, kz_strbuf *b)
{
    const kz_field *fd;
    size_t off = b->len;

    if (ids->id[k] == KZ_NAME_NONE ||
        (fd = kz_event_field(ev, ids->id[k])) == NULL)
        return SIZE_MAX;
    if (kz_value_render(&fd->value, ro, b) != KZ_OK || b->len == off ||
        b->len - off > MAX_TEXT ||
        (b->len - off == 1 && b->data[off] == '-') ||
        kz_strbuf_addc(b, '\0') != KZ_OK) {
        b->len = off;
        return SIZE_MAX;
    }
    return off;
}

/* Adds the pair of the sid/domain/user fields (s, d, u) of ev. */
static kz_status
add_pair(kz_sid_found *f, const kz_sid_ids *ids, const kz_render_opts *ro,
         const kz_event *ev, int s, int d, int u)
{
    size_t mark = f->buf.len, so, dom, usr;
    kz_status st;

    if ((so = render(ids, ro, ev, s, &f->buf)) == SIZE_MAX ||
        strncmp(f->buf.data + so, "S-1-", 4) != 0 ||
        (usr = render(ids, ro, ev, u, &f->buf)) == SIZE_MAX) {
        f->buf.len = mark;
        return KZ_OK;
    }
    dom = render(ids, ro, ev, d, &f->buf);
    if ((st = kz_grow(&f->v, &f->cap, f->n + 1, sizeof(*f->v), 16)) !=
        KZ_OK)
        return st;
    /* the account as DOMAIN\name in the buffer (room made first: the
     * parts are copied from the same buffer) */
    if ((st = kz_strbuf_reserve(&f->buf, 2 * MAX_TEXT + 4)) != KZ_OK)
        return st;
    f->v[f->n].sid = so;
    f->v[f->n].acct = f->buf.len;
    if (dom != SIZE_MAX) {
        if ((st = kz_strbuf_adds(&f->buf, f->buf.data + dom)) != KZ_OK ||
            (st = kz_strbuf_addc(&f->buf, '\\')) != KZ_OK)
            return st;
    }
    if ((st = kz_strbuf_adds(&f->buf, f->buf.data + usr)) != KZ_OK ||
        (st = kz_strbuf_addc(&f->buf, '\0')) != KZ_OK)
        return st;
    f->n++;
    return KZ_OK;
}

kz_status
kz_sid_facts_extract(const kz_sid_ids *ids, const kz_render_opts *ro,
                     const kz_batch *b, kz_sid_found **out)
{
    kz_sid_found *f = NULL;
    size_t i;
    kz_status st;

    *out = NULL;
    for (i = 0; i < b->nevents; i++) {
        const kz_event *ev = &b->events[i];

        if (!(ev->flags & KZ_EV_HAS_EVENT_ID) ||
            !kz_event_channel_is(ev, "Security"))
            continue;
        switch (ev->event_id) {
        case 4624: case 4625: case 4634: case 4647: case 4648: case 4672:
        case 4688: case 4663: case 4698: case 4720: case 4728: case 4732:
        case 4756: case 5140: case 5145: case 4768: case 4769:
            break;
        default:
            continue;
        }
        if (f == NULL) {
            if ((f = calloc(1, sizeof(*f))) == NULL)
                return KZ_ENOMEM;
            kz_strbuf_init(&f->buf, 0);
        }
        if ((st = add_pair(f, ids, ro, ev, KZ_SF_SUBJECT_SID,
                           KZ_SF_SUBJECT_DOMAIN, KZ_SF_SUBJECT_USER)) !=
                KZ_OK ||
            (st = add_pair(f, ids, ro, ev, KZ_SF_TARGET_SID,
                           KZ_SF_TARGET_DOMAIN, KZ_SF_TARGET_USER)) !=
                KZ_OK) {
            kz_sid_facts_free(f);
            return st;
        }
    }
    *out = f;
    return KZ_OK;
}

kz_sid_map *
kz_sid_map_new(void)
{
    return calloc(1, sizeof(kz_sid_map));
}

void
kz_sid_map_free(kz_sid_map *m)
{
    size_t i;

    if (m == NULL)
        return;
    for (i = 0; i < m->nsids; i++) {
        free(m->sids[i].sid);
        free(m->sids[i].account);
    }
    free(m->sids);
    free(m->stab);
    free(m->etab);
    free(m);
}

/* Rebuilds the SID table with n slots. */
static kz_status
stab_resize(kz_sid_map *m, size_t n)
{
    uint32_t *t = calloc(n, sizeof(*t));
    size_t i, j;

    if (t == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < m->nsids; i++) {
        for (j = m->sids[i].hash & (n - 1); t[j] != 0; j = (j + 1) & (n - 1))
            ;
        t[j] = (uint32_t)i + 1;
    }
    free(m->stab);
    m->stab = t;
    m->nstab = n;
    return KZ_OK;
}

/* The index of sid (s, n bytes), added when new; SIZE_MAX past the
 * bound or without memory. */
static size_t
sid_index(kz_sid_map *m, const char *s, size_t n)
{
    uint64_t h = kz_hash(s, n);
    size_t j;

    if (m->nstab > 0)
        for (j = h & (m->nstab - 1); m->stab[j] != 0;
             j = (j + 1) & (m->nstab - 1)) {
            const sid_ent *e = &m->sids[m->stab[j] - 1];

            if (e->hash == h && strlen(e->sid) == n &&
                memcmp(e->sid, s, n) == 0)
                return m->stab[j] - 1;
        }
    if (m->nsids >= KZ_SID_MAX_ACCOUNTS) {
        m->dropped++;
        return SIZE_MAX;
    }
    if ((m->nsids + 1) * 2 > m->nstab &&
        stab_resize(m, m->nstab ? m->nstab * 2 : 256) != KZ_OK)
        return SIZE_MAX;
    if (kz_grow(&m->sids, &m->cap_sids, m->nsids + 1, sizeof(*m->sids),
                64) != KZ_OK ||
        (m->sids[m->nsids].sid = strndup(s, n)) == NULL)
        return SIZE_MAX;
    m->sids[m->nsids].account = NULL;
    m->sids[m->nsids].hash = h;
    for (j = h & (m->nstab - 1); m->stab[j] != 0; j = (j + 1) & (m->nstab - 1))
        ;
    m->stab[j] = (uint32_t)m->nsids + 1;
    return m->nsids++;
}

static uint64_t
ev_hash(uint32_t file, uint64_t pos)
{
    uint64_t h = (pos ^ ((uint64_t)file << 40)) * 0x9e3779b97f4a7c15ull;

    return h ^ (h >> 29);
}

static kz_status
etab_resize(kz_sid_map *m, size_t n)
{
    ev_ent *t = calloc(n, sizeof(*t));
    size_t i, j;

    if (t == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < m->netab; i++) {
        const ev_ent *e = &m->etab[i];

        if (e->sid1 == 0)
            continue;
        for (j = ev_hash(e->file, e->position) & (n - 1); t[j].sid1 != 0;
             j = (j + 1) & (n - 1))
            ;
        t[j] = *e;
    }
    free(m->etab);
    m->etab = t;
    m->netab = n;
    return KZ_OK;
}

/* A PowerShell event whose actor is only its header SID. */
static bool
powershell(const kz_event *ev)
{
    if (!(ev->flags & KZ_EV_HAS_EVENT_ID) || ev->user_sid.p == NULL ||
        ev->user_sid.len == 0)
        return false;
    if (kz_event_channel_is(ev, "Microsoft-Windows-PowerShell/Operational"))
        return ev->event_id == 4103 || ev->event_id == 4104;
    if (kz_event_channel_is(ev, "Windows PowerShell"))
        return ev->event_id == 400 || ev->event_id == 403 ||
               ev->event_id == 600 || ev->event_id == 800;
    return false;
}

kz_status
kz_sid_map_feed(kz_sid_map *m, const kz_sid_found *f, const kz_batch *b)
{
    size_t i, j, k;

    for (i = 0; f != NULL && i < f->n; i++) {
        const char *s = f->buf.data + f->v[i].sid;
        const char *a = f->buf.data + f->v[i].acct;

        if ((k = sid_index(m, s, strlen(s))) == SIZE_MAX ||
            m->sids[k].account != NULL)
            continue;
        if ((m->sids[k].account = strdup(a)) == NULL)
            return KZ_ENOMEM;
    }
    for (i = 0; i < b->nevents; i++) {
        const kz_event *ev = &b->events[i];
        uint32_t file = b->input != NULL ? b->input->file_index : 0;

        if ((ev->flags & KZ_EV_DUPLICATE) || !powershell(ev))
            continue;
        if (m->nev >= KZ_SID_MAX_EVENTS) {
            m->dropped++;
            continue;
        }
        if ((k = sid_index(m, ev->user_sid.p, ev->user_sid.len)) ==
            SIZE_MAX)
            continue;
        if ((m->nev + 1) * 2 > m->netab &&
            etab_resize(m, m->netab ? m->netab * 2 : 1024) != KZ_OK)
            return KZ_ENOMEM;
        for (j = ev_hash(file, ev->position) & (m->netab - 1);
             m->etab[j].sid1 != 0; j = (j + 1) & (m->netab - 1))
            if (m->etab[j].file == file &&
                m->etab[j].position == ev->position)
                break;
        if (m->etab[j].sid1 == 0)
            m->nev++;
        m->etab[j].file = file;
        m->etab[j].position = ev->position;
        m->etab[j].sid1 = (uint32_t)k + 1;
    }
    return KZ_OK;
}

const char *
kz_sid_map_actor(const kz_sid_map *m, uint32_t file_index, uint64_t position)
{
    size_t j;

    if (m == NULL || m->netab == 0)
        return NULL;
    for (j = ev_hash(file_index, position) & (m->netab - 1);
         m->etab[j].sid1 != 0; j = (j + 1) & (m->netab - 1))
        if (m->etab[j].file == file_index &&
            m->etab[j].position == position)
            return m->sids[m->etab[j].sid1 - 1].account;
    return NULL;
}

uint64_t
kz_sid_map_dropped(const kz_sid_map *m)
{
    return m != NULL ? m->dropped : 0;
}
