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

# cgroups: a second workload in a cgroup limited to half a CPU (needs root and a cgroup
# hierarchy with the cpu controller: v1 cpu, else v2); skipped with the reason otherwise.
cgroup_shot() {
    [[ $only == "  " || $only == *" cgroups "* ]] || return 0
    if [[ $(id -u) != 0 ]]; then echo "cgroups: skipped (needs root)"; return 0; fi
    local dirs=() d
    if [[ -d /sys/fs/cgroup/cpu ]]; then
        dirs=(/sys/fs/cgroup/cpu/demo.service)
        [[ -d /sys/fs/cgroup/cpuacct && ! /sys/fs/cgroup/cpuacct -ef /sys/fs/cgroup/cpu ]] &&
            dirs+=(/sys/fs/cgroup/cpuacct/demo.service)
        mkdir -p "${dirs[@]}"
        echo 100000 >"${dirs[0]}/cpu.cfs_period_us"
        echo 50000 >"${dirs[0]}/cpu.cfs_quota_us"
    elif grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
        echo +cpu >/sys/fs/cgroup/cgroup.subtree_control
        dirs=(/sys/fs/cgroup/demo.service)
        mkdir -p "${dirs[@]}"
        echo "50000 100000" >"${dirs[0]}/cpu.max"
    else
        echo "cgroups: skipped (no cpu controller)"
        return 0
    fi
    "$bin/threadtop-workload" --name demo --busy 2 --sleep 2 --seconds 600 >"$cfg/wl2" &
    local wl2=$! main=$pid
    for _ in $(seq 50); do grep -q '^ready' "$cfg/wl2" 2>/dev/null && break; sleep 0.1; done
    pid=$(awk '/^ready/{print $2}' "$cfg/wl2")
    for d in "${dirs[@]}"; do echo "$pid" >"$d/cgroup.procs"; done
    shot cgroups 100 30 c Home Down Down e
    kill $wl2; wait $wl2 2>/dev/null || true
    pid=$main
    for d in "${dirs[@]}"; do rmdir "$d"; done
}
cgroup_shot
echo "captures in $out"
