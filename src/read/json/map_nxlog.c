/*
 * map_nxlog.c - NXLog's im_msvistalog records (to_json()): System values
 * and event data side by side at the top level.
 *
 *   {"EventTime": "2019-03-19 23:34:26", "Hostname": "WS01",
 *    "EventID": 4624, "SourceName": "Microsoft-Windows-Security-Auditing",
 *    "Channel": "Security", "TargetUserName": "bob", ...}
 *
 * Every key that is not in the meta table below is a data field. EventTime
 * has no zone: it is read with --input-tz (json.input_tz_min) and the
 * event is flagged KZ_EV_NO_TZ. Channel names are restored to their
 * canonical case. Mapping table: docs/json-shapes.md.
 */
#include "read/json/json_int.h"

#include <string.h>

typedef enum meta_kind {
    M_EXTRA = 0, /* NXLog's own: kept as an extra field */
    M_TIME,
    M_CHANNEL,
    M_EVENT_ID,
    M_HOST,
    M_PROVIDER,
    M_GUID,
    M_RECORD,
    M_PID,
    M_TID,
    M_VERSION,
    M_TASK,
    M_OPCODE,
    M_LEVEL,
    M_KEYWORDS,
    M_ACTIVITY,
    M_RELATED,
    M_USER_SID,
    M_MESSAGE,
} meta_kind;

/* NXLog's meta keys (im_msvistalog fields and the core ones). */
static const struct {
    const char *key; /* exact key */
    uint8_t kind;    /* meta_kind */
} meta[] = {
    {"EventTime", M_TIME},
    {"Hostname", M_HOST},
    {"Keywords", M_KEYWORDS},
    {"EventType", M_LEVEL},
    {"SeverityValue", M_EXTRA},
    {"Severity", M_EXTRA},
    {"EventID", M_EVENT_ID},
    {"SourceName", M_PROVIDER},
    {"ProviderGuid", M_GUID},
    {"Version", M_VERSION},
    {"Task", M_TASK},
    {"OpcodeValue", M_OPCODE},
    {"RecordNumber", M_RECORD},
    {"ActivityID", M_ACTIVITY},
    {"RelatedActivityID", M_RELATED},
    {"ProcessID", M_PID},
    {"ThreadID", M_TID},
    {"Channel", M_CHANNEL},
    {"Domain", M_EXTRA},
    {"AccountName", M_EXTRA},
    {"UserID", M_USER_SID},
    {"AccountType", M_EXTRA},
    {"Category", M_EXTRA},
    {"Opcode", M_EXTRA},
    {"Message", M_MESSAGE},
    {"EventReceivedTime", M_EXTRA},
    {"SourceModuleName", M_EXTRA},
    {"SourceModuleType", M_EXTRA},
    {"ERROR_EVT_UNRESOLVED", M_EXTRA},
};

static int
meta_kind_of(kz_str k)
{
    size_t i;

    for (i = 0; i < sizeof(meta) / sizeof(meta[0]); i++)
        if (strlen(meta[i].key) == k.len &&
            memcmp(meta[i].key, k.p, k.len) == 0)
            return meta[i].kind;
    return -1;
}

static bool
num(kz_jctx *c, kz_jnode *n, uint64_t max, uint64_t *v)
{
    return kz_jb_u64(c, n, v) && *v <= max;
}

/* Maps one meta key; false if its value does not parse. */
static bool
map_meta(kz_jctx *c, kz_jnode *n, int kind)
{
    kz_event *ev = c->ev;
    uint64_t v;
    kz_str s;
    int l;

    switch (kind) {
    case M_TIME:
        return kz_jb_time(c, n, false);
    case M_CHANNEL:
        if (!kz_jb_str(c, n, false, &s))
            return false;
        ev->channel = kz_jchannel_canon(s);
        return true;
    case M_EVENT_ID:
        return kz_jb_event_id(c, n, NULL);
    case M_HOST:
        return kz_jb_str(c, n, false, &ev->computer);
    case M_PROVIDER:
        return kz_jb_str(c, n, false, &ev->provider);
    case M_GUID:
        return kz_jb_guid(c, n);
    case M_RECORD:
        if (!num(c, n, UINT64_MAX, &v))
            return false;
        ev->record_id = v;
        ev->flags |= KZ_EV_HAS_RECORD_ID;
        return true;
    case M_PID:
        if (!num(c, n, UINT32_MAX, &v))
            return false;
        ev->process_id = (uint32_t)v;
        ev->flags |= KZ_EV_HAS_EXECUTION;
        return true;
    case M_TID:
        if (!num(c, n, UINT32_MAX, &v))
            return false;
        ev->thread_id = (uint32_t)v;
        ev->flags |= KZ_EV_HAS_EXECUTION;
        return true;
    case M_VERSION:
        if (!num(c, n, UINT8_MAX, &v))
            return false;
        ev->version = (uint8_t)v;
        ev->flags |= KZ_EV_HAS_VERSION;
        return true;
    case M_TASK:
        if (!num(c, n, UINT16_MAX, &v))
            return false;
        ev->task = (uint16_t)v;
        ev->flags |= KZ_EV_HAS_TASK;
        return true;
    case M_OPCODE:
        if (!num(c, n, UINT8_MAX, &v))
            return false;
        ev->opcode = (uint8_t)v;
        ev->flags |= KZ_EV_HAS_OPCODE;
        return true;
    case M_LEVEL:
        if (!kz_jb_str(c, n, false, &s) || (l = kz_jlevel_from_name(s)) < 0)
            return false;
        ev->level = (uint8_t)l;
        ev->flags |= KZ_EV_HAS_LEVEL;
        return true;
    case M_KEYWORDS:
        if (!kz_jb_u64(c, n, &v))
            return false;
        ev->keywords = v;
        ev->flags |= KZ_EV_HAS_KEYWORDS;
        return true;
    case M_ACTIVITY:
        return kz_jb_str(c, n, false, &ev->activity_id);
    case M_RELATED:
        return kz_jb_str(c, n, false, &ev->related_activity);
    case M_USER_SID:
        return kz_jb_str(c, n, false, &ev->user_sid);
    default:
        return false;
    }
}

kz_status
kz_jmap_nxlog(kz_jctx *c, kz_jnode *root)
{
    kz_str k;
    kz_status st;
    int kind;

    for (kz_jnode *ch = root + 1; ch < kz_jskip(c, root);
         ch = kz_jskip(c, ch)) {
        if ((st = kz_jb_key(c, ch, &k)) != KZ_OK)
            return st;
        kind = meta_kind_of(k);
        if (kind < 0)
            st = kz_jb_flatten(c, ch, k.p, k.len, KZ_FG_EVENTDATA);
        else if (kind == M_MESSAGE)
            st = kz_jb_flatten(c, ch, "RenderingInfo.Message", 21,
                               KZ_FG_RENDERING);
        else if (kind == M_EXTRA || !map_meta(c, ch, kind))
            st = kz_jb_flatten(c, ch, k.p, k.len, KZ_FG_EXTRA);
        if (st != KZ_OK)
            return st;
    }
    return KZ_OK;
}
