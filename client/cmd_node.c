/* gilde id, status, network-key */
#include <sodium.h>
#include <string.h>

#include "proto/clock.h"
#include "client/cmd.h"
#include "proto/ident.h"
#include "schemas/jsonmp.h"
#include "proto/msg.h"
#include "proto/record.h"

int cmd_id(struct cli *cli, int argc, char **argv)
{
	const struct cmd *me = cmd_find("id");
	if (cli_common_only(cli, me, argc, argv, 0))
		return EXIT_USAGE;
	struct gl_error err = { 0 };
	struct store *s;
	struct cli_node m;
	if (cli_open_store(cli, &s, &err))
		return cli_fail(&err);
	if (cli_node_meta(s, &m, &err)) {
		store_close(s);
		return cli_fail(&err);
	}
	store_close(s);
	char key[IDENT_TEXT_MAX];
	ident_format(IDENT_PK_PREFIX, m.pk, key);
	if (cli->json) {
		json_t *o = json_object();
		json_object_set_new(o, "key", json_string(key));
		json_object_set_new(o, "name", json_string(m.name));
		cli_print_json(o);
		json_decref(o);
	} else {
		printf("%s %s\n", key, m.name);
	}
	return EXIT_OK;
}

static json_t *daemon_status(struct cli *cli)
{
	struct cli_answer ans;
	struct gl_error err;
	json_t *j = json_object();
	if (cli_request_op(cli, "status", &ans, &err)) {
		json_object_set_new(j, "running", json_false());
		if (err.code != GL_EUNAVAIL)
			json_object_set_new(j, "error", json_string(err.msg));
		return j;
	}
	const msgpack_object *o = &ans.o;
	uint64_t v;
	char text[1024];
	json_object_set_new(j, "running", json_true());
	static const char *const uints[] = { "pid", "uptime_ms", "published", "ingested",
	                                     "last_ingest_ms", "older", "rejected", "commits" };
	for (size_t i = 0; i < sizeof uints / sizeof uints[0]; i++)
		if (msg_get_uint(o, uints[i], &v))
			json_object_set_new(j, uints[i], json_integer((json_int_t)v));
	static const char *const maps[] = { "rejected_by", "web", "memory", "insight" };
	for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++) {
		const msgpack_object *m = msg_get(o, maps[i]);
		if (m && m->type == MSGPACK_OBJECT_MAP)
			json_object_set_new(j, maps[i], jsonmp_to_json(m));
	}
	static const char *const strs[] = { "version", "listen", "config", "store_error" };
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		if (msg_get_cstr(o, strs[i], text, sizeof text))
			json_object_set_new(j, strs[i], json_string(text));
	cli_answer_free(&ans);
	return j;
}

/* One figure of the daemon's "memory" answer, as human_size writes it. */
static const char *mem_figure(const json_t *mem, const char *key, char out[32])
{
	cli_human_size((uint64_t)json_integer_value(json_object_get(mem, key)), out, 32);
	return out;
}

/* gilde status --json: the node, its records, its store and the daemon d. */
static void status_json(const struct cli *cli, const char *key, const struct cli_node *nm,
                        const struct store_stats *st, json_t *d)
{
	json_t *o = json_object(), *recs = json_object(), *so = json_object();
	json_object_set_new(o, "key", json_string(key));
	json_object_set_new(o, "name", json_string(nm->name));
	json_object_set_new(o, "data", json_string(cli->data));
	json_object_set(o, "daemon", d);
	for (int k = RK_FIRST; k <= RK_LAST; k++)
		json_object_set_new(recs, record_kind_name(k), json_integer((json_int_t)st->live[k]));
	json_object_set_new(o, "records", recs);
	json_object_set_new(o, "live", json_integer((json_int_t)st->live_total));
	json_object_set_new(o, "retracted", json_integer((json_int_t)st->tombstones));
	json_object_set_new(so, "used_bytes", json_integer((json_int_t)st->used));
	json_object_set_new(so, "map_size", json_integer((json_int_t)st->map_size));
	json_object_set_new(so, "page_size", json_integer((json_int_t)st->page_size));
	json_object_set_new(so, "depth", json_integer(st->depth));
	/* the store's invariants (store.h): records = items = expiry entries,
	 * kinds = live records; of the items, entries_fresh not yet settled */
	json_object_set_new(so, "entries_records", json_integer((json_int_t)st->n_records));
	json_object_set_new(so, "entries_items", json_integer((json_int_t)st->n_items));
	json_object_set_new(so, "entries_fresh", json_integer((json_int_t)st->n_fresh));
	json_object_set_new(so, "entries_expiry", json_integer((json_int_t)st->n_expiry));
	json_object_set_new(so, "entries_kinds", json_integer((json_int_t)st->n_kinds));
	/* the offers' facts in one value, read fast (store/derived.h) */
	json_object_set_new(so, "facts_packed", json_boolean(st->facts_packed));
	json_object_set_new(o, "store", so);
	/* records committed, not yet indexed for search (textindex.h) */
	json_t *se = json_object();
	json_object_set_new(se, "index_behind", json_integer((json_int_t)st->text_behind));
	json_object_set_new(o, "search", se);
	cli_print_json(o);
	json_decref(o);
}

/* gilde status for a person. */
static void status_text(const struct cli *cli, const char *key, const struct cli_node *nm,
                        const struct store_stats *st, json_t *d)
{
	char used[32], map[32];
	cli_human_size(st->used, used, sizeof used);
	cli_human_size(st->map_size, map, sizeof map);
	printf(_("node     %s %s\n"), key, nm->name);
	printf(_("data     %s\n"), cli->data);
	json_t *web = json_object_get(d, "web");
	if (json_is_true(json_object_get(d, "running")))
		printf(_("daemon   running, pid %lld, up %llds, listening on %s\n"),
		       (long long)json_integer_value(json_object_get(d, "pid")),
		       (long long)json_integer_value(json_object_get(d, "uptime_ms")) / 1000,
		       json_string_value(json_object_get(d, "listen")));
	else
		printf(_("daemon   not running%s%s\n"), json_object_get(d, "error") ? ": " : "",
		       json_object_get(d, "error") ? json_string_value(json_object_get(d, "error")) : "");
	if (web)
		printf(_("web      http://%s/ (%lld requests, %lld refused by the rate limit)\n"),
		       json_string_value(json_object_get(web, "listen")),
		       (long long)json_integer_value(json_object_get(web, "requests")),
		       (long long)json_integer_value(json_object_get(web, "rate_limited")));
	json_t *ins = json_object_get(d, "insight");
	if (ins)
		printf(_("insight  %s, %lld progress events kept (gilde insight)\n"),
		       json_is_true(json_object_get(ins, "collecting")) ? _("collecting") : _("not collecting"),
		       (long long)json_integer_value(json_object_get(ins, "events")));
	printf(_("records  %llu live ("), (unsigned long long)st->live_total);
	for (int k = RK_FIRST, first = 1; k <= RK_LAST; k++) {
		if (!st->live[k])
			continue;
		printf("%s%s %llu", first ? "" : ", ", record_kind_name(k),
		       (unsigned long long)st->live[k]);
		first = 0;
	}
	printf(_("), %llu retracted\n"), (unsigned long long)st->tombstones);
	printf(_("store    %s used, may grow to %s\n"), used, map);
	if (st->text_behind)
		printf(_("search   %llu records not yet indexed (the daemon indexes them when idle)\n"),
		       (unsigned long long)st->text_behind);
	const char *serr = json_string_value(json_object_get(d, "store_error"));
	if (serr && *serr)
		printf(_("store    WRITES FAIL: %s\n"), serr);
	json_t *mem = json_object_get(d, "memory");
	if (mem) {
		char res[32], anon[32], file[32], peak[32];
		printf(_("memory   %s resident (%s own, %s of files: store pages, program), "
		         "at most %s\n"), mem_figure(mem, "resident", res),
		       mem_figure(mem, "anonymous", anon), mem_figure(mem, "file", file),
		       mem_figure(mem, "peak", peak));
	}
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	const struct cmd *me = cmd_find("status");
	if (cli_common_only(cli, me, argc, argv, 0))
		return EXIT_USAGE;
	struct gl_error err = { 0 };
	struct store *s;
	struct cli_node m;
	struct store_stats st;
	struct store_txn *t;
	if (cli_open_store(cli, &s, &err))
		return cli_fail(&err);
	if (cli_node_meta(s, &m, &err) || store_begin(s, false, &t, &err)) {
		store_close(s);
		return cli_fail(&err);
	}
	int rc = store_stats(t, STORE_COUNT_FAST, &st, &err);
	store_abort(t);
	store_close(s);
	if (rc)
		return cli_fail(&err);
	char key[IDENT_TEXT_MAX];
	ident_format(IDENT_PK_PREFIX, m.pk, key);
	json_t *d = daemon_status(cli);
	if (cli->json)
		status_json(cli, key, &m, &st, d);
	else
		status_text(cli, key, &m, &st, d);
	json_decref(d);
	return EXIT_OK;
}

int cmd_network_key(struct cli *cli, int argc, char **argv)
{
	const struct cmd *me = cmd_find("network-key");
	if (cli_common_only(cli, me, argc, argv, 0))
		return EXIT_USAGE;
	uint8_t key[32];
	char text[IDENT_TEXT_MAX];
	randombytes_buf(key, sizeof key);
	ident_format(IDENT_NET_PREFIX, key, text);
	sodium_memzero(key, sizeof key);
	if (cli->json) {
		json_t *o = json_object();
		json_object_set_new(o, "network_key", json_string(text));
		cli_print_json(o);
		json_decref(o);
	} else {
		printf("%s\n", text);
	}
	return EXIT_OK;
}
