/*
 * lexer.c - one JSON record to a flat token tree, and string decoding.
 *
 * Single pass, no recursion: an explicit stack of open containers bounded
 * by max_depth. Strings are only delimited and checked here (escapes
 * validated, raw bytes >= 0x80 noted); they are decoded later, in place,
 * only if a mapper uses them, so a record's text is read about once.
 * Leniency (docs/internals/json.md): raw control characters other than a
 * line feed are accepted inside strings; everything else follows RFC 8259.
 */
#include "read/json/json_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/utf.h"

#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#define KZ_JSON_SSE2 1
#endif

const char *
kz_json_str_stop(const char *p, unsigned *high)
{
#ifdef KZ_JSON_SSE2
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    const __m128i ctl = _mm_set1_epi8(0x1F);

    for (;;) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i s = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
            _mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x));
        unsigned m = (unsigned)_mm_movemask_epi8(s);
        unsigned h = (unsigned)_mm_movemask_epi8(x);

        if (m != 0) {
            unsigned i = (unsigned)__builtin_ctz(m);

            *high |= h & ((1u << i) - 1);
            return p + i;
        }
        *high |= h;
        p += 16;
    }
#else
    for (;; p++) {
        unsigned char c = (unsigned char)*p;

        if (c < 0x20 || c == '"' || c == '\\')
            return p;
        *high |= c & 0x80;
    }
#endif
}

kz_status
kz_jlex_init(kz_jlex *lx, unsigned max_depth)
{
    memset(lx, 0, sizeof(*lx));
    lx->max_depth = max_depth;
    lx->max_tokens = KZ_JSON_MAX_TOKENS;
    lx->stack = malloc((size_t)max_depth * sizeof(*lx->stack) + 1);
    if (lx->stack == NULL)
        return KZ_ENOMEM;
    lx->cap = 256;
    lx->nodes = malloc(lx->cap * sizeof(*lx->nodes));
    if (lx->nodes == NULL) {
        free(lx->stack);
        lx->stack = NULL;
        return KZ_ENOMEM;
    }
    return KZ_OK;
}

void
kz_jlex_fini(kz_jlex *lx)
{
    if (lx == NULL)
        return;
    free(lx->nodes);
    free(lx->stack);
    lx->nodes = NULL;
    lx->stack = NULL;
    lx->n = lx->cap = 0;
}

/* Doubles the token array, up to max_tokens (checked by the caller). */
static bool
grow(kz_jlex *lx)
{
    size_t cap = lx->cap * 2;
    kz_jnode *p;

    if (cap > lx->max_tokens)
        cap = lx->max_tokens;
    if (cap > UINT32_MAX)
        return false;
    if ((p = realloc(lx->nodes, cap * sizeof(*p))) == NULL)
        return false;
    lx->nodes = p;
    lx->cap = cap;
    return true;
}

static int
hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static inline bool
is_ws(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Delimits the string whose opening quote is at *pp; on success *pp is past
 * the closing quote. Returns NULL or the reason it is malformed (with *pp
 * at the offending byte). */
static const char *
lex_string(char **pp, char *e, char **s, uint32_t *len, uint8_t *flags)
{
    char *p = *pp + 1;
    unsigned high = 0;
    uint8_t f = 0;

    *s = p;
    for (;;) {
        p = (char *)kz_json_str_stop(p, &high);
        if (p >= e) {
            *pp = e;
            return "unterminated string";
        }
        if (*p == '"')
            break;
        if (*p == '\\') {
            f |= KZ_JS_ESC;
            if (p + 1 >= e) {
                *pp = e;
                return "unterminated string";
            }
            switch (p[1]) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                p += 2;
                continue;
            case 'u':
                if (e - p < 6 || hexval((unsigned char)p[2]) < 0 ||
                    hexval((unsigned char)p[3]) < 0 ||
                    hexval((unsigned char)p[4]) < 0 ||
                    hexval((unsigned char)p[5]) < 0) {
                    *pp = p;
                    return "invalid \\u escape";
                }
                p += 6;
                continue;
            default:
                *pp = p;
                return "invalid escape in string";
            }
        }
        if (*p == '\n') {
            *pp = p;
            return "line break inside a string";
        }
        p++; /* another raw control character: tolerated */
    }
    if (high)
        f |= KZ_JS_HIGH;
    *len = (uint32_t)(p - *s);
    *flags = f;
    *pp = p + 1;
    return NULL;
}

/* Delimits a number (RFC 8259 grammar) at *pp. */
static const char *
lex_number(char **pp, char *e)
{
    char *p = *pp;

    if (p < e && *p == '-')
        p++;
    if (p < e && *p == '0') {
        p++;
    } else if (p < e && *p >= '1' && *p <= '9') {
        while (p < e && is_digit(*p))
            p++;
    } else {
        *pp = p;
        return "invalid number";
    }
    if (p < e && *p == '.') {
        p++;
        if (p >= e || !is_digit(*p)) {
            *pp = p;
            return "invalid number";
        }
        while (p < e && is_digit(*p))
            p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        if (p >= e || !is_digit(*p)) {
            *pp = p;
            return "invalid number";
        }
        while (p < e && is_digit(*p))
            p++;
    }
    *pp = p;
    return NULL;
}

kz_status
kz_jlex_value(kz_jlex *lx, char *buf, size_t pos, size_t end, size_t *stop)
{
    char *p = buf + pos, *e = buf + end, *ws;
    unsigned depth = 0;
    char *key = NULL;
    uint32_t klen = 0;
    uint8_t kflags = 0;
    const char *why = NULL;
    kz_jnode *nd;
    uint32_t idx;

    lx->n = 0;
    lx->err = NULL;

value:
    ws = p;
    while (p < e && is_ws(*p))
        p++;
    if (p >= e) {
        p = ws; /* report the end of the text, not trailing blanks */
        why = "unexpected end of record";
        goto bad;
    }
    if (lx->n == lx->cap) {
        if (lx->n >= lx->max_tokens) {
            lx->err = "more than 262144 values in one record (max_tokens)";
            lx->err_pos = (size_t)(p - buf);
            return KZ_ELIMIT;
        }
        if (!grow(lx))
            return KZ_ENOMEM;
    }
    idx = (uint32_t)lx->n++;
    nd = &lx->nodes[idx];
    nd->key = key;
    nd->klen = klen;
    nd->kflags = kflags;
    nd->vflags = 0;
    nd->used = 0;
    nd->val = p;
    key = NULL;
    klen = 0;
    kflags = 0;
    if (depth > 0)
        lx->nodes[lx->stack[depth - 1]].vlen++;
    switch (*p) {
    case '{':
    case '[':
        if (depth >= lx->max_depth) {
            lx->err = "nesting deeper than max_depth";
            lx->err_pos = (size_t)(p - buf);
            return KZ_ELIMIT;
        }
        nd->type = *p == '{' ? KZ_JT_OBJ : KZ_JT_ARR;
        nd->vlen = 0;
        lx->stack[depth++] = idx;
        p++;
        while (p < e && is_ws(*p))
            p++;
        if (p < e && *p == (nd->type == KZ_JT_OBJ ? '}' : ']')) {
            p++;
            nd->end = (uint32_t)lx->n;
            depth--;
            goto after;
        }
        if (nd->type == KZ_JT_OBJ)
            goto key;
        goto value;
    case '"':
        nd->type = KZ_JT_STR;
        if ((why = lex_string(&p, e, &nd->val, &nd->vlen, &nd->vflags)) != NULL)
            goto bad;
        nd->end = idx + 1;
        goto after;
    case 't':
        if (e - p < 4 || memcmp(p, "true", 4) != 0)
            goto literal;
        nd->type = KZ_JT_TRUE;
        nd->vlen = 4;
        p += 4;
        nd->end = idx + 1;
        goto after;
    case 'f':
        if (e - p < 5 || memcmp(p, "false", 5) != 0)
            goto literal;
        nd->type = KZ_JT_FALSE;
        nd->vlen = 5;
        p += 5;
        nd->end = idx + 1;
        goto after;
    case 'n':
        if (e - p < 4 || memcmp(p, "null", 4) != 0)
            goto literal;
        nd->type = KZ_JT_NULL;
        nd->vlen = 4;
        p += 4;
        nd->end = idx + 1;
        goto after;
    default:
        if (*p != '-' && !is_digit(*p)) {
            why = "unexpected character";
            goto bad;
        }
        nd->type = KZ_JT_NUM;
        if ((why = lex_number(&p, e)) != NULL)
            goto bad;
        nd->vlen = (uint32_t)(p - nd->val);
        nd->end = idx + 1;
        goto after;
    }
literal:
    why = "invalid literal";
    goto bad;

after:
    if (depth == 0) {
        *stop = (size_t)(p - buf);
        return KZ_OK;
    }
    ws = p;
    while (p < e && is_ws(*p))
        p++;
    if (p >= e) {
        p = ws;
        why = "unexpected end of record";
        goto bad;
    }
    nd = &lx->nodes[lx->stack[depth - 1]];
    if (*p == ',') {
        p++;
        if (nd->type == KZ_JT_OBJ)
            goto key;
        goto value;
    }
    if (*p == (nd->type == KZ_JT_OBJ ? '}' : ']')) {
        p++;
        nd->end = (uint32_t)lx->n;
        depth--;
        goto after;
    }
    why = nd->type == KZ_JT_OBJ ? "expected ',' or '}' after a member"
                                : "expected ',' or ']' after an item";
    goto bad;

key:
    ws = p;
    while (p < e && is_ws(*p))
        p++;
    if (p >= e) {
        p = ws;
        why = "unexpected end of record";
        goto bad;
    }
    if (*p != '"') {
        why = "expected a member name";
        goto bad;
    }
    if ((why = lex_string(&p, e, &key, &klen, &kflags)) != NULL)
        goto bad;
    while (p < e && is_ws(*p))
        p++;
    if (p >= e || *p != ':') {
        why = p >= e ? "unexpected end of record" : "expected ':'";
        goto bad;
    }
    p++;
    goto value;

bad:
    lx->err = why;
    lx->err_pos = (size_t)((p < e ? p : e) - buf);
    return KZ_EFORMAT;
}

/* ---- decoding ---------------------------------------------------------- */

static uint32_t
hex4(const char *p)
{
    return (uint32_t)(hexval((unsigned char)p[0]) << 12 |
                      hexval((unsigned char)p[1]) << 8 |
                      hexval((unsigned char)p[2]) << 4 |
                      hexval((unsigned char)p[3]));
}

/* Decodes in[0..n) into out, which may be in itself unless repair is set
 * (the output is never longer than the input then). With repair, raw
 * bytes that are not UTF-8 become U+FFFD (out must hold 3n bytes). The
 * lexer has validated every escape. Returns the output length. */
static size_t
decode(const char *in, size_t n, char *out, bool repair)
{
    size_t i = 0, o = 0, k;
    uint32_t cp, lo;

    while (i < n) {
        unsigned char c = (unsigned char)in[i];

        if (c == '\\') {
            char x = in[i + 1];

            i += 2;
            switch (x) {
            case 'b':
                out[o++] = '\b';
                break;
            case 'f':
                out[o++] = '\f';
                break;
            case 'n':
                out[o++] = '\n';
                break;
            case 'r':
                out[o++] = '\r';
                break;
            case 't':
                out[o++] = '\t';
                break;
            case 'u':
                cp = hex4(in + i);
                i += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= n &&
                    in[i] == '\\' && in[i + 1] == 'u') {
                    lo = hex4(in + i + 2);
                    if (lo >= 0xDC00 && lo <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        i += 6;
                    }
                }
                o += kz_utf8_put(out + o, cp); /* lone surrogates: WTF-8 */
                break;
            default:
                out[o++] = x;
                break; /* " \ / */
            }
            continue;
        }
        if (c < 0x80 || !repair) {
            out[o++] = (char)c;
            i++;
            continue;
        }
        k = kz_utf8_decode(in + i, n - i, &cp);
        if (k == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
            continue;
        }
        memcpy(out + o, in + i, k);
        o += k;
        i += k;
    }
    return o;
}

kz_status
kz_json_str_decode(kz_arena *a, char **p, uint32_t *len, uint8_t *flags)
{
    char *out;

    if (*flags == 0)
        return KZ_OK;
    if ((*flags & KZ_JS_HIGH) && !kz_utf8_valid(*p, *len)) {
        if ((out = kz_arena_alloc(a, (size_t)*len * 3 + 1)) == NULL)
            return KZ_ENOMEM;
        *len = (uint32_t)decode(*p, *len, out, true);
        *p = out;
    } else if (*flags & KZ_JS_ESC) {
        *len = (uint32_t)decode(*p, *len, *p, false);
    }
    *flags = 0;
    return KZ_OK;
}
