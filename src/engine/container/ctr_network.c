/* A container on the default network "bridge" (ctr_network.h).  */
#include "engine/container/ctr_network.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "engine/container/record.h"
#include "engine/network/bridge.h"

bool
kago_ctr_net_is_bridge (const json_value *rec)
{
  const char *m = kago_rec_str (rec, "HostConfig", "NetworkMode");
  return m && strcmp (m, KAGO_BRIDGE_NETWORK) == 0;
}

static bool
record_exists (const char *holder, void *arg)
{
  struct kago_engine *e = arg;
  cleanup_free char *p = kago_ctr_path (e, holder, "record.json");
  return access (p, F_OK) == 0 || errno != ENOENT;
}

int
kago_ctr_net_prepare (struct kago_engine *e, char **notice, kago_error_t *err)
{
  struct kago_bridge b;
  int r = kago_bridge_ensure (e->root, &b, notice, record_exists, e, err);
  kago_bridge_clear (&b);
  return r;
}

/* Docker's NetworkSettings.Networks.bridge entry.  */
static json_value *
endpoint_json (const struct kago_bridge *b, const struct kago_endpoint *ep, const char *endpoint_id)
{
  char ip[KAGO_IPV4_STRLEN] = "", gw[KAGO_IPV4_STRLEN] = "", mac[18] = "";
  if (ep)
    {
      kago_ipv4_format (ep->addr, ip);
      kago_ipv4_format (ep->gateway, gw);
      snprintf (mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", ep->mac[0], ep->mac[1], ep->mac[2],
                ep->mac[3], ep->mac[4], ep->mac[5]);
    }
  json_value *n = json_object_new ();
  json_object_set (n, "IPAMConfig", json_null_new ());
  json_object_set (n, "Links", json_null_new ());
  json_object_set (n, "Aliases", json_null_new ());
  json_object_set (n, "MacAddress", json_string_new (mac));
  json_object_set (n, "NetworkID", json_string_new (b ? b->id : ""));
  json_object_set (n, "EndpointID", json_string_new (endpoint_id ? endpoint_id : ""));
  json_object_set (n, "Gateway", json_string_new (gw));
  json_object_set (n, "IPAddress", json_string_new (ip));
  json_object_set (n, "IPPrefixLen", json_int_new (ep ? ep->prefix : 0));
  json_object_set (n, "IPv6Gateway", json_string_new (""));
  json_object_set (n, "GlobalIPv6Address", json_string_new (""));
  json_object_set (n, "GlobalIPv6PrefixLen", json_int_new (0));
  json_object_set (n, "DNSNames", json_null_new ());
  return n;
}

struct settings
{
  const struct kago_bridge *b;
  const struct kago_endpoint *ep;
  const char *sandbox_key;
};

/* NetworkSettings with ARG's endpoint, or with the addresses emptied (the
   network ids stay, as Docker shows a stopped container).  */
static int
set_settings (json_value *rec, void *arg, kago_error_t *err)
{
  (void) err;
  const struct settings *s = arg;
  json_value *ns = json_object_get (rec, "NetworkSettings");
  if (ns == NULL || ns->type != JSON_OBJECT)
    {
      ns = json_object_new ();
      json_object_set (rec, "NetworkSettings", ns);
    }
  json_value *nets = json_object_get (ns, "Networks");
  json_value *old = nets ? json_object_get (nets, KAGO_BRIDGE_NETWORK) : NULL;
  const char *old_net = old ? kago_rec_str (old, "NetworkID", NULL) : NULL;
  char endpoint_id[65] = "";
  if (s->ep)
    {
      /* A new endpoint per connection, as Docker's.  */
      char id[KAGO_CTR_ID_LEN + 1];
      kago_ctr_new_id (id);
      snprintf (endpoint_id, sizeof endpoint_id, "%s", id);
    }
  struct kago_bridge keep = { 0 };
  if (s->b == NULL && old_net)
    snprintf (keep.id, sizeof keep.id, "%s", old_net);
  json_value *entry = endpoint_json (s->b ? s->b : &keep, s->ep, endpoint_id);
  const char *names[] = { "Gateway", "IPAddress", "MacAddress" };
  for (size_t i = 0; i < 3; i++)
    json_object_set (ns, names[i], json_string_new (json_get_string (json_object_get (entry, names[i]))));
  json_object_set (ns, "IPPrefixLen", json_int_new (s->ep ? s->ep->prefix : 0));
  json_object_set (ns, "Bridge", json_string_new (""));
  json_object_set (ns, "SandboxKey", json_string_new (s->sandbox_key ? s->sandbox_key : ""));
  if (s->ep == NULL) /* published ports go with the connection */
    json_object_set (ns, "Ports", json_object_new ());
  nets = json_object_new ();
  json_object_set (nets, KAGO_BRIDGE_NETWORK, entry);
  json_object_set (ns, "Networks", nets);
  return 0;
}

int
kago_ctr_net_attach (struct kago_engine *e, const char *id, pid_t pid, kago_error_t *err)
{
  struct kago_bridge b;
  if (kago_bridge_ensure (e->root, &b, NULL, record_exists, e, err) < 0)
    {
      kago_bridge_clear (&b);
      return -1;
    }
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/ns/net", (int) pid);
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  struct kago_endpoint ep;
  int r = fd < 0 ? kago_error_set (err, errno, "open %s", path) : kago_bridge_attach (&b, id, fd, &ep, err);
  if (r == 0)
    {
      struct settings s = { .b = &b, .ep = &ep, .sandbox_key = path };
      r = kago_ctr_record_update (e, id, set_settings, &s, err);
      if (r < 0)
        kago_ctr_net_detach (e, id, false);
    }
  kago_bridge_clear (&b);
  return r;
}

void
kago_ctr_net_detach (struct kago_engine *e, const char *id, bool record)
{
  kago_error_t err = NULL;
  if (kago_bridge_detach (e->root, id, &err) < 0)
    kago_error_release (&err);
  struct settings s = { 0 };
  if (record && kago_ctr_record_update (e, id, set_settings, &s, &err) < 0)
    kago_error_release (&err);
}
