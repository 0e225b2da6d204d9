# Progress lines: drawn on a terminal only (script(1) gives the tools one),
# erased at the end, never with --quiet, never in a pipe or a log.
. "$(dirname "$0")/lib.sh"

command -v script >/dev/null || { echo "1..0 # SKIP script(1) is needed"; exit 0; }

test_expect_success 'setup: a layout slow enough to show progress' '
	mkdir -p l/rootfs && write_manifest l/manifest && head -c 30000000 /dev/urandom > l/rootfs/r
'

test_expect_success 'actool build draws "writing OUT" on a terminal and erases it' '
	script -qec "actool build --compression=xz l a.aci" /dev/null > tty.out &&
	grep -q "writing a.aci: " tty.out &&
	tail -c 4 tty.out | od -c | grep -q "033   \\[   K" &&
	actool validate a.aci
'

test_expect_success 'no progress with --quiet, or when stderr is not a terminal' '
	script -qec "actool --quiet build --overwrite --compression=xz l a.aci" /dev/null > q.out &&
	test_cmp /dev/null q.out &&
	actool build --overwrite --compression=xz l a.aci 2> err &&
	test_cmp /dev/null err
'

test_expect_success 'validate and extract draw their own line' '
	actool build --overwrite --compression=bzip2 l b.aci &&
	script -qec "actool validate b.aci" /dev/null > v.out && grep -q "validating b.aci: .* MB (" v.out &&
	script -qec "actool extract b.aci x" /dev/null > x.out && grep -q "extracting b.aci: " x.out &&
	cmp l/rootfs/r x/rootfs/r
'

test_expect_success 'acbuild begin and write: progress on a terminal, none with --quiet' '
	script -qec "acbuild begin ./b.aci" /dev/null > begin.out && grep -q "checking ./b.aci: " begin.out &&
	acbuild set-name example.com/p &&
	script -qec "acbuild write --compression=xz out.aci" /dev/null > w.out && grep -q "writing out.aci: " w.out &&
	script -qec "acbuild --quiet write --overwrite --compression=xz out.aci" /dev/null > wq.out &&
	! grep -q "writing" wq.out &&
	acbuild end
'

test_done
