/* gilde endorse, revoke, applications, members, rotate-key */
#include <string.h>

#include "proto/clock.h"
#include "client/cmd.h"
#include "client/lookup.h"
#include "proto/ident.h"
#include "schemas/jsonmp.h"
#include "proto/msg.h"
#include "proto/record.h"
#include "store/trust.h"

/* What gilde endorse or gilde revoke is told: each has its own options.
 * KEY and --replaces may name a partner (lookup.h); key_text and
 * replaces_text are the keys they mean. */
struct statement {
	bool revoke;
	const char *key, *name, *until, *replaces, *reason;
	char key_text[IDENT_TEXT_MAX], replaces_text[IDENT_TEXT_MAX];
};

static int statement_option(void *ctx, int c, const char *arg)
{
	struct statement *st = ctx;
	switch (c) {
	case 'n': st->name = arg; break;
	case 'u': st->until = arg; break;
	case 'r': st->replaces = arg; break;
	default: st->reason = arg; break; /* 'R' */
	}
	return 0;
}

/*
 * The keys KEY and --replaces mean: a key as it is, else (read from the
 * store) a partner's id or the start of its key, for KEY an application's
 * too.  0, or the exit code of what was printed.
 */
static int resolve_keys(struct cli *cli, struct statement *st)
{
	uint8_t k[32];
	struct store *s = NULL;
	struct store_txn *t = NULL;
	struct gl_error err = { 0 };
	const char *in[2] = { st->key, st->replaces };
	char *out[2] = { st->key_text, st->replaces_text };
	int rc = 0;
	for (int i = 0; i < 2 && !rc; i++) {
		if (!in[i] || ident_parse(IDENT_PK_PREFIX, in[i], "KEY", k, NULL) == 0) {
			snprintf(out[i], IDENT_TEXT_MAX, "%s", in[i] ? in[i] : "");
			continue;
		}
		if (!t && cli_read_store(cli, &s, &t, &err))
			return cli_fail(&err);
		if (!(rc = lookup_one_key(cli, t, i ? "--replaces" : "KEY", in[i], i == 0, k)))
			ident_format(IDENT_PK_PREFIX, k, out[i]);
	}
	store_abort(t);
	store_close(s);
	return rc;
}

/* Parse and check the command line into *st; 0 or an exit code. */
static int statement_args(struct cli *cli, const struct cmd *me, int argc, char **argv,
                          struct statement *st)
{
	static const struct option endorse_lo[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "until", required_argument, NULL, 'u' },
		{ "replaces", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct option revoke_lo[] = {
		{ "reason", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_opts opts = { .lo = st->revoke ? revoke_lo : endorse_lo,
		                 .take = statement_option, .ctx = st, .maxpos = -1 };
	int rc = cli_options(cli, me, argc, argv, &opts);
	if (rc)
		return rc;
	if (argc - optind != 1)
		return cli_usage(me, _("name exactly one KEY: ed25519:..., or a partner's id"));
	st->key = argv[optind];
	int64_t day;
	if (!st->revoke && (!st->name || !*st->name))
		return cli_usage(me, "%s", _("--name NAME is required: the partner's name as members "
		                             "will see it"));
	if (st->until && (strlen(st->until) != 10 || clock_parse(st->until, &day)))
		return cli_usage(me, _("--until must be a date, YYYY-MM-DD, not \"%s\""), st->until);
	return resolve_keys(cli, st);
}

/* What the daemon answered to a statement, for a person or a script. */
static void statement_done(struct cli *cli, const struct statement *st, uint64_t purged,
                           bool curator)
{
	if (cli->json) {
		json_t *j = json_object();
		json_object_set_new(j, "key", json_string(st->key_text));
		json_object_set_new(j, st->revoke ? "revoked" : "endorsed", json_true());
		json_object_set_new(j, "purged", json_integer((json_int_t)purged));
		json_object_set_new(j, "curator", json_boolean(curator));
		cli_print_json(j);
		json_decref(j);
	} else if (st->revoke) {
		printf(P_("revoked %s: %llu record removed here\n",
		          "revoked %s: %llu records removed here\n", purged), st->key_text,
		       (unsigned long long)purged);
	} else {
		if (st->until)
			printf(_("endorsed %s (%s) until %s\n"), st->key_text, st->name, st->until);
		else
			printf(_("endorsed %s (%s)\n"), st->key_text, st->name);
		if (st->replaces)
			printf(P_("revoked %s, which it replaces: %llu record removed here\n",
			          "revoked %s, which it replaces: %llu records removed here\n", purged),
			       st->replaces_text, (unsigned long long)purged);
	}
	if (!curator)
		cli_error("%s", _("note: this node is not one of its own curators ([federation] "
		                "curator); nodes follow only the curators they are configured with"));
}

static int statement(struct cli *cli, const struct cmd *me, int argc, char **argv, bool revoke)
{
	struct statement st = { .revoke = revoke };
	int rc = statement_args(cli, me, argc, argv, &st);
	if (rc)
		return rc;
	struct gl_buf req = { 0 };
	msgpack_packer pk;
	msg_begin(&req, &pk);
	const char *names[] = { "name", "until", "replaces", "reason" };
	const char *vals[] = { st.name, st.until, st.replaces, st.reason };
	uint32_t n = 2;
	for (int i = 0; i < 4; i++)
		n += vals[i] != NULL;
	msgpack_pack_map(&pk, n);
	msg_pack_str(&pk, "op");
	msg_pack_str(&pk, revoke ? "revoke" : "endorse");
	msg_pack_str(&pk, "key");
	msg_pack_str(&pk, st.key_text);
	vals[2] = st.replaces ? st.replaces_text : NULL;
	for (int i = 0; i < 4; i++)
		if (vals[i]) {
			msg_pack_str(&pk, names[i]);
			msg_pack_str(&pk, vals[i]);
		}
	struct cli_answer ans;
	struct gl_error err = { 0 };
	if (cli_request(cli, &req, &ans, &err))
		return cli_fail(&err);
	uint64_t purged = 0;
	bool curator = true;
	msg_get_uint(&ans.o, "purged", &purged);
	msg_get_bool(&ans.o, "curator", &curator);
	statement_done(cli, &st, purged, curator);
	cli_answer_free(&ans);
	return EXIT_OK;
}

int cmd_endorse(struct cli *cli, int argc, char **argv)
{
	return statement(cli, cmd_find("endorse"), argc, argv, false);
}

int cmd_revoke(struct cli *cli, int argc, char **argv)
{
	return statement(cli, cmd_find("revoke"), argc, argv, true);
}

struct apps_ctx {
	struct cli *cli;
	json_t *arr;
	unsigned count;
};

static int app_visit(void *vctx, const struct store_app *a)
{
	struct apps_ctx *ac = vctx;
	struct record r;
	ac->count++;
	char key[IDENT_TEXT_MAX], ts[32];
	ident_format(IDENT_PK_PREFIX, a->author, key);
	json_t *o = json_object();
	json_object_set_new(o, "key", json_string(key));
	json_object_set_new(o, "received", json_string(clock_format(a->received_ms / 1000, ts)));
	bool parsed = record_parse_held(a->env, a->env_len, &r, NULL) == 0 && r.body;
	if (ac->cli->json) {
		json_t *body = parsed ? jsonmp_body_to_json(r.body, r.body_len) : NULL;
		if (body) {
			json_object_set_new(o, "id", json_stringn(r.id, r.id_len));
			json_object_set_new(o, "partner", body);
		}
		json_array_append(ac->arr, o);
	} else {
		char *name = parsed ? view_body_text(r.body, r.body_len, "name", ac->cli->lang) : NULL;
		char *url = parsed ? view_body_str(r.body, r.body_len, "url") : NULL;
		/* the id first: gilde endorse takes it */
		printf("partner/%.*s  %s%s%s\n    %s, %s %s\n", parsed ? (int)r.id_len : 1,
		       parsed ? r.id : "?", name ? name : _("(no name)"), url ? "  " : "", url ? url : "",
		       key, _("received"), ts);
		free(url);
		free(name);
	}
	json_decref(o);
	return 0;
}

int cmd_applications(struct cli *cli, int argc, char **argv)
{
	struct cli_dir d = { 0 };
	int rc = cli_dir_command(cli, "applications", argc, argv, &d);
	if (rc)
		return rc;
	struct gl_error err = { 0 };
	struct apps_ctx ac = { .cli = cli, .arr = json_array() };
	struct trust_cfg cfg;
	bool curator = false;
	if (trust_cfg_load(d.t, &cfg, NULL) == 0) {
		curator = trust_is_curator(&cfg, cfg.own);
		trust_cfg_free(&cfg);
	}
	rc = store_app_scan(d.t, app_visit, &ac, &err);
	cli_dir_close(&d);
	if (!rc && cli->json)
		cli_print_json(ac.arr);
	else if (!rc && !ac.count)
		cli_note(cli, _("No applications: no partner profile from an unendorsed key has "
		                "reached this node%s."),
		         curator ? "" : _(" (only a curator's node keeps them)"));
	json_decref(ac.arr);
	return rc ? cli_fail(&err) : EXIT_OK;
}

struct members_ctx {
	struct cli *cli;
	struct trust_cfg *cfg;
	struct store_txn *t;
	json_t *arr;
	unsigned count;
};

static int member_visit(void *vctx, const struct store_entry *e)
{
	struct members_ctx *mc = vctx;
	struct record r;
	struct trust_statement st;
	if (!trust_is_curator(mc->cfg, e->author) || record_parse_held(e->env, e->env_len, &r, NULL) ||
	    trust_parse_statement(&r, &st, NULL))
		return 0;
	enum trust_verdict v;
	if (trust_check(mc->cfg, mc->t, st.key, clock_now(), &v, NULL))
		return 0;
	char key[IDENT_TEXT_MAX], by[IDENT_TEXT_MAX], ts[32], until[16] = "", old[IDENT_TEXT_MAX] = "";
	ident_format(IDENT_PK_PREFIX, st.key, key);
	ident_format(IDENT_PK_PREFIX, e->author, by);
	if (st.has_until) {
		clock_format((uint64_t)(st.until_end - 86400), ts);
		snprintf(until, sizeof until, "%.10s", ts);
	}
	if (st.has_replaces)
		ident_format(IDENT_PK_PREFIX, st.replaces, old);
	mc->count++;
	static const char *const status[] = { N_("member"), N_("not endorsed"), N_("revoked"),
		                              N_("expired") };
	json_t *o = json_object();
	json_object_set_new(o, "key", json_string(key));
	json_object_set_new(o, "name", json_string(st.name));
	json_object_set_new(o, "endorser", json_string(by));
	json_object_set_new(o, "endorsed", json_string(clock_format(e->issued, ts)));
	json_object_set_new(o, "until", *until ? json_string(until) : json_null());
	json_object_set_new(o, "replaces", *old ? json_string(old) : json_null());
	json_object_set_new(o, "status", json_string(status[v]));
	if (mc->cli->json)
		json_array_append(mc->arr, o);
	else
		printf(_("%-8s %s  %s  until %s  by %.24s…%s%s\n"), _(status[v]), key, st.name,
		       *until ? until : "-", by, *old ? _("  replaces ") : "", old);
	json_decref(o);
	return 0;
}

int cmd_members(struct cli *cli, int argc, char **argv)
{
	struct cli_dir d = { 0 };
	int rc = cli_dir_command(cli, "members", argc, argv, &d);
	if (rc)
		return rc;
	struct gl_error err = { 0 };
	struct store_txn *t = d.t;
	struct trust_cfg cfg;
	rc = trust_cfg_load(t, &cfg, &err);
	if (rc == GL_ENOTFOUND) {
		memset(&cfg, 0, sizeof cfg);
		rc = 0;
	}
	struct members_ctx mc = { .cli = cli, .cfg = &cfg, .t = t, .arr = json_array() };
	if (!rc && !cfg.ncurators && !cli->json)
		printf(cfg.nallow ? _("this node has no curators: it accepts only its own records and "
		                      "those of its allow list\n")
		                  : _("this node has no curators: it accepts only its own records\n"));
	struct store_filter f = { .kind = RK_ENDORSE };
	if (!rc)
		rc = store_scan(t, &f, member_visit, &mc, &err);
	cli_dir_close(&d);
	trust_cfg_free(&cfg);
	if (!rc && cli->json)
		cli_print_json(mc.arr);
	else if (!rc && !mc.count && cfg.ncurators)
		cli_note(cli, _("No endorsements by this node's curators here yet."));
	json_decref(mc.arr);
	return rc ? cli_fail(&err) : EXIT_OK;
}

int cmd_rotate_key(struct cli *cli, int argc, char **argv)
{
	const struct cmd *me = cmd_find("rotate-key");
	if (cli_common_only(cli, me, argc, argv, 0))
		return EXIT_USAGE;
	struct cli_answer ans;
	struct gl_error err = { 0 };
	if (cli_request_op(cli, "rotate-key", &ans, &err))
		return cli_fail(&err);
	char old[IDENT_TEXT_MAX + 1] = "", new[IDENT_TEXT_MAX + 1] = "";
	uint64_t n = 0, retired = 0;
	bool curated = false;
	msg_get_cstr(&ans.o, "old", old, sizeof old);
	msg_get_cstr(&ans.o, "new", new, sizeof new);
	msg_get_uint(&ans.o, "resigned", &n);
	msg_get_uint(&ans.o, "retired", &retired);
	msg_get_bool(&ans.o, "curated", &curated);
	cli_answer_free(&ans);
	if (cli->json) {
		json_t *j = json_pack("{s:s, s:s, s:I, s:I, s:b}", "old", old, "new", new, "resigned",
		                      (json_int_t)n, "retired", (json_int_t)retired, "curated", curated);
		cli_print_json(j);
		json_decref(j);
		return EXIT_OK;
	}
	printf(P_("new key %s (was %s); %llu record signed again with it\n",
	          "new key %s (was %s); %llu records signed again with it\n", n),
	       new, old, (unsigned long long)n);
	if (curated) {
		printf(P_("%llu record of the old key deleted here; other nodes keep the old copies "
		          "until your curator runs:\n",
		          "%llu records of the old key deleted here; other nodes keep the old copies "
		          "until your curator runs:\n", retired), (unsigned long long)retired);
		printf("  gilde endorse %s --name NAME --replaces %s\n", new, old);
	} else {
		printf(P_("%llu record of the old key retracted on every node that accepts it\n",
		          "%llu records of the old key retracted on every node that accepts it\n",
		          retired), (unsigned long long)retired);
		printf(_("nodes that list the old key in [federation] allow must list the new one\n"));
	}
	return EXIT_OK;
}
