#include "daemon/identity.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/ident.h"
#include "store/paths.h"

static int mkdir_p(char *path, struct gl_error *err)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int rc = mkdir(path, 0700);
		int e = errno;
		*p = '/';
		if (rc != 0 && e != EEXIST)
			return gl_errorf(err, e == EACCES ? GL_EPERM : GL_EIO, "%s: cannot create: %s",
			                 path, strerror(e));
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return gl_errorf(err, errno == EACCES ? GL_EPERM : GL_EIO, "%s: cannot create: %s",
		                 path, strerror(errno));
	return 0;
}

int datadir_prepare(const char *dir, struct gl_error *err)
{
	char buf[PATHS_MAX];
	if (strlen(dir) >= sizeof buf)
		return gl_errorf(err, GL_ELIMIT, "data directory path too long");
	strcpy(buf, dir);
	int rc = mkdir_p(buf, err);
	if (rc)
		return rc;
	struct stat st;
	if (stat(dir, &st) != 0)
		return gl_errorf(err, GL_EIO, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return gl_errorf(err, GL_EIO, "%s: not a directory", dir);
	if (st.st_uid != geteuid())
		return gl_errorf(err, GL_EPERM,
		                 "%s: data directory belongs to uid %u, not to us (uid %u); run "
		                 "gilded as its owner or pick another --data", dir,
		                 (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & 077)
		return gl_errorf(err, GL_EPERM,
		                 "%s: data directory is open to other users (mode %03o); fix it "
		                 "with: chmod 700 %s", dir, (unsigned)(st.st_mode & 0777), dir);
	return 0;
}

int datadir_lock(const char *dir, int *out, struct gl_error *err)
{
	char path[PATHS_MAX];
	int rc = paths_join(path, dir, "gilded.lock", err);
	if (rc)
		return rc;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return gl_errorf(err, GL_EIO, "%s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		char pid[32] = "";
		ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		close(fd);
		return gl_errorf(err, GL_EBUSY,
		                 "%s: another gilded (pid %s) is running with this data "
		                 "directory; stop it first or pick another --data",
		                 dir, *pid ? pid : "unknown");
	}
	char pid[32];
	int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		close(fd);
		return gl_errorf(err, GL_EIO, "%s: %s", path, strerror(errno));
	}
	*out = fd;
	return 0;
}

static int load_key(const char *path, int fd, uint8_t sk[64], struct gl_error *err)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return gl_errorf(err, GL_EIO, "%s: %s", path, strerror(errno));
	if (st.st_mode & 077)
		return gl_errorf(err, GL_EPERM,
		                 "%s: the node's secret key is readable by other users (mode "
		                 "%03o); fix it with: chmod 600 %s", path,
		                 (unsigned)(st.st_mode & 0777), path);
	char text[128];
	ssize_t n = read(fd, text, sizeof text - 1);
	if (n < 0)
		return gl_errorf(err, GL_EIO, "%s: %s", path, strerror(errno));
	text[n] = '\0';
	text[strcspn(text, "\r\n")] = '\0';
	uint8_t seed[32], pk[32];
	struct gl_error e2;
	if (ident_parse(IDENT_SK_PREFIX, text, "secret key", seed, &e2)) {
		sodium_memzero(text, sizeof text);
		return gl_errorf(err, GL_EFORMAT, "%s: damaged key file: %s", path, e2.msg);
	}
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(seed, sizeof seed);
	sodium_memzero(text, sizeof text);
	return 0;
}

/*
 * Write the key made from seed to DIR/identity.key.new (0600), sync it and
 * rename it over DIR/identity.key, first linking the file there to keep
 * if keep is not NULL; then sync the directory, so the rename is durable.
 */
static int write_key_file(const char *dir, const uint8_t seed[32], const char *keep,
                          struct gl_error *err)
{
	char path[PATHS_MAX], tmp[PATHS_MAX], text[IDENT_TEXT_MAX + 1];
	int rc = paths_join(path, dir, "identity.key", err);
	if (rc || (rc = paths_join(tmp, dir, "identity.key.new", err)))
		return rc;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return gl_errorf(err, GL_EIO, "%s: %s", tmp, strerror(errno));
	ident_format(IDENT_SK_PREFIX, seed, text);
	strcat(text, "\n");
	size_t len = strlen(text);
	bool ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
	sodium_memzero(text, sizeof text);
	if (close(fd) != 0 || !ok || (keep && link(path, keep) != 0) || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		return gl_errorf(err, GL_EIO, keep ? "%s: cannot replace the key: %s"
		                                   : "%s: cannot write key: %s", path, strerror(e));
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int identity_load(const char *dir, uint8_t sk[64], bool *created, struct gl_error *err)
{
	char path[PATHS_MAX];
	int rc = paths_join(path, dir, "identity.key", err);
	if (rc)
		return rc;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		rc = load_key(path, fd, sk, err);
		close(fd);
		*created = false;
		return rc;
	}
	if (errno != ENOENT)
		return gl_errorf(err, GL_EIO, "%s: %s", path, strerror(errno));
	uint8_t seed[32], pk[32];
	randombytes_buf(seed, sizeof seed);
	crypto_sign_seed_keypair(pk, sk, seed);
	rc = write_key_file(dir, seed, NULL, err);
	sodium_memzero(seed, sizeof seed);
	if (rc)
		return rc;
	*created = true;
	return 0;
}

int identity_replace(const char *dir, const uint8_t old_pk[32], const uint8_t seed[32],
                     struct gl_error *err)
{
	char path[PATHS_MAX], keep[PATHS_MAX + 32], hex[17];
	ident_hex(old_pk, 8, hex);
	if (paths_join(path, dir, "identity.key", err))
		return GL_ELIMIT;
	snprintf(keep, sizeof keep, "%s.%s.old", path, hex);
	return write_key_file(dir, seed, keep, err);
}
