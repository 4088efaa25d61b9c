/* A container on bridge networks (ctr_network.h).  */
#include "engine/container/ctr_network.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "engine/container/record.h"
#include "engine/network/bridge.h"
#include "engine/network/endpoint.h"
#include "engine/network/netlink.h"
#include "engine/network/store.h"

static json_value *
strv_json (const struct kago_strv *s)
{
  if (s == NULL || s->n == 0)
    return json_null_new ();
  json_value *a = json_array_new ();
  for (size_t i = 0; i < s->n; i++)
    json_array_append (a, json_string_new (s->v[i]));
  return a;
}

json_value *
kago_ctr_net_entry (const char *network_id, const char *ipv4, const struct kago_strv *aliases)
{
  json_value *n = json_object_new ();
  if (ipv4 && *ipv4)
    {
      json_value *ic = json_object_new ();
      json_object_set (ic, "IPv4Address", json_string_new (ipv4));
      json_object_set (n, "IPAMConfig", ic);
    }
  else
    json_object_set (n, "IPAMConfig", json_null_new ());
  json_object_set (n, "Links", json_null_new ());
  json_object_set (n, "Aliases", strv_json (aliases));
  json_object_set (n, "MacAddress", json_string_new (""));
  json_object_set (n, "NetworkID", json_string_new (network_id));
  json_object_set (n, "EndpointID", json_string_new (""));
  json_object_set (n, "Gateway", json_string_new (""));
  json_object_set (n, "IPAddress", json_string_new (""));
  json_object_set (n, "IPPrefixLen", json_int_new (0));
  json_object_set (n, "IPv6Gateway", json_string_new (""));
  json_object_set (n, "GlobalIPv6Address", json_string_new (""));
  json_object_set (n, "GlobalIPv6PrefixLen", json_int_new (0));
  json_object_set (n, "DNSNames", json_null_new ());
  return n;
}

json_value *
kago_ctr_net_take_pending (json_value *host_config)
{
  json_value *p = json_object_get (host_config, KAGO_CTR_NET_PENDING);
  json_value *out = NULL;
  if (p && p->type == JSON_OBJECT)
    {
      cleanup_free char *text = json_to_string (p, false);
      kago_error_t err = NULL;
      out = json_parse (text, strlen (text), &err);
      kago_error_release (&err);
    }
  json_object_del (host_config, KAGO_CTR_NET_PENDING);
  return out ? out : json_object_new ();
}

static json_value *
networks_of (const json_value *rec)
{
  json_value *nets = json_object_get (json_object_get (rec, "NetworkSettings"), "Networks");
  return nets && nets->type == JSON_OBJECT ? nets : NULL;
}

bool
kago_ctr_net_wanted (const json_value *rec)
{
  const char *m = kago_rec_str (rec, "HostConfig", "NetworkMode");
  if (m && strcmp (m, KAGO_NET_DEFAULT) == 0)
    return true;
  const json_value *nets = networks_of (rec);
  return nets && json_object_len (nets) > 0;
}

bool
kago_ctr_net_holder_alive (const char *holder, void *arg)
{
  struct kago_engine *e = arg;
  cleanup_free char *p = kago_ctr_path (e, holder, "record.json");
  return access (p, F_OK) == 0 || errno != ENOENT;
}

/* ---- what the record asks for ---- */

struct want
{
  char *key; /* the Networks key: the network's name */
  struct kago_net net;
  uint32_t ip; /* --ip, or 0 */
  struct kago_strv aliases;
  const char *ip_str; /* connect: --ip as given, for a new entry */
  /* once attached */
  bool attached;
  struct kago_endpoint ep;
  char eid[65];
  char ifname[IF_NAMESIZE];
};

static void
wants_free (struct want *w, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (w[i].key);
      kago_net_clear (&w[i].net);
      kago_net_strv_clear (&w[i].aliases);
    }
  free (w);
}

/* One entry: its network (by NetworkID, else by the key) and options.  */
static int
want_of (struct kago_engine *e, const char *key, const json_value *entry, struct want *w, kago_error_t *err)
{
  memset (w, 0, sizeof *w);
  w->key = xstrdup (key);
  const char *nid = entry ? kago_rec_str (entry, "NetworkID", NULL) : NULL;
  if (kago_net_find (e->root, nid && *nid ? nid : key, &w->net, err) < 0)
    {
      if (kago_net_err_not_found (*err))
        {
          kago_error_release (err);
          return kago_error_set (err, 0, "network %s not found", key);
        }
      return -1;
    }
  if (!kago_net_is_bridge (&w->net))
    return kago_error_set (err, 0, "network %s: not a bridge network", key);
  const char *ip = entry ? kago_rec_str (entry, "IPAMConfig", "IPv4Address") : NULL;
  if (ip && *ip && kago_ipv4_parse (ip, &w->ip, err) < 0)
    return -1;
  const json_value *al = entry ? json_object_get (entry, "Aliases") : NULL;
  for (size_t i = 0; al && al->type == JSON_ARRAY && i < json_array_len (al); i++)
    {
      const char *s = json_get_string (json_array_at (al, i));
      if (s)
        kago_net_strv_push (&w->aliases, s);
    }
  return 0;
}

static int
wants_of (struct kago_engine *e, const json_value *rec, struct want **out, size_t *nout, kago_error_t *err)
{
  *out = NULL;
  *nout = 0;
  const json_value *nets = networks_of (rec);
  size_t n = nets ? json_object_len (nets) : 0;
  struct want *w = xcalloc (n + 1, sizeof *w);
  size_t k = 0;
  for (size_t i = 0; i < n; i++, k++)
    if (want_of (e, nets->u.obj.members[i].key, nets->u.obj.members[i].value, &w[k], err) < 0)
      {
        wants_free (w, k + 1);
        return -1;
      }
  const char *m = kago_rec_str (rec, "HostConfig", "NetworkMode");
  if (k == 0 && m && strcmp (m, KAGO_NET_DEFAULT) == 0)
    {
      if (want_of (e, KAGO_NET_DEFAULT, NULL, &w[0], err) < 0)
        {
          wants_free (w, 1);
          return -1;
        }
      k = 1;
    }
  *out = w;
  *nout = k;
  return 0;
}

int
kago_ctr_net_prepare (struct kago_engine *e, const char *id, char **notice, kago_error_t *err)
{
  if (notice)
    *notice = NULL;
  json_value *rec = kago_ctr_record_load (e, id, err);
  if (rec == NULL)
    return -1;
  struct want *w;
  size_t n;
  int r = wants_of (e, rec, &w, &n, err);
  json_free (rec);
  for (size_t i = 0; r == 0 && i < n; i++)
    {
      char *msg = NULL;
      r = kago_bridge_ensure (e->root, &w[i].net, false, notice && *notice == NULL ? &msg : NULL, kago_ctr_net_holder_alive, e,
                              err);
      if (msg)
        *notice = msg;
    }
  wants_free (w, n);
  return r;
}

/* ---- NetworkSettings ---- */

static void
fill_entry (json_value *entry, const struct want *w, const char *ctr_name, const char *id)
{
  char ip[KAGO_IPV4_STRLEN] = "", gw[KAGO_IPV4_STRLEN] = "", mac[18] = "";
  const struct kago_endpoint *ep = w && w->attached ? &w->ep : NULL;
  if (ep)
    {
      kago_ipv4_format (ep->addr, ip);
      kago_ipv4_format (ep->gateway, gw);
      snprintf (mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", ep->mac[0], ep->mac[1], ep->mac[2], ep->mac[3],
                ep->mac[4], ep->mac[5]);
    }
  if (w)
    json_object_set (entry, "NetworkID", json_string_new (w->net.id));
  json_object_set (entry, "MacAddress", json_string_new (mac));
  json_object_set (entry, "EndpointID", json_string_new (ep ? w->eid : ""));
  json_object_set (entry, "Gateway", json_string_new (gw));
  json_object_set (entry, "IPAddress", json_string_new (ip));
  json_object_set (entry, "IPPrefixLen", json_int_new (ep ? ep->prefix : 0));
  if (ep && !w->net.predefined)
    {
      /* Docker's: the name, the aliases and the short id.  */
      json_value *dn = json_array_new ();
      json_array_append (dn, json_string_new (ctr_name));
      for (size_t i = 0; i < w->aliases.n; i++)
        json_array_append (dn, json_string_new (w->aliases.v[i]));
      json_array_append (dn, json_string_newn (id, KAGO_CTR_SHORT_ID_LEN));
      json_object_set (entry, "DNSNames", dn);
    }
}

/* The top-level addresses: the default network's, as Docker shows them.  */
static void
fill_top (json_value *ns)
{
  json_value *nets = json_object_get (ns, "Networks");
  json_value *b = nets ? json_object_get (nets, KAGO_NET_DEFAULT) : NULL;
  const char *names[] = { "Gateway", "IPAddress", "MacAddress" };
  for (size_t i = 0; i < 3; i++)
    {
      const char *v = b ? json_get_string (json_object_get (b, names[i])) : NULL;
      json_object_set (ns, names[i], json_string_new (v ? v : ""));
    }
  json_object_set (ns, "IPPrefixLen", json_int_new (b ? kago_rec_int (b, "IPPrefixLen", NULL, 0) : 0));
}

struct settings
{
  struct want *w; /* attached endpoints to record, or NULL: empty every entry */
  size_t n;
  const char *sandbox_key;
  const char *id;
  const char *remove_key; /* disconnect: drop this entry */
};

static json_value *
settings_of (json_value *rec)
{
  json_value *ns = json_object_get (rec, "NetworkSettings");
  if (ns == NULL || ns->type != JSON_OBJECT)
    {
      ns = json_object_new ();
      json_object_set (rec, "NetworkSettings", ns);
    }
  json_value *nets = json_object_get (ns, "Networks");
  if (nets == NULL || nets->type != JSON_OBJECT)
    json_object_set (ns, "Networks", json_object_new ());
  return ns;
}

static int
set_settings (json_value *rec, void *arg, kago_error_t *err)
{
  (void) err;
  const struct settings *s = arg;
  json_value *ns = settings_of (rec);
  json_value *nets = json_object_get (ns, "Networks");
  const char *rname = kago_rec_str (rec, "Name", NULL);
  const char *cname = rname ? rname + (*rname == '/') : "";
  if (s->remove_key)
    json_object_del (nets, s->remove_key);
  else if (s->w == NULL)
    for (size_t i = 0; i < json_object_len (nets); i++)
      fill_entry (nets->u.obj.members[i].value, NULL, cname, s->id);
  for (size_t i = 0; i < s->n; i++)
    {
      json_value *entry = json_object_get (nets, s->w[i].key);
      if (entry == NULL || entry->type != JSON_OBJECT)
        {
          entry = kago_ctr_net_entry (s->w[i].net.id, s->w[i].ip_str, &s->w[i].aliases);
          json_object_set (nets, s->w[i].key, entry);
        }
      fill_entry (entry, &s->w[i], cname, s->id);
    }
  fill_top (ns);
  json_object_set (ns, "Bridge", json_string_new (""));
  if (s->sandbox_key)
    json_object_set (ns, "SandboxKey", json_string_new (s->sandbox_key));
  else if (s->w == NULL && s->remove_key == NULL)
    {
      json_object_set (ns, "SandboxKey", json_string_new (""));
      /* published ports go with the connection */
      json_object_set (ns, "Ports", json_object_new ());
    }
  return 0;
}

/* ---- endpoints ---- */

static int
attach_one (struct kago_engine *e, const char *id, const char *ctr_name, int netns_fd, struct want *w,
            kago_error_t *err)
{
  if (kago_bridge_ensure (e->root, &w->net, false, NULL, kago_ctr_net_holder_alive, e, err) < 0)
    return -1;
  if (kago_bridge_attach (&w->net, id, netns_fd, w->ifname, w->ip, &w->ep, err) < 0)
    return -1;
  char eid[KAGO_CTR_ID_LEN + 1];
  kago_ctr_new_id (eid); /* a new endpoint per connection, as Docker's */
  snprintf (w->eid, sizeof w->eid, "%s", eid);
  struct kago_net_endpoint nep = { .name = (char *) ctr_name, .addr = w->ep.addr, .prefix = w->ep.prefix,
                                   .aliases = w->aliases };
  snprintf (nep.ctr, sizeof nep.ctr, "%s", id);
  snprintf (nep.eid, sizeof nep.eid, "%s", w->eid);
  snprintf (nep.ifname, sizeof nep.ifname, "%s", w->ifname);
  memcpy (nep.mac, w->ep.mac, sizeof nep.mac);
  if (kago_net_endpoint_save (w->net.dir, &nep, err) < 0)
    {
      kago_error_t e2 = NULL;
      if (kago_bridge_detach (&w->net, id, 0, &e2) < 0)
        kago_error_release (&e2);
      return kago_error_wrap (err, "network %s", w->net.name);
    }
  w->attached = true;
  return 0;
}

static void
detach_one (const struct kago_net *n, const char *id, int wait_ms)
{
  kago_error_t err = NULL;
  if (kago_net_endpoint_remove (n->dir, id, &err) < 0)
    kago_error_release (&err);
  if (kago_bridge_detach (n, id, wait_ms, &err) < 0)
    kago_error_release (&err);
}

/* The container's /etc/hosts (R/containers/ID/hosts, bind-mounted: written
   in place) gets "ADDR\tHOSTNAME" for each address, as Docker's; such lines
   of an earlier run (an address in one of these networks) are replaced.  */
static void
hosts_add (struct kago_engine *e, const char *id, const char *hostname, const struct want *w, size_t n)
{
  if (hostname == NULL || *hostname == '\0')
    return;
  cleanup_free char *path = kago_ctr_path (e, id, "hosts"), *buf = NULL;
  size_t len;
  kago_error_t err = NULL;
  if (read_file (path, &buf, &len, &err) < 0)
    {
      /* --network container:X shares X's files; none written: nothing.  */
      kago_error_release (&err);
      return;
    }
  strbuf sb = STRBUF_INIT;
  char *save = NULL;
  for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *tab = strchr (line, '\t');
      bool ours = false;
      if (tab && strcmp (tab + 1, hostname) == 0)
        {
          *tab = '\0';
          uint32_t a;
          kago_error_t e2 = NULL;
          if (kago_ipv4_parse (line, &a, &e2) == 0)
            for (size_t i = 0; i < n && !ours; i++)
              ours = kago_subnet_contains (&w[i].net.pool.subnet, a);
          kago_error_release (&e2);
          *tab = '\t';
        }
      if (!ours)
        strbuf_addf (&sb, "%s\n", line);
    }
  for (size_t i = 0; i < n; i++)
    if (w[i].attached)
      {
        char ip[KAGO_IPV4_STRLEN];
        kago_ipv4_format (w[i].ep.addr, ip);
        strbuf_addf (&sb, "%s\t%s\n", ip, hostname);
      }
  /* A failed write leaves the container what it had: not worth failing a
     start for.  */
  cleanup_close int fd = open (path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0)
    (void) write_all (fd, sb.buf, sb.len);
  strbuf_release (&sb);
}

static const char *
rec_name (const json_value *rec)
{
  const char *n = kago_rec_str (rec, "Name", NULL);
  return n ? n + (*n == '/') : "";
}

int
kago_ctr_net_attach (struct kago_engine *e, const char *id, pid_t pid, kago_error_t *err)
{
  json_value *rec = kago_ctr_record_load (e, id, err);
  if (rec == NULL)
    return -1;
  struct want *w;
  size_t n;
  if (wants_of (e, rec, &w, &n, err) < 0)
    {
      json_free (rec);
      return -1;
    }
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/ns/net", (int) pid);
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  int r = fd < 0 ? kago_error_set (err, errno, "open %s", path) : 0;
  for (size_t i = 0; r == 0 && i < n; i++)
    {
      snprintf (w[i].ifname, sizeof w[i].ifname, "eth%u", (unsigned) (i % 1000));
      r = attach_one (e, id, rec_name (rec), fd, &w[i], err);
    }
  if (r == 0)
    {
      struct settings s = { .w = w, .n = n, .sandbox_key = path, .id = id };
      r = kago_ctr_record_update (e, id, set_settings, &s, err);
    }
  if (r == 0)
    hosts_add (e, id, kago_rec_str (rec, "Config", "Hostname"), w, n);
  if (r < 0)
    for (size_t i = 0; i < n; i++)
      if (w[i].attached)
        detach_one (&w[i].net, id, 0);
  wants_free (w, n);
  json_free (rec);
  return r;
}

void
kago_ctr_net_detach (struct kago_engine *e, const char *id, bool record, int wait_ms)
{
  kago_error_t err = NULL;
  struct kago_net *v;
  size_t n;
  if (kago_net_list (e->root, &v, &n, &err) < 0)
    kago_error_release (&err);
  else
    {
      for (size_t i = 0; i < n; i++)
        if (kago_net_is_bridge (&v[i]))
          detach_one (&v[i], id, wait_ms);
      kago_nets_free (v, n);
    }
  struct settings s = { .id = id };
  if (record && kago_ctr_record_update (e, id, set_settings, &s, &err) < 0)
    kago_error_release (&err);
}

void
kago_ctr_net_veths_gone (struct kago_engine *e, const char *id, int wait_ms)
{
  kago_error_t err = NULL;
  struct kago_net *v;
  size_t n;
  if (kago_net_list (e->root, &v, &n, &err) < 0)
    {
      kago_error_release (&err);
      return;
    }
  for (size_t i = 0; i < n; i++)
    if (kago_net_is_bridge (&v[i]) && kago_bridge_veth_gone (&v[i], id, wait_ms, &err) < 0)
      kago_error_release (&err);
  kago_nets_free (v, n);
}

bool
kago_ctr_net_has_endpoints (struct kago_engine *e, const char *id)
{
  cleanup_free char *dir = xasprintf ("%s/networks", e->root);
  cleanup_dir DIR *d = opendir (dir);
  if (d == NULL)
    return false;
  struct dirent *de;
  while ((de = readdir (d)))
    if (de->d_name[0] != '.')
      {
        cleanup_free char *p = xasprintf ("%s/%s/endpoints/%s", dir, de->d_name, id);
        if (access (p, F_OK) == 0)
          return true;
      }
  return false;
}

int
kago_ctr_net_primary (struct kago_engine *e, const json_value *rec, uint32_t *addr, char ifname[IF_NAMESIZE],
                      kago_error_t *err)
{
  *addr = 0;
  ifname[0] = '\0';
  const json_value *nets = networks_of (rec);
  for (size_t i = 0; nets && i < json_object_len (nets); i++)
    {
      const json_value *entry = nets->u.obj.members[i].value;
      const char *ip = kago_rec_str (entry, "IPAddress", NULL);
      if (ip == NULL || *ip == '\0')
        continue;
      const char *nid = kago_rec_str (entry, "NetworkID", NULL);
      struct kago_net n;
      if (kago_ipv4_parse (ip, addr, err) < 0
          || kago_net_find (e->root, nid && *nid ? nid : nets->u.obj.members[i].key, &n, err) < 0)
        return -1;
      snprintf (ifname, IF_NAMESIZE, "%s", n.ifname);
      kago_net_clear (&n);
      return 0;
    }
  return 0;
}

/* ---- connect, disconnect ---- */

static int
mode_check (const json_value *rec, const struct kago_net *n)
{
  (void) n;
  const char *m = kago_rec_str (rec, "HostConfig", "NetworkMode");
  if (m == NULL)
    return 0;
  if (strcmp (m, "host") == 0)
    return 1;
  if (strncmp (m, "container:", 10) == 0)
    return 2;
  if (strcmp (m, "none") == 0)
    return 3;
  return 0;
}

static const char *const mode_errors[] = {
  NULL,
  "container cannot be disconnected from host network or connected to host network",
  "container sharing network namespace with another container or host cannot be connected to any other network",
  "container cannot be connected to multiple networks with one of the networks in private (none) mode",
};

int
kago_ctr_net_connect (struct kago_engine *e, const char *net_ref, const char *ctr_ref, const char *ip,
                      const struct kago_strv *aliases, kago_error_t *err)
{
  struct kago_ctr_info ci;
  if (kago_ctr_get (e, ctr_ref, &ci, err) < 0)
    return -1;
  struct want w = { 0 };
  int r = kago_net_find (e->root, net_ref, &w.net, err);
  int mode = r == 0 ? mode_check (ci.record, &w.net) : 0;
  if (r == 0 && strcmp (w.net.driver, "host") == 0)
    mode = 1;
  else if (r == 0 && strcmp (w.net.driver, "null") == 0)
    mode = 3;
  if (r == 0 && mode)
    r = kago_error_set (err, 0, "%s", mode_errors[mode]);
  const json_value *nets = networks_of (ci.record);
  if (r == 0 && nets && json_object_get (nets, w.net.name))
    r = kago_error_set (err, 0, "endpoint with name %s already exists in network %s", ci.name, w.net.name);
  if (r == 0 && ip && w.net.predefined)
    r = kago_error_set (err, 0, "user specified IP address is supported on user defined networks only");
  if (r == 0 && aliases && aliases->n && w.net.predefined)
    r = kago_error_set (err, 0, "network-scoped alias is supported only for containers in user defined networks");
  if (r == 0 && ip)
    {
      if (kago_ipv4_parse (ip, &w.ip, err) < 0)
        r = -1;
      else if (!kago_subnet_contains (&w.net.pool.subnet, w.ip))
        r = kago_error_set (err, 0, "Invalid address %s: It does not belong to any of this network's subnets",
                            ip);
    }
  w.key = r == 0 ? xstrdup (w.net.name) : NULL;
  for (size_t i = 0; r == 0 && aliases && i < aliases->n; i++)
    kago_net_strv_push (&w.aliases, aliases->v[i]);
  bool live = ci.pid > 0 && (ci.status == KAGO_CTR_RUNNING || ci.status == KAGO_CTR_PAUSED);
  if (r == 0 && live)
    {
      /* The next free ethN among the container's interfaces on kago's
         networks.  */
      struct kago_net *v = NULL;
      size_t nv = 0;
      r = kago_net_list (e->root, &v, &nv, err);
      unsigned long used = 0;
      for (size_t i = 0; r == 0 && i < nv; i++)
        {
          struct kago_net_endpoint ep;
          bool found;
          if (kago_net_endpoint_load (v[i].dir, ci.id, &ep, &found, err) < 0)
            r = -1;
          else if (found && strncmp (ep.ifname, "eth", 3) == 0 && atoi (ep.ifname + 3) < 64)
            used |= 1ul << atoi (ep.ifname + 3);
          kago_net_endpoint_clear (&ep);
        }
      if (v)
        kago_nets_free (v, nv);
      unsigned k = 0;
      while (used & (1ul << k))
        k++;
      snprintf (w.ifname, sizeof w.ifname, "eth%u", k);
      char path[64];
      snprintf (path, sizeof path, "/proc/%d/ns/net", (int) ci.pid);
      cleanup_close int fd = r == 0 ? open (path, O_RDONLY | O_CLOEXEC) : -1;
      if (r == 0 && fd < 0)
        r = kago_error_set (err, errno, "open %s", path);
      if (r == 0)
        r = attach_one (e, ci.id, ci.name, fd, &w, err);
    }
  if (r == 0)
    {
      /* The entry with the options and (when live) its addresses.  */
      w.ip_str = ip;
      struct settings s = { .w = &w, .n = 1, .id = ci.id };
      r = kago_ctr_record_update (e, ci.id, set_settings, &s, err);
      if (r < 0 && w.attached)
        detach_one (&w.net, ci.id, 0);
    }
  free (w.key);
  kago_net_clear (&w.net);
  kago_net_strv_clear (&w.aliases);
  kago_ctr_info_free (&ci);
  return r;
}

/* After a running container left a network: a default route via another
   network that is not internal, when the one that went had it (Docker
   picks the next gateway).  */
static void
default_route_again (struct kago_engine *e, const struct kago_ctr_info *ci)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/ns/net", (int) ci->pid);
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  kago_error_t err = NULL;
  struct kago_net *v;
  size_t n;
  if (fd < 0 || kago_net_list (e->root, &v, &n, &err) < 0)
    {
      kago_error_release (&err);
      return;
    }
  struct kago_nl *nl = NULL;
  bool done = false;
  for (size_t i = 0; i < n && !done; i++)
    {
      struct kago_net_endpoint ep;
      bool found = false;
      if (!kago_net_is_bridge (&v[i]) || v[i].internal
          || kago_net_endpoint_load (v[i].dir, ci->id, &ep, &found, &err) < 0 || !found)
        {
          kago_error_release (&err);
          continue;
        }
      if (nl == NULL && (nl = kago_nl_open_netns (fd, &err)) == NULL)
        {
          kago_error_release (&err);
          kago_net_endpoint_clear (&ep);
          break;
        }
      struct in_addr gw = { .s_addr = htonl (v[i].pool.gateway) };
      done = kago_nl_route_add_default_v4 (nl, gw, ep.ifname, &err) == 0 || err->errnum == EEXIST;
      kago_error_release (&err);
      kago_net_endpoint_clear (&ep);
    }
  if (nl)
    kago_nl_close (nl);
  kago_nets_free (v, n);
}

int
kago_ctr_net_disconnect (struct kago_engine *e, const char *net_ref, const char *ctr_ref, bool force,
                         kago_error_t *err)
{
  struct kago_ctr_info ci;
  if (kago_ctr_get (e, ctr_ref, &ci, err) < 0)
    return -1;
  struct kago_net n;
  cleanup_free char *key = NULL;
  int r = kago_net_find (e->root, net_ref, &n, err);
  if (r == 0)
    key = xstrdup (n.name);
  else if (force && kago_net_err_not_found (*err))
    {
      /* The network is gone: drop what the record says by name.  */
      kago_error_release (err);
      key = xstrdup (net_ref);
      r = 0;
    }
  const json_value *nets = networks_of (ci.record);
  if (r == 0 && n.id[0] && strcmp (n.driver, "host") == 0)
    r = kago_error_set (err, 0, "%s", mode_errors[1]);
  if (r == 0 && (nets == NULL || json_object_get (nets, key) == NULL))
    r = kago_error_set (err, 0, "container %s is not connected to network %s", ci.id, net_ref);
  if (r == 0 && n.id[0] && kago_net_is_bridge (&n))
    {
      detach_one (&n, ci.id, 0);
      if (ci.pid > 0 && (ci.status == KAGO_CTR_RUNNING || ci.status == KAGO_CTR_PAUSED))
        default_route_again (e, &ci);
    }
  if (r == 0)
    {
      struct settings s = { .id = ci.id, .remove_key = key };
      r = kago_ctr_record_update (e, ci.id, set_settings, &s, err);
    }
  kago_net_clear (&n);
  kago_ctr_info_free (&ci);
  return r;
}
