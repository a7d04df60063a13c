/*
 * narrative.c - one paragraph per incident for 発生事象 (the summary),
 * written from the incident's fields only (model.h kz_report_incident),
 * in the report's language: when, how many alerts on which hosts, which
 * accounts, the first host or why it is undetermined, the path, tools and
 * the impact counts. Nothing is inferred beyond those fields; strings
 * from the logs are copied as they are, so the caller escapes the text
 * for its format. Layout of the sentences: docs/report.md ("Summary
 * text").
 */
#include "report/report.h"

#include <string.h>

#include "report/report_int.h"

/* Names shown in a sentence (the rest as "+N"). */
#define SHOWN 5

static kz_status
adds(kz_strbuf *b, const char *s)
{
    return kz_strbuf_adds(b, s != NULL ? s : "-");
}

/* "a, b, c (+N)" with sep between names. */
static kz_status
list(kz_strbuf *b, const char *const *v, size_t n, uint64_t omitted,
     const char *sep)
{
    size_t i, k = n < SHOWN ? n : SHOWN;
    uint64_t more = omitted + (n - k);
    kz_status st = KZ_OK;

    for (i = 0; i < k && st == KZ_OK; i++) {
        if (i > 0)
            st = kz_strbuf_adds(b, sep);
        if (st == KZ_OK)
            st = adds(b, v[i]);
    }
    if (st == KZ_OK && more > 0 &&
        (st = kz_strbuf_adds(b, " (+")) == KZ_OK &&
        (st = kz_strbuf_add_u64(b, more)) == KZ_OK)
        st = kz_strbuf_addc(b, ')');
    return st;
}

/* A sequence of pieces: strings, numbers, times, lists. */
typedef struct piece {
    char kind;             /* 's' string, 'u' number, 't' time, 'l' list,
                              'p' path list */
    const char *s;
    uint64_t u;
    kz_time t;
    const char *const *v;
    size_t n;
    uint64_t omitted;
} piece;

#define NS(x) { 's', (x), 0, 0, NULL, 0, 0 }
#define NU(x) { 'u', NULL, (x), 0, NULL, 0, 0 }
#define NT(x) { 't', NULL, 0, (x), NULL, 0, 0 }
#define NL(v, n, o) { 'l', NULL, 0, 0, (v), (n), (o) }
#define NP(v, n, o) { 'p', NULL, 0, 0, (v), (n), (o) }
#define NN(a) (sizeof(a) / sizeof((a)[0]))

static kz_status
emit(kz_strbuf *b, const kz_report *r, const piece *p, size_t n)
{
    kz_status st = KZ_OK;
    size_t i;

    for (i = 0; i < n && st == KZ_OK; i++)
        switch (p[i].kind) {
        case 's': st = adds(b, p[i].s); break;
        case 'u': st = kz_strbuf_add_u64(b, p[i].u); break;
        case 't': st = kz_rpt_time(b, r, p[i].t); break;
        case 'l': st = list(b, p[i].v, p[i].n, p[i].omitted, ", "); break;
        default:  st = list(b, p[i].v, p[i].n, p[i].omitted, " -> "); break;
        }
    return st;
}

static kz_status
text_en(kz_strbuf *b, const kz_report *r, const kz_report_incident *x)
{
    const piece head[] = {
        NS("Incident "), NU(x->id), NS(" ("), NS(x->level), NS("): "),
        NU(x->seeds), NS(" alerts from "), NT(x->first), NS(" to "), NT(x->last),
        NS(" on "), NU(x->n_hosts + x->hosts_omitted), NS(" host(s) ("),
        NL(x->hosts, x->n_hosts, x->hosts_omitted), NS("). "),
    };
    const piece acct[] = {
        NS("Accounts: "), NL(x->accounts, x->n_accounts, x->accounts_omitted),
        NS(". "),
    };
    const piece fh[] = {
        NS("First host: "), NS(x->first_host), NS(" ("), NS(x->reason), NS("). "),
    };
    const piece nofh[] = {
        NS("First host undetermined: "), NS(x->reason), NS(". "),
    };
    const piece path[] = {
        NS("Lateral movement: "), NP(x->path, x->n_path, x->path_omitted),
        NS(" ("), NU(x->steps), NS(" step(s)). "),
    };
    const piece tail[] = {
        NS("Tools: "), NU(x->tools), NS(". Impact: "), NU(x->files_read),
        NS(" files read, "), NU(x->files_written), NS(" written, "),
        NU(x->files_deleted), NS(" deleted, "), NU(x->mailboxes),
        NS(" mailboxes."),
    };
    kz_status st;

    if ((st = emit(b, r, head, NN(head))) != KZ_OK)
        return st;
    if (x->n_accounts > 0)
        st = emit(b, r, acct, NN(acct));
    else
        st = kz_strbuf_adds(b, "No account identified. ");
    if (st == KZ_OK)
        st = x->first_host != NULL ? emit(b, r, fh, NN(fh))
                                   : emit(b, r, nofh, NN(nofh));
    if (st == KZ_OK)
        st = x->steps > 0 ? emit(b, r, path, NN(path))
                          : kz_strbuf_adds(b, "No lateral movement seen. ");
    return st == KZ_OK ? emit(b, r, tail, NN(tail)) : st;
}

static kz_status
text_ja(kz_strbuf *b, const kz_report *r, const kz_report_incident *x)
{
    const piece head[] = {
        NS("インシデント"), NU(x->id), NS("（"), NS(x->level), NS("）: "),
        NT(x->first), NS(" 〜 "), NT(x->last), NS(" に "),
        NU(x->n_hosts + x->hosts_omitted), NS(" 台のホスト（"),
        NL(x->hosts, x->n_hosts, x->hosts_omitted), NS("）で "), NU(x->seeds),
        NS(" 件のアラート。"),
    };
    const piece acct[] = {
        NS("アカウント: "), NL(x->accounts, x->n_accounts, x->accounts_omitted),
        NS("。"),
    };
    const piece fh[] = {
        NS("最初の侵入先: "), NS(x->first_host), NS("（根拠: "), NS(x->reason),
        NS("）。"),
    };
    const piece nofh[] = {
        NS("最初の侵入先は特定できず（理由: "), NS(x->reason), NS("）。"),
    };
    const piece path[] = {
        NS("横展開: "), NP(x->path, x->n_path, x->path_omitted), NS("（"),
        NU(x->steps), NS(" 段）。"),
    };
    const piece tail[] = {
        NS("ツール "), NU(x->tools), NS(" 種。影響範囲: 読み取り "),
        NU(x->files_read), NS(" 件、書き込み "), NU(x->files_written),
        NS(" 件、削除 "), NU(x->files_deleted), NS(" 件、メールボックス "),
        NU(x->mailboxes), NS(" 件。"),
    };
    kz_status st;

    if ((st = emit(b, r, head, NN(head))) != KZ_OK)
        return st;
    if (x->n_accounts > 0)
        st = emit(b, r, acct, NN(acct));
    else
        st = kz_strbuf_adds(b, "アカウントは特定できず。");
    if (st == KZ_OK)
        st = x->first_host != NULL ? emit(b, r, fh, NN(fh))
                                   : emit(b, r, nofh, NN(nofh));
    if (st == KZ_OK)
        st = x->steps > 0 ? emit(b, r, path, NN(path))
                          : kz_strbuf_adds(b, "横展開は見られず。");
    return st == KZ_OK ? emit(b, r, tail, NN(tail)) : st;
}

kz_status
kz_rpt_incident_text(kz_strbuf *b, const kz_report *r,
                     const kz_report_incident *x)
{
    return r->meta.lang == KZ_LANG_JA ? text_ja(b, r, x)
                                      : text_en(b, r, x);
}
