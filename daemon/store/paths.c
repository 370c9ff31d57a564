#include "store/paths.h"

#include <stdio.h>
#include <stdlib.h>

int paths_default_data(char out[PATHS_MAX], struct gl_error *err)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	int n;
	if (xdg && *xdg == '/')
		n = snprintf(out, PATHS_MAX, "%s/gilde", xdg);
	else if (home && *home)
		n = snprintf(out, PATHS_MAX, "%s/.local/share/gilde", home);
	else
		return gl_errorf(err, GL_ENOTFOUND,
		                 "no data directory: set HOME or XDG_DATA_HOME, or pass --data DIR");
	if (n < 0 || n >= PATHS_MAX)
		return gl_errorf(err, GL_ELIMIT, "data directory path too long");
	return 0;
}

int paths_join(char out[PATHS_MAX], const char *data, const char *name,
               struct gl_error *err)
{
	int n = snprintf(out, PATHS_MAX, "%s/%s", data, name);
	if (n < 0 || n >= PATHS_MAX)
		return gl_errorf(err, GL_ELIMIT, "%s/%s: path too long", data, name);
	return 0;
}
