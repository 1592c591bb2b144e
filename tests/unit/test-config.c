/* test-config.c: rpnd.conf parsing, its error messages, and print-then-parse stability. */
#include "node/core/config.h"
#include "tests/unit/test.h"

static int
parse(const char *text, struct rpnd_config *c, char *err, size_t errlen)
{
	config_default(c);
	return config_parse(text, strlen(text), "t.conf", c, err, errlen);
}

TEST(config_good_file)
{
	struct rpnd_config	 c;
	char			 err[256];
	const char		*text =
	    "# a comment\n"
	    "name tokyo\n"
	    "listen 0.0.0.0:7000   # trailing comment\n"
	    "advertise 198.51.100.1\n"
	    "advertise [2001:db8::1]:7000\n"
	    "probe-interval 2s\n"
	    "probe-timeout 300ms\n"
	    "reap-after 30m\n"
	    "uplink eth0 via 198.51.100.254\n"
	    "uplink eth1\n"
	    "lan eth2\n"
	    "mark-mask 0xff0000\n"
	    "keep-on-exit yes\n";

	ASSERT_EQ(parse(text, &c, err, sizeof(err)), 0);
	ASSERT_STR_EQ(c.name, "tokyo");
	ASSERT_EQ(c.listen.port, 7000);
	ASSERT_EQ(c.nadvertise, 2);
	ASSERT_EQ(c.advertise[0].port, 0);
	ASSERT_EQ(c.advertise[1].family, 6);
	ASSERT_EQ(c.mesh.mb.probe_interval_ms, 2000);
	ASSERT_EQ(c.mesh.mb.probe_timeout_ms, 300);
	ASSERT_UEQ(c.mesh.mb.reap_after_ms, 1800000);
	ASSERT_EQ(c.nuplinks, 2);
	ASSERT_EQ(c.uplinks[0].has_gw, 1);
	ASSERT_EQ(c.uplinks[1].has_gw, 0);
	ASSERT_STR_EQ(c.lans[0], "eth2");
	ASSERT_UEQ(c.mark_mask, 0xff0000);
	ASSERT_EQ(c.keep_on_exit, 1);
}

TEST(config_errors_name_file_and_line)
{
	static const struct {
		const char	*text;
		const char	*want;
	} cases[] = {
		{ "bogus 1\n", "t.conf:1: unknown keyword \"bogus\"" },
		{ "\nname\n", "t.conf:2: \"name\" needs a value" },
		{ "name a b\n", "t.conf:1: \"name\" takes one value" },
		{ "name -x\n", "t.conf:1: bad node name" },
		{ "name a\nname b\n", "t.conf:2: \"name\" given twice" },
		{ "listen nowhere\n", "t.conf:1: \"listen\" needs ADDR[:PORT]" },
		{ "probe-interval 5\nprobe-timeout 6s\n", "t.conf:2: probe-timeout "
		    "(6000 ms) must be shorter" },
		{ "# the default interval is 1s\n\nprobe-timeout 2s\n",
		    "t.conf:3: probe-timeout (2000 ms) must be shorter than "
		    "probe-interval (1000 ms)" },
		{ "probe-interval 1h\n", "t.conf:1: \"probe-interval\" needs" },
		{ "reap-after 1s\n", "t.conf:1: \"reap-after\" needs" },
		{ "uplink eth0 via\n", "t.conf:1: \"uplink\" needs IFACE" },
		{ "uplink eth0 via 1.2.3\n", "bad gateway address" },
		{ "uplink eth0 via 2001:db8::1\n", "only IPv4 uplinks" },
		{ "uplink eth0\nuplink eth0\n", "t.conf:2: uplink eth0 given twice" },
		{ "lan a/b\n", "bad interface name" },
		{ "uplink eth0\n\nlan eth0\n", "t.conf:3: eth0 is already an "
		    "uplink; an interface is an uplink or a LAN, not both" },
		{ "lan eth1\nuplink eth1 via 192.0.2.1\n", "t.conf:2: eth1 is "
		    "already a LAN; an interface is an uplink or a LAN, not both" },
		{ "mark-mask 0xf0f0\n", "\"mark-mask\" needs 8 contiguous bits" },
		{ "keep-on-exit maybe\n", "\"keep-on-exit\" needs yes or no" },
		{ "\nhttp-listen 127.0.0.1\n", "t.conf:2: \"http-listen\" needs "
		    "ADDR:PORT or off" },
		{ "http-listen localhost:80\n", "t.conf:1: \"http-listen\" needs" },
		{ "http-listen 127.0.0.1:0\n", "t.conf:1: \"http-listen\" needs" },
		{ "http-listen 127.0.0.1:99999\n", "t.conf:1: \"http-listen\"" },
		{ "https-listen on\n", "t.conf:1: \"https-listen\" needs" },
		{ "http-listen off\nhttp-listen off\n", "t.conf:2: \"http-listen\" "
		    "given twice" },
		{ "http-listen 127.0.0.1:8000\nhttps-listen 127.0.0.1:8000\n",
		    "t.conf:2: http-listen and https-listen name the same" },
		{ "web-root relative/dir\n", "t.conf:1: \"web-root\" needs an "
		    "absolute directory" },
		{ "http-metrics everyone\n", "t.conf:1: \"http-metrics\" needs "
		    "loopback or all" },
	};
	struct rpnd_config	 c;
	char			 err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		if (parse(cases[i].text, &c, err, sizeof(err)) != -1)
			TEST_FAIL("accepted: %s", cases[i].text);
		if (strstr(err, cases[i].want) == NULL)
			TEST_FAIL("for %s: got \"%s\", want \"%s\"",
			    cases[i].text, err, cases[i].want);
	}
}

TEST(config_print_parses_again)
{
	struct rpnd_config	 c, d;
	char			 err[256], *text;
	size_t			 len;
	FILE			*f;

	/* The parent sends the engine its configuration in this form: every
	 * setting must come back exactly, durations to the millisecond. */
	ASSERT_EQ(parse("name x\nadvertise 192.0.2.1:9\nuplink e0 via "
	    "192.0.2.254\nlan e1\nreap-after 10500ms\ntombstone-ttl 1500ms\n"
	    "probe-interval 1250ms\nsuspicion-mult 150\nmark-mask 0xff0000\n"
	    "keep-on-exit no\nremote-services no\nstrict-rpf yes\n"
	    "listen 192.0.2.7:7481\nhttp-listen [::1]:8080\n"
	    "https-listen 192.0.2.7:7443\nweb-root /srv/web\n"
	    "http-metrics all\n", &c, err, sizeof(err)), 0);
	f = open_memstream(&text, &len);
	config_print(f, &c);
	fclose(f);
	config_default(&d);
	ASSERT_EQ(config_parse(text, len, "printed", &d, err, sizeof(err)), 0);
	/* The same settings; where each was written differs, and is not one. */
	ASSERT_EQ(c.line.uplink[0], 3);
	ASSERT_EQ(d.line.user, 4);
	memset(&c.line, 0, sizeof(c.line));
	memset(&d.line, 0, sizeof(d.line));
	ASSERT_MEM_EQ(&c, &d, sizeof(c));
	free(text);
}

TEST(config_http_keys)
{
	struct rpnd_config	 c;
	char			 err[256];

	/* Defaults: plain HTTP on loopback, no HTTPS, metrics to loopback. */
	ASSERT_EQ(parse("", &c, err, sizeof(err)), 0);
	ASSERT_EQ(c.http_listen.family, 4);
	ASSERT_EQ(c.http_listen.ip[0], 127);
	ASSERT_EQ(c.http_listen.ip[3], 1);
	ASSERT_EQ(c.http_listen.port, 7481);
	ASSERT_EQ(c.https_listen.family, 0);
	ASSERT_STR_EQ(c.web_root, RPN_WEB_ROOT);
	ASSERT_EQ(c.http_metrics_all, 0);
	ASSERT_EQ(parse("http-listen off\nhttps-listen 0.0.0.0:7443\n"
	    "web-root /srv/rpn/web\nhttp-metrics all\n", &c, err,
	    sizeof(err)), 0);
	ASSERT_EQ(c.http_listen.family, 0);
	ASSERT_EQ(c.https_listen.family, 4);
	ASSERT_EQ(c.https_listen.port, 7443);
	ASSERT_STR_EQ(c.web_root, "/srv/rpn/web");
	ASSERT_EQ(c.http_metrics_all, 1);
	/* --web-root goes through the same check as the file. */
	ASSERT_EQ(config_set_web_root(&c, "web", err, sizeof(err)), -1);
	ASSERT_EQ(config_set_web_root(&c, "/a b", err, sizeof(err)), -1);
	ASSERT_EQ(config_set_web_root(&c, "/opt/web", err, sizeof(err)), 0);
	ASSERT_STR_EQ(c.web_root, "/opt/web");
}

TEST(config_uplink_and_lan_from_the_command_line)
{
	struct rpnd_config	 c;
	char			 err[256];

	/* --uplink and --lan go through the same checks as the file. */
	ASSERT_EQ(parse("uplink eth0\n", &c, err, sizeof(err)), 0);
	ASSERT_EQ(config_add_lan(&c, "eth0", err, sizeof(err)), -1);
	ASSERT(strstr(err, "eth0 is already an uplink") != NULL);
	ASSERT_EQ(config_add_lan(&c, "eth1", err, sizeof(err)), 0);
	ASSERT_EQ(config_add_uplink(&c, "eth1@192.0.2.1", err, sizeof(err)),
	    -1);
	ASSERT(strstr(err, "eth1 is already a LAN") != NULL);
	ASSERT_EQ(c.nuplinks, 1);
	ASSERT_EQ(c.nlans, 1);
	ASSERT_EQ(c.line.uplink[0], 1);
	ASSERT_EQ(c.line.lan[0], 0);
}
