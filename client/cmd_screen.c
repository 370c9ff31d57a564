/*
 * gilde screen — the screening of a start-up from abroad
 * (daemon/query/screen.h): its answers asked on the terminal, read from a
 * file or given as --answer ID=VALUE, and the readiness report with the
 * partners for each step.  The answers stay on this machine: written to a
 * file only with --save.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/cmd.h"
#include "query/ics.h"
#include "query/screen.h"

enum { OPT_ANSWERS = 2200, OPT_ANSWER, OPT_ASK, OPT_SAVE, OPT_QUESTIONS, OPT_CHECK, OPT_PER_STEP };

/* The longest line read from the terminal for one answer. */
#define SCREEN_LINE_MAX 1024
/* How often a question is asked again after an answer that does not fit. */
#define SCREEN_ASK_TRIES 5

struct screen_args {
	const struct cmd *me;
	const char *file, *save;
	json_t *given;          /* --answer ID=VALUE, as "ID" → "VALUE" */
	bool ask, questions, check;
	unsigned per_step;
};

static int screen_option(void *ctx, int c, const char *arg)
{
	struct screen_args *a = ctx;
	char *end;
	switch (c) {
	case OPT_ANSWERS: a->file = arg; break;
	case OPT_SAVE: a->save = arg; break;
	case OPT_ASK: a->ask = true; break;
	case OPT_QUESTIONS: a->questions = true; break;
	case OPT_CHECK: a->check = true; break;
	case OPT_PER_STEP:
		errno = 0;
		a->per_step = (unsigned)strtoul(arg, &end, 10);
		if (*end || errno || !isdigit((unsigned char)*arg) || a->per_step > 100)
			return cli_usage(a->me, "--per-step needs a number from 0 (all) to 100");
		break;
	default: { /* OPT_ANSWER */
		const char *eq = strchr(arg, '=');
		if (!eq || eq == arg)
			return cli_usage(a->me, "--answer needs ID=VALUE, e.g. --answer stage=market");
		char id[72];
		snprintf(id, sizeof id, "%.*s", (int)(eq - arg < 71 ? eq - arg : 71), arg);
		if (json_object_get(a->given, id))
			return cli_usage(a->me, "--answer %s given twice", id);
		json_object_set_new(a->given, id, json_string(eq + 1));
	}
	}
	return 0;
}

/* ---- answers from text ------------------------------------------------------ */

static const json_t *question_of(const json_t *questions, const char *id)
{
	size_t k;
	json_t *q;
	json_array_foreach(questions, k, q)
		if (!strcmp(cli_str(q, "id"), id))
			return q;
	return NULL;
}

/* An option of q by its id or, from the terminal, its number (1..); NULL. */
static const char *option_of(const json_t *q, const char *text, bool by_number)
{
	size_t k;
	json_t *o;
	char *end;
	long n = by_number ? strtol(text, &end, 10) : 0;
	json_array_foreach(json_object_get(q, "options"), k, o)
		if (!strcmp(cli_str(o, "id"), text) || (by_number && !*end && n == (long)k + 1))
			return cli_str(o, "id");
	return NULL;
}

/* The JSON answer text gives to q; NULL if it gives none of its type (the
 * check then says why, as for any answer). */
static json_t *answer_of(const json_t *q, const char *text, bool by_number)
{
	const char *type = cli_str(q, "type");
	char *end;
	if (!strcmp(type, "yesno")) {
		static const char *const yes[] = { "y", "yes", "true", "j", "ja" }, *const no[] = {
			"n", "no", "false", "nee" };
		for (size_t i = 0; i < 5; i++)
			if (!strcasecmp(text, yes[i]))
				return json_true();
		for (size_t i = 0; i < 4; i++)
			if (!strcasecmp(text, no[i]))
				return json_false();
		return NULL;
	}
	if (!strcmp(type, "number")) {
		errno = 0;
		long long v = strtoll(text, &end, 10);
		return *text && !*end && !errno ? json_integer(v) : NULL;
	}
	if (!strcmp(type, "choice")) {
		const char *o = option_of(q, text, by_number);
		return json_string(o ? o : text);
	}
	if (!strcmp(type, "multi")) {
		json_t *list = json_array();
		char *copy = gl_xstrdup(text), *save = NULL;
		for (char *part = strtok_r(copy, ", ", &save); part; part = strtok_r(NULL, ", ", &save)) {
			const char *o = option_of(q, part, by_number);
			json_array_append_new(list, json_string(o ? o : part));
		}
		free(copy);
		return list;
	}
	return json_string(text);
}

/* --answer ID=VALUE into answers; 0, or a usage error's exit code. */
static int read_given(const struct screen_args *a, const json_t *questions, json_t *answers)
{
	const char *id;
	json_t *v;
	json_object_foreach(a->given, id, v) {
		const json_t *q = question_of(questions, id);
		json_t *ans = q ? answer_of(q, json_string_value(v), false) : NULL;
		if (!q)
			return cli_usage(a->me, "--answer %s: no such question (gilde screen --questions "
			                 "lists them)", id);
		if (!ans)
			return cli_usage(a->me, "--answer %s: \"%s\" is not a %s answer", id,
			                 json_string_value(v), cli_str(q, "type"));
		json_object_set_new(answers, id, ans);
	}
	return 0;
}

/* ---- asking on the terminal ----------------------------------------------------- */

static void show_question(const json_t *q, const char *lang)
{
	const char *type = cli_str(q, "type");
	size_t k;
	json_t *o;
	fprintf(stderr, "\n%s%s\n", cli_in_lang(json_object_get(q, "label"), lang),
	        json_is_true(json_object_get(q, "required")) ? "" : " (Enter: skip)");
	if (json_object_get(q, "hint"))
		fprintf(stderr, "  %s\n", cli_in_lang(json_object_get(q, "hint"), lang));
	json_array_foreach(json_object_get(q, "options"), k, o)
		fprintf(stderr, "  %2zu) %s\n", k + 1, cli_in_lang(json_object_get(o, "label"), lang));
	if (!strcmp(type, "multi"))
		fprintf(stderr, "  numbers separated by commas\n");
	else if (!strcmp(type, "yesno"))
		fprintf(stderr, "  y / n\n");
	else if (!strcmp(type, "number"))
		fprintf(stderr, "  a whole number\n");
}

/* One line from stdin without its newline; false at the end of input. */
static bool read_line(char *buf, size_t n)
{
	fputs("> ", stderr);
	if (!fgets(buf, (int)n, stdin))
		return false;
	buf[strcspn(buf, "\r\n")] = '\0';
	return true;
}

/* Ask every question; the answers go into answers.  0, or an error. */
static int ask_all(const struct screen *s, const json_t *questions, const char *lang,
                   json_t *answers, struct gl_error *err)
{
	size_t k;
	json_t *q;
	char line[SCREEN_LINE_MAX];
	json_array_foreach(questions, k, q) {
		const char *id = cli_str(q, "id");
		bool required = json_is_true(json_object_get(q, "required"));
		if (!screen_asked(s, answers, id))
			continue; /* not for these answers: a freelancer has no company's funding */
		show_question(q, lang);
		for (int tries = 0;; tries++) {
			if (tries == SCREEN_ASK_TRIES)
				return gl_errorf(err, GL_EFORMAT, "%s: no answer that fits after %d tries",
				                 id, SCREEN_ASK_TRIES);
			if (!read_line(line, sizeof line))
				return gl_errorf(err, GL_EFORMAT, "the input ended before question %s was "
				                 "answered", id);
			if (!*line && !required)
				break;
			json_t *ans = answer_of(q, line, true);
			struct gl_error why = { 0 };
			if (ans && !screen_check_answer(s, id, ans, "answer", &why)) {
				json_object_set_new(answers, id, ans);
				break;
			}
			fprintf(stderr, "  %s\n", ans ? why.msg : "that is no answer to this question");
			json_decref(ans);
		}
	}
	return 0;
}

/* ---- the report ------------------------------------------------------------------ */

/* s on lines of at most width characters, each indented by indent. */
static void print_wrapped(const char *s, int indent, size_t width)
{
	while (*s) {
		size_t len = 0, chars = 0, cut = 0;
		while (s[len] && s[len] != '\n' && chars < width) {
			if (s[len] == ' ')
				cut = len;
			chars += ((unsigned char)s[len] & 0xC0) != 0x80;
			len++;
		}
		if (s[len] && s[len] != '\n' && cut)
			len = cut; /* break at the last space */
		printf("%*s%.*s\n", indent, "", (int)len, s);
		s += len;
		while (*s == ' ' || *s == '\n')
			s++;
	}
}

/* How to reach whoever makes the offer, on one line. */
static void print_contact(const json_t *o)
{
	const json_t *ct = json_object_get(o, "contact");
	const char *fields[] = { "booking_url", "email", "phone" };
	bool any = false;
	printf("        ");
	for (size_t i = 0; i < 3; i++)
		if (*cli_str(ct, fields[i])) {
			printf("%s%s", any ? "  " : "", cli_str(ct, fields[i]));
			any = true;
		}
	if (!any)
		printf("%s", *cli_str(ct, "url") ? cli_str(ct, "url") : cli_str(o, "url"));
	printf("\n");
}

static void print_offers(const json_t *st, bool nl)
{
	size_t k, r;
	json_t *o, *why;
	json_int_t see = json_integer_value(json_object_get(st, "see_step"));
	if (see) {
		printf(nl ? "    De partners van stap %lld helpen hier ook.\n"
		          : "    The partners of step %lld help here too.\n", (long long)see);
		return;
	}
	if (!json_array_size(json_object_get(st, "offers"))) {
		printf(nl ? "    Nog geen aanbod in de gids dat hier past.\n"
		          : "    No offer in the directory fits here yet.\n");
		return;
	}
	printf(nl ? "    Wie helpt (%s):\n" : "    Who helps (%s):\n", cli_str(st, "need_label"));
	json_array_foreach(json_object_get(st, "offers"), k, o) {
		printf("      %zu) %s \xE2\x80\x94 %s\n", k + 1, cli_str(o, "name"), cli_str(o, "partner"));
		print_contact(o);
		json_array_foreach(json_object_get(o, "reasons"), r, why)
			printf("        %s %s\n", r ? " " : "\xE2\x80\xA2", json_string_value(why));
	}
	json_int_t more = json_integer_value(json_object_get(st, "more"));
	if (more)
		printf(nl ? "      … en nog %lld (--per-step 0 toont alles)\n"
		          : "      … and %lld more (--per-step 0 shows all)\n", (long long)more);
}

static void print_report(const json_t *rep)
{
	bool nl = !strcmp(cli_str(rep, "lang"), "nl");
	size_t k;
	json_t *st;
	printf("%s\n", cli_str(rep, "title"));
	printf(nl ? "%lld in orde, %lld voor te bereiden; de stappen in de volgorde om ze te zetten:\n"
	          : "%lld in place, %lld to prepare; the steps in the order to take them:\n",
	       (long long)json_integer_value(json_object_get(rep, "in_place")),
	       (long long)json_integer_value(json_object_get(rep, "to_prepare")));
	json_array_foreach(json_object_get(rep, "steps"), k, st) {
		bool done = !strcmp(cli_str(st, "status"), "in_place");
		printf("\n%2zu. [%s] %s\n", k + 1, done ? (nl ? "in orde" : "in place")
		                                       : (nl ? "voor te bereiden" : "to prepare"),
		       cli_str(st, "title"));
		print_wrapped(cli_str(st, "text"), 4, 72);
		if (!done && !json_is_null(json_object_get(st, "need")))
			print_offers(st, nl);
	}
}

/* A question's when, by the ids of its questions and options:
 * "work: company, branch; registered: false". */
static void print_when(const json_t *when)
{
	size_t k, i;
	json_t *c, *v, *o;
	json_array_foreach(when, k, c) {
		printf("%s%s: ", k ? "; " : "", cli_str(c, "q"));
		if ((v = json_object_get(c, "in")))
			json_array_foreach(v, i, o)
				printf("%s%s", i ? ", " : "", json_string_value(o));
		else if ((v = json_object_get(c, "is")))
			printf("%s", json_is_true(v) ? "true" : "false");
		else if ((v = json_object_get(c, "min")))
			printf(">= %lld", (long long)json_integer_value(v));
		else if ((v = json_object_get(c, "max")))
			printf("<= %lld", (long long)json_integer_value(v));
		else
			printf("%s", json_is_true(json_object_get(c, "answered")) ? _("answered")
			                                                          : _("not answered"));
	}
}

static void print_questions(const json_t *qs, const char *lang)
{
	size_t k, i;
	json_t *q, *o;
	printf("%s\n", cli_in_lang(json_object_get(qs, "title"), lang));
	json_array_foreach(json_object_get(qs, "questions"), k, q) {
		printf("\n%s (%s%s", cli_str(q, "id"), cli_str(q, "type"),
		       json_is_true(json_object_get(q, "required")) ? _(", required") : "");
		if (json_object_get(q, "when")) {
			fputs(_("; only if "), stdout);
			print_when(json_object_get(q, "when"));
		}
		printf(")\n  %s\n", cli_in_lang(json_object_get(q, "label"), lang));
		json_array_foreach(json_object_get(q, "options"), i, o)
			printf("    %-16s %s\n", cli_str(o, "id"), cli_in_lang(json_object_get(o, "label"), lang));
	}
}

/* ---- the command ----------------------------------------------------------------- */

static json_t *load_answers(const char *file, struct gl_error *err)
{
	json_error_t je;
	json_t *j = !strcmp(file, "-") ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &je)
	                               : json_load_file(file, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		gl_errorf(err, GL_EFORMAT, "%s:%d: %s", file, je.line, je.text);
	return j;
}

/* The answers, from --answers, --answer and the terminal; NULL with *rc. */
static json_t *gather(const struct screen_args *a, struct cli *cli, const struct screen *s,
                      int *rc, struct gl_error *err)
{
	json_t *qs = screen_questions(s), *answers = NULL;
	bool ask = a->ask || (!a->file && !json_object_size(a->given) && isatty(STDIN_FILENO));
	*rc = 0;
	if (!a->file && !json_object_size(a->given) && !ask)
		*rc = cli_usage(a->me, "give --answers FILE or --answer ID=VALUE, or --ask (on a "
		                "terminal gilde asks by itself)");
	else if (!(answers = a->file ? load_answers(a->file, err) : json_object()))
		*rc = GL_EFORMAT;
	else if ((*rc = read_given(a, json_object_get(qs, "questions"), answers)))
		; /* a usage error, printed */
	else if (ask)
		*rc = ask_all(s, json_object_get(qs, "questions"), cli->lang, answers, err);
	json_decref(qs);
	if (*rc) {
		json_decref(answers);
		return NULL;
	}
	return answers;
}

/* --save FILE: the answers, for another run (written whole or not at all). */
static int save(const char *path, const json_t *answers, struct gl_error *err)
{
	char *text = json_dumps(answers, JSON_INDENT(2));
	int rc = ics_write(path, text, err); /* atomic: FILE.part, fsync, rename */
	if (!rc)
		fprintf(stderr, "saved the answers to %s (gilde screen --answers %s reads them)\n", path,
		        path);
	free(text);
	return rc;
}

static int report(struct cli *cli, struct cli_dir *d, const struct screen *s,
                  const json_t *answers, unsigned per_step, struct gl_error *err)
{
	struct todo_paths *paths = NULL;
	json_t *rep = NULL;
	int rc;
	if (!(rc = todo_load(d->set, d->tax, getenv("GILDE_PATHS"), &paths, err)) &&
	    !(rc = screen_check(s, answers, "answers", err)) && !(rc = cli_dir_store(cli, d, err))) {
		struct screen_opts o = { .lang = cli->lang, .per_step = per_step, .paths = paths };
		rc = screen_report(d->t, d->tax, d->set, s, answers, &o, &rep, err);
	}
	if (!rc && cli->json)
		cli_print_json(rep);
	else if (!rc) {
		json_t *shown = cli_json_lines(rep); /* outside texts, one line each */
		print_report(shown);
		json_decref(shown);
	}
	json_decref(rep);
	todo_free(paths);
	return rc;
}

int cmd_screen(struct cli *cli, int argc, char **argv)
{
	static const struct option own[] = {
		{ "answers", required_argument, NULL, OPT_ANSWERS },
		{ "answer", required_argument, NULL, OPT_ANSWER },
		{ "ask", no_argument, NULL, OPT_ASK },
		{ "save", required_argument, NULL, OPT_SAVE },
		{ "questions", no_argument, NULL, OPT_QUESTIONS },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "per-step", required_argument, NULL, OPT_PER_STEP },
		{ NULL, 0, NULL, 0 },
	};
	struct screen_args a = { .me = cmd_find("screen"), .given = json_object(),
		                 .per_step = SCREEN_PER_STEP };
	struct cli_opts opts = { .lo = own, .take = screen_option, .ctx = &a };
	struct cli_dir d = { 0 };
	struct screen *s = NULL;
	json_t *answers = NULL;
	struct gl_error err = { 0 };
	const char *file = getenv("GILDE_SCREENING");
	int rc = cli_options(cli, a.me, argc, argv, &opts);
	if (rc)
		goto out;
	if ((rc = cli_dir_schemas(&d, &err)) || (rc = screen_load(d.set, d.tax, file, &s, &err))) {
		rc = cli_fail(&err);
	} else if (a.check) {
		json_t *qs = screen_questions(s);
		printf("%s: the screening is sound: %zu questions\n", file ? file : "screening.json "
		       "(built in)", json_array_size(json_object_get(qs, "questions")));
		json_decref(qs);
	} else if (a.questions) {
		json_t *qs = screen_questions(s);
		if (cli->json)
			cli_print_json(qs);
		else
			print_questions(qs, cli->lang);
		json_decref(qs);
	} else if (!(answers = gather(&a, cli, s, &rc, &err))) {
		rc = rc < 0 ? cli_fail(&err) : rc;
	} else if (a.save && (rc = save(a.save, answers, &err))) {
		rc = cli_fail(&err);
	} else if ((rc = report(cli, &d, s, answers, a.per_step, &err))) {
		rc = cli_fail(&err);
	}
out:
	json_decref(answers);
	json_decref(a.given);
	screen_free(s);
	cli_dir_close(&d);
	return rc;
}
