/* test-parse.c: address, port and duration parsing; words trimmed. */
#include <string.h>

#include "proto/parse.h"
#include "tests/unit/test.h"

TEST(parse_addrport_forms)
{
	struct wire_addr a;
	char		 s[ADDRSTRLEN];

	ASSERT_EQ(parse_addrport("198.51.100.1", 7480, &a), 0);
	ASSERT_EQ(a.family, 4);
	ASSERT_EQ(a.port, 7480);
	ASSERT_EQ(parse_addrport("198.51.100.1:80", 7480, &a), 0);
	ASSERT_EQ(a.port, 80);
	fmt_addr(s, sizeof(s), &a, 1);
	ASSERT_STR_EQ(s, "198.51.100.1:80");
	ASSERT_EQ(parse_addrport("2001:db8::1", 7480, &a), 0);
	ASSERT_EQ(a.family, 6);
	ASSERT_EQ(parse_addrport("[2001:db8::1]:9", 7480, &a), 0);
	ASSERT_EQ(a.port, 9);
	fmt_addr(s, sizeof(s), &a, 1);
	ASSERT_STR_EQ(s, "[2001:db8::1]:9");
	ASSERT_EQ(parse_addrport("198.51.100.1:0", 1, &a), -1);
	ASSERT_EQ(parse_addrport("198.51.100.1:65536", 1, &a), -1);
	ASSERT_EQ(parse_addrport("198.51.100.1:", 1, &a), -1);
	ASSERT_EQ(parse_addrport("198.51.100.300", 1, &a), -1);
	ASSERT_EQ(parse_addrport("example.com", 1, &a), -1);
	ASSERT_EQ(parse_addrport("[198.51.100.1]:5", 1, &a), -1);
	ASSERT_EQ(parse_addrport("[2001:db8::1]x", 1, &a), -1);
}

TEST(fmt_duration_exact_largest_unit)
{
	static const struct {
		uint64_t	 ms;
		const char	*text;
	} cases[] = {
		{ 0, "0s" }, { 250, "250ms" }, { 1500, "1500ms" },
		{ 30000, "30s" }, { 600000, "10m" }, { 3600000, "1h" },
		{ 5400000, "90m" }, { 86400000, "1d" }, { 10500, "10500ms" },
	};
	char		 out[32];
	uint64_t	 back;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fmt_duration_exact(out, sizeof(out), cases[i].ms);
		ASSERT_STR_EQ(out, cases[i].text);
		/* and it reads back as the same duration */
		ASSERT_EQ(parse_duration(out, &back), 0);
		ASSERT_UEQ(back, cases[i].ms);
	}
}

TEST(parse_duration_units)
{
	uint64_t	 ms;

	ASSERT_EQ(parse_duration("250ms", &ms), 0);
	ASSERT_UEQ(ms, 250);
	ASSERT_EQ(parse_duration("30", &ms), 0);
	ASSERT_UEQ(ms, 30000);
	ASSERT_EQ(parse_duration("10m", &ms), 0);
	ASSERT_UEQ(ms, 600000);
	ASSERT_EQ(parse_duration("2h", &ms), 0);
	ASSERT_EQ(parse_duration("7d", &ms), 0);
	ASSERT_UEQ(ms, 7ULL * 86400000);
	ASSERT_EQ(parse_duration("", &ms), -1);
	ASSERT_EQ(parse_duration("m", &ms), -1);
	ASSERT_EQ(parse_duration("-5s", &ms), -1);
	ASSERT_EQ(parse_duration("5 s", &ms), -1);
	ASSERT_EQ(parse_duration("5w", &ms), -1);
	ASSERT_EQ(parse_duration("99999999999999999999d", &ms), -1);
}

/* A token or key pasted with what surrounds it: ASCII whitespace, both ends. */
TEST(parse_trim_space_both_ends)
{
	static const struct {
		const char	*in, *out;
	} cases[] = {
		{ "rpn1_abc", "rpn1_abc" },
		{ "rpn1_abc ", "rpn1_abc" },
		{ " rpn1_abc", "rpn1_abc" },
		{ "rpn1_abc\r", "rpn1_abc" },
		{ "rpn1_abc\r\n", "rpn1_abc" },
		{ "\t \v\f rpn1_abc \t\r\n", "rpn1_abc" },
		{ "rpn1_a bc", "rpn1_a bc" },	/* inside is not around */
		{ "   ", "" },
		{ "", "" },
		{ "\xc2\xa0rpn1_abc", "\xc2\xa0rpn1_abc" },	/* not ASCII */
	};
	char	 buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strcpy(buf, cases[i].in);
		ASSERT_STR_EQ(parse_trim(buf), cases[i].out);
	}
}
