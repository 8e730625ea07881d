#!/usr/bin/env bash
# Rebuilds the objects threadtop embeds (include_bytes!): sched.bpf.o from sched.bpf.c
# (scheduling events), tasks.bpf.o from tasks.bpf.c (the task iterator) and walk.bpf.o
# from walk.bpf.c (the task walk with the open-coded iterator).
# Needs the Debian packages clang-14, llvm-14 and libbpf-dev (for <bpf/bpf_helpers.h>).
#
# The output must be byte-for-byte reproducible, because CI (.ci/run) rebuilds it and
# compares it with the committed one: the compiler is pinned (another clang version emits
# other, equally valid, code), the source is compiled by a relative path with the build
# directory mapped to `.` (the BTF line info names the file), and the DWARF (which holds
# the build directory) is stripped; the BTF that CO-RE needs is kept.
#
#   assets/bpf/build.sh                  rebuild both objects in place
#   assets/bpf/build.sh OUT.o            build sched.bpf.o into OUT.o instead (what CI compares)
#   OBJ=tasks assets/bpf/build.sh OUT.o  the same for tasks.bpf.o (OBJ=walk: walk.bpf.o)
set -euo pipefail
out=${1:-}
if [ -n "$out" ]; then
	case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
fi
cd "$(dirname "$0")"
CLANG=${CLANG:-clang-14}
STRIP=${STRIP:-llvm-strip-14}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
build() { # NAME OUT
	"$CLANG" -target bpf -O2 -g -Wall -Werror -D__TARGET_ARCH_x86 -I. -fdebug-prefix-map="$PWD"=. \
		-c "$1.bpf.c" -o "$tmp/$1.bpf.o"
	"$STRIP" --strip-debug "$tmp/$1.bpf.o"
	cp "$tmp/$1.bpf.o" "$2"
}
if [ -n "$out" ]; then
	build "${OBJ:-sched}" "$out"
else
	build sched "$PWD/sched.bpf.o"
	build tasks "$PWD/tasks.bpf.o"
	build walk "$PWD/walk.bpf.o"
fi
