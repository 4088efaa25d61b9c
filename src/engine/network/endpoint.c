/* The endpoint registry of a network and name resolution (endpoint.h).  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "engine/network/endpoint.h"
#include "engine/network/ipam.h"
#include "engine/network/store.h"

void
kago_net_endpoint_clear (struct kago_net_endpoint *ep)
{
  free (ep->name);
  kago_net_strv_clear (&ep->aliases);
  memset (ep, 0, sizeof *ep);
}

void
kago_net_endpoints_free (struct kago_net_endpoint *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    kago_net_endpoint_clear (&v[i]);
  free (v);
}

static bool
valid_ctr (const char *ctr)
{
  return *ctr && strlen (ctr) <= 64 && strspn (ctr, "0123456789abcdef") == strlen (ctr);
}

int
kago_net_endpoint_save (const char *netdir, const struct kago_net_endpoint *ep, kago_error_t *err)
{
  if (!valid_ctr (ep->ctr))
    return kago_error_set (err, EINVAL, "invalid container id \"%s\"", ep->ctr);
  cleanup_free char *dir = xasprintf ("%s/endpoints", netdir);
  if (mkdir_p (dir, 0700, err) < 0)
    return -1;
  char cidr[KAGO_CIDR_STRLEN], a[KAGO_IPV4_STRLEN];
  snprintf (cidr, sizeof cidr, "%s/%u", kago_ipv4_format (ep->addr, a), ep->prefix);
  cleanup_strbuf strbuf sb = STRBUF_INIT;
  strbuf_addf (&sb, "kago-endpoint 1\nname %s\nendpoint %s\naddr %s\nmac %02x:%02x:%02x:%02x:%02x:%02x\nifname %s\n",
               ep->name ? ep->name : "", ep->eid, cidr, ep->mac[0], ep->mac[1], ep->mac[2], ep->mac[3], ep->mac[4],
               ep->mac[5], ep->ifname);
  for (size_t i = 0; i < ep->aliases.n; i++)
    strbuf_addf (&sb, "alias %s\n", ep->aliases.v[i]);
  cleanup_close int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return kago_error_set (err, errno, "open %s", dir);
  return write_file_atomic (dfd, ep->ctr, sb.buf, sb.len, 0644, err);
}

int
kago_net_endpoint_remove (const char *netdir, const char *ctr, kago_error_t *err)
{
  if (!valid_ctr (ctr))
    return 0;
  cleanup_free char *p = xasprintf ("%s/endpoints/%s", netdir, ctr);
  if (unlink (p) == 0)
    return 1;
  if (errno == ENOENT || errno == ENOTDIR)
    return 0;
  return kago_error_set (err, errno, "remove %s", p);
}

static int
parse (char *buf, struct kago_net_endpoint *ep, kago_error_t *err)
{
  char *save = NULL;
  bool magic = false;
  for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *v = strchr (line, ' ');
      if (v == NULL)
        {
          if (strcmp (line, "name") == 0 && ep->name == NULL)
            ep->name = xstrdup ("");
          continue;
        }
      *v++ = '\0';
      if (strcmp (line, "kago-endpoint") == 0)
        magic = strcmp (v, "1") == 0;
      else if (strcmp (line, "name") == 0)
        {
          free (ep->name);
          ep->name = xstrdup (v);
        }
      else if (strcmp (line, "endpoint") == 0)
        snprintf (ep->eid, sizeof ep->eid, "%s", v);
      else if (strcmp (line, "addr") == 0)
        {
          char *slash = strchr (v, '/');
          if (slash)
            {
              *slash = '\0';
              ep->prefix = (unsigned) strtoul (slash + 1, NULL, 10);
            }
          if (kago_ipv4_parse (v, &ep->addr, err) < 0)
            return -1;
        }
      else if (strcmp (line, "mac") == 0)
        {
          unsigned m[6];
          if (sscanf (v, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6)
            for (int i = 0; i < 6; i++)
              ep->mac[i] = (unsigned char) m[i];
        }
      else if (strcmp (line, "ifname") == 0)
        snprintf (ep->ifname, sizeof ep->ifname, "%s", v);
      else if (strcmp (line, "alias") == 0)
        kago_net_strv_push (&ep->aliases, v);
    }
  if (!magic)
    return kago_error_set (err, EINVAL, "not a kago endpoint file");
  if (ep->name == NULL)
    ep->name = xstrdup ("");
  return 0;
}

int
kago_net_endpoint_load (const char *netdir, const char *ctr, struct kago_net_endpoint *ep, bool *found,
                        kago_error_t *err)
{
  memset (ep, 0, sizeof *ep);
  *found = false;
  if (!valid_ctr (ctr))
    return 0;
  cleanup_free char *p = xasprintf ("%s/endpoints/%s", netdir, ctr), *buf = NULL;
  size_t len;
  if (read_file (p, &buf, &len, err) < 0)
    {
      if ((*err)->errnum != ENOENT && (*err)->errnum != ENOTDIR)
        return -1;
      kago_error_release (err);
      return 0;
    }
  snprintf (ep->ctr, sizeof ep->ctr, "%s", ctr);
  if (parse (buf, ep, err) < 0)
    {
      kago_net_endpoint_clear (ep);
      return kago_error_wrap (err, "%s", p);
    }
  *found = true;
  return 0;
}

int
kago_net_endpoint_list (const char *netdir, struct kago_net_endpoint **out, size_t *nout, kago_error_t *err)
{
  *out = NULL;
  *nout = 0;
  cleanup_free char *dir = xasprintf ("%s/endpoints", netdir);
  cleanup_dir DIR *d = opendir (dir);
  if (d == NULL)
    return errno == ENOENT || errno == ENOTDIR ? 0 : kago_error_set (err, errno, "open %s", dir);
  struct kago_net_endpoint *v = NULL;
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir (d)))
    {
      if (!valid_ctr (de->d_name))
        continue;
      struct kago_net_endpoint ep;
      bool found;
      if (kago_net_endpoint_load (netdir, de->d_name, &ep, &found, err) < 0)
        {
          kago_net_endpoints_free (v, n);
          return -1;
        }
      if (!found)
        continue;
      v = xrealloc (v, (n + 1) * sizeof *v);
      v[n++] = ep;
    }
  *out = v;
  *nout = n;
  return 0;
}

int
kago_net_endpoint_remove_stale (const char *netdir, bool (*alive) (const char *holder, void *arg), void *arg,
                                kago_error_t *err)
{
  cleanup_free char *dir = xasprintf ("%s/endpoints", netdir);
  cleanup_dir DIR *d = opendir (dir);
  if (d == NULL)
    return errno == ENOENT || errno == ENOTDIR ? 0 : kago_error_set (err, errno, "open %s", dir);
  int gone = 0;
  struct dirent *de;
  while ((de = readdir (d)))
    if (valid_ctr (de->d_name) && !alive (de->d_name, arg))
      {
        int r = kago_net_endpoint_remove (netdir, de->d_name, err);
        if (r < 0)
          return -1;
        gone += r;
      }
  return gone;
}

/* ---- name resolution ---- */

static bool
answers_to (const struct kago_net_endpoint *ep, const char *name, size_t len)
{
  if (len == 0)
    return false;
  if (strlen (ep->name) == len && strncasecmp (ep->name, name, len) == 0)
    return true;
  if (len == 12 && strncasecmp (ep->ctr, name, 12) == 0)
    return true;
  for (size_t i = 0; i < ep->aliases.n; i++)
    if (strlen (ep->aliases.v[i]) == len && strncasecmp (ep->aliases.v[i], name, len) == 0)
      return true;
  return false;
}

int
kago_network_lookup (const char *root, const char *const *nets, size_t nnets, const char *name, uint32_t *addrs,
                     size_t max)
{
  size_t len = strlen (name);
  if (len && name[len - 1] == '.')
    len--;
  size_t found = 0;
  for (size_t i = 0; i < nnets; i++)
    {
      kago_error_t err = NULL;
      struct kago_net n;
      if (kago_net_find (root, nets[i], &n, &err) < 0)
        {
          kago_error_release (&err);
          continue;
        }
      if (!kago_net_is_bridge (&n) || n.predefined)
        {
          kago_net_clear (&n);
          continue;
        }
      struct kago_net_endpoint *eps;
      size_t ne;
      int r = kago_net_endpoint_list (n.dir, &eps, &ne, &err);
      kago_net_clear (&n);
      if (r < 0)
        {
          kago_error_release (&err);
          return -1;
        }
      for (size_t k = 0; k < ne; k++)
        if (answers_to (&eps[k], name, len))
          {
            bool dup = false;
            for (size_t j = 0; j < found; j++)
              dup |= addrs[j] == eps[k].addr;
            if (!dup && found < max)
              addrs[found++] = eps[k].addr;
          }
      kago_net_endpoints_free (eps, ne);
    }
  return (int) found;
}

int
kago_network_ctr_networks (const char *root, const char *ctr, char ***out, size_t *nout, kago_error_t *err)
{
  *out = NULL;
  *nout = 0;
  struct kago_net *v;
  size_t n;
  if (kago_net_list (root, &v, &n, err) < 0)
    return -1;
  char **ids = xcalloc (n + 1, sizeof *ids);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *p = xasprintf ("%s/endpoints/%s", v[i].dir, ctr);
      if (valid_ctr (ctr) && access (p, F_OK) == 0)
        ids[k++] = xstrdup (v[i].id);
    }
  kago_nets_free (v, n);
  *out = ids;
  *nout = k;
  return 0;
}

int
kago_network_lookup_ctx_init (struct kago_network_lookup_ctx *ctx, const char *root, const char *ctr,
                              kago_error_t *err)
{
  memset (ctx, 0, sizeof *ctx);
  if (kago_network_ctr_networks (root, ctr, &ctx->nets, &ctx->nnets, err) < 0)
    return -1;
  ctx->root = xstrdup (root);
  ctx->ctr = xstrdup (ctr);
  return 0;
}

static void
free_nets (char **nets, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (nets[i]);
  free (nets);
}

void
kago_network_lookup_ctx_clear (struct kago_network_lookup_ctx *ctx)
{
  free_nets (ctx->nets, ctx->nnets);
  free (ctx->root);
  free (ctx->ctr);
  memset (ctx, 0, sizeof *ctx);
}

int
kago_network_lookup_cb (const char *name, uint32_t *addrs, size_t max, void *arg)
{
  struct kago_network_lookup_ctx *ctx = arg;
  /* The container's networks as they are now: `network connect` and
     `disconnect` of a running container count from the next query.  On a
     failure to read them, the last list stands.  */
  char **nets;
  size_t n;
  kago_error_t err = NULL;
  if (kago_network_ctr_networks (ctx->root, ctx->ctr, &nets, &n, &err) == 0)
    {
      free_nets (ctx->nets, ctx->nnets);
      ctx->nets = nets;
      ctx->nnets = n;
    }
  else
    kago_error_release (&err);
  return kago_network_lookup (ctx->root, (const char *const *) ctx->nets, ctx->nnets, name, addrs, max);
}
