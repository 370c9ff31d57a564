/*
 * news.c — the latest news as JSON and as an Atom feed (news.h).
 *
 * The scan reads each news body once, only for "published", and keeps
 * the best `limit` keys in a heap whose root is the worst kept: a newer
 * item replaces the root.  The kept records are then fetched one by one.
 */
#include "query/news.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlwriter.h>
#include <utf8proc.h>

#include "proto/alloc.h"
#include "proto/body.h"
#include "proto/clock.h"
#include "proto/ident.h"
#include "query/topk.h"
#include "query/view.h"

#define NEWS_FEED_NS "http://www.w3.org/2005/Atom"
#define NEWS_URN "urn:gilde:"
#define PUBLISHED_TEXT_MAX 40 /* a datetime is 25 bytes (common.json) */
#define NODE_NAME_MAX 128

struct key {
	int64_t published;
	uint8_t author[RECORD_KEY_LEN];
	char id[GL_ID_MAX + 1];
	size_t id_len;
};

/* <0 if a comes first in the listing: newer, then by author, then id. */
static int rank(const void *va, const void *vb)
{
	const struct key *a = va, *b = vb;
	if (a->published != b->published)
		return a->published > b->published ? -1 : 1;
	int d = memcmp(a->author, b->author, RECORD_KEY_LEN);
	return d ? d : strcmp(a->id, b->id);
}

/* The body's "published" as an instant; false if it has none that parses. */
static bool published(const struct store_entry *e, int64_t *at)
{
	struct record r;
	char text[PUBLISHED_TEXT_MAX];
	return record_parse_held(e->env, e->env_len, &r, NULL) == 0 &&
	       body_str_copy(r.body, r.body_len, "published", text, sizeof text) &&
	       clock_parse(text, at) == 0;
}

static int keep(void *vtk, const struct store_entry *e)
{
	struct key k;
	if (e->id_len > GL_ID_MAX || !published(e, &k.published))
		return 0;
	memcpy(k.author, e->author, RECORD_KEY_LEN);
	memcpy(k.id, e->id, e->id_len);
	k.id[e->id_len] = '\0';
	k.id_len = e->id_len;
	topk_offer(vtk, &k);
	return 0;
}

/* The best limit keys, sorted, in *tk (the caller's to topk_free). */
static int top_news(struct store_txn *t, size_t limit, struct topk *tk, struct gl_error *err)
{
	if (!t || !limit)
		return gl_errorf(err, GL_EINVAL, "news: no transaction, or a limit of 0");
	if (limit > NEWS_LIMIT_MAX)
		return gl_errorf(err, GL_ELIMIT, "news: a limit of %zu is over NEWS_LIMIT_MAX (%d)",
		                 limit, NEWS_LIMIT_MAX);
	topk_init(tk, limit, sizeof(struct key), rank);
	struct store_filter f = { .kind = RK_NEWS };
	int rc = store_scan(t, &f, keep, tk, err);
	if (rc) {
		topk_free(tk);
		return rc;
	}
	topk_sort(tk);
	return 0;
}

/* A kept key's entry; false if it vanished (not in one snapshot). */
static bool fetch(struct store_txn *t, const struct key *k, struct store_entry *e)
{
	return store_get(t, k->author, RK_NEWS, k->id, k->id_len, e, NULL) == 0 && !e->tombstone;
}

int news_latest(struct store_txn *t, size_t limit, json_t **out, struct gl_error *err)
{
	if (!out)
		return gl_errorf(err, GL_EINVAL, "news_latest: nowhere to put the result");
	struct topk tk;
	int rc = top_news(t, limit, &tk, err);
	if (rc)
		return rc;
	const struct key *keys = topk_at(&tk, 0);
	size_t n = tk.n;
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		struct store_entry e;
		if (fetch(t, &keys[i], &e))
			json_array_append_new(arr, view_entry_json(&e));
	}
	topk_free(&tk);
	*out = arr;
	return 0;
}

/* ---- the Atom feed ------------------------------------------------------- */

void news_init(void)
{
	xmlInitParser();
}

/*
 * A copy of s in which every character XML 1.0 cannot hold (Char, section
 * 2.2), every control character it can (DEL, C1: a reader's terminal may
 * act on them) and every byte that is not UTF-8 is U+FFFD.  Escaping is
 * libxml2's.
 */
static char *xml_chars(const char *s)
{
	size_t len = strlen(s);
	struct gl_buf b = { 0 };
	gl_buf_reserve(&b, len + 1);
	for (size_t i = 0; i < len;) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
		                                      (utf8proc_ssize_t)(len - i), &cp);
		bool ok = n > 0 && (cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp < 0x7F) ||
		                    (cp > 0x9F && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
		                    cp >= 0x10000);
		if (ok)
			gl_buf_append(&b, s + i, (size_t)n);
		else
			gl_buf_append(&b, "\xEF\xBF\xBD", 3);
		i += n > 0 ? (size_t)n : 1;
	}
	gl_buf_append(&b, "", 1);
	return (char *)b.data;
}

/*
 * Whether url may be a link's href: http: or https: and no control
 * character or space.  The schema says as much, but a record may come
 * from a node whose schema was looser (issue 24), and a feed reader
 * follows what it is given.
 */
static bool href_ok(const char *url)
{
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		return false;
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= ' ' || *p == 0x7f || (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9f))
			return false;
	return true;
}

/* The writer and whether every call so far succeeded. */
struct feed {
	xmlTextWriterPtr w;
	bool ok;
	const char *lang;
};

static void start(struct feed *fd, const char *name)
{
	fd->ok = fd->ok && xmlTextWriterStartElement(fd->w, BAD_CAST name) >= 0;
}

static void end(struct feed *fd)
{
	fd->ok = fd->ok && xmlTextWriterEndElement(fd->w) >= 0;
}

static void attr(struct feed *fd, const char *name, const char *value)
{
	char *v = xml_chars(value);
	fd->ok = fd->ok && xmlTextWriterWriteAttribute(fd->w, BAD_CAST name, BAD_CAST v) >= 0;
	free(v);
}

/* <name>text</name>; nothing if text is NULL. */
static void element(struct feed *fd, const char *name, const char *text)
{
	if (!text)
		return;
	char *v = xml_chars(text);
	fd->ok = fd->ok && xmlTextWriterWriteElement(fd->w, BAD_CAST name, BAD_CAST v) >= 0;
	free(v);
}

static void person(struct feed *fd, const char *name)
{
	start(fd, "author");
	element(fd, "name", name);
	end(fd);
}

/* The record's "published" as RFC 3339 UTC, into ts. */
static const char *utc(const struct key *k, char ts[32])
{
	return clock_format((uint64_t)(k->published < 0 ? 0 : k->published), ts);
}

/* The entry of news record k, whose current version was issued at
 * `issued` and whose body is b (NULL: it does not parse). */
static void entry(struct feed *fd, struct store_txn *t, const struct key *k, uint64_t issued,
                  const uint8_t *b, size_t n)
{
	char hex[2 * RECORD_KEY_LEN + 1], id[sizeof NEWS_URN + sizeof hex + GL_ID_MAX + 8];
	char ts[32], key[IDENT_TEXT_MAX];
	ident_hex(k->author, RECORD_KEY_LEN, hex);
	snprintf(id, sizeof id, NEWS_URN "%s:news:%s", hex, k->id);
	char *title = view_body_text(b, n, "title", fd->lang);
	char *summary = view_body_text(b, n, "summary", fd->lang);
	char *body = view_body_text(b, n, "body", fd->lang);
	char *url = view_body_str(b, n, "url"), *partner = view_body_str(b, n, "partner");
	if (url && !href_ok(url)) {
		free(url);
		url = NULL;
	}
	char *who = view_partner_name(t, k->author, partner, fd->lang);
	ident_format(IDENT_PK_PREFIX, k->author, key);

	start(fd, "entry");
	element(fd, "id", id);
	element(fd, "title", title ? title : "");
	element(fd, "updated", clock_format(issued, ts));
	element(fd, "published", utc(k, ts));
	person(fd, who ? who : key);
	element(fd, "summary", summary);
	if (url) {
		start(fd, "link");
		attr(fd, "rel", "alternate");
		attr(fd, "href", url);
		end(fd);
	}
	if (body || !url) {
		start(fd, "content");
		attr(fd, "type", "text");
		char *v = xml_chars(body ? body : summary ? summary : "");
		fd->ok = fd->ok && xmlTextWriterWriteString(fd->w, BAD_CAST v) >= 0;
		free(v);
		end(fd);
	}
	end(fd);
	free(who);
	free(partner);
	free(url);
	free(body);
	free(summary);
	free(title);
}

/* The feed's own elements, before the entries; updated: the latest
 * entry's (0: none, then now). */
static void head(struct feed *fd, struct store_txn *t, uint64_t updated, const char *self)
{
	const void *v;
	size_t len;
	char id[sizeof NEWS_URN + 2 * RECORD_KEY_LEN + 8], name[NODE_NAME_MAX];
	char title[NODE_NAME_MAX + 64];
	char ts[32];
	if (store_meta_get(t, "node_pk", &v, &len) == 0 && len == RECORD_KEY_LEN) {
		char hex[2 * RECORD_KEY_LEN + 1];
		ident_hex(v, RECORD_KEY_LEN, hex);
		snprintf(id, sizeof id, NEWS_URN "%s:news", hex);
	} else {
		snprintf(id, sizeof id, NEWS_URN "news");
	}
	snprintf(name, sizeof name, "gilde");
	if (store_meta_get(t, "node_name", &v, &len) == 0 && len > 0)
		snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1),
		         (const char *)v);
	snprintf(title, sizeof title, "%s: %s", name,
	         !strcmp(fd->lang, "nl") ? "nieuws van de partners" : "news from the partners");

	start(fd, "feed");
	attr(fd, "xmlns", NEWS_FEED_NS);
	attr(fd, "xml:lang", fd->lang);
	element(fd, "id", id);
	element(fd, "title", title);
	if (self) {
		start(fd, "link");
		attr(fd, "rel", "self");
		attr(fd, "type", "application/atom+xml");
		attr(fd, "href", self);
		end(fd);
	}
	element(fd, "updated", clock_format(updated ? updated : clock_now(), ts));
	person(fd, name);
	element(fd, "generator", "gilde");
}

/* When the newest version among the kept news was issued; 0 if none. */
static uint64_t last_issued(struct store_txn *t, const struct key *keys, size_t n)
{
	uint64_t last = 0;
	for (size_t i = 0; i < n; i++) {
		struct store_entry e;
		if (fetch(t, &keys[i], &e) && e.issued > last)
			last = e.issued;
	}
	return last;
}

int news_atom(struct store_txn *t, size_t limit, const char *lang, const char *self, char **out,
              size_t *len, struct gl_error *err)
{
	if (!out || !len)
		return gl_errorf(err, GL_EINVAL, "news_atom: nowhere to put the feed");
	struct topk tk;
	int rc = top_news(t, limit, &tk, err);
	if (rc)
		return rc;
	const struct key *keys = topk_at(&tk, 0);
	size_t n = tk.n;
	news_init();
	xmlBufferPtr buf = xmlBufferCreate();
	xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
	struct feed fd = { .w = w, .ok = w != NULL, .lang = lang ? lang : "en" };
	fd.ok = fd.ok && xmlTextWriterSetIndent(w, 1) >= 0 &&
	        xmlTextWriterSetIndentString(w, BAD_CAST "  ") >= 0 &&
	        xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) >= 0;
	head(&fd, t, last_issued(t, keys, n), self);
	for (size_t i = 0; i < n && fd.ok; i++) {
		struct store_entry e;
		struct record r = { .body = NULL }; /* untouched if it does not parse: no texts */
		if (!fetch(t, &keys[i], &e))
			continue;
		record_parse_held(e.env, e.env_len, &r, NULL);
		entry(&fd, t, &keys[i], e.issued, r.body, r.body_len);
	}
	fd.ok = fd.ok && xmlTextWriterEndDocument(w) >= 0; /* closes feed */
	if (w)
		xmlFreeTextWriter(w); /* flushes into buf */
	if (fd.ok) {
		size_t l = (size_t)xmlBufferLength(buf);
		char *s = gl_xmalloc(l + 1);
		memcpy(s, xmlBufferContent(buf), l);
		s[l] = '\0';
		*out = s;
		*len = l;
	} else {
		rc = gl_errorf(err, GL_EIO, "libxml2 could not write the Atom feed");
	}
	if (buf)
		xmlBufferFree(buf);
	topk_free(&tk);
	return rc;
}
