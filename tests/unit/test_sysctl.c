/* linux.sysctl: validation against namespaces (runc's rules) and the
   /proc/sys writes, against a directory laid out like /proc.  */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "runtime/process_attrs.h"
#include "tap.h"

static int
validate1 (const char *key, const char *value, struct kago_ns_flags ns, kago_error_t *err)
{
  oci_kv kv = { (char *) key, (char *) value };
  oci_map m = { &kv, 1 };
  return kago_sysctl_validate (&m, &ns, err);
}

#define MSG(e) ((e) ? (e)->msg : NULL)

TEST (validate_ipc)
{
  kago_error_t err = NULL;
  struct kago_ns_flags with = { .ipc = true }, without = { 0 };
  const char *keys[]
      = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",          "kernel.sem",       "kernel.shmall",
          "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced", "fs.mqueue.msg_max" };
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    {
      CHECK (validate1 (keys[i], "1", with, &err) == 0);
      CHECK (validate1 (keys[i], "1", without, &err) < 0);
      kago_error_release (&err);
    }
  CHECK (validate1 ("kernel.shmmax", "1", without, &err) < 0);
  CHECK_STR (MSG (err), "sysctl \"kernel.shmmax\" is not allowed in the host's ipc namespace");
  kago_error_release (&err);
}

TEST (validate_net)
{
  kago_error_t err = NULL;
  struct kago_ns_flags net = { .net = true }, nonet = { .ipc = true, .uts = true };
  CHECK (validate1 ("net.ipv4.ip_forward", "1", net, &err) == 0);
  CHECK (validate1 ("net/ipv4/conf/eth0.100/forwarding", "1", net, &err) == 0);
  CHECK (validate1 ("net.ipv4.ip_forward", "1", nonet, &err) < 0);
  CHECK_STR (MSG (err), "sysctl \"net.ipv4.ip_forward\" is not allowed in the host's network namespace");
  kago_error_release (&err);

  /* joining a path that is our own netns = the host's */
  struct kago_ns_flags joined_host = { .net = true, .net_path = "/proc/self/ns/net" };
  CHECK (validate1 ("net.core.somaxconn", "1", joined_host, &err) < 0);
  CHECK_CONTAINS (MSG (err), "host's network namespace");
  kago_error_release (&err);

  struct kago_ns_flags joined_bad = { .net = true, .net_path = "/nonexistent/ns" };
  CHECK (validate1 ("net.core.somaxconn", "1", joined_bad, &err) < 0);
  CHECK_CONTAINS (MSG (err), "/nonexistent/ns");
  kago_error_release (&err);
}

TEST (validate_uts_and_others)
{
  kago_error_t err = NULL;
  struct kago_ns_flags uts = { .uts = true }, all = { .ipc = true, .net = true, .uts = true, .user = true };
  CHECK (validate1 ("kernel.domainname", "example.org", uts, &err) == 0);
  CHECK (validate1 ("kernel.hostname", "h", uts, &err) == 0);
  CHECK (validate1 ("kernel.hostname", "h", (struct kago_ns_flags){ .ipc = true }, &err) < 0);
  CHECK_STR (MSG (err), "sysctl \"kernel.hostname\" is not allowed in the host's uts namespace");
  kago_error_release (&err);
  CHECK (validate1 ("vm.swappiness", "1", all, &err) < 0);
  CHECK_STR (MSG (err), "sysctl \"vm.swappiness\" is not in a separate kernel namespace");
  kago_error_release (&err);
  CHECK (validate1 ("kernel.pid_max", "1", all, &err) < 0);
  kago_error_release (&err);
  /* malformed keys */
  const char *bad[] = { "", ".net.x", "net..x", "net.x.", "net/../../etc/x", "/net/x" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      CHECK (validate1 (bad[i], "1", all, &err) < 0);
      kago_error_release (&err);
    }
}

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

TEST (apply_writes_proc_sys)
{
  char tmpl[] = "/tmp/kago-sysctl-XXXXXX";
  CHECK (mkdtemp (tmpl) != NULL);
  char cmd[512];
  snprintf (cmd, sizeof cmd,
            "mkdir -p %s/sys/net/ipv4/conf/eth0.100 %s/sys/kernel && : > %s/sys/net/ipv4/ip_forward && "
            ": > %s/sys/net/ipv4/conf/eth0.100/forwarding && : > %s/sys/kernel/shmmax && "
            "ln -s /etc/passwd %s/sys/kernel/evil",
            tmpl, tmpl, tmpl, tmpl, tmpl, tmpl);
  CHECK (system (cmd) == 0);
  int fd = open (tmpl, O_PATH | O_DIRECTORY | O_CLOEXEC);
  kago_error_t err = NULL;
  oci_kv kv[] = { { "net.ipv4.ip_forward", "1" },
                  { "net/ipv4/conf/eth0.100/forwarding", "0" },
                  { "kernel.shmmax", "68719476736" } };
  oci_map m = { kv, 3 };
  CHECK (kago_sysctl_apply (fd, &m, &err) == 0);
  cleanup_free char *a = read_at (fd, "sys/net/ipv4/ip_forward");
  cleanup_free char *b = read_at (fd, "sys/net/ipv4/conf/eth0.100/forwarding");
  cleanup_free char *c = read_at (fd, "sys/kernel/shmmax");
  CHECK_STR (a, "1");
  CHECK_STR (b, "0");
  CHECK_STR (c, "68719476736");

  /* a symlink is never followed */
  oci_kv evil = { "kernel.evil", "x" };
  oci_map m2 = { &evil, 1 };
  CHECK (kago_sysctl_apply (fd, &m2, &err) < 0);
  CHECK_CONTAINS (MSG (err), "sysctl \"kernel.evil\": open /proc/sys/kernel/evil");
  kago_error_release (&err);

  /* a missing key names it */
  oci_kv missing = { "kernel.nope", "x" };
  oci_map m3 = { &missing, 1 };
  CHECK (kago_sysctl_apply (fd, &m3, &err) < 0);
  CHECK (err && err->errnum == ENOENT);
  kago_error_release (&err);
  close (fd);
  snprintf (cmd, sizeof cmd, "rm -rf %s", tmpl);
  CHECK (system (cmd) == 0);
}

TEST (apply_real_procfs_in_new_netns)
{
  /* In a child with new ipc+net namespaces, write real sysctls through a
     /proc handle and read them back.  */
  fflush (stdout);
  pid_t pid = fork ();
  if (pid == 0)
    {
      if (unshare (CLONE_NEWNET | CLONE_NEWIPC) < 0)
        _exit (10);
      int procfd = open ("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
      kago_error_t err = NULL;
      oci_kv kv[] = { { "net.ipv4.ip_unprivileged_port_start", "0" }, { "kernel.shmmni", "1234" } };
      oci_map m = { kv, 2 };
      struct kago_ns_flags ns = { .net = true, .ipc = true };
      if (kago_sysctl_validate (&m, &ns, &err) < 0 || kago_sysctl_apply (procfd, &m, &err) < 0)
        _exit (11);
      char *a = read_at (procfd, "sys/net/ipv4/ip_unprivileged_port_start");
      char *b = read_at (procfd, "sys/kernel/shmmni");
      _exit (a && b && strcmp (a, "0\n") == 0 && strcmp (b, "1234\n") == 0 ? 0 : 12);
    }
  int st;
  waitpid (pid, &st, 0);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
}

int
main (void)
{
  RUN (validate_ipc);
  RUN (validate_net);
  RUN (validate_uts_and_others);
  RUN (apply_writes_proc_sys);
  RUN (apply_real_procfs_in_new_netns);
  return tap_done ();
}
