/* kago stop, restart, kill, rm, wait, pause, unpause, rename, inspect,
   port: the verbs that act on existing containers by name or id.  */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/engine/engine.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "engine/container/ctr_ports.h"
#include "engine/container/lifecycle.h"
#include "engine/container/record.h"
#include "engine/image/image.h"
#include "engine/image/index.h"
#include "engine/image/store.h"
#include "runtime/runtime.h"

/* Parse the common "[OPTIONS] CONTAINER [CONTAINER...]" shape: OPTS by
   getopt, then at least MIN names.  Returns the index of the first name, or
   -1 after printing the error (exit 1), -2 after --help.  */
static int
names_start (const char *verb, int argc, int min, const char *usage)
{
  if (optind > argc - min || optind >= argc)
    {
      fprintf (stderr, "kago: \"%s\" requires at least %d argument%s.\nSee 'kago %s --help'.\n\nUsage:  %s\n",
               verb, min, min == 1 ? "" : "s", verb, usage);
      return -1;
    }
  return optind;
}

static int
for_each (struct kago_engine_ctx *ctx, int first, int argc, char **argv,
          int (*fn) (struct kago_engine *e, const char *id, const char *as_typed, void *arg, kago_error_t *err),
          void *arg, bool echo)
{
  kago_error_t err = NULL;
  struct kago_engine e;
  if (kago_cli_open_engine (ctx, &e, &err) < 0)
    return kago_cli_ctr_fail (&err, 1);
  int ret = 0;
  for (int i = first; i < argc; i++)
    {
      char id[KAGO_CTR_ID_LEN + 1];
      if (kago_ctr_resolve (&e, argv[i], id, &err) < 0 || fn (&e, id, argv[i], arg, &err) < 0)
        {
          cleanup_free char *m = kago_error_string (err);
          kago_error_release (&err);
          fprintf (stderr, "Error response from daemon: %s\n", m);
          ret = 1;
          continue;
        }
      if (echo)
        printf ("%s\n", argv[i]);
    }
  kago_engine_close (&e);
  return ret;
}

/* ---- stop / restart / kill ---- */

struct stop_arg
{
  int signal, timeout;
  bool restart;
};

static int
do_stop (struct kago_engine *e, const char *id, const char *typed, void *arg, kago_error_t *err)
{
  (void) typed;
  struct stop_arg *a = arg;
  if (kago_ctr_stop (e, id, a->signal, a->timeout, err) < 0)
    return -1;
  if (a->restart)
    return kago_ctr_start (e, id, &(struct kago_spawn_opts){ 0 }, NULL, NULL, err);
  return 0;
}

static int
stop_or_restart (struct kago_engine_ctx *ctx, int argc, char **argv, bool restart)
{
  static const struct option opts[] = {
    { "time", required_argument, NULL, 't' }, { "timeout", required_argument, NULL, 't' },
    { "signal", required_argument, NULL, 's' }, { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *verb = restart ? "restart" : "stop";
  struct stop_arg a = { .timeout = -1, .restart = restart };
  kago_error_t err = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+t:s:h", opts, NULL)) != -1)
    switch (c)
      {
      case 't':
        {
          char *end;
          long v = strtol (optarg, &end, 10);
          if (*optarg == '\0' || *end || v < -1)
            {
              fprintf (stderr, "kago: invalid argument \"%s\" for \"-t, --time\" flag: invalid syntax\n", optarg);
              return 1;
            }
          a.timeout = (int) v;
          break;
        }
      case 's':
        if (kago_parse_signal (optarg, &a.signal, &err) < 0)
          return kago_cli_ctr_fail (&err, 1);
        break;
      case 'h':
        printf ("Usage:  kago %s [OPTIONS] CONTAINER [CONTAINER...]\n\n%s one or more containers\n\nOptions:\n"
                "  -s, --signal string   Signal to send to the container\n"
                "  -t, --time int        Seconds to wait before killing the container\n",
                verb, restart ? "Restart" : "Stop");
        return 0;
      default:
        fprintf (stderr, "See 'kago %s --help'.\n", verb);
        return 1;
      }
  int first = names_start (verb, argc, 1, restart ? "kago restart [OPTIONS] CONTAINER [CONTAINER...]"
                                                        : "kago stop [OPTIONS] CONTAINER [CONTAINER...]");
  if (first < 0)
    return 1;
  return for_each (ctx, first, argc, argv, do_stop, &a, true);
}

int
kago_cmd_ctr_stop (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  return stop_or_restart (ctx, argc, argv, false);
}

int
kago_cmd_ctr_restart (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  return stop_or_restart (ctx, argc, argv, true);
}

static int
do_kill (struct kago_engine *e, const char *id, const char *typed, void *arg, kago_error_t *err)
{
  (void) typed;
  return kago_ctr_kill (e, id, *(int *) arg, err);
}

int
kago_cmd_ctr_kill (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "signal", required_argument, NULL, 's' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
  };
  int sig = SIGKILL, c;
  kago_error_t err = NULL;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+s:h", opts, NULL)) != -1)
    switch (c)
      {
      case 's':
        if (kago_parse_signal (optarg, &sig, &err) < 0)
          return kago_cli_ctr_fail (&err, 1);
        break;
      case 'h':
        puts ("Usage:  kago kill [OPTIONS] CONTAINER [CONTAINER...]\n\nKill one or more running containers\n\n"
              "Options:\n  -s, --signal string   Signal to send to the container (default \"KILL\")");
        return 0;
      default:
        fprintf (stderr, "See 'kago kill --help'.\n");
        return 1;
      }
  int first = names_start ("kill", argc, 1, "kago kill [OPTIONS] CONTAINER [CONTAINER...]");
  if (first < 0)
    return 1;
  return for_each (ctx, first, argc, argv, do_kill, &sig, true);
}

/* ---- rm ---- */

struct rm_arg
{
  bool force, volumes;
};

static int
do_rm (struct kago_engine *e, const char *id, const char *typed, void *arg, kago_error_t *err)
{
  (void) typed;
  struct rm_arg *a = arg;
  return kago_ctr_remove (e, id, a->force, a->volumes, err);
}

int
kago_cmd_ctr_rm (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "force", no_argument, NULL, 'f' }, { "volumes", no_argument, NULL, 'v' },
    { "link", no_argument, NULL, 'l' },  { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct rm_arg a = { 0 };
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+fvlh", opts, NULL)) != -1)
    switch (c)
      {
      case 'f': a.force = true; break;
      case 'v': a.volumes = true; break;
      case 'l':
        fprintf (stderr, "kago: --link is not supported: kago has no legacy links\n");
        return 1;
      case 'h':
        puts ("Usage:  kago rm [OPTIONS] CONTAINER [CONTAINER...]\n\nRemove one or more containers\n\nOptions:\n"
              "  -f, --force     Force the removal of a running container (uses SIGKILL)\n"
              "  -v, --volumes   Remove anonymous volumes associated with the container");
        return 0;
      default:
        fprintf (stderr, "See 'kago rm --help'.\n");
        return 1;
      }
  int first = names_start ("rm", argc, 1, "kago rm [OPTIONS] CONTAINER [CONTAINER...]");
  if (first < 0)
    return 1;
  return for_each (ctx, first, argc, argv, do_rm, &a, true);
}

/* ---- wait, pause, unpause, rename ---- */

static int
do_wait (struct kago_engine *e, const char *id, const char *typed, void *arg, kago_error_t *err)
{
  (void) typed;
  (void) arg;
  int code;
  if (kago_ctr_wait (e, id, &code, err) < 0)
    return -1;
  printf ("%d\n", code);
  fflush (stdout);
  return 0;
}

static int
simple_verb (struct kago_engine_ctx *ctx, int argc, char **argv, const char *usage,
             int (*fn) (struct kago_engine *, const char *, const char *, void *, kago_error_t *), void *arg,
             bool echo)
{
  static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+h", opts, NULL)) != -1)
    {
      if (c == 'h')
        {
          printf ("Usage:  %s\n", usage);
          return 0;
        }
      fprintf (stderr, "See 'kago %s --help'.\n", argv[0]);
      return 1;
    }
  int first = names_start (argv[0], argc, 1, usage);
  if (first < 0)
    return 1;
  return for_each (ctx, first, argc, argv, fn, arg, echo);
}

int
kago_cmd_ctr_wait (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  return simple_verb (ctx, argc, argv, "kago wait CONTAINER [CONTAINER...]", do_wait, NULL, false);
}

static int
do_pause (struct kago_engine *e, const char *id, const char *typed, void *arg, kago_error_t *err)
{
  (void) typed;
  return kago_ctr_pause (e, id, *(bool *) arg, err);
}

int
kago_cmd_ctr_pause (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  bool p = true;
  return simple_verb (ctx, argc, argv, "kago pause CONTAINER [CONTAINER...]", do_pause, &p, true);
}

int
kago_cmd_ctr_unpause (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  bool p = false;
  return simple_verb (ctx, argc, argv, "kago unpause CONTAINER [CONTAINER...]", do_pause, &p, true);
}

int
kago_cmd_ctr_rename (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  if (argc == 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      puts ("Usage:  kago rename CONTAINER NEW_NAME\n\nRename a container");
      return 0;
    }
  if (argc != 3)
    {
      fprintf (stderr, "kago: \"rename\" requires exactly 2 arguments.\nSee 'kago rename --help'.\n");
      return 1;
    }
  kago_error_t err = NULL;
  struct kago_engine e;
  if (kago_cli_open_engine (ctx, &e, &err) < 0)
    return kago_cli_ctr_fail (&err, 1);
  char id[KAGO_CTR_ID_LEN + 1];
  int ret = 0;
  if (kago_ctr_resolve (&e, argv[1], id, &err) < 0 || kago_ctr_rename (&e, id, argv[2], &err) < 0)
    ret = kago_cli_ctr_fail (&err, 1);
  kago_engine_close (&e);
  return ret;
}

/* ---- inspect (containers, then images) ---- */

int
kago_cmd_ctr_inspect (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "format", required_argument, NULL, 'f' }, { "type", required_argument, NULL, 't' },
    { "size", no_argument, NULL, 's' },         { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *format = NULL, *type = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "f:sh", opts, NULL)) != -1)
    switch (c)
      {
      case 'f': format = optarg; break;
      case 't': type = optarg; break;
      case 's': break;
      case 'h':
        puts ("Usage:  kago inspect [OPTIONS] NAME|ID [NAME|ID...]\n\nReturn low-level information on containers "
              "and images\n\nOptions:\n  -f, --format string   Format output using a Go template subset\n"
              "      --type string     Only inspect objects of the given type (container, image)");
        return 0;
      default:
        fprintf (stderr, "See 'kago inspect --help'.\n");
        return 1;
      }
  if (optind >= argc)
    {
      fprintf (stderr, "kago: \"inspect\" requires at least 1 argument.\nSee 'kago inspect --help'.\n");
      return 1;
    }
  if (type && strcmp (type, "container") != 0 && strcmp (type, "image") != 0)
    {
      fprintf (stderr, "kago: \"%s\" is not a valid value for --type\n", type);
      return 1;
    }
  kago_error_t err = NULL;
  struct kago_engine e;
  if (kago_cli_open_engine (ctx, &e, &err) < 0)
    return kago_cli_ctr_fail (&err, 1);
  struct kago_store *s = NULL;
  struct kago_index idx;
  bool idx_loaded = false;
  json_value *all = json_array_new ();
  int ret = 0;
  for (int i = optind; i < argc; i++)
    {
      json_value *o = NULL;
      if (type == NULL || strcmp (type, "container") == 0)
        {
          o = kago_ctr_inspect (&e, argv[i], &err);
          if (o == NULL)
            kago_error_release (&err);
        }
      if (o == NULL && (type == NULL || strcmp (type, "image") == 0))
        {
          if (s == NULL && (s = kago_cli_open_store (ctx, &err)) == NULL)
            kago_error_release (&err);
          if (s && !idx_loaded)
            {
              if (kago_index_load (s, &idx, &err) == 0)
                idx_loaded = true;
              else
                kago_error_release (&err);
            }
          struct kago_image_rec *rec = idx_loaded ? kago_index_resolve (&idx, argv[i], NULL, &err) : NULL;
          kago_error_release (&err);
          o = rec ? kago_image_inspect (s, &idx, rec, &err) : NULL;
          kago_error_release (&err);
        }
      if (o == NULL)
        {
          fprintf (stderr, "Error: No such object: %s\n", argv[i]);
          ret = 1;
          continue;
        }
      if (format)
        {
          if (kago_template_render (format, o, stdout, &err) < 0)
            {
              json_free (o);
              ret = kago_cli_ctr_fail (&err, 1);
              break;
            }
          json_free (o);
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
  if (idx_loaded)
    kago_index_free (&idx);
  if (s)
    kago_store_close (s);
  kago_engine_close (&e);
  return ret;
}

int
kago_cmd_ctr_port (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  if (argc < 2 || argc > 3)
    {
      fprintf (stderr, "kago: \"port\" requires at least 1 and at most 2 arguments.\nSee 'kago port --help'.\n");
      return 1;
    }
  kago_error_t err = NULL;
  struct kago_engine e;
  if (kago_cli_open_engine (ctx, &e, &err) < 0)
    return kago_cli_ctr_fail (&err, 1);
  struct kago_ctr_info c;
  int ret = 0;
  if (kago_ctr_get (&e, argv[1], &c, &err) < 0)
    ret = kago_cli_ctr_fail (&err, 1);
  else
    {
      const json_value *ports = json_object_get (json_object_get (c.record, "NetworkSettings"), "Ports");
      cleanup_free char *filter = NULL;
      if (argc == 3)
        filter = strchr (argv[2], '/') ? xstrdup (argv[2]) : xasprintf ("%s/tcp", argv[2]);
      cleanup_free char *lines = kago_ctr_ports_lines (ports, filter);
      if (lines)
        fputs (lines, stdout);
      else if (filter)
        {
          /* docker's words for a port that is not published.  */
          fprintf (stderr, "Error: No public port '%s' published for %s\n", filter, argv[1]);
          ret = 1;
        }
      kago_ctr_info_free (&c);
    }
  kago_engine_close (&e);
  return ret;
}
