/* nettool: kago's netlink library (src/engine/network/netlink.h) from the
   command line, for tests/integration/netlink.bats.  Acts on the network
   namespace it runs in, or with `-n PATH` on the one at PATH (e.g.
   /run/netns/NAME) through kago_nl_open_netns.

     nettool [-n NETNS] bridge NAME MTU
     nettool [-n NETNS] veth NAME PEER PEER-NETNS-PATH MTU
     nettool [-n NETNS] up|down NAME
     nettool [-n NETNS] mtu NAME MTU
     nettool [-n NETNS] master NAME BRIDGE|-
     nettool [-n NETNS] addr NAME A.B.C.D/N
     nettool [-n NETNS] route GATEWAY [NAME]
     nettool [-n NETNS] del NAME
     nettool [-n NETNS] wait-gone NAME MS  "gone" or "present" after up to MS ms
     nettool [-n NETNS] ifindex NAME
     nettool [-n NETNS] show NAME        name kind mtu master up rx_bytes tx_bytes rx_packets tx_packets
     nettool [-n NETNS] links            one `show` line per link
     nettool [-n NETNS] dns-serve [-l ADDR:PORT] [-u ADDR[:PORT]]... [-r RESOLV.CONF] [-t MS]
             NAME=ADDR[,ADDR]...
         the embedded resolver (src/engine/network/dns.h) serving the names
         given over UDP and TCP, at 127.0.0.11:53 in NETNS (kago_dns_listen_netns) or at
         ADDR:PORT here; forwarding to the upstreams given and those of
         RESOLV.CONF, from the namespace nettool runs in.  Prints "ready"
         once it listens, serves until SIGTERM or SIGINT.

   Errors go to stderr as "nettool: MESSAGE" with exit status 1; status 2 for
   a usage error.  */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "engine/network/dns.h"
#include "engine/network/netlink.h"

static int
usage (void)
{
  fprintf (
      stderr,
      "usage: nettool [-n NETNS] bridge|veth|up|down|mtu|master|addr|route|del|wait-gone|ifindex|show|links ...\n");
  return 2;
}

static int
fail (kago_error_t *err)
{
  cleanup_free char *m = kago_error_string (*err);
  fprintf (stderr, "nettool: %s\n", m);
  kago_error_release (err);
  return 1;
}

static unsigned
num (const char *s)
{
  char *end;
  errno = 0;
  unsigned long v = strtoul (s, &end, 10);
  if (errno || *end || end == s || v > 0xffffffffUL)
    {
      fprintf (stderr, "nettool: not a number: %s\n", s);
      exit (2);
    }
  return (unsigned) v;
}

static struct in_addr
addr4 (const char *s)
{
  struct in_addr a;
  if (inet_pton (AF_INET, s, &a) != 1)
    {
      fprintf (stderr, "nettool: not an IPv4 address: %s\n", s);
      exit (2);
    }
  return a;
}

static int
open_ns (const char *path)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      fprintf (stderr, "nettool: open %s: %s\n", path, strerror (errno));
      exit (1);
    }
  return fd;
}

static void
print_link (struct kago_nl *nl, const struct kago_nl_link *l)
{
  char master[IF_NAMESIZE] = "-";
  if (l->master)
    {
      /* The bridge's name, from the list of links.  */
      struct kago_nl_link *v = NULL;
      size_t n = 0;
      kago_error_t err = NULL;
      if (kago_nl_link_list (nl, &v, &n, &err) == 0)
        for (size_t i = 0; i < n; i++)
          if (v[i].index == l->master)
            snprintf (master, sizeof master, "%s", v[i].name);
      kago_error_release (&err);
      free (v);
    }
  printf ("%s %s %u %s %s %llu %llu %llu %llu\n", l->name, l->kind[0] ? l->kind : "-", l->mtu, master,
          (l->flags & IFF_UP) ? "up" : "down", (unsigned long long) l->rx_bytes,
          (unsigned long long) l->tx_bytes, (unsigned long long) l->rx_packets,
          (unsigned long long) l->tx_packets);
}

static int
run (struct kago_nl *nl, int argc, char **argv, kago_error_t *err)
{
  const char *cmd = argv[0];
#define NEED(n)                                                                                              \
  do                                                                                                         \
    if (argc != (n) + 1)                                                                                     \
      return usage ();                                                                                       \
  while (0)
  if (strcmp (cmd, "bridge") == 0)
    {
      NEED (2);
      return kago_nl_bridge_create (nl, argv[1], num (argv[2]), err) < 0 ? fail (err) : 0;
    }
  if (strcmp (cmd, "veth") == 0)
    {
      NEED (4);
      cleanup_close int fd = open_ns (argv[3]);
      return kago_nl_veth_create (nl, argv[1], argv[2], fd, num (argv[4]), err) < 0 ? fail (err) : 0;
    }
  if (strcmp (cmd, "up") == 0 || strcmp (cmd, "down") == 0)
    {
      NEED (1);
      return kago_nl_link_set_up (nl, argv[1], cmd[0] == 'u', err) < 0 ? fail (err) : 0;
    }
  if (strcmp (cmd, "mtu") == 0)
    {
      NEED (2);
      return kago_nl_link_set_mtu (nl, argv[1], num (argv[2]), err) < 0 ? fail (err) : 0;
    }
  if (strcmp (cmd, "master") == 0)
    {
      NEED (2);
      const char *m = strcmp (argv[2], "-") == 0 ? NULL : argv[2];
      return kago_nl_link_set_master (nl, argv[1], m, err) < 0 ? fail (err) : 0;
    }
  if (strcmp (cmd, "addr") == 0)
    {
      NEED (2);
      char *slash = strchr (argv[2], '/');
      if (slash == NULL)
        return usage ();
      *slash = '\0';
      return kago_nl_addr_add_v4 (nl, argv[1], addr4 (argv[2]), num (slash + 1), err) < 0 ? fail (err) : 0;
    }
  if (strcmp (cmd, "route") == 0)
    {
      if (argc != 2 && argc != 3)
        return usage ();
      return kago_nl_route_add_default_v4 (nl, addr4 (argv[1]), argc == 3 ? argv[2] : NULL, err) < 0
                 ? fail (err)
                 : 0;
    }
  if (strcmp (cmd, "del") == 0)
    {
      NEED (1);
      return kago_nl_link_delete (nl, argv[1], err) < 0 ? fail (err) : 0;
    }
  if (strcmp (cmd, "wait-gone") == 0)
    {
      NEED (2);
      int r = kago_nl_link_wait_gone (nl, argv[1], (int) num (argv[2]), err);
      if (r < 0)
        return fail (err);
      puts (r ? "gone" : "present");
      return 0;
    }
  if (strcmp (cmd, "ifindex") == 0)
    {
      NEED (1);
      int i = kago_nl_ifindex (nl, argv[1], err);
      if (i < 0)
        return fail (err);
      printf ("%d\n", i);
      return 0;
    }
  if (strcmp (cmd, "show") == 0)
    {
      NEED (1);
      struct kago_nl_link l;
      if (kago_nl_link_get (nl, argv[1], &l, err) < 0)
        return fail (err);
      print_link (nl, &l);
      return 0;
    }
  if (strcmp (cmd, "links") == 0)
    {
      NEED (0);
      struct kago_nl_link *v;
      size_t n;
      if (kago_nl_link_list (nl, &v, &n, err) < 0)
        return fail (err);
      for (size_t i = 0; i < n; i++)
        print_link (nl, &v[i]);
      free (v);
      return 0;
    }
#undef NEED
  return usage ();
}

/* dns-serve's table: NAME=ADDR[,ADDR]... as given.  */
struct dns_names
{
  char **argv;
  int argc;
};

static int
dns_lookup (const char *name, uint32_t *addrs, size_t max, void *arg)
{
  const struct dns_names *t = arg;
  size_t n = 0;
  for (int i = 0; i < t->argc; i++)
    {
      const char *eq = strchr (t->argv[i], '=');
      size_t nl = (size_t) (eq - t->argv[i]);
      if (strlen (name) != nl || strncasecmp (name, t->argv[i], nl) != 0)
        continue;
      for (const char *a = eq + 1; *a && n < max;)
        {
          char buf[INET_ADDRSTRLEN];
          size_t l = strcspn (a, ",");
          snprintf (buf, sizeof buf, "%.*s", (int) (l < sizeof buf ? l : sizeof buf - 1), a);
          addrs[n++] = ntohl (addr4 (buf).s_addr);
          a += l + (a[l] == ',');
        }
    }
  return (int) n;
}

static int
dns_reverse (uint32_t addr, char *name, size_t size, void *arg)
{
  const struct dns_names *t = arg;
  for (int i = 0; i < t->argc; i++)
    {
      const char *eq = strchr (t->argv[i], '=');
      uint32_t a[KAGO_DNS_MAX_ADDRS];
      cleanup_free char *nm = strndup (t->argv[i], (size_t) (eq - t->argv[i]));
      int n = dns_lookup (nm, a, KAGO_DNS_MAX_ADDRS, arg);
      for (int j = 0; j < n; j++)
        if (a[j] == addr)
          {
            snprintf (name, size, "%s", nm);
            return 1;
          }
    }
  return 0;
}

/* ADDR[:PORT], host byte order.  */
static struct kago_dns_upstream
addr_port (const char *s)
{
  char buf[64];
  snprintf (buf, sizeof buf, "%s", s);
  char *colon = strchr (buf, ':');
  unsigned port = 0;
  if (colon)
    {
      *colon = '\0';
      port = num (colon + 1);
      if (port > 65535)
        exit (usage ());
    }
  return (struct kago_dns_upstream){ .addr = ntohl (addr4 (buf).s_addr), .port = (uint16_t) port };
}

static int
dns_serve (const char *ns, int argc, char **argv)
{
  struct kago_dns_config cfg = { .udp_fd = -1, .tcp_fd = -1, .lookup = dns_lookup, .reverse = dns_reverse };
  struct dns_names names;
  const char *listen_at = NULL;
  kago_error_t err = NULL;
  int i;
  for (i = 1; i + 1 < argc && argv[i][0] == '-'; i += 2)
    {
      if (strcmp (argv[i], "-l") == 0)
        listen_at = argv[i + 1];
      else if (strcmp (argv[i], "-u") == 0 && cfg.n_upstreams < KAGO_DNS_MAX_UPSTREAMS)
        cfg.upstreams[cfg.n_upstreams++] = addr_port (argv[i + 1]);
      else if (strcmp (argv[i], "-t") == 0)
        cfg.timeout_ms = num (argv[i + 1]);
      else if (strcmp (argv[i], "-r") == 0)
        {
          cleanup_free char *text = NULL;
          if (read_file_at (AT_FDCWD, argv[i + 1], &text, NULL, &err) < 0)
            return fail (&err);
          size_t skipped;
          cfg.n_upstreams += kago_dns_upstreams_from_resolv_conf (
              text, cfg.upstreams + cfg.n_upstreams, KAGO_DNS_MAX_UPSTREAMS - cfg.n_upstreams, &skipped);
          if (skipped)
            fprintf (stderr, "nettool: %zu nameserver(s) of %s skipped (IPv6)\n", skipped, argv[i + 1]);
        }
      else
        return usage ();
    }
  names.argv = argv + i;
  names.argc = argc - i;
  for (int j = 0; j < names.argc; j++)
    if (strchr (names.argv[j], '=') == NULL)
      return usage ();
  cfg.arg = &names;
  if ((ns == NULL) == (listen_at == NULL))
    return usage ();
  if (ns)
    {
      cleanup_close int fd = open_ns (ns);
      if (kago_dns_listen_netns (fd, &cfg.udp_fd, &cfg.tcp_fd, &err) < 0)
        return fail (&err);
    }
  else
    {
      struct kago_dns_upstream at = addr_port (listen_at);
      if (kago_dns_listen (at.addr, at.port, &cfg.udp_fd, &cfg.tcp_fd, &err) < 0)
        return fail (&err);
    }
  sigset_t stop;
  sigemptyset (&stop);
  sigaddset (&stop, SIGTERM);
  sigaddset (&stop, SIGINT);
  sigprocmask (SIG_BLOCK, &stop, NULL);
  struct kago_dns_server *server;
  if (kago_dns_start (&cfg, &server, &err) < 0)
    {
      close (cfg.udp_fd);
      close (cfg.tcp_fd);
      return fail (&err);
    }
  printf ("ready\n");
  fflush (stdout);
  int sig;
  sigwait (&stop, &sig);
  kago_dns_stop (server);
  return 0;
}

int
main (int argc, char **argv)
{
  kago_error_t err = NULL;
  const char *ns = NULL;
  argc--, argv++;
  if (argc >= 2 && strcmp (argv[0], "-n") == 0)
    {
      ns = argv[1];
      argc -= 2, argv += 2;
    }
  if (argc < 1)
    return usage ();
  if (strcmp (argv[0], "dns-serve") == 0)
    return dns_serve (ns, argc, argv);
  struct kago_nl *nl;
  if (ns)
    {
      cleanup_close int fd = open_ns (ns);
      nl = kago_nl_open_netns (fd, &err);
    }
  else
    nl = kago_nl_open (&err);
  if (nl == NULL)
    return fail (&err);
  int r = run (nl, argc, argv, &err);
  kago_nl_close (nl);
  return r;
}
