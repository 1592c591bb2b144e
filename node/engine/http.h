/*
 * http.h: the console's HTTP(S) server (http.c): libmicrohttpd driven by
 * the engine's libuv loop (no threads), request signatures checked
 * (node/core/httpsig.h) before anything under /api/ runs.  api.c answers
 * the API, metrics.c renders /metrics, static files come from web-root.
 */
#ifndef RPN_ENGINE_HTTP_H
#define RPN_ENGINE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "node/core/httpsig.h"
#include "node/engine/tlscert.h"
#include "proto/wire.h"

struct buf;
struct engine;
struct http_conn;

/* One request, as api_handle() sees it; valid until the reply is sent. */
struct http_req {
	const char	*method;
	const char	*path;		/* decoded, no query */
	const char	*query;		/* raw, without '?'; "" if none */
	const uint8_t	*body;
	size_t		 body_len;
	uint8_t		 key[32];	/* who signed it (verified) */
	int		 operator;	/* key is an enrolled operator */
	struct http_conn *conn;
};

/*
 * Counters, in struct engine (e->http_st) for metrics.c: requests
 * answered, API requests refused by the signature check by reason
 * (auth_refused[enum httpsig_status]; [HTTPSIG_OK] stays 0), bodies over
 * the limit (413), static paths refused, /metrics refused to a
 * non-loopback client, event streams dropped because the client did not
 * read.
 */
#define HTTP_AUTH_REASONS	(HTTPSIG_UNKNOWN_KEY + 1)
struct http_stats {
	uint64_t	 requests;
	uint64_t	 auth_refused[HTTP_AUTH_REASONS];
	uint64_t	 too_large;
	uint64_t	 bad_path;
	uint64_t	 metrics_refused;
	uint64_t	 streams_dropped;
};

/* What rpnctl status shows (family 0: not listening). */
struct http_view {
	struct wire_addr listen;
	struct wire_addr https_listen;
	char		 fingerprint[TLS_FPR_LEN];	/* "" without HTTPS */
	char		 problem[512];			/* "" when none */
};

/* Listeners that cannot start are logged and shown by rpnctl status;
 * http_start fails only when nothing can work (out of memory). */
int	http_start(struct engine *, char *err, size_t errlen);
void	http_stop(struct engine *);
/* After a reload: listeners and web-root follow e->cfg; a listener that
 * cannot move keeps the old address. */
void	http_reload(struct engine *);
void	http_view(struct engine *, struct http_view *);

/* Replies; each request gets exactly one, now or later (api_handle may
 * keep conn and answer from a callback). */
void	http_reply(struct http_conn *, unsigned status, const char *ctype,
	    const void *body, size_t len);
void	http_reply_error(struct http_conn *, unsigned status,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A stream (server-sent events): started once, written many times; the
 * closed callback runs when the client goes away or http_stop runs. */
int	http_stream_start(struct http_conn *, const char *ctype,
	    void (*closed)(void *), void *arg);
int	http_stream_write(struct http_conn *, const void *, size_t);
/* End a stream (its closed callback still runs, once, when it is gone). */
void	http_stream_close(struct http_conn *);

#endif
