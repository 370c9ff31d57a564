/*
 * map.c — the store's share of the process's memory (store/map.h): the
 * process's figures from /proc/self, and the bound on the pages the
 * store's mapping holds, checked as the store works (store_map_work):
 * strictly by the writer, at most every few seconds by queries (map.h).
 */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "store/paths.h"
#include "store/store_int.h"

/*
 * Where LMDB mapped the data file: the mapping of its device and inode in
 * /proc/self/maps (LMDB tells its address only for MDB_FIXEDMAP).  Read
 * afresh for each release (a few a second at most), never cached, so a
 * map LMDB moved is never mistaken for its old range.
 */
static int find_map(const struct store *s, void **map, size_t *len)
{
	char file[STORE_DATA_FILE_MAX];
	struct stat st;
	if (stat(store_data_file(s->path, file), &st) != 0)
		return -1;
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return -1;
	char line[PATHS_MAX + 128];
	int rc = -1;
	while (rc && fgets(line, sizeof line, f)) {
		unsigned long long lo, hi, off, ino;
		unsigned maj, min;
		char perms[8];
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &lo, &hi, perms, &off, &maj, &min,
		           &ino) == 7 &&
		    ino == (unsigned long long)st.st_ino && makedev(maj, min) == st.st_dev && off == 0) {
			*map = (void *)(uintptr_t)lo;
			*len = (size_t)(hi - lo);
			rc = 0;
		}
		/* a line longer than the buffer: skip its rest */
		while (!strchr(line, '\n') && fgets(line, sizeof line, f))
			;
	}
	fclose(f);
	return rc;
}

int store_release_map(struct store *s)
{
	void *map;
	size_t len;
	if (!s || find_map(s, &map, &len))
		return -1;
	/* the map is shared and read-only: what it drops, it reads again from
	 * the page cache.  gilded never resizes it while open (store_begin's
	 * MDB_MAP_RESIZED is for a map another process grew), so the range
	 * is still the map's. */
	return madvise(map, len, MADV_DONTNEED);
}

void store_set_mapped_max(struct store *s, uint64_t bytes)
{
	s->mapped_max = bytes;
}

unsigned long long store_map_releases(struct store *s)
{
	return s->releases;
}

/*
 * statm: size, resident, shared (file-backed and shmem), ... in pages.
 * Read with one pread(2) of a descriptor kept open (1 us; opening it each
 * time was 5 us, and the writer reads it every 16 records or so), into
 * the stack, not stdio.  It is opened on first use, by whichever thread,
 * and kept for the process's life; /proc/self names the opener, and
 * gilded never forks.
 */
static _Atomic int statm_fd = -1;

static int read_statm(uint64_t *resident, uint64_t *file)
{
	char buf[128];
	int fd = atomic_load(&statm_fd);
	if (fd < 0) {
		int mine = open("/proc/self/statm", O_RDONLY | O_CLOEXEC), none = -1;
		if (mine >= 0 && !atomic_compare_exchange_strong(&statm_fd, &none, mine)) {
			close(mine); /* another thread was first */
			mine = none;
		}
		fd = mine;
	}
	ssize_t len = fd >= 0 ? pread(fd, buf, sizeof buf - 1, 0) : -1;
	*resident = *file = 0;
	if (len <= 0)
		return -1;
	buf[len] = '\0';
	unsigned long long v[3];
	char *p = buf, *end;
	for (int i = 0; i < 3; i++, p = end) {
		v[i] = strtoull(p, &end, 10);
		if (end == p)
			return -1;
	}
	long page = sysconf(_SC_PAGESIZE);
	uint64_t pb = (uint64_t)(page > 0 ? page : 4096);
	*resident = v[1] * pb;
	*file = v[2] * pb;
	return 0;
}

int store_mem_read(struct store_mem *m)
{
	memset(m, 0, sizeof *m);
	if (read_statm(&m->resident, &m->file))
		return -1;
	m->anonymous = m->resident > m->file ? m->resident - m->file : 0;
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	while (f && fgets(line, sizeof line, f)) {
		unsigned long long kb;
		if (sscanf(line, "VmHWM: %llu kB", &kb) == 1) {
			m->peak = kb * 1024;
			break;
		}
	}
	if (f)
		fclose(f);
	return 0;
}

/* this thread holds the write transaction (store_map_writing) */
static _Thread_local bool map_writing;

void store_map_writing(bool on)
{
	map_writing = on;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	/* the coarse clock (a few ms) is enough for intervals of seconds, and
	 * costs no system call */
	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0 &&
	    clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* May a query's thread release now: no release for the interval?  */
static bool read_may_release(struct store *s, uint64_t now)
{
	uint64_t last = atomic_load(&s->released_ms);
	return !last || now - last >= STORE_MAP_READ_INTERVAL_MS;
}

static bool release(struct store *s, uint64_t max)
{
	uint64_t resident, file;
	if (read_statm(&resident, &file) || file <= max)
		return false;
	uint64_t now = now_ms();
	if (!map_writing) {
		/* of the queries that found the bound passed at once, one lets go */
		uint64_t last = atomic_load(&s->released_ms);
		if ((last && now - last < STORE_MAP_READ_INTERVAL_MS) ||
		    !atomic_compare_exchange_strong(&s->released_ms, &last, now ? now : 1))
			return false;
	} else {
		atomic_store(&s->released_ms, now ? now : 1);
	}
	if (store_release_map(s))
		return false;
	s->releases++;
	return true;
}

bool store_map_check(struct store *s)
{
	uint64_t max = s->mapped_max;
	if (!max || (!map_writing && !read_may_release(s, now_ms())))
		return false;
	return release(s, max);
}

#define MAP_WORK 64

/* this thread's work since it started (store_int.h) */
static _Thread_local unsigned map_work_done;

void store_map_work(struct store *s, unsigned n)
{
	unsigned before = map_work_done;
	map_work_done += n;
	uint64_t max = s->mapped_max;
	if (before / MAP_WORK == map_work_done / MAP_WORK || !max)
		return;
	if (map_writing) {
		release(s, max);
		return;
	}
	/* a query: within the interval of the last release, or within a few ms
	 * of another query's look, not even statm is read */
	uint64_t now = now_ms(), seen = atomic_load(&s->read_checked_ms);
	if (!read_may_release(s, now) || (seen && now - seen < STORE_MAP_READ_CHECK_MS) ||
	    !atomic_compare_exchange_strong(&s->read_checked_ms, &seen, now ? now : 1))
		return;
	release(s, max);
}
