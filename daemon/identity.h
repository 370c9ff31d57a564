/*
 * identity.h — the data directory, its lock and the node's key.
 */
#ifndef GILDE_IDENTITY_H
#define GILDE_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/err.h"

/*
 * Create dir (and missing parents) with mode 0700, or check an existing
 * one: it must be a directory owned by us and not accessible to group or
 * others.  Returns 0, GL_EPERM (with the chmod that fixes it) or GL_EIO.
 */
int datadir_prepare(const char *dir, struct gl_error *err);

/*
 * Take the daemon lock DIR/gilded.lock (flock, released when the process
 * ends, even by SIGKILL) and write our pid into it.  Returns 0 and the
 * open descriptor in *fd, or GL_EBUSY naming the pid of the daemon that
 * holds it.
 */
int datadir_lock(const char *dir, int *fd, struct gl_error *err);

/*
 * Load DIR/identity.key, or create it (mode 0600, written to a temporary
 * file, synced and renamed) if absent.  sk receives libsodium's 64-byte
 * secret key.  A key file readable by group or others is refused with
 * GL_EPERM and the chmod that fixes it; a damaged one with GL_EFORMAT.
 */
int identity_load(const char *dir, uint8_t sk[64], bool *created, struct gl_error *err);

/*
 * Replace DIR/identity.key by the key made from seed (a new key: gilde
 * rotate-key).  The old file stays as DIR/identity.key.HEX.old, HEX being
 * the first 8 bytes of old_pk, the key it held; the new one is written to
 * a temporary file, synced and renamed, and the directory synced.
 * Returns 0, GL_ELIMIT (the path is too long) or GL_EIO; on failure the
 * old key file is still in place.
 */
int identity_replace(const char *dir, const uint8_t old_pk[32], const uint8_t seed[32],
                     struct gl_error *err);

#endif
