#!/usr/bin/env bash
# Regenerates the screen captures in README.md: the real binary in tmux (a private server)
# over the test workload, one capture per pane. Writes assets/screenshots/*.txt.
#   bash assets/screenshots/capture.sh [NAME...]   (only these captures, e.g. table help)
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --bins --quiet
out=assets/screenshots
bin=target/release
sock=threadtop-screens
cfg=$(mktemp -d)
trap 'tmux -L $sock kill-server 2>/dev/null || true; kill $wl 2>/dev/null || true; rm -rf "$cfg"' EXIT

"$bin/threadtop-workload" --name demo --busy 2 --sleep 20 --share-demo --seconds 600 >"$cfg/wl" &
wl=$!
for _ in $(seq 50); do grep -q '^ready' "$cfg/wl" 2>/dev/null && break; sleep 0.1; done
pid=$(awk '/^ready/{print $2}' "$cfg/wl")

# shot NAME COLS ROWS KEYS...: start threadtop on the workload, send the keys, let two
# refreshes pass, keep the screen with trailing blank lines removed.
only=" $* "
shot() {
    local name=$1 cols=$2 rows=$3
    shift 3
    [[ $only == "  " || $only == *" $name "* ]] || return 0
    tmux -L $sock kill-server 2>/dev/null || true
    sleep 0.5
    tmux -L $sock new-session -d -x "$cols" -y "$rows" \
        "env XDG_CONFIG_HOME=$cfg TERM=xterm-256color $bin/threadtop --pid $pid --sort tid"
    sleep 2.5
    for k in "$@"; do
        tmux -L $sock send-keys "$k"
        sleep 0.3
    done
    sleep 2.5
    tmux -L $sock capture-pane -p | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$out/$name.txt"
}

shot table 100 24 Home Down Down Enter
shot cpus 100 24 Home C
shot placement 100 30 Home p
shot shares 100 30 Home s
shot explain 100 30 Home Down Down e
shot help 100 40 '?'
shot columns 100 30 o
shot signal 100 24 Home k
shot affinity 100 24 Home a
echo "captures in $out"
