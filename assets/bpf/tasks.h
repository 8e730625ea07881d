/* The kernel types tasks.bpf.c reads, declared by hand for CO-RE (matched by name and
 * field against the running kernel's BTF; offsets here do not matter), for the same
 * reason as sched.h: the object depends on this file only, so CI can rebuild it and
 * compare bytes. */
#ifndef THREADTOP_TASKS_H
#define THREADTOP_TASKS_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef __u32 u32;
typedef __s32 s32;
typedef __u64 u64;
typedef int pid_t;
typedef _Bool bool;

struct seq_file;

struct bpf_iter_meta {
	struct seq_file *seq;
	u64 session_id;
	u64 seq_num;
} __attribute__((preserve_access_index));

struct thread_info {
	u32 cpu;
} __attribute__((preserve_access_index));

struct sched_entity {
	u64 sum_exec_runtime;
	u64 nr_migrations;
} __attribute__((preserve_access_index));

struct sched_info {
	unsigned long pcount;
	unsigned long long run_delay;
} __attribute__((preserve_access_index));

struct signal_struct {
	int nr_threads;
} __attribute__((preserve_access_index));

struct task_struct {
	struct thread_info thread_info;
	unsigned int __state;
	unsigned int flags;
	int prio;
	int static_prio;
	unsigned int rt_priority;
	unsigned int policy;
	struct sched_entity se;
	struct sched_info sched_info;
	int exit_state;
	pid_t pid;
	pid_t tgid;
	struct task_struct *real_parent;
	u64 utime;
	u64 stime;
	unsigned long nvcsw;
	unsigned long nivcsw;
	u64 start_boottime;
	char comm[16];
	struct signal_struct *signal;
} __attribute__((preserve_access_index));

struct bpf_iter__task {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
} __attribute__((preserve_access_index));

#endif
