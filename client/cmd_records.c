/* gilde publish, retract, list, get */
#include <errno.h>
#include <string.h>

#include "proto/clock.h"
#include "client/cmd.h"
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
		return gl_errorf(err, errno == ENOENT ? GL_ENOTFOUND : GL_EIO, "%s: %s", path,
		                 strerror(errno));
	struct gl_buf b = { 0 };
	for (;;) {
		gl_buf_reserve(&b, 65536);
		size_t n = fread(b.data + b.len, 1, b.cap - b.len, f);
		b.len += n;
		if (b.len > DOC_FILE_MAX) {
			fclose(f);
			gl_buf_free(&b);
			return gl_errorf(err, GL_ELIMIT, "%s: larger than %u bytes; a record is at most "
			                 "64 KiB", path, DOC_FILE_MAX);
		}
		if (n == 0)
			break;
	}
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		gl_buf_free(&b);
		return gl_errorf(err, GL_EIO, "%s: read error", path);
	}
	gl_buf_append(&b, "", 1);
	*out = (char *)b.data;
	*len = b.len - 1;
	return 0;
}

int cmd_publish(struct cli *cli, int argc, char **argv)
{
	const struct cmd *me = cmd_find("publish");
	static const struct option lo[] = { CLI_COMMON_LONG, { NULL, 0, NULL, 0 } };
	int c;
	while ((c = getopt_long(argc, argv, ":" CLI_COMMON_SHORT, lo, NULL)) != -1) {
		int h = cli_common(cli, me, c, optarg, argv);
		if (h <= 0)
			return h < 0 ? EXIT_USAGE : cli_usage(me, "unknown option %s", argv[optind - 1]);
	}
	int nfiles = argc - optind;
	if (nfiles < 1)
		return cli_usage(me, "name at least one JSON file");
	if (nfiles > 8192)
		return cli_usage(me, "at most 8192 files at once");

	struct gl_error err = { 0 };
	struct schema_set *set;
	if (schema_set_load(&set, &err))
		return cli_fail(&err);
	/* check every file before sending any, and report every bad one */
	char **texts = gl_xcalloc((size_t)nfiles, sizeof *texts);
	size_t *lens = gl_xcalloc((size_t)nfiles, sizeof *lens);
	int bad = 0, worst = 0;
	for (int i = 0; i < nfiles; i++) {
		const char *path = argv[optind + i];
		struct doc d;
		struct gl_error e = { 0 };
		if (read_file(path, &texts[i], &lens[i], &e) ||
		    doc_parse(set, texts[i], lens[i], path, &d, &e)) {
			cli_error("%s", e.msg);
			bad++;
			worst = e.code == GL_ENOTFOUND ? GL_ENOTFOUND : worst ? worst : e.code;
			continue;
		}
		doc_free(&d);
	}
	schema_set_free(set);
	int rc = EXIT_OK;
	if (bad) {
		cli_error("%d of %d file%s wrong; nothing was published", bad, nfiles,
		          nfiles == 1 ? "" : "s");
		rc = EXIT_FAIL;
		goto out;
	}

	struct gl_buf req = { 0 }, resp = { 0 };
	msgpack_packer pk;
	msg_begin(&req, &pk);
	msgpack_pack_map(&pk, 2);
	msg_pack_str(&pk, "op");
	msg_pack_str(&pk, "publish");
	msg_pack_str(&pk, "docs");
	msgpack_pack_array(&pk, (size_t)nfiles);
	for (int i = 0; i < nfiles; i++) {
		msgpack_pack_map(&pk, 2);
		msg_pack_str(&pk, "source");
		msg_pack_str(&pk, argv[optind + i]);
		msg_pack_str(&pk, "json");
		msgpack_pack_str_with_body(&pk, texts[i], lens[i]);
	}
	msg_end(&req, 0);
	msgpack_zone zone;
	msgpack_zone_init(&zone, 4096);
	msgpack_object o;
	if (cli_call(cli, &req, &resp, &zone, &o, &err)) {
		rc = cli_fail(&err);
	} else {
		const msgpack_object *res = msg_get(&o, "results");
		json_t *arr = json_array();
		for (uint32_t i = 0; res && res->type == MSGPACK_OBJECT_ARRAY && i < res->via.array.size; i++) {
			const msgpack_object *r = &res->via.array.ptr[i];
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
			if (cli->json) {
				json_t *j = json_object();
				json_object_set_new(j, "kind", json_string(kind));
				json_object_set_new(j, "id", json_string(id));
				json_object_set_new(j, "version", json_integer((json_int_t)version));
				json_object_set_new(j, "content_id", json_string(hex));
				json_object_set_new(j, "source", json_string(src));
				json_array_append_new(arr, j);
			} else {
				printf("published %s/%s version %llu content %s\n", kind, id,
				       (unsigned long long)version, hex);
			}
		}
		if (cli->json)
			cli_print_json(arr);
		json_decref(arr);
	}
	msgpack_zone_destroy(&zone);
	gl_buf_free(&req);
	gl_buf_free(&resp);
out:
	for (int i = 0; i < nfiles; i++)
		free(texts[i]);
	free(texts);
	free(lens);
	(void)worst;
	return rc;
}

/* Split "KIND/ID"; returns 0 or prints a usage error. */
static int parse_kind_id(const struct cmd *me, const char *arg, int *kind, char *id, size_t idn)
{
	const char *slash = strchr(arg, '/');
	if (!slash || !(*kind = record_kind_parse(arg, (size_t)(slash - arg))) ||
	    !record_id_valid(slash + 1, strlen(slash + 1)) || strlen(slash + 1) >= idn) {
		cli_usage(me, "\"%s\" is not KIND/ID (for example offer/starter-loan)", arg);
		return -1;
	}
	strcpy(id, slash + 1);
	return 0;
}

int cmd_retract(struct cli *cli, int argc, char **argv)
{
	const struct cmd *me = cmd_find("retract");
	static const struct option lo[] = { CLI_COMMON_LONG, { NULL, 0, NULL, 0 } };
	int c;
	while ((c = getopt_long(argc, argv, ":" CLI_COMMON_SHORT, lo, NULL)) != -1) {
		int h = cli_common(cli, me, c, optarg, argv);
		if (h <= 0)
			return h < 0 ? EXIT_USAGE : cli_usage(me, "unknown option %s", argv[optind - 1]);
	}
	if (argc - optind != 1)
		return cli_usage(me, "name exactly one KIND/ID");
	int kind;
	char id[GL_ID_MAX + 1];
	if (parse_kind_id(me, argv[optind], &kind, id, sizeof id))
		return EXIT_USAGE;
	struct gl_buf req = { 0 }, resp = { 0 };
	msgpack_packer pk;
	msg_begin(&req, &pk);
	msgpack_pack_map(&pk, 3);
	msg_pack_str(&pk, "op");
	msg_pack_str(&pk, "retract");
	msg_pack_str(&pk, "kind");
	msg_pack_str(&pk, record_kind_name(kind));
	msg_pack_str(&pk, "id");
	msg_pack_str(&pk, id);
	msg_end(&req, 0);
	msgpack_zone zone;
	msgpack_zone_init(&zone, 1024);
	msgpack_object o;
	struct gl_error err = { 0 };
	int rc = EXIT_OK;
	if (cli_call(cli, &req, &resp, &zone, &o, &err)) {
		rc = cli_fail(&err);
	} else {
		const msgpack_object *res = msg_get(&o, "results");
		uint64_t version = 0;
		if (res && res->type == MSGPACK_OBJECT_ARRAY && res->via.array.size == 1)
			msg_get_uint(&res->via.array.ptr[0], "version", &version);
		if (cli->json) {
			json_t *j = json_object();
			json_object_set_new(j, "kind", json_string(record_kind_name(kind)));
			json_object_set_new(j, "id", json_string(id));
			json_object_set_new(j, "version", json_integer((json_int_t)version));
			json_object_set_new(j, "retracted", json_true());
			cli_print_json(j);
			json_decref(j);
		} else {
			printf("retracted %s/%s (tombstone version %llu)\n", record_kind_name(kind), id,
			       (unsigned long long)version);
		}
	}
	msgpack_zone_destroy(&zone);
	gl_buf_free(&req);
	gl_buf_free(&resp);
	return rc;
}

struct list_ctx {
	struct cli *cli;
	json_t *arr;
	unsigned count;
	bool all;      /* include node, endorse and revoke records */
};

/* The kinds a directory reader looks for; the rest run the federation. */
static bool directory_kind(int kind)
{
	return kind == RK_PARTNER || kind == RK_OFFER || kind == RK_EVENT || kind == RK_NEWS;
}

static void short_key(const uint8_t *pk, char *out)
{
	char key[IDENT_TEXT_MAX];
	ident_format(IDENT_PK_PREFIX, pk, key);
	snprintf(out, 24, "%.16s…", key);
}

static int list_visit(void *vctx, const struct store_entry *e)
{
	struct list_ctx *lc = vctx;
	if (!lc->all && !directory_kind(e->kind))
		return 0;
	lc->count++;
	if (lc->cli->json) {
		json_array_append_new(lc->arr, view_entry_json(e));
		return 0;
	}
	char who[32];
	short_key(e->author, who);
	char *title = cli_title(e, lc->cli->lang);
	printf("%s/%.*s\t%s\t%s\n", record_kind_name(e->kind), (int)e->id_len, e->id, who,
	       title ? title : "");
	free(title);
	return 0;
}

int cmd_list(struct cli *cli, int argc, char **argv)
{
	const struct cmd *me = cmd_find("list");
	static const struct option lo[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "author", required_argument, NULL, 'a' },
		{ "all", no_argument, NULL, 'A' },
		CLI_COMMON_LONG,
		{ NULL, 0, NULL, 0 },
	};
	struct store_filter f = { 0 };
	bool all = false;
	uint8_t author[32];
	int c;
	while ((c = getopt_long(argc, argv, ":k:a:A" CLI_COMMON_SHORT, lo, NULL)) != -1) {
		int h = cli_common(cli, me, c, optarg, argv);
		if (h < 0)
			return EXIT_USAGE;
		if (h)
			continue;
		struct gl_error e;
		switch (c) {
		case 'k':
			if (!(f.kind = record_kind_parse(optarg, strlen(optarg))))
				return cli_usage(me, "--kind: unknown kind \"%s\" (partner, offer, event, "
				                     "news, endorse, revoke, node)", optarg);
			break;
		case 'a':
			if (ident_parse(IDENT_PK_PREFIX, optarg, "--author", author, &e))
				return cli_usage(me, "%s", e.msg);
			f.author = author;
			break;
		case 'A':
			all = true;
			break;
		default:
			return cli_usage(me, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage(me, "unexpected argument \"%s\"", argv[optind]);
	struct gl_error err = { 0 };
	struct store *s;
	struct store_txn *t;
	if (cli_read_store(cli, &s, &t, &err))
		return cli_fail(&err);
	struct list_ctx lc = { .cli = cli, .arr = json_array(), .all = all || f.kind };
	int rc = store_scan(t, &f, list_visit, &lc, &err);
	store_abort(t);
	store_close(s);
	if (rc) {
		json_decref(lc.arr);
		return cli_fail(&err);
	}
	if (cli->json)
		cli_print_json(lc.arr);
	json_decref(lc.arr);
	return EXIT_OK;
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
		printf("%*s%s:", indent, "", k);
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
	(void)indent;
	if (is_langmap(v)) {
		json_t *wrap = json_object();
		json_object_set(wrap, "t", v);
		printf("%s", view_text(wrap, "t", lang));
		json_decref(wrap);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *m;
		json_array_foreach(v, i, m) {
			printf("%s", i ? ", " : "");
			print_value(m, lang, indent);
		}
	} else if (json_is_string(v)) {
		printf("%s", json_string_value(v));
	} else {
		char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		printf("%s", s ? s : "");
		free(s);
	}
}

int cmd_get(struct cli *cli, int argc, char **argv)
{
	const struct cmd *me = cmd_find("get");
	static const struct option lo[] = {
		{ "author", required_argument, NULL, 'a' },
		CLI_COMMON_LONG,
		{ NULL, 0, NULL, 0 },
	};
	uint8_t author[32];
	bool have_author = false;
	int c;
	while ((c = getopt_long(argc, argv, ":a:" CLI_COMMON_SHORT, lo, NULL)) != -1) {
		int h = cli_common(cli, me, c, optarg, argv);
		if (h < 0)
			return EXIT_USAGE;
		if (h)
			continue;
		struct gl_error e;
		if (c != 'a')
			return cli_usage(me, "unknown option %s", argv[optind - 1]);
		if (ident_parse(IDENT_PK_PREFIX, optarg, "--author", author, &e))
			return cli_usage(me, "%s", e.msg);
		have_author = true;
	}
	if (argc - optind != 1)
		return cli_usage(me, "name exactly one KIND/ID");
	int kind;
	char id[GL_ID_MAX + 1];
	if (parse_kind_id(me, argv[optind], &kind, id, sizeof id))
		return EXIT_USAGE;
	struct gl_error err = { 0 };
	struct store *s;
	struct store_txn *t = NULL;
	struct cli_node m;
	if (cli_open_store(cli, &s, &err))
		return cli_fail(&err);
	int rc = 0;
	if (!have_author) {
		if ((rc = cli_node_meta(s, &m, &err)))
			goto out;
		memcpy(author, m.pk, 32);
	}
	if ((rc = store_begin(s, false, &t, &err)))
		goto out;
	struct store_entry e;
	if ((rc = store_get(t, author, kind, id, strlen(id), &e, &err)))
		goto out;
	if (e.tombstone) {
		char ts[32];
		rc = gl_errorf(&err, GL_ENOTFOUND, "%s/%s was retracted (at %s)", record_kind_name(kind),
		               id, clock_format(e.issued, ts));
		goto out;
	}
	json_t *o = view_entry_json(&e);
	if (cli->json) {
		cli_print_json(o);
	} else {
		char key[IDENT_TEXT_MAX];
		ident_format(IDENT_PK_PREFIX, e.author, key);
		printf("%s/%s by %s\n", record_kind_name(kind), id, key);
		json_t *body = json_deep_copy(o);
		static const char *const meta[] = { "author", "kind", "id" };
		for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++)
			json_object_del(body, meta[i]);
		print_fields(body, cli->lang, 0);
		json_decref(body);
	}
	json_decref(o);
out:
	store_abort(t);
	store_close(s);
	return rc ? cli_fail(&err) : EXIT_OK;
}
