#include "archlag.h"

#include <string.h>

#include "lsn.h"

/* The first byte after the last archived segment. A backup label is
 * named after the segment its backup started in, archived before it: its
 * end is a lower bound. A timeline history names no segment: the end known
 * from an earlier round stands (-1 when there is none). */
static int64_t archived_end(struct archive_lag *l,
			    const struct dbcheck_result *p)
{
	size_t n = strlen(p->archived_wal);
	uint64_t seg = (uint64_t)p->wal_segment_size;
	int64_t end;

	if (seg < (1u << 20) || n < 24)
		return l->end;
	end = (int64_t)((lsn_segment_number(p->archived_wal, seg) + 1) * seg);
	if (n == 24 || strcmp(p->archived_wal + 24, ".partial") == 0 ||
	    end > l->end)
		l->end = end;
	return l->end;
}

static const struct lag_sample *sample(const struct archive_lag *l, int age)
{
	return &l->s[(l->next - 1 - age + ARCHLAG_SAMPLES) % ARCHLAG_SAMPLES];
}

void archive_lag_update(struct archive_lag *l, const struct dbcheck_result *p,
			time_t now)
{
	int64_t end;
	time_t first = now;

	l->bytes = l->seconds = -1;
	if (l->n == 0)
		l->end = -1;
	end = archived_end(l, p);
	if (p->wal_lsn < 0 || p->next_xid < 0)
		return;
	l->s[l->next] = (struct lag_sample){now, p->wal_lsn, p->next_xid};
	l->next = (l->next + 1) % ARCHLAG_SAMPLES;
	if (l->n < ARCHLAG_SAMPLES)
		l->n++;
	if (p->archive_on != 1 || end < 0)
		return;
	l->bytes = p->wal_lsn > end ? p->wal_lsn - end : 0;
	/* newest to oldest, over rounds whose WAL lies wholly past the
	 * archived end: a transaction id taken between two of them wrote
	 * there. (Across the end, the write may be in the archived part: an
	 * idle server after a switch would then show a lag that never ends.
	 * archive_timeout bounds what that misses.) */
	for (int age = 0; age + 1 < l->n && sample(l, age + 1)->lsn >= end;
	     age++) {
		const struct lag_sample *s = sample(l, age),
					*before = sample(l, age + 1);
		if (s->xid > before->xid)
			first = s->t;
	}
	l->seconds = now - first;
}
