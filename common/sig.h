/*
 * sig.h - signal handling for the daemons. Handlers only set flags; main
 * loops look at them. Installed without SA_RESTART so a blocking poll/sleep
 * returns early (EINTR) and the loop reacts at once.
 *   SIGTERM, SIGINT -> sig_stop    (finish or abandon safely, exit 0)
 *   SIGHUP          -> sig_reload  (reload configuration)
 *   SIGCHLD         -> default (children are waited for explicitly)
 *   SIGPIPE         -> ignored     (write errors are handled as EPIPE)
 *   SIGXFSZ         -> ignored     (a file size limit gives EFBIG)
 */
#ifndef PGW_SIG_H
#define PGW_SIG_H

#include <signal.h>

extern volatile sig_atomic_t sig_stop;
extern volatile sig_atomic_t sig_reload;

void sig_install(void);

#endif
