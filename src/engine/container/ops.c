/* Reading containers (get, list, inspect, stats) with their state checked
   against the processes, and the operations on a container that exists:
   start, stop, kill, remove, wait, pause, rename.  */
#include "engine/container/lifecycle.h"

#include "cgroup/stats.h"
#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/xalloc.h"
#include "engine/container/ctr_network.h"
#include "engine/container/record.h"
#include "engine/image/image.h"
#include "runtime/runtime.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static bool
status_live (const char *s)
{
  return s && (strcmp (s, "running") == 0 || strcmp (s, "paused") == 0 || strcmp (s, "restarting") == 0);
}

static bool
monitor_alive (const json_value *rec)
{
  pid_t m = (pid_t) kago_rec_int (rec, "Kago", "MonitorPid", 0);
  return m > 0 && kago_pid_alive (m, (unsigned long long) kago_rec_int (rec, "Kago", "MonitorStart", 0));
}

static bool
init_alive (const json_value *rec)
{
  pid_t p = (pid_t) kago_rec_int (rec, "State", "Pid", 0);
  return p > 0 && kago_pid_alive (p, (unsigned long long) kago_rec_int (rec, "Kago", "InitStart", 0));
}

/* The monitor died while the container was live: if its init is gone too,
   record the end (exit status unknown: 255 as Docker when the shim is
   lost) and drop the runtime state.  */
static int
fix_orphan (json_value *rec, void *arg, kago_error_t *err)
{
  (void) err;
  struct kago_engine *e = arg;
  const char *st = kago_rec_str (rec, "State", "Status");
  if (!status_live (st) || monitor_alive (rec) || init_alive (rec))
    return 0;
  const char *id = kago_rec_str (rec, "Id", NULL);
  struct kago_runtime rt = { .root = e->runtime_root };
  kago_error_t e2 = NULL;
  if (id && kago_container_delete (&rt, id, true, &e2) < 0)
    kago_error_release (&e2);
  json_value *s = json_object_get (rec, "State");
  char *now = kago_now_rfc3339 ();
  json_object_set (s, "Status", json_string_new ("exited"));
  json_object_set (s, "Running", json_bool_new (false));
  json_object_set (s, "Paused", json_bool_new (false));
  json_object_set (s, "Restarting", json_bool_new (false));
  json_object_set (s, "Pid", json_int_new (0));
  if (kago_rec_bool (rec, "Kago", "StopRequested"))
    json_object_set (s, "ExitCode", json_int_new (kago_rec_int (rec, "Kago", "StopCode", 137)));
  else
    {
      json_object_set (s, "ExitCode", json_int_new (255));
      json_object_set (s, "Error", json_string_new ("the container's monitor died"));
    }
  json_object_set (s, "FinishedAt", json_string_new (now));
  free (now);
  kago_rec_set (rec, "Kago", "MonitorPid", json_int_new (0));
  return 0;
}

/* Load ID's record with its State checked.  */
static json_value *
load_checked (struct kago_engine *e, const char *id, kago_error_t *err)
{
  json_value *rec = kago_ctr_record_load (e, id, err);
  if (rec == NULL)
    return NULL;
  if (status_live (kago_rec_str (rec, "State", "Status")) && !monitor_alive (rec) && !init_alive (rec))
    {
      json_free (rec);
      if (kago_ctr_record_update (e, id, fix_orphan, e, err) < 0)
        return NULL;
      rec = kago_ctr_record_load (e, id, err);
    }
  return rec;
}

static char *
quote_command (const json_value *rec)
{
  cleanup_strbuf strbuf sb = STRBUF_INIT;
  const char *path = kago_rec_str (rec, "Path", NULL);
  strbuf_adds (&sb, path ? path : "");
  const json_value *args = json_object_get (rec, "Args");
  for (size_t i = 0; i < json_array_len (args); i++)
    {
      const char *a = json_get_string (json_array_at (args, i));
      strbuf_addc (&sb, ' ');
      if (a && (*a == '\0' || strpbrk (a, " \t\n'\"\\$") != NULL))
        {
          strbuf_addc (&sb, '\'');
          for (const char *p = a; *p; p++)
            if (*p == '\'')
              strbuf_adds (&sb, "'\\''");
            else
              strbuf_addc (&sb, *p);
          strbuf_addc (&sb, '\'');
        }
      else
        strbuf_adds (&sb, a ? a : "");
    }
  return strbuf_detach (&sb);
}

static void
fill_info (json_value *rec, struct kago_ctr_info *c)
{
  memset (c, 0, sizeof *c);
  snprintf (c->id, sizeof c->id, "%s", kago_rec_str (rec, "Id", NULL) ? kago_rec_str (rec, "Id", NULL) : "");
  const char *nm = kago_rec_str (rec, "Name", NULL);
  c->name = xstrdup (nm ? (nm[0] == '/' ? nm + 1 : nm) : "");
  const char *img = kago_rec_str (rec, "Config", "Image");
  c->image = xstrdup (img ? img : "");
  const char *iid = kago_rec_str (rec, "Image", NULL);
  c->image_id = xstrdup (iid ? iid : "");
  c->command = quote_command (rec);
  const char *cr = kago_rec_str (rec, "Created", NULL);
  c->created = xstrdup (cr ? cr : "");
  const char *sa = kago_rec_str (rec, "State", "StartedAt"), *fa = kago_rec_str (rec, "State", "FinishedAt");
  c->started_at = xstrdup (sa ? sa : "");
  c->finished_at = xstrdup (fa ? fa : "");
  c->status = kago_ctr_status_parse (kago_rec_str (rec, "State", "Status"));
  c->exit_code = (int) kago_rec_int (rec, "State", "ExitCode", 0);
  c->oom_killed = kago_rec_bool (rec, "State", "OOMKilled");
  c->pid = (pid_t) kago_rec_int (rec, "State", "Pid", 0);
  c->monitor_pid = (pid_t) kago_rec_int (rec, "Kago", "MonitorPid", 0);
  c->labels = json_object_get (json_object_get (rec, "Config"), "Labels");
  c->record = rec;
}

void
kago_ctr_info_free (struct kago_ctr_info *c)
{
  free (c->name);
  free (c->image);
  free (c->image_id);
  free (c->command);
  free (c->created);
  free (c->started_at);
  free (c->finished_at);
  json_free (c->record);
  memset (c, 0, sizeof *c);
}

void
kago_ctr_infos_free (struct kago_ctr_info *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    kago_ctr_info_free (&v[i]);
  free (v);
}

int
kago_ctr_get (struct kago_engine *e, const char *name_or_id, struct kago_ctr_info *out, kago_error_t *err)
{
  char id[KAGO_CTR_ID_LEN + 1];
  if (kago_ctr_resolve (e, name_or_id, id, err) < 0)
    return -1;
  json_value *rec = load_checked (e, id, err);
  if (rec == NULL)
    return -1;
  fill_info (rec, out);
  return 0;
}

static int
by_created_desc (const void *a, const void *b)
{
  const struct kago_ctr_info *x = a, *y = b;
  return strcmp (y->created, x->created);
}

int
kago_ctr_list (struct kago_engine *e, bool all, struct kago_ctr_info **out, size_t *n, kago_error_t *err)
{
  *out = NULL;
  *n = 0;
  cleanup_dir DIR *d = opendir (e->ctr_dir);
  if (d == NULL)
    return kago_error_set (err, errno, "open `%s`", e->ctr_dir);
  struct kago_ctr_info *v = NULL;
  size_t cnt = 0, cap = 0;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (strlen (de->d_name) != KAGO_CTR_ID_LEN)
        continue;
      kago_error_t e2 = NULL;
      json_value *rec = load_checked (e, de->d_name, &e2);
      if (rec == NULL)
        {
          /* Removed meanwhile, or being created (no record yet).  */
          kago_error_release (&e2);
          continue;
        }
      if (!all && !status_live (kago_rec_str (rec, "State", "Status")))
        {
          json_free (rec);
          continue;
        }
      if (cnt == cap)
        {
          cap = cap ? cap * 2 : 16;
          v = xrealloc (v, cap * sizeof *v);
        }
      fill_info (rec, &v[cnt++]);
    }
  if (cnt)
    qsort (v, cnt, sizeof *v, by_created_desc);
  *out = v;
  *n = cnt;
  return 0;
}

json_value *
kago_ctr_inspect (struct kago_engine *e, const char *name_or_id, kago_error_t *err)
{
  char id[KAGO_CTR_ID_LEN + 1];
  if (kago_ctr_resolve (e, name_or_id, id, err) < 0)
    return NULL;
  json_value *rec = load_checked (e, id, err);
  if (rec)
    json_object_del (rec, "Kago");
  return rec;
}

int
kago_ctr_stats (struct kago_engine *e, const char *id, struct kago_cgroup_stats *st, kago_error_t *err)
{
  struct kago_runtime rt = { .root = e->runtime_root };
  return kago_container_stats (&rt, id, st, err);
}

int
kago_ctr_image_in_use (void *ctx, const char *image_id, char **by, kago_error_t *err)
{
  struct kago_engine *e = ctx;
  struct kago_ctr_info *v;
  size_t n;
  if (kago_ctr_list (e, true, &v, &n, err) < 0)
    return -1;
  int r = 0;
  for (size_t i = 0; i < n && r == 0; i++)
    if (strcmp (v[i].image_id, image_id) == 0)
      {
        *by = xstrdup (v[i].id);
        r = 1;
      }
  kago_ctr_infos_free (v, n);
  return r;
}

/* ---- operations ---- */

int
kago_ctr_start (struct kago_engine *e, const char *id, const struct kago_spawn_opts *o, int *conn, pid_t *pid,
                kago_error_t *err)
{
  if (conn)
    *conn = -1;
  cleanup_close int lk = kago_ctr_lock_file (e, id, "start.lock", err);
  if (lk < 0)
    return -1;
  json_value *rec = load_checked (e, id, err);
  if (rec == NULL)
    return -1;
  const char *st = kago_rec_str (rec, "State", "Status");
  bool live = status_live (st);
  bool paused = st && strcmp (st, "paused") == 0;
  if (pid)
    *pid = (pid_t) kago_rec_int (rec, "State", "Pid", 0);
  json_free (rec);
  if (paused)
    return kago_error_set (err, 0, "cannot start a paused container, try unpause instead");
  if (live)
    {
      /* Already running: attach when asked, as docker start -a does.  */
      if (conn && o->attach)
        return kago_error_set (err, 0, "container %.12s is already running", id);
      return 0;
    }
  return kago_mon_spawn (e, id, o, conn, pid, err);
}

static int
note_stop (json_value *rec, void *arg, kago_error_t *err)
{
  (void) err;
  kago_rec_set (rec, "Kago", "StopRequested", json_bool_new (true));
  kago_rec_set (rec, "Kago", "StopCode", json_int_new (*(int *) arg));
  return 0;
}

static int
stop_params (const json_value *rec, int *sig, int *timeout, kago_error_t *err)
{
  if (*sig == 0)
    {
      const char *ss = kago_rec_str (rec, "Config", "StopSignal");
      *sig = SIGTERM;
      if (ss && *ss && kago_parse_signal (ss, sig, err) < 0)
        return -1;
    }
  if (*timeout < 0)
    *timeout = (int) kago_rec_int (rec, "Config", "StopTimeout", 10);
  return 0;
}

/* The monitor is gone: signal and wait here.  */
static int
stop_orphan (struct kago_engine *e, const char *id, const json_value *rec, int sig, int timeout, kago_error_t *err)
{
  struct kago_runtime rt = { .root = e->runtime_root };
  int code = 128 + sig;
  if (kago_ctr_record_update (e, id, note_stop, &code, err) < 0)
    return -1;
  kago_error_t e2 = NULL;
  if (kago_container_kill (&rt, id, sig, false, &e2) < 0)
    kago_error_release (&e2);
  int64_t waited = 0;
  while (init_alive (rec) && (timeout < 0 || waited < (int64_t) timeout * 1000))
    {
      usleep (20000);
      waited += 20;
    }
  if (init_alive (rec))
    {
      code = 137;
      if (kago_ctr_record_update (e, id, note_stop, &code, err) < 0)
        return -1;
      if (kago_container_kill (&rt, id, SIGKILL, true, &e2) < 0)
        kago_error_release (&e2);
      for (int i = 0; i < 500 && init_alive (rec); i++)
        usleep (10000);
    }
  /* load_checked records the end now that the init is gone.  */
  json_value *r2 = load_checked (e, id, err);
  json_free (r2);
  return r2 ? 0 : -1;
}

static int
wait_exit (int conn, int *code, kago_error_t *err)
{
  for (;;)
    {
      struct kago_mon_msg m;
      int r = kago_mon_recv (conn, &m, NULL, NULL, err);
      if (r < 0)
        return -1;
      if (r == 0)
        return 1; /* the monitor went away without a word */
      if (m.type == KAGO_MON_EXIT)
        {
          if (code)
            *code = m.a;
          return 0;
        }
    }
}

int
kago_ctr_stop (struct kago_engine *e, const char *id, int sig, int timeout, kago_error_t *err)
{
  json_value *rec = load_checked (e, id, err);
  if (rec == NULL)
    return -1;
  int ret = 0;
  if (!status_live (kago_rec_str (rec, "State", "Status")))
    goto out;
  if ((ret = stop_params (rec, &sig, &timeout, err)) < 0)
    goto out;
  /* A frozen container gets no signal: thaw it first, as Docker does.  */
  if (strcmp (kago_rec_str (rec, "State", "Status"), "paused") == 0)
    {
      kago_error_t e3 = NULL;
      if (kago_ctr_pause (e, id, false, &e3) < 0)
        kago_error_release (&e3);
    }
  kago_error_t e2 = NULL;
  int conn = monitor_alive (rec) ? kago_mon_connect (e, id, &e2) : -1;
  kago_error_release (&e2);
  if (conn < 0)
    {
      ret = stop_orphan (e, id, rec, sig, timeout, err);
      goto out;
    }
  struct kago_mon_msg m = { .type = KAGO_MON_STOP, .a = sig, .b = timeout };
  ret = kago_mon_send (conn, &m, NULL, 0, err);
  if (ret == 0 && wait_exit (conn, NULL, err) < 0)
    ret = -1;
  close (conn);
  /* A monitor killed meanwhile: finish here.  */
  if (ret == 0)
    {
      json_free (rec);
      rec = load_checked (e, id, err);
      if (rec && status_live (kago_rec_str (rec, "State", "Status")))
        ret = stop_orphan (e, id, rec, SIGKILL, 0, err);
    }
  /* The monitor leaves the veths to the dying namespace: stopped means
     they are gone too.  */
  if (ret == 0 && rec && kago_ctr_net_wanted (rec))
    kago_ctr_net_veths_gone (e, id, KAGO_NET_GONE_WAIT_MS);
out:
  json_free (rec);
  return ret;
}

int
kago_ctr_kill (struct kago_engine *e, const char *id, int sig, kago_error_t *err)
{
  json_value *rec = load_checked (e, id, err);
  if (rec == NULL)
    return -1;
  int ret;
  if (!status_live (kago_rec_str (rec, "State", "Status")))
    ret = kago_error_set (err, 0, "Cannot kill container: %.12s: Container %s is not running", id, id);
  else
    {
      struct kago_runtime rt = { .root = e->runtime_root };
      ret = kago_container_kill (&rt, id, sig, false, err);
    }
  json_free (rec);
  return ret;
}

/* rm -v: the container's anonymous volumes (named ones stay, as Docker).  */
static void
remove_anonymous_volumes (struct kago_engine *e, const json_value *mounts)
{
  cleanup_free char *vdir = xasprintf ("%s/volumes", e->root);
  cleanup_close int vfd = open (vdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (vfd < 0)
    return;
  for (size_t i = 0; i < json_array_len (mounts); i++)
    {
      const json_value *m = json_array_at (mounts, i);
      const char *type = kago_rec_str (m, "Type", NULL), *name = kago_rec_str (m, "Name", NULL);
      if (type == NULL || strcmp (type, "volume") != 0 || name == NULL || strchr (name, '/') || name[0] == '.')
        continue;
      cleanup_free char *marker = xasprintf ("%s/anonymous", name);
      if (faccessat (vfd, marker, F_OK, AT_SYMLINK_NOFOLLOW) != 0)
        continue;
      kago_error_t e2 = NULL;
      if (remove_tree_at (vfd, name, &e2) < 0)
        kago_error_release (&e2);
    }
}

int
kago_ctr_remove (struct kago_engine *e, const char *id, bool force, bool volumes, kago_error_t *err)
{
  json_value *rec = load_checked (e, id, err);
  if (rec == NULL)
    return -1;
  bool live = status_live (kago_rec_str (rec, "State", "Status"));
  json_value *mounts = NULL;
  for (size_t i = 0; volumes && i < rec->u.obj.len; i++)
    if (strcmp (rec->u.obj.members[i].key, "Mounts") == 0)
      {
        /* Keep it past the record.  */
        mounts = rec->u.obj.members[i].value;
        rec->u.obj.members[i].value = json_null_new ();
      }
  json_free (rec);
  if (live)
    {
      if (!force)
        return kago_error_set (err, 0,
                               "cannot remove container \"%.12s\": container is running: stop the container before "
                               "removing or force remove",
                               id);
      if (kago_ctr_stop (e, id, SIGKILL, 0, err) < 0)
        return -1;
    }
  kago_error_t e2 = NULL;
  int r = 0;
  if (kago_ctr_remove_files (e, id, KAGO_NET_GONE_WAIT_MS, &e2) < 0)
    {
      /* --rm's monitor removed it first.  */
      if (strncmp (e2->msg, "No such container", 17) == 0)
        kago_error_release (&e2);
      else
        {
          *err = e2;
          r = -1;
        }
    }
  if (r == 0 && mounts)
    remove_anonymous_volumes (e, mounts);
  json_free (mounts);
  return r;
}

int
kago_ctr_wait (struct kago_engine *e, const char *id, int *code, kago_error_t *err)
{
  for (;;)
    {
      json_value *rec = load_checked (e, id, err);
      if (rec == NULL)
        return -1;
      if (!status_live (kago_rec_str (rec, "State", "Status")))
        {
          *code = (int) kago_rec_int (rec, "State", "ExitCode", 0);
          json_free (rec);
          return 0;
        }
      kago_error_t e2 = NULL;
      int conn = monitor_alive (rec) ? kago_mon_connect (e, id, &e2) : -1;
      kago_error_release (&e2);
      json_free (rec);
      if (conn >= 0)
        {
          struct kago_mon_msg m = { .type = KAGO_MON_WAIT };
          int r = kago_mon_send (conn, &m, NULL, 0, err);
          if (r == 0)
            r = wait_exit (conn, code, err);
          close (conn);
          if (r <= 0)
            {
              /* A restart policy keeps it going: docker wait returns at
                 the first exit.  */
              return r;
            }
        }
      else
        usleep (50000);
    }
}

static int
set_paused (json_value *rec, void *arg, kago_error_t *err)
{
  (void) err;
  bool p = *(bool *) arg;
  json_value *s = json_object_get (rec, "State");
  json_object_set (s, "Status", json_string_new (p ? "paused" : "running"));
  json_object_set (s, "Paused", json_bool_new (p));
  return 0;
}

int
kago_ctr_pause (struct kago_engine *e, const char *id, bool pause, kago_error_t *err)
{
  json_value *rec = load_checked (e, id, err);
  if (rec == NULL)
    return -1;
  const char *st = kago_rec_str (rec, "State", "Status");
  int ret = -1;
  struct kago_runtime rt = { .root = e->runtime_root };
  if (pause && (st == NULL || strcmp (st, "running") != 0))
    kago_error_set (err, 0, st && strcmp (st, "paused") == 0 ? "Container %s is already paused"
                                                              : "Container %s is not running",
                    id);
  else if (!pause && (st == NULL || strcmp (st, "paused") != 0))
    kago_error_set (err, 0, "Container %s is not paused", id);
  else if ((pause ? kago_container_pause (&rt, id, err) : kago_container_resume (&rt, id, err)) == 0)
    ret = kago_ctr_record_update (e, id, set_paused, &pause, err);
  json_free (rec);
  return ret;
}

static int
set_name (json_value *rec, void *arg, kago_error_t *err)
{
  (void) err;
  cleanup_free char *n = xasprintf ("/%s", (const char *) arg);
  json_object_set (rec, "Name", json_string_new (n));
  return 0;
}

int
kago_ctr_rename (struct kago_engine *e, const char *id, const char *new_name, kago_error_t *err)
{
  if (new_name[0] == '/')
    new_name++;
  if (kago_ctr_validate_name (new_name, err) < 0)
    return -1;
  json_value *rec = kago_ctr_record_load (e, id, err);
  if (rec == NULL)
    return -1;
  const char *old = kago_rec_str (rec, "Name", NULL);
  cleanup_free char *old_name = xstrdup (old ? (old[0] == '/' ? old + 1 : old) : "");
  json_free (rec);
  if (strcmp (old_name, new_name) == 0)
    return kago_error_set (err, EINVAL, "Renaming a container with the same name as its current name");
  if (kago_ctr_reserve_name (e, new_name, id, err) < 0)
    return -1;
  if (kago_ctr_record_update (e, id, set_name, (void *) new_name, err) < 0)
    {
      kago_ctr_release_name (e, new_name, id);
      return -1;
    }
  kago_ctr_release_name (e, old_name, id);
  return 0;
}
