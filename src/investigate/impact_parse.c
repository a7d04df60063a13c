/*
 * impact_parse.c - reading the access of a file-access event for the
 * impact scope (impact.h): access masks and the mailbox of an export
 * command. Pure functions.
 */
#include "investigate/impact.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

unsigned
kz_imp_access_bits(const char *s, size_t n)
{
    uint64_t v = 0;
    size_t i = 0;
    unsigned bits = 0;
    bool hex = n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');

    if (hex)
        i = 2;
    if (i >= n)
        return 0;
    for (; i < n; i++) {
        char c = s[i];
        unsigned d;

        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (hex && c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (hex && c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return 0;
        if (v > (UINT64_MAX >> 4))
            return 0;
        v = v * (hex ? 16 : 10) + d;
    }
    if (v & 0x1)
        bits |= KZ_IMP_READ;
    if (v & 0x6)
        bits |= KZ_IMP_WRITE;
    if (v & 0x10000)
        bits |= KZ_IMP_DELETE;
    return bits;
}

/* s[0..n) contains word w (ASCII case-insensitive) at offset *at. The
 * first byte is compared inline (folded with 0x20, a superset) before
 * the whole word: script blocks can be long. */
static bool
find_ci(const char *s, size_t n, const char *w, size_t *at)
{
    size_t i, m = strlen(w);
    unsigned char first = (unsigned char)w[0] | 0x20;

    for (i = 0; i + m <= n; i++)
        if (((unsigned char)s[i] | 0x20) == first &&
            strncasecmp(s + i, w, m) == 0) {
            *at = i;
            return true;
        }
    return false;
}

/* s[i..n) starts with "-" + param followed by a blank, ':' or '=' (the
 * Exchange cmdlet log writes "{-Mailbox=x, ...}"). */
static bool
param_at(const char *s, size_t n, size_t i, const char *param)
{
    size_t m = strlen(param);

    return s[i] == '-' && i + 1 + m < n &&
           strncasecmp(s + i + 1, param, m) == 0 &&
           (s[i + 1 + m] == ' ' || s[i + 1 + m] == ':' ||
            s[i + 1 + m] == '=' || s[i + 1 + m] == '\t');
}

bool
kz_imp_mailbox_of(const char *s, size_t n, char *out, size_t cap)
{
    static const struct {
        const char *cmdlet, *param;
    } cmds[] = {
        {"New-MailboxExportRequest", "Mailbox"},
        {"Search-Mailbox", "Identity"},
    };
    size_t at = 0, i = 0, k, o = 0;
    char q = 0;
    bool found = false;

    /* both cmdlets' names hold "-Mailbox": most blocks stop here */
    if (cap == 0 || !find_ci(s, n, "-Mailbox", &at))
        return false;
    for (k = 0; k < sizeof(cmds) / sizeof(cmds[0]) && !found; k++)
        if (find_ci(s, n, cmds[k].cmdlet, &at)) {
            /* the parameter after the cmdlet's name */
            for (i = at + strlen(cmds[k].cmdlet); i < n; i++)
                if (param_at(s, n, i, cmds[k].param))
                    break;
            found = i < n;
            if (found)
                i += 1 + strlen(cmds[k].param) + 1;
        }
    if (!found)
        return false;
    for (; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
        ;
    if (i < n && (s[i] == '"' || s[i] == '\'')) {
        q = s[i];
        i++;
    }
    for (; i < n && o + 1 < cap && o < 256; i++) {
        char c = s[i];

        if (q != 0 ? c == q
                   : (c == ' ' || c == '\t' || c == ';' || c == '|' ||
                      c == ',' || c == '}' || c == ')' || c == '\r' ||
                      c == '\n'))
            break;
        out[o++] = c;
    }
    out[o] = '\0';
    return o > 0;
}
