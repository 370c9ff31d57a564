/*
 * conn.h — one TCP connection to another node: handshake, encrypted
 * frames, timers, flow control.  What the messages mean is gossip.c's
 * business; who to connect to is net.c's.  conn calls neither: whoever
 * makes a connection hands it a table of callbacks (struct conn_cb), as
 * libuv hands its callers' callbacks their events.
 *
 * Life of a connection: CONNECTING (outbound, until TCP connects) ->
 * HANDSHAKE (handshake.h; bounded by [limits] handshake_timeout, or the
 * shorter hs_limit_ms its maker set; an inbound peer must send its first
 * message within CONN_FIRST_MS, and one that runs out of time earns a
 * strike, as one that fails does) -> OPEN
 * (frames; dropped after [limits] idle_timeout of silence, pinged after a
 * third of it) -> CLOSING.  A connection is freed when its handles are
 * closed and no ingest batch still refers to it (conn_ref/conn_unref).
 *
 * Flow control: incoming bytes are not read while the peer has
 * CONN_INGEST_MAX batches, or CONN_INGEST_BYTES of records, being verified
 * and stored, or work on the thread pool (a reconciliation's scan:
 * conn_pause_work), or has spent its
 * budget of bytes or records for the second ([limits] peer_bytes,
 * peer_records); outgoing records are produced only while less than
 * CONN_WRITE_HIGH bytes wait to be written, and a peer that lets more than
 * CONN_WRITE_MAX wait (it does not read) is dropped.
 */
#ifndef GILDE_CONN_H
#define GILDE_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "proto/frame.h"
#include "proto/handshake.h"
#include "daemon/itemset.h"
#include "daemon/node.h"
#include "proto/recon.h"
#include "proto/recon2.h"
#include "store/store.h"
#include "proto/wire.h"

#define CONN_INGEST_MAX 8
/* A batch of large records holds about three times its bytes while it is
 * checked and written (its terms, its results): eight batches of 1 MiB
 * records would be over 20 MiB for one peer.  Small records' batches
 * (200-300 KiB) stay bounded by the count. */
#define CONN_INGEST_BYTES (3u << 20)
#define CONN_WRITE_HIGH (2u << 20)
/* Spans (recon.h) waiting to be sent; more are left to later rounds. */
#define CONN_SPANS_MAX 4
/* A peer that lets this much wait to be written does not read: drop it. */
#define CONN_WRITE_MAX (16u << 20)
/* An honest initiator sends its first handshake message as soon as TCP
 * connects (HS_M1_LEN bytes): one that sends nothing for this long only
 * holds a slot. */
#define CONN_FIRST_MS 3000

struct conn;
struct wire_msg;

/*
 * What a connection tells the layer above, on the loop thread.  Every
 * callback must be set; any of them may close the connection.  The
 * table must outlive every connection made with it.
 */
struct conn_cb {
	/* The handshake completed: the link is OPEN and the peer's key known. */
	void (*opened)(struct conn *c);
	/* One message from the peer; m is valid during the call only. */
	void (*message)(struct conn *c, const struct wire_msg *m);
	/* Queued bytes were written while OPEN: there is room to send more. */
	void (*writable)(struct conn *c);
	/* Once a second while OPEN, after conn's own timers. */
	void (*tick)(struct conn *c, uint64_t now_ms);
	/* The handshake failed or timed out (then closed is called too). */
	void (*handshake_failed)(struct conn *c);
	/* The peer misbehaved (conn_misbehaved(), or an inbound peer failed
	 * the handshake); the connection is closed next. */
	void (*strike)(struct conn *c, const char *why);
	/* The connection is closing, for the reason why; called once, whatever
	 * the state.  c stays valid while references are held (conn_ref). */
	void (*closed)(struct conn *c, const char *why);
};

enum conn_state { CONN_CONNECTING, CONN_HANDSHAKE, CONN_OPEN, CONN_CLOSING };

struct conn_stats {
	uint64_t bytes_in, bytes_out;
	uint64_t records_in, records_out;
	uint64_t dups_in;        /* records received that were already held */
	uint64_t have_in, have_out, want_in, want_out;
	uint64_t recons;         /* reconciliations finished */
	uint64_t last_recon_ms;  /* when the last one finished (Unix ms), 0 never */
	uint64_t last_recon_duration_ms;
	unsigned last_recon_rounds;
	uint64_t last_recon_bytes;
	uint64_t spans_out;      /* spans (recon.h) sent to the end */
	uint64_t scanned;        /* store items its reconciliation messages made us read */
	uint64_t throttled;      /* times reading paused for a spent budget (any) */
	uint64_t have_dropped;   /* HAVE items left to reconciliation: over its WANT budget */
	uint64_t unknown_in;     /* messages of a type this version does not know */
	unsigned last_recon_version; /* 1 or 3: the version of the last one finished; 0 none */
	uint64_t recons_v2;      /* finished by coded symbols, v3 (either side started) */
	uint64_t v2_fallbacks;   /* v2 sessions of ours that ended TOO_MANY or FAILED (then v1) */
	uint64_t recons_abandoned; /* ours given up after RECON_GIVE_UP_MS without an answer */
	uint64_t sent_in, sent_out; /* SENT messages (the end of a reconciliation's records) */
	bool clock_known;        /* the peer's HELLO carried its clock */
	int64_t clock_offset_ms; /* its clock minus ours when its HELLO arrived */
};

struct conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	struct node *node;
	const struct conn_cb *cb;    /* the layer above (conn_new) */
	void *data;                  /* the layer above's (net: the address dialled, or NULL) */
	bool outbound;
	enum conn_state state;
	unsigned refs;
	char remote[300];            /* "ip:port" of the socket's other end */
	char ip[64];
	/* what limits and bans count by: the IPv4 address, or the IPv6 /64
	 * ("2001:db8:1:2::/64"), as a host gets one of either */
	char group[64];
	uint64_t hs_limit_ms;        /* 0, or a handshake deadline shorter than the config's */
	bool hs_first;               /* the peer's first handshake message arrived */
	bool probation;              /* net: let in from a banned group, on its key's merit */
	struct hs hs;
	struct frame_tx tx;
	struct frame_rx rx;
	struct gl_buf in;            /* bytes read, not yet consumed */
	struct gl_buf plain;         /* the frame being handled */
	/* the *_ms fields below are clock_mono_ms() readings (durations and
	 * deadlines), but for st.last_recon_ms and the HELLO's clock */
	uint64_t opened_ms, last_rx_ms, last_tx_ms;
	bool paused;                 /* reading stopped: one of the reasons below */
	bool pause_ingest;           /* ... its records wait to be verified and stored */
	bool pause_budget;           /* ... it spent its byte or record budget */
	bool pause_work;             /* ... work for it runs on the thread pool (conn_pause_work) */
	int64_t tokens_bytes;        /* budgets, refilled every second ([limits] peer_*) */
	int64_t tokens_records;
	uint64_t partial_since_ms;   /* a frame has started arriving, 0 if none */
	/* once OPEN */
	uint8_t remote_pk[32];
	char remote_key[64];         /* ed25519:… */
	char remote_name[WIRE_NAME_MAX + 1];
	bool hello;                  /* the peer's HELLO arrived */
	uint64_t hello_ms;           /* ... then: push reaches it from here on */
	uint8_t recon_key[32];
	/* gossip state */
	bool recon_active;           /* we started a reconciliation and it runs */
	bool recon_now;              /* start one at the next tick, even as responder */
	uint64_t recon_window_ms;    /* RECON messages received in the current 10 s */
	unsigned recon_window_count;
	unsigned recon_jobs;         /* reconciliation scans for it queued or running */
	int64_t scan_tokens;         /* store items its RECONs may still make us read */
	int64_t want_tokens;         /* items we may still WANT of it (answered HAVEs) */
	uint64_t unknown_window_ms;  /* messages of unknown types in the current 10 s */
	unsigned unknown_window_count;
	size_t unknown_window_bytes;
	uint64_t recon_started_ms;
	unsigned recon_rounds;
	uint64_t recon_bytes;
	uint64_t next_recon_ms;
	uint64_t recon_answer_ms;    /* our reconciliation's start or last answer (give up after 60 s) */
	/* reconciliation v2 (PROTOCOL.md 6.7; gossip2.c) */
	unsigned recon_version;      /* agreed in HELLO: 1, or 3 when both list it */
	bool recon_force_v1;         /* our next reconciliation is v1 (a v2 one fell back) */
	unsigned recon_running;      /* the version of ours that runs (recon_active) */
	uint64_t next_sid;           /* our sessions: odd if we dialled, even if not */
	struct recon2_init r2_init;  /* our session */
	struct recon2_resp r2_resp;  /* the peer's session */
	struct recon_items r2_take;  /* the peer's session: what we took (asked), */
	uint64_t r2_take_sid;        /* ... until its SENT says what came */
	uint64_t r2r_started_ms;     /* the peer's session: start, messages, bytes */
	unsigned r2r_rounds;
	uint64_t r2r_bytes;
	uint64_t v1_given;           /* items given for v1 reconciliations since the last SENT 0 */
	/* SENT due once the give queue has sent up to a position (gossip.c) */
	struct conn_sent { uint64_t sid, upto, records; bool after_spans; } sent_due[8];
	unsigned nsent_due;
	uint64_t give_queued, give_done; /* items ever queued in give, and gone past */
	struct recon_items give;     /* items to send, from give_pos on */
	size_t give_pos;
	/* ranges to send whole (recon.h), the first being read from the store
	 * in key order; span_pos is the last key read of it (span_pos_len 0:
	 * not started) */
	struct recon_span spans[CONN_SPANS_MAX];
	unsigned nspans;
	uint8_t span_pos[STORE_KEY_MAX];
	size_t span_pos_len;
	size_t wq_bytes;             /* bytes handed to uv_write, not yet written */
	unsigned ingest_inflight;
	size_t ingest_bytes;         /* of the records in those batches */
	struct itemcache known;      /* items the peer (probably) holds */
	struct itemcache announced;  /* items we told the peer about (HAVE) */
	uint64_t ping_nonce;
	struct conn_stats st;
	struct conn *prev, *next;
};

/* A new connection (TCP handle initialised, not yet connected) that
 * reports to cb; data is the caller's, kept in c->data. */
struct conn *conn_new(struct node *n, const struct conn_cb *cb, bool outbound, void *data);
/* TCP is connected (accepted or dialled): begin the handshake. */
void conn_start(struct conn *c);
/* Close (idempotent).  Sends BYE with the reason if the link is open. */
void conn_close(struct conn *c, const char *why);
/* Seal one message (a frame's plaintext) and queue it.  Returns 0 or -1
 * if the connection is closing or the message is over FRAME_MAX. */
int conn_send(struct conn *c, const struct gl_buf *msg);
/* Stop / resume reading for back-pressure from ingest (records waiting to
 * be verified and stored); budgets pause and resume on their own. */
void conn_pause(struct conn *c);
void conn_resume(struct conn *c);
/* Charge n records to the peer's budget (pauses reading when spent). */
void conn_charge_records(struct conn *c, size_t n);
/* Stop / resume reading while work for the peer runs on the thread pool
 * or its budget for such work is spent (gossip: reconciliation scans). */
void conn_pause_work(struct conn *c);
void conn_resume_work(struct conn *c);
/* The peer broke the protocol or sent bad signatures: log, report it
 * (cb->strike: net refuses its address for a while) and close. */
void conn_misbehaved(struct conn *c, const char *why);
void conn_ref(struct conn *c);
void conn_unref(struct conn *c);

#endif
