/*
 * strings.c - the report's string table (report_int.h KZ_RPT_TEXTS), the
 * section order and the helpers every renderer shares.
 */
#include "report/report_int.h"

#include <string.h>

#include "write/tz.h"

static const char *const texts[2][KZ_RPT_TEXT_COUNT] = {
#define KZ_RPT_EN(id, en, ja) en,
    { KZ_RPT_TEXTS(KZ_RPT_EN) },
#undef KZ_RPT_EN
#define KZ_RPT_JA(id, en, ja) ja,
    { KZ_RPT_TEXTS(KZ_RPT_JA) },
#undef KZ_RPT_JA
};

/* The Japanese report order (docs/report.md, Sections): what happened,
 * the people's response and preserved devices, the traces, tools,
 * movement, scope, the limits of the evidence, then cause and
 * countermeasures. */
static const kz_rpt_section sections[] = {
    { "summary", KZ_S_SUMMARY, KZ_D_SUMMARY, 0, false },
    { "response", KZ_S_RESPONSE, KZ_D_HUMAN, KZ_G_RESPONSE, true },
    { "preserved", KZ_S_PRESERVED, KZ_D_PRESERVED, KZ_G_PRESERVED, true },
    { "traces", KZ_S_TRACES, KZ_D_TRACES, 0, false },
    { "tools", KZ_S_TOOLS, KZ_D_TOOLS, 0, false },
    { "lateral", KZ_S_LATERAL, KZ_D_LATERAL, 0, false },
    { "entities", KZ_S_ENTITIES, KZ_D_ENTITIES, 0, false },
    { "scope", KZ_S_SCOPE, KZ_D_SCOPE, 0, false },
    { "limits", KZ_S_LIMITS, KZ_D_LIMITS, 0, false },
    { "cause", KZ_S_CAUSE, KZ_D_HUMAN, KZ_G_CAUSE, true },
    { "prevention", KZ_S_PREVENTION, KZ_D_HUMAN, KZ_G_PREVENTION, true },
};

const kz_rpt_section *
kz_rpt_sections(size_t *n)
{
    *n = sizeof(sections) / sizeof(sections[0]);
    return sections;
}

const char *
kz_rpt_tr(kz_report_lang lang, kz_rpt_text id)
{
    if ((unsigned)id >= KZ_RPT_TEXT_COUNT)
        return "";
    return texts[lang == KZ_LANG_JA ? 1 : 0][id];
}

/* The last tick of 9999-12-31T23:59:59.9999999Z. */
#define TIME_MAX_SHOWN 2650467743999999999LL

kz_status
kz_rpt_time(kz_strbuf *b, const kz_report *r, kz_time t)
{
    /* A time from a hostile or broken record can be anything; outside
     * 1601..9999 the calendar conversion would overflow, so such a time
     * is shown as its raw ticks (still one token, and not a date). */
    if (t != KZ_TIME_NONE && (t < 0 || t > TIME_MAX_SHOWN)) {
        kz_status st = kz_strbuf_adds(b, "invalid-time:");

        return st != KZ_OK ? st : kz_strbuf_add_i64(b, t);
    }
    return kz_tz_format(b, &r->meta.tz, t);
}

size_t
kz_rpt_section_items(const kz_report *r, const char *key)
{
    if (strcmp(key, "summary") == 0)
        return r->summary.first_activity != KZ_TIME_NONE ||
               r->summary.events != 0 || r->summary.detections != 0 ||
               r->summary.alerts != 0 || r->summary.first_host != NULL;
    if (strcmp(key, "preserved") == 0)
        return r->inputs.n;
    if (strcmp(key, "traces") == 0)
        return r->rows.n;
    if (strcmp(key, "tools") == 0)
        return r->tools.n;
    if (strcmp(key, "lateral") == 0)
        return r->steps.n + r->nodes.n;
    if (strcmp(key, "entities") == 0)
        return r->ent_hosts.n + r->ent_accounts.n + r->ent_addrs.n;
    if (strcmp(key, "scope") == 0)
        return r->scope.n;
    if (strcmp(key, "limits") == 0)
        return r->limits.n;
    return 0;
}

kz_status
kz_rpt_omitted(kz_strbuf *b, const kz_report *r, uint64_t n)
{
    kz_status st;

    if ((st = kz_strbuf_add_u64(b, n)) != KZ_OK ||
        (st = kz_strbuf_addc(b, ' ')) != KZ_OK)
        return st;
    return kz_strbuf_adds(b, kz_rpt_tr(r->meta.lang, KZ_L_OMITTED));
}
