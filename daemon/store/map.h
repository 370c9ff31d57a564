/*
 * map.h — the store's share of the process's memory: the bound on the
 * pages its mapping holds, and the process's figures.  store.h includes
 * it; the functions are the store's, kept in map.c.
 *
 * LMDB reads the store through a shared read-only mapping of its file, so
 * every page a write or a query touches stays in the process's resident
 * set (as file-backed memory) until the mapping lets go of it, and the
 * kernel maps up to 16 neighbouring cached pages with each one touched: a
 * node that synced 100,000 records would show most of the store file,
 * 100 MiB and more, as resident.  Those pages are the kernel's page cache;
 * the mapping only pins them to the process.
 *
 * With a bound set, the store checks the process's file-backed resident
 * memory (/proc/self/statm) every few hundred entries it reads or dozens
 * it writes, and when it is over the bound lets go of its whole mapping
 * (madvise MADV_DONTNEED).  The pages stay cached while the machine has
 * room; the next read maps them again with a minor fault.
 *
 * Who lets go, and how often:
 *   - the thread holding the store's write transaction (the writer, a
 *     rebuild at open) lets go as soon as it finds the bound passed: what
 *     it writes stays within the bound, plus what a few dozen records map
 *     between checks;
 *   - any other thread (queries, syncs, the daemon's once-a-second timer)
 *     lets go only if no one did for STORE_MAP_READ_INTERVAL_MS, and
 *     reads statm at most every STORE_MAP_READ_CHECK_MS.  Letting go costs
 *     the next queries their whole working set again in faults: queries
 *     that each read more than the bound (lists of 30,000 offers, test
 *     sys-memory_queries) let go 80 times in 15 s while every thread let
 *     go at once.  So between two releases
 *     queries may map more than the bound (up to what they read in that
 *     time, at most the store file), and are brought under it again at
 *     the next release.
 * The release drops the whole mapping, not just what is over the bound:
 * that is its own low-water mark, down to the program's and libraries'
 * pages.
 */
#ifndef GILDE_STORE_MAP_H
#define GILDE_STORE_MAP_H

#include <stdbool.h>
#include <stdint.h>

struct store;

/* This process's memory, as /proc/self tells it (gilde status shows it). */
struct store_mem {
	uint64_t resident;  /* bytes in RAM */
	uint64_t file;      /* of which file-backed: store pages, programs, libraries */
	uint64_t anonymous; /* of which the process's own: heap, stacks, write buffers */
	uint64_t peak;      /* the most ever resident (VmHWM) */
};
/* Returns 0, or -1 with everything 0. */
int store_mem_read(struct store_mem *m);

/* Queries let go of the mapping at most this often (above). */
#define STORE_MAP_READ_INTERVAL_MS 5000
/* and read the process's figures at most this often (about 1 us each) */
#define STORE_MAP_READ_CHECK_MS 10

/* bytes of file-backed resident memory allowed; 0: no bound.  Any thread. */
void store_set_mapped_max(struct store *s, uint64_t bytes);
/* Check the bound now (a timer does, for lookups between scans), by the
 * calling thread's rule (above): at once in the thread holding the write
 * transaction, else only if no release for STORE_MAP_READ_INTERVAL_MS.
 * Returns whether it let go of the mapping. */
bool store_map_check(struct store *s);
/* How often the mapping was let go of, by anyone. */
unsigned long long store_map_releases(struct store *s);
/* Let go of the whole mapping now.  Safe while other threads read.  0 or -1. */
int store_release_map(struct store *s);

#endif
