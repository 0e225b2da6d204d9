/* App strings "name[:version][,label=value...]" (discovery.NewAppFromString),
 * then the label helpers used on the result. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>
#include "ac/discovery.h"
#include "ac/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size);
	ac_error *err = NULL;
	struct ac_app app;
	memset(&app, 0, sizeof(app));
	if (ac_app_parse(s, &app, &err) == 0) {
		if (!app.name)
			fuzz_fail("parsed app without a name");
		(void)ac_app_label(&app, "version");
		ac_app_default_os_arch(&app);
		if (!ac_app_label(&app, "os") || !ac_app_label(&app, "arch"))
			fuzz_fail("os/arch defaults missing");
		ac_app_set_label(&app, "version", "x");
		ac_app_free(&app);
	} else {
		if (!err || !err->msg)
			fuzz_fail("failure without a message");
		ac_error_free(&err);
	}
	free(s);
	return 0;
}
