/*
 * cpu.h - how many CPUs this process may really use: the smallest of the
 * CPUs it may run on (affinity) and its cgroup's CPU limit (a container's
 * resources.limits.cpu). A pod on a 64-core node limited to 2 CPUs gets 2:
 * more compression threads than that only queue for the CFS quota.
 */
#ifndef PGW_CPU_H
#define PGW_CPU_H

/* At least 1. */
int cpu_usable(void);
/* The CPUs a cgroup limit allows, rounded up: cgroup v2's cpu.max text
 * ("200000 100000", "max 100000"), or cgroup v1's quota and period (quota
 * -1 = none). 0 when there is no limit or the text is not understood. */
int cpu_limit_v2(const char *cpu_max);
int cpu_limit_v1(long long quota_us, long long period_us);

#endif
