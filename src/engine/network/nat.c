/* kago's nftables table through libnftables, loaded on demand (nat.h).  */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "engine/network/nat.h"
#include "engine/network/ports.h"

/* libnftables' public interface (nftables/libnftables.h, stable since
   0.9); declared here so that no development package is needed.  */
struct nft_ctx;
static struct
{
  struct nft_ctx *(*ctx_new) (uint32_t flags);
  void (*ctx_free) (struct nft_ctx *ctx);
  int (*buffer_output) (struct nft_ctx *ctx);
  int (*buffer_error) (struct nft_ctx *ctx);
  const char *(*get_error_buffer) (struct nft_ctx *ctx);
  const char *(*get_output_buffer) (struct nft_ctx *ctx);
  int (*run_cmd_from_buffer) (struct nft_ctx *ctx, const char *buf);
} nft;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char *load_error;

static void
load (void)
{
  void *h = dlopen ("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    {
      const char *e = dlerror ();
      load_error
          = xasprintf ("libnftables cannot be loaded (%s): install libnftables1 (nftables)", e ? e : "?");
      return;
    }
  static const char *const names[] = { "nft_ctx_new",
                                       "nft_ctx_free",
                                       "nft_ctx_buffer_output",
                                       "nft_ctx_buffer_error",
                                       "nft_ctx_get_error_buffer",
                                       "nft_run_cmd_from_buffer",
                                       "nft_ctx_get_output_buffer" };
  void **slots[]
      = { (void **) &nft.ctx_new,      (void **) &nft.ctx_free,         (void **) &nft.buffer_output,
          (void **) &nft.buffer_error, (void **) &nft.get_error_buffer, (void **) &nft.run_cmd_from_buffer,
          (void **) &nft.get_output_buffer };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if ((*slots[i] = dlsym (h, names[i])) == NULL)
      {
        load_error = xasprintf ("libnftables.so.1 has no %s", names[i]);
        return;
      }
}

/* kago's own chains: made when missing, flushed and refilled.  Other
   chains and maps of the table (published ports) are not touched.  */
static void
base_chains (strbuf *sb)
{
  strbuf_adds (sb, "add table ip " KAGO_NFT_TABLE "\n"
                   "add chain ip " KAGO_NFT_TABLE
                   " postrouting { type nat hook postrouting priority 100; policy accept; }\n"
                   "add chain ip " KAGO_NFT_TABLE
                   " forward { type filter hook forward priority 0; policy accept; }\n"
                   "add chain ip " KAGO_NFT_TABLE " isolation\n"
                   "flush chain ip " KAGO_NFT_TABLE " postrouting\n"
                   "flush chain ip " KAGO_NFT_TABLE " forward\n"
                   "flush chain ip " KAGO_NFT_TABLE " isolation\n"
                   "add rule ip " KAGO_NFT_TABLE " forward jump isolation\n");
}

void
kago_nat_network_rules (strbuf *sb, const struct kago_nat_net *nets, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      const struct kago_nat_net *a = &nets[i];
      /* Isolation (Docker's DOCKER-ISOLATION chains): from this bridge to
         any other kago bridge, dropped.  */
      bool any = false;
      for (size_t j = 0; j < n; j++)
        if (j != i && strcmp (nets[j].ifname, a->ifname) != 0)
          {
            if (!any)
              strbuf_addf (sb, "add rule ip " KAGO_NFT_TABLE " isolation iifname \"%s\" oifname { ", a->ifname);
            else
              strbuf_adds (sb, ", ");
            strbuf_addf (sb, "\"%s\"", nets[j].ifname);
            any = true;
          }
      if (any)
        strbuf_adds (sb, " } drop\n");
      char cidr[KAGO_CIDR_STRLEN];
      kago_subnet_format (&a->subnet, cidr);
      if (a->internal)
        {
          /* Nothing in or out but between the bridge's own ports.  */
          strbuf_addf (sb,
                       "add rule ip " KAGO_NFT_TABLE " forward iifname \"%s\" oifname != \"%s\" drop\n"
                       "add rule ip " KAGO_NFT_TABLE " forward oifname \"%s\" iifname != \"%s\" drop\n",
                       a->ifname, a->ifname, a->ifname, a->ifname);
          continue;
        }
      strbuf_addf (sb,
                   "add rule ip " KAGO_NFT_TABLE " postrouting ip saddr %s oifname != \"%s\" masquerade\n"
                   "add rule ip " KAGO_NFT_TABLE " forward iifname \"%s\" accept\n"
                   "add rule ip " KAGO_NFT_TABLE " forward oifname \"%s\" ct state established,related accept\n",
                   cidr, a->ifname, a->ifname, a->ifname);
    }
}

char *
kago_nat_ruleset (const struct kago_nat_net *nets, size_t n)
{
  strbuf sb = STRBUF_INIT;
  base_chains (&sb);
  kago_nat_network_rules (&sb, nets, n);
  /* The published ports' maps and chains, and their postrouting rules
     for each bridge (postrouting was flushed above).  */
  cleanup_free char *ports = kago_ports_ruleset (n ? nets[0].ifname : "kago0");
  strbuf_adds (&sb, ports);
  for (size_t i = 1; i < n; i++)
    kago_ports_bridge_rules (&sb, nets[i].ifname);
  return strbuf_detach (&sb);
}

/* The first line of libnftables' error buffer ("Error: ...").  */
static char *
first_error (struct nft_ctx *ctx)
{
  const char *e = nft.get_error_buffer (ctx);
  char *msg = xstrdup (e && *e ? e : "refused");
  size_t n = strlen (msg);
  while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
    msg[--n] = '\0';
  char *nl = strchr (msg, '\n');
  if (nl)
    *nl = '\0';
  return msg;
}

int
kago_nft_run (const char *cmds, kago_error_t *err)
{
  pthread_once (&once, load);
  if (load_error)
    return kago_error_set (err, 0, "%s", load_error);
  struct nft_ctx *ctx = nft.ctx_new (0);
  if (ctx == NULL)
    return kago_error_set (err, 0, "nft_ctx_new failed");
  nft.buffer_output (ctx);
  nft.buffer_error (ctx);
  int ret = 0;
  if (nft.run_cmd_from_buffer (ctx, cmds) != 0)
    {
      cleanup_free char *msg = first_error (ctx);
      int errnum = strstr (msg, "File exists") ? EEXIST : strstr (msg, "No such file") ? ENOENT : 0;
      /* The errno's text is added by kago_error_string: not twice.  */
      const char *text = errnum ? strerror (errnum) : NULL;
      size_t n = strlen (msg), t = text ? strlen (text) : 0;
      if (text && n > t + 2 && strcmp (msg + n - t, text) == 0 && msg[n - t - 2] == ':')
        msg[n - t - 2] = '\0';
      ret = kago_error_set (err, errnum, "nftables: %s", msg);
    }
  nft.ctx_free (ctx);
  return ret;
}

int
kago_nat_apply (const struct kago_nat_net *nets, size_t n, kago_error_t *err)
{
  pthread_once (&once, load);
  if (load_error)
    return kago_error_set (err, 0, "%s", load_error);
  struct nft_ctx *ctx = nft.ctx_new (0);
  if (ctx == NULL)
    return kago_error_set (err, 0, "nft_ctx_new failed");
  nft.buffer_output (ctx);
  nft.buffer_error (ctx);
  cleanup_free char *cmds = kago_nat_ruleset (nets, n);
  int ret = 0;
  if (nft.run_cmd_from_buffer (ctx, cmds) != 0)
    {
      cleanup_free char *msg = first_error (ctx);
      ret = kago_error_set (err, 0, "set up the nftables table %s: %s", KAGO_NFT_TABLE, msg);
    }
  nft.ctx_free (ctx);
  return ret;
}
