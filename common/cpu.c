#include "cpu.h"

#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CGROUP_ROOT "/sys/fs/cgroup"

int cpu_limit_v1(long long quota_us, long long period_us)
{
	if (quota_us <= 0 || period_us <= 0)
		return 0;
	long long n = (quota_us + period_us - 1) / period_us;
	return n > INT_MAX ? INT_MAX : (int)n;
}

int cpu_limit_v2(const char *cpu_max)
{
	long long quota, period;
	char word[32];

	if (sscanf(cpu_max, "%31s %lld", word, &period) != 2)
		return 0;
	if (strcmp(word, "max") == 0)
		return 0;
	char *end;
	quota = strtoll(word, &end, 10);
	if (*end)
		return 0;
	return cpu_limit_v1(quota, period);
}

static int read_text(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	return 0;
}

/* word is one of the comma-separated names in list */
static bool has_word(const char *list, const char *word)
{
	size_t len = strlen(word);

	for (const char *p = list; p;
	     p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, word, len) == 0 && (p[len] == ',' || !p[len]))
			return true;
	return false;
}

/* This process's path in one hierarchy of /proc/self/cgroup: "" for v2
 * ("0::/path"), or a v1 controller list that contains controller. */
static int cgroup_path(const char *controller, char *out, size_t cap)
{
	char line[PATH_MAX + 64];
	FILE *f = fopen("/proc/self/cgroup", "r");
	int found = -1;

	if (!f)
		return -1;
	while (found < 0 && fgets(line, sizeof(line), f)) {
		char *ctl = strchr(line, ':'), *path;
		if (!ctl || !(path = strchr(ctl + 1, ':')))
			continue;
		*path++ = '\0';
		ctl++;
		path[strcspn(path, "\n")] = '\0';
		if (*controller ? has_word(ctl, controller) : *ctl == '\0') {
			snprintf(out, cap, "%s", strcmp(path, "/") ? path : "");
			found = 0;
		}
	}
	fclose(f);
	return found;
}

/* Limits set on an ancestor bind too: the smallest along the path up to
 * the root of the mounted hierarchy. */
static int limit_along(const char *mount, const char *path, bool v2)
{
	char dir[PATH_MAX], file[PATH_MAX + 32], text[128];
	int best = 0;

	snprintf(dir, sizeof(dir), "%s%s", mount, path);
	for (;;) {
		int n = 0;
		if (v2) {
			snprintf(file, sizeof(file), "%s/cpu.max", dir);
			if (read_text(file, text, sizeof(text)) == 0)
				n = cpu_limit_v2(text);
		} else {
			long long q = -1, p = 0;
			snprintf(file, sizeof(file), "%s/cpu.cfs_quota_us",
				 dir);
			if (read_text(file, text, sizeof(text)) == 0)
				q = atoll(text);
			snprintf(file, sizeof(file), "%s/cpu.cfs_period_us",
				 dir);
			if (read_text(file, text, sizeof(text)) == 0)
				p = atoll(text);
			n = cpu_limit_v1(q, p);
		}
		if (n > 0 && (best == 0 || n < best))
			best = n;
		char *slash = strrchr(dir, '/');
		if (!slash || (size_t)(slash - dir) < strlen(mount))
			break;
		*slash = '\0';
	}
	return best;
}

static int cgroup_limit(void)
{
	char path[PATH_MAX];
	int n = 0;

	if (cgroup_path("", path, sizeof(path)) == 0) {
		n = limit_along(CGROUP_ROOT, path, true);
		if (n == 0)
			n = limit_along(CGROUP_ROOT "/unified", path, true);
	}
	if (n == 0 && cgroup_path("cpu", path, sizeof(path)) == 0) {
		n = limit_along(CGROUP_ROOT "/cpu", path, false);
		if (n == 0)
			n = limit_along(CGROUP_ROOT "/cpu,cpuacct", path,
					false);
	}
	return n;
}

int cpu_usable(void)
{
	cpu_set_t set;
	int n = 0, limit = cgroup_limit();

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	if (n <= 0)
		n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (limit > 0 && (n <= 0 || limit < n))
		n = limit;
	return n > 0 ? n : 1;
}
