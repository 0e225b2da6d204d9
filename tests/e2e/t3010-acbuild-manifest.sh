# acbuild manifest commands: set-*, label/annotation/environment/dependency/
# mount/port/isolator add|remove, cat-manifest, replace-manifest.
. "$(dirname "$0")/lib.sh"

# Runs in a fresh session dir $1; history off so manifests are short.
session() { mkdir "$1" && cd "$1" && acbuild begin; }
man() { acbuild cat-manifest; }
ab() { acbuild --no-history "$@"; }

test_expect_success 'set-name validates; empty is refused' '
	session n &&
	ab set-name example.com/app && man | grep -q "\"name\":\"example.com/app\"" &&
	test_expect_code 1 ab set-name "Bad Name" 2> err && test_grep "^set-name: ACIdentifier must" err &&
	test_expect_code 1 ab set-name "" 2> err &&
	echo "set-name: name cannot be empty" > expect && test_cmp expect err &&
	test_expect_code 1 ab set-name a b 2> err &&
	echo "set-name: incorrect number of arguments" > expect && test_cmp expect err
'

test_expect_success 'set-exec, set-user, set-group create the app with user/group 0' '
	session e &&
	ab set-exec -- /bin/sh -c "echo a,b" &&
	man | grep -q "\"app\":{\"exec\":\[\"/bin/sh\",\"-c\",\"echo a,b\"\],\"user\":\"0\",\"group\":\"0\"}" &&
	ab set-user www && ab set-group 33 &&
	man | grep -q "\"user\":\"www\",\"group\":\"33\"" &&
	test_expect_code 1 ab set-user "" 2> err && echo "set-user: user cannot be empty" > expect && test_cmp expect err &&
	test_expect_code 1 ab set-group "" 2> err && echo "set-group: group cannot be empty" > expect && test_cmp expect err &&
	test_expect_code 1 ab set-exec > out && test_grep "^USAGE:" out
'

test_expect_success 'set-supp-groups parses integers' '
	session sg &&
	ab set-supp-groups 10 20 && man | grep -q "\"supplementaryGIDs\":\[10,20\]" &&
	test_expect_code 1 ab set-supp-groups 1 abc 2> err &&
	test_grep "error parsing group argument strconv.Atoi: parsing \"abc\": invalid syntax" err &&
	man | grep -q "\[10,20\]"
'

test_expect_success 'set-working-directory must be absolute' '
	session wd &&
	ab set-working-directory /srv && man | grep -q "\"workingDirectory\":\"/srv\"" &&
	test_expect_code 1 ab set-working-directory rel 2> err &&
	test_grep "^set-working-dir: .*workingDirectory must be an absolute path" err &&
	man | grep -q "\"/srv\""
'

test_expect_success 'set-event-handler pre-start/post-stop replace by name' '
	session eh &&
	ab set-event-handler pre-start /bin/a x && ab set-eh post-stop /bin/b &&
	ab set-event-handler pre-start /bin/c &&
	man | grep -q "\"eventHandlers\":\[{\"name\":\"post-stop\",\"exec\":\[\"/bin/b\"\]},{\"name\":\"pre-start\",\"exec\":\[\"/bin/c\"\]}\]" &&
	test_expect_code 1 ab set-event-handler pre-start > out && test_grep USAGE out
'

test_expect_success 'set-tag is the version label' '
	session t && ab set-tag v1.0 && ab set-tag v2 &&
	man | grep -q "{\"name\":\"os\",\"value\":\"linux\"},{\"name\":\"version\",\"value\":\"v2\"}\]" &&
	[ $(man | grep -o "\"version\"" | wc -l) = 1 ]
'

test_expect_success 'label add moves a label to the end; remove; absent -> exit 2' '
	session l &&
	ab label add os freebsd && man | grep -q "\"labels\":\[{\"name\":\"arch\",\"value\":\"[a-z0-9_]*\"},{\"name\":\"os\",\"value\":\"freebsd\"}\]" &&
	ab label add a 1 && ab label remove a && ! man | grep -q "\"name\":\"a\"" &&
	test_expect_code 2 ab label remove a 2> err &&
	echo "label remove: element to be removed does not exist in this ACI" > expect && test_cmp expect err &&
	test_expect_code 1 ab label add "Bad" x 2> err && test_grep "^label add: ACIdentifier" err
'

test_expect_success 'annotation add replaces in place; created is validated' '
	session a &&
	ab annotation add one 1 && ab annotation add two 2 && ab annotation add one 3 &&
	man | grep -q "\"annotations\":\[{\"name\":\"one\",\"value\":\"3\"},{\"name\":\"two\",\"value\":\"2\"}\]" &&
	ab annotation rm one && test_expect_code 2 ab annotation remove one &&
	test_expect_code 1 ab annotation add created yesterday 2> err && test_grep "^annotation add: " err &&
	! man | grep -q yesterday
'

test_expect_success 'environment add/remove; bad names refused at save' '
	session env &&
	ab environment add A 1 && ab environment add B 2 && ab environment add A 3 &&
	man | grep -q "\"environment\":\[{\"name\":\"A\",\"value\":\"3\"},{\"name\":\"B\",\"value\":\"2\"}\]" &&
	ab environment remove A && test_expect_code 2 ab environment rm A 2> err &&
	test_grep "element to be removed does not exist" err &&
	test_expect_code 1 ab environment add "1BAD" x 2> err && test_grep "^environment add: " err &&
	test_expect_code 1 ab environment remove a b 2> err &&
	echo "environment remove: incorrect number of arguments" > expect && test_cmp expect err
'

test_expect_success 'removing from an image without app exits 2' '
	session noapp &&
	test_expect_code 2 ab environment remove A && test_expect_code 2 ab mount remove m &&
	test_expect_code 2 ab port remove p && test_expect_code 2 ab isolator remove resource/cpu &&
	! man | grep -q "\"app\""
'

test_expect_success 'mount add replaces by name or path; --read-only; remove by name or path' '
	session m &&
	ab mount add data /data && ab mount add --read-only logs /var/log &&
	ab mount add data2 /data &&
	man | grep -q "\"mountPoints\":\[{\"name\":\"logs\",\"path\":\"/var/log\",\"readOnly\":true},{\"name\":\"data2\",\"path\":\"/data\"}\]" &&
	ab mount remove /var/log && ab volume rm data2 && test_expect_code 2 ab mount remove data2 &&
	test_expect_code 1 ab mount add "Bad Name" /x 2> err && test_grep "^mount add: ACName" err
'

test_expect_success 'port add/remove, --count, --socket-activated, bad ports' '
	session p &&
	ab port add http tcp 80 && ab port add --count 3 --socket-activated dns udp 53 &&
	man | grep -q "\"ports\":\[{\"name\":\"http\",\"protocol\":\"tcp\",\"port\":80,\"count\":1,\"socketActivated\":false},{\"name\":\"dns\",\"protocol\":\"udp\",\"port\":53,\"count\":3,\"socketActivated\":true}\]" &&
	ab port add http tcp 8080 && man | grep -q "\"port\":8080" && ! man | grep -q "\"port\":80," &&
	test_expect_code 1 ab port add big tcp 70000 2> err &&
	echo "port add: port must be a positive number between 0 and 65535" > expect && test_cmp expect err &&
	test_expect_code 1 ab port add -- neg tcp -1 2> err && test_cmp expect err &&
	test_expect_code 1 ab port add x tcp abc 2> err && test_cmp expect err &&
	test_expect_code 1 ab port add x tcp 2> err && test_grep "incorrect number of arguments" err &&
	ab port remove 53 && ab port rm http && test_expect_code 2 ab port remove http &&
	test_expect_code 1 ab port remove "Bad Name" 2> err && test_grep "^port remove: ACName" err &&
	! man | grep -q "\"ports\""
'

test_expect_success 'dependency add: name, version, labels, image-id, size; replace; remove' '
	session dep &&
	id=sha512-$(printf "%0128d" 0) &&
	ab dependency add example.com/base:1.0,os=linux --label arch=amd64 --image-id $id --size 1234 &&
	man | grep -q "\"dependencies\":\[{\"imageName\":\"example.com/base\",\"imageID\":\"$id\",\"labels\":\[{\"name\":\"arch\",\"value\":\"amd64\"},{\"name\":\"version\",\"value\":\"1.0\"},{\"name\":\"os\",\"value\":\"linux\"}\],\"size\":1234}\]" &&
	ab dependency add example.com/other && ab dependency add example.com/base &&
	man | grep -q "\"dependencies\":\[{\"imageName\":\"example.com/other\"},{\"imageName\":\"example.com/base\"}\]" &&
	ab dependency remove example.com/base && test_expect_code 2 ab dependency rm example.com/base &&
	test_expect_code 1 ab dependency add "Bad Name" 2> err && test_grep "^dependency add: couldn.t parse dependency name" err &&
	test_expect_code 1 ab dependency add example.com/x --label novalue 2> err &&
	test_grep "no .=. character in \"novalue\"" err &&
	test_expect_code 1 ab dependency add example.com/x:1 --label version=2 2> err &&
	test_grep "multiple version labels specified" err &&
	test_expect_code 1 ab dependency add example.com/x --image-id nothash 2> err &&
	test_grep "^dependency add: couldn.t parse image ID" err
'

test_expect_success 'isolator add from a file and stdin; unknown names; bad values; remove' '
	session iso &&
	echo "{\"limit\":\"1G\"}" > mem.json &&
	ab isolator add resource/memory mem.json &&
	echo "{\"request\":\"250m\",\"limit\":\"500m\"}" | ab isolator add resource/cpu - &&
	man | grep -q "\"isolators\":\[{\"name\":\"resource/memory\",\"value\":{\"limit\":\"1G\"}},{\"name\":\"resource/cpu\"" &&
	test_expect_code 1 ab isolator add foo/bar mem.json 2> err &&
	echo "isolator add: unknown isolator name: foo/bar" > expect && test_cmp expect err &&
	test_expect_code 1 ab isolator add os/unix/sysctl mem.json 2> err && test_grep "unknown isolator name" err &&
	echo "not json" > bad.json && test_expect_code 1 ab isolator add resource/cpu bad.json 2> err &&
	test_grep "^isolator add: " err &&
	test_expect_code 1 ab isolator add resource/cpu missing.json 2> err && test_grep "^isolator add: " err &&
	ab isolator remove resource/memory && test_expect_code 2 ab isolator rm resource/memory
'

test_expect_success 'cat-manifest --pretty-print and --file' '
	session c &&
	acbuild cat-manifest --pretty-print > p && test_grep "^    \"acKind\": \"ImageManifest\",$" p &&
	test_expect_code 1 acbuild cat-manifest --file config 2> err &&
	echo "cat-manifest: can'"'"'t print config, appc has no image configs" > expect && test_cmp expect err &&
	test_expect_code 1 acbuild cat-manifest --file=foo 2> err &&
	echo "cat-manifest: don'"'"'t know how to print a \"foo\"" > expect && test_cmp expect err
'

test_expect_success 'replace-manifest validates and re-serialises' '
	session rm &&
	write_manifest new.json example.com/replaced &&
	ab replace-manifest new.json &&
	man | grep -q "\"name\":\"example.com/replaced\"" &&
	test_expect_code 1 ab replace-manifest nothere 2> err &&
	echo "replace-manifest: no such file or directory: nothere" > expect && test_cmp expect err &&
	mkdir dir && test_expect_code 1 ab replace-manifest dir 2> err &&
	echo "replace-manifest: dir is a directory" > expect && test_cmp expect err &&
	echo "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"BAD NAME\"}" > bad.json &&
	test_expect_code 1 ab replace-manifest bad.json 2> err && test_grep "^replace-manifest: " err &&
	man | grep -q "example.com/replaced"
'

test_expect_success 'a corrupt manifest is reported by every command' '
	session cor && echo "{" > .acbuild/currentaci/manifest &&
	test_expect_code 1 acbuild label add a b 2> err && test_grep "error loading manifest" err &&
	acbuild end
'

test_expect_success 'the manifest file is replaced, never rewritten in place' '
	session at && ino=$(stat -c %i .acbuild/currentaci/manifest) &&
	ab label add a b && [ "$(stat -c %i .acbuild/currentaci/manifest)" != "$ino" ] &&
	ls -A .acbuild/currentaci > files && printf "manifest\nrootfs\n" > expect && test_cmp expect files
'

test_done
