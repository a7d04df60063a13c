/*
 * modifier.c - one `field|mod|mod: value(s)` entry into a kz_sg_item:
 * the modifier table, chain validation and the resolution of every value
 * into the matcher's value kinds (sigma-notes.md 1.3).
 *
 * Strings are tokenised first (value.c); modifiers then act in written
 * order on token patterns: contains/startswith/endswith add STAR tokens
 * (never doubling one), windash splits literals around DASH tokens, the
 * utf16 encodings and base64/base64offset turn a wildcard-free value into
 * literal, case-sensitive alternatives. `expand` fills %placeholders%
 * before tokenising (its place in the chain does not matter).
 */
#include "sigma/sigma_int.h"

#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "base/grow.h"
#include "base/strbuf.h"
#include "base/utf.h"

enum mod_id {
    M_CONTAINS, M_STARTSWITH, M_ENDSWITH, M_ALL, M_RE, M_RE_I, M_RE_M,
    M_RE_S, M_BASE64, M_BASE64OFF, M_UTF16LE, M_UTF16BE, M_UTF16, M_WINDASH,
    M_CIDR, M_EXISTS, M_GT, M_GTE, M_LT, M_LTE, M_NEQ, M_FIELDREF, M_EXPAND,
    M_CASED, M_MINUTE, M_HOUR, M_DAY, M_WEEK, M_MONTH, M_YEAR,
};

/* The modifier table: every name the loader accepts (docs/rules.md). */
static const struct modname {
    const char *name;   /* as written in rules */
    uint8_t id;         /* enum mod_id */
} mod_table[] = {
    { "contains", M_CONTAINS },     { "startswith", M_STARTSWITH },
    { "endswith", M_ENDSWITH },     { "all", M_ALL },
    { "re", M_RE },                 { "i", M_RE_I },
    { "ignorecase", M_RE_I },       { "m", M_RE_M },
    { "multiline", M_RE_M },        { "s", M_RE_S },
    { "dotall", M_RE_S },           { "base64", M_BASE64 },
    { "base64offset", M_BASE64OFF }, { "utf16le", M_UTF16LE },
    { "wide", M_UTF16LE },          { "utf16be", M_UTF16BE },
    { "utf16", M_UTF16 },           { "windash", M_WINDASH },
    { "cidr", M_CIDR },             { "exists", M_EXISTS },
    { "gt", M_GT },                 { "gte", M_GTE },
    { "lt", M_LT },                 { "lte", M_LTE },
    { "neq", M_NEQ },               { "fieldref", M_FIELDREF },
    { "expand", M_EXPAND },         { "cased", M_CASED },
    { "minute", M_MINUTE },         { "hour", M_HOUR },
    { "day", M_DAY },               { "week", M_WEEK },
    { "month", M_MONTH },           { "year", M_YEAR },
};

#define MAX_MODS 16

/* The base kind a chain resolves to. */
enum base { B_STRING, B_RE, B_CIDR, B_EXISTS, B_FIELDREF, B_NUM };

typedef struct chain {
    uint8_t ids[MAX_MODS];   /* modifier ids in order */
    const char *names[MAX_MODS]; /* their names (for messages) */
    size_t n;                /* count */
    uint8_t base;            /* enum base */
    bool all, neg, cased;    /* all / neq / cased seen */
    bool expand;             /* expand seen */
} chain;

/* A growing list of alternatives of one value. */
typedef struct alts {
    kz_sg_value *v;          /* values (malloc) */
    size_t n, cap;
} alts;

static bool
alts_push(alts *l, const kz_sg_value *v)
{
    if (l->n >= KZ_SG_MAX_ALTS ||
        kz_grow(&l->v, &l->cap, l->n + 1, sizeof(*l->v), 4) != KZ_OK)
        return false;
    l->v[l->n++] = *v;
    return true;
}

static kz_status
parse_chain(kz_sg_ctx *c, const char *mods, unsigned line, chain *ch)
{
    const char *p = mods;
    size_t i;

    memset(ch, 0, sizeof(*ch));
    if (mods == NULL || *mods == '\0')
        return KZ_OK;
    for (;;) {
        const char *e = strchr(p, '|');
        size_t len = e ? (size_t)(e - p) : strlen(p), k;
        bool found = false;

        if (ch->n >= MAX_MODS)
            return kz_sg_fail(c, KZ_SGV_INVALID, line,
                              "more than %d modifiers", MAX_MODS);
        for (k = 0; k < sizeof(mod_table) / sizeof(mod_table[0]); k++)
            if (strlen(mod_table[k].name) == len &&
                memcmp(mod_table[k].name, p, len) == 0) {
                ch->ids[ch->n] = mod_table[k].id;
                ch->names[ch->n] = mod_table[k].name;
                ch->n++;
                found = true;
                break;
            }
        if (!found)
            return kz_sg_fail(c, KZ_SGV_INVALID, line,
                              "unknown modifier '%.*s'",
                              (int)(len > 64 ? 64 : len), p);
        if (e == NULL)
            break;
        p = e + 1;
    }
    /* Base kind and where the first-only modifiers stand. */
    for (i = 0; i < ch->n; i++) {
        uint8_t id = ch->ids[i];
        uint8_t b = B_STRING;

        switch (id) {
        case M_RE: b = B_RE; break;
        case M_CIDR: b = B_CIDR; break;
        case M_EXISTS: b = B_EXISTS; break;
        case M_FIELDREF: b = B_FIELDREF; break;
        case M_GT: case M_GTE: case M_LT: case M_LTE:
        case M_MINUTE: case M_HOUR: case M_DAY: case M_WEEK: case M_MONTH:
        case M_YEAR:
            b = B_NUM;
            break;
        case M_ALL: ch->all = true; continue;
        case M_NEQ: ch->neg = true; continue;
        case M_CASED: ch->cased = true; continue;
        case M_EXPAND: ch->expand = true; continue;
        default: continue;
        }
        if ((id == M_RE || id == M_CIDR || id == M_EXISTS) && i != 0)
            return kz_sg_fail(c, KZ_SGV_INVALID, line,
                              "modifier '%s' must come first",
                              ch->names[i]);
        if (ch->base != B_STRING && ch->base != b)
            return kz_sg_fail(c, KZ_SGV_INVALID, line,
                              "modifier '%s' cannot be combined with "
                              "this chain", ch->names[i]);
        ch->base = b;
    }
    /* Every other modifier must fit the base kind. */
    for (i = 0; i < ch->n; i++) {
        uint8_t id = ch->ids[i];
        bool ok;

        if (id == M_ALL || id == M_NEQ)
            continue;
        switch (ch->base) {
        case B_RE:
            ok = id == M_RE || id == M_RE_I || id == M_RE_M ||
                 id == M_RE_S || id == M_CONTAINS || id == M_STARTSWITH ||
                 id == M_ENDSWITH || id == M_CASED;
            break;
        case B_CIDR: ok = id == M_CIDR; break;
        case B_EXISTS: ok = id == M_EXISTS; break;
        case B_FIELDREF:
            ok = id == M_FIELDREF || id == M_CONTAINS ||
                 id == M_STARTSWITH || id == M_ENDSWITH || id == M_CASED;
            break;
        case B_NUM:
            ok = (id >= M_GT && id <= M_LTE) ||
                 (id >= M_MINUTE && id <= M_YEAR);
            break;
        default:
            ok = !(id == M_RE_I || id == M_RE_M || id == M_RE_S);
            break;
        }
        if (!ok)
            return kz_sg_fail(c, KZ_SGV_INVALID, line,
                              "modifier '%s' cannot be used here%s",
                              ch->names[i],
                              ch->base == B_STRING
                                  ? " (it needs re)" : "");
    }
    if (ch->base == B_NUM) {
        int ops = 0, parts = 0;

        for (i = 0; i < ch->n; i++) {
            if (ch->ids[i] >= M_GT && ch->ids[i] <= M_LTE)
                ops++;
            if (ch->ids[i] >= M_MINUTE && ch->ids[i] <= M_YEAR) {
                if (ops > 0)
                    return kz_sg_fail(c, KZ_SGV_INVALID, line,
                                      "time part '%s' must come before "
                                      "the comparison", ch->names[i]);
                parts++;
            }
        }
        if (ops > 1 || parts > 1)
            return kz_sg_fail(c, KZ_SGV_INVALID, line,
                              "more than one comparison or time part");
    }
    if (ch->base == B_STRING) {
        bool pending = false, b64off = false;

        for (i = 0; i < ch->n; i++) {
            uint8_t id = ch->ids[i];

            if (id == M_UTF16LE || id == M_UTF16BE || id == M_UTF16)
                pending = true;
            else if (id == M_BASE64 || id == M_BASE64OFF)
                pending = false;
            if (id == M_BASE64OFF)
                b64off = true;
            if (id == M_CONTAINS)
                b64off = false;
        }
        if (pending)
            return kz_sg_fail(c, KZ_SGV_INVALID, line,
                              "utf16 encoding modifiers must be followed "
                              "by base64 or base64offset");
        if (b64off)
            return kz_sg_fail(c, KZ_SGV_INVALID, line,
                              "base64offset must be followed by contains");
    }
    return KZ_OK;
}

static bool
is_bool(const kz_yn *v, bool *b)
{
    static const char *const t[] = { "true", "True", "TRUE" };
    static const char *const f[] = { "false", "False", "FALSE" };
    size_t i;

    if (v->kind != KZ_YN_SCALAR || !v->plain)
        return false;
    for (i = 0; i < 3; i++) {
        if (strcmp(v->str, t[i]) == 0) {
            *b = true;
            return true;
        }
        if (strcmp(v->str, f[i]) == 0) {
            *b = false;
            return true;
        }
    }
    return false;
}

/* A decimal number: [-+]digits[.digits][e[-+]digits]. */
static bool
is_number(const kz_yn *v, double *out)
{
    const char *s = v->str;
    char *end;
    bool digits = false;
    size_t i = 0;

    if (v->kind != KZ_YN_SCALAR || !v->plain || v->len == 0 || v->len > 64)
        return false;
    if (s[i] == '-' || s[i] == '+')
        i++;
    for (; s[i] >= '0' && s[i] <= '9'; i++)
        digits = true;
    if (s[i] == '.')
        for (i++; s[i] >= '0' && s[i] <= '9'; i++)
            digits = true;
    if (digits && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (s[i] == '-' || s[i] == '+')
            i++;
        if (!(s[i] >= '0' && s[i] <= '9'))
            return false;
        while (s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (!digits || s[i] != '\0')
        return false;
    *out = strtod(s, &end);
    return true;
}

/* Returns a copy of p with a STAR at the start and/or end. */
static kz_status
add_stars(kz_arena *a, kz_sg_pattern *p, bool front, bool back)
{
    kz_sg_tok *t;
    size_t n = 0;

    if (front && p->ntoks > 0 && p->toks[0].kind == KZ_TOK_STAR)
        front = false;
    if (back && p->ntoks > 0 && p->toks[p->ntoks - 1].kind == KZ_TOK_STAR)
        back = false;
    if (p->ntoks == 0 && front && back)
        back = false;                 /* `*` alone, not `**` */
    if (!front && !back)
        return KZ_OK;
    if ((t = kz_arena_alloc(a, (p->ntoks + 2) * sizeof(*t))) == NULL)
        return KZ_ENOMEM;
    if (front)
        t[n++] = (kz_sg_tok){ KZ_TOK_STAR, 0, 0 };
    if (p->ntoks > 0)
        memcpy(t + n, p->toks, p->ntoks * sizeof(*t));
    n += p->ntoks;
    if (back)
        t[n++] = (kz_sg_tok){ KZ_TOK_STAR, 0, 0 };
    p->toks = t;
    p->ntoks = n;
    return KZ_OK;
}

static bool
is_word(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '_' || ch >= 0x80;
}

/* windash: `-` or `/` at a \B[-/]\b position of a literal run becomes a
 * DASH token (each literal run is its own string, as in pySigma). */
static kz_status
windash(kz_arena *a, kz_sg_pattern *p)
{
    kz_sg_tok *t;
    size_t n = 0, i, j, cap = 0;

    for (i = 0; i < p->ntoks; i++)
        cap += p->toks[i].kind == KZ_TOK_LIT ? 2 * p->toks[i].len + 1 : 1;
    if ((t = kz_arena_alloc(a, cap * sizeof(*t))) == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < p->ntoks; i++) {
        const kz_sg_tok *k = &p->toks[i];
        const unsigned char *s = (const unsigned char *)p->text + k->off;
        uint32_t start = 0;

        if (k->kind != KZ_TOK_LIT) {
            t[n++] = *k;
            continue;
        }
        for (j = 0; j < k->len; j++) {
            if (s[j] != '-' && s[j] != '/')
                continue;
            if (j > 0 && is_word(s[j - 1]))
                continue;
            if (j + 1 >= k->len || !is_word(s[j + 1]))
                continue;
            if (j > start)
                t[n++] = (kz_sg_tok){ KZ_TOK_LIT, k->off + start,
                                      (uint32_t)j - start };
            t[n++] = (kz_sg_tok){ KZ_TOK_DASH, 0, 0 };
            start = (uint32_t)j + 1;
        }
        if (k->len > start)
            t[n++] = (kz_sg_tok){ KZ_TOK_LIT, k->off + start,
                                  k->len - start };
    }
    p->toks = t;
    p->ntoks = n;
    return KZ_OK;
}

/* Encodes the UTF-8 text s as enc (0 = UTF-8 as is, M_UTF16LE, ...) into
 * out (malloc); *n its length. */
static kz_status
encode(const char *s, size_t len, int enc, unsigned char **out, size_t *n)
{
    unsigned char *o;
    size_t i = 0, k = 0;

    *out = NULL;
    if ((o = malloc(len * 4 + 4)) == NULL)
        return KZ_ENOMEM;
    if (enc == 0) {
        memcpy(o, s, len);
        *out = o;
        *n = len;
        return KZ_OK;
    }
    if (enc == M_UTF16) {
        o[k++] = 0xFF;              /* BOM, then little-endian */
        o[k++] = 0xFE;
    }
    while (i < len) {
        uint32_t cp, u[2];
        size_t step = kz_utf8_decode(s + i, len - i, &cp), m = 1, q;

        if (step == 0) {
            cp = 0xFFFD;
            step = 1;
        }
        i += step;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            u[0] = 0xD800 + (cp >> 10);
            u[1] = 0xDC00 + (cp & 0x3FF);
            m = 2;
        } else {
            u[0] = cp;
        }
        for (q = 0; q < m; q++) {
            if (enc == M_UTF16BE) {
                o[k++] = (unsigned char)(u[q] >> 8);
                o[k++] = (unsigned char)u[q];
            } else {
                o[k++] = (unsigned char)u[q];
                o[k++] = (unsigned char)(u[q] >> 8);
            }
        }
    }
    *out = o;
    *n = k;
    return KZ_OK;
}

static kz_status
literal_value(kz_arena *a, const char *s, size_t n, kz_sg_value *v)
{
    kz_status st = kz_sg_tokenise(a, s, n, false, &v->pat);

    v->kind = KZ_SV_PATTERN;
    v->flags |= KZ_SVF_CASED;
    return st;
}

/* base64 / base64offset of every alternative (wildcard-free). */
static kz_status
base64_alts(kz_sg_ctx *c, alts *l, bool offset, int enc, unsigned line)
{
    static const int start[3] = { 0, 2, 3 };
    static const int end[3] = { 0, -3, -2 };
    alts out = { 0 };
    kz_status st = KZ_OK;
    size_t i, k;

    for (i = 0; i < l->n && st == KZ_OK; i++) {
        kz_sg_value *v = &l->v[i];
        unsigned char *bytes = NULL;
        char *b64 = NULL;
        size_t nb = 0;

        for (k = 0; k < v->pat.ntoks; k++)
            if (v->pat.toks[k].kind != KZ_TOK_LIT) {
                st = kz_sg_fail(c, KZ_SGV_INVALID, line,
                                "base64 value must not contain wildcards");
                break;
            }
        if (st != KZ_OK)
            break;
        if (offset && v->pat.text_len == 0) {
            st = kz_sg_fail(c, KZ_SGV_INVALID, line,
                            "base64offset of an empty value");
            break;
        }
        if ((st = encode(v->pat.text, v->pat.text_len, enc, &bytes, &nb)) !=
            KZ_OK)
            break;
        if ((b64 = malloc((nb + 3) / 3 * 4 + 8)) == NULL) {
            free(bytes);
            st = KZ_ENOMEM;
            break;
        }
        if (!offset) {
            kz_sg_value nv = *v;
            size_t bl = kz_sg_base64(bytes, nb, b64);

            if ((st = literal_value(c->a, b64, bl, &nv)) == KZ_OK &&
                !alts_push(&out, &nv))
                st = KZ_ENOMEM;
        } else {
            unsigned char *sp = malloc(nb + 2);
            int sh;

            if (sp == NULL)
                st = KZ_ENOMEM;
            for (sh = 0; sh < 3 && st == KZ_OK; sh++) {
                kz_sg_value nv = *v;
                size_t bl, from, to;
                int e = end[(nb + (size_t)sh) % 3];

                memset(sp, ' ', (size_t)sh);
                memcpy(sp + sh, bytes, nb);
                bl = kz_sg_base64(sp, nb + (size_t)sh, b64);
                from = (size_t)start[sh];
                to = e == 0 ? bl : bl - (size_t)(-e);
                if (to < from)
                    to = from;
                if ((st = literal_value(c->a, b64 + from, to - from,
                                        &nv)) == KZ_OK &&
                    !alts_push(&out, &nv))
                    st = KZ_ENOMEM;
            }
            free(sp);
        }
        free(bytes);
        free(b64);
    }
    if (st != KZ_OK) {
        free(out.v);
        return st;
    }
    free(l->v);
    *l = out;
    return KZ_OK;
}

static kz_status
too_big(kz_sg_ctx *c, unsigned line)
{
    return kz_sg_fail(c, KZ_SGV_INVALID, line, "|expand value larger than "
                      "%zu bytes (all its alternatives together)",
                      KZ_SG_MAX_EXPANDED);
}

/* Fills %name% placeholders of raw value s into raw alternatives;
 * the alternatives together hold at most KZ_SG_MAX_EXPANDED bytes, and
 * all the expanded values of a rule KZ_SG_MAX_EXPANDED_RULE. */
static kz_status
expand_raw(kz_sg_ctx *c, const char *s, unsigned line, alts *l)
{
    kz_strbuf *bufs = NULL;
    size_t nb = 1, i, k, total = 0; /* total: bytes of all bufs */
    kz_status st = KZ_OK;
    const char *p = s;

    if ((bufs = calloc(1, sizeof(*bufs))) == NULL)
        return KZ_ENOMEM;
    kz_strbuf_init(&bufs[0], KZ_SG_MAX_VALUE);
    while (*p && st == KZ_OK) {
        const char *q;

        if (total + nb > KZ_SG_MAX_EXPANDED) {
            st = too_big(c, line);
            break;
        }
        total += nb; /* one byte added to every alternative */
        if (p[0] == '\\' && p[1] == '%') {
            for (i = 0; i < nb && st == KZ_OK; i++)
                st = kz_strbuf_addc(&bufs[i], '%');
            p += 2;
            continue;
        }
        if (p[0] != '%' || (q = strchr(p + 1, '%')) == NULL || q == p + 1) {
            for (i = 0; i < nb && st == KZ_OK; i++)
                st = kz_strbuf_addc(&bufs[i], *p);
            p++;
            continue;
        }
        {
            const kz_sg_strlist *vals =
                kz_sg_expand_get(c->opts ? c->opts->expand : NULL, p + 1,
                                 (size_t)(q - p - 1));
            kz_strbuf *nbufs;
            size_t nn, vsum = 0, grown, added;

            total -= nb; /* the '%' counted above is not copied */
            if (vals == NULL || vals->n == 0) {
                st = kz_sg_fail(c, KZ_SGV_PLACEHOLDER, line,
                                "placeholder %%%.*s%% has no values "
                                "(--expand)",
                                (int)(q - p - 1 > 64 ? 64 : q - p - 1),
                                p + 1);
                break;
            }
            nn = nb * vals->n;
            if (nn > KZ_SG_MAX_ALTS) {
                st = kz_sg_fail(c, KZ_SGV_INVALID, line,
                                "placeholders expand to more than %u "
                                "values", KZ_SG_MAX_ALTS);
                break;
            }
            /* Bytes after this step: every alternative so far once per
             * value, plus every value once per alternative so far. */
            for (k = 0; k < vals->n && vsum <= KZ_SG_MAX_EXPANDED; k++)
                vsum += strlen(vals->v[k]);
            if (vsum > KZ_SG_MAX_EXPANDED ||
                !kz_size_mul(total, vals->n, &grown) ||
                !kz_size_mul(vsum, nb, &added) ||
                grown > KZ_SG_MAX_EXPANDED ||
                added > KZ_SG_MAX_EXPANDED - grown) {
                st = too_big(c, line);
                break;
            }
            total = grown + added;
            if ((nbufs = calloc(nn, sizeof(*nbufs))) == NULL) {
                st = KZ_ENOMEM;
                break;
            }
            for (i = 0; i < nb; i++)
                for (k = 0; k < vals->n; k++) {
                    kz_strbuf *b = &nbufs[i * vals->n + k];

                    kz_strbuf_init(b, KZ_SG_MAX_VALUE);
                    if (st == KZ_OK && bufs[i].len > 0)
                        st = kz_strbuf_add(b, bufs[i].data, bufs[i].len);
                    if (st == KZ_OK)
                        st = kz_strbuf_adds(b, vals->v[k]);
                }
            for (i = 0; i < nb; i++)
                kz_strbuf_fini(&bufs[i]);
            free(bufs);
            bufs = nbufs;
            nb = nn;
            p = q + 1;
        }
    }
    if (st == KZ_OK) {
        if (total > KZ_SG_MAX_EXPANDED_RULE - c->expanded)
            st = kz_sg_fail(c, KZ_SGV_INVALID, line,
                            "|expand values of this rule exceed %zu bytes "
                            "in all", KZ_SG_MAX_EXPANDED_RULE);
        else
            c->expanded += total;
    }
    for (i = 0; i < nb && st == KZ_OK; i++) {
        kz_sg_value v;

        memset(&v, 0, sizeof(v));
        v.kind = KZ_SV_PATTERN;
        st = kz_sg_tokenise(c->a, bufs[i].data ? bufs[i].data : "",
                            bufs[i].len, true, &v.pat);
        if (st == KZ_OK && !alts_push(l, &v))
            st = KZ_ENOMEM;
    }
    for (i = 0; i < nb; i++)
        kz_strbuf_fini(&bufs[i]);
    free(bufs);
    if (st == KZ_ELIMIT)
        st = kz_sg_fail(c, KZ_SGV_INVALID, line, "expanded value too long");
    return st;
}

static kz_status
regex_check(kz_sg_ctx *c, const char *re, uint8_t flags, unsigned line)
{
    uint32_t o = PCRE2_UTF;
    int code;
    PCRE2_SIZE off;
    pcre2_code *pc;

    if (flags & KZ_SVF_RE_I)
        o |= PCRE2_CASELESS;
    if (flags & KZ_SVF_RE_M)
        o |= PCRE2_MULTILINE;
    if (flags & KZ_SVF_RE_S)
        o |= PCRE2_DOTALL;
    pc = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, o, &code, &off,
                       NULL);
    if (pc == NULL) {
        PCRE2_UCHAR msg[160];

        pcre2_get_error_message(code, msg, sizeof(msg));
        return kz_sg_fail(c, KZ_SGV_INVALID, line,
                          "regex does not compile: %s at offset %zu",
                          (const char *)msg, (size_t)off);
    }
    pcre2_code_free(pc);
    return KZ_OK;
}

/* re: the raw value, flags, and contains/startswith/endswith as `.*`. */
static kz_status
regex_value(kz_sg_ctx *c, const chain *ch, const char *s, unsigned line,
            kz_sg_value *v)
{
    kz_strbuf b;
    kz_status st = KZ_OK;
    bool front = false, back = false;
    size_t i, len = strlen(s);

    for (i = 0; i < ch->n; i++) {
        switch (ch->ids[i]) {
        case M_RE_I: v->flags |= KZ_SVF_RE_I; break;
        case M_RE_M: v->flags |= KZ_SVF_RE_M; break;
        case M_RE_S: v->flags |= KZ_SVF_RE_S; break;
        case M_CONTAINS: front = back = true; break;
        case M_STARTSWITH: back = true; break;
        case M_ENDSWITH: front = true; break;
        default: break;
        }
    }
    if (front && (s[0] == '^' || strncmp(s, ".*", 2) == 0))
        front = false;
    if (back && ((len > 0 && s[len - 1] == '$' &&
                  (len < 2 || s[len - 2] != '\\')) ||
                 (len >= 2 && strcmp(s + len - 2, ".*") == 0)))
        back = false;
    kz_strbuf_init(&b, KZ_SG_MAX_VALUE);
    if (front)
        st = kz_strbuf_adds(&b, ".*");
    if (st == KZ_OK)
        st = kz_strbuf_add(&b, s, len);
    if (st == KZ_OK && back)
        st = kz_strbuf_adds(&b, ".*");
    if (st == KZ_OK && (v->regex = kz_arena_strndup(c->a, b.data ? b.data
                                                    : "", b.len)) == NULL)
        st = KZ_ENOMEM;
    kz_strbuf_fini(&b);
    if (st != KZ_OK)
        return st;
    v->kind = KZ_SV_REGEX;
    return regex_check(c, v->regex, v->flags, line);
}

/* A string value through the string chain into alternatives. */
static kz_status
string_value(kz_sg_ctx *c, const chain *ch, const char *s, size_t len,
             unsigned line, alts *l)
{
    kz_status st;
    size_t i, k;
    int enc = 0;

    if (ch->expand) {
        if ((st = expand_raw(c, s, line, l)) != KZ_OK)
            return st;
    } else {
        kz_sg_value v;

        memset(&v, 0, sizeof(v));
        v.kind = KZ_SV_PATTERN;
        if ((st = kz_sg_tokenise(c->a, s, len, true, &v.pat)) != KZ_OK)
            return st;
        if (!alts_push(l, &v))
            return KZ_ENOMEM;
    }
    for (i = 0; i < ch->n; i++) {
        uint8_t id = ch->ids[i];

        for (k = 0; k < l->n; k++) {
            kz_sg_pattern *p = &l->v[k].pat;

            st = KZ_OK;
            if (id == M_CONTAINS)
                st = add_stars(c->a, p, true, true);
            else if (id == M_STARTSWITH)
                st = add_stars(c->a, p, false, true);
            else if (id == M_ENDSWITH)
                st = add_stars(c->a, p, true, false);
            else if (id == M_WINDASH)
                st = windash(c->a, p);
            else if (id == M_CASED)
                l->v[k].flags |= KZ_SVF_CASED;
            if (st != KZ_OK)
                return st;
        }
        if (id == M_UTF16LE || id == M_UTF16BE || id == M_UTF16)
            enc = id;
        if (id == M_BASE64 || id == M_BASE64OFF) {
            if ((st = base64_alts(c, l, id == M_BASE64OFF, enc, line)) !=
                KZ_OK)
                return st;
            enc = 0;
        }
    }
    return KZ_OK;
}

/* One written value into its group of alternatives. */
static kz_status
one_value(kz_sg_ctx *c, const chain *ch, const kz_yn *val, bool keyword,
          unsigned line, kz_sg_group *g)
{
    alts l = { 0 };
    kz_sg_value v;
    kz_status st = KZ_OK;
    const char *s;
    double num = 0;
    bool b = false;

    memset(&v, 0, sizeof(v));
    if (val != NULL && val->kind != KZ_YN_SCALAR)
        return kz_sg_fail(c, KZ_SGV_INVALID, val->line,
                          "a value must be a scalar");
    if (val != NULL && val->len > KZ_SG_MAX_VALUE)
        return kz_sg_fail(c, KZ_SGV_INVALID, val->line,
                          "value longer than %zu bytes", KZ_SG_MAX_VALUE);
    if (val != NULL)
        line = val->line;
    s = val != NULL ? val->str : "";
    v.orig = kz_sg_strdup(c, s);
    if (v.orig == NULL)
        return KZ_ENOMEM;
    if (ch->cased)
        v.flags |= KZ_SVF_CASED;
    if (kz_yn_is_null(val)) {
        if (ch->base == B_EXISTS || ch->base == B_NUM ||
            ch->base == B_CIDR || ch->base == B_FIELDREF ||
            ch->base == B_RE)
            return kz_sg_fail(c, KZ_SGV_INVALID, line,
                              "null value with modifier '%s'",
                              ch->names[0]);
        if (keyword)
            return kz_sg_fail(c, KZ_SGV_INVALID, line,
                              "null keyword");
        v.kind = KZ_SV_NULL;
        if (!alts_push(&l, &v))
            return KZ_ENOMEM;
        goto done;
    }
    switch (ch->base) {
    case B_RE:
        st = regex_value(c, ch, s, line, &v);
        break;
    case B_CIDR: {
        const char *why;

        v.kind = KZ_SV_CIDR;
        if (!kz_sg_cidr_parse(s, &v, &why))
            st = kz_sg_fail(c, KZ_SGV_INVALID, line, "%s '%.64s'", why, s);
        break;
    }
    case B_EXISTS:
        v.kind = KZ_SV_EXISTS;
        if (!is_bool(val, &b))
            st = kz_sg_fail(c, KZ_SGV_INVALID, line,
                            "exists needs true or false");
        v.exists = b;
        break;
    case B_FIELDREF: {
        size_t i;

        v.kind = KZ_SV_FIELDREF;
        v.ref_field = v.orig;
        for (i = 0; i < ch->n; i++) {
            if (ch->ids[i] == M_CONTAINS)
                v.ref_mode = KZ_REF_CONTAINS;
            else if (ch->ids[i] == M_STARTSWITH)
                v.ref_mode = KZ_REF_STARTSWITH;
            else if (ch->ids[i] == M_ENDSWITH)
                v.ref_mode = KZ_REF_ENDSWITH;
        }
        if (*s == '\0')
            st = kz_sg_fail(c, KZ_SGV_INVALID, line,
                            "fieldref needs a field name");
        break;
    }
    case B_NUM: {
        size_t i;

        v.kind = KZ_SV_NUMCMP;
        v.op = KZ_OP_EQ;
        for (i = 0; i < ch->n; i++) {
            uint8_t id = ch->ids[i];

            if (id >= M_MINUTE && id <= M_YEAR) {
                v.kind = KZ_SV_TIMEPART;
                v.part = (uint8_t)(KZ_TP_MINUTE + (id - M_MINUTE));
            } else if (id >= M_GT && id <= M_LTE) {
                v.op = (uint8_t)(KZ_OP_GT + (id - M_GT));
            }
        }
        if (!is_number(val, &num))
            st = kz_sg_fail(c, KZ_SGV_INVALID, line,
                            "modifier '%s' needs a number, not '%.64s'",
                            ch->names[0], s);
        v.num = num;
        break;
    }
    default: {
        /* Every type compares as a string; booleans in lower case. */
        if (is_bool(val, &b))
            s = b ? "true" : "false";
        if ((st = string_value(c, ch, s, strlen(s), line, &l)) == KZ_OK) {
            size_t i;
            bool placed = false;

            /* A keyword is searched for anywhere in a value (sigma-notes
             * 1.1) unless the chain places it itself. */
            for (i = 0; i < ch->n; i++)
                placed = placed || ch->ids[i] == M_CONTAINS ||
                         ch->ids[i] == M_STARTSWITH ||
                         ch->ids[i] == M_ENDSWITH;
            for (i = 0; i < l.n && st == KZ_OK; i++) {
                l.v[i].orig = v.orig;
                l.v[i].flags |= v.flags;
                if (keyword && !placed && l.v[i].kind == KZ_SV_PATTERN)
                    st = add_stars(c->a, &l.v[i].pat, true, true);
            }
        }
        goto done_st;
    }
    }
    if (st == KZ_OK && !alts_push(&l, &v))
        st = KZ_ENOMEM;
done_st:
    if (st != KZ_OK) {
        free(l.v);
        return st;
    }
done:
    {
        kz_sg_value *arr = kz_arena_alloc(c->a, l.n * sizeof(*arr));

        if (arr == NULL) {
            free(l.v);
            return KZ_ENOMEM;
        }
        memcpy(arr, l.v, l.n * sizeof(*arr));
        g->alts = arr;
        g->nalts = l.n;
    }
    free(l.v);
    return KZ_OK;
}

kz_status
kz_sg_item_build(kz_sg_ctx *c, const char *field, const char *mods,
                 const kz_yn *val, unsigned line, kz_sg_item *out)
{
    chain ch;
    kz_status st;
    kz_sg_group *groups;
    size_t n, i;

    memset(out, 0, sizeof(*out));
    out->line = line;
    if ((st = parse_chain(c, mods, line, &ch)) != KZ_OK)
        return st;
    if (field == NULL &&
        (ch.base == B_EXISTS || ch.base == B_FIELDREF || ch.base == B_CIDR ||
         ch.base == B_NUM))
        return kz_sg_fail(c, KZ_SGV_INVALID, line,
                          "modifier '%s' needs a field", ch.names[0]);
    if (val != NULL && val->kind == KZ_YN_MAP)
        return kz_sg_fail(c, KZ_SGV_INVALID, val->line,
                          "value of '%.64s' must be a scalar or a list",
                          field ? field : "keywords");
    n = val != NULL && val->kind == KZ_YN_SEQ ? val->n : 1;
    if (val != NULL && val->kind == KZ_YN_SEQ && val->n == 0) {
        n = 1;
        val = NULL;                    /* [] is null (pySigma) */
    }
    if ((groups = kz_arena_alloc(c->a, n * sizeof(*groups))) == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < n; i++) {
        const kz_yn *v = val != NULL && val->kind == KZ_YN_SEQ
                             ? val->kids[i] : val;

        if (n > 1 && kz_yn_is_null(v))
            return kz_sg_fail(c, KZ_SGV_INVALID, v->line,
                              "null inside a value list (write a separate "
                              "selection with `field: null`)");
        if ((st = one_value(c, &ch, v, field == NULL, line, &groups[i])) !=
            KZ_OK)
            return st;
    }
    out->field = field;
    out->mods = mods;
    out->all = ch.all;
    out->negate = ch.neg;
    out->groups = groups;
    out->ngroups = n;
    return KZ_OK;
}
