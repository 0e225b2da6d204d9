/* Docker/OCI layers applied to the merged tree (whiteouts, opaque dirs, hard
 * links, replacements), then written as an ACI that must validate.  The
 * input is up to 4 layers separated by the line "\n--8<-- layer\n"; the last
 * byte of the input picks only_last and the stdio symlinks. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ac/docker-layer.h"
#include "ac/util.h"

#define SEP "\n--8<-- layer\n"
#define MANIFEST "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"example.com/fuzz\"}"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t flags = data[size - 1];
	size--;
	const char *work = fuzz_work_dir();
	ac_error *err = NULL;
	ac_layer_tree *t = ac_layer_tree_new(work, &err);
	if (!t)
		fuzz_fail("layer_tree_new: %s", err->msg);
	const uint8_t *p = data, *end = data + size;
	int ok = 1;
	for (int n = 0; ok && n < 4 && p <= end; n++) {
		const uint8_t *sep = memmem(p, end - p, SEP, strlen(SEP));
		const uint8_t *e = sep && n < 3 ? sep : end;
		int fd = fuzz_memfd(p, e - p);
		char name[16];
		snprintf(name, sizeof(name), "layer%d", n);
		struct ac_layer_src src = { fd, name, NULL, NULL };
		if (ac_layer_tree_apply(t, &src, &err) < 0) {
			ac_error_free(&err);
			ok = 0;
		}
		close(fd);
		if (e == end)
			break;
		p = e + strlen(SEP);
	}
	if (ok) {
		if (flags & 1 && ac_layer_tree_add_stdio(t, &err) < 0)
			fuzz_fail("add_stdio: %s", err->msg);
		json_t *wl = ac_layer_tree_whitelist(t);
		if (!json_is_array(wl))
			fuzz_fail("whitelist is not an array");
		json_decref(wl);
		int out = fuzz_memfd(NULL, 0);
		struct ac_aci_write_opts wo = { .comp = { .type = AC_COMP_NONE, .level = -1, .threads = 1 } };
		ac_aci_writer *w = ac_aci_writer_new(out, &wo, &err);
		if (!w)
			fuzz_fail("writer_new: %s", err->msg);
		if (ac_aci_writer_add_manifest(w, MANIFEST, strlen(MANIFEST), 0, &err) < 0)
			fuzz_fail("add_manifest: %s", err->msg);
		if (ac_layer_tree_write(t, w, flags & 2, &err) < 0 || ac_aci_writer_finish(w, NULL, &err) < 0) {
			/* a write error is legitimate only for reasons of size */
			ac_error_free(&err);
		} else {
			lseek(out, 0, SEEK_SET);
			if (ac_aci_validate(out, "layers.aci", NULL, &err) < 0)
				fuzz_fail("the squashed layers do not make a valid ACI: %s", err->msg);
		}
		ac_aci_writer_free(w);
		close(out);
	}
	ac_layer_tree_free(t);
	fuzz_work_check();
	return 0;
}
