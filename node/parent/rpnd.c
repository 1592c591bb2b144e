/* rpnd.c: the agent's privileged parent: sets up, starts the engine, serves its requests. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sodium.h>

#include "node/core/config.h"
#include "node/core/log.h"
#include "node/parent/parent.h"
#include "node/core/privsep.h"
#include "proto/compat.h"
#include "proto/parse.h"
#include "proto/version.h"

#define STOP_GRACE_MS	5000
#define LOCK_FILE	"rpnd.lock"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: rpnd [-dnv] [-f CONFIG] [-s SOCKET] [-S STATE_DIR]\n"
	    "            [--uplink IFACE[@GATEWAY]]... [--lan IFACE]...\n"
	    "            [--web-root DIR]\n"
	    "       rpnd --teardown [-d] [-s SOCKET] [-S STATE_DIR]\n"
	    "\n"
	    "The rpn agent: joins this node to its mesh and programs the kernel.\n"
	    "\n"
	    "  -d            debug logging\n"
	    "  -f CONFIG     configuration file (default " RPND_CONF ")\n"
	    "  -s SOCKET     control socket (default " RPND_SOCK ")\n"
	    "  -S STATE_DIR  keys and mesh state (default " RPND_STATE ")\n"
	    "  -n            check the configuration and exit; with -v, print it\n"
	    "  --teardown    remove rpn's kernel state (table, rules, routes,\n"
	    "                sysctls saved beside SOCKET) while no rpnd runs,\n"
	    "                and exit\n"
	    "  --uplink, --lan  interfaces, as in rpnd.conf(5)\n"
	    "  --web-root DIR   the console's files (over rpnd.conf's web-root)\n"
	    "  -h, --help    this text;  -V, --version  the version\n"
	    "\n"
	    "See rpnd(8) and rpnd.conf(5).\n");
}

/*
 * give_file - hand STATE/name to the engine's user (its uid may have
 * changed since the file was made).  The directory is the engine's: an
 * engine taken over could have left a symlink or a hard link to any of
 * root's files under that name, and root would hand the file over at the
 * next start.  So the name is opened without following a symlink (O_PATH:
 * no device or FIFO is opened), and only a regular file with one link that
 * root does not own changes owner, through that descriptor.  Anything else
 * stops rpnd: it is not what the engine writes.
 */
static int
give_file(int dirfd, const char *dir, const char *name, uid_t uid, gid_t gid,
    const char *user)
{
	struct stat	 st;
	int		 fd, rc = -1;

	if ((fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("%s/%s", dir, name);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		log_warn("%s/%s", dir, name);
		goto out;
	}
	if (st.st_uid == uid) {
		rc = 0;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid == 0) {
		log_warnx("%s/%s is %s owned by uid %u, not by %s: not handing "
		    "it to %s; remove it (or chown it to %s if rpn made it)",
		    dir, name, !S_ISREG(st.st_mode) ? "not a regular file," :
		    st.st_nlink != 1 ? "a file with several hard links," :
		    "a file", (unsigned)st.st_uid, user, user, user);
		goto out;
	}
	if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) == -1) {
		log_warn("chown %s/%s", dir, name);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/*
 * lock_state_dir - one rpnd per state directory: two would write the same
 * state file and sign records with one key at the same versions.  The lock
 * is flock(2) on STATE/rpnd.lock through this process's open file (not
 * inherited by the engine), so it lasts exactly as long as the parent; the
 * file holds the parent's pid for the message.  The directory is the
 * engine's: the name is opened without following a symlink, and only a
 * regular file of root's with one link is locked and written.
 */
static int
lock_state_dir(int dirfd, const char *dir)
{
	struct stat	 st;
	char		 buf[32], *end;
	ssize_t		 n;
	long		 pid;
	int		 fd;

	if ((fd = openat(dirfd, LOCK_FILE, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC, 0644)) == -1) {
		log_warn("%s/%s", dir, LOCK_FILE);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    st.st_uid != 0) {
		log_warnx("%s/%s is not rpnd's lock file (a regular file of "
		    "root's with one link); remove it", dir, LOCK_FILE);
		close(fd);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK) {
			log_warn("flock %s/%s", dir, LOCK_FILE);
			close(fd);
			return -1;
		}
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		pid = strtol(buf, &end, 10);
		if (end == buf || pid <= 0)
			log_warnx("another rpnd uses %s", dir);
		else
			log_warnx("another rpnd uses %s (pid %ld)", dir, pid);
		close(fd);
		return -1;
	}
	if (ftruncate(fd, 0) == -1 || dprintf(fd, "%d\n", (int)getpid()) < 0)
		log_warn("%s/%s: cannot write the pid", dir, LOCK_FILE);
	return fd;
}

/* ---- rpnd --teardown ---- */

#define TEARDOWN_STOP	"stop it first (or run \"rpn leave\", which also " \
			"removes rpn's kernel state)"

/*
 * teardown_lock - the lock of the state directory dir, taken shared for
 * the teardown: a running rpnd holds it (refused, with its pid), and no
 * rpnd can start on dir while the teardown holds it (*fdp, -1 when dir has
 * no lock file: no rpnd ever ran there).  0, or -1 with the reason in err.
 */
static int
teardown_lock(const char *dir, int *fdp, char *err, size_t errlen)
{
	char		 path[PATH_MAX], buf[32], *end;
	struct stat	 st;
	ssize_t		 n;
	long		 pid;
	int		 fd;

	*fdp = -1;
	snprintf(path, sizeof(path), "%s/%s", dir, LOCK_FILE);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		snprintf(err, errlen, "cannot tell whether an rpnd uses %s: "
		    "%s: %s", dir, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "cannot tell whether an rpnd uses %s: "
		    "%s is not rpnd's lock file", dir, path);
		close(fd);
		return -1;
	}
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		*fdp = fd;
		return 0;
	}
	if (errno != EWOULDBLOCK)
		snprintf(err, errlen, "cannot tell whether an rpnd uses %s: "
		    "flock %s: %s", dir, path, strerror(errno));
	else {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		pid = strtol(buf, &end, 10);
		if (end == buf || pid <= 0)
			snprintf(err, errlen, "an rpnd is running: it holds %s; "
			    TEARDOWN_STOP, path);
		else
			snprintf(err, errlen, "rpnd (pid %ld) is running: it "
			    "holds %s; " TEARDOWN_STOP, pid, path);
	}
	close(fd);
	return -1;
}

/* socket_answers - something accepts connections on the socket sock. */
static int
socket_answers(const char *sock)
{
	struct sockaddr_un	 sun;
	int			 fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, sock, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path) ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	return rc == 0;
}

/* read_small - up to len - 1 bytes of path, NUL-terminated; -1 or the count. */
static ssize_t
read_small(const char *path, char *buf, size_t len)
{
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/*
 * rpnd_in_netns - an rpnd (its root parent, named "rpnd") other than this
 * one, and not a teardown itself, in this network namespace: the kernel
 * state is the namespace's, whatever socket and state directory that rpnd
 * was given.  Its pid and command line in cmd; 0 when there is none; -1
 * with the reason in err when /proc cannot say.
 */
static pid_t
rpnd_in_netns(char *cmd, size_t cmdlen, char *err, size_t errlen)
{
	struct stat	 self, st;
	struct dirent	*de;
	DIR		*d;
	char		 path[64], buf[1024], *end;
	ssize_t		 n;
	pid_t		 found = 0;
	long		 pid;

	if (stat("/proc/self/ns/net", &self) == -1 ||
	    (d = opendir("/proc")) == NULL) {
		snprintf(err, errlen, "cannot tell whether an rpnd runs in "
		    "this network namespace: /proc: %s", strerror(errno));
		return -1;
	}
	while (found == 0 && (de = readdir(d)) != NULL) {
		pid = strtol(de->d_name, &end, 10);
		if (*end != '\0' || pid <= 0 || pid == (long)getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
		if (read_small(path, buf, sizeof(buf)) == -1 ||
		    strcmp(buf, "rpnd\n") != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld", pid);
		if (stat(path, &st) == -1 || st.st_uid != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
		if (stat(path, &st) == -1 || st.st_dev != self.st_dev ||
		    st.st_ino != self.st_ino)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
		if ((n = read_small(path, buf, sizeof(buf))) <= 0)
			continue;
		cmd[0] = '\0';
		for (char *a = buf; a < buf + n; a += strlen(a) + 1) {
			if (strcmp(a, "--teardown") == 0)
				break;
			if (cmd[0] != '\0')
				strlcat(cmd, " ", cmdlen);
			strlcat(cmd, a, cmdlen);
			if (a + strlen(a) + 1 >= buf + n)
				found = (pid_t)pid;
		}
	}
	closedir(d);
	return found;
}

/*
 * teardown - "rpnd --teardown": refused while an rpnd runs, which would
 * put it all back (and whose table it would be removing).  Whether one
 * runs is asked three ways, so that no path given wrongly hides it: the
 * state directory's lock, the control socket, and, whatever either was,
 * any rpnd in this network namespace.  Then it says what it did.
 */
static int
teardown_run(const struct parent *p)
{
	struct teardown_report	 rep;
	char			 err[PATH_MAX + 256], cmd[256];
	pid_t			 pid;
	int			 lockfd, rc;

	if (geteuid() != 0) {
		fprintf(stderr, "rpnd: --teardown must run as root\n");
		return 1;
	}
	if (teardown_lock(p->state_dir, &lockfd, err, sizeof(err)) == -1) {
		fprintf(stderr, "rpnd: --teardown: %s\n", err);
		return 1;
	}
	rc = 1;
	if (socket_answers(p->sock)) {
		fprintf(stderr, "rpnd: --teardown: rpnd is running on %s: "
		    TEARDOWN_STOP "\n", p->sock);
		goto out;
	}
	if ((pid = rpnd_in_netns(cmd, sizeof(cmd), err, sizeof(err))) != 0) {
		if (pid == -1)
			fprintf(stderr, "rpnd: --teardown: %s\n", err);
		else
			fprintf(stderr, "rpnd: --teardown: an rpnd runs in this "
			    "network namespace (pid %d: %s): " TEARDOWN_STOP
			    "\n", (int)pid, cmd);
		goto out;
	}
	if (host_teardown_offline(p->sock, &rep, err, sizeof(err)) == -1)
		fprintf(stderr, "rpnd: --teardown: %s\n", err);
	else
		rc = 0;
	if (rep.steps >= 1)
		printf(rep.table ? "removed table inet rpn\n" :
		    "no table inet rpn to remove\n");
	if (rep.steps >= 2 && rep.routes > 0)
		printf("removed %u rules and routes of rpn's (protocol 114)\n",
		    rep.routes);
	else if (rep.steps >= 2)
		printf("no rules or routes of rpn's (protocol 114) to remove\n");
	if (rep.steps < 3)
		;	/* it stopped before */
	else if (!rep.saved_found)
		printf("no saved sysctls at %s: none put back (rpnd keeps the "
		    "values it changed beside the control socket it ran with, "
		    "as SOCKET.kernel: name that socket with -s SOCKET)\n",
		    rep.saved);
	else if (rep.nsaved == 0)
		printf("no sysctls were saved in %s: none put back\n",
		    rep.saved);
	else if (rep.restored == rep.nsaved)
		printf("put back %d sysctls rpnd had changed, from %s\n",
		    rep.restored, rep.saved);
	else
		printf("put back %d of the %d sysctls saved in %s (the others' "
		    "interfaces are gone)\n", rep.restored, rep.nsaved,
		    rep.saved);
out:
	if (lockfd != -1)
		close(lockfd);
	return rc;
}

/*
 * prepare_state_dir - make the state directory the engine's, every
 * ancestor letting it through, and lock it (*lockfd, held until exit).
 */
static int
prepare_state_dir(const char *dir, uid_t uid, gid_t gid, const char *user,
    int *lockfd)
{
	char		 path[4096], *p;
	struct stat	 st;
	const char	*files[] = { "node.key", "root.key", "state" };
	int		 dirfd, rc = -1;

	if (strlen(dir) >= sizeof(path) || dir[0] != '/') {
		log_warnx("the state directory must be an absolute path: %s", dir);
		return -1;
	}
	strlcpy(path, dir, sizeof(path));
	for (p = path + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char	 save = *p;

			*p = '\0';
			if (mkdir(path, save ? 0755 : 0700) == -1 &&
			    errno != EEXIST) {
				log_warn("mkdir %s", path);
				return -1;
			}
			if (save && stat(path, &st) == 0 && st.st_uid != uid &&
			    !(st.st_mode & S_IXOTH)) {
				log_warnx("user %s cannot reach %s: %s is mode %03o",
				    user, dir, path, (unsigned)(st.st_mode & 0777));
				return -1;
			}
			*p = save;
			if (save == '\0')
				break;
		}
	}
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_warn("%s", dir);
		return -1;
	}
	/* Before anything changes: the directory may be another rpnd's. */
	if ((*lockfd = lock_state_dir(dirfd, dir)) == -1)
		goto out;
	if (fchown(dirfd, uid, gid) == -1 || fchmod(dirfd, 0700) == -1) {
		log_warn("chown %s", dir);
		goto out;
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (give_file(dirfd, dir, files[i], uid, gid, user) == -1)
			goto out;
	rc = 0;
out:
	close(dirfd);
	return rc;
}

/* One directory on the way to the control socket; see check_sock_dir(). */
static int
sock_dir_ok(const char *path, const char *dir, int last)
{
	struct stat	 st;

	if (stat(path, &st) == -1) {
		log_warn("%s", path);
		return -1;
	}
	if (st.st_uid == 0 && (!(st.st_mode & 022) ||
	    (!last && (st.st_mode & S_ISVTX))))
		return 0;
	log_warnx("control socket directory %s: %s is mode %04o, owned by "
	    "uid %u: another user could put a socket of its own where clients "
	    "look for rpnd; it must be root's and writable by root only", dir,
	    path, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
	return -1;
}

/*
 * check_sock_dir - clients find rpnd by the socket's path, so only root may
 * be able to put something else there: the directory must be root's and
 * writable by root only (with the sticky bit, another user could still
 * bind the name while rpnd is stopped), and each directory above it root's
 * and writable by others only if sticky (as /tmp), so that none can be
 * renamed away and replaced.
 */
static int
check_sock_dir(const char *dir)
{
	char	 path[PATH_MAX], cwd[PATH_MAX];
	size_t	 len;
	int	 n;

	if (dir[0] == '/')
		n = snprintf(path, sizeof(path), "%s", dir);
	else if (getcwd(cwd, sizeof(cwd)) != NULL)
		n = snprintf(path, sizeof(path), "%s/%s", cwd, dir);
	else {
		log_warn("getcwd");
		return -1;
	}
	if (n < 0 || (size_t)n >= sizeof(path)) {
		log_warnx("control socket directory %s: path too long", dir);
		return -1;
	}
	len = (size_t)n;
	if (sock_dir_ok("/", dir, len == 1) == -1)
		return -1;
	for (size_t i = 1; i <= len; i++) {
		char	 save = path[i];

		/* Each prefix that ends a component, down to the directory. */
		if ((save != '/' && save != '\0') || path[i - 1] == '/')
			continue;
		path[i] = '\0';
		if (sock_dir_ok(path, dir, i == len) == -1)
			return -1;
		path[i] = save;
	}
	return 0;
}

/* The control socket: made here, as root, 0600; the engine only accepts on it. */
static int
open_ctl_socket(const char *path)
{
	struct sockaddr_un	 sun;
	char			 dir[sizeof(sun.sun_path)], *d;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		log_warnx("control socket path too long: %s", path);
		return -1;
	}
	strlcpy(dir, path, sizeof(dir));
	d = dirname(dir);
	if (mkdir(d, 0755) == -1 && errno != EEXIST) {
		log_warn("mkdir for %s", path);
		return -1;
	}
	if (check_sock_dir(d) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		log_warnx("another rpnd is running on %s", path);
		close(fd);
		return -1;
	}
	close(fd);
	unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0600) == -1 || listen(fd, 16) == -1) {
		log_warn("control socket %s", path);
		return -1;
	}
	return fd;
}

/* An interface named by the file (line > 0) or by --uplink/--lan. */
static int
check_iface(const struct parent *p, const char *kind, const char *name,
    int line, char *err, size_t errlen)
{
	if (if_nametoindex(name) != 0)
		return 0;
	if (line > 0)
		snprintf(err, errlen, "%s:%d: %s %s: no such interface",
		    p->cfg_path, line, kind, name);
	else
		snprintf(err, errlen, "--%s %s: no such interface", kind, name);
	return -1;
}

/*
 * check_host - what the configuration names must exist on this host: the
 * engine's user and the uplinks and LANs.  Both -n and a start run it, so
 * a configuration -n passed does not stop rpnd at its next start.  err
 * says where the name came from.
 */
static int
check_host(const struct parent *p, const struct rpnd_config *c, uid_t *uid,
    gid_t *gid, char *err, size_t errlen)
{
	char	 why[400];

	for (int i = 0; i < c->nuplinks; i++)
		if (check_iface(p, "uplink", c->uplinks[i].ifname,
		    c->line.uplink[i], err, errlen) == -1)
			return -1;
	for (int i = 0; i < c->nlans; i++)
		if (check_iface(p, "lan", c->lans[i], c->line.lan[i],
		    err, errlen) == -1)
			return -1;
	if (priv_lookup_user(c->user, uid, gid, why, sizeof(why)) == -1) {
		if (c->line.user > 0)
			snprintf(err, errlen, "%s:%d: %s", p->cfg_path,
			    c->line.user, why);
		else
			snprintf(err, errlen, "%s", why);
		return -1;
	}
	return 0;
}

/*
 * open_engine - the engine's program, rpnd-engine beside rpnd's own,
 * opened once at start, so that the engine started is the one installed
 * with this rpnd even if an upgrade replaces the files meanwhile.  It runs
 * as root until it drops to its user, so it is held to what rpnd itself
 * is: a program (ELF, not a script, not a symbolic link) in a directory,
 * both root's or rpnd's own owner's, that neither group nor others may
 * write.
 */
static int
open_engine(struct parent *p, char *err, size_t errlen)
{
	char		 self[PATH_MAX], *dir;
	unsigned char	 magic[4];
	struct stat	 st, dst, own;
	ssize_t		 n;
	int		 fd = -1, dfd;

	if ((n = readlink("/proc/self/exe", self, sizeof(self))) == -1 ||
	    stat("/proc/self/exe", &own) == -1) {
		snprintf(err, errlen, "cannot find rpnd's own program: "
		    "/proc/self/exe: %s", strerror(errno));
		return -1;
	}
	if ((size_t)n >= sizeof(self)) {
		snprintf(err, errlen, "rpnd's own path is too long");
		return -1;
	}
	self[n] = '\0';
	dir = dirname(self);
	if (snprintf(p->engine_path, sizeof(p->engine_path), "%s/rpnd-engine",
	    dir) >= (int)sizeof(p->engine_path)) {
		snprintf(err, errlen, "the engine's path is too long");
		return -1;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fstat(dfd, &dst) == -1) {
		snprintf(err, errlen, "rpnd's directory %.400s: %s", dir,
		    strerror(errno));
		goto fail;
	}
	if ((dst.st_uid != 0 && dst.st_uid != own.st_uid) ||
	    (dst.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(err, errlen, "rpnd's directory %.400s may be written "
		    "by others than root and rpnd's owner: rpnd starts no "
		    "engine from it", dir);
		goto fail;
	}
	if ((fd = openat(dfd, "rpnd-engine", O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1 || fstat(fd, &st) == -1) {
		snprintf(err, errlen, "the engine's program %.400s: %s",
		    p->engine_path, errno == ELOOP ? "a symbolic link (rpnd "
		    "starts only a file)" : errno == ENOENT ? "no such file "
		    "(it is installed beside rpnd)" : strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0 ||
	    pread(fd, magic, sizeof(magic), 0) != (ssize_t)sizeof(magic) ||
	    memcmp(magic, "\177ELF", 4) != 0)
		snprintf(err, errlen, "the engine's program %.400s is not an "
		    "executable ELF file", p->engine_path);
	else if (st.st_uid != 0 && st.st_uid != own.st_uid)
		snprintf(err, errlen, "the engine's program %.400s belongs to uid "
		    "%u, neither root nor rpnd's owner", p->engine_path,
		    (unsigned)st.st_uid);
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		snprintf(err, errlen, "the engine's program %.400s may be written "
		    "by its group or by others (it starts as root)",
		    p->engine_path);
	else {
		close(dfd);
		p->engine_fd = fd;
		return 0;
	}
fail:
	if (fd != -1)
		close(fd);
	if (dfd != -1)
		close(dfd);
	return -1;
}

static pid_t
start_engine(struct parent *p, int argc, char **argv, uid_t uid, gid_t gid)
{
	char	 cred[64];

	int	 sp[2];
	pid_t	 pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1)
		fatal("socketpair");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		char	**nargv = calloc((size_t)argc + 3, sizeof(char *));
		int	 a, b, exe;
		sigset_t none;

		if (nargv == NULL)
			_exit(1);
		/*
		 * Move all three out of the way first: any may already be 3
		 * or 4.  Then the engine gets 0-4 only: whatever else the
		 * parent holds (netlink sockets, the program's descriptor)
		 * closes at the exec, even if it was opened without
		 * close-on-exec.
		 */
		if ((a = fcntl(sp[1], F_DUPFD, 10)) == -1 ||
		    (b = fcntl(p->ctlfd, F_DUPFD, 10)) == -1 ||
		    (exe = fcntl(p->engine_fd, F_DUPFD_CLOEXEC, 10)) == -1 ||
		    dup2(a, PRIV_FD) == -1 || dup2(b, CTL_FD) == -1)
			_exit(1);
		close(a);
		close(b);
		if (close_range(CTL_FD + 1, ~0U, CLOSE_RANGE_CLOEXEC) == -1) {
			dprintf(STDERR_FILENO, "rpnd: close_range: %s\n",
			    strerror(errno));
			_exit(1);
		}
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* The user is looked up here: the engine needs no NSS modules. */
		snprintf(cred, sizeof(cred), "%u:%u:%s", (unsigned)uid,
		    (unsigned)gid, RPN_VERSION);
		nargv[0] = p->engine_path;
		nargv[1] = (char *)"-E";
		nargv[2] = cred;
		for (int i = 1; i < argc; i++)
			nargv[i + 2] = argv[i];
		/* A fresh image: the engine shares no memory with its parent. */
		fexecve(exe, nargv, environ);
		dprintf(STDERR_FILENO, "rpnd: cannot start %s: %s\n",
		    p->engine_path, strerror(errno));
		_exit(127);
	}
	close(sp[1]);
	p->privfd = sp[0];
	return pid;
}

static void
stop_engine(struct parent *p)
{
	int	 status;

	if (p->engine <= 0)
		return;
	kill(p->engine, SIGTERM);
	for (int waited = 0; waited < STOP_GRACE_MS; waited += 50) {
		if (waitpid(p->engine, &status, WNOHANG) == p->engine) {
			p->engine = 0;
			return;
		}
		usleep(50 * 1000);
	}
	log_warnx("engine did not stop in time; killing it");
	kill(p->engine, SIGKILL);
	waitpid(p->engine, &status, 0);
	p->engine = 0;
}

/*
 * load_config - the configuration file, then --uplink and --lan from the
 * command line added to it and --web-root over it: at start, and again
 * at SIGHUP.
 */
static int
load_config(struct parent *p, struct rpnd_config *c, char *err, size_t errlen)
{
	char	 why[256];
	int	 ch;

	config_default(c);
	if (config_read(p->cfg_path, p->cfg_explicit, c, err, errlen) == -1)
		return -1;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(p->argc, p->argv, RPND_OPTSTRING,
	    config_longopts, NULL)) != -1) {
		if ((ch == 'U' && config_add_uplink(c, optarg, why,
		    sizeof(why)) == -1) || (ch == 'L' && config_add_lan(c,
		    optarg, why, sizeof(why)) == -1)) {
			snprintf(err, errlen, "--%s %s: %s", ch == 'U' ?
			    "uplink" : "lan", optarg, why);
			return -1;
		}
		if (ch == 'W' && config_set_web_root(c, optarg, why,
		    sizeof(why)) == -1) {
			snprintf(err, errlen, "--web-root %s: %s", optarg, why);
			return -1;
		}
	}
	return 0;
}

/*
 * send_config - the engine's copy of the configuration, in the form
 * config_print() writes and config_parse() reads: the engine never opens
 * the file (it may be readable by root only), and both see the same one.
 */
static int
send_config(struct parent *p)
{
	char	*text = NULL;
	size_t	 len = 0;
	FILE	*f;
	int	 rc;

	if ((f = open_memstream(&text, &len)) == NULL)
		return -1;
	config_print(f, &p->cfg);
	if (fclose(f) != 0) {
		free(text);
		return -1;
	}
	rc = priv_send(p->privfd, PRIV_CONFIG, text, len);
	free(text);
	return rc;
}

/*
 * reload - SIGHUP: read the configuration again, check it as a start
 * would, apply what the parent owns (uplinks, LANs, strict-rpf,
 * mark-mask, keep-on-exit) and send the engine the rest; a file with
 * errors keeps the old configuration.  What needs a restart (listen,
 * user, dataplane) keeps its old value until then, and is named.
 */
static void
reload(struct parent *p)
{
	struct rpnd_config	 c;
	char			 err[600], a[ADDRSTRLEN];
	uid_t			 uid;
	gid_t			 gid;

	if (load_config(p, &c, err, sizeof(err)) == -1 ||
	    check_host(p, &c, &uid, &gid, err, sizeof(err)) == -1) {
		log_warnx("reload: keeping the old configuration: %s", err);
		return;
	}
	if (!addr_eq(&c.listen, &p->cfg.listen)) {
		fmt_addr(a, sizeof(a), &c.listen, 1);
		log_warnx("reload: listen %s needs a restart (rpnd listens "
		    "and advertises as before until then)", a);
	}
	c.listen = p->cfg.listen;
	if (strcmp(c.user, p->cfg.user) != 0)
		log_warnx("reload: user %s needs a restart (the engine runs as "
		    "%s until then)", c.user, p->cfg.user);
	strlcpy(c.user, p->cfg.user, sizeof(c.user));
	if (c.dataplane != p->cfg.dataplane)
		log_warnx("reload: dataplane %s needs a restart", c.dataplane ?
		    "yes" : "no");
	c.dataplane = p->cfg.dataplane;
	host_reload(p, &c);
	if (send_config(p) == -1)
		log_warn("reload: cannot send the configuration to the engine");
}

/* At SIGTERM: rpn's kernel state stays (forwarding goes on) unless told otherwise. */
static void
stop_kernel(struct parent *p)
{
	if (!p->active)
		return;
	if (p->cfg.keep_on_exit) {
		log_info("leaving rpn's kernel state in place (\"rpn leave\" or "
		    "\"rpnd --teardown\" removes it)");
		return;
	}
	host_teardown(p);
}

static int
parent_loop(struct parent *p)
{
	sigset_t		 mask;
	int			 sfd;
	static uint8_t		 msg[PRIV_MAX];

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	if ((sfd = signalfd(-1, &mask, SFD_CLOEXEC)) == -1)
		fatal("signalfd");
	for (;;) {
		struct pollfd	 pfd[4] = {
			{ sfd, POLLIN, 0 }, { p->privfd, POLLIN, 0 },
			{ netmon_fd(&p->mon), POLLIN, 0 },
			{ nft_watch_fd(&p->watch), POLLIN, 0 },
		};

		if (poll(pfd, 4, host_poll_timeout(p)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[2].revents & POLLIN)
			host_on_news(p);
		if (pfd[3].revents & POLLIN)
			dp_news(p);
		host_timers(p);
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo	 si;
			int			 status;

			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			switch (si.ssi_signo) {
			case SIGHUP:
				reload(p);
				break;
			case SIGCHLD:
				if (waitpid(p->engine, &status, WNOHANG) !=
				    p->engine)
					break;
				p->engine = 0;
				if (WIFSIGNALED(status))
					log_warnx("engine killed by signal %d",
					    WTERMSIG(status));
				else
					log_warnx("engine exited with status %d",
					    WEXITSTATUS(status));
				return 1;
			default:
				log_info("stopping on signal %d", si.ssi_signo);
				stop_engine(p);
				stop_kernel(p);
				return 0;
			}
		}
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			struct priv_hdr	 h;
			ssize_t		 n = priv_recv(p->privfd, &h, msg,
			    sizeof(msg));

			if (n == 0 || n < 0 || priv_dispatch(p, &h, msg) == -1) {
				/* A broken or lying engine is not trusted again. */
				log_warnx("closing the engine's channel");
				stop_engine(p);
				return 1;
			}
		}
	}
}

int
main(int argc, char **argv)
{
	struct parent	 p;
	char		 err[600];
	int		 ch, check = 0, verbose = 0, teardown = 0, others = 0, rc;
	int		 lockfd = -1;
	uid_t		 uid;
	gid_t		 gid;
	sigset_t	 mask;

	memset(&p, 0, sizeof(p));
	p.cfg_path = RPND_CONF;
	p.sock = getenv("RPN_SOCKET") ? getenv("RPN_SOCKET") : RPND_SOCK;
	p.state_dir = RPND_STATE;
	config_default(&p.cfg);
	while ((ch = getopt_long(argc, argv, RPND_OPTSTRING, config_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'E':
			/* rpnd-engine's: start_engine() passes it. */
			fprintf(stderr, "rpnd: -E is internal: rpnd starts "
			    "rpnd-engine with it\n");
			return 1;
		case 'd':
			p.debug = 1;
			break;
		case 'f':
			p.cfg_path = optarg;
			p.cfg_explicit = 1;
			others = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'n':
			check = 1;
			others = 1;
			break;
		case 'S':
			p.state_dir = optarg;
			break;
		case 's':
			p.sock = optarg;
			break;
		case 'V':
			printf("rpnd %s\n", RPN_VERSION);
			return 0;
		case 'v':
			verbose = 1;
			others = 1;
			break;
		case 'U':
		case 'L':
		case 'W':
			others = 1;
			break;	/* applied after the file, below */
		case 'T':
			teardown = 1;
			break;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "rpnd: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 1;
	}
	log_init(p.debug, "rpnd");
	p.argc = argc;
	p.argv = argv;
	if (teardown && others) {
		fprintf(stderr, "rpnd: --teardown takes only -s SOCKET, "
		    "-S STATE_DIR and -d\n");
		usage(stderr);
		return 1;
	}
	if (teardown)
		return teardown_run(&p);
	if (load_config(&p, &p.cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "rpnd: %s\n", err);
		return 1;
	}
	if (check_host(&p, &p.cfg, &uid, &gid, err, sizeof(err)) == -1) {
		fprintf(stderr, "rpnd: %s\n", err);
		return 1;
	}
	if (open_engine(&p, err, sizeof(err)) == -1) {
		fprintf(stderr, "rpnd: %s\n", err);
		return 1;
	}
	if (check) {
		if (verbose)
			config_print(stdout, &p.cfg);
		else
			printf("configuration OK\n");
		return 0;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "rpnd: must run as root (it changes the kernel's "
		    "forwarding state)\n");
		return 1;
	}
	if (sodium_init() < 0)
		fatalx("sodium_init failed");
	if (prepare_state_dir(p.state_dir, uid, gid, p.cfg.user, &lockfd) == -1)
		return 1;
	if ((p.ctlfd = open_ctl_socket(p.sock)) == -1)
		return 1;
	if (host_init(&p, err, sizeof(err)) == -1) {
		log_warnx("data plane: %s", err);
		unlink(p.sock);
		return 1;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	p.engine = start_engine(&p, argc, argv, uid, gid);
	/* The child unblocks its own signals: libuv's handlers need them. */
	close(p.ctlfd);
	/* The engine's first messages: the configuration, then the interfaces. */
	if (send_config(&p) == -1 || host_send_view(&p) == -1)
		fatal("privsep channel");
	log_info("rpnd %s started (engine pid %d)", RPN_VERSION, (int)p.engine);
	/* The engine reads its state meanwhile (a second at 100k services). */
	dp_prefetch(&p);
	rc = parent_loop(&p);
	host_close(&p);
	unlink(p.sock);
	close(lockfd);		/* the state directory is free for another rpnd */
	log_info("stopped");
	return rc;
}
