/*
 * gilde news — the latest news across partners, read from the store
 * (daemon/query/news.h): as lines, as JSON, or as an Atom feed.
 */
#include <stdlib.h>
#include <string.h>

#include "client/cmd.h"
#include "query/ics.h"
#include "proto/ident.h"
#include "query/news.h"

enum { OPT_LIMIT = 2000, OPT_ATOM, OPT_SELF };

struct news_opts {
	size_t limit;     /* 0: not given */
	const char *atom; /* --atom FILE ("-": stdout), or NULL */
	const char *self; /* --self URL: where the feed will be read */
};

/* gilde news's own options, into its news_opts. */
struct news_take {
	const struct cmd *me;
	struct news_opts *o;
};

static int news_option(void *ctx, int c, const char *arg)
{
	struct news_take *nt = ctx;
	char *end;
	unsigned long n;
	if (c == OPT_ATOM) {
		nt->o->atom = arg;
		return 0;
	}
	if (c == OPT_SELF) {
		nt->o->self = arg;
		return 0;
	}
	n = strtoul(arg, &end, 10); /* OPT_LIMIT */
	if (!*arg || *end || arg[0] == '-' || n < 1 || n > NEWS_LIMIT_MAX)
		return cli_usage(nt->me, _("--limit: \"%s\" is not a number from 1 to %d"), arg,
		                 NEWS_LIMIT_MAX);
	nt->o->limit = n;
	return 0;
}

/* Returns 0, or the exit code of a usage error. */
static int parse_opts(struct cli *cli, const struct cmd *me, int argc, char **argv,
                      struct news_opts *o)
{
	static const struct option own[] = {
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "atom", required_argument, NULL, OPT_ATOM },
		{ "self", required_argument, NULL, OPT_SELF },
		{ NULL, 0, NULL, 0 },
	};
	*o = (struct news_opts){ 0 };
	struct news_take nt = { .me = me, .o = o };
	struct cli_opts opts = { .lo = own, .take = news_option, .ctx = &nt };
	int rc = cli_options(cli, me, argc, argv, &opts);
	if (rc)
		return rc;
	if (o->atom && !strcmp(o->atom, "-") && cli->json)
		return cli_usage(me, "%s", _("--atom - writes the feed on stdout; leave out --json"));
	if (o->self && !o->atom)
		return cli_usage(me, _("--self goes with --atom: it says where the feed will be read"));
	if (!o->limit)
		o->limit = o->atom ? NEWS_ATOM_LIMIT : NEWS_LIMIT_DEFAULT;
	return 0;
}

/* "2027-03-01  Title (Partner)", then the summary indented under it. */
static void print_item(struct cli *cli, struct store_txn *t, json_t *o)
{
	const char *published = json_string_value(json_object_get(o, "published"));
	const char *title = view_text(o, "title", cli->lang);
	const char *summary = view_text(o, "summary", cli->lang);
	uint8_t author[RECORD_KEY_LEN];
	char *who = NULL;
	if (ident_parse(IDENT_PK_PREFIX, json_string_value(json_object_get(o, "author")), "author",
	                author, NULL) == 0)
		who = view_partner_name(t, author, json_string_value(json_object_get(o, "partner")),
		                        cli->lang);
	printf("%.10s  %s", published ? published : "", title ? title : "");
	if (who)
		printf(" (%s)", who);
	printf("\n");
	if (summary)
		printf("%12s%s\n", "", summary);
	free(who);
}

/* Write the feed; say where, unless it went to stdout or --json speaks. */
static int write_feed(struct cli *cli, struct store_txn *t, const struct news_opts *o,
                      size_t items, struct gl_error *err)
{
	char *text = NULL;
	size_t len;
	/* rel="self": --self, else the file's name, relative: right wherever
	 * the file is served from under that name */
	const char *self = o->self, *slash = strrchr(o->atom, '/');
	if (!self && strcmp(o->atom, "-"))
		self = slash ? slash + 1 : o->atom;
	int rc = news_atom(t, o->limit, cli->lang, self, &text, &len, err);
	if (!rc)
		rc = ics_write(o->atom, text, err); /* atomic: FILE.part, fsync, rename */
	free(text);
	if (!rc && strcmp(o->atom, "-") && !cli->json)
		printf(P_("wrote %zu news item to %s\n", "wrote %zu news items to %s\n", items), items,
		       o->atom);
	return rc;
}

int cmd_news(struct cli *cli, int argc, char **argv)
{
	const struct cmd *me = cmd_find("news");
	struct news_opts o;
	int urc = parse_opts(cli, me, argc, argv, &o);
	if (urc)
		return urc;
	struct gl_error err = { 0 };
	struct store *s = NULL;
	struct store_txn *t = NULL;
	json_t *items = NULL;
	int rc;
	/* one snapshot for the listing and the feed */
	if ((rc = cli_read_store(cli, &s, &t, &err)) ||
	    (rc = news_latest(t, o.limit, &items, &err)))
		goto out;
	if (o.atom && (rc = write_feed(cli, t, &o, json_array_size(items), &err)))
		goto out;
	if (cli->json) {
		cli_print_json(items);
	} else if (!o.atom) {
		size_t i;
		json_t *v;
		json_array_foreach(items, i, v) {
			print_item(cli, t, v);
		}
		if (!json_array_size(items))
			cli_note(cli, _("No news yet."));
	}
out:
	json_decref(items);
	store_abort(t);
	store_close(s);
	return rc ? cli_fail(&err) : EXIT_OK;
}
