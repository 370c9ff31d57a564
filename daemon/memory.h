/*
 * memory.h — what the daemon holds in memory, as `gilde status` shows it.
 * The store's share is bounded by the store itself (store.h,
 * store_set_mapped_max).
 */
#ifndef GILDE_MEMORY_H
#define GILDE_MEMORY_H

#include <stdint.h>

struct mem_use {
	uint64_t resident;  /* bytes in RAM */
	uint64_t file;      /* of which file-backed: store pages, programs, libraries */
	uint64_t anonymous; /* of which the process's own: heap, stacks, write buffers */
	uint64_t peak;      /* the most ever resident (VmHWM) */
};

/* This process's figures, from /proc/self.  Returns 0, or -1 (all zero). */
int mem_read(struct mem_use *m);

#endif
