/* kago_spec_build (src/engine/container/spec_*.c): the OCI config and
   docker's Config / HostConfig / Mounts for representative option sets,
   against a fake rootfs in a temporary directory.  Every OCI config built
   is also run through the runtime's own parser (oci_spec_parse).  */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "engine/container/runopts.h"
#include "oci/spec.h"
#include "tap.h"

#define ARGV(...) ((char *[]){ __VA_ARGS__, NULL })
#define ARGC(...) ((int) (sizeof ((char *[]){ __VA_ARGS__ }) / sizeof (char *)))

static const char *ID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static char tmp[64], rootfs[128], cdir[128], vdir[128];

static char errbuf[2048];
static const char *
msg (kago_error_t *e)
{
  char *s = kago_error_string (*e);
  snprintf (errbuf, sizeof errbuf, "%s", s ? s : "(no error)");
  free (s);
  kago_error_release (e);
  return errbuf;
}

static void
put (const char *rel, const char *content)
{
  char p[256];
  snprintf (p, sizeof p, "%s%s", rootfs, rel);
  kago_error_t e = NULL;
  char *dir = strdup (p);
  *strrchr (dir, '/') = '\0';
  mkdir_p (dir, 0755, &e);
  free (dir);
  write_file (p, content, strlen (content), &e);
  kago_error_release (&e);
}

static void
setup (void)
{
  strcpy (tmp, "/tmp/kago-spec-XXXXXX");
  if (mkdtemp (tmp) == NULL)
    abort ();
  snprintf (rootfs, sizeof rootfs, "%s/rootfs", tmp);
  snprintf (cdir, sizeof cdir, "%s/ctr", tmp);
  snprintf (vdir, sizeof vdir, "%s/volumes", tmp);
  mkdir (rootfs, 0755);
  mkdir (cdir, 0755);
  put ("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                      "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
                      "app:x:1000:1000:app:/home/app:/bin/sh\n");
  put ("/etc/group", "root:x:0:\nwheel:x:10:root\nadm:x:4:app,daemon\napp:x:1000:\nstaff:x:50:app\n"
                     "video:x:44:\n");
  put ("/data/seed.txt", "from the image\n");
}

static json_value *
image (const char *extra)
{
  char buf[2048];
  snprintf (buf, sizeof buf,
            "{\"architecture\":\"amd64\",\"config\":{\"Env\":[\"PATH=/img/bin:/bin\",\"IMG=1\"],"
            "\"Cmd\":[\"sh\"],\"WorkingDir\":\"\",\"Labels\":{\"from\":\"image\"}%s}}",
            extra ? extra : "");
  return json_parse (buf, strlen (buf), NULL);
}

struct built
{
  struct kago_spec_output out;
  int rc;
  const char *err;
};

static struct built
build_with (const char *img_extra, int argc, char **argv)
{
  struct built b = { 0 };
  struct kago_run_opts o;
  kago_error_t e = NULL;
  if (kago_run_opts_parse (argc, argv, &o, &e) < 0)
    {
      b.rc = -1;
      b.err = msg (&e);
      kago_run_opts_free (&o);
      return b;
    }
  json_value *img = image (img_extra);
  struct kago_spec_input in = {
    .id = ID,
    .name = "test",
    .rootfs = rootfs,
    .image_config = img,
    .image_id = "sha256:abc",
    .container_dir = cdir,
    .volumes_dir = vdir,
    .runtime_root = tmp,
    .init_path = "/bin/true",
  };
  b.rc = kago_spec_build (&o, &in, &b.out, &e);
  if (b.rc < 0)
    b.err = msg (&e);
  else
    {
      oci_spec *s = oci_spec_parse (b.out.oci, &e);
      if (s == NULL)
        {
          printf ("# oci_spec_parse: %s\n", msg (&e));
          b.rc = -2;
        }
      oci_spec_free (s);
    }
  json_free (img);
  kago_run_opts_free (&o);
  return b;
}
#define BUILD(extra, ...) build_with (extra, ARGC (__VA_ARGS__), ARGV (__VA_ARGS__))

static const json_value *
at (const json_value *v, const char *path)
{
  /* "a.b.0.c" */
  char buf[256];
  snprintf (buf, sizeof buf, "%s", path);
  char *save = NULL;
  for (char *t = strtok_r (buf, ".", &save); t && v; t = strtok_r (NULL, ".", &save))
    v = (t[0] >= '0' && t[0] <= '9') ? json_array_at (v, (size_t) atoi (t)) : json_object_get (v, t);
  return v;
}

static const char *
str (const json_value *v, const char *path)
{
  return json_get_string (at (v, path));
}

static int64_t
num (const json_value *v, const char *path)
{
  int64_t i = -12345;
  json_get_int64 (at (v, path), &i);
  return i;
}

static bool
strv_has (const json_value *arr, const char *s)
{
  for (size_t i = 0; i < json_array_len (arr); i++)
    if (json_get_string (json_array_at (arr, i)) && strcmp (json_get_string (json_array_at (arr, i)), s) == 0)
      return true;
  return false;
}

static const json_value *
mount_at (const json_value *oci, const char *dest)
{
  const json_value *m = json_object_get (oci, "mounts");
  for (size_t i = 0; i < json_array_len (m); i++)
    if (strcmp (str (json_array_at (m, i), "destination"), dest) == 0)
      return json_array_at (m, i);
  return NULL;
}

static bool
has_ns (const json_value *oci, const char *type, const char **path)
{
  const json_value *n = at (oci, "linux.namespaces");
  for (size_t i = 0; i < json_array_len (n); i++)
    if (strcmp (str (json_array_at (n, i), "type"), type) == 0)
      {
        if (path)
          *path = str (json_array_at (n, i), "path");
        return true;
      }
  return false;
}

TEST (defaults_like_docker)
{
  struct built b = BUILD (NULL, "run", "busybox");
  CHECK (b.rc == 0);
  if (b.rc)
    {
      printf ("# %s\n", b.err ? b.err : "");
      return;
    }
  const json_value *oci = b.out.oci;
  CHECK_STR (str (oci, "ociVersion"), "1.2.0");
  CHECK_STR (str (oci, "hostname"), "0123456789ab");
  CHECK_STR (str (oci, "process.args.0"), "sh");
  CHECK_STR (str (oci, "process.cwd"), "/");
  CHECK_STR (b.out.path, "sh");
  CHECK (b.out.args && b.out.args[0] == NULL);
  const json_value *env = at (oci, "process.env");
  CHECK (strv_has (env, "PATH=/img/bin:/bin"));
  CHECK (strv_has (env, "HOSTNAME=0123456789ab"));
  CHECK (strv_has (env, "IMG=1"));
  CHECK (strv_has (env, "HOME=/root"));
  CHECK (!strv_has (env, "TERM=xterm"));
  CHECK (num (oci, "process.user.uid") == 0 && num (oci, "process.user.gid") == 0);
  CHECK (json_array_len (at (oci, "process.user.additionalGids")) == 2); /* 0, wheel */
  CHECK (num (oci, "process.user.additionalGids.1") == 10);
  /* Docker's 14 capabilities, effective for root */
  CHECK (json_array_len (at (oci, "process.capabilities.bounding")) == 14);
  CHECK (json_array_len (at (oci, "process.capabilities.effective")) == 14);
  CHECK (strv_has (at (oci, "process.capabilities.bounding"), "CAP_NET_RAW"));
  CHECK (!strv_has (at (oci, "process.capabilities.bounding"), "CAP_SYS_ADMIN"));
  CHECK (at (oci, "process.capabilities.inheritable") == NULL && at (oci, "process.capabilities.ambient") == NULL);
  CHECK (at (oci, "process.noNewPrivileges")->u.boolean == false);
  /* seccomp present, an allow list */
  CHECK_STR (str (oci, "linux.seccomp.defaultAction"), "SCMP_ACT_ERRNO");
  CHECK (json_array_len (at (oci, "linux.seccomp.syscalls")) > 10);
  /* masked and read-only paths */
  CHECK (strv_has (at (oci, "linux.maskedPaths"), "/proc/kcore"));
  CHECK (strv_has (at (oci, "linux.maskedPaths"), "/sys/firmware"));
  CHECK (strv_has (at (oci, "linux.readonlyPaths"), "/proc/sys"));
  /* namespaces */
  CHECK (has_ns (oci, "pid", NULL) && has_ns (oci, "ipc", NULL) && has_ns (oci, "uts", NULL));
  CHECK (has_ns (oci, "network", NULL) && has_ns (oci, "mount", NULL) && !has_ns (oci, "user", NULL));
  /* mounts */
  CHECK (mount_at (oci, "/proc") && mount_at (oci, "/dev/pts") && mount_at (oci, "/dev/mqueue"));
  CHECK (strv_has (at (mount_at (oci, "/sys"), "options"), "ro"));
  CHECK (strv_has (at (mount_at (oci, "/sys/fs/cgroup"), "options"), "ro"));
  CHECK (strv_has (at (mount_at (oci, "/dev/shm"), "options"), "size=67108864"));
  CHECK (strv_has (at (mount_at (oci, "/dev"), "options"), "size=65536k"));
  const json_value *hosts = mount_at (oci, "/etc/hosts");
  CHECK (hosts && strstr (str (hosts, "source"), "/ctr/hosts"));
  CHECK (mount_at (oci, "/etc/resolv.conf") && mount_at (oci, "/etc/hostname"));
  /* devices: deny all, docker's allow list */
  const json_value *rules = at (oci, "linux.resources.devices");
  CHECK (json_array_len (rules) == 13);
  CHECK (at (rules, "0.allow")->u.boolean == false);
  CHECK (num (rules, "12.major") == 136 && at (rules, "12.minor") == NULL);
  CHECK (json_array_len (at (oci, "linux.devices")) == 0);
  CHECK_STR (str (oci, "linux.cgroupsPath"), "/kago/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  CHECK_STR (json_get_string (json_object_get (at (oci, "linux.sysctl"), "net.ipv4.ip_unprivileged_port_start")),
             "0");
  /* Config and HostConfig */
  const json_value *cfg = b.out.config, *hc = b.out.host_config;
  CHECK_STR (str (cfg, "Hostname"), "0123456789ab");
  CHECK_STR (str (cfg, "Image"), "busybox");
  CHECK_STR (str (cfg, "Cmd.0"), "sh");
  CHECK (at (cfg, "Entrypoint")->type == JSON_NULL);
  CHECK (at (cfg, "AttachStdout")->u.boolean && !at (cfg, "AttachStdin")->u.boolean);
  CHECK_STR (str (cfg, "Labels.from"), "image");
  CHECK (strv_has (at (cfg, "Env"), "IMG=1") && !strv_has (at (cfg, "Env"), "HOSTNAME=0123456789ab"));
  CHECK_STR (str (hc, "IpcMode"), "private");
  CHECK_STR (str (hc, "NetworkMode"), "default");
  CHECK_STR (str (hc, "RestartPolicy.Name"), "no");
  CHECK_STR (str (hc, "LogConfig.Type"), "json-file");
  CHECK (num (hc, "ShmSize") == 67108864 && num (hc, "Memory") == 0 && num (hc, "CpuShares") == 0);
  CHECK (at (hc, "PidsLimit")->type == JSON_NULL && at (hc, "MemorySwappiness")->type == JSON_NULL);
  CHECK (json_array_len (at (hc, "MaskedPaths")) >= 12);
  CHECK (json_array_len (b.out.mounts) == 0);
  /* the files */
  char p[256], *data = NULL;
  size_t len;
  kago_error_t e = NULL;
  snprintf (p, sizeof p, "%s/hostname", cdir);
  CHECK (read_file (p, &data, &len, &e) == 0);
  CHECK_STR (data, "0123456789ab\n");
  free (data);
  kago_spec_output_free (&b.out);
}

TEST (process_flags)
{
  setenv ("KAGO_SPEC_PASS", "x", 1);
  struct built b = BUILD (",\"Entrypoint\":[\"/entry\"],\"User\":\"daemon\",\"StopSignal\":\"SIGQUIT\"", "run",
                          "-it", "-e", "PATH=/mine", "-e", "IMG", "-e", "KAGO_SPEC_PASS", "-w", "/srv/app", "-h",
                          "myhost", "--domainname", "example.org", "-u", "app", "--group-add", "video",
                          "--group-add", "4242", "-l", "from=user", "--stop-timeout", "5", "img", "a", "b");
  CHECK (b.rc == 0);
  if (b.rc)
    {
      printf ("# %s\n", b.err ? b.err : "");
      return;
    }
  const json_value *oci = b.out.oci, *cfg = b.out.config;
  CHECK_STR (str (oci, "process.args.0"), "/entry");
  CHECK_STR (str (oci, "process.args.2"), "b");
  CHECK_STR (b.out.path, "/entry");
  CHECK_STR (b.out.args[0], "a");
  CHECK_STR (str (oci, "hostname"), "myhost");
  CHECK_STR (str (oci, "domainname"), "example.org");
  CHECK (at (oci, "process.terminal")->u.boolean);
  const json_value *env = at (oci, "process.env");
  CHECK (strv_has (env, "PATH=/mine") && !strv_has (env, "PATH=/img/bin:/bin"));
  CHECK (!strv_has (env, "IMG=1") && !strv_has (env, "IMG"));
  CHECK (strv_has (env, "KAGO_SPEC_PASS=x") && strv_has (env, "TERM=xterm") && strv_has (env, "HOME=/home/app"));
  CHECK_STR (str (oci, "process.cwd"), "/srv/app");
  struct stat st;
  char p[256];
  snprintf (p, sizeof p, "%s/srv/app", rootfs);
  CHECK (stat (p, &st) == 0 && S_ISDIR (st.st_mode)); /* created, as docker does */
  CHECK (num (oci, "process.user.uid") == 1000 && num (oci, "process.user.gid") == 1000);
  /* 1000, then adm and staff (member lists), then video and 4242 */
  const json_value *g = at (oci, "process.user.additionalGids");
  CHECK (json_array_len (g) == 5);
  CHECK (num (g, "0") == 1000 && num (g, "1") == 4 && num (g, "2") == 50 && num (g, "3") == 44 && num (g, "4") == 4242);
  /* non-root: nothing effective or permitted, the bounding set stays */
  CHECK (json_array_len (at (oci, "process.capabilities.effective")) == 0);
  CHECK (json_array_len (at (oci, "process.capabilities.permitted")) == 0);
  CHECK (json_array_len (at (oci, "process.capabilities.bounding")) == 14);
  CHECK_STR (str (cfg, "User"), "app");
  CHECK_STR (str (cfg, "Labels.from"), "user");
  CHECK_STR (str (cfg, "StopSignal"), "SIGQUIT");
  CHECK (num (cfg, "StopTimeout") == 5);
  CHECK (at (cfg, "AttachStdin")->u.boolean && at (cfg, "OpenStdin")->u.boolean && at (cfg, "StdinOnce")->u.boolean);
  CHECK_STR (str (cfg, "Env.0"), "PATH=/mine");
  CHECK_STR (str (cfg, "Env.1"), "IMG");
  CHECK_STR (str (cfg, "WorkingDir"), "/srv/app");
  kago_spec_output_free (&b.out);

  /* --entrypoint "" drops the image's entrypoint and its Cmd */
  b = BUILD (",\"Entrypoint\":[\"/entry\"]", "run", "--entrypoint", "", "img", "echo", "hi");
  CHECK (b.rc == 0);
  CHECK_STR (str (b.out.oci, "process.args.0"), "echo");
  CHECK (at (b.out.config, "Entrypoint")->type == JSON_NULL);
  kago_spec_output_free (&b.out);
  b = BUILD (NULL, "run", "--entrypoint", "", "img");
  CHECK (b.rc == -1);
  CHECK_STR (b.err, "No command specified");
  b = BUILD (NULL, "run", "--entrypoint", "/bin/echo", "img");
  CHECK (b.rc == 0);
  CHECK (json_array_len (at (b.out.oci, "process.args")) == 1); /* the image's Cmd is not used */
  kago_spec_output_free (&b.out);

  /* numeric users need no passwd entry; names do */
  b = BUILD (NULL, "run", "-u", "1234:5678", "img");
  CHECK (b.rc == 0 && num (b.out.oci, "process.user.uid") == 1234 && num (b.out.oci, "process.user.gid") == 5678);
  CHECK (json_array_len (at (b.out.oci, "process.user.additionalGids")) == 1);
  kago_spec_output_free (&b.out);
  b = BUILD (NULL, "run", "-u", "1", "img");
  CHECK (b.rc == 0 && num (b.out.oci, "process.user.uid") == 1 && num (b.out.oci, "process.user.gid") == 1);
  kago_spec_output_free (&b.out);
  b = BUILD (NULL, "run", "-u", "nobody", "img");
  CHECK_STR (b.err, "unable to find user nobody: no matching entries in passwd file");
  b = BUILD (NULL, "run", "-u", "app:nogroup", "img");
  CHECK_STR (b.err, "unable to find group nogroup: no matching entries in group file");
  b = BUILD (NULL, "run", "--group-add", "nogroup", "img");
  CHECK_STR (b.err, "Unable to find group nogroup: no matching entries in group file");
  b = BUILD (NULL, "run", "-u", "app:staff", "img");
  CHECK (b.rc == 0 && num (b.out.oci, "process.user.gid") == 50);
  CHECK (json_array_len (at (b.out.oci, "process.user.additionalGids")) == 1); /* explicit group: no others */
  kago_spec_output_free (&b.out);
}

TEST (caps_seccomp_privileged)
{
  struct built b = BUILD (NULL, "run", "--cap-add", "sys_admin", "--cap-drop", "CAP_NET_RAW", "img");
  CHECK (b.rc == 0);
  const json_value *bnd = at (b.out.oci, "process.capabilities.bounding");
  CHECK (json_array_len (bnd) == 14 && strv_has (bnd, "CAP_SYS_ADMIN") && !strv_has (bnd, "CAP_NET_RAW"));
  /* seccomp resolved for SYS_ADMIN: mount is allowed now */
  cleanup_free char *s = json_to_string (at (b.out.oci, "linux.seccomp"), false);
  CHECK_CONTAINS (s, "\"mount\"");
  CHECK_STR (str (b.out.host_config, "CapAdd.0"), "sys_admin");
  kago_spec_output_free (&b.out);

  b = BUILD (NULL, "run", "img");
  cleanup_free char *s2 = json_to_string (at (b.out.oci, "linux.seccomp"), false);
  CHECK (strstr (s2, "\"mount\"") == NULL);
  kago_spec_output_free (&b.out);

  b = BUILD (NULL, "run", "--cap-drop", "ALL", "--cap-add", "CHOWN", "img");
  CHECK (json_array_len (at (b.out.oci, "process.capabilities.bounding")) == 1);
  kago_spec_output_free (&b.out);
  b = BUILD (NULL, "run", "--cap-add", "ALL", "--cap-drop", "MKNOD", "img");
  CHECK (json_array_len (at (b.out.oci, "process.capabilities.bounding")) >= 38);
  CHECK (!strv_has (at (b.out.oci, "process.capabilities.bounding"), "CAP_MKNOD"));
  kago_spec_output_free (&b.out);

  b = BUILD (NULL, "run", "--security-opt", "seccomp=unconfined", "--security-opt", "no-new-privileges", "img");
  CHECK (b.rc == 0 && at (b.out.oci, "linux.seccomp") == NULL);
  CHECK (at (b.out.oci, "process.noNewPrivileges")->u.boolean);
  kago_spec_output_free (&b.out);

  b = BUILD (NULL, "run", "--privileged", "img");
  CHECK (b.rc == 0);
  const json_value *oci = b.out.oci;
  CHECK (at (oci, "linux.seccomp") == NULL && at (oci, "linux.maskedPaths") == NULL);
  CHECK (strv_has (at (oci, "process.capabilities.bounding"), "CAP_SYS_ADMIN"));
  CHECK (strv_has (at (mount_at (oci, "/sys"), "options"), "rw"));
  CHECK (strv_has (at (mount_at (oci, "/sys/fs/cgroup"), "options"), "rw"));
  CHECK (json_array_len (at (oci, "linux.resources.devices")) == 1);
  CHECK (at (oci, "linux.resources.devices.0.allow")->u.boolean);
  /* the host's devices: /dev/null at least, and no /dev/pts entries */
  const json_value *devs = at (oci, "linux.devices");
  bool null_seen = false, pts_seen = false;
  for (size_t i = 0; i < json_array_len (devs); i++)
    {
      const char *p = str (json_array_at (devs, i), "path");
      null_seen |= strcmp (p, "/dev/null") == 0;
      pts_seen |= strncmp (p, "/dev/pts/", 9) == 0;
    }
  CHECK (null_seen && !pts_seen);
  CHECK (at (b.out.host_config, "Privileged")->u.boolean);
  kago_spec_output_free (&b.out);

  b = BUILD (NULL, "run", "--security-opt", "label=type:foo_t", "img");
  CHECK (b.rc < 0);
  CHECK_CONTAINS (b.err, "SELinux is not enabled");
  b = BUILD (NULL, "run", "--security-opt", "apparmor=myprofile", "img");
  CHECK (b.rc < 0);
  CHECK_CONTAINS (b.err, "AppArmor is not enabled");
  b = BUILD (NULL, "run", "--security-opt", "label=disable", "--security-opt", "apparmor=unconfined", "img");
  CHECK (b.rc == 0);
  kago_spec_output_free (&b.out);
}

int
main (void)
{
  setup ();
  RUN (defaults_like_docker);
  RUN (process_flags);
  RUN (caps_seccomp_privileged);
  int rc = tap_done ();
  kago_error_t e = NULL;
  int fd = open ("/tmp", O_RDONLY | O_DIRECTORY);
  remove_tree_at (fd, tmp + 5, &e);
  kago_error_release (&e);
  close (fd);
  return rc;
}
