/* gilde export, import */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
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
		return cli_usage(me, "%s", _("at most one FILE"));
	const char *path = optind < argc ? argv[optind] : NULL;
	if (!path && isatty(STDOUT_FILENO)) {
		cli_error("%s", _("export: refusing to write binary records to a terminal; name a FILE "
		                "or redirect the output"));
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
		cli_error(_("%s: write failed: %s"), path ? tmp : "stdout", strerror(errno));
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
		fprintf(stderr, path ? _("exported %llu records (%llu bytes) to %s\n")
		                     : _("exported %llu records (%llu bytes)\n"), x.count, x.bytes, path);
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
	struct gl_buf req;        /* the request being sent, kept between batches */
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
 *
 * A regular file is mapped: its records are read where the kernel holds
 * them, and copied once, into the batch being filled.  Anything else (a
 * pipe, a terminal) is read into a buffer that holds a chunk and a little
 * more.  Mapped, the file's pages are the kernel's page cache, and each
 * chunk's are let go of once sent.
 */
#define IMPORT_CHUNK (64u << 20)
#define IMPORT_READ (1u << 20)

struct import_slot {
	size_t off, len;          /* in the chunk */
	struct record_key key;
	bool keyed;               /* false: its key cannot be read; sent last */
};

static int send_batch(struct importer *im, const uint8_t *data, const size_t *lens, size_t n,
                      struct gl_error *err)
{
	while (im->pending >= IMPORT_INFLIGHT) {
		int rc = read_answer(im, err);
		if (rc)
			return rc;
	}
	im->req.len = 0;
	msgpack_packer pk;
	msg_begin(&im->req, &pk);
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
	msg_end(&im->req, 0);
	int rc = cli_send(im->fd, &im->req, err);
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

/* One import: the file, what was read of it, the chunk being sent. */
struct import_run {
	int fd;
	const char *path;
	size_t chunk;                /* IMPORT_CHUNK, or GILDE_IMPORT_CHUNK */
	unsigned long long size;     /* the file's */
	uint8_t *map;                /* the whole file, mapped; NULL: read into in */
	struct gl_buf in;            /* read: the bytes not yet sent */
	struct gl_buf batch;         /* the records of the next request */
	size_t *lens, nb;            /* the records in batch */
	const uint8_t *p;            /* the bytes not yet sent: map + base, or in.data */
	size_t len;
	struct import_slot *slots;
	size_t slots_cap;
	unsigned long long base;     /* file offset of p[0] */
	bool eof, progress;
	struct importer im;
};

/* The chunk size: IMPORT_CHUNK, or GILDE_IMPORT_CHUNK's; 0 after an error. */
static size_t import_chunk(void)
{
	const char *chunk_env = getenv("GILDE_IMPORT_CHUNK");
	if (!chunk_env || !*chunk_env)
		return IMPORT_CHUNK;
	char *end;
	unsigned long long v = strtoull(chunk_env, &end, 10);
	if (*end || v < 1 || v > IMPORT_CHUNK) {
		cli_error(_("GILDE_IMPORT_CHUNK=%s: expected a number of bytes from 1 to %u"), chunk_env,
		          IMPORT_CHUNK);
		return 0;
	}
	return (size_t)v;
}

/* Map a regular file whole (its size in ir->size, for the progress
 * either way); if it cannot be, it is read. */
static void map_file(struct import_run *ir)
{
	struct stat st;
	if (fstat(ir->fd, &st) || !S_ISREG(st.st_mode))
		return;
	ir->size = (unsigned long long)st.st_size;
	if (st.st_size <= 0 || ir->size > SIZE_MAX)
		return;
	void *m = mmap(NULL, (size_t)ir->size, PROT_READ, MAP_PRIVATE, ir->fd, 0);
	if (m == MAP_FAILED)
		return;
	madvise(m, (size_t)ir->size, MADV_SEQUENTIAL);
	ir->map = m;
}

/* Keep at least one whole record past scan in view (or all that is left). */
static int fill(struct import_run *ir, size_t scan, struct gl_error *err)
{
	if (ir->map) {
		ir->eof = true;
		ir->p = ir->map + ir->base;
		ir->len = (size_t)(ir->size - ir->base);
		return 0;
	}
	while (!ir->eof && ir->in.len - scan < GL_RECORD_MAX) {
		/* IMPORT_READ at a time: the buffer holds a chunk and little more */
		gl_buf_reserve(&ir->in, IMPORT_READ);
		ssize_t r = read(ir->fd, ir->in.data + ir->in.len, IMPORT_READ);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return gl_errorf(err, GL_EIO, "%s: %s", ir->path, strerror(errno));
		if (r == 0)
			ir->eof = true;
		ir->in.len += (size_t)r;
	}
	ir->p = ir->in.data;
	ir->len = ir->in.len;
	return 0;
}

/* The bytes of one chunk are sent: let them go. */
static void consume(struct import_run *ir, size_t scan)
{
	if (ir->map) {
		/* whole pages before the next chunk's first byte */
		size_t page = (size_t)sysconf(_SC_PAGESIZE);
		size_t from = (size_t)ir->base / page * page, to = (size_t)(ir->base + scan) / page * page;
		if (to > from)
			madvise(ir->map + from, to - from, MADV_DONTNEED);
	} else {
		gl_buf_consume(&ir->in, scan);
	}
	ir->base += scan;
}

/*
 * A chunk: whole records from p[0], up to the chunk size, the end of the
 * file, or a damaged record (*damaged, with rc GL_EFORMAT); *scan the
 * bytes and *n the records (slots) it holds.
 */
static int read_chunk(struct import_run *ir, size_t *scan, size_t *n, bool *damaged,
                      struct gl_error *err)
{
	int rc;
	*scan = *n = 0;
	*damaged = false;
	while (!(rc = fill(ir, *scan, err)) && *scan < ir->len && *scan < ir->chunk) {
		size_t span = 0;
		int src = record_span(ir->p + *scan, ir->len - *scan, &span, err);
		if (src) {
			*damaged = true;
			return gl_error_prefix(err, GL_EFORMAT, _("%s: byte %llu: not a record%s"), ir->path,
			                       ir->base + *scan,
			                       src == GL_ETRUNC ? _(" (the file ends inside it)") : "");
		}
		if (*n == ir->slots_cap) {
			ir->slots_cap = ir->slots_cap ? ir->slots_cap * 2 : 4096;
			ir->slots = gl_xrealloc(ir->slots, ir->slots_cap * sizeof *ir->slots);
		}
		ir->slots[(*n)++] = (struct import_slot){ .off = *scan, .len = span };
		*scan += span;
	}
	return rc;
}

/* Send a chunk's n records in batches; a batch may hold records of several
 * chunks: only the last chunk's is flushed, and its answers awaited. */
static int send_chunk(struct import_run *ir, size_t n, bool last, struct gl_error *err)
{
	int rc = 0;
	size_t sent = 0;
	for (size_t i = 0; i <= n && !rc; i++) {
		if (i < n) {
			gl_buf_append(&ir->batch, ir->p + ir->slots[i].off, ir->slots[i].len);
			ir->lens[ir->nb++] = ir->slots[i].len;
			sent += ir->slots[i].len;
		}
		if (ir->nb == IMPORT_BATCH || ir->batch.len >= IMPORT_BATCH_BYTES ||
		    (last && i == n && ir->nb)) {
			rc = send_batch(&ir->im, ir->batch.data, ir->lens, ir->nb, err);
			ir->batch.len = 0;
			ir->nb = 0;
			if (ir->progress) {
				fputc('\r', stderr);
				fprintf(stderr, _("import: %llu records, %llu%% of the file"), ir->im.tot->sent,
				        ir->size ? (ir->base + sent) * 100 / ir->size : 100);
			}
		}
	}
	if (!rc && last)
		rc = finish(&ir->im, err);
	return rc;
}

/* Read, order and send the file chunk by chunk. */
static int import_file(struct import_run *ir, struct gl_error *err)
{
	int rc = 0;
	while (!rc) {
		size_t scan, n;
		bool damaged;
		rc = read_chunk(ir, &scan, &n, &damaged, err);
		if (rc && !damaged)
			break;
		order_chunk(ir->p, ir->slots, n);
		bool last = damaged || (ir->eof && scan == ir->len);
		/* what comes before damage is still imported */
		struct gl_error e2 = { 0 };
		int brc = send_chunk(ir, n, last, damaged ? &e2 : err);
		if (damaged) {
			if (brc)
				cli_error("%s", e2.msg);
			break;
		}
		rc = brc;
		if (last || rc)
			break;
		consume(ir, scan);
	}
	return rc;
}

/*
 * A mapped file that another program shortens while it is imported: the
 * pages past its new end are gone, and reading them raises SIGBUS.  The
 * import stops there with an error that says so, instead of the process
 * dying; a SIGBUS anywhere else is not ours and ends it as before.
 */
static sigjmp_buf shrank_jmp;
static const uint8_t *shrank_from, *shrank_to;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	const uint8_t *a = si->si_addr;
	if (a >= shrank_from && a < shrank_to)
		siglongjmp(shrank_jmp, 1);
	signal(sig, SIG_DFL); /* returns to the fault, which now ends the process */
}

static int import_guarded(struct import_run *ir, struct gl_error *err)
{
	if (!ir->map)
		return import_file(ir, err);
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO }, old;
	sigemptyset(&sa.sa_mask);
	shrank_from = ir->map;
	shrank_to = ir->map + ir->size;
	sigaction(SIGBUS, &sa, &old);
	int rc;
	if (sigsetjmp(shrank_jmp, 1) == 0)
		rc = import_file(ir, err);
	else
		rc = GL_EIO;
	sigaction(SIGBUS, &old, NULL);
	/* a cut inside the last page reads as zeros, not SIGBUS: a record
	 * that does not read is named for what happened to the file */
	struct stat st;
	if (rc && fstat(ir->fd, &st) == 0 && (unsigned long long)st.st_size < ir->size)
		rc = gl_errorf(err, GL_EIO, _("%s: the file was shortened while it was imported (by "
		                              "another program?), from %llu to %llu bytes; records before "
		                              "byte %llu may be imported: run the import again once the "
		                              "file is whole"),
		               ir->path, ir->size, (unsigned long long)st.st_size, ir->base);
	else if (rc == GL_EIO && !err->msg[0])
		rc = gl_errorf(err, GL_EIO, _("%s: a page of the file could not be read"), ir->path);
	return rc;
}

/* What the import did, for a person or a script; the exit code. */
static int import_report(const struct cli *cli, const struct import_totals *tot, int rc,
                         const struct gl_error *err)
{
	if (cli->json) {
		json_t *o = json_object();
		json_object_set_new(o, "accepted", json_integer((json_int_t)tot->accepted));
		json_object_set_new(o, "older", json_integer((json_int_t)tot->older));
		json_object_set_new(o, "rejected", json_integer((json_int_t)tot->rejected));
		if (tot->first_error[0])
			json_object_set_new(o, "first_error", json_string(tot->first_error));
		if (rc)
			json_object_set_new(o, "error", json_string(err->msg));
		cli_print_json(o);
		json_decref(o);
	} else {
		printf(_("%llu accepted, %llu older, %llu rejected\n"), tot->accepted, tot->older,
		       tot->rejected);
	}
	if (tot->first_error[0])
		cli_error(_("first rejected record: %s"), tot->first_error);
	if (rc)
		return cli_fail(err);
	return tot->rejected ? EXIT_FAIL : EXIT_OK;
}

int cmd_import(struct cli *cli, int argc, char **argv)
{
	const struct cmd *me = cmd_find("import");
	if (cli_common_only(cli, me, argc, argv, -1))
		return EXIT_USAGE;
	if (argc - optind != 1)
		return cli_usage(me, "%s", _("name exactly one FILE"));
	struct import_totals tot = { 0 };
	struct import_run ir = { .path = argv[optind], .im = { .fd = -1, .tot = &tot },
		                 .progress = cli_progress() && !cli->json };
	ir.fd = open(ir.path, O_RDONLY | O_CLOEXEC);
	if (ir.fd < 0) {
		cli_error("%s: %s", ir.path, strerror(errno));
		return errno == ENOENT ? EXIT_NOTFOUND : EXIT_FAIL;
	}
	if (!(ir.chunk = import_chunk())) {
		close(ir.fd);
		return EXIT_USAGE;
	}
	map_file(&ir);
	struct gl_error err = { 0 };
	ir.lens = gl_xcalloc(IMPORT_BATCH, sizeof *ir.lens);
	int rc = cli_connect(cli, &ir.im.fd, &err);
	if (!rc)
		rc = import_guarded(&ir, &err);
	if (ir.progress)
		fputc('\n', stderr);
	if (ir.im.fd >= 0)
		close(ir.im.fd);
	close(ir.fd);
	if (ir.map)
		munmap(ir.map, (size_t)ir.size);
	gl_buf_free(&ir.in);
	gl_buf_free(&ir.im.req);
	gl_buf_free(&ir.batch);
	free(ir.lens);
	free(ir.slots);
	return import_report(cli, &tot, rc, &err);
}
