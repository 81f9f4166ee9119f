#include "space.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alert.h"
#include "fs.h"
#include "log.h"
#include "tm.h"

/* Bytes in one database directory (flat: PostgreSQL keeps no subdirs). */
static int64_t dir_bytes(int dirfd_parent, const char *name)
{
	int fd = openat(dirfd_parent, name,
			O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;
	int64_t sum = 0;
	struct stat st;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.' &&
		    fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode))
			sum += (int64_t)st.st_blocks * 512;
	closedir(dir);
	return sum;
}

int64_t space_largest_database(const char *pgdata)
{
	char base[PATH_MAX];
	DIR *dir = opendir(fs_join(base, pgdata, "base"));
	struct dirent *e;
	int64_t largest = -1;

	if (!dir)
		return -1;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.' ||
		    strspn(e->d_name, "0123456789") != strlen(e->d_name))
			continue;
		int64_t n = dir_bytes(dirfd(dir), e->d_name);
		if (n > largest)
			largest = n;
	}
	closedir(dir);
	return largest;
}

static void tell_low(const struct daemon *d, int64_t free_b, int64_t need)
{
	char msg[512], f[32], n[32];

	snprintf(msg, sizeof(msg),
		 "PGDATA's volume has %s free, less than its largest database "
		 "(%s): a recovery restores a copy beside the data and keeps "
		 "the damaged one aside, and would fail for want of disk. "
		 "Grow the volume, or remove what is kept aside "
		 "(pgwarden status lists it)",
		 fs_human_size(free_b, f, sizeof(f)),
		 fs_human_size(need, n, sizeof(n)));
	log_warn("%s", msg);
	alert_emit(ALERT_WARNING, "pgdata-space-low",
		   "Database Server - WARNING", msg, d->cfg.pgdata);
}

void space_tick(struct space *sp, const struct daemon *d)
{
	int64_t now = tm_mono_ms(), free_b, need;

	if (now < sp->next_ms)
		return;
	sp->next_ms = now + (int64_t)d->cfg.space_check_interval * 1000;
	free_b = fs_free_bytes(d->cfg.pgdata);
	need = space_largest_database(d->cfg.pgdata);
	if (free_b < 0 || need <= 0)
		return; /* no cluster yet, or not readable: nothing to judge */
	if (free_b < need && !sp->low) {
		sp->low = true;
		tell_low(d, free_b, need);
	} else if (free_b >= need && sp->low) {
		sp->low = false;
		log_info("pgdata's volume has room for a recovery again");
	}
}
