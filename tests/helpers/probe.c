/* The probe the acbuild run tests (t3060, t3065) copy into their images,
 * built with cc -static.  probe COMMAND [ARGS]; without a command: args.
 *   args            prints each argument as N:ARG
 *   env             prints the environment
 *   cwd             prints the working directory
 *   id              prints uid=U gid=G
 *   exit N          exits with status N
 *   cat FILE        prints FILE
 *   write FILE TEXT FILE holds TEXT (no newline added)
 *   rm FILE         unlinks FILE
 *   mkdir DIR       makes DIR (0755)
 *   ls DIR          lists DIR, without the dot files
 *   owner PATH      prints U:G, the owner of PATH (not followed)
 *   chown PATH ID   gives PATH to user ID and group ID
 * An unknown command exits 2. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
extern char **environ;
int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "args";
	if (!strcmp(c, "args")) { for (int i = 0; i < argc; i++) printf("%d:%s\n", i, argv[i]); return 0; }
	if (!strcmp(c, "env")) { for (char **e = environ; *e; e++) puts(*e); return 0; }
	if (!strcmp(c, "cwd")) { char b[4096]; puts(getcwd(b, sizeof b) ? b : "?"); return 0; }
	if (!strcmp(c, "id")) { printf("uid=%u gid=%u\n", getuid(), getgid()); return 0; }
	if (!strcmp(c, "exit")) return atoi(argv[2]);
	if (!strcmp(c, "cat")) {
		FILE *f = fopen(argv[2], "r"); if (!f) { perror(argv[2]); return 1; }
		char b[4096]; size_t n; while ((n = fread(b, 1, sizeof b, f))) fwrite(b, 1, n, stdout); return 0; }
	if (!strcmp(c, "write")) {
		FILE *f = fopen(argv[2], "w"); if (!f) { perror(argv[2]); return 1; }
		fputs(argv[3], f); return fclose(f) ? 1 : 0; }
	if (!strcmp(c, "rm")) { if (unlink(argv[2])) { perror(argv[2]); return 1; } return 0; }
	if (!strcmp(c, "mkdir")) { if (mkdir(argv[2], 0755)) { perror(argv[2]); return 1; } return 0; }
	if (!strcmp(c, "ls")) {
		DIR *d = opendir(argv[2]); if (!d) { perror(argv[2]); return 1; }
		struct dirent *de; while ((de = readdir(d))) if (de->d_name[0] != '.') puts(de->d_name);
		return 0; }
	if (!strcmp(c, "owner")) {
		struct stat st; if (lstat(argv[2], &st)) { perror(argv[2]); return 1; }
		printf("%u:%u\n", st.st_uid, st.st_gid); return 0; }
	if (!strcmp(c, "chown")) {
		if (chown(argv[2], atoi(argv[3]), atoi(argv[3]))) { perror(argv[2]); return 1; } return 0; }
	fprintf(stderr, "probe: unknown command %s\n", c);
	return 2;
}
