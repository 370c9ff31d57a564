/*
 * bounds.h — every size limit of the record format, named once.
 *
 * These are part of the protocol (proto/PROTOCOL.md, "Limits"): a record
 * over any of them is rejected by every node, never truncated.
 */
#ifndef GILDE_BOUNDS_H
#define GILDE_BOUNDS_H

/* Whole signed envelope, in bytes. */
#define GL_RECORD_MAX 65536u
/* Nesting of arrays and maps in a payload; the payload array is depth 1. */
#define GL_DEPTH_MAX 8u
/* Bytes in one string (str) value. */
#define GL_STRING_MAX 16384u
/* Bytes in one map key. */
#define GL_KEY_MAX 64u
/* Entries in one map. */
#define GL_MAP_MAX 64u
/* Items in one array. */
#define GL_ARRAY_MAX 256u
/* Values (of any type, containers included) in one payload. */
#define GL_VALUES_MAX 4096u
/* Bytes in a record id; ids match [a-z0-9][a-z0-9._-]*. */
#define GL_ID_MAX 64u

#endif
