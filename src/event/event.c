#include "event/event.h"

#include <string.h>
#include <strings.h>

#include "base/hash.h"

const kz_field *
kz_event_field(const kz_event *ev, int32_t id)
{
    size_t i;

    if (id == KZ_NAME_NONE)
        return NULL;
    for (i = 0; i < ev->nfields; i++)
        if (ev->fields[i].id == id)
            return &ev->fields[i];
    return NULL;
}

const kz_field *
kz_event_field_by_name(const kz_event *ev, const char *name, size_t len)
{
    size_t i, k;

    for (i = 0; i < ev->nfields; i++)
        if (ev->fields[i].name.len == len &&
            memcmp(ev->fields[i].name.p, name, len) == 0)
            return &ev->fields[i];
    for (i = 0; i < ev->nfields; i++) {
        const kz_str *s = &ev->fields[i].name;

        if (s->len != len)
            continue;
        for (k = 0; k < len; k++)
            if (kz_ascii_lower((unsigned char)s->p[k]) !=
                kz_ascii_lower((unsigned char)name[k]))
                break;
        if (k == len)
            return &ev->fields[i];
    }
    return NULL;
}

bool
kz_event_channel_is(const kz_event *ev, const char *name)
{
    size_t n = strlen(name);

    return ev->channel.p != NULL && ev->channel.len == n &&
           strncasecmp(ev->channel.p, name, n) == 0;
}
