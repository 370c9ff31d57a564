/* gilde search — full-text search over the node's store (search.h). */
#include <malloc.h>
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

/* A record's partner (its "partner" string, *partner NULL if none) and
 * title (its name's text in lang, else its title's; *title NULL if
 * neither), from one walk over its body that stops once both are found. */
static void partner_title(const struct record *r, const char *lang, const uint8_t **partner,
                          uint32_t *plen, const uint8_t **title, uint32_t *tlen)
{
	const uint8_t *k, *v, *name = NULL, *ttl = NULL;
	size_t vl, name_len = 0, ttl_len = 0;
	uint32_t kl;
	struct body_iter it;
	*partner = *title = NULL;
	bool more = body_entries(r->body, r->body_len, &it);
	while (more && !(*partner && name) && body_entries_next(&it, &k, &kl, &v, &vl)) {
		if (kl == 7 && !memcmp(k, "partner", 7) && !body_value_str(v, vl, partner, plen))
			*partner = NULL;
		else if (kl == 4 && !memcmp(k, "name", 4))
			name = v, name_len = vl;
		else if (kl == 5 && !memcmp(k, "title", 5))
			ttl = v, ttl_len = vl;
	}
	if (!(name && body_text_value(name, name_len, lang, title, tlen)) &&
	    !(ttl && body_text_value(ttl, ttl_len, lang, title, tlen)))
		*title = NULL;
}

/* n bytes at p onto b, which has room for them. */
static inline void put(struct gl_buf *b, const void *p, size_t n)
{
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

/* A hit's line after its score, "\tKIND/ID\tTITLE\tWHO\n", appended to b:
 * the record parsed once for its partner and its title; the partner's
 * name from the cache (the same partners over and over). */
static void line_tail(struct cli *cli, struct lookup_cache *who, const struct store_entry *e,
                      struct gl_buf *b)
{
	struct record r;
	const uint8_t *partner = NULL, *title = NULL;
	uint32_t plen = 0, tlen = 0;
	if (!e->tombstone && record_parse_held(e->env, e->env_len, &r, NULL) == 0)
		partner_title(&r, cli->lang, &partner, &plen, &title, &tlen);
	const char *kind = record_kind_name(e->kind);
	const char *w = lookup_who_cached(who, e->author, (const char *)partner, plen);
	size_t kl = strlen(kind), il = strnlen(e->id, e->id_len) /* as %.*s */, wl = strlen(w);
	gl_buf_reserve(b, kl + il + wl + 5);
	put(b, "\t", 1);
	put(b, kind, kl);
	put(b, "/", 1);
	put(b, e->id, il);
	put(b, "\t", 1);
	if (title) /* partners' texts: outside text */
		cli_line_append(b, (const char *)title, tlen);
	gl_buf_reserve(b, wl + 2);
	put(b, "\t", 1);
	put(b, w, wl);
	put(b, "\n", 1);
}

/* The hits' lines after their scores (tail: hit i's from offset at[i] to
 * at[i + 1]), made in key order with one reader over the store, which
 * walks its pages once rather than looking up each hit from the root.
 * Returns 0, or the error of the best ranked hit that failed, whose rank
 * goes in *upto (the lines above it are printed); *upto is n otherwise. */
static int tails(struct cli *cli, struct store_txn *t, const struct search_hit *h, size_t n,
                 struct gl_buf *tail, size_t *at, size_t *upto, struct gl_error *err)
{
	size_t *by_key = gl_xcalloc(n ? n : 1, sizeof *by_key);
	struct lookup_cache *who = lookup_cache_new(t, cli->lang);
	struct store_reader *rd = NULL;
	struct gl_error e1;
	int rc = store_reader_open(t, &rd, err), first = 0;
	*upto = rc ? 0 : n;
	for (size_t i = 0; i < n; i++)
		by_key[h[i].key_rank < n ? h[i].key_rank : 0] = i;
	for (size_t k = 0; k < n && !rc; k++) {
		size_t i = by_key[k], len = tail->len;
		struct store_entry e;
		int hrc = search_hit_read(rd, &h[i], &e, &e1);
		if (hrc && i < *upto) {
			*upto = i;
			first = hrc;
			*err = e1;
		}
		if (!hrc)
			line_tail(cli, who, &e, tail);
		at[i] = len;
		at[n + i] = tail->len; /* its end */
	}
	store_reader_close(rd);
	lookup_cache_free(who);
	free(by_key);
	return rc ? rc : first;
}

#define PRINT_LINE_GUESS 96 /* bytes a line after its score, for the first reserve */
#define PRINT_CHUNK (64 * 1024) /* bytes written at a time */

/* Print the hits as lines, "SCORE\tKIND/ID\tTITLE\tWHO", best first: the
 * lines after their scores made in key order (tails), then written in
 * rank order with each distinct score formatted once, PRINT_CHUNK bytes a
 * write. */
static int print_lines(struct cli *cli, struct store_txn *t, const struct search_hit *h,
                       size_t n, struct gl_error *err)
{
	struct gl_buf tail = { 0 }, out = { 0 };
	size_t *at = gl_xcalloc(2 * (n ? n : 1), sizeof *at), upto;
	gl_buf_reserve(&tail, n * PRINT_LINE_GUESS); /* pages touched only as used */
	int rc = tails(cli, t, h, n, &tail, at, &upto, err);
	char sc[400]; /* "%.2f" of DBL_MAX: 312 bytes */
	int sl = 0;
	for (size_t i = 0; i < upto; i++) {
		if (i == 0 || memcmp(&h[i].score, &h[i - 1].score, sizeof h[i].score) || sl <= 0)
			sl = snprintf(sc, sizeof sc, "%.2f", h[i].score);
		if (sl > 0)
			gl_buf_append(&out, sc, (size_t)sl < sizeof sc ? (size_t)sl : sizeof sc - 1);
		gl_buf_append(&out, tail.data + at[i], at[n + i] - at[i]);
		if (out.len >= PRINT_CHUNK || i + 1 == upto) {
			fwrite(out.data, 1, out.len, stdout);
			out.len = 0;
		}
	}
	gl_buf_free(&out);
	gl_buf_free(&tail);
	free(at);
	return rc;
}

/* Print the hits (human lines, or one JSON array written a hit at a time,
 * as gilde list does: a failure part-way is on stderr and in the exit code). */
static int print_hits(struct cli *cli, struct store_txn *t, const struct search_hit *h,
                      size_t n, struct gl_error *err)
{
	if (!cli->json)
		return print_lines(cli, t, h, n, err);
	struct cli_json_stream js;
	int rc = 0;
	cli_json_stream_begin(&js);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct store_entry e;
		if ((rc = search_hit_entry(t, &h[i], &e, err)))
			break;
		json_t *o = view_entry_json(&e);
		json_object_set_new(o, "score", json_real(h[i].score));
		cli_json_stream_item(&js, o);
		json_decref(o);
	}
	cli_json_stream_end(&js);
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

/* A query's arrays (postings, candidates, hits, lines) come and go by the
 * megabyte: kept in the heap once freed (glibc: not handed back with
 * munmap and faulted in anew at the next), about a fifth of the page
 * faults of a search that prints every hit of 100,000 documents. */
#define SEARCH_HEAP_KEEP (32u << 20)

int cmd_search(struct cli *cli, int argc, char **argv)
{
	const struct cmd *me = cmd_find("search");
	mallopt(M_MMAP_THRESHOLD, SEARCH_HEAP_KEEP);
	mallopt(M_TRIM_THRESHOLD, 2 * SEARCH_HEAP_KEEP);
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
