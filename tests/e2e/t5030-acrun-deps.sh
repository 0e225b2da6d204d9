# acrun run with dependencies: rendered in the spec's order (a dependency's
# own dependencies first, later layers over earlier ones, the image on top),
# pathWhitelist applied, from the store or by discovery; cycles, a wrong
# size, image ID or label refused.
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/e2e/lib-nginx.sh"

skip_all_unless "needs root, namespaces and cc -static" ROOT NAMESPACES STATIC_CC

export A="acrun --dir $TRASH/store --insecure-options=image"

cat > probe.c <<'C'
#include <dirent.h>
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "ls";
	if (!strcmp(c, "cat")) {
		for (int i = 2; i < argc; i++) {
			FILE *f = fopen(argv[i], "r"); if (!f) { printf("%s: missing\n", argv[i]); continue; }
			char b[4096]; size_t n; while ((n = fread(b, 1, sizeof b, f))) fwrite(b, 1, n, stdout);
			fclose(f);
		}
		return 0; }
	if (!strcmp(c, "ls")) {
		DIR *d = opendir(argc > 2 ? argv[2] : "/"); if (!d) { perror("opendir"); return 1; }
		struct dirent *de; while ((de = readdir(d))) if (de->d_name[0] != '.') puts(de->d_name);
		return 0; }
	return 2;
}
C

# img NAME DEPS_JSON [EXTRA_JSON]: a layout in dir NAME (files added by the
# caller in NAME/rootfs), built to NAME.aci; the image is example.com/NAME.
img() {
	mkdir -p "$1/rootfs" &&
	printf '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/%s","labels":[{"name":"version","value":"1.0"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],"app":{"exec":["/bin/probe"],"user":"0","group":"0"},"dependencies":%s%s}\n' \
		"$1" "$2" "${3:-}" > "$1/manifest" &&
	actool build --overwrite "$1" "$1.aci"
}
# put NAME FILE TEXT: a file in NAME's rootfs.
put() { mkdir -p "$(dirname "$1/rootfs/$2")" && echo "$3" > "$1/rootfs/$2"; }
dep() { printf '{"imageName":"example.com/%s"%s}' "$1" "${2:-}"; }

test_expect_success 'setup: A -> [B, C], C -> [D]; B and D carry the probe' '
	cc -static -O -o probe probe.c &&
	mkdir -p b/rootfs/bin d/rootfs/bin && cp probe b/rootfs/bin/probe && cp probe d/rootfs/bin/probe &&
	put b order B && put b from-b b && put b shared B &&
	put d order D && put d from-d d && put d shared D &&
	put c order C && put c from-c c &&
	put a from-a a && put a shared A &&
	img b "[]" && img d "[]" && img c "[$(dep d)]" &&
	img a "[$(dep b),$(dep c)]" &&
	for i in b c d; do $A fetch $i.aci > $i.id || exit 1; done
'

test_expect_success 'rendered in order B, D, C, A: later layers win, every file present' '
	$A run a.aci -- cat /order /shared /from-a /from-b /from-c /from-d > out &&
	printf "C\nA\na\nb\nc\nd\n" | test_cmp - out
'

test_expect_success 'the image on top: its files override every dependency' '
	put a order A && img a "[$(dep b),$(dep c)]" &&
	$A run a.aci -- cat /order > out && echo A | test_cmp - out
'

test_expect_success 'dependencies by image ID, and image render shows the whole tree' '
	img e "[$(dep c ",\"imageID\":\"$(cat c.id)\""),$(dep b ",\"imageID\":\"$(cut -c1-30 b.id)\"")]" &&
	$A run e.aci -- cat /order > out && echo B | test_cmp - out &&
	$A fetch e.aci > e.id && $A image render $(cat e.id) rendered &&
	(cd rendered/rootfs && find . -type f | sort) > files &&
	printf "./bin/probe\n./from-b\n./from-c\n./from-d\n./order\n./shared\n" | test_cmp - files
'

test_expect_success 'pathWhitelist: only the listed paths, from every layer' '
	img w "[$(dep b),$(dep c)]" ",\"pathWhitelist\":[\"/bin/probe\",\"/from-c\",\"/from-d\",\"/order\"]" &&
	put w from-w w && put w order W && img w "[$(dep b),$(dep c)]" ",\"pathWhitelist\":[\"/bin/probe\",\"/from-c\",\"/from-d\",\"/order\"]" &&
	$A run w.aci -- cat /order /from-c /from-d /from-b /shared /from-w > out &&
	printf "W\nc\nd\n/from-b: missing\n/shared: missing\n/from-w: missing\n" | test_cmp - out
'

test_expect_success 'a dependency whitelist filters its own dependencies too' '
	img f "[$(dep d)]" ",\"pathWhitelist\":[\"/bin/probe\",\"/order\"]" && $A fetch f.aci > /dev/null &&
	img g "[$(dep f)]" &&
	$A run g.aci -- cat /order /from-d > out && printf "D\n/from-d: missing\n" | test_cmp - out
'

test_expect_success 'a cycle is refused' '
	mkdir -p x/rootfs/bin && cp probe x/rootfs/bin/probe &&
	img x "[$(dep y)]" && img y "[$(dep x)]" && $A fetch x.aci > /dev/null && $A fetch y.aci > /dev/null &&
	test_expect_code 125 $A run x.aci 2> err && test_one_line err &&
	test_grep "dependency cycle: example.com/x -> example.com/y -> example.com/x" err
'

test_expect_success 'a wrong size, image ID or label is refused' '
	img s "[$(dep b ",\"size\":$(( $(stat -c %s b.aci) + 1 ))")]" &&
	test_expect_code 125 $A run s.aci 2> err && test_grep "dependency example.com/b has incorrect size" err &&
	img s2 "[$(dep b ",\"size\":$(stat -c %s b.aci)")]" &&
	$A run s2.aci -- cat /order > out && echo B | test_cmp - out &&
	img i "[$(dep b ",\"imageID\":\"$(cat c.id)\"")]" &&
	test_expect_code 125 $A run i.aci 2> err && test_grep "expected but \"example.com/c\" found" err &&
	img l "[$(dep b ",\"labels\":[{\"name\":\"version\",\"value\":\"2.0\"}]")]" &&
	test_expect_code 125 $A run --insecure-options=image,http l.aci 2> err && test_grep "example.com/b" err
'

test_expect_success 'the rendered tree is cached; image gc drops it and it comes back' '
	$A run a.aci -- cat /order > out && echo A | test_cmp - out &&
	$A image gc 2> err && $A run a.aci -- cat /order > out && echo A | test_cmp - out
'

need_nginx 'dependencies by discovery (needs nginx)'
export AC_DISCOVERY_PORT=$HTTPS_PORT

test_expect_success 'a dependency missing from the store is fetched by discovery' '
	mkdir -p site/images site/base base/rootfs/bin && cp probe base/rootfs/bin/probe && put base order BASE &&
	printf "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"localhost/base\",\"labels\":[{\"name\":\"version\",\"value\":\"1.0\"}]}" > base/manifest &&
	actool build base site/images/base-1.0.aci &&
	echo "<meta name=\"ac-discovery\" content=\"localhost/base https://localhost:$HTTPS_PORT/images/base-{version}.{ext}\">" > site/base/index.html &&
	mkdir -p top/rootfs &&
	printf "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"example.com/top\",\"app\":{\"exec\":[\"/bin/probe\",\"cat\",\"/order\"],\"user\":\"0\",\"group\":\"0\"},\"dependencies\":[{\"imageName\":\"localhost/base\",\"labels\":[{\"name\":\"version\",\"value\":\"1.0\"}],\"size\":$(stat -c %s site/images/base-1.0.aci)}]}" > top/manifest &&
	actool build top top.aci &&
	$A run top.aci > out && echo BASE | test_cmp - out &&
	$A image list > list && test_grep "localhost/base" list
'

test_expect_success 'a fetched dependency is signature-checked unless told otherwise' '
	$A image rm $(actool image-id site/images/base-1.0.aci) > /dev/null && $A image gc 2>/dev/null &&
	$A image rm $(actool image-id top.aci) > /dev/null && $A fetch top.aci > top.id &&
	test_must_fail acrun --dir $TRASH/store --insecure-options=none run $(cat top.id) 2> err &&
	test_grep "image localhost/base is not signed" err &&
	$A image list > list && ! grep -q "localhost/base" list
'

test_expect_success 'the size limit holds while downloading' '
	$A image rm $(actool image-id top.aci) > /dev/null 2>&1;
	sed -i "s/\"size\":[0-9]*/\"size\":100/" top/manifest && actool build --overwrite top top.aci &&
	test_expect_code 125 $A run top.aci 2> err && test_grep "larger than 100 bytes" err
'

test_done
