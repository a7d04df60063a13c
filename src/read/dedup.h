/*
 * dedup.h - drops records already seen (DESIGN.md Conventions: Duplicates).
 *
 * Key: (Computer, Channel, EventRecordID, TimeCreated). Kept compactly:
 * per (Computer, Channel), ASCII case-insensitive, a sorted set of record
 * id ranges; each range remembers the earliest and latest TimeCreated of
 * its records. An event is a duplicate when its id lies in a range and its
 * time lies within that range's times (±1 ms, since JSON exports often
 * truncate to microseconds). A record whose id lies in a range but whose
 * time does not (a cleared and refilled log, an older archive) is another
 * record: it is kept, and remembered in a conflict set of hashes of
 * (Computer, Channel, id, time in ms) so its own copies are dropped.
 * Events without a record id are never duplicates. Memory: bounded by
 * KZ_DEDUP_MAX_KEYS keys, KZ_DEDUP_MAX_RANGES ranges and
 * KZ_DEDUP_MAX_CONFLICTS conflict hashes; past a bound new records are
 * kept (never dropped) and kz_dedup_saturated() says so.
 * Threads: one thread (the pipeline's ordered stage).
 */
#ifndef KZ_READ_DEDUP_H
#define KZ_READ_DEDUP_H

#include <stdbool.h>

#include "base/error.h"
#include "event/event.h"

#define KZ_DEDUP_MAX_KEYS 100000
#define KZ_DEDUP_MAX_RANGES 4000000
#define KZ_DEDUP_MAX_CONFLICTS 1000000

typedef struct kz_dedup kz_dedup;

/* A new empty set; NULL on OOM. */
kz_dedup *kz_dedup_new(void);

/* Frees the set. Accepts NULL. */
void kz_dedup_free(kz_dedup *d);

/* True if ev was seen before; otherwise records it and returns false. */
bool kz_dedup_seen(kz_dedup *d, const kz_event *ev);

/* True if a bound was reached (some records could not be remembered). */
bool kz_dedup_saturated(const kz_dedup *d);

#endif /* KZ_READ_DEDUP_H */
