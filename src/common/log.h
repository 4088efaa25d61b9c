/* Logging: to stderr, and to the --log file in text or JSON-lines format
   ({"level":"error","msg":"...","time":"RFC3339"}, as runc writes it; docker and
   ctr show the user the last error line of that file).  The sink is set once at
   start-up by the CLI; libraries only call kago_log_*().  */
#ifndef KAGO_LOG_H
#define KAGO_LOG_H

#include "error.h"

enum kago_log_level
{
  KAGO_LOG_ERROR,
  KAGO_LOG_WARN,
  KAGO_LOG_INFO,
  KAGO_LOG_DEBUG,
};

struct kago_log_config
{
  const char *file; /* NULL: none */
  int json;         /* --log-format json */
  int debug;        /* --debug */
  int stderr_too;   /* also print errors/warnings on stderr (default 1) */
};

int kago_log_init (const struct kago_log_config *cfg, kago_error_t *err);
void kago_log (enum kago_log_level level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
#define kago_log_error(...) kago_log (KAGO_LOG_ERROR, __VA_ARGS__)
#define kago_log_warn(...) kago_log (KAGO_LOG_WARN, __VA_ARGS__)
#define kago_log_info(...) kago_log (KAGO_LOG_INFO, __VA_ARGS__)
#define kago_log_debug(...) kago_log (KAGO_LOG_DEBUG, __VA_ARGS__)
int kago_log_debug_enabled (void);
/* The log file descriptor (or -1), so a child can keep it open.  */
int kago_log_fd (void);
/* In a forked child, stop writing to stderr (e.g. after dup2 of stdio).  */
void kago_log_set_stderr (int on);
/* In a child that closes its fds: stop writing anywhere (a later write
   could land on whatever reuses the log fd's number).  */
void kago_log_detach (void);
/* Write the error ("kago: msg") to stderr and the log file.  */
void kago_log_report_error (const char *prog, const kago_error_t err);

#endif
