/*
 * match_facts.c — an offer's facts as the matcher reads them, kept by the
 * store as a derived value (store/derived.h) so that a match reads a
 * small fixed record per offer instead of parsing and walking its body.
 *
 * The value: struct eligibility_offer as it lies in memory (plain data,
 * zeroed before it is filled, so its padding is zero), then the offer's
 * "partner" field: its length in one byte and its bytes.  The version
 * names what the bits mean: the layout's number and size, and a hash of
 * the taxonomy's terms in order (a term's bit is its place), so a node or
 * a client with another taxonomy, or another build of the struct, reads
 * the bodies instead.
 */
#include "query/match.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "proto/body.h"
#include "query/eligibility.h"

/* Bump when struct eligibility_offer or the value's layout changes. */
#define FACTS_LAYOUT 2

void match_facts_version(const struct taxonomy *tax, char out[MATCH_FACTS_VERSION_MAX])
{
	static const char *const facets[] = { "need", "phase", "sector", "activity", "area",
	                                      "school" };
	crypto_generichash_state st;
	uint8_t h[16];
	crypto_generichash_init(&st, NULL, 0, sizeof h);
	for (size_t f = 0; f < sizeof facets / sizeof facets[0]; f++) {
		size_t n;
		const struct tax_term *t = taxonomy_facet(tax, facets[f], &n);
		crypto_generichash_update(&st, (const uint8_t *)facets[f], strlen(facets[f]) + 1);
		for (size_t i = 0; i < n; i++) {
			const char *parent = t[i].parent ? t[i].parent : "";
			crypto_generichash_update(&st, (const uint8_t *)t[i].id, strlen(t[i].id) + 1);
			crypto_generichash_update(&st, (const uint8_t *)parent, strlen(parent) + 1);
		}
	}
	crypto_generichash_final(&st, h, sizeof h);
	char hex[2 * sizeof h + 1];
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	snprintf(out, MATCH_FACTS_VERSION_MAX, "offer-facts/%d/%zu/%s", FACTS_LAYOUT,
	         sizeof(struct eligibility_offer), hex);
}

static int encode(void *ctx, const struct record *r, struct gl_buf *out, struct gl_error *err)
{
	(void)err;
	struct eligibility_offer o;
	char partner[GL_ID_MAX + 1] = "";
	eligibility_offer_read(ctx, r->body, r->body_len, &o);
	body_str_copy(r->body, r->body_len, "partner", partner, sizeof partner);
	uint8_t plen = (uint8_t)strlen(partner);
	gl_buf_append(out, &o, sizeof o);
	gl_buf_append(out, &plen, 1);
	gl_buf_append(out, partner, plen);
	return 0;
}

bool match_facts_decode(const uint8_t *val, size_t len, struct eligibility_offer *o,
                        char partner[GL_ID_MAX + 1])
{
	if (len < sizeof *o + 1)
		return false;
	size_t plen = val[sizeof *o];
	if (plen > GL_ID_MAX || len != sizeof *o + 1 + plen)
		return false;
	memcpy(o, val, sizeof *o);
	memcpy(partner, val + sizeof *o + 1, plen);
	partner[plen] = '\0';
	return true;
}

void match_facts_init(struct match_facts *mf, const struct taxonomy *tax)
{
	match_facts_version(tax, mf->version);
	mf->derive = (struct store_derive){ .version = mf->version, .kind = RK_OFFER, .fn = encode,
	                                    .ctx = (void *)tax };
}
