/* ctlgov.h: the governance replies: operators and the audit log (ctlgov.c). */
#ifndef RPN_ENGINE_CTLGOV_H
#define RPN_ENGINE_CTLGOV_H

struct buf;
struct engine;

void	ctlview_operators(struct buf *, struct engine *);
void	ctlview_audit(struct buf *, struct engine *);

#endif
