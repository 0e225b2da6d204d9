/* The local Docker/OCI archive reader as docker2aci uses it: a tar (maybe
 * compressed) of "docker save" (legacy or manifest.json), skopeo
 * docker-archive or an OCI layout, extracted safely, then its JSON read,
 * layers applied and ACIs written.  A hash of the input picks -nosquash and
 * -image. */
#include "fuzz.h"

#include <stdlib.h>
#include "docker-convert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	const char *work = fuzz_work_dir();
	char *in = xasprintf("%s/image.tar", work);
	if (ac_write_file_atomic(in, data, size, 0644, NULL) < 0)
		fuzz_fail("cannot write %s", in);
	fuzz_docker_convert(work, in, h & 3);
	free(in);
	fuzz_work_check();
	return 0;
}
