/*
 * replay.c — the main() of a fuzz target in ordinary builds.  Feeds every
 * file named on the command line, and every file of every directory named
 * there (in name order, dot files skipped), to LLVMFuzzerTestOneInput()
 * once.  `meson test --suite fuzz-regress` runs it over the target's seed
 * corpus and its kept crash inputs, plain and under the sanitizers, so an
 * input that once crashed a target stays a test.
 *
 * Each input is read into a buffer of exactly its size, as libFuzzer
 * passes it, so a read past the end is caught by AddressSanitizer.
 * Exits 0 after the last input; a missing or unreadable path is an error
 * (a test that replays nothing must not pass).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (!f || fstat(fileno(f), &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	size_t size = (size_t)st.st_size;
	uint8_t *data = malloc(size ? size : 1);
	if (!data || fread(data, 1, size, f) != size) {
		fprintf(stderr, "replay: %s: cannot read\n", path);
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	return 0;
}

static int skip_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Replay path (a file, or a directory's files); returns inputs run or -1. */
static long replay(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path) == 0 ? 1 : -1;
	struct dirent **names;
	int n = scandir(path, &names, skip_dot, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	long count = 0;
	for (int i = 0; i < n; i++) {
		size_t len = strlen(path) + strlen(names[i]->d_name) + 2;
		char *file = malloc(len);
		if (!file)
			abort();
		snprintf(file, len, "%s/%s", path, names[i]->d_name);
		if (stat(file, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(file) != 0)
				count = -1;
			else if (count >= 0)
				count++;
		}
		free(file);
		free(names[i]);
	}
	free(names);
	return count;
}

int main(int argc, char **argv)
{
	int status = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		long n = replay(argv[i]);
		if (n < 0)
			status = 1;
		else
			printf("%s: %ld input%s replayed\n", argv[i], n, n == 1 ? "" : "s");
	}
	return status;
}
