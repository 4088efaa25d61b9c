/* kago's entry point: one executable, two faces.
 *
 *   kago-runtime [global flags] VERB ...   the OCI runtime (runc's command line)
 *   kago runtime [global flags] VERB ...   the same
 *   kago seccomp-agent --socket PATH ...   the seccomp notify agent
 *   kago seccomp resolve|default ...       Docker seccomp profiles -> OCI
 *   kago [--root DIR] VERB ...             the engine (images now; cli/engine/)
 */
#include "common/phase.h"
#include "cli/engine/engine.h"
#include "cli/runtime/verbs.h"
#include "cli/seccomp_agent.h"
#include "cli/seccomp_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *
base_name (const char *p)
{
  const char *s = strrchr (p, '/');
  return s ? s + 1 : p;
}

static void
engine_usage (FILE *out)
{
  fputs ("Usage: kago [--root DIR] COMMAND [ARGS...]\n"
         "\n"
         "kago is a container engine and an OCI runtime.\n"
         "\n"
         "Commands:\n",
         out);
  kago_engine_usage_commands (out);
  fputs ("   runtime     the OCI runtime, runc's command line (also installed as kago-runtime)\n"
         "               e.g. kago runtime --root DIR create --bundle B ID\n"
         "   seccomp-agent\n"
         "               answer seccomp notifications (SCMP_ACT_NOTIFY) for containers: create\n"
         "               allowed device nodes, mount allowed filesystem types (--help for more)\n"
         "   seccomp     resolve a Docker seccomp profile into OCI linux.seccomp\n"
         "               e.g. kago seccomp resolve --cap-add SYS_PTRACE profile.json\n"
         "\n"
         "Options:\n"
         "   --root DIR      the engine's store (default $KAGO_ROOT, else " KAGO_DEFAULT_ROOT ")\n"
         "   --bip CIDR      the default network's bridge address and subnet, e.g. 10.200.0.1/24\n"
         "                   (default $KAGO_BIP, else kept; chosen at first use among\n"
         "                   172.17.0.0/16 ... 172.31.0.0/16 clear of the host's routes)\n"
         "   --help, -h      show this help\n"
         "   --version, -v   print the version\n",
         out);
}

int main (int argc, char **argv);

int
main (int argc, char **argv)
{
  KAGO_PHASE ("main");
  const char *name = argc > 0 && argv[0] ? base_name (argv[0]) : "kago";

  if (strcmp (name, "kago-runtime") == 0)
    return kago_runtime_main ("kago-runtime", argc, argv);

  if (argc > 1 && strcmp (argv[1], "runtime") == 0)
    /* argv[1] stands in for the program name: the runtime's arguments follow. */
    return kago_runtime_main ("kago runtime", argc - 1, argv + 1);

  if (argc > 1 && strcmp (argv[1], "seccomp-agent") == 0)
    return kago_seccomp_agent_main (argc - 1, argv + 1);
  if (argc > 1 && strcmp (argv[1], "seccomp") == 0)
    return kago_seccomp_main (argc - 1, argv + 1);

  if (argc > 1
      && (strcmp (argv[1], "--version") == 0 || strcmp (argv[1], "-v") == 0
          || strcmp (argv[1], "-version") == 0 || strcmp (argv[1], "version") == 0))
    {
      kago_print_version ("kago");
      return 0;
    }
  if (argc <= 1 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0)
    {
      engine_usage (stdout);
      return 0;
    }
  int r = kago_engine_main (argc, argv);
  if (r >= 0)
    return r;
  /* The verb, past the global flags (--root DIR, --bip CIDR, their =VALUE forms, --debug).  */
  int v = 1;
  while (v < argc && argv[v][0] == '-')
    v += (strcmp (argv[v], "--root") == 0 || strcmp (argv[v], "-root") == 0 || strcmp (argv[v], "--bip") == 0)
             ? 2
             : 1;
  if (v < argc)
    fprintf (stderr, "kago: unknown command \"%s\"\n\n", argv[v]);
  else
    fprintf (stderr, "kago: unknown flag or missing command: \"%s\"\n\n", argv[1]);
  engine_usage (stderr);
  return 1;
}
