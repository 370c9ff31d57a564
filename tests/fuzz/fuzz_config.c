/*
 * Fuzz target: gilded's configuration file (schemas/config.h).  The input
 * is written to a temporary file (made once per process, removed at exit)
 * and config_load reads it into a fresh config (config_defaults /
 * config_free each time); an accepted file is also dumped (config_dump).
 */
#include <unistd.h>

#include "schemas/config.h"
#include "fuzz.h"

static char path[4096];
static FILE *devnull;

static void cleanup(void)
{
	if (path[0])
		unlink(path);
	if (devnull)
		fclose(devnull);
}

static const char *temp_path(void)
{
	if (!path[0]) {
		const char *dir = getenv("TMPDIR");
		snprintf(path, sizeof path, "%s/gilde-fuzz-config.XXXXXX", dir && *dir ? dir : "/tmp");
		int fd = mkstemp(path);
		if (fd < 0) {
			perror(path);
			abort();
		}
		close(fd);
		devnull = fopen("/dev/null", "w");
		if (!devnull)
			abort();
		atexit(cleanup);
	}
	return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = temp_path();
	FILE *f = fopen(p, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
		perror(p);
		abort();
	}
	struct config c;
	struct gl_error err;
	config_defaults(&c);
	int rc = config_load(&c, p, &err);
	if (rc == 0)
		config_dump(&c, devnull);
	else
		FZ_CHECK(rc == GL_ECONFIG && err.code == rc && err.msg[0] != '\0');
	config_free(&c);
	return 0;
}
