/*
 * value.c - Sigma strings into token patterns (sigma-notes.md 1.2), and
 * the small value helpers the modifiers need: CIDR parsing, base64, the
 * identifier glob of conditions.
 */
#include "sigma/sigma_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

kz_status
kz_sg_tokenise(kz_arena *a, const char *s, size_t n, bool wildcards,
               kz_sg_pattern *p)
{
    char *text;
    kz_sg_tok *toks;
    size_t nt = 0, tl = 0, i;

    memset(p, 0, sizeof(*p));
    text = kz_arena_alloc(a, n + 1);
    toks = kz_arena_alloc(a, (n + 1) * sizeof(*toks));
    if (text == NULL || toks == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < n; i++) {
        char ch = s[i];
        uint8_t kind = KZ_TOK_LIT;

        if (wildcards && ch == '\\' && i + 1 < n &&
            (s[i + 1] == '*' || s[i + 1] == '?' || s[i + 1] == '\\')) {
            ch = s[++i];                  /* escaped: the next char, literal */
        } else if (wildcards && ch == '*') {
            kind = KZ_TOK_STAR;
        } else if (wildcards && ch == '?') {
            kind = KZ_TOK_QMARK;
        }
        /* `\` before any other character, or trailing: kept literally. */
        if (kind == KZ_TOK_LIT) {
            if (nt > 0 && toks[nt - 1].kind == KZ_TOK_LIT) {
                toks[nt - 1].len++;
            } else {
                toks[nt].kind = KZ_TOK_LIT;
                toks[nt].off = (uint32_t)tl;
                toks[nt].len = 1;
                nt++;
            }
            text[tl++] = ch;
        } else if (kind == KZ_TOK_STAR && nt > 0 &&
                   toks[nt - 1].kind == KZ_TOK_STAR) {
            continue;                     /* `**` is `*` */
        } else {
            toks[nt].kind = kind;
            toks[nt].off = 0;
            toks[nt].len = 0;
            nt++;
        }
    }
    text[tl] = '\0';
    p->text = text;
    p->text_len = tl;
    p->toks = toks;
    p->ntoks = nt;
    return KZ_OK;
}

bool
kz_sg_cidr_parse(const char *s, kz_sg_value *v, const char **why)
{
    char buf[64];
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    unsigned bits, maxbits, i;
    uint8_t addr[16];

    memset(addr, 0, sizeof(addr));
    *why = "invalid cidr value";
    if (alen == 0 || alen >= sizeof(buf))
        return false;
    memcpy(buf, s, alen);
    buf[alen] = '\0';
    if (inet_pton(AF_INET, buf, addr) == 1) {
        v->family = 4;
        maxbits = 32;
    } else if (inet_pton(AF_INET6, buf, addr) == 1) {
        v->family = 6;
        maxbits = 128;
    } else {
        return false;
    }
    bits = maxbits;
    if (slash != NULL) {
        const char *q = slash + 1;

        if (*q == '\0' || strlen(q) > 3)
            return false;
        bits = 0;
        for (; *q; q++) {
            if (*q < '0' || *q > '9')
                return false;
            bits = bits * 10 + (unsigned)(*q - '0');
        }
        if (bits > maxbits)
            return false;
    }
    /* pySigma (ipaddress, strict) refuses host bits. */
    for (i = bits; i < maxbits; i++)
        if (addr[i / 8] & (0x80u >> (i % 8))) {
            *why = "cidr value has host bits set";
            return false;
        }
    memcpy(v->addr, addr, sizeof(v->addr));
    v->prefix = (uint8_t)bits;
    return true;
}

size_t
kz_sg_base64(const unsigned char *in, size_t n, char *out)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i, o = 0;

    for (i = 0; i + 2 < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 |
                     in[i + 2];

        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = tab[v >> 6 & 63];
        out[o++] = tab[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)in[i] << 16;

        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;

        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = tab[v >> 6 & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

bool
kz_sg_glob(const char *pat, const char *name)
{
    const char *star = NULL, *resume = NULL;

    /* Iterative: backtrack only to the last star (linear-ish, no
     * recursion on attacker patterns). */
    while (*name) {
        if (*pat == '*') {
            star = pat++;
            resume = name;
        } else if (*pat == *name) {
            pat++;
            name++;
        } else if (star != NULL) {
            pat = star + 1;
            name = ++resume;
        } else {
            return false;
        }
    }
    while (*pat == '*')
        pat++;
    return *pat == '\0';
}
