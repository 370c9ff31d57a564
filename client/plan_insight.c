/*
 * plan_insight.c — asking once, and sending progress events for gilde
 * plan (plan_insight.h).
 */
#include "client/plan_insight.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/planfile.h"
#include "proto/clock.h"
#include "proto/msg.h"
#include "query/insight.h"

/* What the node says: does it collect, and its k (0: unknown). */
struct node_insight {
	bool collecting;
	uint64_t k;
};

/* Ask the node over its control socket; err says why not. */
static int ask_node(struct cli *cli, const char *action, const char *field, const char *value,
                    struct cli_answer *ans, struct gl_error *err)
{
	struct gl_buf req = { 0 };
	msgpack_packer pk;
	msg_begin(&req, &pk);
	msgpack_pack_map(&pk, value ? 3 : 2);
	msg_pack_str(&pk, "op");
	msg_pack_str(&pk, "insight");
	msg_pack_str(&pk, "action");
	msg_pack_str(&pk, action);
	if (value) {
		msg_pack_str(&pk, field);
		msg_pack_str(&pk, value);
	}
	return cli_request(cli, &req, ans, err);
}

static struct node_insight node_status(struct cli *cli)
{
	struct node_insight ni = { false, 0 };
	struct cli_answer ans;
	struct gl_error err = { 0 };
	if (ask_node(cli, "status", NULL, NULL, &ans, &err))
		return ni; /* no daemon, or one without insight: nothing to ask */
	msg_get_bool(&ans.o, "collecting", &ni.collecting);
	msg_get_uint(&ans.o, "k", &ni.k);
	cli_answer_free(&ans);
	return ni;
}

static const char *token_of(const json_t *plan)
{
	const json_t *i = json_object_get(plan, "insight");
	return json_is_true(json_object_get(i, "consent"))
	       ? json_string_value(json_object_get(i, "token")) : NULL;
}

static void agree(json_t *plan)
{
	uint8_t raw[16];
	char token[INSIGHT_TOKEN_LEN + 2];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(token, sizeof token, raw, sizeof raw,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	json_object_set_new(plan, "insight", json_pack("{s:b, s:s}", "consent", 1, "token", token));
}

/* The question, in plain words, and the answer; true for yes. */
static bool ask_starter(uint64_t k)
{
	fprintf(stderr, _(
	        "\nThe node this plan uses can help the city improve its support for starters,\n"
	        "anonymously. If you agree, gilde plan sends that node, and no one else, a short\n"
	        "note each time you make, refresh or tick off a step of this plan, choose a\n"
	        "partner, or say no offer fits: the kind of starter you are (phase, first\n"
	        "sector, kind of business, student or not, from abroad or not, side or main\n"
	        "activity), the need, the partner you chose, the week (never the day or the\n"
	        "time), and a random number kept in your plan file so that your steps can be\n"
	        "put in order. Not your name, your other answers or your notes. The city sees\n"
	        "only totals of at least %llu starters. `gilde plan insight sent` shows what\n"
	        "was sent, `gilde plan insight withdraw` deletes it, whenever you like.\n"
	        "Help the city, anonymously? [y/N] "), (unsigned long long)(k ? k : 10));
	char line[64];
	if (!fgets(line, sizeof line, stdin))
		return false;
	return line[0] == 'y' || line[0] == 'Y' || line[0] == 'j' || line[0] == 'J';
}

/* ---- the events ------------------------------------------------------------------ */

static json_t *bucket_of(const json_t *profile)
{
	json_t *b = json_object();
	json_t *phase = json_object_get(profile, "phase");
	json_object_set(b, "phase", phase ? phase : json_string("idea"));
	json_t *sector = json_array_get(json_object_get(profile, "sectors"), 0);
	if (sector)
		json_object_set(b, "sector", sector);
	static const char *const copied[] = { "activity", "student", "international",
	                                      "side_activity" };
	for (size_t i = 0; i < sizeof copied / sizeof copied[0]; i++)
		if (json_object_get(profile, copied[i]))
			json_object_set(b, copied[i], json_object_get(profile, copied[i]));
	return b;
}

/* Send one event; false after saying on stderr why it was not taken. */
static bool send_event(struct cli *cli, const json_t *plan, const char *step, const json_t *item)
{
	char week[INSIGHT_WEEK_TEXT];
	insight_week_format(insight_week_of(clock_now()), week);
	json_t *ev = json_pack("{s:s, s:s, s:o, s:s, s:O}", "token", token_of(plan), "week", week,
	                       "bucket", bucket_of(json_object_get(plan, "profile")), "step", step,
	                       "need", json_object_get(item, "need"));
	const json_t *c = json_object_get(item, "chosen");
	if (ev && !strcmp(step, "chosen")) {
		json_t *p = json_pack("{s:O}", "author", json_object_get(c, "author"));
		if (p && json_object_get(c, "partner_id"))
			json_object_set(p, "id", json_object_get(c, "partner_id"));
		json_object_set_new(ev, "partner", p);
	}
	char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
	json_decref(ev);
	struct cli_answer ans;
	struct gl_error err = { 0 };
	int rc = text ? ask_node(cli, "event", "json", text, &ans, &err)
	              : gl_errorf(&err, GL_EINVAL, "this plan's step cannot be described");
	free(text);
	if (rc) {
		cli_error("the node did not take the anonymous step: %s", err.msg);
		return false;
	}
	cli_answer_free(&ans);
	return true;
}

static bool send_listed(struct cli *cli, const json_t *plan)
{
	size_t i;
	json_t *it;
	bool ok = true;
	json_array_foreach(json_object_get(plan, "items"), i, it)
		ok = ok && send_event(cli, plan, "listed", it);
	return ok;
}

/* ---- gilde plan insight ARG -------------------------------------------------------- */

static int show_sent(struct cli *cli, const json_t *plan)
{
	struct cli_answer ans;
	struct gl_error err = { 0 };
	const char *v;
	size_t len;
	if (!token_of(plan)) {
		printf("%s", cli->json ? "[]\n" : _("You have not agreed to help: nothing was sent.\n"));
		return EXIT_OK;
	}
	if (ask_node(cli, "sent", "token", token_of(plan), &ans, &err))
		return cli_fail(&err);
	json_t *events = msg_get_str(&ans.o, "events", &v, &len) ? json_loadb(v, len, 0, NULL) : NULL;
	cli_answer_free(&ans);
	if (cli->json) {
		cli_print_json(events ? events : json_array());
	} else {
		size_t i;
		json_t *e;
		printf(P_("The node holds %zu step from this plan:\n",
		          "The node holds %zu steps from this plan:\n", json_array_size(events)),
		       json_array_size(events));
		json_array_foreach(events, i, e) {
			char *bucket = json_dumps(json_object_get(e, "bucket"), JSON_COMPACT | JSON_SORT_KEYS);
			printf("  %s  %-7s %s  %s\n", json_string_value(json_object_get(e, "week")),
			       json_string_value(json_object_get(e, "step")),
			       json_string_value(json_object_get(e, "need")), bucket ? bucket : "");
			free(bucket);
		}
	}
	json_decref(events);
	return EXIT_OK;
}

static int withdraw(struct cli *cli, json_t *plan, bool *changed)
{
	struct cli_answer ans;
	struct gl_error err = { 0 };
	uint64_t n = 0;
	if (token_of(plan)) {
		if (ask_node(cli, "withdraw", "token", token_of(plan), &ans, &err))
			return cli_fail(&err);
		msg_get_uint(&ans.o, "withdrawn", &n);
		cli_answer_free(&ans);
	}
	json_object_set_new(plan, "insight", json_pack("{s:b}", "consent", 0));
	*changed = true;
	printf(P_("Withdrawn: the node deleted the %llu step this plan sent; nothing more will be "
	          "sent.\n", "Withdrawn: the node deleted the %llu steps this plan sent; nothing more "
	          "will be sent.\n", n), (unsigned long long)n);
	return EXIT_OK;
}

static int insight_verb(struct cli *cli, json_t *plan, const char *arg, bool *changed,
                        bool *printed)
{
	*printed = true;
	if (!strcmp(arg, "sent"))
		return show_sent(cli, plan);
	if (!strcmp(arg, "withdraw"))
		return withdraw(cli, plan, changed);
	if (!strcmp(arg, "off")) {
		if (token_of(plan))
			printf("%s", _("Nothing more will be sent. What was sent stays until you withdraw it "
			               "(gilde plan insight withdraw).\n"));
		json_object_set_new(plan, "insight", json_pack("{s:b}", "consent", 0));
		*changed = true;
		return EXIT_OK;
	}
	if (strcmp(arg, "on")) {
		cli_error(_("gilde plan insight: on, off, sent or withdraw, not \"%s\""), arg);
		return EXIT_USAGE;
	}
	struct node_insight ni = node_status(cli);
	if (!ni.collecting) {
		cli_error("%s", _("the node gilde talks to collects no anonymous steps ([insight] is off, "
		                "or gilded is not running): nothing would be sent"));
		return EXIT_FAIL;
	}
	if (!token_of(plan)) {
		agree(plan);
		*changed = true;
	}
	printf("%s", _("Thank you: this plan's steps go to the node anonymously from now on.\n"));
	return send_listed(cli, plan) ? EXIT_OK : EXIT_FAIL;
}

int plan_insight(struct cli *cli, json_t *plan, const char *verb, const char *arg,
                 bool *changed, bool *printed)
{
	*changed = *printed = false;
	if (!strcmp(verb, "insight"))
		return insight_verb(cli, plan, arg, changed, printed);
	bool first = !strcmp(verb, "init") || !strcmp(verb, "import");
	if (first && !json_object_get(plan, "insight") && isatty(STDIN_FILENO) &&
	    isatty(STDERR_FILENO)) {
		struct node_insight ni = node_status(cli);
		if (ni.collecting) {
			if (ask_starter(ni.k))
				agree(plan);
			else
				json_object_set_new(plan, "insight", json_pack("{s:b}", "consent", 0));
			*changed = true;
		}
	}
	if (!token_of(plan)) {
		if (strcmp(verb, "nofit"))
			return EXIT_OK;
		cli_error("you have not agreed to help the city anonymously: gilde plan insight on");
		return EXIT_FAIL;
	}
	if (first || !strcmp(verb, "refresh")) {
		send_listed(cli, plan); /* said on stderr if not taken: the plan stands */
		return EXIT_OK;
	}
	json_t *item = arg ? planfile_item(plan, arg) : NULL;
	if (!item)
		return EXIT_OK;
	if (!strcmp(verb, "nofit")) {
		*printed = true;
		if (!send_event(cli, plan, "nofit", item))
			return EXIT_FAIL;
		printf(_("Sent, anonymously: no offer here fits you for %s.\n"),
		       json_string_value(json_object_get(item, "need")));
		return EXIT_OK;
	}
	if (!strcmp(verb, "done") && json_is_true(json_object_get(item, "done")))
		send_event(cli, plan, "done", item);
	else if (!strcmp(verb, "choose") && json_object_get(item, "chosen"))
		send_event(cli, plan, "chosen", item);
	return EXIT_OK;
}
