/* test-webpath.c: request paths to files under web-root, refusals, content types. */
#include "node/core/webpath.h"
#include "tests/unit/test.h"

TEST(webpath_maps_paths_to_files)
{
	static const struct {
		const char	*path, *raw, *want;
	} ok[] = {
		{ "/", "/", "index.html" },
		{ "/enroll", "/enroll?x=1", "enroll.html" },
		{ "/style.css", "/style.css", "style.css" },
		{ "/img/logo.svg", "/img/logo.svg", "img/logo.svg" },
		{ "/a b.txt", "/a%20b.txt", "a b.txt" },
		{ "/x..y.js", "/x..y.js", "x..y.js" },
	};
	char		 out[WEBPATH_MAX];
	const char	*why;

	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		if (webpath_file(ok[i].path, ok[i].raw, out, sizeof(out),
		    &why) != 0)
			TEST_FAIL("%s refused: %s", ok[i].path, why);
		ASSERT_STR_EQ(out, ok[i].want);
	}
}

TEST(webpath_refuses_what_could_leave_web_root)
{
	static const char *const bad[][2] = {
		{ "/../etc/passwd", "/../etc/passwd" },
		{ "/../etc/passwd", "/%2e%2e/etc/passwd" },
		{ "/sub/../../x", "/sub/%2E%2E/%2e%2e/x" },
		{ "/..", "/.." },
		{ "/.git/config", "/.git/config" },
		{ "/a/./b", "/a/./b" },
		{ "//etc/passwd", "//etc/passwd" },
		{ "/a//b", "/a//b" },
		{ "/sub\\..\\x", "/sub%5c..%5cx" },
		{ "/sub\\x", "/sub\\x" },
		{ "/index.html", "/index.html%00.png" },
		{ "/a\nb", "/a%0ab" },
		{ "/dir/", "/dir/" },
		{ "relative", "relative" },
		{ "", "" },
	};
	char		 out[WEBPATH_MAX];
	const char	*why;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		if (webpath_file(bad[i][0], bad[i][1], out, sizeof(out),
		    &why) == 0)
			TEST_FAIL("accepted %s (raw %s) as %s", bad[i][0],
			    bad[i][1], out);
		ASSERT(why != NULL);
	}
	/* Too long for the caller's buffer. */
	ASSERT_EQ(webpath_file("/abcdef", "/abcdef", out, 4, &why), -1);
}

TEST(webpath_content_types)
{
	ASSERT_STR_EQ(webpath_type("index.html"), "text/html; charset=utf-8");
	ASSERT_STR_EQ(webpath_type("a/app.JS"), "text/javascript; charset=utf-8");
	ASSERT_STR_EQ(webpath_type("style.css"), "text/css; charset=utf-8");
	ASSERT_STR_EQ(webpath_type("logo.svg"), "image/svg+xml");
	ASSERT_STR_EQ(webpath_type("x.png"), "image/png");
	ASSERT_STR_EQ(webpath_type("favicon.ico"), "image/x-icon");
	ASSERT_STR_EQ(webpath_type("data.json"), "application/json");
	ASSERT_STR_EQ(webpath_type("v1.2/README"), "application/octet-stream");
	ASSERT_STR_EQ(webpath_type("noext"), "application/octet-stream");
}
