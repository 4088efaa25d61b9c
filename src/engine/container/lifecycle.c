/* create, start, stop, kill, remove, wait, pause, rename (lifecycle.h).  */
#include "engine/container/lifecycle.h"
#include "engine/container/ctr_network.h"
#include "engine/container/ctr_ports.h"

#include "common/cleanup.h"
#include "common/phase.h"
#include "common/fsutil.h"
#include "common/xalloc.h"
#include "engine/container/record.h"
#include "engine/container/units.h"
#include "engine/image/image.h"
#include "engine/image/index.h"
#include "engine/image/rootfs.h"
#include "engine/image/store.h"
#include "runtime/core.h"
#include "runtime/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ZERO_TIME "0001-01-01T00:00:00Z"

static json_value *
new_state (void)
{
  json_value *st = json_object_new ();
  json_object_set (st, "Status", json_string_new ("created"));
  json_object_set (st, "Running", json_bool_new (false));
  json_object_set (st, "Paused", json_bool_new (false));
  json_object_set (st, "Restarting", json_bool_new (false));
  json_object_set (st, "OOMKilled", json_bool_new (false));
  json_object_set (st, "Dead", json_bool_new (false));
  json_object_set (st, "Pid", json_int_new (0));
  json_object_set (st, "ExitCode", json_int_new (0));
  json_object_set (st, "Error", json_string_new (""));
  json_object_set (st, "StartedAt", json_string_new (ZERO_TIME));
  json_object_set (st, "FinishedAt", json_string_new (ZERO_TIME));
  return st;
}

static json_value *
strv_json (char **v)
{
  json_value *a = json_array_new ();
  for (size_t i = 0; v && v[i]; i++)
    json_array_append (a, json_string_new (v[i]));
  return a;
}

int
kago_ctr_create (struct kago_engine *e, struct kago_store *s, const struct kago_ctr_new *n,
                 char id[KAGO_CTR_ID_LEN + 1], kago_error_t *err)
{
  int ret = -1;
  cleanup_free char *name = NULL;
  bool name_taken = false, dir_made = false;
  cleanup_free char *cdir = NULL, *rootfs_dir = NULL;
  json_value *image_config = NULL, *oci = NULL, *config = NULL, *host_config = NULL, *mounts = NULL;
  char *path = NULL, **args = NULL;
  struct kago_rootfs rootfs = { 0 };
  char **layers = NULL;
  size_t nlayers = 0;
  char image_id[KAGO_DIGEST_SIZE] = "";

  /* The image first: an unknown one creates nothing.  */
  {
    cleanup_index struct kago_index idx;
    if (kago_index_load (s, &idx, err) < 0)
      return -1;
    struct kago_image_rec *rec = kago_index_resolve (&idx, n->image, NULL, err);
    if (rec == NULL)
      return -1;
    memcpy (image_id, rec->id, sizeof image_id);
    nlayers = rec->nlayers;
    layers = xcalloc (nlayers + 1, sizeof *layers);
    for (size_t i = 0; i < nlayers; i++)
      layers[i] = kago_store_layer_path (s, rec->layers[i]);
    image_config = kago_store_read_json_blob (s, rec->id, err);
    KAGO_PHASE ("eng:image");
    if (image_config == NULL)
      goto out;
  }

  kago_ctr_new_id (id);
  if (n->name)
    {
      if (kago_ctr_validate_name (n->name, err) < 0)
        goto out;
      name = xstrdup (n->name[0] == '/' ? n->name + 1 : n->name);
      if (kago_ctr_reserve_name (e, name, id, err) < 0)
        goto out;
    }
  else
    for (int tries = 0;; tries++)
      {
        free (name);
        name = kago_ctr_random_name ();
        if (tries >= 8)
          {
            char *longer = xasprintf ("%s%d", name, tries);
            free (name);
            name = longer;
          }
        kago_error_t e2 = NULL;
        if (kago_ctr_reserve_name (e, name, id, &e2) == 0)
          break;
        bool taken = strncmp (e2->msg, "Conflict.", 9) == 0;
        if (!taken || tries > 64)
          {
            *err = e2;
            goto out;
          }
        kago_error_release (&e2);
      }
  name_taken = true;

  cdir = kago_ctr_path (e, id, NULL);
  if (mkdir (cdir, 0700) < 0)
    {
      kago_error_set (err, errno, "create `%s`", cdir);
      goto out;
    }
  dir_made = true;
  {
    cleanup_close int lk = kago_ctr_lock (e, id, err);
    if (lk < 0)
      goto out;
  }
  rootfs_dir = xasprintf ("%s/rootfs", cdir);
  if (kago_rootfs_create ((const char *const *) layers, nlayers, rootfs_dir, KAGO_ROOTFS_AUTO, &rootfs, err) < 0)
    goto out;
  KAGO_PHASE ("eng:rootfs");
  if (n->build (n->build_arg, id, name, rootfs.path, cdir, image_config, image_id, &oci, &config, &host_config,
                &mounts, &path, &args, err)
      < 0)
    goto out;

  KAGO_PHASE ("eng:spec");
  {
    cleanup_free char *text = json_to_string (oci, true);
    cleanup_free char *cfg = xasprintf ("%s/config.json", cdir);
    if (write_file (cfg, text, strlen (text), err) < 0)
      goto out;
  }
  {
    json_value *rec = json_object_new ();
    char *created = kago_now_rfc3339 ();
    json_object_set (rec, "Id", json_string_new (id));
    json_object_set (rec, "Created", json_string_new (created));
    free (created);
    json_object_set (rec, "Path", json_string_new (path ? path : ""));
    json_object_set (rec, "Args", strv_json (args));
    json_object_set (rec, "State", new_state ());
    json_object_set (rec, "Image", json_string_new (image_id));
    json_object_set (rec, "ResolvConfPath", json_string_new (""));
    cleanup_free char *hostname_path = xasprintf ("%s/hostname", cdir);
    json_object_set (rec, "HostnamePath", json_string_new (access (hostname_path, F_OK) == 0 ? hostname_path : ""));
    json_object_set (rec, "HostsPath", json_string_new (""));
    cleanup_free char *log = xasprintf ("%s/%s-json.log", cdir, id);
    json_object_set (rec, "LogPath", json_string_new (log));
    cleanup_free char *slash_name = xasprintf ("/%s", name);
    json_object_set (rec, "Name", json_string_new (slash_name));
    json_object_set (rec, "RestartCount", json_int_new (0));
    json_object_set (rec, "Driver", json_string_new (rootfs.overlay ? "overlay2" : "vfs"));
    json_object_set (rec, "Platform", json_string_new ("linux"));
    json_object_set (rec, "MountLabel", json_string_new (""));
    json_object_set (rec, "ProcessLabel", json_string_new (""));
    json_object_set (rec, "AppArmorProfile", json_string_new (""));
    json_object_set (rec, "ExecIDs", json_null_new ());
    json_value *nets = kago_ctr_net_take_pending (host_config);
    json_object_set (rec, "HostConfig", host_config);
    host_config = NULL;
    json_value *gd = json_object_new (), *data = json_object_new ();
    json_object_set (gd, "Name", json_string_new (rootfs.overlay ? "overlay2" : "vfs"));
    if (rootfs.overlay)
      {
        cleanup_strbuf strbuf lower = STRBUF_INIT;
        for (size_t i = nlayers; i-- > 0;)
          {
            strbuf_adds (&lower, layers[i]);
            if (i)
              strbuf_addc (&lower, ':');
          }
        json_object_set (data, "LowerDir", json_string_new (lower.buf ? lower.buf : ""));
        cleanup_free char *up = xasprintf ("%s/upper", rootfs_dir), *wk = xasprintf ("%s/work", rootfs_dir);
        json_object_set (data, "MergedDir", json_string_new (rootfs.path));
        json_object_set (data, "UpperDir", json_string_new (up));
        json_object_set (data, "WorkDir", json_string_new (wk));
      }
    json_object_set (gd, "Data", data);
    json_object_set (rec, "GraphDriver", gd);
    json_object_set (rec, "Mounts", mounts ? mounts : json_array_new ());
    mounts = NULL;
    json_object_set (rec, "Config", config);
    config = NULL;
    json_value *ns = json_object_new ();
    json_object_set (ns, "Bridge", json_string_new (""));
    json_object_set (ns, "SandboxID", json_string_new (""));
    json_object_set (ns, "Ports", json_object_new ());
    json_object_set (ns, "Networks", nets);
    json_object_set (rec, "NetworkSettings", ns);
    json_value *k = json_object_new ();
    json_object_set (k, "ImageRef", json_string_new (n->image));
    json_object_set (k, "RootfsDir", json_string_new (rootfs_dir));
    json_object_set (k, "Rootfs", json_string_new (rootfs.path));
    json_object_set (k, "Overlay", json_bool_new (rootfs.overlay));
    json_object_set (k, "Layers", strv_json (layers));
    json_object_set (k, "MonitorPid", json_int_new (0));
    json_object_set (k, "MonitorStart", json_int_new (0));
    json_object_set (rec, "Kago", k);
    int r = kago_ctr_record_save (e, id, rec, err);
    json_free (rec);
    if (r < 0)
      goto out;
  }
  KAGO_PHASE ("eng:record");
  ret = 0;
out:
  if (ret < 0)
    {
      kago_error_t e2 = NULL;
      if (rootfs_dir && kago_rootfs_remove (rootfs_dir, &e2) < 0)
        kago_error_release (&e2);
      if (dir_made)
        {
          cleanup_close int pfd = open (e->ctr_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          if (pfd >= 0 && remove_tree_at (pfd, id, &e2) < 0)
            kago_error_release (&e2);
        }
      if (name_taken)
        kago_ctr_release_name (e, name, id);
    }
  kago_rootfs_release (&rootfs);
  for (size_t i = 0; layers && i < nlayers; i++)
    free (layers[i]);
  free (layers);
  json_free (image_config);
  json_free (oci);
  json_free (config);
  json_free (host_config);
  json_free (mounts);
  free (path);
  for (size_t i = 0; args && args[i]; i++)
    free (args[i]);
  free (args);
  return ret;
}

/* ---- what the monitor uses ---- */

int
kago_ctr_run_config (struct kago_engine *e, const char *id, struct kago_ctr_run_config *rc, kago_error_t *err)
{
  memset (rc, 0, sizeof *rc);
  json_value *rec = kago_ctr_record_load (e, id, err);
  if (rec == NULL)
    return -1;
  rc->tty = kago_rec_bool (rec, "Config", "Tty");
  rc->open_stdin = kago_rec_bool (rec, "Config", "OpenStdin");
  rc->stdin_once = kago_rec_bool (rec, "Config", "StdinOnce");
  rc->auto_remove = kago_rec_bool (rec, "HostConfig", "AutoRemove");
  rc->net_bridge = kago_ctr_net_wanted (rec);
  const json_value *hc = json_object_get (rec, "HostConfig");
  const char *rp = kago_rec_str (hc, "RestartPolicy", "Name");
  rc->restart = xstrdup (rp && *rp ? rp : "no");
  rc->max_retries = (int) kago_rec_int (hc, "RestartPolicy", "MaximumRetryCount", 0);
  rc->log_path = xstrdup (kago_rec_str (rec, "LogPath", NULL) ? kago_rec_str (rec, "LogPath", NULL) : "/dev/null");
  const json_value *lc = json_object_get (json_object_get (hc, "LogConfig"), "Config");
  rc->log_max_file = 1;
  const char *ms = json_get_string (json_object_get (lc, "max-size"));
  const char *mf = json_get_string (json_object_get (lc, "max-file"));
  int64_t sz;
  kago_error_t e2 = NULL;
  if (ms && kago_ram_in_bytes (ms, &sz, &e2) == 0 && sz > 0)
    rc->log_max_size = (uint64_t) sz;
  kago_error_release (&e2);
  if (mf)
    rc->log_max_file = atoi (mf) > 0 ? atoi (mf) : 1;
  const json_value *k = json_object_get (rec, "Kago");
  if (kago_rec_bool (k, "Overlay", NULL))
    {
      const json_value *ls = json_object_get (k, "Layers");
      rc->nlayers = json_array_len (ls);
      rc->layers = xcalloc (rc->nlayers + 1, sizeof *rc->layers);
      for (size_t i = 0; i < rc->nlayers; i++)
        rc->layers[i] = xstrdup (json_get_string (json_array_at (ls, i)) ?: "");
      rc->rootfs_dir = xstrdup (kago_rec_str (k, "RootfsDir", NULL) ?: "");
    }
  json_free (rec);
  return 0;
}

void
kago_ctr_run_config_clear (struct kago_ctr_run_config *rc)
{
  free (rc->restart);
  free (rc->log_path);
  free (rc->rootfs_dir);
  for (size_t i = 0; i < rc->nlayers; i++)
    free (rc->layers[i]);
  free (rc->layers);
  memset (rc, 0, sizeof *rc);
}

int
kago_ctr_prepare_start (struct kago_engine *e, const char *id, const struct kago_ctr_run_config *rc,
                        kago_error_t *err)
{
  if (rc->rootfs_dir
      && kago_rootfs_ensure_mounted ((const char *const *) rc->layers, rc->nlayers, rc->rootfs_dir, err) < 0)
    return -1;
  /* A runtime state left by a monitor that died.  */
  struct kago_runtime rt = { .root = e->runtime_root };
  kago_error_t e2 = NULL;
  if (kago_container_delete (&rt, id, true, &e2) < 0)
    kago_error_release (&e2);
  return 0;
}

int
kago_ctr_runtime_pid (struct kago_runtime *rt, const char *id, pid_t *pid, kago_error_t *err)
{
  json_value *st = NULL;
  if (kago_container_state (rt, id, &st, err) < 0)
    return -1;
  int64_t p = 0;
  json_get_int64 (json_object_get (st, "pid"), &p);
  json_free (st);
  *pid = (pid_t) p;
  return 0;
}

int
kago_ctr_exec_error_code (kago_error_t err)
{
  if (err == NULL || err->msg == NULL)
    return 125;
  if (strstr (err->msg, "executable file not found") || strstr (err->msg, "no such file or directory")
      || err->errnum == ENOENT)
    return 127;
  if (err->errnum == EACCES || err->errnum == ENOEXEC || strstr (err->msg, "permission denied"))
    return 126;
  return 125;
}

static void
update_state (struct kago_engine *e, const char *id, kago_record_fn fn, void *arg)
{
  kago_error_t err = NULL;
  if (kago_ctr_record_update (e, id, fn, arg, &err) < 0)
    kago_error_release (&err);
}

struct failed_arg
{
  const char *msg;
  int code;
};

static int
set_failed (json_value *rec, void *arg, kago_error_t *err)
{
  (void) err;
  struct failed_arg *a = arg;
  json_value *st = json_object_get (rec, "State");
  json_object_set (st, "Status", json_string_new ("created"));
  json_object_set (st, "Running", json_bool_new (false));
  json_object_set (st, "Restarting", json_bool_new (false));
  json_object_set (st, "Pid", json_int_new (0));
  json_object_set (st, "ExitCode", json_int_new (a->code));
  json_object_set (st, "Error", json_string_new (a->msg));
  kago_rec_set (rec, "Kago", "MonitorPid", json_int_new (0));
  return 0;
}

void
kago_ctr_record_failed_start (struct kago_engine *e, const char *id, kago_error_t why, int code)
{
  cleanup_free char *msg = why ? kago_error_string (why) : xstrdup ("");
  struct failed_arg a = { msg, code };
  update_state (e, id, set_failed, &a);
}

struct running_arg
{
  pid_t pid, monitor;
  int restarts;
};

static int
set_running (json_value *rec, void *arg, kago_error_t *err)
{
  (void) err;
  struct running_arg *a = arg;
  json_value *st = json_object_get (rec, "State");
  char *now = kago_now_rfc3339 ();
  json_object_set (st, "Status", json_string_new ("running"));
  json_object_set (st, "Running", json_bool_new (true));
  json_object_set (st, "Paused", json_bool_new (false));
  json_object_set (st, "Restarting", json_bool_new (false));
  json_object_set (st, "OOMKilled", json_bool_new (false));
  json_object_set (st, "Dead", json_bool_new (false));
  json_object_set (st, "Pid", json_int_new (a->pid));
  json_object_set (st, "ExitCode", json_int_new (0));
  json_object_set (st, "Error", json_string_new (""));
  json_object_set (st, "StartedAt", json_string_new (now));
  free (now);
  json_object_set (rec, "RestartCount", json_int_new (a->restarts));
  kago_rec_set (rec, "Kago", "MonitorPid", json_int_new (a->monitor));
  kago_rec_set (rec, "Kago", "MonitorStart", json_int_new ((int64_t) kago_pid_starttime (a->monitor, NULL)));
  kago_rec_set (rec, "Kago", "InitStart", json_int_new ((int64_t) kago_pid_starttime (a->pid, NULL)));
  kago_rec_set (rec, "Kago", "StopRequested", json_bool_new (false));
  return 0;
}

void
kago_ctr_record_running (struct kago_engine *e, const char *id, pid_t pid, int restarts, pid_t monitor)
{
  struct running_arg a = { pid, monitor, restarts };
  update_state (e, id, set_running, &a);
}

struct exited_arg
{
  int code;
  bool oom, restarting;
};

static int
set_exited (json_value *rec, void *arg, kago_error_t *err)
{
  (void) err;
  struct exited_arg *a = arg;
  json_value *st = json_object_get (rec, "State");
  char *now = kago_now_rfc3339 ();
  json_object_set (st, "Status", json_string_new (a->restarting ? "restarting" : "exited"));
  json_object_set (st, "Running", json_bool_new (a->restarting));
  json_object_set (st, "Paused", json_bool_new (false));
  json_object_set (st, "Restarting", json_bool_new (a->restarting));
  json_object_set (st, "OOMKilled", json_bool_new (a->oom));
  json_object_set (st, "Pid", json_int_new (0));
  json_object_set (st, "ExitCode", json_int_new (a->code));
  json_object_set (st, "FinishedAt", json_string_new (now));
  free (now);
  return 0;
}

void
kago_ctr_record_exited (struct kago_engine *e, const char *id, int code, bool oom, bool restarting)
{
  struct exited_arg a = { code, oom, restarting };
  update_state (e, id, set_exited, &a);
}

static int
clear_monitor (json_value *rec, void *arg, kago_error_t *err)
{
  (void) err;
  pid_t m = *(pid_t *) arg;
  if (kago_rec_int (rec, "Kago", "MonitorPid", 0) == m)
    kago_rec_set (rec, "Kago", "MonitorPid", json_int_new (0));
  return 0;
}

void
kago_ctr_monitor_gone (struct kago_engine *e, const char *id, pid_t monitor)
{
  update_state (e, id, clear_monitor, &monitor);
}

int
kago_ctr_remove_files (struct kago_engine *e, const char *id, int net_wait_ms, kago_error_t *err)
{
  json_value *rec = kago_ctr_record_load (e, id, err);
  if (rec == NULL)
    return -1;
  struct kago_runtime rt = { .root = e->runtime_root };
  kago_error_t e2 = NULL;
  if (kago_container_delete (&rt, id, true, &e2) < 0)
    kago_error_release (&e2);
  /* A monitor that died without cleaning up: its veth and lease.  */
  if (kago_ctr_net_wanted (rec))
    {
      kago_ctr_ports_detach (e, id, NULL);
      kago_ctr_net_detach (e, id, false, net_wait_ms);
    }
  const char *rootfs_dir = kago_rec_str (rec, "Kago", "RootfsDir");
  if (rootfs_dir && kago_rootfs_remove (rootfs_dir, err) < 0)
    {
      json_free (rec);
      return -1;
    }
  const char *name = kago_rec_str (rec, "Name", NULL);
  cleanup_close int pfd = open (e->ctr_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int r = pfd < 0 ? kago_error_set (err, errno, "open `%s`", e->ctr_dir) : remove_tree_at (pfd, id, err);
  if (r == 0 && name)
    kago_ctr_release_name (e, name[0] == '/' ? name + 1 : name, id);
  json_free (rec);
  return r;
}
