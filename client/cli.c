#include "client/cli.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client/cmd.h"
#include "proto/clock.h"
#include "proto/ident.h"
#include "schemas/jsonmp.h"
#include "proto/msg.h"
#include "proto/record.h"


void cli_error(const char *fmt, ...)
{
	/* messages may quote a record's text: escaped as cli_put() does */
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fputs("gilde: ", stderr);
	cli_put(stderr, msg, 2);
	fputc('\n', stderr);
}

void cli_note(const struct cli *cli, const char *fmt, ...)
{
	if (cli->json)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_set_lang(struct cli *cli, const char *lang)
{
	cli->lang = lang && !strcmp(lang, "nl") ? "nl" : "en";
	i18n_set(cli->lang);
}

int cli_exit_for(int code)
{
	return code == GL_ENOTFOUND ? EXIT_NOTFOUND : EXIT_FAIL;
}

int cli_fail(const struct gl_error *err)
{
	cli_error("%s", err->msg[0] ? err->msg : gl_strerror(err->code));
	return cli_exit_for(err->code);
}

/* ---- options ---- */

int cli_usage(const struct cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "gilde %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, _("\nusage: gilde %s\n"), cmd->synopsis);
	return EXIT_USAGE;
}

/* A common option code c: 1 if handled, 0 if it is not common, or the
 * exit code of a usage error it printed (negated). */
static int common_option(struct cli *cli, const struct cmd *cmd, int c, const char *arg,
                         char **argv)
{
	switch (c) {
	case OPT_DATA:
		cli->data_opt = arg;
		return 1;
	case OPT_JSON:
		cli->json = true;
		return 1;
	case OPT_LANG:
		if (strcmp(arg, "nl") && strcmp(arg, "en"))
			return -cli_usage(cmd, _("--lang must be nl or en, not \"%s\""), arg);
		cli_set_lang(cli, arg);
		cli->lang_given = true;
		return 1;
	case OPT_HELP:
		printf(_("usage: gilde %s\n\n%s.\n\n%s\ncommon options: --data DIR, --json, "
		         "--lang nl|en, --help\n"), cmd->synopsis, _(cmd->summary), _(cmd->help));
		exit(0);
	case ':':
		return -cli_usage(cmd, _("option %s needs a value"), argv[optind - 1]);
	case '?':
		return -cli_usage(cmd, _("unknown option %s"), argv[optind - 1]);
	}
	return 0;
}

int cli_options(struct cli *cli, const struct cmd *cmd, int argc, char **argv,
                const struct cli_opts *o)
{
	static const struct option common[] = {
		{ "data", required_argument, NULL, OPT_DATA },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "lang", required_argument, NULL, OPT_LANG },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct option lo[CLI_OWN_OPTS_MAX + sizeof common / sizeof common[0]];
	char shorts[2 * CLI_OWN_OPTS_MAX + 8];
	size_t own = 0;
	while (o && o->lo && o->lo[own].name)
		own++;
	if (own > CLI_OWN_OPTS_MAX || strlen(o && o->shorts ? o->shorts : "") > 2 * CLI_OWN_OPTS_MAX) {
		cli_error("%s: more options than CLI_OWN_OPTS_MAX", cmd->name); /* a bug: not translated */
		abort(); /* a programming error, found by any test of the command */
	}
	for (size_t i = 0; i < own; i++)
		for (size_t k = 0; common[k].name; k++)
			if (o->lo[i].val == common[k].val) {
				/* --side-activity once took --data's code, and with it --data */
				cli_error("%s: --%s has the code of --%s", cmd->name, o->lo[i].name,
				          common[k].name); /* a bug: not translated */
				abort(); /* a programming error, found by any test of the command */
			}
	if (own)
		memcpy(lo, o->lo, own * sizeof *lo);
	memcpy(lo + own, common, sizeof common);
	snprintf(shorts, sizeof shorts, ":%sd:h", o && o->shorts ? o->shorts : "");
	int c, rc = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		int h = common_option(cli, cmd, c, optarg, argv);
		if (h < 0)
			rc = -h;
		else if (h == 0)
			rc = o && o->take ? o->take(o->ctx, c, optarg)
			                  : cli_usage(cmd, _("unknown option %s"), argv[optind - 1]);
	}
	int maxpos = o ? o->maxpos : 0;
	if (rc == 0 && maxpos >= 0 && argc - optind > maxpos)
		rc = cli_usage(cmd, _("unexpected argument \"%s\""), argv[optind + maxpos]);
	return rc;
}

int cli_common_only(struct cli *cli, const struct cmd *cmd, int argc, char **argv, int maxpos)
{
	struct cli_opts o = { .maxpos = maxpos };
	return cli_options(cli, cmd, argc, argv, &o);
}

/* ---- the node ---- */

int cli_resolve_data(struct cli *cli, struct gl_error *err)
{
	if (cli->data_opt) {
		if (strlen(cli->data_opt) >= sizeof cli->data)
			return gl_errorf(err, GL_ELIMIT, _("--data: path too long"));
		strcpy(cli->data, cli->data_opt);
		return 0;
	}
	return paths_default_data(cli->data, err);
}

int cli_read_store(struct cli *cli, struct store **s, struct store_txn **t,
                   struct gl_error *err)
{
	*s = NULL;
	*t = NULL;
	int rc = cli_open_store(cli, s, err);
	if (!rc && (rc = store_begin(*s, false, t, err))) {
		store_close(*s);
		*s = NULL;
	}
	return rc;
}

int cli_dir_command(struct cli *cli, const char *cmd, int argc, char **argv,
                    struct cli_dir *d)
{
	struct gl_error err = { 0 };
	if (cli_common_only(cli, cmd_find(cmd), argc, argv, 0))
		return EXIT_USAGE;
	return cli_dir_store(cli, d, &err) ? cli_fail(&err) : 0;
}

int cli_dir_schemas(struct cli_dir *d, struct gl_error *err)
{
	schema_set_open(&d->set); /* each file read when first used */
	return taxonomy_load(d->set, &d->tax, err);
}

int cli_dir_store(struct cli *cli, struct cli_dir *d, struct gl_error *err)
{
	return cli_read_store(cli, &d->s, &d->t, err);
}

void cli_dir_close(struct cli_dir *d)
{
	store_abort(d->t);
	store_close(d->s);
	taxonomy_free(d->tax);
	schema_set_free(d->set);
	*d = (struct cli_dir){ 0 };
}

int cli_open_store(struct cli *cli, struct store **out, struct gl_error *err)
{
	char path[PATHS_MAX];
	int rc = cli_resolve_data(cli, err);
	if (rc || (rc = paths_join(path, cli->data, "store", err)))
		return rc;
	rc = store_open(path, STORE_RDONLY, 0, out, err);
	if (rc == GL_ENOTFOUND)
		gl_errorf(err, GL_EUNAVAIL,
		          _("no node at %s (no store yet): start it once with `gilded --data %s`, "
		            "or pass --data DIR"), cli->data, cli->data);
	return rc;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int cli_connect(struct cli *cli, int *out, struct gl_error *err)
{
	char path[PATHS_MAX];
	int rc = cli_resolve_data(cli, err);
	if (rc || (rc = paths_join(path, cli->data, "gilded.sock", err)))
		return rc;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path)
		return gl_errorf(err, GL_ELIMIT, _("%s: path too long for a Unix socket"), path);
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return gl_errorf(err, GL_EIO, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		int e = errno;
		close(fd);
		if (e == ENOENT || e == ECONNREFUSED)
			return gl_errorf(err, GL_EUNAVAIL,
			                 _("gilded is not running for %s (no control socket at %s); "
			                   "start it with: gilded --data %s"), cli->data, path, cli->data);
		return gl_errorf(err, e == EACCES ? GL_EPERM : GL_EIO, "%s: %s", path, strerror(e));
	}
	*out = fd;
	return 0;
}

int cli_send(int fd, const struct gl_buf *req, struct gl_error *err)
{
	if (write_all(fd, req->data, req->len) != 0)
		return gl_errorf(err, GL_EUNAVAIL, _("gilded closed the connection"));
	return 0;
}

/* Read one framed message from fd into b: 0 and its length with the frame
 * header in *total, or GL_EPROTO / GL_EUNAVAIL. */
static int read_message(int fd, struct gl_buf *b, size_t *total, struct gl_error *err)
{
	uint64_t deadline = clock_now_ms() + CLI_CALL_TIMEOUT_MS;
	b->len = 0;
	for (;;) {
		int pr = msg_peek(b->data, b->len, MSG_MAX, total);
		if (pr < 0)
			return gl_errorf(err, GL_EPROTO, _("oversized answer from gilded"));
		if (pr == 1)
			return 0;
		uint64_t now = clock_now_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (now >= deadline || poll(&pfd, 1, (int)(deadline - now)) == 0)
			return gl_errorf(err, GL_EUNAVAIL, _("no answer from gilded within %ds"),
			                 CLI_CALL_TIMEOUT_MS / 1000);
		/* read one message at a time: what follows is the next answer's */
		size_t want = b->len < 4 ? 4 - b->len : 0;
		if (!want) {
			uint32_t n = (uint32_t)b->data[0] << 24 | (uint32_t)b->data[1] << 16 |
			             (uint32_t)b->data[2] << 8 | b->data[3];
			want = (size_t)n + 4 - b->len;
		}
		gl_buf_reserve(b, want);
		ssize_t r = read(fd, b->data + b->len, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return gl_errorf(err, GL_EUNAVAIL, _("gilded closed the connection"));
		b->len += (size_t)r;
	}
}

/* An answer {"ok": false, "code": …, "error": …} as its code and text. */
static int refused(const msgpack_object *resp, struct gl_error *err)
{
	const msgpack_object *code = msg_get(resp, "code");
	int c = code && code->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ? (int)code->via.i64
	                                                             : GL_EREFUSED;
	char text[sizeof err->msg];
	if (!msg_get_cstr(resp, "error", text, sizeof text))
		snprintf(text, sizeof text, "%s", gl_strerror(c));
	return gl_errorf(err, c, "%s", text);
}

int cli_recv(int fd, struct cli_answer *ans, struct gl_error *err)
{
	size_t total = 0;
	bool ok = false;
	memset(ans, 0, sizeof *ans);
	msgpack_zone_init(&ans->zone, 4096);
	int rc = read_message(fd, &ans->buf, &total, err);
	if (!rc)
		rc = msg_decode(ans->buf.data + 4, total - 4, &ans->zone, &ans->o, err);
	if (!rc && !msg_get_bool(&ans->o, "ok", &ok))
		rc = gl_errorf(err, GL_EPROTO, _("answer without \"ok\""));
	if (!rc && !ok)
		rc = refused(&ans->o, err);
	if (rc)
		cli_answer_free(ans);
	return rc;
}

void cli_answer_free(struct cli_answer *ans)
{
	msgpack_zone_destroy(&ans->zone);
	gl_buf_free(&ans->buf);
}

int cli_request(struct cli *cli, struct gl_buf *req, struct cli_answer *ans,
                struct gl_error *err)
{
	int fd;
	msg_end(req, 0);
	int rc = cli_connect(cli, &fd, err);
	if (!rc) {
		if (!(rc = cli_send(fd, req, err)))
			rc = cli_recv(fd, ans, err);
		close(fd);
	}
	gl_buf_free(req);
	return rc;
}

int cli_request_op(struct cli *cli, const char *op, struct cli_answer *ans,
                   struct gl_error *err)
{
	struct gl_buf req = { 0 };
	msgpack_packer pk;
	msg_begin(&req, &pk);
	msgpack_pack_map(&pk, 1);
	msg_pack_str(&pk, "op");
	msg_pack_str(&pk, op);
	return cli_request(cli, &req, ans, err);
}

json_t *cli_ask(struct cli *cli, const char *op, struct gl_error *err)
{
	struct cli_answer ans;
	if (cli_request_op(cli, op, &ans, err))
		return NULL;
	json_t *j = jsonmp_to_json(&ans.o);
	cli_answer_free(&ans);
	return j;
}

char *cli_title(const struct store_entry *e, const char *lang)
{
	struct record r;
	if (e->tombstone || record_parse_held(e->env, e->env_len, &r, NULL))
		return NULL;
	char *t = view_body_text(r.body, r.body_len, "name", lang);
	return t ? t : view_body_text(r.body, r.body_len, "title", lang);
}

void cli_human_size(uint64_t b, char *out, size_t n)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	int i = 0;
	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(out, n, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

int cli_load_json(const char *path, const char *what, json_t **out, struct gl_error *err)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return gl_errorf(err, errno == ENOENT ? GL_ENOTFOUND : GL_EIO,
		                 _("%s %s: cannot open it: %s"), what, path, strerror(errno));
	json_error_t jerr;
	json_t *j = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	bool bad_read = !j && ferror(f);
	int e = errno;
	fclose(f);
	if (bad_read)
		return gl_errorf(err, GL_EIO, _("%s %s: cannot read it: %s"), what, path, strerror(e));
	if (!j)
		return gl_errorf(err, GL_EJSON, _("%s %s: line %d, column %d: not valid JSON: %s"),
		                 what, path, jerr.line, jerr.column, jerr.text);
	*out = j;
	return 0;
}

void cli_print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
}

void cli_json_stream_begin(struct cli_json_stream *js)
{
	*js = (struct cli_json_stream){ 0 };
	fputs("[", stdout);
}

static int stream_write(const char *buf, size_t len, void *data)
{
	gl_buf_append(data, buf, len);
	return 0;
}

void cli_json_stream_item(struct cli_json_stream *js, const json_t *item)
{
	js->buf.len = 0;
	gl_buf_append(&js->buf, js->any ? ",\n" : "\n", js->any ? 2 : 1);
	json_dump_callback(item, stream_write, &js->buf, JSON_COMPACT);
	fwrite(js->buf.data, 1, js->buf.len, stdout);
	js->any = true;
}

void cli_json_stream_end(struct cli_json_stream *js)
{
	fputs(js->any ? "\n]\n" : "]\n", stdout);
	gl_buf_free(&js->buf);
}

bool cli_progress(void)
{
	return isatty(STDERR_FILENO);
}

int cli_node_meta(struct store *s, struct cli_node *m, struct gl_error *err)
{
	struct store_txn *t;
	int rc = store_begin(s, false, &t, err);
	if (rc)
		return rc;
	const void *v;
	size_t len;
	if (store_meta_get(t, "node_pk", &v, &len) != 0 || len != 32) {
		store_abort(t);
		return gl_errorf(err, GL_ESTORE, _("%s: the store has no node key; start gilded once"),
		                 store_path(s));
	}
	memcpy(m->pk, v, 32);
	m->name[0] = '\0';
	if (store_meta_get(t, "node_name", &v, &len) == 0) {
		if (len >= sizeof m->name)
			len = sizeof m->name - 1;
		memcpy(m->name, v, len);
		m->name[len] = '\0';
	}
	store_abort(t);
	return 0;
}


/* The bytes of s up to its first NUL, at most n, for a person into b
 * (cli_put() says how), no NUL after them; plain runs appended whole. */
static void clean_append(struct gl_buf *b, const char *s, size_t n, int indent)
{
	static const char repl[] = "\xEF\xBF\xBD"; /* U+FFFD */
	const unsigned char *p = (const unsigned char *)s, *end = p + n, *run = p;
	for (; p < end && *p; p++) {
		bool c1 = p[0] == 0xC2 && p + 1 < end && p[1] >= 0x80 && p[1] <= 0x9f;
		if (*p >= ' ' && *p != 0x7f && !c1)
			continue;
		gl_buf_append(b, run, (size_t)(p - run));
		if (*p == '\n' && indent >= 0) {
			gl_buf_append(b, "\n", 1);
			for (int i = 0; i < indent; i++)
				gl_buf_append(b, " ", 1);
		} else if (*p == '\t' && indent >= 0) {
			gl_buf_append(b, "\t", 1);
		} else {
			gl_buf_append(b, repl, 3);
			p += c1;
		}
		run = p + 1;
	}
	gl_buf_append(b, run, (size_t)(p - run));
}

/* s for a person into b (cli_put() says how), NUL-terminated. */
static void clean_into(struct gl_buf *b, const char *s, int indent)
{
	clean_append(b, s, strlen(s), indent);
	gl_buf_append(b, "", 1);
}

void cli_line_append(struct gl_buf *b, const char *s, size_t n)
{
	clean_append(b, s, n, -1);
}

int cli_put(FILE *f, const char *s, int indent)
{
	struct gl_buf b = { 0 };
	clean_into(&b, s, indent);
	int rc = fputs((const char *)b.data, f) == EOF ? EOF : 0;
	gl_buf_free(&b);
	return rc;
}

char *cli_line(const char *s)
{
	if (!s)
		return NULL;
	struct gl_buf b = { 0 };
	clean_into(&b, s, -1);
	return (char *)b.data;
}

json_t *cli_json_lines(const json_t *v)
{
	if (json_is_string(v)) {
		char *c = cli_line(json_string_value(v));
		json_t *out = json_string(c); /* NULL if c is not UTF-8: then "" */
		free(c);
		return out ? out : json_string("");
	}
	if (json_is_array(v)) {
		json_t *out = json_array();
		size_t i;
		json_t *m;
		json_array_foreach(v, i, m)
			json_array_append_new(out, cli_json_lines(m));
		return out;
	}
	if (json_is_object(v)) {
		json_t *out = json_object();
		const char *k;
		json_t *m;
		json_object_foreach((json_t *)v, k, m) {
			char *ck = cli_line(k);
			json_object_set_new(out, ck, cli_json_lines(m));
			free(ck);
		}
		return out;
	}
	return json_deep_copy(v);
}

/*
 * Records come from other organisations, and their texts may hold control
 * characters: ESC and C1 sequences would reach the terminal and could move
 * the cursor, retitle the window or hide lines.  On a terminal, stdout and
 * stderr go through this filter, which writes such characters as U+FFFD;
 * into a pipe or a file the bytes are left as they are (--json escapes
 * them anyway).
 */
struct term_filter {
	int fd;
	bool allow_cr; /* stderr: gilde's own progress lines end in \r */
	bool held; /* a 0xC2 held back: it starts a C1 control if 0x80..0x9F follows */
};

static ssize_t term_write(void *cookie, const char *buf, size_t size)
{
	static const char repl[] = "\xEF\xBF\xBD"; /* U+FFFD */
	struct term_filter *tf = cookie;
	char out[4096];
	size_t n = 0;
	for (size_t i = 0; i < size; i++) {
		unsigned char ch = (unsigned char)buf[i];
		if (n + 8 > sizeof out) {
			if (write_all(tf->fd, (const uint8_t *)out, n))
				return -1;
			n = 0;
		}
		if (tf->held) {
			tf->held = false;
			if (ch >= 0x80 && ch <= 0x9f) {
				memcpy(out + n, repl, 3);
				n += 3;
				continue;
			}
			out[n++] = (char)0xC2;
		}
		if (ch == 0xC2) {
			tf->held = true;
		} else if ((ch < 0x20 && ch != '\n' && ch != '\t' && !(ch == '\r' && tf->allow_cr)) ||
		           ch == 0x7f) {
			memcpy(out + n, repl, 3);
			n += 3;
		} else {
			out[n++] = (char)ch;
		}
	}
	if (n && write_all(tf->fd, (const uint8_t *)out, n))
		return -1;
	return (ssize_t)size;
}

static int term_close(void *cookie)
{
	struct term_filter *tf = cookie;
	if (tf->held)
		write_all(tf->fd, (const uint8_t *)"\xC2", 1);
	return 0;
}

/* The streams live as long as the process (exit flushes them), and so do
 * their filters: static, nothing to free. */
static FILE *term_stream(struct term_filter *tf, int fd, int mode)
{
	tf->fd = fd;
	tf->allow_cr = fd == STDERR_FILENO;
	cookie_io_functions_t io = { .write = term_write, .close = term_close };
	FILE *f = fopencookie(tf, "w", io);
	if (f)
		setvbuf(f, NULL, mode, 0);
	return f;
}

void cli_guard_terminal(void)
{
	static struct term_filter out, err;
	FILE *f;
	if (isatty(STDOUT_FILENO) && (f = term_stream(&out, STDOUT_FILENO, _IOLBF)))
		stdout = f;
	if (isatty(STDERR_FILENO) && (f = term_stream(&err, STDERR_FILENO, _IONBF)))
		stderr = f;
}

const char *cli_str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

const char *cli_in_lang(const json_t *text, const char *lang)
{
	const char *s = json_string_value(json_object_get(text, lang));
	return s ? s : cli_str(text, "en");
}
