/*
 * sim_main.c — gilde-sim: the federation simulated (sim.h) at several
 * sizes, printing what issue 23 asks: how long one new record takes to
 * reach every node, how many copies of it a node receives, and what
 * reconciliation costs a node per hour at steady state.
 *
 *   gilde-sim [--nodes 30,100,1000] [--records N] [--version 1|2]
 *             [--hours H] [--latency-ms MS] [--loss P] [--no-churn]
 *             [--loopback] [--trials K] [--seed S]
 *
 * Each size runs: a warm-up (nodes start within 2 s, dial, reconcile);
 * K records published one at a time, 5 s apart, with no churn ("calm");
 * then H simulated hours of steady state: churn (a node up for an
 * exponential time of mean 60 min, down for mean 5 min, publishing its
 * node record again when it returns) and one new record every 10 s from
 * a random node, and one more every 100 s tracked.  --loopback is the
 * profile to hold beside 30 real daemons on one machine: 0.05 ms links, no
 * loss, no churn, 10,000 records, v1 and the rules of gilded today
 * (options after it override: --version 2 --dedup for gilded after the
 * integration of issue 23).  --today: without the rules against
 * duplicates (sim.c, "Duplicates"), as gilded is now.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "sim.h"
#include "timing.h"

struct opts {
	unsigned sizes[8], nsizes;
	struct sim_params p;
	double hours;
	unsigned trials;
	bool loopback;
	bool check; /* exit 1 if a calm record missed a node or came less than once */
};

static double rss_mib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, res = 0;
	if (f) {
		if (fscanf(f, "%lu %lu", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return (double)res * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Convergence of the tracked records [from, to): each counts the nodes
 * online without a break since it was published. */
struct conv {
	unsigned records, missed;  /* missed: some such node lacks it */
	double mean_ms, p95_ms, max_ms;
	double copies, copies_max; /* RECORDS entries received per node that got it */
};

static void convergence(struct sim *s, unsigned nodes, size_t from, size_t to, struct conv *cv)
{
	uint64_t *t = gl_xmalloc((to - from + 1) * sizeof *t);
	double copies = 0, got_total = 0;
	memset(cv, 0, sizeof *cv);
	for (size_t k = from; k < to; k++) {
		const struct sim_rec *r = sim_rec(s, k);
		if (!r->tracked)
			continue;
		uint64_t last = 0;
		bool missed = false;
		for (unsigned i = 0; i < nodes; i++) {
			const struct sim_node *n = sim_node(s, i);
			if (!n->online || n->up_since_us > r->published_us)
				continue;
			if (!r->got[i])
				missed = true;
			else if (r->got[i] > last)
				last = r->got[i];
		}
		cv->missed += missed;
		if (!missed)
			t[cv->records++] = last - r->published_us;
		if (getenv("SIM_DEBUG") && (missed || last - r->published_us > 30000000))
			for (unsigned i = 0; i < nodes; i++) {
				const struct sim_node *n = sim_node(s, i);
				if (!n->online || n->up_since_us > r->published_us)
					continue;
				if (r->got[i] && r->got[i] - r->published_us < 30000000)
					continue;
				unsigned out = 0;
				for (unsigned c = 0; c < n->nconns; c++)
					out += n->conns[c]->outbound;
				fprintf(stderr, "slow: record %zu published %.1f s, node %u got it %.1f s later;"
				        " conns %u (out %u), own_active %u, quiet %.1f, wanted %.1f\n",
				        k, r->published_us / 1e6, i,
				        r->got[i] ? (r->got[i] - r->published_us) / 1e6 : -1.0, n->nconns, out,
				        n->own_active, n->own_quiet_us / 1e6,
				        imap_get(&n->wanted, r->item) / 1e6);
			}
		unsigned receivers = r->holders > 0 ? r->holders - 1 : 0; /* not the origin */
		copies += (double)r->copies;
		got_total += receivers;
		double per = receivers ? (double)r->copies / receivers : 0;
		if (per > cv->copies_max)
			cv->copies_max = per;
	}
	if (cv->records) {
		qsort(t, cv->records, sizeof *t, cmp_u64);
		double sum = 0;
		for (unsigned i = 0; i < cv->records; i++)
			sum += (double)t[i];
		cv->mean_ms = sum / cv->records / 1e3;
		cv->p95_ms = (double)t[(cv->records * 95) / 100 < cv->records ? (cv->records * 95) / 100
		                                                               : cv->records - 1] / 1e3;
		cv->max_ms = (double)t[cv->records - 1] / 1e3;
	}
	cv->copies = got_total > 0 ? copies / got_total : 0;
	free(t);
}

static void print_conv(const char *what, const struct conv *cv)
{
	printf("  %-34s %3u records: everywhere in mean %7.1f ms, p95 %7.1f, max %7.1f%s\n", what,
	       cv->records, cv->mean_ms, cv->p95_ms, cv->max_ms,
	       cv->missed ? " (some missed: see below)" : "");
	if (cv->missed)
		printf("  %-34s %3u records did not reach every node in time\n", "", cv->missed);
	printf("  %-34s copies received per node: mean %.3f, worst record %.3f\n", "", cv->copies,
	       cv->copies_max);
}

static void diff_stats(struct sim_stats *d, const struct sim_stats *a, const struct sim_stats *b)
{
	for (int i = 0; i < SC_COUNT; i++)
		d->bytes_out[i] = b->bytes_out[i] - a->bytes_out[i];
	d->records_in = b->records_in - a->records_in;
	d->dups_in = b->dups_in - a->dups_in;
	d->dups_given = b->dups_given - a->dups_given;
	d->have_in = b->have_in - a->have_in;
	d->have_out = b->have_out - a->have_out;
	d->want_in = b->want_in - a->want_in;
	d->want_out = b->want_out - a->want_out;
	d->recons = b->recons - a->recons;
	d->recon_bytes = b->recon_bytes - a->recon_bytes;
	d->recon_flights = b->recon_flights - a->recon_flights;
	d->v2_sessions = b->v2_sessions - a->v2_sessions;
	d->v2_nonzero = b->v2_nonzero - a->v2_nonzero;
	d->v2_fallbacks = b->v2_fallbacks - a->v2_fallbacks;
	d->v2_more = b->v2_more - a->v2_more;
}

/* The counters of `gilde peers`, per node and per record, for the calm
 * trials: what a run of real daemons reports and can be held beside. */
static void print_counters(const struct sim_stats *d, unsigned nodes, unsigned recs)
{
	double per = (double)nodes * (recs ? recs : 1);
	printf("  per node per record (gilde peers' counters, summed over a node's links):\n"
	       "    records_in %.3f  duplicates_in %.3f  have_in %.2f  have_out %.2f  want_in %.3f"
	       "  want_out %.3f\n",
	       d->records_in / per, d->dups_in / per, d->have_in / per, d->have_out / per,
	       d->want_in / per, d->want_out / per);
	printf("    bytes_out per node per record: push %.0f B (HAVE, WANT), records %.0f B\n",
	       d->bytes_out[SC_PUSH] / per, d->bytes_out[SC_RECORDS] / per);
}

static void print_steady(const struct sim_stats *d, unsigned nodes, double hours, unsigned version)
{
	double nh = nodes * hours;
	printf("  steady state, per node per hour:\n"
	       "    reconciliation %.0f B sent (%.0f sessions started, %.1f B a session both ways,"
	       " %.2f flights a session)\n",
	       d->bytes_out[SC_RECON] / nh, d->recons / nh,
	       d->recons ? (double)d->recon_bytes / d->recons : 0,
	       d->recons ? (double)d->recon_flights / d->recons : 0);
	printf("    push %.0f B, records %.0f B asked with WANT and %.0f B given by reconciliation,"
	       " HELLO and handshakes %.0f B\n",
	       d->bytes_out[SC_PUSH] / nh, d->bytes_out[SC_RECORDS] / nh, d->bytes_out[SC_GIVEN] / nh,
	       d->bytes_out[SC_OTHER] / nh);
	if (version == 2)
		printf("    v2 sessions %.0f: with differences %.1f%%, MORE %.2f%%, fallbacks to v1 "
		       "%.3f%%\n",
		       (double)d->v2_sessions, d->v2_sessions ? 100.0 * d->v2_nonzero / d->v2_sessions : 0,
		       d->v2_sessions ? 100.0 * d->v2_more / d->v2_sessions : 0,
		       d->v2_sessions ? 100.0 * d->v2_fallbacks / d->v2_sessions : 0);
	printf("    records received by all nodes %.0f, of which duplicates %.2f%% (%.2f%% given by"
	       " a reconciliation)\n",
	       (double)d->records_in, d->records_in ? 100.0 * d->dups_in / d->records_in : 0,
	       d->records_in ? 100.0 * d->dups_given / d->records_in : 0);
}

static int run_size(const struct opts *o, unsigned nodes)
{
	struct sim_params p = o->p;
	p.nodes = nodes;
	double t0 = now_s();
	struct sim *s = sim_new(&p);
	printf("\n== %u nodes, %zu records, reconciliation v%u, links %.2f ms one way, loss %.1f%%,"
	       " churn %s, %s\n",
	       nodes, p.base_records, p.version, p.latency_us / 1e3, p.loss * 100,
	       p.up_mean_s > 0 ? "on" : "off",
	       p.dedup ? "with the rules against duplicates" : "today's rules (--today)");
	uint64_t t = 60000000; /* warm-up: a minute */
	sim_run(s, t);
	struct sim_stats a, b, d;
	struct conv cv;
	sim_totals(s, &a);
	size_t first = sim_nrecs(s);
	for (unsigned k = 0; k < o->trials; k++) {
		sim_publish(s, (unsigned)(k * 7919u % nodes), 1200, true);
		t += 5000000;
		sim_run(s, t);
	}
	t += 20000000;
	sim_run(s, t);
	sim_totals(s, &b);
	convergence(s, nodes, first, sim_nrecs(s), &cv);
	print_conv("calm (no churn):", &cv);
	int rc = 0;
	if (o->check && (cv.missed || cv.records != o->trials || cv.copies < 1.0)) {
		fprintf(stderr, "gilde-sim: %u of %u calm records missed a node (copies %.3f)\n",
		        cv.missed, o->trials, cv.copies);
		rc = 1;
	}
	diff_stats(&d, &a, &b);
	print_counters(&d, nodes, o->trials);

	sim_steady(s, o->loopback ? 0 : 10000000);
	t += 300000000; /* five minutes for churn to settle */
	sim_run(s, t);
	sim_totals(s, &a);
	first = sim_nrecs(s);
	uint64_t end = t + (uint64_t)(o->hours * 3600e6);
	while (t < end) { /* one tracked record every 100 s, beside the others */
		t = t + 100000000 < end ? t + 100000000 : end;
		sim_run(s, t);
		unsigned origin = (unsigned)(t / 1000 % nodes);
		while (!sim_node(s, origin)->online) /* some node is online: churn keeps most up */
			origin = (origin + 1) % nodes;
		sim_publish(s, origin, 1200, true);
	}
	sim_run(s, end + 150000000); /* a record push missed is found within 60 s + young_us */
	sim_totals(s, &b);
	diff_stats(&d, &a, &b);
	if (p.up_mean_s > 0) {
		convergence(s, nodes, first, sim_nrecs(s), &cv);
		print_conv("steady (churn, other records):", &cv);
	}
	print_steady(&d, nodes, o->hours, p.version);
	printf("  online at the end %u of %u; memory %.0f MiB; %.1f s of CPU\n", sim_online(s), nodes,
	       rss_mib(), now_s() - t0);
	sim_free(s);
	return rc;
}

static void usage(void)
{
	fprintf(stderr, "usage: gilde-sim [--nodes 30,100,1000] [--records N] [--version 1|2] "
	                "[--hours H] [--latency-ms MS] [--loss P] [--no-churn] [--loopback] "
	                "[--trials K] [--seed S] [--today] [--dedup] [--check]\n");
	exit(2);
}

static void parse(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof *o);
	unsigned def[] = { 30, 100, 1000 };
	memcpy(o->sizes, def, sizeof def);
	o->nsizes = 3;
	o->p = (struct sim_params){ .base_records = 1000000, .version = 2, .latency_us = 50000,
	                            .jitter_us = 5000, .bandwidth_bps = 100e6, .loss = 0.01,
	                            .rto_us = 200000, .store_us = 5000,
	                            .recon_interval_us = 60000000, .dial = 8, .max_peers = 32,
	                            .sketch_size = 4096, .up_mean_s = 3600, .down_mean_s = 300,
	                            .seed = 23, .dedup = true, .young_us = 10000000 };
	o->hours = 1;
	o->trials = 20;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--no-churn")) {
			o->p.up_mean_s = 0;
			continue;
		}
		if (!strcmp(a, "--today")) { /* gilded's rules as they are: no dedup */
			o->p.dedup = false;
			continue;
		}
		if (!strcmp(a, "--dedup")) {
			o->p.dedup = true;
			continue;
		}
		if (!strcmp(a, "--check")) {
			o->check = true;
			continue;
		}
		if (!strcmp(a, "--loopback")) {
			o->loopback = true;
			o->p.latency_us = 50;
			o->p.jitter_us = 10;
			o->p.bandwidth_bps = 1e9;
			o->p.loss = 0;
			o->p.up_mean_s = 0;
			o->p.version = 1;
			o->p.dedup = false;
			o->p.base_records = 10000;
			o->sizes[0] = 30;
			o->nsizes = 1;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--nodes")) {
			o->nsizes = 0;
			for (char *t = strtok((char *)v, ","); t && o->nsizes < 8; t = strtok(NULL, ","))
				o->sizes[o->nsizes++] = (unsigned)strtoul(t, NULL, 10);
		} else if (!strcmp(a, "--records")) {
			o->p.base_records = strtoull(v, NULL, 10);
		} else if (!strcmp(a, "--version")) {
			o->p.version = (unsigned)strtoul(v, NULL, 10);
		} else if (!strcmp(a, "--hours")) {
			o->hours = strtod(v, NULL);
		} else if (!strcmp(a, "--latency-ms")) {
			o->p.latency_us = (uint64_t)(strtod(v, NULL) * 1000);
			o->p.jitter_us = o->p.latency_us / 10 + 1;
		} else if (!strcmp(a, "--loss")) {
			o->p.loss = strtod(v, NULL);
		} else if (!strcmp(a, "--trials")) {
			o->trials = (unsigned)strtoul(v, NULL, 10);
		} else if (!strcmp(a, "--seed")) {
			o->p.seed = strtoull(v, NULL, 10);
		} else {
			usage();
		}
	}
	if ((o->p.version != 1 && o->p.version != 2) || !o->nsizes || o->trials < 1)
		usage();
}

int main(int argc, char **argv)
{
	struct opts o;
	if (sodium_init() < 0)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	parse(argc, argv, &o);
	printf("gilde-sim: %s; %u records published one at a time in the calm, then %.1f h of"
	       " steady state\n  (records %u B, stored %.0f ms after arriving; recon every %.0f s by"
	       " the dialler; %u dialled, at most %u peers;\n  TCP-like links, %.0f Mbit/s, a lost"
	       " message delayed %.0f ms)\n",
	       o.loopback ? "loopback profile, to hold beside real daemons" : "wide-area profile",
	       o.trials, o.hours, 1200, o.p.store_us / 1e3, o.p.recon_interval_us / 1e6, o.p.dial,
	       o.p.max_peers, o.p.bandwidth_bps / 1e6, o.p.rto_us / 1e3);
	for (unsigned i = 0; i < o.nsizes; i++)
		if (run_size(&o, o.sizes[i]))
			return 1;
	return 0;
}
