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

TEST (mounts_volumes_tmpfs)
{
  char hostdir[160];
  snprintf (hostdir, sizeof hostdir, "%s/hostdir", tmp);
  mkdir (hostdir, 0755);
  char vbind[200], mbind[200];
  snprintf (vbind, sizeof vbind, "%s:/h:ro,rslave", hostdir);
  snprintf (mbind, sizeof mbind, "type=bind,src=%s,dst=/m,readonly", hostdir);
  struct built b = BUILD (",\"Volumes\":{\"/anon\":{}}", "run", "-v", vbind, "-v", "myvol:/data", "-v", "/scratch",
                          "--mount", mbind, "--mount", "type=tmpfs,dst=/cache,tmpfs-size=64m,tmpfs-mode=1770",
                          "--tmpfs", "/run:rw,size=64m,exec", "--shm-size", "128m", "img");
  CHECK (b.rc == 0);
  if (b.rc)
    {
      printf ("# %s\n", b.err ? b.err : "");
      return;
    }
  const json_value *oci = b.out.oci;
  const json_value *h = mount_at (oci, "/h");
  CHECK (h && strcmp (str (h, "source"), hostdir) == 0);
  CHECK (strv_has (at (h, "options"), "rbind") && strv_has (at (h, "options"), "ro"));
  CHECK (strv_has (at (h, "options"), "rslave"));
  const json_value *run = mount_at (oci, "/run");
  CHECK_STR (str (run, "type"), "tmpfs");
  CHECK (strv_has (at (run, "options"), "size=64m") && strv_has (at (run, "options"), "exec"));
  CHECK (!strv_has (at (run, "options"), "noexec") && strv_has (at (run, "options"), "nosuid"));
  const json_value *cache = mount_at (oci, "/cache");
  CHECK (strv_has (at (cache, "options"), "size=64m") && strv_has (at (cache, "options"), "mode=1770"));
  CHECK (strv_has (at (mount_at (oci, "/dev/shm"), "options"), "size=134217728"));
  /* the named volume got the image's /data */
  const json_value *data = mount_at (oci, "/data");
  char p[256];
  snprintf (p, sizeof p, "%s/myvol/_data", vdir);
  CHECK_STR (str (data, "source"), p);
  snprintf (p, sizeof p, "%s/myvol/_data/seed.txt", vdir);
  CHECK (access (p, F_OK) == 0);
  /* anonymous volumes for -v /scratch and the image's VOLUME */
  CHECK (mount_at (oci, "/scratch") && mount_at (oci, "/anon"));
  CHECK (strstr (str (mount_at (oci, "/anon"), "source"), vdir) != NULL);
  /* parents before children: every user mount after the defaults */
  const json_value *ms = json_object_get (oci, "mounts");
  CHECK_STR (str (ms, "0.destination"), "/proc");
  /* docker's Mounts: 5 (bind -v, volume, anon -v, --mount bind, --mount tmpfs, image VOLUME) minus --tmpfs */
  const json_value *dm = b.out.mounts;
  CHECK (json_array_len (dm) == 6);
  bool vol_ok = false, bind_ok = false;
  for (size_t i = 0; i < json_array_len (dm); i++)
    {
      const json_value *m = json_array_at (dm, i);
      if (strcmp (str (m, "Destination"), "/data") == 0)
        vol_ok = strcmp (str (m, "Type"), "volume") == 0 && strcmp (str (m, "Name"), "myvol") == 0
                 && strcmp (str (m, "Mode"), "z") == 0 && strcmp (str (m, "Driver"), "local") == 0;
      if (strcmp (str (m, "Destination"), "/h") == 0)
        bind_ok = strcmp (str (m, "Type"), "bind") == 0 && !at (m, "RW")->u.boolean
                  && strcmp (str (m, "Propagation"), "rslave") == 0 && strcmp (str (m, "Mode"), "ro,rslave") == 0;
    }
  CHECK (vol_ok && bind_ok);
  const json_value *hc = b.out.host_config;
  CHECK (json_array_len (at (hc, "Binds")) == 3);
  CHECK_STR (json_get_string (json_object_get (at (hc, "Tmpfs"), "/run")), "rw,size=64m,exec");
  CHECK (json_array_len (at (hc, "Mounts")) == 2);
  CHECK (num (hc, "Mounts.1.TmpfsOptions.SizeBytes") == 64 << 20);
  CHECK (json_object_get (at (b.out.config, "Volumes"), "/scratch") != NULL);
  CHECK (json_object_get (at (b.out.config, "Volumes"), "/anon") != NULL);
  kago_spec_output_free (&b.out);

  b = BUILD (NULL, "run", "-v", "rel/dir:/x", "img");
  CHECK_CONTAINS (b.err, "\"rel/dir\" includes invalid characters for a local volume name");
  b = BUILD (NULL, "run", "-v", "/a:rel", "img");
  CHECK_STR (b.err, "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute");
  b = BUILD (NULL, "run", "-v", "/a:/b:bogus", "img");
  CHECK_STR (b.err, "invalid mode: bogus");
  b = BUILD (NULL, "run", "-v", "/a:/", "img");
  CHECK_STR (b.err, "invalid specification: destination can't be '/'");
  b = BUILD (NULL, "run", "-v", "/tmp:/x", "-v", "/tmp:/x/", "img");
  CHECK_STR (b.err, "Duplicate mount point: /x");
  b = BUILD (NULL, "run", "--mount", "type=bind,src=/nonexistent-kago,dst=/x", "img");
  CHECK_STR (b.err, "invalid mount config for type \"bind\": bind source path does not exist: /nonexistent-kago");
  b = BUILD (NULL, "run", "--tmpfs", "/t:bogus", "img");
  CHECK_STR (b.err, "Invalid tmpfs option \"bogus\"");
  b = BUILD (NULL, "run", "--tmpfs", "t", "img");
  CHECK_STR (b.err, "invalid mount path: 't' mount path must be absolute");

  /* a user mount over /dev/shm replaces the default one; --ipc none has none */
  b = BUILD (NULL, "run", "--tmpfs", "/dev/shm:size=1m", "img");
  CHECK (b.rc == 0 && strv_has (at (mount_at (b.out.oci, "/dev/shm"), "options"), "size=1m"));
  kago_spec_output_free (&b.out);
  b = BUILD (NULL, "run", "--ipc", "none", "img");
  CHECK (b.rc == 0 && mount_at (b.out.oci, "/dev/shm") == NULL);
  CHECK_STR (str (b.out.host_config, "IpcMode"), "none");
  kago_spec_output_free (&b.out);
}

static int
fake_lookup (void *ctx, const char *name, pid_t *pid, char id[65], kago_error_t *err)
{
  (void) ctx;
  if (strcmp (name, "other") != 0)
    return kago_error_set (err, 0, "container %s is not running", name);
  *pid = 4242;
  snprintf (id, 65, "%s", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
  return 0;
}

TEST (namespaces_and_sysctls)
{
  struct built b = BUILD (NULL, "run", "--pid", "host", "--ipc", "host", "--uts", "host", "--network", "host",
                          "--cgroupns", "host", "--userns", "host", "img");
  CHECK (b.rc == 0);
  const json_value *oci = b.out.oci;
  CHECK (!has_ns (oci, "pid", NULL) && !has_ns (oci, "ipc", NULL) && !has_ns (oci, "uts", NULL));
  CHECK (!has_ns (oci, "network", NULL) && !has_ns (oci, "cgroup", NULL) && has_ns (oci, "mount", NULL));
  CHECK (json_object_get (oci, "hostname") == NULL);
  char h[256] = { 0 };
  gethostname (h, sizeof h - 1);
  CHECK_STR (str (b.out.config, "Hostname"), h);
  CHECK_STR (str (mount_at (oci, "/dev/shm"), "source"), "/dev/shm");
  CHECK (json_object_len (at (oci, "linux.sysctl")) == 0); /* no defaults without an own netns */
  CHECK_STR (str (b.out.host_config, "PidMode"), "host");
  CHECK_STR (str (b.out.host_config, "NetworkMode"), "host");
  CHECK_STR (str (b.out.host_config, "CgroupnsMode"), "host");
  kago_spec_output_free (&b.out);

  b = BUILD (NULL, "run", "--network", "none", "--cgroupns", "private", "--sysctl", "net.ipv4.ip_forward=1",
             "--sysctl", "kernel.shmmax=1000", "img");
  CHECK (b.rc == 0);
  CHECK (has_ns (b.out.oci, "network", NULL) && has_ns (b.out.oci, "cgroup", NULL));
  CHECK_STR (json_get_string (json_object_get (at (b.out.oci, "linux.sysctl"), "net.ipv4.ip_forward")), "1");
  CHECK_STR (json_get_string (json_object_get (at (b.out.oci, "linux.sysctl"), "kernel.shmmax")), "1000");
  CHECK_STR (json_get_string (json_object_get (at (b.out.host_config, "Sysctls"), "kernel.shmmax")), "1000");
  kago_spec_output_free (&b.out);

  b = BUILD (NULL, "run", "--network", "host", "--sysctl", "net.ipv4.ip_forward=1", "img");
  CHECK_CONTAINS (b.err, "sysctl \"net.ipv4.ip_forward\" is not allowed");
  b = BUILD (NULL, "run", "--ipc", "host", "--sysctl", "kernel.shmmax=1", "img");
  CHECK_CONTAINS (b.err, "sysctl \"kernel.shmmax\" is not allowed");
  b = BUILD (NULL, "run", "--network", "bridge", "img");
  CHECK (b.rc == 0);
  CHECK (has_ns (b.out.oci, "network", NULL));
  CHECK_STR (json_get_string (json_object_get (b.out.host_config, "NetworkMode")), "bridge");
  kago_spec_output_free (&b.out);
  b = BUILD (NULL, "run", "--network", "mynet", "img");
  CHECK_STR (b.err, "network mynet not found");
  /* --ip and --network-alias need a user-defined network.  */
  b = BUILD (NULL, "run", "--network", "bridge", "--ip", "172.17.0.9", "img");
  CHECK_STR (b.err, "user specified IP address is supported on user defined networks only");
  b = BUILD (NULL, "run", "--ip", "172.17.0.9", "img");
  CHECK_STR (b.err, "user specified IP address is supported on user defined networks only");
  b = BUILD (NULL, "run", "--network", "bridge", "--network-alias", "db", "img");
  CHECK_STR (b.err, "network-scoped alias is supported only for containers in user defined networks");
  b = BUILD (NULL, "run", "--userns", "remap", "img");
  CHECK_CONTAINS (b.err, "--userns: invalid USER mode \"remap\"");
  b = BUILD (NULL, "run", "--pid", "bogus", "img");
  CHECK_STR (b.err, "--pid: invalid PID mode");
  b = BUILD (NULL, "run", "--ipc", "bogus", "img");
  CHECK_STR (b.err, "--ipc: invalid IPC mode");
  b = BUILD (NULL, "run", "--cgroupns", "container:x", "img");
  CHECK_STR (b.err, "--cgroupns: invalid CGROUP mode");
  b = BUILD (NULL, "run", "--uts", "host", "-h", "x", "img");
  CHECK_STR (b.err, "Conflicting options: hostname and the UTS mode");
  b = BUILD (NULL, "run", "--pid", "container:other", "img");
  CHECK_STR (b.err, "--pid container:other: no container lookup available");
  /* -p: Docker's network mode checks and records.  */
  b = BUILD (NULL, "run", "-p", "80:80", "img");
  CHECK_CONTAINS (b.err, "publishing ports needs --network bridge");
  b = BUILD (NULL, "run", "--network", "none", "-P", "img");
  CHECK_STR (b.err, "conflicting options: port publishing and the container type network mode");
  b = BUILD (NULL, "run", "--network", "host", "-p", "80", "img");
  CHECK (b.rc == 0 && b.out.warnings && b.out.warnings[0]);
  CHECK_STR (b.out.warnings[0], "Published ports are discarded when using host network mode");
  kago_spec_output_free (&b.out);
  b = BUILD (",\"ExposedPorts\":{\"443/tcp\":{}}", "run", "--network", "bridge", "-p", "8080:80", "-p",
             "127.0.0.1:8081:80", "-p", "9000-9001:53-54/udp", "-P", "img");
  CHECK (b.rc == 0);
  cleanup_free char *pb = json_to_string (json_object_get (b.out.host_config, "PortBindings"), false);
  CHECK_STR (pb, "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"},{\"HostIp\":\"127.0.0.1\",\"HostPort\":"
                 "\"8081\"}],\"53/udp\":[{\"HostIp\":\"\",\"HostPort\":\"9000\"}],\"54/udp\":[{\"HostIp\":\"\","
                 "\"HostPort\":\"9001\"}]}");
  CHECK (json_object_len (at (b.out.config, "ExposedPorts")) == 4);
  CHECK (json_object_get (at (b.out.config, "ExposedPorts"), "54/udp") != NULL);
  CHECK (json_object_get (b.out.host_config, "PublishAllPorts")->u.boolean);
  kago_spec_output_free (&b.out);
}

TEST (namespaces_of_another_container)
{
  struct kago_run_opts o;
  kago_error_t e = NULL;
  char *argv[] = { "run", "--pid", "container:other", "--ipc", "container:other", "--network", "container:other",
                   "img", NULL };
  CHECK (kago_run_opts_parse (8, argv, &o, &e) == 0);
  json_value *img = image (NULL);
  struct kago_spec_input in = { .id = ID, .rootfs = rootfs, .image_config = img, .container_dir = cdir,
                                .volumes_dir = vdir, .lookup = fake_lookup };
  struct kago_spec_output out;
  CHECK (kago_spec_build (&o, &in, &out, &e) == 0);
  const char *p = NULL;
  CHECK (has_ns (out.oci, "pid", &p) && p && strcmp (p, "/proc/4242/ns/pid") == 0);
  CHECK (has_ns (out.oci, "ipc", &p) && p && strcmp (p, "/proc/4242/ns/ipc") == 0);
  CHECK (has_ns (out.oci, "network", &p) && p && strcmp (p, "/proc/4242/ns/net") == 0);
  CHECK_STR (str (mount_at (out.oci, "/dev/shm"), "source"), "/proc/4242/root/dev/shm");
  /* the other container's /etc/hosts */
  CHECK_CONTAINS (str (mount_at (out.oci, "/etc/hosts"), "source"),
                  "/ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff/hosts");
  kago_spec_output_free (&out);
  kago_run_opts_free (&o);
  char *argv2[] = { "run", "--network", "container:gone", "img", NULL };
  CHECK (kago_run_opts_parse (4, argv2, &o, &e) == 0);
  CHECK (kago_spec_build (&o, &in, &out, &e) < 0);
  CHECK_STR (msg (&e), "container gone is not running");
  kago_run_opts_free (&o);
  json_free (img);
}

TEST (resources_and_devices)
{
  struct built b = BUILD (NULL, "run", "-m", "256mb", "--memory-reservation", "128m", "--memory-swappiness", "0",
                          "--cpus", "1.5", "--cpu-shares", "512", "--cpuset-cpus", "0", "--pids-limit", "100",
                          "--blkio-weight", "300", "--oom-kill-disable", "--oom-score-adj", "500", "--ulimit",
                          "nofile=1024:2048", "--device", "/dev/null:/dev/n2:r", "--device-cgroup-rule", "c 4:* rw",
                          "--device-write-bps", "/dev/loop0:1mb", "img");
  if (b.rc != 0)
    {
      /* /dev/loop0 may be missing: then that is the error */
      CHECK_CONTAINS (b.err, "/dev/loop0");
      return;
    }
  const json_value *oci = b.out.oci, *hc = b.out.host_config;
  CHECK (num (oci, "linux.resources.memory.limit") == 256 << 20);
  CHECK (num (oci, "linux.resources.memory.swap") == 512 << 20); /* docker: twice the memory */
  CHECK (num (oci, "linux.resources.memory.reservation") == 128 << 20);
  CHECK (num (oci, "linux.resources.memory.swappiness") == 0);
  CHECK (at (oci, "linux.resources.memory.disableOOMKiller")->u.boolean);
  CHECK (num (oci, "linux.resources.cpu.quota") == 150000 && num (oci, "linux.resources.cpu.period") == 100000);
  CHECK (num (oci, "linux.resources.cpu.shares") == 512);
  CHECK_STR (str (oci, "linux.resources.cpu.cpus"), "0");
  CHECK (num (oci, "linux.resources.pids.limit") == 100);
  CHECK (num (oci, "linux.resources.blockIO.weight") == 300);
  CHECK (num (oci, "linux.resources.blockIO.throttleWriteBpsDevice.0.rate") == 1 << 20);
  CHECK (num (oci, "linux.resources.blockIO.throttleWriteBpsDevice.0.major") == 7);
  CHECK (num (oci, "process.oomScoreAdj") == 500);
  CHECK_STR (str (oci, "process.rlimits.0.type"), "RLIMIT_NOFILE");
  CHECK (num (oci, "process.rlimits.0.soft") == 1024 && num (oci, "process.rlimits.0.hard") == 2048);
  /* --device: a node at its container path, a rule with its permissions */
  CHECK_STR (str (oci, "linux.devices.0.path"), "/dev/n2");
  CHECK (num (oci, "linux.devices.0.major") == 1 && num (oci, "linux.devices.0.minor") == 3);
  const json_value *rules = at (oci, "linux.resources.devices");
  CHECK (json_array_len (rules) == 15);
  CHECK_STR (str (rules, "13.access"), "r");
  CHECK (num (rules, "14.major") == 4 && at (rules, "14.minor") == NULL);
  /* HostConfig */
  CHECK (num (hc, "Memory") == 256 << 20 && num (hc, "MemorySwap") == 512 << 20);
  CHECK (num (hc, "NanoCpus") == 1500000000 && num (hc, "CpuShares") == 512 && num (hc, "PidsLimit") == 100);
  CHECK (num (hc, "BlkioWeight") == 300 && num (hc, "MemorySwappiness") == 0 && num (hc, "OomScoreAdj") == 500);
  CHECK (at (hc, "OomKillDisable")->u.boolean);
  CHECK_STR (str (hc, "Ulimits.0.Name"), "nofile");
  CHECK (num (hc, "Ulimits.0.Hard") == 2048);
  CHECK_STR (str (hc, "Devices.0.PathInContainer"), "/dev/n2");
  CHECK_STR (str (hc, "DeviceCgroupRules.0"), "c 4:* rw");
  CHECK_STR (str (hc, "BlkioDeviceWriteBps.0.Path"), "/dev/loop0");
  CHECK (num (hc, "BlkioDeviceWriteBps.0.Rate") == 1 << 20);
  kago_spec_output_free (&b.out);

  b = BUILD (NULL, "run", "--memory-swap", "-1", "-m", "64m", "--cgroup-parent", "mygroup", "img");
  CHECK (b.rc == 0 && num (b.out.oci, "linux.resources.memory.swap") == -1);
  CHECK (num (b.out.host_config, "MemorySwap") == -1);
  CHECK_STR (str (b.out.oci, "linux.cgroupsPath"),
             "mygroup/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  CHECK_STR (str (b.out.host_config, "CgroupParent"), "mygroup");
  kago_spec_output_free (&b.out);

  b = BUILD (NULL, "run", "--device", "/dev/nonexistent-kago", "img");
  CHECK_CONTAINS (b.err, "error gathering device information while adding custom device \"/dev/nonexistent-kago\"");
  /* bad input makes nothing: no volume, no /etc files */
  char vpath[256];
  snprintf (vpath, sizeof vpath, "%s/neverthere", vdir);
  b = BUILD (NULL, "run", "-v", "neverthere:/x", "--device", "/dev/nonexistent-kago", "img");
  CHECK (b.rc < 0 && access (vpath, F_OK) < 0);
  b = BUILD (NULL, "run", "-v", "neverthere:/x", "--entrypoint", "", "img");
  CHECK (b.rc < 0 && access (vpath, F_OK) < 0);
  b = BUILD (",\"ExposedPorts\":{\"53/udp\":{}}", "run", "--expose", "80", "--expose", "8000-8001/udp", "img");
  CHECK (b.rc == 0 && json_object_len (at (b.out.config, "ExposedPorts")) == 4);
  CHECK (json_object_get (at (b.out.config, "ExposedPorts"), "8001/udp") != NULL);
  CHECK (json_object_get (at (b.out.config, "ExposedPorts"), "80/tcp") != NULL);
  kago_spec_output_free (&b.out);
  b = BUILD (NULL, "run", "--device", "/etc/passwd", "img");
  CHECK_CONTAINS (b.err, "not a device node");
  b = BUILD (NULL, "run", "--device-read-bps", "/dev/nonexistent-kago:1m", "img");
  CHECK_CONTAINS (b.err, "stat /dev/nonexistent-kago");
  b = BUILD (NULL, "run", "--init", "img", "x");
  CHECK (b.rc == 0);
  CHECK_STR (str (b.out.oci, "process.args.0"), "/sbin/kago-init");
  CHECK_STR (str (b.out.oci, "process.args.2"), "x");
  CHECK_STR (b.out.path, "x");
  CHECK_STR (str (mount_at (b.out.oci, "/sbin/kago-init"), "source"), "/bin/true");
  kago_spec_output_free (&b.out);
}

int
main (void)
{
  setup ();
  RUN (defaults_like_docker);
  RUN (process_flags);
  RUN (caps_seccomp_privileged);
  RUN (mounts_volumes_tmpfs);
  RUN (namespaces_and_sysctls);
  RUN (namespaces_of_another_container);
  RUN (resources_and_devices);
  int rc = tap_done ();
  kago_error_t e = NULL;
  int fd = open ("/tmp", O_RDONLY | O_DIRECTORY);
  remove_tree_at (fd, tmp + 5, &e);
  kago_error_release (&e);
  close (fd);
  return rc;
}
