/*
 * map_evtx.c - the evtx_dump shape (also kizuki's own dump output): the
 * XML of an EVTX record as JSON, attributes under "#attributes" and
 * element text beside them as "#text".
 *
 *   {"Event": {"System": {"Provider": {"#attributes": {"Name": ..}},
 *              "EventID": 4624 | {"#attributes": {"Qualifiers": 16384},
 *                                 "#text": 7045}, ...},
 *              "EventData": {"Name": value, "Data": [..] | {"#text": ..}},
 *              "UserData": {"<Root>": {...}}, "RenderingInfo": {...}}}
 *
 * This is the shape benchmarked, so System is mapped in one pass over its
 * members rather than with path lookups. Mapping table: docs/json-shapes.md.
 */
#include "read/json/json_int.h"

#include <string.h>

#define KEY_IS(k, lit)                                                         \
    ((k).len == sizeof(lit) - 1 && memcmp((k).p, lit, sizeof(lit) - 1) == 0)

/* An attribute of element n: under "#attributes", or (leniently) a plain
 * member of that name. */
static kz_jnode *
attr(kz_jctx *c, kz_jnode *n, const char *name)
{
    kz_jnode *a;

    if (n == NULL || n->type != KZ_JT_OBJ)
        return NULL;
    a = kz_jb_child(c, n, "#attributes");
    if (a != NULL && (a = kz_jb_child(c, a, name)) != NULL)
        return a;
    return kz_jb_child(c, n, name);
}

static bool
small(kz_jctx *c, kz_jnode *n, uint64_t max, uint64_t *v)
{
    return kz_jb_u64(c, n, v) && *v <= max;
}

/* Maps one member of System; false if it is unknown or its value does not
 * parse (the caller keeps it as an extra field). */
static bool
system_member(kz_jctx *c, kz_jnode *ch, kz_str k)
{
    kz_event *ev = c->ev;
    kz_jnode *n;
    uint64_t v;

    switch (k.len) {
    case 4:
        if (KEY_IS(k, "Task") && small(c, ch, UINT16_MAX, &v)) {
            ev->task = (uint16_t)v;
            ev->flags |= KZ_EV_HAS_TASK;
            return true;
        }
        return false;
    case 5:
        if (KEY_IS(k, "Level") && small(c, ch, UINT8_MAX, &v)) {
            ev->level = (uint8_t)v;
            ev->flags |= KZ_EV_HAS_LEVEL;
            return true;
        }
        return false;
    case 6:
        if (KEY_IS(k, "Opcode") && small(c, ch, UINT8_MAX, &v)) {
            ev->opcode = (uint8_t)v;
            ev->flags |= KZ_EV_HAS_OPCODE;
            return true;
        }
        return false;
    case 7:
        if (KEY_IS(k, "EventID")) {
            if (ch->type == KZ_JT_OBJ)
                return kz_jb_event_id(c, kz_jb_child(c, ch, "#text"),
                                      attr(c, ch, "Qualifiers"));
            return kz_jb_event_id(c, ch, NULL);
        }
        if (KEY_IS(k, "Version") && small(c, ch, UINT8_MAX, &v)) {
            ev->version = (uint8_t)v;
            ev->flags |= KZ_EV_HAS_VERSION;
            return true;
        }
        if (KEY_IS(k, "Channel"))
            return kz_jb_str(c, ch, false, &ev->channel);
        return false;
    case 8:
        if (KEY_IS(k, "Provider")) {
            if (ch->type == KZ_JT_STR)
                return kz_jb_str(c, ch, false, &ev->provider);
            if ((n = attr(c, ch, "Name")) != NULL &&
                !kz_jb_str(c, n, false, &ev->provider))
                return false;
            if ((n = attr(c, ch, "Guid")) != NULL && !kz_jb_guid(c, n))
                return false;
            if ((n = attr(c, ch, "EventSourceName")) != NULL &&
                !kz_jb_str(c, n, false, &ev->event_source))
                return false;
            return true;
        }
        if (KEY_IS(k, "Keywords") && kz_jb_u64(c, ch, &v)) {
            ev->keywords = v;
            ev->flags |= KZ_EV_HAS_KEYWORDS;
            return true;
        }
        if (KEY_IS(k, "Computer"))
            return kz_jb_str(c, ch, false, &ev->computer);
        if (KEY_IS(k, "Security"))
            return (n = attr(c, ch, "UserID")) == NULL ||
                   kz_jb_str(c, n, false, &ev->user_sid);
        return false;
    case 9:
        if (KEY_IS(k, "Execution")) {
            if ((n = attr(c, ch, "ProcessID")) != NULL) {
                if (!small(c, n, UINT32_MAX, &v))
                    return false;
                ev->process_id = (uint32_t)v;
                ev->flags |= KZ_EV_HAS_EXECUTION;
            }
            if ((n = attr(c, ch, "ThreadID")) != NULL) {
                if (!small(c, n, UINT32_MAX, &v))
                    return false;
                ev->thread_id = (uint32_t)v;
                ev->flags |= KZ_EV_HAS_EXECUTION;
            }
            return true;
        }
        return false;
    case 11:
        if (KEY_IS(k, "TimeCreated")) {
            n = ch->type == KZ_JT_STR ? ch : attr(c, ch, "SystemTime");
            return kz_jb_time(c, n, false);
        }
        if (KEY_IS(k, "Correlation")) {
            if ((n = attr(c, ch, "ActivityID")) != NULL &&
                !kz_jb_str(c, n, false, &ev->activity_id))
                return false;
            if ((n = attr(c, ch, "RelatedActivityID")) != NULL &&
                !kz_jb_str(c, n, false, &ev->related_activity))
                return false;
            return true;
        }
        return false;
    case 13:
        if (KEY_IS(k, "EventRecordID") && kz_jb_u64(c, ch, &v)) {
            ev->record_id = v;
            ev->flags |= KZ_EV_HAS_RECORD_ID;
            return true;
        }
        return false;
    default:
        return false;
    }
}

static kz_status
map_system(kz_jctx *c, kz_jnode *sys)
{
    kz_str k;
    kz_status st;
    char *name;

    if (sys->type != KZ_JT_OBJ)
        return KZ_OK;
    for (kz_jnode *ch = sys + 1; ch < kz_jskip(c, sys); ch = kz_jskip(c, ch)) {
        if ((st = kz_jb_key(c, ch, &k)) != KZ_OK)
            return st;
        if (ch->type == KZ_JT_NULL || system_member(c, ch, k))
            continue;
        /* Unknown or unreadable: keep it visible as "System.<key>". */
        if ((name = kz_arena_alloc(c->arena, 7 + k.len + 1)) == NULL)
            return KZ_ENOMEM;
        memcpy(name, "System.", 7);
        memcpy(name + 7, k.p, k.len);
        name[7 + k.len] = '\0';
        if ((st = kz_jb_flatten(c, ch, name, 7 + k.len, KZ_FG_EXTRA)) != KZ_OK)
            return st;
    }
    return KZ_OK;
}

/* One item of an unnamed "Data" list. Converters that keep the XML form
 * write {"#attributes": {"Name": "X"}, "#text": v} (or "@Name"): that is
 * the named field X. */
static kz_jnode *
xml_name(kz_jctx *c, kz_jnode *item)
{
    kz_jnode *a;

    if (item->type != KZ_JT_OBJ)
        return NULL;
    if ((a = kz_jb_child(c, item, "#attributes")) != NULL &&
        (a = kz_jb_child(c, a, "Name")) != NULL)
        return a;
    return kz_jb_child(c, item, "@Name");
}

static kz_status
data_item(kz_jctx *c, kz_jnode *item)
{
    kz_jnode *nm = xml_name(c, item), *text;
    kz_str name;

    if (nm == NULL || !kz_jb_str(c, nm, false, &name) || name.len == 0)
        return kz_jb_flatten(c, item, "Data", 4, KZ_FG_EVENTDATA);
    text = kz_jb_child(c, item, "#text");
    if (text == NULL)
        text = kz_jb_child(c, item, "$");
    if (text == NULL) {
        nm->used = 1;
        return kz_jb_flatten(c, item, name.p, name.len, KZ_FG_EVENTDATA);
    }
    return kz_jb_flatten(c, text, name.p, name.len, KZ_FG_EVENTDATA);
}

static kz_status
map_data_list(kz_jctx *c, kz_jnode *d)
{
    kz_jnode *text;
    kz_status st;

    if (d->type == KZ_JT_ARR) {
        for (kz_jnode *item = d + 1; item < kz_jskip(c, d);
             item = kz_jskip(c, item)) {
            if ((st = data_item(c, item)) != KZ_OK)
                return st;
        }
        return KZ_OK;
    }
    if (d->type == KZ_JT_OBJ && (text = kz_jb_child(c, d, "#text")) != NULL &&
        xml_name(c, d) == NULL)
        return kz_jb_flatten(c, text, "Data", 4, KZ_FG_EVENTDATA);
    return data_item(c, d);
}

static kz_status
map_eventdata(kz_jctx *c, kz_jnode *ed)
{
    kz_str k;
    kz_status st;

    if (ed->type == KZ_JT_NULL)
        return KZ_OK;
    if (ed->type != KZ_JT_OBJ)
        return map_data_list(c, ed);
    for (kz_jnode *ch = ed + 1; ch < kz_jskip(c, ed); ch = kz_jskip(c, ch)) {
        if ((st = kz_jb_key(c, ch, &k)) != KZ_OK)
            return st;
        if (KEY_IS(k, "#attributes"))
            continue;
        if (KEY_IS(k, "Data") || KEY_IS(k, "#text"))
            st = map_data_list(c, ch);
        else
            st = kz_jb_flatten(c, ch, k.p, k.len, KZ_FG_EVENTDATA);
        if (st != KZ_OK)
            return st;
    }
    return KZ_OK;
}

static kz_status
map_userdata(kz_jctx *c, kz_jnode *ud)
{
    kz_str k;
    kz_status st;

    if (ud->type != KZ_JT_OBJ)
        return ud->type == KZ_JT_NULL
                   ? KZ_OK
                   : kz_jb_flatten(c, ud, "UserData", 8, KZ_FG_USERDATA);
    for (kz_jnode *root = ud + 1; root < kz_jskip(c, ud);
         root = kz_jskip(c, root)) {
        if ((st = kz_jb_key(c, root, &k)) != KZ_OK)
            return st;
        if (KEY_IS(k, "#attributes"))
            continue;
        if (c->ev->userdata_root.p == NULL && root->type == KZ_JT_OBJ) {
            c->ev->userdata_root = k;
            c->ev->flags |= KZ_EV_USERDATA;
            st = kz_jb_flatten_members(c, root, KZ_FG_USERDATA);
        } else {
            st = kz_jb_flatten(c, root, k.p, k.len, KZ_FG_USERDATA);
        }
        if (st != KZ_OK)
            return st;
    }
    return KZ_OK;
}

static kz_status
map_event(kz_jctx *c, kz_jnode *event)
{
    kz_str k;
    kz_status st;

    for (kz_jnode *ch = event + 1; ch < kz_jskip(c, event);
         ch = kz_jskip(c, ch)) {
        if ((st = kz_jb_key(c, ch, &k)) != KZ_OK)
            return st;
        if (KEY_IS(k, "System"))
            st = map_system(c, ch);
        else if (KEY_IS(k, "EventData"))
            st = map_eventdata(c, ch);
        else if (KEY_IS(k, "UserData"))
            st = map_userdata(c, ch);
        else if (KEY_IS(k, "RenderingInfo"))
            st = kz_jb_flatten(c, ch, "RenderingInfo", 13, KZ_FG_RENDERING);
        else if (KEY_IS(k, "#attributes"))
            continue;
        else if (KEY_IS(k, "Extra") && ch->type == KZ_JT_OBJ)
            /* kizuki dump moves names that would collide with System,
             * EventData... below "Extra" (docs/dump-format.md). */
            st = kz_jb_flatten_members(c, ch, KZ_FG_EXTRA);
        else
            st = kz_jb_flatten(c, ch, k.p, k.len, KZ_FG_EXTRA);
        if (st != KZ_OK)
            return st;
    }
    return KZ_OK;
}

kz_status
kz_jmap_evtx(kz_jctx *c, kz_jnode *root)
{
    kz_jnode *n;
    kz_str k;
    kz_status st;

    for (kz_jnode *ch = root + 1; ch < kz_jskip(c, root);
         ch = kz_jskip(c, ch)) {
        if ((st = kz_jb_key(c, ch, &k)) != KZ_OK)
            return st;
        if (KEY_IS(k, "Event") && ch->type == KZ_JT_OBJ) {
            st = map_event(c, ch);
        } else if (KEY_IS(k, "kizuki") && ch->type == KZ_JT_OBJ &&
                   (n = kz_jb_child(c, ch, "recovered")) != NULL &&
                   n->type == KZ_JT_TRUE) {
            /* kizuki dump's mark of a record carved from slack. */
            c->ev->flags |= KZ_EV_RECOVERED;
            n->used = 1;
            st = kz_jb_flatten(c, ch, k.p, k.len, KZ_FG_EXTRA);
        } else {
            st = kz_jb_flatten(c, ch, k.p, k.len, KZ_FG_EXTRA);
        }
        if (st != KZ_OK)
            return st;
    }
    return KZ_OK;
}
