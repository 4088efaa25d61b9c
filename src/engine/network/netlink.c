/* rtnetlink requests on libmnl (netlink.h).  */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "engine/network/netlink.h"

/* Dump replies come in datagrams of up to 32 KiB.  */
#define NL_BUFSZ 32768

struct kago_nl
{
  struct mnl_socket *sock;
  unsigned portid;
  unsigned seq;
  char buf[NL_BUFSZ];
};

struct kago_nl *
kago_nl_open (kago_error_t *err)
{
  struct mnl_socket *s = mnl_socket_open2 (NETLINK_ROUTE, SOCK_CLOEXEC);
  if (s == NULL)
    return kago_error_set (err, errno, "open a netlink socket"), NULL;
  if (mnl_socket_bind (s, 0, MNL_SOCKET_AUTOPID) < 0)
    {
      int en = errno;
      mnl_socket_close (s);
      return kago_error_set (err, en, "bind a netlink socket"), NULL;
    }
  /* The kernel's own words on a refused request, and acks without the
     request echoed back.  Both are optional (older kernels).  */
  int one = 1;
  mnl_socket_setsockopt (s, NETLINK_EXT_ACK, &one, sizeof one);
  mnl_socket_setsockopt (s, NETLINK_CAP_ACK, &one, sizeof one);
  struct kago_nl *nl = xzalloc (sizeof *nl);
  nl->sock = s;
  nl->portid = mnl_socket_get_portid (s);
  nl->seq = (unsigned) time (NULL);
  return nl;
}

void
kago_nl_close (struct kago_nl *nl)
{
  if (nl == NULL)
    return;
  mnl_socket_close (nl->sock);
  free (nl);
}

struct netns_job
{
  int fd;
  int (*fn) (void *, kago_error_t *);
  void *arg;
  int ret;
  kago_error_t err;
};

static void *
netns_thread (void *p)
{
  struct netns_job *j = p;
  if (setns (j->fd, CLONE_NEWNET) < 0)
    j->ret = kago_error_set (&j->err, errno, "join the network namespace (fd %d)", j->fd);
  else
    j->ret = j->fn (j->arg, &j->err);
  return NULL;
}

int
kago_netns_run (int netns_fd, int (*fn) (void *arg, kago_error_t *err), void *arg, kago_error_t *err)
{
  struct netns_job j = { .fd = netns_fd, .fn = fn, .arg = arg, .ret = -1, .err = NULL };
  pthread_t t;
  int r = pthread_create (&t, NULL, netns_thread, &j);
  if (r != 0)
    return kago_error_set (err, r, "start a thread for a network namespace");
  pthread_join (t, NULL);
  if (j.err != NULL)
    {
      *err = j.err;
      return j.ret < 0 ? j.ret : -1;
    }
  return j.ret;
}

static int
open_in_thread (void *arg, kago_error_t *err)
{
  struct kago_nl **out = arg;
  *out = kago_nl_open (err);
  return *out ? 0 : -1;
}

struct kago_nl *
kago_nl_open_netns (int netns_fd, kago_error_t *err)
{
  struct kago_nl *nl = NULL;
  if (kago_netns_run (netns_fd, open_in_thread, &nl, err) < 0)
    return NULL;
  return nl;
}

/* Requests.  */

struct reply
{
  int (*cb) (const struct nlmsghdr *, void *);
  void *data;
  char *ext_msg; /* the kernel's extended-ack message */
};

static int
on_error (const struct nlmsghdr *nlh, void *data)
{
  struct reply *r = data;
  const struct nlmsgerr *e = mnl_nlmsg_get_payload (nlh);
  if (nlh->nlmsg_len < mnl_nlmsg_size (sizeof *e))
    {
      errno = EBADMSG;
      return MNL_CB_ERROR;
    }
  if (e->error == 0)
    return MNL_CB_STOP;
  if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && r->ext_msg == NULL)
    {
      /* The TLVs follow the echoed request: its header alone if capped.  */
      size_t off = sizeof *e;
      if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
        off += e->msg.nlmsg_len - sizeof (struct nlmsghdr);
      size_t plen = mnl_nlmsg_get_payload_len (nlh);
      const struct nlattr *attr; /* the name mnl_attr_for_each_payload uses */
      if (off < plen)
        mnl_attr_for_each_payload ((const void *) ((const char *) e + off), plen - off)
        {
          if (mnl_attr_get_type (attr) == NLMSGERR_ATTR_MSG
              && mnl_attr_validate (attr, MNL_TYPE_NUL_STRING) == 0)
            r->ext_msg = xstrdup (mnl_attr_get_str (attr));
        }
    }
  errno = -e->error;
  return MNL_CB_ERROR;
}

static int
on_stop (const struct nlmsghdr *nlh, void *data)
{
  (void) nlh;
  (void) data;
  return MNL_CB_STOP;
}

static int
on_noop (const struct nlmsghdr *nlh, void *data)
{
  (void) nlh;
  (void) data;
  return MNL_CB_OK;
}

static int
on_overrun (const struct nlmsghdr *nlh, void *data)
{
  (void) nlh;
  (void) data;
  errno = ENOSPC;
  return MNL_CB_ERROR;
}

static int
on_data (const struct nlmsghdr *nlh, void *data)
{
  struct reply *r = data;
  return r->cb ? r->cb (nlh, r->data) : MNL_CB_OK;
}

static struct nlmsghdr *
new_msg (struct kago_nl *nl, uint16_t type, uint16_t flags)
{
  struct nlmsghdr *nlh = mnl_nlmsg_put_header (nl->buf);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  nlh->nlmsg_seq = ++nl->seq;
  return nlh;
}

/* Send NLH and read replies until the ack (or the end of a dump); CB sees
   each data message.  On failure *ERR says WHAT failed.  */
static int
transact (struct kago_nl *nl, struct nlmsghdr *nlh, int (*cb) (const struct nlmsghdr *, void *), void *data,
          kago_error_t *err, const char *what)
{
  /* Not const: mnl_cb_run2 takes a plain pointer.  */
  static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
    [NLMSG_NOOP] = on_noop,
    [NLMSG_ERROR] = on_error,
    [NLMSG_DONE] = on_stop,
    [NLMSG_OVERRUN] = on_overrun,
  };
  struct reply r = { .cb = cb, .data = data };
  unsigned seq = nlh->nlmsg_seq;
  int ret;
  if (mnl_socket_sendto (nl->sock, nlh, nlh->nlmsg_len) < 0)
    return kago_error_set (err, errno, "%s: netlink send", what);
  do
    {
      ssize_t n = mnl_socket_recvfrom (nl->sock, nl->buf, sizeof nl->buf);
      if (n < 0)
        {
          if (errno == EINTR)
            {
              ret = MNL_CB_OK;
              continue;
            }
          return kago_error_set (err, errno, "%s: netlink receive", what);
        }
      ret = mnl_cb_run2 (nl->buf, (size_t) n, seq, nl->portid, on_data, &r, ctl, NLMSG_MIN_TYPE);
    }
  while (ret > MNL_CB_STOP);
  if (ret < 0)
    {
      int en = errno;
      cleanup_free char *m = r.ext_msg;
      if (m)
        return kago_error_set (err, en, "%s: %s", what, m);
      return kago_error_set (err, en, "%s", what);
    }
  return 0;
}

static struct ifinfomsg *
put_ifinfo (struct nlmsghdr *nlh, int index)
{
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header (nlh, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  return ifi;
}

static int
check_name (const char *name, kago_error_t *err)
{
  size_t len = name ? strlen (name) : 0;
  if (len == 0 || len >= IF_NAMESIZE || strchr (name, '/') || strpbrk (name, " \t\n:"))
    return kago_error_set (err, EINVAL, "invalid interface name `%s`", name ? name : "");
  return 0;
}

int
kago_nl_bridge_create (struct kago_nl *nl, const char *name, unsigned mtu, kago_error_t *err)
{
  if (check_name (name, err) < 0)
    return -1;
  struct nlmsghdr *nlh = new_msg (nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  put_ifinfo (nlh, 0);
  mnl_attr_put_strz (nlh, IFLA_IFNAME, name);
  struct nlattr *info = mnl_attr_nest_start (nlh, IFLA_LINKINFO);
  mnl_attr_put_strz (nlh, IFLA_INFO_KIND, "bridge");
  mnl_attr_nest_end (nlh, info);
  char what[64];
  snprintf (what, sizeof what, "create bridge %s", name);
  if (transact (nl, nlh, NULL, NULL, err, what) < 0)
    return -1;
  /* An MTU given at creation (IFLA_MTU) does not stay: a bridge follows its
     ports (the smallest; 1500 with none) unless its MTU was changed after
     creation, and a change to the same value is none.  So: created with the
     default, then changed.  */
  if (mtu && kago_nl_link_set_mtu (nl, name, mtu, err) < 0)
    {
      kago_error_t e2 = NULL;
      kago_nl_link_delete (nl, name, &e2);
      kago_error_release (&e2);
      return -1;
    }
  return 0;
}

int
kago_nl_veth_create (struct kago_nl *nl, const char *name, const char *peer_name, int peer_netns_fd,
                     unsigned mtu, kago_error_t *err)
{
  if (check_name (name, err) < 0 || check_name (peer_name, err) < 0)
    return -1;
  struct nlmsghdr *nlh = new_msg (nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  put_ifinfo (nlh, 0);
  mnl_attr_put_strz (nlh, IFLA_IFNAME, name);
  if (mtu)
    mnl_attr_put_u32 (nlh, IFLA_MTU, mtu);
  struct nlattr *info = mnl_attr_nest_start (nlh, IFLA_LINKINFO);
  mnl_attr_put_strz (nlh, IFLA_INFO_KIND, "veth");
  struct nlattr *data = mnl_attr_nest_start (nlh, IFLA_INFO_DATA);
  struct nlattr *peer = mnl_attr_nest_start (nlh, VETH_INFO_PEER);
  /* The peer's attributes start with its own ifinfomsg.  */
  put_ifinfo (nlh, 0);
  mnl_attr_put_strz (nlh, IFLA_IFNAME, peer_name);
  if (mtu)
    mnl_attr_put_u32 (nlh, IFLA_MTU, mtu);
  if (peer_netns_fd >= 0)
    mnl_attr_put_u32 (nlh, IFLA_NET_NS_FD, (uint32_t) peer_netns_fd);
  mnl_attr_nest_end (nlh, peer);
  mnl_attr_nest_end (nlh, data);
  mnl_attr_nest_end (nlh, info);
  char what[64];
  snprintf (what, sizeof what, "create veth %s (peer %s)", name, peer_name);
  return transact (nl, nlh, NULL, NULL, err, what);
}

/* RTM_NEWLINK on an existing link found by name; the caller adds what changes.  */
static struct nlmsghdr *
change_msg (struct kago_nl *nl, const char *name, struct ifinfomsg **ifi)
{
  struct nlmsghdr *nlh = new_msg (nl, RTM_NEWLINK, 0);
  *ifi = put_ifinfo (nlh, 0);
  mnl_attr_put_strz (nlh, IFLA_IFNAME, name);
  return nlh;
}

int
kago_nl_link_set_up (struct kago_nl *nl, const char *name, bool up, kago_error_t *err)
{
  if (check_name (name, err) < 0)
    return -1;
  struct ifinfomsg *ifi;
  struct nlmsghdr *nlh = change_msg (nl, name, &ifi);
  ifi->ifi_change = IFF_UP;
  ifi->ifi_flags = up ? IFF_UP : 0;
  char what[64];
  snprintf (what, sizeof what, "set link %s %s", name, up ? "up" : "down");
  return transact (nl, nlh, NULL, NULL, err, what);
}

int
kago_nl_link_set_mtu (struct kago_nl *nl, const char *name, unsigned mtu, kago_error_t *err)
{
  if (check_name (name, err) < 0)
    return -1;
  struct ifinfomsg *ifi;
  struct nlmsghdr *nlh = change_msg (nl, name, &ifi);
  mnl_attr_put_u32 (nlh, IFLA_MTU, mtu);
  char what[64];
  snprintf (what, sizeof what, "set MTU %u on %s", mtu, name);
  return transact (nl, nlh, NULL, NULL, err, what);
}

int
kago_nl_link_set_mac (struct kago_nl *nl, const char *name, const unsigned char mac[6], kago_error_t *err)
{
  if (check_name (name, err) < 0)
    return -1;
  struct ifinfomsg *ifi;
  struct nlmsghdr *nlh = change_msg (nl, name, &ifi);
  mnl_attr_put (nlh, IFLA_ADDRESS, 6, mac);
  char what[64];
  snprintf (what, sizeof what, "set the MAC address of %s", name);
  return transact (nl, nlh, NULL, NULL, err, what);
}

int
kago_nl_link_set_master (struct kago_nl *nl, const char *name, const char *master, kago_error_t *err)
{
  if (check_name (name, err) < 0)
    return -1;
  int midx = 0;
  if (master && (midx = kago_nl_ifindex (nl, master, err)) < 0)
    return kago_error_wrap (err, "attach %s to %s", name, master);
  struct ifinfomsg *ifi;
  struct nlmsghdr *nlh = change_msg (nl, name, &ifi);
  mnl_attr_put_u32 (nlh, IFLA_MASTER, (uint32_t) midx);
  char what[64];
  snprintf (what, sizeof what, "attach %s to %s", name, master ? master : "no bridge");
  return transact (nl, nlh, NULL, NULL, err, what);
}

int
kago_nl_link_delete (struct kago_nl *nl, const char *name, kago_error_t *err)
{
  if (check_name (name, err) < 0)
    return -1;
  struct nlmsghdr *nlh = new_msg (nl, RTM_DELLINK, 0);
  put_ifinfo (nlh, 0);
  mnl_attr_put_strz (nlh, IFLA_IFNAME, name);
  char what[64];
  snprintf (what, sizeof what, "delete link %s", name);
  return transact (nl, nlh, NULL, NULL, err, what);
}

int
kago_nl_addr_add_v4 (struct kago_nl *nl, const char *name, struct in_addr addr, unsigned prefix,
                     kago_error_t *err)
{
  if (prefix > 32)
    return kago_error_set (err, EINVAL, "invalid prefix length %u", prefix);
  int idx = kago_nl_ifindex (nl, name, err);
  if (idx < 0)
    return -1;
  struct nlmsghdr *nlh = new_msg (nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header (nlh, sizeof *ifa);
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = (unsigned char) prefix;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = (unsigned) idx;
  mnl_attr_put (nlh, IFA_LOCAL, sizeof addr, &addr);
  mnl_attr_put (nlh, IFA_ADDRESS, sizeof addr, &addr);
  if (prefix < 31)
    {
      uint32_t host = prefix == 0 ? 0xffffffffu : (1u << (32 - prefix)) - 1;
      struct in_addr brd = { .s_addr = addr.s_addr | htonl (host) };
      mnl_attr_put (nlh, IFA_BROADCAST, sizeof brd, &brd);
    }
  char what[96], a[INET_ADDRSTRLEN];
  inet_ntop (AF_INET, &addr, a, sizeof a);
  snprintf (what, sizeof what, "add address %s/%u to %s", a, prefix, name);
  return transact (nl, nlh, NULL, NULL, err, what);
}

int
kago_nl_route_add_default_v4 (struct kago_nl *nl, struct in_addr gateway, const char *name, kago_error_t *err)
{
  int idx = 0;
  if (name && (idx = kago_nl_ifindex (nl, name, err)) < 0)
    return -1;
  struct nlmsghdr *nlh = new_msg (nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  struct rtmsg *rt = mnl_nlmsg_put_extra_header (nlh, sizeof *rt);
  rt->rtm_family = AF_INET;
  rt->rtm_dst_len = 0;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_BOOT;
  rt->rtm_scope = RT_SCOPE_UNIVERSE;
  rt->rtm_type = RTN_UNICAST;
  mnl_attr_put (nlh, RTA_GATEWAY, sizeof gateway, &gateway);
  if (idx)
    mnl_attr_put_u32 (nlh, RTA_OIF, (uint32_t) idx);
  char what[96], g[INET_ADDRSTRLEN];
  inet_ntop (AF_INET, &gateway, g, sizeof g);
  snprintf (what, sizeof what, "add default route via %s", g);
  return transact (nl, nlh, NULL, NULL, err, what);
}

/* Reading links.  */

static int
link_attr (const struct nlattr *a, void *data)
{
  const struct nlattr **tb = data;
  unsigned t = mnl_attr_get_type (a);
  if (t <= IFLA_MAX && mnl_attr_type_valid (a, IFLA_MAX) >= 0)
    tb[t] = a;
  return MNL_CB_OK;
}

static int
info_attr (const struct nlattr *a, void *data)
{
  const struct nlattr **tb = data;
  unsigned t = mnl_attr_get_type (a);
  if (t <= IFLA_INFO_MAX)
    tb[t] = a;
  return MNL_CB_OK;
}

static void
parse_link (const struct nlmsghdr *nlh, struct kago_nl_link *l)
{
  const struct ifinfomsg *ifi = mnl_nlmsg_get_payload (nlh);
  const struct nlattr *tb[IFLA_MAX + 1] = { 0 };
  memset (l, 0, sizeof *l);
  l->index = ifi->ifi_index;
  l->flags = ifi->ifi_flags;
  mnl_attr_parse (nlh, sizeof *ifi, link_attr, tb);
  if (tb[IFLA_IFNAME] && mnl_attr_validate (tb[IFLA_IFNAME], MNL_TYPE_NUL_STRING) == 0)
    snprintf (l->name, sizeof l->name, "%s", mnl_attr_get_str (tb[IFLA_IFNAME]));
  if (tb[IFLA_MTU] && mnl_attr_validate (tb[IFLA_MTU], MNL_TYPE_U32) == 0)
    l->mtu = mnl_attr_get_u32 (tb[IFLA_MTU]);
  if (tb[IFLA_MASTER] && mnl_attr_validate (tb[IFLA_MASTER], MNL_TYPE_U32) == 0)
    l->master = (int) mnl_attr_get_u32 (tb[IFLA_MASTER]);
  if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len (tb[IFLA_ADDRESS]) == sizeof l->mac)
    memcpy (l->mac, mnl_attr_get_payload (tb[IFLA_ADDRESS]), sizeof l->mac);
  if (tb[IFLA_LINKINFO])
    {
      const struct nlattr *info[IFLA_INFO_MAX + 1] = { 0 };
      mnl_attr_parse_nested (tb[IFLA_LINKINFO], info_attr, info);
      if (info[IFLA_INFO_KIND] && mnl_attr_validate (info[IFLA_INFO_KIND], MNL_TYPE_STRING) == 0)
        snprintf (l->kind, sizeof l->kind, "%.*s", (int) mnl_attr_get_payload_len (info[IFLA_INFO_KIND]),
                  mnl_attr_get_str (info[IFLA_INFO_KIND]));
    }
  if (tb[IFLA_STATS64])
    {
      struct rtnl_link_stats64 s = { 0 };
      size_t len = mnl_attr_get_payload_len (tb[IFLA_STATS64]);
      memcpy (&s, mnl_attr_get_payload (tb[IFLA_STATS64]), len < sizeof s ? len : sizeof s);
      l->rx_bytes = s.rx_bytes;
      l->tx_bytes = s.tx_bytes;
      l->rx_packets = s.rx_packets;
      l->tx_packets = s.tx_packets;
    }
}

struct link_list
{
  struct kago_nl_link *v;
  size_t n, cap;
};

static int
collect_link (const struct nlmsghdr *nlh, void *data)
{
  struct link_list *ll = data;
  if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len (nlh) < sizeof (struct ifinfomsg))
    return MNL_CB_OK;
  if (ll->n == ll->cap)
    {
      ll->cap = ll->cap ? ll->cap * 2 : 8;
      ll->v = xrealloc (ll->v, ll->cap * sizeof *ll->v);
    }
  parse_link (nlh, &ll->v[ll->n++]);
  return MNL_CB_OK;
}

int
kago_nl_link_get (struct kago_nl *nl, const char *name, struct kago_nl_link *out, kago_error_t *err)
{
  if (check_name (name, err) < 0)
    return -1;
  struct nlmsghdr *nlh = new_msg (nl, RTM_GETLINK, 0);
  put_ifinfo (nlh, 0);
  mnl_attr_put_strz (nlh, IFLA_IFNAME, name);
  struct link_list ll = { 0 };
  kago_error_t e = NULL;
  if (transact (nl, nlh, collect_link, &ll, &e, "look up link") < 0)
    {
      free (ll.v);
      if (e->errnum == ENODEV)
        {
          kago_error_release (&e);
          return kago_error_set (err, ENODEV, "no such link `%s`", name);
        }
      *err = e;
      return kago_error_wrap (err, "%s", name);
    }
  if (ll.n == 0)
    {
      free (ll.v);
      return kago_error_set (err, ENODEV, "no such link `%s`", name);
    }
  *out = ll.v[0];
  free (ll.v);
  return 0;
}

int
kago_nl_ifindex (struct kago_nl *nl, const char *name, kago_error_t *err)
{
  struct kago_nl_link l;
  if (kago_nl_link_get (nl, name, &l, err) < 0)
    return -1;
  return l.index;
}

int
kago_nl_link_list (struct kago_nl *nl, struct kago_nl_link **out, size_t *n, kago_error_t *err)
{
  struct nlmsghdr *nlh = new_msg (nl, RTM_GETLINK, NLM_F_DUMP);
  put_ifinfo (nlh, 0);
  struct link_list ll = { 0 };
  if (transact (nl, nlh, collect_link, &ll, err, "list links") < 0)
    {
      free (ll.v);
      return -1;
    }
  *out = ll.v;
  *n = ll.n;
  return 0;
}

/* An RTM_DELLINK of the index in ARG among a datagram's messages.  */
static bool
saw_dellink (const char *buf, size_t n, int index)
{
  const struct nlmsghdr *nlh = (const struct nlmsghdr *) buf;
  int len = (int) n;
  for (; mnl_nlmsg_ok (nlh, len); nlh = mnl_nlmsg_next (nlh, &len))
    if (nlh->nlmsg_type == RTM_DELLINK
        && nlh->nlmsg_len >= NLMSG_LENGTH (sizeof (struct ifinfomsg)))
      {
        const struct ifinfomsg *ifi = mnl_nlmsg_get_payload (nlh);
        if (ifi->ifi_index == index)
          return true;
      }
  return false;
}

int
kago_nl_link_wait_gone (struct kago_nl *nl, const char *name, int timeout_ms, kago_error_t *err)
{
  /* Subscribed before the look-up, so that a removal between the two is
     not missed.  */
  struct mnl_socket *ev = mnl_socket_open2 (NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (ev == NULL)
    return kago_error_set (err, errno, "open a netlink socket");
  if (mnl_socket_bind (ev, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0)
    {
      int en = errno;
      mnl_socket_close (ev);
      return kago_error_set (err, en, "subscribe to link events");
    }
  kago_error_t e = NULL;
  int index = kago_nl_ifindex (nl, name, &e);
  int ret = 0;
  struct timespec t0;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  while (index > 0)
    {
      struct timespec t;
      clock_gettime (CLOCK_MONOTONIC, &t);
      long left = timeout_ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
      if (left <= 0)
        break;
      struct pollfd p = { .fd = mnl_socket_get_fd (ev), .events = POLLIN };
      int pr = poll (&p, 1, (int) left);
      if (pr < 0 && errno != EINTR)
        {
          index = -1;
          kago_error_set (&e, errno, "wait for link events");
          break;
        }
      if (pr <= 0)
        continue;
      for (;;)
        {
          ssize_t n = mnl_socket_recvfrom (ev, nl->buf, sizeof nl->buf);
          if (n < 0 && errno == ENOBUFS)
            {
              /* Events were lost: look again.  */
              int again = kago_nl_ifindex (nl, name, &e);
              if (again != index)
                index = again < 0 ? again : 0;
              continue;
            }
          if (n <= 0)
            break;
          if (saw_dellink (nl->buf, (size_t) n, index))
            {
              index = 0;
              break;
            }
        }
    }
  if (index > 0)
    ret = 0; /* still there */
  else if (index == 0 || (e && e->errnum == ENODEV))
    {
      kago_error_release (&e);
      ret = 1;
    }
  else
    {
      *err = e;
      ret = -1;
    }
  mnl_socket_close (ev);
  return ret;
}
