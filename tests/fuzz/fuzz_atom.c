/*
 * Fuzz target: the Atom writer (query/news.h) on a news record whose texts
 * are the input.  The input is cut at NUL bytes into the news item's
 * title, summary, body and url and its author's partner name; both
 * records are signed with the fixed author key and put in a store (one
 * write transaction per input, aborted after, so nothing is committed),
 * and news_atom() writes the feed.  Whatever the texts hold, the feed
 * must be well-formed XML that libxml2 reads back, a <feed> with exactly
 * one <entry> (none if the texts cannot be signed: not UTF-8), no control character but tab, LF and CR anywhere, and a
 * link only to an http(s) URL.
 *
 * The store lives in a directory made once under $TMPDIR (or /tmp) and is
 * removed at exit.
 */
#include <ftw.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <unistd.h>

#include "fuzz.h"
#include "proto/mp.h"
#include "proto/record.h"
#include "query/news.h"
#include "store/store.h"

#define FZ_ATOM_FIELDS 5
/* the feed's rel="self" link, relative as gilded gives it */
#define FZ_ATOM_SELF "news.atom?lang=en"

static char store_dir[4096];

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_store(void)
{
	if (store_dir[0])
		nftw(store_dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static struct store *the_store(void)
{
	static struct store *s;
	if (s)
		return s;
	const char *tmp = getenv("TMPDIR");
	snprintf(store_dir, sizeof store_dir, "%s/gilde-fuzz-atom-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	struct gl_error err;
	FZ_CHECK(mkdtemp(store_dir) != NULL);
	atexit(remove_store);
	char dir[4200];
	snprintf(dir, sizeof dir, "%s/store", store_dir);
	FZ_CHECK(store_open(dir, 0, 64u << 20, &s, &err) == 0);
	return s;
}

static unsigned split(const uint8_t *data, size_t size, char *f[FZ_ATOM_FIELDS])
{
	unsigned n = 0;
	size_t start = 0;
	for (size_t i = 0; i <= size && n < FZ_ATOM_FIELDS; i++)
		if (i == size || data[i] == 0) {
			f[n++] = gl_xstrndup((const char *)data + start, i - start);
			start = i + 1;
		}
	return n;
}

static void put_str(struct gl_buf *b, const char *key, const char *v)
{
	mp_write_str(b, key, strlen(key));
	mp_write_str(b, v, strlen(v));
}

static void put_text(struct gl_buf *b, const char *key, const char *v)
{
	mp_write_str(b, key, strlen(key));
	mp_write_map(b, 1);
	put_str(b, "en", v);
}

/* Sign a record of kind/id with body b and put it in t; false if it does
 * not sign (a text that is not UTF-8, a record over a limit). */
static bool put_record(struct store_txn *t, const uint8_t sk[64], int kind, const char *id,
                       const struct gl_buf *b)
{
	struct record_draft d = {
		.kind = kind, .id = id, .id_len = strlen(id), .version = 1,
		.issued = 1700000000, .expires = 1700000000 + 365 * 86400,
		.body = b->data, .body_len = b->len,
	};
	struct gl_buf env = { 0 };
	struct gl_error err;
	struct record r;
	enum store_outcome oc;
	bool ok = record_sign(&d, sk, &env, &err) == 0 &&
	          record_parse(env.data, env.len, &r, &err) == 0;
	if (ok)
		FZ_CHECK(store_put(t, &r, &oc, &err) == 0);
	gl_buf_free(&env);
	return ok;
}

/* Check every link's href at or below node. */
static void check_links(xmlNodePtr node)
{
	for (xmlNodePtr k = node->children; k; k = k->next) {
		if (k->type != XML_ELEMENT_NODE)
			continue;
		if (!strcmp((const char *)k->name, "link")) {
			xmlChar *href = xmlGetProp(k, BAD_CAST "href");
			xmlChar *rel = xmlGetProp(k, BAD_CAST "rel");
			/* the feed's own link is the one the caller gave; the records' are web pages */
			bool self = rel && !strcmp((const char *)rel, "self");
			FZ_CHECK(href && (self ? !strcmp((const char *)href, FZ_ATOM_SELF)
			                       : !strncmp((const char *)href, "http://", 7) ||
			                                 !strncmp((const char *)href, "https://", 8)));
			xmlFree(rel);
			xmlFree(href);
		}
		check_links(k);
	}
}

/* The element children of node named name. */
static unsigned count_named(xmlNodePtr node, const char *name)
{
	unsigned n = 0;
	for (xmlNodePtr k = node->children; k; k = k->next)
		n += k->type == XML_ELEMENT_NODE && !strcmp((const char *)k->name, name);
	return n;
}

static void check_feed(const char *text, size_t len, unsigned entries)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		FZ_CHECK(c >= 0x20 || c == '\t' || c == '\n' || c == '\r');
	}
	xmlDocPtr doc = xmlReadMemory(text, (int)len, "feed.atom", NULL,
	                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	FZ_CHECK(doc != NULL);
	xmlNodePtr root = xmlDocGetRootElement(doc);
	FZ_CHECK(root && !strcmp((const char *)root->name, "feed"));
	FZ_CHECK(count_named(root, "entry") == entries);
	check_links(root);
	xmlFreeDoc(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_init();
	static uint8_t pk[32], sk[64];
	static int have_key;
	if (!have_key) {
		fz_keypair(FZ_SEED_AUTHOR, pk, sk);
		news_init();
		have_key = 1;
	}
	char *f[FZ_ATOM_FIELDS] = { 0 };
	unsigned n = split(data, size, f);
	for (unsigned i = n; i < FZ_ATOM_FIELDS; i++)
		f[i] = gl_xstrdup("");
	struct gl_buf news = { 0 }, partner = { 0 };
	mp_write_map(&news, 5);
	put_text(&news, "title", f[0]);
	put_text(&news, "summary", f[1]);
	put_text(&news, "body", f[2]);
	put_str(&news, "url", f[3]);
	put_str(&news, "published", "2026-11-01T10:00:00Z");
	mp_write_map(&partner, 1);
	put_text(&partner, "name", f[4]);
	struct store_txn *t;
	struct gl_error err;
	FZ_CHECK(store_begin(the_store(), true, &t, &err) == 0);
	put_record(t, sk, RK_PARTNER, "org", &partner);
	bool have = put_record(t, sk, RK_NEWS, "fuzz-news", &news);
	char *feed = NULL;
	size_t len = 0;
	FZ_CHECK(news_atom(t, 8, "en", FZ_ATOM_SELF, &feed, &len, &err) == 0);
	check_feed(feed, len, have ? 1 : 0);
	free(feed);
	store_abort(t);
	gl_buf_free(&news);
	gl_buf_free(&partner);
	for (unsigned i = 0; i < FZ_ATOM_FIELDS; i++)
		free(f[i]);
	return 0;
}
