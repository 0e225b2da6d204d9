/* script FILE: the acbuild DSL of the original (v0.4.0's behaviour; master's
 * is broken).  Each line is one acbuild command without the leading word,
 * run as a child "acbuild --debug --work-path=TMP ..." in a private context
 * that is ended when the script finishes or a step fails. */
#include "acbuild.h"

#include <ctype.h>
#include <fcntl.h>
#include <sys/wait.h>
#include "ac/buf.h"
#include "ac/fs.h"

#define NESTED_ENV "ACBUILD_NESTED_SCRIPT"

/* The original's tokenizer: blanks separate, '...' and "..." quote, a
 * backslash escapes the next character anywhere, '#' outside quotes starts a
 * comment.  Unlike the original, an empty quoted word ('') is kept. */
static int tokenize(const char *line, char ***out, int *n, ac_error **err)
{
	ac_buf cur = AC_BUF_INIT;
	int sq = 0, dq = 0, esc = 0, have = 0;
	char **v = NULL;
	int nv = 0;
	for (const char *p = line;; p++) {
		char ch = *p;
		int end = ch == 0 || (ch == '#' && !sq && !dq && !esc);
		if (!end && esc) {
			ac_buf_addch(&cur, ch);
			esc = 0;
			continue;
		}
		if (end || ((ch == ' ' || ch == '\t') && !sq && !dq)) {
			if (have || cur.len) {
				v = xrealloc(v, (nv + 2) * sizeof(char *));
				v[nv++] = ac_buf_detach(&cur, NULL);
				v[nv] = NULL;
				have = 0;
			}
			if (end)
				break;
			continue;
		}
		if (ch == '\\')
			esc = 1;
		else if (ch == '\'' && !dq)
			sq = !sq, have = 1;
		else if (ch == '"' && !sq)
			dq = !dq, have = 1;
		else
			ac_buf_addch(&cur, ch);
	}
	ac_buf_release(&cur);
	const char *msg = sq ? "unterminated single quote block" : dq ? "unterminated double quote block"
							   : esc ? "ended with an escape" : NULL;
	if (msg) {
		ac_strv_free(v);
		return ac_error_set(err, EINVAL, "%s", msg);
	}
	*out = v;
	*n = nv;
	return 0;
}

/* Runs "acbuild ARGS..." with the context at work; returns the exit status. */
static int run_child(const char *work, char **tokens, int n, int nested, ac_error **err)
{
	char **argv = xcalloc(n + 4, sizeof(char *));
	_cleanup_free_ char *wp = xasprintf("--work-path=%s", work);
	argv[0] = (char *)"acbuild";
	argv[1] = (char *)"--debug";
	argv[2] = wp;
	for (int i = 0; i < n; i++)
		argv[3 + i] = tokens[i];
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		free(argv);
		return ac_error_errno(err, "fork");
	}
	if (pid == 0) {
		if (nested)
			setenv(NESTED_ENV, work, 1);
		execv("/proc/self/exe", argv);
		fprintf(stderr, "script: exec: %s\n", strerror(errno));
		_exit(127);
	}
	free(argv);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return ac_error_errno(err, "waitpid");
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* Inserts "--" before the first non-flag word after the command (the
 * original's insertRunTacks), unless one is already there. */
static void insert_tacks(char ***tokens, int *n)
{
	char **v = *tokens;
	int at = -1;
	for (int i = 1; i < *n; i++) {
		if (!strcmp(v[i], "--"))
			return;
		if (v[i][0] != '-') {
			at = i;
			break;
		}
	}
	if (at < 0)
		return;
	v = xrealloc(v, (*n + 2) * sizeof(char *));
	memmove(v + at + 1, v + at, (*n - at + 1) * sizeof(char *));
	v[at] = xstrdup("--");
	(*n)++;
	*tokens = v;
}

int cmd_script(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc;
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *work = NULL;
	size_t len;
	if (ac_read_file_at(AT_FDCWD, argv[0], 64u << 20, &text, &len, err) < 0)
		return -1;
	acb_debug(b, "Running script from %s", argv[0]);

	/* lines, trimmed, continuation lines joined */
	char **lines = NULL;
	int nl = 0;
	for (char *s = text, *nlp; s; s = nlp) {
		nlp = strchr(s, '\n');
		if (nlp)
			*nlp++ = 0;
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\v' || *s == '\f')
			s++;
		size_t l = strlen(s);
		while (l && strchr(" \t\r\v\f", s[l - 1]))
			s[--l] = 0;
		lines = xrealloc(lines, (nl + 1) * sizeof(char *));
		lines[nl++] = xstrdup(s);
	}
	for (int i = 0; i < nl - 1; i++) {
		size_t l = strlen(lines[i]);
		if (l && lines[i][l - 1] == '\\') {
			lines[i][l - 1] = 0;
			char *j = xasprintf("%s %s", lines[i], lines[i + 1]);
			free(lines[i + 1]);
			lines[i + 1] = j;
			lines[i][0] = 0;
		}
	}
	int ret = -1;

	const char *inherited = getenv(NESTED_ENV);
	int nested = inherited && *inherited;
	if (nested) {
		work = xstrdup(inherited);
	} else {
		work = ac_mkdtemp(ac_tmpdir(), "acbuild-script", err);
		if (!work)
			goto out_lines;
	}
	struct acb sb;
	acb_init(&sb, b->o, work);
	sb.msgname = "script";
	ret = 0;
	for (int i = 0; i < nl && ret == 0; i++) {
		char **tok = NULL;
		int nt = 0;
		if (tokenize(lines[i], &tok, &nt, err) < 0) {
			ret = -1;
			break;
		}
		if (nt == 0) {
			free(tok);
			continue;
		}
		for (char *p = tok[0]; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (!strcmp(tok[0], "run") || !strcmp(tok[0], "set-exec"))
			insert_tacks(&tok, &nt);
		int is_begin = !strcmp(tok[0], "begin");
		int rc = run_child(work, tok, nt, !strcmp(tok[0], "script"), err);
		ac_strv_free(tok);
		if (rc < 0) {
			ret = -1;
			break;
		}
		if (rc != 0) {
			ac_error_set(err, ACB_ECHILD + (rc & 0xff), "exit status %d", rc);
			ret = -1;
			if (!is_begin && !nested && acb_in_progress(&sb)) {
				ac_error *e2 = NULL;
				if (acb_end(&sb, &e2) < 0) {
					fprintf(stderr, "script: %s\n", e2->msg);
					ac_error_free(&e2);
				}
			}
		}
	}
	if (ret == 0 && !nested && acb_in_progress(&sb))
		ret = acb_end(&sb, err);
	if (ret == 0)
		acb_debug(b, "Script has been completed");
	if (!nested)
		ac_rm_rf(work, NULL);
	acb_release(&sb);
out_lines:
	for (int i = 0; i < nl; i++)
		free(lines[i]);
	free(lines);
	return ret;
}
