/*
 * test_json.c - the JSON reader (read/json/): shapes, layouts, encodings,
 * escapes, malformed input, limits and positions.
 *
 * The format is driven directly (open/next/parse over an in-memory
 * stream), the way the pipeline does it, so each case sees the events and
 * problems of every unit. Fixtures: tests/data/json/ (KZ_SRC).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/time.h"
#include "event/event.h"
#include "event/names.h"
#include "read/format.h"
#include "read/json/json.h"
#include "read/json/json_int.h"
#include "read/stream.h"
#include "t.h"

/* ---- harness ----------------------------------------------------------- */

typedef struct res {
    kz_batch *b;         /* batches kept alive (their arenas) */
    size_t nb;           /* count */
    const kz_event **ev; /* every event, in order */
    size_t nev;          /* count */
    kz_problem *pr;      /* every problem: open, next, parse order */
    size_t npr;          /* count */
    size_t units;        /* units with data */
    char shape[32];      /* kz_json_shape_name() or "" */
    char layout[16];     /* kz_json_layout_name() */
    char enc[16];        /* kz_json_encoding_name() */
} res;

static void
add_problems(res *r, const kz_problem_list *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        r->pr = realloc(r->pr, (r->npr + 1) * sizeof(*r->pr));
        r->pr[r->npr++] = l->items[i];
    }
}

/* Reads n bytes at p as one JSON input, with options o (or defaults) and
 * the unit bounds given (0 = the default; kz_json_set_unit_bounds). */
static void
run_units(const void *p, size_t n, const kz_read_opts *o, size_t unit_bytes,
          size_t unit_records, res *r)
{
    kz_read_opts def;
    kz_stream *s = kz_stream_from_memory(p, n);
    kz_unit u;
    kz_error err;
    void *fs = NULL;
    kz_batch *b;
    size_t i;

    memset(r, 0, sizeof(*r));
    if (o == NULL) {
        kz_read_opts_default(&def);
        o = &def;
    }
    memset(&u, 0, sizeof(u));
    memset(&err, 0, sizeof(err));
    kz_arena_init(&u.arena, 4096, 0);
    T_CHECK(s != NULL, "stream");
    if (s == NULL)
        return;
    if (kz_format_json.open(s, NULL, o, &fs, &u, &err) != KZ_OK) {
        T_CHECK(0, "open failed: %s", err.msg);
        goto out;
    }
    kz_json_set_unit_bounds(fs, unit_bytes, unit_records);
    snprintf(r->shape, sizeof(r->shape), "%s",
             kz_json_shape_name(fs) ? kz_json_shape_name(fs) : "");
    snprintf(r->layout, sizeof(r->layout), "%s", kz_json_layout_name(fs));
    snprintf(r->enc, sizeof(r->enc), "%s", kz_json_encoding_name(fs));
    add_problems(r, &u.problems);
    for (;;) {
        memset(&u.problems, 0, sizeof(u.problems));
        kz_arena_reset(&u.arena);
        if (kz_format_json.next(fs, s, &u, &err) != KZ_OK) {
            T_CHECK(0, "next failed: %s", err.msg);
            break;
        }
        if (u.len == 0 && u.problems.n == 0)
            break;
        add_problems(r, &u.problems);
        if (u.len == 0)
            continue;
        r->units++;
        r->b = realloc(r->b, (r->nb + 1) * sizeof(*r->b));
        b = &r->b[r->nb++];
        memset(b, 0, sizeof(*b));
        kz_arena_init(&b->arena, 64 * 1024, 0);
        if (kz_format_json.parse(fs, &u, o, b) != KZ_OK) {
            T_CHECK(0, "parse failed");
            break;
        }
        add_problems(r, &b->problems);
        for (i = 0; i < b->nevents; i++) {
            r->ev = realloc(r->ev, (r->nev + 1) * sizeof(*r->ev));
            r->ev[r->nev++] = &b->events[i];
        }
    }
out:
    kz_format_json.close(fs);
    kz_stream_close(s);
    free(u.data);
    kz_arena_fini(&u.arena);
}

/* Reads n bytes at p as one JSON input, with options o (or defaults). */
static void
run(const void *p, size_t n, const kz_read_opts *o, res *r)
{
    run_units(p, n, o, 0, 0, r);
}

static void
res_free(res *r)
{
    size_t i;

    for (i = 0; i < r->nb; i++)
        kz_arena_fini(&r->b[i].arena);
    free(r->b);
    free(r->ev);
    free(r->pr);
    memset(r, 0, sizeof(*r));
}

static char *
load(const char *name, size_t *n)
{
    const char *src = getenv("KZ_SRC");
    char path[1024];
    FILE *f;
    char *p;
    long len;

    snprintf(path, sizeof(path), "%s/tests/data/json/%s", src ? src : ".",
             name);
    if ((f = fopen(path, "rb")) == NULL) {
        T_CHECK(0, "cannot open %s (set KZ_SRC)", path);
        *n = 0;
        return calloc(1, 1);
    }
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = malloc((size_t)len + 1);
    *n = fread(p, 1, (size_t)len, f);
    fclose(f);
    return p;
}

static void
run_file(const char *name, const kz_read_opts *o, res *r)
{
    size_t n;
    char *p = load(name, &n);

    run(p, n, o, r);
    free(p);
}

static void
run_str(const char *s, const kz_read_opts *o, res *r)
{
    run(s, strlen(s), o, r);
}

/* The k-th (0-based) field named name, or NULL. */
static const kz_field *
nth(const kz_event *ev, const char *name, size_t k)
{
    size_t i, len = strlen(name);

    for (i = 0; i < ev->nfields; i++) {
        const kz_field *f = &ev->fields[i];

        if (f->name.len == len && memcmp(f->name.p, name, len) == 0 && k-- == 0)
            return f;
    }
    return NULL;
}

/* Text of the field (or "<absent>" / "<null>"), NUL-terminated. */
static const char *
fval(const kz_event *ev, const char *name, size_t k)
{
    static char buf[512];
    const kz_field *f = nth(ev, name, k);

    if (f == NULL)
        return "<absent>";
    if (f->value.type == KZ_VT_NULL)
        return "<null>";
    snprintf(buf, sizeof(buf), "%.*s", (int)f->value.len,
             (const char *)f->value.data);
    return buf;
}

static int
ftype(const kz_event *ev, const char *name)
{
    const kz_field *f = nth(ev, name, 0);

    return f ? f->value.type : -1;
}

static int
fgroup(const kz_event *ev, const char *name)
{
    const kz_field *f = nth(ev, name, 0);

    return f ? f->group : -1;
}

static const char *
sstr(kz_str s)
{
    static char buf[4][256];
    static int k;

    k = (k + 1) % 4;
    snprintf(buf[k], sizeof(buf[k]), "%.*s", (int)s.len, s.p ? s.p : "");
    return buf[k];
}

static kz_time
iso(const char *s)
{
    kz_time t = KZ_TIME_NONE;

    kz_time_parse_iso(s, strlen(s), 0, &t, NULL);
    return t;
}

static size_t
count_kind(const res *r, kz_problem_kind k)
{
    size_t i, n = 0;

    for (i = 0; i < r->npr; i++)
        n += r->pr[i].kind == k;
    return n;
}

/* A text form of an event view without its position, to compare the
 * same records read from different layouts or encodings. */
static void
digest(const kz_event *ev, char *out, size_t cap)
{
    size_t i, o;

    o = (size_t)snprintf(
        out, cap,
        "%lld|%llu|%u|%u|%u|%u|%u|%u|%llx|%u|%u|%s|%s|%s|"
        "%s|%s|%s|%s|%x",
        (long long)ev->time, (unsigned long long)ev->record_id, ev->event_id,
        ev->qualifiers, ev->level, ev->task, ev->opcode, ev->version,
        (unsigned long long)ev->keywords, ev->process_id, ev->thread_id,
        sstr(ev->channel), sstr(ev->provider), sstr(ev->provider_guid),
        sstr(ev->computer), sstr(ev->user_sid), sstr(ev->activity_id),
        sstr(ev->userdata_root), ev->flags);
    for (i = 0; i < ev->nfields && o < cap; i++) {
        const kz_field *f = &ev->fields[i];

        o += (size_t)snprintf(out + o, cap - o, "|%.*s=%d:%d:%.*s",
                              (int)f->name.len, f->name.p, f->group,
                              f->value.type, (int)f->value.len,
                              f->value.data ? (const char *)f->value.data : "");
    }
}

/* ---- shapes ------------------------------------------------------------ */

static void
test_shape_evtx_dump(void)
{
    res r;
    const kz_event *e;

    run_file("evtx_dump.jsonl", NULL, &r);
    T_EQ_STR(r.shape, "evtx_dump");
    T_EQ_STR(r.layout, "lines");
    T_EQ_INT(r.nev, 6);
    T_EQ_INT(r.npr, 0);
    if (r.nev != 6)
        goto out;
    e = r.ev[0];
    T_EQ_INT(e->time, iso("2023-05-14T01:12:33.123456Z"));
    T_EQ_INT(e->event_id, 4624);
    T_CHECK(e->flags & KZ_EV_HAS_EVENT_ID, "has event id");
    T_CHECK(!(e->flags & KZ_EV_HAS_QUALIFIERS), "no qualifiers");
    T_CHECK(!(e->flags & KZ_EV_NO_TZ), "zone given");
    T_EQ_INT(e->record_id, 48213);
    T_CHECK(e->flags & KZ_EV_HAS_RECORD_ID, "has record id");
    T_EQ_INT(e->version, 2);
    T_EQ_INT(e->level, 0);
    T_EQ_INT(e->task, 12544);
    T_EQ_INT(e->keywords, 0x8020000000000000ULL);
    T_EQ_INT(e->process_id, 712);
    T_EQ_INT(e->thread_id, 1840);
    T_EQ_STR(sstr(e->channel), "Security");
    T_EQ_STR(sstr(e->provider), "Microsoft-Windows-Security-Auditing");
    T_EQ_STR(sstr(e->provider_guid), "{54849625-5478-4994-A5BA-3E3B0328C30D}");
    T_EQ_STR(sstr(e->computer), "RAS01.corp.example");
    T_EQ_STR(sstr(e->activity_id), "{A1B2C3D4-0000-1111-2222-333344445555}");
    T_EQ_INT(e->user_sid.len, 0);
    T_EQ_INT(e->position, 1);
    T_EQ_INT(e->nfields, 7);
    T_EQ_STR(fval(e, "TargetUserName", 0), "adm.tanaka");
    T_EQ_STR(fval(e, "LogonType", 0), "10");
    T_EQ_INT(ftype(e, "LogonType"), KZ_VT_JSON_NUM);
    T_EQ_INT(ftype(e, "TargetUserName"), KZ_VT_UTF8);
    T_EQ_INT(fgroup(e, "IpAddress"), KZ_FG_EVENTDATA);

    e = r.ev[1]; /* 7045, EventID with Qualifiers */
    T_EQ_INT(e->event_id, 7045);
    T_CHECK(e->flags & KZ_EV_HAS_QUALIFIERS, "qualifiers flagged");
    T_EQ_INT(e->qualifiers, 16384);
    T_EQ_STR(sstr(e->event_source), "Service Control Manager");
    T_EQ_STR(sstr(e->provider_guid), "{555908D1-A6D7-4695-8E1E-26931D2012F4}");
    T_EQ_STR(sstr(e->user_sid),
             "S-1-5-21-1111111111-2222222222-3333333333-500");
    T_EQ_STR(fval(e, "ImagePath", 0), "%COMSPEC% /c C:\\Users\\Public\\u.exe");
    T_EQ_INT(e->time, iso("2023-05-14T01:43:02.5Z"));
    T_EQ_INT(e->position, 2);

    e = r.ev[2]; /* unnamed Data as {"#text": [...]} */
    T_EQ_INT(e->event_id, 400);
    T_CHECK(e->flags & KZ_EV_HAS_QUALIFIERS, "qualifiers 0 flagged");
    T_EQ_INT(e->qualifiers, 0);
    T_EQ_INT(e->time, iso("2023-05-14T01:50:10Z") + 1); /* 9 digits */
    T_EQ_STR(fval(e, "Data", 0), "Available");
    T_EQ_STR(fval(e, "Data", 1), "None");
    T_EQ_STR(fval(e, "Data", 2),
             "\tNewEngineState=Available\r\n\tHostName=ConsoleHost");
    T_EQ_STR(fval(e, "Data", 3), "<absent>");
    T_EQ_STR(fval(e, "Binary", 0), "<null>");
    T_EQ_INT(e->keywords, 0x80000000000000ULL);

    e = r.ev[3]; /* unnamed Data as an array */
    T_EQ_STR(fval(e, "Data", 0), "Get-Process");
    T_EQ_STR(fval(e, "Data", 1), "DetailSequence=1");
    T_EQ_INT(e->time, iso("2023-05-13T16:51:00Z")); /* +09:00 */

    e = r.ev[4]; /* UserData */
    T_CHECK(e->flags & KZ_EV_USERDATA, "userdata flag");
    T_EQ_STR(sstr(e->userdata_root), "LogFileCleared");
    T_EQ_STR(fval(e, "SubjectUserName", 0), "adm.tanaka");
    T_EQ_INT(fgroup(e, "SubjectUserName"), KZ_FG_USERDATA);
    T_EQ_STR(fval(e, "Detail", 0), "cleared");
    T_EQ_STR(fval(e, "Detail@Kind", 0), "full");
    T_EQ_STR(fval(e, "Nested.Inner", 0), "x");
    T_EQ_STR(fval(e, "xmlns", 0), "<absent>");
    T_EQ_STR(fval(e, "@xmlns", 0), "<absent>");

    e = r.ev[5]; /* escapes, nesting, RenderingInfo */
    T_EQ_STR(fval(e, "CommandLine", 0),
             "cmd /c \"echo \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80\"");
    T_EQ_STR(fval(e, "User", 0), "CORP\\adm.tanaka");
    T_EQ_INT(ftype(e, "Signed"), KZ_VT_JSON_BOOL);
    T_EQ_STR(fval(e, "Signed", 0), "true");
    T_EQ_STR(fval(e, "Extra.a.b", 0), "1");
    T_EQ_STR(fval(e, "RenderingInfo.Message", 0), "Process Create");
    T_EQ_STR(fval(e, "RenderingInfo@Culture", 0), "en-US");
    T_EQ_INT(fgroup(e, "RenderingInfo.Level"), KZ_FG_RENDERING);
    T_EQ_STR(sstr(e->user_sid), "S-1-5-18");
out:
    res_free(&r);
}

static void
test_shape_winlogbeat(void)
{
    res r;
    const kz_event *e;

    run_file("winlogbeat.jsonl", NULL, &r);
    T_EQ_STR(r.shape, "winlogbeat");
    T_EQ_INT(r.nev, 5);
    T_EQ_INT(r.npr, 0);
    if (r.nev != 5)
        goto out;
    e = r.ev[0];
    T_EQ_INT(e->time, iso("2023-05-14T01:12:33.123Z"));
    T_EQ_INT(e->event_id, 4624);
    T_EQ_STR(sstr(e->channel), "Security");
    T_EQ_STR(sstr(e->computer), "RAS01.corp.example");
    T_EQ_STR(sstr(e->provider), "Microsoft-Windows-Security-Auditing");
    T_EQ_STR(sstr(e->provider_guid), "{54849625-5478-4994-A5BA-3E3B0328C30D}");
    T_EQ_INT(e->record_id, 48213);
    T_EQ_INT(e->process_id, 712);
    T_EQ_INT(e->thread_id, 1840);
    T_EQ_INT(e->version, 2);
    T_EQ_INT(e->level, 4);
    T_EQ_INT(e->keywords, 0x0020000000000000ULL);
    T_EQ_STR(sstr(e->activity_id), "{A1B2C3D4-0000-1111-2222-333344445555}");
    T_EQ_STR(fval(e, "TargetUserName", 0), "adm.tanaka");
    T_EQ_INT(fgroup(e, "TargetUserName"), KZ_FG_EVENTDATA);
    T_EQ_STR(fval(e, "LogonType", 0), "10");
    /* Keys outside the header and the data stay visible as extras. */
    T_EQ_STR(fval(e, "winlog.task", 0), "Logon");
    T_EQ_INT(fgroup(e, "winlog.task"), KZ_FG_EXTRA);
    T_EQ_STR(fval(e, "host.name", 0), "ras01.corp.example");
    T_EQ_STR(fval(e, "message", 0), "An account was successfully logged on.");
    T_EQ_STR(fval(e, "winlog.channel", 0), "<absent>");
    T_EQ_STR(fval(e, "winlog.event_data.TargetUserName", 0), "<absent>");

    e = r.ev[1]; /* param1..N are unnamed Data */
    T_EQ_INT(e->event_id, 400);
    T_EQ_INT(e->record_id, 311);
    T_EQ_STR(fval(e, "Data", 0), "Available");
    T_EQ_STR(fval(e, "Data", 1), "None");
    T_EQ_STR(fval(e, "Data", 2), "\tNewEngineState=Available");
    T_EQ_STR(fval(e, "param1", 0), "<absent>");

    e = r.ev[2]; /* ...but not for named params */
    T_EQ_STR(fval(e, "param1", 0), "Windows Defender Antivirus Service");
    T_EQ_STR(fval(e, "param2", 0), "stopped");
    T_EQ_STR(fval(e, "Data", 0), "<absent>");

    e = r.ev[3]; /* user_data */
    T_CHECK(e->flags & KZ_EV_USERDATA, "userdata flag");
    T_EQ_STR(sstr(e->userdata_root), "LogFileCleared");
    T_EQ_STR(fval(e, "SubjectUserName", 0), "adm.tanaka");
    T_EQ_INT(fgroup(e, "SubjectUserName"), KZ_FG_USERDATA);
    T_EQ_STR(fval(e, "xml_name", 0), "<absent>");

    e = r.ev[4]; /* flat dotted keys */
    T_EQ_INT(e->event_id, 1);
    T_EQ_STR(sstr(e->channel), "Microsoft-Windows-Sysmon/Operational");
    T_EQ_INT(e->record_id, 77001);
    T_EQ_STR(fval(e, "Image", 0), "C:\\Windows\\System32\\cmd.exe");
    T_EQ_STR(fval(e, "CommandLine", 0), "cmd /c whoami");
    T_EQ_INT(fgroup(e, "CommandLine"), KZ_FG_EVENTDATA);
    T_EQ_STR(fval(e, "host.name", 0), "ras01");
out:
    res_free(&r);
}

static void
test_shape_winlogbeat6(void)
{
    res r;
    const kz_event *e;

    run_file("winlogbeat6.jsonl", NULL, &r);
    T_EQ_STR(r.shape, "winlogbeat6");
    T_EQ_INT(r.nev, 3);
    T_EQ_INT(r.npr, 0);
    if (r.nev != 3)
        goto out;
    e = r.ev[0];
    T_EQ_INT(e->time, iso("2019-03-19T23:34:26Z"));
    T_EQ_STR(sstr(e->channel), "Security");
    T_EQ_INT(e->event_id, 4624);
    T_EQ_STR(sstr(e->computer), "WS01.corp.example");
    T_EQ_STR(sstr(e->provider), "Microsoft-Windows-Security-Auditing");
    T_EQ_INT(e->record_id, 123456);
    T_EQ_INT(e->process_id, 640);
    T_EQ_INT(e->thread_id, 2012);
    T_EQ_INT(e->level, 4);
    T_EQ_INT(e->keywords, 0x0020000000000000ULL);
    T_EQ_STR(fval(e, "TargetUserName", 0), "bob");
    T_EQ_STR(fval(e, "beat.hostname", 0), "WS01");
    T_EQ_INT(fgroup(e, "beat.hostname"), KZ_FG_EXTRA);
    e = r.ev[1];
    T_EQ_STR(sstr(e->userdata_root), "LogFileCleared");
    T_EQ_STR(fval(e, "SubjectUserName", 0), "bob");
    e = r.ev[2];
    T_EQ_STR(fval(e, "Data", 0), "Stopped");
    T_EQ_STR(fval(e, "Data", 1), "Available");
out:
    res_free(&r);
}

static void
test_shape_nxlog(void)
{
    res r;
    const kz_event *e;
    kz_read_opts o;

    run_file("nxlog.jsonl", NULL, &r);
    T_EQ_STR(r.shape, "nxlog");
    T_EQ_INT(r.nev, 3);
    T_EQ_INT(r.npr, 0);
    if (r.nev != 3)
        goto out;
    e = r.ev[0];
    T_EQ_INT(e->time, iso("2019-03-19T23:34:26Z"));
    T_CHECK(e->flags & KZ_EV_NO_TZ, "no zone flagged");
    T_EQ_STR(sstr(e->channel), "Security"); /* canonical case */
    T_EQ_INT(e->event_id, 4624);
    T_EQ_STR(sstr(e->computer), "WS01.corp.example");
    T_EQ_INT(e->keywords, 0x8020000000000000ULL);
    T_EQ_INT(e->level, 0); /* AUDIT_SUCCESS */
    T_EQ_INT(e->task, 12544);
    T_EQ_INT(e->record_id, 123456);
    T_EQ_INT(e->process_id, 640);
    T_EQ_STR(fval(e, "TargetUserName", 0), "bob");
    T_EQ_INT(fgroup(e, "TargetUserName"), KZ_FG_EVENTDATA);
    T_EQ_STR(fval(e, "SubjectUserSid", 0), "S-1-5-18");
    T_EQ_STR(fval(e, "EventTime", 0), "<absent>");
    T_EQ_STR(fval(e, "Hostname", 0), "<absent>");
    T_EQ_INT(fgroup(e, "SourceModuleType"), KZ_FG_EXTRA);
    T_EQ_STR(fval(e, "RenderingInfo.Message", 0),
             "An account was successfully logged on.");
    e = r.ev[1];
    T_EQ_STR(sstr(e->channel), "Microsoft-Windows-Sysmon/Operational");
    T_EQ_STR(sstr(e->user_sid), "S-1-5-18");
    T_EQ_INT(e->level, 4);
    T_EQ_STR(fval(e, "CommandLine", 0), "whoami /all");
    e = r.ev[2];
    T_CHECK(!(e->flags & KZ_EV_NO_TZ), "zone given");
    T_EQ_INT(e->time, iso("2019-03-19T22:41:00.5Z"));
    T_EQ_STR(sstr(e->channel), "Unknown-Channel/Operational");
    res_free(&r);

    /* --input-tz: times without a zone are shifted by it. */
    kz_read_opts_default(&o);
    o.json.input_tz_min = 9 * 60;
    run_file("nxlog.jsonl", &o, &r);
    T_EQ_INT(r.nev, 3);
    if (r.nev == 3) {
        T_EQ_INT(r.ev[0]->time, iso("2019-03-19T14:34:26Z"));
        T_EQ_INT(r.ev[2]->time, iso("2019-03-19T22:41:00.5Z"));
    }
out:
    res_free(&r);
}

static void
test_shape_flat(void)
{
    res r;
    const kz_event *e;
    kz_read_opts o;

    run_file("flat.jsonl", NULL, &r);
    T_EQ_STR(r.shape, "flat");
    T_EQ_INT(r.nev, 4);
    T_EQ_INT(r.npr, 0);
    if (r.nev != 4)
        goto out;
    e = r.ev[0];
    T_EQ_INT(e->time, iso("2023-05-14T01:12:33Z"));
    T_EQ_STR(sstr(e->channel), "Security");
    T_EQ_INT(e->event_id, 4625);
    T_EQ_STR(fval(e, "TargetUserName", 0), "administrator");
    T_EQ_STR(fval(e, "src.ip", 0), "198.51.100.7");
    T_EQ_STR(fval(e, "src.port", 0), "445");
    T_EQ_STR(fval(e, "tags", 0), "a");
    T_EQ_STR(fval(e, "tags", 1), "b");
    T_EQ_STR(fval(e, "timestamp", 0), "<absent>");
    e = r.ev[1]; /* epoch seconds */
    T_EQ_INT(e->time, iso("2023-05-14T01:12:33Z"));
    T_EQ_INT(e->event_id, 7045);
    T_EQ_STR(sstr(e->channel), "System");
    e = r.ev[2]; /* /Date(ms)/ */
    T_EQ_INT(e->time, iso("2023-05-14T01:12:33.123Z"));
    T_EQ_INT(e->event_id, 1);
    e = r.ev[3]; /* no zone */
    T_CHECK(e->flags & KZ_EV_NO_TZ, "no zone flagged");
    T_EQ_INT(e->event_id, 4688);
    res_free(&r);

    /* Configured keys, dotted. */
    kz_read_opts_default(&o);
    o.json.time_key = "when.utc";
    o.json.channel_key = "log";
    o.json.event_id_key = "id";
    run_str("{\"when\":{\"utc\":\"2023-05-14T00:00:00Z\"},\"log\":\"Security\","
            "\"id\":4720,\"x\":1}\n",
            &o, &r);
    T_EQ_INT(r.nev, 1);
    if (r.nev == 1) {
        e = r.ev[0];
        T_EQ_INT(e->time, iso("2023-05-14T00:00:00Z"));
        T_EQ_STR(sstr(e->channel), "Security");
        T_EQ_INT(e->event_id, 4720);
        T_EQ_INT(e->nfields, 1);
        T_EQ_STR(fval(e, "x", 0), "1");
    }
out:
    res_free(&r);
}

static void
test_ecs_only_reported_once(void)
{
    res r;
    kz_strbuf big;
    size_t i;

    run_file("ecs.jsonl", NULL, &r);
    T_EQ_STR(r.shape, "ecs");
    T_EQ_INT(r.nev, 0);
    T_EQ_INT(r.npr, 1);
    T_EQ_INT(count_kind(&r, KZ_PROB_JSON_SHAPE), 1);
    if (r.npr == 1)
        T_CHECK(strstr(r.pr[0].msg, "ECS-only events are not supported yet") !=
                    NULL,
                "message: %s", r.pr[0].msg);
    res_free(&r);

    /* A Winlogbeat file with ECS-only records in it: one report per unit,
     * not one per record, counting them. */
    kz_strbuf_init(&big, 0);
    kz_strbuf_adds(&big, "{\"winlog\":{\"channel\":\"Security\",\"event_id\":"
                         "4624,\"event_data\":{\"A\":\"1\"}}}\n");
    for (i = 0; i < 50; i++)
        kz_strbuf_adds(&big, "{\"event\":{\"code\":\"1\"},\"host\":"
                             "{\"name\":\"x\"}}\n");
    run(big.data, big.len, NULL, &r);
    T_EQ_STR(r.shape, "winlogbeat");
    T_EQ_INT(r.nev, 1);
    T_EQ_INT(r.npr, 1);
    if (r.npr == 1) {
        T_EQ_INT(r.pr[0].kind, KZ_PROB_JSON_SHAPE);
        T_EQ_INT(r.pr[0].line, 2);
        T_CHECK(strstr(r.pr[0].msg, "50 record(s)") != NULL, "msg: %s",
                r.pr[0].msg);
    }
    res_free(&r);
    kz_strbuf_fini(&big);
}

/* ---- layouts and encodings --------------------------------------------- */

static void
check_same(const res *a, const res *b, const char *what)
{
    char da[8192], db[8192];
    size_t i;

    T_CHECK(a->nev == b->nev, "%s: %zu vs %zu events", what, a->nev, b->nev);
    for (i = 0; i < a->nev && i < b->nev; i++) {
        digest(a->ev[i], da, sizeof(da));
        digest(b->ev[i], db, sizeof(db));
        T_CHECK(strcmp(da, db) == 0, "%s: event %zu\n  %s\n  %s", what, i, da,
                db);
    }
}

static void
test_layouts_agree(void)
{
    res lines, arr, pretty;

    run_file("evtx_dump.jsonl", NULL, &lines);
    run_file("evtx_dump_array.json", NULL, &arr);
    run_file("evtx_dump_pretty.json", NULL, &pretty);
    T_EQ_STR(arr.layout, "document");
    T_EQ_STR(pretty.layout, "document");
    T_EQ_INT(arr.npr, 0);
    T_EQ_INT(pretty.npr, 0);
    check_same(&lines, &arr, "array");
    check_same(&lines, &pretty, "pretty");
    /* Document positions are record ordinals. */
    if (pretty.nev == 6) {
        T_EQ_INT(pretty.ev[0]->position, 1);
        T_EQ_INT(pretty.ev[5]->position, 6);
    }
    res_free(&lines);
    res_free(&arr);
    res_free(&pretty);
}

/* Encodes UTF-8 text as UTF-16 (be: big-endian) with an optional BOM. */
static uint8_t *
to_utf16(const char *s, size_t n, bool be, bool bom, size_t *out_len)
{
    uint8_t *o = malloc(4 * n + 2);
    size_t i = 0, k = 0;
    uint32_t cp, u[2];
    int nu, j;

    if (bom) {
        o[k++] = be ? 0xFE : 0xFF;
        o[k++] = be ? 0xFF : 0xFE;
    }
    while (i < n) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x80) {
            cp = c;
            i += 1;
        } else if (c < 0xE0) {
            cp = (uint32_t)(c & 0x1F) << 6 | (s[i + 1] & 0x3F);
            i += 2;
        } else if (c < 0xF0) {
            cp = (uint32_t)(c & 0x0F) << 12 | (uint32_t)(s[i + 1] & 0x3F) << 6 |
                 (s[i + 2] & 0x3F);
            i += 3;
        } else {
            cp = (uint32_t)(c & 0x07) << 18 |
                 (uint32_t)(s[i + 1] & 0x3F) << 12 |
                 (uint32_t)(s[i + 2] & 0x3F) << 6 | (s[i + 3] & 0x3F);
            i += 4;
        }
        if (cp >= 0x10000) {
            u[0] = 0xD800 + ((cp - 0x10000) >> 10);
            u[1] = 0xDC00 + ((cp - 0x10000) & 0x3FF);
            nu = 2;
        } else {
            u[0] = cp;
            nu = 1;
        }
        for (j = 0; j < nu; j++) {
            o[k++] = (uint8_t)(be ? u[j] >> 8 : u[j]);
            o[k++] = (uint8_t)(be ? u[j] : u[j] >> 8);
        }
    }
    *out_len = k;
    return o;
}

static void
test_bom_and_utf16(void)
{
    static const struct {
        bool utf16, be, bom; /* encoding */
        const char *enc;     /* expected name */
    } rows[] = {
        {false, false, true, "utf-8"},   {true, false, true, "utf-16le"},
        {true, true, true, "utf-16be"},  {true, false, false, "utf-16le"},
        {true, true, false, "utf-16be"},
    };
    res ref, r;
    size_t n, m, i;
    char *text = load("evtx_dump_pretty.json", &n);
    uint8_t *p;

    run(text, n, NULL, &ref);
    T_EQ_INT(ref.nev, 6);
    for (i = 0; i < T_COUNT(rows); i++) {
        if (rows[i].utf16) {
            p = to_utf16(text, n, rows[i].be, rows[i].bom, &m);
        } else {
            p = malloc(n + 3);
            memcpy(p, "\xEF\xBB\xBF", 3);
            memcpy(p + 3, text, n);
            m = n + 3;
        }
        run(p, m, NULL, &r);
        T_CHECK(strcmp(r.enc, rows[i].enc) == 0, "row %zu: %s", i, r.enc);
        T_CHECK(r.npr == 0, "row %zu: %zu problems", i, r.npr);
        check_same(&ref, &r, rows[i].enc);
        res_free(&r);
        free(p);
    }
    res_free(&ref);
    free(text);
}

/* UTF-16 larger than a block, so surrogate pairs and lines straddle the
 * 1 MiB reads; offsets of problems are in input bytes. */
static void
test_utf16_large(void)
{
    kz_strbuf s;
    res r;
    uint8_t *p;
    size_t m, i, nrec = 0;
    const kz_event *e;

    kz_strbuf_init(&s, 0);
    while (s.len < (size_t)3 << 20) {
        kz_strbuf_addf(&s,
                       "{\"EventID\":%zu,\"t\":\"\xF0\x9F\x98\x80"
                       "\xE6\x97\xA5%zu\"}\n",
                       nrec, nrec);
        nrec++;
    }
    kz_strbuf_adds(&s, "{bad}\n");
    p = to_utf16(s.data, s.len, false, true, &m);
    run(p, m, NULL, &r);
    T_EQ_STR(r.enc, "utf-16le");
    T_EQ_INT(r.nev, nrec);
    T_CHECK(r.units >= 3, "units %zu", r.units);
    for (i = 0; i < r.nev; i += 997) {
        char want[64];

        e = r.ev[i];
        snprintf(want, sizeof(want), "\xF0\x9F\x98\x80\xE6\x97\xA5%zu", i);
        T_EQ_INT(e->event_id, i);
        T_EQ_STR(fval(e, "t", 0), want);
        T_EQ_INT(e->position, i + 1);
    }
    T_EQ_INT(r.npr, 1);
    if (r.npr == 1) {
        T_EQ_INT(r.pr[0].line, nrec + 1);
        /* "{bad}" starts after the BOM and all records, 2 bytes a code
         * unit; the problem covers it (the error is at 'b', in the
         * message), not its line feed. */
        T_EQ_INT(r.pr[0].offset, m - 2 * 6);
        T_EQ_INT(r.pr[0].lost, 2 * 5);
    }
    res_free(&r);
    free(p);
    kz_strbuf_fini(&s);
}

/* ---- strings ----------------------------------------------------------- */

static void
test_escapes(void)
{
    static const struct {
        const char *json; /* a JSON string literal's contents */
        const char *want; /* decoded bytes */
        size_t wlen;      /* bytes (for embedded NULs) */
    } rows[] = {
        {"plain", "plain", 5},
        {"a\\\"b\\\\c\\/d", "a\"b\\c/d", 7},
        {"\\b\\f\\n\\r\\t", "\b\f\n\r\t", 5},
        {"\\u0041\\u00e9\\u65E5", "A\xC3\xA9\xE6\x97\xA5", 6},
        {"\\ud83d\\ude00", "\xF0\x9F\x98\x80", 4},         /* pair */
        {"x\\ud800y", "x\xED\xA0\x80y", 5},                /* lone hi */
        {"\\udc00", "\xED\xB0\x80", 3},                    /* lone lo */
        {"\\ud800\\ud800", "\xED\xA0\x80\xED\xA0\x80", 6}, /* two hi */
        {"\\ud83d\\u0041",
         "\xED\xA0\xBD"
         "A",
         4}, /* hi + BMP */
        {"\\u0000z", "\0z", 2},
        {"raw \xC3\xA9", "raw \xC3\xA9", 6},   /* UTF-8 */
        {"bad \xFF!", "bad \xEF\xBF\xBD!", 8}, /* repaired */
        {"\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 9},
        {"tab\there", "tab\there", 8}, /* raw ctl */
        {"\xC3\xA9\\n", "\xC3\xA9\n", 3},
    };
    char buf[256];
    size_t i;
    res r;

    for (i = 0; i < T_COUNT(rows); i++) {
        const kz_field *f;

        snprintf(buf, sizeof(buf), "{\"k\":\"%s\"}\n", rows[i].json);
        run_str(buf, NULL, &r);
        T_CHECK(r.nev == 1 && r.npr == 0, "row %zu: %zu events %zu problems", i,
                r.nev, r.npr);
        if (r.nev == 1 && (f = nth(r.ev[0], "k", 0)) != NULL) {
            T_CHECK(f->value.len == rows[i].wlen &&
                        memcmp(f->value.data, rows[i].want, rows[i].wlen) == 0,
                    "row %zu: got %u bytes \"%.*s\"", i, f->value.len,
                    (int)f->value.len, (const char *)f->value.data);
        }
        res_free(&r);
    }
    /* Escaped keys are decoded too. */
    run_str("{\"Event\":{\"System\":{\"Event\\u0049D\":7},"
            "\"EventData\":{\"Tar\\u0067et\":\"v\"}}}\n",
            NULL, &r);
    T_EQ_INT(r.nev, 1);
    if (r.nev == 1) {
        T_EQ_INT(r.ev[0]->event_id, 7);
        T_EQ_STR(fval(r.ev[0], "Target", 0), "v");
    }
    res_free(&r);
}

/* ---- malformed input --------------------------------------------------- */

static void
test_malformed_lines(void)
{
    static const uint64_t want_lines[] = {2, 4, 5, 8};
    res r;
    size_t i;

    run_file("malformed.jsonl", NULL, &r);
    T_EQ_STR(r.layout, "lines");
    T_EQ_INT(r.nev, 4);
    T_EQ_INT(r.npr, 4);
    for (i = 0; i < r.npr && i < T_COUNT(want_lines); i++) {
        T_EQ_INT(r.pr[i].kind, KZ_PROB_JSON_SYNTAX);
        T_CHECK(r.pr[i].line == want_lines[i], "problem %zu: line %llu", i,
                (unsigned long long)r.pr[i].line);
        T_CHECK(r.pr[i].lost > 0, "problem %zu lost nothing", i);
    }
    if (r.npr >= 1)
        T_EQ_INT(r.pr[0].offset, 8); /* the record of line 2 */
    if (r.nev == 4) {
        T_EQ_STR(fval(r.ev[1], "a", 0), "2");
        T_EQ_INT(r.ev[1]->position, 3);
        T_EQ_INT(r.ev[3]->position, 9);
        T_EQ_STR(fval(r.ev[3], "a", 0), "4");
    }
    res_free(&r);
}

static void
test_syntax_errors(void)
{
    static const char *const rows[] = {
        "{\"a\":}",        "{\"a\" 1}",
        "{\"a\":1,}",      "{\"a\":tru}",
        "{\"a\":01}",      "{\"a\":1.}",
        "{\"a\":-}",       "{\"a\":1e}",
        "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}",
        "{\"a\":[1,2}",    "{\"a\":{\"b\":1]}",
        "{a:1}",           "{\"a\":1",
        "{\"a\":\"b",      "[1,2]",
        "\"str\"",         "{\"a\":nul}",
        "{\"a\":[}",       "{,}",
    };
    char buf[128];
    size_t i;
    res r;

    for (i = 0; i < T_COUNT(rows); i++) {
        snprintf(buf, sizeof(buf), "{\"ok\":1}\n%s\n{\"ok\":2}\n", rows[i]);
        run_str(buf, NULL, &r);
        T_CHECK(r.nev == 2, "row %zu (%s): %zu events", i, rows[i], r.nev);
        T_CHECK(r.npr == 1 && r.pr[0].kind == KZ_PROB_JSON_SYNTAX &&
                    r.pr[0].line == 2,
                "row %zu (%s): %zu problems, line %llu", i, rows[i], r.npr,
                r.npr ? (unsigned long long)r.pr[0].line : 0ULL);
        res_free(&r);
    }
}

static void
test_malformed_document(void)
{
    /* A pretty-printed file whose second record has a broken string: it
     * is skipped with its nested objects, and the third is read. */
    static const char text[] = "{\n"
                               "  \"Event\": {\"System\": {\"EventID\": 1}}\n"
                               "}\n"
                               "{\n"
                               "  \"Event\": {\n"
                               "    \"System\": {\"EventID\": \"2\n"
                               "    },\n"
                               "    \"EventData\": {\n"
                               "      \"x\": {\n"
                               "        \"y\": 1\n"
                               "      }\n"
                               "    }\n"
                               "  }\n"
                               "}\n"
                               "{\n"
                               "  \"Event\": {\"System\": {\"EventID\": 3}}\n"
                               "}\n"
                               "garbage here\n"
                               "{\"Event\": {\"System\": {\"EventID\": 4}}}\n"
                               "{\"Event\": {\"System\": {\"EventID\": 5}}\n";
    res r;

    run_str(text, NULL, &r);
    T_EQ_STR(r.layout, "document");
    T_EQ_INT(r.nev, 3);
    if (r.nev == 3) {
        T_EQ_INT(r.ev[0]->event_id, 1);
        T_EQ_INT(r.ev[1]->event_id, 3);
        T_EQ_INT(r.ev[2]->event_id, 4);
        T_EQ_INT(r.ev[0]->position, 1);
        T_EQ_INT(r.ev[1]->position, 3);
        T_EQ_INT(r.ev[2]->position, 4);
    }
    T_EQ_INT(count_kind(&r, KZ_PROB_JSON_SYNTAX), r.npr);
    T_EQ_INT(r.npr, 4);
    if (r.npr == 4) {
        T_EQ_INT(r.pr[0].line, 4);  /* the broken record (its line
                                       break is on line 6) */
        T_EQ_INT(r.pr[1].line, 6);  /* resync skipped lines 6..14 */
        T_EQ_INT(r.pr[2].line, 18); /* garbage */
        T_EQ_INT(r.pr[3].line, 20); /* truncated last record */
    }
    res_free(&r);
}

/* ---- limits ------------------------------------------------------------ */

static void
test_limit_record_size(void)
{
    kz_strbuf s;
    kz_read_opts o;
    res r;
    size_t i;

    /* Small bound: one long line is skipped and reported, with its line;
     * the others are read. */
    kz_read_opts_default(&o);
    o.json.max_record = 100;
    run_str("{\"a\":1}\n{\"a\":\""
            "0123456789012345678901234567890123456789"
            "0123456789012345678901234567890123456789"
            "0123456789012345678901234567890123456789\"}\n"
            "{\"a\":3}\n",
            &o, &r);
    T_EQ_INT(r.nev, 2);
    T_EQ_INT(r.npr, 1);
    if (r.npr == 1) {
        T_EQ_INT(r.pr[0].kind, KZ_PROB_JSON_LIMIT);
        T_EQ_INT(r.pr[0].line, 2);
    }
    res_free(&r);

    /* A line longer than the bound and than a block streams past without
     * being held: next() drops it. */
    o.json.max_record = 64 * 1024;
    kz_strbuf_init(&s, 0);
    kz_strbuf_adds(&s, "{\"a\":1}\n{\"big\":\"");
    for (i = 0; i < 3 * 1024 * 1024; i++)
        kz_strbuf_addc(&s, 'x');
    kz_strbuf_adds(&s, "\"}\n{\"a\":3}\n");
    run(s.data, s.len, &o, &r);
    T_EQ_INT(r.nev, 2);
    T_EQ_INT(r.npr, 1);
    if (r.npr == 1) {
        T_EQ_INT(r.pr[0].kind, KZ_PROB_JSON_LIMIT);
        T_EQ_INT(r.pr[0].line, 2);
        T_EQ_INT(r.pr[0].offset, 8);
        T_EQ_INT(r.pr[0].lost, s.len - 8 - 8 - 1); /* line 2 */
    }
    if (r.nev == 2)
        T_EQ_INT(r.ev[1]->position, 3);
    res_free(&r);

    /* The same as a pretty-printed document. */
    kz_strbuf_reset(&s);
    kz_strbuf_adds(&s, "{\n \"a\": 1\n}\n{\n \"big\": [\n");
    for (i = 0; i < 100000; i++) /* 3 MB over 100,000 lines */
        kz_strbuf_adds(&s, "  \"yyyyyyyyyyyyyyyyyyyyyyyy\",\n");
    kz_strbuf_adds(&s, "  \"z\"\n ]\n}\n{\n \"a\": 3\n}\n{\"a\":4,}\n");
    run(s.data, s.len, &o, &r);
    T_EQ_STR(r.layout, "document");
    T_EQ_INT(r.nev, 2);
    T_EQ_INT(count_kind(&r, KZ_PROB_JSON_LIMIT), 1);
    T_EQ_INT(r.npr, 2);
    if (r.npr == 2) {
        T_EQ_INT(r.pr[0].line, 4);
        T_EQ_INT(r.pr[0].offset, 12);
        /* Lines are still counted right after the dropped record. */
        T_EQ_INT(r.pr[1].kind, KZ_PROB_JSON_SYNTAX);
        T_EQ_INT(r.pr[1].line, 4 + 2 + 100000 + 3 + 3);
    }
    if (r.nev == 2) {
        T_EQ_STR(fval(r.ev[1], "a", 0), "3");
        T_EQ_INT(r.ev[1]->position, 3);
    }
    res_free(&r);
    kz_strbuf_fini(&s);
}

static void
test_limit_depth(void)
{
    kz_strbuf s;
    kz_read_opts o;
    res r;
    int i;

    kz_strbuf_init(&s, 0);
    kz_strbuf_adds(&s, "{\"a\":1}\n{\"d\":");
    for (i = 0; i < 100; i++)
        kz_strbuf_addc(&s, '[');
    for (i = 0; i < 100; i++)
        kz_strbuf_addc(&s, ']');
    kz_strbuf_adds(&s, "}\n{\"a\":3}\n");
    run(s.data, s.len, NULL, &r); /* default bound: 64 */
    T_EQ_INT(r.nev, 2);
    T_EQ_INT(r.npr, 1);
    if (r.npr == 1) {
        T_EQ_INT(r.pr[0].kind, KZ_PROB_JSON_LIMIT);
        T_EQ_INT(r.pr[0].line, 2);
    }
    res_free(&r);

    kz_read_opts_default(&o);
    o.json.max_depth = 200; /* within the bound: read */
    run(s.data, s.len, &o, &r);
    T_EQ_INT(r.nev, 3);
    T_EQ_INT(r.npr, 0);
    res_free(&r);

    o.json.max_depth = 2; /* {"a":1} is depth 1 */
    run_str("{\"a\":{\"b\":1}}\n{\"a\":{\"b\":{\"c\":1}}}\n", &o, &r);
    T_EQ_INT(r.nev, 1);
    T_EQ_INT(count_kind(&r, KZ_PROB_JSON_LIMIT), 1);
    res_free(&r);
    kz_strbuf_fini(&s);
}

/* ---- units and positions ---------------------------------------------- */

static void
test_units_and_positions(void)
{
    kz_strbuf s;
    res r;
    size_t i, n = 0;
    bool ok = true;

    /* JSON Lines over several units: every record once, positions are
     * line numbers (blank lines count). */
    kz_strbuf_init(&s, 0);
    while (s.len < (size_t)5 << 20) {
        kz_strbuf_addf(&s,
                       "{\"Event\":{\"System\":{\"EventRecordID\":%zu},"
                       "\"EventData\":{\"Pad\":\"%0*d\"}}}\n%s",
                       n, (int)(n % 300), 0, n % 7 == 0 ? "\n" : "");
        n++;
    }
    run(s.data, s.len, NULL, &r);
    T_EQ_STR(r.layout, "lines");
    T_CHECK(r.units >= 5, "units %zu", r.units);
    T_EQ_INT(r.nev, n);
    T_EQ_INT(r.npr, 0);
    for (i = 0, n = 1; i < r.nev && ok; i++) {
        ok = r.ev[i]->record_id == i && r.ev[i]->position == n;
        T_CHECK(ok, "event %zu: record %llu position %llu want %zu", i,
                (unsigned long long)r.ev[i]->record_id,
                (unsigned long long)r.ev[i]->position, n);
        n += i % 7 == 0 ? 2 : 1;
    }
    res_free(&r);

    /* One array over several units: positions are ordinals. */
    kz_strbuf_reset(&s);
    kz_strbuf_adds(&s, "[");
    for (n = 0; s.len < (size_t)5 << 20; n++)
        kz_strbuf_addf(&s, "%s{\"EventID\":%zu,\"p\":\"%0*d\"}", n ? "," : "",
                       n, (int)(n % 500), 0);
    kz_strbuf_adds(&s, "]");
    run(s.data, s.len, NULL, &r);
    T_EQ_STR(r.layout, "document");
    T_CHECK(r.units >= 5, "units %zu", r.units);
    T_EQ_INT(r.nev, n);
    T_EQ_INT(r.npr, 0);
    for (i = 0, ok = true; i < r.nev && ok; i++) {
        ok = r.ev[i]->event_id == i && r.ev[i]->position == i + 1;
        T_CHECK(ok, "event %zu: id %u position %llu", i, r.ev[i]->event_id,
                (unsigned long long)r.ev[i]->position);
    }
    res_free(&r);
    kz_strbuf_fini(&s);
}

static void
test_empty_and_blank(void)
{
    static const char *const rows[] = {"", "\n\n", "   ", "[]", "[ ]\n"};
    size_t i;
    res r;

    for (i = 0; i < T_COUNT(rows); i++) {
        run_str(rows[i], NULL, &r);
        T_CHECK(r.nev == 0 && r.npr == 0, "row %zu: %zu events %zu problems", i,
                r.nev, r.npr);
        res_free(&r);
    }
}

static void
test_names_interned(void)
{
    kz_names *t = kz_names_new();
    kz_read_opts o;
    int32_t id_img, id_data;
    res r;

    kz_names_add(t, "Image", 5, &id_img);
    kz_names_add(t, "Data", 4, &id_data);
    kz_names_freeze(t);
    kz_read_opts_default(&o);
    o.names = t;
    run_str("{\"Event\":{\"EventData\":{\"Image\":\"a\",\"Other\":\"b\","
            "\"Data\":[\"c\"]}}}\n",
            &o, &r);
    T_EQ_INT(r.nev, 1);
    if (r.nev == 1) {
        T_EQ_INT(nth(r.ev[0], "Image", 0)->id, id_img);
        T_EQ_INT(nth(r.ev[0], "Other", 0)->id, KZ_NAME_NONE);
        T_EQ_INT(nth(r.ev[0], "Data", 0)->id, id_data);
        T_CHECK(kz_event_field(r.ev[0], id_img) != NULL, "by id");
    }
    res_free(&r);
    kz_names_free(t);
}

/* ---- bounds on memory, unit cuts, problem ranges ----------------------- */

/* No two problems cover the same input byte, and none runs past the input
 * (n bytes). Problems are in input order within a run. */
static void
check_ranges(const res *r, uint64_t n, const char *what)
{
    size_t i;

    for (i = 0; i < r->npr; i++) {
        const kz_problem *p = &r->pr[i];

        T_CHECK(p->offset + p->lost <= n,
                "%s: problem %zu [%llu,+%llu) past %llu", what, i,
                (unsigned long long)p->offset, (unsigned long long)p->lost,
                (unsigned long long)n);
        if (i > 0)
            T_CHECK(r->pr[i - 1].offset + r->pr[i - 1].lost <= p->offset,
                    "%s: problem %zu [%llu,+%llu) overlaps the next at %llu",
                    what, i - 1, (unsigned long long)r->pr[i - 1].offset,
                    (unsigned long long)r->pr[i - 1].lost,
                    (unsigned long long)p->offset);
    }
}

static void
test_limit_dotted_names(void)
{
    kz_strbuf s;
    size_t i, start, end;
    res r;

    /* One long key over many members of a nested object: every member's
     * dotted name copies the key, so the names would need 2,000 x 20 KB
     * (40 MB) for a 32 KB record. The record is refused, the others are
     * read. */
    kz_strbuf_init(&s, 0);
    kz_strbuf_adds(&s, "{\"a\":1}\n");
    start = s.len;
    kz_strbuf_adds(&s, "{\"");
    for (i = 0; i < 20000; i++)
        kz_strbuf_addc(&s, 'k');
    kz_strbuf_adds(&s, "\":{");
    for (i = 0; i < 2000; i++)
        kz_strbuf_adds(&s, i ? ",\"a\":1" : "\"a\":1");
    kz_strbuf_adds(&s, "}}");
    end = s.len;
    kz_strbuf_adds(&s, "\n{\"a\":3}\n");
    run(s.data, s.len, NULL, &r);
    T_EQ_INT(r.nev, 2);
    T_EQ_INT(r.npr, 1);
    if (r.npr == 1) {
        T_EQ_INT(r.pr[0].kind, KZ_PROB_JSON_LIMIT);
        T_EQ_INT(r.pr[0].line, 2);
        T_EQ_INT(r.pr[0].offset, start);
        T_EQ_INT(r.pr[0].lost, end - start);
    }
    if (r.nev == 2)
        T_EQ_STR(fval(r.ev[1], "a", 0), "3");
    res_free(&r);

    /* Nesting with long keys but few members stays within the bound:
     * 4 x the record + 4 KiB. */
    kz_strbuf_reset(&s);
    kz_strbuf_adds(&s, "{\"");
    for (i = 0; i < 3000; i++)
        kz_strbuf_addc(&s, 'k');
    kz_strbuf_adds(&s, "\":{\"b\":{\"c\":1,\"d\":2},\"e\":[1,2,3]}}\n");
    run(s.data, s.len, NULL, &r);
    T_EQ_INT(r.nev, 1);
    T_EQ_INT(r.npr, 0);
    if (r.nev == 1) {
        T_EQ_INT(r.ev[0]->nfields, 5); /* k.b.c, k.b.d, k.e x 3 */
        T_CHECK(r.ev[0]->nfields == 5 &&
                    r.ev[0]->fields[4].name.len == 3000 + 2,
                "name of %zu bytes",
                r.ev[0]->nfields == 5 ? r.ev[0]->fields[4].name.len : 0);
    }
    res_free(&r);
    kz_strbuf_fini(&s);
}

/* One good pretty-printed record with EventID id and a pad of w digits. */
static void
add_good(kz_strbuf *s, bool array, size_t id, size_t w)
{
    const char *ind = array ? "  " : "";

    kz_strbuf_addf(s,
                   "%s{\n%s  \"EventID\": %zu,\n%s  \"Pad\": \"%0*d\",\n"
                   "%s  \"In\": {\n%s    \"k\": 1\n%s  }\n%s}%s\n",
                   ind, ind, id, ind, (int)w, 0, ind, ind, ind, ind,
                   array ? "," : "");
}

/* A pretty-printed document (one indented array, or objects back to back)
 * of good records, then, at offset `at` exactly, a record whose string
 * breaks on a line and whose nested objects, one a line starting with
 * '{', run over about `tail` bytes, then three good records. Returns the
 * number of good records; *line gets the broken record's line. */
static size_t
gen_broken_doc(kz_strbuf *s, bool array, size_t at, size_t tail, size_t pad,
               uint64_t *line)
{
    const char *ind = array ? "  " : "";
    size_t n = 0, i, lim, mark, base;

    kz_strbuf_reset(s);
    if (array)
        kz_strbuf_adds(s, "[\n");
    for (;;) {
        /* The length of the next record with a 1-digit pad. */
        mark = s->len;
        add_good(s, array, n, 1);
        base = s->len - mark - 1;
        s->len = mark;
        if (s->len + base + 2 * pad >= at)
            break;
        add_good(s, array, n++, pad);
    }
    add_good(s, array, n++, at - s->len - base); /* ends at `at` */
    *line = 1;
    for (i = 0; i < s->len; i++)
        *line += s->data[i] == '\n';
    kz_strbuf_addf(s,
                   "%s{\n%s  \"EventID\": 999999,\n%s  \"Bad\": \"broken\n"
                   "%s  \"More\": [\n",
                   ind, ind, ind, ind);
    for (lim = s->len + tail; s->len < lim;)
        kz_strbuf_addf(s, "%s    {\"n\": 1, \"m\": {\"x\": 2}},\n", ind);
    kz_strbuf_addf(s, "%s    {\"n\": 2}\n%s  ]\n%s}%s\n", ind, ind, ind,
                   array ? "," : "");
    for (i = 0; i < 3; i++, n++)
        kz_strbuf_addf(s,
                       "%s{\n%s  \"EventID\": %zu,\n%s  \"In\": {\n"
                       "%s    \"k\": 1\n%s  }\n%s}%s\n",
                       ind, ind, n, ind, ind, ind, ind,
                       array && i < 2 ? "," : "");
    if (array)
        kz_strbuf_adds(s, "]\n");
    return n;
}

static void
test_resync_across_units(void)
{
    /* Where the broken record starts: 3000 bytes before the end of the
     * first 1 MiB block, so that its resynchronisation straddles it (a
     * unit ends there); 20 bytes before, so that the next unit starts at
     * the broken record's '{', after its indentation; and in a small
     * file cut into small units. */
    static const struct {
        bool array;
        size_t at, tail, pad;
    } rows[] = {
        {false, ((size_t)1 << 20) - 3000, 8000, 300},
        {true, ((size_t)1 << 20) - 3000, 8000, 300},
        {false, ((size_t)1 << 20) - 20, 8000, 300},
        {true, ((size_t)1 << 20) - 20, 8000, 300},
        {false, 2000, 600, 10},
        {true, 2000, 600, 10},
    };
    /* Unit bounds: defaults, then cuts nearly everywhere. */
    static const size_t bounds[][2] = {
        {0, 0}, {4096, 0}, {1, 0}, {0, 1}, {0, 3}, {100, 2},
    };
    kz_strbuf s;
    size_t i, k, j, n;
    uint64_t line;
    res r;

    kz_strbuf_init(&s, 0);
    for (i = 0; i < T_COUNT(rows); i++) {
        n = gen_broken_doc(&s, rows[i].array, rows[i].at, rows[i].tail,
                           rows[i].pad, &line);
        for (k = 0; k < T_COUNT(bounds); k++) {
            if (rows[i].at > 4096 && bounds[k][0] > 0 && bounds[k][0] < 4096)
                continue; /* a unit per span of 1 MiB: slow, same path */
            if (rows[i].at > 4096 && bounds[k][1] > 0 && bounds[k][1] < 8)
                continue;
            run_units(s.data, s.len, NULL, bounds[k][0], bounds[k][1], &r);
            T_CHECK(strcmp(r.layout, "document") == 0, "row %zu/%zu: %s", i, k,
                    r.layout);
            /* Every good record once, none of the broken record's nested
             * objects taken for a record. */
            T_CHECK(r.nev == n, "row %zu bounds %zu: %zu events, want %zu", i,
                    k, r.nev, n);
            for (j = 0; j < r.nev && j < n; j++) {
                uint64_t want_pos = j + 1 + (j >= n - 3);

                if (r.ev[j]->event_id != j || r.ev[j]->position != want_pos) {
                    T_CHECK(0, "row %zu bounds %zu: event %zu: id %u pos %llu",
                            i, k, j, r.ev[j]->event_id,
                            (unsigned long long)r.ev[j]->position);
                    break;
                }
            }
            /* The broken record, then the lines skipped after it. */
            T_CHECK(r.npr == 2, "row %zu bounds %zu: %zu problems", i, k,
                    r.npr);
            if (r.npr == 2) {
                T_EQ_INT(r.pr[0].kind, KZ_PROB_JSON_SYNTAX);
                T_EQ_INT(r.pr[0].offset, rows[i].at + (rows[i].array ? 2 : 0));
                T_EQ_INT(r.pr[0].line, line);
                T_EQ_INT(r.pr[1].kind, KZ_PROB_JSON_SYNTAX);
                T_EQ_INT(r.pr[1].offset, r.pr[0].offset + r.pr[0].lost);
                T_EQ_INT(r.pr[1].line, line + 2);
                T_CHECK(r.pr[1].lost > rows[i].tail, "row %zu: lost %llu", i,
                        (unsigned long long)r.pr[1].lost);
            }
            check_ranges(&r, s.len, "resync");
            res_free(&r);
        }
    }
    kz_strbuf_fini(&s);
}

static void
test_units_bounded_by_records(void)
{
    kz_strbuf s;
    size_t i, n = 20000, most;
    res r;
    bool ok = true;

    /* 160 KB of tiny lines: units end every 8192 lines, not every MiB,
     * so a batch holds at most 8192 events. */
    kz_strbuf_init(&s, 0);
    for (i = 0; i < n; i++)
        kz_strbuf_addf(&s, "{\"a\":%zu}\n", i);
    run(s.data, s.len, NULL, &r);
    T_EQ_STR(r.layout, "lines");
    T_EQ_INT(r.nev, n);
    T_EQ_INT(r.npr, 0);
    T_EQ_INT(r.units, (n + 8191) / 8192);
    for (i = 0, most = 0; i < r.nb; i++)
        most = r.b[i].nevents > most ? r.b[i].nevents : most;
    T_EQ_INT(most, 8192);
    for (i = 0; i < r.nev && ok; i++) {
        ok = r.ev[i]->position == i + 1;
        T_CHECK(ok, "event %zu: position %llu", i,
                (unsigned long long)r.ev[i]->position);
    }
    res_free(&r);

    /* The same as one array: every 8192 records. */
    kz_strbuf_reset(&s);
    kz_strbuf_adds(&s, "[");
    for (i = 0; i < n; i++)
        kz_strbuf_addf(&s, "%s{\"a\":%zu}", i ? "," : "", i);
    kz_strbuf_adds(&s, "]\n");
    run(s.data, s.len, NULL, &r);
    T_EQ_STR(r.layout, "document");
    T_EQ_INT(r.nev, n);
    T_EQ_INT(r.npr, 0);
    T_EQ_INT(r.units, (n + 8191) / 8192);
    for (i = 0, most = 0; i < r.nb; i++)
        most = r.b[i].nevents > most ? r.b[i].nevents : most;
    T_EQ_INT(most, 8192);
    for (i = 0, ok = true; i < r.nev && ok; i++) {
        ok = r.ev[i]->position == i + 1 &&
             strtoul(fval(r.ev[i], "a", 0), NULL, 10) == i;
        T_CHECK(ok, "event %zu: position %llu", i,
                (unsigned long long)r.ev[i]->position);
    }
    res_free(&r);
    kz_strbuf_fini(&s);
}

static void
test_limit_records_per_line(void)
{
    kz_strbuf s;
    size_t i, start;
    res r;

    /* JSON Lines whose second line holds 40,000 records: the unit's events
     * stop at 4 x 8192; the rest of that line is reported, and the next
     * line's record is still read. */
    kz_strbuf_init(&s, 0);
    kz_strbuf_adds(&s, "{\"a\":0}\n");
    start = s.len;
    for (i = 0; i < 40000; i++)
        kz_strbuf_adds(&s, "{\"a\":1}");
    kz_strbuf_adds(&s, "\n{\"a\":2}\n");
    run(s.data, s.len, NULL, &r);
    T_EQ_STR(r.layout, "lines");
    T_EQ_INT(r.nev, 4 * 8192 + 1);
    T_EQ_INT(r.npr, 1);
    if (r.npr == 1) {
        T_EQ_INT(r.pr[0].kind, KZ_PROB_JSON_LIMIT);
        T_EQ_INT(r.pr[0].line, 2);
        T_EQ_INT(r.pr[0].offset, start + 7 * (4 * 8192 - 1));
        T_EQ_INT(r.pr[0].lost, 7 * (40000 - (4 * 8192 - 1)));
    }
    if (r.nev > 0)
        T_EQ_STR(fval(r.ev[r.nev - 1], "a", 0), "2");
    res_free(&r);
    kz_strbuf_fini(&s);
}

static void
test_limit_tokens(void)
{
    kz_strbuf s;
    size_t i;
    res r;

    /* 300,000 values in one record (600 KB): more tokens than a record
     * may have (8 MiB of lexer state), so a 16 MiB [0,0,...] cannot cost
     * 256 MB. */
    kz_strbuf_init(&s, 0);
    kz_strbuf_adds(&s, "{\"a\":1}\n{\"d\":[0");
    for (i = 1; i < 300000; i++)
        kz_strbuf_adds(&s, ",0");
    kz_strbuf_adds(&s, "]}\n{\"a\":3}\n");
    run(s.data, s.len, NULL, &r);
    T_EQ_INT(r.nev, 2);
    T_EQ_INT(r.npr, 1);
    if (r.npr == 1) {
        T_EQ_INT(r.pr[0].kind, KZ_PROB_JSON_LIMIT);
        T_EQ_INT(r.pr[0].line, 2);
        T_EQ_INT(r.pr[0].offset, 8);
        T_EQ_INT(r.pr[0].lost, s.len - 8 - 8 - 1);
    }
    res_free(&r);

    /* Just under the bound: read. */
    kz_strbuf_reset(&s);
    kz_strbuf_adds(&s, "{\"d\":[0");
    for (i = 1; i < 200000; i++)
        kz_strbuf_adds(&s, ",0");
    kz_strbuf_adds(&s, "]}\n");
    run(s.data, s.len, NULL, &r);
    T_EQ_INT(r.nev, 1);
    T_EQ_INT(r.npr, 0);
    res_free(&r);
    kz_strbuf_fini(&s);
}

static void
test_problem_ranges(void)
{
    static const char doc[] = "{\n"
                              "  \"a\": 1\n"
                              "}\n"
                              "{\n"
                              "  \"b\": \"broken\n"
                              "  \"c\": {\n"
                              "    \"d\": 1\n"
                              "  }\n"
                              "}\n"
                              "{\n"
                              "  \"a\": 2\n"
                              "}\n";
    res r;
    size_t n;
    char *p;

    /* A malformed record: the problem starts at the record and covers it
     * up to the end of its line; where the fault is goes in the message. */
    run_str("{\"a\":1}\n{\"a\":1,,\"b\":2}  \n{\"a\":3}\n", NULL, &r);
    T_EQ_INT(r.npr, 1);
    if (r.npr == 1) {
        T_EQ_INT(r.pr[0].offset, 8);
        T_EQ_INT(r.pr[0].lost, 14 + 2); /* with the blanks before eol */
        T_EQ_INT(r.pr[0].line, 2);
        T_CHECK(strstr(r.pr[0].msg, "expected a member name at offset 0xf "
                                    "(line 2)") != NULL,
                "msg \"%s\"", r.pr[0].msg);
    }
    res_free(&r);

    /* A broken record and the lines skipped after it: two ranges that
     * meet, the first at the record's '{', the second at the line break
     * that broke it. */
    run_str(doc, NULL, &r);
    T_EQ_INT(r.nev, 2);
    T_EQ_INT(r.npr, 2);
    if (r.npr == 2) {
        T_EQ_INT(r.pr[0].offset, 13);
        T_EQ_INT(r.pr[0].line, 4);
        T_EQ_INT(r.pr[0].lost, 2 + 14); /* up to the line break */
        T_CHECK(strstr(r.pr[0].msg, "(line 5)") != NULL, "msg \"%s\"",
                r.pr[0].msg);
        T_EQ_INT(r.pr[1].offset, 13 + 16);
        T_EQ_INT(r.pr[1].line, 5);
        /* up to the last record, 13 bytes */
        T_EQ_INT(r.pr[1].lost, sizeof(doc) - 1 - 13 - (13 + 16));
    }
    check_ranges(&r, sizeof(doc) - 1, "doc");
    res_free(&r);

    /* The malformed fixture: no range overlaps another or runs past. */
    p = load("malformed.jsonl", &n);
    run(p, n, NULL, &r);
    T_EQ_INT(r.npr, 4);
    check_ranges(&r, n, "malformed.jsonl");
    res_free(&r);
    free(p);
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(test_shape_evtx_dump),
        T_CASE(test_shape_winlogbeat),
        T_CASE(test_shape_winlogbeat6),
        T_CASE(test_shape_nxlog),
        T_CASE(test_shape_flat),
        T_CASE(test_ecs_only_reported_once),
        T_CASE(test_layouts_agree),
        T_CASE(test_bom_and_utf16),
        T_CASE(test_utf16_large),
        T_CASE(test_escapes),
        T_CASE(test_malformed_lines),
        T_CASE(test_syntax_errors),
        T_CASE(test_malformed_document),
        T_CASE(test_limit_record_size),
        T_CASE(test_limit_depth),
        T_CASE(test_units_and_positions),
        T_CASE(test_empty_and_blank),
        T_CASE(test_names_interned),
        T_CASE(test_limit_dotted_names),
        T_CASE(test_resync_across_units),
        T_CASE(test_units_bounded_by_records),
        T_CASE(test_limit_records_per_line),
        T_CASE(test_limit_tokens),
        T_CASE(test_problem_ranges),
    };

    return t_run(cases, T_COUNT(cases), argc, argv);
}
