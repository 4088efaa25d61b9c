/* Published ports: parsing, reservation and DNAT elements (ports.h).  */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "engine/network/ipam.h"
#include "engine/network/nat.h"
#include "engine/network/ports.h"

/* ---- parsing (go-connections' nat.ParsePortSpec) ---- */

/* strconv.ParseUint (s, 10, 16).  */
static bool
parse_u16 (const char *s, size_t len, unsigned *out)
{
  if (len == 0 || len > 5)
    return false;
  unsigned v = 0;
  for (size_t i = 0; i < len; i++)
    {
      if (s[i] < '0' || s[i] > '9')
        return false;
      v = v * 10 + (unsigned) (s[i] - '0');
    }
  if (v > 65535)
    return false;
  *out = v;
  return true;
}

/* nat.ParsePortRange: "N" or "N-M" with N <= M.  */
static bool
range_ok (const char *s, unsigned *first, unsigned *last)
{
  const char *dash = strchr (s, '-');
  if (dash == NULL)
    {
      if (!parse_u16 (s, strlen (s), first))
        return false;
      *last = *first;
      return true;
    }
  const char *end = strchr (dash + 1, '-');
  size_t l2 = end ? (size_t) (end - dash - 1) : strlen (dash + 1);
  return parse_u16 (s, (size_t) (dash - s), first) && parse_u16 (dash + 1, l2, last) && *first <= *last;
}

int
kago_port_range_parse (const char *s, unsigned *first, unsigned *last, kago_error_t *err)
{
  if (s == NULL || *s == '\0')
    {
      *first = *last = 0;
      return 0;
    }
  if (!range_ok (s, first, last))
    return kago_error_set (err, 0, "invalid hostPort: %s", s);
  return 0;
}

int
kago_port_proto_parse (const char *s)
{
  if (strcmp (s, "tcp") == 0)
    return KAGO_PORT_TCP;
  if (strcmp (s, "udp") == 0)
    return KAGO_PORT_UDP;
  return -1;
}

const char *
kago_port_proto_name (enum kago_port_proto p)
{
  return p == KAGO_PORT_UDP ? "udp" : "tcp";
}

int
kago_port_spec_parse (const char *v, struct kago_port_spec **out, size_t *n, kago_error_t *err)
{
  *out = NULL;
  *n = 0;
  /* splitParts: the last ':' field is the container port, the one before
     it the host port, everything before that the host address.  */
  const char *last = strrchr (v, ':');
  cleanup_free char *ip = NULL, *host = NULL, *ctr = NULL;
  if (last == NULL)
    {
      ip = xstrdup (""), host = xstrdup (""), ctr = xstrdup (v);
    }
  else
    {
      ctr = xstrdup (last + 1);
      const char *prev = NULL;
      for (const char *p = v; p < last; p++)
        if (*p == ':')
          prev = p;
      if (prev == NULL)
        ip = xstrdup (""), host = xstrndup (v, (size_t) (last - v));
      else
        ip = xstrndup (v, (size_t) (prev - v)), host = xstrndup (prev + 1, (size_t) (last - prev - 1));
    }
  /* SplitProtoPort.  */
  char *proto = "tcp";
  char *slash = strchr (ctr, '/');
  if (ctr[0] == '\0' || ctr[0] == '/')
    return kago_error_set (err, 0, "no port specified: %s<empty>", v);
  if (slash)
    {
      *slash = '\0';
      char *end = strchr (slash + 1, '/');
      if (end)
        *end = '\0';
      if (slash[1])
        proto = slash + 1;
    }
  if (ip[0] == '[' || strchr (ip, ':'))
    return kago_error_set (err, 0, "publishing on an IPv6 address is not supported: %s", ip);
  uint32_t addr = 0;
  kago_error_t e2 = NULL;
  if (ip[0] && kago_ipv4_parse (ip, &addr, &e2) < 0)
    {
      kago_error_release (&e2);
      return kago_error_set (err, 0, "invalid IP address: %s", ip);
    }
  unsigned cfirst, clast, hfirst = 0, hlast = 0;
  if (!range_ok (ctr, &cfirst, &clast))
    return kago_error_set (err, 0, "invalid containerPort: %s", ctr);
  if (cfirst == 0)
    return kago_error_set (err, 0, "invalid containerPort: %s", ctr);
  if (host[0] && !range_ok (host, &hfirst, &hlast))
    return kago_error_set (err, 0, "invalid hostPort: %s", host);
  if (host[0] && clast - cfirst != hlast - hfirst && clast != cfirst)
    return kago_error_set (err, 0, "invalid ranges specified for container and host Ports: %s and %s", ctr,
                           host);
  for (char *p = proto; *p; p++)
    if (*p >= 'A' && *p <= 'Z')
      *p = (char) (*p - 'A' + 'a');
  if (strcmp (proto, "sctp") == 0)
    return kago_error_set (err, 0, "publishing sctp ports is not supported (tcp and udp are): %s", v);
  if (kago_port_proto_parse (proto) < 0)
    return kago_error_set (err, 0, "invalid proto: %s", proto);

  size_t count = clast - cfirst + 1;
  struct kago_port_spec *s = xcalloc (count, sizeof *s);
  for (size_t i = 0; i < count; i++)
    {
      snprintf (s[i].proto, sizeof s[i].proto, "%s", proto);
      s[i].ctr_port = cfirst + (unsigned) i;
      if (ip[0])
        kago_ipv4_format (addr, s[i].host_ip);
      if (host[0] == '\0')
        continue;
      if (cfirst == clast && hfirst != hlast)
        snprintf (s[i].host_port, sizeof s[i].host_port, "%u-%u", hfirst, hlast);
      else
        snprintf (s[i].host_port, sizeof s[i].host_port, "%u", hfirst + (unsigned) i);
    }
  *out = s;
  *n = count;
  return 0;
}

/* ---- the table ---- */

#define T "ip " KAGO_NFT_TABLE

char *
kago_ports_ruleset (const char *ifname)
{
  strbuf sb = STRBUF_INIT;
  for (int p = KAGO_PORT_TCP; p <= KAGO_PORT_UDP; p++)
    {
      const char *n = kago_port_proto_name ((enum kago_port_proto) p);
      strbuf_addf (&sb, "add map " T " %s_any { type inet_service : ipv4_addr . inet_service; }\n", n);
      strbuf_addf (&sb, "add map " T " %s_ip { type ipv4_addr . inet_service : ipv4_addr . inet_service; }\n",
                   n);
    }
  strbuf_addf (&sb, "add chain " T " prerouting { type nat hook prerouting priority -100; policy accept; }\n"
                    "add chain " T " output { type nat hook output priority -100; policy accept; }\n"
                    "add chain " T " ports\n"
                    "flush chain " T " prerouting\n"
                    "flush chain " T " output\n"
                    "flush chain " T " ports\n"
                    "add rule " T " prerouting fib daddr type local jump ports\n"
                    "add rule " T " output fib daddr type local jump ports\n");
  for (int p = KAGO_PORT_TCP; p <= KAGO_PORT_UDP; p++)
    {
      const char *n = kago_port_proto_name ((enum kago_port_proto) p);
      strbuf_addf (&sb, "add rule " T " ports dnat ip to ip daddr . %s dport map @%s_ip\n", n, n);
      strbuf_addf (&sb, "add rule " T " ports dnat ip to %s dport map @%s_any\n", n, n);
    }
  kago_ports_bridge_rules (&sb, ifname);
  return strbuf_detach (&sb);
}

void
kago_ports_bridge_rules (strbuf *sb, const char *ifname)
{
  /* From the host itself (127.0.0.1 or its own addresses): the source is
     local and would not do as a source on the bridge; hairpin: a
     container to a port published on the host reaches a container of the
     same bridge, which must answer through the host.  */
  strbuf_addf (sb,
               "add rule " T " postrouting oifname \"%s\" fib saddr type local masquerade\n"
               "add rule " T " postrouting iifname \"%s\" oifname \"%s\" ct status dnat masquerade\n",
               ifname, ifname, ifname);
}

static void
key (strbuf *sb, const struct kago_port_binding *b)
{
  char ip[KAGO_IPV4_STRLEN];
  if (b->host_ip)
    strbuf_addf (sb, "%s_ip { %s . %u", kago_port_proto_name (b->proto), kago_ipv4_format (b->host_ip, ip),
                 b->host_port);
  else
    strbuf_addf (sb, "%s_any { %u", kago_port_proto_name (b->proto), b->host_port);
}

char *
kago_ports_add_cmds (uint32_t ctr_addr, const struct kago_port_binding *b, size_t n)
{
  strbuf sb = STRBUF_INIT;
  char ip[KAGO_IPV4_STRLEN];
  kago_ipv4_format (ctr_addr, ip);
  for (size_t i = 0; i < n; i++)
    {
      strbuf_addf (&sb, "create element " T " ");
      key (&sb, &b[i]);
      strbuf_addf (&sb, " : %s . %u }\n", ip, b[i].ctr_port);
    }
  return strbuf_detach (&sb);
}

char *
kago_ports_del_cmds (const struct kago_port_binding *b, size_t n)
{
  strbuf sb = STRBUF_INIT;
  for (size_t i = 0; i < n; i++)
    {
      strbuf_addf (&sb, "delete element " T " ");
      key (&sb, &b[i]);
      strbuf_addf (&sb, " }\n");
    }
  return strbuf_detach (&sb);
}

/* ---- the host side ---- */

int
kago_ports_local_range (unsigned *lo, unsigned *hi, kago_error_t *err)
{
  const char *path = "/proc/sys/net/ipv4/ip_local_port_range";
  cleanup_free char *buf = NULL;
  size_t len;
  if (read_file (path, &buf, &len, err) < 0)
    return -1;
  if (sscanf (buf, "%u %u", lo, hi) != 2 || *lo == 0 || *lo > *hi || *hi > 65535)
    return kago_error_set (err, 0, "%s: unexpected contents", path);
  return 0;
}

static char *
bind_name (const struct kago_port_binding *b)
{
  char ip[KAGO_IPV4_STRLEN];
  return xasprintf ("%s:%u", kago_ipv4_format (b->host_ip, ip), b->host_port);
}

int
kago_ports_reserve (const struct kago_port_binding *b, kago_error_t *err)
{
  int type = b->proto == KAGO_PORT_UDP ? SOCK_DGRAM : SOCK_STREAM;
  int fd = socket (AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return kago_error_set (err, errno, "socket");
  struct sockaddr_in sa = { .sin_family = AF_INET,
                            .sin_port = htons ((uint16_t) b->host_port),
                            .sin_addr.s_addr = htonl (b->host_ip) };
  if (bind (fd, (struct sockaddr *) &sa, sizeof sa) == 0)
    return fd;
  int saved = errno;
  close (fd);
  cleanup_free char *name = bind_name (b);
  if (saved == EADDRINUSE)
    {
      kago_error_set (err, 0, "Bind for %s failed: port is already allocated", name);
      return -2;
    }
  return kago_error_set (err, saved, "Bind for %s failed", name);
}

static char *
ports_path (const char *dir, const char *holder)
{
  return xasprintf ("%s/ports/%s", dir, holder);
}

/* The file: one "PROTO HOSTIP HOSTPORT CTRPORT" line per binding (the
   container address on the first line, "addr A.B.C.D").  */
static int
ports_save (const char *dir, const char *holder, uint32_t ctr_addr, const struct kago_port_binding *b,
            size_t n, kago_error_t *err)
{
  cleanup_free char *pdir = xasprintf ("%s/ports", dir);
  if (mkdir_p (pdir, 0700, err) < 0)
    return -1;
  strbuf sb = STRBUF_INIT;
  char ip[KAGO_IPV4_STRLEN];
  strbuf_addf (&sb, "addr %s\n", kago_ipv4_format (ctr_addr, ip));
  for (size_t i = 0; i < n; i++)
    strbuf_addf (&sb, "%s %s %u %u\n", kago_port_proto_name (b[i].proto), kago_ipv4_format (b[i].host_ip, ip),
                 b[i].host_port, b[i].ctr_port);
  cleanup_close int dfd = open (pdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int r = dfd < 0 ? kago_error_set (err, errno, "open %s", pdir)
                  : write_file_atomic (dfd, holder, sb.buf ? sb.buf : "", sb.len, 0600, err);
  strbuf_release (&sb);
  return r;
}

static int
ports_load (const char *dir, const char *holder, struct kago_port_binding **out, size_t *n, kago_error_t *err)
{
  *out = NULL;
  *n = 0;
  cleanup_free char *path = ports_path (dir, holder), *buf = NULL;
  size_t len;
  if (read_file (path, &buf, &len, err) < 0)
    {
      if ((*err)->errnum != ENOENT)
        return -1;
      kago_error_release (err);
      return 0;
    }
  size_t cap = 0;
  char *save = NULL;
  for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char proto[8], ip[32];
      unsigned hp, cp;
      uint32_t a;
      kago_error_t e2 = NULL;
      if (sscanf (line, "%7s %31s %u %u", proto, ip, &hp, &cp) != 4 || kago_port_proto_parse (proto) < 0
          || kago_ipv4_parse (ip, &a, &e2) < 0)
        {
          kago_error_release (&e2);
          continue;
        }
      if (*n == cap)
        *out = xrealloc (*out, (cap = cap ? 2 * cap : 4) * sizeof **out);
      (*out)[(*n)++]
          = (struct kago_port_binding){ .proto = (enum kago_port_proto) kago_port_proto_parse (proto),
                                        .host_ip = a,
                                        .host_port = hp,
                                        .ctr_port = cp };
    }
  return 0;
}

/* Delete B's elements: one transaction, else one by one (an element
   already gone fails the whole transaction).  */
static void
delete_elements (const struct kago_port_binding *b, size_t n)
{
  if (n == 0)
    return;
  cleanup_free char *cmds = kago_ports_del_cmds (b, n);
  kago_error_t e = NULL;
  if (kago_nft_run (cmds, &e) == 0)
    return;
  kago_error_release (&e);
  for (size_t i = 0; n > 1 && i < n; i++)
    {
      cleanup_free char *one = kago_ports_del_cmds (&b[i], 1);
      if (kago_nft_run (one, &e) < 0)
        kago_error_release (&e);
    }
}

int
kago_ports_publish (const char *dir, const char *holder, uint32_t ctr_addr, const struct kago_port_binding *b,
                    size_t n, kago_error_t *err)
{
  if (n == 0)
    return 0;
  /* The file first: a crash after the transaction leaves a record of it.  */
  if (ports_save (dir, holder, ctr_addr, b, n, err) < 0)
    return -1;
  cleanup_free char *cmds = kago_ports_add_cmds (ctr_addr, b, n);
  if (kago_nft_run (cmds, err) == 0)
    return 0;
  cleanup_free char *path = ports_path (dir, holder);
  unlink (path);
  if ((*err)->errnum != EEXIST)
    return kago_error_wrap (err, "publish ports");
  /* Which one: each alone, undone at once.  */
  kago_error_release (err);
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *one = kago_ports_add_cmds (ctr_addr, &b[i], 1);
      kago_error_t e2 = NULL;
      if (kago_nft_run (one, &e2) < 0)
        {
          kago_error_release (&e2);
          cleanup_free char *name = bind_name (&b[i]);
          return kago_error_set (err, 0, "Bind for %s failed: port is already allocated", name);
        }
      delete_elements (&b[i], 1);
    }
  return kago_error_set (err, 0, "publish ports: a host port is already allocated");
}

int
kago_ports_unpublish (const char *dir, const char *holder, kago_error_t *err)
{
  struct kago_port_binding *b;
  size_t n;
  if (ports_load (dir, holder, &b, &n, err) < 0)
    return -1;
  delete_elements (b, n);
  free (b);
  cleanup_free char *path = ports_path (dir, holder);
  if (unlink (path) < 0 && errno != ENOENT)
    return kago_error_set (err, errno, "remove %s", path);
  return 0;
}

int
kago_ports_unpublish_stale (const char *dir, bool (*alive) (const char *holder, void *arg), void *arg,
                            kago_error_t *err)
{
  cleanup_free char *pdir = xasprintf ("%s/ports", dir);
  DIR *d = opendir (pdir);
  if (d == NULL)
    return errno == ENOENT ? 0 : kago_error_set (err, errno, "open %s", pdir);
  int ret = 0;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.' || strchr (de->d_name, '.') || alive (de->d_name, arg))
        continue;
      if (kago_ports_unpublish (dir, de->d_name, err) < 0)
        {
          ret = -1;
          break;
        }
    }
  closedir (d);
  return ret;
}

int
kago_ports_route_localnet (const char *ifname, kago_error_t *err)
{
  cleanup_free char *path = xasprintf ("/proc/sys/net/ipv4/conf/%s/route_localnet", ifname), *v = NULL;
  size_t len;
  if (read_file (path, &v, &len, err) < 0)
    return -1;
  if (v[0] == '1')
    return 0;
  return write_file (path, "1\n", 2, err);
}
