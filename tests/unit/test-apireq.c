/* test-apireq.c: the HTTP API's requests: routes, bodies, and every refusal with its status. */
#include <stdlib.h>

#include "node/core/apireq.h"
#include "proto/parse.h"
#include "tests/unit/test.h"

static unsigned
dec(const char *method, const char *path, const char *query, const char *body,
    struct api_req *q, char *err)
{
	return apireq_decode(method, path, query, (const uint8_t *)body,
	    body != NULL ? strlen(body) : 0, q, err, 256);
}

TEST(apireq_routes)
{
	static const struct {
		const char	*method, *path, *body;
		enum api_route	 route;
		enum ctl_cmd	 cmd;
	} t[] = {
		{ "GET", "/api/v1/status", NULL, API_STATUS, CTL_STATUS },
		{ "GET", "/api/v1/services", NULL, API_SERVICES, CTL_SERVICE_LIST },
		{ "GET", "/api/v1/services/web", NULL, API_SERVICE, CTL_SERVICE_SHOW },
		{ "POST", "/api/v1/services", "{\"name\":\"web\",\"port\":8080,"
		  "\"target\":\"100.64.2.10:80\"}", API_SERVICE_ADD,
		  CTL_SERVICE_ADD },
		{ "DELETE", "/api/v1/services/web", NULL, API_SERVICE_DEL,
		  CTL_SERVICE_DEL },
		{ "POST", "/api/v1/services/web/grant", "{\"node\":\"b\"}",
		  API_GRANT, 0 },
		{ "POST", "/api/v1/services/web/revoke-grant", "{\"node\":\"b\"}",
		  API_REVOKE_GRANT, 0 },
		{ "GET", "/api/v1/operators", NULL, API_OPERATORS, CTL_OPERATORS },
		{ "POST", "/api/v1/operators", "{\"name\":\"al\",\"key\":"
		  "\"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"}",
		  API_OPERATOR_ADD, 0 },
		{ "DELETE", "/api/v1/operators/al", "", API_OPERATOR_DEL, 0 },
		{ "POST", "/api/v1/revoke", "{\"node\":\"b\"}", API_REVOKE, 0 },
		{ "POST", "/api/v1/lans/approve", "{\"node\":\"b\",\"prefixes\":"
		  "[\"192.0.2.0/24\"]}", API_LAN_APPROVE, 0 },
		{ "GET", "/api/v1/audit", NULL, API_AUDIT, CTL_AUDIT },
		{ "GET", "/api/v1/whoami", NULL, API_WHOAMI, 0 },
		{ "POST", "/api/v1/enroll", "{\"code\":\"AAAAAAAAAAAAAAAAAAAAAA\"}",
		  API_ENROLL, 0 },
		{ "GET", "/api/v1/events", NULL, API_EVENTS, 0 },
	};
	struct api_req	*q = malloc(sizeof(*q));
	char		 err[256];

	ASSERT(q != NULL);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ASSERT_UEQ(dec(t[i].method, t[i].path, "", t[i].body, q, err), 0);
		ASSERT_EQ(q->route, t[i].route);
		ASSERT_EQ(q->ctl.cmd, t[i].cmd);
	}
	free(q);
}

TEST(apireq_service_add_fields)
{
	struct api_req		*q = malloc(sizeof(*q));
	struct wire_addr	 a;
	char			 err[256];

	ASSERT(q != NULL);
	ASSERT_UEQ(dec("POST", "/api/v1/services", "", "{\"name\":\"web\","
	    "\"port\":53,\"proto\":\"udp\",\"target\":\"100.64.2.10:5353\","
	    "\"node\":\"site-b\",\"public\":true,\"allow\":[\"203.0.113.0/24\","
	    "\"198.51.100.0/24\"],\"force\":true}", q, err), 0);
	ASSERT_STR_EQ(q->ctl.name, "web");
	ASSERT_EQ(q->ctl.port, 53);
	ASSERT_EQ(q->ctl.proto, 17);
	ASSERT_EQ(parse_addrport("100.64.2.10:5353", 0, &a), 0);
	ASSERT(addr_eq(&a, &q->ctl.target));
	ASSERT_STR_EQ(q->ctl.node, "site-b");
	ASSERT_EQ(q->ctl.public, 1);
	ASSERT_EQ(q->ctl.force, 1);
	ASSERT_EQ(q->ctl.nallow, 2);
	ASSERT_EQ(q->nsigned, 0);
	/* proto defaults to tcp, as rpnctl's tcp/PORT is the usual */
	ASSERT_UEQ(dec("POST", "/api/v1/services", "", "{\"name\":\"web\","
	    "\"port\":80,\"target\":\"100.64.2.10:80\"}", q, err), 0);
	ASSERT_EQ(q->ctl.proto, 6);
	ASSERT_EQ(q->ctl.public, 0);
	/* the query of a delete, the names of paths */
	ASSERT_UEQ(dec("DELETE", "/api/v1/services/web", "node=site-b", NULL, q,
	    err), 0);
	ASSERT_STR_EQ(q->ctl.name, "web");
	ASSERT_STR_EQ(q->ctl.node, "site-b");
	ASSERT_UEQ(dec("DELETE", "/api/v1/operators/al", "", NULL, q, err), 0);
	ASSERT_STR_EQ(q->ctl.operator_name, "al");
	ASSERT_UEQ(dec("POST", "/api/v1/enroll", "", "{\"code\":"
	    "\"q83vEjRWeJCrze8SNFZ4kA\",\"name\":\"phone\"}", q, err), 0);
	ASSERT_STR_EQ(q->code, "q83vEjRWeJCrze8SNFZ4kA");
	ASSERT_STR_EQ(q->ctl.operator_name, "phone");
	free(q);
}

TEST(apireq_signed)
{
	struct api_req	*q = malloc(sizeof(*q));
	char		 err[256], body[1024];
	/* 64 bytes of 0x01, and the three bytes "abc" */
	const char	*sig = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB"
	    "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ==";

	ASSERT(q != NULL);
	snprintf(body, sizeof(body), "{\"node\":\"b\",\"statements\":[\"YWJj\"],"
	    "\"signatures\":[\"%s\"]}", sig);
	ASSERT_UEQ(dec("POST", "/api/v1/revoke", "", body, q, err), 0);
	ASSERT_EQ(q->nsigned, 1);
	ASSERT_UEQ(q->signed_[0].len, 3);
	ASSERT_MEM_EQ(q->signed_[0].body, "abc", 3);
	ASSERT_EQ(q->signed_[0].sig[0], 1);
	ASSERT_EQ(q->signed_[0].sig[63], 1);
	/* a 63-byte signature */
	snprintf(body, sizeof(body), "{\"node\":\"b\",\"statements\":[\"YWJj\"],"
	    "\"signatures\":[\"%.84s\"]}", sig);
	ASSERT_UEQ(dec("POST", "/api/v1/revoke", "", body, q, err), 400);
	/* one without the other */
	ASSERT_UEQ(dec("POST", "/api/v1/revoke", "", "{\"node\":\"b\","
	    "\"statements\":[\"YWJj\"]}", q, err), 400);
	ASSERT(strstr(err, "together") != NULL);
	/* counts differ */
	snprintf(body, sizeof(body), "{\"node\":\"b\",\"statements\":[\"YWJj\","
	    "\"YWJj\"],\"signatures\":[\"%s\"]}", sig);
	ASSERT_UEQ(dec("POST", "/api/v1/revoke", "", body, q, err), 400);
	/* not base64 */
	snprintf(body, sizeof(body), "{\"node\":\"b\",\"statements\":[\"YW*j\"],"
	    "\"signatures\":[\"%s\"]}", sig);
	ASSERT_UEQ(dec("POST", "/api/v1/revoke", "", body, q, err), 400);
	free(q);
}

/*
 * Every refusal, with its status; the first line is a good request, so the
 * others cannot pass for a reason that is not theirs.
 */
TEST(apireq_refusals)
{
	static const struct {
		const char	*method, *path, *query, *body;
		unsigned	 status;
		const char	*says;
	} t[] = {
		{ "POST", "/api/v1/services", "", "{\"name\":\"web\",\"port\":80,"
		  "\"target\":\"100.64.2.10:80\"}", 0, "" },
		{ "GET", "/api/v2/status", "", NULL, 404, "/api/v1/" },
		{ "GET", "/api/v1/nothing", "", NULL, 404, "no such" },
		{ "GET", "/api/v1/", "", NULL, 404, "no such" },
		{ "GET", "/api/v1/status/", "", NULL, 404, "no such" },
		{ "GET", "/api/v1//status", "", NULL, 404, "no such" },
		{ "GET", "/api/v1/services/a/b/c", "", NULL, 404, "no such" },
		{ "PUT", "/api/v1/status", "", NULL, 405, "PUT is not allowed" },
		{ "DELETE", "/api/v1/services", "", NULL, 405, "not allowed" },
		{ "GET", "/api/v1/services/-bad", "", NULL, 400, "bad name" },
		{ "GET", "/api/v1/status", "x=1", NULL, 400, "no query" },
		{ "GET", "/api/v1/status", "", "{}", 400, "takes no body" },
		{ "DELETE", "/api/v1/services/web", "nod=b", NULL, 400, "node=NAME" },
		{ "POST", "/api/v1/services", "", "", 400, "needs a JSON object" },
		{ "POST", "/api/v1/services", "", "[1]", 400, "JSON object" },
		{ "POST", "/api/v1/services", "", "{\"name\":", 400, "not JSON" },
		{ "POST", "/api/v1/services", "", "{\"name\":\"web\",\"port\":80,"
		  "\"target\":\"100.64.2.10:80\"} x", 400, "not JSON" },
		{ "POST", "/api/v1/services", "", "{\"name\":\"web\",\"name\":\"x\","
		  "\"port\":80,\"target\":\"100.64.2.10:80\"}", 400, "not JSON" },
		{ "POST", "/api/v1/services", "", "{\"name\":\"web\",\"port\":80,"
		  "\"target\":\"100.64.2.10:80\",\"colour\":1}", 400,
		  "unknown field \"colour\"" },
		{ "POST", "/api/v1/services", "", "{\"name\":\"web\",\"port\":80,"
		  "\"target\":\"100.64.2.10:80\",\"key\":\"x\"}", 400,
		  "unknown field \"key\"" },
		{ "POST", "/api/v1/services", "", "{\"name\":\"web\",\"port\":80}",
		  400, "needs \"target\"" },
		{ "POST", "/api/v1/services", "", "{\"name\":\"web\",\"port\":\"80\","
		  "\"target\":\"100.64.2.10:80\"}", 400, "\"port\" must be" },
		{ "POST", "/api/v1/services", "", "{\"name\":\"web\",\"port\":0,"
		  "\"target\":\"100.64.2.10:80\"}", 400, "\"port\" must be" },
		{ "POST", "/api/v1/services", "", "{\"name\":\"web\",\"port\":65536,"
		  "\"target\":\"100.64.2.10:80\"}", 400, "\"port\" must be" },
		{ "POST", "/api/v1/services", "", "{\"name\":\"web\",\"port\":8.5,"
		  "\"target\":\"100.64.2.10:80\"}", 400, "\"port\" must be" },
		{ "POST", "/api/v1/services", "", "{\"name\":\"web\",\"port\":80,"
		  "\"proto\":\"sctp\",\"target\":\"100.64.2.10:80\"}", 400,
		  "\"proto\" must be" },
		{ "POST", "/api/v1/services", "", "{\"name\":\"web\",\"port\":80,"
		  "\"target\":\"100.64.2.10\"}", 400, "bad \"target\"" },
		{ "POST", "/api/v1/services", "", "{\"name\":\"w b\",\"port\":80,"
		  "\"target\":\"100.64.2.10:80\"}", 400, "bad \"name\"" },
		{ "POST", "/api/v1/services", "", "{\"name\":7,\"port\":80,"
		  "\"target\":\"100.64.2.10:80\"}", 400, "must be a string" },
		{ "POST", "/api/v1/services", "", "{\"name\":\"w\\u0000b\","
		  "\"port\":80,\"target\":\"100.64.2.10:80\"}", 400, "" },
		{ "POST", "/api/v1/services", "", "{\"name\":\"web\",\"port\":80,"
		  "\"target\":\"100.64.2.10:80\",\"public\":1}", 400,
		  "true or false" },
		{ "POST", "/api/v1/services", "", "{\"name\":\"web\",\"port\":80,"
		  "\"target\":\"100.64.2.10:80\",\"allow\":\"192.0.2.0/24\"}", 400,
		  "array of prefixes" },
		{ "POST", "/api/v1/services", "", "{\"name\":\"web\",\"port\":80,"
		  "\"target\":\"100.64.2.10:80\",\"allow\":[\"192.0.2.0/33\"]}", 400,
		  "bad prefix" },
		{ "POST", "/api/v1/services", "", "{\"name\":\"web\",\"port\":80,"
		  "\"target\":\"100.64.2.10:80\",\"allow\":[\"a/1\",\"a/1\","
		  "\"a/1\",\"a/1\",\"a/1\",\"a/1\",\"a/1\",\"a/1\",\"a/1\","
		  "\"a/1\",\"a/1\",\"a/1\",\"a/1\",\"a/1\",\"a/1\",\"a/1\","
		  "\"a/1\",\"a/1\",\"a/1\",\"a/1\",\"a/1\",\"a/1\",\"a/1\","
		  "\"a/1\",\"a/1\",\"a/1\",\"a/1\",\"a/1\",\"a/1\",\"a/1\","
		  "\"a/1\",\"a/1\",\"a/1\"]}", 400, "at most" },
		{ "POST", "/api/v1/services", "", "{\"name\":\"web\",\"port\":80,"
		  "\"target\":\"100.64.2.10:80\",\"statements\":[],\"signatures\""
		  ":{}}", 400, "arrays" },
		{ "POST", "/api/v1/operators", "", "{\"name\":\"al\",\"key\":\"abc\"}",
		  400, "bad \"key\"" },
		{ "POST", "/api/v1/lans/approve", "", "{\"node\":\"b\",\"prefixes\":"
		  "[]}", 400, "empty" },
		{ "POST", "/api/v1/enroll", "", "{\"code\":\"short\"}", 400,
		  "bad \"code\"" },
		{ "POST", "/api/v1/enroll", "", "{\"code\":\"AAAAAAAAAAAAAAAAAAAAA+\"}",
		  400, "bad \"code\"" },
		{ "POST", "/api/v1/enroll", "", "{\"name\":\"x\"}", 400,
		  "needs \"code\"" },
	};
	struct api_req	*q = malloc(sizeof(*q));
	char		 err[256];

	ASSERT(q != NULL);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err[0] = '\0';
		if (dec(t[i].method, t[i].path, t[i].query, t[i].body, q, err) !=
		    t[i].status || strstr(err, t[i].says) == NULL)
			TEST_FAIL("case %zu (%s %s): status %u, \"%s\"", i,
			    t[i].method, t[i].path, dec(t[i].method, t[i].path,
			    t[i].query, t[i].body, q, err), err);
	}
	/* too large */
	{
		size_t	 n = APIREQ_MAX_BODY + 1;
		uint8_t	*big = calloc(1, n);

		ASSERT(big != NULL);
		memset(big, ' ', n);
		ASSERT_UEQ(apireq_decode("POST", "/api/v1/revoke", "", big, n, q,
		    err, sizeof(err)), 413);
		free(big);
	}
	free(q);
}
