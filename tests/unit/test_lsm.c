/* AppArmor / SELinux: host probes, early checks, and the exact bytes written
   to the attr files (against a directory laid out like /proc).  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "runtime/process_attrs.h"
#include "tap.h"

#define MSG(e) ((e) ? (e)->msg : NULL)

static char *
read_at (int dirfd, const char *path)
{
  char *s = NULL;
  size_t len;
  kago_error_t err = NULL;
  if (read_file_at (dirfd, path, &s, &len, &err) < 0)
    {
      kago_error_release (&err);
      return NULL;
    }
  return s;
}

static int
make_fake_proc (char *tmpl, bool with_apparmor_dir)
{
  if (mkdtemp (tmpl) == NULL)
    return -1;
  char cmd[512];
  snprintf (cmd, sizeof cmd,
            "mkdir -p %s/thread-self/attr/apparmor && : > %s/thread-self/attr/exec && "
            ": > %s/thread-self/attr/keycreate",
            tmpl, tmpl, tmpl);
  if (system (cmd) != 0)
    return -1;
  if (with_apparmor_dir)
    snprintf (cmd, sizeof cmd, ": > %s/thread-self/attr/apparmor/exec", tmpl);
  else
    snprintf (cmd, sizeof cmd, "rmdir %s/thread-self/attr/apparmor", tmpl);
  if (system (cmd) != 0)
    return -1;
  return open (tmpl, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static void
rm_rf (const char *dir)
{
  char cmd[512];
  snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
  if (system (cmd) != 0)
    printf ("# rm -rf %s failed\n", dir);
}

TEST (host_probes)
{
  /* This host: SELinux compiled in but not enabled, AppArmor absent.  */
  bool aa = access ("/sys/module/apparmor/parameters/enabled", F_OK) == 0;
  if (!aa)
    CHECK (!kago_apparmor_enabled ());
  if (access ("/sys/fs/selinux/enforce", F_OK) != 0)
    CHECK (!kago_selinux_enabled ());
}

TEST (check_refuses_labels_without_lsm)
{
  kago_error_t err = NULL;
  oci_process p = { .apparmor_profile = "docker-default" };
  oci_spec s = { .process = &p, .has_linux = true };
  if (!kago_apparmor_enabled ())
    {
      CHECK (kago_lsm_check (&s, NULL, &err) < 0);
      CHECK_STR (MSG (err),
                 "process.apparmorProfile \"docker-default\": AppArmor is not enabled on this host");
      CHECK (err && err->errnum == 0);
      kago_error_release (&err);
    }
  p.apparmor_profile = NULL;
  p.selinux_label = "system_u:system_r:container_t:s0";
  if (!kago_selinux_enabled ())
    {
      CHECK (kago_lsm_check (&s, NULL, &err) < 0);
      CHECK_STR (
          MSG (err),
          "process.selinuxLabel \"system_u:system_r:container_t:s0\": SELinux is not enabled on this host");
      kago_error_release (&err);
      p.selinux_label = NULL;
      s.linux_.mount_label = "system_u:object_r:container_file_t:s0";
      CHECK (kago_lsm_check (&s, NULL, &err) < 0);
      CHECK_CONTAINS (MSG (err),
                      "linux.mountLabel \"system_u:object_r:container_file_t:s0\": SELinux is not enabled");
      kago_error_release (&err);
      s.linux_.mount_label = NULL;
    }
  /* nothing requested: fine; an exec process is checked instead of spec's */
  p.selinux_label = NULL;
  CHECK (kago_lsm_check (&s, NULL, &err) == 0);
  oci_process execp = { .apparmor_profile = "x" };
  if (!kago_apparmor_enabled ())
    {
      CHECK (kago_lsm_check (&s, &execp, &err) < 0);
      kago_error_release (&err);
    }
  /* empty strings count as unset */
  p.apparmor_profile = "";
  CHECK (kago_lsm_check (&s, NULL, &err) == 0);
}

TEST (apparmor_writes_exec_profile)
{
  char tmpl[] = "/tmp/kago-lsm-XXXXXX";
  int fd = make_fake_proc (tmpl, true);
  CHECK (fd >= 0);
  kago_error_t err = NULL;
  CHECK (kago_lsm_apply_exec_unverified (fd, "docker-default", NULL, &err) == 0);
  cleanup_free char *a = read_at (fd, "thread-self/attr/apparmor/exec");
  cleanup_free char *b = read_at (fd, "thread-self/attr/exec");
  CHECK_STR (a, "exec docker-default");
  CHECK_STR (b, "");
  close (fd);
  rm_rf (tmpl);
}

TEST (apparmor_falls_back_to_attr_exec)
{
  char tmpl[] = "/tmp/kago-lsm-XXXXXX";
  int fd = make_fake_proc (tmpl, false);
  CHECK (fd >= 0);
  kago_error_t err = NULL;
  CHECK (kago_lsm_apply_exec_unverified (fd, "unconfined", NULL, &err) == 0);
  cleanup_free char *b = read_at (fd, "thread-self/attr/exec");
  CHECK_STR (b, "exec unconfined");
  close (fd);
  rm_rf (tmpl);
}

TEST (selinux_writes_exec_and_keycreate)
{
  char tmpl[] = "/tmp/kago-lsm-XXXXXX";
  int fd = make_fake_proc (tmpl, true);
  CHECK (fd >= 0);
  kago_error_t err = NULL;
  const char *label = "system_u:system_r:container_t:s0:c1,c2";
  CHECK (kago_lsm_apply_exec_unverified (fd, NULL, label, &err) == 0);
  cleanup_free char *a = read_at (fd, "thread-self/attr/exec");
  cleanup_free char *b = read_at (fd, "thread-self/attr/keycreate");
  cleanup_free char *c = read_at (fd, "thread-self/attr/apparmor/exec");
  CHECK_STR (a, label);
  CHECK_STR (b, label);
  CHECK_STR (c, "");
  close (fd);
  rm_rf (tmpl);
}

TEST (symlinked_attr_file_refused)
{
  char tmpl[] = "/tmp/kago-lsm-XXXXXX";
  int fd = make_fake_proc (tmpl, false);
  CHECK (fd >= 0);
  char cmd[512];
  snprintf (cmd, sizeof cmd,
            "rm %s/thread-self/attr/exec && ln -s /tmp/kago-lsm-victim %s/thread-self/attr/exec", tmpl, tmpl);
  CHECK (system (cmd) == 0);
  kago_error_t err = NULL;
  CHECK (kago_lsm_apply_exec_unverified (fd, NULL, "label", &err) < 0);
  CHECK_CONTAINS (MSG (err), "set SELinux label \"label\"");
  kago_error_release (&err);
  CHECK (access ("/tmp/kago-lsm-victim", F_OK) != 0);
  close (fd);
  rm_rf (tmpl);
}

TEST (verified_path_refuses_fake_proc)
{
  /* CVE-2019-16884: a directory that is not procfs is refused.  */
  char tmpl[] = "/tmp/kago-lsm-XXXXXX";
  int fd = make_fake_proc (tmpl, true);
  CHECK (fd >= 0);
  kago_error_t err = NULL;
  CHECK (kago_lsm_apply_exec (fd, "docker-default", NULL, &err) < 0);
  CHECK_CONTAINS (MSG (err), "is not procfs");
  kago_error_release (&err);
  cleanup_free char *a = read_at (fd, "thread-self/attr/apparmor/exec");
  CHECK_STR (a, "");
  /* nothing requested: nothing checked or written */
  CHECK (kago_lsm_apply_exec (fd, NULL, "", &err) == 0);
  close (fd);
  rm_rf (tmpl);
}

TEST (real_procfs_attr_open)
{
  /* On real procfs without an LSM the write itself fails (EINVAL), but the
     verification and the open beneath the handle pass.  */
  int fd = open ("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  kago_error_t err = NULL;
  if (!kago_selinux_enabled ())
    {
      int rc = kago_lsm_apply_exec (fd, NULL, "system_u:system_r:container_t:s0", &err);
      CHECK (rc < 0);
      CHECK_CONTAINS (MSG (err), "set SELinux label");
      CHECK (err && strstr (err->msg, "not procfs") == NULL && strstr (err->msg, "open /proc") == NULL);
      if (err)
        printf ("# %s\n", err->msg);
      kago_error_release (&err);
    }
  close (fd);
}

TEST (selinux_mount_data)
{
  cleanup_free char *a = kago_selinux_mount_data ("system_u:object_r:container_file_t:s0", NULL);
  cleanup_free char *b = kago_selinux_mount_data ("system_u:object_r:container_file_t:s0:c1,c2", "mode=755");
  CHECK_STR (a, "context=\"system_u:object_r:container_file_t:s0\"");
  CHECK_STR (b, "mode=755,context=\"system_u:object_r:container_file_t:s0:c1,c2\"");
  CHECK (kago_selinux_mount_data (NULL, "mode=755") == NULL);
  CHECK (kago_selinux_mount_data ("", NULL) == NULL);
}

int
main (void)
{
  RUN (host_probes);
  RUN (check_refuses_labels_without_lsm);
  RUN (apparmor_writes_exec_profile);
  RUN (apparmor_falls_back_to_attr_exec);
  RUN (selinux_writes_exec_and_keycreate);
  RUN (symlinked_attr_file_refused);
  RUN (verified_path_refuses_fake_proc);
  RUN (real_procfs_attr_open);
  RUN (selinux_mount_data);
  return tap_done ();
}
