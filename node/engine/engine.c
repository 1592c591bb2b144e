/* engine.c: the engine's main: privileges dropped, state restored, one libuv loop. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "node/engine/engine.h"
#include "node/core/keys.h"
#include "node/core/log.h"
#include "node/core/privsep.h"
#include "node/engine/api.h"
#include "node/engine/chan.h"
#include "node/engine/conn.h"
#include "node/engine/dpreport.h"
#include "node/engine/ctlsock.h"
#include "node/engine/gossip.h"
#include "node/engine/health.h"
#include "node/engine/join.h"
#include "node/engine/http.h"
#include "node/engine/main.h"
#include "node/core/state.h"
#include "proto/box.h"
#include "proto/compat.h"
#include "proto/envelope.h"
#include "proto/parse.h"
#include "proto/version.h"

#define SAVE_DELAY_MS		1000
#define STRANGER_RATE		20.0	/* new keys derived per second for unknown senders */

static struct engine	 engine;

uint64_t
engine_now(struct engine *e)
{
	return uv_now(&e->loop);
}

uint64_t
engine_unix_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* engine_default_name - the host name, made into a valid node name. */
void
engine_default_name(char *out, size_t len)
{
	char	 h[256];
	size_t	 n = 0;

	if (gethostname(h, sizeof(h)) == -1)
		h[0] = '\0';
	h[sizeof(h) - 1] = '\0';
	for (char *p = h; *p && n + 1 < len && n < WIRE_NAME_MAX; p++) {
		char	 c = *p;
		int	 ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (n > 0 && (c == '-' || c == '_'));

		if (c == '.')
			break;	/* the short host name */
		out[n++] = ok ? c : '-';
	}
	out[n] = '\0';
	if (!wire_name_ok(out))
		strlcpy(out, "node", len);
}

/*
 * engine_self_addrs - the addresses this node advertises: those given to
 * "rpn init/join --advertise" or in the config, else what the parent found
 * (the uplinks' addresses first), else the listen address.
 */
uint8_t
engine_self_addrs(struct engine *e, struct wire_addr *out)
{
	const struct wire_addr	*src = e->view.addrs;
	uint8_t			 n = e->view.naddrs;

	if (e->nadv) {
		src = e->adv;
		n = e->nadv;
	} else if (e->cfg.nadvertise) {
		src = e->cfg.advertise;
		n = e->cfg.nadvertise;
	}
	for (uint8_t i = 0; i < n; i++) {
		out[i] = src[i];
		if (out[i].port == 0)
			out[i].port = e->cfg.listen.port;
	}
	if (n == 0) {
		out[0] = e->cfg.listen;
		n = 1;
	}
	return n;
}

static struct stranger *
stranger_get(struct engine *e, const uint8_t id[WIRE_KEY])
{
	for (size_t i = 0; i < sizeof(e->strangers) / sizeof(e->strangers[0]);
	    i++)
		if (e->strangers[i].used &&
		    memcmp(e->strangers[i].id, id, WIRE_KEY) == 0)
			return &e->strangers[i];
	return NULL;
}

/*
 * engine_pair_key - the box key shared with a node.  Members' keys are
 * derived once and kept with the member; unknown senders (a joiner whose
 * record has not arrived yet) cost an X25519 each, so they are rate-limited.
 */
const uint8_t *
engine_pair_key(struct engine *e, const uint8_t id[WIRE_KEY])
{
	struct member	*m = mb_get(&e->mesh.mb, id);
	struct stranger	*s, *lru = &e->strangers[0];
	uint64_t	 now = engine_now(e);

	if (m != NULL && m->haskey)
		return m->pairkey;
	s = stranger_get(e, id);
	if (m != NULL) {
		/* it spoke to us before its record came: the key is here */
		if (s != NULL)
			memcpy(m->pairkey, s->key, sizeof(m->pairkey));
		else if (box_pair_key(m->pairkey, e->mesh.sk, id) == -1)
			return NULL;
		m->haskey = 1;
		return m->pairkey;
	}
	if (s != NULL) {
		s->used = now + 1;
		return s->key;
	}
	for (size_t i = 0; i < sizeof(e->strangers) / sizeof(*s); i++)
		if (e->strangers[i].used < lru->used)
			lru = &e->strangers[i];
	e->stranger_tokens += (double)(now - e->stranger_last) / 1000.0 *
	    STRANGER_RATE;
	e->stranger_last = now;
	if (e->stranger_tokens > STRANGER_RATE)
		e->stranger_tokens = STRANGER_RATE;
	if (e->stranger_tokens < 1) {
		e->st.stranger_limited++;
		return NULL;
	}
	e->stranger_tokens -= 1;
	if (box_pair_key(lru->key, e->mesh.sk, id) == -1) {
		lru->used = 0;
		return NULL;
	}
	memcpy(lru->id, id, WIRE_KEY);
	lru->used = now + 1;
	return lru->key;
}

/*
 * engine_keep_pair_key - the key a join's stream with a member was sealed
 * with is the pair key: kept for the member, not derived again (an X25519
 * and a key conversion, 80 us, on each side of every join).
 */
void
engine_keep_pair_key(struct engine *e, const uint8_t id[WIRE_KEY],
    const uint8_t key[32])
{
	struct member	*m = mb_get(&e->mesh.mb, id);

	if (m != NULL && !m->self && !m->haskey) {
		memcpy(m->pairkey, key, sizeof(m->pairkey));
		m->haskey = 1;
	}
}

/* engine_set_advertise - from "rpn init/join --advertise": no port means the listen port. */
void
engine_set_advertise(struct engine *e, const struct wire_addr *a, uint8_t n)
{
	for (uint8_t i = 0; i < n && i < WIRE_MAX_ADDRS; i++) {
		e->adv[i] = a[i];
		if (e->adv[i].port == 0)
			e->adv[i].port = e->cfg.listen.port;
	}
	e->nadv = n < WIRE_MAX_ADDRS ? n : WIRE_MAX_ADDRS;
}

/*
 * engine_set_view - the parent looked at the interfaces (at start, and when
 * they change): advertise this site's LAN prefixes and the node's
 * addresses from it, and publish a new node record when either moved.
 */
void
engine_set_view(struct engine *e, struct netview *v)
{
	struct mesh		*m = &e->mesh;
	struct wire_addr	 addrs[WIRE_MAX_ADDRS];
	uint8_t			 n;
	int			 changed = 0;
	uint32_t		 nl = v->nprefixes;

	netview_release(&e->view);
	e->view = *v;
	memset(v, 0, sizeof(*v));
	api_changed(e, "node");		/* uplinks and LANs */
	if (nl > WIRE_MAX_LANS) {
		log_warnx("this site has %u LAN prefixes; the first %u are "
		    "advertised", nl, WIRE_MAX_LANS);
		nl = WIRE_MAX_LANS;
	}
	if (m->nlans != nl || (nl > 0 && memcmp(m->lans, e->view.prefixes,
	    nl * sizeof(*m->lans)) != 0)) {
		mesh_set_lans(m, e->view.prefixes, nl);
		changed = 1;
	}
	n = engine_self_addrs(e, addrs);
	if (n != m->naddrs || memcmp(addrs, m->addrs, n * sizeof(*addrs)) != 0) {
		mesh_set_identity(m, m->name, addrs, n);
		changed = 1;
	}
	if (changed && m->joined && !m->left) {
		log_info("interfaces changed: publishing this node's addresses "
		    "and LAN prefixes again");
		mesh_publish_self(m, engine_now(e), engine_unix_ms());
		engine_kick(e);
	}
}

/*
 * engine_rescan_listeners - look at this node's listening sockets again
 * (every 2 s, before a service is added, and before ports are planned when
 * the last look is older than 200 ms); when they changed, every port is
 * planned again, so a service on a port the node now listens on is no
 * longer programmed here.  1 if they changed.  It does not kick the
 * engine: the callers are on their way to planning anyway.
 */
int
engine_rescan_listeners(struct engine *e)
{
	struct listeners	 l;

	e->lsn_at = engine_now(e);
	memset(&l, 0, sizeof(l));
	if (listeners_scan(&l) == -1) {
		log_warn("reading this node's listening sockets");
		return 0;
	}
	if (listeners_same(&l, &e->lsn)) {
		listeners_release(&l);
		return 0;
	}
	listeners_release(&e->lsn);
	e->lsn = l;
	svc_table_touch_all(&e->dp.svcs);
	return 1;
}

/* A port this node must not take: rpn's own, or one its sockets listen on. */
int
engine_local_conflict(const struct engine *e, uint8_t proto, uint16_t port)
{
	return port == e->cfg.listen.port || listeners_has(&e->lsn, proto, port);
}

void
engine_save_now(struct engine *e)
{
	char	 err[256];
	uint64_t t0 = uv_hrtime();

	e->save_pending = 0;
	uv_timer_stop(&e->save_timer);
	if (state_save(e->statefd, &e->mesh, e->adv, e->nadv, err,
	    sizeof(err)) == -1)
		log_warnx("%s", err);
	e->save_cost_ms = (uv_hrtime() - t0) / 1000000;
}

/*
 * How long after a change the state file is written: a second, or 20
 * times what the last save took, up to 10 s, so that a large state (100k
 * services: 13 MB, a tenth of a second to write) changing all the time
 * costs the loop at most a twentieth of its time.  What a crash loses
 * meanwhile comes back from the mesh (catch_up).
 */
static uint64_t
save_delay(const struct engine *e)
{
	uint64_t	 d = e->save_cost_ms * 20;

	return d < SAVE_DELAY_MS ? SAVE_DELAY_MS : d > 10000 ? 10000 : d;
}

static void
save_cb(uv_timer_t *t)
{
	engine_save_now(t->data);
}

static void
tick_cb(uv_timer_t *t)
{
	engine_kick(t->data);
}

static void
kick_idle_cb(uv_idle_t *c)
{
	struct engine	*e = c->data;

	uv_idle_stop(c);
	e->kick_soon = 0;
	engine_kick(e);
}

/*
 * engine_kick_soon - engine_kick() once, before the loop next waits for
 * I/O: many control requests read at once (sent ahead on one connection)
 * make one data-plane transaction and one round of gossip, not one each.
 */
void
engine_kick_soon(struct engine *e)
{
	if (e->kick_soon || e->stopping)
		return;
	e->kick_soon = 1;
	uv_idle_start(&e->kick_idle, kick_idle_cb);
}

/*
 * engine_kick - after anything happened: let the membership machine act,
 * send what it asked for, and set the timers for what comes next.
 */
void
engine_kick(struct engine *e)
{
	struct mesh	*m = &e->mesh;
	struct member	*mm;
	uint64_t	 now = engine_now(e), next, pub;

	if (e->stopping)
		return;
	mesh_tick(m, now, engine_unix_ms());
	for (uint32_t i = 0; i < m->mb.nacts; i++)
		gossip_act(e, &m->mb.acts[i]);
	m->mb.nacts = 0;
	if (e->catch_up && m->joined && !m->left &&
	    (mm = mb_random_alive(&m->mb, NULL)) != NULL) {
		/*
		 * After a restart, pull what changed while we were down (our own
		 * records too, if the state file missed them) from one member
		 * now, instead of waiting for a probe to show the difference.
		 */
		conn_start_sync(e, mm);
		e->catch_up = 0;
	}
	/* The next pull of a chain (mesh_pull_done()). */
	if (m->joined && !m->left && (mm = mesh_pull_due(m, now)) != NULL)
		conn_start_sync(e, mm);
	dpsync_flush(e);
	dpsync_challenge(e);
	pub = dpreport_publish(e);
	next = mesh_next_wakeup(m, now);
	if (next > pub)
		next = pub;
	uv_timer_start(&e->tick, tick_cb, next > now ? next - now : 1, 0);
	gossip_arm(e);
	if (m->dirty) {
		m->dirty = 0;
		if (!e->save_pending) {
			e->save_pending = 1;
			uv_timer_start(&e->save_timer, save_cb, save_delay(e),
			    0);
		}
	}
}

static void
close_if_open(uv_handle_t *h)
{
	if (h->loop != NULL && !uv_is_closing(h))
		uv_close(h, NULL);
}

void
engine_stop(struct engine *e, const char *why)
{
	if (e->stopping)
		return;
	log_info("stopping: %s", why);
	if (e->mesh.joined || e->save_pending)
		engine_save_now(e);
	e->stopping = 1;
	gossip_close(e);
	join_close(e);
	conn_close_all(e);
	ctlsock_close_all(e);
	close_if_open((uv_handle_t *)&e->tick);
	close_if_open((uv_handle_t *)&e->kick_idle);
	close_if_open((uv_handle_t *)&e->save_timer);
	close_if_open((uv_handle_t *)&e->sig_term);
	close_if_open((uv_handle_t *)&e->sig_int);
	chan_close(e);
	health_close(e);
	http_stop(e);
	api_stop(e);
}

/*
 * config_from_parent - the configuration as the parent read it (the
 * engine never opens the file): rpnd.conf with --uplink and --lan added,
 * in config_print()'s form.
 */
static int
config_from_parent(const uint8_t *buf, size_t len, struct rpnd_config *c)
{
	char	 err[600];

	config_default(c);
	if (config_parse((const char *)buf, len, "(from rpnd)", c, err,
	    sizeof(err)) == -1) {
		log_warnx("the parent sent a configuration that does not "
		    "parse: %s", err);
		return -1;
	}
	return 0;
}

/*
 * reload - the parent read the configuration again (SIGHUP to rpnd).  The
 * engine applies its settings at once (probe timing, suspicion, reaping,
 * advertised addresses, remote-services, tombstone-ttl); "name" is used
 * at the next rpn init or join.  The parent applies uplinks, LANs and the
 * kernel settings itself, keeps the old value of what needs a restart
 * (listen, user, dataplane) and names it.  A file with errors never gets
 * here: the parent keeps the old configuration.
 */
static void
reload(struct engine *e, const uint8_t *buf, size_t len)
{
	struct rpnd_config	 c;
	char			 applied[256] = "";
	struct wire_addr	 addrs[WIRE_MAX_ADDRS];
	uint8_t			 n;

	if (config_from_parent(buf, len, &c) == -1)
		return;
#define CHANGED(cond, name, list) do {					\
	if (cond)							\
		snprintf(list + strlen(list), sizeof(list) - strlen(list),	\
		    "%s%s", list[0] ? ", " : "", name);			\
} while (0)
	CHANGED(memcmp(&c.mesh.mb, &e->cfg.mesh.mb, sizeof(c.mesh.mb)) != 0,
	    "probe and suspicion timing", applied);
	CHANGED(c.mesh.tombstone_ttl_ms != e->cfg.mesh.tombstone_ttl_ms,
	    "tombstone-ttl", applied);
	CHANGED(c.nadvertise != e->cfg.nadvertise || memcmp(c.advertise,
	    e->cfg.advertise, sizeof(c.advertise)) != 0, "advertise", applied);
	CHANGED(c.remote_services != e->cfg.remote_services, "remote-services",
	    applied);
	CHANGED(strcmp(c.name, e->cfg.name) != 0, "name (at the next rpn "
	    "init or join)", applied);
	CHANGED(!addr_eq(&c.http_listen, &e->cfg.http_listen) ||
	    !addr_eq(&c.https_listen, &e->cfg.https_listen) ||
	    strcmp(c.web_root, e->cfg.web_root) != 0 ||
	    c.http_metrics_all != e->cfg.http_metrics_all, "the console's "
	    "listeners and web-root", applied);
#undef CHANGED
	e->cfg = c;
	e->mesh.cfg.mb = c.mesh.mb;
	e->mesh.mb.cfg = c.mesh.mb;
	e->mesh.cfg.tombstone_ttl_ms = c.mesh.tombstone_ttl_ms;
	n = engine_self_addrs(e, addrs);
	if ((n != e->mesh.naddrs || memcmp(addrs, e->mesh.addrs,
	    n * sizeof(*addrs)) != 0) &&
	    mesh_set_identity(&e->mesh, e->mesh.name, addrs, n) == 0 &&
	    e->mesh.joined && !e->mesh.left)
		mesh_publish_self(&e->mesh, engine_now(e), engine_unix_ms());
	http_reload(e);
	log_info("reloaded the configuration%s%s", applied[0] ?
	    "; applied: " : " (no engine setting changed)", applied);
	engine_kick(e);
}

static void
sig_cb(uv_signal_t *s, int signum)
{
	struct engine	*e = s->data;

	engine_stop(e, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* engine_from_parent - a message from the parent (engine/chan.c reads them). */
void
engine_from_parent(struct engine *e, const struct priv_hdr *h,
    const uint8_t *buf)
{
	struct netview	 v;

	if (h->type == PRIV_DP_RESULT && h->len == sizeof(struct dp_result)) {
		dpsync_result(e, (const struct dp_result *)buf);
		engine_kick(e);
	} else if (h->type == PRIV_DP_STATE && h->len == sizeof(struct dp_state))
		dpsync_state(e, (const struct dp_state *)buf);
	else if (h->type == PRIV_CONFIG)
		reload(e, buf, h->len);
	else if (h->type == PRIV_IFACES) {
		if (netview_unpack(buf, h->len, &v) == -1)
			log_warnx("the parent sent an interface view that does "
			    "not parse");
		else
			engine_set_view(e, &v);
	}
}

/*
 * The parent's first two messages, read before anything else: the
 * configuration it read, and the interfaces it found.
 */
static void
read_config_and_view(struct engine *e)
{
	static uint8_t	 buf[PRIV_MAX];
	size_t		 len;

	if (chan_read_first(e, PRIV_CONFIG, buf, sizeof(buf), &len) == -1 ||
	    config_from_parent(buf, len, &e->cfg) == -1)
		fatalx("the parent did not send the configuration");
	if (chan_read_first(e, PRIV_IFACES, buf, sizeof(buf), &len) == -1 ||
	    netview_unpack(buf, len, &e->view) == -1)
		fatalx("the parent did not say what the interfaces are");
}

/*
 * Restore what the state file holds.  A file this node wrote (its MAC
 * checks with the node's key) holds records verified when they arrived:
 * they are taken without checking their signatures again, which at 100k
 * records is the difference between seconds and a fraction of one.  Any
 * other file's records are verified as if they had just arrived.
 */
static void
restore(struct engine *e, struct state_snap *s)
{
	struct mesh	*m = &e->mesh;
	uint64_t	 now = engine_now(e), unix_ms = engine_unix_ms();
	int		 flags = 0;
	uint64_t	 t0 = uv_hrtime();

	memcpy(e->adv, s->adv, sizeof(e->adv));
	e->nadv = s->nadv;
	m->version = s->counter;
	if (!s->joined)
		return;
	mesh_set_root(m, s->root);
	memcpy(m->chain, s->chain, sizeof(m->chain));
	m->nchain = s->nchain;
	m->has_token = s->has_token;
	memcpy(m->via_token, s->token, WIRE_KEY);
	m->left = s->left;
	m->joined = 1;
	switch (s->trust) {
	case STATE_TRUSTED:
		flags = MESH_TRUSTED;
		break;
	case STATE_MAC_BAD:
		log_warnx("the state file's MAC does not check with this "
		    "node's key (altered, or another node's file): verifying "
		    "each of its %u records", s->records.n);
		break;
	default:
		log_info("the state file has no MAC (written by an older "
		    "rpnd): verifying each of its %u records", s->records.n);
		break;
	}
	/*
	 * The store sized once for all the records: grown step by step it
	 * would leave every step's freed array in the heap.  (When it fails,
	 * it grows as records come.)  Not the service table: the first
	 * operator's statement restored builds it again (dpsync_on_policy),
	 * and grown step by step it ended 1.2 MiB smaller at 100k services
	 * than sized at once, and no slower.
	 */
	if (store_reserve(&m->store, s->records.n) == -1)
		log_warnx("no memory to size the store for %u records",
		    s->records.n);
	/* Records may come before those they depend on: several passes. */
	mesh_accept_items(m, &s->records, now, unix_ms, flags, NULL);
	dpsync_restore_proofs(e, s->proofs, s->nproofs);
	memset(m->counters, 0, sizeof(m->counters));
	if (!m->left) {
		mesh_publish_self(m, now, unix_ms);
		e->catch_up = 1;
	}
	log_info("restored mesh membership: %u members, %u records (%s)",
	    m->mb.n, m->store.live, flags & MESH_TRUSTED ?
	    "authenticated state file, signatures not checked again" :
	    "every signature verified");
	log_debug("restoring took %llu ms", (unsigned long long)(uv_hrtime() -
	    t0) / 1000000);
}

/* drop_privileges - become uid/gid for good, with no way back. */
static int
drop_privileges(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1) {
		snprintf(err, errlen, "dropping privileges: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1)) {
		snprintf(err, errlen, "could regain root after dropping it");
		return -1;
	}
	return 0;
}

static void
usage_engine(void)
{
	fatalx("the engine is started by rpnd, not by hand");
}

int
engine_main(int argc, char **argv)
{
	struct engine		*e = &engine;
	struct state_snap	 snap;
	struct wire_addr	 addrs[WIRE_MAX_ADDRS];
	uint8_t			 sk[SECRET_KEY], naddrs;
	char			 err[512], name[WIRE_NAME_MAX + 1];
	int			 ch, debug = 0, created, absent, have_cred = 0;
	int			 vpos = 0;
	const char		*parent_version = "";
	unsigned		 uid = 0, gid = 0;
	pid_t			 ppid = getppid();

	memset(e, 0, sizeof(*e));
	e->state_dir = RPND_STATE;
	e->privfd = PRIV_FD;
	optind = 1;
	while ((ch = getopt_long(argc, argv, RPND_OPTSTRING, config_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'E':	/* UID:GID:VERSION, from the parent */
			have_cred = sscanf(optarg, "%u:%u:%n", &uid, &gid,
			    &vpos) == 2 && vpos > 0;
			if (have_cred)
				parent_version = optarg + vpos;
			break;
		case 'S':
			e->state_dir = optarg;
			break;
		case 'f':	/* the configuration comes from the parent */
		case 'L':
		case 'U':
		case 'h':
		case 'n':
		case 's':
		case 'T':
		case 'V':
		case 'v':
		case 'W':
			break;	/* the parent's */
		default:
			usage_engine();
		}
	}
	log_init(debug, "engine");
	if (!have_cred)
		usage_engine();
	/* The two programs come from one build; a partial upgrade is refused. */
	if (strcmp(parent_version, RPN_VERSION) != 0)
		fatalx("rpnd-engine %s was started by rpnd %s: install both from "
		    "the same build", RPN_VERSION, parent_version);
	prctl(PR_SET_NAME, "rpnd-engine", 0, 0, 0);
	/*
	 * Large buffers (the state file, 13 MB with 100k services, written
	 * every few seconds in a burst, and read at start) are mapped and
	 * given back when freed.  glibc would otherwise raise its mmap
	 * threshold after the first such free, and every later one would
	 * stay in the heap, in the RSS.
	 */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	/* SIGHUP is the parent's: it reads the file and sends the result. */
	signal(SIGHUP, SIG_IGN);
	if (sodium_init() < 0)
		fatalx("sodium_init failed");
	if ((e->statefd = open(e->state_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		fatal("state directory %s", e->state_dir);
	if (getuid() == 0 && uid != 0) {
		if (drop_privileges((uid_t)uid, (gid_t)gid, err,
		    sizeof(err)) == -1)
			fatalx("%s", err);
		log_debug("running as uid %u", uid);
	}
	/* Dropping privileges cleared it; set it now, then check we did not miss the exit. */
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	if (getppid() != ppid)
		fatalx("the parent exited during start-up");

	if (keys_load_or_create(e->statefd, NODE_KEY_FILE, sk, &created, err,
	    sizeof(err)) == -1)
		fatalx("node key: %s", err);
	if (created)
		log_info("created a new node key");
	if (faccessat(e->statefd, ROOT_KEY_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		if (keys_load(e->statefd, ROOT_KEY_FILE, e->root_sk, err,
		    sizeof(err)) == -1)
			fatalx("mesh root key: %s", err);
		e->has_root = 1;
	}
	{
		struct timespec	 t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (state_load(e->statefd, sk, &snap, &absent, err,
		    sizeof(err)) == -1)
			fatalx("state file %s/%s: %s", e->state_dir, STATE_FILE,
			    err);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		/* Writing costs about what reading did: the first save waits as long. */
		e->save_cost_ms = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000 +
		    (uint64_t)(t1.tv_nsec / 1000000) - (uint64_t)(t0.tv_nsec / 1000000);
	}

	log_debug("state file read and checked in %llu ms",
	    (unsigned long long)e->save_cost_ms);
	if (uv_loop_init(&e->loop) != 0)
		fatalx("uv_loop_init failed");
	read_config_and_view(e);
	if (snap.name[0])
		strlcpy(name, snap.name, sizeof(name));
	else if (e->cfg.name[0])
		strlcpy(name, e->cfg.name, sizeof(name));
	else
		engine_default_name(name, sizeof(name));
	memcpy(e->adv, snap.adv, sizeof(e->adv));
	e->nadv = snap.nadv;
	naddrs = engine_self_addrs(e, addrs);
	{
		uint64_t	 seed;

		randombytes_buf(&seed, sizeof(seed));
		if (mesh_init(&e->mesh, &e->cfg.mesh, sk, name, addrs, naddrs,
		    seed, engine_now(e)) == -1)
			fatalx("cannot set up the mesh state");
	}
	mesh_set_lans(&e->mesh, e->view.prefixes, e->view.nprefixes <
	    WIRE_MAX_LANS ? e->view.nprefixes : WIRE_MAX_LANS);
	dpsync_init(e);
	histogram_init(&e->probe_rtt, hist_default_bounds, hist_default_nbounds);
	e->mesh.on_record = dpsync_on_record;
	e->mesh.on_forget = dpsync_on_forget;
	e->mesh.check_service = dpsync_check_service;
	e->mesh.on_policy = dpsync_on_policy;
	e->mesh.hook_ctx = e;
	sodium_memzero(sk, sizeof(sk));
	restore(e, &snap);
	state_snap_release(&snap);
	/* Not in a mesh (never, or left and stopped before cleaning up). */
	if ((!e->mesh.joined || e->mesh.left) &&
	    chan_send(e, PRIV_TEARDOWN, NULL, 0) == -1)
		fatal("privsep channel");

	if (gossip_bind(e, err, sizeof(err)) == -1 ||
	    conn_listen(e, err, sizeof(err)) == -1 ||
	    ctlsock_open(e, CTL_FD, err, sizeof(err)) == -1)
		fatalx("%s", err);
	uv_timer_init(&e->loop, &e->tick);
	uv_idle_init(&e->loop, &e->kick_idle);
	e->kick_idle.data = e;
	uv_timer_init(&e->loop, &e->save_timer);
	join_init(e);
	health_init(e);
	/* Before the first transaction: never take a port a socket here uses. */
	if (listeners_scan(&e->lsn) == -1)
		log_warn("reading this node's listening sockets");
	e->tick.data = e->save_timer.data = e;
	uv_signal_init(&e->loop, &e->sig_term);
	uv_signal_init(&e->loop, &e->sig_int);
	e->sig_term.data = e->sig_int.data = e;
	uv_signal_start(&e->sig_term, sig_cb, SIGTERM);
	uv_signal_start(&e->sig_int, sig_cb, SIGINT);
	/* The console: unprivileged like the rest; a listener that cannot
	 * start is logged and shown by rpnctl status, the mesh runs anyway. */
	if (http_start(e, err, sizeof(err)) == -1)
		log_warnx("%s", err);
	chan_start(e);
	if (chan_send(e, PRIV_READY, NULL, 0) == -1)
		fatal("privsep channel");
	log_info("node \"%s\" ready%s", e->mesh.name, e->mesh.joined ?
	    "" : " (not in a mesh yet)");
	engine_kick(e);

	uv_run(&e->loop, UV_RUN_DEFAULT);
	dpsync_release(e);
	netview_release(&e->view);
	listeners_release(&e->lsn);
	mesh_release(&e->mesh);
	sodium_memzero(e->root_sk, sizeof(e->root_sk));
	uv_loop_close(&e->loop);
	close(e->statefd);
	return 0;
}
