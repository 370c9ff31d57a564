/* body.c — fields of an accepted record body (body.h). */
#include "proto/body.h"

#include <string.h>

#include "proto/record.h"

/* Skip one value.  Bodies were checked whole when parsed (body.h), so it
 * is passed over by its bounds alone, not checked again (UTF-8, duplicate
 * keys, limits: 4-8 % of a web match's time when it was). */
static int skip_value(struct mp_reader *rd)
{
	return mp_skip(rd, NULL);
}

static bool str_eq(const uint8_t *s, uint32_t sl, const char *want)
{
	size_t wl = strlen(want);
	return sl == wl && memcmp(s, want, wl) == 0;
}

bool body_entries(const uint8_t *map, size_t len, struct body_iter *it)
{
	if (!map)
		return false;
	mp_reader_init(&it->rd, map, len);
	it->map = true;
	return mp_read_map(&it->rd, &it->left, NULL) == 0;
}

/* The next key, the reader left on its value (it->left counts the entry
 * once its value is read or skipped). */
static bool next_key(struct body_iter *it, const uint8_t **key, uint32_t *klen)
{
	return it->map && it->left > 0 && mp_read_str(&it->rd, key, klen, NULL) == 0;
}

bool body_entries_next(struct body_iter *it, const uint8_t **key, uint32_t *klen,
                       const uint8_t **val, size_t *vlen)
{
	if (!next_key(it, key, klen))
		return false;
	const uint8_t *start = it->rd.p;
	if (skip_value(&it->rd))
		return false;
	it->left--;
	*val = start;
	*vlen = (size_t)(it->rd.p - start);
	return true;
}

bool body_field(const uint8_t *body, size_t len, const char *key, struct mp_reader *rd)
{
	struct body_iter it;
	const uint8_t *k;
	uint32_t kl;
	if (!body_entries(body, len, &it))
		return false;
	while (next_key(&it, &k, &kl)) {
		if (str_eq(k, kl, key)) {
			*rd = it.rd;
			return true;
		}
		if (skip_value(&it.rd))
			return false;
		it.left--;
	}
	return false;
}

bool body_value(const uint8_t *body, size_t len, const char *key, const uint8_t **val,
                size_t *vlen)
{
	struct mp_reader rd;
	if (!body_field(body, len, key, &rd))
		return false;
	const uint8_t *start = rd.p;
	if (skip_value(&rd))
		return false;
	*val = start;
	*vlen = (size_t)(rd.p - start);
	return true;
}

bool body_value_str(const uint8_t *val, size_t vlen, const uint8_t **s, uint32_t *slen)
{
	struct mp_reader rd;
	if (!val)
		return false;
	mp_reader_init(&rd, val, vlen);
	return mp_read_str(&rd, s, slen, NULL) == 0;
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
	return body_str(body, len, key, &s, &sl) && str_eq(s, sl, want);
}

bool body_str_copy(const uint8_t *body, size_t len, const char *key, char *buf, size_t n)
{
	const uint8_t *s;
	uint32_t sl;
	buf[0] = '\0';
	if (!body_str(body, len, key, &s, &sl) || sl >= n)
		return false;
	memcpy(buf, s, sl);
	buf[sl] = '\0';
	return true;
}

/* In a language map: whether it has a string under lang (NULL: no). */
static bool lang_text(const uint8_t *map, size_t len, const char *lang, const uint8_t **s,
                      uint32_t *slen)
{
	return lang && body_str(map, len, lang, s, slen);
}

bool body_text_value(const uint8_t *v, size_t vl, const char *lang, const uint8_t **s,
                     uint32_t *slen)
{
	const uint8_t *k, *ev;
	size_t evl;
	uint32_t kl;
	struct body_iter it;
	if (body_value_str(v, vl, s, slen))
		return true;
	if (!body_entries(v, vl, &it))
		return false;
	if (lang_text(v, vl, lang, s, slen) || lang_text(v, vl, "en", s, slen) ||
	    lang_text(v, vl, "nl", s, slen))
		return true;
	while (body_entries_next(&it, &k, &kl, &ev, &evl))
		if (body_value_str(ev, evl, s, slen))
			return true;
	return false;
}

bool body_text(const uint8_t *body, size_t len, const char *key, const char *lang,
               const uint8_t **s, uint32_t *slen)
{
	const uint8_t *v;
	size_t vl;
	return body_value(body, len, key, &v, &vl) && body_text_value(v, vl, lang, s, slen);
}

bool body_int(const uint8_t *body, size_t len, const char *key, int64_t *out)
{
	struct mp_reader rd;
	struct mp_item it;
	if (!body_field(body, len, key, &rd) || mp_next(&rd, &it, NULL))
		return false;
	if (it.type == MP_INT) {
		*out = it.v.i;
		return true;
	}
	if (it.type != MP_UINT || it.v.u > INT64_MAX)
		return false;
	*out = (int64_t)it.v.u;
	return true;
}

bool body_bool(const uint8_t *body, size_t len, const char *key, bool *out)
{
	struct mp_reader rd;
	struct mp_item it;
	if (!body_field(body, len, key, &rd) || mp_next(&rd, &it, NULL) || it.type != MP_BOOL)
		return false;
	*out = it.v.b;
	return true;
}

bool body_strs(const uint8_t *body, size_t len, const char *key, struct body_iter *it)
{
	it->map = false;
	it->left = 0;
	return body_field(body, len, key, &it->rd) && mp_read_array(&it->rd, &it->left, NULL) == 0;
}

bool body_strs_next(struct body_iter *it, const uint8_t **s, uint32_t *slen)
{
	while (!it->map && it->left) {
		struct mp_reader at = it->rd;
		it->left--;
		if (mp_read_str(&it->rd, s, slen, NULL) == 0)
			return true;
		it->rd = at;
		if (skip_value(&it->rd)) {
			it->left = 0;
			return false;
		}
	}
	return false;
}

bool body_lists(const uint8_t *body, size_t len, const char *key, const char *want,
                bool *present)
{
	struct body_iter it;
	const uint8_t *s;
	uint32_t sl;
	*present = body_strs(body, len, key, &it) && it.left > 0;
	if (!*present)
		return false;
	while (body_strs_next(&it, &s, &sl))
		if (str_eq(s, sl, want))
			return true;
	return false;
}
