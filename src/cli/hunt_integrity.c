/*
 * hunt_integrity.c - the log integrity tap of hunt (D11): feeds every
 * batch's record headers and unreadable ranges to src/analytics/integrity
 * and emits its findings at the end. Reads only the typed header of each
 * event (record id, time, computer, channel, event id): no value is
 * rendered. Reference: docs/analytics-integrity.md.
 * Threads: the calling thread of kz_read_run only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/integrity.h"
#include "cli/hunt_int.h"

struct kz_hunt_integrity {
    kz_integrity *g;
    uint32_t file;        /* file_index of the current input */
    bool have_file;
};

/* Applies the integrity.* keys of a `key = value` file; other keys and
 * comments are left to their owners. A bad value is reported on stderr
 * and ignored (the default stays). */
static void
load_config(kz_integrity_config *c, const char *path)
{
    char line[1100];
    FILE *f = fopen(path, "r");
    unsigned no = 0;
    int ch;

    if (f == NULL)
        return; /* the analytics config reader reports it */
    while (fgets(line, sizeof(line), f) != NULL) {
        char *k = line, *eq, *v, *e;
        kz_error err;

        no++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            /* Longer than the analytics reader allows (it says so): the
             * rest of the line is not read as another line. */
            while ((ch = fgetc(f)) != EOF && ch != '\n')
                ;
            continue;
        }
        while (*k == ' ' || *k == '\t')
            k++;
        if (*k == '#' || *k == ';' || (eq = strchr(k, '=')) == NULL)
            continue;
        for (e = eq; e > k && (e[-1] == ' ' || e[-1] == '\t'); e--)
            ;
        *e = '\0';
        for (v = eq + 1; *v == ' ' || *v == '\t'; v++)
            ;
        for (e = v + strlen(v);
             e > v && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' ||
                       e[-1] == '\t');
             e--)
            ;
        *e = '\0';
        if (strcmp(k, "tables.max_bytes") == 0) {
            /* The intervals have a quarter of the analytics tables' bound
             * (a bad value is the analytics config reader's to report). */
            unsigned long long mb;
            char *end;

            errno = 0;
            mb = strtoull(v, &end, 10);
            if (errno == 0 && *end == '\0' && mb >= 4)
                c->max_bytes = (size_t)(mb / 4);
            continue;
        }
        if (strncmp(k, "integrity.", 10) != 0)
            continue;
        kz_error_clear(&err);
        if (kz_integrity_config_set(c, k, v, &err) == KZ_EUSAGE)
            fprintf(stderr, "kizuki: %s:%u: %s (default kept)\n", path, no,
                    err.msg);
    }
    fclose(f);
}

kz_hunt_integrity *
kz_hunt_integrity_new(const char *config_ignored)
{
    kz_hunt_integrity *h = calloc(1, sizeof(*h));
    kz_integrity_config c;

    if (h == NULL)
        return NULL;
    kz_integrity_config_default(&c);
    if (config_ignored != NULL)
        load_config(&c, config_ignored);
    if ((h->g = kz_integrity_new(&c)) == NULL) {
        free(h);
        return NULL;
    }
    return h;
}

void
kz_hunt_integrity_free(kz_hunt_integrity *h)
{
    if (h == NULL)
        return;
    kz_integrity_free(h->g);
    free(h);
}

static kz_status
feed_problem(kz_hunt_integrity *h, const kz_batch *b, const kz_problem *p)
{
    kz_integrity_unread u;
    char why[300];

    if (p->lost == 0)
        return KZ_OK;
    snprintf(why, sizeof(why), "%s: %s", kz_problem_kind_str(p->kind),
             p->msg);
    u.offset = p->offset;
    u.lost = p->lost;
    u.chunk = p->chunk;
    u.why = why;
    u.rid_known = b->chunk_rid == KZ_CHUNK_RID_VERIFIED ||
                  b->chunk_rid == KZ_CHUNK_RID_PLAUSIBLE;
    u.first_rid = b->chunk_first_rid;
    u.last_rid = b->chunk_last_rid;
    return kz_integrity_unreadable(h->g, &u);
}

/* A verified chunk with no damage and its own ids: ids its header
 * declares before the first or after the last record it held are
 * missing (records deleted at the start or end of a log). Ids are
 * compared within the chunk, whatever the key (a host renamed mid-chunk
 * is no gap). Duplicates count as held; records carved from slack do
 * not. */
static void
declared(kz_hunt_integrity *h, const kz_batch *b)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    size_t i;

    if (b->rid_foreign != 0)
        return;
    for (i = 0; i < b->problems.n; i++)
        if (b->problems.items[i].lost != 0)
            return;
    for (i = 0; i < b->nevents; i++) {
        const kz_event *ev = &b->events[i];

        if ((ev->flags & KZ_EV_RECOVERED) ||
            !(ev->flags & KZ_EV_HAS_RECORD_ID))
            continue;
        if (ev->record_id < lo)
            lo = ev->record_id;
        if (ev->record_id > hi)
            hi = ev->record_id;
    }
    if (lo > hi)
        return;
    if (b->chunk_first_rid < lo)
        kz_integrity_declared(h->g, b->chunk_first_rid, lo - 1);
    if (b->chunk_last_rid > hi)
        kz_integrity_declared(h->g, hi + 1, b->chunk_last_rid);
}

kz_status
kz_hunt_integrity_batch(kz_hunt_integrity *h, const kz_batch *b)
{
    const kz_input *in = b->input;
    const kz_problem *pr = b->problems.items;
    size_t np = b->problems.n, p = 0, i;
    bool evtx;
    kz_status st;

    if (in == NULL)
        return KZ_OK;
    evtx = in->kind == KZ_INPUT_EVTX;
    if (!h->have_file || in->file_index != h->file) {
        h->have_file = true;
        h->file = in->file_index;
        if ((st = kz_integrity_file(h->g, in->file_index, in->arg_index,
                                    in->path, evtx)) != KZ_OK)
            return st;
    }
    /* Most records' EventRecordID is not their own: an export or
     * forwarded events (a stray one is damage, not a foreign log). */
    if (evtx)
        kz_integrity_foreign(h->g, b->rid_foreign != 0 &&
                                       b->rid_foreign * 2 >
                                           b->nevents - b->recovered);
    for (i = 0; i < b->nevents; i++) {
        const kz_event *ev = &b->events[i];
        kz_integrity_rec r;

        /* EVTX: problems before the record, by byte offset. JSON
         * positions are ordinals: its problems go first. */
        while (p < np && (!evtx || pr[p].offset <= ev->position))
            if ((st = feed_problem(h, b, &pr[p++])) != KZ_OK)
                return st;
        if (ev->flags & (KZ_EV_DUPLICATE | KZ_EV_RECOVERED))
            continue;
        r.computer = ev->computer.p;
        r.computer_len = ev->computer.p ? ev->computer.len : 0;
        r.channel = ev->channel.p;
        r.channel_len = ev->channel.p ? ev->channel.len : 0;
        r.record_id = ev->record_id;
        r.time = ev->time;
        r.position = ev->position;
        r.event_id = ev->event_id;
        r.has_record_id = (ev->flags & KZ_EV_HAS_RECORD_ID) != 0;
        r.has_event_id = (ev->flags & KZ_EV_HAS_EVENT_ID) != 0;
        if ((st = kz_integrity_record(h->g, &r)) != KZ_OK)
            return st;
    }
    while (p < np)
        if ((st = feed_problem(h, b, &pr[p++])) != KZ_OK)
            return st;
    if (evtx && b->chunk_rid == KZ_CHUNK_RID_VERIFIED)
        declared(h, b);
    return KZ_OK;
}

kz_status
kz_hunt_integrity_finish(kz_hunt_integrity *h, const kz_finding_sink *sink)
{
    return kz_integrity_finish(h->g, sink);
}
