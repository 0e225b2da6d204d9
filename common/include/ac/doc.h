/* Man pages and shell completions generated from the same tables that a
 * tool's --help prints, so the three never disagree.  Each tool describes
 * itself with these structures (an adapter over its own command table) and
 * answers a hidden command with the output of the functions below. */
#ifndef AC_DOC_H
#define AC_DOC_H

#include <stddef.h>
#include <stdio.h>

struct ac_doc_opt {
	const char *name;  /* "overwrite" (written --overwrite) */
	char shorthand;    /* 'h', or 0 */
	const char *arg;   /* "FILE" for options with a value; NULL for booleans */
	const char *help;
	const char *def;   /* default shown, or NULL */
};

struct ac_doc_cmd {
	const char *path;        /* "build", "label add" */
	const char *usage;       /* arguments after the command path */
	const char *summary;     /* one line */
	const char *description; /* paragraphs separated by blank lines; may be NULL */
	const struct ac_doc_opt *opts;
	size_t nopts;
};

struct ac_doc_tool {
	const char *name;        /* "actool" */
	const char *summary;     /* for the NAME line */
	const char *synopsis;    /* "[global options] COMMAND [options] [ARGS...]" */
	const char *description;
	const struct ac_doc_opt *global;
	size_t nglobal;
	const struct ac_doc_cmd *cmds;
	size_t ncmds;
	/* more sections, in order: title then text (paragraphs separated by blank lines) */
	const char *const *sections; /* NULL-terminated pairs */
	const char *version;
};

/* A roff man page, section 1. */
void ac_doc_man(FILE *f, const struct ac_doc_tool *t);
/* Completion scripts: commands (and subcommands), then each command's options. */
void ac_doc_bash(FILE *f, const struct ac_doc_tool *t);
void ac_doc_zsh(FILE *f, const struct ac_doc_tool *t);
/* Dispatches "man", "bash" or "zsh"; returns -1 for anything else. */
int ac_doc_write(FILE *f, const struct ac_doc_tool *t, const char *what);

#endif
