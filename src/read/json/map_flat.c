/*
 * map_flat.c - records of no known exporter: flat (or nested) objects
 * whose time, channel and event id sit under configurable keys
 * (kz_json_opts.time_key, channel_key, event_id_key; dotted paths allowed)
 * or, by default, under the first present of:
 *   time      "@timestamp", "timestamp", "TimeCreated", "time"
 *   channel   "Channel", "channel"
 *   event id  "EventID", "event_id", "EventId"
 *   computer  "Computer", "computer", "ComputerName", "hostname",
 *             "Hostname", "host"  (a string)
 *   record id "EventRecordID", "record_id", "RecordNumber",
 *             "record_number"  (so dedup can key on them)
 * Everything else is event data; nested objects give dotted names.
 * Times may be ISO 8601 text, epoch numbers (s, ms, us or ns by magnitude)
 * or PowerShell's "/Date(ms)/". Mapping table: docs/json-shapes.md.
 */
#include "read/json/json_int.h"

#include <string.h>

static const char *const time_keys[] = {
    "@timestamp", "timestamp", "TimeCreated", "time", NULL,
};
static const char *const channel_keys[] = {"Channel", "channel", NULL};
static const char *const event_id_keys[] = {
    "EventID",
    "event_id",
    "EventId",
    NULL,
};

static const char *const computer_keys[] = {
    "Computer", "computer", "ComputerName", "hostname", "Hostname", "host",
    NULL,
};
static const char *const record_keys[] = {
    "EventRecordID", "record_id", "RecordNumber", "record_number", NULL,
};

static kz_jnode *
find(kz_jctx *c, kz_jnode *root, const char *configured,
     const char *const *defaults)
{
    kz_jnode *n;

    if (configured != NULL && configured[0] != '\0')
        return kz_jb_path(c, root, configured);
    for (; *defaults != NULL; defaults++)
        if ((n = kz_jb_child(c, root, *defaults)) != NULL)
            return n;
    return NULL;
}

kz_status
kz_jmap_flat(kz_jctx *c, kz_jnode *root)
{
    const kz_json_opts *jo = &c->o->json;
    kz_jnode *n;
    kz_str s;
    uint64_t rid;

    if ((n = find(c, root, jo->time_key, time_keys)) != NULL &&
        kz_jb_time(c, n, true))
        n->used = 1;
    if ((n = find(c, root, jo->channel_key, channel_keys)) != NULL &&
        kz_jb_str(c, n, false, &s)) {
        c->ev->channel = kz_jchannel_canon(s);
        n->used = 1;
    }
    if ((n = find(c, root, jo->event_id_key, event_id_keys)) != NULL &&
        kz_jb_event_id(c, n, NULL))
        n->used = 1;
    if ((n = find(c, root, NULL, computer_keys)) != NULL &&
        kz_jb_str(c, n, false, &s)) {
        c->ev->computer = s;
        n->used = 1;
    }
    if ((n = find(c, root, NULL, record_keys)) != NULL &&
        kz_jb_u64(c, n, &rid)) {
        c->ev->record_id = rid;
        c->ev->flags |= KZ_EV_HAS_RECORD_ID;
        n->used = 1;
    }
    return kz_jb_flatten_members(c, root, KZ_FG_EVENTDATA);
}
