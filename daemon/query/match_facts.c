/*
 * match_facts.c — an offer's facts as the matcher reads them, kept by the
 * store as a derived value (store/derived.h) so that a match reads a
 * small fixed record per offer instead of parsing and walking its body.
 *
 * The value, small so that a match walks few pages of the store: which
 * fields differ from an offer that says nothing (a bit each, in the order
 * of `enum field`, as a varint), then each of those fields as a varint
 * (LEB128: 7 bits a byte, the low ones first; valid_until zigzagged), then
 * the offer's "partner" field: its length in one byte and its bytes.
 * Most offers take 10 to 20 bytes, not the struct's 88.  The version
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
#define FACTS_LAYOUT 6

enum field {
	F_NEEDS, F_SECTORS, F_PHASES, F_ACTIVITIES, F_AREAS, F_SCHOOLS, F_RESTRICTED, F_SOFT, F_INCL,
	F_LANGUAGES, F_NSECTORS, F_NACTIVITIES, F_FREE, F_INACTIVE, F_UNTIL, F_MAX_AGE,
	F_MIN_EMPLOYEES, F_MAX_EMPLOYEES, F_PREMISES, F_COUNT
};

/* The longest varint: 64 bits, 7 a byte. */
#define VARINT_MAX 10

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

static void put_varint(struct gl_buf *out, uint64_t v)
{
	uint8_t b[VARINT_MAX];
	size_t n = 0;
	do {
		b[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		b[n++] |= v ? 0x80 : 0;
	} while (v);
	gl_buf_append(out, b, n);
}

/* A varint from p[*at..len) into *v; false if it runs past the end or
 * over 64 bits. */
static bool get_varint(const uint8_t *p, size_t len, size_t *at, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; *at < len && shift < 64; shift += 7) {
		uint8_t b = p[(*at)++];
		if (shift == 63 && b > 1)
			return false;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

/* The offer's fields as numbers, in the order of enum field; 0 is an
 * offer that says nothing, but for valid_until (has_until). */
static void fields_of(const struct eligibility_offer *o, uint64_t f[F_COUNT], bool *has_until)
{
	uint64_t incl = 0;
	for (int s = 0; s < ELIGIBILITY_SITUATIONS; s++)
		incl |= (uint64_t)(o->incl[s] & 3) << (2 * s);
	*has_until = o->until != INT64_MAX;
	uint64_t until = (uint64_t)o->until;
	const uint64_t v[F_COUNT] = {
		[F_NEEDS] = o->needs, [F_SECTORS] = o->sectors, [F_PHASES] = o->phases,
		[F_ACTIVITIES] = o->activities, [F_AREAS] = o->areas, [F_SCHOOLS] = o->schools,
		[F_RESTRICTED] = o->restricted, [F_SOFT] = o->soft, [F_INCL] = incl,
		[F_LANGUAGES] = o->languages, [F_NSECTORS] = o->nsectors,
		[F_NACTIVITIES] = o->nactivities, [F_FREE] = o->free, [F_INACTIVE] = o->inactive,
		[F_UNTIL] = until << 1 ^ (uint64_t)(o->until >> 63), [F_MAX_AGE] = o->max_age,
		[F_MIN_EMPLOYEES] = o->min_employees, [F_MAX_EMPLOYEES] = o->max_employees,
		[F_PREMISES] = o->premises,
	};
	memcpy(f, v, sizeof v);
}

static int encode(void *ctx, const struct record *r, struct gl_buf *out, struct gl_error *err)
{
	(void)err;
	struct eligibility_offer o;
	char partner[GL_ID_MAX + 1] = "";
	uint64_t f[F_COUNT], mask = 0;
	bool has_until;
	eligibility_offer_read(ctx, r->body, r->body_len, &o);
	body_str_copy(r->body, r->body_len, "partner", partner, sizeof partner);
	fields_of(&o, f, &has_until);
	for (int k = 0; k < F_COUNT; k++)
		if (k == F_UNTIL ? has_until : f[k] != 0)
			mask |= UINT64_C(1) << k;
	put_varint(out, mask);
	for (int k = 0; k < F_COUNT; k++)
		if (mask >> k & 1)
			put_varint(out, f[k]);
	uint8_t plen = (uint8_t)strlen(partner);
	gl_buf_append(out, &plen, 1);
	gl_buf_append(out, partner, plen);
	return 0;
}

/* Field k's value v into o; false if it does not fit. */
static bool set_field(struct eligibility_offer *o, int k, uint64_t v)
{
	static const uint64_t most[F_COUNT] = {
		[F_NEEDS] = UINT64_MAX, [F_SECTORS] = UINT64_MAX, [F_PHASES] = UINT64_MAX,
		[F_ACTIVITIES] = UINT64_MAX, [F_AREAS] = UINT64_MAX, [F_SCHOOLS] = UINT64_MAX,
		[F_RESTRICTED] = UINT32_MAX, [F_SOFT] = UINT32_MAX,
		[F_INCL] = (UINT64_C(1) << (2 * ELIGIBILITY_SITUATIONS)) - 1, [F_LANGUAGES] = UINT8_MAX,
		[F_NSECTORS] = UINT8_MAX, [F_NACTIVITIES] = UINT8_MAX, [F_FREE] = 1, [F_INACTIVE] = 1,
		[F_UNTIL] = UINT64_MAX, [F_MAX_AGE] = UINT32_MAX, [F_MIN_EMPLOYEES] = UINT32_MAX,
		[F_MAX_EMPLOYEES] = UINT32_MAX, [F_PREMISES] = UINT8_MAX,
	};
	if (v > most[k])
		return false;
	switch (k) {
	case F_NEEDS: o->needs = v; break;
	case F_SECTORS: o->sectors = v; break;
	case F_PHASES: o->phases = v; break;
	case F_ACTIVITIES: o->activities = v; break;
	case F_AREAS: o->areas = v; break;
	case F_SCHOOLS: o->schools = v; break;
	case F_RESTRICTED: o->restricted = (uint32_t)v; break;
	case F_SOFT: o->soft = (uint32_t)v; break;
	case F_INCL:
		for (int s = 0; s < ELIGIBILITY_SITUATIONS; s++)
			o->incl[s] = (uint8_t)(v >> (2 * s) & 3);
		break;
	case F_LANGUAGES: o->languages = (uint8_t)v; break;
	case F_NSECTORS: o->nsectors = (uint8_t)v; break;
	case F_NACTIVITIES: o->nactivities = (uint8_t)v; break;
	case F_FREE: o->free = v; break;
	case F_INACTIVE: o->inactive = v; break;
	case F_UNTIL: o->until = (int64_t)(v >> 1) ^ -(int64_t)(v & 1); break;
	case F_MAX_AGE: o->max_age = (uint32_t)v; break;
	case F_MIN_EMPLOYEES: o->min_employees = (uint32_t)v; break;
	case F_MAX_EMPLOYEES: o->max_employees = (uint32_t)v; break;
	default: o->premises = (uint8_t)v; break;
	}
	return true;
}

bool match_facts_decode(const uint8_t *val, size_t len, struct eligibility_offer *o,
                        char partner[GL_ID_MAX + 1])
{
	size_t at = 0;
	uint64_t mask, v;
	memset(o, 0, sizeof *o);
	o->until = INT64_MAX;
	if (!get_varint(val, len, &at, &mask) || mask >> F_COUNT)
		return false;
	for (int k = 0; k < F_COUNT; k++)
		if ((mask >> k & 1) && (!get_varint(val, len, &at, &v) || !set_field(o, k, v)))
			return false;
	if (at >= len)
		return false;
	size_t plen = val[at++];
	if (plen > GL_ID_MAX || len - at != plen)
		return false;
	memcpy(partner, val + at, plen);
	partner[plen] = '\0';
	return true;
}

void match_facts_init(struct match_facts *mf, const struct taxonomy *tax)
{
	match_facts_version(tax, mf->version);
	mf->derive = (struct store_derive){ .version = mf->version, .kind = RK_OFFER, .fn = encode,
	                                    .ctx = (void *)tax };
}
