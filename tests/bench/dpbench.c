/*
 * dpbench.c: how fast rpn programs nftables, through the same code the
 * parent runs (dpplan.c, nft.c): a cold full sync of N services, then single
 * service updates one transaction each, timed from batch sent to the last
 * ack.  Run it in a network namespace of its own (tests/bench/dataplane.sh).
 *
 *   bench-dp SERVICES UPDATES [CHUNK [PROBE_TO]]
 *
 * CHUNK 0 syncs in one transaction (nft_full_sync, the old way); CHUNK > 0
 * the way rpnd does (nft_sync: at most CHUNK elements per transaction).
 * With PROBE_TO (ADDR:PORT), a public service tcp/1000 -> PROBE_TO is
 * programmed alone first, and the full sync of all SERVICES follows 1.5 s
 * later with the table in place (a restart, a resync); the wall-clock
 * times of its start and end are printed (sync_start= sync_end=) so that a
 * client looping connects through tcp/1000 can find its longest gap.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

static double
wall(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The whole mirror into the kernel, as rpnd's full sync does it. */
static int
sync_all(struct nft *n, struct dp_mirror *m, struct dp_ops *o, uint32_t chunk,
    uint32_t *usec, uint32_t *txns, uint32_t *max_usec)
{
	struct nft_bounded	 st;
	uint32_t		 bad[64], nbad;
	int			 rc;

	dp_ops_reset(o);
	dp_plan_all(m, o);
	*txns = 1;
	if (chunk == 0) {
		rc = nft_full_sync(n, o, usec);
		*max_usec = *usec;
		return rc;
	}
	rc = nft_sync(n, o, chunk, bad, 64, &nbad, &st);
	if (rc == NFT_TS_OTHER) {
		dp_ops_reset(o);
		dp_plan_all(m, o);
		rc = nft_full_sync(n, o, usec);
		*max_usec = *usec;
		return rc;
	}
	*usec = st.usec;
	*txns = st.txns;
	*max_usec = st.max_usec;
	return rc != 0 || nbad != 0 ? -1 : 0;
}

int
main(int argc, char **argv)
{
	struct nft_config	 cfg;
	struct nft		 n;
	struct dp_mirror	 m;
	struct dp_ops		 o = { 0 };
	struct dp_flush		 fl[4];
	uint32_t		 N, U, usec, nfl = 0, *lat, chunk, txns, maxu;
	char			 err[256];
	double			 t0, t1;
	int			 rc;

	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: dpbench SERVICES UPDATES [CHUNK "
		    "[PROBE_TO]]\n");
		return 2;
	}
	N = (uint32_t)atoi(argv[1]);
	U = (uint32_t)atoi(argv[2]);
	chunk = argc > 3 ? (uint32_t)atoi(argv[3]) : 0;
	memset(&cfg, 0, sizeof(cfg));
	cfg.mask = 0xff00;
	if (nft_open(&n, &cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	dp_mirror_init(&m);
	if (argc > 4) {
		struct dp_svc	 p;
		char		 a[64], *colon;

		memset(&p, 0, sizeof(p));
		snprintf(a, sizeof(a), "%s", argv[4]);
		if ((colon = strchr(a, ':')) == NULL)
			return 2;
		*colon = '\0';
		p.proto = 6;
		p.port = 1000;
		p.public = 1;
		p.nbackends = 1;
		inet_pton(AF_INET, a, &p.backends[0].addr);
		p.backends[0].port = (uint16_t)atoi(colon + 1);
		dp_plan_svc(&m, &p, &o, fl, &nfl, 4);
		if (sync_all(&n, &m, &o, chunk, &usec, &txns, &maxu) != 0) {
			fprintf(stderr, "probe service: %s\n", strerror(errno));
			return 1;
		}
		fflush(stdout);
		usleep(1500000);
	}
	for (uint32_t i = 0; i < N; i++) {
		struct dp_svc	 s = svc(i, 0);

		dp_plan_svc(&m, &s, &o, fl, &nfl, 4);
	}
	t0 = wall();
	if (sync_all(&n, &m, &o, chunk, &usec, &txns, &maxu) != 0) {
		fprintf(stderr, "full sync: %s\n", strerror(errno));
		return 1;
	}
	t1 = wall();
	printf("cold_sync_ms=%.1f elements=%u txns=%u longest_txn_ms=%.1f "
	    "sync_start=%.6f sync_end=%.6f\n", usec / 1000.0, o.n, txns,
	    maxu / 1000.0, t0, t1);
	if (argc > 4) {
		fflush(stdout);
		usleep(1500000);
	}
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
