#include "flood.h"

#include <msgpack.h>
#include <stdio.h>
#include <string.h>

#include "record.h"

static int buf_write(void *data, const char *buf, size_t len)
{
	gl_buf_append(data, buf, len);
	return 0;
}

static void pack_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str_with_body(pk, s, strlen(s));
}

void flood_body(struct gl_buf *b)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, b, buf_write);
	msgpack_pack_map(&pk, 4);
	static const char *const maps[] = { "title", "summary" };
	for (int i = 0; i < 2; i++) {
		pack_str(&pk, maps[i]);
		msgpack_pack_map(&pk, 2);
		pack_str(&pk, "nl");
		pack_str(&pk, "x");
		pack_str(&pk, "en");
		pack_str(&pk, "x");
	}
	pack_str(&pk, "published");
	pack_str(&pk, "2026-01-01T00:00:00Z");
	pack_str(&pk, "url");
	pack_str(&pk, "https://example.org/");
}

int flood_sign(long i, uint64_t now, unsigned spread, const struct gl_buf *body,
               const uint8_t sk[64], struct gl_buf *envs)
{
	char id[32];
	snprintf(id, sizeof id, "flood-%ld", i);
	struct record_draft d = { .kind = RK_NEWS, .id = id, .id_len = strlen(id), .version = 1,
	                          .issued = now,
	                          .expires = now + 86400 + (uint64_t)i % (spread ? spread : 1),
	                          .body = body->data, .body_len = body->len };
	return record_sign(&d, sk, envs, NULL);
}
