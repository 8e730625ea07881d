#!/usr/bin/env bash
# What the scheduling event source (--events, BPF) costs, on a workload switching tens of
# thousands of times a second (threadtop-workload --ping-pong: two threads handing a byte
# back and forth over pipes). As root (the events need it). Prints:
#  - the workload's context switches per second and its CPU time (user, system) per
#    100,000 switches, with the events off and then on (the BPF programs run in the
#    workload's switches, so their cost shows as system time and fewer switches);
#  - the programs' own time per run and per switch, from the kernel's BPF statistics
#    (kernel.bpf_stats_enabled is turned on for the window and restored after);
#  - threadtop's own CPU time for one `--json -d 1` run with the events on and off (the
#    difference: loading and attaching the programs plus one tick's read of the maps).
#
#   cargo build --release && benches/events_overhead.sh [WINDOW_SECS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
window=${1:-10}
runs=${2:-5}
bin=${THREADTOP:-target/release/threadtop}
wl=${WORKLOAD:-target/release/threadtop-workload}
tmp=$(mktemp -d)
trap 'kill "$wpid" 2>/dev/null; rm -rf "$tmp"' EXIT

"$wl" --name ttoverhead --ping-pong --seconds $((4 * window + 60)) >"$tmp/report" &
wpid=$!
until grep -q '^end' "$tmp/report" 2>/dev/null; do sleep 0.1; done
tids=$(awk '$1 == "thread" && ($3 == "ping" || $3 == "pong") {print $2}' "$tmp/report")
hz=$(getconf CLK_TCK)

# Switches of ping + pong, and the workload's utime and stime in ticks.
sample() {
	local sw=0 t
	for t in $tids; do
		sw=$((sw + $(awk '/^(non)?voluntary_ctxt_switches/ {s += $2} END {print s}' "/proc/$wpid/task/$t/status")))
	done
	echo "$sw $(awk '{print $14, $15}' "/proc/$wpid/stat")"
}

measure() {
	local a b
	a=$(sample)
	sleep "$window"
	b=$(sample)
	echo "$a $b" | awk -v w="$window" -v hz="$hz" -v label="$1" '{
		sw = $4 - $1; u = ($5 - $2) / hz * 1000; s = ($6 - $3) / hz * 1000
		printf "%-11s %9.0f switches/s   per 100k switches: user %6.1f ms, system %6.1f ms\n",
			label, sw / w, u / sw * 1e5, s / sw * 1e5 }'
}

# run_cnt and run_time_ns summed over the program descriptors process $1 holds.
prog_stats() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null | awk '/^run_time_ns:/ {t += $2} /^run_cnt:/ {n += $2} END {print n + 0, t + 0}'
}

sleep 2
measure "events off"
stats=/proc/sys/kernel/bpf_stats_enabled
was=$(cat "$stats" 2>/dev/null || echo "")
[ -w "$stats" ] && echo 1 >"$stats"
"$bin" --json --events on -d $((window + 3)) -p "$wpid" >/dev/null &
tpid=$!
sleep 1.5
before=$(prog_stats "$tpid")
a=$(sample)
measure "events on"
b=$(sample)
after=$(prog_stats "$tpid")
[ -n "$was" ] && [ -w "$stats" ] && echo "$was" >"$stats"
echo "$before $after $a $b" | awk '{
	n = $3 - $1; t = $4 - $2; sw = $8 - $5
	if (n > 0) printf "BPF programs: %d runs, %.0f ns a run, %.0f ns per context switch (all CPUs)\n", n, t / n, t / sw }'
wait "$tpid"
measure "events off"

TIMEFORMAT='%U %S'
for mode in off on; do
	total=0
	for _ in $(seq "$runs"); do
		t=$( { time "$bin" --json --events "$mode" -d 1 >/dev/null; } 2>&1 )
		total=$(echo "$t $total" | awk '{print ($1 + $2) * 1000 + $3}')
	done
	echo "threadtop --json -d 1 --events $mode: $(echo "$total $runs" | awk '{printf "%.0f", $1 / $2}') ms CPU per run (mean of $runs)"
done
