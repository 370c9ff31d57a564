#include "proto/ident.h"

#include <sodium.h>
#include <string.h>

#define B64_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING

void ident_format(const char *prefix, const uint8_t key[32],
                  char out[IDENT_TEXT_MAX])
{
	size_t pl = strlen(prefix);
	memcpy(out, prefix, pl);
	sodium_bin2base64(out + pl, IDENT_TEXT_MAX - pl, key, 32, B64_VARIANT);
}

int ident_parse(const char *prefix, const char *text, const char *what,
                uint8_t key[32], struct gl_error *err)
{
	size_t pl = strlen(prefix);
	if (strncmp(text, prefix, pl) != 0)
		return gl_errorf(err, GL_EFORMAT, "%s \"%.80s\" does not start with \"%s\"",
		                 what, text, prefix);
	const char *b64 = text + pl;
	size_t bl = strlen(b64), got = 0;
	const char *end = NULL;
	uint8_t tmp[33];
	if (bl != 43 || sodium_base642bin(tmp, sizeof tmp, b64, bl, NULL, &got, &end,
	                                  B64_VARIANT) != 0 ||
	    got != 32 || end != b64 + bl)
		return gl_errorf(err, GL_EFORMAT,
		                 "%s \"%.80s\" is not %s followed by 43 base64url characters",
		                 what, text, prefix);
	memcpy(key, tmp, 32);
	return 0;
}

void ident_hex(const uint8_t *p, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, p, n);
}

int ident_unhex(const char *text, uint8_t *p, size_t n)
{
	size_t got = 0;
	const char *end = NULL;
	if (strlen(text) != 2 * n ||
	    sodium_hex2bin(p, n, text, 2 * n, NULL, &got, &end) != 0 || got != n)
		return GL_EFORMAT;
	return 0;
}
