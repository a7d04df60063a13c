/*
 * cli.h - what the subcommands of kizuki share: the command table entry,
 * exit codes, the options every reading command takes, and messages to
 * stderr with escaped paths.
 *
 * src/cli/ is the only code that prints or exits (STYLE rule 15). Adding a
 * command is one row in main.c's table plus its cmd_<name>.c; shared
 * options are parsed by kz_cli_parse() so every command spells them the
 * same way. Reference: docs/cli.md.
 * Threads: the calling thread only, except where a function says so.
 */
#ifndef KZ_CLI_CLI_H
#define KZ_CLI_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "read/read.h"

/* Exit codes (DESIGN.md Conventions: CLI). */
enum {
    KZ_EXIT_OK = 0,       /* done */
    KZ_EXIT_PARTIAL = 1,  /* done, but some input could not be read */
    KZ_EXIT_USAGE = 2,    /* bad command line */
    KZ_EXIT_FATAL = 3,    /* could not finish */
};

/* One subcommand. */
typedef struct kz_cli_command {
    const char *name;     /* "dump" */
    const char *summary;  /* one line for `kizuki --help` */
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
    void (*help)(FILE *f);             /* full help text */
} kz_cli_command;

/* One option of a command, for getopt_long and for the help text. */
typedef struct kz_cli_option {
    const char *name;     /* long name without "--" */
    int short_name;       /* 'o', or 0 for none */
    int id;               /* value getopt returns (short_name, or >= 256) */
    const char *arg;      /* argument placeholder ("FILE"), NULL = flag */
    const char *help;     /* one-line description, default included */
} kz_cli_option;

/* Ids of the shared long options without a short form. */
enum {
    KZ_OPT_NO_DEDUP = 256,
    KZ_OPT_CARVE,
    KZ_OPT_ANSI_CP,
    KZ_OPT_INPUT_TZ,
    KZ_OPT_TIME_KEY,
    KZ_OPT_CHANNEL_KEY,
    KZ_OPT_EVENTID_KEY,
    KZ_OPT_MAX_RECORD,
    KZ_OPT_MAX_DEPTH,
    KZ_OPT_NO_PROGRESS,
    KZ_OPT_CONFIG,
    KZ_OPT_COMMAND_BASE = 512, /* commands number their own from here */
};

/* Settings of the shared options. */
typedef struct kz_cli_common {
    kz_read_opts read;    /* reader options (threads, dedup, json...) */
    const char *output;   /* -o FILE, NULL = stdout */
    bool quiet;           /* -q: no progress, no summary */
    bool no_progress;     /* --no-progress */
    bool help;            /* -h / --help was given */
} kz_cli_common;

/* Parses argv (argv[0] = command name) with the shared options plus the
 * command's own (extra, n_extra; each is passed to on_option). Sets
 * *first_path to the index of the first operand. Returns KZ_EXIT_OK or
 * KZ_EXIT_USAGE (message printed). on_option returns KZ_EXIT_OK or
 * KZ_EXIT_USAGE too. */
int kz_cli_parse(int argc, char **argv, kz_cli_common *c,
                 const kz_cli_option *extra, size_t n_extra,
                 int (*on_option)(void *ctx, int id, const char *arg),
                 void *ctx, int *first_path);

/* Writes the shared option list to f, as in every command's help. */
void kz_cli_help_common(FILE *f);

/* Writes an option list (two columns, wrapped) to f. */
void kz_cli_help_options(FILE *f, const kz_cli_option *opts, size_t n);

/* Writes the exit-code section of a help text to f. */
void kz_cli_help_exit_codes(FILE *f);

/* Prints "kizuki: <message>\n" to stderr (printf-style; arguments are
 * trusted text: escape paths with kz_cli_path() first). */
void kz_cli_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The terminal-safe form of a path or any untrusted text, in a buffer of
 * the caller (truncated to fit, always NUL-terminated); returns buf. */
const char *kz_cli_escape(const char *s, char *buf, size_t cap);

/* Prints a problem: "kizuki: PATH: offset 0x1000 (chunk 3): kind: msg". */
void kz_cli_problem(const char *path, const kz_problem *p);

/* Opens the output: path NULL or "-" is stdout. A large buffer is set
 * either way. NULL (message printed) if the file cannot be created. */
FILE *kz_cli_output_open(const char *path);

/* Flushes and closes (stdout is flushed only). KZ_EXIT_OK, or
 * KZ_EXIT_FATAL with a message if a write failed. */
int kz_cli_output_close(FILE *f, const char *path);

/* The per-user cache directory of kizuki with sub appended
 * ($XDG_CACHE_HOME/kizuki/SUB, else ~/.cache/kizuki/SUB), created (mode
 * 0700) if missing. Returns buf, or NULL when there is no home or it
 * cannot be created. */
const char *kz_cli_cache_dir(const char *sub, char *buf, size_t cap);

/* The --rule-cache directory dir, created like mkdir -p (mode 0700) if
 * missing. Returns dir, or NULL after printing "kizuki: --rule-cache
 * DIR: cannot create: REASON; compiling without a cache". */
const char *kz_cli_rule_cache_dir(const char *dir);

/* The exit code a finished read deserves: KZ_EXIT_PARTIAL if any input
 * was unsupported, unreadable or lost bytes, else KZ_EXIT_OK. */
int kz_cli_exit_code(const kz_read_stats *s);

#endif /* KZ_CLI_CLI_H */
