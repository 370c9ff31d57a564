/*
 * gossip2.c — reconciliation by coded symbols on a link, version 3 on the
 * wire (PROTOCOL.md 6.7; v2's messages with v3's digest): the version
 * agreed in HELLO, sessions started and answered over the node's sketch
 * (sketch.h) with proto/recon2.h, the records they name queued like v1's
 * (gossip.c), SENT after them, and v1 at once when a session of ours ends
 * TOO_MANY or FAILED.
 *
 * Nothing here grows with the number of items: START and ESTIMATE read the
 * sketch's first symbols, SYMBOLS copy at most a session's, and decoding
 * works over the symbols received (a few us per differing item, its L(x)
 * included, on the loop: at most 8,192 symbols a session).
 *
 * Test switches (tests of a mixed federation; gilded(8)), in gilded's
 * environment: GILDED_RECON_VERSIONS=1 makes it list no coded-symbol
 * version and send the HELLO of a node before v2; GILDED_RECON_VERSIONS=2
 * makes it list [1, 2] as a node before v3 did (it then speaks v1 with
 * everyone: this build has no v2 digest).  Loop thread.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/gossip_int.h"
#include "daemon/log.h"
#include "daemon/sketch.h"
#include "proto/clock.h"
#include "proto/recon2.h"

unsigned gossip2_versions(void)
{
	const char *v = getenv("GILDED_RECON_VERSIONS");
	if (v && strcmp(v, "1") == 0)
		return WIRE_RECON_V1;
	if (v && strcmp(v, "2") == 0)
		return WIRE_RECON_V1 | WIRE_RECON_V2;
	return WIRE_RECON_V1 | WIRE_RECON_V3;
}

void gossip2_hello(struct conn *c, const struct wire_msg *m)
{
	/* of what it lists, this build speaks 1 and 3 (6.7.1) */
	unsigned spoken = gossip2_versions() & (WIRE_RECON_V1 | WIRE_RECON_V3);
	c->recon_version = wire_recon_pick(spoken, m->recon_versions);
	/* odd sessions for the dialler, even for the other (6.7.3) */
	c->next_sid = c->outbound ? 1 : 2;
	c->r2_resp.skip = gossip_asked_recently;
	c->r2_resp.skip_ctx = c->node;
}

/* Send what a call produced, in order; count it for the statistics. */
static void send_out(struct conn *c, struct recon2_out *out, unsigned *rounds, uint64_t *bytes)
{
	for (size_t i = 0; i < out->nmsgs; i++) {
		*bytes += out->msgs[i].len;
		conn_send(c, &out->msgs[i]);
	}
	if (out->nmsgs)
		++*rounds; /* a flight of SYMBOLS is one step, as START or END */
}

bool gossip2_may_start(struct conn *c)
{
	struct gossip *g = c->node->gossip;
	if (g->owner && g->owner != c && clock_mono_ms() >= g->owner_until_ms)
		g->owner = NULL; /* its records should be here by now */
	return !g->owner || g->owner == c;
}

void gossip2_own(struct conn *c)
{
	struct gossip *g = c->node->gossip;
	g->owner = c;
	g->owner_sid = 0;
	g->owner_until_ms = UINT64_MAX;
}

void gossip2_release(struct conn *c, uint64_t wait_ms, uint64_t sid)
{
	struct gossip *g = c->node->gossip;
	if (g->owner != c)
		return;
	if (wait_ms == 0) {
		g->owner = NULL;
		return;
	}
	g->owner_sid = sid;
	g->owner_until_ms = clock_mono_ms() + wait_ms;
}

bool gossip2_start(struct conn *c)
{
	const struct riblt_sketch *own = sketch_get(c->node);
	if (c->recon_version != RECON2_VERSION || !own)
		return false;
	struct recon2_out out = { 0 };
	struct gl_error err = { 0 };
	uint64_t sid = c->next_sid;
	c->next_sid += 2;
	if (recon2_initiate(&c->r2_init, sid, own, &out, &err)) {
		recon2_out_free(&out);
		return false;
	}
	uint64_t now = clock_mono_ms();
	gossip2_own(c);
	c->recon_active = true;
	c->recon_running = 2;
	c->recon_started_ms = c->recon_answer_ms = now;
	c->recon_rounds = 0;
	c->recon_bytes = 0;
	send_out(c, &out, &c->recon_rounds, &c->recon_bytes);
	recon2_out_free(&out);
	return true;
}

/* Our session ended (out->done). */
static void initiator_done(struct conn *c, struct recon2_out *out, uint64_t sid)
{
	c->recon_active = false;
	c->next_recon_ms = clock_mono_ms() + c->node->cfg.recon_interval * 1000;
	if (out->status == R2_TOO_MANY || out->status == R2_FAILED) {
		log_info("recon2-fallback", "peer=%s sid=%llu status=%s", c->remote_key,
		         (unsigned long long)sid, out->status == R2_FAILED ? "failed" : "too-many");
		c->st.v2_fallbacks++;
		gossip_start_v1(c); /* 6.7.4 step 7: v1 at once */
		return;
	}
	gossip_recon_stats(c, RECON2_VERSION, c->recon_started_ms, c->recon_rounds, c->recon_bytes);
	/* the next of ours once the peer's records came (its SENT) */
	gossip2_release(c, out->status == R2_DECODED ? RECON_SENT_WAIT_MS : 0, sid);
	if (out->status == R2_DECODED) {
		/* the take keys, resolved to the versions held when sent */
		size_t k = gossip_give(c, (const uint8_t (*)[32])out->give.v, out->give.n, true);
		gossip_sent_due(c, sid, k, false);
	}
}

/* The peer's session ended (out->done). */
static void responder_done(struct conn *c, struct recon2_out *out, uint64_t sid)
{
	gossip_recon_stats(c, RECON2_VERSION, c->r2r_started_ms, c->r2r_rounds, c->r2r_bytes);
	if (out->status != R2_DECODED)
		return;
	/* what the initiator sends unasked: not to be asked of anyone else
	 * until its SENT, which frees what did not come (it may hold back a
	 * record it stored a moment ago: 6.4, "Moving the records") */
	gossip_mark_wanted(c->node, (const uint8_t (*)[32])out->take.v, out->take.n);
	free(c->r2_take.v);
	c->r2_take = out->take;
	memset(&out->take, 0, sizeof out->take);
	c->r2_take_sid = sid;
	size_t k = gossip_give(c, (const uint8_t (*)[32])out->give.v, out->give.n, true);
	gossip_sent_due(c, sid, k, false);
}

/* Whose session a message belongs to: ours (as initiator) or the peer's. */
static bool ours(const struct conn *c, const struct recon2_msg *m)
{
	switch (m->type) {
	case R2_ESTIMATE:
	case R2_MORE:
		return true;
	case R2_END:
		return (m->sid & 1) == (c->outbound ? 1u : 0u);
	default:
		return false;
	}
}

static void on_sent(struct conn *c, const struct recon2_msg *m)
{
	c->st.sent_in++;
	struct gossip *g = c->node->gossip;
	if (g->owner == c && g->owner_until_ms != UINT64_MAX && m->sid == g->owner_sid)
		g->owner = NULL; /* our reconciliation's records are here */
	if (m->sid && m->sid == c->r2_take_sid) {
		/* its records are all out: what has not arrived may be asked again
		 * (records still being checked and stored arrive as duplicates at worst) */
		gossip_unmark_wanted(c->node, (const uint8_t (*)[32])c->r2_take.v, c->r2_take.n);
		free(c->r2_take.v);
		memset(&c->r2_take, 0, sizeof c->r2_take);
		c->r2_take_sid = 0;
	}
	log_debug("recon-sent", "peer=%s sid=%llu records=%llu", c->remote_key,
	          (unsigned long long)m->sid, (unsigned long long)m->records);
}

/* Handle m with the node's sketch own (NULL: not built yet). */
static int dispatch(struct conn *c, const struct recon2_msg *m, size_t len,
                    const struct riblt_sketch *own, struct gl_error *err)
{
	struct recon2_out out = { 0 };
	int rc = 0;
	if (ours(c, m)) {
		if (!own || !c->recon_active || c->recon_running != 2 || m->sid != c->r2_init.sid)
			goto out; /* an answer to a session given up: ignored */
		c->recon_answer_ms = clock_mono_ms();
		c->recon_rounds++;
		c->recon_bytes += len;
		if ((rc = recon2_initiator_on(&c->r2_init, own, m, &out, err)))
			goto out;
		send_out(c, &out, &c->recon_rounds, &c->recon_bytes);
		if (out.done)
			initiator_done(c, &out, m->sid);
	} else if (!own) {
		/* no sketch yet: a START is answered TOO_MANY, and v1 follows */
		if (m->type == R2_START) {
			struct gl_buf msg = { 0 };
			recon2_msg_end(&msg, m->sid, R2_TOO_MANY, NULL, 0);
			gossip_send(c, &msg);
		}
	} else {
		if (m->type == R2_START) {
			c->r2r_started_ms = clock_mono_ms();
			c->r2r_rounds = 0;
			c->r2r_bytes = 0;
		}
		c->r2r_rounds += m->type != R2_SYMBOLS || m->first == 0 || m->first == c->r2_resp.end;
		c->r2r_bytes += len;
		if ((rc = recon2_responder_on(&c->r2_resp, own, m, &out, err)))
			goto out;
		send_out(c, &out, &c->r2r_rounds, &c->r2r_bytes);
		if (out.done)
			responder_done(c, &out, m->sid);
	}
out:
	recon2_out_free(&out);
	return rc;
}

void gossip2_message(struct conn *c, const uint8_t *p, size_t len)
{
	struct recon2_msg m;
	struct gl_error err = { 0 };
	char q[600];
	if (!gossip_recon_window(c))
		return;
	if (recon2_parse(p, len, &m, &err)) {
		log_info("peer-protocol", "peer=%s reason=%s", c->remote_key, log_q(err.msg, q, sizeof q));
		conn_misbehaved(c, "malformed reconciliation");
		return;
	}
	if (m.type == R2_SENT) {
		on_sent(c, &m);
		return;
	}
	if (dispatch(c, &m, len, sketch_get(c->node), &err)) {
		log_info("peer-protocol", "peer=%s reason=%s", c->remote_key, log_q(err.msg, q, sizeof q));
		conn_misbehaved(c, "reconciliation out of turn");
	}
}

void gossip2_close(struct conn *c)
{
	gossip2_release(c, 0, 0);
	recon2_init_free(&c->r2_init);
	recon2_resp_free(&c->r2_resp);
	free(c->r2_take.v);
	memset(&c->r2_take, 0, sizeof c->r2_take);
}
