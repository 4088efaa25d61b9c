/* The json-file log: writer (used by the monitor) and reader (`kago logs`).  */
#include "engine/container/logs.h"

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/xalloc.h"
#include "runtime/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX (16 * 1024)

int
kago_log_open (struct kago_log_writer *w, const char *path, uint64_t max_size, int max_file, kago_error_t *err)
{
  memset (w, 0, sizeof *w);
  w->fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (w->fd < 0)
    return kago_error_set (err, errno, "open the log `%s`", path);
  struct stat st;
  w->size = fstat (w->fd, &st) == 0 ? (uint64_t) st.st_size : 0;
  w->path = xstrdup (path);
  w->max_size = max_size;
  w->max_file = max_file < 1 ? 1 : max_file;
  for (int i = 0; i < 3; i++)
    w->partial[i] = (strbuf) STRBUF_INIT;
  return 0;
}

static void
rotate (struct kago_log_writer *w)
{
  if (w->max_file <= 1)
    {
      /* Docker with max-file=1 truncates.  */
      if (ftruncate (w->fd, 0) == 0)
        w->size = 0;
      return;
    }
  for (int i = w->max_file - 1; i >= 1; i--)
    {
      cleanup_free char *to = xasprintf ("%s.%d", w->path, i);
      cleanup_free char *from = i == 1 ? xstrdup (w->path) : xasprintf ("%s.%d", w->path, i - 1);
      rename (from, to);
    }
  int fd = open (w->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (fd >= 0)
    {
      close (w->fd);
      w->fd = fd;
      w->size = 0;
    }
}

static void
now_rfc3339 (char *buf, size_t len)
{
  struct timespec ts;
  struct tm tm;
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  size_t n = strftime (buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf + n, len - n, ".%09ldZ", ts.tv_nsec);
}

static void
emit (struct kago_log_writer *w, enum kago_log_stream s, const char *text, size_t n)
{
  char t[64];
  now_rfc3339 (t, sizeof t);
  cleanup_strbuf strbuf sb = STRBUF_INIT;
  strbuf_adds (&sb, "{\"log\":");
  json_write_stringn (&sb, text, n);
  strbuf_addf (&sb, ",\"stream\":\"%s\",\"time\":\"%s\"}\n", s == KAGO_LOG_STDERR ? "stderr" : "stdout", t);
  if (w->max_size && w->size > 0 && w->size + sb.len > w->max_size)
    rotate (w);
  if (write_all (w->fd, sb.buf, sb.len) == 0)
    w->size += sb.len;
}

void
kago_log_write (struct kago_log_writer *w, enum kago_log_stream s, const char *buf, size_t n)
{
  strbuf *p = &w->partial[s == KAGO_LOG_STDERR ? 2 : 1];
  while (n > 0)
    {
      const char *nl = memchr (buf, '\n', n);
      size_t take = nl ? (size_t) (nl - buf) + 1 : n;
      if (p->len + take > LOG_LINE_MAX)
        take = LOG_LINE_MAX - p->len, nl = NULL;
      if (p->len == 0 && (nl || take == LOG_LINE_MAX))
        emit (w, s, buf, take);
      else
        {
          strbuf_add (p, buf, take);
          if (nl || p->len >= LOG_LINE_MAX)
            {
              emit (w, s, p->buf, p->len);
              strbuf_reset (p);
            }
        }
      buf += take;
      n -= take;
    }
}

void
kago_log_flush (struct kago_log_writer *w)
{
  for (int s = 1; s <= 2; s++)
    if (w->partial[s].len)
      {
        emit (w, (enum kago_log_stream) s, w->partial[s].buf, w->partial[s].len);
        strbuf_reset (&w->partial[s]);
      }
}

void
kago_log_close (struct kago_log_writer *w)
{
  if (w->path == NULL)
    return;
  kago_log_flush (w);
  close (w->fd);
  free (w->path);
  for (int i = 0; i < 3; i++)
    strbuf_release (&w->partial[i]);
  memset (w, 0, sizeof *w);
  w->fd = -1;
}

/* ---- reading ---- */

static int64_t
parse_time_ns (const char *s)
{
  struct tm tm;
  memset (&tm, 0, sizeof tm);
  const char *p = strptime (s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (p == NULL)
    return 0;
  int64_t ns = 0;
  if (*p == '.')
    {
      int digits = 0;
      for (p++; *p >= '0' && *p <= '9'; p++)
        if (digits < 9)
          ns = ns * 10 + (*p - '0'), digits++;
      for (; digits < 9; digits++)
        ns *= 10;
    }
  int64_t off = 0;
  if (*p == '+' || *p == '-')
    {
      int hh = 0, mm = 0;
      sscanf (p + 1, "%2d:%2d", &hh, &mm);
      off = (hh * 3600 + mm * 60) * (*p == '-' ? -1 : 1);
    }
  return ((int64_t) timegm (&tm) - off) * 1000000000LL + ns;
}

/* Decode one log line into E (E's strings point into TMP).  */
static int
decode (const char *line, size_t len, struct kago_log_entry *e, json_value **tmp)
{
  kago_error_t err = NULL;
  json_value *v = json_parse (line, len, &err);
  if (v == NULL)
    {
      kago_error_release (&err);
      return -1;
    }
  json_value *log = json_object_get (v, "log");
  const char *stream = json_get_string (json_object_get (v, "stream"));
  const char *t = json_get_string (json_object_get (v, "time"));
  if (log == NULL || log->type != JSON_STRING)
    {
      json_free (v);
      return -1;
    }
  e->stream = stream && strcmp (stream, "stderr") == 0 ? KAGO_LOG_STDERR : KAGO_LOG_STDOUT;
  e->time = t ? t : "";
  e->time_ns = t ? parse_time_ns (t) : 0;
  e->text = log->u.str.s;
  e->len = log->u.str.len;
  *tmp = v;
  return 0;
}

struct lines
{
  char **v;
  size_t *len;
  size_t n, cap;
};

static void
collect (const char *path, struct lines *ls, uint64_t *end)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  kago_error_t err = NULL;
  if (read_file (path, &buf, &len, &err) < 0)
    {
      kago_error_release (&err);
      return;
    }
  if (end)
    *end = len;
  size_t i = 0;
  while (i < len)
    {
      char *nl = memchr (buf + i, '\n', len - i);
      if (nl == NULL)
        {
          /* A line being written: not yet.  */
          if (end)
            *end = i;
          break;
        }
      size_t l = (size_t) (nl - (buf + i));
      if (ls->n == ls->cap)
        {
          ls->cap = ls->cap ? ls->cap * 2 : 256;
          ls->v = xrealloc (ls->v, ls->cap * sizeof *ls->v);
          ls->len = xrealloc (ls->len, ls->cap * sizeof *ls->len);
        }
      ls->v[ls->n] = xstrndup (buf + i, l);
      ls->len[ls->n++] = l;
      i += l + 1;
    }
}

int
kago_log_read (const char *path, int max_file, const struct kago_log_read_opts *o, kago_log_fn fn, void *arg,
               uint64_t *pos, kago_error_t *err)
{
  (void) err;
  struct lines ls = { 0 };
  for (int i = max_file - 1; i >= 1; i--)
    {
      cleanup_free char *p = xasprintf ("%s.%d", path, i);
      collect (p, &ls, NULL);
    }
  uint64_t end = 0;
  collect (path, &ls, &end);
  if (pos)
    *pos = end;
  size_t first = 0;
  if (o->tail >= 0 && (size_t) o->tail < ls.n)
    first = ls.n - (size_t) o->tail;
  int r = 0;
  for (size_t i = 0; i < ls.n; i++)
    {
      if (i >= first && r == 0)
        {
          struct kago_log_entry e;
          json_value *tmp = NULL;
          if (decode (ls.v[i], ls.len[i], &e, &tmp) == 0)
            {
              if ((o->since_ns == 0 || e.time_ns >= o->since_ns) && (o->until_ns == 0 || e.time_ns < o->until_ns))
                r = fn (&e, arg);
              json_free (tmp);
            }
        }
      free (ls.v[i]);
    }
  free (ls.v);
  free (ls.len);
  return r;
}

int
kago_log_read_from (const char *path, uint64_t *pos, uint64_t *ino, kago_log_fn fn, void *arg, kago_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : kago_error_set (err, errno, "open `%s`", path);
  struct stat st;
  if (fstat (fd, &st) < 0)
    return kago_error_set (err, errno, "stat `%s`", path);
  if ((*ino && st.st_ino != *ino) || (uint64_t) st.st_size < *pos)
    *pos = 0;
  *ino = st.st_ino;
  if ((uint64_t) st.st_size == *pos)
    return 0;
  size_t want = (size_t) ((uint64_t) st.st_size - *pos);
  cleanup_free char *buf = xmalloc (want + 1);
  ssize_t n = pread (fd, buf, want, (off_t) *pos);
  if (n <= 0)
    return 0;
  size_t i = 0;
  int r = 0;
  while (i < (size_t) n && r == 0)
    {
      char *nl = memchr (buf + i, '\n', (size_t) n - i);
      if (nl == NULL)
        break;
      size_t l = (size_t) (nl - (buf + i));
      struct kago_log_entry e;
      json_value *tmp = NULL;
      if (decode (buf + i, l, &e, &tmp) == 0)
        {
          r = fn (&e, arg);
          json_free (tmp);
        }
      i += l + 1;
    }
  *pos += i;
  return r;
}

int
kago_log_parse_time (const char *s, int64_t now_ns, int64_t *out_ns, kago_error_t *err)
{
  if (s == NULL || *s == '\0')
    {
      *out_ns = 0;
      return 0;
    }
  if (strchr (s, 'T') || (strlen (s) == 10 && s[4] == '-'))
    {
      int64_t t = parse_time_ns (strchr (s, 'T') ? s : "");
      if (t == 0 && strchr (s, 'T') == NULL)
        {
          cleanup_free char *full = xasprintf ("%sT00:00:00Z", s);
          t = parse_time_ns (full);
        }
      if (t == 0)
        return kago_error_set (err, EINVAL, "invalid value for \"since\": failed to parse value as time or duration: \"%s\"", s);
      *out_ns = t;
      return 0;
    }
  char *end;
  errno = 0;
  double d = strtod (s, &end);
  if (errno == 0 && end != s && *end == '\0')
    {
      *out_ns = (int64_t) (d * 1e9);
      return 0;
    }
  int64_t dur;
  kago_error_t e2 = NULL;
  if (kago_parse_duration (s, &dur, &e2) == 0)
    {
      *out_ns = now_ns - dur;
      return 0;
    }
  kago_error_release (&e2);
  return kago_error_set (err, EINVAL, "invalid value for \"since\": failed to parse value as time or duration: \"%s\"", s);
}
