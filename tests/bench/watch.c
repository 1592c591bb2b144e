/*
 * watch.c: benchmark helper: poll N agents (rpnd over its control socket, or
 * Serf over its msgpack RPC) every 50 ms, in-process, and print when each one
 * first reached a condition: "alive N" (lists N alive members) or "failed NAME"
 * (lists NAME as failed).  The same loop times both systems.  With
 * WATCH_EACH set, each agent's time (ms, -1: never) goes to stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ctl/client.h"
#include "ctl/output.h"
#include "proto/parse.h"

struct agent {
	const char	*where;
	int		 fd;		/* serf: RPC connection */
	uint32_t	 seq;
	msgpack_unpacker up;
	int64_t		 done_ms;	/* -1 until the condition held */
};

static int	 serf;
static int	 want_alive = -1;
static const char *want_failed;

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
str_is(const msgpack_object *o, const char *s)
{
	return o != NULL && (o->type == MSGPACK_OBJECT_STR ||
	    o->type == MSGPACK_OBJECT_BIN) && o->via.str.size == strlen(s) &&
	    memcmp(o->via.str.ptr, s, o->via.str.size) == 0;
}

/* Does this members array satisfy the condition? */
static int
check(const msgpack_object *members, uint32_t n, const char *name_key,
    const char *state_key, const char *alive, const char *failed)
{
	int	 nalive = 0;

	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object	*st = ctl_map_get(&members[i], state_key);
		const msgpack_object	*nm = ctl_map_get(&members[i], name_key);

		if (str_is(st, alive))
			nalive++;
		if (want_failed != NULL && str_is(nm, want_failed) &&
		    str_is(st, failed))
			return 1;
	}
	return want_alive >= 0 && nalive >= want_alive;
}

static int
poll_rpn(struct agent *a)
{
	struct ctl_req		 r;
	struct mp_doc		 d;
	const msgpack_object	*m;
	uint32_t		 n;
	char			 err[256];
	int			 ok;

	memset(&r, 0, sizeof(r));
	r.cmd = CTL_STATUS;
	if (client_call(a->where, &r, &d, 5000, err, sizeof(err)) != 0)
		return 0;
	m = out_array(&d.root, "members", &n);
	ok = m != NULL && check(m, n, "name", "state", "alive", "failed");
	mp_doc_release(&d);
	return ok;
}

/* ---- Serf RPC: {Command, Seq} + body; replies {Seq, Error} + body ---- */

static int
serf_write(struct agent *a, const char *cmd, int version_body)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	ssize_t		 w;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2);
	msgpack_pack_str_with_body(&pk, "Command", 7);
	msgpack_pack_str_with_body(&pk, cmd, strlen(cmd));
	msgpack_pack_str_with_body(&pk, "Seq", 3);
	msgpack_pack_uint32(&pk, a->seq++);
	if (version_body) {
		msgpack_pack_map(&pk, 1);
		msgpack_pack_str_with_body(&pk, "Version", 7);
		msgpack_pack_int(&pk, 1);
	}
	w = write(a->fd, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	return w == (ssize_t)sb.size ? 0 : -1;
}

/* Read the next whole msgpack object from the stream. */
static int
serf_next(struct agent *a, msgpack_unpacked *res)
{
	for (;;) {
		struct pollfd	 p = { a->fd, POLLIN, 0 };
		ssize_t		 n;

		if (msgpack_unpacker_next(&a->up, res) == MSGPACK_UNPACK_SUCCESS)
			return 0;
		if (poll(&p, 1, 5000) <= 0)
			return -1;
		msgpack_unpacker_reserve_buffer(&a->up, 65536);
		n = read(a->fd, msgpack_unpacker_buffer(&a->up), 65536);
		if (n <= 0)
			return -1;
		msgpack_unpacker_buffer_consumed(&a->up, (size_t)n);
	}
}

static int
serf_connect(struct agent *a)
{
	struct wire_addr	 wa;
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	msgpack_unpacked	 res;

	if (parse_addrport(a->where, 7373, &wa) == -1)
		return -1;
	addr_to_sockaddr(&wa, &ss, &sl);
	if ((a->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	if (connect(a->fd, (struct sockaddr *)&ss, sl) == -1) {
		close(a->fd);
		a->fd = -1;
		return -1;
	}
	msgpack_unpacker_init(&a->up, 65536);
	msgpack_unpacked_init(&res);
	if (serf_write(a, "handshake", 1) == -1 || serf_next(a, &res) == -1) {
		msgpack_unpacked_destroy(&res);
		close(a->fd);
		a->fd = -1;
		return -1;
	}
	msgpack_unpacked_destroy(&res);
	return 0;
}

static int
poll_serf(struct agent *a)
{
	msgpack_unpacked	 hdr, body;
	const msgpack_object	*m;
	int			 ok = 0;

	if (a->fd == -1 && serf_connect(a) == -1)
		return 0;
	msgpack_unpacked_init(&hdr);
	msgpack_unpacked_init(&body);
	if (serf_write(a, "members", 0) == 0 && serf_next(a, &hdr) == 0 &&
	    serf_next(a, &body) == 0 &&
	    (m = ctl_map_get(&body.data, "Members")) != NULL &&
	    m->type == MSGPACK_OBJECT_ARRAY)
		ok = check(m->via.array.ptr, m->via.array.size, "Name", "Status",
		    "alive", "failed");
	msgpack_unpacked_destroy(&hdr);
	msgpack_unpacked_destroy(&body);
	return ok;
}

static int
cmp64(const void *x, const void *y)
{
	int64_t	 a = *(const int64_t *)x, b = *(const int64_t *)y;

	return a < b ? -1 : a > b;
}

int
main(int argc, char **argv)
{
	struct agent	*ag;
	int		 n, left, timeout_ms;
	int64_t		 t0, *times;

	if (argc < 6) {
		fprintf(stderr, "usage: watch rpn|serf TIMEOUT_MS alive N | "
		    "failed NAME  AGENT...\n  (AGENT: control socket, or Serf "
		    "RPC address)\n");
		return 2;
	}
	serf = strcmp(argv[1], "serf") == 0;
	timeout_ms = atoi(argv[2]);
	if (strcmp(argv[3], "alive") == 0)
		want_alive = atoi(argv[4]);
	else
		want_failed = argv[4];
	n = argc - 5;
	ag = calloc((size_t)n, sizeof(*ag));
	times = calloc((size_t)n, sizeof(*times));
	if (ag == NULL || times == NULL) {
		fprintf(stderr, "watch: out of memory\n");
		free(ag);
		free(times);
		return 2;
	}
	for (int i = 0; i < n; i++) {
		ag[i].where = argv[5 + i];
		ag[i].fd = -1;
		ag[i].done_ms = -1;
	}
	t0 = now_ms();
	left = n;
	while (left > 0 && now_ms() - t0 < timeout_ms) {
		for (int i = 0; i < n; i++) {
			if (ag[i].done_ms >= 0)
				continue;
			if (serf ? poll_serf(&ag[i]) : poll_rpn(&ag[i])) {
				ag[i].done_ms = now_ms() - t0;
				left--;
			}
		}
		usleep(50 * 1000);
	}
	for (int i = 0; i < n; i++) {
		times[i] = ag[i].done_ms < 0 ? INT64_MAX : ag[i].done_ms;
		if (getenv("WATCH_EACH") != NULL)
			fprintf(stderr, "watch: %s %lld\n", ag[i].where,
			    (long long)ag[i].done_ms);
	}
	qsort(times, (size_t)n, sizeof(*times), cmp64);
	/* "done N/N p50 p90 max" in ms; missing agents count as the timeout */
	printf("done %d/%d p50 %lld p90 %lld max %lld\n", n - left, n,
	    (long long)(times[n / 2] == INT64_MAX ? timeout_ms : times[n / 2]),
	    (long long)(times[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1] ==
	    INT64_MAX ? timeout_ms : times[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1]),
	    (long long)(times[n - 1] == INT64_MAX ? timeout_ms : times[n - 1]));
	free(ag);
	free(times);
	return left == 0 ? 0 : 1;
}
