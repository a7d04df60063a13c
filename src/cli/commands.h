/*
 * commands.h - the table of subcommands (an X-macro: adding a command is
 * one row here plus its cmd_<name>.c defining kz_cli_<name>_run and
 * kz_cli_<name>_help). main.c builds the dispatch table from it, so the
 * order of the rows is the order of `kizuki --help`.
 */
#ifndef KZ_CLI_COMMANDS_H
#define KZ_CLI_COMMANDS_H

#include <stdio.h>

/* X(name, one-line summary) */
#define KZ_CLI_COMMANDS(X)                                                 \
    X(dump, "write every event as one line of JSON (evtx_dump layout)")    \
    X(hunt, "run Sigma rules over the events, write a timeline")         \
    X(investigate, "one pass: hunt, logon graph, incidents, report dir")  \
    X(logons, "logon summary (table/CSV) and logon graph (JSON, GraphML)") \
    X(rules, "check Sigma rule files: what loads, what is skipped and why")

#define KZ_CLI_DECLARE(name, summary)                                      \
    int kz_cli_##name##_run(int argc, char **argv);                        \
    void kz_cli_##name##_help(FILE *f);
KZ_CLI_COMMANDS(KZ_CLI_DECLARE)
#undef KZ_CLI_DECLARE

#endif /* KZ_CLI_COMMANDS_H */
