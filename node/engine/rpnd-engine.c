/*
 * rpnd-engine: the unprivileged engine's program.  rpnd, the root parent,
 * starts it (docs/design.md, "Processes"); it is a program of its own so
 * that each process maps only its own room's libraries: the engine has no
 * nftables code, and the parent no libuv, HTTP, TLS or JSON code.
 */
#include "node/engine/main.h"

int
main(int argc, char **argv)
{
	return engine_main(argc, argv);
}
