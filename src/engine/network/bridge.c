/* A bridge network's kernel side (bridge.h).  */
#include <arpa/inet.h>
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
#include "common/xalloc.h"
#include "engine/network/bridge.h"
#include "engine/network/endpoint.h"
#include "engine/network/nat.h"
#include "engine/network/netlink.h"


void
kago_bridge_host_ifname (const struct kago_net *n, const char *holder, char out[IF_NAMESIZE])
{
  snprintf (out, IF_NAMESIZE, "veth%.7s%.4s", holder, n->id);
}

/* ---- the bridge in the caller's namespace ---- */

static int
bridge_up (struct kago_net *b, bool *created, kago_error_t *err)
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
  b->mtu = l.mtu ? l.mtu : KAGO_NET_DEFAULT_MTU;
  ret = 0;
out:
  kago_nl_close (nl);
  return ret;
}

/* net.ipv4.ip_forward of the caller's namespace (/proc/sys/net follows the
   opener's).  */
static int
forwarding_on (const char *name, char **notice, kago_error_t *err)
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
    *notice = xasprintf ("IPv4 forwarding was disabled: kago enabled it (net.ipv4.ip_forward=1) for the network "
                         "%s",
                         name);
  return 0;
}

int
kago_bridge_lock (const struct kago_net *n, kago_bridge_alive_fn alive, void *alive_arg, kago_error_t *err)
{
  cleanup_free char *lpath = xasprintf ("%s/network.lock", n->dir);
  cleanup_close int lfd = open (lpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lfd < 0)
    return kago_error_set (err, errno, "open %s", lpath);
  while (flock (lfd, LOCK_EX) < 0)
    if (errno != EINTR)
      return kago_error_set (err, errno, "lock %s", lpath);
  if (alive
      && (kago_ipam_release_stale (n->dir, alive, alive_arg, err) < 0
          || kago_net_endpoint_remove_stale (n->dir, alive, alive_arg, err) < 0))
    return -1;
  return steal_fd (&lfd);
}

/* The bridge, forwarding and stale leases under the network's lock.  */
static int
ensure_locked (struct kago_net *b, bool *created, char **notice, kago_bridge_alive_fn alive, void *alive_arg,
               kago_error_t *err)
{
  if (kago_ipam_pool_check (&b->pool, err) < 0)
    return -1;
  cleanup_close int lfd = kago_bridge_lock (b, alive, alive_arg, err);
  if (lfd < 0)
    return -1;
  if (bridge_up (b, created, err) < 0)
    return kago_error_wrap (err, "network %s", b->name);
  if (forwarding_on (b->name, notice, err) < 0)
    return -1;
  return 0;
}

int
kago_bridge_ensure (const char *root, struct kago_net *b, bool store_locked, char **notice,
                    kago_bridge_alive_fn alive, void *alive_arg, kago_error_t *err)
{
  if (notice)
    *notice = NULL;
  if (!kago_net_is_bridge (b))
    return kago_error_set (err, EINVAL, "network %s: not a bridge network", b->name);
  if (mkdir_p (b->dir, 0700, err) < 0)
    return -1;
  bool created = false;
  if (ensure_locked (b, &created, notice, alive, alive_arg, err) < 0)
    return -1;
  /* The rules are set up with the bridge, as dockerd sets its rules up at
     its start: loading libnftables at every container start would cost
     ~15 ms.  A bridge that exists was set up by us, rules included (both
     go with the network namespace).  */
  if (!created && !(notice && *notice))
    return 0;
  int lfd = store_locked ? -1 : kago_net_store_lock (root, err);
  if (!store_locked && lfd < 0)
    return -1;
  int r = kago_bridge_rules_apply (root, err);
  if (lfd >= 0)
    close (lfd);
  return r < 0 ? kago_error_wrap (err, "network %s", b->name) : 0;
}

int
kago_bridge_rules_apply (const char *root, kago_error_t *err)
{
  struct kago_net *v;
  size_t n;
  /* (Made here under the caller's lock: kago_net_list would take it.)  */
  if (kago_net_init_predefined (root, true, err) < 0 || kago_net_list (root, &v, &n, err) < 0)
    return -1;
  struct kago_nat_net *nn = xcalloc (n + 1, sizeof *nn);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (kago_net_is_bridge (&v[i]))
      nn[k++] = (struct kago_nat_net) { .subnet = v[i].pool.subnet, .ifname = v[i].ifname,
                                        .internal = v[i].internal };
  int r = kago_nat_apply (nn, k, err);
  free (nn);
  kago_nets_free (v, n);
  return r;
}

int
kago_bridge_probe (const char *ifname, bool *exists, kago_error_t *err)
{
  *exists = false;
  struct kago_nl *nl = kago_nl_open (err);
  if (nl == NULL)
    return -1;
  struct kago_nl_link l;
  int r = kago_nl_link_get (nl, ifname, &l, err);
  kago_nl_close (nl);
  if (r < 0)
    {
      if ((*err)->errnum != ENODEV)
        return -1;
      kago_error_release (err);
      return 0;
    }
  *exists = true;
  if (strcmp (l.kind, "bridge") != 0)
    return kago_error_set (err, 0, "%s exists and is not a bridge", ifname);
  return 0;
}

int
kago_bridge_delete (const struct kago_net *n, kago_error_t *err)
{
  struct kago_nl *nl = kago_nl_open (err);
  if (nl == NULL)
    return -1;
  int r = kago_nl_link_delete (nl, n->ifname, err);
  kago_nl_close (nl);
  if (r < 0 && (*err)->errnum == ENODEV)
    {
      kago_error_release (err);
      r = 0;
    }
  return r < 0 ? kago_error_wrap (err, "delete the bridge %s", n->ifname) : 0;
}

/* ---- endpoints ---- */

static int
lease (const struct kago_net *b, const char *holder, uint32_t requested, uint32_t *addr, kago_error_t *err)
{
  if (kago_ipam_allocate (b->dir, &b->pool, holder, requested, addr, err) == 0)
    return 0;
  if ((*err)->errnum != EEXIST)
    return -1;
  /* Left from a run that did not clean up (a killed monitor): keep it,
     unless another address was asked for.  */
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
  if (ret == 0 && requested && *addr != requested)
    {
      if (kago_ipam_release (b->dir, holder, err) < 0)
        return -1;
      return kago_ipam_allocate (b->dir, &b->pool, holder, requested, addr, err);
    }
  return ret;
}

static int
container_side (int netns_fd, const char *ifname, bool route, const struct kago_endpoint *ep, kago_error_t *err)
{
  struct kago_nl *nl = kago_nl_open_netns (netns_fd, err);
  if (nl == NULL)
    return -1;
  struct in_addr a = { .s_addr = htonl (ep->addr) }, gw = { .s_addr = htonl (ep->gateway) };
  int r = kago_nl_link_set_mac (nl, ifname, ep->mac, err);
  if (r == 0)
    r = kago_nl_addr_add_v4 (nl, ifname, a, ep->prefix, err);
  if (r == 0)
    r = kago_nl_link_set_up (nl, "lo", true, err);
  if (r == 0)
    r = kago_nl_link_set_up (nl, ifname, true, err);
  if (r == 0 && route && kago_nl_route_add_default_v4 (nl, gw, ifname, err) < 0)
    {
      /* The container's default route is another network's.  */
      if ((*err)->errnum == EEXIST)
        kago_error_release (err);
      else
        r = -1;
    }
  kago_nl_close (nl);
  return r;
}

int
kago_bridge_attach (const struct kago_net *b, const char *holder, int netns_fd, const char *ifname,
                    uint32_t requested, struct kago_endpoint *ep, kago_error_t *err)
{
  memset (ep, 0, sizeof *ep);
  if (lease (b, holder, requested, &ep->addr, err) < 0)
    return kago_error_wrap (err, "network %s", b->name);
  ep->gateway = b->pool.gateway;
  ep->prefix = b->pool.subnet.prefix;
  /* Docker's: 02:42 and the IPv4 address.  */
  ep->mac[0] = 0x02, ep->mac[1] = 0x42;
  for (int i = 0; i < 4; i++)
    ep->mac[2 + i] = (unsigned char) (ep->addr >> (24 - 8 * i));
  kago_bridge_host_ifname (b, holder, ep->host_if);

  kago_error_t e2 = NULL;
  struct kago_nl *nl = kago_nl_open (err);
  if (nl == NULL)
    goto fail_lease;
  /* A veth of a run that ended unobserved.  */
  if (kago_nl_link_delete (nl, ep->host_if, &e2) < 0)
    kago_error_release (&e2);
  if (kago_nl_veth_create (nl, ep->host_if, ifname, netns_fd, b->mtu, err) < 0)
    goto fail_nl;
  if (kago_nl_link_set_master (nl, ep->host_if, b->ifname, err) < 0
      || kago_nl_link_set_up (nl, ep->host_if, true, err) < 0
      || container_side (netns_fd, ifname, !b->internal, ep, err) < 0)
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
  return kago_error_wrap (err, "connect to network %s", b->name);
}

int
kago_bridge_veth_gone (const struct kago_net *b, const char *holder, int wait_ms, kago_error_t *err)
{
  char host_if[IF_NAMESIZE];
  kago_bridge_host_ifname (b, holder, host_if);
  struct kago_nl *nl = kago_nl_open (err);
  if (nl == NULL)
    return -1;
  int r = wait_ms > 0 ? kago_nl_link_wait_gone (nl, host_if, wait_ms, err) : 0;
  if (r == 0)
    r = kago_nl_link_delete (nl, host_if, err);
  else if (r > 0)
    r = 0;
  kago_nl_close (nl);
  if (r < 0)
    {
      if ((*err)->errnum != ENODEV)
        return -1;
      kago_error_release (err);
    }
  return 0;
}

int
kago_bridge_detach (const struct kago_net *b, const char *holder, int wait_ms, kago_error_t *err)
{
  if (wait_ms >= 0 && kago_bridge_veth_gone (b, holder, wait_ms, err) < 0)
    return -1;
  return kago_ipam_release (b->dir, holder, err) < 0 ? -1 : 0;
}
