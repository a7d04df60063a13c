/*
 * file_facts.c - file-access facts from batches (file_facts.h).
 *
 * Events read (docs/investigate.md "Procedure 6", table "Facts"):
 *
 *   channel / id        kind     object               access
 *   Security 5145       share    ShareName +          AccessMask bits
 *                                RelativeTargetName
 *   Security 4663       local    ObjectName (ObjectType File or absent)
 *                                                     AccessMask bits
 *   Sysmon 11           local    TargetFilename       write (created)
 *   Sysmon 23, 26       local    TargetFilename       delete
 *   PowerShell 4104     mailbox  -Mailbox of a        read
 *                                New-MailboxExportRequest / -Identity of
 *                                Search-Mailbox
 *   MSExchange          mailbox  the same, of the     read
 *   Management 1                 cmdlet log (Data[0] cmdlet, Data[1] its
 *                                parameters, Data[2] the caller
 *                                "domain/Users/name": the account)
 *
 * Account: SubjectDomainName\SubjectUserName (Security), User (Sysmon);
 * source: IpAddress (5145; ::ffff: prefix dropped, "-" absent); image:
 * ProcessName (4663), Image (Sysmon).
 */
#include "cli/file_facts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/grow.h"
#include "base/strbuf.h"

static const char *const field_names[KZ_FF_COUNT] = {
    [KZ_FF_SUBJECT_USER] = "SubjectUserName",
    [KZ_FF_SUBJECT_DOMAIN] = "SubjectDomainName",
    [KZ_FF_IP_ADDRESS] = "IpAddress",
    [KZ_FF_SHARE_NAME] = "ShareName",
    [KZ_FF_RELATIVE_TARGET] = "RelativeTargetName",
    [KZ_FF_ACCESS_MASK] = "AccessMask",
    [KZ_FF_OBJECT_TYPE] = "ObjectType",
    [KZ_FF_OBJECT_NAME] = "ObjectName",
    [KZ_FF_PROCESS_NAME] = "ProcessName",
    [KZ_FF_TARGET_FILENAME] = "TargetFilename",
    [KZ_FF_IMAGE] = "Image",
    [KZ_FF_USER] = "User",
    [KZ_FF_SCRIPT_BLOCK] = "ScriptBlockText",
    [KZ_FF_DATA] = "Data",
    [KZ_FF_DATA1] = NULL,
    [KZ_FF_DATA2] = NULL,
};

#define SECURITY "Security"
#define SYSMON "Microsoft-Windows-Sysmon/Operational"
#define POWERSHELL "Microsoft-Windows-PowerShell/Operational"
#define EXCHANGE "MSExchange Management"

/* Fields of each event kind (a bit per field). */
enum { EK_5145, EK_4663, EK_SYSMON_W, EK_SYSMON_D, EK_4104, EK_EXCH,
       EK_NONE };

#define B(f) (1u << (f))
static const unsigned kind_fields[EK_NONE] = {
    [EK_5145] = B(KZ_FF_SUBJECT_USER) | B(KZ_FF_SUBJECT_DOMAIN) |
                B(KZ_FF_IP_ADDRESS) | B(KZ_FF_SHARE_NAME) |
                B(KZ_FF_RELATIVE_TARGET) | B(KZ_FF_ACCESS_MASK),
    [EK_4663] = B(KZ_FF_SUBJECT_USER) | B(KZ_FF_SUBJECT_DOMAIN) |
                B(KZ_FF_ACCESS_MASK) | B(KZ_FF_OBJECT_TYPE) |
                B(KZ_FF_OBJECT_NAME) | B(KZ_FF_PROCESS_NAME),
    [EK_SYSMON_W] = B(KZ_FF_TARGET_FILENAME) | B(KZ_FF_IMAGE) | B(KZ_FF_USER),
    [EK_SYSMON_D] = B(KZ_FF_TARGET_FILENAME) | B(KZ_FF_IMAGE) | B(KZ_FF_USER),
    [EK_4104] = B(KZ_FF_SCRIPT_BLOCK),
    [EK_EXCH] = 0, /* the Data texts, by position (extract) */
};

/* One event's field texts (offsets into the batch's buffer; SIZE_MAX =
 * absent). */
typedef struct ffact {
    size_t ev;
    int kind;
    size_t off[KZ_FF_COUNT];
    size_t len[KZ_FF_COUNT];
} ffact;

struct kz_file_found {
    kz_strbuf buf;
    ffact *v;
    size_t n, cap;
};

void
kz_file_facts_intern(kz_file_ids *ids, kz_names *names)
{
    size_t i;

    for (i = 0; i < KZ_FF_COUNT; i++)
        if (field_names[i] == NULL ||
            kz_names_add(names, field_names[i], strlen(field_names[i]),
                         &ids->id[i]) != KZ_OK)
            ids->id[i] = KZ_NAME_NONE;
}

void
kz_file_facts_free(kz_file_found *f)
{
    if (f == NULL)
        return;
    kz_strbuf_fini(&f->buf);
    free(f->v);
    free(f);
}


static int
event_kind(const kz_event *ev)
{
    if (!(ev->flags & KZ_EV_HAS_EVENT_ID))
        return EK_NONE;
    switch (ev->event_id) {
    case 5145:
        return kz_event_channel_is(ev, SECURITY) ? EK_5145 : EK_NONE;
    case 4663:
        return kz_event_channel_is(ev, SECURITY) ? EK_4663 : EK_NONE;
    case 11:
        return kz_event_channel_is(ev, SYSMON) ? EK_SYSMON_W : EK_NONE;
    case 23:
    case 26:
        return kz_event_channel_is(ev, SYSMON) ? EK_SYSMON_D : EK_NONE;
    case 4104:
        return kz_event_channel_is(ev, POWERSHELL) ? EK_4104 : EK_NONE;
    case 1:
        return kz_event_channel_is(ev, EXCHANGE) ? EK_EXCH : EK_NONE;
    default:
        return EK_NONE;
    }
}

/* The first three "Data" texts of an Exchange cmdlet log event, into
 * the DATA slots. */
static kz_status
data_texts(const kz_file_ids *ids, const kz_render_opts *ro,
           const kz_event *ev, kz_file_found *f, ffact *c)
{
    size_t i, k = 0;

    for (i = 0; i < ev->nfields && k < 3; i++) {
        const kz_field *fd = &ev->fields[i];
        int slot = KZ_FF_DATA + (int)k;

        if (ids->id[KZ_FF_DATA] == KZ_NAME_NONE ||
            fd->id != ids->id[KZ_FF_DATA])
            continue;
        k++;
        c->off[slot] = f->buf.len;
        if (kz_value_render(&fd->value, ro, &f->buf) != KZ_OK) {
            f->buf.len = c->off[slot];
            c->off[slot] = SIZE_MAX;
            continue;
        }
        c->len[slot] = f->buf.len - c->off[slot];
        if (kz_strbuf_addc(&f->buf, '\0') != KZ_OK)
            return KZ_ENOMEM;
    }
    return KZ_OK;
}

kz_status
kz_file_facts_extract(const kz_file_ids *ids, const kz_render_opts *ro,
                      const kz_batch *b, kz_file_found **out)
{
    kz_file_found *f = NULL;
    size_t i, k;
    kz_status st;

    *out = NULL;
    for (i = 0; i < b->nevents; i++) {
        const kz_event *ev = &b->events[i];
        int kind = event_kind(ev);
        ffact *c;

        if (kind == EK_NONE)
            continue;
        if (f == NULL) {
            if ((f = calloc(1, sizeof(*f))) == NULL)
                return KZ_ENOMEM;
            kz_strbuf_init(&f->buf, 0);
        }
        if ((st = kz_grow(&f->v, &f->cap, f->n + 1, sizeof(*f->v), 16)) !=
            KZ_OK) {
            kz_file_facts_free(f);
            return st;
        }
        c = &f->v[f->n++];
        c->ev = i;
        c->kind = kind;
        for (k = 0; k < KZ_FF_COUNT; k++) {
            const kz_field *fd;

            c->off[k] = SIZE_MAX;
            c->len[k] = 0;
            if (!(kind_fields[kind] & B(k)) || ids->id[k] == KZ_NAME_NONE ||
                (fd = kz_event_field(ev, ids->id[k])) == NULL)
                continue;
            c->off[k] = f->buf.len;
            /* a value that does not render is absent */
            if (kz_value_render(&fd->value, ro, &f->buf) != KZ_OK) {
                f->buf.len = c->off[k];
                c->off[k] = SIZE_MAX;
                continue;
            }
            c->len[k] = f->buf.len - c->off[k];
            if (kz_strbuf_addc(&f->buf, '\0') != KZ_OK) {
                kz_file_facts_free(f);
                return KZ_ENOMEM;
            }
        }
        if (kind == EK_EXCH && (st = data_texts(ids, ro, ev, f, c)) != KZ_OK) {
            kz_file_facts_free(f);
            return st;
        }
    }
    *out = f;
    return KZ_OK;
}

/* The text of field k of c, or NULL when absent or "-" or empty. */
static const char *
get(const kz_file_found *f, const ffact *c, int k)
{
    const char *s;

    if (c->off[k] == SIZE_MAX || c->len[k] == 0)
        return NULL;
    s = f->buf.data + c->off[k];
    if (c->len[k] == 1 && s[0] == '-')
        return NULL;
    return s;
}

/* Share name without a leading "\\*\" (or "\\host\"). */
static const char *
share_name(const char *s)
{
    const char *p;

    if (s != NULL && s[0] == '\\' && s[1] == '\\' &&
        (p = strchr(s + 2, '\\')) != NULL)
        return p[1] != '\0' ? p + 1 : NULL;
    return s;
}

kz_status
kz_file_facts_feed(const kz_file_found *f, const kz_batch *b, kz_imp *m,
                   kz_error *err)
{
    char acct[600], host[300], mbx[300], line[4096];
    kz_imp_fact x;
    kz_status st;
    size_t i;

    for (i = 0; f != NULL && i < f->n; i++) {
        const ffact *c = &f->v[i];
        const kz_event *ev;
        const char *u, *d, *obj, *s;
        unsigned access = 0;

        if (c->ev >= b->nevents)
            continue;
        ev = &b->events[c->ev];
        if (ev->flags & KZ_EV_DUPLICATE)
            continue;
        memset(&x, 0, sizeof(x));
        x.time = ev->time;
        x.event_id = ev->event_id;
        x.record_id =
            (ev->flags & KZ_EV_HAS_RECORD_ID) ? ev->record_id : UINT64_MAX;
        x.file = b->input != NULL ? b->input->path : NULL;
        host[0] = '\0';
        if (ev->computer.p != NULL && ev->computer.len < sizeof(host)) {
            memcpy(host, ev->computer.p, ev->computer.len);
            host[ev->computer.len] = '\0';
        }
        x.host = host[0] != '\0' ? host : NULL;
        /* account: DOMAIN\name (Security), User (Sysmon) */
        u = get(f, c, KZ_FF_SUBJECT_USER);
        d = get(f, c, KZ_FF_SUBJECT_DOMAIN);
        if (u != NULL && d != NULL &&
            (size_t)snprintf(acct, sizeof(acct), "%s\\%s", d, u) <
                sizeof(acct))
            x.account = acct;
        else if (u != NULL)
            x.account = u;
        else
            x.account = get(f, c, KZ_FF_USER);
        obj = NULL;
        switch (c->kind) {
        case EK_5145:
            x.kind = KZ_IMP_SHARE;
            x.share = share_name(get(f, c, KZ_FF_SHARE_NAME));
            obj = get(f, c, KZ_FF_RELATIVE_TARGET);
            if ((s = get(f, c, KZ_FF_ACCESS_MASK)) != NULL)
                access = kz_imp_access_bits(s, strlen(s));
            if ((s = get(f, c, KZ_FF_IP_ADDRESS)) != NULL &&
                strncasecmp(s, "::ffff:", 7) == 0 && strchr(s + 7, '.'))
                s += 7;
            x.source = s;
            /* the share itself ("\" or empty) is no file */
            if (obj != NULL && obj[0] == '\\' && obj[1] == '\0')
                obj = NULL;
            break;
        case EK_4663:
            s = get(f, c, KZ_FF_OBJECT_TYPE);
            if (s != NULL && strcasecmp(s, "File") != 0)
                continue;
            x.kind = KZ_IMP_LOCAL;
            obj = get(f, c, KZ_FF_OBJECT_NAME);
            if ((s = get(f, c, KZ_FF_ACCESS_MASK)) != NULL)
                access = kz_imp_access_bits(s, strlen(s));
            x.image = get(f, c, KZ_FF_PROCESS_NAME);
            break;
        case EK_SYSMON_W:
        case EK_SYSMON_D:
            x.kind = KZ_IMP_LOCAL;
            obj = get(f, c, KZ_FF_TARGET_FILENAME);
            access = c->kind == EK_SYSMON_W ? KZ_IMP_WRITE : KZ_IMP_DELETE;
            x.image = get(f, c, KZ_FF_IMAGE);
            break;
        case EK_EXCH:
            /* "cmdlet {params}": the same parser as PowerShell's */
            if ((s = get(f, c, KZ_FF_DATA)) == NULL ||
                (d = get(f, c, KZ_FF_DATA1)) == NULL ||
                (size_t)snprintf(line, sizeof(line), "%s %s", s, d) >=
                    sizeof(line) ||
                !kz_imp_mailbox_of(line, strlen(line), mbx, sizeof(mbx)))
                continue;
            /* the caller "domain/Users/name" as domain\name */
            if ((u = get(f, c, KZ_FF_DATA2)) != NULL &&
                (d = strchr(u, '/')) != NULL && strrchr(u, '/') != d &&
                (size_t)snprintf(acct, sizeof(acct), "%.*s\\%s",
                                 (int)(d - u), u, strrchr(u, '/') + 1) <
                    sizeof(acct))
                x.account = acct;
            x.kind = KZ_IMP_MAILBOX;
            obj = mbx;
            access = KZ_IMP_READ;
            break;
        case EK_4104:
            s = get(f, c, KZ_FF_SCRIPT_BLOCK);
            if (s == NULL || !kz_imp_mailbox_of(s, c->len[KZ_FF_SCRIPT_BLOCK],
                                                 mbx, sizeof(mbx)))
                continue;
            x.kind = KZ_IMP_MAILBOX;
            obj = mbx;
            access = KZ_IMP_READ;
            break;
        default:
            continue;
        }
        if (obj == NULL || access == 0)
            continue;
        x.object = obj;
        x.access = (uint8_t)access;
        if ((st = kz_imp_add(m, &x, err)) != KZ_OK)
            return st;
    }
    return KZ_OK;
}
