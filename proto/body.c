/* body.c — fields of an accepted record body (body.h). */
#include "proto/body.h"

#include <string.h>

#include "proto/record.h"

/* Skip one value of the body map (values sit at depth 2: the payload
 * array is 1), already checked by record_parse, so bounded. */
static int skip_value(struct mp_reader *rd)
{
	uint32_t values = 0;
	return mp_check_value(rd, &record_body_limits, 2, &values, NULL);
}

bool body_field(const uint8_t *body, size_t len, const char *key, struct mp_reader *rd)
{
	uint32_t n;
	size_t klen = strlen(key);
	if (!body)
		return false;
	mp_reader_init(rd, body, len);
	if (mp_read_map(rd, &n, NULL))
		return false;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *k;
		uint32_t kl;
		if (mp_read_str(rd, &k, &kl, NULL))
			return false;
		if (kl == klen && memcmp(k, key, klen) == 0)
			return true;
		if (skip_value(rd))
			return false;
	}
	return false;
}

bool body_str(const uint8_t *body, size_t len, const char *key, const uint8_t **s,
              uint32_t *slen)
{
	struct mp_reader rd;
	return body_field(body, len, key, &rd) && mp_read_str(&rd, s, slen, NULL) == 0;
}

bool body_str_is(const uint8_t *body, size_t len, const char *key, const char *want)
{
	const uint8_t *s;
	uint32_t sl;
	return body_str(body, len, key, &s, &sl) && sl == strlen(want) && !memcmp(s, want, sl);
}

bool body_lists(const uint8_t *body, size_t len, const char *key, const char *want,
                bool *present)
{
	struct mp_reader rd;
	uint32_t n;
	*present = false;
	if (!body_field(body, len, key, &rd) || mp_read_array(&rd, &n, NULL) != 0 || n == 0)
		return false;
	*present = true;
	size_t wl = strlen(want);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *s;
		uint32_t sl;
		if (mp_read_str(&rd, &s, &sl, NULL) != 0)
			return false;
		if (sl == wl && memcmp(s, want, wl) == 0)
			return true;
	}
	return false;
}
