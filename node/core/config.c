/* config.c: the rpnd.conf parser: one keyword per line, errors as FILE:LINE: what. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/core/array.h"
#include "node/core/config.h"
#include "proto/compat.h"
#include "proto/parse.h"

/* The long options of RPND_OPTSTRING's command line (config.h). */
const struct option config_longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "uplink", required_argument, NULL, 'U' },
	{ "lan", required_argument, NULL, 'L' },
	{ "teardown", no_argument, NULL, 'T' },
	{ "web-root", required_argument, NULL, 'W' },
	{ NULL, 0, NULL, 0 },
};

void
config_default(struct rpnd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->listen.family = 4;
	c->listen.port = RPN_PORT_DEFAULT;
	strlcpy(c->user, "_rpn", sizeof(c->user));
	mesh_config_default(&c->mesh);
	c->mark_mask = 0xff00;
	c->keep_on_exit = 1;
	c->remote_services = 1;
	c->dataplane = 1;
	c->http_listen.family = 4;
	c->http_listen.ip[0] = 127;
	c->http_listen.ip[3] = 1;
	c->http_listen.port = HTTP_PORT_DEFAULT;
	strlcpy(c->web_root, RPN_WEB_ROOT, sizeof(c->web_root));
}

/* config_set_web_root - an absolute directory name, printable, no spaces. */
int
config_set_web_root(struct rpnd_config *c, const char *dir, char *err,
    size_t errlen)
{
	size_t	 n = strlen(dir);

	if (dir[0] != '/' || n >= sizeof(c->web_root)) {
		snprintf(err, errlen, "\"web-root\" needs an absolute directory "
		    "name shorter than %zu bytes", sizeof(c->web_root));
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)dir[i] <= ' ' || dir[i] == 0x7f ||
		    dir[i] == '#') {
			snprintf(err, errlen, "\"web-root\": no spaces, '#' or "
			    "control characters in the directory name");
			return -1;
		}
	strlcpy(c->web_root, dir, sizeof(c->web_root));
	return 0;
}

/* ADDR:PORT with a port, or "off" (family 0). */
static int
http_addr(const char *v, struct wire_addr *out)
{
	struct wire_addr	 a;

	if (strcmp(v, "off") == 0) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	if (parse_addrport(v, 0, &a) == -1 || a.port == 0)
		return -1;
	*out = a;
	return 0;
}

static int
ifname_ok(const char *s)
{
	size_t	 n = strlen(s);

	if (n == 0 || n >= IFNAMSIZ)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] <= ' ' || s[i] == ':' || s[i] == 0x7f)
			return 0;
	return 1;
}

int
config_add_uplink(struct rpnd_config *c, const char *spec, char *err,
    size_t errlen)
{
	char			 ifname[64];
	const char		*at = strchr(spec, '@');
	size_t			 n = at ? (size_t)(at - spec) : strlen(spec);
	struct cfg_uplink	*u;

	if (n >= sizeof(ifname)) {
		snprintf(err, errlen, "interface name too long");
		return -1;
	}
	memcpy(ifname, spec, n);
	ifname[n] = '\0';
	if (!ifname_ok(ifname)) {
		snprintf(err, errlen, "bad interface name \"%s\"", ifname);
		return -1;
	}
	if (c->nuplinks == CFG_MAX_UPLINKS) {
		snprintf(err, errlen, "more than %d uplinks", CFG_MAX_UPLINKS);
		return -1;
	}
	for (int i = 0; i < c->nuplinks; i++)
		if (strcmp(c->uplinks[i].ifname, ifname) == 0) {
			snprintf(err, errlen, "uplink %s given twice", ifname);
			return -1;
		}
	/* Uplinks and LANs get different sysctls, marks and return routes. */
	for (int i = 0; i < c->nlans; i++)
		if (strcmp(c->lans[i], ifname) == 0) {
			snprintf(err, errlen, "%s is already a LAN; an interface "
			    "is an uplink or a LAN, not both", ifname);
			return -1;
		}
	u = &c->uplinks[c->nuplinks];
	memset(u, 0, sizeof(*u));
	strlcpy(u->ifname, ifname, sizeof(u->ifname));
	if (at != NULL) {
		if (parse_ip(at + 1, &u->gw) == -1) {
			snprintf(err, errlen, "bad gateway address \"%s\"", at + 1);
			return -1;
		}
		if (u->gw.family != 4) {
			snprintf(err, errlen, "gateway \"%s\": only IPv4 uplinks "
			    "are supported", at + 1);
			return -1;
		}
		u->has_gw = 1;
	}
	c->nuplinks++;
	return 0;
}

int
config_add_lan(struct rpnd_config *c, const char *ifname, char *err,
    size_t errlen)
{
	if (!ifname_ok(ifname)) {
		snprintf(err, errlen, "bad interface name \"%s\"", ifname);
		return -1;
	}
	if (c->nlans == CFG_MAX_LANS) {
		snprintf(err, errlen, "more than %d lans", CFG_MAX_LANS);
		return -1;
	}
	for (int i = 0; i < c->nlans; i++)
		if (strcmp(c->lans[i], ifname) == 0) {
			snprintf(err, errlen, "lan %s given twice", ifname);
			return -1;
		}
	for (int i = 0; i < c->nuplinks; i++)
		if (strcmp(c->uplinks[i].ifname, ifname) == 0) {
			snprintf(err, errlen, "%s is already an uplink; an "
			    "interface is an uplink or a LAN, not both", ifname);
			return -1;
		}
	strlcpy(c->lans[c->nlans++], ifname, IFNAMSIZ);
	return 0;
}

static int
dur_ms32(const char *v, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t	 ms;

	if (parse_duration(v, &ms) == -1 || ms < min || ms > max)
		return -1;
	*out = (uint32_t)ms;
	return 0;
}

static int
yesno(const char *v, int *out)
{
	if (strcmp(v, "yes") == 0)
		*out = 1;
	else if (strcmp(v, "no") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

#define SEEN(bit)	(seen & (1u << (bit)))

/*
 * config_parse - parse text into c (which the caller has set to defaults).
 * On error, err holds "FILE:LINE: what was wrong" and c is in an undefined
 * state: callers parse into a scratch copy and keep the old one.
 */
/* "FILE:LINE", the later of two lines (0: not in the file), or "FILE". */
static const char *
where(const char *fname, int a, int b, char *buf, size_t len)
{
	int	 l = a > b ? a : b;

	if (l > 0)
		snprintf(buf, len, "%s:%d", fname, l);
	else
		snprintf(buf, len, "%s", fname);
	return buf;
}

int
config_parse(const char *text, size_t len, const char *fname,
    struct rpnd_config *c, char *err, size_t errlen)
{
	size_t		 off = 0;
	int		 lineno = 0, l_interval = 0, l_timeout = 0, l_http = 0;
	int		 l_https = 0;
	uint32_t	 seen = 0;
	char		 line[512], why[160], at[PATH_MAX + 16];

	while (off < len) {
		size_t		 n = 0;
		char		*kw, *v, *v2, *save, *hash;
		unsigned	 bit;

		lineno++;
		while (off < len && text[off] != '\n') {
			if (n + 1 >= sizeof(line)) {
				snprintf(err, errlen, "%s:%d: line too long", fname,
				    lineno);
				return -1;
			}
			if (text[off] == '\0') {
				snprintf(err, errlen, "%s:%d: NUL byte", fname,
				    lineno);
				return -1;
			}
			line[n++] = text[off++];
		}
		off++;
		line[n] = '\0';
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		if ((kw = strtok_r(line, " \t\r", &save)) == NULL)
			continue;
		v = strtok_r(NULL, " \t\r", &save);
		v2 = v ? strtok_r(NULL, " \t\r", &save) : NULL;
		why[0] = '\0';

#define NEED(cond, ...) do {						\
	if (!(cond)) {							\
		snprintf(why, sizeof(why), __VA_ARGS__);		\
		goto bad;						\
	}								\
} while (0)
#define ONCE(b) do {							\
	bit = (b);							\
	NEED(!SEEN(bit), "\"%s\" given twice", kw);			\
	seen |= 1u << bit;						\
} while (0)

		if (strcmp(kw, "uplink") == 0) {
			char	 spec[128];

			NEED(v != NULL, "\"uplink\" needs IFACE [via GATEWAY]");
			if (v2 != NULL) {
				char	*gw = strtok_r(NULL, " \t\r", &save);

				NEED(strcmp(v2, "via") == 0 && gw != NULL,
				    "\"uplink\" needs IFACE [via GATEWAY]");
				snprintf(spec, sizeof(spec), "%s@%s", v, gw);
				v2 = strtok_r(NULL, " \t\r", &save);
			} else
				snprintf(spec, sizeof(spec), "%s", v);
			NEED(v2 == NULL, "trailing words after \"uplink\"");
			if (config_add_uplink(c, spec, why, sizeof(why)) == -1)
				goto bad;
			c->line.uplink[c->nuplinks - 1] = lineno;
			continue;
		}
		NEED(v != NULL, "\"%s\" needs a value", kw);
		NEED(v2 == NULL, "\"%s\" takes one value, got more", kw);
		if (strcmp(kw, "name") == 0) {
			ONCE(0);
			NEED(wire_name_ok(v), "bad node name \"%s\" (letters, "
			    "digits, '.', '_' and '-', at most 63)", v);
			strlcpy(c->name, v, sizeof(c->name));
		} else if (strcmp(kw, "listen") == 0) {
			ONCE(1);
			NEED(parse_addrport(v, RPN_PORT_DEFAULT, &c->listen) == 0,
			    "\"listen\" needs ADDR[:PORT], got \"%s\"", v);
		} else if (strcmp(kw, "advertise") == 0) {
			NEED(c->nadvertise < WIRE_MAX_ADDRS,
			    "more than %d advertise addresses", WIRE_MAX_ADDRS);
			NEED(parse_addrport(v, 0, &c->advertise[c->nadvertise]) ==
			    0, "\"advertise\" needs ADDR[:PORT], got \"%s\"", v);
			c->nadvertise++;
		} else if (strcmp(kw, "user") == 0) {
			ONCE(2);
			NEED(strlen(v) < sizeof(c->user), "user name too long");
			strlcpy(c->user, v, sizeof(c->user));
			c->line.user = lineno;
		} else if (strcmp(kw, "probe-interval") == 0) {
			ONCE(3);
			NEED(dur_ms32(v, 100, 60000,
			    &c->mesh.mb.probe_interval_ms) == 0,
			    "\"probe-interval\" needs a duration from 100ms to "
			    "60s, got \"%s\"", v);
			l_interval = lineno;
		} else if (strcmp(kw, "probe-timeout") == 0) {
			ONCE(4);
			NEED(dur_ms32(v, 10, 60000,
			    &c->mesh.mb.probe_timeout_ms) == 0,
			    "\"probe-timeout\" needs a duration from 10ms to "
			    "60s, got \"%s\"", v);
			l_timeout = lineno;
		} else if (strcmp(kw, "suspicion-mult") == 0) {
			uint64_t	 pct;

			ONCE(5);
			NEED(parse_u64(v, 1000, &pct) == 0 && pct >= 25,
			    "\"suspicion-mult\" needs a percentage from 25 to "
			    "1000, got \"%s\"", v);
			c->mesh.mb.susp_mult_pct = (uint32_t)pct;
		} else if (strcmp(kw, "reap-after") == 0) {
			uint64_t	 ms;

			ONCE(6);
			NEED(parse_duration(v, &ms) == 0 && ms >= 10000,
			    "\"reap-after\" needs a duration of at least 10s, got "
			    "\"%s\"", v);
			c->mesh.mb.reap_after_ms = ms;
		} else if (strcmp(kw, "dataplane") == 0) {
			ONCE(12);
			NEED(yesno(v, &c->dataplane) == 0,
			    "\"dataplane\" needs yes or no");
		} else if (strcmp(kw, "tombstone-ttl") == 0) {
			uint64_t	 ms;

			ONCE(11);
			NEED(parse_duration(v, &ms) == 0 && ms >= 1000,
			    "\"tombstone-ttl\" needs a duration of at least 1s, "
			    "got \"%s\"", v);
			c->mesh.tombstone_ttl_ms = ms;
		} else if (strcmp(kw, "lan") == 0) {
			if (config_add_lan(c, v, why, sizeof(why)) == -1)
				goto bad;
			c->line.lan[c->nlans - 1] = lineno;
		} else if (strcmp(kw, "mark-mask") == 0) {
			char		*end;
			unsigned long	 m;

			ONCE(7);
			errno = 0;
			m = strtoul(v, &end, 0);
			NEED(errno == 0 && *end == '\0' && m != 0 &&
			    m <= 0xffffffffUL && __builtin_popcountl(m) == 8 &&
			    ((m >> __builtin_ctzl(m)) == 0xff),
			    "\"mark-mask\" needs 8 contiguous bits such as 0xff00, "
			    "got \"%s\"", v);
			c->mark_mask = (uint32_t)m;
		} else if (strcmp(kw, "keep-on-exit") == 0) {
			ONCE(8);
			NEED(yesno(v, &c->keep_on_exit) == 0,
			    "\"keep-on-exit\" needs yes or no");
		} else if (strcmp(kw, "strict-rpf") == 0) {
			ONCE(9);
			NEED(yesno(v, &c->strict_rpf) == 0,
			    "\"strict-rpf\" needs yes or no");
		} else if (strcmp(kw, "http-listen") == 0) {
			ONCE(13);
			NEED(http_addr(v, &c->http_listen) == 0,
			    "\"http-listen\" needs ADDR:PORT or off, got \"%s\"", v);
			l_http = lineno;
		} else if (strcmp(kw, "https-listen") == 0) {
			ONCE(14);
			NEED(http_addr(v, &c->https_listen) == 0,
			    "\"https-listen\" needs ADDR:PORT or off, got \"%s\"",
			    v);
			l_https = lineno;
		} else if (strcmp(kw, "web-root") == 0) {
			ONCE(15);
			if (config_set_web_root(c, v, why, sizeof(why)) == -1)
				goto bad;
		} else if (strcmp(kw, "http-metrics") == 0) {
			ONCE(16);
			NEED(strcmp(v, "loopback") == 0 || strcmp(v, "all") == 0,
			    "\"http-metrics\" needs loopback or all, got \"%s\"", v);
			c->http_metrics_all = strcmp(v, "all") == 0;
		} else if (strcmp(kw, "remote-services") == 0) {
			ONCE(10);
			NEED(yesno(v, &c->remote_services) == 0,
			    "\"remote-services\" needs yes or no");
		} else {
			snprintf(why, sizeof(why), "unknown keyword \"%s\"", kw);
			goto bad;
		}
		continue;
bad:
		snprintf(err, errlen, "%s:%d: %s", fname, lineno, why);
		return -1;
#undef NEED
#undef ONCE
	}
	/* Two settings that disagree: the later line is named. */
	if (c->http_listen.family != 0 && addr_eq(&c->http_listen,
	    &c->https_listen)) {
		snprintf(err, errlen, "%s: http-listen and https-listen name "
		    "the same address and port", where(fname, l_http, l_https,
		    at, sizeof(at)));
		return -1;
	}
	if (c->mesh.mb.probe_timeout_ms >= c->mesh.mb.probe_interval_ms) {
		snprintf(err, errlen, "%s: probe-timeout (%u ms) must be "
		    "shorter than probe-interval (%u ms)", where(fname, l_timeout,
		    l_interval, at, sizeof(at)), c->mesh.mb.probe_timeout_ms,
		    c->mesh.mb.probe_interval_ms);
		return -1;
	}
	return 0;
}

int
config_read(const char *path, int must_exist, struct rpnd_config *c,
    char *err, size_t errlen)
{
	FILE		*f;
	char		*text = NULL;
	uint32_t	 len = 0, cap = 0;
	size_t		 n;
	int		 rc;

	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			if (cap >= (1u << 20)) {
				snprintf(err, errlen, "%s: larger than 1 MiB", path);
				free(text);
				fclose(f);
				return -1;
			}
			if (array_reserve(&text, &cap, cap + 4096, 1) == -1) {
				snprintf(err, errlen, "%s: out of memory", path);
				free(text);
				fclose(f);
				return -1;
			}
		}
		if ((n = fread(text + len, 1, cap - len, f)) == 0)
			break;
		len += (uint32_t)n;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		free(text);
		fclose(f);
		return -1;
	}
	fclose(f);
	rc = config_parse(text ? text : "", len, path, c, err, errlen);
	free(text);
	return rc;
}

/* config_print - the normalized configuration, as rpnd -nv shows it; it parses again. */
void
config_print(FILE *f, const struct rpnd_config *c)
{
	char	 a[ADDRSTRLEN];

	if (c->name[0])
		fprintf(f, "name %s\n", c->name);
	fmt_addr(a, sizeof(a), &c->listen, 1);
	fprintf(f, "listen %s\n", a);
	for (int i = 0; i < c->nadvertise; i++) {
		fmt_addr(a, sizeof(a), &c->advertise[i], c->advertise[i].port != 0);
		fprintf(f, "advertise %s\n", a);
	}
	fprintf(f, "user %s\n", c->user);
	fmt_duration_exact(a, sizeof(a), c->mesh.mb.probe_interval_ms);
	fprintf(f, "probe-interval %s\n", a);
	fmt_duration_exact(a, sizeof(a), c->mesh.mb.probe_timeout_ms);
	fprintf(f, "probe-timeout %s\n", a);
	fprintf(f, "suspicion-mult %u\n", c->mesh.mb.susp_mult_pct);
	fmt_duration_exact(a, sizeof(a), c->mesh.mb.reap_after_ms);
	fprintf(f, "reap-after %s\n", a);
	fmt_duration_exact(a, sizeof(a), c->mesh.tombstone_ttl_ms);
	fprintf(f, "tombstone-ttl %s\n", a);
	for (int i = 0; i < c->nuplinks; i++) {
		if (c->uplinks[i].has_gw) {
			fmt_addr(a, sizeof(a), &c->uplinks[i].gw, 0);
			fprintf(f, "uplink %s via %s\n", c->uplinks[i].ifname, a);
		} else
			fprintf(f, "uplink %s\n", c->uplinks[i].ifname);
	}
	for (int i = 0; i < c->nlans; i++)
		fprintf(f, "lan %s\n", c->lans[i]);
	fprintf(f, "mark-mask 0x%x\n", c->mark_mask);
	fprintf(f, "keep-on-exit %s\n", c->keep_on_exit ? "yes" : "no");
	fprintf(f, "strict-rpf %s\n", c->strict_rpf ? "yes" : "no");
	fprintf(f, "remote-services %s\n", c->remote_services ? "yes" : "no");
	fprintf(f, "dataplane %s\n", c->dataplane ? "yes" : "no");
	fmt_addr(a, sizeof(a), &c->http_listen, 1);
	fprintf(f, "http-listen %s\n", c->http_listen.family ? a : "off");
	fmt_addr(a, sizeof(a), &c->https_listen, 1);
	fprintf(f, "https-listen %s\n", c->https_listen.family ? a : "off");
	fprintf(f, "web-root %s\n", c->web_root);
	fprintf(f, "http-metrics %s\n", c->http_metrics_all ? "all" :
	    "loopback");
}
