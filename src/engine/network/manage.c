/* Creating and removing networks (manage.h).  */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "engine/network/endpoint.h"
#include "engine/network/manage.h"

#define BRIDGE_NAME_OPT "com.docker.network.bridge.name"
#define MTU_OPT "com.docker.network.driver.mtu"

static int
validate_name (const char *name, kago_error_t *err)
{
  if (name == NULL || *name == '\0')
    return kago_error_set (err, 0, "network name must not be empty");
  bool ok = isalnum ((unsigned char) name[0]);
  for (const char *p = name; *p && ok; p++)
    ok = isalnum ((unsigned char) *p) || strchr ("_.-", *p);
  if (!ok || strlen (name) > 128)
    return kago_error_set (err, 0, "invalid network name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                           name);
  return 0;
}

/* The automatic pools, Docker's default address pools after 172.17/16.  */
static int
auto_subnet (const struct kago_net *v, size_t n, struct kago_subnet *out, kago_error_t *err)
{
  for (unsigned i = 0; i < 14 + 16; i++)
    {
      struct kago_subnet s;
      if (i < 14)
        s = (struct kago_subnet) { .addr = (172u << 24) | ((18 + i) << 16), .prefix = 16 };
      else
        s = (struct kago_subnet) { .addr = (192u << 24) | (168u << 16) | ((i - 14) * 16u << 8), .prefix = 20 };
      bool overlap = false;
      for (size_t k = 0; k < n && !overlap; k++)
        overlap = kago_net_is_bridge (&v[k]) && kago_subnet_overlaps (&s, &v[k].pool.subnet);
      if (!overlap && kago_net_route_overlaps (&s, &overlap, err) < 0)
        return -1;
      if (!overlap)
        {
          *out = s;
          return 0;
        }
    }
  return kago_error_set (err, 0, "could not find an available, non-overlapping IPv4 address pool among the "
                                      "defaults to assign to the network");
}

static void
remove_dir (const struct kago_net *n)
{
  kago_error_t e = NULL;
  cleanup_free char *parent = xasprintf ("%s/..", n->dir);
  const char *base = strrchr (n->dir, '/') + 1;
  cleanup_close int pfd = open (parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (pfd >= 0 && remove_tree_at (pfd, base, &e) < 0)
    kago_error_release (&e);
}

static int
create_locked (const char *root, const struct kago_net_create_opts *o, struct kago_net *n, char **notice,
               kago_error_t *err)
{
  if (kago_net_init_predefined (root, true, err) < 0)
    return -1;
  struct kago_net *v;
  size_t nv;
  if (kago_net_list (root, &v, &nv, err) < 0)
    return -1;
  int r = 0;
  for (size_t i = 0; i < nv && r == 0; i++)
    {
      if (strcmp (v[i].name, o->name) == 0)
        r = kago_error_set (err, 0, "network with name %s already exists", o->name);
      else if (kago_net_is_bridge (&v[i]) && kago_net_is_bridge (n) && strcmp (v[i].ifname, n->ifname) == 0)
        r = kago_error_set (err, 0, "bridge name %s is used by the network %s", n->ifname, v[i].name);
      else if (o->subnet && kago_net_is_bridge (&v[i]) && kago_subnet_overlaps (&n->pool.subnet, &v[i].pool.subnet))
        r = kago_error_set (err, 0, "invalid pool request: Pool overlaps with other one on this address space");
    }
  if (r == 0 && o->subnet == NULL)
    {
      r = auto_subnet (v, nv, &n->pool.subnet, err);
      n->pool.gateway = 0;
      if (r == 0)
        r = kago_ipam_pool_check (&n->pool, err);
    }
  kago_nets_free (v, nv);
  if (r < 0)
    return -1;
  /* A bridge of that name that is there already is used (as Docker uses a
     bridge made beforehand); only one made here is deleted on failure.  */
  bool existed;
  if (kago_bridge_probe (n->ifname, &existed, err) < 0)
    return -1;
  if (kago_net_save (n, err) < 0)
    {
      remove_dir (n);
      return -1;
    }
  if (kago_bridge_ensure (root, n, true, notice, NULL, NULL, err) < 0)
    {
      kago_error_t e2 = NULL;
      if (!existed && kago_bridge_delete (n, &e2) < 0)
        kago_error_release (&e2);
      remove_dir (n);
      if (kago_bridge_rules_apply (root, &e2) < 0)
        kago_error_release (&e2);
      return -1;
    }
  return 0;
}

int
kago_network_create (const char *root, const struct kago_net_create_opts *o, struct kago_net *out, char **notice,
                     kago_error_t *err)
{
  memset (out, 0, sizeof *out);
  if (notice)
    *notice = NULL;
  if (validate_name (o->name, err) < 0)
    return -1;
  const char *driver = o->driver ? o->driver : "bridge";
  if (strcmp (driver, "host") == 0 || strcmp (driver, "null") == 0)
    return kago_error_set (err, 0, "only one instance of \"%s\" network is allowed", driver);
  if (strcmp (driver, "bridge") != 0)
    return kago_error_set (err, 0, "plugin \"%s\" not found", driver);
  struct kago_net *n = out;
  kago_net_random_id (n->id);
  n->name = xstrdup (o->name);
  snprintf (n->driver, sizeof n->driver, "bridge");
  n->internal = o->internal;
  n->mtu = KAGO_NET_DEFAULT_MTU;
  n->dir = xasprintf ("%s/networks/%s", root, n->id);
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r (&ts.tv_sec, &tm);
  char tbuf[32];
  strftime (tbuf, sizeof tbuf, "%Y-%m-%dT%H:%M:%S", &tm);
  n->created = xasprintf ("%s.%09ldZ", tbuf, ts.tv_nsec);
  for (size_t i = 0; o->labels && i < o->labels->n; i++)
    kago_net_strv_push (&n->labels, o->labels->v[i]);
  for (size_t i = 0; o->options && i < o->options->n; i++)
    kago_net_strv_push (&n->options, o->options->v[i]);
  const char *ifname = kago_net_option (n, BRIDGE_NAME_OPT);
  if (ifname && (*ifname == '\0' || strlen (ifname) >= IF_NAMESIZE || strchr (ifname, '/') || strchr (ifname, ' ')))
    {
      kago_net_clear (n);
      return kago_error_set (err, 0, "invalid bridge name \"%s\": 1 to 15 characters, no '/' or blank", ifname);
    }
  snprintf (n->ifname, sizeof n->ifname, ifname ? "%s" : "br-%.12s", ifname ? ifname : n->id);
  const char *mtu = kago_net_option (n, MTU_OPT);
  if (mtu)
    {
      char *end;
      unsigned long m = strtoul (mtu, &end, 10);
      if (*mtu == '\0' || *end || m < 68 || m > 65535)
        {
          kago_net_clear (n);
          return kago_error_set (err, 0, "invalid MTU \"%s\": 68 to 65535", mtu);
        }
      n->mtu = (unsigned) m;
    }
  int r = 0;
  if (o->gateway && o->subnet == NULL)
    r = kago_error_set (err, 0, "every ip-range or gateway must have a corresponding subnet");
  if (r == 0 && o->subnet && kago_subnet_parse (o->subnet, &n->pool.subnet, err) < 0)
    r = -1;
  if (r == 0 && o->gateway)
    {
      if (kago_ipv4_parse (o->gateway, &n->pool.gateway, err) < 0)
        r = -1;
      else if (!kago_subnet_contains (&n->pool.subnet, n->pool.gateway))
        r = kago_error_set (err, 0, "no matching subnet for gateway %s", o->gateway);
    }
  if (r == 0 && o->subnet && kago_ipam_pool_check (&n->pool, err) < 0)
    r = -1;
  if (r == 0)
    {
      int lfd = kago_net_store_lock (root, err);
      if (lfd < 0)
        r = -1;
      else
        {
          r = create_locked (root, o, n, notice, err);
          close (lfd);
        }
    }
  if (r < 0)
    kago_net_clear (n);
  return r;
}

static int
remove_locked (const char *root, struct kago_net *n, kago_bridge_alive_fn alive, void *alive_arg, kago_error_t *err)
{
  cleanup_close int lfd = kago_bridge_lock (n, alive, alive_arg, err);
  if (lfd < 0)
    return -1;
  struct kago_net_endpoint *eps;
  size_t ne;
  if (kago_net_endpoint_list (n->dir, &eps, &ne, err) < 0)
    return -1;
  kago_net_endpoints_free (eps, ne);
  if (ne)
    return kago_error_set (err, 0, "error while removing network: network %s id %s has active endpoints",
                           n->name, n->id);
  /* The record first: a failure after it leaves a bridge without
     a network, which the next rules and `network create` ignore.  */
  remove_dir (n);
  kago_error_t e2 = NULL;
  int r = kago_bridge_rules_apply (root, err);
  if (kago_bridge_delete (n, r < 0 ? &e2 : err) < 0)
    {
      if (r < 0)
        kago_error_release (&e2);
      r = -1;
    }
  return r;
}

int
kago_network_remove (const char *root, const char *ref, kago_bridge_alive_fn alive, void *alive_arg,
                     char **name_out, kago_error_t *err)
{
  if (name_out)
    *name_out = NULL;
  int lfd = kago_net_store_lock (root, err);
  if (lfd < 0)
    return -1;
  struct kago_net n = { 0 };
  /* (Made here under the lock: kago_net_find would take it.)  */
  int r = kago_net_init_predefined (root, true, err);
  if (r == 0)
    r = kago_net_find (root, ref, &n, err);
  if (r == 0 && n.predefined)
    r = kago_error_set (err, 0, "%s is a pre-defined network and cannot be removed", n.name);
  if (r == 0)
    r = remove_locked (root, &n, alive, alive_arg, err);
  if (r == 0 && name_out)
    *name_out = xstrdup (n.name);
  kago_net_clear (&n);
  close (lfd);
  return r;
}

/* ---- the default network's subnet (--bip) ---- */

int
kago_net_parse_bip (const char *bip, struct kago_ipam_pool *pool, kago_error_t *err)
{
  const char *slash = strchr (bip, '/');
  char addr[KAGO_IPV4_STRLEN];
  if (slash == NULL || (size_t) (slash - bip) >= sizeof addr)
    return kago_error_set (err, EINVAL,
                           "invalid --bip \"%s\": give the bridge's address and the prefix length, e.g. "
                           "192.168.5.1/24",
                           bip);
  memcpy (addr, bip, (size_t) (slash - bip));
  addr[slash - bip] = '\0';
  uint32_t a;
  if (kago_ipv4_parse (addr, &a, err) < 0)
    return kago_error_wrap (err, "invalid --bip \"%s\"", bip);
  char *end;
  unsigned long prefix = strtoul (slash + 1, &end, 10);
  if (!isdigit ((unsigned char) slash[1]) || *end || prefix < 1 || prefix > 30)
    return kago_error_set (err, EINVAL, "invalid --bip \"%s\": the prefix length must be 1 to 30", bip);
  pool->subnet.prefix = (unsigned) prefix;
  pool->subnet.addr = a & kago_subnet_mask (pool->subnet.prefix);
  pool->gateway = a;
  char s[KAGO_CIDR_STRLEN], h[KAGO_IPV4_STRLEN];
  if (a == pool->subnet.addr || a == kago_subnet_broadcast (&pool->subnet))
    return kago_error_set (
        err, EINVAL,
        "invalid --bip \"%s\": %s is the %s address of %s; the bridge needs a host address, "
        "e.g. %s/%lu",
        bip, addr, a == pool->subnet.addr ? "network" : "broadcast", kago_subnet_format (&pool->subnet, s),
        kago_ipv4_format (pool->subnet.addr + 1, h), prefix);
  return kago_ipam_pool_check (pool, err);
}

static bool
same_pool (const struct kago_ipam_pool *a, const struct kago_ipam_pool *b)
{
  return a->subnet.addr == b->subnet.addr && a->subnet.prefix == b->subnet.prefix && a->gateway == b->gateway;
}

/* Under the store lock: N's subnet becomes POOL when nothing is attached.  */
static int
repool_locked (const char *root, struct kago_net *n, const struct kago_ipam_pool *pool, const char *bip,
               kago_bridge_alive_fn alive, void *alive_arg, char **notice, kago_error_t *err)
{
  if (kago_net_check_default_subnet (root, &pool->subnet, err) < 0)
    return kago_error_wrap (err, "invalid --bip \"%s\"", bip);
  cleanup_close int lfd = kago_bridge_lock (n, alive, alive_arg, err);
  if (lfd < 0)
    return -1;
#define WHAT "cannot change the subnet of the network %s from %s to %s (--bip %s)"
  char s[KAGO_CIDR_STRLEN], o[KAGO_CIDR_STRLEN];
  kago_subnet_format (&pool->subnet, s);
  kago_subnet_format (&n->pool.subnet, o);
  struct kago_net_endpoint *eps;
  size_t ne;
  if (kago_net_endpoint_list (n->dir, &eps, &ne, err) < 0)
    return -1;
  if (ne)
    {
      cleanup_strbuf strbuf sb = STRBUF_INIT;
      for (size_t i = 0; i < ne; i++)
        strbuf_addf (&sb, "%s%.12s", i ? ", " : "", eps[i].ctr);
      kago_net_endpoints_free (eps, ne);
      kago_error_set (err, 0, "containers use it: %s; stop them first", sb.buf);
      return kago_error_wrap (err, WHAT, n->name, o, s, bip);
    }
  const struct kago_ipam_pool old = n->pool;
  if (kago_ipam_repool (n->dir, pool, err) < 0)
    return kago_error_wrap (err, WHAT, n->name, o, s, bip);
#undef WHAT
  n->pool = *pool;
  if (kago_net_save (n, err) < 0)
    {
      kago_error_t e2 = NULL;
      if (kago_ipam_repool (n->dir, &old, &e2) < 0)
        kago_error_release (&e2);
      return -1;
    }
  /* The bridge goes with its old address: the next container makes it
     anew with the new one.  */
  int r = kago_bridge_delete (n, err);
  kago_error_t e2 = NULL;
  if (kago_bridge_rules_apply (root, r < 0 ? &e2 : err) < 0)
    {
      if (r < 0)
        kago_error_release (&e2);
      r = -1;
    }
  if (r == 0)
    {
      char g[KAGO_IPV4_STRLEN];
      *notice = xasprintf ("the network %s (%s) now has the subnet %s, gateway %s (it had %s)", n->name,
                           n->ifname, s, kago_ipv4_format (pool->gateway, g), o);
    }
  return r;
}

int
kago_network_default_bip (const char *root, const char *bip, kago_bridge_alive_fn alive, void *alive_arg,
                          char **notice, kago_error_t *err)
{
  *notice = NULL;
  struct kago_ipam_pool pool;
  if (kago_net_parse_bip (bip, &pool, err) < 0)
    return -1;
  struct kago_net n;
  bool found;
  int r = kago_net_load (root, KAGO_NET_DEFAULT, &n, &found, err);
  bool same = r == 0 && found && same_pool (&n.pool, &pool);
  kago_net_clear (&n);
  if (r < 0 || same)
    return r; /* the usual case, the subnet it has: no lock */
  int lfd = kago_net_store_lock (root, err);
  if (lfd < 0)
    return -1;
  bool made = false;
  r = kago_net_make_default (root, &pool, &made, err);
  if (r < 0)
    kago_error_wrap (err, "invalid --bip \"%s\"", bip);
  else if (!made)
    r = kago_net_load (root, KAGO_NET_DEFAULT, &n, &found, err);
  if (r == 0 && !made && found && !same_pool (&n.pool, &pool))
    r = repool_locked (root, &n, &pool, bip, alive, alive_arg, notice, err);
  kago_net_clear (&n);
  close (lfd);
  return r;
}
