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

/* The codes of the options every subcommand takes (cli_options adds them). */
enum { OPT_DATA = 'd', OPT_JSON = 1000, OPT_LANG, OPT_HELP = 'h' };

/* The most long options a command has of its own. */
#define CLI_OWN_OPTS_MAX 24

/*
 * A command's own options, for cli_options().  take is called with each
 * of them (c: its code; arg: its value, or NULL) and returns 0, or an
 * exit code after printing a usage error with cli_usage (EXIT_USAGE), or
 * after another error it printed (then parsing stops there).
 */
struct cli_opts {
	const struct option *lo; /* at most CLI_OWN_OPTS_MAX, then a { NULL } entry; NULL: none */
	const char *shorts;      /* its short options for getopt ("k:a:A"); NULL: none */
	int (*take)(void *ctx, int c, const char *arg);
	void *ctx;
	int maxpos;              /* most positional arguments, left from optind on; -1: any */
};

/*
 * Parse argv for cmd: the common options (--data, --json, --lang, --help)
 * and o's (NULL: none, and no positional argument).  An unknown option,
 * an option without its value, a bad --lang and too many positional
 * arguments are usage errors.  --help prints the command's help and
 * exits 0.  Returns 0 with optind at the first positional argument, or
 * the exit code of the error it printed.
 */
int cli_options(struct cli *cli, const struct cmd *cmd, int argc, char **argv,
                const struct cli_opts *o);
/* cli_options for a command with no options of its own and at most
 * maxpos positional arguments (-1: any).  0, or EXIT_USAGE after a
 * usage error. */
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
/* Check profile against its schema and match it against the store (with
 * cli->lang and per_item offers per need, 0: all): 0 and *res (the
 * caller's), or an error in err.  gilde match and gilde plan both ask it. */
int cmd_match_run(struct cli *cli, const json_t *profile, unsigned per_item, json_t **res,
                  struct gl_error *err);
/* How to reach the partner for offer o (a match offer, or what a plan
 * keeps of one), on one line after indent: booking page, e-mail, phone,
 * else the contact page or the offer's page; "(free)" if it is.  gilde
 * match and gilde plan print the same line. */
void cmd_print_contact(const char *indent, const json_t *o);
int cmd_plan(struct cli *cli, int argc, char **argv);
int cmd_events(struct cli *cli, int argc, char **argv);
int cmd_search(struct cli *cli, int argc, char **argv);
int cmd_news(struct cli *cli, int argc, char **argv);
int cmd_gaps(struct cli *cli, int argc, char **argv);
int cmd_insight(struct cli *cli, int argc, char **argv);
/* The releases of figures this node shows (query/release.h): its own
 * from DATA/insight if it keeps one, then the insight records in d's
 * store.  CMD_RELEASE_ALL (gilde insight): release_list's array, each
 * release with its buckets; CMD_RELEASE_DEMAND (gilde gaps):
 * release_demand's object of the first, or NULL.  0 and a new value, or
 * an error in err. */
enum cmd_release { CMD_RELEASE_ALL, CMD_RELEASE_DEMAND };
int cmd_insight_releases(struct cli *cli, struct cli_dir *d, enum cmd_release how,
                         json_t **out, struct gl_error *err);
int cmd_map(struct cli *cli, int argc, char **argv);
int cmd_screen(struct cli *cli, int argc, char **argv);
int cmd_taxonomy(struct cli *cli, int argc, char **argv);

#endif
