/*
 * apireq.h: the HTTP API's requests decoded (apireq.c): a method, a path
 * under /api/v1/, a query and a JSON body become a route and the control
 * request (proto/ctl.h) the CLI would send for the same thing.  Pure: no
 * I/O, for the engine (node/engine/api.c), the unit tests and the fuzzer.
 * Strict: unknown fields, wrong types and out-of-range values are refused
 * with a message for the person who sent them.
 */
#ifndef RPN_CORE_APIREQ_H
#define RPN_CORE_APIREQ_H

#include <stddef.h>
#include <stdint.h>

#include "proto/ctl.h"
#include "proto/oprec.h"

#define APIREQ_MAX_BODY		(64u << 10)
#define APIREQ_MAX_SIGNED	4	/* statements one request may carry */
#define APIREQ_CODE_LEN		22	/* 16 bytes, base64url without padding */

enum api_route {
	API_STATUS = 1,		/* GET    /api/v1/status */
	API_SERVICES,		/* GET    /api/v1/services */
	API_SERVICE,		/* GET    /api/v1/services/NAME */
	API_SERVICE_ADD,	/* POST   /api/v1/services */
	API_SERVICE_DEL,	/* DELETE /api/v1/services/NAME[?node=NODE] */
	API_GRANT,		/* POST   /api/v1/services/NAME/grant */
	API_REVOKE_GRANT,	/* POST   /api/v1/services/NAME/revoke-grant */
	API_OPERATORS,		/* GET    /api/v1/operators */
	API_OPERATOR_ADD,	/* POST   /api/v1/operators */
	API_OPERATOR_DEL,	/* DELETE /api/v1/operators/NAME */
	API_REVOKE,		/* POST   /api/v1/revoke */
	API_LAN_APPROVE,	/* POST   /api/v1/lans/approve */
	API_AUDIT,		/* GET    /api/v1/audit */
	API_WHOAMI,		/* GET    /api/v1/whoami */
	API_ENROLL,		/* POST   /api/v1/enroll */
	API_EVENTS,		/* GET    /api/v1/events */
};

/* A statement the client signed after a 428: its body and signature. */
struct api_signed {
	uint8_t		 body[CTL_MAX_SIGNED];
	uint32_t	 len;
	uint8_t		 sig[WIRE_SIG];
};

struct api_req {
	enum api_route	 route;
	/*
	 * The control request: cmd, name, node and a service add's fields
	 * as rpnctl sets them; cmd is 0 for routes that are not one.
	 */
	struct ctl_req	 ctl;
	uint8_t		 key[WIRE_KEY];		/* operators add */
	uint8_t		 nlans;			/* lans approve */
	struct wire_prefix lans[OPREC_MAX_LANS];
	char		 code[APIREQ_CODE_LEN + 1];	/* enroll */
	uint8_t		 nsigned;
	struct api_signed signed_[APIREQ_MAX_SIGNED];
};

/*
 * apireq_decode - one request; path without the query, query raw ("" if
 * none), body NULL or len bytes.  0, or the HTTP status to answer (400,
 * 404, 405, 413) with the reason in err.
 */
unsigned apireq_decode(const char *method, const char *path, const char *query,
	    const uint8_t *body, size_t len, struct api_req *, char *err,
	    size_t errlen);
const char *apireq_route_name(enum api_route);

#endif
