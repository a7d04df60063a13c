/*
 * fuzz_rules.c - libFuzzer target for the Sigma loader: the input is one
 * YAML file (any number of documents), loaded with kz_sigma_load_buffer
 * (with placeholder values, so |expand is exercised too) and then
 * finished (filters, logsource mapping, correlation references). When
 * bit 2 of the first byte is set and rules loaded, the set is also
 * compiled (Vectorscan, PCRE2) and run over a few fixed events, so that
 * hostile rules reach the matcher too (compiling is slow: only a quarter
 * of the inputs pay for it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match/match.h"
#include "sigma/sigma.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static kz_sg_expand *
expand_values(void)
{
    static kz_sg_expand *e;
    static int tried;

    /* One YAML file of placeholder values, read once per process. */
    if (!tried) {
        const char *p = getenv("KZ_FUZZ_EXPAND");
        kz_error err;

        tried = 1;
        kz_error_clear(&err);
        if (p != NULL)
            e = kz_sg_expand_load(p, &err);
    }
    return e;
}

/* Fixed events: (channel, event id, name=value pairs). */
static const struct {
    const char *channel;
    uint32_t eid;
    const char *kv[8];
} events[] = {
    { "Microsoft-Windows-Sysmon/Operational", 1,
      { "Image", "C:\\Windows\\System32\\cmd.exe", "CommandLine",
        "cmd.exe /c whoami -all & powershell -enc SQBFAFgA", "ParentImage",
        "C:\\Windows\\explorer.exe", "User", "CORP\\ana" } },
    { "Security", 4688,
      { "NewProcessName", "C:\\Users\\Public\\x.exe", "CommandLine",
        "x.exe --run", "NewProcessId", "0x1234", "MandatoryLabel",
        "S-1-16-12288" } },
    { "Security", 4624,
      { "TargetUserName", "admin", "LogonType", "10", "IpAddress",
        "203.0.113.7", "Data", "" } },
};

static kz_status
on_hit(void *ctx, const kz_event *ev, uint32_t rule)
{
    (void)ctx;
    (void)ev;
    (void)rule;
    return KZ_OK;
}

static void
run_matcher(const kz_sigma_set *s)
{
    kz_names *names = kz_names_new();
    kz_ruleset *rs = NULL;
    kz_matcher *m = NULL;
    kz_match_opts mo;
    kz_match_cb cb = { on_hit, NULL, NULL };
    kz_error err;
    kz_field fields[4];
    kz_event ev;
    size_t i, k;

    memset(&mo, 0, sizeof(mo));
    mo.pcre_match_limit = 10000;
    kz_error_clear(&err);
    if (names == NULL ||
        kz_ruleset_compile(s, names, &mo, &rs, &err) != KZ_OK)
        goto out;
    kz_names_freeze(names);
    if ((m = kz_matcher_new(rs)) == NULL)
        goto out;
    for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
        memset(&ev, 0, sizeof(ev));
        ev.channel.p = events[i].channel;
        ev.channel.len = strlen(events[i].channel);
        ev.event_id = events[i].eid;
        ev.flags = KZ_EV_HAS_EVENT_ID;
        for (k = 0; k < 4; k++) {
            const char *n = events[i].kv[2 * k], *v = events[i].kv[2 * k + 1];

            fields[k].name.p = n;
            fields[k].name.len = strlen(n);
            fields[k].id = kz_names_lookup(names, n, strlen(n));
            fields[k].group = KZ_FG_EVENTDATA;
            fields[k].value = kz_value_utf8(v, strlen(v));
        }
        ev.fields = fields;
        ev.nfields = 4;
        (void)kz_match_event(m, &ev, &cb);
    }
out:
    kz_matcher_free(m);
    kz_ruleset_free(rs);
    kz_names_free(names);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kz_sigma_load_opts o;
    kz_sigma_set *s;
    kz_error err;
    size_t i;

    memset(&o, 0, sizeof(o));
    o.expand = expand_values();
    o.keep_unmapped = size > 0 && (data[0] & 1);
    o.keep_deprecated = size > 0 && (data[0] & 2);
    if ((s = kz_sigma_set_new(&o)) == NULL)
        return 0;
    kz_error_clear(&err);
    if (kz_sigma_load_buffer(s, "fuzz.yml", (const char *)data, size,
                             &err) == KZ_OK)
        (void)kz_sigma_set_finish(s, &err);
    if (size > 0 && (data[0] & 4) && s->counts[KZ_SGV_LOADED] > 0)
        run_matcher(s);
    /* Touch every report so bad pointers show up under ASan. */
    for (i = 0; i < s->nreports; i++)
        if (s->reports[i].reason != NULL)
            (void)strlen(s->reports[i].reason);
    kz_sigma_set_free(s);
    return 0;
}
