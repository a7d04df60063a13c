/*
 * test_detdict.c - detection records built with a dictionary (input
 * paths by file_index, field names by interned id, Details labels by
 * code, channels by code, 1- or 2-byte string lengths): they decode to
 * the same texts as records that hold every string, sort in the same
 * order, write the same timeline rows, and a damaged one never decodes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "event/names.h"
#include "write/det_store.h"
#include "write/detection.h"
#include "write/timeline.h"

#define F(n, v)                                                            \
    { { n, sizeof(n) - 1 }, KZ_NAME_NONE, KZ_FG_EVENTDATA,                 \
      { (const uint8_t *)(v), sizeof(v) - 1, KZ_VT_UTF8 } }

/* 4624: Details shows Account (TargetDomainName\TargetUserName),
 * LogonType, IpAddress, WorkstationName; the rest goes to Extra. Two
 * "Data" fields (a repeat), a name spelled unlike the table, a value of
 * 127 and one of 128 bytes (the length width changes there). */
static kz_field fields[] = {
    F("SubjectUserSid", "S-1-5-18"),
    F("TargetUserName", "alice"),
    F("TargetDomainName", "CORP"),
    F("LogonType", "10"),
    F("IpAddress", "203.0.113.7"),
    F("WorkstationName", "WS\"01\""),
    F("Data", "first"),
    F("Data", "second"),
    F("processname", "C:\\x.exe"),
    F("Long127", ""),
    F("Long128", ""),
};

static char v127[127], v128[128];

/* The names table: interned like the loader does, then frozen; the
 * fields get their ids as a reader would give them. */
static kz_names *
names_for_fields(void)
{
    static const char *const interned[] = {
        "SubjectUserSid", "LogonType", "IpAddress", "Data", "ProcessName",
        "Long128",
    };
    kz_names *t = kz_names_new();
    int32_t id;
    size_t i;

    T_CHECK(t != NULL, "names");
    for (i = 0; i < T_COUNT(interned); i++)
        T_CHECK(kz_names_add(t, interned[i], strlen(interned[i]), &id) ==
                    KZ_OK,
                "add");
    kz_names_freeze(t);
    memset(v127, 'a', sizeof(v127));
    memset(v128, 'b', sizeof(v128));
    for (i = 0; i < T_COUNT(fields); i++) {
        fields[i].id =
            kz_names_lookup(t, fields[i].name.p, fields[i].name.len);
        if (strcmp(fields[i].name.p, "Long127") == 0)
            fields[i].value = (kz_value){ (const uint8_t *)v127, 127,
                                          KZ_VT_UTF8 };
        if (strcmp(fields[i].name.p, "Long128") == 0)
            fields[i].value = (kz_value){ (const uint8_t *)v128, 128,
                                          KZ_VT_UTF8 };
    }
    return t;
}

static kz_event
event_of(kz_time t, uint64_t pos, const char *channel)
{
    kz_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.time = t;
    ev.record_id = 7;
    ev.event_id = 4624;
    ev.flags = KZ_EV_HAS_RECORD_ID | KZ_EV_HAS_EVENT_ID;
    ev.channel = (kz_str){ channel, strlen(channel) };
    ev.computer = (kz_str){ "WS01", 4 };
    ev.fields = fields;
    ev.nfields = T_COUNT(fields);
    ev.position = pos;
    return ev;
}

static void
build(kz_strbuf *buf, const kz_event *ev, const char *path, uint32_t file,
      const kz_det_dict *dict)
{
    kz_strbuf scratch;
    kz_det_origin o = { path, 0, file, NULL, NULL, dict };

    kz_strbuf_init(&scratch, 0);
    T_CHECK(kz_det_build(buf, ev, &o, 3, KZ_LEVEL_HIGH, NULL, &scratch) ==
                KZ_OK,
            "build");
    kz_strbuf_fini(&scratch);
}

/* Every pair of both records reads the same. */
static void
same_pairs(const kz_det *a, const kz_det *b)
{
    const uint8_t *ca = a->details, *cb = b->details;
    kz_str na, va, nb, vb;
    int32_t ia, ib;
    size_t i;

    T_EQ_INT(a->ndetails, b->ndetails);
    T_EQ_INT(a->nextra, b->nextra);
    for (i = 0; i < (size_t)a->ndetails + a->nextra; i++) {
        if (i == a->ndetails) {
            ca = a->extra;
            cb = b->extra;
        }
        T_CHECK(kz_det_pair_next_id(a, &ca, &na, &va, &ia), "pair a %zu",
                i);
        T_CHECK(kz_det_pair_next_id(b, &cb, &nb, &vb, &ib), "pair b %zu",
                i);
        T_CHECK(na.len == nb.len && memcmp(na.p, nb.p, na.len) == 0,
                "name %zu", i);
        T_CHECK(va.len == vb.len && memcmp(va.p, vb.p, va.len) == 0,
                "value %zu", i);
        /* held names, but labels are coded in every record */
        T_CHECK(ib == KZ_NAME_NONE || ib >= KZ_DET_LABEL_ID0, "b id %d",
                (int)ib);
    }
    T_CHECK(ca == a->end || i == 0, "all of a read");
}

static void
dict_round_trip(void)
{
    kz_names *names = names_for_fields();
    kz_det_dict dict;
    kz_event ev = event_of(1000, 64, "Security");
    kz_strbuf held, refd;
    kz_det a, b, x;
    const uint8_t *cur;
    kz_str n, v;
    int32_t id;
    size_t i, ids = 0, labels = 0;

    kz_det_dict_init(&dict, names);
    kz_strbuf_init(&held, 0);
    kz_strbuf_init(&refd, 0);
    build(&held, &ev, "logs/a.evtx", 5, NULL);
    build(&refd, &ev, "logs/a.evtx", 5, &dict);
    T_CHECK(refd.len < held.len, "smaller: %zu < %zu", refd.len, held.len);
    /* No path yet: the record does not decode. */
    T_CHECK(!kz_det_decode_in(&dict, (const uint8_t *)refd.data, refd.len,
                              &b),
            "path missing");
    T_CHECK(kz_det_dict_set_path(&dict, 5, "logs/a.evtx") == KZ_OK, "set");
    T_CHECK(kz_det_dict_set_path(&dict, 5, "other") == KZ_OK, "set twice");
    T_CHECK(kz_det_decode((const uint8_t *)held.data, held.len, &a), "a");
    T_CHECK(kz_det_decode_in(&dict, (const uint8_t *)refd.data, refd.len,
                             &b),
            "b");
    /* Without its dictionary a record that names strings never decodes. */
    T_CHECK(!kz_det_decode((const uint8_t *)refd.data, refd.len, &x),
            "needs its dictionary");
    T_CHECK(b.path.len == 11 && memcmp(b.path.p, "logs/a.evtx", 11) == 0,
            "path from the dictionary (first one set)");
    T_CHECK(b.flags & KZ_DET_PATH_BY_INDEX, "flag");
    T_CHECK(b.channel.len == 8 && memcmp(b.channel.p, "Security", 8) == 0,
            "coded channel");
    T_CHECK(a.channel.len == 8 && memcmp(a.channel.p, "Security", 8) == 0,
            "coded channel, no dictionary");
    T_CHECK(b.computer.len == 4, "computer");
    T_EQ_INT(b.file_index, 5);
    T_EQ_INT(b.time, 1000);
    same_pairs(&b, &a);
    /* Ids: interned names spelled as the table spells them, not repeats;
     * labels by code. */
    cur = b.details;
    for (i = 0; i < (size_t)b.ndetails + b.nextra; i++) {
        if (i == b.ndetails)
            cur = b.extra;
        T_CHECK(kz_det_pair_next_id(&b, &cur, &n, &v, &id), "pair");
        if (id >= KZ_DET_LABEL_ID0)
            labels++;
        else if (id != KZ_NAME_NONE)
            ids++;
        if (n.len == 7 && memcmp(n.p, "Data[1]", 7) == 0)
            T_EQ_INT(id, KZ_NAME_NONE);
        if (n.len == 11 && memcmp(n.p, "processname", 11) == 0)
            T_EQ_INT(id, KZ_NAME_NONE);
        if (n.len == 7 && memcmp(n.p, "Long128", 7) == 0)
            T_CHECK(id >= 0 && v.len == 128 && v.p[127] == 'b', "128");
        if (n.len == 7 && memcmp(n.p, "Long127", 7) == 0)
            T_CHECK(id == KZ_NAME_NONE && v.len == 127 && v.p[0] == 'a',
                    "127");
    }
    T_EQ_INT(labels, 4);
    T_EQ_INT(ids, 3); /* SubjectUserSid, Data, Long128 */
    kz_strbuf_fini(&held);
    kz_strbuf_fini(&refd);
    kz_det_dict_fini(&dict);
    kz_names_free(names);
}

/* A channel not in the code table, or one spelled differently, is held
 * as it is; the correlation/analytics path (kz_det_build_pairs from a
 * decoded record) holds the path again. */
static void
dict_channels_and_pairs(void)
{
    kz_names *names = names_for_fields();
    kz_det_dict dict;
    kz_event ev = event_of(5, 1, "security");
    kz_strbuf r, c;
    kz_det d, e;
    kz_str pairs[2] = { { "K", 1 }, { "V", 1 } };

    kz_det_dict_init(&dict, names);
    kz_strbuf_init(&r, 0);
    kz_strbuf_init(&c, 0);
    T_CHECK(kz_det_dict_set_path(&dict, 0, "p.evtx") == KZ_OK, "set");
    build(&r, &ev, "p.evtx", 0, &dict);
    T_CHECK(kz_det_decode_in(&dict, (const uint8_t *)r.data, r.len, &d),
            "decode");
    T_CHECK(d.channel.len == 8 && memcmp(d.channel.p, "security", 8) == 0,
            "held channel");
    T_CHECK(kz_det_build_pairs(&c, &d, 9, KZ_LEVEL_LOW, pairs, 1, 0) ==
                KZ_OK,
            "pairs");
    T_CHECK(kz_det_decode((const uint8_t *)c.data, c.len, &e),
            "no dictionary needed");
    T_CHECK(!(e.flags & KZ_DET_PATH_BY_INDEX) && e.path.len == 6 &&
                memcmp(e.path.p, "p.evtx", 6) == 0,
            "path held");
    kz_strbuf_fini(&r);
    kz_strbuf_fini(&c);
    kz_det_dict_fini(&dict);
    kz_names_free(names);
}

/* Damaged records: a name id past the table, a label code past the
 * Details table, a channel code past its table, a length that
 * overruns; none decodes. */
static void
dict_damaged(void)
{
    kz_names *names = names_for_fields();
    kz_det_dict dict;
    kz_event ev = event_of(5, 1, "Security");
    kz_strbuf r;
    kz_det d;
    size_t i;
    uint8_t *p;
    int bad = 0;

    kz_det_dict_init(&dict, names);
    kz_strbuf_init(&r, 0);
    T_CHECK(kz_det_dict_set_path(&dict, 0, "p") == KZ_OK, "set");
    build(&r, &ev, "p", 0, &dict);
    p = (uint8_t *)r.data;
    T_CHECK(kz_det_decode_in(&dict, p, r.len, &d), "sound");
    /* channel code: header, path (1), computer (1 + 4), then the code */
    T_EQ_INT(p[KZ_DET_HEADER + 1 + 5], 0xFF);
    p[KZ_DET_HEADER + 1 + 5 + 1] = 0xF0;
    T_CHECK(!kz_det_decode_head_in(&dict, p, r.len, &d), "channel code");
    p[KZ_DET_HEADER + 1 + 5 + 1] = 0x00;
    /* every name id / label code set to 0xFFFF in turn */
    for (i = KZ_DET_HEADER; i + 2 < r.len; i++) {
        uint8_t save[2];

        if (p[i] != KZ_DET_NAME_ID && p[i] != KZ_DET_NAME_LABEL)
            continue;
        memcpy(save, p + i + 1, 2);
        memset(p + i + 1, 0xFF, 2);
        bad += !kz_det_decode_in(&dict, p, r.len, &d);
        memcpy(p + i + 1, save, 2);
    }
    T_CHECK(bad >= 7, "ids and labels checked (%d)", bad);
    T_CHECK(kz_det_decode_in(&dict, p, r.len, &d), "sound again");
    /* every cut of the record */
    for (i = 0; i < r.len; i++) {
        uint32_t n = (uint32_t)i;

        memcpy(p, &n, 4);
        T_CHECK(!kz_det_decode_in(&dict, p, i, &d), "cut at %zu", i);
    }
    kz_strbuf_fini(&r);
    kz_det_dict_fini(&dict);
    kz_names_free(names);
}

/* The store sorts by path bytes, not by file_index: with file 0 named
 * "b" and file 1 "a", at equal times file 1 comes first; in memory and
 * through spilled runs alike. The timeline rows are those of records
 * that hold every string. */
static void
dict_store_order_and_rows(void)
{
    kz_names *names = names_for_fields();
    kz_det_dict dict;
    kz_det_store_opts so;
    kz_det_store *s;
    kz_strbuf r, held, out, want;
    kz_error err;
    const uint8_t *rec;
    const kz_sigma_rule *rules[4] = { NULL, NULL, NULL, NULL };
    kz_tl_opts to;
    kz_timeline *tl;
    kz_det d, h;
    size_t len, k, pass;
    kz_event ev;
    uint32_t file;

    kz_det_dict_init(&dict, names);
    T_CHECK(kz_det_dict_set_path(&dict, 0, "logs/b.evtx") == KZ_OK, "b");
    T_CHECK(kz_det_dict_set_path(&dict, 1, "logs/a.evtx") == KZ_OK, "a");
    kz_strbuf_init(&r, 0);
    kz_strbuf_init(&held, 0);
    kz_strbuf_init(&out, 0);
    kz_strbuf_init(&want, 0);
    memset(&to, 0, sizeof(to));
    to.format = KZ_TL_JSONL;
    to.rules = rules;
    to.nrules = 4;
    for (pass = 0; pass < 2; pass++) {
        memset(&so, 0, sizeof(so));
        so.mem_bound = pass == 0 ? 0 : 4096;
        so.dict = &dict;
        T_CHECK(kz_det_store_new(&so, &s, &err) == KZ_OK, "new");
        for (k = 0; k < 40; k++) {
            file = (uint32_t)(k % 2);
            ev = event_of((kz_time)(k / 4), k, k % 3 ? "Security"
                                                     : "Other/Channel");
            kz_strbuf_reset(&r);
            build(&r, &ev, NULL, file, &dict);
            T_CHECK(kz_det_store_add(s, (const uint8_t *)r.data, r.len,
                                     &err) == KZ_OK,
                    "add");
        }
        T_CHECK(kz_det_store_finish(s, &err) == KZ_OK, "finish");
        tl = kz_timeline_new(&to);
        T_CHECK(tl != NULL, "timeline");
        k = 0;
        for (;;) {
            T_CHECK(kz_det_store_next(s, &rec, &len, &err) == KZ_OK,
                    "next");
            if (rec == NULL)
                break;
            T_CHECK(kz_det_decode_in(&dict, rec, len, &d), "decode");
            /* time k/4: files 0 and 1 twice each; "a" (file 1) first */
            T_EQ_INT(d.file_index, (k % 4) < 2 ? 1 : 0);
            T_EQ_INT(d.time, (kz_time)(k / 4));
            /* the same row from a record holding every string */
            ev = event_of(d.time, d.position,
                          d.position % 3 ? "Security" : "Other/Channel");
            kz_strbuf_reset(&held);
            build(&held, &ev, d.file_index ? "logs/a.evtx" : "logs/b.evtx",
                  d.file_index, NULL);
            T_CHECK(kz_det_decode((const uint8_t *)held.data, held.len, &h),
                    "held");
            kz_strbuf_reset(&out);
            kz_strbuf_reset(&want);
            T_CHECK(kz_timeline_row(tl, &d, &out, NULL) == KZ_OK, "row");
            T_CHECK(kz_timeline_row(tl, &h, &want, NULL) == KZ_OK, "row");
            T_EQ_STR(out.data, want.data);
            k++;
        }
        T_EQ_INT(k, 40);
        kz_timeline_free(tl);
        kz_det_store_free(s);
    }
    kz_strbuf_fini(&r);
    kz_strbuf_fini(&held);
    kz_strbuf_fini(&out);
    kz_strbuf_fini(&want);
    kz_det_dict_fini(&dict);
    kz_names_free(names);
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(dict_round_trip),
        T_CASE(dict_channels_and_pairs),
        T_CASE(dict_damaged),
        T_CASE(dict_store_order_and_rows),
    };
    return t_run(cases, T_COUNT(cases), argc, argv);
}
