/*
 * screen_int.h — the screening's insides, shared by screen.c (loading),
 * screen_rules.c (answers, conditions, steps, profile) and screen_report.c
 * (the report).  Nothing outside daemon/query/screen*.c includes it.
 *
 * Every string pointer is into the parsed file (doc), which the struct
 * screen holds until screen_free().
 */
#ifndef GILDE_QUERY_SCREEN_INT_H
#define GILDE_QUERY_SCREEN_INT_H

#include "query/screen.h"

enum screen_qtype { SQ_CHOICE, SQ_MULTI, SQ_YESNO, SQ_TEXT, SQ_NUMBER };

enum screen_cop { SC_IN, SC_IS, SC_MIN, SC_MAX, SC_ANSWERED };

struct scond {
	int q;                         /* the question's index; -1: none (never at use) */
	enum screen_cop op;
	uint32_t opts;                 /* SC_IN: bit i for option i */
	bool yes;                      /* SC_IS, SC_ANSWERED */
	long n;                        /* SC_MIN, SC_MAX */
};

struct squestion {
	const char *id;
	const json_t *j;               /* the question as the file gives it */
	enum screen_qtype type;
	bool required;
	const char *opt[SCREEN_OPTIONS_MAX];
	unsigned nopt, max_choices;
	size_t max_length;             /* text, in characters */
	long min, max;                 /* number */
	struct scond when[SCREEN_CONDS_MAX]; /* asked only when all hold (on earlier questions) */
	size_t nwhen;
};

struct srule {
	const char *id, *topic, *need; /* need: NULL for none */
	bool to_prepare;
	struct scond when[SCREEN_CONDS_MAX], unless[SCREEN_CONDS_MAX];
	size_t nwhen, nunless;
	const char *about[SCREEN_ABOUT_MAX]; /* words naming the need's offers for this step */
	size_t nabout;
	const json_t *title, *text;
};

struct screen {
	json_t *doc;
	struct squestion q[SCREEN_QUESTIONS_MAX];
	size_t nq;
	struct srule r[SCREEN_RULES_MAX];
	size_t nr;
};

/* An answer as the rules read it. */
struct sanswer {
	bool given;
	uint32_t opts;                 /* choice, multi: bit i for option i */
	bool yes;                      /* yesno */
	long n;                        /* number */
};

/* Problems found in a document, one line each ("SOURCE: /where: what"). */
struct screen_problems {
	const char *source;
	unsigned total;
	char text[sizeof(((struct gl_error *)0)->msg)];
};
void screen_problem(struct screen_problems *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* 0 if there were none, else GL_ESCHEMA with them in err. */
int screen_problems_end(const struct screen_problems *p, struct gl_error *err);

/* The index of question id (option id of q), or -1. */
int screen_question_of(const struct screen *s, const char *id);
int screen_option_of(const struct squestion *q, const char *id);

/* The file's base profile. */
const json_t *screen_doc_profile(const struct screen *s);

#endif
