/* gilde export, import */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/bounds.h"
#include "client/cmd.h"
#include "proto/msg.h"
#include "proto/record.h"

/* Records per import request, and bytes: the daemon's batch bounds. */
#define IMPORT_BATCH 2000
#define IMPORT_BATCH_BYTES (4u << 20)

struct export_ctx {
	FILE *out;
	unsigned long long count, bytes;
	bool failed;
};

static int export_visit(void *vctx, const struct store_entry *e)
{
	struct export_ctx *x = vctx;
	if (fwrite(e->env, 1, e->env_len, x->out) != e->env_len) {
		x->failed = true;
		return 1;
	}
	x->count++;
	x->bytes += e->env_len;
	return 0;
}

int cmd_export(struct cli *cli, int argc, char **argv)
{
	const struct cmd *me = cmd_find("export");
	if (cli_common_only(cli, me, argc, argv, -1))
		return EXIT_USAGE;
	if (argc - optind > 1)
		return cli_usage(me, "at most one FILE");
	const char *path = optind < argc ? argv[optind] : NULL;
	if (!path && isatty(STDOUT_FILENO)) {
		cli_error("export: refusing to write binary records to a terminal; name a FILE or "
		          "redirect the output");
		return EXIT_USAGE;
	}
	struct gl_error err = { 0 };
	struct store *s;
	struct store_txn *t;
	if (cli_read_store(cli, &s, &t, &err))
		return cli_fail(&err);
	char tmp[PATHS_MAX + 8];
	struct export_ctx x = { .out = stdout };
	if (path) {
		/* write beside the target and rename, so a failed export leaves no half file */
		snprintf(tmp, sizeof tmp, "%s.part", path);
		x.out = fopen(tmp, "wb");
		if (!x.out) {
			cli_error("%s: %s", tmp, strerror(errno));
			store_abort(t);
			store_close(s);
			return EXIT_FAIL;
		}
	}
	struct store_filter f = { .tombstones = true };
	int rc = store_scan(t, &f, export_visit, &x, &err);
	store_abort(t);
	store_close(s);
	if (fflush(x.out) != 0 || (path && fsync(fileno(x.out)) != 0))
		x.failed = true;
	if (path && fclose(x.out) != 0)
		x.failed = true;
	if (rc && !x.failed) {
		if (path)
			unlink(tmp);
		return cli_fail(&err);
	}
	if (x.failed) {
		cli_error("%s: write failed: %s", path ? tmp : "stdout", strerror(errno));
		if (path)
			unlink(tmp);
		return EXIT_FAIL;
	}
	if (path && rename(tmp, path) != 0) {
		cli_error("%s: %s", path, strerror(errno));
		unlink(tmp);
		return EXIT_FAIL;
	}
	if (cli->json) {
		json_t *o = json_object();
		json_object_set_new(o, "records", json_integer((json_int_t)x.count));
		json_object_set_new(o, "bytes", json_integer((json_int_t)x.bytes));
		if (path)
			json_object_set_new(o, "file", json_string(path));
		if (path)
			cli_print_json(o);
		json_decref(o);
	}
	if (!cli->json || !path)
		fprintf(stderr, "exported %llu records (%llu bytes)%s%s\n", x.count, x.bytes,
		        path ? " to " : "", path ? path : "");
	return EXIT_OK;
}

struct import_totals {
	unsigned long long accepted, older, rejected, sent;
	char first_error[512];
};

/* The import conversation: up to IMPORT_INFLIGHT batches sent and not yet
 * answered, so the daemon verifies one while it commits the other. */
#define IMPORT_INFLIGHT 2

struct importer {
	int fd;
	unsigned pending;
	struct import_totals *tot;
};

static int read_answer(struct importer *im, struct gl_error *err)
{
	struct cli_answer ans;
	int rc = cli_recv(im->fd, &ans, err);
	im->pending--;
	if (rc)
		return rc;
	uint64_t a = 0, b = 0, c = 0;
	msg_get_uint(&ans.o, "accepted", &a);
	msg_get_uint(&ans.o, "older", &b);
	msg_get_uint(&ans.o, "rejected", &c);
	im->tot->accepted += a;
	im->tot->older += b;
	im->tot->rejected += c;
	im->tot->sent += a + b + c;
	if (c && !im->tot->first_error[0])
		msg_get_cstr(&ans.o, "first_error", im->tot->first_error, sizeof im->tot->first_error);
	cli_answer_free(&ans);
	return 0;
}

static int send_batch(struct importer *im, const uint8_t *data, const size_t *lens, size_t n,
                      struct gl_error *err)
{
	while (im->pending >= IMPORT_INFLIGHT) {
		int rc = read_answer(im, err);
		if (rc)
			return rc;
	}
	struct gl_buf req = { 0 };
	msgpack_packer pk;
	msg_begin(&req, &pk);
	msgpack_pack_map(&pk, 2);
	msg_pack_str(&pk, "op");
	msg_pack_str(&pk, "import");
	msg_pack_str(&pk, "records");
	msgpack_pack_array(&pk, n);
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		msgpack_pack_bin_with_body(&pk, data + off, lens[i]);
		off += lens[i];
	}
	msg_end(&req, 0);
	int rc = cli_send(im->fd, &req, err);
	gl_buf_free(&req);
	if (!rc)
		im->pending++;
	return rc;
}

/* Read every answer still due. */
static int finish(struct importer *im, struct gl_error *err)
{
	int rc = 0;
	while (im->pending && !rc)
		rc = read_answer(im, err);
	return rc;
}

/*
 * The records of an import are sent in the store's key order, a chunk of
 * the file at a time: the daemon then adds each transaction's records at
 * one place in its records table instead of all over it, so every page is
 * copied and written once, not once per transaction (store.h).  An export
 * is in that order already; a shuffled or concatenated file imports as
 * fast as one.  A chunk is the whole records that start in the next
 * IMPORT_CHUNK bytes, which bounds this process's memory; a file larger
 * than that is sent as several ordered runs.  GILDE_IMPORT_CHUNK sets a
 * smaller chunk, for tests.
 */
#define IMPORT_CHUNK (64u << 20)
#define IMPORT_READ (1u << 20)

struct import_slot {
	size_t off, len;          /* in the chunk */
	struct record_key key;
	bool keyed;               /* false: its key cannot be read; sent last */
};

static int slot_cmp(const void *va, const void *vb)
{
	const struct import_slot *a = va, *b = vb;
	if (a->keyed != b->keyed)
		return a->keyed ? -1 : 1;
	int c = a->keyed ? record_key_cmp(&a->key, &b->key) : 0;
	if (c)
		return c;
	/* the file's order among versions of one key, and among the unkeyed */
	return (a->off > b->off) - (a->off < b->off);
}

/* Read the keys of a chunk's records and sort them, unless they are in order. */
static void order_chunk(const uint8_t *chunk, struct import_slot *slots, size_t n)
{
	bool sorted = true;
	for (size_t i = 0; i < n; i++) {
		struct import_slot *sl = &slots[i];
		sl->keyed = record_peek_key(chunk + sl->off, sl->len, &sl->key) == 0;
		if (i && sorted && slot_cmp(&slots[i - 1], sl) > 0)
			sorted = false;
	}
	if (!sorted)
		qsort(slots, n, sizeof *slots, slot_cmp);
}

int cmd_import(struct cli *cli, int argc, char **argv)
{
	const struct cmd *me = cmd_find("import");
	if (cli_common_only(cli, me, argc, argv, -1))
		return EXIT_USAGE;
	if (argc - optind != 1)
		return cli_usage(me, "name exactly one FILE");
	const char *path = argv[optind];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		cli_error("%s: %s", path, strerror(errno));
		return errno == ENOENT ? EXIT_NOTFOUND : EXIT_FAIL;
	}
	struct stat st;
	fstat(fd, &st);
	size_t chunk = IMPORT_CHUNK;
	const char *chunk_env = getenv("GILDE_IMPORT_CHUNK");
	if (chunk_env && *chunk_env) {
		char *end;
		unsigned long long v = strtoull(chunk_env, &end, 10);
		if (*end || v < 1 || v > IMPORT_CHUNK) {
			cli_error("GILDE_IMPORT_CHUNK=%s: expected a number of bytes from 1 to %u", chunk_env,
			          IMPORT_CHUNK);
			close(fd);
			return EXIT_USAGE;
		}
		chunk = (size_t)v;
	}
	struct gl_error err = { 0 };
	struct gl_buf in = { 0 }, batch = { 0 };
	size_t *lens = gl_xcalloc(IMPORT_BATCH, sizeof *lens);
	struct import_slot *slots = NULL;
	size_t slots_cap = 0, nb = 0; /* records in batch */
	unsigned long long base = 0; /* file offset of in.data[0] */
	bool eof = false, progress = cli_progress() && !cli->json;
	struct import_totals tot = { 0 };
	struct importer im = { .fd = -1, .tot = &tot };
	int rc = cli_connect(cli, &im.fd, &err);
	while (!rc) {
		/* a chunk: whole records from in.data[0], up to IMPORT_CHUNK bytes,
		 * the end of the file, or a damaged record */
		size_t scan = 0, n = 0;
		bool damaged = false;
		for (;;) {
			/* keep at least one whole record past scan in the buffer */
			while (!eof && in.len - scan < GL_RECORD_MAX) {
				/* IMPORT_READ at a time: the buffer holds a chunk and little more */
				gl_buf_reserve(&in, IMPORT_READ);
				ssize_t r = read(fd, in.data + in.len, IMPORT_READ);
				if (r < 0 && errno == EINTR)
					continue;
				if (r < 0) {
					rc = gl_errorf(&err, GL_EIO, "%s: %s", path, strerror(errno));
					break;
				}
				if (r == 0)
					eof = true;
				in.len += (size_t)r;
			}
			if (rc || scan == in.len || scan >= chunk)
				break;
			size_t span = 0;
			int src = record_span(in.data + scan, in.len - scan, &span, &err);
			if (src) {
				rc = gl_error_prefix(&err, GL_EFORMAT, "%s: byte %llu: not a record%s", path,
				                     base + scan,
				                     src == GL_ETRUNC ? " (the file ends inside it)" : "");
				damaged = true;
				break;
			}
			if (n == slots_cap) {
				slots_cap = slots_cap ? slots_cap * 2 : 4096;
				slots = gl_xrealloc(slots, slots_cap * sizeof *slots);
			}
			slots[n++] = (struct import_slot){ .off = scan, .len = span };
			scan += span;
		}
		if (rc && !damaged)
			break;
		order_chunk(in.data, slots, n);
		bool last = damaged || (eof && scan == in.len);
		/* what comes before damage is still imported */
		struct gl_error e2 = { 0 }, *berr = damaged ? &e2 : &err;
		int brc = 0;
		size_t sent = 0;
		/* a batch may hold records of several chunks: only the last is flushed */
		for (size_t i = 0; i <= n && !brc; i++) {
			if (i < n) {
				gl_buf_append(&batch, in.data + slots[i].off, slots[i].len);
				lens[nb++] = slots[i].len;
				sent += slots[i].len;
			}
			if (nb == IMPORT_BATCH || batch.len >= IMPORT_BATCH_BYTES || (last && i == n && nb)) {
				brc = send_batch(&im, batch.data, lens, nb, berr);
				batch.len = 0;
				nb = 0;
				if (progress)
					fprintf(stderr, "\rimport: %llu records, %llu%% of the file", tot.sent,
					        st.st_size ? (base + sent) * 100 / (unsigned long long)st.st_size
					                   : 100);
			}
		}
		if (!brc && last)
			brc = finish(&im, berr);
		if (damaged) {
			if (brc)
				cli_error("%s", e2.msg);
			break;
		}
		rc = brc;
		if (last || rc)
			break;
		gl_buf_consume(&in, scan);
		base += scan;
	}
	if (progress)
		fputc('\n', stderr);
	if (im.fd >= 0)
		close(im.fd);
	close(fd);
	gl_buf_free(&in);
	gl_buf_free(&batch);
	free(lens);
	free(slots);
	if (cli->json) {
		json_t *o = json_object();
		json_object_set_new(o, "accepted", json_integer((json_int_t)tot.accepted));
		json_object_set_new(o, "older", json_integer((json_int_t)tot.older));
		json_object_set_new(o, "rejected", json_integer((json_int_t)tot.rejected));
		if (tot.first_error[0])
			json_object_set_new(o, "first_error", json_string(tot.first_error));
		if (rc)
			json_object_set_new(o, "error", json_string(err.msg));
		cli_print_json(o);
		json_decref(o);
	} else {
		printf("%llu accepted, %llu older, %llu rejected\n", tot.accepted, tot.older, tot.rejected);
	}
	if (tot.first_error[0])
		cli_error("first rejected record: %s", tot.first_error);
	if (rc)
		return cli_fail(&err);
	return tot.rejected ? EXIT_FAIL : EXIT_OK;
}
