/* Published ports: the -p parser (src/engine/network/ports.c, Docker's
   nat.ParsePortSpec), the nft commands, and how port/ps show them
   (src/engine/container/ctr_ports.c).  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "engine/container/ctr_ports.h"
#include "engine/network/ports.h"
#include "tap.h"

static char errbuf[1024];

static const char *
parse_err (const char *v)
{
  struct kago_port_spec *s;
  size_t n;
  kago_error_t err = NULL;
  if (kago_port_spec_parse (v, &s, &n, &err) == 0)
    {
      free (s);
      return "(parsed)";
    }
  char *m = kago_error_string (err);
  snprintf (errbuf, sizeof errbuf, "%s", m);
  free (m);
  kago_error_release (&err);
  return errbuf;
}

/* "proto ctr ip hostport;" for each entry.  */
static const char *
parsed (const char *v)
{
  struct kago_port_spec *s;
  size_t n;
  kago_error_t err = NULL;
  if (kago_port_spec_parse (v, &s, &n, &err) < 0)
    {
      kago_error_release (&err);
      return "(error)";
    }
  errbuf[0] = '\0';
  for (size_t i = 0; i < n; i++)
    {
      size_t l = strlen (errbuf);
      snprintf (errbuf + l, sizeof errbuf - l, "%s %u [%s] [%s];", s[i].proto, s[i].ctr_port, s[i].host_ip,
                s[i].host_port);
    }
  free (s);
  return errbuf;
}

TEST (spec_forms)
{
  CHECK_STR (parsed ("8080:80"), "tcp 80 [] [8080];");
  CHECK_STR (parsed ("80"), "tcp 80 [] [];");
  CHECK_STR (parsed ("127.0.0.1:8080:80"), "tcp 80 [127.0.0.1] [8080];");
  CHECK_STR (parsed ("127.0.0.1::80"), "tcp 80 [127.0.0.1] [];");
  CHECK_STR (parsed ("::80"), "tcp 80 [] [];");
  CHECK_STR (parsed ("8080:80/udp"), "udp 80 [] [8080];");
  CHECK_STR (parsed ("8080:80/TCP"), "tcp 80 [] [8080];");
  CHECK_STR (parsed ("8080:80/"), "tcp 80 [] [8080];");
  CHECK_STR (parsed ("8000-8001:80-81"), "tcp 80 [] [8000];tcp 81 [] [8001];");
  CHECK_STR (parsed ("8000-8010:80"), "tcp 80 [] [8000-8010];");
  CHECK_STR (parsed ("80-81"), "tcp 80 [] [];tcp 81 [] [];");
  CHECK_STR (parsed ("0.0.0.0:1:65535/udp"), "udp 65535 [0.0.0.0] [1];");
}

TEST (spec_errors)
{
  CHECK_STR (parse_err ("x"), "invalid containerPort: x");
  CHECK_STR (parse_err ("8080:x"), "invalid containerPort: x");
  CHECK_STR (parse_err ("8080:0"), "invalid containerPort: 0");
  CHECK_STR (parse_err ("8080:70000"), "invalid containerPort: 70000");
  CHECK_STR (parse_err ("8080:81-80"), "invalid containerPort: 81-80");
  CHECK_STR (parse_err ("x:80"), "invalid hostPort: x");
  CHECK_STR (parse_err ("70000:80"), "invalid hostPort: 70000");
  CHECK_STR (parse_err ("80/foo"), "invalid proto: foo");
  CHECK_STR (parse_err ("1.2.3:8080:80"), "invalid IP address: 1.2.3");
  CHECK_STR (parse_err ("localhost:8080:80"), "invalid IP address: localhost");
  CHECK_STR (parse_err ("8000-8001:80-82"),
             "invalid ranges specified for container and host Ports: 80-82 and 8000-8001");
  CHECK_STR (parse_err ("8080:"), "no port specified: 8080:<empty>");
  CHECK_STR (parse_err (""), "no port specified: <empty>");
  CHECK_CONTAINS (parse_err ("[::1]:8080:80"), "IPv6");
  CHECK_CONTAINS (parse_err ("80/sctp"), "sctp");
}

TEST (host_range)
{
  unsigned a, b;
  kago_error_t err = NULL;
  CHECK (kago_port_range_parse ("", &a, &b, &err) == 0 && a == 0 && b == 0);
  CHECK (kago_port_range_parse ("8080", &a, &b, &err) == 0 && a == 8080 && b == 8080);
  CHECK (kago_port_range_parse ("8000-8010", &a, &b, &err) == 0 && a == 8000 && b == 8010);
  CHECK (kago_port_range_parse ("8010-8000", &a, &b, &err) < 0);
  kago_error_release (&err);
}

TEST (nft_commands)
{
  struct kago_port_binding b[] = {
    { .proto = KAGO_PORT_TCP, .host_ip = 0, .host_port = 8080, .ctr_port = 80 },
    { .proto = KAGO_PORT_UDP, .host_ip = 0x7f000001, .host_port = 5353, .ctr_port = 53 },
  };
  cleanup_free char *add = kago_ports_add_cmds (0xac110002, b, 2);
  CHECK_STR (add, "create element ip kago tcp_any { 8080 : 172.17.0.2 . 80 }\n"
                  "create element ip kago udp_ip { 127.0.0.1 . 5353 : 172.17.0.2 . 53 }\n");
  cleanup_free char *del = kago_ports_del_cmds (b, 2);
  CHECK_STR (del, "delete element ip kago tcp_any { 8080 }\n"
                  "delete element ip kago udp_ip { 127.0.0.1 . 5353 }\n");
  cleanup_free char *rs = kago_ports_ruleset ("br-0123456789ab");
  CHECK_CONTAINS (rs, "add map ip kago tcp_any { type inet_service : ipv4_addr . inet_service; }");
  CHECK_CONTAINS (rs, "add rule ip kago prerouting fib daddr type local jump ports");
  CHECK_CONTAINS (rs, "add rule ip kago ports dnat ip to udp dport map @udp_any");
  CHECK_CONTAINS (rs, "postrouting oifname \"br-0123456789ab\" fib saddr type local masquerade");
}

TEST (shown)
{
  const char *text = "{\"443/tcp\": null, \"80/tcp\": [{\"HostIp\": \"0.0.0.0\", \"HostPort\": \"8080\"},"
                     " {\"HostIp\": \"127.0.0.1\", \"HostPort\": \"8081\"}], \"53/udp\": [{\"HostIp\": "
                     "\"0.0.0.0\", \"HostPort\": \"5353\"}]}";
  kago_error_t err = NULL;
  json_value *p = json_parse (text, strlen (text), &err);
  CHECK (p != NULL);
  cleanup_free char *sum = kago_ctr_ports_summary (p);
  CHECK_STR (sum, "443/tcp, 0.0.0.0:5353->53/udp, 0.0.0.0:8080->80/tcp, 127.0.0.1:8081->80/tcp");
  cleanup_free char *all = kago_ctr_ports_lines (p, NULL);
  CHECK_STR (all, "53/udp -> 0.0.0.0:5353\n80/tcp -> 0.0.0.0:8080\n80/tcp -> 127.0.0.1:8081\n");
  cleanup_free char *one = kago_ctr_ports_lines (p, "80/tcp");
  CHECK_STR (one, "0.0.0.0:8080\n127.0.0.1:8081\n");
  CHECK (kago_ctr_ports_lines (p, "443/tcp") == NULL);
  CHECK (kago_ctr_ports_lines (p, "53/tcp") == NULL);
  json_free (p);
  /* Ranges, as docker ps groups them.  */
  const char *ranges = "{\"80/tcp\": null, \"81/tcp\": null, \"83/tcp\": null, \"9000/tcp\": [{\"HostIp\": "
                       "\"0.0.0.0\", \"HostPort\": \"9000\"}], \"9001/tcp\": [{\"HostIp\": \"0.0.0.0\", "
                       "\"HostPort\": \"9001\"}], \"53/udp\": null}";
  p = json_parse (ranges, strlen (ranges), &err);
  CHECK (p != NULL);
  cleanup_free char *grouped = kago_ctr_ports_summary (p);
  CHECK_STR (grouped, "80-81/tcp, 53/udp, 83/tcp, 0.0.0.0:9000-9001->9000-9001/tcp");
  json_free (p);
  cleanup_free char *none = kago_ctr_ports_summary (NULL);
  CHECK_STR (none, "");
}

int
main (void)
{
  RUN (spec_forms);
  RUN (spec_errors);
  RUN (host_range);
  RUN (nft_commands);
  RUN (shown);
  return tap_done ();
}
