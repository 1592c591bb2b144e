/* rpn-tool.c: test-only helper: made-up tokens, hostile datagrams, captures and replays. */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "ctl/client.h"
#include "ctl/operator.h"
#include "node/core/httpsig.h"
#include "node/core/dataplane.h"
#include "node/core/keys.h"
#include "node/core/state.h"
#include "proto/box.h"
#include "proto/cert.h"
#include "proto/compat.h"
#include "proto/ctl.h"
#include "proto/envelope.h"
#include "proto/mp.h"
#include "proto/oprec.h"
#include "proto/parse.h"
#include "proto/token.h"

static void	die(const char *) __attribute__((noreturn));
static void	usage(void) __attribute__((noreturn));

static void
die(const char *msg)
{
	fprintf(stderr, "rpn-tool: %s\n", msg);
	exit(1);
}

static void
unhex(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		die("hex value of the wrong length");
	for (size_t i = 0; i < n; i++)
		if (sscanf(s + 2 * i, "%2hhx", &out[i]) != 1)
			die("bad hex");
}

static void
send_dgram(const char *to, const uint8_t *p, size_t n)
{
	struct wire_addr	 a;
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	int			 fd;

	if (parse_addrport(to, RPN_PORT_DEFAULT, &a) == -1)
		die("bad address");
	addr_to_sockaddr(&a, &ss, &sl);
	if ((fd = socket(ss.ss_family, SOCK_DGRAM, 0)) == -1 ||
	    sendto(fd, p, n, 0, (struct sockaddr *)&ss, sl) != (ssize_t)n)
		die("sendto");
	close(fd);
}

/*
 * Box a GOSSIP message carrying one record to target.  The box is sealed
 * with a throwaway key, as an outsider would (gossip is relayed by anyone):
 * what these modes test is the record.  A box in a running member's name
 * would need a stamp above the member's own, which would shut its real
 * datagrams out at the target.
 */
static void
send_record(const char *to, const uint8_t target[WIRE_KEY], const uint8_t *rec,
    size_t len)
{
	const uint8_t	*items[1] = { rec };
	size_t		 lens[1] = { len };
	uint8_t		 pk[WIRE_KEY], sk[SECRET_KEY], key[32];
	struct buf	 p, box;

	crypto_sign_keypair(pk, sk);
	if (box_pair_key(key, sk, target) == -1)
		die("bad target key");
	buf_init(&p, WIRE_MAX_DATAGRAM);
	buf_init(&box, 2 * WIRE_MAX_DATAGRAM);
	if (wire_items_msg_encode(&p, MSG_GOSSIP, NULL, items, lens, 1) == -1 ||
	    box_seal(&box, pk, key, 1, 1, p.p, p.len) == -1)
		die("record too large for a datagram");
	send_dgram(to, box.p, box.len);
	buf_release(&p);
	buf_release(&box);
	sodium_memzero(sk, sizeof(sk));
}

/*
 * v1-box STATE_DIR ADDR TARGET_ID: the member's own record in a box of
 * protocol version 1 (no stamp), genuinely sealed with its pair key, as a
 * datagram and as the first frame of a stream: both must be refused.
 */
static void
send_v1_box(const char *to, const uint8_t sk[SECRET_KEY],
    const uint8_t target[WIRE_KEY], const uint8_t *rec, size_t len)
{
	const uint8_t		*items[1] = { rec };
	size_t			 lens[1] = { len };
	uint8_t			 hdr[1 + WIRE_KEY + BOX_NONCE], key[32], *f;
	uint8_t			 flen[4] = { 0 };
	unsigned long long	 clen;
	struct wire_addr	 a;
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	struct buf		 p, box;
	int			 fd;

	if (box_pair_key(key, sk, target) == -1)
		die("bad target key");
	buf_init(&p, WIRE_MAX_DATAGRAM);
	buf_init(&box, 2 * WIRE_MAX_DATAGRAM);
	hdr[0] = BOX_MAGIC_V1;
	memcpy(hdr + 1, sk + 32, WIRE_KEY);
	randombytes_buf(hdr + 1 + WIRE_KEY, BOX_NONCE);
	if (wire_items_msg_encode(&p, MSG_GOSSIP, NULL, items, lens, 1) == -1 ||
	    buf_put(&box, flen, sizeof(flen)) == -1 ||
	    buf_put(&box, hdr, sizeof(hdr)) == -1 ||
	    buf_reserve(&box, p.len + 16) == -1)
		die("record too large for a datagram");
	crypto_aead_xchacha20poly1305_ietf_encrypt(box.p + box.len, &clen, p.p,
	    p.len, hdr, 1 + WIRE_KEY, NULL, hdr + 1 + WIRE_KEY, key);
	box.len += clen;
	send_dgram(to, box.p + 4, box.len - 4);
	f = box.p;
	f[0] = (uint8_t)((box.len - 4) >> 24);
	f[1] = (uint8_t)((box.len - 4) >> 16);
	f[2] = (uint8_t)((box.len - 4) >> 8);
	f[3] = (uint8_t)(box.len - 4);
	if (parse_addrport(to, RPN_PORT_DEFAULT, &a) == -1)
		die("bad address");
	addr_to_sockaddr(&a, &ss, &sl);
	if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&ss, sl) == -1 ||
	    write(fd, box.p, box.len) != (ssize_t)box.len)
		die("cannot send the frame");
	while (read(fd, hdr, sizeof(hdr)) > 0)
		;
	close(fd);
	buf_release(&p);
	buf_release(&box);
	sodium_memzero(key, sizeof(key));
}

static void
load_member(const char *dir, uint8_t sk[SECRET_KEY], struct state_snap *s)
{
	char	 err[256];
	int	 fd = open(dir, O_RDONLY | O_DIRECTORY), absent;

	if (fd == -1)
		die("cannot open the state directory");
	if (keys_load(fd, NODE_KEY_FILE, sk, err, sizeof(err)) == -1)
		die(err);
	if (state_load(fd, NULL, s, &absent, err, sizeof(err)) == -1 || absent ||
	    !s->joined)
		die("no usable state file");
	close(fd);
}

/* The member's own node record as its state file holds it. */
static const uint8_t *
own_record(const struct state_snap *s, const uint8_t id[WIRE_KEY], size_t *len)
{
	for (uint32_t i = 0; i < s->records.n; i++) {
		const uint8_t	*p = wire_items_get(&s->records, i, len);
		const uint8_t	*author, *body;
		size_t		 bodylen;
		struct rec_head	 h;

		if (env_peek(p, *len, &author, &body, &bodylen) == 0 &&
		    memcmp(author, id, WIRE_KEY) == 0 &&
		    rec_head_decode(body, bodylen, &h) == 0 && h.kind == REC_NODE)
			return p;
	}
	die("no own node record in the state file");
	return NULL;
}

/*
 * resign_own - the member's own node record signed again at another
 * version: its own plus ahead, or version 1000 when ahead is 0 (older
 * than anything the mesh holds).  env is the caller's to release.
 */
static void
resign_own(const struct state_snap *s, const uint8_t sk[SECRET_KEY],
    uint64_t ahead, struct buf *env)
{
	struct rec_head		 h;
	struct rec_node		 nd;
	const uint8_t		*rec, *author, *body;
	size_t			 len, bodylen;
	struct buf		 nb;
	uint8_t			 mid[WIRE_MESH_ID];

	rec = own_record(s, sk + 32, &len);
	if (env_peek(rec, len, &author, &body, &bodylen) == -1 ||
	    rec_node_decode(body, bodylen, &h, &nd) == -1)
		die("cannot read the node record");
	buf_init(&nb, WIRE_MAX_RECORD);
	buf_init(env, WIRE_MAX_RECORD);
	env_mesh_id(mid, s->root);
	if (rec_node_encode(&nb, ahead ? h.version + ahead : 1000,
	    ahead ? h.flags : 0, &nd) == -1 ||
	    env_seal(env, sk, mid, nb.p, nb.len) == -1)
		die("cannot sign");
	buf_release(&nb);
}

static void
made_up_token(const char *good)
{
	struct token	 t;
	const char	*why;
	char		 s[TOKEN_STRLEN + 1];

	if (token_decode(good, &t, &why) == -1)
		die(why);
	randombytes_buf(t.seed, sizeof(t.seed));
	token_encode(&t, s, sizeof(s));
	printf("%s\n", s);
}

static void
seed(const char *dir, const char *fuzzer, int n, uint8_t mode,
    const uint8_t *p, size_t len)
{
	char	 path[4096];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, fuzzer);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/seed-%d", dir, fuzzer, n);
	if ((f = fopen(path, "w")) == NULL)
		die("cannot write a seed");
	if (mode != 0xff)
		fputc(mode, f);
	fwrite(p, 1, len, f);
	fclose(f);
}

static void
priv_seed(struct buf *b, uint8_t type, const void *p, size_t len)
{
	uint8_t	 h[3] = { type, (uint8_t)(len >> 8), (uint8_t)len };

	buf_put(b, h, sizeof(h));
	if (len > 0)
		buf_put(b, p, len);
}

/*
 * Seeds for fuzz-envelope's boxes: a PING (in b) boxed for the harness's own
 * node by its member key (the same fixed seeds as in fuzz-envelope.c), so
 * the seed opens there, arriving twice; the PING with a stamp to be sealed
 * there; and a few stamps for the window model.
 */
static void
box_seeds(const char *dir, int *k, const struct buf *ping)
{
	uint8_t		 npk[WIRE_KEY], nsk[SECRET_KEY], mpk[WIRE_KEY],
			 msk[SECRET_KEY], key[32];
	uint8_t		 ops[5 * 9] = {
		0x00, 0, 0, 0, 0, 0, 0, 0x10, 0x00,	/* epoch 1, top + 4096 */
		0x01, 0, 0, 0, 0, 0, 0, 0xff, 0xff,	/* the one before */
		0x01, 0, 0, 0, 0, 0, 0, 0xff, 0xff,	/* again: a replay */
		0x09, 0, 0, 0, 0, 0, 0, 0x00, 0x01,	/* counter 1: too old */
		0x06, 0, 0, 0, 0, 0, 0, 0x00, 0x01,	/* next epoch */
	};
	struct buf	 b;
	uint8_t		 two = 1;

	crypto_sign_seed_keypair(npk, nsk, (const uint8_t *)
	    "fuzz-node-seed-0123456789abcdef!");
	crypto_sign_seed_keypair(mpk, msk, (const uint8_t *)
	    "fuzz-member-seed-0123456789abcd!");
	box_pair_key(key, msk, npk);
	buf_init(&b, 2 * WIRE_MAX_DATAGRAM);
	buf_put(&b, &two, 1);
	box_seal(&b, mpk, key, 1800000000000ULL, 1, ping->p, ping->len);
	seed(dir, "fuzz-envelope", (*k)++, 0, b.p, b.len);
	buf_reset(&b);
	for (int i = 0; i < 16; i++)
		buf_put(&b, &(uint8_t){ i == 7 || i == 15 ? 1 : 0 }, 1);
	buf_put(&b, ping->p, ping->len);
	seed(dir, "fuzz-envelope", (*k)++, 5, b.p, b.len);
	seed(dir, "fuzz-envelope", (*k)++, 6, ops, sizeof(ops));
	buf_release(&b);
}

/* Seeds for fuzz-api: "METHOD PATH?QUERY", a newline, the body. */
static void
api_seeds(const char *dir)
{
	static const char *const reqs[] = {
		"GET /api/v1/status\n",
		"POST /api/v1/services\n{\"name\":\"web\",\"port\":8080,"
		    "\"proto\":\"tcp\",\"target\":\"100.64.2.10:80\","
		    "\"node\":\"b\",\"public\":true,\"allow\":"
		    "[\"203.0.113.0/24\"],\"force\":false}",
		"DELETE /api/v1/services/web?node=b\n",
		"POST /api/v1/revoke\n{\"node\":\"b\",\"statements\":"
		    "[\"YWJj\"],\"signatures\":[\"AQEBAQEBAQEBAQEBAQEBAQEBAQEB"
		    "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ==\"]}",
		"POST /api/v1/lans/approve\n{\"node\":\"b\",\"prefixes\":"
		    "[\"192.0.2.0/24\"]}",
		"POST /api/v1/operators\n{\"name\":\"al\",\"key\":"
		    "\"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"}",
		"POST /api/v1/enroll\n{\"code\":\"q83vEjRWeJCrze8SNFZ4kA\"}",
	};

	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
		seed(dir, "fuzz-api", (int)i, 0xff, (const uint8_t *)reqs[i],
		    strlen(reqs[i]));
}

/*
 * A request for httpsig from a URL: scheme://authority[/path][?query],
 * a fragment dropped.  The strings are u's, cut up, and one copy: the
 * path, which the caller frees.
 */
static int
url_req(char *u, struct httpsig_req *r)
{
	char	*s, *q;

	if ((q = strchr(u, '#')) != NULL)
		*q = '\0';
	if ((q = strchr(u, '?')) != NULL) {
		*q = '\0';
		r->query = q + 1;
	}
	if ((s = strstr(u, "://")) == NULL || s == u)
		return -1;
	*s = '\0';
	r->scheme = u;
	s += 3;
	if ((q = strchr(s, '/')) == NULL) {
		r->path = strdup("/");
		r->authority = s;
	} else {
		r->path = strdup(q);
		*q = '\0';
		r->authority = s;
	}
	return r->path != NULL && *r->authority != '\0' ? 0 : -1;
}

/* The seeds of fuzz-httpsig: requests signed as its header says. */
static void
httpsig_seeds(const char *dir, int *k)
{
	static const struct {
		uint8_t		 flags;
		const char	*method, *url, *body;
	} reqs[] = {
		{ 0x03, "GET", "http://127.0.0.1:7481/api/v1/status", NULL },
		{ 0x03, "POST", "http://127.0.0.1:7481/api/v1/services?x=1",
		  "{\"name\":\"web\",\"port\":8080}" },
		{ 0x02, "DELETE", "http://127.0.0.1:7481/api/v1/services/web?",
		  NULL },
		{ 0x01, "POST", "http://127.0.0.1:7481/api/v1/enroll",
		  "{\"code\":\"x\"}" },
	};
	uint8_t		 pk[32], sk[64];
	struct buf	 b;
	char		 si[HTTPSIG_SIG_INPUT_MAX], sg[HTTPSIG_SIG_MAX];
	char		 cd[HTTPSIG_DIGEST_MAX], u[256];
	const char	*rfc_si = "sig-b26=(\"date\" \"@method\" \"@path\" "
	    "\"@authority\" \"content-type\" \"content-length\")"
	    ";created=1618884473;keyid=\"test-key-ed25519\", other=(\"x-extra\""
	    ";sf \"@query\" \"@request-target\" \"@scheme\");b;d=1.5;t=tok"
	    ";y=:AAAA:;n=-3";

	crypto_sign_seed_keypair(pk, sk, (const uint8_t *)
	    "fuzz-httpsig-seed-0123456789abc!");
	buf_init(&b, 4096);
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		struct httpsig_req	 r;

		memset(&r, 0, sizeof(r));
		snprintf(u, sizeof(u), "%s", reqs[i].url);
		if (url_req(u, &r) != 0)
			die("bad seed URL");
		r.method = reqs[i].method;
		r.body = (const uint8_t *)reqs[i].body;
		r.body_len = reqs[i].body != NULL ? strlen(reqs[i].body) : 0;
		if (httpsig_sign(&r, sk, 1800000000, "seed-nonce", si,
		    sizeof(si), sg, sizeof(sg), cd, sizeof(cd)) != 0)
			die("cannot sign a seed");
		buf_reset(&b);
		buf_put(&b, r.method, strlen(r.method) + 1);
		buf_put(&b, r.path, strlen(r.path) + 1);
		free((char *)r.path);
		r.path = NULL;
		buf_put(&b, r.query != NULL ? r.query : "",
		    (r.query != NULL ? strlen(r.query) : 0) + 1);
		buf_put(&b, si, strlen(si) + 1);
		buf_put(&b, sg, strlen(sg) + 1);
		buf_put(&b, cd, strlen(cd) + 1);
		buf_put(&b, "x", 2);
		if (r.body_len > 0)
			buf_put(&b, r.body, r.body_len);
		seed(dir, "fuzz-httpsig", (*k)++, (uint8_t)(reqs[i].flags |
		    (r.query == NULL ? 0x08 : 0)), b.p, b.len);
	}
	{
		/* RFC 9421's B.2.6, with a label of odd parameters next to it */
		const char	*parts[] = { "POST", "/foo", "param=Value&Pet=dog",
		    rfc_si, "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jr"
		    "nDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:, "
		    "other=?1", "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2"
		    "svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:, "
		    "md5=\"x\"", "a, b" };

		buf_reset(&b);
		for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
			buf_put(&b, parts[i], strlen(parts[i]) + 1);
		buf_put(&b, "{\"hello\": \"world\"}", 18);
	}
	seed(dir, "fuzz-httpsig", (*k)++, 0x03, b.p, b.len);
	buf_release(&b);
}

/*
 * sign-message KEYFILE B64: an operator's Ed25519 signature of the bytes
 * B64 holds (standard base64), printed in standard base64: what a browser
 * does with the "message" of the API's 428 answer (docs/http.md, "API").
 */
static void
sign_message(const char *keyfile, const char *b64msg)
{
	struct opkey	 k;
	uint8_t		*msg, sig[WIRE_SIG];
	char		 err[300], out[sodium_base64_ENCODED_LEN(WIRE_SIG,
			    sodium_base64_VARIANT_ORIGINAL)];
	size_t		 n, cap = strlen(b64msg);
	const char	*end;

	if (opkey_load(keyfile, &k, err, sizeof(err)) == -1)
		die(err);
	if ((msg = malloc(cap + 1)) == NULL)
		die("out of memory");
	if (sodium_base642bin(msg, cap + 1, b64msg, strlen(b64msg), NULL, &n,
	    &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    *end != '\0')
		die("the message is not standard base64");
	crypto_sign_detached(sig, NULL, msg, n, k.sk);
	opkey_clear(&k);
	free(msg);
	sodium_bin2base64(out, sizeof(out), sig, sizeof(sig),
	    sodium_base64_VARIANT_ORIGINAL);
	printf("%s\n", out);
}

/*
 * http-sign KEYFILE METHOD URL [BODYFILE] [--created UNIX] [--nonce N]:
 * the headers that sign a request as docs/http.md says, one per line, for
 * curl.  In a test:
 *   mapfile -t H < <(rpn-tool http-sign "$key" POST "$url" body.json)
 *   curl -sS "${H[@]/#/-H}" --data-binary @body.json "$url"
 */
static void
http_sign(int argc, char **argv)
{
	struct httpsig_req	 r;
	struct opkey		 k;
	const char		*bodyfile = NULL, *nonce = NULL;
	char			 si[HTTPSIG_SIG_INPUT_MAX], sg[HTTPSIG_SIG_MAX];
	char			 cd[HTTPSIG_DIGEST_MAX], err[512], gen[32];
	char			*u, *end;
	uint8_t			*body = NULL, rnd[16];
	size_t			 len = 0, cap = 0, n;
	long long		 created = (long long)time(NULL);
	FILE			*f;

	memset(&r, 0, sizeof(r));
	for (int i = 5; i < argc; i++) {
		if (strcmp(argv[i], "--created") == 0 && i + 1 < argc) {
			created = strtoll(argv[++i], &end, 10);
			if (*end != '\0' || end == argv[i])
				die("--created: not a number");
		} else if (strcmp(argv[i], "--nonce") == 0 && i + 1 < argc)
			nonce = argv[++i];
		else if (bodyfile == NULL && argv[i][0] != '-')
			bodyfile = argv[i];
		else
			usage();
	}
	if (opkey_load(argv[2], &k, err, sizeof(err)) != 0)
		die(err);
	if ((u = strdup(argv[4])) == NULL || url_req(u, &r) != 0)
		die("URL: scheme://host[:port]/path[?query]");
	r.method = argv[3];
	if (bodyfile != NULL) {
		if ((f = fopen(bodyfile, "rb")) == NULL)
			die("cannot open the body file");
		do {
			if (len == cap && (body = realloc(body,
			    cap = cap * 2 + 4096)) == NULL)
				die("out of memory");
			n = fread(body + len, 1, cap - len, f);
			len += n;
		} while (n > 0);
		if (ferror(f))
			die("cannot read the body file");
		fclose(f);
		r.body = body;
		r.body_len = len;
	}
	if (nonce == NULL) {
		randombytes_buf(rnd, sizeof(rnd));
		sodium_bin2base64(gen, sizeof(gen), rnd, sizeof(rnd),
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		nonce = gen;
	}
	if (httpsig_sign(&r, k.sk, created, nonce, si, sizeof(si), sg,
	    sizeof(sg), cd, sizeof(cd)) != 0)
		die("cannot sign (a nonce is 1 to 64 visible characters)");
	opkey_clear(&k);
	printf("Signature-Input: %s\nSignature: %s\n", si, sg);
	if (cd[0] != '\0')
		printf("Content-Digest: %s\n", cd);
	free(body);
	free((char *)r.path);
	free(u);
}

/* Seeds for fuzz-wire's operator statements (mode 8): one of each kind. */
static void
oprec_seeds(const char *dir, int *k, const uint8_t key[WIRE_KEY])
{
	struct oprec	 o;
	struct buf	 b;
	const uint8_t	 kinds[] = { REC_OPERATOR, REC_GRANT, REC_REVOKE,
			    REC_APPROVE, REC_ORDER };

	buf_init(&b, WIRE_MAX_RECORD);
	for (size_t i = 0; i < sizeof(kinds); i++) {
		memset(&o, 0, sizeof(o));
		o.kind = kinds[i];
		o.version = 1800000000000ULL + i;
		memcpy(o.subject, key, WIRE_KEY);
		strcpy(o.name, "web");
		o.action = 1;
		o.svc.proto = SVC_TCP;
		o.svc.port = 8080;
		o.svc.target = (struct wire_addr){ 4, { 192, 0, 2, 1 }, 80 };
		o.svc.nallow = 1;
		parse_prefix("203.0.113.0/24", &o.svc.allow[0], NULL);
		o.nowners = 1;
		memcpy(o.owners[0], key, WIRE_KEY);
		o.nlans = 1;
		o.lans[0] = o.svc.allow[0];
		buf_reset(&b);
		if (oprec_encode(&b, &o) != 0)
			die("cannot encode a seed statement");
		seed(dir, "fuzz-wire", (*k)++, 8, b.p, b.len);
	}
	buf_release(&b);
}

/* fuzz_seeds - one valid input per decoder, made by the encoders, as fuzzing seeds. */
static void
fuzz_seeds(const char *dir)
{
	uint8_t			 pk[WIRE_KEY], sk[SECRET_KEY], mid[WIRE_MESH_ID];
	struct rec_node		 nd;
	struct rec_invite	 iv = { 1800000000 };
	struct rec_notice	 nt = { 5, NOTICE_SUSPECT };
	struct wire_digest_ent	 d = { { 1 }, 2, 3 };
	struct wire_cert	 chain[2];
	struct ctl_req		 r;
	struct buf		 b, e;
	const uint8_t		*items[1];
	size_t			 lens[1];
	const char		*conf = "name x\nlisten 0.0.0.0:7480\n"
	    "uplink eth0 via 198.51.100.254\nlan eth1\nprobe-interval 1s\n";
	int			 k = 0;

	mkdir(dir, 0755);
	/* Fixed keys: the same seeds every time, so a merge into the kept
	 * corpus does not trade old seeds for new ones that do the same. */
	crypto_sign_seed_keypair(pk, sk, (const uint8_t *)
	    "fuzz-seeds-mesh-0123456789abcde!");
	env_mesh_id(mid, pk);
	memset(&nd, 0, sizeof(nd));
	strcpy(nd.name, "seed");
	nd.naddrs = 1;
	nd.addrs[0] = (struct wire_addr){ 4, { 192, 0, 2, 1 }, 7480 };
	nd.nchain = 1;
	cert_sign(&nd.chain[0], sk, mid, pk, 1);
	chain[0] = chain[1] = nd.chain[0];
	buf_init(&b, WIRE_MAX_FRAME);
	buf_init(&e, WIRE_MAX_FRAME);

	rec_node_encode(&b, 7, 0, &nd);
	seed(dir, "fuzz-wire", k++, 2, b.p, b.len);
	seed(dir, "fuzz-envelope", k++, 3, b.p, b.len);
	env_seal(&e, sk, mid, b.p, b.len);
	seed(dir, "fuzz-envelope", k++, 1, e.p, e.len);
	items[0] = e.p;
	lens[0] = e.len;
	buf_reset(&b);
	wire_probe_encode(&b, MSG_PING, 1, 2, 3, items, lens, 1);
	seed(dir, "fuzz-wire", k++, 0, b.p, b.len);
	box_seeds(dir, &k, &b);
	buf_reset(&b);
	wire_items_msg_encode(&b, MSG_RECORDS, NULL, items, lens, 1);
	seed(dir, "fuzz-wire", k++, 1, b.p, b.len);
	buf_reset(&b);
	wire_digest_encode(&b, MSG_SYNC_REQ, &d, 1);
	seed(dir, "fuzz-wire", k++, 1, b.p, b.len);
	buf_reset(&b);
	wire_hello_encode(&b, mid, pk, "joiner", pk, nd.chain[0].sig);
	seed(dir, "fuzz-wire", k++, 1, b.p, b.len);
	buf_reset(&b);
	wire_offer_encode(&b, pk, e.p, e.len, chain, 2);
	seed(dir, "fuzz-wire", k++, 1, b.p, b.len);
	buf_reset(&b);
	wire_reserve_encode(&b, pk, pk, nd.chain[0].sig);
	seed(dir, "fuzz-wire", k++, 1, b.p, b.len);
	seed(dir, "fuzz-wire", k++, 9, b.p, b.len);
	buf_reset(&b);
	wire_reserved_encode(&b, WERR_TOKEN_USED, "the token was already used");
	seed(dir, "fuzz-wire", k++, 1, b.p, b.len);
	seed(dir, "fuzz-wire", k++, 9, b.p, b.len);
	buf_reset(&b);
	wire_pingreq_encode(&b, 9, pk);
	seed(dir, "fuzz-wire", k++, 0, b.p, b.len);
	buf_reset(&b);
	rec_invite_encode(&b, 8, 0, pk, &iv);
	seed(dir, "fuzz-wire", k++, 3, b.p, b.len);
	seed(dir, "fuzz-envelope", k++, 3, b.p, b.len);
	buf_reset(&b);
	rec_notice_encode(&b, 9, pk, &nt);
	seed(dir, "fuzz-wire", k++, 4, b.p, b.len);
	seed(dir, "fuzz-envelope", k++, 3, b.p, b.len);
	{
		struct rec_health	 hl = { "web", SVC_H_DOWN, 1795592445743 };

		buf_reset(&b);
		rec_health_encode(&b, 10, &hl);
		seed(dir, "fuzz-wire", k++, 7, b.p, b.len);
		seed(dir, "fuzz-envelope", k++, 3, b.p, b.len);
	}
	{
		struct rec_programmed	 pr = { 0x0123456789abcdefull, 3 };

		buf_reset(&b);
		rec_programmed_encode(&b, 11, &pr);
		seed(dir, "fuzz-wire", k++, 10, b.p, b.len);
		seed(dir, "fuzz-envelope", k++, 3, b.p, b.len);
	}

	httpsig_seeds(dir, &k);
	seed(dir, "fuzz-config", k++, 1, (const uint8_t *)conf, strlen(conf));
	{
		/* A state file that is not in a mesh, with one member's proofs. */
		msgpack_packer	 mp;

		buf_reset(&b);
		mp_packer_init(&mp, &b);
		msgpack_pack_array(&mp, 11);
		msgpack_pack_uint8(&mp, 1);
		mp_pack_str(&mp, "x");
		msgpack_pack_array(&mp, 1);
		wire_addr_encode(&mp, &nd.addrs[0]);
		msgpack_pack_false(&mp);
		msgpack_pack_nil(&mp);
		msgpack_pack_nil(&mp);
		msgpack_pack_nil(&mp);
		msgpack_pack_false(&mp);
		msgpack_pack_uint64(&mp, 9);
		wire_items_encode(&mp, NULL, NULL, NULL, 0);
		msgpack_pack_array(&mp, 1);
		msgpack_pack_array(&mp, 2);
		msgpack_pack_bin_with_body(&mp, pk, WIRE_KEY);
		msgpack_pack_array(&mp, 2);
		wire_addr_encode(&mp, &nd.addrs[0]);
		wire_addr_encode(&mp, &nd.addrs[0]);
		seed(dir, "fuzz-config", k++, 0, b.p, b.len);
		{
			/* The same, as a file: framed, with fuzz-config's key. */
			struct buf	 w;
			uint8_t		 key[STATE_MAC];

			memset(key, 0x11, sizeof(key));
			buf_init(&w, 1 << 20);
			if (state_wrap(&w, b.p, b.len, key) == -1)
				die("cannot wrap the state seed");
			seed(dir, "fuzz-config", k++, 2, w.p, w.len);
			buf_release(&w);
		}
	}
	memset(&r, 0, sizeof(r));
	r.cmd = CTL_JOIN;
	strcpy(r.name, "x");
	strcpy(r.token, "rpn1_x");
	r.has_peer = 1;
	r.peer = nd.addrs[0];
	buf_reset(&b);
	ctl_req_encode(&b, &r);
	seed(dir, "fuzz-ctl", k++, 0xff, b.p, b.len);
	memset(&r, 0, sizeof(r));
	r.cmd = CTL_SERVICE_ADD;
	strcpy(r.name, "web");
	r.proto = 6;
	r.port = 8080;
	r.target = nd.addrs[0];
	r.nallow = 1;
	parse_prefix("203.0.113.0/24", &r.allow[0], NULL);
	buf_reset(&b);
	ctl_req_encode(&b, &r);
	seed(dir, "fuzz-ctl", k++, 0xff, b.p, b.len);
	{
		struct rec_service	 sv;

		memset(&sv, 0, sizeof(sv));
		strcpy(sv.name, "web");
		sv.proto = SVC_TCP;
		sv.port = 8080;
		sv.target = nd.addrs[0];
		sv.nallow = 1;
		sv.allow[0] = r.allow[0];
		buf_reset(&b);
		rec_service_encode(&b, 11, &sv);
		seed(dir, "fuzz-wire", k++, 5, b.p, b.len);
		seed(dir, "fuzz-envelope", k++, 3, b.p, b.len);
		buf_reset(&b);
		wire_svc_req_encode(&b, 1, &sv, 1, NULL, 0, NULL, 0);
		seed(dir, "fuzz-wire", k++, 1, b.p, b.len);
	}
	{
		/* fuzz-priv: a service with two backends, a member, a LAN, a
		 * commit, then the service removed (type, length, payload) */
		struct dp_svc	 ds;
		struct dp_addr	 da;
		uint8_t		 pk2[DP_SVC_MAXLEN];
		size_t		 n;

		buf_reset(&b);
		memset(&ds, 0, sizeof(ds));
		ds.proto = 6;
		ds.port = 8080;
		ds.nbackends = 2;
		ds.backends[0] = (struct dp_backend){ htonl(0xc6336432), 8080, 0 };
		ds.backends[1] = (struct dp_backend){ htonl(0xc6336422), 8080, 0 };
		ds.nallow = 1;
		ds.allow[0] = (struct dp_prefix){ htonl(0xcb007100), 24, { 0 } };
		n = dp_svc_pack(&ds, pk2);
		priv_seed(&b, 0, pk2, n);
		memset(&da, 0, sizeof(da));
		da.op = 1;
		da.p = (struct dp_prefix){ htonl(0xc6336402), 32, { 0 } };
		priv_seed(&b, 1, &da, sizeof(da));
		da.p = (struct dp_prefix){ htonl(0x64400100), 24, { 0 } };
		priv_seed(&b, 2, &da, sizeof(da));
		priv_seed(&b, 3, NULL, 0);
		ds.nbackends = 0;
		ds.nallow = 0;
		n = dp_svc_pack(&ds, pk2);
		priv_seed(&b, 0, pk2, n);
		seed(dir, "fuzz-priv", k++, 0xff, b.p, b.len);
	}
	api_seeds(dir);
	oprec_seeds(dir, &k, pk);
	{
		/* fuzz-envelope case 4: a join token's text */
		struct token	 t;
		char		 ts[TOKEN_STRLEN + 1];

		memcpy(t.mesh_id, mid, sizeof(t.mesh_id));
		memset(t.seed, 0x5a, sizeof(t.seed));
		if (token_encode(&t, ts, sizeof(ts)) != 0)
			die("cannot encode a seed token");
		seed(dir, "fuzz-envelope", k++, 4, (const uint8_t *)ts,
		    strlen(ts));
	}
	{
		/* fuzz-webpath: the split byte, the decoded path, the raw one */
		static const char *const paths[][2] = {
			{ "/", "/" },
			{ "/app.js", "/app.js" },
			{ "/css/main.css", "/css/main%2Ecss" },
		};

		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			size_t	 dl = strlen(paths[i][0]), rl = strlen(paths[i][1]);

			buf_reset(&b);
			buf_put(&b, &(uint8_t){ (uint8_t)dl }, 1);
			buf_put(&b, paths[i][0], dl);
			buf_put(&b, paths[i][1], rl);
			seed(dir, "fuzz-webpath", k++, 0xff, b.p, b.len);
		}
	}
	buf_release(&b);
	buf_release(&e);
}

static void
save(const char *dir, char kind, int n, const uint8_t *p, size_t len)
{
	char	 path[4096];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%c-%d", dir, kind, n);
	if ((f = fopen(path, "w")) == NULL || fwrite(p, 1, len, f) != len ||
	    fclose(f) != 0)
		die("cannot save a capture");
}

/* Does this box open with the receiver's key, and decode as a message? */
static int
box_readable(const uint8_t rsk[SECRET_KEY], const uint8_t *p, size_t n,
    int stream, uint32_t *items)
{
	static uint8_t	 pt[WIRE_MAX_FRAME + BOX_OVERHEAD];
	const uint8_t	*sender;
	uint8_t		 key[32];
	uint64_t	 epoch, ctr;
	size_t		 ptlen;
	struct wire_msg	 m;

	if (n > sizeof(pt) || box_peek(p, n, &sender, &epoch, &ctr) == -1 ||
	    box_pair_key(key, rsk, sender) == -1 ||
	    box_open(p, n, key, pt, &ptlen) == -1 ||
	    wire_msg_decode(pt, ptlen, stream, &m) == -1)
		return 0;
	*items = m.items.n;
	wire_msg_release(&m);
	return 1;
}

/*
 * capture IFACE FROM STATE_DIR SECONDS DIR: what FROM sends to rpn's port,
 * taken off IFACE in the receiver's namespace with a packet socket (as
 * tcpdump would), opened with the receiver's key from STATE_DIR to keep only
 * what is worth playing again: datagrams carrying records (DIR/d-N), and the
 * first frame of each TCP stream FROM opens (DIR/s-N, with its length).
 * Stops after SECONDS, or once it holds four datagrams and a stream.
 */
static void
capture(const char *ifname, const char *from, const char *sdir, int secs,
    const char *dir)
{
	static uint8_t		 pkt[65536];
	struct sockaddr_ll	 ll;
	struct in_addr		 src;
	struct timespec		 t0, t;
	uint8_t			 rsk[SECRET_KEY];
	uint16_t		 opened[256];
	int			 fd, dfd, nd = 0, ns = 0, nopened = 0, total = 0;
	char			 err[256];

	if (inet_pton(AF_INET, from, &src) != 1)
		die("FROM must be an IPv4 address");
	if ((dfd = open(sdir, O_RDONLY | O_DIRECTORY)) == -1 ||
	    keys_load(dfd, NODE_KEY_FILE, rsk, err, sizeof(err)) == -1)
		die("cannot read the receiver's key");
	close(dfd);
	mkdir(dir, 0755);
	memset(&ll, 0, sizeof(ll));
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(0x0800);
	if ((ll.sll_ifindex = (int)if_nametoindex(ifname)) == 0 ||
	    (fd = socket(AF_PACKET, SOCK_DGRAM, htons(0x0800))) == -1 ||
	    bind(fd, (struct sockaddr *)&ll, sizeof(ll)) == -1)
		die("cannot open a packet socket on the interface");
	/* Ready: the caller may start what it wants captured. */
	printf("capturing\n");
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd	 pfd = { fd, POLLIN, 0 };
		ssize_t		 r;
		size_t		 ihl, len;
		uint16_t	 dport, sport;
		const uint8_t	*l4;
		uint32_t	 items;

		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= secs || (nd >= 4 && ns >= 1))
			break;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if ((r = recv(fd, pkt, sizeof(pkt), 0)) < 20)
			continue;
		len = (size_t)r;
		ihl = (size_t)(pkt[0] & 0x0f) * 4;
		if ((pkt[0] >> 4) != 4 || ihl < 20 || len < ihl + 20 ||
		    memcmp(pkt + 12, &src, 4) != 0)
			continue;
		if ((size_t)(pkt[2] << 8 | pkt[3]) < len)
			len = (size_t)(pkt[2] << 8 | pkt[3]);
		l4 = pkt + ihl;
		sport = (uint16_t)(l4[0] << 8 | l4[1]);
		dport = (uint16_t)(l4[2] << 8 | l4[3]);
		if (dport != RPN_PORT_DEFAULT)
			continue;
		total++;
		if (pkt[9] == 17 && len >= ihl + 8) {
			const uint8_t	*d = l4 + 8;
			size_t		 dn = len - ihl - 8;

			if (box_readable(rsk, d, dn, 0, &items) && items > 0)
				save(dir, 'd', nd++, d, dn);
		} else if (pkt[9] == 6) {
			size_t		 doff = (size_t)(l4[12] >> 4) * 4;
			const uint8_t	*d = l4 + doff;
			size_t		 dn, flen;
			int		 k;

			if (len < ihl + doff)
				continue;
			dn = len - ihl - doff;
			if (l4[13] & 0x02) {		/* SYN: a stream opens */
				if (nopened < 256)
					opened[nopened++] = sport;
				continue;
			}
			for (k = 0; k < nopened && opened[k] != sport; k++)
				;
			if (k == nopened || dn < 4)
				continue;
			opened[k] = 0;			/* only its first frame */
			flen = (size_t)d[0] << 24 | (size_t)d[1] << 16 |
			    (size_t)d[2] << 8 | d[3];
			if (dn >= 4 + flen &&
			    box_readable(rsk, d + 4, flen, 1, &items))
				save(dir, 's', ns++, d, 4 + flen);
		}
	}
	close(fd);
	sodium_memzero(rsk, sizeof(rsk));
	printf("packets=%d datagrams=%d streams=%d\n", total, nd, ns);
}

/*
 * resend ADDR FILE...: play captured datagrams (d-N) and stream openings
 * (s-N, each on a new connection) to ADDR; for a stream, say how many bytes
 * came back before the peer closed it.
 */
static void
resend(const char *to, char **files, int n)
{
	static uint8_t		 p[1 << 20];
	struct wire_addr	 a;
	struct sockaddr_storage	 ss;
	socklen_t		 sl;

	if (parse_addrport(to, RPN_PORT_DEFAULT, &a) == -1)
		die("bad address");
	addr_to_sockaddr(&a, &ss, &sl);
	for (int i = 0; i < n; i++) {
		const char	*base = strrchr(files[i], '/');
		struct timeval	 tv = { 3, 0 };
		FILE		*f;
		size_t		 len;
		ssize_t		 r;
		long		 back = 0;
		int		 fd;

		base = base ? base + 1 : files[i];
		if ((f = fopen(files[i], "r")) == NULL)
			die("cannot read a capture");
		len = fread(p, 1, sizeof(p), f);
		fclose(f);
		if (base[0] == 'd') {
			send_dgram(to, p, len);
			continue;
		}
		if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) == -1 ||
		    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
		    connect(fd, (struct sockaddr *)&ss, sl) == -1 ||
		    write(fd, p, len) != (ssize_t)len)
			die("cannot play a stream");
		while ((r = read(fd, p, sizeof(p))) > 0)
			back += r;
		close(fd);
		printf("%s: %ld bytes back\n", base, back);
	}
}

/*
 * add-services SOCK N: N services tcp/1024.. then udp, timed, on one
 * connection with up to AHEAD requests sent before their replies are read
 * (as rpnctl service import sends them).
 */
#define AHEAD	64

static void
service_req(struct ctl_req *r, int i)
{
	memset(r, 0, sizeof(*r));
	r->cmd = CTL_SERVICE_ADD;
	snprintf(r->name, sizeof(r->name), "s%06d", i);
	r->proto = i < 64000 ? 6 : 17;
	r->port = (uint16_t)(1024 + i % 64000);
	/* rpn's own port is refused; the console listens on the next */
	if (r->port >= RPN_PORT_DEFAULT)
		r->port += 2;
	parse_addrport("100.64.9.10:80", 0, &r->target);
}

static void
add_services(const char *sock, int n)
{
	struct timespec	 t0, t1;
	struct buf	 in;
	char		 err[256];
	int		 fd, sent = 0, got = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((fd = client_open(sock, err, sizeof(err))) == -1)
		die(err);
	buf_init(&in, CTL_MAX_FRAME + 4);
	while (got < n) {
		struct ctl_req	 r;
		struct mp_doc	 d;

		if (sent < n && sent - got < AHEAD) {
			service_req(&r, sent++);
			if (client_send_req(fd, &r, err, sizeof(err)) == -1)
				die(err);
			continue;
		}
		if (client_recv_reply(fd, &in, &d, 60000, err, sizeof(err)) != 0)
			die(err);
		mp_doc_release(&d);
		got++;
	}
	buf_release(&in);
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("added=%d seconds=%.1f\n", n, (double)(t1.tv_sec - t0.tv_sec) +
	    (t1.tv_nsec - t0.tv_nsec) / 1e9);
}

/*
 * udp_serve - a UDP server for the tests: every datagram gets an answer,
 * REPLY and a newline when given, else the datagram itself.  One socket,
 * no fork per datagram (socat's UDP-RECVFROM,fork can hand one client's
 * datagram to the process serving another's).
 */
static void
udp_serve(const char *port, const char *reply)
{
	struct sockaddr_in	 sin;
	char			 buf[65536];
	int			 fd, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(port));
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("udp-serve: cannot bind");
	for (;;) {
		struct sockaddr_storage	 from;
		socklen_t		 flen = sizeof(from);
		ssize_t			 n = recvfrom(fd, buf, sizeof(buf), 0,
		    (struct sockaddr *)&from, &flen);

		if (n < 0)
			continue;
		if (reply != NULL) {
			n = (ssize_t)snprintf(buf, sizeof(buf), "%s\n", reply);
			if (n >= (ssize_t)sizeof(buf))
				n = sizeof(buf) - 1;
		}
		sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, flen);
	}
}

/*
 * state_tamper - flip one bit in the signature of the service record NAME
 * in a node's state file, in place, leaving the file's MAC as it was:
 * what a disk error or someone writing the file would leave.
 */
static void
state_tamper(const char *dir, const char *name)
{
	struct state_snap	 s;
	char			 err[256];
	uint8_t			*raw;
	long			 size;
	int			 fd, absent, done = 0;
	FILE			*f;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) == -1 ||
	    state_load(fd, NULL, &s, &absent, err, sizeof(err)) == -1 || absent)
		die("cannot read the state file");
	if ((f = fdopen(openat(fd, STATE_FILE, O_RDWR), "r+")) == NULL ||
	    fseek(f, 0, SEEK_END) == -1 || (size = ftell(f)) <= 0 ||
	    (raw = malloc((size_t)size)) == NULL || fseek(f, 0, SEEK_SET) == -1 ||
	    fread(raw, 1, (size_t)size, f) != (size_t)size)
		die("cannot read the state file");
	for (uint32_t i = 0; i < s.records.n && !done; i++) {
		size_t		 len, bodylen;
		const uint8_t	*p = wire_items_get(&s.records, i, &len);
		const uint8_t	*author, *body, *at;
		struct rec_head	 h;

		if (env_peek(p, len, &author, &body, &bodylen) == -1 ||
		    rec_head_decode(body, bodylen, &h) == -1 ||
		    h.kind != REC_SERVICE || h.keylen != strlen(name) ||
		    memcmp(h.key, name, h.keylen) != 0)
			continue;
		if ((at = memmem(raw, (size_t)size, p, len)) == NULL)
			die("the record is not in the file as it was read");
		raw[(at - raw) + 1 + WIRE_KEY + 5] ^= 0x10;	/* in the signature */
		done = 1;
	}
	if (!done)
		die("no service record of that name in the state file");
	if (fseek(f, 0, SEEK_SET) == -1 ||
	    fwrite(raw, 1, (size_t)size, f) != (size_t)size || fclose(f) != 0)
		die("cannot write the state file");
	free(raw);
	close(fd);
	state_snap_release(&s);
}

/*
 * state_records - what a node's state file holds, one record a line:
 * KIND VERSION FLAGS AUTHOR KEY (KEY as text, "-" when empty), so a test
 * can wait for the file to catch up with what the node shows instead of
 * sleeping for the save delay.  No file: no lines.
 */
static void
state_records(const char *dir)
{
	static const char *const kinds[] = { [REC_NODE] = "node",
	    [REC_INVITE] = "invite", [REC_SERVICE] = "service",
	    [REC_HEALTH] = "health", [REC_NOTICE] = "notice",
	    [REC_PROGRAMMED] = "programmed" };
	struct state_snap	 s;
	char			 err[256];
	int			 fd, absent;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) == -1 ||
	    state_load(fd, NULL, &s, &absent, err, sizeof(err)) == -1)
		die("cannot read the state file");
	close(fd);
	if (absent)
		return;
	for (uint32_t i = 0; i < s.records.n; i++) {
		size_t		 len, bodylen;
		const uint8_t	*p = wire_items_get(&s.records, i, &len);
		const uint8_t	*author, *body;
		struct rec_head	 h;
		char		 key[WIRE_MAX_RECKEY + 1];

		if (env_peek(p, len, &author, &body, &bodylen) == -1 ||
		    rec_head_decode(body, bodylen, &h) == -1)
			die("a record in the state file does not decode");
		if (h.kind < sizeof(kinds) / sizeof(kinds[0]) &&
		    kinds[h.kind] != NULL)
			printf("%s", kinds[h.kind]);
		else
			printf("%u", h.kind);
		printf(" %llu %u ", (unsigned long long)h.version, h.flags);
		for (int j = 0; j < WIRE_KEY; j++)
			printf("%02x", author[j]);
		/* Names as text; a binary key (an invitation's) in hex. */
		memset(key, 0, sizeof(key));
		for (int j = 0; j < h.keylen; j++)
			key[j] = h.key[j] > ' ' && h.key[j] < 0x7f ?
			    (char)h.key[j] : '\0';
		if (h.keylen == 0)
			printf(" -");
		else if (strlen(key) == h.keylen)
			printf(" %s", key);
		else
			for (int j = 0; j < h.keylen; j++)
				printf("%s%02x", j ? "" : " ", h.key[j]);
		printf("\n");
	}
	state_snap_release(&s);
}

/*
 * statement STATE_DIR ADDR TARGET_ID grant NAME PROTO/PORT OWNER_ID [public]
 *         | revoke NODE_ID NAME | operator PUBKEY NAME
 * An operator statement signed with a member's own node key, as a member
 * patched to skip every check could send it: receivers must refuse it.
 */
static void
rogue_statement(int argc, char **argv)
{
	struct state_snap	 s;
	uint8_t			 sk[SECRET_KEY], target[WIRE_KEY],
				 mid[WIRE_MESH_ID];
	struct oprec		 o;
	struct buf		 body, env;
	const char		*kind = argv[5];

	load_member(argv[2], sk, &s);
	unhex(argv[4], target, WIRE_KEY);
	memset(&o, 0, sizeof(o));
	o.version = (uint64_t)time(NULL) * 1000;
	if (strcmp(kind, "grant") == 0 && argc >= 9) {
		const char	*slash = strchr(argv[7], '/');

		o.kind = REC_GRANT;
		strlcpy(o.name, argv[6], sizeof(o.name));
		if (slash == NULL || parse_port(slash + 1, &o.svc.port) == -1)
			die("bad PROTO/PORT");
		o.svc.proto = strncmp(argv[7], "udp", 3) == 0 ? SVC_UDP : SVC_TCP;
		unhex(argv[8], o.owners[0], WIRE_KEY);
		o.nowners = 1;
		o.svc.public = argc > 9 && strcmp(argv[9], "public") == 0;
	} else if (strcmp(kind, "revoke") == 0 && argc == 8) {
		o.kind = REC_REVOKE;
		unhex(argv[6], o.subject, WIRE_KEY);
		strlcpy(o.name, argv[7], sizeof(o.name));
	} else if (strcmp(kind, "operator") == 0 && argc == 8) {
		o.kind = REC_OPERATOR;
		o.action = OP_ENROL;
		if (oprec_pubkey_parse(argv[6], o.subject) == -1)
			die("bad operator key");
		strlcpy(o.name, argv[7], sizeof(o.name));
	} else
		die("bad statement");
	buf_init(&body, WIRE_MAX_RECORD);
	buf_init(&env, WIRE_MAX_RECORD);
	env_mesh_id(mid, s.root);
	if (oprec_encode(&body, &o) == -1 ||
	    env_seal(&env, sk, mid, body.p, body.len) == -1)
		die("cannot sign");
	send_record(argv[3], target, env.p, env.len);
	buf_release(&body);
	buf_release(&env);
	state_snap_release(&s);
}

static void
read_full(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t	 r = read(fd, p, n);

		if (r <= 0)
			die("the connection closed early");
		p += r;
		n -= (size_t)r;
	}
}

/* A box counter above any a member's rpnd reaches in a test. */
#define CTR_ABOVE	(1ULL << 40)

/* stream_frame - p sealed to key as one frame of a stream, written to fd. */
static void
stream_frame(int fd, const uint8_t sk[SECRET_KEY], const uint8_t key[32],
    uint64_t epoch, uint64_t ctr, const struct buf *p)
{
	struct buf	 box;

	buf_init(&box, WIRE_MAX_FRAME + BOX_OVERHEAD + 4);
	if (buf_put(&box, "\0\0\0\0", 4) == -1 ||
	    box_seal(&box, sk + 32, key, epoch, ctr, p->p, p->len) == -1)
		die("cannot seal a frame");
	box.p[0] = (uint8_t)((box.len - 4) >> 24);
	box.p[1] = (uint8_t)((box.len - 4) >> 16);
	box.p[2] = (uint8_t)((box.len - 4) >> 8);
	box.p[3] = (uint8_t)(box.len - 4);
	for (size_t off = 0; off < box.len;) {
		ssize_t	 w = write(fd, box.p + off, box.len - off);

		if (w <= 0)
			die("cannot send a frame");
		off += (size_t)w;
	}
	buf_release(&box);
}

/*
 * big-frame STATE_DIR ADDR TARGET_ID INC: as the member, open a sync stream
 * and send one frame of records as large as a receiver takes, every one a
 * service record of the member's whose signature does not verify: what a
 * hostile member could send to hold the receiver's loop on signature
 * checks.  Waits until the target closes the stream; prints the count.
 * INC is the member's incarnation as the target holds it: the frames are
 * stamped in it, above any counter the member used, so the member's rpnd
 * must be stopped first; when it starts again, a new incarnation is a new
 * life the target takes from it.
 */
static void
big_frame(const char *dir, const char *to, const char *target_hex,
    uint64_t epoch)
{
	struct state_snap	 s;
	uint8_t			 sk[SECRET_KEY], target[WIRE_KEY], key[32],
				 mid[WIRE_MESH_ID], *arena, junk[65536];
	const uint8_t		**items;
	size_t			*lens, used = 0, cap = WIRE_MAX_FRAME;
	struct rec_service	 sv;
	struct buf		 nb, env, p;
	struct wire_addr	 a;
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	struct timeval		 tv = { 120, 0 };
	size_t			 framelen;
	uint32_t		 n = 0;
	int			 fd;

	load_member(dir, sk, &s);
	unhex(target_hex, target, WIRE_KEY);
	if (box_pair_key(key, sk, target) == -1)
		die("bad target key");
	env_mesh_id(mid, s.root);
	if ((arena = malloc(cap)) == NULL ||
	    (items = calloc(WIRE_MAX_ITEMS, sizeof(*items))) == NULL ||
	    (lens = calloc(WIRE_MAX_ITEMS, sizeof(*lens))) == NULL)
		die("out of memory");
	buf_init(&nb, WIRE_MAX_RECORD);
	buf_init(&env, WIRE_MAX_RECORD);
	/* Each item costs its bytes and a bin header of up to 3; 64 KiB spare. */
	while (n < WIRE_MAX_ITEMS && used + WIRE_MAX_RECORD + 3 * n <
	    cap - 65536) {
		const uint8_t	*author, *body;
		size_t		 bodylen;

		memset(&sv, 0, sizeof(sv));
		snprintf(sv.name, sizeof(sv.name), "forged-%u", n);
		sv.proto = SVC_TCP;
		sv.port = (uint16_t)(20000 + n % 40000);
		sv.target = (struct wire_addr){ 4, { 100, 64,
		    (uint8_t)(n >> 8), (uint8_t)n }, 80 };
		buf_reset(&nb);
		buf_reset(&env);
		if (rec_service_encode(&nb, epoch + n, &sv) == -1 ||
		    env_seal(&env, sk, mid, nb.p, nb.len) == -1 ||
		    env_peek(env.p, env.len, &author, &body, &bodylen) == -1)
			die("cannot sign");
		memcpy(arena + used, env.p, env.len);
		arena[used + (size_t)(author - env.p) + WIRE_KEY] ^= 0x01;
		items[n] = arena + used;
		lens[n++] = env.len;
		used += env.len;
	}
	if (parse_addrport(to, RPN_PORT_DEFAULT, &a) == -1)
		die("bad address");
	addr_to_sockaddr(&a, &ss, &sl);
	if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(fd, (struct sockaddr *)&ss, sl) == -1)
		die("cannot connect");
	buf_init(&p, WIRE_MAX_FRAME);
	if (wire_digest_encode(&p, MSG_SYNC_REQ, NULL, 0) == -1)
		die("cannot make the request");
	stream_frame(fd, sk, key, epoch, CTR_ABOVE, &p);
	buf_reset(&p);
	if (wire_items_msg_encode(&p, MSG_RECORDS, NULL, items, lens, n) == -1)
		die("the records do not fit a frame");
	stream_frame(fd, sk, key, epoch, CTR_ABOVE + 1, &p);
	framelen = p.len;
	buf_reset(&p);
	if (wire_done_encode(&p) == -1)
		die("cannot end the sync");
	stream_frame(fd, sk, key, epoch, CTR_ABOVE + 2, &p);
	/* The target's records, until it closes the stream. */
	while (read(fd, junk, sizeof(junk)) > 0)
		;
	close(fd);
	printf("%u records, %zu bytes\n", n, framelen);
	buf_release(&p);
	buf_release(&nb);
	buf_release(&env);
	free(arena);
	free(items);
	free(lens);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(sk, sizeof(sk));
	state_snap_release(&s);
}

/*
 * svc-req STATE_DIR ADDR TARGET_ID del NAME: as the member, ask the target
 * over a member stream to delete its backend of NAME, without an
 * operator's order, as a patched member would.  Prints the answer.
 */
static void
rogue_svc_req(const char *dir, const char *to, const char *target_hex,
    const char *name)
{
	struct state_snap	 s;
	uint8_t			 sk[SECRET_KEY], target[WIRE_KEY], key[32],
				 hdr[4], *in, *out;
	struct rec_service	 sv;
	struct buf		 p, box;
	struct wire_addr	 a;
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	struct wire_msg		*m;
	size_t			 outlen;
	uint32_t		 n;
	int			 fd;

	load_member(dir, sk, &s);
	unhex(target_hex, target, WIRE_KEY);
	if (box_pair_key(key, sk, target) == -1)
		die("bad target key");
	memset(&sv, 0, sizeof(sv));
	strlcpy(sv.name, name, sizeof(sv.name));
	buf_init(&p, 4096);
	buf_init(&box, 8192);
	if (wire_svc_req_encode(&p, 2, &sv, 0, NULL, 0, NULL, 0) == -1 ||
	    buf_put(&box, "\0\0\0\0", 4) == -1 ||
	    box_seal(&box, sk + 32, key, (uint64_t)time(NULL) * 1000, 1, p.p,
	    p.len) == -1)
		die("cannot make the request");
	box.p[0] = (uint8_t)((box.len - 4) >> 24);
	box.p[1] = (uint8_t)((box.len - 4) >> 16);
	box.p[2] = (uint8_t)((box.len - 4) >> 8);
	box.p[3] = (uint8_t)(box.len - 4);
	if (parse_addrport(to, RPN_PORT_DEFAULT, &a) == -1)
		die("bad address");
	addr_to_sockaddr(&a, &ss, &sl);
	if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&ss, sl) == -1 ||
	    write(fd, box.p, box.len) != (ssize_t)box.len)
		die("cannot send the request");
	read_full(fd, hdr, 4);
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	    (uint32_t)hdr[2] << 8 | hdr[3];
	if (n > 65536 || (in = malloc(n)) == NULL || (out = malloc(n)) == NULL ||
	    (m = malloc(sizeof(*m))) == NULL)
		die("bad answer");
	read_full(fd, in, n);
	if (box_open(in, n, key, out, &outlen) == -1 ||
	    wire_msg_decode(out, outlen, 1, m) == -1)
		die("the answer does not open");
	printf("code %u: %s\n", m->code, m->errmsg);
	wire_msg_release(m);
	free(m);
	free(in);
	free(out);
	close(fd);
	buf_release(&p);
	buf_release(&box);
	sodium_memzero(key, sizeof(key));
	state_snap_release(&s);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: rpn-tool made-up-token GOOD_TOKEN\n"
	    "       rpn-tool garbage ADDR[:PORT]\n"
	    "       rpn-tool forged STATE_DIR ADDR[:PORT] TARGET_ID\n"
	    "       rpn-tool replay OLD_STATE_DIR STATE_DIR ADDR[:PORT] TARGET_ID\n"
	    "       rpn-tool old-version STATE_DIR ADDR[:PORT] TARGET_ID\n"
	    "       rpn-tool replay-services OLD_STATE_DIR ADDR[:PORT] TARGET_ID\n"
	    "       rpn-tool service-record STATE_DIR ADDR[:PORT] TARGET_ID NAME\n"
	    "                PROTO/PORT TARGET [public] [version V]\n"
	    "       rpn-tool node-record STATE_DIR ADDR[:PORT] TARGET_ID\n"
	    "                [addr IP[:PORT]]... [lan PREFIX]...\n"
	    "       rpn-tool v1-box STATE_DIR ADDR[:PORT] TARGET_ID\n"
	    "       rpn-tool outsider ADDR[:PORT] TARGET_ID MESH_ID\n"
	    "       rpn-tool state-records STATE_DIR\n"
	    "       rpn-tool state-tamper STATE_DIR SERVICE\n"
	    "       rpn-tool statement STATE_DIR ADDR[:PORT] TARGET_ID grant NAME\n"
	    "                PROTO/PORT OWNER_ID [public] | revoke NODE_ID NAME\n"
	    "                | operator PUBKEY NAME\n"
	    "       rpn-tool svc-req STATE_DIR ADDR[:PORT] TARGET_ID del NAME\n"
	    "       rpn-tool big-frame STATE_DIR ADDR[:PORT] TARGET_ID INC\n"
	    "       rpn-tool capture IFACE FROM_IP RECEIVER_STATE_DIR SECONDS DIR\n"
	    "       rpn-tool resend ADDR[:PORT] FILE...\n"
	    "       rpn-tool fuzz-seeds DIR\n"
	    "       rpn-tool http-sign KEYFILE METHOD URL [BODYFILE]\n"
	    "                [--created UNIX] [--nonce N]\n"
	    "       rpn-tool sign-message KEYFILE B64\n"
	    "       rpn-tool add-services SOCKET N\n"
	    "       rpn-tool udp-serve PORT [REPLY]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	uint8_t			 sk[SECRET_KEY], target[WIRE_KEY];
	struct state_snap	 s;
	const uint8_t		*rec;
	size_t			 len;

	if (sodium_init() < 0 || argc < 3)
		usage();
	if (strcmp(argv[1], "fuzz-seeds") == 0) {
		fuzz_seeds(argv[2]);
	} else if (strcmp(argv[1], "http-sign") == 0 && argc >= 5) {
		http_sign(argc, argv);
	} else if (strcmp(argv[1], "sign-message") == 0 && argc == 4) {
		sign_message(argv[2], argv[3]);
	} else if (strcmp(argv[1], "udp-serve") == 0 && (argc == 3 || argc == 4)) {
		udp_serve(argv[2], argc == 4 ? argv[3] : NULL);
	} else if (strcmp(argv[1], "statement") == 0 && argc >= 8) {
		rogue_statement(argc, argv);
	} else if (strcmp(argv[1], "svc-req") == 0 && argc == 7 &&
	    strcmp(argv[5], "del") == 0) {
		rogue_svc_req(argv[2], argv[3], argv[4], argv[6]);
	} else if (strcmp(argv[1], "big-frame") == 0 && argc == 6) {
		big_frame(argv[2], argv[3], argv[4],
		    strtoull(argv[5], NULL, 10));
	} else if (strcmp(argv[1], "state-records") == 0 && argc == 3) {
		state_records(argv[2]);
	} else if (strcmp(argv[1], "state-tamper") == 0 && argc == 4) {
		state_tamper(argv[2], argv[3]);
	} else if (strcmp(argv[1], "add-services") == 0 && argc == 4) {
		add_services(argv[2], atoi(argv[3]));
	} else if (strcmp(argv[1], "capture") == 0 && argc == 7) {
		capture(argv[2], argv[3], argv[4], atoi(argv[5]), argv[6]);
	} else if (strcmp(argv[1], "resend") == 0 && argc >= 4) {
		resend(argv[2], argv + 3, argc - 3);
	} else if (strcmp(argv[1], "made-up-token") == 0) {
		made_up_token(argv[2]);
	} else if (strcmp(argv[1], "garbage") == 0) {
		uint8_t	 junk[300];

		randombytes_buf(junk, sizeof(junk));
		junk[0] = BOX_MAGIC;	/* looks like a box, fails to open */
		send_dgram(argv[2], junk, sizeof(junk));
	} else if (strcmp(argv[1], "forged") == 0 && argc == 5) {
		struct buf	 env;

		/*
		 * A record of the member's, a version far ahead of its own,
		 * its signature tampered with in transit: newer than what the
		 * target holds, so it is checked (a tampered copy of a version
		 * held already is dropped as stale unchecked).
		 */
		load_member(argv[2], sk, &s);
		unhex(argv[4], target, WIRE_KEY);
		resign_own(&s, sk, 1000000, &env);
		env.p[1 + WIRE_KEY] ^= 0x01;	/* the signature's first byte */
		send_record(argv[3], target, env.p, env.len);
		buf_release(&env);
		state_snap_release(&s);
	} else if (strcmp(argv[1], "replay") == 0 && argc == 6) {
		struct state_snap	 old;
		char			 err[256];
		int			 fd, absent;

		/* OLD_STATE_DIR holds a copy of the member's earlier state file. */
		load_member(argv[3], sk, &s);
		unhex(argv[5], target, WIRE_KEY);
		if ((fd = open(argv[2], O_RDONLY | O_DIRECTORY)) == -1 ||
		    state_load(fd, NULL, &old, &absent, err, sizeof(err)) == -1 ||
		    absent)
			die("cannot read the old state file");
		close(fd);
		rec = own_record(&old, sk + 32, &len);
		send_record(argv[4], target, rec, len);
		state_snap_release(&old);
		state_snap_release(&s);
	} else if (strcmp(argv[1], "v1-box") == 0 && argc == 5) {
		load_member(argv[2], sk, &s);
		unhex(argv[4], target, WIRE_KEY);
		rec = own_record(&s, sk + 32, &len);
		send_v1_box(argv[3], sk, target, rec, len);
		state_snap_release(&s);
	} else if (strcmp(argv[1], "old-version") == 0 && argc == 5) {
		struct buf	 env;

		/* Properly signed, but older than anything the mesh holds. */
		load_member(argv[2], sk, &s);
		unhex(argv[4], target, WIRE_KEY);
		resign_own(&s, sk, 0, &env);
		send_record(argv[3], target, env.p, env.len);
		buf_release(&env);
		state_snap_release(&s);
	} else if (strcmp(argv[1], "replay-services") == 0 && argc == 5) {
		/* Every service record an old state file holds, played again. */
		int	 fd = open(argv[2], O_RDONLY | O_DIRECTORY), absent, k = 0;
		char	 err[256];

		unhex(argv[4], target, WIRE_KEY);
		if (fd == -1 || state_load(fd, NULL, &s, &absent, err,
		    sizeof(err)) == -1 || absent)
			die("no usable old state file");
		close(fd);
		for (uint32_t i = 0; i < s.records.n; i++) {
			const uint8_t	*p = wire_items_get(&s.records, i, &len);
			const uint8_t	*author, *body;
			size_t		 bodylen;
			struct rec_head	 h;

			if (env_peek(p, len, &author, &body, &bodylen) == 0 &&
			    rec_head_decode(body, bodylen, &h) == 0 &&
			    h.kind == REC_SERVICE) {
				send_record(argv[3], target, p, len);
				k++;
			}
		}
		printf("replayed %d service records\n", k);
		state_snap_release(&s);
	} else if (strcmp(argv[1], "service-record") == 0 && argc >= 8) {
		/*
		 * A service record signed with a member's own key, with none of
		 * the checks rpnd makes before it signs one: what a member
		 * patched to skip them could send (rpn's own port, ...).
		 */
		struct rec_service	 sv;
		struct buf		 nb, env;
		uint8_t			 mid[WIRE_MESH_ID];
		uint64_t		 version = (uint64_t)time(NULL) * 1000;
		const char		*slash = strchr(argv[6], '/');

		memset(&sv, 0, sizeof(sv));
		load_member(argv[2], sk, &s);
		unhex(argv[4], target, WIRE_KEY);
		strlcpy(sv.name, argv[5], sizeof(sv.name));
		if (slash == NULL || parse_port(slash + 1, &sv.port) == -1 ||
		    parse_addrport(argv[7], 0, &sv.target) == -1)
			die("bad PROTO/PORT or TARGET");
		sv.proto = strncmp(argv[6], "udp", 3) == 0 ? SVC_UDP : SVC_TCP;
		for (int i = 8; i < argc; i++) {
			if (strcmp(argv[i], "public") == 0)
				sv.public = 1;
			else if (strcmp(argv[i], "version") == 0 && i + 1 < argc)
				version = strtoull(argv[++i], NULL, 10);
		}
		buf_init(&nb, WIRE_MAX_RECORD);
		buf_init(&env, WIRE_MAX_RECORD);
		env_mesh_id(mid, s.root);
		if (rec_service_encode(&nb, version, &sv) == -1 ||
		    env_seal(&env, sk, mid, nb.p, nb.len) == -1)
			die("cannot sign");
		send_record(argv[3], target, env.p, env.len);
		buf_release(&nb);
		buf_release(&env);
		state_snap_release(&s);
	} else if (strcmp(argv[1], "node-record") == 0 && argc >= 5) {
		/*
		 * The member's own node record with addresses and LAN
		 * prefixes added, signed with its own key at a version above
		 * its current one: what a member patched to claim an internet
		 * host's address or half the internet as its LAN could send.
		 */
		struct rec_head		 h;
		struct rec_node		*nd;
		const uint8_t		*author, *body;
		size_t			 bodylen;
		struct buf		 nb, env;
		uint8_t			 mid[WIRE_MESH_ID];
		uint64_t		 version = (uint64_t)time(NULL) * 1000;

		if ((nd = malloc(sizeof(*nd))) == NULL)
			die("oom");
		load_member(argv[2], sk, &s);
		unhex(argv[4], target, WIRE_KEY);
		rec = own_record(&s, sk + 32, &len);
		if (rec == NULL || env_peek(rec, len, &author, &body,
		    &bodylen) == -1 || rec_node_decode(body, bodylen, &h, nd) == -1)
			die("cannot read the node record");
		for (int i = 5; i < argc; i++) {
			if (strcmp(argv[i], "addr") == 0 && i + 1 < argc) {
				if (nd->naddrs == WIRE_MAX_ADDRS ||
				    parse_addrport(argv[++i], nd->naddrs > 0 ?
				    nd->addrs[0].port : RPN_PORT_DEFAULT,
				    &nd->addrs[nd->naddrs]) == -1)
					die("bad or too many addr");
				nd->naddrs++;
			} else if (strcmp(argv[i], "lan") == 0 && i + 1 < argc) {
				if (nd->nlans == WIRE_MAX_LANS ||
				    parse_prefix(argv[++i], &nd->lans[nd->nlans],
				    NULL) == -1)
					die("bad or too many lan");
				nd->nlans++;
			} else
				usage();
		}
		if (version <= h.version)
			version = h.version + 1;
		buf_init(&nb, WIRE_MAX_RECORD);
		buf_init(&env, WIRE_MAX_RECORD);
		env_mesh_id(mid, s.root);
		if (rec_node_encode(&nb, version, h.flags, nd) == -1 ||
		    env_seal(&env, sk, mid, nb.p, nb.len) == -1)
			die("cannot sign");
		send_record(argv[3], target, env.p, env.len);
		printf("node record version %llu: %u addresses, %u LAN prefixes\n",
		    (unsigned long long)version, nd->naddrs, nd->nlans);
		buf_release(&nb);
		buf_release(&env);
		free(nd);
		state_snap_release(&s);
	} else if (strcmp(argv[1], "outsider") == 0 && argc == 5) {
		uint8_t			 pk[WIRE_KEY], fsk[SECRET_KEY],
					 mid[WIRE_MESH_ID];
		struct rec_node		 nd;
		struct buf		 nb, env;

		unhex(argv[3], target, WIRE_KEY);
		unhex(argv[4], mid, WIRE_MESH_ID);
		crypto_sign_keypair(pk, sk);
		crypto_sign_keypair(pk, fsk);	/* a root of its own making */
		crypto_sign_keypair(pk, sk);
		memset(&nd, 0, sizeof(nd));
		strcpy(nd.name, "intruder");
		nd.nchain = 1;
		cert_sign(&nd.chain[0], fsk, mid, sk + 32, 1);
		buf_init(&nb, WIRE_MAX_RECORD);
		buf_init(&env, WIRE_MAX_RECORD);
		if (rec_node_encode(&nb, 1ULL << 50, 0, &nd) == -1 ||
		    env_seal(&env, sk, mid, nb.p, nb.len) == -1)
			die("cannot sign");
		send_record(argv[2], target, env.p, env.len);
		buf_release(&nb);
		buf_release(&env);
	} else
		usage();
	return 0;
}
