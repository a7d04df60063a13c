/*
 * test_dump.c - the evtx_dump-like JSON of an event: System layout, value
 * rendering (numbers bare, the rest as strings), EventData and UserData
 * shapes, escaping, the recovered marker.
 */
#include <string.h>

#include "t.h"
#include "write/dump_json.h"

#define S(lit) { lit, sizeof(lit) - 1 }
#define V(type, lit) { (const uint8_t *)(lit), sizeof(lit) - 1, type }

/* A field of group g named lit. */
#define F(g, name, ...) { S(name), KZ_NAME_NONE, g, __VA_ARGS__ }
#define ED(name, ...) F(KZ_FG_EVENTDATA, name, __VA_ARGS__)
#define UD(name, ...) F(KZ_FG_USERDATA, name, __VA_ARGS__)

static kz_event
blank_event(void)
{
    kz_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.time = KZ_TIME_NONE;
    ev.written = KZ_TIME_NONE;
    return ev;
}

/* Dumps ev and compares with want (which lacks the trailing newline). */
static void
check_dump(const char *what, const kz_event *ev, const char *want)
{
    kz_strbuf b;
    kz_status st;
    size_t n = strlen(want);

    kz_strbuf_init(&b, 0);
    st = kz_dump_event(&b, ev, NULL);
    T_CHECK(st == KZ_OK, "%s: status %d", what, (int)st);
    T_CHECK(b.len == n + 1 && memcmp(b.data, want, n) == 0 &&
                b.data[n] == '\n',
            "%s:\n got: %s\nwant: %s", what, b.data ? b.data : "", want);
    kz_strbuf_fini(&b);
}

static void
dump_full_system_header(void)
{
    kz_event ev = blank_event();

    ev.provider = (kz_str)S("Microsoft-Windows-Security-Auditing");
    ev.provider_guid = (kz_str)S("{54849625-5478-4994-A5BA-3E3B0328C30D}");
    ev.event_id = 4624;
    ev.flags = KZ_EV_HAS_EVENT_ID | KZ_EV_HAS_RECORD_ID | KZ_EV_HAS_VERSION |
               KZ_EV_HAS_LEVEL | KZ_EV_HAS_TASK | KZ_EV_HAS_OPCODE |
               KZ_EV_HAS_KEYWORDS | KZ_EV_HAS_EXECUTION;
    ev.version = 2;
    ev.task = 12544;
    ev.keywords = 0x8020000000000000ULL;
    /* 2019-04-17T18:40:00.1234567Z */
    ev.time = 132000000000000000LL + 1234567;
    ev.record_id = 57;
    ev.activity_id = (kz_str)S("{11111111-2222-3333-4444-555555555555}");
    ev.process_id = 636;
    ev.thread_id = 4180;
    ev.channel = (kz_str)S("Security");
    ev.computer = (kz_str)S("WS01.corp.local");
    ev.user_sid = (kz_str)S("S-1-5-18");
    check_dump("full", &ev,
               "{\"Event\":{\"System\":{\"Provider\":{\"#attributes\":{"
               "\"Name\":\"Microsoft-Windows-Security-Auditing\",\"Guid\":"
               "\"{54849625-5478-4994-A5BA-3E3B0328C30D}\"}},\"EventID\":"
               "4624,\"Version\":2,\"Level\":0,\"Task\":12544,\"Opcode\":0,"
               "\"Keywords\":\"0x8020000000000000\",\"TimeCreated\":{"
               "\"#attributes\":{\"SystemTime\":"
               "\"2019-04-17T18:40:00.1234567Z\"}},\"EventRecordID\":57,"
               "\"Correlation\":{\"#attributes\":{\"ActivityID\":"
               "\"{11111111-2222-3333-4444-555555555555}\"}},\"Execution\":"
               "{\"#attributes\":{\"ProcessID\":636,\"ThreadID\":4180}},"
               "\"Channel\":\"Security\",\"Computer\":\"WS01.corp.local\","
               "\"Security\":{\"#attributes\":{\"UserID\":\"S-1-5-18\"}}}}}");
}

static void
dump_omits_absent_parts(void)
{
    kz_event ev = blank_event();

    check_dump("empty", &ev,
               "{\"Event\":{\"System\":{\"Correlation\":null,"
               "\"Security\":null}}}");
}

static void
dump_event_id_with_qualifiers(void)
{
    kz_event ev = blank_event();

    ev.event_id = 7036;
    ev.qualifiers = 16384;
    ev.flags = KZ_EV_HAS_EVENT_ID | KZ_EV_HAS_QUALIFIERS;
    ev.provider = (kz_str)S("Service Control Manager");
    ev.event_source = (kz_str)S("Service Control Manager");
    check_dump("qualifiers", &ev,
               "{\"Event\":{\"System\":{\"Provider\":{\"#attributes\":{"
               "\"Name\":\"Service Control Manager\",\"EventSourceName\":"
               "\"Service Control Manager\"}},\"EventID\":{\"#attributes\":"
               "{\"Qualifiers\":16384},\"#text\":7036},"
               "\"Correlation\":null,\"Security\":null}}}");
}

#define PREFIX                                                           \
    "{\"Event\":{\"System\":{\"Correlation\":null,"                     \
    "\"Security\":null},"

static void
dump_value_types(void)
{
    static const kz_field fields[] = {
        ED("Str", V(KZ_VT_UTF8, "C:\\Windows\\cmd.exe")),
        ED("U16", V(KZ_VT_STRING, "h\0i\0\0\0")),
        ED("I32", V(KZ_VT_INT32, "\xff\xff\xff\xff")),
        ED("U32", V(KZ_VT_UINT32, "\x10\x27\x00\x00")),
        ED("U64", V(KZ_VT_UINT64, "\xff\xff\xff\xff\xff\xff\xff\xff")),
        ED("Hex", V(KZ_VT_HEX64, "\xe7\x03\x00\x00\x00\x00\x00\x00")),
        ED("Hex32", V(KZ_VT_HEX32, "\x04\x00\x00\x00")),
        ED("Bool", V(KZ_VT_BOOL, "\x01\x00\x00\x00")),
        ED("Guid", V(KZ_VT_GUID, "\x25\x96\x84\x54\x78\x54\x94\x49"
                                 "\xa5\xba\x3e\x3b\x03\x28\xc3\x0d")),
        ED("Sid", V(KZ_VT_SID, "\x01\x01\x00\x00\x00\x00\x00\x05"
                               "\x12\x00\x00\x00")),
        ED("Bin", V(KZ_VT_BINARY, "\x00\xab\x10")),
        ED("File", V(KZ_VT_FILETIME, "\x87\xd6\x12\x80\xba\xda\xd4\x01")),
        ED("Num", V(KZ_VT_JSON_NUM, "-12")),
        ED("Frac", V(KZ_VT_JSON_NUM, "1.5e3")),
        ED("BadNum", V(KZ_VT_JSON_NUM, "0x12")),
        ED("JBool", V(KZ_VT_JSON_BOOL, "false")),
        ED("Null", V(KZ_VT_NULL, "")),
        ED("Empty", V(KZ_VT_UTF8, "")),
        ED("Short", V(KZ_VT_UINT32, "\x01")),
    };
    kz_event ev = blank_event();

    ev.fields = fields;
    ev.nfields = T_COUNT(fields);
    check_dump("types", &ev,
               PREFIX "\"EventData\":{"
               "\"Str\":\"C:\\\\Windows\\\\cmd.exe\",\"U16\":\"hi\","
               "\"I32\":-1,\"U32\":10000,\"U64\":18446744073709551615,"
               "\"Hex\":\"0x3e7\",\"Hex32\":\"0x4\",\"Bool\":\"true\","
               "\"Guid\":\"{54849625-5478-4994-A5BA-3E3B0328C30D}\","
               "\"Sid\":\"S-1-5-18\",\"Bin\":\"00AB10\","
               "\"File\":\"2019-03-14T23:06:04.8077447Z\",\"Num\":-12,"
               "\"Frac\":1.5e3,\"BadNum\":\"0x12\",\"JBool\":false,"
               "\"Null\":null,\"Empty\":\"\",\"Short\":\"01\"}}}");
}

static void
dump_repeated_and_unnamed_data(void)
{
    static const kz_field fields[] = {
        ED("Data", V(KZ_VT_UTF8, "first")),
        ED("Name", V(KZ_VT_UTF8, "a")),
        ED("Data", V(KZ_VT_UTF8, "second")),
        ED("Name", V(KZ_VT_UTF8, "b")),
    };
    static const kz_field one[] = { ED("Data", V(KZ_VT_UTF8, "only")) };
    kz_event ev = blank_event();

    ev.fields = fields;
    ev.nfields = T_COUNT(fields);
    check_dump("repeated", &ev,
               PREFIX "\"EventData\":{\"Data\":[\"first\",\"second\"],"
               "\"Name\":[\"a\",\"b\"]}}}");
    ev.fields = one;
    ev.nfields = 1;
    check_dump("one unnamed", &ev,
               PREFIX "\"EventData\":{\"Data\":[\"only\"]}}}");
}

static void
dump_userdata_tree(void)
{
    static const kz_field fields[] = {
        UD("Id", V(KZ_VT_UTF8, "{0}")),
        UD("Process@ID", V(KZ_VT_UINT32, "\x10\x00\x00\x00")),
        UD("Process", V(KZ_VT_UTF8, "svc.exe")),
        UD("Target.User", V(KZ_VT_UTF8, "bob")),
        UD("Target.Domain", V(KZ_VT_UTF8, "CORP")),
        UD("Item", V(KZ_VT_UTF8, "x")),
        UD("Item", V(KZ_VT_UTF8, "y")),
        UD("a.b@c.d", V(KZ_VT_UTF8, "dotted attribute")),
    };
    kz_event ev = blank_event();

    ev.fields = fields;
    ev.nfields = T_COUNT(fields);
    ev.userdata_root = (kz_str)S("LogFileCleared");
    ev.flags = KZ_EV_USERDATA;
    check_dump("userdata", &ev,
               PREFIX "\"UserData\":{\"LogFileCleared\":{\"Id\":\"{0}\","
               "\"Process\":{\"#attributes\":{\"ID\":16},\"#text\":"
               "\"svc.exe\"},\"Target\":{\"User\":\"bob\",\"Domain\":"
               "\"CORP\"},\"Item\":[\"x\",\"y\"],\"a\":{\"b\":{"
               "\"#attributes\":{\"c.d\":\"dotted attribute\"}}}}}}}");
    ev.nfields = 0;
    check_dump("empty userdata", &ev,
               PREFIX "\"UserData\":{\"LogFileCleared\":null}}}");
}

static void
dump_other_sections_at_event_level(void)
{
    static const kz_field fields[] = {
        ED("X", V(KZ_VT_UTF8, "1")),
        F(KZ_FG_RENDERING, "RenderingInfo@Culture", V(KZ_VT_UTF8, "en-US")),
        F(KZ_FG_RENDERING, "RenderingInfo.Message", V(KZ_VT_UTF8, "hi")),
        F(KZ_FG_EXTRA, "System.Fake", V(KZ_VT_UTF8, "collides")),
    };
    kz_event ev = blank_event();

    ev.fields = fields;
    ev.nfields = T_COUNT(fields);
    check_dump("sections", &ev,
               PREFIX "\"EventData\":{\"X\":\"1\"},\"RenderingInfo\":{"
               "\"#attributes\":{\"Culture\":\"en-US\"},\"Message\":"
               "\"hi\"},\"Extra\":{\"System\":{\"Fake\":\"collides\"}}}}");
}

static void
dump_escapes_hostile_text(void)
{
    static const kz_field fields[] = {
        ED("k\"ey\n", V(KZ_VT_UTF8, "\x1b[2J\xed\xa0\x80\xff\xe6\x97\xa5")),
    };
    kz_event ev = blank_event();

    ev.fields = fields;
    ev.nfields = T_COUNT(fields);
    ev.computer = (kz_str)S("WS\x01");
    check_dump("hostile", &ev,
               "{\"Event\":{\"System\":{\"Correlation\":null,"
               "\"Computer\":\"WS\\u0001\",\"Security\":null},"
               "\"EventData\":{\"k\\\"ey\\n\":\"\\u001b[2J\\ud800\\ufffd"
               "\xe6\x97\xa5\"}}}");
}

static void
dump_marks_recovered_events(void)
{
    kz_event ev = blank_event();

    ev.flags = KZ_EV_RECOVERED;
    check_dump("recovered", &ev,
               "{\"Event\":{\"System\":{\"Correlation\":null,"
               "\"Security\":null}},\"kizuki\":{\"recovered\":true}}");
}

static void
dump_array_values(void)
{
    static const kz_field fields[] = {
        ED("U16s", V(KZ_VT_UINT16 | KZ_VT_ARRAY, "\x01\x00\x02\x00\x03\x00")),
        ED("Strs", V(KZ_VT_STRING | KZ_VT_ARRAY, "a\0\0\0b\0\0\0")),
    };
    kz_event ev = blank_event();

    ev.fields = fields;
    ev.nfields = T_COUNT(fields);
    check_dump("arrays", &ev,
               PREFIX "\"EventData\":{\"U16s\":[1,2,3],\"Strs\":[\"a\","
               "\"b\"]}}}");
}

static void
dump_failure_leaves_buffer_unchanged(void)
{
    kz_event ev = blank_event();
    kz_strbuf b;

    kz_strbuf_init(&b, 40);
    T_EQ_INT(kz_strbuf_adds(&b, "keep"), KZ_OK);
    T_EQ_INT(kz_dump_event(&b, &ev, NULL), KZ_ELIMIT);
    T_EQ_INT(b.len, 4);
    T_EQ_STR(b.data, "keep");
    kz_strbuf_fini(&b);
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(dump_full_system_header),
        T_CASE(dump_omits_absent_parts),
        T_CASE(dump_event_id_with_qualifiers),
        T_CASE(dump_value_types),
        T_CASE(dump_repeated_and_unnamed_data),
        T_CASE(dump_userdata_tree),
        T_CASE(dump_other_sections_at_event_level),
        T_CASE(dump_escapes_hostile_text),
        T_CASE(dump_marks_recovered_events),
        T_CASE(dump_array_values),
        T_CASE(dump_failure_leaves_buffer_unchanged),
    };

    return t_run(cases, T_COUNT(cases), argc, argv);
}
