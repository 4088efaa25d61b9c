/* Compiled seccomp filters cached under the state root (see cache.h).  */
#include "seccomp/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/log.h"
#include "common/sha256.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "runtime/process_attrs.h"

#define MAGIC "KAGOBPF1"
#define MAX_INSNS 4096

struct header
{
  char magic[8];
  unsigned char key[KAGO_SHA256_LEN];
  uint32_t flags;
  uint32_t n_insns;
};

static void
add_strv (strbuf *sb, const char *what, const oci_strv *v)
{
  strbuf_addf (sb, "%s %zu", what, v->n);
  for (size_t i = 0; i < v->n; i++)
    {
      strbuf_addc (sb, ' ');
      json_write_string (sb, v->v[i] ? v->v[i] : "");
    }
  strbuf_addc (sb, '\n');
}

/* Everything the compiler reads, in a fixed order; strings quoted, counts
   given, so that no two profiles serialize alike.  */
static void
canonical (strbuf *sb, const oci_seccomp *s)
{
  const struct scmp_version *v = seccomp_version ();
  struct utsname uts;
  if (uname (&uts) < 0)
    memset (&uts, 0, sizeof uts);
  strbuf_addf (sb, "kago seccomp cache v1\nlibseccomp %u.%u.%u\nmachine %s\nkernel %s\n", v->major, v->minor,
               v->micro, uts.machine, uts.release);
  strbuf_adds (sb, "defaultAction ");
  json_write_string (sb, s->default_action ? s->default_action : "");
  if (s->has_default_errno_ret)
    strbuf_addf (sb, " errno %u", s->default_errno_ret);
  strbuf_addc (sb, '\n');
  add_strv (sb, "architectures", &s->architectures);
  add_strv (sb, "flags", &s->flags);
  strbuf_addf (sb, "syscalls %zu\n", s->n_syscalls);
  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      const oci_seccomp_syscall *sc = &s->syscalls[i];
      add_strv (sb, "names", &sc->names);
      strbuf_adds (sb, "action ");
      json_write_string (sb, sc->action ? sc->action : "");
      if (sc->has_errno_ret)
        strbuf_addf (sb, " errno %u", sc->errno_ret);
      strbuf_addf (sb, "\nargs %zu\n", sc->n_args);
      for (size_t a = 0; a < sc->n_args; a++)
        {
          const oci_seccomp_arg *arg = &sc->args[a];
          strbuf_addf (sb, "%u %llu %llu ", arg->index, (unsigned long long) arg->value,
                       (unsigned long long) arg->value_two);
          json_write_string (sb, arg->op ? arg->op : "");
          strbuf_addc (sb, '\n');
        }
    }
}

static void
key_of (const oci_seccomp *s, unsigned char key[KAGO_SHA256_LEN])
{
  cleanup_strbuf strbuf sb = STRBUF_INIT;
  canonical (&sb, s);
  kago_sha256 (sb.buf, sb.len, key);
}

void
kago_seccomp_cache_key (const oci_seccomp *s, char out[65])
{
  unsigned char key[KAGO_SHA256_LEN];
  key_of (s, key);
  kago_sha256_hex (key, out);
}

/* Open (making it when missing) the cache directory: ours, mode 0700.  */
static int
open_cache_dir (const char *root)
{
  if (mkdir (root, 0700) < 0 && errno != EEXIST)
    return -1;
  cleanup_close int rootfd = open (root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (rootfd < 0)
    return -1;
  if (mkdirat (rootfd, KAGO_SECCOMP_CACHE_DIR, 0700) < 0 && errno != EEXIST)
    return -1;
  int fd = openat (rootfd, KAGO_SECCOMP_CACHE_DIR, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -1;
  struct stat st;
  if (fstat (fd, &st) < 0 || st.st_uid != geteuid () || (st.st_mode & 077))
    {
      kago_log_debug ("seccomp cache: %s/%s is not ours alone, not used", root, KAGO_SECCOMP_CACHE_DIR);
      close (fd);
      errno = EPERM;
      return -1;
    }
  return fd;
}

/* The filter stored under NAME, or NULL (and the file removed when it is
   there but not valid).  */
static struct kago_seccomp_filter *
load (int dirfd, const char *name, const unsigned char key[KAGO_SHA256_LEN])
{
  cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return NULL;
  const char *why = NULL;
  struct stat st;
  cleanup_free char *buf = NULL;
  size_t len = 0;
  struct header h;
  kago_error_t err = NULL;
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_uid != geteuid () || (st.st_mode & 077))
    why = "not a private regular file of ours";
  else if (st.st_size < (off_t) (sizeof h + KAGO_SHA256_LEN)
           || st.st_size > (off_t) (sizeof h + MAX_INSNS * sizeof (struct sock_filter) + KAGO_SHA256_LEN))
    why = "bad size";
  else if (read_all_fd (fd, &buf, &len, &err) < 0 || len != (size_t) st.st_size)
    why = "short read";
  if (why == NULL)
    {
      memcpy (&h, buf, sizeof h);
      size_t body = len - KAGO_SHA256_LEN;
      unsigned char sum[KAGO_SHA256_LEN];
      kago_sha256 (buf, body, sum);
      if (memcmp (h.magic, MAGIC, 8) != 0)
        why = "bad magic";
      else if (memcmp (h.key, key, KAGO_SHA256_LEN) != 0)
        why = "key mismatch";
      else if (h.n_insns == 0 || h.n_insns > MAX_INSNS
               || body != sizeof h + (size_t) h.n_insns * sizeof (struct sock_filter))
        why = "bad instruction count";
      else if (memcmp (sum, buf + body, KAGO_SHA256_LEN) != 0)
        why = "checksum mismatch";
    }
  struct kago_seccomp_filter *f = NULL;
  if (why == NULL)
    {
      f = kago_seccomp_filter_from_bpf (buf + sizeof h, (size_t) h.n_insns * sizeof (struct sock_filter),
                                        h.flags, &err);
      if (f == NULL)
        why = "refused";
    }
  if (why)
    {
      kago_log_debug ("seccomp cache: %s: %s%s%s, removed", name, why, err ? ": " : "", err ? err->msg : "");
      unlinkat (dirfd, name, 0);
    }
  kago_error_release (&err);
  return f;
}

/* Keep the directory small: past KAGO_SECCOMP_CACHE_MAX entries, empty it. */
static void
trim (int dirfd)
{
  int dup_fd = fcntl (dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0)
    return;
  DIR *d = fdopendir (dup_fd);
  if (d == NULL)
    {
      close (dup_fd);
      return;
    }
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir (d)))
    if (de->d_name[0] != '.')
      n++;
  if (n >= KAGO_SECCOMP_CACHE_MAX)
    {
      rewinddir (d);
      while ((de = readdir (d)))
        if (de->d_name[0] != '.')
          unlinkat (dirfd, de->d_name, 0);
    }
  closedir (d);
}

static void
store (int dirfd, const char *name, const unsigned char key[KAGO_SHA256_LEN],
       const struct kago_seccomp_filter *f)
{
  size_t len;
  unsigned int flags;
  const void *insns = kago_seccomp_filter_bpf (f, &len, &flags);
  struct header h;
  memset (&h, 0, sizeof h);
  memcpy (h.magic, MAGIC, 8);
  memcpy (h.key, key, KAGO_SHA256_LEN);
  h.flags = flags;
  h.n_insns = (uint32_t) (len / sizeof (struct sock_filter));
  size_t total = sizeof h + len + KAGO_SHA256_LEN;
  cleanup_free unsigned char *buf = xmalloc (total);
  memcpy (buf, &h, sizeof h);
  memcpy (buf + sizeof h, insns, len);
  kago_sha256 (buf, sizeof h + len, buf + sizeof h + len);

  trim (dirfd);
  char tmp[128];
  snprintf (tmp, sizeof tmp, ".%s.%d.tmp", name, (int) getpid ());
  int fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      kago_log_debug ("seccomp cache: create %s: %s", tmp, strerror (errno));
      return;
    }
  int ok = write_all (fd, buf, total) == 0;
  if (close (fd) < 0)
    ok = 0;
  if (!ok || renameat (dirfd, tmp, dirfd, name) < 0)
    {
      kago_log_debug ("seccomp cache: write %s: %s", name, strerror (errno));
      unlinkat (dirfd, tmp, 0);
    }
}

int
kago_seccomp_compile_cached (const char *state_root, const oci_seccomp *s, struct kago_seccomp_filter **out,
                             bool *hit, kago_error_t *err)
{
  const char *env = getenv ("KAGO_SECCOMP_CACHE");
  if (hit)
    *hit = false;
  *out = NULL;
  if (state_root == NULL || s == NULL || (env && strcmp (env, "0") == 0))
    return kago_seccomp_compile (s, out, err);

  unsigned char key[KAGO_SHA256_LEN];
  char name[2 * KAGO_SHA256_LEN + 8];
  key_of (s, key);
  kago_sha256_hex (key, name);
  strcat (name, ".bpf");

  cleanup_close int dirfd = open_cache_dir (state_root);
  if (dirfd >= 0)
    {
      *out = load (dirfd, name, key);
      if (*out)
        {
          if (hit)
            *hit = true;
          kago_log_debug ("seccomp cache: hit %s", name);
          return 0;
        }
    }
  else
    kago_log_debug ("seccomp cache: %s/%s: %s", state_root, KAGO_SECCOMP_CACHE_DIR, strerror (errno));

  if (kago_seccomp_compile (s, out, err) < 0)
    return -1;
  if (dirfd >= 0)
    {
      store (dirfd, name, key, *out);
      kago_log_debug ("seccomp cache: compiled and stored %s", name);
    }
  return 0;
}
