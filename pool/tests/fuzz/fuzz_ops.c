// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the input is a sequence of 8-byte operations, the same
 * encoding model_test draws at random.  Each step is checked against the
 * reference model (results, unit choices, all counters, gpool_check());
 * any mismatch, WARN, leak or sanitizer report is a crash.
 */
#include "../model.h"

/*
 * libFuzzer calls LLVMFuzzerTestOneInput(); the asm label gives this
 * function that symbol name.
 */
int fuzz_one_input(const u8 *data, size_t size)
	__asm__("LLVMFuzzerTestOneInput");

int fuzz_one_input(const u8 *data, size_t size)
{
	struct model *m;
	size_t i;

	if (!size)
		return 0;
	m = model_create(data[0] % 4);
	for (i = 1; i + MODEL_OP_BYTES <= size; i += MODEL_OP_BYTES)
		if (model_step(m, data + i))
			abort();
	if (model_check_all(m))
		abort();
	model_destroy(m);
	if (shim_check_clean("fuzz"))
		abort();
	return 0;
}
