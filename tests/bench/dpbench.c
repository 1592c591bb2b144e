/*
 * dpbench.c: how fast rpn programs nftables, through the same code the
 * parent runs (dpplan.c, nft.c): a cold full sync of N services, then single
 * service updates one transaction each, timed from batch sent to the last
 * ack.  Run it in a network namespace of its own (tests/bench/dataplane.sh).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "node/core/dataplane.h"
#include "node/parent/nft.h"

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static struct dp_svc
svc(uint32_t i, uint32_t variant)
{
	struct dp_svc	 s;

	memset(&s, 0, sizeof(s));
	/* N services need N distinct (protocol, port) pairs: tcp first, then udp */
	s.proto = i < 64000 ? 6 : 17;
	s.port = (uint16_t)(1024 + i % 64000);
	s.nbackends = 1;
	s.backends[0].addr = htonl(0x64400000u + ((i + variant) & 0xffff) + 1);
	s.backends[0].port = 80;
	return s;
}

static long
rss_kib(void)
{
	FILE	*f = fopen("/proc/self/status", "r");
	char	 line[256];
	long	 v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

int
main(int argc, char **argv)
{
	struct nft_config	 cfg;
	struct nft		 n;
	struct dp_mirror	 m;
	struct dp_ops		 o = { 0 };
	struct dp_flush		 fl[4];
	uint32_t		 N, U, usec, nfl = 0, *lat;
	char			 err[256];
	int			 rc;

	if (argc != 3) {
		fprintf(stderr, "usage: dpbench SERVICES UPDATES\n");
		return 2;
	}
	N = (uint32_t)atoi(argv[1]);
	U = (uint32_t)atoi(argv[2]);
	memset(&cfg, 0, sizeof(cfg));
	cfg.mask = 0xff00;
	if (nft_open(&n, &cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	dp_mirror_init(&m);
	for (uint32_t i = 0; i < N; i++) {
		struct dp_svc	 s = svc(i, 0);

		dp_plan_svc(&m, &s, &o, fl, &nfl, 4);
	}
	dp_ops_reset(&o);
	dp_plan_all(&m, &o);
	if ((rc = nft_full_sync(&n, &o, &usec)) != 0) {
		fprintf(stderr, "full sync: %s\n", strerror(-rc));
		return 1;
	}
	printf("cold_sync_ms=%.1f elements=%u\n", usec / 1000.0, o.n);
	if ((lat = calloc(U + 1, sizeof(*lat))) == NULL)
		return 1;
	/* updates: a service's backend changes (a delete and an add in one batch) */
	for (uint32_t u = 0; u < U; u++) {
		struct dp_svc	 s = svc((u * 7919) % (N ? N : 1), u + 1);

		dp_ops_reset(&o);
		dp_plan_svc(&m, &s, &o, fl, &nfl, 4);
		if ((rc = nft_apply(&n, &o, &usec)) != 0) {
			fprintf(stderr, "update: %s\n", strerror(-rc));
			free(lat);
			return 1;
		}
		lat[u] = usec;
	}
	qsort(lat, U, sizeof(*lat), cmp_u32);
	printf("update_p50_us=%u update_p99_us=%u updates=%u\n", lat[U / 2],
	    lat[(U * 99) / 100 < U ? (U * 99) / 100 : U - 1], U);
	printf("rss_kib=%ld\n", rss_kib());
	nft_remove(&n);
	nft_close(&n);
	dp_ops_release(&o);
	dp_mirror_release(&m);
	free(lat);
	return 0;
}
