/*
 * paths.h — where a node keeps its files, shared by gilded and gilde.
 *
 *   DATA/identity.key   the node's Ed25519 secret key (mode 0600)
 *   DATA/store/         the LMDB environment
 *   DATA/gilded.sock    the control socket (mode 0600)
 *   DATA/gilded.lock    held (flock) by the running daemon; holds its pid
 *
 * DATA defaults to $XDG_DATA_HOME/gilde, else $HOME/.local/share/gilde.
 */
#ifndef GILDE_PATHS_H
#define GILDE_PATHS_H

#include <stddef.h>

#include "proto/err.h"

#define PATHS_MAX 4096

/* The default data directory into out.  Returns 0 or GL_ENOTFOUND if
 * neither XDG_DATA_HOME nor HOME is set. */
int paths_default_data(char out[PATHS_MAX], struct gl_error *err);

/* DATA/name into out; returns 0 or GL_ELIMIT if it does not fit. */
int paths_join(char out[PATHS_MAX], const char *data, const char *name,
               struct gl_error *err);

#endif
