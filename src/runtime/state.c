/* Container state on disk: <root>/<id>/state.json (written atomically under an
   flock of the state dir), exec.sock while the container is "created".  The
   status is never stored: it is derived from the init process (pid plus its
   start time, so a reused pid is not mistaken for the container), the exec
   socket and the freezer.  */
#include "runtime/core.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/xalloc.h"
#include "oci/state_json.h"

const char *
kago_status_name (enum kago_status s)
{
  switch (s)
    {
    case KAGO_STATUS_CREATING:
      return "creating";
    case KAGO_STATUS_CREATED:
      return "created";
    case KAGO_STATUS_RUNNING:
      return "running";
    case KAGO_STATUS_PAUSED:
      return "paused";
    case KAGO_STATUS_STOPPED:
    default:
      return "stopped";
    }
}

int
kago_state_root_open (struct kago_runtime *rt, bool create, kago_error_t *err)
{
  const char *root = rt->root ? rt->root : KAGO_DEFAULT_STATE_ROOT;
  int fd = open (root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (fd >= 0 || errno != ENOENT || !create)
    {
      if (fd < 0)
        return kago_error_set (err, errno, "open state root `%s`", root);
      return fd;
    }
  if (mkdir_p (root, 0700, err) < 0)
    return -1;
  fd = open (root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return kago_error_set (err, errno, "open state root `%s`", root);
  return fd;
}

int
kago_state_dir_create (int rootfd, const char *id, kago_error_t *err)
{
  if (mkdirat (rootfd, id, 0711) < 0)
    {
      if (errno == EEXIST)
        return kago_error_set (err, 0, "container with id \"%s\" already exists", id);
      return kago_error_set (err, errno, "create state directory for \"%s\"", id);
    }
  int fd = openat (rootfd, id, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return kago_error_set (err, errno, "open state directory for \"%s\"", id);
  return fd;
}

int
kago_state_dir_open (int rootfd, const char *id, kago_error_t *err)
{
  int fd = openat (rootfd, id, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return kago_error_set (err, 0, "container \"%s\" does not exist", id);
      return kago_error_set (err, errno, "open state directory for \"%s\"", id);
    }
  return fd;
}

int
kago_state_lock (int dirfd, kago_error_t *err)
{
  int fd = openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return kago_error_set (err, errno, "open state directory");
  if (flock (fd, LOCK_EX) < 0)
    {
      int e = errno;
      close (fd);
      return kago_error_set (err, e, "lock state directory");
    }
  return fd;
}

static void
set_str (json_value *o, const char *k, const char *v)
{
  if (v)
    json_object_set (o, k, json_string_new (v));
}

int
kago_state_write (int dirfd, const struct kago_state *st, kago_error_t *err)
{
  json_value *o = json_object_new ();
  set_str (o, "id", st->id);
  json_object_set (o, "pid", json_int_new (st->pid));
  json_object_set (o, "pidStart", json_uint_new (st->pid_start));
  set_str (o, "bundle", st->bundle);
  set_str (o, "rootfs", st->rootfs);
  set_str (o, "created", st->created);
  set_str (o, "owner", st->owner);
  set_str (o, "ociVersion", st->oci_version);
  json_object_set (o, "userns", json_bool_new (st->has_userns));
  if (st->host_mounts)
    json_object_set (o, "hostMounts", json_bool_new (true));
  set_str (o, "mountNamespacePath", st->mnt_ns_path);
  if (st->annotations.n)
    {
      json_value *a = json_object_new ();
      for (size_t i = 0; i < st->annotations.n; i++)
        json_object_set (a, st->annotations.items[i].key, json_string_new (st->annotations.items[i].value));
      json_object_set (o, "annotations", a);
    }
  if (st->cgroup)
    json_object_set (o, "cgroup", kago_cgroup_to_json (st->cgroup));
  cleanup_free char *text = json_to_string (o, false);
  json_free (o);
  /* Atomic (readers never see half a file) but not durable: the state root
     is a tmpfs under /run and dies with the machine anyway, so an fsync
     would only cost time on the start path.  */
  size_t len = strlen (text);
  cleanup_close int fd
      = openat (dirfd, "state.json.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return kago_error_set (err, errno, "create state.json");
  if (write_all (fd, text, len) < 0)
    {
      int e = errno;
      unlinkat (dirfd, "state.json.tmp", 0);
      return kago_error_set (err, e, "write state.json");
    }
  if (renameat (dirfd, "state.json.tmp", dirfd, "state.json") < 0)
    {
      int e = errno;
      unlinkat (dirfd, "state.json.tmp", 0);
      return kago_error_set (err, e, "rename state.json");
    }
  return 0;
}

static char *
dup_str (const json_value *o, const char *k)
{
  const char *s = json_get_string (json_object_get (o, k));
  return s ? xstrdup (s) : NULL;
}

int
kago_state_read (int dirfd, struct kago_state *st, kago_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t len;
  memset (st, 0, sizeof *st);
  if (read_file_at (dirfd, "state.json", &text, &len, err) < 0)
    return -1;
  json_value *o = json_parse (text, len, err);
  if (o == NULL)
    return kago_error_wrap (err, "parse state.json");
  int64_t pid = 0;
  uint64_t start = 0;
  json_get_int64 (json_object_get (o, "pid"), &pid);
  json_get_uint64 (json_object_get (o, "pidStart"), &start);
  st->pid = (pid_t) pid;
  st->pid_start = start;
  st->id = dup_str (o, "id");
  st->bundle = dup_str (o, "bundle");
  st->rootfs = dup_str (o, "rootfs");
  st->created = dup_str (o, "created");
  st->owner = dup_str (o, "owner");
  st->oci_version = dup_str (o, "ociVersion");
  json_value *u = json_object_get (o, "userns");
  st->has_userns = u && u->type == JSON_BOOL && u->u.boolean;
  json_value *hm = json_object_get (o, "hostMounts");
  st->host_mounts = hm && hm->type == JSON_BOOL && hm->u.boolean;
  st->mnt_ns_path = dup_str (o, "mountNamespacePath");
  json_value *a = json_object_get (o, "annotations");
  if (a && a->type == JSON_OBJECT && a->u.obj.len)
    {
      st->annotations.items = xcalloc (a->u.obj.len, sizeof (oci_kv));
      for (size_t i = 0; i < a->u.obj.len; i++)
        {
          const char *v = json_get_string (a->u.obj.members[i].value);
          st->annotations.items[st->annotations.n].key = xstrdup (a->u.obj.members[i].key);
          st->annotations.items[st->annotations.n].value = xstrdup (v ? v : "");
          st->annotations.n++;
        }
    }
  json_value *cg = json_object_get (o, "cgroup");
  if (cg && kago_cgroup_from_json (cg, &st->cgroup, err) < 0)
    {
      json_free (o);
      kago_state_clear (st);
      return kago_error_wrap (err, "state.json cgroup");
    }
  json_free (o);
  return 0;
}

void
kago_state_clear (struct kago_state *st)
{
  free (st->id);
  free (st->bundle);
  free (st->rootfs);
  free (st->created);
  free (st->owner);
  free (st->oci_version);
  free (st->mnt_ns_path);
  for (size_t i = 0; i < st->annotations.n; i++)
    {
      free (st->annotations.items[i].key);
      free (st->annotations.items[i].value);
    }
  free (st->annotations.items);
  if (st->cgroup)
    kago_cgroup_free (st->cgroup);
  memset (st, 0, sizeof *st);
}

int
kago_state_dir_remove (int rootfd, const char *id, kago_error_t *err)
{
  if (remove_tree_at (rootfd, id, err) < 0)
    return kago_error_wrap (err, "remove state of \"%s\"", id);
  return 0;
}

unsigned long long
kago_pid_starttime (pid_t pid, bool *zombie)
{
  char path[64], buf[1024];
  if (zombie)
    *zombie = false;
  if (pid <= 0)
    return 0;
  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* comm may contain spaces and parentheses: parse after the last ')'.  */
  char *p = strrchr (buf, ')');
  if (p == NULL || p[1] != ' ')
    return 0;
  p += 2;
  char state = *p;
  if (zombie && (state == 'Z' || state == 'X'))
    *zombie = true;
  /* Fields after comm: state(3) ... starttime(22): skip 19 more fields.  */
  for (int field = 3; field < 22; field++)
    {
      p = strchr (p, ' ');
      if (p == NULL)
        return 0;
      p++;
    }
  return strtoull (p, NULL, 10);
}

bool
kago_state_pid_alive (const struct kago_state *st)
{
  bool zombie;
  if (st->pid <= 0)
    return false;
  unsigned long long start = kago_pid_starttime (st->pid, &zombie);
  return start != 0 && !zombie && start == st->pid_start;
}

enum kago_status
kago_state_status (int dirfd, const struct kago_state *st)
{
  if (!kago_state_pid_alive (st))
    return KAGO_STATUS_STOPPED;
  /* The freezer first: a paused created container is paused (and can be
     resumed), as runc reports it.  */
  if (st->cgroup)
    {
      bool frozen = false;
      kago_error_t e = NULL;
      if (kago_cgroup_is_frozen (st->cgroup, &frozen, &e) < 0)
        kago_error_release (&e);
      else if (frozen)
        return KAGO_STATUS_PAUSED;
    }
  struct stat sb;
  if (fstatat (dirfd, "exec.sock", &sb, AT_SYMLINK_NOFOLLOW) == 0)
    return KAGO_STATUS_CREATED;
  return KAGO_STATUS_RUNNING;
}

json_value *
kago_state_to_oci_json (const struct kago_state *st, enum kago_status status)
{
  pid_t pid = status == KAGO_STATUS_STOPPED ? 0 : st->pid;
  json_value *o = kago_state_json_new (KAGO_OCI_VERSION, st->id, kago_status_name (status), pid, st->bundle,
                                       &st->annotations);
  set_str (o, "rootfs", st->rootfs);
  set_str (o, "created", st->created);
  set_str (o, "owner", st->owner ? st->owner : "");
  return o;
}
