// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * threadtop's task iterator: one pass over every task in the kernel (threads included,
 * in TID order), writing each one's hot fields as one fixed-size binary record, so a tick
 * reads every task with a few read(2)s of the iterator instead of two /proc files a task.
 *
 * The record is mirrored in src/collect/task_iter/record.rs: change both. Rebuild the
 * committed object with ./build.sh.
 */
#include "tasks.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#include "task_rec.h"

SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *t = ctx->task;
	struct task_rec r = {};

	if (!t)
		return 0;
	fill_task_rec(&r, t);
	bpf_seq_write(seq, &r, sizeof(r));
	return 0;
}
