#!/usr/bin/env bash
# Rebuilds sched.bpf.o, the object threadtop embeds (include_bytes!), from sched.bpf.c.
# Needs the Debian packages clang-14, llvm-14 and libbpf-dev (for <bpf/bpf_helpers.h>).
#
# The output must be byte-for-byte reproducible, because CI (.ci/run) rebuilds it and
# compares it with the committed one: the compiler is pinned (another clang version emits
# other, equally valid, code), the source is compiled by a relative path with the build
# directory mapped to `.` (the BTF line info names the file), and the DWARF (which holds
# the build directory) is stripped; the BTF that CO-RE needs is kept.
#
#   assets/bpf/build.sh            rebuild assets/bpf/sched.bpf.o in place
#   assets/bpf/build.sh OUT.o      build into OUT.o instead (what CI compares)
set -euo pipefail
out=${1:-}
if [ -n "$out" ]; then
	case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
fi
cd "$(dirname "$0")"
[ -n "$out" ] || out="$PWD/sched.bpf.o"
CLANG=${CLANG:-clang-14}
STRIP=${STRIP:-llvm-strip-14}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$CLANG" -target bpf -O2 -g -Wall -Werror -D__TARGET_ARCH_x86 -I. -fdebug-prefix-map="$PWD"=. \
	-c sched.bpf.c -o "$tmp/sched.bpf.o"
"$STRIP" --strip-debug "$tmp/sched.bpf.o"
cp "$tmp/sched.bpf.o" "$out"
