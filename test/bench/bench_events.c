// SPDX-License-Identifier: GPL-2.0-only
/* bench-events: offers firewall events at a set rate by running the pinned
 * program on a UDP frame (BPF_PROG_TEST_RUN); prints what it offered. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "pkt.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct pkt_spec s = {.src = "10.200.0.1",
			     .dst = "10.200.0.2",
			     .proto = 17,
			     .sport = 4000,
			     .dport = 5000};
	unsigned char frame[128];
	double rate, secs, t0, t;
	unsigned long long offered = 0;
	int fd, len;

	if (argc != 4) {
		fprintf(stderr,
			"usage: bench-events PROG_PIN RATE_PER_S SECONDS\n");
		return 2;
	}
	fd = bpf_obj_get(argv[1]);
	if (fd < 0) {
		fprintf(stderr, "bench-events: %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	rate = atof(argv[2]);
	secs = atof(argv[3]);
	len = pkt_build(&s, frame, sizeof(frame), NULL);
	if (len < 0)
		return 1;
	t0 = now_s();
	/* slices of 1 ms: run the program as often as the rate owes by now */
	while ((t = now_s() - t0) < secs) {
		unsigned long long due = (unsigned long long)(t * rate);

		if (due > offered) {
			unsigned long long n = due - offered;
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
				    .data_size_in = len,
				    .repeat = n > 100000 ? 100000 : n);

			if (bpf_prog_test_run_opts(fd, &o)) {
				fprintf(stderr, "bench-events: test run: %s\n",
					strerror(errno));
				return 1;
			}
			offered += o.repeat;
		} else {
			struct timespec ts = {0, 200000};

			nanosleep(&ts, NULL);
		}
	}
	printf("%llu %.3f\n", offered, now_s() - t0);
	return 0;
}
