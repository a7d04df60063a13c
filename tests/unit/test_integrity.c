/*
 * test_integrity.c - log integrity analytics (D11), table-driven: each row
 * is a small script of inputs, records and unreadable ranges, and the
 * findings it must give. Also the reader side: the record-id range a
 * chunk header declares (kz_batch.chunk_rid).
 *
 * Script tokens (separated by spaces):
 *   F          a new EVTX input        J   a new JSON input
 *   Ra-b       records a..b on host H, channel Security, time = id minutes
 *   Ra-b@t     the same, the first at t minutes, then one minute apart
 *   Ca-b       records a..b on channel System
 *   Ti@t       one record i at t minutes
 *   U          an unreadable range, ids unknown
 *   Ua-b       an unreadable range in a chunk declaring ids a..b
 *   X / x      records that follow carry another log's ids / their own
 *   Da-b       ids a..b declared by a clean chunk header but not in it
 */
#include <stdlib.h>
#include <string.h>

#include "analytics/integrity.h"
#include "base/crc32.h"
#include "read/evtx/evtx.h"
#include "t.h"

#define MAXGOT 64

typedef struct got {
    char analytic[32];
    char details[1024];   /* "Name=Value\n" for every pair */
    uint64_t record_id;
    bool has_record_id;
    kz_time time;
    char path[32];
} got;

static got G[MAXGOT];
static size_t NG;

static kz_status
emit(void *ctx, const kz_finding *f)
{
    got *g;
    size_t i, n = 0;

    (void)ctx;
    if (NG >= MAXGOT)
        return KZ_OK;
    g = &G[NG++];
    memset(g, 0, sizeof(*g));
    snprintf(g->analytic, sizeof(g->analytic), "%s", f->analytic);
    for (i = 0; i < f->ndetails + f->nextra; i++) {
        int k = snprintf(g->details + n, sizeof(g->details) - n,
                         "%.*s=%.*s\n", (int)f->pairs[2 * i].len,
                         f->pairs[2 * i].p, (int)f->pairs[2 * i + 1].len,
                         f->pairs[2 * i + 1].p);

        if (k > 0 && (size_t)k < sizeof(g->details) - n)
            n += (size_t)k;
    }
    g->record_id = f->at.record_id;
    g->has_record_id = f->at.has_record_id;
    g->time = f->at.time;
    snprintf(g->path, sizeof(g->path), "%s", f->at.path ? f->at.path : "");
    return KZ_OK;
}

/* Value of pair name in g's details, or "" (static buffer). */
static const char *
detail(const got *g, const char *name)
{
    static char v[512];
    size_t nl = strlen(name);
    const char *p = g->details;

    while (*p) {
        const char *e = strchr(p, '\n');

        if (e == NULL)
            break;
        if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
            snprintf(v, sizeof(v), "%.*s", (int)(e - p - nl - 1), p + nl + 1);
            return v;
        }
        p = e + 1;
    }
    return "";
}

static size_t
count(const char *analytic)
{
    size_t i, n = 0;

    for (i = 0; i < NG; i++)
        n += strcmp(G[i].analytic, analytic) == 0;
    return n;
}

static const got *
first(const char *analytic)
{
    size_t i;

    for (i = 0; i < NG; i++)
        if (strcmp(G[i].analytic, analytic) == 0)
            return &G[i];
    return NULL;
}

static kz_time
minutes(long long m)
{
    return (kz_time)(13300000000LL + m * 60) * KZ_TICKS_PER_SEC;
}

static void
rec(kz_integrity *g, const char *channel, uint64_t id, kz_time t,
    uint64_t *pos)
{
    kz_integrity_rec r;

    memset(&r, 0, sizeof(r));
    r.computer = "H";
    r.computer_len = 1;
    r.channel = channel;
    r.channel_len = strlen(channel);
    r.record_id = id;
    r.has_record_id = true;
    r.time = t;
    r.position = (*pos)++;
    r.event_id = (uint32_t)(4624 + id % 5);
    r.has_event_id = true;
    T_CHECK(kz_integrity_record(g, &r) == KZ_OK, "record %llu",
            (unsigned long long)id);
}

/* Runs script s with config c (NULL = defaults); findings in G/NG. */
static void
run(const char *s, const kz_integrity_config *c, kz_integrity_stats *st)
{
    kz_integrity *g = kz_integrity_new(c);
    kz_finding_sink sink = {emit, NULL};
    char buf[512], *tok, *save = NULL;
    uint32_t files = 0;
    uint64_t pos = 0;

    NG = 0;
    T_CHECK(g != NULL, "new");
    if (g == NULL)
        return;
    snprintf(buf, sizeof(buf), "%s", s);
    for (tok = strtok_r(buf, " ", &save); tok != NULL;
         tok = strtok_r(NULL, " ", &save)) {
        unsigned long long a = 0, b = 0;
        long long t = 0;
        char path[16];

        switch (tok[0]) {
        case 'F':
        case 'J':
            snprintf(path, sizeof(path), "f%u", files);
            T_CHECK(kz_integrity_file(g, files, 0, path, tok[0] == 'F') ==
                        KZ_OK,
                    "file");
            files++;
            pos = 4096;
            break;
        case 'R':
        case 'C': {
            int n = sscanf(tok + 1, "%llu-%llu@%lld", &a, &b, &t);

            if (n == 1)
                b = a;
            for (unsigned long long i = a; i <= b; i++)
                rec(g, tok[0] == 'R' ? "Security" : "System", i,
                    n == 3 ? minutes(t + (long long)(i - a))
                           : minutes((long long)i),
                    &pos);
            break;
        }
        case 'D':
            T_CHECK(sscanf(tok + 1, "%llu-%llu", &a, &b) == 2, "%s", tok);
            kz_integrity_declared(g, a, b);
            break;
        case 'X':
        case 'x':
            kz_integrity_foreign(g, tok[0] == 'X');
            break;
        case 'T':
            T_CHECK(sscanf(tok + 1, "%llu@%lld", &a, &t) == 2, "%s", tok);
            rec(g, "Security", a, minutes(t), &pos);
            break;
        case 'U': {
            kz_integrity_unread u;

            memset(&u, 0, sizeof(u));
            u.offset = pos;
            u.lost = 65536;
            u.chunk = 1;
            u.why = "evtx chunk signature: bad chunk signature";
            if (sscanf(tok + 1, "%llu-%llu", &a, &b) == 2) {
                u.rid_known = true;
                u.first_rid = a;
                u.last_rid = b;
            }
            T_CHECK(kz_integrity_unreadable(g, &u) == KZ_OK, "unreadable");
            pos += 65536;
            break;
        }
        default:
            T_CHECK(0, "bad token %s", tok);
        }
    }
    T_CHECK(kz_integrity_finish(g, &sink) == KZ_OK, "finish");
    if (st != NULL)
        kz_integrity_get_stats(g, st);
    kz_integrity_free(g);
}

typedef struct row {
    const char *name;
    const char *script;
    int gaps, unreadable, backwards, json;
    const char *missing_ids;   /* first gap's MissingIds, or NULL */
    const char *missing;       /* first gap's Missing, or NULL */
    const char *unread_ids;    /* first unreadable's RecordIds, or NULL */
} row;

static const row rows[] = {
    {"contiguous", "F R1-100", 0, 0, 0, 0, NULL, NULL, NULL},
    {"one gap", "F R1-100 R121-200", 1, 0, 0, 0, "101-120", "20", NULL},
    {"single missing id", "F R1-10 R12-20", 1, 0, 0, 0, "11", "1", NULL},
    {"archives join", "F R1-100 F R101-200", 0, 0, 0, 0, NULL, NULL, NULL},
    {"archives join, reverse order", "F R101-200 F R1-100", 0, 0, 0, 0,
     NULL, NULL, NULL},
    {"archives do not join", "F R1-100 F R111-200", 1, 0, 0, 0, "101-110",
     "10", NULL},
    {"overlap", "F R1-150 F R101-200", 0, 0, 0, 0, NULL, NULL, NULL},
    {"circular wrap", "F R500-600 R300-499", 0, 0, 0, 0, NULL, NULL, NULL},
    {"counter restart", "F R1000-1100@0 R1-50@200", 0, 0, 0, 0, NULL, NULL,
     NULL},
    {"restart then gap", "F R1000-1100@0 R1-50@200 R60-70@300", 1, 0, 0, 0,
     "51-59", "9", NULL},
    {"unreadable between good", "F R1-100 U R201-300", 0, 1, 0, 0, NULL,
     NULL, "101-200 (between the records read around it; header unknown)"},
    {"unreadable declared", "F R1-100 U101-200 R201-300", 0, 1, 0, 0, NULL,
     NULL, "101-200 (declared by the chunk header)"},
    {"unreadable declared, rest missing", "F R1-100 U101-150 R201-300", 1, 1,
     0, 0, "101-200", "50", "101-150 (declared by the chunk header)"},
    {"unreadable at file start", "F U1-50 R51-100", 0, 1, 0, 0, NULL, NULL,
     "1-50 (declared by the chunk header)"},
    {"unreadable at file end, next archive", "F R1-100 U F R150-200", 0, 1,
     0, 0, NULL, NULL,
     "101 and above (between the records read around it; header "
     "unknown)"},
    {"unreadable run is one finding", "F R1-10 U U U R50-60", 0, 1, 0, 0,
     NULL, NULL, NULL},
    {"unreadable in other channel's file", "F C1-100 U C201-300 F R1-100 "
     "R201-300", 1, 1, 0, 0, "101-200", "100", NULL},
    {"backwards under threshold", "F R1-10 T11@-20 R12-20", 0, 0, 0, 0,
     NULL, NULL, NULL},
    {"backwards over threshold", "F R1-10 T11@-100 R12-20", 0, 0, 1, 0,
     NULL, NULL, NULL},
    {"backwards run counted once", "F R1-10 T11@-100 T12@-99 T13@-98 "
     "R14-20", 0, 0, 1, 0, NULL, NULL, NULL},
    {"two backwards runs", "F R1-10 T11@-100 R12-20 T21@-100 R22-30", 0, 0,
     2, 0, NULL, NULL, NULL},
    {"json: coverage only", "J R1-100 R150-200", 0, 0, 0, 1, NULL, NULL,
     NULL},
    {"header naming other records is ignored", "F R1-100 U5000-5050 R102-200",
     0, 1, 0, 0, NULL, NULL,
     "101 (between the records read around it; the header names other "
     "records)"},
    {"damage at the end of a chunk", "F R1-5 U1-20", 0, 1, 0, 0, NULL, NULL,
     "6-20 (declared by the chunk header)"},
    {"evtx export: coverage only", "F X R1-10 R50-60", 0, 0, 0, 1, NULL,
     NULL, NULL},
    {"export then own ids", "F X R1-10 R50-60 x R1-10 R20-30", 1, 0, 0, 1,
     "11-19", "9", NULL},
    {"declared tail not read", "F R1-100 D101-110", 1, 0, 0, 0, "101-110",
     "10", NULL},
    {"declared head not read", "F R6-100 D1-5", 1, 0, 0, 0, "1-5", "5",
     NULL},
    {"declared tail read in the next archive", "F R1-100 D101-110 F R101-200",
     0, 0, 0, 0, NULL, NULL, NULL},
    {"declared tail in an unreadable range", "F R1-100 D101-110 U", 0, 1, 0,
     0, NULL, NULL, NULL},
    {"json newest first", "J R100-100 R99-99 R98-98 R90-90", 0, 0, 0, 1,
     NULL, NULL, NULL},
    {"json and evtx of one channel", "J R1-10 R50-60 F R1-100", 0, 0, 0, 1,
     NULL, NULL, NULL},
};

static void
test_table(void)
{
    size_t i;

    for (i = 0; i < T_COUNT(rows); i++) {
        const row *r = &rows[i];
        const got *x;

        run(r->script, NULL, NULL);
        T_CHECK(count("kz_a_log_gap") == (size_t)r->gaps, "%s: %zu gaps",
                r->name, count("kz_a_log_gap"));
        T_CHECK(count("kz_a_log_unreadable") == (size_t)r->unreadable,
                "%s: %zu unreadable", r->name, count("kz_a_log_unreadable"));
        T_CHECK(count("kz_a_time_backwards") == (size_t)r->backwards,
                "%s: %zu backwards", r->name, count("kz_a_time_backwards"));
        T_CHECK(count("kz_a_json_coverage") == (size_t)r->json,
                "%s: %zu json", r->name, count("kz_a_json_coverage"));
        if (r->missing_ids != NULL && (x = first("kz_a_log_gap")) != NULL) {
            T_CHECK(strcmp(detail(x, "MissingIds"), r->missing_ids) == 0,
                    "%s: MissingIds %s", r->name, detail(x, "MissingIds"));
            T_CHECK(strcmp(detail(x, "Missing"), r->missing) == 0,
                    "%s: Missing %s", r->name, detail(x, "Missing"));
        }
        if (r->unread_ids != NULL &&
            (x = first("kz_a_log_unreadable")) != NULL)
            T_CHECK(strcmp(detail(x, "RecordIds"), r->unread_ids) == 0,
                    "%s: RecordIds %s", r->name, detail(x, "RecordIds"));
    }
}

/* A gap's finding: the record after it, the times either side, the file
 * before it when it differs. */
static void
test_gap_details(void)
{
    const got *x;

    run("F R1-100 F R121-200", NULL, NULL);
    T_EQ_INT(NG, 1);
    if ((x = first("kz_a_log_gap")) == NULL)
        return;
    T_CHECK(x->has_record_id && x->record_id == 121, "ref %llu",
            (unsigned long long)x->record_id);
    T_CHECK(x->time == minutes(121), "time");
    T_EQ_STR(x->path, "f1");
    T_EQ_STR(detail(x, "Before"), "100 @ 2022-06-18T06:06:40.000000+00:00");
    T_EQ_STR(detail(x, "After"), "121 @ 2022-06-18T06:27:40.000000+00:00");
    T_EQ_STR(detail(x, "BeforeFile"), "f0");
}

static void
test_unreadable_details(void)
{
    const got *x;

    run("F R1-10 U U U R50-60", NULL, NULL);
    if ((x = first("kz_a_log_unreadable")) == NULL) {
        T_CHECK(0, "no unreadable finding");
        return;
    }
    T_EQ_STR(detail(x, "Ranges"), "3");
    T_EQ_STR(detail(x, "Bytes"), "196608");
    T_EQ_STR(detail(x, "RecordIds"),
             "11-49 (between the records read around it; header unknown)");
    T_CHECK(!x->has_record_id, "an unreadable range has no record");
    T_CHECK(x->time == minutes(10), "time of the record before");
}

static void
test_backwards_details(void)
{
    const got *x;

    run("F R1-10 T11@-100 T12@-99 T13@-98 R14-20", NULL, NULL);
    if ((x = first("kz_a_time_backwards")) == NULL) {
        T_CHECK(0, "no finding");
        return;
    }
    T_CHECK(x->record_id == 11, "first of the run");
    T_EQ_STR(detail(x, "Records"), "3");
    T_EQ_STR(detail(x, "Behind"), "1h50m00s");
    T_EQ_STR(detail(x, "Threshold"), "1h00m00s");
    T_CHECK(strncmp(detail(x, "Then"), "back in order", 13) == 0, "%s",
            detail(x, "Then"));
    run("F R1-10 T11@-100 T12@-99", NULL, NULL);
    if ((x = first("kz_a_time_backwards")) != NULL)
        T_CHECK(strncmp(detail(x, "Then"), "still behind", 12) == 0, "%s",
                detail(x, "Then"));
}

static void
test_json_details(void)
{
    const got *x;

    run("J R1-100 R150-200", NULL, NULL);
    if ((x = first("kz_a_json_coverage")) == NULL) {
        T_CHECK(0, "no finding");
        return;
    }
    T_EQ_STR(detail(x, "Records"), "151");
    T_EQ_STR(detail(x, "EventIds"), "5 distinct");
    T_EQ_STR(detail(x, "RecordIds"), "1-200");
    run("J R100-100 R99-99 R98-98 R90-90", NULL, NULL);
    if ((x = first("kz_a_json_coverage")) != NULL)
        T_EQ_STR(detail(x, "IdGaps"), "1 gaps, 7 ids not present (not "
                                      "evaluated)");
    run("J R1-100 R150-200", NULL, NULL);
    x = first("kz_a_json_coverage");
    if (x == NULL)
        return;
    T_EQ_STR(detail(x, "IdGaps"), "1 gaps, 49 ids not present (not "
                                  "evaluated)");
    T_CHECK(strstr(detail(x, "Note"), "JSON exports") != NULL, "note");
    run("F X R1-10 R20-30", NULL, NULL);
    if ((x = first("kz_a_json_coverage")) != NULL)
        T_CHECK(strstr(detail(x, "Note"), "another log's EventRecordIDs") !=
                    NULL,
                "%s", detail(x, "Note"));
}

static void
test_caps(void)
{
    kz_integrity_config c;
    kz_integrity_stats st;
    const got *x;

    /* 9 one-id gaps, 4 intervals kept: some gaps merged away, counted. */
    kz_integrity_config_default(&c);
    c.max_intervals = 4;
    run("F R1 R3 R5 R7 R9 R11 R13 R15 R17 R19", &c, &st);
    T_CHECK(st.coarsened_gaps > 0, "coarsened");
    T_EQ_INT(st.gaps + st.coarsened_gaps, 9);
    T_EQ_INT(count("kz_a_log_gap"), st.gaps);
    if ((x = first("kz_a_log_gap")) != NULL) {
        T_CHECK(strstr(detail(x, "NotEvaluated"), "merged away") != NULL,
                "%s", x->details);
        T_CHECK(strstr(detail(x, "IntegrityLimits"), "gaps merged") != NULL,
                "%s", x->details);
    }
    /* The bytes of all intervals (a quarter of tables.max_bytes in
     * hunt): 40 one-id gaps need 41 intervals, 16 fit in 1100 bytes; the
     * key merges its smallest gaps instead of growing, counted. */
    {
        char script[512];
        size_t len = 0;
        int i;

        len += (size_t)snprintf(script, sizeof(script), "F");
        for (i = 0; i < 41; i++)
            len += (size_t)snprintf(script + len, sizeof(script) - len,
                                    " R%d", 1 + 2 * i);
        kz_integrity_config_default(&c);
        c.max_bytes = 1100;
        run(script, &c, &st);
        T_CHECK(st.interval_bytes > 0 && st.interval_bytes <= 1100,
                "interval bytes %llu", (unsigned long long)st.interval_bytes);
        T_CHECK(st.coarsened_gaps > 0, "coarsened");
        T_EQ_INT(st.gaps + st.coarsened_gaps, 40);
        kz_integrity_config_default(&c);
        run(script, &c, &st);
        T_EQ_INT(st.gaps, 40);
        T_CHECK(st.interval_bytes > 1100, "default bound");
    }
    /* One key only: the second channel's records are counted. */
    kz_integrity_config_default(&c);
    c.max_keys = 1;
    run("F R1-10 R20-30 C1-10", &c, &st);
    T_EQ_INT(st.dropped_keys, 10);
    if ((x = first("kz_a_log_gap")) != NULL)
        T_CHECK(strstr(detail(x, "IntegrityLimits"), "10 records") != NULL,
                "%s", x->details);
    /* Findings cap. */
    kz_integrity_config_default(&c);
    c.max_findings = 2;
    run("F R1 R3 R5 R7 R9", &c, &st);
    T_EQ_INT(count("kz_a_log_gap"), 2);
    T_EQ_INT(st.dropped_findings, 2);
    /* Unreadable cap. */
    kz_integrity_config_default(&c);
    c.max_unreadable = 1;
    run("F R1-10 U R20-30 U R40-50", &c, &st);
    T_EQ_INT(count("kz_a_log_unreadable"), 1);
    T_EQ_INT(st.dropped_unreadable, 1);
}

static void
test_config_keys(void)
{
    kz_integrity_config c;
    kz_error err;

    kz_integrity_config_default(&c);
    T_EQ_INT(c.backwards_threshold, 3600 * KZ_TICKS_PER_SEC);
    T_EQ_INT(kz_integrity_config_set(&c, "integrity.backwards_threshold",
                                     "90m", &err), KZ_OK);
    T_EQ_INT(c.backwards_threshold, 5400 * KZ_TICKS_PER_SEC);
    T_EQ_INT(kz_integrity_config_set(&c, "backwards_threshold", "30", &err),
             KZ_OK);
    T_EQ_INT(c.backwards_threshold, 30 * KZ_TICKS_PER_SEC);
    T_EQ_INT(kz_integrity_config_set(&c, "integrity.max_keys", "12", &err),
             KZ_OK);
    T_EQ_INT(c.max_keys, 12);
    T_EQ_INT(kz_integrity_config_set(&c, "integrity.max_keys", "0", &err),
             KZ_EUSAGE);
    T_EQ_INT(kz_integrity_config_set(&c, "integrity.max_keys", "x", &err),
             KZ_EUSAGE);
    T_EQ_INT(kz_integrity_config_set(&c, "integrity.backwards_threshold",
                                     "5w", &err), KZ_EUSAGE);
    T_EQ_INT(kz_integrity_config_set(&c, "fanout.hosts", "5", &err),
             KZ_EUNSUPPORTED);
}

/* The reader tells what range a chunk header declares. */
static void
parse_one(uint8_t *chunk, kz_batch *b)
{
    kz_read_opts o;
    kz_evtx_file_info info;

    kz_read_opts_default(&o);
    memset(&info, 0, sizeof(info));
    info.header_chunks = 1;
    memset(b, 0, sizeof(*b));
    kz_arena_init(&b->arena, 65536, 0);
    T_CHECK(kz_evtx_parse_chunk(chunk, KZ_EVTX_CHUNK_SIZE, 4096, 0, &info,
                                &o, b) == KZ_OK,
            "parse");
}

static void
put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void
put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void
test_chunk_rid(void)
{
    uint8_t *c = calloc(1, KZ_EVTX_CHUNK_SIZE);
    uint8_t tmp[504];
    kz_batch b;

    if (c == NULL)
        return;
    memcpy(c, "ElfChnk\0", 8);
    put64(c + 8, 1);
    put64(c + 16, 20);
    put64(c + 24, 1001);
    put64(c + 32, 1020);
    put32(c + 40, 128);
    put32(c + 48, 512);
    put32(c + 52, kz_crc32(c + 512, 0));
    memcpy(tmp, c, 120);
    memcpy(tmp + 120, c + 128, 384);
    put32(c + 124, kz_crc32(tmp, 504));
    parse_one(c, &b);
    T_EQ_INT(b.chunk_rid, KZ_CHUNK_RID_VERIFIED);
    T_EQ_INT(b.chunk_first_rid, 1001);
    T_EQ_INT(b.chunk_last_rid, 1020);
    kz_arena_fini(&b.arena);
    /* Header checksum wrong, numbers plausible: a hint. */
    c[124] ^= 1;
    parse_one(c, &b);
    T_EQ_INT(b.chunk_rid, KZ_CHUNK_RID_PLAUSIBLE);
    T_EQ_INT(b.chunk_first_rid, 1001);
    kz_arena_fini(&b.arena);
    /* Implausible numbers: unknown. */
    put64(c + 32, 1000);
    parse_one(c, &b);
    T_EQ_INT(b.chunk_rid, KZ_CHUNK_RID_UNKNOWN);
    kz_arena_fini(&b.arena);
    /* Bad signature: unknown. */
    put64(c + 32, 1020);
    c[0] = 'X';
    parse_one(c, &b);
    T_EQ_INT(b.chunk_rid, KZ_CHUNK_RID_UNKNOWN);
    kz_arena_fini(&b.arena);
    free(c);
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(test_table),
        T_CASE(test_gap_details),
        T_CASE(test_unreadable_details),
        T_CASE(test_backwards_details),
        T_CASE(test_json_details),
        T_CASE(test_caps),
        T_CASE(test_config_keys),
        T_CASE(test_chunk_rid),
    };
    return t_run(cases, T_COUNT(cases), argc, argv);
}
