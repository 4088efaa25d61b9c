/* The update journal: while active, every cg_set() first records the file's
 * current content, so that a failed update can put every file back as it
 * was (the kernel refuses some values only when they are written: a memory
 * limit below the current usage, CPUs outside the parent's cpuset, ...).
 *
 * Files that are not a single value are restored by their own rules:
 *   - per-device files (v1 blkio.throttle.*, *weight_device; v2 io.max,
 *     io.weight, io.bfq.weight): a device the update added is reset, then
 *     each old line is written back;
 *   - v1 devices.allow/deny: devices.list is recorded; restored by denying
 *     everything and allowing each old line;
 *   - v1 memory.oom_control: the oom_kill_disable flag.
 */
#include "cgroup/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/xalloc.h"

struct entry
{
  char *dir, *file; /* file as recorded: "devices.list" for the devices files */
  char *old;
  char **written; /* device keys "MAJ:MIN" written during the update */
  size_t n_written;
};

static struct
{
  bool active;
  struct entry *e;
  size_t n, cap;
} J;

void
cg_journal_begin (void)
{
  cg_journal_end ();
  J.active = true;
}

void
cg_journal_end (void)
{
  for (size_t i = 0; i < J.n; i++)
    {
      free (J.e[i].dir);
      free (J.e[i].file);
      free (J.e[i].old);
      for (size_t k = 0; k < J.e[i].n_written; k++)
        free (J.e[i].written[k]);
      free (J.e[i].written);
    }
  free (J.e);
  memset (&J, 0, sizeof J);
}

static bool
is_device_file (const char *file)
{
  return strncmp (file, "blkio.throttle.", 15) == 0 || strstr (file, "weight_device") != NULL
         || strcmp (file, "io.max") == 0 || strcmp (file, "io.weight") == 0
         || strcmp (file, "io.bfq.weight") == 0;
}

/* The reset line for device KEY in a per-device FILE.  */
static char *
device_reset_line (const char *file, const char *key)
{
  if (strcmp (file, "io.max") == 0)
    return xasprintf ("%s rbps=max wbps=max riops=max wiops=max", key);
  if (strcmp (file, "io.weight") == 0 || strcmp (file, "io.bfq.weight") == 0)
    return xasprintf ("%s default", key);
  return xasprintf ("%s 0", key);
}

void
cg_journal_note (const char *dir, const char *file, const char *value)
{
  if (!J.active)
    return;
  const char *rec = file;
  if (strcmp (file, "devices.allow") == 0 || strcmp (file, "devices.deny") == 0)
    rec = "devices.list";
  struct entry *e = NULL;
  for (size_t i = 0; i < J.n; i++)
    if (strcmp (J.e[i].dir, dir) == 0 && strcmp (J.e[i].file, rec) == 0)
      e = &J.e[i];
  if (e == NULL)
    {
      char *old = NULL;
      kago_error_t err = NULL;
      if (cg_read (dir, rec, &old, &err) < 0)
        {
          /* Nothing to restore from; the write itself will say what is
             wrong with the file.  */
          kago_error_release (&err);
          return;
        }
      if (J.n == J.cap)
        {
          J.cap = J.cap ? 2 * J.cap : 8;
          J.e = xrealloc (J.e, J.cap * sizeof *J.e);
        }
      e = &J.e[J.n++];
      memset (e, 0, sizeof *e);
      e->dir = xstrdup (dir);
      e->file = xstrdup (rec);
      e->old = old;
    }
  if (is_device_file (file) && value)
    {
      size_t n = strcspn (value, " \n");
      e->written = xrealloc (e->written, (e->n_written + 1) * sizeof (char *));
      e->written[e->n_written++] = xstrndup (value, n);
    }
}

static bool
old_has_device (const char *old, const char *key)
{
  size_t n = strlen (key);
  for (const char *p = old; p && *p;)
    {
      if (strncmp (p, key, n) == 0 && (p[n] == ' ' || p[n] == '\t'))
        return true;
      p = strchr (p, '\n');
      if (p)
        p++;
    }
  return false;
}

static int
write_lines (const char *dir, const char *file, const char *text, kago_error_t *err)
{
  cleanup_free char *copy = xstrdup (text ? text : "");
  int ret = 0;
  for (char *save = NULL, *line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      if (line[0] == '\0')
        continue;
      /* v2 io.max lists only the limited keys: "8:0 rbps=1048576 wbps=max ..." writes back as is. */
      kago_error_t e = NULL;
      if (cg_write (dir, file, line, &e) < 0)
        {
          if (ret == 0)
            {
              *err = e;
              e = NULL;
              ret = -1;
            }
          kago_error_release (&e);
        }
    }
  return ret;
}

static int
restore (struct entry *e, kago_error_t *err)
{
  if (strcmp (e->file, "devices.list") == 0)
    {
      if (cg_write (e->dir, "devices.deny", "a", err) < 0)
        return -1;
      return write_lines (e->dir, "devices.allow", e->old, err);
    }
  if (strcmp (e->file, "memory.oom_control") == 0)
    {
      const char *p = strstr (e->old, "oom_kill_disable ");
      return cg_write (e->dir, e->file, p && p[17] == '1' ? "1" : "0", err);
    }
  if (is_device_file (e->file))
    {
      int ret = 0;
      for (size_t k = 0; k < e->n_written; k++)
        if (!old_has_device (e->old, e->written[k]))
          {
            cleanup_free char *line = device_reset_line (e->file, e->written[k]);
            kago_error_t e2 = NULL;
            if (cg_write (e->dir, e->file, line, ret == 0 ? err : &e2) < 0)
              ret = -1;
            kago_error_release (&e2);
          }
      kago_error_t e3 = NULL;
      if (write_lines (e->dir, e->file, e->old, ret == 0 ? err : &e3) < 0)
        ret = -1;
      kago_error_release (&e3);
      return ret;
    }
  cleanup_free char *v = xstrdup (e->old);
  v[strcspn (v, "\n")] = '\0';
  return cg_write (e->dir, e->file, v, err);
}

int
cg_journal_rollback (kago_error_t *err)
{
  int ret = 0;
  J.active = false;
  for (size_t i = J.n; i-- > 0;)
    {
      kago_error_t e = NULL;
      if (restore (&J.e[i], &e) < 0)
        {
          cleanup_free char *m = kago_error_string (e);
          kago_log_warn ("restoring %s/%s after a failed update: %s", J.e[i].dir, J.e[i].file, m);
          if (ret == 0)
            {
              *err = e;
              e = NULL;
            }
          ret = -1;
        }
      kago_error_release (&e);
    }
  cg_journal_end ();
  return ret;
}
