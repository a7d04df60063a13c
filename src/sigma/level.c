/*
 * level.c - rule level names.
 */
#include "sigma/ast.h"

#include <string.h>

static const char *const level_names[] = {
    "", "informational", "low", "medium", "high", "critical",
};

kz_level
kz_level_parse(const char *s)
{
    size_t i;

    if (s == NULL)
        return KZ_LEVEL_NONE;
    for (i = 1; i < sizeof(level_names) / sizeof(level_names[0]); i++)
        if (strcmp(s, level_names[i]) == 0)
            return (kz_level)i;
    return KZ_LEVEL_NONE;
}

const char *
kz_level_name(kz_level l)
{
    if ((unsigned)l >= sizeof(level_names) / sizeof(level_names[0]))
        return "";
    return level_names[l];
}
