/* IPv4 subnets and the locked per-network address allocator (ipam.h).  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "engine/network/ipam.h"

#define HOLDER_MAX 128

/* Addresses and subnets.  */

/* One decimal part of a dotted quad: 0..255, no sign, no leading zero.  */
static const char *
parse_octet (const char *p, uint32_t *v)
{
  if (*p < '0' || *p > '9')
    return NULL;
  if (*p == '0' && p[1] >= '0' && p[1] <= '9')
    return NULL;
  unsigned n = 0;
  int digits = 0;
  for (; *p >= '0' && *p <= '9'; p++)
    if (++digits > 3 || (n = n * 10 + (unsigned) (*p - '0')) > 255)
      return NULL;
  *v = n;
  return p;
}

/* Parse "a.b.c.d" at S; *END is where it stopped.  */
static int
parse_quad (const char *s, uint32_t *out, const char **end)
{
  uint32_t a = 0;
  const char *p = s;
  for (int i = 0; i < 4; i++)
    {
      uint32_t o;
      if (i > 0 && *p++ != '.')
        return -1;
      if ((p = parse_octet (p, &o)) == NULL)
        return -1;
      a = (a << 8) | o;
    }
  *out = a;
  *end = p;
  return 0;
}

int
kago_ipv4_parse (const char *s, uint32_t *out, kago_error_t *err)
{
  const char *end;
  if (s == NULL || parse_quad (s, out, &end) < 0 || *end != '\0')
    return kago_error_set (err, EINVAL, "invalid IPv4 address `%s`", s ? s : "");
  return 0;
}

char *
kago_ipv4_format (uint32_t a, char buf[KAGO_IPV4_STRLEN])
{
  snprintf (buf, KAGO_IPV4_STRLEN, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
  return buf;
}

uint32_t
kago_subnet_mask (unsigned prefix)
{
  return prefix == 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
}

uint32_t
kago_subnet_broadcast (const struct kago_subnet *s)
{
  return s->addr | ~kago_subnet_mask (s->prefix);
}

int
kago_subnet_parse (const char *s, struct kago_subnet *out, kago_error_t *err)
{
  const char *end;
  uint32_t a, prefix;
  if (s == NULL || *s == '\0')
    return kago_error_set (err, EINVAL, "invalid subnet ``: expected an address/prefix such as 10.1.0.0/16");
  if (parse_quad (s, &a, &end) < 0 || *end != '/')
    return kago_error_set (err, EINVAL, "invalid subnet `%s`: expected an address/prefix such as 10.1.0.0/16",
                           s);
  const char *pe = parse_octet (end + 1, &prefix);
  if (pe == NULL || *pe != '\0' || prefix > 32)
    return kago_error_set (err, EINVAL, "invalid subnet `%s`: the prefix length must be 0 to 32", s);
  uint32_t net = a & kago_subnet_mask (prefix);
  if (net != a)
    {
      char b[KAGO_IPV4_STRLEN];
      return kago_error_set (err, EINVAL, "invalid subnet `%s`: host bits are set (the network is %s/%u)", s,
                             kago_ipv4_format (net, b), prefix);
    }
  out->addr = net;
  out->prefix = prefix;
  return 0;
}

char *
kago_subnet_format (const struct kago_subnet *s, char buf[KAGO_CIDR_STRLEN])
{
  char a[KAGO_IPV4_STRLEN];
  snprintf (buf, KAGO_CIDR_STRLEN, "%s/%u", kago_ipv4_format (s->addr, a), s->prefix);
  return buf;
}

bool
kago_subnet_contains (const struct kago_subnet *s, uint32_t addr)
{
  return (addr & kago_subnet_mask (s->prefix)) == s->addr;
}

bool
kago_subnet_overlaps (const struct kago_subnet *a, const struct kago_subnet *b)
{
  /* Two prefixes overlap when the shorter one contains the other.  */
  unsigned p = a->prefix < b->prefix ? a->prefix : b->prefix;
  uint32_t m = kago_subnet_mask (p);
  return (a->addr & m) == (b->addr & m);
}

int
kago_subnet_check_overlap (const struct kago_subnet *a, const struct kago_subnet *b, kago_error_t *err)
{
  if (!kago_subnet_overlaps (a, b))
    return 0;
  char sa[KAGO_CIDR_STRLEN], sb[KAGO_CIDR_STRLEN];
  return kago_error_set (err, EEXIST, "invalid subnet %s: overlaps with %s", kago_subnet_format (a, sa),
                         kago_subnet_format (b, sb));
}

int
kago_ipam_pool_check (struct kago_ipam_pool *pool, kago_error_t *err)
{
  char s[KAGO_CIDR_STRLEN], g[KAGO_IPV4_STRLEN];
  const struct kago_subnet *sn = &pool->subnet;
  if (sn->prefix > 32 || (sn->addr & kago_subnet_mask (sn->prefix)) != sn->addr)
    return kago_error_set (err, EINVAL, "invalid subnet %u.%u.%u.%u/%u", sn->addr >> 24,
                           (sn->addr >> 16) & 255, (sn->addr >> 8) & 255, sn->addr & 255, sn->prefix);
  if (sn->prefix < 1 || sn->prefix > 30)
    return kago_error_set (err, EINVAL, "invalid subnet %s: the prefix length of a network must be 1 to 30",
                           kago_subnet_format (sn, s));
  if (pool->gateway == 0)
    pool->gateway = sn->addr + 1;
  if (!kago_subnet_contains (sn, pool->gateway) || pool->gateway == sn->addr
      || pool->gateway == kago_subnet_broadcast (sn))
    return kago_error_set (err, EINVAL, "invalid gateway %s: not a host address of subnet %s",
                           kago_ipv4_format (pool->gateway, g), kago_subnet_format (sn, s));
  return 0;
}

/* The state file.  */

struct state
{
  bool present; /* a pool has been recorded */
  struct kago_ipam_pool pool;
  uint32_t last;
  struct kago_ipam_lease *l; /* ordered by address */
  size_t n, cap;
};

static void
state_free (struct state *st)
{
  kago_ipam_leases_free (st->l, st->n);
  st->l = NULL;
  st->n = st->cap = 0;
}

static int
check_holder (const char *h, kago_error_t *err)
{
  size_t len = h ? strlen (h) : 0;
  if (len == 0 || len > HOLDER_MAX || strpbrk (h, " \t\r\n"))
    return kago_error_set (err, EINVAL, "invalid IPAM holder `%s`", h ? h : "");
  return 0;
}

/* Index of the first lease with an address >= A.  */
static size_t
lease_pos (const struct state *st, uint32_t a)
{
  size_t lo = 0, hi = st->n;
  while (lo < hi)
    {
      size_t mid = lo + (hi - lo) / 2;
      if (st->l[mid].addr < a)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static const char *
lease_holder (const struct state *st, uint32_t a)
{
  size_t i = lease_pos (st, a);
  return i < st->n && st->l[i].addr == a ? st->l[i].holder : NULL;
}

static int
lease_add (struct state *st, uint32_t a, const char *holder)
{
  size_t i = lease_pos (st, a);
  if (i < st->n && st->l[i].addr == a)
    return -1;
  if (st->n == st->cap)
    {
      st->cap = st->cap ? st->cap * 2 : 16;
      st->l = xrealloc (st->l, st->cap * sizeof *st->l);
    }
  memmove (&st->l[i + 1], &st->l[i], (st->n - i) * sizeof *st->l);
  st->l[i].addr = a;
  st->l[i].holder = xstrdup (holder);
  st->n++;
  return 0;
}

static void
lease_remove (struct state *st, size_t i)
{
  free (st->l[i].holder);
  memmove (&st->l[i], &st->l[i + 1], (st->n - i - 1) * sizeof *st->l);
  st->n--;
}

static int
parse_line (struct state *st, char *line)
{
  char *sp = strchr (line, ' ');
  if (sp == NULL)
    return -1;
  *sp++ = '\0';
  if (strcmp (line, "subnet") == 0)
    {
      kago_error_t e = NULL;
      int r = kago_subnet_parse (sp, &st->pool.subnet, &e);
      kago_error_release (&e);
      st->present = r == 0;
      return r;
    }
  if (strcmp (line, "gateway") == 0 || strcmp (line, "last") == 0)
    {
      const char *end;
      uint32_t a;
      if (parse_quad (sp, &a, &end) < 0 || *end)
        return -1;
      *(line[0] == 'g' ? &st->pool.gateway : &st->last) = a;
      return 0;
    }
  if (strcmp (line, "lease") == 0)
    {
      const char *end;
      uint32_t a;
      if (parse_quad (sp, &a, &end) < 0 || *end != ' ' || check_holder (end + 1, NULL) < 0)
        return -1;
      return lease_add (st, a, end + 1);
    }
  return -1;
}

static int
load (int dfd, const char *dir, struct state *st, kago_error_t *err)
{
  cleanup_free char *data = NULL;
  size_t len;
  kago_error_t e = NULL;
  memset (st, 0, sizeof *st);
  if (read_file_at (dfd, "ipam", &data, &len, &e) < 0)
    {
      if (e->errnum == ENOENT)
        {
          kago_error_release (&e);
          return 0;
        }
      *err = e;
      return kago_error_wrap (err, "IPAM state in `%s`", dir);
    }
  int lineno = 0;
  char *save = NULL;
  for (char *line = strtok_r (data, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      lineno++;
      if (lineno == 1 ? strcmp (line, "kago-ipam 1") != 0 : parse_line (st, line) < 0)
        {
          state_free (st);
          return kago_error_set (err, EINVAL, "corrupt IPAM state `%s/ipam`, line %d", dir, lineno);
        }
    }
  return 0;
}

static int
save (int dfd, const char *dir, const struct state *st, kago_error_t *err)
{
  cleanup_strbuf strbuf sb = STRBUF_INIT;
  char a[KAGO_IPV4_STRLEN], s[KAGO_CIDR_STRLEN];
  strbuf_adds (&sb, "kago-ipam 1\n");
  if (st->present)
    {
      strbuf_addf (&sb, "subnet %s\n", kago_subnet_format (&st->pool.subnet, s));
      strbuf_addf (&sb, "gateway %s\n", kago_ipv4_format (st->pool.gateway, a));
      strbuf_addf (&sb, "last %s\n", kago_ipv4_format (st->last, a));
    }
  for (size_t i = 0; i < st->n; i++)
    strbuf_addf (&sb, "lease %s %s\n", kago_ipv4_format (st->l[i].addr, a), st->l[i].holder);
  if (write_file_atomic (dfd, "ipam", sb.buf, sb.len, 0600, err) < 0)
    return kago_error_wrap (err, "IPAM state in `%s`", dir);
  return 0;
}

/* Open DIR (creating it when CREATE) and lock it; returns the directory's
   fd with *LOCKFD holding the lock, 0 with *DFD -1 when DIR does not exist
   and !CREATE.  */
static int
lock_dir (const char *dir, bool create, int *dfd, int *lockfd, kago_error_t *err)
{
  *dfd = *lockfd = -1;
  if (create && mkdir_p (dir, 0700, err) < 0)
    return kago_error_wrap (err, "IPAM state");
  int d = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0)
    {
      if (errno == ENOENT && !create)
        return 0;
      return kago_error_set (err, errno, "open IPAM directory `%s`", dir);
    }
  int l = openat (d, "ipam.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (l < 0)
    {
      int en = errno;
      close (d);
      return kago_error_set (err, en, "open `%s/ipam.lock`", dir);
    }
  while (flock (l, LOCK_EX) < 0)
    if (errno != EINTR)
      {
        int en = errno;
        close (l);
        close (d);
        return kago_error_set (err, en, "lock `%s/ipam.lock`", dir);
      }
  *dfd = d;
  *lockfd = l;
  return 0;
}

/* DIR locked (lock_dir) and its state in *ST; *DFD -1 and an empty state
   when DIR does not exist and !CREATE.  */
static int
lock_load (const char *dir, bool create, int *dfd, int *lockfd, struct state *st, kago_error_t *err)
{
  memset (st, 0, sizeof *st);
  if (lock_dir (dir, create, dfd, lockfd, err) < 0)
    return -1;
  return *dfd < 0 ? 0 : load (*dfd, dir, st, err);
}

static bool
reserved (const struct kago_ipam_pool *p, uint32_t a)
{
  return a == p->subnet.addr || a == p->gateway || a == kago_subnet_broadcast (&p->subnet);
}

static int
pick (struct state *st, const struct kago_ipam_pool *pool, uint32_t requested, uint32_t *out,
      kago_error_t *err)
{
  char a[KAGO_IPV4_STRLEN], s[KAGO_CIDR_STRLEN];
  const char *subnet = kago_subnet_format (&pool->subnet, s);
  if (requested)
    {
      kago_ipv4_format (requested, a);
      if (!kago_subnet_contains (&pool->subnet, requested))
        return kago_error_set (err, EINVAL, "invalid address %s: not in subnet %s", a, subnet);
      if (requested == pool->gateway)
        return kago_error_set (err, EADDRINUSE, "Address already in use: %s is the gateway of %s", a, subnet);
      if (reserved (pool, requested))
        return kago_error_set (err, EINVAL, "invalid address %s: reserved in subnet %s", a, subnet);
      if (lease_holder (st, requested))
        return kago_error_set (err, EADDRINUSE, "Address already in use: %s", a);
      *out = requested;
      return 0;
    }
  uint32_t first = pool->subnet.addr + 1, lastaddr = kago_subnet_broadcast (&pool->subnet) - 1;
  uint32_t c = st->last >= first && st->last <= lastaddr ? st->last : lastaddr;
  for (uint64_t tried = 0; tried <= (uint64_t) (lastaddr - first); tried++)
    {
      c = c >= lastaddr ? first : c + 1;
      if (c != pool->gateway && lease_holder (st, c) == NULL)
        {
          *out = c;
          return 0;
        }
    }
  return kago_error_set (err, ENOSPC, "no free address left in subnet %s (%zu leases)", subnet, st->n);
}

int
kago_ipam_allocate (const char *dir, const struct kago_ipam_pool *pool_in, const char *holder,
                    uint32_t requested, uint32_t *out, kago_error_t *err)
{
  struct kago_ipam_pool pool = *pool_in;
  if (kago_ipam_pool_check (&pool, err) < 0 || check_holder (holder, err) < 0)
    return -1;
  cleanup_close int dfd = -1;
  cleanup_close int lk = -1;
  struct state st;
  if (lock_load (dir, true, &dfd, &lk, &st, err) < 0)
    return -1;
  int ret = -1;
  char s1[KAGO_CIDR_STRLEN], s2[KAGO_CIDR_STRLEN], a[KAGO_IPV4_STRLEN];
  if (st.present
      && (st.pool.subnet.addr != pool.subnet.addr || st.pool.subnet.prefix != pool.subnet.prefix
          || st.pool.gateway != pool.gateway))
    {
      kago_error_set (err, EINVAL, "IPAM state in `%s` is for subnet %s, not %s", dir,
                      kago_subnet_format (&st.pool.subnet, s1), kago_subnet_format (&pool.subnet, s2));
      goto out;
    }
  for (size_t i = 0; i < st.n; i++)
    if (strcmp (st.l[i].holder, holder) == 0)
      {
        kago_error_set (err, EEXIST, "%s already has address %s in subnet %s", holder,
                        kago_ipv4_format (st.l[i].addr, a), kago_subnet_format (&pool.subnet, s1));
        goto out;
      }
  uint32_t addr = 0;
  if (pick (&st, &pool, requested, &addr, err) < 0)
    goto out;
  st.present = true;
  st.pool = pool;
  if (!requested)
    st.last = addr;
  lease_add (&st, addr, holder);
  if (save (dfd, dir, &st, err) < 0)
    goto out;
  *out = addr;
  ret = 0;
out:
  state_free (&st);
  return ret;
}

int
kago_ipam_repool (const char *dir, const struct kago_ipam_pool *pool_in, kago_error_t *err)
{
  struct kago_ipam_pool pool = *pool_in;
  if (kago_ipam_pool_check (&pool, err) < 0)
    return -1;
  cleanup_close int dfd = -1;
  cleanup_close int lk = -1;
  struct state st;
  if (lock_load (dir, true, &dfd, &lk, &st, err) < 0)
    return -1;
  int ret = 0;
  if (st.n > 0)
    {
      cleanup_strbuf strbuf sb = STRBUF_INIT;
      for (size_t i = 0; i < st.n; i++)
        strbuf_addf (&sb, "%s%.12s", i ? ", " : "", st.l[i].holder);
      ret = kago_error_set (err, 0, "%zu address%s leased (to %s)", st.n, st.n == 1 ? " is" : "es are",
                            sb.buf);
    }
  else
    {
      st.present = true;
      st.pool = pool;
      st.last = 0;
      ret = save (dfd, dir, &st, err);
    }
  state_free (&st);
  return ret;
}

/* Drop the leases DROP selects; returns how many, or -1.  */
static int
release_where (const char *dir, bool (*drop) (const char *holder, void *arg), void *arg, kago_error_t *err)
{
  cleanup_close int dfd = -1;
  cleanup_close int lk = -1;
  struct state st;
  if (lock_load (dir, false, &dfd, &lk, &st, err) < 0)
    return -1;
  if (dfd < 0)
    return 0;
  int n = 0;
  for (size_t i = 0; i < st.n;)
    if (drop (st.l[i].holder, arg))
      {
        lease_remove (&st, i);
        n++;
      }
    else
      i++;
  if (n > 0 && save (dfd, dir, &st, err) < 0)
    n = -1;
  state_free (&st);
  return n;
}

static bool
is_holder (const char *holder, void *arg)
{
  return strcmp (holder, arg) == 0;
}

int
kago_ipam_release (const char *dir, const char *holder, kago_error_t *err)
{
  if (check_holder (holder, err) < 0)
    return -1;
  return release_where (dir, is_holder, (void *) holder, err);
}

struct stale
{
  bool (*alive) (const char *, void *);
  void *arg;
};

static bool
is_stale (const char *holder, void *arg)
{
  struct stale *s = arg;
  return !s->alive (holder, s->arg);
}

int
kago_ipam_release_stale (const char *dir, bool (*alive) (const char *holder, void *arg), void *arg,
                         kago_error_t *err)
{
  struct stale s = { alive, arg };
  return release_where (dir, is_stale, &s, err);
}

int
kago_ipam_list (const char *dir, struct kago_ipam_lease **out, size_t *n, kago_error_t *err)
{
  cleanup_close int dfd = -1;
  cleanup_close int lk = -1;
  *out = NULL;
  *n = 0;
  struct state st;
  if (lock_load (dir, false, &dfd, &lk, &st, err) < 0)
    return -1;
  if (dfd < 0)
    return 0;
  *out = st.l;
  *n = st.n;
  return 0;
}

void
kago_ipam_leases_free (struct kago_ipam_lease *l, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (l[i].holder);
  free (l);
}
