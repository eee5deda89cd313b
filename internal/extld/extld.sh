#!/bin/sh
# golive's C linker for a cgo build, written by golive (internal/extld;
# edits are overwritten). It answers Go's linker's questions about the C
# compiler's flags (a link of trivial.c) from the answers kept in
# probes/, and runs every other call, the link included, with the
# compilers go env names (GOLIVE_EXTLD_CC and GOLIVE_EXTLD_CXX, when set,
# name others).
tools='@TOOLS@'
dir=${0%/*}
# compilers sets cc and cxx: go env's, asked once for these tools.
compilers() {
	cc=$GOLIVE_EXTLD_CC
	cxx=$GOLIVE_EXTLD_CXX
	[ -n "$cc" ] && return
	f="$dir/compilers-$tools"
	if [ ! -s "$f" ]; then
		if ! go env CC CXX >"$f.$$"; then
			rm -f "$f.$$"
			echo "golive-extld: go env CC CXX failed" >&2
			exit 2
		fi
		mv -f "$f.$$" "$f"
	fi
	{ IFS= read -r cc; IFS= read -r cxx; } <"$f"
	if [ -z "$cc" ]; then
		echo "golive-extld: go env CC is empty" >&2
		exit 2
	fi
}
for last do :; done
case $last in
*/trivial.c)
	# A question: the temp directory, new on every link, is no part of
	# its key; the compiler's, the linkers' and their variables' identity
	# (tools) is.
	tmp=${last%/trivial.c}
	key="$tools ${GOLIVE_EXTLD_CC:-go env}"
	for a do
		case $a in "$tmp"/*) a=TMP/${a#"$tmp"/} ;; esac
		key="$key $a"
	done
	sum=$(printf '%s' "$key" | cksum) # CRC and length
	sum="${sum%% *}-${sum##* }"
	for f in "$dir/probes/$sum".*; do
		[ -e "$f" ] || break
		[ -s "$f" ] && cat "$f"
		exit "${f##*.}"
	done
	compilers
	out=$($cc "$@" 2>&1)
	rc=$?
	if mkdir -p "$dir/probes" && printf '%s\n' "$out" >"$dir/probes/.$sum.$$"; then
		mv -f "$dir/probes/.$sum.$$" "$dir/probes/$sum.$rc"
	fi
	printf '%s\n' "$out"
	exit $rc
	;;
esac
# The link. go build links with the C++ compiler when a package of the
# build has C++ files, which golive does not know: a link that fails for
# want of the C++ runtime runs again with it, as go build would have run.
compilers
errs="$dir/.errors.$$"
if ! : 2>/dev/null >"$errs"; then
	exec $cc "$@" # no place for the errors: no second try either
fi
$cc "$@" 2>"$errs"
rc=$?
if [ $rc -ne 0 ] && [ -n "$cxx" ] && grep -qE '__gxx_personality|__cxa_|std::|operator (new|delete)' "$errs"; then
	rm -f "$errs"
	exec $cxx "$@"
fi
[ -s "$errs" ] && cat "$errs" >&2
rm -f "$errs"
exit $rc
