/* Subnets and the locked address allocator (src/engine/network/ipam.h).  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/xalloc.h"
#include "engine/network/ipam.h"
#include "tap.h"

#define MSG(e) ((e) ? (e)->msg : NULL)

static char *
tmpdir (void)
{
  char tmpl[] = "/tmp/kago-ipam-test.XXXXXX";
  char *d = mkdtemp (tmpl);
  if (d == NULL)
    {
      perror ("mkdtemp");
      exit (2);
    }
  return xasprintf ("%s/net", d);
}

static void
rmtmp (char *dir)
{
  /* dir is /tmp/kago-ipam-test.XXXXXX/net: remove /tmp's entry.  */
  char *base = xstrdup (dir + strlen ("/tmp/"));
  *strchr (base, '/') = '\0';
  kago_error_t err = NULL;
  int tmp = open ("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (tmp < 0 || remove_tree_at (tmp, base, &err) < 0)
    printf ("# could not remove /tmp/%s: %s\n", base, err ? err->msg : "open /tmp");
  kago_error_release (&err);
  if (tmp >= 0)
    close (tmp);
  free (base);
  free (dir);
}

static uint32_t
ip (const char *s)
{
  uint32_t a = 0;
  kago_error_t err = NULL;
  if (kago_ipv4_parse (s, &a, &err) < 0)
    {
      printf ("# bad test address %s\n", s);
      kago_error_release (&err);
    }
  return a;
}

static struct kago_ipam_pool
pool (const char *cidr)
{
  struct kago_ipam_pool p = { 0 };
  kago_error_t err = NULL;
  if (kago_subnet_parse (cidr, &p.subnet, &err) < 0)
    {
      printf ("# bad test subnet %s\n", cidr);
      kago_error_release (&err);
    }
  return p;
}

static const char *
fmt (uint32_t a)
{
  static char b[4][KAGO_IPV4_STRLEN];
  static int i;
  return kago_ipv4_format (a, b[i++ % 4]);
}

TEST (ipv4_parse)
{
  kago_error_t err = NULL;
  uint32_t a;
  CHECK (kago_ipv4_parse ("10.99.0.1", &a, &err) == 0 && a == 0x0a630001);
  CHECK (kago_ipv4_parse ("255.255.255.255", &a, &err) == 0 && a == 0xffffffff);
  CHECK (kago_ipv4_parse ("0.0.0.0", &a, &err) == 0 && a == 0);
  CHECK_STR (fmt (0xac110002), "172.17.0.2");
  const char *bad[] = { "",       "1.2.3",    "1.2.3.4.5",  "256.1.1.1", "1.2.3.4 ",  "01.2.3.4",
                        "1..2.3", "-1.2.3.4", "1.2.3.4/24", "a.b.c.d",   "1.2.3.1000" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      CHECK (kago_ipv4_parse (bad[i], &a, &err) < 0);
      CHECK_CONTAINS (MSG (err), "invalid IPv4 address");
      kago_error_release (&err);
    }
}

TEST (subnet_parse)
{
  kago_error_t err = NULL;
  struct kago_subnet s;
  char b[KAGO_CIDR_STRLEN];
  CHECK (kago_subnet_parse ("172.17.0.0/16", &s, &err) == 0 && s.addr == 0xac110000 && s.prefix == 16);
  CHECK_STR (kago_subnet_format (&s, b), "172.17.0.0/16");
  CHECK (kago_subnet_broadcast (&s) == 0xac11ffff);
  CHECK (kago_subnet_parse ("0.0.0.0/0", &s, &err) == 0 && s.prefix == 0
         && kago_subnet_broadcast (&s) == 0xffffffff);
  CHECK (kago_subnet_parse ("10.1.2.3/32", &s, &err) == 0 && s.addr == 0x0a010203);
  CHECK (kago_subnet_contains (&s, 0x0a010203) && !kago_subnet_contains (&s, 0x0a010204));

  const char *bad[] = { "",         "10.0.0.0",    "10.0.0.0/",   "10.0.0.0/33", "10.0.0.0/-1",
                        "10.0.0/8", "10.0.0.0/08", "10.0.0.0/8x", "x/8",         "10.0.0.0/24/1" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      CHECK (kago_subnet_parse (bad[i], &s, &err) < 0);
      CHECK_CONTAINS (MSG (err), "invalid subnet");
      kago_error_release (&err);
    }
  CHECK (kago_subnet_parse ("10.0.0.1/24", &s, &err) < 0);
  CHECK_CONTAINS (MSG (err), "host bits are set (the network is 10.0.0.0/24)");
  kago_error_release (&err);
}

TEST (subnet_overlap)
{
  kago_error_t err = NULL;
  struct kago_subnet a = pool ("10.0.0.0/16").subnet, b = pool ("10.0.5.0/24").subnet,
                     c = pool ("10.1.0.0/16").subnet, d = pool ("0.0.0.0/0").subnet,
                     e = pool ("10.0.255.252/30").subnet;
  CHECK (kago_subnet_overlaps (&a, &b) && kago_subnet_overlaps (&b, &a));
  CHECK (!kago_subnet_overlaps (&a, &c) && !kago_subnet_overlaps (&c, &b));
  CHECK (kago_subnet_overlaps (&d, &c));
  CHECK (kago_subnet_overlaps (&a, &a));
  CHECK (kago_subnet_overlaps (&a, &e) && !kago_subnet_overlaps (&b, &e));
  CHECK (kago_subnet_check_overlap (&a, &c, &err) == 0);
  CHECK (kago_subnet_check_overlap (&b, &a, &err) < 0);
  CHECK_STR (MSG (err), "invalid subnet 10.0.5.0/24: overlaps with 10.0.0.0/16");
  kago_error_release (&err);
}

TEST (pool_check)
{
  kago_error_t err = NULL;
  struct kago_ipam_pool p = pool ("10.99.0.0/24");
  CHECK (kago_ipam_pool_check (&p, &err) == 0 && p.gateway == ip ("10.99.0.1"));
  p.gateway = ip ("10.99.0.254");
  CHECK (kago_ipam_pool_check (&p, &err) == 0 && p.gateway == ip ("10.99.0.254"));
  const char *badgw[] = { "10.99.0.0", "10.99.0.255", "10.98.0.1" };
  for (size_t i = 0; i < 3; i++)
    {
      p.gateway = ip (badgw[i]);
      CHECK (kago_ipam_pool_check (&p, &err) < 0);
      CHECK_CONTAINS (MSG (err), "invalid gateway");
      kago_error_release (&err);
    }
  const char *small[] = { "10.0.0.0/31", "10.0.0.1/32", "0.0.0.0/0" };
  for (size_t i = 0; i < 3; i++)
    {
      p = pool (small[i]);
      CHECK (kago_ipam_pool_check (&p, &err) < 0);
      CHECK_CONTAINS (MSG (err), "prefix length of a network must be 1 to 30");
      kago_error_release (&err);
    }
}

TEST (allocate_in_turn)
{
  kago_error_t err = NULL;
  char *dir = tmpdir ();
  struct kago_ipam_pool p = pool ("10.99.0.0/24");
  uint32_t a = 0, b = 0, c = 0;
  CHECK (kago_ipam_allocate (dir, &p, "ctr1", 0, &a, &err) == 0);
  CHECK_STR (fmt (a), "10.99.0.2");
  CHECK (kago_ipam_allocate (dir, &p, "ctr2", 0, &b, &err) == 0);
  CHECK_STR (fmt (b), "10.99.0.3");
  /* Released addresses are not handed out again at once.  */
  CHECK (kago_ipam_release (dir, "ctr1", &err) == 1);
  CHECK (kago_ipam_release (dir, "ctr1", &err) == 0);
  CHECK (kago_ipam_allocate (dir, &p, "ctr3", 0, &c, &err) == 0);
  CHECK_STR (fmt (c), "10.99.0.4");
  /* One address per holder.  */
  CHECK (kago_ipam_allocate (dir, &p, "ctr3", 0, &c, &err) < 0 && err && err->errnum == EEXIST);
  CHECK_CONTAINS (MSG (err), "ctr3 already has address 10.99.0.4");
  kago_error_release (&err);
  /* The state says what it holds.  */
  cleanup_free char *path = xasprintf ("%s/ipam", dir), *data = NULL;
  size_t len;
  CHECK (read_file (path, &data, &len, &err) == 0);
  CHECK_STR (data, "kago-ipam 1\nsubnet 10.99.0.0/24\ngateway 10.99.0.1\nlast 10.99.0.4\n"
                   "lease 10.99.0.3 ctr2\nlease 10.99.0.4 ctr3\n");
  struct kago_ipam_lease *l;
  size_t n;
  CHECK (kago_ipam_list (dir, &l, &n, &err) == 0 && n == 2);
  if (n == 2)
    {
      CHECK (l[0].addr == ip ("10.99.0.3"));
      CHECK_STR (l[1].holder, "ctr3");
    }
  kago_ipam_leases_free (l, n);
  /* Another pool over the same state is refused.  */
  struct kago_ipam_pool q = pool ("10.98.0.0/24");
  CHECK (kago_ipam_allocate (dir, &q, "ctr4", 0, &a, &err) < 0);
  CHECK_CONTAINS (MSG (err), "is for subnet 10.99.0.0/24, not 10.98.0.0/24");
  kago_error_release (&err);
  rmtmp (dir);
}

TEST (exhaustion_and_wrap)
{
  kago_error_t err = NULL;
  char *dir = tmpdir ();
  /* /29: .0 network, .1 gateway, .7 broadcast: five hosts.  */
  struct kago_ipam_pool p = pool ("192.168.7.0/29");
  uint32_t a;
  char holder[16];
  for (int i = 0; i < 5; i++)
    {
      snprintf (holder, sizeof holder, "c%d", i);
      CHECK (kago_ipam_allocate (dir, &p, holder, 0, &a, &err) == 0);
      CHECK (a == ip ("192.168.7.2") + (uint32_t) i);
    }
  CHECK (kago_ipam_allocate (dir, &p, "c5", 0, &a, &err) < 0 && err && err->errnum == ENOSPC);
  CHECK_CONTAINS (MSG (err), "no free address left in subnet 192.168.7.0/29");
  kago_error_release (&err);
  /* Freed in the middle: the search wraps round to it.  */
  CHECK (kago_ipam_release (dir, "c2", &err) == 1);
  CHECK (kago_ipam_allocate (dir, &p, "c6", 0, &a, &err) == 0);
  CHECK_STR (fmt (a), "192.168.7.4");
  /* A gateway not at .1: .1 becomes a host, .6 is skipped.  */
  char *dir2 = tmpdir ();
  p.gateway = ip ("192.168.7.6");
  int got = 0;
  for (int i = 0; i < 6; i++)
    {
      snprintf (holder, sizeof holder, "d%d", i);
      if (kago_ipam_allocate (dir2, &p, holder, 0, &a, &err) == 0)
        {
          got++;
          CHECK (a != ip ("192.168.7.6") && a != ip ("192.168.7.0") && a != ip ("192.168.7.7"));
        }
      kago_error_release (&err);
    }
  CHECK (got == 5);
  rmtmp (dir);
  rmtmp (dir2);
}

TEST (requested_address)
{
  kago_error_t err = NULL;
  char *dir = tmpdir ();
  struct kago_ipam_pool p = pool ("10.20.0.0/16");
  uint32_t a;
  CHECK (kago_ipam_allocate (dir, &p, "web", ip ("10.20.3.4"), &a, &err) == 0);
  CHECK_STR (fmt (a), "10.20.3.4");
  CHECK (kago_ipam_allocate (dir, &p, "db", ip ("10.20.3.4"), &a, &err) < 0 && err
         && err->errnum == EADDRINUSE);
  CHECK_CONTAINS (MSG (err), "Address already in use");
  kago_error_release (&err);
  CHECK (kago_ipam_allocate (dir, &p, "db", ip ("10.20.0.1"), &a, &err) < 0);
  CHECK_CONTAINS (MSG (err), "Address already in use");
  kago_error_release (&err);
  CHECK (kago_ipam_allocate (dir, &p, "db", ip ("10.21.0.5"), &a, &err) < 0);
  CHECK_CONTAINS (MSG (err), "invalid address 10.21.0.5: not in subnet 10.20.0.0/16");
  kago_error_release (&err);
  CHECK (kago_ipam_allocate (dir, &p, "db", ip ("10.20.255.255"), &a, &err) < 0);
  CHECK_CONTAINS (MSG (err), "reserved");
  kago_error_release (&err);
  /* A requested address does not move the turn.  */
  CHECK (kago_ipam_allocate (dir, &p, "db", 0, &a, &err) == 0);
  CHECK_STR (fmt (a), "10.20.0.2");
  CHECK (kago_ipam_release (dir, "web", &err) == 1);
  CHECK (kago_ipam_allocate (dir, &p, "cache", ip ("10.20.3.4"), &a, &err) == 0);
  CHECK (kago_ipam_release (dir, "bad holder", &err) < 0);
  CHECK_CONTAINS (MSG (err), "invalid IPAM holder");
  kago_error_release (&err);
  rmtmp (dir);
}

static bool
alive_if_even (const char *holder, void *arg)
{
  int *calls = arg;
  (*calls)++;
  return (holder[strlen (holder) - 1] - '0') % 2 == 0;
}

TEST (release_stale)
{
  kago_error_t err = NULL;
  char *dir = tmpdir ();
  struct kago_ipam_pool p = pool ("10.30.0.0/24");
  uint32_t a;
  char holder[16];
  for (int i = 0; i < 6; i++)
    {
      snprintf (holder, sizeof holder, "ctr%d", i);
      CHECK (kago_ipam_allocate (dir, &p, holder, 0, &a, &err) == 0);
    }
  int calls = 0;
  CHECK (kago_ipam_release_stale (dir, alive_if_even, &calls, &err) == 3);
  CHECK (calls == 6);
  struct kago_ipam_lease *l;
  size_t n;
  CHECK (kago_ipam_list (dir, &l, &n, &err) == 0 && n == 3);
  for (size_t i = 0; i < n; i++)
    CHECK ((l[i].holder[3] - '0') % 2 == 0);
  kago_ipam_leases_free (l, n);
  /* No state at all: nothing to release, no error, nothing created.  */
  char *none = tmpdir ();
  CHECK (kago_ipam_release (none, "x", &err) == 0);
  CHECK (kago_ipam_release_stale (none, alive_if_even, &calls, &err) == 0);
  CHECK (kago_ipam_list (none, &l, &n, &err) == 0 && n == 0);
  struct stat st;
  CHECK (stat (none, &st) < 0 && errno == ENOENT);
  rmtmp (dir);
  rmtmp (none);
}

TEST (corrupt_state)
{
  kago_error_t err = NULL;
  char *dir = tmpdir ();
  CHECK (mkdir_p (dir, 0700, &err) == 0);
  cleanup_free char *path = xasprintf ("%s/ipam", dir);
  const char *text = "kago-ipam 1\nsubnet 10.0.0.0/24\nlease 10.0.0.300 x\n";
  CHECK (write_file (path, text, strlen (text), &err) == 0);
  struct kago_ipam_pool p = pool ("10.0.0.0/24");
  uint32_t a;
  CHECK (kago_ipam_allocate (dir, &p, "y", 0, &a, &err) < 0);
  CHECK_CONTAINS (MSG (err), "corrupt IPAM state");
  CHECK_CONTAINS (MSG (err), "line 3");
  kago_error_release (&err);
  rmtmp (dir);
}

/* Several processes allocate at once: every address is distinct and every
   lease is in the state.  */
TEST (concurrent_allocation)
{
  enum
  {
    PROCS = 8,
    EACH = 6
  };
  kago_error_t err = NULL;
  char *dir = tmpdir ();
  struct kago_ipam_pool p = pool ("10.40.0.0/24");
  int fds[2];
  CHECK (pipe (fds) == 0);
  pid_t pids[PROCS];
  for (int i = 0; i < PROCS; i++)
    {
      pids[i] = fork ();
      if (pids[i] == 0)
        {
          close (fds[0]);
          for (int j = 0; j < EACH; j++)
            {
              char holder[32];
              uint32_t a = 0;
              kago_error_t e = NULL;
              snprintf (holder, sizeof holder, "p%d-%d", i, j);
              if (kago_ipam_allocate (dir, &p, holder, 0, &a, &e) < 0)
                _exit (1);
              if (write (fds[1], &a, sizeof a) != sizeof a)
                _exit (1);
            }
          _exit (0);
        }
    }
  close (fds[1]);
  int ok = 1;
  for (int i = 0; i < PROCS; i++)
    {
      int status;
      if (waitpid (pids[i], &status, 0) < 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
        ok = 0;
    }
  CHECK (ok);
  uint32_t got[PROCS * EACH];
  size_t n = 0;
  uint32_t a;
  while (n < PROCS * EACH && read (fds[0], &a, sizeof a) == sizeof a)
    got[n++] = a;
  close (fds[0]);
  CHECK (n == PROCS * EACH);
  int dups = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      dups += got[i] == got[j];
  CHECK (dups == 0);
  struct kago_ipam_lease *l;
  size_t nl;
  CHECK (kago_ipam_list (dir, &l, &nl, &err) == 0 && nl == PROCS * EACH);
  kago_ipam_leases_free (l, nl);
  rmtmp (dir);
}

TEST (repool)
{
  kago_error_t err = NULL;
  char *dir = tmpdir ();
  struct kago_ipam_pool old = pool ("10.31.0.0/24"), neu = pool ("10.32.0.0/16");
  neu.gateway = ip ("10.32.9.9");
  uint32_t a;
  CHECK (kago_ipam_allocate (dir, &old, "0123456789abcdef", 0, &a, &err) == 0);
  /* Refused while an address is leased, the holder named (short).  */
  CHECK (kago_ipam_repool (dir, &neu, &err) < 0);
  if (err)
    {
      CHECK_STR (err->msg, "1 address is leased (to 0123456789ab)");
      kago_error_release (&err);
    }
  CHECK (kago_ipam_allocate (dir, &old, "second", 0, &a, &err) == 0 && a == ip ("10.31.0.3"));
  CHECK (kago_ipam_release (dir, "0123456789abcdef", &err) == 1);
  CHECK (kago_ipam_release (dir, "second", &err) == 1);
  CHECK (kago_ipam_repool (dir, &neu, &err) == 0);
  /* Now the state is the new pool's: the old one is refused, the new one
     starts at its first address, the gateway skipped.  */
  CHECK (kago_ipam_allocate (dir, &old, "x", 0, &a, &err) < 0);
  kago_error_release (&err);
  CHECK (kago_ipam_allocate (dir, &neu, "x", 0, &a, &err) == 0);
  CHECK_STR (fmt (a), "10.32.0.1");
  /* A bad pool is refused before anything.  */
  struct kago_ipam_pool bad = pool ("10.33.0.0/31");
  CHECK (kago_ipam_repool (dir, &bad, &err) < 0);
  kago_error_release (&err);
  rmtmp (dir);
}

int
main (void)
{
  RUN (ipv4_parse);
  RUN (subnet_parse);
  RUN (subnet_overlap);
  RUN (pool_check);
  RUN (allocate_in_turn);
  RUN (exhaustion_and_wrap);
  RUN (requested_address);
  RUN (release_stale);
  RUN (corrupt_state);
  RUN (concurrent_allocation);
  RUN (repool);
  return tap_done ();
}
