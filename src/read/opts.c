#include "read/read.h"

#include <string.h>

void
kz_read_opts_default(kz_read_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->dedup = true;
    o->ansi_codepage = 1252;
}
