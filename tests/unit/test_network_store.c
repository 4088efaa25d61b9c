/* The network store (records, names, id prefixes), the endpoint registry
   with kago_network_lookup, and the nftables rules builder
   (src/engine/network/store.h, endpoint.h, nat.h).  Nothing here touches
   the kernel's network.  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "engine/network/endpoint.h"
#include "engine/network/manage.h"
#include "engine/network/nat.h"
#include "engine/network/store.h"
#include "tap.h"

static char *
tmproot (void)
{
  char tmpl[] = "/tmp/kago-netstore-test.XXXXXX";
  char *d = mkdtemp (tmpl);
  if (d == NULL)
    {
      perror ("mkdtemp");
      exit (2);
    }
  return xstrdup (d);
}

static void
rmtmp (char *root)
{
  cleanup_free char *cmd = xasprintf ("rm -rf '%s'", root);
  if (system (cmd) != 0)
    fprintf (stderr, "# could not remove %s\n", root);
  free (root);
}

/* A user-defined bridge network record, as `network create` saves it.  */
static void
add_net (const char *root, const char *id, const char *name, const char *cidr, bool internal)
{
  struct kago_net n = { 0 };
  snprintf (n.id, sizeof n.id, "%s", id);
  n.name = xstrdup (name);
  snprintf (n.driver, sizeof n.driver, "bridge");
  snprintf (n.ifname, sizeof n.ifname, "br-%.12s", id);
  kago_error_t err = NULL;
  if (kago_subnet_parse (cidr, &n.pool.subnet, &err) < 0 || kago_ipam_pool_check (&n.pool, &err) < 0)
    abort ();
  n.internal = internal;
  n.created = xstrdup ("2026-01-02T03:04:05.000000000Z");
  kago_net_strv_push (&n.labels, "team=a");
  n.dir = xasprintf ("%s/networks/%s", root, id);
  if (kago_net_save (&n, &err) < 0)
    abort ();
  kago_net_clear (&n);
}

static void
add_ep (const char *root, const char *netid, const char *ctr, const char *name, const char *addr, const char *alias)
{
  struct kago_net_endpoint ep = { 0 };
  snprintf (ep.ctr, sizeof ep.ctr, "%s", ctr);
  ep.name = xstrdup (name);
  snprintf (ep.eid, sizeof ep.eid, "%064d", 7);
  kago_error_t err = NULL;
  if (kago_ipv4_parse (addr, &ep.addr, &err) < 0)
    abort ();
  ep.prefix = 16;
  snprintf (ep.ifname, sizeof ep.ifname, "eth0");
  if (alias)
    kago_net_strv_push (&ep.aliases, alias);
  cleanup_free char *dir = xasprintf ("%s/networks/%s", root, netid);
  if (kago_net_endpoint_save (dir, &ep, &err) < 0)
    abort ();
  kago_net_endpoint_clear (&ep);
}

#define ID_A "aaaa000000000000000000000000000000000000000000000000000000000001"
#define ID_B "aaab000000000000000000000000000000000000000000000000000000000002"
#define CTR1 "1111111111111111111111111111111111111111111111111111111111111111"
#define CTR2 "2222222222222222222222222222222222222222222222222222222222222222"
#define CTR3 "3333333333333333333333333333333333333333333333333333333333333333"

TEST (predefined_and_list)
{
  char *root = tmproot ();
  kago_error_t err = NULL;
  struct kago_net *v;
  size_t n;
  CHECK (kago_net_list (root, &v, &n, &err) == 0);
  CHECK (n == 3);
  if (n == 3)
    {
      CHECK_STR (v[0].name, "bridge");
      CHECK_STR (v[0].ifname, "kago0");
      CHECK (v[0].predefined && kago_net_is_bridge (&v[0]));
      CHECK_STR (v[1].name, "host");
      CHECK_STR (v[1].driver, "host");
      CHECK_STR (v[2].name, "none");
      CHECK_STR (v[2].driver, "null");
      CHECK (strlen (v[2].id) == 64);
    }
  kago_nets_free (v, n);
  /* The same ids the next time.  */
  struct kago_net a, b;
  CHECK (kago_net_find (root, "bridge", &a, &err) == 0);
  CHECK (kago_net_find (root, "bridge", &b, &err) == 0);
  CHECK_STR (a.id, b.id);
  kago_net_clear (&a);
  kago_net_clear (&b);
  rmtmp (root);
}

TEST (find_by_name_id_prefix)
{
  char *root = tmproot ();
  add_net (root, ID_A, "front", "10.1.0.0/24", false);
  add_net (root, ID_B, "back", "10.2.0.0/24", true);
  kago_error_t err = NULL;
  struct kago_net n;
  CHECK (kago_net_find (root, "front", &n, &err) == 0);
  CHECK_STR (n.id, ID_A);
  CHECK (!n.predefined && !n.internal);
  CHECK (n.labels.n == 1 && strcmp (n.labels.v[0], "team=a") == 0);
  kago_net_clear (&n);
  CHECK (kago_net_find (root, ID_B, &n, &err) == 0);
  CHECK_STR (n.name, "back");
  CHECK (n.internal);
  kago_net_clear (&n);
  CHECK (kago_net_find (root, "aaab", &n, &err) == 0);
  CHECK_STR (n.name, "back");
  kago_net_clear (&n);
  CHECK (kago_net_find (root, "aaa", &n, &err) < 0);
  CHECK_STR (err ? err->msg : NULL, "network aaa is ambiguous (2 matches found based on ID prefix)");
  kago_error_release (&err);
  CHECK (kago_net_find (root, "nope", &n, &err) < 0);
  CHECK_STR (err ? err->msg : NULL, "network nope not found");
  CHECK (kago_net_err_not_found (err));
  kago_error_release (&err);
  rmtmp (root);
}

TEST (lookup_names_aliases_short_ids)
{
  char *root = tmproot ();
  add_net (root, ID_A, "front", "10.1.0.0/24", false);
  add_net (root, ID_B, "back", "10.2.0.0/24", false);
  add_ep (root, ID_A, CTR1, "web", "10.1.0.2", "www");
  add_ep (root, ID_A, CTR2, "db", "10.1.0.3", "store");
  add_ep (root, ID_B, CTR3, "web", "10.2.0.2", NULL);
  uint32_t a[8];
  char buf[KAGO_IPV4_STRLEN];
  const char *front[] = { "front" }, *both[] = { ID_A, "back" }, *back[] = { "back" };
  CHECK (kago_network_lookup (root, front, 1, "db", a, 8) == 1);
  CHECK_STR (kago_ipv4_format (a[0], buf), "10.1.0.3");
  CHECK (kago_network_lookup (root, front, 1, "WWW.", a, 8) == 1);
  CHECK_STR (kago_ipv4_format (a[0], buf), "10.1.0.2");
  CHECK (kago_network_lookup (root, front, 1, "222222222222", a, 8) == 1);
  CHECK_STR (kago_ipv4_format (a[0], buf), "10.1.0.3");
  CHECK (kago_network_lookup (root, front, 1, "22222222222", a, 8) == 0); /* 11 characters */
  CHECK (kago_network_lookup (root, back, 1, "db", a, 8) == 0);         /* another network */
  CHECK (kago_network_lookup (root, both, 2, "web", a, 8) == 2);
  CHECK (kago_network_lookup (root, both, 2, "web", a, 1) == 1);
  const char *dflt[] = { "bridge" };
  CHECK (kago_network_lookup (root, dflt, 1, "web", a, 8) == 0);
  /* The networks a container is on.  */
  char **ids;
  size_t n;
  kago_error_t err = NULL;
  CHECK (kago_network_ctr_networks (root, CTR2, &ids, &n, &err) == 0 && n == 1 && strcmp (ids[0], ID_A) == 0);
  for (size_t i = 0; i < n; i++)
    free (ids[i]);
  free (ids);
  /* Through the DNS server's callback, for CTR1 (on front).  */
  struct kago_network_lookup_ctx lc;
  CHECK (kago_network_lookup_ctx_init (&lc, root, CTR1, &err) == 0 && lc.nnets == 1);
  CHECK (kago_network_lookup_cb ("store", a, 8, &lc) == 1);
  CHECK_STR (kago_ipv4_format (a[0], buf), "10.1.0.3");
  CHECK (kago_network_lookup_cb ("nothing", a, 8, &lc) == 0);
  kago_network_lookup_ctx_clear (&lc);
  /* Detach: gone from the registry.  */
  cleanup_free char *dir = xasprintf ("%s/networks/%s", root, ID_A);
  CHECK (kago_net_endpoint_remove (dir, CTR2, &err) == 1);
  CHECK (kago_net_endpoint_remove (dir, CTR2, &err) == 0);
  CHECK (kago_network_lookup (root, front, 1, "db", a, 8) == 0);
  rmtmp (root);
}

static bool
only_ctr1 (const char *holder, void *arg)
{
  (void) arg;
  return strcmp (holder, CTR1) == 0;
}

TEST (endpoint_stale_cleanup_and_roundtrip)
{
  char *root = tmproot ();
  add_net (root, ID_A, "front", "10.1.0.0/24", false);
  add_ep (root, ID_A, CTR1, "web", "10.1.0.2", "www");
  add_ep (root, ID_A, CTR2, "db", "10.1.0.3", NULL);
  cleanup_free char *dir = xasprintf ("%s/networks/%s", root, ID_A);
  kago_error_t err = NULL;
  CHECK (kago_net_endpoint_remove_stale (dir, only_ctr1, NULL, &err) == 1);
  struct kago_net_endpoint *eps;
  size_t n;
  CHECK (kago_net_endpoint_list (dir, &eps, &n, &err) == 0 && n == 1);
  if (n == 1)
    {
      CHECK_STR (eps[0].name, "web");
      CHECK_STR (eps[0].ifname, "eth0");
      CHECK (eps[0].prefix == 16 && eps[0].aliases.n == 1);
    }
  kago_net_endpoints_free (eps, n);
  rmtmp (root);
}

TEST (rules_builder)
{
  struct kago_nat_net nets[3] = { 0 };
  kago_error_t err = NULL;
  kago_subnet_parse ("172.17.0.0/16", &nets[0].subnet, &err);
  nets[0].ifname = "kago0";
  kago_subnet_parse ("172.18.0.0/16", &nets[1].subnet, &err);
  nets[1].ifname = "br-a";
  kago_subnet_parse ("10.9.0.0/24", &nets[2].subnet, &err);
  nets[2].ifname = "br-i";
  nets[2].internal = true;
  cleanup_free char *r = kago_nat_ruleset (nets, 3);
  CHECK_CONTAINS (r, "flush chain ip kago postrouting\n");
  CHECK_CONTAINS (r, "add chain ip kago isolation\n");
  CHECK_CONTAINS (r, "add rule ip kago forward jump isolation\n");
  CHECK_CONTAINS (r, "postrouting ip saddr 172.17.0.0/16 oifname != \"kago0\" masquerade\n");
  CHECK_CONTAINS (r, "postrouting ip saddr 172.18.0.0/16 oifname != \"br-a\" masquerade\n");
  CHECK (strstr (r, "10.9.0.0/24") == NULL); /* internal: no masquerade */
  CHECK_CONTAINS (r, "isolation iifname \"br-a\" oifname { \"kago0\", \"br-i\" } drop\n");
  CHECK_CONTAINS (r, "forward iifname \"br-i\" oifname != \"br-i\" drop\n");
  CHECK_CONTAINS (r, "forward oifname \"br-i\" iifname != \"br-i\" drop\n");
  CHECK (strstr (r, "iifname \"br-i\" accept") == NULL);
  CHECK (strstr (r, "delete") == NULL); /* other chains of the table stay */
  /* One network: no isolation rule.  */
  cleanup_free char *one = kago_nat_ruleset (nets, 1);
  CHECK (strstr (one, "isolation iifname") == NULL);
}

TEST (bip_and_default_pool)
{
  kago_error_t err = NULL;
  struct kago_ipam_pool p;
  char s[KAGO_CIDR_STRLEN], g[KAGO_IPV4_STRLEN];
  CHECK (kago_net_parse_bip ("192.168.77.129/25", &p, &err) == 0);
  CHECK_STR (kago_subnet_format (&p.subnet, s), "192.168.77.128/25");
  CHECK_STR (kago_ipv4_format (p.gateway, g), "192.168.77.129");
  static const struct
  {
    const char *bip, *msg;
  } bad[] = {
    { "10.9.0.0/24", "invalid --bip \"10.9.0.0/24\": 10.9.0.0 is the network address of 10.9.0.0/24; the bridge "
                     "needs a host address, e.g. 10.9.0.1/24" },
    { "10.9.0.255/24", "invalid --bip \"10.9.0.255/24\": 10.9.0.255 is the broadcast address of 10.9.0.0/24; "
                       "the bridge needs a host address, e.g. 10.9.0.1/24" },
    { "10.9.0.1", "invalid --bip \"10.9.0.1\": give the bridge's address and the prefix length, e.g. "
                  "192.168.5.1/24" },
    { "10.9.0.1/0", "invalid --bip \"10.9.0.1/0\": the prefix length must be 1 to 30" },
    { "10.9.0.1/31", "invalid --bip \"10.9.0.1/31\": the prefix length must be 1 to 30" },
    { "10.9.0.1/+8", "invalid --bip \"10.9.0.1/+8\": the prefix length must be 1 to 30" },
    { "10.9.0.1/", "invalid --bip \"10.9.0.1/\": the prefix length must be 1 to 30" },
    { "10.9.1/24", "invalid --bip \"10.9.1/24\": invalid IPv4 address" },
    { "1234567890123456789/8", "invalid --bip \"1234567890123456789/8\": give the bridge's address and the "
                               "prefix length, e.g. 192.168.5.1/24" },
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      CHECK (kago_net_parse_bip (bad[i].bip, &p, &err) < 0);
      if (err)
        {
          CHECK_CONTAINS (err->msg, bad[i].msg);
          kago_error_release (&err);
        }
    }
  /* A new store: the default network made with the pool asked for; an
     existing record is left as it is.  */
  char *root = tmproot ();
  CHECK (kago_net_parse_bip ("10.123.4.1/24", &p, &err) == 0);
  bool made = false;
  CHECK (kago_net_make_default (root, &p, &made, &err) == 0 && made);
  struct kago_net b;
  CHECK (kago_net_find (root, "bridge", &b, &err) == 0);
  CHECK_STR (kago_subnet_format (&b.pool.subnet, s), "10.123.4.0/24");
  CHECK_STR (kago_ipv4_format (b.pool.gateway, g), "10.123.4.1");
  kago_net_clear (&b);
  CHECK (kago_net_parse_bip ("10.5.0.1/16", &p, &err) == 0);
  CHECK (kago_net_make_default (root, &p, &made, &err) == 0 && !made);
  CHECK (kago_net_find (root, "bridge", &b, &err) == 0);
  CHECK_STR (kago_subnet_format (&b.pool.subnet, s), "10.123.4.0/24");
  kago_net_clear (&b);
  rmtmp (root);
}

int
main (void)
{
  RUN (predefined_and_list);
  RUN (find_by_name_id_prefix);
  RUN (lookup_names_aliases_short_ids);
  RUN (endpoint_stale_cleanup_and_roundtrip);
  RUN (rules_builder);
  RUN (bip_and_default_pool);
  return tap_done ();
}
