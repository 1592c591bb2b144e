/* cli.h: what rpn and rpnctl share: global options, the subcommand table, errors. */
#ifndef RPN_CLI_H
#define RPN_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "ctl/client.h"
#include "ctl/operator.h"

struct cli_cmd {
	const char	*name;
	int		(*fn)(int argc, char **argv);
	const char	*usage;		/* after "PROG NAME " */
	const char	*desc;
	const char	*options;	/* "COMMAND --help" only; may be NULL */
};

extern const char	*cli_prog;
extern const char	*cli_sock;

const struct cli_cmd *cli_cmd_find(const struct cli_cmd *, const char *name);
const struct cli_cmd *cli_cmd_nearest(const struct cli_cmd *, const char *name);
int	cli_unknown_sub(const struct cli_cmd *, const char *sub,
	    const char *const *subs);
int	cli_main(int argc, char **argv, const struct cli_cmd *, const char *about);
int	cli_usage_error(const struct cli_cmd *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	cli_help(FILE *, const struct cli_cmd *);
int	cli_bad_option(const struct cli_cmd *, int ch, const char *optstring,
	    char **argv);
int	cli_once(const struct cli_cmd *, int argc, char **argv,
	    const char *optstring, const struct option *longopts);
int	cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int	cli_call(const struct ctl_req *, struct mp_doc *, int timeout_ms);
int	cli_status(struct mp_doc *, struct op_mesh *);
int	cli_opkey(struct opkey *);
int	cli_submit(const struct opkey *, const struct op_mesh *, struct oprec *);

#endif
