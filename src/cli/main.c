/*
 * main.c - `kizuki COMMAND [options] PATH...`: global help and version,
 * then dispatch through the command table (commands.h).
 */
#include <stdio.h>
#include <string.h>

#include "base/version.h"
#include "cli/cli.h"
#include "cli/commands.h"

#define KZ_CLI_ROW(name, summary)                                          \
    { #name, summary, kz_cli_##name##_run, kz_cli_##name##_help },
static const kz_cli_command commands[] = { KZ_CLI_COMMANDS(KZ_CLI_ROW) };
#undef KZ_CLI_ROW

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const kz_cli_command *
find_command(const char *name)
{
    size_t i;

    for (i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void
global_help(FILE *f)
{
    size_t i;

    fprintf(f,
            "kizuki %s - find intrusions in Windows event logs\n"
            "\n"
            "Usage: kizuki COMMAND [options] PATH...\n"
            "       kizuki COMMAND --help     (or: kizuki help COMMAND)\n"
            "       kizuki --version\n"
            "\n"
            "Commands:\n",
            KZ_VERSION);
    for (i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fputs("\n"
          "Inputs: EVTX files; JSON and JSON Lines exports (evtx_dump,\n"
          "Winlogbeat, NXLog, flat records); gzip and zip archives of them;\n"
          "directories, walked recursively in byte order of names; \"-\" for\n"
          "standard input. Files are recognised by their contents, not by\n"
          "their names; anything else is reported and skipped.\n"
          "\n"
          "Results go to standard output (or -o FILE); progress, problems\n"
          "and the summary go to standard error.\n"
          "\n",
          f);
    kz_cli_help_exit_codes(f);
    fputs("\nSee 'kizuki COMMAND --help' for a command's options, and\n"
          "docs/cli.md for the full reference.\n",
          f);
}

static void
short_usage(void)
{
    fputs("Usage: kizuki COMMAND [options] PATH...\n"
          "Commands:",
          stderr);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(stderr, " %s", commands[i].name);
    fputs("\nRun 'kizuki --help' for more.\n", stderr);
}

int
main(int argc, char **argv)
{
    const kz_cli_command *c;
    const char *a;
    char esc[256];

    if (argc < 2) {
        short_usage();
        return KZ_EXIT_USAGE;
    }
    a = argv[1];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
        global_help(stdout);
        return KZ_EXIT_OK;
    }
    if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
        printf("kizuki %s\n", KZ_VERSION);
        return KZ_EXIT_OK;
    }
    if (strcmp(a, "help") == 0) {
        if (argc == 2) {
            global_help(stdout);
            return KZ_EXIT_OK;
        }
        if ((c = find_command(argv[2])) == NULL) {
            kz_cli_msg("help: unknown command '%s'",
                       kz_cli_escape(argv[2], esc, sizeof(esc)));
            short_usage();
            return KZ_EXIT_USAGE;
        }
        c->help(stdout);
        return KZ_EXIT_OK;
    }
    if ((c = find_command(a)) != NULL)
        return c->run(argc - 1, argv + 1);
    if (a[0] == '-')
        kz_cli_msg("a command comes first: kizuki COMMAND [options] "
                   "PATH...");
    else
        kz_cli_msg("unknown command '%s'",
                   kz_cli_escape(a, esc, sizeof(esc)));
    short_usage();
    return KZ_EXIT_USAGE;
}
