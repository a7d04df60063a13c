/*
 * event.h - the event view: one record of any log, read-only.
 *
 * Readers (EVTX, JSON) fill kz_event; everything downstream (dump, the
 * matcher, analytics) reads only this view. The System header is typed;
 * data fields are a flat ordered array of (name, value) with lazy values.
 *
 * Field names: EventData <Data Name="X"> gives X; unnamed <Data> gives
 * "Data" (several, in order); UserData gives the leaf element names below
 * its root element ("Param1"), nested elements joined with "." and
 * attributes as "elem@attr"; RenderingInfo gives "RenderingInfo.X".
 * The mapping of each JSON shape is in docs/json-shapes.md.
 *
 * Lifetime: an event, its fields, names and values live in the batch that
 * produced them and are valid until the batch is released.
 * Threads: read-only; safe to read from any thread.
 */
#ifndef KZ_EVENT_EVENT_H
#define KZ_EVENT_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/time.h"
#include "event/names.h"
#include "event/value.h"

/* Where a data field came from. */
typedef enum kz_field_group {
    KZ_FG_EVENTDATA = 0,  /* <EventData>/<Data>, or a JSON data object */
    KZ_FG_USERDATA,       /* below <UserData>/<Root> */
    KZ_FG_RENDERING,      /* <RenderingInfo> (forwarded events) */
    KZ_FG_EXTRA,          /* other JSON keys kept by a reader */
} kz_field_group;

typedef struct kz_field {
    kz_str name;          /* UTF-8 name as in the log */
    int32_t id;           /* interned id (names.h) or KZ_NAME_NONE */
    uint8_t group;        /* kz_field_group */
    kz_value value;       /* lazy value */
} kz_field;

/* Flags of an event. */
enum {
    KZ_EV_RECOVERED = 1u << 0,    /* carved from slack space */
    KZ_EV_DUPLICATE = 1u << 1,    /* dropped by dedup (set in order) */
    KZ_EV_NO_TZ = 1u << 2,        /* JSON time had no offset */
    KZ_EV_HAS_QUALIFIERS = 1u << 3,
    KZ_EV_HAS_RECORD_ID = 1u << 4,
    KZ_EV_HAS_EVENT_ID = 1u << 5,
    KZ_EV_USERDATA = 1u << 6,     /* data came from UserData */
    KZ_EV_HAS_VERSION = 1u << 7,  /* System fields present in the log */
    KZ_EV_HAS_LEVEL = 1u << 8,
    KZ_EV_HAS_TASK = 1u << 9,
    KZ_EV_HAS_OPCODE = 1u << 10,
    KZ_EV_HAS_KEYWORDS = 1u << 11,
    KZ_EV_HAS_EXECUTION = 1u << 12, /* Execution@ProcessID/ThreadID */
};

typedef struct kz_event {
    /* System header */
    kz_time time;             /* TimeCreated@SystemTime, or KZ_TIME_NONE */
    kz_time written;          /* EVTX record header time, or KZ_TIME_NONE */
    uint64_t record_id;       /* EventRecordID (see KZ_EV_HAS_RECORD_ID) */
    uint64_t keywords;        /* Keywords bit mask */
    uint32_t event_id;        /* EventID text (see KZ_EV_HAS_EVENT_ID) */
    uint16_t qualifiers;      /* EventID@Qualifiers if flagged */
    uint16_t task;            /* Task */
    uint8_t level;            /* Level */
    uint8_t opcode;           /* Opcode */
    uint8_t version;          /* Version */
    uint32_t process_id;      /* Execution@ProcessID */
    uint32_t thread_id;       /* Execution@ThreadID */
    kz_str channel;           /* Channel, UTF-8 */
    kz_str provider;          /* Provider@Name */
    kz_str provider_guid;     /* Provider@Guid, "{...}" upper case */
    kz_str event_source;      /* Provider@EventSourceName */
    kz_str computer;          /* Computer */
    kz_str user_sid;          /* Security@UserID */
    kz_str activity_id;       /* Correlation@ActivityID */
    kz_str related_activity;  /* Correlation@RelatedActivityID */
    kz_str userdata_root;     /* element name below <UserData>, if any */
    /* data */
    const kz_field *fields;   /* in document order */
    size_t nfields;           /* count of fields */
    /* provenance */
    uint64_t position;        /* record file offset (EVTX), line or object
                                 ordinal (JSON); orders events in a file */
    uint32_t flags;           /* KZ_EV_* */
} kz_event;

/* The first field whose interned id is id, or NULL. */
const kz_field *kz_event_field(const kz_event *ev, int32_t id);

/* True when ev's Channel is name (ASCII case-insensitive, whole). */
bool kz_event_channel_is(const kz_event *ev, const char *name);

/* The first field named name (exact, then ASCII case-insensitive), or
 * NULL. Slower than kz_event_field: for tools and tests. */
const kz_field *kz_event_field_by_name(const kz_event *ev, const char *name,
                                       size_t len);

#endif /* KZ_EVENT_EVENT_H */
