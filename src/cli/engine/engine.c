/* `kago [--root DIR] [--bip CIDR] VERB ...`: the engine face's global flags
   and verbs.  The root is --root, else $KAGO_ROOT, else /var/lib/kago; the
   default network's subnet is --bip, else $KAGO_BIP, else what the network
   has (chosen when it was first made).  */
#include <stdlib.h>
#include <string.h>

#include "cli/engine/engine.h"
#include "runtime/core.h"

struct verb
{
  const char *name;
  int (*fn) (struct kago_engine_ctx *, int, char **);
  const char *help;
};

static const struct verb verbs[] = {
  { "run", kago_cmd_ctr_run, "Create and run a new container from an image" },
  { "create", kago_cmd_ctr_create, "Create a new container" },
  { "start", kago_cmd_ctr_start, "Start one or more stopped containers" },
  { "stop", kago_cmd_ctr_stop, "Stop one or more running containers" },
  { "restart", kago_cmd_ctr_restart, "Restart one or more containers" },
  { "kill", kago_cmd_ctr_kill, "Kill one or more running containers" },
  { "rm", kago_cmd_ctr_rm, "Remove one or more containers" },
  { "ps", kago_cmd_ctr_ps, "List containers" },
  { "logs", kago_cmd_ctr_logs, "Fetch the logs of a container" },
  { "exec", kago_cmd_ctr_exec, "Execute a command in a running container" },
  { "inspect", kago_cmd_ctr_inspect, "Return low-level information on containers and images" },
  { "attach", kago_cmd_ctr_attach, "Attach local standard input, output, and error streams to a running container" },
  { "wait", kago_cmd_ctr_wait, "Block until one or more containers stop, then print their exit codes" },
  { "pause", kago_cmd_ctr_pause, "Pause all processes within one or more containers" },
  { "unpause", kago_cmd_ctr_unpause, "Unpause all processes within one or more containers" },
  { "rename", kago_cmd_ctr_rename, "Rename a container" },
  { "port", kago_cmd_ctr_port, "List port mappings or a specific mapping for the container" },
  { "update", kago_cmd_ctr_update, "Update configuration of one or more containers" },
  { "container", kago_cmd_ctr_container, "Manage containers (ls, run, rm, inspect, ...)" },
  { "network", kago_cmd_network, "Manage networks (create, ls, inspect, rm, prune, connect, disconnect)" },
  { "images", kago_cmd_images, "List images" },
  { "image", kago_cmd_image, "Manage images (ls, inspect, rm, prune, tag, load, save, import)" },
  { "tag", kago_cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE" },
  { "rmi", kago_cmd_rmi, "Remove one or more images" },
  { "load", kago_cmd_load, "Load an image from a tar archive (docker-save or OCI layout)" },
  { "save", kago_cmd_save, "Save one or more images to a tar archive (docker-save format)" },
  { "pull", kago_cmd_pull, "Download an image from a registry" },
  { "login", kago_cmd_login, "Log in to a registry" },
  { "logout", kago_cmd_logout, "Log out from a registry" },
  { "import", kago_cmd_import, "Import the contents from a tarball to create a filesystem image" },
  { "stats", kago_cmd_stats, "Display a live stream of container(s) resource usage statistics" },
  { "top", kago_cmd_top, "Display the running processes of a container" },
};

/* The verbs that start a container's init (through a monitor forked from
   this process) or exec a process into one.  --help and bad flags re-exec
   too: cheaper than parsing twice.  */
static bool
puts_process_in_container (int argc, char **argv)
{
  static const char *const spawning[] = { "run", "start", "restart", "exec" };
  const char *verb = argv[0];
  if (strcmp (verb, "container") == 0)
    verb = argc > 1 ? argv[1] : "";
  for (size_t i = 0; i < sizeof spawning / sizeof spawning[0]; i++)
    if (strcmp (verb, spawning[i]) == 0)
      return true;
  return false;
}

void
kago_engine_usage_commands (FILE *out)
{
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    fprintf (out, "   %-11s %s\n", verbs[i].name, verbs[i].help);
}

int
kago_engine_main (int argc, char **argv)
{
  struct kago_engine_ctx ctx = { 0 };
  /* argv's strings are contiguous: the monitor may rewrite them all.  */
  ctx.title_area = argv[0];
  ctx.title_len = (size_t) (argv[argc - 1] + strlen (argv[argc - 1]) - argv[0]);
  const char *env = getenv ("KAGO_ROOT");
  ctx.root = env && *env ? env : KAGO_DEFAULT_ROOT;
  env = getenv ("KAGO_BIP");
  ctx.bip = env && *env ? env : NULL;
  int i = 1;
  while (i < argc && argv[i][0] == '-')
    {
      const char *a = argv[i];
      if (strcmp (a, "--root") == 0 || strcmp (a, "-root") == 0)
        {
          if (i + 1 >= argc)
            {
              fprintf (stderr, "kago: flag needs an argument: --root\n");
              return 1;
            }
          ctx.root = argv[i + 1];
          i += 2;
        }
      else if (strncmp (a, "--root=", 7) == 0)
        {
          ctx.root = a + 7;
          i++;
        }
      else if (strcmp (a, "--bip") == 0)
        {
          if (i + 1 >= argc)
            {
              fprintf (stderr, "kago: flag needs an argument: --bip\n");
              return 1;
            }
          ctx.bip = argv[i + 1];
          i += 2;
        }
      else if (strncmp (a, "--bip=", 6) == 0)
        {
          ctx.bip = a + 6;
          i++;
        }
      else if (strcmp (a, "--debug") == 0 || strcmp (a, "-D") == 0)
        {
          ctx.debug = true;
          i++;
        }
      else
        return -1;
    }
  if (i >= argc)
    return -1;
  if (*ctx.root == '\0')
    {
      fprintf (stderr, "kago: --root must not be empty\n");
      return 1;
    }
  for (size_t v = 0; v < sizeof verbs / sizeof verbs[0]; v++)
    if (strcmp (argv[i], verbs[v].name) == 0)
      {
        if (puts_process_in_container (argc - i, argv + i))
          {
            /* CVE-2019-5736, as kago-runtime does it: the monitor and the
               container's init are forked from this process, an exec's
               process too; none may lead a container to the host's
               binary through /proc/self/exe.  */
            kago_error_t err = NULL;
            if (kago_selfexe_ensure_sealed (argv, &err) < 0)
              return kago_cli_ctr_fail (&err, 125);
          }
        return verbs[v].fn (&ctx, argc - i, argv + i);
      }
  return -1;
}
