#!/usr/bin/env bash
# Rebuilds sched.bpf.o, the object threadtop embeds (include_bytes!), from sched.bpf.c.
# Needs the Debian packages clang-14, llvm-14 and libbpf-dev (for <bpf/bpf_helpers.h>).
#
# The output must be byte-for-byte reproducible, because CI (.ci/run) rebuilds it and
# compares it with the committed one: the compiler is pinned (another clang version emits
# other, equally valid, code), it runs on relative paths from this directory, and the
# DWARF (which holds the build directory) is stripped; the BTF CO-RE needs is kept.
#
#   assets/bpf/build.sh            rebuild sched.bpf.o in place
#   assets/bpf/build.sh OUT.o      build into OUT.o instead (what CI compares)
set -euo pipefail
cd "$(dirname "$0")"
CLANG=${CLANG:-clang-14}
STRIP=${STRIP:-llvm-strip-14}
out=${1:-sched.bpf.o}
case "$out" in /*) ;; *) out="$OLDPWD/$out" ;; esac
[ "${1:-}" = "" ] && out="$PWD/sched.bpf.o"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$CLANG" -target bpf -O2 -g -Wall -Werror -D__TARGET_ARCH_x86 -I. -fdebug-prefix-map="$PWD"=. \
	-c sched.bpf.c -o "$tmp/sched.bpf.o"
"$STRIP" --strip-debug "$tmp/sched.bpf.o"
cp "$tmp/sched.bpf.o" "$out"
