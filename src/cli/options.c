/*
 * options.c - the options every reading command shares, parsed in one
 * place, and the help-text helpers that print them from the same table,
 * so the help can never disagree with the parser.
 */
#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/time.h"
#include "base/utf.h"

/* Most options a command may have (shared + own). */
#define MAX_OPTIONS 64

static const kz_cli_option common_opts[] = {
    { "output", 'o', 'o', "FILE",
      "write results to FILE (\"-\" = standard output, the default)" },
    { "threads", 'j', 'j', "N",
      "parse with N threads; the output is the same for every N "
      "(default: 0 = one per core)" },
    { "no-dedup", 0, KZ_OPT_NO_DEDUP, NULL,
      "keep records already seen (default: drop a record whose Computer, "
      "Channel, EventRecordID and TimeCreated were seen, and count it)" },
    { "carve", 0, KZ_OPT_CARVE, NULL,
      "also recover records from EVTX slack space (default: off)" },
    { "ansi-codepage", 0, KZ_OPT_ANSI_CP, "N",
      "Windows code page of ANSI strings (default: 1252; 932 for "
      "Japanese systems)" },
    { "input-tz", 0, KZ_OPT_INPUT_TZ, "ZONE",
      "offset of JSON times that have none: Z, +09:00, -0500 "
      "(default: Z, i.e. UTC)" },
    { "json-time-key", 0, KZ_OPT_TIME_KEY, "KEY",
      "flat JSON records: key holding the event time (default: guessed)" },
    { "json-channel-key", 0, KZ_OPT_CHANNEL_KEY, "KEY",
      "flat JSON records: key holding the channel (default: guessed)" },
    { "json-eventid-key", 0, KZ_OPT_EVENTID_KEY, "KEY",
      "flat JSON records: key holding the event id (default: guessed)" },
    { "max-json-record", 0, KZ_OPT_MAX_RECORD, "BYTES",
      "longest JSON record; longer ones are reported and skipped; K, M, "
      "G suffixes (default: 16M)" },
    { "max-json-depth", 0, KZ_OPT_MAX_DEPTH, "N",
      "deepest JSON nesting; deeper records are reported and skipped "
      "(default: 64)" },
    { "quiet", 'q', 'q', NULL,
      "no progress bar and no summary; problems are still reported" },
    { "no-progress", 0, KZ_OPT_NO_PROGRESS, NULL,
      "no progress bar (default: shown when stderr is a terminal)" },
    { "config", 0, KZ_OPT_CONFIG, "FILE",
      "reserved for a YAML configuration file (not supported yet)" },
    { "help", 'h', 'h', NULL, "show this help and exit" },
};

#define N_COMMON (sizeof(common_opts) / sizeof(common_opts[0]))

/* Parses a decimal count with an optional K/M/G (binary) suffix when
 * `suffix`; false if malformed or above max. */
static bool
parse_count(const char *s, bool suffix, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;
    uint64_t mul = 1;

    if (s == NULL || *s < '0' || *s > '9')
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0)
        return false;
    if (suffix && *end != '\0' && end[1] == '\0') {
        switch (*end) {
        case 'k': case 'K': mul = (uint64_t)1 << 10; end++; break;
        case 'm': case 'M': mul = (uint64_t)1 << 20; end++; break;
        case 'g': case 'G': mul = (uint64_t)1 << 30; end++; break;
        default: break;
        }
    }
    if (*end != '\0' || v > max / mul)
        return false;
    *out = (uint64_t)v * mul;
    return true;
}

static int usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints "kizuki: CMD: <message> (see ...)" with the whole message made
 * terminal-safe (it quotes user input), and returns the usage code. */
static int
usage_error(const char *cmd, const char *fmt, ...)
{
    char esc[600], line[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    kz_cli_msg("%s: %s (see 'kizuki %s --help')", cmd,
               kz_cli_escape(line, esc, sizeof(esc)), cmd);
    return KZ_EXIT_USAGE;
}

/* Applies one shared option. */
static int
common_option(kz_cli_common *c, const char *cmd, int id, const char *arg)
{
    uint64_t v;
    int tz;

    switch (id) {
    case 'o':
        c->output = arg;
        return KZ_EXIT_OK;
    case 'j':
        if (!parse_count(arg, false, 1024, &v))
            return usage_error(cmd, "-j wants a thread count 0..1024, not "
                                    "'%s'", arg);
        c->read.threads = (unsigned)v;
        return KZ_EXIT_OK;
    case KZ_OPT_NO_DEDUP:
        c->read.dedup = false;
        return KZ_EXIT_OK;
    case KZ_OPT_CARVE:
        c->read.carve = true;
        return KZ_EXIT_OK;
    case KZ_OPT_ANSI_CP:
        if (!parse_count(arg, false, 65535, &v) ||
            !kz_ansi_codepage_supported((unsigned)v))
            return usage_error(cmd, "--ansi-codepage: '%s' is not a code "
                                    "page this system can convert", arg);
        c->read.ansi_codepage = (unsigned)v;
        return KZ_EXIT_OK;
    case KZ_OPT_INPUT_TZ:
        if (!kz_time_parse_offset(arg, &tz))
            return usage_error(cmd, "--input-tz wants Z or an offset like "
                                    "+09:00, not '%s'", arg);
        c->read.json.input_tz_min = tz;
        return KZ_EXIT_OK;
    case KZ_OPT_TIME_KEY:
        c->read.json.time_key = arg;
        return KZ_EXIT_OK;
    case KZ_OPT_CHANNEL_KEY:
        c->read.json.channel_key = arg;
        return KZ_EXIT_OK;
    case KZ_OPT_EVENTID_KEY:
        c->read.json.event_id_key = arg;
        return KZ_EXIT_OK;
    case KZ_OPT_MAX_RECORD:
        if (!parse_count(arg, true, (uint64_t)1 << 30, &v) || v < 64)
            return usage_error(cmd, "--max-json-record wants 64..1G bytes, "
                                    "not '%s'", arg);
        c->read.json.max_record = (size_t)v;
        return KZ_EXIT_OK;
    case KZ_OPT_MAX_DEPTH:
        if (!parse_count(arg, false, 1024, &v) || v < 2)
            return usage_error(cmd, "--max-json-depth wants 2..1024, not "
                                    "'%s'", arg);
        c->read.json.max_depth = (unsigned)v;
        return KZ_EXIT_OK;
    case 'q':
        c->quiet = true;
        return KZ_EXIT_OK;
    case KZ_OPT_NO_PROGRESS:
        c->no_progress = true;
        return KZ_EXIT_OK;
    case KZ_OPT_CONFIG:
        return usage_error(cmd, "--config %s: configuration files are not "
                                "supported yet", arg);
    case 'h':
        c->help = true;
        return KZ_EXIT_OK;
    default:
        return usage_error(cmd, "internal: unhandled option %d", id);
    }
}

/* Appends the getopt entry and short-option letters of o. */
static void
add_getopt(const kz_cli_option *o, struct option *lo, size_t *nlo,
           char *so, size_t *nso)
{
    lo[*nlo].name = o->name;
    lo[*nlo].has_arg = o->arg != NULL ? required_argument : no_argument;
    lo[*nlo].flag = NULL;
    lo[*nlo].val = o->id;
    (*nlo)++;
    if (o->short_name != 0) {
        so[(*nso)++] = (char)o->short_name;
        if (o->arg != NULL)
            so[(*nso)++] = ':';
    }
}

int
kz_cli_parse(int argc, char **argv, kz_cli_common *c,
             const kz_cli_option *extra, size_t n_extra,
             int (*on_option)(void *ctx, int id, const char *arg),
             void *ctx, int *first_path)
{
    struct option lo[MAX_OPTIONS + 1];
    char so[2 * MAX_OPTIONS + 2];
    size_t nlo = 0, nso = 0, i;
    const char *cmd = argv[0];
    bool is_common;
    int id, r;

    memset(c, 0, sizeof(*c));
    kz_read_opts_default(&c->read);
    if (N_COMMON + n_extra > MAX_OPTIONS)
        return usage_error(cmd, "internal: too many options");
    so[nso++] = ':';            /* report a missing argument as ':' */
    for (i = 0; i < N_COMMON; i++)
        add_getopt(&common_opts[i], lo, &nlo, so, &nso);
    for (i = 0; i < n_extra; i++)
        add_getopt(&extra[i], lo, &nlo, so, &nso);
    memset(&lo[nlo], 0, sizeof(lo[nlo]));
    so[nso] = '\0';
    opterr = 0;
    optind = 0;                 /* full reset of GNU getopt */
    while ((id = getopt_long(argc, argv, so, lo, NULL)) != -1) {
        if (id == '?') {
            if (optopt != 0) {
                char opt[3] = { '-', (char)optopt, 0 };
                return usage_error(cmd, "unknown option '%s'", opt);
            }
            return usage_error(cmd, "unknown option '%s'",
                               argv[optind - 1]);
        }
        if (id == ':')
            return usage_error(cmd, "option '%s' needs a value",
                               argv[optind - 1]);
        is_common = false;
        for (i = 0; i < N_COMMON; i++)
            if (common_opts[i].id == id)
                is_common = true;
        r = is_common ? common_option(c, cmd, id, optarg)
                      : on_option != NULL ? on_option(ctx, id, optarg)
                                          : KZ_EXIT_USAGE;
        if (r != KZ_EXIT_OK)
            return r;
    }
    *first_path = optind;
    return KZ_EXIT_OK;
}

void
kz_cli_help_options(FILE *f, const kz_cli_option *opts, size_t n)
{
    enum { COL = 28, WIDTH = 79 };
    char head[64];
    const char *t, *sp;
    size_t i, len, room;
    int w;

    for (i = 0; i < n; i++) {
        const kz_cli_option *o = &opts[i];

        if (o->short_name != 0)
            w = snprintf(head, sizeof(head), "  -%c, --%s%s%s",
                         o->short_name, o->name, o->arg ? " " : "",
                         o->arg ? o->arg : "");
        else
            w = snprintf(head, sizeof(head), "      --%s%s%s", o->name,
                         o->arg ? " " : "", o->arg ? o->arg : "");
        fputs(head, f);
        if (w >= COL - 1) {
            fputc('\n', f);
            w = 0;
        }
        /* Word-wrapped description in the second column. */
        t = o->help;
        while (*t != '\0') {
            fprintf(f, "%*s", COL - w, "");
            w = 0;
            room = WIDTH - COL;
            len = strlen(t);
            if (len > room) {
                for (sp = t + room; sp > t && *sp != ' '; sp--)
                    ;
                len = sp > t ? (size_t)(sp - t) : room;
            }
            fprintf(f, "%.*s\n", (int)len, t);
            t += len;
            while (*t == ' ')
                t++;
        }
    }
}

void
kz_cli_help_common(FILE *f)
{
    kz_cli_help_options(f, common_opts, N_COMMON);
}

void
kz_cli_help_exit_codes(FILE *f)
{
    fputs("Exit status:\n"
          "  0  done (whatever was found)\n"
          "  1  done, but some input could not be read: unsupported or\n"
          "     unreadable files, damaged archives, skipped bytes (each\n"
          "     one is reported on stderr)\n"
          "  2  usage error\n"
          "  3  fatal error (out of memory, output not writable)\n",
          f);
}
