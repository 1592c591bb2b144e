/* fuzz.h: shared by the libFuzzer harnesses: one entry point, sodium set up once. */
#ifndef RPN_FUZZ_H
#define RPN_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <sodium.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return sodium_init() < 0 ? -1 : 0;
}

#endif
