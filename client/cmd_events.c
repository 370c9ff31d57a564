/*
 * gilde events — the occurrences of events in a window, in start order,
 * recurring events expanded (daemon/query/events.h), as lines, as JSON or
 * as an iCalendar file: the JSON and the calendar are the web API's
 * (query/calendar.h), from the same expansion.
 */
#include <string.h>

#include "proto/body.h"
#include "proto/clock.h"
#include "client/cmd.h"
#include "query/calendar.h"
#include "query/events.h"
#include "query/ics.h"
#include "schemas/recurrence.h"
#include "schemas/schema.h"

enum { OPT_FROM = 2000, OPT_TO, OPT_SECTOR, OPT_PHASE, OPT_ICS };

struct events_opts {
	struct events_filter f;
	const char *ics; /* --ics FILE ("-": stdout), or NULL */
};

struct events_ctx {
	struct cli *cli;
	struct store_txn *t;
	unsigned count; /* occurrences printed, events written */
};

/* DATE (YYYY-MM-DD, 00:00 UTC) or an RFC 3339 date-time; -1 if neither. */
static int parse_when(const struct cmd *me, const char *opt, const char *arg, int64_t *out)
{
	if (clock_parse(arg, out) != 0) {
		cli_usage(me, _("%s: \"%s\" is neither a date (YYYY-MM-DD, taken as 00:00 UTC) nor an "
		                "RFC 3339 date-time (2027-03-18T19:00:00+01:00)"), opt, arg);
		return -1;
	}
	return 0;
}

/* Check value against the taxonomy's list of sectors or phases. */
static int check_term(const struct cmd *me, const char *what, const char *value)
{
	struct schema_set *set;
	schema_set_open(&set);
	json_t *defs = json_object_get(schema_set_file(set, "taxonomy.json"), "$defs");
	json_t *list = json_object_get(json_object_get(defs, what), "enum");
	/* without a list (an older taxonomy) every value passes */
	bool ok = json_array_size(list) == 0;
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) {
		ok = ok || !strcmp(json_string_value(v), value);
	}
	if (!ok) {
		struct gl_buf known = { 0 };
		json_array_foreach(list, i, v) {
			if (i)
				gl_buf_append(&known, ", ", 2);
			gl_buf_append(&known, json_string_value(v), strlen(json_string_value(v)));
		}
		gl_buf_append(&known, "", 1);
		cli_usage(me, _("--%s: unknown %s \"%s\"; one of: %s (gilde taxonomy %s)"), what, what,
		          value, (const char *)known.data, what);
		gl_buf_free(&known);
	}
	schema_set_free(set);
	return ok ? 0 : -1;
}

/* gilde events's own options, into its events_opts. */
struct events_take {
	const struct cmd *me;
	struct events_opts *o;
};

static int events_option(void *ctx, int c, const char *arg)
{
	struct events_take *et = ctx;
	struct events_opts *o = et->o;
	switch (c) {
	case OPT_FROM:
		return parse_when(et->me, "--from", arg, &o->f.from) ? EXIT_USAGE : 0;
	case OPT_TO:
		return parse_when(et->me, "--to", arg, &o->f.to) ? EXIT_USAGE : 0;
	case OPT_SECTOR:
		o->f.sector = arg;
		return check_term(et->me, "sector", arg) ? EXIT_USAGE : 0;
	case OPT_PHASE:
		o->f.phase = arg;
		return check_term(et->me, "phase", arg) ? EXIT_USAGE : 0;
	default: /* OPT_ICS */
		o->ics = arg;
		return 0;
	}
}

/* Returns 0, or the exit code of a usage error (or of --help). */
static int parse_opts(struct cli *cli, const struct cmd *me, int argc, char **argv,
                      struct events_opts *o)
{
	static const struct option own[] = {
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "sector", required_argument, NULL, OPT_SECTOR },
		{ "phase", required_argument, NULL, OPT_PHASE },
		{ "ics", required_argument, NULL, OPT_ICS },
		{ NULL, 0, NULL, 0 },
	};
	*o = (struct events_opts){ .f = { .from = (int64_t)clock_now(), .to = EVENTS_OPEN_END } };
	struct events_take et = { .me = me, .o = o };
	struct cli_opts opts = { .lo = own, .take = events_option, .ctx = &et };
	int rc = cli_options(cli, me, argc, argv, &opts);
	if (rc)
		return rc;
	if (o->f.to <= o->f.from)
		return cli_usage(me, "%s", _("--to must be later than --from (default: now)"));
	if (o->ics && !strcmp(o->ics, "-") && cli->json)
		return cli_usage(me, "%s", _("--ics - writes the calendar on stdout; leave out --json"));
	/* a published calendar says CANCELLED, so subscribers drop the event */
	o->f.include_cancelled = o->ics != NULL;
	return 0;
}

/* Longer than any date-time the schema allows (25 bytes, common.json). */
#define START_TEXT_MAX 64

/* "2027-03-18 19:00  Title (Partner) — place", the start in Brussels time. */
static void print_line(struct events_ctx *ec, const struct store_entry *e, const uint8_t *body,
                       size_t len, const char *start)
{
	char *title = view_body_text(body, len, "name", ec->cli->lang);
	char *partner = view_body_str(body, len, "partner");
	char *who = view_partner_name(ec->t, e->author, partner, ec->cli->lang);
	char *where = ics_location_text(body, len);
	printf("%.10s %.5s  ", start, start + 11);
	cli_put(stdout, title ? title : "", -1);
	if (who) {
		printf(" (");
		cli_put(stdout, who, -1);
		putchar(')');
	}
	if (where) {
		printf(" — ");
		cli_put(stdout, where, -1);
	}
	printf("\n");
	free(where);
	free(who);
	free(partner);
	free(title);
}

static int print_occurrence(void *vctx, const struct events_occurrence *o)
{
	struct events_ctx *ec = vctx;
	struct record r = { .body = NULL }; /* untouched if it does not parse: no start */
	char when[START_TEXT_MAX];
	record_parse_held(o->e->env, o->e->env_len, &r, NULL);
	/* without time zone data (then nothing recurs), the start as written */
	if (!recurrence_local_text(o->start, when) &&
	    !body_str_copy(r.body, r.body_len, "start", when, sizeof when))
		return 0;
	if (strlen(when) >= 16) {
		print_line(ec, o->e, r.body, r.body_len, when);
		ec->count++;
	}
	return 0;
}

/* --ics: the calendar to path; say where, unless it went to stdout or --json speaks. */
static int write_calendar(struct events_ctx *ec, const struct events_filter *f, const char *path,
                          struct gl_error *err)
{
	struct calendar_ics cal;
	int rc = calendar_events_ics(ec->t, f, EVENTS_LIST_MAX, ec->cli->lang, &cal, err);
	if (rc)
		return rc;
	if (cal.skipped)
		cli_error(P_("%u event left out of the calendar: libical cannot write its times",
		             "%u events left out of the calendar: libical cannot write their times",
		             cal.skipped), cal.skipped);
	rc = ics_write(path, cal.text, err);
	free(cal.text);
	ec->count = cal.events;
	if (!rc && strcmp(path, "-") && !ec->cli->json)
		printf(P_("wrote %u event to %s\n", "wrote %u events to %s\n", cal.events), cal.events,
		       path);
	return rc;
}

/* An empty answer, said: from when, until when, for what. */
static void say_none(const struct cli *cli, const struct events_filter *f)
{
	char from[32], to[32];
	clock_format((uint64_t)f->from, from);
	clock_format((uint64_t)(f->to > 0 ? f->to : 0), to);
	if (f->to != EVENTS_OPEN_END)
		cli_note(cli, _("No events between %.10s and %.10s%s."), from, to,
		         f->sector || f->phase ? _(" for that sector or phase") : "");
	else
		cli_note(cli, _("No events from %.10s on%s."), from,
		         f->sector || f->phase ? _(" for that sector or phase") : "");
}

int cmd_events(struct cli *cli, int argc, char **argv)
{
	const struct cmd *me = cmd_find("events");
	struct events_opts o;
	int urc = parse_opts(cli, me, argc, argv, &o);
	if (urc)
		return urc;
	struct gl_error err = { 0 };
	struct store *s = NULL;
	struct events_ctx ec = { .cli = cli };
	json_t *arr = NULL;
	bool more = false;
	int rc = cli_read_store(cli, &s, &ec.t, &err);
	if (rc)
		goto out;
	if (o.ics)
		rc = write_calendar(&ec, &o.f, o.ics, &err);
	else if (cli->json && !(rc = calendar_events(ec.t, &o.f, EVENTS_LIST_MAX, &arr, &more, &err)))
		cli_print_json(arr);
	else if (!cli->json)
		rc = events_occurrences(ec.t, &o.f, EVENTS_LIST_MAX, EVENTS_PER_EVENT_MAX,
		                        print_occurrence, &ec, &more, &err);
	if (!rc && more)
		cli_error(_("the window holds more occurrences than listed (at most %d, %d of one "
		            "event); narrow it with --from and --to"), EVENTS_LIST_MAX,
		          EVENTS_PER_EVENT_MAX);
	if (!rc && !o.ics && !(cli->json ? json_array_size(arr) : ec.count))
		say_none(cli, &o.f);
out:
	store_abort(ec.t);
	json_decref(arr);
	store_close(s);
	return rc ? cli_fail(&err) : EXIT_OK;
}
