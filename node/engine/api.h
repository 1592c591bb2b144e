/* api.h: the console's JSON API under /api/v1/ (api.c); docs/http.md. */
#ifndef RPN_ENGINE_API_H
#define RPN_ENGINE_API_H

struct ctl_reply;
struct ctl_req;
struct engine;
struct http_req;

/* Answer one signed request; may answer later, through req->conn. */
void	api_handle(struct engine *, struct http_req *);
/* Something the pages show changed ("members", "services", "operators",
 * "audit", "node"): tell the open event streams. */
void	api_changed(struct engine *, const char *what);
/* CTL_WEB_ENROLL and CTL_WEB_WAIT (rpnctl web enroll), for ctlcmd.c. */
void	api_ctl(struct engine *, struct ctl_reply *, const struct ctl_req *);
/* At shutdown: waiting rpnctl told, codes wiped, timers closed. */
void	api_stop(struct engine *);

#endif
