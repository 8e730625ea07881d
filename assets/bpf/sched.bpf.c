// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * threadtop's scheduling event source: per task, per tick, aggregated in the kernel.
 *
 * Nothing goes to user space per event. User space bumps `gen` once a tick; each task's
 * value has two halves, indexed by gen & 1. An event of generation g works on half g & 1,
 * first clearing it if it still holds an older generation, so while events fill one half
 * user space reads the other (the tick that just ended) with no per-tick deletes.
 *
 * Bounded under any event rate: one hash map of fixed size (an insert that fails is counted
 * in `stats`, "maps full"), constant work per event, no loops over data.
 *
 * The layout of struct task_val is mirrored in src/collect/events/layout.rs: change both.
 * Rebuild the committed object with ./build.sh.
 */
#include "sched.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#define NBUCKETS 100 /* 0: under 1 us; 1 + 4 * log2(us) + quarter; last: 2^24 us and up */
#define NSLOTS 4     /* CPUs a task's time is kept for per tick; more go to other_ns */
#define MAX_TASKS 32768

#define EXITED 2 /* flags: sched_process_exit seen or switched out dead */

#define TASK_DEAD 0x80

/* Task state bits (include/linux/sched.h). */
#define TASK_UNINTERRUPTIBLE 0x2
#define TASK_STOPPED_BITS 0xc /* __TASK_STOPPED | __TASK_TRACED */
#define TASK_NOLOAD 0x400     /* with UNINTERRUPTIBLE: TASK_IDLE, shown as I, not D */
#define PF_KTHREAD 0x00200000

/* Why a task is off a CPU: the order of Reason in src/collect/waits/classify.rs. */
#define OFF_LOCK 0
#define OFF_IO 1
#define OFF_FD 2
#define OFF_SLEEP 3
#define OFF_STOPPED 4
#define OFF_OTHER 5
#define NOFF 6

struct cpu_slot {
	u32 cpu;
	u32 pad;
	u64 ns;
};

struct half {
	u64 gen;
	u32 count; /* run-queue waits ended (wakeup or preemption -> switch-in) */
	u32 migrations;
	u32 voluntary;
	u32 involuntary;
	u64 max_ns;
	u64 max_at; /* ktime (CLOCK_MONOTONIC) of the switch-in that ended the longest wait */
	u64 other_ns;
	struct cpu_slot slots[NSLOTS];
	u32 wakings;      /* sched_waking events with a task (not the idle task) as waker */
	u32 waker_tid;    /* Boyer-Moore majority vote candidate */
	u32 waker_votes;  /* its vote counter */
	u32 waker_hits;   /* wakings by the candidate since it became candidate */
	char waker_comm[16];
	u32 irq_wakings;  /* wakeups from interrupt context: a timer or a device, no task */
	u32 pad;
	u64 off_ns[NOFF]; /* time off a CPU (switched out blocked, until woken), by reason */
	u32 hist[NBUCKETS];
};

struct task_val {
	u64 start_boottime;
	u64 enq_ts; /* when it became runnable and started waiting; 0: not waiting */
	u32 flags;
	u32 pad;
	u64 off_ts;     /* when it switched out blocked; 0: not off a CPU (or not known) */
	u32 off_reason; /* OFF_*, set with off_ts */
	u32 pad2;
	struct half h[2];
};

/*
 * Who runs on this CPU since when. CPU time is charged per CPU, from one switch to the
 * next, so the time charged on a CPU can never add up to more than the time that passed;
 * user space adds the still-open segment of each CPU's current task at the tick's end.
 */
struct cpu_state {
	u64 since;          /* ktime of the last switch seen here; 0: none since attach */
	u64 start_boottime; /* of the task switched in then */
	u32 tid;
	u32 irq_depth; /* > 0: in a hard or soft interrupt handler or an hrtimer callback */
};

struct gen_val {
	u64 gen;
	u64 start_ns; /* ktime at which user space started this generation */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct gen_val);
} gen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	/* No prealloc: memory follows the tasks seen (~1.2 KB each), not 32768 of them. */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, MAX_TASKS);
	__type(key, u32);
	__type(value, struct task_val);
} tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct cpu_state);
} cpus SEC(".maps");

/* A zeroed value to insert from: struct task_val is larger than the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct task_val);
} zero SEC(".maps");

/* Per CPU (no shared cache line on the hot path): 0: inserts refused, map full;
 * 1: sched_switch events; 2: inserts that failed otherwise. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3);
	__type(key, u32);
	__type(value, u64);
} stats SEC(".maps");

static __always_inline u32 log2_u64(u64 v)
{
	u32 r = 0;
	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) { r += 1; }
	return r;
}

static __always_inline u32 bucket_of(u64 ns)
{
	u64 us = ns / 1000;
	if (us == 0)
		return 0;
	u32 p = log2_u64(us);
	u32 quarter = p >= 2 ? (u32)(us >> (p - 2)) & 3 : (u32)(us << (2 - p)) & 3;
	u32 b = 1 + p * 4 + quarter;
	return b < NBUCKETS ? b : NBUCKETS - 1;
}

static __always_inline u32 task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	struct task_struct___pre514 *old = (void *)t;
	return (u32)BPF_CORE_READ(old, state);
}

/* x86_64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl), grouped as
 * src/collect/waits/classify.rs groups them by name. */
static __always_inline u32 off_reason_of(struct task_struct *t, u32 state)
{
	if (state & TASK_STOPPED_BITS)
		return OFF_STOPPED;
	if ((state & TASK_UNINTERRUPTIBLE) && !(state & TASK_NOLOAD))
		return OFF_IO;
	if (BPF_CORE_READ(t, flags) & PF_KTHREAD)
		return OFF_OTHER;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);
	if (!regs)
		return OFF_OTHER;
	long nr = BPF_CORE_READ(regs, orig_ax);
	switch (nr) {
	case 202: /* futex */
	case 449: /* futex_waitv */
		return OFF_LOCK;
	case 35:  /* nanosleep */
	case 230: /* clock_nanosleep */
		return OFF_SLEEP;
	case 0: case 1: case 7: case 17: case 18: case 19: case 20: case 23: /* read write poll pread64 pwrite64 readv writev select */
	case 42: case 43: case 44: case 45: case 46: case 47: /* connect accept sendto recvfrom sendmsg recvmsg */
	case 73: case 232: case 270: case 271: case 281: case 288: /* flock epoll_wait pselect6 ppoll epoll_pwait accept4 */
	case 295: case 296: case 299: case 307: case 327: case 328: case 441: /* preadv pwritev recvmmsg sendmmsg preadv2 pwritev2 epoll_pwait2 */
		return OFF_FD;
	default:
		return OFF_OTHER;
	}
}

/* Ends an off-CPU stretch (woken, or seen switching in): its part in this generation goes
 * to its reason; earlier generations' parts were credited by user space at their end. */
static __always_inline void end_off(struct task_val *v, struct half *h, struct gen_val *g, u64 now)
{
	if (!v->off_ts)
		return;
	u64 from = v->off_ts > g->start_ns ? v->off_ts : g->start_ns;
	v->off_ts = 0;
	if (now <= from)
		return;
	u64 d = now - from;
	/* Constant indices: a bounds-checked variable one was rejected by the verifier
	 * (clang reorders the check after the address arithmetic). */
	switch (v->off_reason) {
	case OFF_LOCK: h->off_ns[OFF_LOCK] += d; break;
	case OFF_IO: h->off_ns[OFF_IO] += d; break;
	case OFF_FD: h->off_ns[OFF_FD] += d; break;
	case OFF_SLEEP: h->off_ns[OFF_SLEEP] += d; break;
	case OFF_STOPPED: h->off_ns[OFF_STOPPED] += d; break;
	default: h->off_ns[OFF_OTHER] += d; break;
	}
}

static __always_inline struct gen_val *current_gen(void)
{
	u32 k = 0;
	return bpf_map_lookup_elem(&gen, &k);
}

static __always_inline void stat_add(u32 k)
{
	u64 *v = bpf_map_lookup_elem(&stats, &k);
	if (v)
		*v += 1; /* this CPU's counter; tracepoints run with preemption off */
}

/* The task's value, created when missing; reset when the TID now belongs to another task. */
static __always_inline struct task_val *task_of(struct task_struct *t)
{
	u32 tid = BPF_CORE_READ(t, pid);
	if (tid == 0) /* the idle tasks */
		return 0;
	u64 start = BPF_CORE_READ(t, start_boottime);
	struct task_val *v = bpf_map_lookup_elem(&tasks, &tid);
	if (!v) {
		u32 k = 0;
		struct task_val *z = bpf_map_lookup_elem(&zero, &k);
		if (!z)
			return 0;
		long err = bpf_map_update_elem(&tasks, &tid, z, BPF_NOEXIST);
		if (err && err != -EEXIST) {
			/* -E2BIG: full. Others (-ENOMEM, -EBUSY when nested on this CPU) are rare. */
			stat_add(err == -E2BIG ? 0 : 2);
			return 0;
		}
		v = bpf_map_lookup_elem(&tasks, &tid);
		if (!v)
			return 0;
		v->start_boottime = start;
	} else if (v->start_boottime != start) {
		/* Larger than clang inlines a memset for: copied from the zeroed value. */
		u32 k = 0;
		struct task_val *z = bpf_map_lookup_elem(&zero, &k);
		if (!z)
			return 0;
		bpf_probe_read_kernel(v, sizeof(*v), z);
		v->start_boottime = start;
	}
	return v;
}

static __always_inline struct half *half_of(struct task_val *v, struct gen_val *g)
{
	u64 gen = g->gen;
	struct half *h = &v->h[gen & 1];
	if (h->gen != gen) {
		u32 k = 0;
		struct task_val *z = bpf_map_lookup_elem(&zero, &k);
		if (!z)
			return 0;
		bpf_probe_read_kernel(h, sizeof(*h), &z->h[0]);
		h->gen = gen;
	}
	return h;
}

static __always_inline void add_cpu_time(struct half *h, u32 cpu, u64 ns)
{
#pragma unroll
	for (int i = 0; i < NSLOTS; i++) {
		if (h->slots[i].ns == 0 || h->slots[i].cpu == cpu) {
			h->slots[i].cpu = cpu;
			h->slots[i].ns += ns;
			return;
		}
	}
	h->other_ns += ns;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(handle_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct gen_val *g = current_gen();
	if (!g)
		return 0;
	u64 now = bpf_ktime_get_ns();
	u32 cpu = bpf_get_smp_processor_id();
	stat_add(1);

	u32 k = 0;
	struct cpu_state *cs = bpf_map_lookup_elem(&cpus, &k);
	if (!cs)
		return 0;

	struct task_val *v = task_of(prev);
	if (v) {
		struct half *h = half_of(v, g);
		if (!h)
			return 0;
		u32 state = task_state(prev);
		/* As the kernel counts nvcsw/nivcsw: preempted or still TASK_RUNNING is involuntary. */
		bool runnable = preempt || state == 0;
		if (runnable)
			h->involuntary++;
		else
			h->voluntary++;
		/*
		 * prev ran here since the last switch on this CPU; with none seen since the
		 * attach, since before it, so since before this generation began (generation
		 * 1 starts after the attach; generation 0 is never read). Earlier generations'
		 * part was credited by user space from `cpus`.
		 */
		u64 from = cs->since > g->start_ns ? cs->since : g->start_ns;
		if (now > from)
			add_cpu_time(h, cpu, now - from);
		v->enq_ts = runnable ? now : 0;
		if (runnable || (state & TASK_DEAD)) {
			v->off_ts = 0;
		} else {
			v->off_ts = now;
			v->off_reason = off_reason_of(prev, state);
		}
		if (state & TASK_DEAD)
			v->flags |= EXITED;
	}
	cs->since = now;
	cs->tid = BPF_CORE_READ(next, pid);
	cs->start_boottime = BPF_CORE_READ(next, start_boottime);

	v = task_of(next);
	if (v) {
		struct half *h = half_of(v, g);
		if (!h)
			return 0;
		end_off(v, h, g, now);
		if (v->enq_ts && now > v->enq_ts) {
			u64 lat = now - v->enq_ts;
			u32 b = bucket_of(lat);
			/* Else clang folds the bound check away and the verifier sees b up to 100. */
			barrier_var(b);
			if (b < NBUCKETS)
				h->hist[b]++;
			h->count++;
			if (lat > h->max_ns) {
				h->max_ns = lat;
				h->max_at = now;
			}
		}
		v->enq_ts = 0;
	}
	return 0;
}

static __always_inline void on_wakeup(struct task_struct *p)
{
	struct gen_val *g = current_gen();
	if (!g)
		return;
	struct task_val *v = task_of(p);
	if (!v)
		return;
	struct half *h = half_of(v, g);
	if (!h)
		return;
	u64 now = bpf_ktime_get_ns();
	end_off(v, h, g, now);
	/* A task woken while still on its CPU sets this too: its switch-out overwrites it. */
	v->enq_ts = now;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(handle_wakeup, struct task_struct *p)
{
	on_wakeup(p);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(handle_wakeup_new, struct task_struct *p)
{
	on_wakeup(p);
	return 0;
}

/*
 * Interrupt context, per CPU: a wakeup from a timer or a device handler runs with
 * whichever task it interrupted as `current`, which is not its waker. The exits are
 * attached before the entries (an exit without its entry is ignored), so the depth can
 * only be too low for the first interrupt after the attach, never stuck above zero.
 */
static __always_inline void irq_enter(void)
{
	u32 k = 0;
	struct cpu_state *cs = bpf_map_lookup_elem(&cpus, &k);
	if (cs)
		cs->irq_depth++;
}

static __always_inline void irq_leave(void)
{
	u32 k = 0;
	struct cpu_state *cs = bpf_map_lookup_elem(&cpus, &k);
	if (cs && cs->irq_depth > 0)
		cs->irq_depth--;
}

SEC("tp_btf/irq_handler_entry")
int BPF_PROG(handle_irq_entry)
{
	irq_enter();
	return 0;
}

SEC("tp_btf/irq_handler_exit")
int BPF_PROG(handle_irq_exit)
{
	irq_leave();
	return 0;
}

SEC("tp_btf/softirq_entry")
int BPF_PROG(handle_softirq_entry)
{
	irq_enter();
	return 0;
}

SEC("tp_btf/softirq_exit")
int BPF_PROG(handle_softirq_exit)
{
	irq_leave();
	return 0;
}

SEC("tp_btf/hrtimer_expire_entry")
int BPF_PROG(handle_hrtimer_entry)
{
	irq_enter();
	return 0;
}

SEC("tp_btf/hrtimer_expire_exit")
int BPF_PROG(handle_hrtimer_exit)
{
	irq_leave();
	return 0;
}

/*
 * The waker: sched_waking runs in try_to_wake_up() in the waker's context, where
 * sched_wakeup may run later on the wakee's CPU (an IPI, with the idle task current).
 * Wakeups from interrupt context are counted apart. Boyer-Moore leaves a candidate even
 * without a majority, so only a proven one is reported (user space: hits * 2 > wakings).
 */
SEC("tp_btf/sched_waking")
int BPF_PROG(handle_waking, struct task_struct *p)
{
	struct gen_val *g = current_gen();
	if (!g)
		return 0;
	u32 k = 0;
	struct cpu_state *cs = bpf_map_lookup_elem(&cpus, &k);
	if (!cs)
		return 0;
	u64 pid_tgid = bpf_get_current_pid_tgid();
	u32 waker = (u32)pid_tgid;
	bool irq = cs->irq_depth > 0;
	if (waker == 0 && !irq)
		return 0;
	struct task_val *v = task_of(p);
	if (!v)
		return 0;
	struct half *h = half_of(v, g);
	if (!h)
		return 0;
	if (irq) {
		h->irq_wakings++;
		return 0;
	}
	h->wakings++;
	if (h->waker_votes == 0) {
		h->waker_tid = waker;
		h->waker_votes = 1;
		h->waker_hits = 1;
		bpf_get_current_comm(h->waker_comm, sizeof(h->waker_comm));
	} else if (h->waker_tid == waker) {
		h->waker_votes++;
		h->waker_hits++;
	} else {
		h->waker_votes--;
	}
	return 0;
}

SEC("tp_btf/sched_migrate_task")
int BPF_PROG(handle_migrate, struct task_struct *p, int dest_cpu)
{
	struct gen_val *g = current_gen();
	if (!g)
		return 0;
	struct task_val *v = task_of(p);
	if (!v)
		return 0;
	struct half *h = half_of(v, g);
	if (!h)
		return 0;
	h->migrations++;
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *p)
{
	struct gen_val *g = current_gen();
	if (!g)
		return 0;
	struct task_val *v = task_of(p);
	if (!v)
		return 0;
	if (!half_of(v, g))
		return 0;
	v->flags |= EXITED;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

/* Mirrored in src/collect/events/layout.rs, which asserts the same sizes. */
_Static_assert(sizeof(struct half) == 600, "struct half changed: update layout.rs");
_Static_assert(sizeof(struct cpu_state) == 24, "struct cpu_state changed: update layout.rs");
_Static_assert(sizeof(struct task_val) == 1240, "struct task_val changed: update layout.rs");
_Static_assert(sizeof(struct gen_val) == 16, "struct gen_val changed: update layout.rs");
