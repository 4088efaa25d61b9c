/* kago network create|ls|inspect|rm|prune|connect|disconnect (Docker's
   `docker network`).  Errors exit 1, as docker's.  */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/engine/engine.h"
#include "common/cleanup.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "engine/container/container.h"
#include "engine/container/ctr_network.h"
#include "engine/container/record.h"
#include "engine/network/endpoint.h"
#include "engine/network/manage.h"
#include "engine/network/store.h"

static json_value *
kv_object (const struct kago_strv *s)
{
  json_value *o = json_object_new ();
  for (size_t i = 0; i < s->n; i++)
    {
      const char *eq = strchr (s->v[i], '=');
      cleanup_free char *k = eq ? xstrndup (s->v[i], (size_t) (eq - s->v[i])) : xstrdup (s->v[i]);
      json_object_set (o, k, json_string_new (eq ? eq + 1 : ""));
    }
  return o;
}

/* Docker's NetworkResource.  */
static json_value *
network_json (struct kago_engine *e, const struct kago_net *n)
{
  json_value *o = json_object_new ();
  json_object_set (o, "Name", json_string_new (n->name));
  json_object_set (o, "Id", json_string_new (n->id));
  json_object_set (o, "Created", json_string_new (n->created));
  json_object_set (o, "Scope", json_string_new ("local"));
  json_object_set (o, "Driver", json_string_new (n->driver));
  json_object_set (o, "EnableIPv6", json_bool_new (false));
  json_value *ipam = json_object_new (), *cfg = json_array_new ();
  json_object_set (ipam, "Driver", json_string_new ("default"));
  json_object_set (ipam, "Options", json_object_new ());
  if (kago_net_is_bridge (n))
    {
      char cidr[KAGO_CIDR_STRLEN], gw[KAGO_IPV4_STRLEN];
      json_value *c = json_object_new ();
      json_object_set (c, "Subnet", json_string_new (kago_subnet_format (&n->pool.subnet, cidr)));
      json_object_set (c, "Gateway", json_string_new (kago_ipv4_format (n->pool.gateway, gw)));
      json_array_append (cfg, c);
    }
  json_object_set (ipam, "Config", cfg);
  json_object_set (o, "IPAM", ipam);
  json_object_set (o, "Internal", json_bool_new (n->internal));
  json_object_set (o, "Attachable", json_bool_new (false));
  json_object_set (o, "Ingress", json_bool_new (false));
  json_value *cf = json_object_new ();
  json_object_set (cf, "Network", json_string_new (""));
  json_object_set (o, "ConfigFrom", cf);
  json_object_set (o, "ConfigOnly", json_bool_new (false));
  json_value *ctrs = json_object_new ();
  struct kago_net_endpoint *eps = NULL;
  size_t ne = 0;
  kago_error_t err = NULL;
  if (kago_net_is_bridge (n) && kago_net_endpoint_list (n->dir, &eps, &ne, &err) < 0)
    kago_error_release (&err);
  for (size_t i = 0; i < ne; i++)
    {
      if (!kago_ctr_net_holder_alive (eps[i].ctr, e))
        continue;
      char a[KAGO_IPV4_STRLEN], mac[18];
      json_value *c = json_object_new ();
      json_object_set (c, "Name", json_string_new (eps[i].name));
      json_object_set (c, "EndpointID", json_string_new (eps[i].eid));
      snprintf (mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", eps[i].mac[0], eps[i].mac[1], eps[i].mac[2],
                eps[i].mac[3], eps[i].mac[4], eps[i].mac[5]);
      json_object_set (c, "MacAddress", json_string_new (mac));
      cleanup_free char *cidr = xasprintf ("%s/%u", kago_ipv4_format (eps[i].addr, a), eps[i].prefix);
      json_object_set (c, "IPv4Address", json_string_new (cidr));
      json_object_set (c, "IPv6Address", json_string_new (""));
      json_object_set (ctrs, eps[i].ctr, c);
    }
  kago_net_endpoints_free (eps, ne);
  json_object_set (o, "Containers", ctrs);
  json_value *opts;
  if (n->predefined && kago_net_is_bridge (n))
    {
      opts = json_object_new ();
      json_object_set (opts, "com.docker.network.bridge.default_bridge", json_string_new ("true"));
      json_object_set (opts, "com.docker.network.bridge.enable_icc", json_string_new ("true"));
      json_object_set (opts, "com.docker.network.bridge.enable_ip_masquerade", json_string_new ("true"));
      json_object_set (opts, "com.docker.network.bridge.host_binding_ipv4", json_string_new ("0.0.0.0"));
      json_object_set (opts, "com.docker.network.bridge.name", json_string_new (n->ifname));
      cleanup_free char *mtu = xasprintf ("%u", n->mtu);
      json_object_set (opts, "com.docker.network.driver.mtu", json_string_new (mtu));
    }
  else
    opts = kv_object (&n->options);
  json_object_set (o, "Options", opts);
  json_object_set (o, "Labels", kv_object (&n->labels));
  return o;
}

static int
open_engine (struct kago_engine_ctx *ctx, struct kago_engine *e)
{
  kago_error_t err = NULL;
  if (kago_cli_open_engine (ctx, e, &err) < 0)
    return kago_cli_fail (&err);
  return 0;
}

/* ---- create ---- */

static int
cmd_create (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "driver", required_argument, NULL, 'd' }, { "subnet", required_argument, NULL, 's' },
    { "gateway", required_argument, NULL, 'g' }, { "internal", no_argument, NULL, 'i' },
    { "label", required_argument, NULL, 'l' },  { "opt", required_argument, NULL, 'o' },
    { "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
  };
  struct kago_net_create_opts o = { 0 };
  struct kago_strv labels = { 0 }, options = { 0 };
  int c, ret = 1;
  optind = 0;
  while ((c = getopt_long (argc, argv, "d:o:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'd':
        o.driver = optarg;
        break;
      case 's':
        if (o.subnet)
          {
            ret = kago_cli_usage_error ("network create", "only one --subnet is supported");
            goto out;
          }
        o.subnet = optarg;
        break;
      case 'g':
        o.gateway = optarg;
        break;
      case 'i':
        o.internal = true;
        break;
      case 'l':
        kago_net_strv_push (&labels, optarg);
        break;
      case 'o':
        kago_net_strv_push (&options, optarg);
        break;
      case 'h':
        fputs ("Usage:  kago network create [OPTIONS] NETWORK\n\nCreate a network\n\nOptions:\n"
               "  -d, --driver string        Driver to manage the Network (default \"bridge\")\n"
               "      --gateway string       IPv4 Gateway for the master subnet\n"
               "      --internal             Restrict external access to the network\n"
               "      --label list           Set metadata on a network\n"
               "  -o, --opt map              Set driver specific options\n"
               "      --subnet string        Subnet in CIDR format that represents a network segment\n",
               stdout);
        ret = 0;
        goto out;
      default:
        ret = kago_cli_usage_error ("network create", "unknown flag");
        goto out;
      }
  if (optind + 1 != argc)
    {
      ret = kago_cli_usage_error ("network create", "\"network create\" requires exactly 1 argument.");
      goto out;
    }
  o.name = argv[optind];
  o.labels = &labels;
  o.options = &options;
  kago_error_t err = NULL;
  struct kago_net n;
  cleanup_free char *notice = NULL;
  if (kago_network_create (ctx->root, &o, &n, &notice, &err) < 0)
    {
      ret = kago_cli_fail (&err);
      goto out;
    }
  if (notice)
    fprintf (stderr, "kago: %s\n", notice);
  printf ("%s\n", n.id);
  kago_net_clear (&n);
  ret = 0;
out:
  kago_net_strv_clear (&labels);
  kago_net_strv_clear (&options);
  return ret;
}

/* ---- ls ---- */

static bool
filter_match (const struct kago_net *n, const struct kago_strv *filters)
{
  /* Values of one key are alternatives; different keys must all match.  */
  static const char *const keys[] = { "name", "id", "driver", "label", "type" };
  for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
    {
      bool any = false, hit = false;
      size_t kl = strlen (keys[k]);
      for (size_t i = 0; i < filters->n; i++)
        {
          const char *f = filters->v[i];
          if (strncmp (f, keys[k], kl) != 0 || f[kl] != '=')
            continue;
          const char *v = f + kl + 1;
          any = true;
          if (k == 0)
            hit |= strstr (n->name, v) != NULL;
          else if (k == 1)
            hit |= strncmp (n->id, v, strlen (v)) == 0;
          else if (k == 2)
            hit |= strcmp (n->driver, v) == 0;
          else if (k == 3)
            for (size_t l = 0; l < n->labels.n; l++)
              {
                const char *lab = n->labels.v[l];
                size_t vl = strlen (v);
                hit |= strchr (v, '=') ? strcmp (lab, v) == 0 : strncmp (lab, v, vl) == 0 && lab[vl] == '=';
              }
          else
            hit |= (strcmp (v, "builtin") == 0 && n->predefined) || (strcmp (v, "custom") == 0 && !n->predefined);
        }
      if (any && !hit)
        return false;
    }
  return true;
}

static int
check_filters (const struct kago_strv *filters)
{
  for (size_t i = 0; i < filters->n; i++)
    {
      const char *f = filters->v[i];
      const char *eq = strchr (f, '=');
      size_t kl = eq ? (size_t) (eq - f) : strlen (f);
      static const char *const keys[] = { "name", "id", "driver", "label", "type" };
      bool ok = false;
      for (size_t k = 0; k < 5; k++)
        ok |= strlen (keys[k]) == kl && strncmp (f, keys[k], kl) == 0;
      if (!eq)
        {
          fprintf (stderr, "kago: bad format of filter (expected name=value)\n");
          return 1;
        }
      if (!ok)
        {
          fprintf (stderr, "kago: invalid filter '%.*s'\n", (int) kl, f);
          return 1;
        }
    }
  return 0;
}

static int
cmd_ls (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "quiet", no_argument, NULL, 'q' },          { "no-trunc", no_argument, NULL, 'n' },
    { "filter", required_argument, NULL, 'f' },   { "format", required_argument, NULL, 'F' },
    { "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
  };
  bool quiet = false, no_trunc = false;
  const char *format = NULL;
  struct kago_strv filters = { 0 };
  int c, ret = 1;
  optind = 0;
  while ((c = getopt_long (argc, argv, "qf:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'q':
        quiet = true;
        break;
      case 'n':
        no_trunc = true;
        break;
      case 'f':
        kago_net_strv_push (&filters, optarg);
        break;
      case 'F':
        format = optarg;
        break;
      case 'h':
        fputs ("Usage:  kago network ls [OPTIONS]\n\nList networks\n\nAliases:\n  ls, list\n\nOptions:\n"
               "  -f, --filter filter   Provide filter values (e.g. \"driver=bridge\")\n"
               "      --format string   Format output using a custom template, or json\n"
               "      --no-trunc        Do not truncate the output\n"
               "  -q, --quiet           Only display network IDs\n",
               stdout);
        ret = 0;
        goto out;
      default:
        ret = kago_cli_usage_error ("network ls", "unknown flag");
        goto out;
      }
  if (optind < argc)
    {
      ret = kago_cli_usage_error ("network ls", "\"network ls\" accepts no arguments.");
      goto out;
    }
  if (check_filters (&filters))
    goto out;
  if (ctx->bip)
    {
      /* (the default network's subnet as --bip has it) */
      struct kago_engine e;
      if (open_engine (ctx, &e))
        goto out;
      kago_engine_close (&e);
    }
  kago_error_t err = NULL;
  struct kago_net *v;
  size_t n;
  if (kago_net_list (ctx->root, &v, &n, &err) < 0)
    {
      ret = kago_cli_fail (&err);
      goto out;
    }
  json_value **rows = xcalloc (n + 1, sizeof *rows);
  size_t nr = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (!filter_match (&v[i], &filters))
        continue;
      if (quiet)
        {
          printf ("%.*s\n", no_trunc ? KAGO_NET_ID_LEN : 12, v[i].id);
          continue;
        }
      json_value *r = json_object_new ();
      json_object_set (r, "CreatedAt", json_string_new (v[i].created));
      json_object_set (r, "Driver", json_string_new (v[i].driver));
      json_object_set (r, "ID", json_string_newn (v[i].id, no_trunc ? KAGO_NET_ID_LEN : 12));
      json_object_set (r, "IPv6", json_string_new ("false"));
      json_object_set (r, "Internal", json_string_new (v[i].internal ? "true" : "false"));
      cleanup_strbuf strbuf lab = STRBUF_INIT;
      for (size_t l = 0; l < v[i].labels.n; l++)
        strbuf_addf (&lab, "%s%s", l ? "," : "", v[i].labels.v[l]);
      json_object_set (r, "Labels", json_string_new (lab.buf ? lab.buf : ""));
      json_object_set (r, "Name", json_string_new (v[i].name));
      json_object_set (r, "Scope", json_string_new ("local"));
      rows[nr++] = r;
    }
  static const struct kago_format_header headers[] = {
    { ".ID", "NETWORK ID" },
    { ".CreatedAt", "CREATED" },
  };
  ret = 0;
  if (!quiet
      && kago_cli_format_rows (stdout, format, "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}", headers, 2, rows,
                               nr, &err)
             < 0)
    ret = kago_cli_fail (&err);
  for (size_t i = 0; i < nr; i++)
    json_free (rows[i]);
  free (rows);
  kago_nets_free (v, n);
out:
  kago_net_strv_clear (&filters);
  return ret;
}

/* ---- inspect ---- */

static int
cmd_inspect (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "format", required_argument, NULL, 'f' },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *format = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "f:vh", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        format = optarg;
        break;
      case 'v':
        break;
      case 'h':
        fputs ("Usage:  kago network inspect [OPTIONS] NETWORK [NETWORK...]\n\nDisplay detailed information on "
               "one or more networks\n\nOptions:\n"
               "  -f, --format string   Format output using a custom template, or json\n",
               stdout);
        return 0;
      default:
        return kago_cli_usage_error ("network inspect", "unknown flag");
      }
  if (optind >= argc)
    return kago_cli_usage_error ("network inspect", "\"network inspect\" requires at least 1 argument.");
  if (format && strcmp (format, "json") == 0)
    format = NULL;
  struct kago_engine e;
  if (open_engine (ctx, &e))
    return 1;
  int ret = 0;
  json_value *all = json_array_new ();
  for (int i = optind; i < argc; i++)
    {
      kago_error_t err = NULL;
      struct kago_net n;
      if (kago_net_find (ctx->root, argv[i], &n, &err) < 0)
        {
          ret = kago_cli_fail (&err);
          continue;
        }
      json_value *o = network_json (&e, &n);
      kago_net_clear (&n);
      if (format)
        {
          int r = kago_template_render (format, o, stdout, &err);
          json_free (o);
          if (r < 0)
            {
              ret = kago_cli_fail (&err);
              break;
            }
        }
      else
        json_array_append (all, o);
    }
  if (!format)
    {
      cleanup_free char *text = json_to_string (all, true);
      kago_print_indented4 (text);
    }
  json_free (all);
  kago_engine_close (&e);
  return ret;
}

/* ---- rm, prune ---- */

static int
cmd_rm (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "force", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool force = false;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "fh", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        force = true;
        break;
      case 'h':
        fputs ("Usage:  kago network rm NETWORK [NETWORK...]\n\nRemove one or more networks\n\nAliases:\n"
               "  rm, remove\n\nOptions:\n  -f, --force   Do not error if the network does not exist\n",
               stdout);
        return 0;
      default:
        return kago_cli_usage_error ("network rm", "unknown flag");
      }
  if (optind >= argc)
    return kago_cli_usage_error ("network rm", "\"network rm\" requires at least 1 argument.");
  struct kago_engine e;
  if (open_engine (ctx, &e))
    return 1;
  int ret = 0;
  for (int i = optind; i < argc; i++)
    {
      kago_error_t err = NULL;
      if (kago_network_remove (ctx->root, argv[i], kago_ctr_net_holder_alive, &e, NULL, &err) < 0)
        {
          if (force && kago_net_err_not_found (err))
            kago_error_release (&err);
          else
            ret = kago_cli_fail (&err);
          continue;
        }
      printf ("%s\n", argv[i]);
    }
  kago_engine_close (&e);
  return ret;
}

static int
cmd_prune (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "force", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool force = false;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "fh", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        force = true;
        break;
      case 'h':
        fputs ("Usage:  kago network prune [OPTIONS]\n\nRemove all unused networks\n\nOptions:\n"
               "  -f, --force   Do not prompt for confirmation\n",
               stdout);
        return 0;
      default:
        return kago_cli_usage_error ("network prune", "unknown flag");
      }
  if (optind < argc)
    return kago_cli_usage_error ("network prune", "\"network prune\" accepts no arguments.");
  if (!force)
    {
      printf ("WARNING! This will remove all custom networks not used by at least one container.\n"
              "Are you sure you want to continue? [y/N] ");
      fflush (stdout);
      char line[64];
      if (fgets (line, sizeof line, stdin) == NULL || (line[0] != 'y' && line[0] != 'Y'))
        return 0;
    }
  struct kago_engine e;
  if (open_engine (ctx, &e))
    return 1;
  kago_error_t err = NULL;
  struct kago_net *v;
  size_t n;
  if (kago_net_list (ctx->root, &v, &n, &err) < 0)
    {
      kago_engine_close (&e);
      return kago_cli_fail (&err);
    }
  int ret = 0;
  bool any = false;
  for (size_t i = 0; i < n; i++)
    {
      if (v[i].predefined)
        continue;
      char *name = NULL;
      if (kago_network_remove (ctx->root, v[i].id, kago_ctr_net_holder_alive, &e, &name, &err) < 0)
        {
          /* In use: kept.  */
          if (kago_net_err_in_use (err) || kago_net_err_not_found (err))
            kago_error_release (&err);
          else
            ret = kago_cli_fail (&err);
          continue;
        }
      if (!any)
        puts ("Deleted Networks:");
      any = true;
      puts (name);
      free (name);
    }
  if (any)
    putchar ('\n');
  kago_nets_free (v, n);
  kago_engine_close (&e);
  return ret;
}

/* ---- connect, disconnect ---- */

static int
cmd_connect (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "ip", required_argument, NULL, 'i' },
    { "alias", required_argument, NULL, 'a' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *ip = NULL;
  struct kago_strv aliases = { 0 };
  int c, ret = 1;
  optind = 0;
  while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1)
    switch (c)
      {
      case 'i':
        ip = optarg;
        break;
      case 'a':
        kago_net_strv_push (&aliases, optarg);
        break;
      case 'h':
        fputs ("Usage:  kago network connect [OPTIONS] NETWORK CONTAINER\n\nConnect a container to a network\n\n"
               "Options:\n"
               "      --alias strings   Add network-scoped alias for the container\n"
               "      --ip string       IPv4 address (e.g., \"172.30.100.104\")\n",
               stdout);
        ret = 0;
        goto out;
      default:
        ret = kago_cli_usage_error ("network connect", "unknown flag");
        goto out;
      }
  if (optind + 2 != argc)
    {
      ret = kago_cli_usage_error ("network connect", "\"network connect\" requires exactly 2 arguments.");
      goto out;
    }
  struct kago_engine e;
  if (open_engine (ctx, &e))
    goto out;
  kago_error_t err = NULL;
  ret = kago_ctr_net_connect (&e, argv[optind], argv[optind + 1], ip, &aliases, &err) < 0 ? kago_cli_fail (&err) : 0;
  kago_engine_close (&e);
out:
  kago_net_strv_clear (&aliases);
  return ret;
}

static int
cmd_disconnect (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "force", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool force = false;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "fh", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        force = true;
        break;
      case 'h':
        fputs ("Usage:  kago network disconnect [OPTIONS] NETWORK CONTAINER\n\nDisconnect a container from a "
               "network\n\nOptions:\n  -f, --force   Force the container to disconnect from a network\n",
               stdout);
        return 0;
      default:
        return kago_cli_usage_error ("network disconnect", "unknown flag");
      }
  if (optind + 2 != argc)
    return kago_cli_usage_error ("network disconnect", "\"network disconnect\" requires exactly 2 arguments.");
  struct kago_engine e;
  if (open_engine (ctx, &e))
    return 1;
  kago_error_t err = NULL;
  int ret = kago_ctr_net_disconnect (&e, argv[optind], argv[optind + 1], force, &err) < 0 ? kago_cli_fail (&err) : 0;
  kago_engine_close (&e);
  return ret;
}

int
kago_cmd_network (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct
  {
    const char *name;
    int (*fn) (struct kago_engine_ctx *, int, char **);
    const char *help;
  } subs[] = {
    { "connect", cmd_connect, "Connect a container to a network" },
    { "create", cmd_create, "Create a network" },
    { "disconnect", cmd_disconnect, "Disconnect a container from a network" },
    { "inspect", cmd_inspect, "Display detailed information on one or more networks" },
    { "ls", cmd_ls, "List networks" },
    { "list", cmd_ls, NULL },
    { "prune", cmd_prune, "Remove all unused networks" },
    { "rm", cmd_rm, "Remove one or more networks" },
    { "remove", cmd_rm, NULL },
  };
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      FILE *out = argc < 2 ? stderr : stdout;
      fputs ("Usage:  kago network COMMAND\n\nManage networks\n\nCommands:\n", out);
      for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
        if (subs[i].help)
          fprintf (out, "  %-11s %s\n", subs[i].name, subs[i].help);
      return argc < 2 ? 1 : 0;
    }
  for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
    if (strcmp (argv[1], subs[i].name) == 0)
      return subs[i].fn (ctx, argc - 1, argv + 1);
  fprintf (stderr, "kago: 'network %s' is not a kago command.\nSee 'kago network --help'\n", argv[1]);
  return 1;
}
