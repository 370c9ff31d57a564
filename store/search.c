/* search.c — [being written] */
#include "search.h"
#include "store_int.h"

int search_index_add(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                     const struct record *r, struct gl_error *err)
{
	(void)t; (void)rkey; (void)rlen; (void)r; (void)err;
	return 0;
}

int search_index_remove(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                        const struct record *r, struct gl_error *err)
{
	(void)t; (void)rkey; (void)rlen; (void)r; (void)err;
	return 0;
}
