/*
 * map_beat.c - the Winlogbeat shapes: 7+ (and Elastic Agent), which nests
 * everything Windows under "winlog", and 6, which keeps it at the top
 * level. Both spell the same facts, so one table of paths per version
 * drives one mapping. Paths are looked up flat-dotted first, then nested
 * (an export may flatten "winlog.event_data.X" into one key).
 *
 * Keys that map to nothing in the System header are kept as extra fields
 * under their dotted path ("host.name", "winlog.task"), so dump still shows
 * them; data comes only from event_data and user_data.
 * Mapping table: docs/json-shapes.md.
 */
#include "read/json/json_int.h"

#include <string.h>

/* Where one Winlogbeat version keeps each System value. */
typedef struct beat_paths {
    const char *time;       /* ISO time */
    const char *channel;    /* log name */
    const char *event_id;   /* number or numeric string */
    const char *event_id2;  /* fallback (ECS event.code) or NULL */
    const char *computer;   /* computer name */
    const char *provider;   /* provider name */
    const char *guid;       /* provider GUID */
    const char *record_id;  /* record number (string in 6) */
    const char *pid;        /* process id */
    const char *tid;        /* thread id */
    const char *version;    /* event version */
    const char *level;      /* level name ("information") */
    const char *keywords;   /* array of keyword names */
    const char *activity;   /* activity id */
    const char *related;    /* related activity id */
    const char *user_sid;   /* user SID */
    const char *event_data; /* data root */
    const char *user_data;  /* user data root */
} beat_paths;

static const beat_paths beat7 = {
    "@timestamp",
    "winlog.channel",
    "winlog.event_id",
    "event.code",
    "winlog.computer_name",
    "winlog.provider_name",
    "winlog.provider_guid",
    "winlog.record_id",
    "winlog.process.pid",
    "winlog.process.thread.id",
    "winlog.version",
    "log.level",
    "winlog.keywords",
    "winlog.activity_id",
    "winlog.related_activity_id",
    "winlog.user.identifier",
    "winlog.event_data",
    "winlog.user_data",
};

static const beat_paths beat6 = {
    "@timestamp",
    "log_name",
    "event_id",
    NULL,
    "computer_name",
    "source_name",
    "provider_guid",
    "record_number",
    "process_id",
    "thread_id",
    "version",
    "level",
    "keywords",
    "activity_id",
    "related_activity_id",
    "user.identifier",
    "event_data",
    "user_data",
};

/* Looks path up; marks the token used when set() accepts it. */
static kz_jnode *
get(kz_jctx *c, kz_jnode *root, const char *path)
{
    kz_jnode *n = path != NULL ? kz_jb_path(c, root, path) : NULL;

    return n != NULL && !n->used ? n : NULL;
}

static void
str_to(kz_jctx *c, kz_jnode *root, const char *path, bool any, kz_str *out)
{
    kz_jnode *n = get(c, root, path);

    if (n != NULL && kz_jb_str(c, n, any, out))
        n->used = 1;
}

static bool
u64_at(kz_jctx *c, kz_jnode *root, const char *path, uint64_t max, uint64_t *v)
{
    kz_jnode *n = get(c, root, path);

    if (n == NULL || !kz_jb_u64(c, n, v) || *v > max)
        return false;
    n->used = 1;
    return true;
}

/* Keywords as an array of names, a hex string or a number. */
static void
keywords(kz_jctx *c, kz_jnode *n)
{
    uint64_t v = 0, bit;
    kz_str s;

    if (n == NULL)
        return;
    if (n->type != KZ_JT_ARR) {
        if (kz_jb_u64(c, n, &v)) {
            c->ev->keywords = v;
            c->ev->flags |= KZ_EV_HAS_KEYWORDS;
            n->used = 1;
        }
        return;
    }
    for (kz_jnode *item = n + 1; item < kz_jskip(c, n);
         item = kz_jskip(c, item)) {
        if (!kz_jb_str(c, item, false, &s) ||
            (bit = kz_jkeyword_from_name(s)) == 0)
            return; /* unknown name: keep the array as a field */
        v |= bit;
    }
    c->ev->keywords = v;
    c->ev->flags |= KZ_EV_HAS_KEYWORDS;
    n->used = 1;
}

static void
level(kz_jctx *c, kz_jnode *n)
{
    uint64_t v;
    kz_str s;
    int l;

    if (n == NULL)
        return;
    if (kz_jb_u64(c, n, &v) && v <= UINT8_MAX) {
        c->ev->level = (uint8_t)v;
        c->ev->flags |= KZ_EV_HAS_LEVEL;
        n->used = 1;
    } else if (kz_jb_str(c, n, false, &s) &&
               (l = kz_jlevel_from_name(s)) >= 0) {
        c->ev->level = (uint8_t)l;
        c->ev->flags |= KZ_EV_HAS_LEVEL;
        n->used = 1;
    }
}

/* True if s is "param" followed by the decimal k. */
static bool
is_param(kz_str s, size_t k)
{
    size_t v = 0, i;

    if (s.len < 6 || s.len > 10 || memcmp(s.p, "param", 5) != 0 ||
        s.p[5] == '0')
        return false;
    for (i = 5; i < s.len; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
        v = v * 10 + (size_t)(s.p[i] - '0');
    }
    return v == k;
}

kz_status
kz_jmap_beat_data(kz_jctx *c, kz_jnode *root, const char *path)
{
    size_t start = c->nfields, i, k = 0;
    kz_status st;
    int32_t id;

    if ((st = kz_jb_collect(c, root, path, KZ_FG_EVENTDATA)) != KZ_OK)
        return st;
    if (c->ev->provider.p != NULL && kz_jparams_are_named(c->ev->provider))
        return KZ_OK;
    /* Winlogbeat names unnamed <Data> param1..N: give them back the name
     * EVTX uses, if they are exactly param1..N in order. */
    for (i = start; i < c->nfields; i++) {
        if (c->fields[i].name.len < 6 ||
            memcmp(c->fields[i].name.p, "param", 5) != 0)
            continue;
        if (!is_param(c->fields[i].name, ++k))
            return KZ_OK;
    }
    if (k == 0)
        return KZ_OK;
    id = c->o->names ? kz_names_lookup(c->o->names, "Data", 4) : KZ_NAME_NONE;
    for (i = start; i < c->nfields; i++) {
        if (c->fields[i].name.len >= 6 &&
            memcmp(c->fields[i].name.p, "param", 5) == 0) {
            c->fields[i].name.p = "Data";
            c->fields[i].name.len = 4;
            c->fields[i].id = id;
        }
    }
    return KZ_OK;
}

kz_status
kz_jmap_beat_userdata(kz_jctx *c, kz_jnode *root, const char *path)
{
    size_t start = c->nfields, plen = strlen(path);
    char xml[64];
    kz_jnode *n;
    kz_status st;

    if (plen + sizeof(".xml_name") <= sizeof(xml)) {
        memcpy(xml, path, plen);
        memcpy(xml + plen, ".xml_name", sizeof(".xml_name"));
        if ((n = get(c, root, xml)) != NULL &&
            kz_jb_str(c, n, false, &c->ev->userdata_root))
            n->used = 1;
    }
    if ((st = kz_jb_collect(c, root, path, KZ_FG_USERDATA)) != KZ_OK)
        return st;
    if (c->nfields > start || c->ev->userdata_root.p != NULL)
        c->ev->flags |= KZ_EV_USERDATA;
    return KZ_OK;
}

static kz_status
map(kz_jctx *c, kz_jnode *root, const beat_paths *bp)
{
    kz_event *ev = c->ev;
    kz_jnode *n;
    uint64_t v;
    kz_status st;

    if ((n = get(c, root, bp->time)) != NULL && kz_jb_time(c, n, true))
        n->used = 1;
    str_to(c, root, bp->channel, false, &ev->channel);
    if ((n = get(c, root, bp->event_id)) != NULL && kz_jb_event_id(c, n, NULL))
        n->used = 1;
    else if ((n = get(c, root, bp->event_id2)) != NULL &&
             kz_jb_event_id(c, n, NULL))
        n->used = 1;
    str_to(c, root, bp->computer, false, &ev->computer);
    str_to(c, root, bp->provider, false, &ev->provider);
    if ((n = get(c, root, bp->guid)) != NULL && kz_jb_guid(c, n))
        n->used = 1;
    if (u64_at(c, root, bp->record_id, UINT64_MAX, &v)) {
        ev->record_id = v;
        ev->flags |= KZ_EV_HAS_RECORD_ID;
    }
    if (u64_at(c, root, bp->pid, UINT32_MAX, &v)) {
        ev->process_id = (uint32_t)v;
        ev->flags |= KZ_EV_HAS_EXECUTION;
    }
    if (u64_at(c, root, bp->tid, UINT32_MAX, &v)) {
        ev->thread_id = (uint32_t)v;
        ev->flags |= KZ_EV_HAS_EXECUTION;
    }
    if (u64_at(c, root, bp->version, UINT8_MAX, &v)) {
        ev->version = (uint8_t)v;
        ev->flags |= KZ_EV_HAS_VERSION;
    }
    level(c, get(c, root, bp->level));
    keywords(c, get(c, root, bp->keywords));
    str_to(c, root, bp->activity, false, &ev->activity_id);
    str_to(c, root, bp->related, false, &ev->related_activity);
    str_to(c, root, bp->user_sid, false, &ev->user_sid);
    if ((st = kz_jmap_beat_data(c, root, bp->event_data)) != KZ_OK ||
        (st = kz_jmap_beat_userdata(c, root, bp->user_data)) != KZ_OK)
        return st;
    return kz_jb_flatten_members(c, root, KZ_FG_EXTRA);
}

kz_status
kz_jmap_beat(kz_jctx *c, kz_jnode *root)
{
    return map(c, root, &beat7);
}

kz_status
kz_jmap_beat6(kz_jctx *c, kz_jnode *root)
{
    return map(c, root, &beat6);
}
