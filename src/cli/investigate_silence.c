/*
 * investigate_silence.c - silences: spans in which a log that usually
 * writes often wrote nothing (stopped, paused, or emptied of them). Each
 * input file (one channel of one host, as Windows keeps them) is
 * followed in its physical order: the gaps between its latest event time
 * so far and the next later one, the largest KZ_INV_SILENCE_KEEP of at
 * least KZ_INV_SILENCE_MIN per file kept. A file is "busy" when it
 * averages at least KZ_INV_SILENCE_RATE events per hour over its span;
 * only a busy file's gaps are silences (a quiet log's long gaps are its
 * nature). The report states each silence that overlaps an incident's
 * span on one of its hosts. Reference: docs/investigate.md (evidence
 * limits).
 * Threads: the calling thread (on_batch, report).
 */
#include "cli/investigate_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/grow.h"

/* The file's slot (grown to index), NULL without memory. */
static kz_inv_file *
file_slot(kz_inv *v, uint32_t index)
{
    size_t old = v->cap_files;

    if (index >= KZ_INV_MAX_FILES)
        return NULL;
    if (index >= v->nfiles) {
        if (kz_grow(&v->files, &v->cap_files, (size_t)index + 1,
                    sizeof(*v->files), 64) != KZ_OK)
            return NULL;
        memset(v->files + old, 0, (v->cap_files - old) * sizeof(*v->files));
        v->nfiles = (size_t)index + 1;
    }
    return &v->files[index];
}

void
kz_inv_silence_event(kz_inv *v, const kz_batch *b, const kz_event *ev)
{
    kz_inv_file *f;
    kz_time gap;
    size_t i, lo;

    if (ev->time == KZ_TIME_NONE || b->input == NULL ||
        (f = file_slot(v, b->input->file_index)) == NULL)
        return;
    if (f->events++ == 0) {
        f->first = f->top = ev->time;
        /* cut copies (a cut UTF-8 tail only shows in the message) */
        if (ev->computer.len > 0) {
            size_t n = ev->computer.len < sizeof(f->host) - 1
                           ? ev->computer.len
                           : sizeof(f->host) - 1;

            memcpy(f->host, ev->computer.p, n);
            f->host[n] = '\0';
        }
        if (ev->channel.len > 0) {
            size_t n = ev->channel.len < sizeof(f->channel) - 1
                           ? ev->channel.len
                           : sizeof(f->channel) - 1;

            memcpy(f->channel, ev->channel.p, n);
            f->channel[n] = '\0';
        }
        return;
    }
    if (ev->time < f->first)
        f->first = ev->time;
    if (ev->time <= f->top)
        return;
    gap = ev->time - f->top;
    if (gap >= KZ_INV_SILENCE_MIN) {
        /* keep the largest: a free slot, else replace the smallest */
        for (i = 0, lo = 0; i < KZ_INV_SILENCE_KEEP; i++) {
            if (f->gap_end[i] == 0) {
                lo = i;
                break;
            }
            if (f->gap_end[i] - f->gap_start[i] <
                f->gap_end[lo] - f->gap_start[lo])
                lo = i;
        }
        if (f->gap_end[lo] == 0 ||
            gap > f->gap_end[lo] - f->gap_start[lo]) {
            f->gap_start[lo] = f->top;
            f->gap_end[lo] = ev->time;
        }
    }
    f->top = ev->time;
}

bool
kz_inv_file_busy(const kz_inv_file *f)
{
    kz_time span = f->top - f->first;

    if (f->events < 2 || span <= 0)
        return false;
    /* events per hour >= RATE  <=>  events * 1 h >= RATE * span */
    return (double)f->events * (double)KZ_INV_HOUR >=
           (double)KZ_INV_SILENCE_RATE * (double)span;
}
