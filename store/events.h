/*
 * events.h — upcoming events in start order, from an index kept in step
 * with the records (store_int.h), not from a scan.  [being written]
 */
#ifndef GILDE_EVENTS_H
#define GILDE_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "record.h"
#include "store.h"

/* Index hooks (store/index.c calls these inside the write transaction). */
int events_index_add(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                     const struct record *r, struct gl_error *err);
int events_index_remove(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                        const struct record *r, struct gl_error *err);

#endif
