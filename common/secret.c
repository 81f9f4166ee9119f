#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static int read_first_line(const char *file, const char *what, char *out,
			   size_t cap, char *err, size_t errlen)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n = 0;

	if (fd < 0) {
		snprintf(err, errlen, "unable to open %s '%s': %s", what, file,
			 strerror(errno));
		return -1;
	}
	while (len < cap && (n = read(fd, out + len, cap - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		len += (size_t)n;
		if (memchr(out, '\n', len))
			break;
	}
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "unable to read %s '%s': %s", what, file,
			 strerror(errno));
		return -1;
	}
	if (!memchr(out, '\n', len) && len >= cap) {
		snprintf(err, errlen,
			 "%s '%s' holds a secret longer than %zu "
			 "bytes",
			 what, file, cap - 1);
		return -1;
	}
	out[len < cap ? len : cap - 1] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

int secret_read(const char *file, const char *env, const char *what,
		unsigned flags, char *out, size_t cap, char *err, size_t errlen)
{
	const char *v = env ? getenv(env) : NULL;
	size_t len;

	if (cap == 0)
		return -1;
	out[0] = '\0';
	if (file && file[0]) {
		if (read_first_line(file, what, out, cap, err, errlen) < 0)
			return -1;
	} else if (v) {
		if (strlen(v) >= cap) {
			snprintf(err, errlen,
				 "%s holds a secret longer than "
				 "%zu bytes",
				 env, cap - 1);
			return -1;
		}
		memcpy(out, v, strlen(v) + 1);
	}
	len = strlen(out);
	while (len > 0 && (out[len - 1] == '\r' ||
			   ((flags & SECRET_TRIM) && out[len - 1] == ' ')))
		out[--len] = '\0';
	if (out[0])
		log_add_secret(out);
	return 0;
}
