/* The container log in Docker's json-file format (logs.c):
 *
 *   {"log":"hello\n","stream":"stdout","time":"2026-11-23T09:00:00.123456789Z"}
 *
 * one object per line of output (a line longer than 16 KiB is cut in
 * pieces, the last piece of an unfinished line is written when the stream
 * ends), rotated by size as Docker's max-size/max-file: ID-json.log is
 * renamed to ID-json.log.1 (.1 to .2, ...) when it would pass max-size.  */
#ifndef KAGO_ENGINE_LOGS_H
#define KAGO_ENGINE_LOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/strbuf.h"

enum kago_log_stream
{
  KAGO_LOG_STDOUT = 1,
  KAGO_LOG_STDERR = 2,
};

struct kago_log_writer
{
  int fd;
  char *path;
  uint64_t size, max_size; /* max_size 0: no rotation */
  int max_file;            /* files kept, the current one included (>= 1) */
  strbuf partial[3];       /* an unfinished line per stream */
};

int kago_log_open (struct kago_log_writer *w, const char *path, uint64_t max_size, int max_file, kago_error_t *err);
/* Append what a stream produced; complete lines are written at once.  */
void kago_log_write (struct kago_log_writer *w, enum kago_log_stream s, const char *buf, size_t n);
/* Write the unfinished lines (the stream ended).  */
void kago_log_flush (struct kago_log_writer *w);
void kago_log_close (struct kago_log_writer *w);

struct kago_log_entry
{
  enum kago_log_stream stream;
  const char *time; /* RFC 3339 */
  int64_t time_ns;  /* since the epoch */
  const char *text; /* the line, its '\n' included when it had one */
  size_t len;
};
typedef int (*kago_log_fn) (const struct kago_log_entry *e, void *arg);

struct kago_log_read_opts
{
  long tail;        /* the last N lines only; -1: all */
  int64_t since_ns; /* entries at or after this time only; 0: all */
  int64_t until_ns; /* entries before this time only; 0: all */
};

/* Read PATH (and its rotated files, oldest first) and call FN for each
   entry.  *POS receives where the current file ended, for follow.  */
int kago_log_read (const char *path, int max_file, const struct kago_log_read_opts *o, kago_log_fn fn, void *arg,
                   uint64_t *pos, kago_error_t *err);
/* Read PATH from *POS on (follow), updating *POS; a rotation (the file got
   shorter or was replaced, INO changed) restarts at 0.  */
int kago_log_read_from (const char *path, uint64_t *pos, uint64_t *ino, kago_log_fn fn, void *arg,
                        kago_error_t *err);

/* Parse Docker's --since/--until: RFC 3339, a Unix time "1700000000[.5]",
   or a duration ago ("10m", "1h30m").  */
int kago_log_parse_time (const char *s, int64_t now_ns, int64_t *out_ns, kago_error_t *err);

#endif
