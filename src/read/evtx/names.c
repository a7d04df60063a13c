/*
 * names.c - codes of the XML names the extractor looks for.
 */
#include <string.h>

#include "read/evtx/evtx_int.h"

static const struct {
    const char *name;   /* XML name */
    uint8_t len;        /* its length */
    uint8_t code;       /* NC_* */
} codes[] = {
#define NC_ROW(c, s) { s, sizeof(s) - 1, c },
    EVTX_NAME_CODES(NC_ROW)
#undef NC_ROW
};

uint8_t
kz_evtx_name_code(const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (codes[i].len == len && memcmp(codes[i].name, name, len) == 0)
            return codes[i].code;
    return NC_NONE;
}
