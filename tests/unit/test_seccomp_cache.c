/* The cache of compiled seccomp filters (src/seccomp/cache.c) and the
   SHA-256 it is keyed and checked with.  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/sha256.h"
#include "runtime/process_attrs.h"
#include "seccomp/cache.h"
#include "tap.h"

#define MSG(e) ((e) ? (e)->msg : NULL)
#define STRV(...)                                                                                            \
  {                                                                                                          \
    (char *[]){ __VA_ARGS__, NULL }, sizeof ((char *[]){ __VA_ARGS__ }) / sizeof (char *)                    \
  }

static char root[64];
static char cdir[128];

static void
hex_of (const void *data, size_t len, char out[65])
{
  unsigned char d[KAGO_SHA256_LEN];
  kago_sha256 (data, len, d);
  kago_sha256_hex (d, out);
}

TEST (sha256_known_answers)
{
  char h[65];
  hex_of ("", 0, h);
  CHECK_STR (h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  hex_of ("abc", 3, h);
  CHECK_STR (h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const char *s56 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  hex_of (s56, strlen (s56), h);
  CHECK_STR (h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  char *a = malloc (1000000);
  memset (a, 'a', 1000000);
  hex_of (a, 1000000, h);
  CHECK_STR (h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  /* The same in uneven pieces.  */
  struct kago_sha256 c;
  kago_sha256_init (&c);
  size_t off = 0, step = 1;
  while (off < 1000000)
    {
      size_t n = step < 1000000 - off ? step : 1000000 - off;
      kago_sha256_update (&c, a + off, n);
      off += n;
      step = step * 7 % 191 + 1;
    }
  unsigned char d[KAGO_SHA256_LEN];
  kago_sha256_final (&c, d);
  char h2[65];
  kago_sha256_hex (d, h2);
  CHECK_STR (h2, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  free (a);
}

static oci_seccomp_arg deny_args[] = { { .index = 1, .value = 0x7, .value_two = 0, .op = "SCMP_CMP_EQ" } };
static oci_seccomp_syscall deny_rules[] = {
  { .names = STRV ("mkdir", "mkdirat"), .action = "SCMP_ACT_ERRNO", .has_errno_ret = true, .errno_ret = 122 },
  { .names = STRV ("getppid"), .action = "SCMP_ACT_ERRNO", .args = deny_args, .n_args = 1 },
};
static oci_seccomp deny_mkdir = { .default_action = "SCMP_ACT_ALLOW",
                                  .syscalls = deny_rules,
                                  .n_syscalls = 2,
                                  .architectures = STRV ("SCMP_ARCH_X86_64") };

TEST (key_covers_every_field)
{
  char k0[65], k[65];
  kago_seccomp_cache_key (&deny_mkdir, k0);
  kago_seccomp_cache_key (&deny_mkdir, k);
  CHECK_STR (k, k0);
  CHECK (strlen (k0) == 64);

  oci_seccomp s = deny_mkdir;
  oci_seccomp_syscall r[2] = { deny_rules[0], deny_rules[1] };
  oci_seccomp_arg a = deny_args[0];
  s.syscalls = r;
  r[1].args = &a;
#define DIFFERS(mutate, undo)                                                                                \
  do                                                                                                         \
    {                                                                                                        \
      mutate;                                                                                                \
      kago_seccomp_cache_key (&s, k);                                                                        \
      CHECK (strcmp (k, k0) != 0);                                                                           \
      undo;                                                                                                  \
      kago_seccomp_cache_key (&s, k);                                                                        \
      CHECK_STR (k, k0);                                                                                     \
    }                                                                                                        \
  while (0)
  DIFFERS (r[0].errno_ret = 123, r[0].errno_ret = 122);
  DIFFERS (r[0].has_errno_ret = false, r[0].has_errno_ret = true);
  DIFFERS (a.value = 8, a.value = 7);
  DIFFERS (a.value_two = 1, a.value_two = 0);
  DIFFERS (a.index = 2, a.index = 1);
  DIFFERS (a.op = "SCMP_CMP_NE", a.op = "SCMP_CMP_EQ");
  DIFFERS (r[1].action = "SCMP_ACT_LOG", r[1].action = "SCMP_ACT_ERRNO");
  DIFFERS (s.default_action = "SCMP_ACT_LOG", s.default_action = "SCMP_ACT_ALLOW");
  DIFFERS ((s.has_default_errno_ret = true, s.default_errno_ret = 0), s.has_default_errno_ret = false);
  DIFFERS (s.architectures.n = 0, s.architectures.n = 1);
  DIFFERS (s.n_syscalls = 1, s.n_syscalls = 2);
  DIFFERS (r[0].names.n = 1, r[0].names.n = 2);
  oci_strv fl = STRV ("SECCOMP_FILTER_FLAG_LOG"), none = { NULL, 0 };
  DIFFERS (s.flags = fl, s.flags = none);
}

static int
n_entries (void)
{
  DIR *d = opendir (cdir);
  if (d == NULL)
    return -1;
  int n = 0;
  struct dirent *de;
  while ((de = readdir (d)))
    if (strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
      n++;
  closedir (d);
  return n;
}

static char *
entry_path (const oci_seccomp *s)
{
  char k[65];
  kago_seccomp_cache_key (s, k);
  char *p = NULL;
  if (asprintf (&p, "%s/%s.bpf", cdir, k) < 0)
    abort ();
  return p;
}

/* Compile through the cache; returns whether it was a hit (-1 on error) and
   checks the program equals a plain compile's.  */
static int
cached (const oci_seccomp *s)
{
  struct kago_seccomp_filter *f = NULL, *g = NULL;
  kago_error_t err = NULL;
  bool hit = false;
  if (kago_seccomp_compile_cached (root, s, &f, &hit, &err) < 0)
    {
      printf ("# %s\n", MSG (err));
      kago_error_release (&err);
      return -1;
    }
  CHECK (kago_seccomp_compile (s, &g, &err) == 0);
  size_t lf, lg;
  unsigned int ff, fg;
  const void *bf = kago_seccomp_filter_bpf (f, &lf, &ff);
  const void *bg = kago_seccomp_filter_bpf (g, &lg, &fg);
  CHECK (lf == lg && ff == fg && memcmp (bf, bg, lf) == 0);
  kago_seccomp_filter_free (f);
  kago_seccomp_filter_free (g);
  return hit;
}

TEST (miss_then_hit_private_files)
{
  CHECK (cached (&deny_mkdir) == 0);
  CHECK (cached (&deny_mkdir) == 1);
  CHECK (cached (&deny_mkdir) == 1);
  struct stat st;
  CHECK (stat (cdir, &st) == 0 && S_ISDIR (st.st_mode) && (st.st_mode & 0777) == 0700);
  char *p = entry_path (&deny_mkdir);
  CHECK (stat (p, &st) == 0 && S_ISREG (st.st_mode) && (st.st_mode & 0777) == 0600);
  free (p);
  CHECK (n_entries () == 1);
}

static void
flip_byte (const char *path, off_t off)
{
  int fd = open (path, O_RDWR);
  unsigned char c = 0;
  if (fd < 0 || pread (fd, &c, 1, off) != 1)
    abort ();
  c ^= 0x40;
  if (pwrite (fd, &c, 1, off) != 1)
    abort ();
  close (fd);
}

TEST (damaged_or_foreign_entries_are_not_used)
{
  char *p = entry_path (&deny_mkdir);
  CHECK (cached (&deny_mkdir) >= 0); /* present */
  struct stat st;
  CHECK (stat (p, &st) == 0);
  off_t size = st.st_size;

  /* A flipped bit in an instruction: the checksum catches it.  */
  flip_byte (p, 8 + 32 + 8 + 20);
  CHECK (cached (&deny_mkdir) == 0);
  CHECK (cached (&deny_mkdir) == 1); /* rewritten */

  /* In the header's flags.  */
  flip_byte (p, 8 + 32);
  CHECK (cached (&deny_mkdir) == 0);

  /* Truncated.  */
  CHECK (truncate (p, size - 1) == 0);
  CHECK (cached (&deny_mkdir) == 0);

  /* Readable by others.  */
  CHECK (chmod (p, 0644) == 0);
  CHECK (cached (&deny_mkdir) == 0);
  CHECK (stat (p, &st) == 0 && (st.st_mode & 0777) == 0600);

  /* A symlink to a valid entry: not followed.  */
  char *other = NULL;
  if (asprintf (&other, "%s/elsewhere.bpf", root) < 0)
    abort ();
  CHECK (rename (p, other) == 0);
  CHECK (symlink (other, p) == 0);
  CHECK (cached (&deny_mkdir) == 0);
  CHECK (lstat (p, &st) == 0 && S_ISREG (st.st_mode));
  unlink (other);
  free (other);

  /* Another profile's valid entry under this key's name.  */
  oci_seccomp s2 = deny_mkdir;
  s2.n_syscalls = 1;
  char *p2 = entry_path (&s2);
  CHECK (cached (&s2) == 0);
  CHECK (rename (p2, p) == 0);
  CHECK (cached (&deny_mkdir) == 0);
  CHECK (cached (&deny_mkdir) == 1);
  free (p2);
  free (p);
}

static int
child_cached_install (void)
{
  struct kago_seccomp_filter *f = NULL;
  kago_error_t err = NULL;
  bool hit = false;
  if (kago_seccomp_compile_cached (root, &deny_mkdir, &f, &hit, &err) < 0 || !hit)
    return 10;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || kago_seccomp_install (f, NULL, &err) < 0)
    return 11;
  if (mkdir ("/tmp/kago-seccomp-cache-should-not-exist", 0700) == 0 || errno != EDQUOT)
    return 12;
  return 0;
}

TEST (cached_filter_installs_and_works)
{
  CHECK (cached (&deny_mkdir) == 1);
  fflush (stdout);
  pid_t pid = fork ();
  if (pid == 0)
    _exit (child_cached_install ());
  int st;
  waitpid (pid, &st, 0);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  CHECK (access ("/tmp/kago-seccomp-cache-should-not-exist", F_OK) != 0);
}

TEST (bounded_off_switch_and_errors)
{
  /* Fill it past the bound: the next write empties it first.  */
  for (int i = 0; i < KAGO_SECCOMP_CACHE_MAX; i++)
    {
      char p[256];
      snprintf (p, sizeof p, "%s/junk%02d.bpf", cdir, i);
      kago_error_t err = NULL;
      CHECK (write_file (p, "x", 1, &err) == 0);
    }
  CHECK (n_entries () > KAGO_SECCOMP_CACHE_MAX);
  oci_seccomp s3 = deny_mkdir;
  s3.default_action = "SCMP_ACT_LOG";
  CHECK (cached (&s3) == 0);
  CHECK (n_entries () == 1);

  /* Off.  */
  setenv ("KAGO_SECCOMP_CACHE", "0", 1);
  s3.default_action = "SCMP_ACT_TRAP";
  CHECK (cached (&s3) == 0);
  CHECK (cached (&s3) == 0);
  CHECK (n_entries () == 1);
  unsetenv ("KAGO_SECCOMP_CACHE");

  /* A profile that does not compile: the error, nothing stored.  */
  oci_seccomp bad = deny_mkdir;
  bad.default_action = "SCMP_ACT_NOPE";
  struct kago_seccomp_filter *f = NULL;
  kago_error_t err = NULL;
  CHECK (kago_seccomp_compile_cached (root, &bad, &f, NULL, &err) < 0);
  CHECK_STR (MSG (err), "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_NOPE\"");
  CHECK (f == NULL);
  kago_error_release (&err);
  CHECK (n_entries () == 1);

  /* A cache directory others can write to is not used.  */
  CHECK (chmod (cdir, 0777) == 0);
  oci_seccomp s4 = deny_mkdir;
  s4.default_action = "SCMP_ACT_KILL_PROCESS";
  CHECK (cached (&s4) == 0);
  CHECK (cached (&s4) == 0);
  CHECK (n_entries () == 1);
  chmod (cdir, 0700);
}

int
main (void)
{
  snprintf (root, sizeof root, "/tmp/kago-sc-cache-XXXXXX");
  if (mkdtemp (root) == NULL)
    return 1;
  snprintf (cdir, sizeof cdir, "%s/%s", root, KAGO_SECCOMP_CACHE_DIR);
  RUN (sha256_known_answers);
  RUN (key_covers_every_field);
  RUN (miss_then_hit_private_files);
  RUN (damaged_or_foreign_entries_are_not_used);
  RUN (cached_filter_installs_and_works);
  RUN (bounded_off_switch_and_errors);
  kago_error_t err = NULL;
  int rfd = open ("/tmp", O_DIRECTORY | O_RDONLY);
  remove_tree_at (rfd, root + 5, &err);
  kago_error_release (&err);
  close (rfd);
  return tap_done ();
}
