#include "memory.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>


static uint64_t page_bytes(void)
{
	long p = sysconf(_SC_PAGESIZE);
	return p > 0 ? (uint64_t)p : 4096;
}

/* statm: size resident shared ... in pages; "shared" is file-backed and shmem */
static int read_statm(uint64_t *resident, uint64_t *file)
{
	FILE *f = fopen("/proc/self/statm", "re");
	unsigned long long size, res, shared;
	int n = f ? fscanf(f, "%llu %llu %llu", &size, &res, &shared) : 0;
	if (f)
		fclose(f);
	if (n != 3)
		return -1;
	*resident = res * page_bytes();
	*file = shared * page_bytes();
	return 0;
}

int mem_read(struct mem_use *m)
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
