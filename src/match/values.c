/*
 * values.c - the value tests of the matcher that are not scans: glob to
 * regex translation, numbers, CIDR, timestamp parts, field references.
 */
#include "match/match_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/utf.h"

static bool
is_word(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
is_star(const kz_sg_tok *t)
{
    return t->kind == KZ_TOK_STAR || (t->kind == KZ_TOK_LIT && t->len == 0);
}

kz_status
mt_glob_regex(const kz_sg_pattern *p, kz_strbuf *out)
{
    kz_status st = KZ_OK;
    size_t i, j, lo = 0, hi = p->ntoks;

    /* A leading `*` is an unanchored start, a trailing `*` an unanchored
     * end: `\A.*x.*\z` and `x` match the same values (DOTALL), and the
     * short form compiles to Vectorscan's literal matchers. */
    while (lo < hi && is_star(&p->toks[lo]))
        lo++;
    while (hi > lo && is_star(&p->toks[hi - 1]))
        hi--;
    if (lo == 0)
        st = kz_strbuf_adds(out, "\\A");
    for (i = lo; i < hi && st == KZ_OK; i++) {
        const kz_sg_tok *t = &p->toks[i];

        switch (t->kind) {
        case KZ_TOK_STAR:
            st = kz_strbuf_adds(out, ".*");
            break;
        case KZ_TOK_QMARK:
            st = kz_strbuf_addc(out, '.');
            break;
        case KZ_TOK_DASH:
            st = kz_strbuf_adds(out,
                                "(?:-|/|\\x{2013}|\\x{2014}|\\x{2015})");
            break;
        default:
            if ((size_t)t->off + t->len > p->text_len)
                return KZ_EINTERNAL;
            for (j = 0; j < t->len && st == KZ_OK; j++) {
                unsigned char c = (unsigned char)p->text[t->off + j];

                if (c >= 0x80 || is_word(c)) {
                    st = kz_strbuf_addc(out, (char)c);
                } else {
                    /* \xHH by hand: this runs for every punctuation
                     * byte of every glob at each load (cache key) */
                    static const char hex[] = "0123456789abcdef";
                    char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

                    st = kz_strbuf_add(out, e, sizeof(e));
                }
            }
            break;
        }
    }
    if (st == KZ_OK && hi == p->ntoks)
        st = kz_strbuf_adds(out, "\\z");
    return st;
}

mt_pkind
mt_glob_kind(const kz_sg_value *v)
{
    const kz_sg_pattern *p = &v->pat;
    size_t i;
    bool only_star = true;

    if (p->ntoks == 0)
        return MP_EMPTY;
    for (i = 0; i < p->ntoks; i++)
        if (p->toks[i].kind != KZ_TOK_STAR &&
            !(p->toks[i].kind == KZ_TOK_LIT && p->toks[i].len == 0))
            only_star = false;
    if (only_star) {
        for (i = 0; i < p->ntoks; i++)
            if (p->toks[i].kind == KZ_TOK_STAR)
                return MP_ANY;
        return MP_EMPTY;
    }
    if (!kz_utf8_valid(p->text, p->text_len))
        return MP_FALSE; /* matching text is valid UTF-8: never equal */
    return MP_HS;
}

kz_status
mt_pcre_compile(const char *pat, uint32_t opts, const char *path,
                pcre2_code **out, kz_error *err)
{
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re;

    re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
                       opts | PCRE2_UTF, &ec, &eo, NULL);
    if (re == NULL) {
        PCRE2_UCHAR msg[160];

        pcre2_get_error_message(ec, msg, sizeof(msg));
        return kz_error_set(err, KZ_EFORMAT,
                            "%s: regex /%s/ does not compile at %zu: %s",
                            path, pat, (size_t)eo, (char *)msg);
    }
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* else interpreted */
    *out = re;
    return KZ_OK;
}

kz_status
mt_glob_pcre(const kz_sg_value *v, const char *path, pcre2_code **out,
             kz_error *err)
{
    kz_strbuf b;
    kz_status st;

    kz_strbuf_init(&b, 0);
    if ((st = mt_glob_regex(&v->pat, &b)) == KZ_OK)
        st = mt_pcre_compile(b.data, PCRE2_DOTALL |
                             ((v->flags & KZ_SVF_CASED) ? 0 : PCRE2_CASELESS),
                             path, out, err);
    kz_strbuf_fini(&b);
    return st;
}

bool
mt_parse_number(const char *s, size_t n, double *out)
{
    char tmp[64];
    size_t i = 0;
    bool digits = false;
    char *end;

    if (n == 0 || n >= sizeof(tmp))
        return false;
    if (s[i] == '+' || s[i] == '-')
        i++;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        i++;
        digits = true;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
            digits = true;
        }
    }
    if (!digits)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || s[i] < '0' || s[i] > '9')
            return false;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (i != n)
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    *out = strtod(tmp, &end);
    return end == tmp + n;
}

bool
mt_cmp(double a, uint8_t op, double b)
{
    switch (op) {
    case KZ_OP_GT: return a > b;
    case KZ_OP_GTE: return a >= b;
    case KZ_OP_LT: return a < b;
    case KZ_OP_LTE: return a <= b;
    default: return a == b;
    }
}

bool
mt_ip_parse(const char *s, size_t n, uint8_t addr[16], int *fam)
{
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0,
                                        0, 0, 0, 0, 0xff, 0xff };
    char tmp[64];

    if (n == 0 || n >= sizeof(tmp))
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (inet_pton(AF_INET, tmp, addr) == 1) {
        *fam = 4;
        return true;
    }
    if (inet_pton(AF_INET6, tmp, addr) != 1)
        return false;
    *fam = 6;
    if (memcmp(addr, mapped, 12) == 0) {
        *fam = 4;
        memmove(addr, addr + 12, 4);
    }
    return true;
}

bool
mt_cidr_in(const kz_sg_value *v, const uint8_t *addr, int fam)
{
    size_t full, i;
    unsigned rem;

    if (fam != v->family)
        return false;
    if (v->prefix > (fam == 4 ? 32 : 128))
        return false;
    full = v->prefix / 8;
    rem = v->prefix % 8;
    for (i = 0; i < full; i++)
        if (addr[i] != v->addr[i])
            return false;
    if (rem != 0) {
        uint8_t mask = (uint8_t)(0xffu << (8 - rem));

        if ((addr[full] & mask) != (v->addr[full] & mask))
            return false;
    }
    return true;
}

bool
mt_cidr_match(const kz_sg_value *v, const char *s, size_t n)
{
    uint8_t a[16];
    int fam;

    return mt_ip_parse(s, n, a, &fam) && mt_cidr_in(v, a, fam);
}

/* Reads exactly w digits at s into *out. */
static bool
digits(const char *s, size_t w, int *out)
{
    size_t i;
    int x = 0;

    for (i = 0; i < w; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        x = x * 10 + (s[i] - '0');
    }
    *out = x;
    return true;
}

/* Day of week of a civil date, Monday = 1 .. Sunday = 7. */
static int
weekday(int y, int m, int d)
{
    static const int t[] = { 0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4 };
    int w;

    if (m < 3)
        y -= 1;
    w = (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7; /* 0 = Sunday */
    return w == 0 ? 7 : w;
}

static bool
leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
yday(int y, int m, int d)
{
    static const int cum[] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273,
                               304, 334 };
    return cum[m - 1] + d + (m > 2 && leap(y) ? 1 : 0);
}

/* Weeks (52 or 53) of ISO year y. */
static int
iso_weeks(int y)
{
    int jan1 = weekday(y, 1, 1);

    return (jan1 == 4 || (jan1 == 3 && leap(y))) ? 53 : 52;
}

static int
iso_week(int y, int m, int d)
{
    int w = (yday(y, m, d) - weekday(y, m, d) + 10) / 7;

    if (w < 1)
        return iso_weeks(y - 1);
    if (w > iso_weeks(y))
        return 1;
    return w;
}

bool
mt_timepart_match(const kz_sg_value *v, const char *s, size_t n)
{
    kz_time t;
    bool has_off, has_time;
    int y, mo, d, h = 0, mi = 0, x;

    /* The text must be a whole valid timestamp (kz_time_parse_iso:
     * YYYY-MM-DD, then optionally [T ]HH:MM[:SS[.f]], then optionally a
     * zone); its parts are read as written. The time is there only when
     * the date is followed by its separator: in "2019-03-19+09:00" the
     * 09 is the zone, and the hour and minute are absent (false). */
    if (n < 10 || !kz_time_parse_iso(s, n, 0, &t, &has_off))
        return false;
    if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
        s[7] != '-' || !digits(s + 8, 2, &d))
        return false;
    has_time = n >= 16 && (s[10] == 'T' || s[10] == 't' || s[10] == ' ');
    if (has_time && !(digits(s + 11, 2, &h) && s[13] == ':' &&
                      digits(s + 14, 2, &mi)))
        return false;
    if (!has_time && (v->part == KZ_TP_MINUTE || v->part == KZ_TP_HOUR))
        return false;
    switch (v->part) {
    case KZ_TP_MINUTE: x = mi; break;
    case KZ_TP_HOUR: x = h; break;
    case KZ_TP_DAY: x = d; break;
    case KZ_TP_WEEK: x = iso_week(y, mo, d); break;
    case KZ_TP_MONTH: x = mo; break;
    default: x = y; break;
    }
    return mt_cmp((double)x, v->op, v->num);
}

static bool
eq_case(const char *a, const char *b, size_t n, bool cased)
{
    size_t i;

    if (cased)
        return memcmp(a, b, n) == 0;
    for (i = 0; i < n; i++)
        if (kz_ascii_lower((unsigned char)a[i]) !=
            kz_ascii_lower((unsigned char)b[i]))
            return false;
    return true;
}

/* Bytes folded on the stack before contains needs the heap. */
#define FOLD_STACK 512

/* Does a contain b, ASCII letters compared caselessly (other bytes
 * exactly, as eq_case)? Both are folded once into one buffer and searched
 * with memmem (linear: two-way), never the a x b byte loop. */
static bool
contains_caseless(const char *a, size_t an, const char *b, size_t bn)
{
    char stack[FOLD_STACK], *buf = stack;
    size_t i;
    bool r;

    if (an + bn > sizeof(stack) && (buf = malloc(an + bn)) == NULL) {
        /* No memory for the copies: the quadratic loop, bounded by
         * max_value, is still correct. */
        for (i = 0; i + bn <= an; i++)
            if (eq_case(a + i, b, bn, false))
                return true;
        return false;
    }
    for (i = 0; i < an; i++)
        buf[i] = (char)kz_ascii_lower((unsigned char)a[i]);
    for (i = 0; i < bn; i++)
        buf[an + i] = (char)kz_ascii_lower((unsigned char)b[i]);
    r = memmem(buf, an, buf + an, bn) != NULL;
    if (buf != stack)
        free(buf);
    return r;
}

bool
mt_ref_match(const char *a, size_t an, const char *b, size_t bn,
             uint8_t mode, bool cased)
{
    switch (mode) {
    case KZ_REF_STARTSWITH:
        return bn <= an && eq_case(a, b, bn, cased);
    case KZ_REF_ENDSWITH:
        return bn <= an && eq_case(a + an - bn, b, bn, cased);
    case KZ_REF_CONTAINS:
        if (bn > an)
            return false;
        if (bn == 0)
            return true;
        if (cased)
            return memmem(a, an, b, bn) != NULL;
        return contains_caseless(a, an, b, bn);
    default:
        return an == bn && eq_case(a, b, an, cased);
    }
}

/* ---- required literal of a rule regex (prefilter) --------------------- */

#define RUN_MAX 256 /* a longer run keeps its first RUN_MAX bytes */

/* Index just past the character class opening at re[i] ('['), or
 * SIZE_MAX when not understood. */
static size_t
skip_class(const char *re, size_t n, size_t i)
{
    i++;
    if (i < n && re[i] == '^')
        i++;
    if (i < n && re[i] == ']')
        i++; /* a leading ] is a member */
    while (i < n) {
        if (re[i] == '\\') {
            i += 2;
        } else if (re[i] == '[' && i + 1 < n &&
                   (re[i + 1] == ':' || re[i + 1] == '.' ||
                    re[i + 1] == '=')) {
            size_t j;

            for (j = i + 2; j + 1 < n; j++)
                if (re[j] == re[i + 1] && re[j + 1] == ']')
                    break;
            if (j + 1 >= n)
                return SIZE_MAX;
            i = j + 2;
        } else if (re[i] == ']') {
            return i + 1;
        } else {
            i++;
        }
    }
    return SIZE_MAX;
}

/* Index just past the group opening at re[i] ('('), or SIZE_MAX. */
static size_t
skip_group(const char *re, size_t n, size_t i)
{
    size_t depth = 0;

    while (i < n) {
        if (re[i] == '\\') {
            i += 2;
            continue;
        }
        if (re[i] == '[') {
            if ((i = skip_class(re, n, i)) == SIZE_MAX)
                return SIZE_MAX;
            continue;
        }
        if (re[i] == '(')
            depth++;
        else if (re[i] == ')' && --depth == 0)
            return i + 1;
        i++;
    }
    return SIZE_MAX;
}

/* Index past the quantifier at re[i] (none: i); *q tells whether there
 * was one; SIZE_MAX when not understood. */
static size_t
skip_quant(const char *re, size_t n, size_t i, bool *q)
{
    *q = false;
    if (i >= n)
        return i;
    if (re[i] == '?' || re[i] == '*' || re[i] == '+') {
        i++;
    } else if (re[i] == '{') {
        for (i++; i < n && re[i] != '}'; i++)
            if (!((re[i] >= '0' && re[i] <= '9') || re[i] == ',' ||
                  re[i] == ' '))
                return SIZE_MAX;
        if (i >= n)
            return SIZE_MAX;
        i++;
    } else {
        return i;
    }
    *q = true;
    if (i < n && (re[i] == '?' || re[i] == '+'))
        i++; /* lazy or possessive */
    return i;
}

/* True when re uses a construct that can change what the top-level
 * sequence means: \Q quoting, (* verbs (ACCEPT ends a match early),
 * (?# comments, inline EXTENDED options. */
static bool
regex_odd(const char *re, size_t n)
{
    size_t i, j;

    for (i = 0; i + 1 < n; i++) {
        if (re[i] == '\\' && re[i + 1] == 'Q')
            return true;
        if (re[i] == '(' && re[i + 1] == '*')
            return true;
        if (re[i] != '(' || re[i + 1] != '?')
            continue;
        if (i + 2 < n && re[i + 2] == '#')
            return true;
        for (j = i + 2; j < n && ((re[j] >= 'a' && re[j] <= 'z') ||
                                  (re[j] >= 'A' && re[j] <= 'Z') ||
                                  re[j] == '^' || re[j] == '-');
             j++)
            if (re[j] == 'x')
                return true;
    }
    return false;
}

/* Calls on_run for each run of ASCII literal characters (lowercased,
 * the first RUN_MAX bytes of a longer one) in the top-level sequence of
 * re (PCRE2 syntax, no EXTENDED option): every match of re contains each
 * of them. Returns false when re uses a construct it does not understand
 * (the runs reported so far are then to be ignored). */
static bool
regex_runs(const char *re, void (*on_run)(void *ctx, const char *run,
                                          size_t n),
           void *ctx)
{
    size_t n = strlen(re), i = 0, cn = 0;
    char cur[RUN_MAX];
    bool q;

    if (regex_odd(re, n))
        return false;
#define END_RUN()                                                             \
    do {                                                                      \
        if (cn > 0)                                                           \
            on_run(ctx, cur, cn);                                             \
        cn = 0;                                                               \
    } while (0)
    while (i < n) {
        unsigned char c = (unsigned char)re[i], lit;

        if (c == '|' || c == ')' || c == '*' || c == '+' || c == '?' ||
            c == '{')
            return false; /* alternation, or not understood */
        if (c == '(' || c == '[' || c == '.' || c == '^' || c == '$' ||
            c >= 0x80) {
            END_RUN();
            if (c == '(')
                i = skip_group(re, n, i);
            else if (c == '[')
                i = skip_class(re, n, i);
            else
                for (i++; i < n && ((unsigned char)re[i] & 0xC0) == 0x80;
                     i++)
                    ;
            if (i == SIZE_MAX ||
                (i = skip_quant(re, n, i, &q)) == SIZE_MAX)
                return false;
            continue;
        }
        if (c == '\\') {
            unsigned char d = i + 1 < n ? (unsigned char)re[i + 1] : 0;

            if (d == 0 || d >= 0x80)
                return false;
            if ((d >= '0' && d <= '9') || (d >= 'a' && d <= 'z') ||
                (d >= 'A' && d <= 'Z')) {
                /* one-letter escapes only; \x, \p, \g, \k, \c... refused */
                if (strchr("dDwWsSbBAzZGhHvVRXKntrfea", (char)d) == NULL)
                    return false;
                END_RUN();
                if ((i = skip_quant(re, n, i + 2, &q)) == SIZE_MAX)
                    return false;
                continue;
            }
            lit = d;
            i += 2;
        } else {
            lit = c;
            i++;
        }
        if ((i = skip_quant(re, n, i, &q)) == SIZE_MAX)
            return false;
        if (q) {
            /* quantified: maybe absent or repeated */
            END_RUN();
            continue;
        }
        if (cn < RUN_MAX)
            cur[cn++] = (char)kz_ascii_lower(lit);
    }
    END_RUN();
#undef END_RUN
    return true;
}

int
mt_regex_word_start(const char *re)
{
    size_t i = 3;
    unsigned char c;

    if (strncmp(re, "\\w+", 3) != 0)
        return 0;
    c = (unsigned char)re[i];
    if (c == '\\') {
        /* an escaped ASCII punctuation character is itself */
        c = (unsigned char)re[++i];
        if (c == 0 || c >= 0x80 || is_word(c) || c <= ' ')
            return 0;
    } else if (c == 0 || c >= 0x80 || is_word(c) || c <= ' ' ||
               strchr("()[].^$|*+?{}#", (char)c) != NULL) {
        return 0; /* a quantifier of \w+, or not a plain literal */
    }
    i++;
    if (re[i] == '?' || re[i] == '*' || re[i] == '+' || re[i] == '{')
        return 0;
    return c;
}

/* The longest run seen, or its longest letter-free piece (gate). */
typedef struct run_best {
    char b[RUN_MAX];
    size_t n;
    bool gate;
} run_best;

static void
keep_run(void *ctx, const char *run, size_t n)
{
    run_best *r = ctx;
    size_t i, j;

    if (!r->gate) {
        if (n > r->n) {
            memcpy(r->b, run, n);
            r->n = n;
        }
        return;
    }
    for (i = 0; i < n; i = j + 1) {
        for (j = i; j < n && !(run[j] >= 'a' && run[j] <= 'z'); j++)
            ;
        if (j - i > r->n) {
            memcpy(r->b, run + i, j - i);
            r->n = j - i;
        }
    }
}

/* The longest run (gate: its longest letter-free piece) of re, of at
 * least min bytes, appended to out; false when there is none. */
static bool
best_run(const char *re, size_t min, bool gate, kz_strbuf *out)
{
    run_best r;

    r.n = 0;
    r.gate = gate;
    if (!regex_runs(re, keep_run, &r) || r.n < min || r.n == 0)
        return false;
    return kz_strbuf_add(out, r.b, r.n) == KZ_OK;
}

bool
mt_regex_literal(const char *re, size_t min, kz_strbuf *out)
{
    return best_run(re, min, false, out);
}

bool
mt_regex_gate(const char *re, size_t min, kz_strbuf *out)
{
    return best_run(re, min, true, out);
}
