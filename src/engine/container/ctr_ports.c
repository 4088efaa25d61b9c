/* A container's published ports (ctr_ports.h).  */
#include "engine/container/ctr_ports.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "engine/container/ctr_network.h"
#include "engine/container/record.h"
#include "engine/network/bridge.h"
#include "engine/network/ipam.h"
#include "engine/network/nat.h"
#include "engine/network/ports.h"

static char *
network_dir (struct kago_engine *e)
{
  return xasprintf ("%s/networks/" KAGO_BRIDGE_NETWORK, e->root);
}

static bool
record_exists (const char *holder, void *arg)
{
  struct kago_engine *e = arg;
  cleanup_free char *p = kago_ctr_path (e, holder, "record.json");
  return access (p, F_OK) == 0 || errno != ENOENT;
}

void
kago_ctr_ports_cleanup (struct kago_engine *e)
{
  cleanup_free char *dir = network_dir (e);
  kago_error_t err = NULL;
  if (kago_ports_unpublish_stale (dir, record_exists, e, &err) < 0)
    kago_error_release (&err);
}

/* What one binding asks for, before a host port is chosen.  */
struct want
{
  struct kago_port_binding b; /* host_port chosen */
  unsigned first, last;       /* the candidates */
  bool random;                /* from ip_local_port_range: start anywhere */
  char *spec;                 /* HostPort as recorded, for messages */
};

struct plan
{
  struct want *w;
  size_t n, cap;
};

static void
plan_free (struct plan *p)
{
  for (size_t i = 0; i < p->n; i++)
    free (p->w[i].spec);
  free (p->w);
  memset (p, 0, sizeof *p);
}

/* "80/tcp" -> port and protocol.  */
static bool
port_key (const char *k, unsigned *port, enum kago_port_proto *proto)
{
  char *end;
  unsigned long v = strtoul (k, &end, 10);
  if (end == k || v == 0 || v > 65535)
    return false;
  int p = *end == '/' ? kago_port_proto_parse (end + 1) : *end == '\0' ? KAGO_PORT_TCP : -1;
  if (p < 0)
    return false;
  *port = (unsigned) v;
  *proto = (enum kago_port_proto) p;
  return true;
}

static int
plan_add (struct plan *p, const char *key, const char *ip, const char *hostport, unsigned lo, unsigned hi,
          kago_error_t *err)
{
  struct want w = { 0 };
  if (!port_key (key, &w.b.ctr_port, &w.b.proto))
    return 0; /* sctp, or not a port: nothing to publish */
  kago_error_t e2 = NULL;
  if (ip && *ip && kago_ipv4_parse (ip, &w.b.host_ip, &e2) < 0)
    {
      kago_error_release (&e2);
      return kago_error_set (err, 0, "invalid IP address: %s", ip);
    }
  if (kago_port_range_parse (hostport, &w.first, &w.last, err) < 0)
    return -1;
  if (w.first == 0 && w.last == 0)
    w.first = lo, w.last = hi, w.random = true;
  else if (w.first == 0)
    w.first = 1;
  w.spec = xstrdup (hostport ? hostport : "");
  if (p->n == p->cap)
    p->w = xrealloc (p->w, (p->cap = p->cap ? 2 * p->cap : 4) * sizeof *p->w);
  p->w[p->n++] = w;
  return 0;
}

static int
plan_make (const json_value *rec, struct plan *p, kago_error_t *err)
{
  unsigned lo, hi;
  if (kago_ports_local_range (&lo, &hi, err) < 0)
    return -1;
  const json_value *pb = json_object_get (json_object_get (rec, "HostConfig"), "PortBindings");
  for (size_t i = 0; pb && pb->type == JSON_OBJECT && i < pb->u.obj.len; i++)
    {
      const json_value *list = pb->u.obj.members[i].value;
      for (size_t j = 0; j < json_array_len (list); j++)
        {
          const json_value *b = json_array_at (list, j);
          if (plan_add (p, pb->u.obj.members[i].key, json_get_string (json_object_get (b, "HostIp")),
                        json_get_string (json_object_get (b, "HostPort")), lo, hi, err)
              < 0)
            return -1;
        }
    }
  if (!kago_rec_bool (rec, "HostConfig", "PublishAllPorts"))
    return 0;
  const json_value *ex = json_object_get (json_object_get (rec, "Config"), "ExposedPorts");
  for (size_t i = 0; ex && ex->type == JSON_OBJECT && i < ex->u.obj.len; i++)
    {
      const char *k = ex->u.obj.members[i].key;
      const json_value *have = pb ? json_object_get (pb, k) : NULL;
      if (json_array_len (have) == 0 && plan_add (p, k, "", "", lo, hi, err) < 0)
        return -1;
    }
  return 0;
}

/* Choose each binding's host port: the first of its candidates whose
   socket binds (from a random place for random ports, as the kernel's
   own choice would be).  */
static int
choose (struct plan *p, struct kago_ctr_ports *held, kago_error_t *err)
{
  held->fds = xcalloc (p->n ? p->n : 1, sizeof *held->fds);
  held->n = 0;
  for (size_t i = 0; i < p->n; i++)
    {
      struct want *w = &p->w[i];
      unsigned span = w->last - w->first + 1, off = 0;
      if (w->random && getrandom (&off, sizeof off, 0) != (ssize_t) sizeof off)
        off = (unsigned) getpid ();
      int fd = -1;
      for (unsigned k = 0; k < span && fd < 0; k++)
        {
          w->b.host_port = w->first + (off + k) % span;
          kago_error_t e2 = NULL;
          fd = kago_ports_reserve (&w->b, &e2);
          if (fd >= 0)
            break;
          if (span == 1 || fd != -2)
            {
              *err = e2;
              return -1;
            }
          kago_error_release (&e2);
        }
      if (fd < 0)
        {
          char ip[KAGO_IPV4_STRLEN];
          kago_ipv4_format (w->b.host_ip, ip);
          if (w->random)
            return kago_error_set (err, 0, "Bind for %s failed: no free host port in %u-%u", ip, w->first,
                                   w->last);
          return kago_error_set (err, 0, "Bind for %s:%s failed: port is already allocated", ip, w->spec);
        }
      held->fds[held->n++] = fd;
    }
  return 0;
}

static void
close_held (struct kago_ctr_ports *held)
{
  for (size_t i = 0; held && i < held->n; i++)
    close (held->fds[i]);
  if (held)
    {
      free (held->fds);
      held->fds = NULL;
      held->n = 0;
    }
}

/* NetworkSettings.Ports: every exposed port, with its bindings or null.  */
static int
set_ports (json_value *rec, void *arg, kago_error_t *err)
{
  (void) err;
  const struct plan *p = arg;
  json_value *ports = json_object_new ();
  const json_value *ex = json_object_get (json_object_get (rec, "Config"), "ExposedPorts");
  for (size_t i = 0; ex && ex->type == JSON_OBJECT && i < ex->u.obj.len; i++)
    json_object_set (ports, ex->u.obj.members[i].key, json_null_new ());
  for (size_t i = 0; i < p->n; i++)
    {
      const struct kago_port_binding *b = &p->w[i].b;
      cleanup_free char *k = xasprintf ("%u/%s", b->ctr_port, kago_port_proto_name (b->proto));
      json_value *list = json_object_get (ports, k);
      if (list == NULL || list->type != JSON_ARRAY)
        {
          list = json_array_new ();
          json_object_set (ports, k, list);
        }
      char ip[KAGO_IPV4_STRLEN], port[8];
      snprintf (port, sizeof port, "%u", b->host_port);
      json_value *o = json_object_new ();
      json_object_set (o, "HostIp", json_string_new (kago_ipv4_format (b->host_ip, ip)));
      json_object_set (o, "HostPort", json_string_new (port));
      json_array_append (list, o);
    }
  json_value *ns = json_object_get (rec, "NetworkSettings");
  if (ns == NULL || ns->type != JSON_OBJECT)
    {
      ns = json_object_new ();
      json_object_set (rec, "NetworkSettings", ns);
    }
  json_object_set (ns, "Ports", ports);
  return 0;
}

int
kago_ctr_ports_attach (struct kago_engine *e, const char *id, struct kago_ctr_ports *held, kago_error_t *err)
{
  memset (held, 0, sizeof *held);
  json_value *rec = kago_ctr_record_load (e, id, err);
  if (rec == NULL)
    return -1;
  const json_value *ex = json_object_get (json_object_get (rec, "Config"), "ExposedPorts");
  const json_value *pb = json_object_get (json_object_get (rec, "HostConfig"), "PortBindings");
  if (json_object_len (ex) == 0 && json_object_len (pb) == 0)
    {
      json_free (rec);
      return 0;
    }
  struct plan p = { 0 };
  cleanup_free char *dir = network_dir (e);
  uint32_t addr = 0;
  char ifname[IF_NAMESIZE];
  int r = plan_make (rec, &p, err);
  /* The first network's address and bridge (the default network's, or a
     user-defined one's).  */
  if (r == 0 && p.n && kago_ctr_net_primary (e, rec, &addr, ifname, err) < 0)
    r = -1;
  if (r == 0 && p.n && addr == 0)
    r = kago_error_set (err, 0, "publish ports: the container has no address");
  json_free (rec);
  if (r == 0 && p.n)
    {
      /* Left by a monitor that died: this container's, and those of
         containers that are gone.  */
      if (kago_ports_unpublish (dir, id, err) < 0)
        kago_error_release (err);
      kago_ctr_ports_cleanup (e);
      r = choose (&p, held, err);
      if (r == 0)
        r = kago_ports_route_localnet (ifname, err);
      if (r == 0)
        {
          struct kago_port_binding *b = xcalloc (p.n, sizeof *b);
          for (size_t i = 0; i < p.n; i++)
            b[i] = p.w[i].b;
          r = kago_ports_publish (dir, id, addr, b, p.n, err);
          if (r < 0 && (*err)->errnum == ENOENT)
            {
              /* A table set up by a kago without published ports (the
                 bridge existed already): add the maps and chains.  */
              kago_error_release (err);
              cleanup_free char *cmds = kago_ports_ruleset (ifname);
              r = kago_nft_run (cmds, err);
              if (r == 0)
                r = kago_ports_publish (dir, id, addr, b, p.n, err);
            }
          free (b);
        }
      if (r < 0)
        close_held (held);
    }
  if (r == 0 && (r = kago_ctr_record_update (e, id, set_ports, &p, err)) < 0)
    kago_ctr_ports_detach (e, id, held);
  plan_free (&p);
  return r;
}

void
kago_ctr_ports_detach (struct kago_engine *e, const char *id, struct kago_ctr_ports *held)
{
  cleanup_free char *dir = network_dir (e);
  kago_error_t err = NULL;
  if (kago_ports_unpublish (dir, id, &err) < 0)
    kago_error_release (&err);
  close_held (held);
}

/* ---- showing them ---- */

/* One entry of docker's port list: a binding, or an exposed port without
   one (ip "").  */
struct shown
{
  unsigned port, hport;
  char proto[8];
  char ip[40];
};

/* docker's order: private port, IP, public port, type.  */
static int
shown_cmp (const void *a, const void *b)
{
  const struct shown *x = a, *y = b;
  if (x->port != y->port)
    return x->port < y->port ? -1 : 1;
  int c = strcmp (x->ip, y->ip);
  if (c)
    return c;
  if (x->hport != y->hport)
    return x->hport < y->hport ? -1 : 1;
  return strcmp (x->proto, y->proto);
}

static struct shown *
collect (const json_value *ports, size_t *n)
{
  struct shown *s = NULL;
  size_t cap = 0;
  *n = 0;
  for (size_t i = 0; ports && ports->type == JSON_OBJECT && i < ports->u.obj.len; i++)
    {
      const char *k = ports->u.obj.members[i].key;
      const json_value *list = ports->u.obj.members[i].value;
      char *end;
      unsigned long port = strtoul (k, &end, 10);
      const char *proto = *end == '/' ? end + 1 : "tcp";
      size_t m = json_array_len (list);
      for (size_t j = 0; j < (m ? m : 1); j++)
        {
          if (*n == cap)
            s = xrealloc (s, (cap = cap ? 2 * cap : 8) * sizeof *s);
          struct shown *x = &s[(*n)++];
          memset (x, 0, sizeof *x);
          x->port = (unsigned) port;
          snprintf (x->proto, sizeof x->proto, "%s", proto);
          if (m)
            {
              const json_value *b = json_array_at (list, j);
              const char *hip = json_get_string (json_object_get (b, "HostIp"));
              const char *hp = json_get_string (json_object_get (b, "HostPort"));
              snprintf (x->ip, sizeof x->ip, "%s", hip && *hip ? hip : "0.0.0.0");
              x->hport = hp ? (unsigned) strtoul (hp, NULL, 10) : 0;
            }
        }
    }
  if (*n)
    qsort (s, *n, sizeof *s, shown_cmp);
  return s;
}

char *
kago_ctr_ports_lines (const json_value *ports, const char *filter)
{
  size_t n;
  struct shown *s = collect (ports, &n);
  unsigned fport = 0;
  char fproto[8] = "tcp";
  if (filter)
    {
      char *end;
      fport = (unsigned) strtoul (filter, &end, 10);
      if (*end == '/')
        snprintf (fproto, sizeof fproto, "%s", end + 1);
    }
  strbuf sb = STRBUF_INIT;
  for (size_t i = 0; i < n; i++)
    {
      if (s[i].ip[0] == '\0')
        continue;
      if (filter && (s[i].port != fport || strcmp (s[i].proto, fproto) != 0))
        continue;
      if (filter)
        strbuf_addf (&sb, "%s:%u\n", s[i].ip, s[i].hport);
      else
        strbuf_addf (&sb, "%u/%s -> %s:%u\n", s[i].port, s[i].proto, s[i].ip, s[i].hport);
    }
  free (s);
  return sb.len ? strbuf_detach (&sb) : (strbuf_release (&sb), NULL);
}

struct group
{
  char ip[40], proto[8];
  unsigned first, last;
};

static void
form_group (strbuf *sb, const struct group *g)
{
  if (sb->len)
    strbuf_adds (sb, ", ");
  char range[16];
  if (g->first == g->last)
    snprintf (range, sizeof range, "%u", g->first);
  else
    snprintf (range, sizeof range, "%u-%u", g->first, g->last);
  if (g->ip[0])
    strbuf_addf (sb, "%s:%s->%s/%s", g->ip, range, range, g->proto);
  else
    strbuf_addf (sb, "%s/%s", range, g->proto);
}

/* docker/cli's DisplayablePorts: ports published on the same number and
   unpublished ones are grouped into ranges per address and protocol (in
   the order the groups began, a group closed early first), the other
   mappings follow one by one.  */
char *
kago_ctr_ports_summary (const json_value *ports)
{
  size_t n;
  struct shown *s = collect (ports, &n);
  struct group *g = xcalloc (n ? n : 1, sizeof *g);
  size_t ng = 0;
  strbuf out = STRBUF_INIT, maps = STRBUF_INIT;
  for (size_t i = 0; i < n; i++)
    {
      if (s[i].ip[0] && s[i].hport != s[i].port)
        {
          if (maps.len)
            strbuf_adds (&maps, ", ");
          strbuf_addf (&maps, "%s:%u->%u/%s", s[i].ip, s[i].hport, s[i].port, s[i].proto);
          continue;
        }
      size_t k = 0;
      while (k < ng && (strcmp (g[k].ip, s[i].ip) || strcmp (g[k].proto, s[i].proto)))
        k++;
      if (k == ng)
        {
          snprintf (g[ng].ip, sizeof g[ng].ip, "%s", s[i].ip);
          snprintf (g[ng].proto, sizeof g[ng].proto, "%s", s[i].proto);
          g[ng].first = g[ng].last = s[i].port;
          ng++;
          continue;
        }
      if (s[i].port == g[k].last + 1)
        {
          g[k].last = s[i].port;
          continue;
        }
      form_group (&out, &g[k]);
      g[k].first = g[k].last = s[i].port;
    }
  for (size_t k = 0; k < ng; k++)
    form_group (&out, &g[k]);
  if (maps.len)
    {
      if (out.len)
        strbuf_adds (&out, ", ");
      strbuf_add (&out, maps.buf, maps.len);
    }
  strbuf_release (&maps);
  free (g);
  free (s);
  return out.len ? strbuf_detach (&out) : (strbuf_release (&out), xstrdup (""));
}
