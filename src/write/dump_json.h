/*
 * dump_json.h - one event as one line of JSON, in the layout of
 * evtx_dump (omerbenamram/evtx): {"Event":{"System":{...},"EventData":
 * {...}}}. The layout, every value type's rendering and a worked example
 * are in docs/dump-format.md.
 *
 * Ownership: the caller owns the output buffer; nothing is kept between
 * calls. Errors: KZ_ENOMEM / KZ_ELIMIT from the buffer (it is then left
 * as it was before the call); malformed values never fail, they are
 * written in a documented fallback form.
 * Threads: reentrant; call it from pool threads (on_worker) freely.
 */
#ifndef KZ_WRITE_DUMP_JSON_H
#define KZ_WRITE_DUMP_JSON_H

#include "base/error.h"
#include "base/strbuf.h"
#include "event/event.h"
#include "event/value.h"

/* Appends the JSON object of ev and a '\n' to out. o may be NULL
 * (defaults). */
kz_status kz_dump_event(kz_strbuf *out, const kz_event *ev,
                        const kz_render_opts *o);

#endif /* KZ_WRITE_DUMP_JSON_H */
