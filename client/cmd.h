/*
 * cmd.h — the subcommands of gilde and the option handling they share.
 */
#ifndef GILDE_CMD_H
#define GILDE_CMD_H

#include <getopt.h>

#include "client/cli.h"

struct cmd {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *synopsis;  /* "publish FILE..." */
	const char *summary;   /* one line */
	const char *help;      /* options and details, for gilde CMD --help */
};

extern const struct cmd cmds[];

/* Options every subcommand takes; put CLI_COMMON_LONG in each long-option
 * table and let cli_common() handle the codes. */
enum { OPT_DATA = 'd', OPT_JSON = 1000, OPT_LANG, OPT_HELP = 'h' };
#define CLI_COMMON_LONG                                  \
	{ "data", required_argument, NULL, OPT_DATA },   \
	{ "json", no_argument, NULL, OPT_JSON },         \
	{ "lang", required_argument, NULL, OPT_LANG },   \
	{ "help", no_argument, NULL, OPT_HELP }
#define CLI_COMMON_SHORT "d:h"

/*
 * Handle a common option code c (from getopt_long).  Returns 1 if handled,
 * 0 if it is not a common option, or -1 after printing a usage error
 * (return EXIT_USAGE).  --help prints the command's help and exits 0.
 */
int cli_common(struct cli *cli, const struct cmd *cmd, int c, const char *arg,
               char **argv);
/*
 * Parse argv for a command that takes only the common options, and at
 * most maxpos positional arguments (-1: any number, left from optind on).
 * Returns 0, or -1 after printing a usage error (return EXIT_USAGE).
 */
int cli_common_only(struct cli *cli, const struct cmd *cmd, int argc, char **argv, int maxpos);
/* Print a usage error for cmd and return EXIT_USAGE. */
int cli_usage(const struct cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The table entry of a command by name. */
const struct cmd *cmd_find(const char *name);

int cmd_id(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_network_key(struct cli *cli, int argc, char **argv);
int cmd_publish(struct cli *cli, int argc, char **argv);
int cmd_retract(struct cli *cli, int argc, char **argv);
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_get(struct cli *cli, int argc, char **argv);
int cmd_export(struct cli *cli, int argc, char **argv);
int cmd_import(struct cli *cli, int argc, char **argv);
int cmd_peers(struct cli *cli, int argc, char **argv);
int cmd_metrics(struct cli *cli, int argc, char **argv);
int cmd_doctor(struct cli *cli, int argc, char **argv);
int cmd_endorse(struct cli *cli, int argc, char **argv);
int cmd_revoke(struct cli *cli, int argc, char **argv);
int cmd_applications(struct cli *cli, int argc, char **argv);
int cmd_members(struct cli *cli, int argc, char **argv);
int cmd_rotate_key(struct cli *cli, int argc, char **argv);
int cmd_match(struct cli *cli, int argc, char **argv);
int cmd_plan(struct cli *cli, int argc, char **argv);
int cmd_events(struct cli *cli, int argc, char **argv);
int cmd_search(struct cli *cli, int argc, char **argv);
int cmd_news(struct cli *cli, int argc, char **argv);
int cmd_gaps(struct cli *cli, int argc, char **argv);

#endif
