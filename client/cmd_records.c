/* gilde publish, retract, list, get */
#include <errno.h>
#include <string.h>

#include "proto/clock.h"
#include "client/cmd.h"
#include "client/i18n.h"
#include "client/lookup.h"
#include "schemas/doc.h"
#include "proto/ident.h"
#include "proto/msg.h"
#include "proto/record.h"
#include "schemas/schema.h"

/* Largest JSON file gilde publish reads. */
#define DOC_FILE_MAX (1u << 20)

static int read_file(const char *path, char **out, size_t *len, struct gl_error *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return gl_errorf(err, errno == ENOENT ? GL_ENOTFOUND : GL_EIO, _("%s: cannot open it: %s"), path,
		                 strerror(errno));
	struct gl_buf b = { 0 };
	for (;;) {
		gl_buf_reserve(&b, 65536);
		size_t n = fread(b.data + b.len, 1, b.cap - b.len, f);
		b.len += n;
		if (b.len > DOC_FILE_MAX) {
			fclose(f);
			gl_buf_free(&b);
			return gl_errorf(err, GL_ELIMIT, _("%s: larger than %u bytes; a record is at most "
			                                   "64 KiB"), path, DOC_FILE_MAX);
		}
		if (n == 0)
			break;
	}
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		gl_buf_free(&b);
		return gl_errorf(err, GL_EIO, _("%s: cannot read it"), path);
	}
	gl_buf_append(&b, "", 1);
	*out = (char *)b.data;
	*len = b.len - 1;
	return 0;
}

/*
 * Read and check every file before sending any, reporting every bad one;
 * texts[i] and lens[i] receive each file's text (the caller frees them).
 * Returns the number of bad files.
 */
static int check_files(const struct schema_set *set, char **paths, int n, char **texts,
                       size_t *lens)
{
	int bad = 0;
	for (int i = 0; i < n; i++) {
		struct doc d;
		struct gl_error e = { 0 };
		if (read_file(paths[i], &texts[i], &lens[i], &e) ||
		    doc_parse(set, texts[i], lens[i], paths[i], &d, &e)) {
			cli_error("%s", e.msg);
			bad++;
			continue;
		}
		doc_free(&d);
	}
	return bad;
}

/* One published record of the daemon's answer, for a person or into arr. */
static void print_published(const struct cli *cli, const msgpack_object *r, json_t *arr)
{
	char kind[16] = "", id[80] = "", src[512] = "", hex[65] = "";
	uint64_t version = 0;
	const uint8_t *cid;
	size_t cl;
	msg_get_cstr(r, "kind", kind, sizeof kind);
	msg_get_cstr(r, "id", id, sizeof id);
	msg_get_cstr(r, "source", src, sizeof src);
	msg_get_uint(r, "version", &version);
	if (msg_get_bin(r, "cid", &cid, &cl) && cl == RECORD_CID_LEN)
		ident_hex(cid, cl, hex);
	if (!cli->json) {
		printf(_("published %s/%s version %llu content %s\n"), kind, id,
		       (unsigned long long)version, hex);
		return;
	}
	json_t *j = json_object();
	json_object_set_new(j, "kind", json_string(kind));
	json_object_set_new(j, "id", json_string(id));
	json_object_set_new(j, "version", json_integer((json_int_t)version));
	json_object_set_new(j, "content_id", json_string(hex));
	json_object_set_new(j, "source", json_string(src));
	json_array_append_new(arr, j);
}

/* Send the n checked texts to the daemon and print what it published. */
static int send_docs(struct cli *cli, char **paths, int n, char **texts, const size_t *lens)
{
	struct gl_buf req = { 0 };
	msgpack_packer pk;
	msg_begin(&req, &pk);
	msgpack_pack_map(&pk, 2);
	msg_pack_str(&pk, "op");
	msg_pack_str(&pk, "publish");
	msg_pack_str(&pk, "docs");
	msgpack_pack_array(&pk, (size_t)n);
	for (int i = 0; i < n; i++) {
		msgpack_pack_map(&pk, 2);
		msg_pack_str(&pk, "source");
		msg_pack_str(&pk, paths[i]);
		msg_pack_str(&pk, "json");
		msgpack_pack_str_with_body(&pk, texts[i], lens[i]);
	}
	struct cli_answer ans;
	struct gl_error err = { 0 };
	if (cli_request(cli, &req, &ans, &err))
		return cli_fail(&err);
	const msgpack_object *res = msg_get(&ans.o, "results");
	json_t *arr = json_array();
	for (uint32_t i = 0; res && res->type == MSGPACK_OBJECT_ARRAY && i < res->via.array.size; i++)
		print_published(cli, &res->via.array.ptr[i], arr);
	if (cli->json)
		cli_print_json(arr);
	json_decref(arr);
	cli_answer_free(&ans);
	return EXIT_OK;
}

int cmd_publish(struct cli *cli, int argc, char **argv)
{
	const struct cmd *me = cmd_find("publish");
	if (cli_common_only(cli, me, argc, argv, -1))
		return EXIT_USAGE;
	int nfiles = argc - optind;
	if (nfiles < 1)
		return cli_usage(me, "%s", _("name at least one JSON file"));
	if (nfiles > 8192)
		return cli_usage(me, "%s", _("at most 8192 files at once"));
	struct schema_set *set;
	schema_set_open(&set); /* each file read when a record names it */
	char **paths = argv + optind;
	char **texts = gl_xcalloc((size_t)nfiles, sizeof *texts);
	size_t *lens = gl_xcalloc((size_t)nfiles, sizeof *lens);
	int rc, bad = check_files(set, paths, nfiles, texts, lens);
	schema_set_free(set);
	if (bad) {
		cli_error(P_("%d of %d file wrong; nothing was published",
		             "%d of %d files wrong; nothing was published", nfiles), bad, nfiles);
		rc = EXIT_FAIL;
	} else {
		rc = send_docs(cli, paths, nfiles, texts, lens);
	}
	for (int i = 0; i < nfiles; i++)
		free(texts[i]);
	free(texts);
	free(lens);
	return rc;
}

/* The one KIND/ID argument (from optind on), split; 0, or EXIT_USAGE after
 * printing a usage error. */
static int kind_id_arg(const struct cmd *me, int argc, char **argv, int *kind,
                       char id[GL_ID_MAX + 1])
{
	if (argc - optind != 1)
		return cli_usage(me, "%s", _("name exactly one KIND/ID"));
	const char *arg = argv[optind], *slash = strchr(arg, '/');
	if (!slash || !(*kind = record_kind_parse(arg, (size_t)(slash - arg))) ||
	    !record_id_valid(slash + 1, strlen(slash + 1)) || strlen(slash + 1) > GL_ID_MAX)
		return cli_usage(me, _("\"%s\" is not KIND/ID (for example offer/pmv-winwinlening)"),
		                 arg);
	strcpy(id, slash + 1);
	return 0;
}

int cmd_retract(struct cli *cli, int argc, char **argv)
{
	const struct cmd *me = cmd_find("retract");
	if (cli_common_only(cli, me, argc, argv, -1))
		return EXIT_USAGE;
	int kind;
	char id[GL_ID_MAX + 1];
	if (kind_id_arg(me, argc, argv, &kind, id))
		return EXIT_USAGE;
	struct gl_buf req = { 0 };
	msgpack_packer pk;
	msg_begin(&req, &pk);
	msgpack_pack_map(&pk, 3);
	msg_pack_str(&pk, "op");
	msg_pack_str(&pk, "retract");
	msg_pack_str(&pk, "kind");
	msg_pack_str(&pk, record_kind_name(kind));
	msg_pack_str(&pk, "id");
	msg_pack_str(&pk, id);
	struct cli_answer ans;
	struct gl_error err = { 0 };
	if (cli_request(cli, &req, &ans, &err))
		return cli_fail(&err);
	const msgpack_object *res = msg_get(&ans.o, "results");
	uint64_t version = 0;
	if (res && res->type == MSGPACK_OBJECT_ARRAY && res->via.array.size == 1)
		msg_get_uint(&res->via.array.ptr[0], "version", &version);
	cli_answer_free(&ans);
	if (cli->json) {
		json_t *j = json_object();
		json_object_set_new(j, "kind", json_string(record_kind_name(kind)));
		json_object_set_new(j, "id", json_string(id));
		json_object_set_new(j, "version", json_integer((json_int_t)version));
		json_object_set_new(j, "retracted", json_true());
		cli_print_json(j);
		json_decref(j);
	} else {
		printf(_("retracted %s/%s (tombstone version %llu)\n"), record_kind_name(kind), id,
		       (unsigned long long)version);
	}
	return EXIT_OK;
}

struct list_ctx {
	struct cli *cli;
	struct store_txn *t;
	struct cli_json_stream js;
	unsigned count;
	bool all;      /* include node, endorse and revoke records */
	/* whose the last record was: records come by author, so the next one
	 * is most often the same partner's, and its name is not looked up again */
	uint8_t last_author[32];
	char *last_partner, *last_who;
};

/* The kinds a directory reader looks for; the rest run the federation. */
static bool directory_kind(int kind)
{
	return kind == RK_PARTNER || kind == RK_OFFER || kind == RK_EVENT || kind == RK_NEWS;
}

static int list_visit(void *vctx, const struct store_entry *e)
{
	struct list_ctx *lc = vctx;
	if (!lc->all && !directory_kind(e->kind))
		return 0;
	lc->count++;
	if (lc->cli->json) {
		/* one record at a time, as it is read: the array is never held */
		json_t *o = view_entry_json(e);
		cli_json_stream_item(&lc->js, o);
		json_decref(o);
		return 0;
	}
	struct record r;
	char *partner = record_parse_held(e->env, e->env_len, &r, NULL) == 0
	                        ? view_body_str(r.body, r.body_len, "partner") : NULL;
	if (!lc->last_who || memcmp(lc->last_author, e->author, 32) ||
	    (partner ? !lc->last_partner || strcmp(partner, lc->last_partner) : !!lc->last_partner)) {
		free(lc->last_who);
		free(lc->last_partner);
		lc->last_who = lookup_who(lc->t, e->author, partner, lc->cli->lang);
		lc->last_partner = partner ? gl_xstrdup(partner) : NULL;
		memcpy(lc->last_author, e->author, 32);
	}
	char *title = cli_title(e, lc->cli->lang);
	printf("%s/%.*s\t", record_kind_name(e->kind), (int)e->id_len, e->id);
	cli_put(stdout, title ? title : "", -1); /* partners' texts: outside text */
	putchar('\t');
	cli_put(stdout, lc->last_who, -1);
	putchar('\n');
	free(title);
	free(partner);
	return 0;
}

/* gilde list's own options. */
struct list_opts {
	const struct cmd *me;
	struct store_filter f;
	const char *author; /* --author's value, resolved once the store is open */
	bool all;
};

static int list_option(void *ctx, int c, const char *arg)
{
	struct list_opts *lo = ctx;
	switch (c) {
	case 'k':
		if (!(lo->f.kind = record_kind_parse(arg, strlen(arg))))
			return cli_usage(lo->me, _("--kind: unknown kind \"%s\" (partner, offer, event, "
			                           "news, endorse, revoke, node)"), arg);
		return 0;
	case 'a':
		lo->author = arg;
		return 0;
	default: /* 'A' */
		lo->all = true;
		return 0;
	}
}

int cmd_list(struct cli *cli, int argc, char **argv)
{
	static const struct option own[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "author", required_argument, NULL, 'a' },
		{ "all", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	struct list_opts lo = { .me = cmd_find("list") };
	struct cli_opts opts = { .lo = own, .shorts = "k:a:A", .take = list_option, .ctx = &lo };
	int rc = cli_options(cli, lo.me, argc, argv, &opts);
	if (rc)
		return rc;
	struct gl_error err = { 0 };
	struct store *s;
	struct store_txn *t;
	uint8_t author[32];
	if (cli_read_store(cli, &s, &t, &err))
		return cli_fail(&err);
	struct list_ctx lc = { .cli = cli, .t = t, .all = lo.all || lo.f.kind };
	if (lo.author && (rc = lookup_one_author(cli, t, lo.author, author)))
		goto out;
	lo.f.author = lo.author ? author : NULL;
	if (cli->json)
		cli_json_stream_begin(&lc.js);
	rc = store_scan(t, &lo.f, list_visit, &lc, &err) ? cli_fail(&err) : EXIT_OK;
	if (cli->json)
		cli_json_stream_end(&lc.js); /* a failure after it is on stderr and in the exit code */
	else if (!rc && !lc.count && lo.author)
		cli_note(cli, _("No records by %s here."), lo.author);
	else if (!rc && !lc.count && lo.f.kind)
		cli_note(cli, _("No records of kind %s here."), record_kind_name(lo.f.kind));
	else if (!rc && !lc.count)
		cli_note(cli, _("No records here yet: gilde publish FILE.json publishes one."));
out:
	free(lc.last_who);
	free(lc.last_partner);
	store_abort(t);
	store_close(s);
	return rc;
}

static void print_value(json_t *v, const char *lang, int indent);

static bool is_langmap(json_t *v)
{
	return json_is_object(v) && (json_object_get(v, "nl") || json_object_get(v, "en")) &&
	       json_is_string(json_object_get(v, "nl") ? json_object_get(v, "nl")
	                                               : json_object_get(v, "en"));
}

static void print_fields(json_t *o, const char *lang, int indent)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		printf("%*s", indent, "");
		cli_put(stdout, k, -1);
		putchar(':');
		if (json_is_object(v) && !is_langmap(v)) {
			printf("\n");
			print_fields(v, lang, indent + 2);
		} else {
			printf(" ");
			print_value(v, lang, indent);
			printf("\n");
		}
	}
}

static void print_value(json_t *v, const char *lang, int indent)
{
	if (is_langmap(v)) {
		json_t *wrap = json_object();
		json_object_set(wrap, "t", v);
		cli_put(stdout, view_text(wrap, "t", lang), indent + 2);
		json_decref(wrap);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *m;
		json_array_foreach(v, i, m) {
			printf("%s", i ? ", " : "");
			print_value(m, lang, indent);
		}
	} else if (json_is_string(v)) {
		cli_put(stdout, json_string_value(v), indent + 2);
	} else {
		char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		cli_put(stdout, s ? s : "", -1);
		free(s);
	}
}

/* gilde get's --author, resolved once the store is open. */
static int get_option(void *ctx, int c, const char *arg)
{
	(void)c; /* 'a' */
	*(const char **)ctx = arg;
	return 0;
}

/* gilde get's answer: the record's JSON, or its fields for a person. */
static void print_record(struct cli *cli, struct store_txn *t, const struct store_entry *e)
{
	json_t *o = view_entry_json(e);
	if (cli->json) {
		cli_print_json(o);
	} else {
		char key[IDENT_TEXT_MAX];
		ident_format(IDENT_PK_PREFIX, e->author, key);
		char *name = view_partner_name(t, e->author,
		                               json_string_value(json_object_get(o, "partner")),
		                               cli->lang);
		char *shown = name ? cli_line(name) : NULL; /* a partner's name: outside text */
		/* TRANSLATORS: "offer/x by PARTNER (ed25519:…)" */
		printf(_("%s/%.*s by %s (%s)\n"), record_kind_name(e->kind), (int)e->id_len, e->id,
		       shown ? shown : _("no partner record"), key);
		free(shown);
		free(name);
		json_t *body = json_deep_copy(o);
		static const char *const meta[] = { "author", "kind", "id" };
		for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++)
			json_object_del(body, meta[i]);
		print_fields(body, cli->lang, 0);
		json_decref(body);
	}
	json_decref(o);
}

/*
 * Whose kind/id gilde get shows without --author: this node's if it has
 * one, else the one author that has it.  0 and *author; or, after saying
 * why, EXIT_NOTFOUND (nobody has it) or EXIT_USAGE (several do: listed).
 */
static int get_whose(struct cli *cli, struct store *s, struct store_txn *t, int kind,
                     const char *id, uint8_t author[32])
{
	struct gl_error err = { 0 };
	struct cli_node m;
	struct lookup_keys keys;
	bool have_own = cli_node_meta(s, &m, NULL) == 0;
	if (lookup_record_authors(t, kind, id, &keys, &err))
		return cli_fail(&err);
	int rc = 0;
	for (size_t i = 0; i < keys.n && have_own; i++)
		if (!memcmp(keys.v[i], m.pk, 32))
			goto own;
	if (keys.n == 1) {
		memcpy(author, keys.v[0], 32);
	} else if (keys.n > 1) {
		cli_error(_("%zu partners publish %s/%s; say whose with --author:"), keys.n,
		          record_kind_name(kind), id);
		lookup_print_candidates(cli, t, kind, id, &keys);
		rc = EXIT_USAGE;
	} else if (have_own) {
		goto own; /* this node's own, if anything: a retraction says so */
	} else {
		rc = -1;
	}
	free(keys.v);
	return rc;
own:
	memcpy(author, m.pk, 32);
	free(keys.v);
	return 0;
}

int cmd_get(struct cli *cli, int argc, char **argv)
{
	static const struct option own[] = {
		{ "author", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cmd *me = cmd_find("get");
	const char *author_arg = NULL;
	struct cli_opts opts = { .lo = own, .shorts = "a:", .take = get_option, .ctx = &author_arg,
	                         .maxpos = -1 };
	int rc = cli_options(cli, me, argc, argv, &opts);
	if (rc)
		return rc;
	int kind;
	char id[GL_ID_MAX + 1];
	if (kind_id_arg(me, argc, argv, &kind, id))
		return EXIT_USAGE;
	struct gl_error err = { 0 };
	struct store *s;
	struct store_txn *t;
	uint8_t author[32];
	struct store_entry e;
	if (cli_read_store(cli, &s, &t, &err))
		return cli_fail(&err);
	if (author_arg)
		rc = lookup_one_author(cli, t, author_arg, author);
	else
		rc = get_whose(cli, s, t, kind, id, author);
	if (rc > 0)
		goto out;
	if (rc < 0 || store_get(t, author, kind, id, strlen(id), &e, NULL)) {
		cli_error(_("no %s/%s here (gilde search %s finds records by their words)"),
		          record_kind_name(kind), id, id);
		rc = EXIT_NOTFOUND;
	} else if (e.tombstone) {
		char ts[32];
		cli_error(_("%s/%s was retracted (at %s)"), record_kind_name(kind), id,
		          clock_format(e.issued, ts));
		rc = EXIT_NOTFOUND;
	} else {
		print_record(cli, t, &e);
	}
out:
	store_abort(t);
	store_close(s);
	return rc;
}
