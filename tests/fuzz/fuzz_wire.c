/*
 * Fuzz target: a frame's plaintext as a peer message (proto/wire.h).
 * wire_parse, then, for a message it accepts, the checks that every view
 * points into the input and that the encoder of its type writes the same
 * bytes back (the msgpack profile admits one encoding per value, so an
 * accepted message has exactly one form), then wire_msg_free.
 */
#include "fuzz.h"
#include "proto/wire.h"

static bool inside(const uint8_t *in, size_t len, const void *p, size_t n)
{
	const uint8_t *q = p;
	return q >= in && n <= len && q <= in + len - n;
}

/* The encoder's output for m, or false if m's type has no exact encoder. */
static bool reencode(const struct wire_msg *m, const uint8_t *in, struct gl_buf *out)
{
	switch (m->type) {
	case WIRE_HELLO: {
		/* wire_hello writes version 1 and four fields, or five with a
		 * non-zero clock */
		if (m->version != WIRE_VERSION || !(in[0] == 0x94 || (in[0] == 0x95 && m->clock_ms)))
			return false;
		char *name = gl_xstrndup(m->name, m->name_len);
		char *ep[WIRE_ENDPOINTS_MAX];
		for (unsigned i = 0; i < m->nendpoints; i++)
			ep[i] = gl_xstrndup(m->endpoints[i], m->endpoint_len[i]);
		wire_hello(out, name, (const char *const *)ep, m->nendpoints, m->clock_ms);
		for (unsigned i = 0; i < m->nendpoints; i++)
			free(ep[i]);
		free(name);
		return true;
	}
	case WIRE_RECON:
		wire_recon(out, m->recon, m->recon_len);
		return true;
	case WIRE_WANT:
	case WIRE_HAVE:
		wire_items(out, m->type, (const uint8_t(*)[32])m->items, m->nitems);
		return true;
	case WIRE_RECORDS:
		wire_records_head(out, m->nenv);
		for (size_t i = 0; i < m->nenv; i++)
			wire_records_add(out, m->env[i], m->env_len[i]);
		return true;
	case WIRE_PING:
	case WIRE_PONG:
		wire_ping(out, m->type, m->nonce);
		return true;
	case WIRE_BYE: {
		char *reason = gl_xstrndup(m->reason, m->reason_len);
		wire_bye(out, m->code, reason);
		free(reason);
		return true;
	}
	default:
		return false;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_msg m;
	struct gl_error err;
	if (wire_parse(data, size, &m, &err) != 0)
		return 0;
	FZ_CHECK(m.type <= 255);
	FZ_CHECK(m.name_len <= WIRE_NAME_MAX && m.nendpoints <= WIRE_ENDPOINTS_MAX);
	FZ_CHECK(!m.name_len || inside(data, size, m.name, m.name_len));
	for (unsigned i = 0; i < m.nendpoints; i++)
		FZ_CHECK(m.endpoint_len[i] <= WIRE_ENDPOINT_MAX &&
		         (!m.endpoint_len[i] || inside(data, size, m.endpoints[i], m.endpoint_len[i])));
	FZ_CHECK(!m.recon || inside(data, size, m.recon, m.recon_len));
	FZ_CHECK(m.nitems <= WIRE_ITEMS_MAX && (m.items != NULL) == (m.nitems != 0));
	FZ_CHECK(m.nenv <= WIRE_RECORDS_MAX);
	for (size_t i = 0; i < m.nenv; i++)
		FZ_CHECK(!m.env_len[i] || inside(data, size, m.env[i], m.env_len[i]));
	FZ_CHECK(m.reason_len <= WIRE_REASON_MAX);
	FZ_CHECK(!m.reason_len || inside(data, size, m.reason, m.reason_len));
	struct gl_buf again = { 0 };
	if (reencode(&m, data, &again))
		FZ_CHECK(again.len == size && memcmp(again.data, data, size) == 0);
	gl_buf_free(&again);
	wire_msg_free(&m);
	FZ_CHECK(!m.items && !m.env && !m.env_len);
	return 0;
}
