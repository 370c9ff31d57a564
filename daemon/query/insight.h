/*
 * insight.h — one progress event (issue 26): what a starter's page or
 * gilde plan sends when the starter agreed to help the city anonymously
 * (schemas/progress.schema.json, proto/API.md "Insight"), checked, made
 * into what is kept (store/progress.h), and read back.
 *
 * What is kept of an event: the bucket, the step, the need and the partner
 * chosen, as compact JSON with sorted keys, beside the week number; the
 * token only as a keyed BLAKE2b hash (insight_token_hash), which is what
 * the events are filed under.  Nothing else a client sends is kept: a
 * field the schema does not name is refused, not dropped.
 *
 * Weeks are numbered from the Monday 1969-12-29 (week 0), so that the
 * weeks between two steps are a subtraction; ISO 8601 weeks ("2026-W11")
 * are how they are written.
 */
#ifndef GILDE_QUERY_INSIGHT_H
#define GILDE_QUERY_INSIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "proto/bounds.h"
#include "proto/err.h"
#include "schemas/schema.h"
#include "schemas/taxonomy.h"
#include "store/progress.h"

/* The largest event a client may send, in bytes of JSON (a real one is
 * about 250): the web API answers 413 above it. */
#define INSIGHT_EVENT_MAX 1024
/* A token: 16 random bytes as unpadded base64url. */
#define INSIGHT_TOKEN_LEN 22
/* Weeks either side of the node's own that an event may name: the week
 * turns at midnight on Sunday, which is not the same moment everywhere. */
#define INSIGHT_WEEK_SLACK 1
/* "2026-W11" and its NUL. */
#define INSIGHT_WEEK_TEXT 9

/* The steps, in the order a funnel reads them. */
enum insight_step {
	INSIGHT_LISTED,  /* the need is on the starter's list */
	INSIGHT_CHOSEN,  /* a partner chosen for it */
	INSIGHT_DONE,    /* ticked off */
	INSIGHT_DROPPED, /* taken off the list */
	INSIGHT_NOFIT,   /* "no offer here fits me" */
	INSIGHT_STEPS
};
/* "listed", …; NULL out of range. */
const char *insight_step_name(int step);

/* The kind of starter an event came from, as taxonomy orders (-1: not
 * answered; phase is always answered) and answers (1 yes, 0 no, -1 not
 * answered). */
struct insight_bucket {
	int8_t phase, sector, activity;
	int8_t student, international, side;
};

/* A kept event, read back (insight_read). */
struct insight_event {
	struct insight_bucket b;
	uint8_t step;  /* enum insight_step */
	uint8_t need;  /* the need's order in the taxonomy */
	bool partner;  /* step INSIGHT_CHOSEN only */
	uint8_t author[32];
	char partner_id[GL_ID_MAX + 1]; /* "": the author's own */
};

/* The week number of a time (seconds since the epoch). */
uint32_t insight_week_of(uint64_t secs);
/* "2026-W11" into out. */
void insight_week_format(uint32_t week, char out[INSIGHT_WEEK_TEXT]);
/* A week written as ISO 8601 (week 53 only in a year that has it):
 * 0 and *week, or GL_EFORMAT. */
int insight_week_parse(const char *text, uint32_t *week);

/* The hash a token's events are kept under.  0, or GL_EFORMAT for a text
 * that is not INSIGHT_TOKEN_LEN characters of base64url. */
int insight_token_hash(const char *token, uint8_t out[PROGRESS_TOKHASH_LEN]);

/*
 * Check an event a client sent, len bytes of JSON text: at most
 * INSIGHT_EVENT_MAX bytes, JSON, progress.schema.json, a partner with
 * step "chosen" and only then, a week within INSIGHT_WEEK_SLACK of now's.
 * On success: its token's hash, its week, and what is kept of it in *val
 * (*vlen bytes, NUL-ended, the caller frees it); *partner_author and
 * partner_id (GL_ID_MAX + 1 bytes, "" for none) name the partner for the
 * caller to look up (*has_partner false: none).  Returns 0, GL_ELIMIT,
 * GL_EJSON, GL_ESCHEMA (every problem in err) or GL_ETIME; err says what
 * was wrong, never echoing the token.
 */
struct insight_taken {
	uint8_t tokhash[PROGRESS_TOKHASH_LEN];
	uint32_t week;
	char *val;
	size_t vlen;
	bool has_partner;
	uint8_t partner_author[32];
	char partner_id[GL_ID_MAX + 1];
};
int insight_take(const struct schema_set *set, const char *text, size_t len, uint64_t now,
                 struct insight_taken *out, struct gl_error *err);

/* Read a kept event against tax; false if it does not read, or names a
 * term tax lacks (such an event is left out of every figure). */
bool insight_read(const struct taxonomy *tax, const uint8_t *val, size_t len,
                  struct insight_event *out);

/* A kept event as the client sent it, without its token:
 * {"week", "bucket", "step", "need", ("partner")}; NULL if it does not read. */
json_t *insight_event_json(const struct progress_event *e);

#endif
