/* Helpers shared by the unit tests. */
#ifndef GILDE_TESTUTIL_H
#define GILDE_TESTUTIL_H

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <msgpack.h>
#include <sodium.h>

#include "proto/alloc.h"
#include "proto/record.h"

/* A key pair from a one-byte pattern, so tests are reproducible. */
static inline void tu_keypair(uint8_t fill, uint8_t pk[32], uint8_t sk[64])
{
	uint8_t seed[32];
	memset(seed, fill, sizeof seed);
	crypto_sign_seed_keypair(pk, sk, seed);
}

static inline int tu_buf_write(void *data, const char *buf, size_t len)
{
	gl_buf_append(data, buf, len);
	return 0;
}

static inline void tu_packer(msgpack_packer *pk, struct gl_buf *b)
{
	msgpack_packer_init(pk, b, tu_buf_write);
}

static inline void tu_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str_with_body(pk, s, strlen(s));
}

/* Wrap a hand-made payload into a signed envelope (no checks). */
static inline void tu_envelope(const struct gl_buf *payload, const uint8_t sk[64], struct gl_buf *out)
{
	uint8_t sig[64];
	uint8_t *m = gl_xmalloc(16 + payload->len);
	memcpy(m, RECORD_SIG_CONTEXT, 16);
	memcpy(m + 16, payload->data, payload->len);
	crypto_sign_detached(sig, NULL, m, 16 + payload->len, sk);
	free(m);
	msgpack_packer pk;
	tu_packer(&pk, out);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_bin_with_body(&pk, payload->data, payload->len);
	msgpack_pack_bin_with_body(&pk, sig, 64);
}

/* A fresh directory for one test program, /tmp/gilde-NAME-XXXXXX, in dir. */
static inline int tu_tmpdir(char dir[64], const char *name)
{
	snprintf(dir, 64, "/tmp/gilde-%s-XXXXXX", name);
	return mkdtemp(dir) ? 0 : -1;
}

static inline int tu_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(p);
}

/* Remove dir and everything in it. */
static inline int tu_rmtree(const char *dir)
{
	return nftw(dir, tu_rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* A file of the source tree, via GILDE_SOURCE_ROOT (set by meson test). */
static inline char *tu_source_path(const char *rel)
{
	const char *root = getenv("GILDE_SOURCE_ROOT");
	char *p = gl_xmalloc(4096);
	snprintf(p, 4096, "%s/%s", root ? root : ".", rel);
	return p;
}

static inline char *tu_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct gl_buf b = { 0 };
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		gl_buf_append(&b, tmp, n);
	fclose(f);
	gl_buf_append(&b, "", 1);
	if (len)
		*len = b.len - 1;
	return (char *)b.data;
}

#endif
