/* The kernel types sched.bpf.c reads, declared by hand for CO-RE (BPF CO-RE relocations
 * match them by name against the running kernel's BTF, so offsets here do not matter).
 * Hand-written rather than a generated vmlinux.h: the compiled object then depends on
 * this file only, not on the kernel of the machine that built it, so CI can rebuild it
 * and compare bytes (a vmlinux.h from another kernel gives another object). */
#ifndef THREADTOP_SCHED_H
#define THREADTOP_SCHED_H

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
typedef __u8 u8;
typedef __u32 u32;
typedef __u64 u64;
typedef int pid_t;
typedef _Bool bool;
#define true 1
#define false 0

enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
};

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
};

enum {
	BPF_F_NO_PREALLOC = 1,
};

#define E2BIG 7
#define EEXIST 17

struct task_struct {
	unsigned int __state;
	unsigned int flags;
	pid_t pid;
	pid_t tgid;
	u64 start_boottime;
	char comm[16];
} __attribute__((preserve_access_index));

/* x86_64: the system call a task is in (-1: none), for why it is off a CPU. */
struct pt_regs {
	unsigned long orig_ax;
} __attribute__((preserve_access_index));

/* Kernels before 5.14 call the state field `state` (a long). */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

#endif
