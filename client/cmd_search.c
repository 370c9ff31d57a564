/* gilde search — full-text search over the node's store (search.h). */
#include <stdlib.h>
#include <string.h>

#include "client/cmd.h"
#include "client/lookup.h"
#include "proto/alloc.h"
#include "proto/body.h"
#include "proto/record.h"
#include "query/search.h"
#include "store/textindex.h"

/* Join the TEXT arguments with spaces; NULL if they are too long. */
static char *join_words(int n, char **words)
{
	size_t len = 0;
	for (int i = 0; i < n; i++) {
		len += strlen(words[i]) + 1;
		if (len > SEARCH_QUERY_MAX + 1)
			return NULL;
	}
	char *s = gl_xmalloc(len ? len : 1);
	s[0] = 0;
	for (int i = 0; i < n; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, words[i]);
	}
	return s;
}

/* One hit's line: score, KIND/ID, title and whose it is.  The record is
 * parsed once for its partner and its title; the partner's name comes
 * from the cache (hits come by score, the same partners over and over). */
static void print_line(struct cli *cli, struct lookup_cache *who, const struct search_hit *h,
                       const struct store_entry *e)
{
	struct record r;
	const uint8_t *partner = NULL, *s;
	uint32_t plen = 0, sl;
	char *title = NULL;
	if (!e->tombstone && record_parse_held(e->env, e->env_len, &r, NULL) == 0) {
		if (!body_str(r.body, r.body_len, "partner", &partner, &plen))
			partner = NULL;
		if (body_text(r.body, r.body_len, "name", cli->lang, &s, &sl) ||
		    body_text(r.body, r.body_len, "title", cli->lang, &s, &sl))
			title = gl_xstrndup((const char *)s, sl);
	}
	printf("%.2f\t%s/%.*s\t", h->score, record_kind_name(e->kind), (int)e->id_len, e->id);
	cli_put(stdout, title ? title : "", -1); /* partners' texts: outside text */
	putchar('\t');
	fputs(lookup_who_cached(who, e->author, (const char *)partner, plen), stdout);
	putchar('\n');
	free(title);
}

/* Print the hits (human lines or one JSON array). */
static int print_hits(struct cli *cli, struct store_txn *t, const struct search_hit *h,
                      size_t n, struct gl_error *err)
{
	json_t *arr = cli->json ? json_array() : NULL;
	struct lookup_cache *who = cli->json ? NULL : lookup_cache_new(t, cli->lang);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct store_entry e;
		if ((rc = search_hit_entry(t, &h[i], &e, err)))
			break;
		if (!cli->json) {
			print_line(cli, who, &h[i], &e);
			continue;
		}
		json_t *o = view_entry_json(&e);
		json_object_set_new(o, "score", json_real(h[i].score));
		json_array_append_new(arr, o);
	}
	if (arr && rc == 0)
		cli_print_json(arr);
	json_decref(arr);
	lookup_cache_free(who);
	return rc;
}

/*
 * Records committed but not yet indexed (textindex.h) are not found: say
 * how many on stderr, so that a search never disagrees with gilde list
 * without saying so.  With --json, stdout keeps its array and stderr gets
 * {"index_behind": N}.
 */
static int note_behind(const struct cli *cli, struct store_txn *t, struct gl_error *err)
{
	uint64_t behind;
	int rc = textindex_behind(t, &behind, err);
	if (rc || !behind)
		return rc;
	if (cli->json)
		fprintf(stderr, "{\"index_behind\": %llu}\n", (unsigned long long)behind);
	else
		fprintf(stderr, _("%llu records are not yet indexed for search (the daemon is "
		                  "indexing them): they are not among the hits.\n"),
		        (unsigned long long)behind);
	return 0;
}

/* What gilde search is told besides its TEXT. */
struct search_args {
	const struct cmd *me;
	struct search_opts o;
};

static int search_option(void *ctx, int c, const char *arg)
{
	struct search_args *sa = ctx;
	char *end;
	if (c == 'p') {
		if (strcmp(arg, "nl") && strcmp(arg, "en"))
			return cli_usage(sa->me, _("--prefer: \"%s\" is not nl or en"), arg);
		sa->o.prefer = arg;
		return 0;
	}
	if (c == 'k') {
		int kind = record_kind_parse(arg, strlen(arg));
		if (kind != RK_PARTNER && kind != RK_OFFER && kind != RK_EVENT && kind != RK_NEWS)
			return cli_usage(sa->me, _("--kind: \"%s\" is not partner, offer, event or news"),
			                 arg);
		sa->o.kind = kind;
		return 0;
	}
	sa->o.max_hits = (size_t)strtoul(arg, &end, 10); /* 'n' */
	if (!*arg || *end || arg[0] == '-')
		return cli_usage(sa->me, _("--limit: \"%s\" is not a number"), arg);
	return 0;
}

/* Options: --kind, --limit and --prefer, and the common ones, into *o;
 * o->lang is --lang's value if it was given (the query is then cut in
 * that language only).  Titles are shown in --prefer's language, else
 * in --lang's. */
static int parse_opts(struct cli *cli, const struct cmd *me, int argc, char **argv,
                      struct search_opts *o)
{
	static const struct option own[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "limit", required_argument, NULL, 'n' },
		{ "prefer", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct search_args sa = { .me = me };
	struct cli_opts opts = { .lo = own, .shorts = "k:n:p:", .take = search_option, .ctx = &sa,
		                 .maxpos = -1 };
	const char *dflt = cli->lang;
	cli->lang = NULL;
	int rc = cli_options(cli, me, argc, argv, &opts);
	*o = sa.o;
	o->lang = cli->lang;
	if (!cli->lang)
		cli->lang = o->prefer ? o->prefer : dflt;
	if (rc)
		return rc;
	if (o->lang && o->prefer)
		return cli_usage(me, "%s", _("--lang cuts the query in one language, --prefer in every "
		                             "language with one first: give one of them"));
	if (optind == argc)
		return cli_usage(me, "%s", _("name the TEXT to search for"));
	return 0;
}

int cmd_search(struct cli *cli, int argc, char **argv)
{
	const struct cmd *me = cmd_find("search");
	struct search_opts o;
	int urc = parse_opts(cli, me, argc, argv, &o);
	if (urc)
		return urc;
	char *text = join_words(argc - optind, argv + optind);
	if (!text)
		return cli_usage(me, _("the TEXT is longer than %d bytes"), SEARCH_QUERY_MAX);
	struct gl_error err = { 0 };
	struct store *s = NULL;
	struct store_txn *t = NULL;
	struct search_hit *hits = NULL;
	size_t n = 0;
	int rc;
	if ((rc = cli_read_store(cli, &s, &t, &err)) ||
	    (rc = search_query(t, text, &o, &hits, &n, &err)))
		goto out;
	rc = print_hits(cli, t, hits, n, &err);
	if (!rc && !n && o.kind)
		cli_note(cli, _("No record of kind %s matches \"%s\"."), record_kind_name(o.kind), text);
	else if (!rc && !n)
		cli_note(cli, _("No record matches \"%s\"."), text);
	if (!rc)
		rc = note_behind(cli, t, &err);
out:
	free(hits);
	store_abort(t);
	store_close(s);
	free(text);
	return rc ? cli_fail(&err) : EXIT_OK;
}
