/* The network store's records (store.h).  */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "engine/network/store.h"

void
kago_net_strv_push (struct kago_strv *s, const char *str)
{
  s->v = xrealloc (s->v, (s->n + 2) * sizeof *s->v);
  s->v[s->n++] = xstrdup (str);
  s->v[s->n] = NULL;
}

void
kago_net_strv_clear (struct kago_strv *s)
{
  for (size_t i = 0; i < s->n; i++)
    free (s->v[i]);
  free (s->v);
  s->v = NULL;
  s->n = 0;
}

const char *
kago_net_option (const struct kago_net *n, const char *key)
{
  size_t kl = strlen (key);
  for (size_t i = 0; i < n->options.n; i++)
    if (strncmp (n->options.v[i], key, kl) == 0 && n->options.v[i][kl] == '=')
      return n->options.v[i] + kl + 1;
  return NULL;
}

void
kago_net_clear (struct kago_net *n)
{
  free (n->name);
  free (n->created);
  free (n->dir);
  kago_net_strv_clear (&n->labels);
  kago_net_strv_clear (&n->options);
  memset (n, 0, sizeof *n);
}

void
kago_nets_free (struct kago_net *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    kago_net_clear (&v[i]);
  free (v);
}

bool
kago_net_is_bridge (const struct kago_net *n)
{
  return strcmp (n->driver, "bridge") == 0;
}

void
kago_net_random_id (char out[KAGO_NET_ID_LEN + 1])
{
  unsigned char r[KAGO_NET_ID_LEN / 2];
  if (getrandom (r, sizeof r, 0) != (ssize_t) sizeof r)
    for (size_t i = 0; i < sizeof r; i++)
      r[i] = (unsigned char) rand ();
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < sizeof r; i++)
    {
      out[2 * i] = hex[r[i] >> 4];
      out[2 * i + 1] = hex[r[i] & 15];
    }
  out[KAGO_NET_ID_LEN] = '\0';
}

static char *
now_rfc3339 (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r (&ts.tv_sec, &tm);
  char buf[32];
  strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return xasprintf ("%s.%09ldZ", buf, ts.tv_nsec);
}

int
kago_net_store_lock (const char *root, kago_error_t *err)
{
  cleanup_free char *dir = xasprintf ("%s/networks", root);
  if (mkdir_p (dir, 0700, err) < 0)
    return -1;
  cleanup_free char *path = xasprintf ("%s/store.lock", dir);
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return kago_error_set (err, errno, "open %s", path);
  while (flock (fd, LOCK_EX) < 0)
    if (errno != EINTR)
      {
        int e = errno;
        close (fd);
        return kago_error_set (err, e, "lock %s", path);
      }
  return fd;
}

int
kago_net_load (const char *root, const char *dirname, struct kago_net *n, bool *found, kago_error_t *err)
{
  memset (n, 0, sizeof *n);
  *found = false;
  n->dir = xasprintf ("%s/networks/%s", root, dirname);
  cleanup_free char *path = xasprintf ("%s/network", n->dir), *buf = NULL;
  size_t len;
  if (read_file (path, &buf, &len, err) < 0)
    {
      if ((*err)->errnum != ENOENT && (*err)->errnum != ENOTDIR)
        return -1;
      kago_error_release (err);
      return 0;
    }
  bool magic = false, subnet = false, gw = false;
  char *save = NULL;
  for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *v = strchr (line, ' ');
      if (v == NULL)
        continue;
      *v++ = '\0';
      if (strcmp (line, "kago-network") == 0)
        magic = strcmp (v, "1") == 0;
      else if (strcmp (line, "id") == 0)
        snprintf (n->id, sizeof n->id, "%s", v);
      else if (strcmp (line, "name") == 0)
        {
          free (n->name);
          n->name = xstrdup (v);
        }
      else if (strcmp (line, "driver") == 0)
        snprintf (n->driver, sizeof n->driver, "%s", v);
      else if (strcmp (line, "bridge") == 0)
        snprintf (n->ifname, sizeof n->ifname, "%s", v);
      else if (strcmp (line, "subnet") == 0)
        {
          if (kago_subnet_parse (v, &n->pool.subnet, err) < 0)
            return kago_error_wrap (err, "%s", path);
          subnet = true;
        }
      else if (strcmp (line, "gateway") == 0)
        {
          if (kago_ipv4_parse (v, &n->pool.gateway, err) < 0)
            return kago_error_wrap (err, "%s", path);
          gw = true;
        }
      else if (strcmp (line, "mtu") == 0)
        n->mtu = (unsigned) strtoul (v, NULL, 10);
      else if (strcmp (line, "internal") == 0)
        n->internal = strcmp (v, "1") == 0;
      else if (strcmp (line, "created") == 0)
        {
          free (n->created);
          n->created = xstrdup (v);
        }
      else if (strcmp (line, "label") == 0)
        kago_net_strv_push (&n->labels, v);
      else if (strcmp (line, "option") == 0)
        kago_net_strv_push (&n->options, v);
    }
  if (n->driver[0] == '\0')
    snprintf (n->driver, sizeof n->driver, "bridge");
  if (n->name == NULL)
    n->name = xstrdup (dirname);
  if (n->created == NULL)
    n->created = xstrdup ("0001-01-01T00:00:00Z");
  n->predefined = strcmp (dirname, KAGO_NET_DEFAULT) == 0 || strcmp (dirname, "host") == 0
                  || strcmp (dirname, "none") == 0;
  if (!magic || strlen (n->id) != KAGO_NET_ID_LEN
      || (kago_net_is_bridge (n) && (!subnet || !gw || n->ifname[0] == '\0')))
    return kago_error_set (err, EINVAL, "%s: not a kago network file", path);
  if (n->mtu == 0)
    n->mtu = KAGO_NET_DEFAULT_MTU;
  *found = true;
  return 0;
}

int
kago_net_save (const struct kago_net *n, kago_error_t *err)
{
  cleanup_strbuf strbuf sb = STRBUF_INIT;
  strbuf_addf (&sb, "kago-network 1\nid %s\nname %s\ndriver %s\n", n->id, n->name, n->driver);
  if (kago_net_is_bridge (n))
    {
      char cidr[KAGO_CIDR_STRLEN], gw[KAGO_IPV4_STRLEN];
      strbuf_addf (&sb, "bridge %s\nsubnet %s\ngateway %s\nmtu %u\n", n->ifname,
                   kago_subnet_format (&n->pool.subnet, cidr), kago_ipv4_format (n->pool.gateway, gw),
                   n->mtu ? n->mtu : KAGO_NET_DEFAULT_MTU);
    }
  if (n->internal)
    strbuf_adds (&sb, "internal 1\n");
  if (n->created)
    strbuf_addf (&sb, "created %s\n", n->created);
  for (size_t i = 0; i < n->labels.n; i++)
    strbuf_addf (&sb, "label %s\n", n->labels.v[i]);
  for (size_t i = 0; i < n->options.n; i++)
    strbuf_addf (&sb, "option %s\n", n->options.v[i]);
  if (mkdir_p (n->dir, 0700, err) < 0)
    return -1;
  cleanup_close int dfd = open (n->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return kago_error_set (err, errno, "open %s", n->dir);
  return write_file_atomic (dfd, "network", sb.buf, sb.len, 0644, err);
}

int
kago_net_route_overlaps (const struct kago_subnet *s, bool *overlap, kago_error_t *err)
{
  *overlap = false;
  cleanup_fclose FILE *f = fopen ("/proc/self/net/route", "re");
  if (f == NULL)
    return kago_error_set (err, errno, "open /proc/self/net/route");
  char line[512];
  if (fgets (line, sizeof line, f) == NULL) /* the header */
    return 0;
  while (fgets (line, sizeof line, f))
    {
      char ifname[IF_NAMESIZE + 1];
      unsigned dst, gw, flags, refcnt, use, metric, mask;
      if (sscanf (line, "%16s %x %x %x %u %u %u %x", ifname, &dst, &gw, &flags, &refcnt, &use, &metric, &mask)
          != 8)
        continue;
      uint32_t m = ntohl (mask);
      if (m == 0)
        continue;
      struct kago_subnet r = { .addr = ntohl (dst) & m, .prefix = (unsigned) __builtin_popcount (m) };
      if (kago_subnet_overlaps (s, &r))
        *overlap = true;
    }
  return 0;
}

/* The records in R/networks, as they are (no predefined ones made).  */
static int
list_raw (const char *root, struct kago_net **out, size_t *nout, kago_error_t *err)
{
  *out = NULL;
  *nout = 0;
  cleanup_free char *dir = xasprintf ("%s/networks", root);
  cleanup_dir DIR *d = opendir (dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : kago_error_set (err, errno, "open %s", dir);
  struct kago_net *v = NULL;
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir (d)))
    {
      if (de->d_name[0] == '.' || strchr (de->d_name, '.'))
        continue;
      struct kago_net net;
      bool found;
      if (kago_net_load (root, de->d_name, &net, &found, err) < 0)
        {
          kago_net_clear (&net);
          kago_nets_free (v, n);
          return -1;
        }
      if (!found)
        {
          kago_net_clear (&net);
          continue;
        }
      v = xrealloc (v, (n + 1) * sizeof *v);
      v[n++] = net;
    }
  *out = v;
  *nout = n;
  return 0;
}

static int
by_name (const void *a, const void *b)
{
  const struct kago_net *x = a, *y = b;
  return strcmp (x->name, y->name);
}

/* An error when S overlaps a bridge network of V other than the default
   one.  */
static int
overlap_other (const struct kago_net *v, size_t n, const struct kago_subnet *s, kago_error_t *err)
{
  char a[KAGO_CIDR_STRLEN], b[KAGO_CIDR_STRLEN];
  for (size_t i = 0; i < n; i++)
    if (kago_net_is_bridge (&v[i]) && strcmp (v[i].name, KAGO_NET_DEFAULT) != 0
        && kago_subnet_overlaps (s, &v[i].pool.subnet))
      return kago_error_set (err, EEXIST, "%s overlaps with the network %s (%s)", kago_subnet_format (s, a),
                             v[i].name, kago_subnet_format (&v[i].pool.subnet, b));
  return 0;
}

int
kago_net_check_default_subnet (const char *root, const struct kago_subnet *s, kago_error_t *err)
{
  struct kago_net *v;
  size_t n;
  if (list_raw (root, &v, &n, err) < 0)
    return -1;
  int r = overlap_other (v, n, s, err);
  kago_nets_free (v, n);
  return r;
}

/* The subnet of a new default network: POOL when given (an error when it
   overlaps another network), else the first of 172.17.0.0/16 ...
   172.31.0.0/16 that overlaps no route and no other network.  */
static int
default_pool (const char *root, const struct kago_ipam_pool *pool, struct kago_ipam_pool *out,
              kago_error_t *err)
{
  struct kago_net *others;
  size_t no;
  if (list_raw (root, &others, &no, err) < 0)
    return -1;
  int r = 0;
  bool chosen = false;
  if (pool)
    {
      *out = *pool;
      r = kago_ipam_pool_check (out, err);
      if (r == 0)
        r = overlap_other (others, no, &out->subnet, err);
      chosen = true;
    }
  for (unsigned second = 17; r == 0 && second <= 31 && !chosen; second++)
    {
      struct kago_subnet s = { .addr = (172u << 24) | (second << 16), .prefix = 16 };
      bool overlap = false;
      for (size_t i = 0; i < no; i++)
        if (kago_net_is_bridge (&others[i]) && kago_subnet_overlaps (&s, &others[i].pool.subnet))
          overlap = true;
      if (!overlap)
        r = kago_net_route_overlaps (&s, &overlap, err);
      if (r == 0 && !overlap)
        {
          out->subnet = s;
          out->gateway = 0;
          r = kago_ipam_pool_check (out, err);
          chosen = true;
        }
    }
  kago_nets_free (others, no);
  if (r == 0 && !chosen)
    r = kago_error_set (err, 0,
                        "no free subnet for the network bridge: 172.17.0.0/16 to 172.31.0.0/16 all "
                        "overlap routes of this host or other networks (choose one with --bip)");
  return r;
}

static int
make_predefined (const char *root, const char *name, const char *driver, const struct kago_ipam_pool *pool,
                 bool *made, kago_error_t *err)
{
  struct kago_net n;
  bool found;
  int r = kago_net_load (root, name, &n, &found, err);
  if (r == 0 && !found)
    {
      kago_net_random_id (n.id);
      n.name = xstrdup (name);
      snprintf (n.driver, sizeof n.driver, "%s", driver);
      n.created = now_rfc3339 ();
      if (kago_net_is_bridge (&n))
        {
          snprintf (n.ifname, sizeof n.ifname, "%s", KAGO_NET_DEFAULT_IFNAME);
          n.mtu = KAGO_NET_DEFAULT_MTU;
          r = default_pool (root, pool, &n.pool, err);
        }
      if (r == 0)
        r = kago_net_save (&n, err);
      if (r == 0 && made)
        *made = true;
    }
  kago_net_clear (&n);
  return r;
}

int
kago_net_make_default (const char *root, const struct kago_ipam_pool *pool, bool *made, kago_error_t *err)
{
  *made = false;
  if (make_predefined (root, KAGO_NET_DEFAULT, "bridge", pool, made, err) < 0
      || make_predefined (root, "host", "host", NULL, NULL, err) < 0
      || make_predefined (root, "none", "null", NULL, NULL, err) < 0)
    return -1;
  return 0;
}

int
kago_net_init_predefined (const char *root, bool locked, kago_error_t *err)
{
  /* Cheap when they exist: no lock.  */
  if (!locked)
    {
      static const char *const names[] = { KAGO_NET_DEFAULT, "host", "none" };
      bool all = true;
      for (size_t i = 0; i < 3 && all; i++)
        {
          cleanup_free char *p = xasprintf ("%s/networks/%s/network", root, names[i]);
          all = access (p, F_OK) == 0;
        }
      if (all)
        return 0;
    }
  cleanup_close int lfd = locked ? -1 : kago_net_store_lock (root, err);
  if (!locked && lfd < 0)
    return -1;
  bool made;
  return kago_net_make_default (root, NULL, &made, err);
}

int
kago_net_list (const char *root, struct kago_net **out, size_t *n, kago_error_t *err)
{
  if (kago_net_init_predefined (root, false, err) < 0 || list_raw (root, out, n, err) < 0)
    return -1;
  if (*n > 1)
    qsort (*out, *n, sizeof **out, by_name);
  return 0;
}

int
kago_net_find (const char *root, const char *ref, struct kago_net *out, kago_error_t *err)
{
  memset (out, 0, sizeof *out);
  if (*ref == '\0')
    return kago_error_set (err, 0, "network %s not found", ref);
  struct kago_net *v;
  size_t n;
  if (kago_net_list (root, &v, &n, err) < 0)
    return -1;
  ssize_t hit = -1;
  size_t prefix_hits = 0;
  for (size_t i = 0; i < n && hit < 0; i++)
    if (strcmp (v[i].id, ref) == 0)
      hit = (ssize_t) i;
  for (size_t i = 0; i < n && hit < 0; i++)
    if (strcmp (v[i].name, ref) == 0)
      hit = (ssize_t) i;
  if (hit < 0)
    for (size_t i = 0; i < n; i++)
      if (strncmp (v[i].id, ref, strlen (ref)) == 0)
        {
          prefix_hits++;
          hit = (ssize_t) i;
        }
  int r = 0;
  if (hit < 0)
    r = kago_error_set (err, 0, "network %s not found", ref);
  else if (prefix_hits > 1)
    r = kago_error_set (err, 0, "network %s is ambiguous (%zu matches found based on ID prefix)", ref,
                        prefix_hits);
  else
    {
      *out = v[hit];
      memset (&v[hit], 0, sizeof v[hit]);
    }
  kago_nets_free (v, n);
  return r;
}

bool
kago_net_err_not_found (const kago_error_t err)
{
  size_t n = err && err->msg ? strlen (err->msg) : 0;
  return n > 18 && strncmp (err->msg, "network ", 8) == 0 && strcmp (err->msg + n - 10, " not found") == 0;
}

bool
kago_net_err_in_use (const kago_error_t err)
{
  return err && err->msg && strstr (err->msg, " has active endpoints") != NULL;
}
