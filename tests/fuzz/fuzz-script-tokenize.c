/* The acbuild script tokenizer.  tokenize() and insert_tacks() are static in
 * acbuild/cmd-script.c, so that file is compiled into this target.  The
 * context functions cmd_script() refers to are only defined here so that it
 * links; the tokenizer never reaches them, and they abort if it ever did. */
#include "fuzz.h"

#include "../../acbuild/cmd-script.c"

void acb_init(struct acb *b, struct acb_opts *o, const char *w)
{
	(void)b, (void)o, (void)w;
	abort();
}
void acb_release(struct acb *b)
{
	(void)b;
	abort();
}
int acb_in_progress(struct acb *b)
{
	(void)b;
	abort();
}
int acb_end(struct acb *b, ac_error **e)
{
	(void)b, (void)e;
	abort();
}
void acb_debug(struct acb *b, const char *fmt, ...)
{
	(void)b, (void)fmt;
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = fuzz_strdup(data, size);
	char **tok = NULL;
	int n = 0;
	ac_error *err = NULL;
	if (tokenize(line, &tok, &n, &err) == 0) {
		if (n < 0 || (n > 0 && !tok) || (tok && tok[n]))
			fuzz_fail("bad token vector (%d)", n);
		for (int i = 0; i < n; i++)
			if (!tok[i])
				fuzz_fail("token %d is NULL", i);
		if (n > 0) {
			insert_tacks(&tok, &n);
			if (tok[n])
				fuzz_fail("vector not NULL-terminated after insert_tacks");
		}
		ac_strv_free(tok);
	} else {
		if (!err)
			fuzz_fail("failure without an error");
		ac_error_free(&err);
	}
	free(line);
	return 0;
}
