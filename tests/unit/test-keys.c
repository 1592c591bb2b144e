/* test-keys.c: key files are loaded only when they are the process user's alone. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "node/core/keys.h"
#include "tests/unit/test.h"

TEST(keys_refuse_files_others_can_read_or_own)
{
	char	 dir[] = "/tmp/rpn-test-keys.XXXXXX", err[256];
	uint8_t	 sk[SECRET_KEY], sk2[SECRET_KEY];
	int	 dirfd, created;

	ASSERT(sodium_init() >= 0);
	ASSERT(mkdtemp(dir) != NULL);
	ASSERT((dirfd = open(dir, O_RDONLY | O_DIRECTORY)) != -1);
	ASSERT_EQ(keys_load_or_create(dirfd, "k", sk, &created, err,
	    sizeof(err)), 0);
	ASSERT_EQ(created, 1);
	ASSERT_EQ(keys_load(dirfd, "k", sk2, err, sizeof(err)), 0);
	ASSERT_MEM_EQ(sk, sk2, sizeof(sk));

	ASSERT_EQ(fchmodat(dirfd, "k", 0640, 0), 0);
	ASSERT_EQ(keys_load(dirfd, "k", sk2, err, sizeof(err)), -1);
	ASSERT(strstr(err, "mode 640 lets others read the key") != NULL);
	ASSERT_EQ(fchmodat(dirfd, "k", 0600, 0), 0);

	/* Only root can give a file away; as root, root could also read it. */
	if (geteuid() == 0) {
		ASSERT_EQ(fchownat(dirfd, "k", 12345, 12345, 0), 0);
		ASSERT_EQ(keys_load(dirfd, "k", sk2, err, sizeof(err)), -1);
		ASSERT(strstr(err, "owned by uid 12345, not by this process's "
		    "user (uid 0)") != NULL);
	} else
		fprintf(stderr, "(not root: the owner check is not tried)\n");

	ASSERT_EQ(unlinkat(dirfd, "k", 0), 0);
	close(dirfd);
	ASSERT_EQ(rmdir(dir), 0);
}
