/*
 * logsource_alt.c - rewrites a rule's selections for a Security-log
 * alternate (sigma-notes.md 5.3; decisions in docs/sigma-logsource.md).
 *
 * Two tables drive it: field renames (Sigma/Sysmon name -> name in the
 * alternate event, with the converter its values need) and the system
 * fields every event has. A rule reading any other field cannot match the
 * alternate event, so the alternate is left out. Values are converted at
 * the token level (kz_sg_pattern): only literal runs change, wildcards stay
 * where they were. A value no converter can translate faithfully also
 * leaves the alternate out: a missed alternate costs coverage, a wrong
 * one costs false positives or silent misses that look like coverage.
 *
 * The copy is structural: selections, maps, items, groups and values are
 * new arena objects; pattern text and tokens of values that need no
 * conversion are shared with the rule (they live in rule->arena, which
 * outlives every target of the rule).
 */
#include "sigma/logsource_int.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Value converters of the rename table. */
typedef enum conv_kind {
    CV_NONE = 0,  /* value kept as written */
    CV_HEX,       /* decimal number -> "0x" lower-case hex */
    CV_INTEGRITY, /* Low/Medium/High/System -> S-1-16-* */
    CV_USER,      /* DOMAIN\name -> name (see conv_user) */
    CV_REGKEY,    /* HKLM\ -> \REGISTRY\MACHINE\, HKU\ -> \REGISTRY\USER\ */
    CV_REGOP,     /* SetValue/DeleteValue -> %%1904 %%1905 / %%1906 */
    CV_REGDATA,   /* Details: strings only, not Sysmon's typed forms */
    CV_VOLUME,    /* C: -> \device\harddiskvolume? */
    CV_DIRECTION, /* true/false -> %%14593/%%14592 */
    CV_PROTO,     /* tcp/udp -> 6/17 */
    CV_MOF,       /* contains-only, MOF string escapes (\ and ") */
} conv_kind;

/* One field rename of one alternate. */
typedef struct field_ren {
    uint8_t alt;      /* kz_ls_alt, or KZ_LS_REN_DEFENDER */
    const char *from; /* field in the rule (ASCII case-insensitive) */
    const char *to;   /* field of the alternate event */
    uint8_t conv;     /* conv_kind of the values */
} field_ren;

static const field_ren renames[] = {
    /* process_creation -> Security 4688 */
    {KZ_LS_ALT_4688, "Image", "NewProcessName", CV_NONE},
    {KZ_LS_ALT_4688, "ParentImage", "ParentProcessName", CV_NONE},
    {KZ_LS_ALT_4688, "CommandLine", "CommandLine", CV_NONE},
    {KZ_LS_ALT_4688, "ProcessId", "NewProcessId", CV_HEX},
    {KZ_LS_ALT_4688, "ParentProcessId", "ProcessId", CV_HEX},
    {KZ_LS_ALT_4688, "LogonId", "SubjectLogonId", CV_HEX},
    {KZ_LS_ALT_4688, "User", "SubjectUserName", CV_USER},
    {KZ_LS_ALT_4688, "IntegrityLevel", "MandatoryLabel", CV_INTEGRITY},
    /* registry_* -> Security 4657 */
    {KZ_LS_ALT_4657, "TargetObject", "ObjectName", CV_REGKEY},
    {KZ_LS_ALT_4657, "Details", "NewValue", CV_REGDATA},
    {KZ_LS_ALT_4657, "EventType", "OperationType", CV_REGOP},
    {KZ_LS_ALT_4657, "Image", "ProcessName", CV_NONE},
    {KZ_LS_ALT_4657, "ProcessId", "ProcessId", CV_HEX},
    {KZ_LS_ALT_4657, "User", "SubjectUserName", CV_USER},
    /* network_connection -> Security 5156 (its ProcessID is decimal) */
    {KZ_LS_ALT_5156, "Image", "Application", CV_VOLUME},
    {KZ_LS_ALT_5156, "ProcessId", "ProcessID", CV_NONE},
    {KZ_LS_ALT_5156, "Initiated", "Direction", CV_DIRECTION},
    {KZ_LS_ALT_5156, "SourceIp", "SourceAddress", CV_NONE},
    {KZ_LS_ALT_5156, "SourcePort", "SourcePort", CV_NONE},
    {KZ_LS_ALT_5156, "DestinationIp", "DestAddress", CV_NONE},
    {KZ_LS_ALT_5156, "DestinationPort", "DestPort", CV_NONE},
    {KZ_LS_ALT_5156, "Protocol", "Protocol", CV_PROTO},
    /* wmi_event -> WMI-Activity 5861: UserData PossibleCause holds the
     * binding's filter and consumer as MOF text ("instance of
     * CommandLineEventConsumer { CommandLineTemplate = \"...\"; ...}"),
     * so a consumer's Destination or a filter's Query is found in it with
     * `contains` only, after MOF string escaping. */
    {KZ_LS_ALT_WMI, "Destination", "PossibleCause", CV_MOF},
    {KZ_LS_ALT_WMI, "Query", "PossibleCause", CV_MOF},
    /* antivirus on Defender's own events (native target) */
    {KZ_LS_REN_DEFENDER, "Signature", "Threat Name", CV_NONE},
    {KZ_LS_REN_DEFENDER, "Filename", "Path", CV_NONE},
};

/* Fields of Event.System: the same in every event, read from the header
 * (sigma-notes.md 5.3, "EVTX field resolution"). */
static const char *const system_fields[] = {
    "EventID", "Channel", "Provider_Name", "Computer",      "Level",
    "Task",    "Opcode",  "Keywords",      "EventRecordID", "Version",
};

/* Reasons (constant strings) for leaving an alternate out. */
static const char *const why_fields[] = {
    "rule reads a field the target event does not have",
    "rule reads a field Security 4688 does not have",
    "rule reads a field Security 4657 does not have",
    "rule reads a field Security 5156 does not have",
    "rule reads a field WMI-Activity 5861 does not have",
};
#define WHY_VALUE "a value cannot be converted faithfully for the alternate"
#define WHY_KIND "a value kind (regex, compare) on a converted field"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Max decimal digits read as a number (UINT64_MAX has 20). */
#define HEX_MAX_DIGITS 19

/* Result of a converter. */
enum { CONV_FAIL = 0, CONV_OK = 1, CONV_OOM = -1 };

static const char *
why_field(unsigned set)
{
    return set < COUNT(why_fields) ? why_fields[set] : why_fields[0];
}

/* True for a rename set of a native target: fields without a rename are
 * the event's own and are kept. */
static bool
is_open(unsigned set)
{
    return set == KZ_LS_REN_DEFENDER;
}

/* The rename of field for set, or NULL. */
static const field_ren *
find_rename(unsigned alt, const char *field)
{
    size_t i;

    for (i = 0; i < COUNT(renames); i++)
        if (renames[i].alt == alt && strcasecmp(renames[i].from, field) == 0)
            return &renames[i];
    return NULL;
}

static bool
is_system_field(const char *field)
{
    size_t i;

    for (i = 0; i < COUNT(system_fields); i++)
        if (strcasecmp(system_fields[i], field) == 0)
            return true;
    return false;
}

/* ---- pattern builder ------------------------------------------------ */

/* A pattern under construction, with room fixed up front. */
typedef struct pbuild {
    char *text;      /* literal bytes */
    size_t len;      /* bytes used */
    size_t cap;      /* bytes available (NUL excluded) */
    kz_sg_tok *toks; /* tokens */
    size_t ntoks;    /* tokens used */
    size_t tcap;     /* tokens available */
} pbuild;

/* Room for the input pattern plus `extra` bytes and 2 tokens. */
static int
pb_init(pbuild *b, kz_arena *a, const kz_sg_pattern *in, size_t extra)
{
    b->len = 0;
    b->ntoks = 0;
    b->cap = in->text_len + extra;
    b->tcap = in->ntoks + 2;
    if (b->cap < in->text_len || b->tcap < in->ntoks ||
        b->tcap > SIZE_MAX / sizeof(kz_sg_tok))
        return CONV_OOM;
    b->text = kz_arena_alloc(a, b->cap + 1);
    b->toks = kz_arena_alloc(a, b->tcap * sizeof(kz_sg_tok));
    if (b->text == NULL || b->toks == NULL)
        return CONV_OOM;
    b->text[0] = '\0';
    return CONV_OK;
}

/* Appends literal bytes, merged with a literal token just before. */
static int
pb_lit(pbuild *b, const char *s, size_t n)
{
    kz_sg_tok *t;

    if (n == 0)
        return CONV_OK;
    if (n > b->cap - b->len)
        return CONV_FAIL;
    memcpy(b->text + b->len, s, n);
    if (b->ntoks > 0 && b->toks[b->ntoks - 1].kind == KZ_TOK_LIT &&
        b->toks[b->ntoks - 1].off + b->toks[b->ntoks - 1].len == b->len) {
        b->toks[b->ntoks - 1].len += (uint32_t)n;
    } else {
        if (b->ntoks == b->tcap)
            return CONV_FAIL;
        t = &b->toks[b->ntoks++];
        t->kind = KZ_TOK_LIT;
        t->off = (uint32_t)b->len;
        t->len = (uint32_t)n;
    }
    b->len += n;
    b->text[b->len] = '\0';
    return CONV_OK;
}

/* Appends a wildcard token (STAR, QMARK, DASH). */
static int
pb_tok(pbuild *b, uint8_t kind)
{
    kz_sg_tok *t;

    if (b->ntoks == b->tcap)
        return CONV_FAIL;
    t = &b->toks[b->ntoks++];
    t->kind = kind;
    t->off = 0;
    t->len = 0;
    return CONV_OK;
}

/* Appends token i of in (copying literal bytes). */
static int
pb_copy_tok(pbuild *b, const kz_sg_pattern *in, size_t i)
{
    const kz_sg_tok *t = &in->toks[i];

    if (t->kind == KZ_TOK_LIT)
        return pb_lit(b, in->text + t->off, t->len);
    return pb_tok(b, t->kind);
}

static void
pb_done(const pbuild *b, kz_sg_pattern *out)
{
    out->text = b->text;
    out->text_len = b->len;
    out->toks = b->toks;
    out->ntoks = b->ntoks;
}

/* A pattern holding the one literal s (arena-owned). */
static int
pat_literal(kz_arena *a, const char *s, kz_sg_pattern *out)
{
    kz_sg_pattern empty = {"", 0, NULL, 0};
    pbuild b;
    int r;

    if ((r = pb_init(&b, a, &empty, strlen(s))) != CONV_OK)
        return r;
    if ((r = pb_lit(&b, s, strlen(s))) != CONV_OK)
        return r;
    pb_done(&b, out);
    return CONV_OK;
}

/* True when every literal token of p lies inside p->text. */
static bool
pat_sane(const kz_sg_pattern *p)
{
    size_t i;

    if (p->ntoks != 0 && (p->toks == NULL || p->text == NULL))
        return false;
    for (i = 0; i < p->ntoks; i++)
        if (p->toks[i].kind == KZ_TOK_LIT &&
            (p->toks[i].off > p->text_len ||
             p->toks[i].len > p->text_len - p->toks[i].off))
            return false;
    return true;
}

/* The single literal of p (one LIT token, nothing else), or NULL. */
static const char *
pat_only_lit(const kz_sg_pattern *p, size_t *n)
{
    if (p->ntoks != 1 || p->toks[0].kind != KZ_TOK_LIT)
        return NULL;
    *n = p->toks[0].len;
    return p->text + p->toks[0].off;
}

/* Case-insensitive: literal s (n bytes) equals z. */
static bool
lit_eq(const char *s, size_t n, const char *z)
{
    return strlen(z) == n && strncasecmp(s, z, n) == 0;
}

/* Case-insensitive: literal s (n bytes) starts with z. */
static bool
lit_prefix(const char *s, size_t n, const char *z)
{
    size_t m = strlen(z);

    return m <= n && strncasecmp(s, z, m) == 0;
}

/* Case-insensitive search of z in the literal tokens of p. */
static bool
pat_lit_contains(const kz_sg_pattern *p, const char *z)
{
    size_t i, j, m = strlen(z);

    for (i = 0; i < p->ntoks; i++) {
        const char *s = p->text + p->toks[i].off;
        size_t n = p->toks[i].len;

        if (p->toks[i].kind != KZ_TOK_LIT || n < m)
            continue;
        for (j = 0; j + m <= n; j++)
            if (strncasecmp(s + j, z, m) == 0)
                return true;
    }
    return false;
}

/* Rewrites p replacing the prefix of its first literal: `skip` bytes of
 * it become `with` followed by the token `mid` (0 = none). */
static int
pat_replace_prefix(kz_arena *a, const kz_sg_pattern *p, size_t skip,
                   const char *with, uint8_t mid, kz_sg_pattern *out)
{
    pbuild b;
    size_t i;
    int r;

    if ((r = pb_init(&b, a, p, strlen(with))) != CONV_OK)
        return r;
    if ((r = pb_lit(&b, with, strlen(with))) != CONV_OK)
        return r;
    if (mid != 0 && (r = pb_tok(&b, mid)) != CONV_OK)
        return r;
    if ((r = pb_lit(&b, p->text + p->toks[0].off + skip,
                    p->toks[0].len - skip)) != CONV_OK)
        return r;
    for (i = 1; i < p->ntoks; i++)
        if ((r = pb_copy_tok(&b, p, i)) != CONV_OK)
            return r;
    pb_done(&b, out);
    return CONV_OK;
}

/* ---- converters ----------------------------------------------------- */

/* Decimal process/logon ids -> the "0x" lower-case hex of Security
 * events. A value already in 0x form is kept. Wildcards cannot be
 * carried across bases: fail. */
static int
conv_hex(kz_arena *a, const kz_sg_pattern *p, kz_sg_pattern *out)
{
    char buf[32];
    const char *s;
    uint64_t v = 0;
    size_t n, i;

    if ((s = pat_only_lit(p, &n)) == NULL)
        return CONV_FAIL;
    if (n > 2 && lit_prefix(s, n, "0x")) {
        for (i = 2; i < n; i++)
            if (strchr("0123456789abcdefABCDEF", s[i]) == NULL)
                return CONV_FAIL;
        *out = *p;
        return CONV_OK;
    }
    if (n == 0 || n > HEX_MAX_DIGITS)
        return CONV_FAIL;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return CONV_FAIL;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
    return pat_literal(a, buf, out);
}

/* Sysmon's integrity level names -> the mandatory label SIDs of 4688.
 * Stars around a whole level name are kept; a SID is kept as is. */
static int
conv_integrity(kz_arena *a, const kz_sg_pattern *p, kz_sg_pattern *out)
{
    static const char *const levels[][2] = {
        {"Untrusted", "S-1-16-0"},  {"Low", "S-1-16-4096"},
        {"Medium", "S-1-16-8192"},  {"High", "S-1-16-12288"},
        {"System", "S-1-16-16384"},
    };
    size_t i, lit = SIZE_MAX, k;
    const char *s;
    size_t n;

    for (i = 0; i < p->ntoks; i++) {
        if (p->toks[i].kind == KZ_TOK_LIT) {
            if (lit != SIZE_MAX)
                return CONV_FAIL;
            lit = i;
        } else if (p->toks[i].kind != KZ_TOK_STAR) {
            return CONV_FAIL;
        }
    }
    if (lit == SIZE_MAX)
        return CONV_FAIL;
    s = p->text + p->toks[lit].off;
    n = p->toks[lit].len;
    if (lit_prefix(s, n, "S-1-16-")) {
        *out = *p;
        return CONV_OK;
    }
    for (k = 0; k < COUNT(levels); k++) {
        pbuild b;
        int r;

        if (!lit_eq(s, n, levels[k][0]))
            continue;
        if ((r = pb_init(&b, a, p, strlen(levels[k][1]))) != CONV_OK)
            return r;
        for (i = 0; i < p->ntoks; i++) {
            r = i == lit ? pb_lit(&b, levels[k][1], strlen(levels[k][1]))
                         : pb_tok(&b, p->toks[i].kind);
            if (r != CONV_OK)
                return r;
        }
        pb_done(&b, out);
        return CONV_OK;
    }
    return CONV_FAIL;
}

/* Sysmon's User is DOMAIN\name; SubjectUserName holds only the name and,
 * for LocalSystem, the machine account (HOST$), while the domain part
 * ("NT AUTHORITY", localised) has no faithful counterpart. So only
 * `endswith: '\name'` converts (to the exact name), name not SYSTEM;
 * an empty value or "-" is kept; everything else fails. */
static int
conv_user(kz_arena *a, const kz_sg_pattern *p, kz_sg_pattern *out)
{
    const char *s;
    size_t n;

    if (p->ntoks == 0) {
        *out = *p;
        return CONV_OK;
    }
    if ((s = pat_only_lit(p, &n)) != NULL && lit_eq(s, n, "-")) {
        *out = *p;
        return CONV_OK;
    }
    if (p->ntoks != 2 || p->toks[0].kind != KZ_TOK_STAR ||
        p->toks[1].kind != KZ_TOK_LIT)
        return CONV_FAIL;
    s = p->text + p->toks[1].off;
    n = p->toks[1].len;
    if (n < 2 || s[0] != '\\' || memchr(s + 1, '\\', n - 1) != NULL ||
        lit_eq(s + 1, n - 1, "SYSTEM"))
        return CONV_FAIL;
    {
        pbuild b;
        int r;

        if ((r = pb_init(&b, a, p, 0)) != CONV_OK)
            return r;
        if ((r = pb_lit(&b, s + 1, n - 1)) != CONV_OK)
            return r;
        pb_done(&b, out);
    }
    return CONV_OK;
}

/* Sysmon's hive abbreviations -> the kernel names of 4657's ObjectName,
 * only where a pattern starts with them. HKCR (a merged view of two
 * hives) cannot be converted; other starts are kept. */
static int
conv_regkey(kz_arena *a, const kz_sg_pattern *p, kz_sg_pattern *out)
{
    static const char *const hives[][2] = {
        {"HKLM", "\\REGISTRY\\MACHINE"},
        {"HKU", "\\REGISTRY\\USER"},
    };
    const char *s;
    size_t n, k, m;

    if (p->ntoks == 0 || p->toks[0].kind != KZ_TOK_LIT) {
        *out = *p;
        return CONV_OK;
    }
    s = p->text + p->toks[0].off;
    n = p->toks[0].len;
    for (k = 0; k < COUNT(hives); k++) {
        m = strlen(hives[k][0]);
        if (lit_prefix(s, n, hives[k][0]) && (n == m || s[m] == '\\'))
            return pat_replace_prefix(a, p, m, hives[k][1], 0, out);
    }
    if (lit_prefix(s, n, "HKCR") && (n == 4 || s[4] == '\\'))
        return CONV_FAIL;
    *out = *p;
    return CONV_OK;
}

/* Sysmon's Details renders typed data ("DWORD (0x00000001)", "Binary
 * Data", "(Empty)"); 4657's NewValue does not, so those values fail and
 * plain strings are kept. */
static int
conv_regdata(kz_arena *a, const kz_sg_pattern *p, kz_sg_pattern *out)
{
    (void)a;
    if (pat_lit_contains(p, "DWORD (") || pat_lit_contains(p, "QWORD (") ||
        pat_lit_contains(p, "Binary Data") || pat_lit_contains(p, "(Empty)"))
        return CONV_FAIL;
    *out = *p;
    return CONV_OK;
}

/* Image C:\... -> Application \device\harddiskvolume?\... (the volume
 * number is unknown). Other drive letters fail; a pattern starting with a
 * wildcard is kept. */
static int
conv_volume(kz_arena *a, const kz_sg_pattern *p, kz_sg_pattern *out)
{
    const char *s;
    size_t n;

    if (p->ntoks == 0 || p->toks[0].kind != KZ_TOK_LIT) {
        *out = *p;
        return CONV_OK;
    }
    s = p->text + p->toks[0].off;
    n = p->toks[0].len;
    if (lit_prefix(s, n, "C:"))
        return pat_replace_prefix(a, p, 2, "\\device\\harddiskvolume",
                                  KZ_TOK_QMARK, out);
    if (n >= 2 && s[1] == ':')
        return CONV_FAIL;
    *out = *p;
    return CONV_OK;
}

/* A Sysmon WMI string (Destination, Query) found inside 5861's MOF text:
 * only a `contains` pattern (STAR first and last) can be, after MOF string
 * escaping of its literals (\ -> \\, " -> \"). */
static int
conv_mof(kz_arena *a, const kz_sg_pattern *p, kz_sg_pattern *out)
{
    pbuild b;
    size_t i, j;
    int r;

    if (p->ntoks < 2 || p->toks[0].kind != KZ_TOK_STAR ||
        p->toks[p->ntoks - 1].kind != KZ_TOK_STAR)
        return CONV_FAIL;
    if ((r = pb_init(&b, a, p, p->text_len)) != CONV_OK)
        return r;
    for (i = 0; i < p->ntoks; i++) {
        const kz_sg_tok *t = &p->toks[i];
        const char *lit = p->text + t->off;

        if (t->kind != KZ_TOK_LIT) {
            if ((r = pb_tok(&b, t->kind)) != CONV_OK)
                return r;
            continue;
        }
        for (j = 0; j < t->len; j++) {
            if ((lit[j] == '\\' || lit[j] == '"') &&
                (r = pb_lit(&b, "\\", 1)) != CONV_OK)
                return r;
            if ((r = pb_lit(&b, &lit[j], 1)) != CONV_OK)
                return r;
        }
    }
    pb_done(&b, out);
    return CONV_OK;
}

/* A whole-value literal mapped through table tab (n rows of from, to);
 * values already in the target form are kept. */
static int
conv_enum(kz_arena *a, const kz_sg_pattern *p, const char *const (*tab)[2],
          size_t rows, kz_sg_pattern *out)
{
    const char *s;
    size_t n, k;

    if ((s = pat_only_lit(p, &n)) == NULL)
        return CONV_FAIL;
    for (k = 0; k < rows; k++) {
        if (lit_eq(s, n, tab[k][1])) {
            *out = *p;
            return CONV_OK;
        }
        if (lit_eq(s, n, tab[k][0]))
            return pat_literal(a, tab[k][1], out);
    }
    return CONV_FAIL;
}

/* Converts pattern p by converter cv into out[0..*nout). Sysmon SetValue
 * covers both a new value (%%1904) and a changed one (%%1905): two
 * alternatives. */
static int
convert(kz_arena *a, uint8_t cv, const kz_sg_pattern *p, kz_sg_pattern out[2],
        size_t *nout)
{
    static const char *const direction[][2] = {
        {"true", "%%14593"},
        {"false", "%%14592"},
    };
    static const char *const proto[][2] = {
        {"tcp", "6"},
        {"udp", "17"},
        {"icmp", "1"},
    };
    static const char *const regop[][2] = {
        {"DeleteValue", "%%1906"},
        {"SetValue", "%%1905"},
        {"%%1904", "%%1904"}, /* only so that %%1904 itself is kept */
    };
    const char *s;
    size_t n;
    int r;

    *nout = 1;
    if (!pat_sane(p))
        return CONV_FAIL;
    switch (cv) {
    case CV_NONE:
        *out = *p;
        return CONV_OK;
    case CV_HEX:
        return conv_hex(a, p, out);
    case CV_INTEGRITY:
        return conv_integrity(a, p, out);
    case CV_USER:
        return conv_user(a, p, out);
    case CV_REGKEY:
        return conv_regkey(a, p, out);
    case CV_REGDATA:
        return conv_regdata(a, p, out);
    case CV_VOLUME:
        return conv_volume(a, p, out);
    case CV_MOF:
        return conv_mof(a, p, out);
    case CV_DIRECTION:
        return conv_enum(a, p, direction, COUNT(direction), out);
    case CV_PROTO:
        if ((s = pat_only_lit(p, &n)) != NULL && n > 0 && n < 4 &&
            strspn(s, "0123456789") >= n) {
            *out = *p;
            return CONV_OK;
        }
        return conv_enum(a, p, proto, COUNT(proto), out);
    case CV_REGOP:
        if ((r = conv_enum(a, p, regop, COUNT(regop), out)) != CONV_OK)
            return r;
        if ((s = pat_only_lit(p, &n)) != NULL && lit_eq(s, n, "SetValue")) {
            if ((r = pat_literal(a, "%%1904", &out[1])) != CONV_OK)
                return r;
            *nout = 2;
        }
        return CONV_OK;
    default:
        return CONV_FAIL;
    }
}

/* ---- structural copy ------------------------------------------------ */

/* Allocates n objects of size sz (n may be 0: returns a non-NULL empty
 * block so that callers can tell OOM apart). */
static void *
alloc_n(kz_arena *a, size_t n, size_t sz)
{
    if (n > SIZE_MAX / sz)
        return NULL;
    return kz_arena_alloc(a, n == 0 ? 1 : n * sz);
}

/* Copies one value for the rename ren (NULL: a keyword or system field,
 * kept) into out[0..*nout). */
static kz_status
copy_value(kz_arena *a, unsigned alt, const field_ren *ren,
           const kz_sg_value *v, kz_sg_value out[2], size_t *nout,
           const char **why)
{
    kz_sg_pattern pats[2];
    const field_ren *ref;
    size_t i, np = 0;
    int r;

    out[0] = *v;
    *nout = 1;
    if (ren == NULL)
        return KZ_OK;
    switch (v->kind) {
    case KZ_SV_EXISTS:
    case KZ_SV_NULL:
        return KZ_OK;
    case KZ_SV_FIELDREF:
        if (v->ref_field == NULL) {
            *why = why_field(alt);
            return KZ_EUNSUPPORTED;
        }
        ref = find_rename(alt, v->ref_field);
        if (ref == NULL && is_open(alt) && ren->conv == CV_NONE)
            return KZ_OK;
        if (ref == NULL || ref->conv != ren->conv) {
            *why = why_field(alt);
            return KZ_EUNSUPPORTED;
        }
        out[0].ref_field = ref->to;
        return KZ_OK;
    case KZ_SV_PATTERN:
        break;
    default:
        if (ren->conv == CV_NONE)
            return KZ_OK;
        *why = WHY_KIND;
        return KZ_EUNSUPPORTED;
    }
    r = convert(a, ren->conv, &v->pat, pats, &np);
    if (r == CONV_OOM)
        return KZ_ENOMEM;
    if (r != CONV_OK) {
        *why = WHY_VALUE;
        return KZ_EUNSUPPORTED;
    }
    for (i = 0; i < np; i++) {
        out[i] = *v;
        out[i].pat = pats[i];
    }
    *nout = np;
    return KZ_OK;
}

static kz_status
copy_item(kz_arena *a, unsigned alt, const kz_sg_item *in, kz_sg_item *out,
          const char **why)
{
    const field_ren *ren = NULL;
    kz_sg_group *groups;
    size_t g, k, nv;
    kz_status st;

    *out = *in;
    if (in->field != NULL && !is_system_field(in->field)) {
        ren = find_rename(alt, in->field);
        if (ren == NULL && is_open(alt))
            return KZ_OK; /* a field of the native event: kept as is */
        if (ren == NULL) {
            *why = why_field(alt);
            return KZ_EUNSUPPORTED;
        }
        out->field = ren->to;
    }
    if ((groups = alloc_n(a, in->ngroups, sizeof(*groups))) == NULL)
        return KZ_ENOMEM;
    for (g = 0; g < in->ngroups; g++) {
        const kz_sg_group *ig = &in->groups[g];
        kz_sg_value *alts;
        size_t na = 0;

        /* a converter yields at most 2 alternatives per value */
        if (ig->nalts > SIZE_MAX / 2 ||
            (alts = alloc_n(a, ig->nalts * 2, sizeof(*alts))) == NULL)
            return KZ_ENOMEM;
        for (k = 0; k < ig->nalts; k++) {
            st = copy_value(a, alt, ren, &ig->alts[k], &alts[na], &nv, why);
            if (st != KZ_OK)
                return st;
            na += nv;
        }
        groups[g].alts = alts;
        groups[g].nalts = na;
    }
    out->groups = groups;
    return KZ_OK;
}

/* True when every field r reads (item fields and fieldref targets) is a
 * system field or has a rename for alt: checked before copying anything,
 * since most rules that fail, fail here (OriginalFileName on 4688). */
static bool
fields_ok(const kz_sigma_rule *r, unsigned alt)
{
    size_t s, m, i;

    for (s = 0; s < r->nsels; s++)
        for (m = 0; m < r->sels[s].nmaps; m++)
            for (i = 0; i < r->sels[s].maps[m].nitems; i++) {
                const char *f = r->sels[s].maps[m].items[i].field;

                if (f != NULL && !is_system_field(f) &&
                    find_rename(alt, f) == NULL)
                    return false;
            }
    return true;
}

kz_status
kz_ls_rewrite(const kz_sigma_rule *r, unsigned alt, kz_arena *a,
              const kz_sg_selection **out, const char **why)
{
    kz_sg_selection *sels;
    size_t s, m, i;
    kz_status st;

    *out = NULL;
    *why = NULL;
    if (kz_ls_alt_place_of((kz_ls_alt)alt) == NULL && !is_open(alt)) {
        *why = "no such alternate";
        return KZ_EUNSUPPORTED;
    }
    if (!is_open(alt) && !fields_ok(r, alt)) {
        *why = why_field(alt);
        return KZ_EUNSUPPORTED;
    }
    if ((sels = alloc_n(a, r->nsels, sizeof(*sels))) == NULL)
        return KZ_ENOMEM;
    for (s = 0; s < r->nsels; s++) {
        const kz_sg_selection *is = &r->sels[s];
        kz_sg_map *maps;

        sels[s] = *is;
        if ((maps = alloc_n(a, is->nmaps, sizeof(*maps))) == NULL)
            return KZ_ENOMEM;
        for (m = 0; m < is->nmaps; m++) {
            const kz_sg_map *im = &is->maps[m];
            kz_sg_item *items;

            if ((items = alloc_n(a, im->nitems, sizeof(*items))) == NULL)
                return KZ_ENOMEM;
            for (i = 0; i < im->nitems; i++)
                if ((st = copy_item(a, alt, &im->items[i], &items[i], why)) !=
                    KZ_OK)
                    return st;
            maps[m].items = items;
            maps[m].nitems = im->nitems;
        }
        sels[s].maps = maps;
    }
    *out = sels;
    return KZ_OK;
}
