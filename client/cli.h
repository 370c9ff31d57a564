/*
 * cli.h — what every gilde subcommand shares: the node it talks about
 * (--data), the exit codes, reading the store, calling the daemon.
 *
 * Exit codes (stable, documented in gilde --help):
 *   0 success; 1 failure (bad input, refused, daemon unreachable);
 *   2 usage error; 3 not found.
 */
#ifndef GILDE_CLI_H
#define GILDE_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>
#include <msgpack.h>

#include "proto/alloc.h"
#include "proto/err.h"
#include "store/paths.h"
#include "store/store.h"
#include "query/view.h"
#include "schemas/schema.h"
#include "schemas/taxonomy.h"
#include "client/i18n.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_NOTFOUND = 3 };

struct cli {
	const char *data_opt;      /* --data, or NULL */
	char data[PATHS_MAX];      /* resolved data directory */
	bool json;                 /* --json */
	const char *lang;          /* --lang, for human output: "nl" or "en" */
	bool lang_given;           /* --lang was on the command line */
};

/* Print "gilde: " + message to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Tell the person something on stderr, as a sentence of its own (not with
 * --json, whose stdout is the answer): an empty answer, a hint. */
void cli_note(const struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Set the language of human output (gilde's words and the records' texts). */
void cli_set_lang(struct cli *cli, const char *lang);
/* The exit code for an error code: 3 for GL_ENOTFOUND, else 1. */
int cli_exit_for(int code);
/* Report err and return the matching exit code. */
int cli_fail(const struct gl_error *err);

/* Resolve cli->data from --data or the default.  Returns 0 or an error. */
int cli_resolve_data(struct cli *cli, struct gl_error *err);
/* Open the node's store read-only. */
int cli_open_store(struct cli *cli, struct store **out, struct gl_error *err);
/* The same, and a read transaction on it: one snapshot.  On failure both are
 * NULL and nothing is left open. */
int cli_read_store(struct cli *cli, struct store **s, struct store_txn **t,
                   struct gl_error *err);

/*
 * What the queries over the directory read: the schemas, their taxonomy
 * and one snapshot of the store.  Zero it, fill it in two steps (a command
 * may check its input against the schemas before it opens the store),
 * close it once, whatever was filled.
 */
struct cli_dir {
	struct schema_set *set;
	struct taxonomy *tax;
	struct store *s;
	struct store_txn *t;
};
/* The store alone, for a command that takes only the common options and no
 * argument (cmd): 0, or the exit code after printing what was wrong. */
int cli_dir_command(struct cli *cli, const char *cmd, int argc, char **argv,
                    struct cli_dir *d);
int cli_dir_schemas(struct cli_dir *d, struct gl_error *err);
int cli_dir_store(struct cli *cli, struct cli_dir *d, struct gl_error *err);
void cli_dir_close(struct cli_dir *d);

/* The node's key and name, as the daemon recorded them in the store. */
struct cli_node {
	uint8_t pk[32];
	char name[128];
};
int cli_node_meta(struct store *s, struct cli_node *m, struct gl_error *err);

/* How long gilde waits for the daemon's answer. */
#define CLI_CALL_TIMEOUT_MS 120000

/* What the daemon answered: the map o, valid until cli_answer_free(). */
struct cli_answer {
	msgpack_object o;
	msgpack_zone zone;
	struct gl_buf buf;
};

/*
 * End the request req (begun with msg_begin, its map packed), send it to
 * the daemon on a connection of its own, free req, and read the answer
 * into *ans.  Returns 0 (free *ans with cli_answer_free), or an error with
 * nothing to free: GL_EUNAVAIL if no daemon listens or it does not answer
 * within CLI_CALL_TIMEOUT_MS, GL_EPROTO for an answer that does not read, and
 * for an answer {"ok": false} its code and text.
 */
int cli_request(struct cli *cli, struct gl_buf *req, struct cli_answer *ans,
                struct gl_error *err);
/* cli_request of {"op": op}, an op that takes no arguments. */
int cli_request_op(struct cli *cli, const char *op, struct cli_answer *ans,
                   struct gl_error *err);
void cli_answer_free(struct cli_answer *ans);

/*
 * The same in steps, for a conversation with several requests in flight
 * (gilde import keeps two): connect, send requests (msg_end'ed), read
 * answers in order (cli_recv: as cli_request).
 */
int cli_connect(struct cli *cli, int *fd, struct gl_error *err);
int cli_send(int fd, const struct gl_buf *req, struct gl_error *err);
int cli_recv(int fd, struct cli_answer *ans, struct gl_error *err);

/* Ask the running daemon for an op that takes no arguments ("status",
 * "peers"): its whole answer as JSON, or NULL with err. */
json_t *cli_ask(struct cli *cli, const char *op, struct gl_error *err);

/* What a person calls record e in lang: its "name", else its "title"
 * (view_body_text); NULL for neither or a tombstone.  Free it. */
char *cli_title(const struct store_entry *e, const char *lang);

/* "848 KiB", "4.0 GiB": bytes for a person. */
void cli_human_size(uint64_t bytes, char *out, size_t n);

/*
 * Read a JSON file a person named (what: "--profile", "the plan"): 0 and
 * *out (the caller's), or GL_ENOTFOUND / GL_EIO / GL_EJSON with a message
 * naming the file and what was wrong: the system's reason it could not be
 * opened, or the line and column of bad JSON.
 */
int cli_load_json(const char *path, const char *what, json_t **out, struct gl_error *err);

/* Print a JSON value as the one document on stdout. */
void cli_print_json(json_t *v);
/*
 * A JSON array written as its items are made, one compact item per line,
 * so that a long list is never held whole: begin writes "[", each item
 * is written with the separator it needs, end writes "]".  Each item is
 * made into one buffer and written with one call.
 */
struct cli_json_stream {
	bool any;
	struct gl_buf buf;
};
void cli_json_stream_begin(struct cli_json_stream *js);
void cli_json_stream_item(struct cli_json_stream *js, const json_t *item);
void cli_json_stream_end(struct cli_json_stream *js);

/*
 * Write outside text s (a record's field, a peer's name) to f for a
 * person: every control character (C0, DEL, C1) as U+FFFD, in a pipe as
 * on a terminal, so that no text can move the cursor or forge a line.
 * indent < 0: one line, newlines and tabs escaped too; indent >= 0: a
 * newline is kept and followed by indent spaces, so that a value's lines
 * stay inside it.  Returns what fputs would (EOF on a write error).
 */
int cli_put(FILE *f, const char *s, int indent);
/* The same as a new string for one line (indent < 0), to free; NULL for
 * NULL.  For a printf that takes several outside texts. */
char *cli_line(const char *s);
/* The same appended to b, no NUL after it: s's bytes up to its first NUL,
 * at most n of them. */
struct gl_buf;
void cli_line_append(struct gl_buf *b, const char *s, size_t n);
/* o's string k, or "" (never NULL): for documents the client made. */
const char *cli_str(const json_t *o, const char *k);
/* A {"nl": …, "en": …} text in lang, else in English, else "". */
const char *cli_in_lang(const json_t *text, const char *lang);
/* Every string of v (keys too), one line each as cli_line() makes it, in
 * a new copy of v to json_decref: for a document printed for a person. */
json_t *cli_json_lines(const json_t *v);

/* On a terminal, make stdout and stderr write control characters that
 * records may carry (ESC, C1) as U+FFFD.  Call once, first thing. */
void cli_guard_terminal(void);

/* True if stderr is a terminal (show progress). */
bool cli_progress(void);

#endif
