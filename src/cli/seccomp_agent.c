/* `kago seccomp-agent`: the command line of the seccomp notify agent
   (src/agent/).  */
#include "cli/seccomp_agent.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "agent/agent.h"
#include "common/cleanup.h"
#include "common/xalloc.h"

static void
usage (FILE *out)
{
  fputs ("Usage: kago seccomp-agent --socket PATH [--allow-mknod LIST] [--allow-mount LIST] [--config FILE]\n"
         "\n"
         "Serve seccomp notifications (SCMP_ACT_NOTIFY) for containers whose\n"
         "linux.seccomp.listenerPath is PATH: listed device nodes are created and\n"
         "listed filesystem types mounted on the container's behalf, inside its\n"
         "mount namespace; every other notified call fails with EPERM.\n"
         "\n"
         "Options:\n"
         "   --socket PATH         the AF_UNIX socket to listen on (created mode 0600)\n"
         "   --allow-mknod LIST    devices mknod may create: TYPE:MAJOR:MINOR,... with TYPE\n"
         "                         c or b, e.g. c:1:3,c:1:5 (repeatable)\n"
         "   --allow-mount LIST    filesystem types mount may mount, e.g. tmpfs (repeatable)\n"
         "   --config FILE         JSON {\"allowMknod\": [...], \"allowMount\": [...]}, added to\n"
         "                         the lists above\n"
         "   --help, -h            show this help\n"
         "\n"
         "SIGTERM or SIGINT ends it; the containers' notified calls then fail with ENOSYS.\n",
         out);
}

static int
fail (kago_error_t *err)
{
  cleanup_free char *m = kago_error_string (*err);
  fprintf (stderr, "kago seccomp-agent: %s\n", m);
  kago_error_release (err);
  return 1;
}

int
kago_seccomp_agent_main (int argc, char **argv)
{
  static const struct option opts[] = {
    { "socket", required_argument, NULL, 's' },
    { "allow-mknod", required_argument, NULL, 'd' },
    { "allow-mount", required_argument, NULL, 'm' },
    { "config", required_argument, NULL, 'c' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct kago_agent_policy policy = { 0 };
  struct kago_agent_options o = { .policy = &policy };
  kago_error_t err = NULL;
  int c, ret = 1;
  optind = 1;
  while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1)
    {
      int r = 0;
      switch (c)
        {
        case 's':
          o.socket_path = optarg;
          break;
        case 'd':
          r = kago_agent_policy_add_devices (&policy, optarg, &err);
          break;
        case 'm':
          r = kago_agent_policy_add_fstypes (&policy, optarg, &err);
          break;
        case 'c':
          r = kago_agent_policy_load (&policy, optarg, &err);
          break;
        case 'h':
          usage (stdout);
          ret = 0;
          goto out;
        default:
          usage (stderr);
          goto out;
        }
      if (r < 0)
        {
          ret = fail (&err);
          goto out;
        }
    }
  if (optind < argc)
    {
      fprintf (stderr, "kago seccomp-agent: unexpected argument \"%s\"\n\n", argv[optind]);
      usage (stderr);
      goto out;
    }
  if (o.socket_path == NULL || o.socket_path[0] == '\0')
    {
      fputs ("kago seccomp-agent: --socket PATH is required\n\n", stderr);
      usage (stderr);
      goto out;
    }
  if (kago_agent_run (&o, &err) < 0)
    ret = fail (&err);
  else
    ret = 0;
out:
  kago_agent_policy_free (&policy);
  return ret;
}
