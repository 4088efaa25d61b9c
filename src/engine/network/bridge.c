/* The default network "bridge" on kago0 (bridge.h).  */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/xalloc.h"
#include "engine/network/bridge.h"
#include "engine/network/nat.h"
#include "engine/network/netlink.h"

#define DEFAULT_MTU 1500

void
kago_bridge_clear (struct kago_bridge *b)
{
  free (b->dir);
  b->dir = NULL;
}

void
kago_bridge_host_ifname (const char *holder, char out[IF_NAMESIZE])
{
  snprintf (out, IF_NAMESIZE, "veth%.11s", holder);
}

/* ---- the network file ---- */

static int
network_load (struct kago_bridge *b, bool *found, kago_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/network", b->dir), *buf = NULL;
  size_t len;
  *found = false;
  if (read_file (path, &buf, &len, err) < 0)
    {
      if ((*err)->errnum != ENOENT)
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
        snprintf (b->id, sizeof b->id, "%s", v);
      else if (strcmp (line, "bridge") == 0)
        snprintf (b->ifname, sizeof b->ifname, "%s", v);
      else if (strcmp (line, "subnet") == 0)
        {
          if (kago_subnet_parse (v, &b->pool.subnet, err) < 0)
            return kago_error_wrap (err, "%s", path);
          subnet = true;
        }
      else if (strcmp (line, "gateway") == 0)
        {
          if (kago_ipv4_parse (v, &b->pool.gateway, err) < 0)
            return kago_error_wrap (err, "%s", path);
          gw = true;
        }
      else if (strcmp (line, "mtu") == 0)
        b->mtu = (unsigned) strtoul (v, NULL, 10);
    }
  if (!magic || !subnet || !gw || b->ifname[0] == '\0')
    return kago_error_set (err, EINVAL, "%s: not a kago network file", path);
  *found = true;
  return 0;
}

static int
network_save (const struct kago_bridge *b, kago_error_t *err)
{
  char cidr[KAGO_CIDR_STRLEN], gw[KAGO_IPV4_STRLEN];
  cleanup_free char *text = xasprintf ("kago-network 1\nid %s\nbridge %s\nsubnet %s\ngateway %s\nmtu %u\n",
                                       b->id, b->ifname, kago_subnet_format (&b->pool.subnet, cidr),
                                       kago_ipv4_format (b->pool.gateway, gw), b->mtu);
  cleanup_close int dfd = open (b->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return kago_error_set (err, errno, "open %s", b->dir);
  return write_file_atomic (dfd, "network", text, strlen (text), 0644, err);
}

/* The IPv4 routes of the caller's namespace (/proc/self/net/route: the
   main table, the namespace of the reading process), but default routes.  */
static int
route_overlaps (const struct kago_subnet *s, bool *overlap, kago_error_t *err)
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
      unsigned prefix = (unsigned) __builtin_popcount (m);
      struct kago_subnet r = { .addr = ntohl (dst) & m, .prefix = prefix };
      if (kago_subnet_overlaps (s, &r))
        *overlap = true;
    }
  return 0;
}

static int
choose_subnet (struct kago_bridge *b, kago_error_t *err)
{
  for (unsigned second = 17; second <= 31; second++)
    {
      struct kago_subnet s = { .addr = (172u << 24) | (second << 16), .prefix = 16 };
      bool overlap;
      if (route_overlaps (&s, &overlap, err) < 0)
        return -1;
      if (!overlap)
        {
          b->pool.subnet = s;
          b->pool.gateway = 0;
          return kago_ipam_pool_check (&b->pool, err);
        }
    }
  return kago_error_set (err, ENOSPC,
                         "no free subnet for the network bridge: 172.17.0.0/16 to 172.31.0.0/16 all "
                         "overlap routes of this host");
}

static void
random_hex (char *out, size_t nhex)
{
  unsigned char r[32];
  size_t n = nhex / 2 > sizeof r ? sizeof r : nhex / 2;
  if (getrandom (r, n, 0) != (ssize_t) n)
    for (size_t i = 0; i < n; i++)
      r[i] = (unsigned char) rand ();
  for (size_t i = 0; i < n; i++)
    sprintf (out + 2 * i, "%02x", r[i]);
  out[2 * n] = '\0';
}

/* ---- the bridge in the caller's namespace ---- */

static int
bridge_up (struct kago_bridge *b, bool *created, kago_error_t *err)
{
  *created = false;
  struct kago_nl *nl = kago_nl_open (err);
  if (nl == NULL)
    return -1;
  int ret = -1;
  struct kago_nl_link l;
  if (kago_nl_link_get (nl, b->ifname, &l, err) < 0)
    {
      if ((*err)->errnum != ENODEV)
        goto out;
      kago_error_release (err);
      *created = true;
      if (kago_nl_bridge_create (nl, b->ifname, b->mtu, err) < 0)
        {
          if ((*err)->errnum != EEXIST) /* another engine root, just now */
            goto out;
          kago_error_release (err);
        }
    }
  else if (strcmp (l.kind, "bridge") != 0)
    {
      ret = kago_error_set (err, EEXIST, "%s exists and is not a bridge", b->ifname);
      goto out;
    }
  struct in_addr gw = { .s_addr = htonl (b->pool.gateway) };
  if (kago_nl_addr_add_v4 (nl, b->ifname, gw, b->pool.subnet.prefix, err) < 0)
    {
      if ((*err)->errnum != EEXIST)
        goto out;
      kago_error_release (err);
    }
  if (kago_nl_link_set_up (nl, b->ifname, true, err) < 0)
    goto out;
  if (kago_nl_link_get (nl, b->ifname, &l, err) < 0)
    goto out;
  b->mtu = l.mtu ? l.mtu : DEFAULT_MTU;
  ret = 0;
out:
  kago_nl_close (nl);
  return ret;
}

/* net.ipv4.ip_forward of the caller's namespace (/proc/sys/net follows the
   opener's).  */
static int
forwarding_on (char **notice, kago_error_t *err)
{
  const char *path = "/proc/sys/net/ipv4/ip_forward";
  cleanup_free char *v = NULL;
  size_t len;
  if (read_file (path, &v, &len, err) < 0)
    return -1;
  if (v[0] == '1')
    return 0;
  if (write_file (path, "1\n", 2, err) < 0)
    return kago_error_wrap (err, "enable IPv4 forwarding");
  if (notice)
    *notice
        = xstrdup ("IPv4 forwarding was disabled: kago enabled it (net.ipv4.ip_forward=1) for the network "
                   "bridge");
  return 0;
}

int
kago_bridge_ensure (const char *root, struct kago_bridge *b, char **notice, kago_bridge_alive_fn alive,
                    void *alive_arg, kago_error_t *err)
{
  memset (b, 0, sizeof *b);
  if (notice)
    *notice = NULL;
  b->dir = xasprintf ("%s/networks/" KAGO_BRIDGE_NETWORK, root);
  if (mkdir_p (b->dir, 0700, err) < 0)
    return -1;
  cleanup_free char *lpath = xasprintf ("%s/network.lock", b->dir);
  cleanup_close int lfd = open (lpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lfd < 0)
    return kago_error_set (err, errno, "open %s", lpath);
  while (flock (lfd, LOCK_EX) < 0)
    if (errno != EINTR)
      return kago_error_set (err, errno, "lock %s", lpath);
  bool found;
  if (network_load (b, &found, err) < 0)
    return -1;
  if (!found)
    {
      random_hex (b->id, 64);
      snprintf (b->ifname, sizeof b->ifname, "%s", KAGO_BRIDGE_IFNAME);
      b->mtu = DEFAULT_MTU;
      if (choose_subnet (b, err) < 0 || network_save (b, err) < 0)
        return -1;
    }
  if (b->mtu == 0)
    b->mtu = DEFAULT_MTU;
  if (kago_ipam_pool_check (&b->pool, err) < 0)
    return -1;
  if (alive && kago_ipam_release_stale (b->dir, alive, alive_arg, err) < 0)
    return -1;
  bool created;
  if (bridge_up (b, &created, err) < 0)
    return kago_error_wrap (err, "network %s", KAGO_BRIDGE_NETWORK);
  if (forwarding_on (notice, err) < 0)
    return -1;
  /* The NAT table is set up with the bridge, as dockerd sets its rules up
     at its start: loading libnftables and reading the ruleset at every
     container start would cost ~15 ms.  A bridge that exists was set up
     by us, table included (both go with the network namespace).  */
  if ((created || (notice && *notice)) && kago_nat_apply (&b->pool.subnet, b->ifname, err) < 0)
    return kago_error_wrap (err, "network %s", KAGO_BRIDGE_NETWORK);
  return 0;
}

/* ---- endpoints ---- */

static int
lease (const struct kago_bridge *b, const char *holder, uint32_t *addr, kago_error_t *err)
{
  if (kago_ipam_allocate (b->dir, &b->pool, holder, 0, addr, err) == 0)
    return 0;
  if ((*err)->errnum != EEXIST)
    return -1;
  /* Left from a run that did not clean up (a killed monitor): keep it.  */
  kago_error_release (err);
  struct kago_ipam_lease *l;
  size_t n;
  if (kago_ipam_list (b->dir, &l, &n, err) < 0)
    return -1;
  int ret = kago_error_set (err, ENOENT, "no lease for %s", holder);
  for (size_t i = 0; i < n; i++)
    if (strcmp (l[i].holder, holder) == 0)
      {
        *addr = l[i].addr;
        kago_error_release (err);
        ret = 0;
      }
  kago_ipam_leases_free (l, n);
  return ret;
}

static int
container_side (int netns_fd, const struct kago_endpoint *ep, kago_error_t *err)
{
  struct kago_nl *nl = kago_nl_open_netns (netns_fd, err);
  if (nl == NULL)
    return -1;
  struct in_addr a = { .s_addr = htonl (ep->addr) }, gw = { .s_addr = htonl (ep->gateway) };
  int r = kago_nl_link_set_mac (nl, "eth0", ep->mac, err);
  if (r == 0)
    r = kago_nl_addr_add_v4 (nl, "eth0", a, ep->prefix, err);
  if (r == 0)
    r = kago_nl_link_set_up (nl, "lo", true, err);
  if (r == 0)
    r = kago_nl_link_set_up (nl, "eth0", true, err);
  if (r == 0)
    r = kago_nl_route_add_default_v4 (nl, gw, "eth0", err);
  kago_nl_close (nl);
  return r;
}

int
kago_bridge_attach (const struct kago_bridge *b, const char *holder, int netns_fd, struct kago_endpoint *ep,
                    kago_error_t *err)
{
  memset (ep, 0, sizeof *ep);
  if (lease (b, holder, &ep->addr, err) < 0)
    return kago_error_wrap (err, "network %s", KAGO_BRIDGE_NETWORK);
  ep->gateway = b->pool.gateway;
  ep->prefix = b->pool.subnet.prefix;
  /* Docker's: 02:42 and the IPv4 address.  */
  ep->mac[0] = 0x02, ep->mac[1] = 0x42;
  for (int i = 0; i < 4; i++)
    ep->mac[2 + i] = (unsigned char) (ep->addr >> (24 - 8 * i));
  kago_bridge_host_ifname (holder, ep->host_if);

  struct kago_nl *nl = kago_nl_open (err);
  if (nl == NULL)
    goto fail_lease;
  kago_error_t e2 = NULL;
  /* A veth of a run that ended unobserved.  */
  if (kago_nl_link_delete (nl, ep->host_if, &e2) < 0)
    kago_error_release (&e2);
  if (kago_nl_veth_create (nl, ep->host_if, "eth0", netns_fd, b->mtu, err) < 0)
    goto fail_nl;
  if (kago_nl_link_set_master (nl, ep->host_if, b->ifname, err) < 0
      || kago_nl_link_set_up (nl, ep->host_if, true, err) < 0 || container_side (netns_fd, ep, err) < 0)
    {
      if (kago_nl_link_delete (nl, ep->host_if, &e2) < 0)
        kago_error_release (&e2);
      goto fail_nl;
    }
  kago_nl_close (nl);
  return 0;

fail_nl:
  kago_nl_close (nl);
fail_lease:
  if (kago_ipam_release (b->dir, holder, &e2) < 0)
    kago_error_release (&e2);
  return kago_error_wrap (err, "connect to network %s", KAGO_BRIDGE_NETWORK);
}

int
kago_bridge_detach (const char *root, const char *holder, kago_error_t *err)
{
  char host_if[IF_NAMESIZE];
  kago_bridge_host_ifname (holder, host_if);
  struct kago_nl *nl = kago_nl_open (err);
  if (nl == NULL)
    return -1;
  int r = kago_nl_link_delete (nl, host_if, err);
  kago_nl_close (nl);
  if (r < 0)
    {
      if ((*err)->errnum != ENODEV)
        return -1;
      kago_error_release (err);
    }
  cleanup_free char *dir = xasprintf ("%s/networks/" KAGO_BRIDGE_NETWORK, root);
  return kago_ipam_release (dir, holder, err) < 0 ? -1 : 0;
}
