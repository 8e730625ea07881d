// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * threadtop's task walk: one run of this program (BPF_PROG_TEST_RUN, one syscall) walks
 * the kernel's task list with the open-coded task iterator (bpf_iter_task_*, kernel 6.7+)
 * and writes every task's hot fields as one fixed-size record into an array map that
 * threadtop has memory-mapped, so a tick reads every task without a file, a read(2) or a
 * copy.
 *
 * Why not iter/task (tasks.bpf.c): that iterator looks every task up by PID and takes a
 * reference on it, 0.41 us a task here before the program does anything (about 0.07x
 * the /proc scanner on its own); following the task list's pointers under RCU does not.
 *
 * The record is struct task_rec, the same as tasks.bpf.c's (src/collect/task_iter/
 * record.rs reads both). threadtop loads this object itself (src/collect/task_iter/
 * walk.rs): aya relocates CO-RE fields but not kfunc calls. The section name is one aya's
 * object parser accepts; the program is loaded as BPF_PROG_TYPE_SYSCALL, sleepable.
 */
#include "tasks.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* The kernel's iterator state, kept on the program's stack (its size is what matters). */
struct bpf_iter_task {
	__u64 __opaque[3];
} __attribute__((aligned(8)));

/* BPF_TASK_ITER_ALL_THREADS in kernel/bpf/task_iter.c: every thread of every process. */
#define ALL_THREADS 1

/* From the kernel's uapi <linux/bpf.h>. */
#define BPF_MAP_TYPE_ARRAY 2
#define BPF_F_MMAPABLE 1024

extern int bpf_iter_task_new(struct bpf_iter_task *it, struct task_struct *task,
			     unsigned int flags) __ksym;
extern struct task_struct *bpf_iter_task_next(struct bpf_iter_task *it) __ksym;
extern void bpf_iter_task_destroy(struct bpf_iter_task *it) __ksym;
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;

#include "task_rec.h"

/* One record per task; max_entries is set by the loader (from the machine's task count)
 * and the map is BPF_F_MMAPABLE. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, u32);
	__type(value, struct task_rec);
	__uint(max_entries, 1);
} recs SEC(".maps");

/* The pass's count, in map memory rather than a register: the verifier does not track
 * map values, so the loop's state is the same every time round and it converges, where
 * a counter in a register differs each round and the verifier would walk every one. */
struct walk_state {
	u64 tasks;  /* tasks seen, also those beyond the map's room */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, u32);
	__type(value, struct walk_state);
	__uint(max_entries, 1);
} state SEC(".maps");

SEC("iter.s/task")
int walk_tasks(void *ctx)
{
	struct bpf_iter_task it;
	struct task_struct *t;
	struct walk_state *st;
	u32 zero = 0;

	st = bpf_map_lookup_elem(&state, &zero);
	if (!st)
		return 0;
	st->tasks = 0;
	bpf_rcu_read_lock();
	bpf_iter_task_new(&it, 0, ALL_THREADS);
	while ((t = bpf_iter_task_next(&it))) {
		u32 i = st->tasks;
		struct task_rec *r;

		/* The idle task of CPU 0 (init_task) opens the list; /proc has no PID 0. */
		if (t->pid == 0)
			continue;
		st->tasks = i + 1;
		r = bpf_map_lookup_elem(&recs, &i);
		if (!r)
			continue;
		fill_task_rec(r, t);
	}
	bpf_iter_task_destroy(&it);
	bpf_rcu_read_unlock();
	/* The count, as the run's return value (BPF_PROG_TEST_RUN's retval). */
	return st->tasks;
}
