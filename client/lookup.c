#include "client/lookup.h"

#include <stdlib.h>
#include <string.h>

#include "client/i18n.h"
#include "proto/alloc.h"
#include "proto/record.h"

void lookup_short_key(const uint8_t key[32], char out[LOOKUP_SHORT_MAX])
{
	char text[IDENT_TEXT_MAX];
	ident_format(IDENT_PK_PREFIX, key, text);
	snprintf(out, LOOKUP_SHORT_MAX, "%.*s", (int)(LOOKUP_SHORT_MAX - 1), text);
}

char *lookup_who(struct store_txn *t, const uint8_t author[32], const char *partner,
                 const char *lang)
{
	char sk[LOOKUP_SHORT_MAX];
	lookup_short_key(author, sk);
	char *name = view_partner_name(t, author, partner, lang);
	if (!name && partner) /* the field names a partner record this author lacks */
		name = view_partner_name(t, author, NULL, lang);
	if (!name)
		return gl_xstrdup(sk);
	size_t n = strlen(name) + sizeof sk + 4;
	char *out = gl_xmalloc(n);
	snprintf(out, n, "%s (%s)", name, sk);
	free(name);
	return out;
}

#define CACHE_SLOTS (2 * LOOKUP_CACHE_MAX) /* open addressing, at most half full */

struct cache_slot {
	char *who;     /* NULL: an empty slot */
	uint8_t author[32];
	char *partner; /* NULL for none */
};

struct lookup_cache {
	struct store_txn *t;
	const char *lang;
	size_t used;
	struct cache_slot slot[CACHE_SLOTS];
};

struct lookup_cache *lookup_cache_new(struct store_txn *t, const char *lang)
{
	struct lookup_cache *c = gl_xcalloc(1, sizeof *c);
	c->t = t;
	c->lang = lang;
	return c;
}

static void cache_empty(struct lookup_cache *c)
{
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		free(c->slot[i].who);
		free(c->slot[i].partner);
		c->slot[i] = (struct cache_slot){ 0 };
	}
	c->used = 0;
}

void lookup_cache_free(struct lookup_cache *c)
{
	if (!c)
		return;
	cache_empty(c);
	free(c);
}

/* FNV-1a over the author and the partner's bytes (none: one byte more). */
static size_t cache_hash(const uint8_t author[32], const char *partner, size_t len)
{
	uint64_t h = 14695981039346656037u;
	for (size_t i = 0; i < 32; i++)
		h = (h ^ author[i]) * 1099511628211u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)partner[i]) * 1099511628211u;
	h = (h ^ (partner ? 1u : 2u)) * 1099511628211u;
	return (size_t)(h % CACHE_SLOTS);
}

const char *lookup_who_cached(struct lookup_cache *c, const uint8_t author[32],
                              const char *partner, size_t partner_len)
{
	/* as lookup_who is given it: a C string, which ends at a NUL */
	if (partner)
		partner_len = strnlen(partner, partner_len);
	size_t i = cache_hash(author, partner, partner_len);
	for (struct cache_slot *s; (s = &c->slot[i])->who; i = (i + 1) % CACHE_SLOTS)
		if (!memcmp(s->author, author, 32) && !s->partner == !partner &&
		    (!partner || (strlen(s->partner) == partner_len &&
		                  !memcmp(s->partner, partner, partner_len))))
			return s->who;
	if (c->used == LOOKUP_CACHE_MAX) {
		cache_empty(c);
		i = cache_hash(author, partner, partner_len);
	}
	struct cache_slot *s = &c->slot[i];
	s->partner = partner ? gl_xstrndup(partner, partner_len) : NULL;
	memcpy(s->author, author, 32);
	char *who = lookup_who(c->t, author, s->partner, c->lang);
	s->who = cli_line(who); /* partners' texts: outside text */
	free(who);
	c->used++;
	return s->who;
}

static void add_key(struct lookup_keys *k, const uint8_t key[32])
{
	for (size_t i = 0; i < k->n; i++)
		if (!memcmp(k->v[i], key, 32))
			return;
	k->v = gl_xrealloc(k->v, (k->n + 1) * sizeof *k->v);
	memcpy(k->v[k->n++], key, 32);
}

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/* What an author scan looks for: a partner id, or the start of a key. */
struct author_scan {
	const char *value;
	const char *prefix; /* the base64url part of a short key, or NULL */
	size_t prefix_len;
	uint8_t last[32];   /* the author of the previous entry (records come by author) */
	bool have_last;
	struct lookup_keys *out;
};

static int author_visit(void *ctx, const struct store_entry *e)
{
	struct author_scan *as = ctx;
	if (e->kind == RK_PARTNER && !e->tombstone && e->id_len == strlen(as->value) &&
	    !memcmp(e->id, as->value, e->id_len))
		add_key(as->out, e->author);
	if (as->have_last && !memcmp(as->last, e->author, 32))
		return 0;
	memcpy(as->last, e->author, 32);
	as->have_last = true;
	if (as->prefix) {
		char text[IDENT_TEXT_MAX];
		ident_format(IDENT_PK_PREFIX, e->author, text);
		if (!strncmp(text + strlen(IDENT_PK_PREFIX), as->prefix, as->prefix_len))
			add_key(as->out, e->author);
	}
	return 0;
}

int lookup_authors(struct store_txn *t, const char *value, struct lookup_keys *out,
                   struct gl_error *err)
{
	*out = (struct lookup_keys){ 0 };
	uint8_t key[32];
	if (ident_parse(IDENT_PK_PREFIX, value, "key", key, NULL) == 0) {
		add_key(out, key);
		return 0;
	}
	struct author_scan as = { .value = value, .out = out };
	const char *b64 = strncmp(value, IDENT_PK_PREFIX, strlen(IDENT_PK_PREFIX))
	                          ? value : value + strlen(IDENT_PK_PREFIX);
	size_t bl = strlen(b64);
	if (bl >= LOOKUP_PREFIX_MIN && bl < 43 && strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                                                      "abcdefghijklmnopqrstuvwxyz"
	                                                      "0123456789-_") == bl) {
		as.prefix = b64;
		as.prefix_len = bl;
	}
	struct store_filter f = { .tombstones = false };
	int rc = store_scan(t, &f, author_visit, &as, err);
	if (rc) {
		free(out->v);
		*out = (struct lookup_keys){ 0 };
		return rc;
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof *out->v, cmp_key);
	return 0;
}

struct record_scan {
	const char *id;
	size_t id_len;
	struct lookup_keys *out;
};

static int record_visit(void *ctx, const struct store_entry *e)
{
	struct record_scan *rs = ctx;
	if (e->id_len == rs->id_len && !memcmp(e->id, rs->id, e->id_len))
		add_key(rs->out, e->author);
	return 0;
}

int lookup_record_authors(struct store_txn *t, int kind, const char *id,
                          struct lookup_keys *out, struct gl_error *err)
{
	*out = (struct lookup_keys){ 0 };
	struct record_scan rs = { .id = id, .id_len = strlen(id), .out = out };
	struct store_filter f = { .kind = kind };
	int rc = store_scan(t, &f, record_visit, &rs, err);
	if (rc) {
		free(out->v);
		*out = (struct lookup_keys){ 0 };
	}
	return rc;
}

/* An application whose partner record has id value, or whose key starts
 * with it. */
struct app_scan {
	const char *value;
	struct lookup_keys *out;
};

static int app_visit(void *ctx, const struct store_app *a)
{
	struct app_scan *as = ctx;
	struct record r;
	char text[IDENT_TEXT_MAX];
	ident_format(IDENT_PK_PREFIX, a->author, text);
	const char *b64 = strncmp(as->value, IDENT_PK_PREFIX, strlen(IDENT_PK_PREFIX))
	                          ? as->value : as->value + strlen(IDENT_PK_PREFIX);
	if ((record_parse_held(a->env, a->env_len, &r, NULL) == 0 && r.id_len == strlen(as->value) &&
	     !memcmp(r.id, as->value, r.id_len)) ||
	    (strlen(b64) >= LOOKUP_PREFIX_MIN &&
	     !strncmp(text + strlen(IDENT_PK_PREFIX), b64, strlen(b64))))
		add_key(as->out, a->author);
	return 0;
}

int lookup_one_key(const struct cli *cli, struct store_txn *t, const char *what,
                   const char *value, bool applications, uint8_t out[32])
{
	struct lookup_keys keys;
	struct gl_error err = { 0 };
	if (lookup_authors(t, value, &keys, &err))
		return cli_fail(&err);
	struct app_scan as = { .value = value, .out = &keys };
	if (applications && keys.n != 1 && store_app_scan(t, app_visit, &as, &err)) {
		free(keys.v);
		return cli_fail(&err);
	}
	int rc = 0;
	if (keys.n == 1) {
		memcpy(out, keys.v[0], 32);
	} else if (keys.n == 0) {
		cli_error(_("%s %s: no key, and no partner here has that id or a key that starts with "
		            "it (gilde list --kind partner%s shows them)"), what, value,
		          applications ? _(", gilde applications") : "");
		rc = EXIT_NOTFOUND;
	} else {
		cli_error(_("%s %s: %zu partners match; name one by more of its key:"), what, value,
		          keys.n);
		for (size_t i = 0; i < keys.n; i++) {
			char *who = lookup_who(t, keys.v[i], NULL, cli->lang);
			char key[IDENT_TEXT_MAX];
			ident_format(IDENT_PK_PREFIX, keys.v[i], key);
			fprintf(stderr, "  %s  %s\n", key, who);
			free(who);
		}
		rc = EXIT_USAGE;
	}
	free(keys.v);
	return rc;
}

int lookup_one_author(const struct cli *cli, struct store_txn *t, const char *value,
                      uint8_t out[32])
{
	return lookup_one_key(cli, t, "--author", value, false, out);
}

void lookup_print_candidates(const struct cli *cli, struct store_txn *t, int kind,
                             const char *id, const struct lookup_keys *keys)
{
	for (size_t i = 0; i < keys->n; i++) {
		char *name = view_partner_name(t, keys->v[i], NULL, cli->lang);
		char sk[LOOKUP_SHORT_MAX];
		lookup_short_key(keys->v[i], sk);
		fprintf(stderr, "  gilde get %s/%s --author %s    # %s\n", record_kind_name(kind), id,
		        sk, name ? name : _("(no partner record)"));
		free(name);
	}
}
