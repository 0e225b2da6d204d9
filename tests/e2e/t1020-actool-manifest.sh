# actool cat-manifest and patch-manifest.
. "$(dirname "$0")/lib.sh"

test_expect_success 'setup' '
	mkdir -p img/rootfs && echo hi > img/rootfs/hi &&
	cat > img/manifest <<-EOF &&
	{ "acKind": "ImageManifest", "acVersion": "0.8.11", "name": "example.com/app",
	  "labels": [ {"name": "version", "value": "1.0"}, {"name": "os", "value": "linux"} ],
	  "app": { "exec": ["/hi"], "user": "0", "group": "0" } }
	EOF
	actool build img app.aci
'

test_expect_success 'cat-manifest prints the stored manifest; --pretty-print indents with 4 spaces' '
	actool cat-manifest app.aci > out &&
	echo "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"example.com/app\",\"labels\":[{\"name\":\"version\",\"value\":\"1.0\"},{\"name\":\"os\",\"value\":\"linux\"}],\"app\":{\"exec\":[\"/hi\"],\"user\":\"0\",\"group\":\"0\"}}" > expect &&
	test_cmp expect out &&
	actool cat-manifest --pretty-print app.aci > pretty &&
	head -3 pretty > top && printf "{\n    \"acKind\": \"ImageManifest\",\n    \"acVersion\": \"0.8.11\",\n" | test_cmp - top
'

test_expect_success 'cat-manifest errors' '
	test_expect_code 1 actool cat-manifest 2> err && echo "cat-manifest: Must provide one file" | test_cmp - err &&
	test_expect_code 1 actool cat-manifest nosuch.aci 2> err &&
	echo "cat-manifest: Cannot open nosuch.aci: open nosuch.aci: No such file or directory" | test_cmp - err
'

test_expect_success 'patch-manifest changes name, exec, user, group and groups; the rest is kept' '
	actool patch-manifest --name=example.com/new --exec="/hi -v" --user=1000 --group=100 \
		--supplementary-groups=10,20 app.aci new.aci &&
	actool validate new.aci &&
	actool cat-manifest new.aci > m &&
	test_grep "\"name\":\"example.com/new\"" m &&
	test_grep "\"exec\":\\[\"/hi\",\"-v\"\\]" m &&
	test_grep "\"user\":\"1000\",\"group\":\"100\",\"supplementaryGIDs\":\\[10,20\\]" m &&
	actool extract new.aci x && echo hi | test_cmp - x/rootfs/hi
'

test_expect_success 'mounts and ports are appended' '
	actool patch-manifest --mounts=data,path=/data,readOnly=true:work,path=/work \
		--ports=http,protocol=tcp,port=80 app.aci mp.aci &&
	actool patch-manifest --ports=dns,protocol=udp,port=53,count=2 mp.aci mp2.aci &&
	actool cat-manifest mp2.aci > m &&
	test_grep "\"mountPoints\":\\[{\"name\":\"data\",\"path\":\"/data\",\"readOnly\":true},{\"name\":\"work\",\"path\":\"/work\"}\\]" m &&
	test_grep "{\"name\":\"http\",\"protocol\":\"tcp\",\"port\":80,\"count\":1,\"socketActivated\":false},{\"name\":\"dns\",\"protocol\":\"udp\",\"port\":53,\"count\":2,\"socketActivated\":false}" m
'

test_expect_success 'capabilities and seccomp replace their family; isolators are appended' '
	actool patch-manifest --capability=CAP_NET_ADMIN app.aci c1.aci &&
	actool patch-manifest --revoke-capability=CAP_MKNOD,CAP_SYS_CHROOT --seccomp-mode=retain,errno=EPERM \
		--seccomp-set=read,write --isolators=resource/memory,limit=1G c1.aci c2.aci &&
	actool cat-manifest c2.aci > m &&
	! grep -q retain-set\",\"value\":{\"set\":\\[\"CAP_NET m &&
	test_grep "os/linux/capabilities-remove-set" m &&
	test_grep "os/linux/seccomp-retain-set" m && test_grep "EPERM" m &&
	test_grep "resource/memory" m
'

test_expect_success 'invalid patches are refused and leave no output' '
	test_expect_code 1 actool patch-manifest --ports=http,port=70000 app.aci bad.aci 2> err &&
	test_one_line err && test_grep "port" err && test ! -e bad.aci &&
	test_expect_code 1 actool patch-manifest --isolators=os/linux/selinux-context,user=x app.aci bad.aci 2> err &&
	test_grep "is not supported for patching" err && test ! -e bad.aci &&
	test_expect_code 1 actool patch-manifest --name=BAD app.aci bad.aci 2> err && test ! -e bad.aci &&
	test_expect_code 1 actool patch-manifest --seccomp-set=read app.aci bad.aci 2> err &&
	test_grep "seccomp-set specified without --seccomp-mode" err &&
	test_expect_code 1 actool patch-manifest --capability=A --revoke-capability=B app.aci bad.aci 2> err &&
	test_grep "conflicting capabilities isolators provided" err && test ! -e bad.aci
'

test_expect_success 'argument checks as the original' '
	test_expect_code 1 actool patch-manifest --replace --overwrite app.aci 2> err &&
	echo "patch-manifest: Cannot use both --replace and --overwrite" | test_cmp - err &&
	test_expect_code 1 actool patch-manifest app.aci 2> err &&
	echo "patch-manifest: Must provide input and output files (or use --replace)" | test_cmp - err &&
	test_expect_code 1 actool patch-manifest app.aci out.tgz 2> err &&
	echo "patch-manifest: Extension must be .aci (given .tgz)" | test_cmp - err &&
	test_expect_code 1 actool patch-manifest --manifest=img/manifest --name=x app.aci o.aci 2> err &&
	echo "patch-manifest: --manifest is incompatible with other manifest editing options" | test_cmp - err &&
	cp app.aci exists.aci &&
	test_expect_code 1 actool patch-manifest --user=1 app.aci exists.aci 2> err &&
	echo "patch-manifest: Output file exists (try --overwrite)" | test_cmp - err
'

test_expect_success '--replace rewrites the input in place, atomically' '
	cp app.aci r.aci &&
	actool patch-manifest --replace --user=42 r.aci &&
	actool cat-manifest r.aci | grep -q "\"user\":\"42\"" &&
	test -z "$(ls -A | grep actool-tmp)" && test -z "$(ls -A | grep "^\.r\.aci")" &&
	cp r.aci r.before &&
	test_expect_code 1 actool patch-manifest --replace --ports=x,port=0 r.aci 2> err &&
	cmp r.aci r.before
'

test_expect_success '--manifest replaces the manifest, but only with a valid one' '
	echo "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"example.com/other\"}" > other.json &&
	actool patch-manifest --manifest=other.json app.aci o.aci &&
	actool cat-manifest o.aci > m && test_cmp other.json m &&
	echo "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"BAD\"}" > bad.json &&
	test_expect_code 1 actool patch-manifest --manifest=bad.json app.aci o2.aci 2> err &&
	test_one_line err && test ! -e o2.aci
'

test_expect_success 'patching keeps every rootfs entry byte for byte' '
	actool patch-manifest --user=7 app.aci p.aci &&
	gzip -dc app.aci | tar -t | sort > a && gzip -dc p.aci | tar -t | sort > b && test_cmp a b &&
	actool extract app.aci ea && actool extract p.aci eb && diff -r ea/rootfs eb/rootfs
'

test_done
