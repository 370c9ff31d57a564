#include "proto/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *gl_strerror(int code)
{
	switch (code) {
	case GL_OK: return "success";
	case GL_EINVAL: return "invalid argument";
	case GL_ETRUNC: return "truncated input";
	case GL_EFORMAT: return "malformed input";
	case GL_ELIMIT: return "over a limit";
	case GL_ESIG: return "bad signature";
	case GL_ENOTFOUND: return "not found";
	case GL_EIO: return "input/output error";
	case GL_ENOSPC: return "store is full";
	case GL_ESCHEMA: return "does not follow its schema";
	case GL_EJSON: return "invalid JSON";
	case GL_ECONFIG: return "bad configuration";
	case GL_EBUSY: return "in use by another process";
	case GL_EPERM: return "permission problem";
	case GL_ETIME: return "time out of range";
	case GL_EPROTO: return "protocol violation";
	case GL_ESTORE: return "store damaged or incompatible";
	case GL_EREFUSED: return "refused";
	case GL_EUNAVAIL: return "daemon unavailable";
	case GL_EAUTH: return "authentication failed";
	}
	return "unknown error";
}

int gl_errorf(struct gl_error *err, int code, const char *fmt, ...)
{
	if (!err)
		return code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	err->code = code;
	return code;
}

int gl_error_prefix(struct gl_error *err, int code, const char *fmt, ...)
{
	if (!err)
		return code;
	char prefix[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	size_t pl = strlen(prefix), ol = strnlen(err->msg, sizeof err->msg - 1);
	if (pl + 2 >= sizeof err->msg)
		pl = sizeof err->msg - 3;
	if (pl + 2 + ol >= sizeof err->msg)
		ol = sizeof err->msg - 1 - pl - 2;
	memmove(err->msg + pl + 2, err->msg, ol);
	memcpy(err->msg, prefix, pl);
	err->msg[pl] = ':';
	err->msg[pl + 1] = ' ';
	err->msg[pl + 2 + ol] = '\0';
	if (err->code == 0)
		err->code = code;
	return err->code;
}
