/*
 * gossip_push.c — announcing what was stored (PROTOCOL.md 6.5: HAVE to
 * every link but the source and those known to hold it) and learning
 * peers from node records (6.6).  Split from gossip.c; loop thread.
 */
#include "daemon/gossip.h"

#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "proto/alloc.h"
#include "proto/clock.h"
#include "daemon/gossip_int.h"
#include "daemon/log.h"
#include "daemon/net.h"
#include "daemon/sketch.h"
#include "proto/record.h"

/* HAVE the n items, WIRE_ITEMS_MAX to a message. */
static void send_have(struct conn *c, const uint8_t (*items)[32], size_t n)
{
	for (size_t off = 0; off < n; off += WIRE_ITEMS_MAX) {
		size_t m = n - off < WIRE_ITEMS_MAX ? n - off : WIRE_ITEMS_MAX;
		struct gl_buf msg = { 0 };
		wire_items(&msg, WIRE_HAVE, items + off, m);
		conn_send(c, &msg);
		gl_buf_free(&msg);
	}
}

/* ---- announcing --------------------------------------------------------- */

bool gossip_pushed(struct conn *c, const uint8_t item[32])
{
	/* a record committed after the HELLO's millisecond is left to push;
	 * one committed within it is given, at worst a copy more (hello_ms
	 * and sketch.c's commit times both read the monotonic clock) */
	uint64_t since = clock_mono_ms() - c->hello_ms;
	if (since > RECON_GIVE_FRESH_MS)
		since = RECON_GIVE_FRESH_MS;
	if (sketch_recent(c->node, item, since))
		return true;
	/* so is one committed before the HELLO but announced on c after it
	 * (its commit's callback ran once the link was up: a node record
	 * written as the first link opens), while it is fresh: the peer
	 * asks for it by WANT, and a reconciliation giving it too would send
	 * it twice; if push failed, the next reconciliation finds it */
	return itemcache_has(&c->announced, item) &&
	       sketch_recent(c->node, item, RECON_GIVE_FRESH_MS);
}

void gossip_announce(struct node *n, const uint8_t (*items)[32], size_t count, struct conn *from)
{
	if (!count)
		return;
	uint8_t (*tell)[32] = gl_xmalloc(count * 32);
	for (struct conn *c = net_conns(n); c; c = c->next) {
		if (c == from || c->state != CONN_OPEN || !c->hello)
			continue;
		size_t k = 0;
		for (size_t i = 0; i < count; i++) {
			if (itemcache_has(&c->known, items[i]) || itemcache_has(&c->announced, items[i]))
				continue;
			itemcache_put(&c->announced, items[i]);
			memcpy(tell[k++], items[i], 32);
		}
		send_have(c, (const uint8_t (*)[32])tell, k);
		c->st.have_out += k;
	}
	free(tell);
}

/* Endpoints of a node record's body, for discovery. */
static void learn_from_node_record(struct node *n, const struct record *r)
{
	if (!r->body || memcmp(r->author, n->pk, 32) == 0)
		return;
	msgpack_zone zone;
	msgpack_zone_init(&zone, 1024);
	msgpack_object o;
	size_t off = 0;
	if (msgpack_unpack((const char *)r->body, r->body_len, &off, &zone, &o) ==
	    MSGPACK_UNPACK_SUCCESS && o.type == MSGPACK_OBJECT_MAP) {
		for (uint32_t i = 0; i < o.via.map.size; i++) {
			const msgpack_object *k = &o.via.map.ptr[i].key, *v = &o.via.map.ptr[i].val;
			if (k->type != MSGPACK_OBJECT_STR || k->via.str.size != 9 ||
			    memcmp(k->via.str.ptr, "endpoints", 9) || v->type != MSGPACK_OBJECT_ARRAY)
				continue;
			for (uint32_t j = 0; j < v->via.array.size; j++)
				if (v->via.array.ptr[j].type == MSGPACK_OBJECT_STR)
					net_learn(n, r->author, v->via.array.ptr[j].via.str.ptr,
					          v->via.array.ptr[j].via.str.size, true);
		}
	}
	msgpack_zone_destroy(&zone);
}

void gossip_stored(struct node *n, const struct ingest_batch *b, struct conn *from)
{
	uint8_t (*items)[32] = b->n ? gl_xmalloc(b->n * 32) : NULL;
	size_t k = 0;
	for (size_t i = 0; i < b->n; i++) {
		const struct ingest_rec *r = &b->recs[i];
		if (!ingest_stored(r))
			continue;
		memcpy(items[k++], r->item, RECORD_ITEM_LEN);
		if (log_get_level() >= LOG_DEBUG)
			log_debug("stored", "kind=%s id=%.*s version=%llu from=%s",
			          record_kind_name(r->rec.kind), (int)r->rec.id_len, r->rec.id,
			          (unsigned long long)r->rec.version, from ? from->remote_key : "local");
		if (r->rec.kind == RK_NODE)
			learn_from_node_record(n, &r->rec);
	}
	gossip_announce(n, (const uint8_t (*)[32])items, k, from);
	free(items);
	gossip_curated(n, &b->changes);
}

void gossip_curated(struct node *n, const struct curate_changes *ch)
{
	/* records admitted with an endorsement came from this node's
	 * applications, statements signed here from nowhere else: every
	 * peer may lack them */
	gossip_announce(n, (const uint8_t (*)[32])ch->announce.v, ch->announce.n, NULL);
	if (ch->trust_changed)
		gossip_trust_changed(n);
}
