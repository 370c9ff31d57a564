/*
 * err.h — the one error convention of gilde.
 *
 * Every function that can fail returns 0 on success or a negative value of
 * enum gl_err.  gl_strerror() names a code.  Functions whose failures a
 * person will read (bad JSON, bad config, malformed records) also take a
 * struct gl_error, which they fill with a sentence saying what was wrong
 * and where; the caller prints that sentence, never the bare code.
 *
 * Allocation failure is not an error code: gl_xmalloc() and friends abort
 * the process (see alloc.h).  That policy is stated once, here.
 */
#ifndef GILDE_ERR_H
#define GILDE_ERR_H

#include <stddef.h>

enum gl_err {
	GL_OK = 0,
	GL_EINVAL = -1,    /* a caller passed something impossible */
	GL_ETRUNC = -2,    /* input ended inside a value */
	GL_EFORMAT = -3,   /* bytes do not follow the format */
	GL_ELIMIT = -4,    /* input exceeds a named limit */
	GL_ESIG = -5,      /* signature does not verify */
	GL_ENOTFOUND = -6, /* no such record, key or file */
	GL_EIO = -7,       /* an operating-system call failed */
	GL_ENOSPC = -8,    /* the store's map is full */
	GL_ESCHEMA = -9,   /* a document does not follow its schema */
	GL_EJSON = -10,    /* text is not valid JSON */
	GL_ECONFIG = -11,  /* bad configuration */
	GL_EBUSY = -12,    /* resource held by another process */
	GL_EPERM = -13,    /* permissions are wrong or access refused */
	GL_ETIME = -14,    /* a time lies outside the accepted window */
	GL_EPROTO = -15,   /* a peer or client broke the protocol */
	GL_ESTORE = -16,   /* the store is damaged or incompatible */
	GL_EREFUSED = -17, /* the daemon refused the request */
	GL_EUNAVAIL = -18, /* the daemon is not running or unreachable */
	GL_EAUTH = -19,    /* a handshake failed to authenticate */
};

/* A filled-in explanation of a failure; msg is always NUL-terminated. */
struct gl_error {
	int code;
	char msg[512];
};

/* Name of an error code ("malformed input"); never NULL. */
const char *gl_strerror(int code);

/*
 * Record a failure in err (if err is not NULL) and return code, so that a
 * failing function can write `return gl_errorf(err, GL_EFORMAT, ...)`.
 * If err already holds a message, the new text replaces it.
 */
int gl_errorf(struct gl_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Put context in front of an existing message: "ctx: old message".
 * Returns err->code (or code if err is NULL).
 */
int gl_error_prefix(struct gl_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
