// SPDX-License-Identifier: GPL-2.0-only
/* Block-set writes are all or nothing: a batch that overflows the map leaves
 * every entry as it was, refreshed ones included. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <bpf/bpf.h>

#include "fw.h"
#include "fw.skel.h"

static int failures, checks;

static void check(int ok, const char *what)
{
	checks++;
	failures += !ok;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", checks, what);
}

static struct bs_entry host(unsigned int i, unsigned int source)
{
	struct bs_entry e = {.cidr = {.family = 4, .plen = 32},
			     .source = source};

	e.cidr.addr[0] = htonl(0x0a000000u | i); /* 10.x.y.z */
	return e;
}

/* The source of 10.0.0.0+i/32 in the map, or -1 if absent. */
static long source_of(const struct fw_maps *m, unsigned int i)
{
	struct bs4_key k = {.plen = 32, .addr = htonl(0x0a000000u | i)};
	struct bs_val v;

	return bpf_map_lookup_elem(m->bs4, &k, &v) ? -1 : (long)v.source;
}

int main(void)
{
	const size_t fill = BS_MAX_ENTRIES; /* the map's capacity */
	struct fw_bpf *skel;
	struct fw_maps m;
	struct bs_entry *e;
	size_t n4 = 0, n6 = 0;
	int rc;

	if (geteuid() != 0) {
		printf("SKIP: needs root (BPF maps)\n");
		return 77;
	}
	if (fw_load(NULL, &skel, &m)) {
		printf("Bail out! the firewall does not load\n");
		return 1;
	}
	e = calloc(fill + 16, sizeof(*e));
	if (!e)
		return 1;
	/* entry 0 with source 7; then fill the map to capacity */
	e[0] = host(0, 7);
	check(bs_add(&m, e, 1) == 0, "one entry added");
	for (size_t i = 1; i < fill; i++)
		e[i - 1] = host(i, 1);
	rc = bs_add(&m, e, fill - 1);
	check(rc == 0, "the map filled to its capacity");
	bs_count(&m, &n4, &n6);
	check(n4 == fill, "count == capacity");

	/* refresh entry 0 (source 9) and add 10 new ones: does not fit */
	e[0] = host(0, 9);
	for (int i = 1; i <= 10; i++)
		e[i] = host(fill + i, 3);
	rc = bs_add(&m, e, 11);
	check(rc < 0, "a batch beyond the capacity is refused");
	check(source_of(&m, 0) == 7,
	      "the refreshed entry keeps its old value (source 7)");
	check(source_of(&m, fill + 1) == -1 && source_of(&m, fill + 10) == -1,
	      "none of the new entries stayed");
	bs_count(&m, &n4, &n6);
	check(n4 == fill, "the count is what it was");
	check(source_of(&m, fill - 1) == 1, "older entries untouched");

	free(e);
	fw_unload(skel);
	printf("%d passed, %d failed\n", checks - failures, failures);
	return failures ? 1 : 0;
}
