/*
 * ident.h — text forms of keys and hashes that people and JSON see.
 *
 *   public key:   "ed25519:" + base64url without padding (43 characters)
 *   secret key:   "ed25519-secret:" + base64url of the 32-byte seed
 *   network key:  "gilde-net:" + base64url of 32 bytes
 *   content id:   64 lowercase hex digits
 */
#ifndef GILDE_IDENT_H
#define GILDE_IDENT_H

#include <stddef.h>
#include <stdint.h>

#include "proto/err.h"

#define IDENT_PK_PREFIX "ed25519:"
#define IDENT_SK_PREFIX "ed25519-secret:"
#define IDENT_NET_PREFIX "gilde-net:"
/* Longest text form plus NUL. */
#define IDENT_TEXT_MAX 64

/* Write prefix + base64url(32 bytes) into out (IDENT_TEXT_MAX bytes). */
void ident_format(const char *prefix, const uint8_t key[32],
                  char out[IDENT_TEXT_MAX]);

/*
 * Parse prefix + base64url(32 bytes).  Surrounding white space is not
 * accepted.  Returns 0 or GL_EFORMAT with a sentence in err naming what
 * was expected (`what` names the thing, e.g. "curator key").
 */
int ident_parse(const char *prefix, const char *text, const char *what,
                uint8_t key[32], struct gl_error *err);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void ident_hex(const uint8_t *p, size_t n, char *out);
/* Parse exactly 2n hex digits. Returns 0 or GL_EFORMAT. */
int ident_unhex(const char *text, uint8_t *p, size_t n);

#endif
