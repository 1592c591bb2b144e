/*
 * http.c: the console's HTTP(S) server.  GNU libmicrohttpd in external
 * epoll mode: each listener is one daemon whose epoll descriptor a
 * uv_poll_t watches, with a uv_timer_t set from MHD_get_timeout() after
 * every MHD_run(), so requests are parsed on the engine's loop, in the
 * unprivileged engine, with no thread of their own.
 *
 * A request is answered once: at once, or later (the connection is
 * suspended until http_reply() resumes it).  Under /api/ the signature
 * is checked first (node/core/httpsig.h; docs/http.md, "Signing
 * requests"), then api.c answers; GET /metrics is metrics.c's, for
 * loopback clients unless "http-metrics all"; the rest are files from
 * web-root, opened beneath it and nowhere else.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <microhttpd.h>

#include "node/engine/http.h"
#include "node/core/log.h"
#include "node/core/policy.h"
#include "node/core/webpath.h"
#include "node/engine/api.h"
#include "node/engine/engine.h"
#include "node/engine/metrics.h"
#include "proto/buf.h"
#include "proto/compat.h"
#include "proto/parse.h"

#define HTTP_BODY_MAX		(64 * 1024)	/* request bodies; more: 413 */
#define HTTP_CONN_MEMORY	(64 * 1024)	/* MHD's pool per connection:
						   request line and headers */
#define HTTP_CONN_LIMIT		64		/* per listener */
#define HTTP_PER_IP_LIMIT	32
#define HTTP_TIMEOUT_S		30		/* idle connection */
#define HTTP_STREAM_MAX		(256 * 1024)	/* unread event-stream bytes */
#define HTTP_FILE_MAX		(16 * 1024 * 1024)
#define HTTP_METRICS_MAX	(4 * 1024 * 1024)
#define HTTP_NONCES		8192		/* replay cache entries */
#define HTTP_URI_MAX		4096

enum { L_HTTP, L_HTTPS };

struct http_lsn {
	struct http	*h;
	struct MHD_Daemon *d;
	uv_poll_t	 poll;
	uv_timer_t	 timer;
	int		 tls;
	int		 handles;	/* uv handles not closed yet */
	int		 kick;		/* a connection was resumed */
	int		 running;	/* inside MHD_run */
	struct wire_addr addr;
	struct http_conn *conns;
	char		*cert;
	char		*key;
};

struct http {
	struct engine	*e;
	struct http_lsn	*lsn[2];
	struct httpsig_seen *seen;
	struct http_conn *orphans;	/* answered by api.c after the
					   connection went away */
	int		 rootfd;	/* web-root, O_PATH */
	char		 root[CFG_WEB_ROOT_MAX];
	char		 fpr[TLS_FPR_LEN];
	char		 problem[512];
	char		 mhd_err[256];	/* MHD's last complaint */
};

struct http_conn {
	struct http_conn *next, *prev;
	struct http_lsn	*l;		/* NULL once orphaned */
	struct http	*h;
	struct MHD_Connection *c;
	char		*uri;		/* raw request-target */
	char		*path;		/* decoded, from MHD */
	char		 method[16];
	uint8_t		*body;
	size_t		 body_len;
	int		 started;
	int		 dispatched;	/* api.c or a file handler has it */
	int		 api;		/* api.c answers it */
	int		 in_handler;
	int		 suspended;
	int		 queued;
	struct MHD_Response *resp;
	unsigned	 status;
	struct http_req	 req;
	/* an event stream */
	int		 stream;
	int		 sclose;	/* end it once the buffer is out */
	int		 sdrop;		/* the client does not read: cut it */
	uint8_t		*sbuf;
	size_t		 slen;
	size_t		 scap;
	void		(*closed)(void *);
	void		*carg;
};

static void	timer_cb(uv_timer_t *);

/* ---- the loop: MHD_run when its epoll fd is readable or its timer fires ---- */

static void
lsn_run(struct http_lsn *l)
{
	MHD_UNSIGNED_LONG_LONG	 to;

	if (l->d == NULL)
		return;
	l->running = 1;
	l->kick = 0;
	MHD_run(l->d);
	l->running = 0;
	if (l->kick)
		uv_timer_start(&l->timer, timer_cb, 0, 0);
	else if (MHD_get_timeout(l->d, &to) == MHD_YES)
		uv_timer_start(&l->timer, timer_cb, to > 60000 ? 60000 :
		    (uint64_t)to, 0);
	else
		uv_timer_stop(&l->timer);
}

static void
poll_cb(uv_poll_t *p, int status, int events)
{
	(void)status;
	(void)events;
	lsn_run(p->data);
}

static void
timer_cb(uv_timer_t *t)
{
	lsn_run(t->data);
}

/* wake - a suspended connection has something to do now. */
static void
wake(struct http_conn *hc)
{
	struct http_lsn	*l = hc->l;

	if (!hc->suspended || hc->in_handler || l == NULL)
		return;
	hc->suspended = 0;
	MHD_resume_connection(hc->c);
	l->kick = 1;
	if (!l->running)
		uv_timer_start(&l->timer, timer_cb, 0, 0);
}

/* ---- connections ---- */

static void
conn_free(struct http_conn *hc)
{
	if (hc->resp != NULL)
		MHD_destroy_response(hc->resp);
	free(hc->uri);
	free(hc->path);
	free(hc->body);
	free(hc->sbuf);
	free(hc);
}

static void
conn_unlink(struct http_conn **head, struct http_conn *hc)
{
	if (hc->prev != NULL)
		hc->prev->next = hc->next;
	else
		*head = hc->next;
	if (hc->next != NULL)
		hc->next->prev = hc->prev;
	hc->next = hc->prev = NULL;
}

static void
conn_link(struct http_conn **head, struct http_conn *hc)
{
	hc->prev = NULL;
	hc->next = *head;
	if (*head != NULL)
		(*head)->prev = hc;
	*head = hc;
}

/* The raw request-target: MHD hands it here before it decodes anything. */
static void *
uri_cb(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct http_lsn	*l = cls;
	struct http_conn *hc;

	(void)c;
	if ((hc = calloc(1, sizeof(*hc))) == NULL)
		return NULL;
	hc->l = l;
	hc->h = l->h;
	if ((hc->uri = strndup(uri, HTTP_URI_MAX + 1)) == NULL) {
		free(hc);
		return NULL;
	}
	conn_link(&l->conns, hc);
	return hc;
}

/* A request is over (answered, or the client or the daemon went away). */
static void
completed_cb(void *cls, struct MHD_Connection *c, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_lsn	*l = cls;
	struct http_conn *hc = *req_cls;

	(void)c;
	(void)toe;
	if (hc == NULL)
		return;
	*req_cls = NULL;
	conn_unlink(&l->conns, hc);
	hc->c = NULL;
	hc->l = NULL;
	if (hc->stream) {
		void	(*cb)(void *) = hc->closed;

		hc->closed = NULL;
		if (cb != NULL)
			cb(hc->carg);
		conn_free(hc);
	} else if (hc->api && hc->resp == NULL && !hc->queued) {
		/* api.c still holds it and answers later: it is freed then. */
		conn_link(&hc->h->orphans, hc);
	} else
		conn_free(hc);
}

/* ---- replies ---- */

static void
secure_headers(struct MHD_Response *r, int nostore)
{
	MHD_add_response_header(r, "Content-Security-Policy",
	    "default-src 'self'; frame-ancestors 'none'");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cache-Control", nostore ? "no-store" :
	    "no-cache");
}

/* set_reply - the one reply of hc; queued now or when hc is resumed. */
static void
set_reply(struct http_conn *hc, unsigned status, struct MHD_Response *r)
{
	if (hc->resp != NULL || hc->queued) {
		log_warnx("http: a second reply to %s %s was dropped",
		    hc->method, hc->path ? hc->path : "?");
		MHD_destroy_response(r);
		return;
	}
	hc->resp = r;
	hc->status = status;
	wake(hc);
}

static void
reply(struct http_conn *hc, unsigned status, const char *ctype,
    const void *body, size_t len, int nostore)
{
	struct MHD_Response	*r;

	r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL) {
		log_warnx("http: out of memory for a reply");
		return;
	}
	if (ctype != NULL)
		MHD_add_response_header(r, "Content-Type", ctype);
	secure_headers(r, nostore);
	set_reply(hc, status, r);
}

/* JSON string contents: quotes, backslashes and control characters escaped. */
static void
json_escape(char *out, size_t outlen, const char *s)
{
	size_t	 n = 0;

	for (; *s && n + 7 < outlen; s++) {
		unsigned char	 c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c < 0x20 || c == 0x7f)
			n += (size_t)snprintf(out + n, outlen - n, "\\u%04x", c);
		else
			out[n++] = (char)c;
	}
	out[n] = '\0';
}

static void	reply_error_v(struct http_conn *, unsigned, const char *,
		    va_list) __attribute__((format(printf, 3, 0)));

static void
reply_error_v(struct http_conn *hc, unsigned status, const char *fmt,
    va_list ap)
{
	char	 msg[512], esc[1100], body[1200];
	int	 n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	json_escape(esc, sizeof(esc), msg);
	n = snprintf(body, sizeof(body), "{\"error\": \"%s\"}\n", esc);
	reply(hc, status, "application/json", body, (size_t)n, 1);
}

static void
reply_error(struct http_conn *hc, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
reply_error(struct http_conn *hc, unsigned status, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	reply_error_v(hc, status, fmt, ap);
	va_end(ap);
}

void
http_reply(struct http_conn *hc, unsigned status, const char *ctype,
    const void *body, size_t len)
{
	if (hc == NULL)
		return;
	if (hc->l == NULL) {	/* the connection went away meanwhile */
		conn_unlink(&hc->h->orphans, hc);
		conn_free(hc);
		return;
	}
	reply(hc, status, ctype, body, len, 1);
}

void
http_reply_error(struct http_conn *hc, unsigned status, const char *fmt, ...)
{
	va_list	 ap;

	if (hc == NULL)
		return;
	if (hc->l == NULL) {
		conn_unlink(&hc->h->orphans, hc);
		conn_free(hc);
		return;
	}
	va_start(ap, fmt);
	reply_error_v(hc, status, fmt, ap);
	va_end(ap);
}

/* ---- event streams ---- */

/* What MHD sends of a stream: what is buffered; nothing yet: suspend. */
static ssize_t
stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct http_conn	*hc = cls;
	size_t			 n;

	(void)pos;
	if (hc->sdrop)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (hc->slen > 0) {
		n = hc->slen < max ? hc->slen : max;
		memcpy(out, hc->sbuf, n);
		memmove(hc->sbuf, hc->sbuf + n, hc->slen - n);
		hc->slen -= n;
		return (ssize_t)n;
	}
	if (hc->sclose)
		return MHD_CONTENT_READER_END_OF_STREAM;
	MHD_suspend_connection(hc->c);
	hc->suspended = 1;
	return 0;
}

int
http_stream_start(struct http_conn *hc, const char *ctype,
    void (*closed)(void *), void *arg)
{
	struct MHD_Response	*r;

	if (hc == NULL || hc->l == NULL || hc->resp != NULL || hc->queued ||
	    hc->stream)
		return -1;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
	    stream_read, hc, NULL);
	if (r == NULL)
		return -1;
	MHD_add_response_header(r, "Content-Type", ctype);
	secure_headers(r, 1);
	hc->stream = 1;
	hc->closed = closed;
	hc->carg = arg;
	set_reply(hc, 200, r);
	return 0;
}

int
http_stream_write(struct http_conn *hc, const void *p, size_t len)
{
	if (hc == NULL || !hc->stream || hc->l == NULL || hc->sclose ||
	    hc->sdrop)
		return -1;
	if (len > HTTP_STREAM_MAX - hc->slen) {
		/* It does not read: cut it rather than hold more for it. */
		hc->sdrop = 1;
		hc->h->e->http_st.streams_dropped++;
		log_info("http: dropping an event stream whose client does "
		    "not read (%zu bytes waiting)", hc->slen);
		wake(hc);
		return -1;
	}
	if (hc->slen + len > hc->scap) {
		size_t	 cap = hc->scap ? hc->scap : 4096;
		uint8_t	*nb;

		while (cap < hc->slen + len)
			cap *= 2;
		if (cap > HTTP_STREAM_MAX)
			cap = HTTP_STREAM_MAX;
		if ((nb = realloc(hc->sbuf, cap)) == NULL)
			return -1;
		hc->sbuf = nb;
		hc->scap = cap;
	}
	memcpy(hc->sbuf + hc->slen, p, len);
	hc->slen += len;
	wake(hc);
	return 0;
}

void
http_stream_close(struct http_conn *hc)
{
	if (hc == NULL || !hc->stream || hc->l == NULL)
		return;
	hc->sclose = 1;
	wake(hc);
}

/* ---- the signature check, then api.c ---- */

static const char *
header_cb(void *ctx, const char *lcname)
{
	return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, lcname);
}

struct keyctx {
	struct engine	*e;
	int		 enroll;
};

/* An active operator; anyone for POST /api/v1/enroll (the code decides). */
static int
key_known(void *ctx, const uint8_t key[HTTPSIG_KEY])
{
	struct keyctx		*k = ctx;
	const struct operator	*op;

	if (k->enroll)
		return 1;
	op = policy_operator(&k->e->mesh.pol, key);
	return op != NULL && op->active;
}

static void
serve_api(struct http_conn *hc)
{
	struct http		*h = hc->h;
	struct engine		*e = h->e;
	struct httpsig_req	 r;
	struct httpsig_result	 res;
	struct keyctx		 k = { e, 0 };
	enum httpsig_status	 st;
	const struct operator	*op;
	char			 why[256], *rawpath, *q;
	const char		*host;

	if ((rawpath = strdup(hc->uri)) == NULL) {
		reply_error(hc, 500, "out of memory");
		return;
	}
	if ((q = strchr(rawpath, '?')) != NULL)
		*q++ = '\0';
	host = MHD_lookup_connection_value(hc->c, MHD_HEADER_KIND, "Host");
	memset(&r, 0, sizeof(r));
	r.method = hc->method;
	r.scheme = hc->l->tls ? "https" : "http";
	r.authority = host ? host : "";
	r.path = rawpath;
	r.query = q;
	r.header = header_cb;
	r.ctx = hc->c;
	r.body = hc->body;
	r.body_len = hc->body_len;
	k.enroll = strcmp(hc->method, "POST") == 0 &&
	    strcmp(hc->path, "/api/v1/enroll") == 0;
	why[0] = '\0';
	memset(&res, 0, sizeof(res));
	st = httpsig_verify(&r, (int64_t)time(NULL), h->seen, key_known, &k,
	    &res, why, sizeof(why));
	if (st != HTTPSIG_OK) {
		unsigned	 code = st == HTTPSIG_UNKNOWN_KEY ? 403 : 401;

		if ((unsigned)st < HTTP_AUTH_REASONS)
			e->http_st.auth_refused[st]++;
		log_debug("http: %s %s refused: %s: %s", hc->method, hc->path,
		    httpsig_status_name(st), why);
		reply_error(hc, code, "%s", why[0] ? why :
		    httpsig_status_name(st));
		free(rawpath);
		return;
	}
	memset(&hc->req, 0, sizeof(hc->req));
	hc->req.method = hc->method;
	hc->req.path = hc->path;
	/* The raw query, kept with the request: after rawpath's NUL. */
	hc->req.query = "";
	if (q != NULL) {
		size_t	 off = (size_t)(q - rawpath);

		hc->req.query = hc->uri + off;
	}
	hc->req.body = hc->body;
	hc->req.body_len = hc->body_len;
	memcpy(hc->req.key, res.key, sizeof(hc->req.key));
	op = policy_operator(&e->mesh.pol, res.key);
	hc->req.operator = op != NULL && op->active;
	hc->req.conn = hc;
	hc->api = 1;
	free(rawpath);
	api_handle(e, &hc->req);
}

/* ---- /metrics ---- */

static int
is_loopback(const struct sockaddr *sa)
{
	struct wire_addr	 a;
	static const uint8_t	 v6lo[16] = { [15] = 1 };
	static const uint8_t	 mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (sa == NULL || addr_from_sockaddr(&a, sa) == -1)
		return 0;
	if (a.family == 4)
		return a.ip[0] == 127;
	return memcmp(a.ip, v6lo, 16) == 0 ||
	    (memcmp(a.ip, mapped, 12) == 0 && a.ip[12] == 127);
}

static void
serve_metrics(struct http_conn *hc)
{
	struct engine			*e = hc->h->e;
	const union MHD_ConnectionInfo	*ci;
	struct buf			 b;

	ci = MHD_get_connection_info(hc->c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!e->cfg.http_metrics_all && (ci == NULL ||
	    !is_loopback(ci->client_addr))) {
		e->http_st.metrics_refused++;
		reply_error(hc, 403, "/metrics is served to loopback clients "
		    "only (\"http-metrics all\" in rpnd.conf serves everyone)");
		return;
	}
	buf_init(&b, HTTP_METRICS_MAX);
	metrics_render(e, &b);
	if (b.err)
		reply_error(hc, 500, "the metrics do not fit in %d bytes",
		    HTTP_METRICS_MAX);
	else
		reply(hc, 200, "text/plain; version=0.0.4; charset=utf-8",
		    b.p, b.len, 1);
	buf_release(&b);
}

/* ---- static files from web-root ---- */

/*
 * open_beneath - name (relative) inside the directory rootfd, never
 * outside it: openat2(RESOLVE_BENEATH) refuses "..", absolute names and
 * symbolic links that lead out; where the kernel lacks openat2, every
 * symbolic link is refused instead.
 */
static int
open_beneath(int rootfd, const char *name)
{
	struct open_how	 how;
	int		 fd;

	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	fd = (int)syscall(SYS_openat2, rootfd, name, &how, sizeof(how));
	if (fd != -1 || errno != ENOSYS)
		return fd;
	{
		char	 path[WEBPATH_MAX], *p, *save = NULL;
		int	 dfd = dup(rootfd), nfd;

		if (dfd == -1 || strlen(name) >= sizeof(path)) {
			if (dfd != -1)
				close(dfd);
			errno = ENAMETOOLONG;
			return -1;
		}
		strlcpy(path, name, sizeof(path));
		for (p = strtok_r(path, "/", &save); p != NULL; p = strtok_r(NULL,
		    "/", &save)) {
			int	 last = save == NULL || *save == '\0';

			nfd = openat(dfd, p, (last ? O_RDONLY | O_NONBLOCK :
			    O_PATH | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC);
			close(dfd);
			if (nfd == -1)
				return -1;
			dfd = nfd;
		}
		return dfd;
	}
}

static void
serve_file(struct http_conn *hc)
{
	struct http		*h = hc->h;
	struct engine		*e = h->e;
	const char		*p = hc->path, *why;
	char			 name[WEBPATH_MAX];
	struct stat		 sb;
	struct MHD_Response	*r;
	int			 fd;

	if (strcmp(hc->method, "GET") != 0 && strcmp(hc->method, "HEAD") != 0) {
		reply_error(hc, 405, "%s: only GET and HEAD here", hc->method);
		return;
	}
	if (webpath_file(p, hc->uri, name, sizeof(name), &why) == -1) {
		e->http_st.bad_path++;
		reply_error(hc, 400, "refused path: %s", why);
		return;
	}
	if (h->rootfd == -1) {
		reply_error(hc, 404, "no web-root (%s)", h->root);
		return;
	}
	if ((fd = open_beneath(h->rootfd, name)) == -1) {
		if (errno == EXDEV || errno == ELOOP) {
			e->http_st.bad_path++;
			reply_error(hc, 403, "%s leads outside web-root", p);
		} else
			reply_error(hc, 404, "no such file: %s", p);
		return;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > HTTP_FILE_MAX) {
		close(fd);
		reply_error(hc, 404, "no such file: %s", p);
		return;
	}
	/* MHD reads it as it sends, and closes it. */
	if ((r = MHD_create_response_from_fd((uint64_t)sb.st_size, fd)) ==
	    NULL) {
		close(fd);
		reply_error(hc, 500, "out of memory");
		return;
	}
	MHD_add_response_header(r, "Content-Type", webpath_type(name));
	secure_headers(r, 0);
	set_reply(hc, 200, r);
}

static void
dispatch(struct http_conn *hc)
{
	const char	*p = hc->path;

	hc->h->e->http_st.requests++;
	if (strncmp(p, "/api/", 5) == 0 || strcmp(p, "/api") == 0)
		serve_api(hc);
	else if (strcmp(p, "/metrics") == 0 && (strcmp(hc->method, "GET") == 0 ||
	    strcmp(hc->method, "HEAD") == 0))
		serve_metrics(hc);
	else
		serve_file(hc);
}

static enum MHD_Result
queue(struct http_conn *hc)
{
	enum MHD_Result	 rc;

	rc = MHD_queue_response(hc->c, hc->status, hc->resp);
	MHD_destroy_response(hc->resp);
	hc->resp = NULL;
	hc->queued = 1;
	return rc;
}

/* MHD's access handler: headers, then the body in pieces, then the end. */
static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **req_cls)
{
	struct http_conn	*hc = *req_cls;
	const char		*cl;

	(void)cls;
	(void)version;
	if (hc == NULL)
		return MHD_NO;
	if (!hc->started) {
		uint64_t	 n;

		hc->started = 1;
		hc->c = c;
		strlcpy(hc->method, method, sizeof(hc->method));
		if ((hc->path = strdup(url)) == NULL)
			return MHD_NO;
		if (strlen(hc->uri) > HTTP_URI_MAX) {
			reply_error(hc, 414, "the request target is longer "
			    "than %d bytes", HTTP_URI_MAX);
			return queue(hc);
		}
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && (parse_u64(cl, UINT64_MAX, &n) == -1 ||
		    n > HTTP_BODY_MAX)) {
			hc->h->e->http_st.too_large++;
			reply_error(hc, 413, "request bodies are limited to %d "
			    "bytes", HTTP_BODY_MAX);
			return queue(hc);
		}
		return MHD_YES;
	}
	if (*upload_size != 0) {
		size_t	 n = *upload_size;
		uint8_t	*nb;

		*upload_size = 0;
		if (hc->queued || hc->resp != NULL)
			return MHD_YES;
		if (n > HTTP_BODY_MAX - hc->body_len) {
			/* A chunked body that grew too large. */
			hc->h->e->http_st.too_large++;
			reply_error(hc, 413, "request bodies are limited to %d "
			    "bytes", HTTP_BODY_MAX);
			return queue(hc);
		}
		if ((nb = realloc(hc->body, hc->body_len + n)) == NULL)
			return MHD_NO;
		hc->body = nb;
		memcpy(hc->body + hc->body_len, upload, n);
		hc->body_len += n;
		return MHD_YES;
	}
	if (hc->queued)
		return MHD_YES;
	if (hc->resp != NULL)
		return queue(hc);
	if (hc->dispatched) {
		/* Resumed with nothing to send (cannot happen): wait again. */
		MHD_suspend_connection(c);
		hc->suspended = 1;
		return MHD_YES;
	}
	hc->dispatched = 1;
	hc->in_handler = 1;
	dispatch(hc);
	hc->in_handler = 0;
	if (hc->resp != NULL)
		return queue(hc);
	MHD_suspend_connection(c);
	hc->suspended = 1;
	return MHD_YES;
}

/* MHD's messages go to our log; the last one explains a failed start. */
static void	mhd_log(void *, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct http	*h = cls;
	char		 msg[256];
	size_t		 n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '.'))
		msg[--n] = '\0';
	strlcpy(h->mhd_err, msg, sizeof(h->mhd_err));
	log_debug("http: %s", msg);
}

/* ---- listeners ---- */

static void
lsn_handle_closed(uv_handle_t *hd)
{
	struct http_lsn	*l = hd->data;

	if (--l->handles == 0) {
		free(l->cert);
		if (l->key != NULL) {
			explicit_bzero(l->key, strlen(l->key));
			free(l->key);
		}
		free(l);
	}
}

static struct http_lsn *
lsn_open(struct http *h, const struct wire_addr *a, int tls, char *err,
    size_t errlen)
{
	struct engine			*e = h->e;
	struct http_lsn			*l;
	struct sockaddr_storage		 ss;
	socklen_t			 sslen;
	const union MHD_DaemonInfo	*di;
	unsigned			 flags;
	char				 as[ADDRSTRLEN];
	struct MHD_OptionItem		 tlsopt[3];
	int				 created = 0;

	fmt_addr(as, sizeof(as), a, 1);
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->h = h;
	l->tls = tls;
	l->addr = *a;
	if (tls && tlscert_load_or_create(e->statefd, a, e->mesh.name[0] ?
	    e->mesh.name : "rpnd", &l->cert, &l->key, h->fpr, &created, err,
	    errlen) == -1) {
		free(l);
		return NULL;
	}
	if (created)
		log_info("made a self-signed certificate for https-listen %s, "
		    "SHA-256 fingerprint %s", as, h->fpr);
	if (addr_to_sockaddr(a, &ss, &sslen) == -1) {
		snprintf(err, errlen, "%s: bad address", as);
		goto fail;
	}
	flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (a->family == 6)
		flags |= MHD_USE_IPv6;
	if (tls)
		flags |= MHD_USE_TLS;
	h->mhd_err[0] = '\0';
	/* HTTPS: the certificate's two options; HTTP: none (the END). */
	tlsopt[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0,
	    l->key };
	tlsopt[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0,
	    l->cert };
	tlsopt[2] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	l->d = MHD_start_daemon(flags, a->port, NULL, NULL, access_cb, l,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_cb, l,
	    MHD_OPTION_NOTIFY_COMPLETED, completed_cb, l,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONN_LIMIT,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_PER_IP_LIMIT,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT_S,
	    MHD_OPTION_ARRAY, tls ? tlsopt : tlsopt + 2,
	    MHD_OPTION_END);
	if (l->d == NULL) {
		snprintf(err, errlen, "%s", h->mhd_err[0] ? h->mhd_err :
		    "libmicrohttpd refused");
		log_warnx("http: cannot listen on %s: %s", as, err);
		goto fail;
	}
	if ((di = MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_EPOLL_FD)) ==
	    NULL || uv_poll_init(&e->loop, &l->poll, di->epoll_fd) != 0) {
		snprintf(err, errlen, "%s: no epoll descriptor", as);
		MHD_stop_daemon(l->d);
		goto fail;
	}
	uv_timer_init(&e->loop, &l->timer);
	l->poll.data = l->timer.data = l;
	l->handles = 2;
	uv_poll_start(&l->poll, UV_READABLE, poll_cb);
	lsn_run(l);
	log_info("console listening on %s://%s", tls ? "https" : "http", as);
	return l;
fail:
	free(l->cert);
	if (l->key != NULL) {
		explicit_bzero(l->key, strlen(l->key));
		free(l->key);
	}
	free(l);
	return NULL;
}

static void
lsn_close(struct http_lsn *l)
{
	struct http_conn	*hc;

	if (l == NULL)
		return;
	/* The poll handle lets go of the epoll fd before MHD closes it. */
	uv_close((uv_handle_t *)&l->poll, lsn_handle_closed);
	uv_close((uv_handle_t *)&l->timer, lsn_handle_closed);
	/* MHD will not stop with connections suspended: resume them all. */
	for (hc = l->conns; hc != NULL; hc = hc->next)
		if (hc->suspended) {
			hc->suspended = 0;
			MHD_resume_connection(hc->c);
		}
	MHD_stop_daemon(l->d);
	l->d = NULL;
	/* Requests MHD never told us were over (it should have). */
	while ((hc = l->conns) != NULL) {
		hc->prev = NULL;	/* the head's (says so to the analyzer) */
		completed_cb(l, NULL, (void **)&hc,
		    MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN);
	}
}

static void
open_root(struct http *h, const char *dir)
{
	int	 fd;

	if ((fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_warn("http: web-root %s", dir);
		snprintf(h->problem, sizeof(h->problem), "web-root %.300s: %s", dir,
		    strerror(errno));
		if (h->rootfd != -1 && strcmp(h->root, dir) != 0)
			return;	/* keep the old one */
	}
	if (h->rootfd != -1)
		close(h->rootfd);
	h->rootfd = fd;
	strlcpy(h->root, dir, sizeof(h->root));
}

/*
 * move - listener i to address a (family 0: off).  The new one is opened
 * before the old one closes; if it cannot be (the same port on another
 * address of this host conflicts with the old socket), the old one closes
 * first and comes back if the new one still fails.
 */
static void
move(struct http *h, int i, const struct wire_addr *a)
{
	struct http_lsn	*old = h->lsn[i], *nl;
	char		 err[512], as[ADDRSTRLEN];
	const char	*what = i == L_HTTPS ? "https-listen" : "http-listen";

	if ((old == NULL && a->family == 0) || (old != NULL &&
	    addr_eq(&old->addr, a)))
		return;
	if (a->family == 0) {
		log_info("%s off: closing %s", what, i == L_HTTPS ? "HTTPS" :
		    "HTTP");
		lsn_close(old);
		h->lsn[i] = NULL;
		if (i == L_HTTPS)
			h->fpr[0] = '\0';
		return;
	}
	fmt_addr(as, sizeof(as), a, 1);
	if ((nl = lsn_open(h, a, i == L_HTTPS, err, sizeof(err))) == NULL &&
	    old != NULL) {
		struct wire_addr	 oa = old->addr;

		lsn_close(old);
		h->lsn[i] = old = NULL;
		if ((nl = lsn_open(h, a, i == L_HTTPS, err,
		    sizeof(err))) == NULL) {
			char	 e2[512];

			h->lsn[i] = lsn_open(h, &oa, i == L_HTTPS, e2,
			    sizeof(e2));
		}
	}
	if (nl == NULL) {
		char	 os[ADDRSTRLEN];

		if (h->lsn[i] != NULL) {
			fmt_addr(os, sizeof(os), &h->lsn[i]->addr, 1);
			snprintf(h->problem, sizeof(h->problem), "%s %s: %.300s; "
			    "still listening on %s", what, as, err, os);
		} else
			snprintf(h->problem, sizeof(h->problem), "%s %s: %.300s",
			    what, as, err);
		log_warnx("%s (rpnd goes on without it)", h->problem);
		return;
	}
	lsn_close(old);
	h->lsn[i] = nl;
}

static void
apply(struct http *h)
{
	struct engine	*e = h->e;

	h->problem[0] = '\0';
	if (h->rootfd == -1 || strcmp(h->root, e->cfg.web_root) != 0)
		open_root(h, e->cfg.web_root);
	move(h, L_HTTP, &e->cfg.http_listen);
	move(h, L_HTTPS, &e->cfg.https_listen);
}

int
http_start(struct engine *e, char *err, size_t errlen)
{
	struct http	*h;

	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->seen = httpsig_seen_new(HTTP_NONCES)) == NULL) {
		free(h);
		snprintf(err, errlen, "http: out of memory");
		return -1;
	}
	/* A client that goes away mid-reply is an error to handle, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	h->e = e;
	h->rootfd = -1;
	e->http = h;
	apply(h);
	return 0;
}

void
http_reload(struct engine *e)
{
	if (e->http != NULL)
		apply(e->http);
}

void
http_stop(struct engine *e)
{
	struct http		*h = e->http;
	struct http_conn	*hc;

	if (h == NULL)
		return;
	lsn_close(h->lsn[L_HTTP]);
	lsn_close(h->lsn[L_HTTPS]);
	/* Requests api.c never answered: nobody will now. */
	while ((hc = h->orphans) != NULL) {
		hc->prev = NULL;
		conn_unlink(&h->orphans, hc);
		conn_free(hc);
	}
	if (h->rootfd != -1)
		close(h->rootfd);
	httpsig_seen_free(h->seen);
	free(h);
	e->http = NULL;
}

void
http_view(struct engine *e, struct http_view *v)
{
	struct http	*h = e->http;

	memset(v, 0, sizeof(*v));
	if (h == NULL) {
		strlcpy(v->problem, "the HTTP server did not start",
		    sizeof(v->problem));
		return;
	}
	if (h->lsn[L_HTTP] != NULL)
		v->listen = h->lsn[L_HTTP]->addr;
	if (h->lsn[L_HTTPS] != NULL) {
		v->https_listen = h->lsn[L_HTTPS]->addr;
		strlcpy(v->fingerprint, h->fpr, sizeof(v->fingerprint));
	}
	strlcpy(v->problem, h->problem, sizeof(v->problem));
}
