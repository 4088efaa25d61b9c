/* A container's embedded DNS server (ctr_dns.h).  */
#include "engine/container/ctr_dns.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "engine/container/record.h"

bool
kago_ctr_dns_wanted (const char *text, struct kago_dns_upstream *out, size_t max, size_t *n)
{
  *n = 0;
  bool ours = false;
  const char *ext = NULL;
  for (const char *l = text, *nl; l && *l; l = nl ? nl + 1 : NULL)
    {
      nl = strchr (l, '\n');
      if (strncmp (l, "nameserver", 10) == 0 && (l[10] == ' ' || l[10] == '\t'))
        {
          const char *a = l + 10;
          while (*a == ' ' || *a == '\t')
            a++;
          size_t len = strcspn (a, " \t\n");
          if (len == 10 && strncmp (a, "127.0.0.11", 10) == 0)
            ours = true;
        }
      else if (strncmp (l, "# ExtServers: [", 15) == 0)
        ext = l + 15;
    }
  if (!ours)
    return false;
  if (ext)
    {
      /* "A B C]" -> one nameserver line each, for the resolv.conf parser.  */
      strbuf sb = STRBUF_INIT;
      size_t end = strcspn (ext, "]\n");
      for (size_t i = 0; i < end;)
        {
          while (i < end && ext[i] == ' ')
            i++;
          size_t w = i;
          while (w < end && ext[w] != ' ')
            w++;
          if (w > i)
            strbuf_addf (&sb, "nameserver %.*s\n", (int) (w - i), ext + i);
          i = w;
        }
      *n = kago_dns_upstreams_from_resolv_conf (sb.len ? sb.buf : "", out, max, NULL);
      strbuf_release (&sb);
    }
  return true;
}

int
kago_ctr_dns_start (struct kago_engine *e, const char *id, pid_t pid, struct kago_ctr_dns *d, kago_error_t *err)
{
  cleanup_free char *path = kago_ctr_path (e, id, "resolv.conf"), *text = NULL;
  size_t len;
  kago_error_t e2 = NULL;
  if (read_file (path, &text, &len, &e2) < 0)
    {
      /* --network container:X shares X's (and X's server); no file: none.  */
      kago_error_release (&e2);
      return 0;
    }
  struct kago_dns_config cfg = { .udp_fd = -1, .tcp_fd = -1 };
  if (!kago_ctr_dns_wanted (text, cfg.upstreams, KAGO_DNS_MAX_UPSTREAMS, &cfg.n_upstreams))
    return 0;
  if (kago_network_lookup_ctx_init (&d->ctx, e->root, id, err) < 0)
    return kago_error_wrap (err, "embedded DNS server");
  d->ctx_set = true;
  cfg.lookup = kago_network_lookup_cb;
  cfg.arg = &d->ctx;
  char ns[64];
  snprintf (ns, sizeof ns, "/proc/%d/ns/net", (int) pid);
  cleanup_close int fd = open (ns, O_RDONLY | O_CLOEXEC);
  int r = fd < 0 ? kago_error_set (err, errno, "open %s", ns)
                 : kago_dns_listen_netns (fd, &cfg.udp_fd, &cfg.tcp_fd, err);
  if (r == 0 && kago_dns_start (&cfg, &d->server, err) < 0)
    {
      close (cfg.udp_fd);
      close (cfg.tcp_fd);
      r = -1;
    }
  if (r < 0)
    {
      kago_ctr_dns_stop (d);
      return kago_error_wrap (err, "embedded DNS server at 127.0.0.11");
    }
  return 0;
}

void
kago_ctr_dns_stop (struct kago_ctr_dns *d)
{
  kago_dns_stop (d->server);
  d->server = NULL;
  if (d->ctx_set)
    kago_network_lookup_ctx_clear (&d->ctx);
  d->ctx_set = false;
}
