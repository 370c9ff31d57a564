/*
 * gilde — the gilde client: query a node's directory, publish records.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client/cmd.h"
#include "gilde_config.h"

const struct cmd cmds[] = {
	{ "id", cmd_id, "id [--json]", N_("show this node's public key and name"),
	  N_("Reads the node's store, so it works while gilded is stopped.\n") },
	{ "status", cmd_status, "status [--json]", N_("show the store's contents and the daemon's state"),
	  N_("Counts records by kind from the store (works while gilded is stopped) and,\n"
	  "if gilded runs, adds its process id, uptime and counters.\n") },
	{ "match", cmd_match,
	  "match --phase P [--activity A] [--sector S]... [--need N]... [--student [--school S]]\n"
	  "              [--international] [--side-activity | --main-activity] [--research]\n"
	  "              [--takeover] [--bank-refused] [--jobseeker] [--prototype]\n"
	  "              [--staff-from-abroad] [--experienced yes|no]\n"
	  "              [--premises needed|online|have|mobile] [--employees N]\n"
	  "              [--company-age YEARS]\n"
	  "              [--speaks LANG]... [--area A] [--lang nl|en] [--explain] | --profile FILE",
	  N_("a starter's to-do list: the offers that fit, need by need"),
	  N_("The profile comes from the flags or from --profile FILE (a JSON object,\n"
	  "schemas/profile.schema.json).  Without --need, gilde proposes the needs\n"
	  "from the other answers, as a city adviser would (schemas/paths.json: a\n"
	  "shop first registers, finds a loan and premises; a foreign start-up\n"
	  "starts with soft landing); with --need, the list holds those needs, in\n"
	  "the order the paths give.  Every live offer is checked against the\n"
	  "profile; the ones that fit are listed under each need, exact answers\n"
	  "before general help, and offers for your next phase under \"later\".\n"
	  "Nothing leaves this machine.\n"
	  "  --school S      a student's school (gilde taxonomy lists them)\n"
	  "  --side-activity the business is started next to a job or studies\n"
	  "  --research      the idea comes out of research at a university or institute\n"
	  "  --takeover      you take over an existing business rather than start one\n"
	  "  --bank-refused  a bank turned you down for the loan the business needs\n"
	  "  --jobseeker     you are a jobseeker (registered as unemployed)\n"
	  "  --prototype     the product is a prototype, or a process still to test at\n"
	  "                  a larger scale or in practice, before it can be sold\n"
	  "  --staff-from-abroad  you will bring or hire employees from outside the EU\n"
	  "  --experienced yes|no  you have worked in this trade or profession before\n"
	  "                  (as an employee or on your own), or not\n"
	  "  --premises P    needed (shop, office, workshop, lab), online, have, or\n"
	  "                  mobile (at the customers' or on the road)\n"
	  "  --speaks LANG   a language you speak (nl, en, fr, de); repeat for more\n"
	  "  --explain       each offer's score, term by term\n"
	  "  --per-item N    offers shown per need (default 5; 0 all)\n"
	  "  GILDE_PATHS=FILE  try a city's own copy of schemas/paths.json\n") },
	{ "plan", cmd_plan,
	  "plan init --profile FILE [--force] | show | refresh | done ITEM | undo ITEM\n"
	  "             | choose ITEM OFFER | asked ITEM | note ITEM TEXT\n"
	  "             | export FILE [--force] | import FILE [--force]\n"
	  "             | nofit ITEM | insight on|off|sent|withdraw   [--plan FILE]",
	  N_("keep a personal to-do plan on this machine"),
	  N_("The plan lives in a file on this machine only ($XDG_DATA_HOME/gilde/plan.json\n"
	  "or --plan FILE), in the format the web page saves and opens\n"
	  "(schemas/plan.schema.json), so a plan moves between them.\n"
	  "  init      match the profile (a JSON file) and write a new plan\n"
	  "  show      the steps, the partner chosen for each and how to reach it\n"
	  "  refresh   match again against the current directory, keeping ticks,\n"
	  "            choices and notes, and listing offers that are gone\n"
	  "  done, undo  tick a step off, or not (ITEM: its number or its need)\n"
	  "  choose    record which offer (partner) you chose for a step: OFFER is\n"
	  "            its number under the step in show, its id or AUTHOR/ID;\n"
	  "            - chooses none\n"
	  "  asked     record that you asked the chosen partner for an appointment\n"
	  "  note      keep a note with a step (\"\" removes it)\n"
	  "  export    write the plan to FILE (- for stdout), for the web page\n"
	  "  import    make a plan file (saved by the web page) this machine's plan,\n"
	  "            matched again against this directory\n"
	  "  nofit     say, anonymously, that no offer here fits you for a step\n"
	  "  insight   on: help the city improve its support anonymously; off: stop;\n"
	  "            sent: what was sent; withdraw: delete it from the node\n"
	  "Nothing of the plan leaves this machine, but when the node gilde talks to\n"
	  "collects anonymous steps ([insight] in gilde.conf(5)) and you agree (init and\n"
	  "import ask once, on a terminal; or insight on): for each step listed, chosen,\n"
	  "ticked off or found wanting, the kind of starter you are (phase, first\n"
	  "sector, kind of business, student, from abroad, side activity), the need,\n"
	  "the partner chosen, the week and a random number kept in the plan, to that\n"
	  "node only.\n") },
	{ "events", cmd_events,
	  "events [--from DATE] [--to DATE] [--sector S] [--phase P] [--json] [--ics FILE]",
	  N_("upcoming events in start order; iCalendar export"),
	  N_("Events come from an index by start time, not from a scan.  A recurring\n"
	  "event is listed at each of its occurrences in the window (times in\n"
	  "Europe/Brussels; at most 1000 lines, 366 of one event).\n"
	  "  --from DATE    from this day (YYYY-MM-DD, 00:00 UTC) or RFC 3339 time;\n"
	  "                 default: now\n"
	  "  --to DATE      until this day or time (exclusive)\n"
	  "  --sector S, --phase P   only events for S or P (events without sectors\n"
	  "                 or phases are for everyone)\n"
	  "  --ics FILE     write an iCalendar file (FILE, or - for stdout), times in\n"
	  "                 Europe/Brussels; cancelled events are included as\n"
	  "                 STATUS:CANCELLED so subscribed calendars drop them; a\n"
	  "                 recurring event once, with its RRULE and EXDATEs\n") },
	{ "news", cmd_news, "news [--limit N] [--json] [--atom FILE [--self URL]]",
	  N_("the latest news across partners, newest first; Atom feed"),
	  N_("Each item: the day it was published, its title, its partner and its\n"
	  "summary, in --lang.\n"
	  "  --limit N      at most N items, 1 to 200 (default 20; 50 with --atom)\n"
	  "  --atom FILE    write an Atom feed (RFC 4287) to FILE, or - for stdout;\n"
	  "                 an entry keeps its id across updates of its record, and\n"
	  "                 its updated time moves with them\n"
	  "  --self URL     where the feed will be read, for its rel=\"self\" link\n"
	  "                 (default: FILE's name, relative to where it is served)\n") },
	{ "search", cmd_search,
	  "search TEXT... [--kind K] [--lang nl|en | --prefer nl|en] [--limit N] [--json]",
	  N_("full-text search over titles, descriptions, tags and partner names"),
	  N_("Case and accents do not matter (cafe finds café) and Dutch and English words\n"
	  "are stemmed (financieringen finds financiering; subsidies finds subsidie);\n"
	  "spin-off finds spinoff and back; the labels of a record's needs, sectors and\n"
	  "activities count (soft landing), and so does its partner's name.  Hits are\n"
	  "ranked by BM25: a word in a title counts three times one in a description,\n"
	  "a tag or the partner's name twice.  A word of two letters (up) counts only\n"
	  "beside a longer word of the search that the record holds too.\n"
	  "  --kind K     only records of kind K\n"
	  "  --lang L     stem the query as Dutch (nl) or English (en) only\n"
	  "  --prefer L   stem it in every language, records found in L first;\n"
	  "               titles in L\n"
	  "  --limit N    at most N hits (default: all)\n") },
	{ "gaps", cmd_gaps, "gaps [--by-sector] [--json]",
	  N_("where the offer has holes: offers per need and phase"),
	  N_("Counts, for each need and phase of the taxonomy, the live offers that\n"
	  "answer it (active, not past valid_until, the phase allowed) and the\n"
	  "partners behind them.  An offer counts for the needs it names and for\n"
	  "their broader needs: one for financing-loan counts for financing, one\n"
	  "for financing not for financing-loan.  A gap is a need and phase with no\n"
	  "offer, or with offers from a single partner: a starter there has no\n"
	  "choice.\n"
	  "  --by-sector    count per sector too, and list the gaps sector by sector\n"
	  "Where starters agreed to help (gilde insight), the gaps that matter come\n"
	  "first: each cell is weighed by how many of them needed it and chose or\n"
	  "found nothing; without such figures gilde gaps says so and counts offers.\n") },
	{ "taxonomy", cmd_taxonomy, "taxonomy [FACET...] [--json]",
	  N_("the terms profiles and offers use: needs, phases, sectors, areas, ..."),
	  N_("Every facet of schemas/taxonomy.json (or those named: need, phase, sector,\n"
	  "activity, area, org_type; plurals work too), each term with its id and its\n"
	  "label in --lang and in the other language, in the taxonomy's order:\n"
	  "needs in the order a starter meets them, narrower terms indented under\n"
	  "the broader one.  --json prints {FACET: [{id, label: {nl, en}, parent}]}.\n") },
	{ "map", cmd_map, "map [--sector S] [--json | --csv | --svg FILE]",
	  N_("the map of the ecosystem: who offers which help to which sector, by hub"),
	  N_("Every partner with a live offer, grouped by the hub it sits at (a science\n"
	  "park, an incubator's building), with where it is and, per need of the\n"
	  "taxonomy, its offers: * where some are made for particular sectors, the\n"
	  "others being open to every sector.\n"
	  "  --sector S     only offers for sector S (made for it, or open to all)\n"
	  "  --csv          one row per partner, need and sector, for a spreadsheet\n"
	  "  --svg FILE     draw the map as the node's page shows it (FILE, or - for\n"
	  "                 stdout), in --lang; it prints on one sheet per page width\n") },
	{ "screen", cmd_screen,
	  "screen [--answers FILE] [--answer ID=VALUE]... [--ask] [--save FILE]\n"
	  "               [--per-step N] | --questions | --check",
	  N_("the screening of a start-up or freelancer from abroad: a readiness report with partners"),
	  N_("The questions a landing programme asks (schemas/screening.json): how you\n"
	  "will work here (self-employed on your own, a company, a branch), home\n"
	  "country, what you sell, why Flanders and Ghent, what you want here; a\n"
	  "company's stage, team and funding; a freelancer's citizenship and\n"
	  "registration.  A question that is only for some answers is asked only\n"
	  "after them.  The answer is a readiness report: what is in place, what to\n"
	  "prepare and in which order, and for each step the partners and offers\n"
	  "the matcher finds, with its reasons.  On a terminal gilde asks the\n"
	  "questions; else give the answers.  Nothing leaves this machine.\n"
	  "  --answers FILE  the answers as a JSON object, question id -> answer\n"
	  "                  (- for stdin)\n"
	  "  --answer ID=VALUE  one answer (a list: comma-separated option ids;\n"
	  "                  yes/no; a number); repeat for more; over --answers\n"
	  "  --ask           ask the questions on stdin even if it is no terminal\n"
	  "  --save FILE     keep the answers in FILE, to run the report again\n"
	  "  --per-step N    offers shown per step (default 3; 0 all)\n"
	  "  --questions     list the questions, their ids, options' ids and when\n"
	  "                  they are asked\n"
	  "  --check         check the screening file and exit\n"
	  "  GILDE_SCREENING=FILE  a landing programme's own copy of screening.json\n"
	  "  GILDE_PATHS=FILE  a city's own copy of schemas/paths.json\n") },
	{ "insight", cmd_insight, "insight [--json]",
	  N_("how starters use the directory: anonymous figures of at least k starters"),
	  N_("On a city node that collects progress events ([insight] in gilde.conf(5)),\n"
	  "its latest release; on any node, the insight records city nodes published.\n"
	  "Per bucket of starters (phase, sector, kind of business, student, from\n"
	  "abroad, side activity; buckets of fewer than k starters merge into coarser\n"
	  "ones): the funnel of each need (listed, partner chosen, done, dropped, no\n"
	  "offer fits, found nothing), the partners chosen per need, and the common\n"
	  "orders of steps with the median weeks between them.  No figure counts\n"
	  "fewer than k starters, and a figure changes only once k starters moved it.\n") },
	{ "publish", cmd_publish, "publish FILE...", N_("validate, sign and store records written as JSON"),
	  N_("Each FILE holds one JSON object with \"kind\" (partner, offer, event, news),\n"
	  "\"id\" and the kind's fields (schemas/KIND.schema.json).  Every file is\n"
	  "checked first; if any is wrong nothing is published.  The daemon signs each\n"
	  "record with the node's key and a version higher than any before.\n") },
	{ "retract", cmd_retract, "retract KIND/ID", N_("withdraw a record this node published"),
	  N_("Publishes a tombstone: every node that receives it forgets the record.\n") },
	{ "list", cmd_list, "list [--kind K] [--author KEY] [--all] [--json]",
	  N_("list records in the directory"),
	  N_("  --kind K       only records of kind K (partner, offer, event, news, node, ...)\n"
	  "  --author KEY   only records by KEY: a whole key (ed25519:...), its start,\n"
	  "                 or the id of a partner record (its author's)\n"
	  "  --all          also the records that run the federation (node, endorse,\n"
	  "                 revoke), which are left out otherwise\n"
	  "Reads the store directly; works while gilded is stopped.\n") },
	{ "get", cmd_get, "get KIND/ID [--author KEY] [--json]", N_("show one record"),
	  N_("Without --author: this node's record, else the one partner's that has it;\n"
	  "if several partners have KIND/ID, they are listed (exit status 2).\n"
	  "  --author KEY   the record's author, as gilde list takes it\n"
	  "Exit status 3 if there is no such record.\n") },
	{ "export", cmd_export, "export [FILE]", N_("write every signed record to FILE (or stdout)"),
	  N_("The file holds the signed envelopes exactly as on the wire, one after\n"
	  "another (proto/PROTOCOL.md, \"Export files\"), retractions included, so a\n"
	  "whole directory moves to another node and every signature still verifies.\n") },
	{ "import", cmd_import, "import FILE", N_("verify and store the records of an export file"),
	  N_("Every record is checked (structure, signature, times, schema) by the\n"
	  "daemon; the counts of accepted, older and rejected records are reported.\n") },
	{ "peers", cmd_peers, "peers [--json]", N_("show connected and known peers"),
	  N_("Connections (key, name, address, direction, records and bytes each way,\n"
	  "duplicates received, the last reconciliation) and every address this node\n"
	  "knows, configured or learnt, with its state and backoff.\n") },
	{ "metrics", cmd_metrics, "metrics", N_("print the node's figures in Prometheus text format"),
	  N_("Records by kind, store size, records taken in and turned away (by reason),\n"
	  "peers, bytes and records each way, reconciliations, clock offsets: for a\n"
	  "textfile collector or a scrape through a small wrapper.  With the daemon\n"
	  "stopped, only the store's figures and gilde_up 0.\n") },
	{ "doctor", cmd_doctor, "doctor [--config FILE]", N_("check this node and say what to fix"),
	  N_("Checks the data directory and key file (permissions, the key matches the\n"
	  "store), the configuration (FILE, or the one the daemon read), the store's\n"
	  "health and size, that the daemon runs, that configured peers are\n"
	  "connected, the clock offset to each peer, and with [web] that the page is\n"
	  "served.  Exit status 1 if a check failed; warnings alone exit 0.\n") },
	{ "endorse", cmd_endorse, "endorse KEY --name NAME [--until DATE] [--replaces OLDKEY]",
	  N_("admit a partner's key to the federation (curators)"),
	  N_("KEY (and OLDKEY) is a whole key, its start, or the id of a partner's\n"
	  "profile: one in the directory, or one waiting as an application.\n"
	  "Signs an endorsement: every node that has this node among its curators\n"
	  "accepts KEY's records, until DATE (YYYY-MM-DD, UTC) if given.  With\n"
	  "--replaces the partner's previous key is revoked in the same step (key\n"
	  "rotation).  A partner record held as an application moves into the\n"
	  "directory at once.\n") },
	{ "revoke", cmd_revoke, "revoke KEY [--reason TEXT]", N_("remove a partner's key from the federation"),
	  N_("KEY is a whole key, its start, or the id of a partner's profile.\n"
	  "Signs a revocation: every node that trusts this curator drops KEY's records\n"
	  "and refuses them from then on, whichever peer offers them.\n") },
	{ "applications", cmd_applications, "applications [--json]",
	  N_("partner profiles from keys nobody endorsed yet"),
	  N_("Kept on curator nodes only (at most 256, 4 MiB; the oldest go first),\n"
	  "never forwarded.  Admit one with gilde endorse and the profile's id.\n") },
	{ "members", cmd_members, "members [--json]", N_("endorsed partners, their endorser and end date"),
	  N_("Every endorsement by this node's curators, with its status now: member,\n"
	  "expired or revoked.\n") },
	{ "rotate-key", cmd_rotate_key, "rotate-key", N_("give this node a new key"),
	  N_("Makes a new key, keeps the old one beside it (identity.key.HEX.old),\n"
	  "signs this node's records again with the new key and reconnects.  The\n"
	  "old key's records leave the directory: with curators, deleted here until\n"
	  "a curator runs gilde endorse NEW --replaces OLD, which moves every node\n"
	  "to the new key; without, retracted on every node.\n") },
	{ "network-key", cmd_network_key, "network-key", N_("print a fresh federation network key"),
	  N_("Put the printed key in [federation] network_key on every node of one\n"
	  "federation; nodes with another key cannot connect.\n") },
	{ NULL, NULL, NULL, NULL, NULL },
};

static void usage(FILE *out)
{
	fprintf(out, _("usage: gilde COMMAND [options]\n\n"
	               "Query a gilde node's directory and publish its records.\n\ncommands:\n"));
	for (const struct cmd *c = cmds; c->name; c++)
		fprintf(out, "  %-14s %s\n", c->name, _(c->summary));
	fprintf(out, _("\n"
	               "options every command takes:\n"
	               "  -d, --data DIR   the node's data directory (default: $XDG_DATA_HOME/gilde\n"
	               "                   or ~/.local/share/gilde)\n"
	               "  --json           print one JSON document on stdout, for scripts\n"
	               "  --lang nl|en     language of human output (default: en)\n"
	               "  -h, --help       help for the command\n"
	               "\n"
	               "exit status: 0 success, 1 failure, 2 usage error, 3 not found; an answer\n"
	               "with nothing in it exits 0 and says so on stderr\n"
	               "Run `gilde COMMAND --help` for a command's options.\n"));
}

const struct cmd *cmd_find(const char *name)
{
	for (const struct cmd *c = cmds; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* --lang as early as possible, so that every message is in it; cli_options
 * checks its value later. */
static const char *lang_arg(int argc, char **argv)
{
	const char *lang = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--lang") && i + 1 < argc)
			lang = argv[++i];
		else if (!strncmp(argv[i], "--lang=", 7))
			lang = argv[i] + 7;
	}
	return lang;
}

int main(int argc, char **argv)
{
	cli_guard_terminal();
	const char *lang = lang_arg(argc, argv);
	i18n_set(lang);
	/* gilde --lang nl COMMAND ...: --lang before the command too */
	if (argc > 2 && !strcmp(argv[1], "--lang")) {
		argv[2] = argv[0];
		argc -= 2;
		argv += 2;
	} else if (argc > 1 && !strncmp(argv[1], "--lang=", 7)) {
		argv[1] = argv[0];
		argc -= 1;
		argv += 1;
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		if (argc > 2 && strcmp(argv[1], "help") == 0 && cmd_find(argv[2])) {
			char *args[] = { argv[2], "--help", NULL };
			struct cli cli = { .lang = i18n_lang() };
			optind = 1;
			return cmd_find(argv[2])->run(&cli, 2, args);
		}
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("gilde %s\n", GILDE_VERSION);
		return EXIT_OK;
	}
	const struct cmd *c = cmd_find(argv[1]);
	if (!c) {
		fprintf(stderr, _("gilde: unknown command \"%s\" (see gilde --help)\n"), argv[1]);
		return EXIT_USAGE;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, _("gilde: libsodium failed to initialise\n"));
		return EXIT_FAIL;
	}
	struct cli cli = { .lang = i18n_lang(), .lang_given = lang != NULL };
	optind = 1;
	opterr = 0;
	return c->run(&cli, argc - 1, argv + 1);
}
