/* test.h: the unit-test harness: TEST() definitions and assertions that print both sides. */
#ifndef RPN_TEST_H
#define RPN_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST(name)	void test_##name(void); void test_##name(void)

#define TEST_FAIL(...) do {						\
	fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);			\
	fprintf(stderr, __VA_ARGS__);					\
	fputc('\n', stderr);						\
	exit(1);							\
} while (0)

#define ASSERT(c) do {							\
	if (!(c))							\
		TEST_FAIL("assertion failed: %s", #c);			\
} while (0)

#define ASSERT_EQ(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b)							\
		TEST_FAIL("%s == %s: %lld != %lld", #a, #b, _a, _b);	\
} while (0)

#define ASSERT_NE(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a == _b)							\
		TEST_FAIL("%s != %s: both %lld", #a, #b, _a);		\
} while (0)

#define ASSERT_UEQ(a, b) do {						\
	unsigned long long _a = (a), _b = (b);				\
	if (_a != _b)							\
		TEST_FAIL("%s == %s: %llu != %llu", #a, #b, _a, _b);	\
} while (0)

#define ASSERT_STR_EQ(a, b) do {					\
	const char *_a = (a), *_b = (b);				\
	if (strcmp(_a, _b) != 0)					\
		TEST_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b, _a, _b);\
} while (0)

#define ASSERT_MEM_EQ(a, b, n) do {					\
	if (memcmp((a), (b), (n)) != 0)					\
		TEST_FAIL("%s and %s differ in their first %zu bytes",	\
		    #a, #b, (size_t)(n));				\
} while (0)

#endif
