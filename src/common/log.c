#include "log.h"
#include "json.h"
#include "strbuf.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The one process-wide sink, written once by kago_log_init.  */
static struct
{
  int fd;
  int json;
  int debug;
  int stderr_on;
} sink = { -1, 0, 0, 1 };

int
kago_log_init (const struct kago_log_config *cfg, kago_error_t *err)
{
  sink.json = cfg->json;
  sink.debug = cfg->debug;
  sink.stderr_on = cfg->stderr_too;
  if (cfg->file && cfg->file[0])
    {
      int fd = open (cfg->file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (fd < 0)
        return kago_error_set (err, errno, "open log file `%s`", cfg->file);
      sink.fd = fd;
    }
  return 0;
}

int
kago_log_debug_enabled (void)
{
  return sink.debug;
}

int
kago_log_fd (void)
{
  return sink.fd;
}

void
kago_log_set_stderr (int on)
{
  sink.stderr_on = on;
}

static const char *const level_names[] = { "error", "warning", "info", "debug" };

static void
log_write (enum kago_log_level level, const char *msg)
{
  if (sink.fd >= 0)
    {
      cleanup_strbuf strbuf sb = STRBUF_INIT;
      struct timespec ts;
      struct tm tm;
      char tbuf[64];
      clock_gettime (CLOCK_REALTIME, &ts);
      gmtime_r (&ts.tv_sec, &tm);
      strftime (tbuf, sizeof tbuf, "%Y-%m-%dT%H:%M:%S", &tm);
      if (sink.json)
        {
          strbuf_adds (&sb, "{\"level\":");
          json_write_string (&sb, level_names[level]);
          strbuf_adds (&sb, ",\"msg\":");
          json_write_string (&sb, msg);
          strbuf_addf (&sb, ",\"time\":\"%s.%09ldZ\"}\n", tbuf, (long) ts.tv_nsec);
        }
      else
        strbuf_addf (&sb, "%s.%09ldZ %s: %s\n", tbuf, (long) ts.tv_nsec, level_names[level], msg);
      ssize_t r = write (sink.fd, sb.buf, sb.len);
      (void) r;
    }
}

void
kago_log (enum kago_log_level level, const char *fmt, ...)
{
  if (level == KAGO_LOG_DEBUG && !sink.debug)
    return;
  char *msg;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (msg == NULL)
    return;
  log_write (level, msg);
  if (sink.stderr_on && (level <= KAGO_LOG_WARN || sink.debug) && (sink.fd < 0 || level != KAGO_LOG_DEBUG))
    {
      if (level == KAGO_LOG_ERROR)
        fprintf (stderr, "kago: %s\n", msg);
      else
        fprintf (stderr, "kago: %s: %s\n", level_names[level], msg);
    }
  free (msg);
}

void
kago_log_report_error (const char *prog, const kago_error_t err)
{
  char *m = kago_error_string (err);
  log_write (KAGO_LOG_ERROR, m);
  if (sink.stderr_on)
    fprintf (stderr, "%s: %s\n", prog ? prog : "kago", m);
  free (m);
}

void
kago_log_detach (void)
{
  sink.fd = -1;
  sink.stderr_on = 0;
}
