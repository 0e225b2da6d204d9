/* Helpers shared by the libFuzzer targets (and their replay driver). */
#ifndef AC_FUZZ_H
#define AC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A NUL-terminated malloc'ed copy of the input. */
char *fuzz_strdup(const uint8_t *data, size_t size);

/* An fd (memfd, at offset 0) holding the input: the readers take fds. */
int fuzz_memfd(const uint8_t *data, size_t size);

/* The per-process scratch area, created on first use and removed at exit:
 *   BASE/secret               must stay as it is
 *   BASE/outside/            must stay empty (relative symlinks aim here)
 *   BASE/a/b/work/           the only place a target may write to
 * fuzz_work_dir() returns BASE/a/b/work, emptied and re-created. */
const char *fuzz_work_dir(void);
/* Removes the work dir and aborts when anything appeared elsewhere in the
 * scratch area (an extractor escape). */
void fuzz_work_check(void);

/* The scratch area itself (BASE above).  BASE/secret holds a random canary
 * string: a host file that a hostile input might try to read through a
 * symlink; fuzz_check_canary(dir) aborts when any file below dir holds it. */
const char *fuzz_base_dir(void);
void fuzz_check_canary(const char *dir);

/* Aborts with a message: a property the target checks failed. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
