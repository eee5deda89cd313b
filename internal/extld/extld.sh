#!/bin/sh
# golive's C linker for a [plugins] build and for a replayed external
# link, written by golive (internal/extld; edits are overwritten). It
# answers Go's linker's questions about the C compiler's flags (a link of
# trivial.c) from the answers kept in probes/, and runs every other call,
# the link included, with the compiler GOLIVE_EXTLD_CC names (go env CC,
# as golive found it for the session, or the one go build named for the
# link it replays). GOLIVE_EXTLD_TOOLS sums up that toolchain: the
# answers of one toolchain are never another's.
# The compilers' words are split (go env CC may be "gcc -m64"), but none
# is a pattern: a path with * ? or [ names that file and no other.
set -f
cc=$GOLIVE_EXTLD_CC
cxx=$GOLIVE_EXTLD_CXX
tools=$GOLIVE_EXTLD_TOOLS
if [ -z "$cc" ] || [ -z "$tools" ]; then
	echo "golive-extld: GOLIVE_EXTLD_CC or GOLIVE_EXTLD_TOOLS is empty: this is golive's linker, run by go build under golive only" >&2
	exit 2
fi
dir=${0%/*}
flag=
last=
for a do
	flag=$last
	last=$a
done
case $last in
*/trivial.c)
	# A question: the temp directory, new on every link, is no part of
	# its key.
	tmp=${last%/trivial.c}
	key=$tools # the compilers are in it
	for a do
		case $a in
		"$tmp"/*) a=TMP/${a#"$tmp"/} ;;
		@"$tmp"/*) a=@TMP/${a#@"$tmp"/} ;;
		esac
		key="$key $a"
	done
	sum=$(printf '%s' "$key" | cksum) # CRC and length
	sum="${sum%% *}-${sum##* }"
	set +f
	for f in "$dir/probes/$sum".*; do
		[ -e "$f" ] || break
		[ -s "$f" ] && cat "$f"
		exit "${f##*.}"
	done
	set -f
	out=$($cc "$@" 2>&1)
	rc=$?
	# Only a definite answer is kept: yes, or the compiler's refusal of
	# the flag asked (FLAG, before trivial.c; ld names -Wl,'s last part),
	# which Go's linker reads as no. A failure of another kind (memory, a
	# full disk, a signal) says nothing of the flag: a toolchain's path
	# may hold "unknown" too.
	refused=
	case $rc:$out in
	1:*"${flag##*,}"*)
		case $out in
		*"unrecognized command"* | *"unrecognized option"* | *"unknown argument"* | *"unknown option"*) refused=1 ;;
		esac
		;;
	esac
	case $rc$refused in
	0 | 11)
		if mkdir -p "$dir/probes" 2>/dev/null && (printf '%s\n' "$out" >"$dir/probes/.$sum.$$") 2>/dev/null; then
			mv -f "$dir/probes/.$sum.$$" "$dir/probes/$sum.$rc" 2>/dev/null || rm -f "$dir/probes/.$sum.$$"
		fi
		;;
	esac
	printf '%s\n' "$out"
	exit $rc
	;;
esac
# The link. go build links with the C++ compiler when a package of the
# build has C++ files, which golive does not know: a link that fails for
# want of the C++ runtime runs again with it, as go build would have run.
# Its errors are read through a pipe (no file: the cache may be full or
# read-only); its output passes as it is.
{ errs=$($cc "$@" 2>&1 >&3 3>&-); rc=$?; } 3>&1
if [ $rc -ne 0 ] && [ -n "$cxx" ]; then
	case $errs in
	*__gxx_personality* | *__cxa_* | *std::* | *"operator new"* | *"operator delete"*)
		if command -v "${cxx%% *}" >/dev/null 2>&1; then
			exec $cxx "$@"
		fi
		;;
	esac
fi
[ -n "$errs" ] && printf '%s\n' "$errs" >&2
exit $rc
