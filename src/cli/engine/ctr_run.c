/* kago run, create, start, attach: making containers and staying attached
   to them (the client side of the monitor's attach).  */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "cli/engine/engine.h"
#include "common/cleanup.h"
#include "common/phase.h"
#include "common/xalloc.h"
#include "engine/container/ctr_network.h"
#include "engine/container/lifecycle.h"
#include "engine/container/record.h"
#include "engine/container/runopts.h"
#include "engine/image/store.h"
#include "engine/network/manage.h"

/* Docker's exit statuses for the engine's own failures.  */
#define EXIT_ENGINE 125

int
kago_cli_ctr_fail (kago_error_t *err, int status)
{
  cleanup_free char *m = kago_error_string (*err);
  kago_error_release (err);
  fprintf (stderr, "kago: %s\n", m);
  return status;
}

int
kago_cli_open_engine (struct kago_engine_ctx *ctx, struct kago_engine *e, kago_error_t *err)
{
  if (kago_engine_open (ctx->root, e, err) < 0)
    return -1;
  if (ctx->bip == NULL)
    return 0;
  /* --bip (or $KAGO_BIP): the default network's subnet, before anything
     uses it.  */
  cleanup_free char *notice = NULL;
  if (kago_network_default_bip (ctx->root, ctx->bip, kago_ctr_net_holder_alive, e, &notice, err) < 0)
    {
      kago_engine_close (e);
      return -1;
    }
  if (notice)
    fprintf (stderr, "kago: %s\n", notice);
  return 0;
}

/* ---- the attached client ---- */

struct term_state
{
  bool raw;
  struct termios saved;
};

static void
term_raw (struct term_state *t)
{
  t->raw = isatty (0) && tcgetattr (0, &t->saved) == 0;
  if (t->raw)
    {
      struct termios r = t->saved;
      cfmakeraw (&r);
      tcsetattr (0, TCSANOW, &r);
    }
}

static void
term_restore (struct term_state *t)
{
  if (t->raw)
    tcsetattr (0, TCSANOW, &t->saved);
  t->raw = false;
}

static void
send_resize (int conn)
{
  struct winsize ws;
  if (ioctl (0, TIOCGWINSZ, &ws) < 0 && ioctl (1, TIOCGWINSZ, &ws) < 0)
    return;
  struct kago_mon_msg m = { .type = KAGO_MON_RESIZE, .a = ws.ws_row, .b = ws.ws_col };
  kago_error_t err = NULL;
  if (kago_mon_send (conn, &m, NULL, 0, &err) < 0)
    kago_error_release (&err);
}

/* Wait on the monitor connection until the container exits (its code) or
   the user detaches (-1 with *DETACHED).  Signals go to the container
   (docker's --sig-proxy) unless it has a terminal, whose keys do that.  */
static int
attached_wait (struct kago_engine *e, const char *id, int conn, bool tty, bool sig_proxy, bool *detached)
{
  sigset_t ss, old;
  sigemptyset (&ss);
  int fwd[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
  for (size_t i = 0; i < sizeof fwd / sizeof *fwd; i++)
    sigaddset (&ss, fwd[i]);
  sigprocmask (SIG_BLOCK, &ss, &old);
  int sfd = signalfd (-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);
  int code = -1;
  *detached = false;
  for (;;)
    {
      struct pollfd p[2] = { { .fd = conn, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
      if (poll (p, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (p[1].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          while (read (sfd, &si, sizeof si) == (ssize_t) sizeof si)
            {
              if (si.ssi_signo == SIGWINCH)
                {
                  if (tty)
                    send_resize (conn);
                }
              else if (sig_proxy && !tty)
                {
                  kago_error_t err = NULL;
                  if (kago_ctr_kill (e, id, (int) si.ssi_signo, &err) < 0)
                    kago_error_release (&err);
                }
            }
        }
      if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
        {
          struct kago_mon_msg m;
          kago_error_t err = NULL;
          int r = kago_mon_recv (conn, &m, NULL, NULL, &err);
          kago_error_release (&err);
          if (r <= 0)
            break;
          if (m.type == KAGO_MON_EXIT)
            {
              code = m.a;
              break;
            }
          if (m.type == KAGO_MON_DETACHED)
            {
              *detached = true;
              break;
            }
        }
    }
  if (sfd >= 0)
    close (sfd);
  sigprocmask (SIG_SETMASK, &old, NULL);
  if (code < 0 && !*detached)
    {
      /* The monitor went away without a word: the record knows.  */
      struct kago_ctr_info c;
      kago_error_t err = NULL;
      if (kago_ctr_get (e, id, &c, &err) == 0)
        {
          code = c.exit_code;
          kago_ctr_info_free (&c);
        }
      else
        {
          kago_error_release (&err);
          code = 255;
        }
    }
  return code;
}

/* ---- run / create ---- */

struct build_ctx
{
  struct kago_engine *e;
  const struct kago_run_opts *o;
  char **warnings;
};

static int
lookup_running (void *ctx, const char *name_or_id, pid_t *pid, char id[65], kago_error_t *err)
{
  struct kago_engine *e = ctx;
  struct kago_ctr_info c;
  if (kago_ctr_get (e, name_or_id, &c, err) < 0)
    return -1;
  int r = 0;
  if (c.status != KAGO_CTR_RUNNING && c.status != KAGO_CTR_PAUSED)
    r = kago_error_set (err, 0, "container %s is not running", name_or_id);
  else
    {
      *pid = c.pid;
      memcpy (id, c.id, KAGO_CTR_ID_LEN + 1);
    }
  kago_ctr_info_free (&c);
  return r;
}

static int
build_spec (void *arg, const char *id, const char *name, const char *rootfs, const char *cdir,
            const json_value *image_config, const char *image_id, json_value **oci, json_value **config,
            json_value **host_config, json_value **mounts, char **path, char ***args, kago_error_t *err)
{
  struct build_ctx *b = arg;
  cleanup_free char *volumes = xasprintf ("%s/volumes", b->e->root);
  struct kago_spec_input in = {
    .id = id,
    .name = name,
    .rootfs = rootfs,
    .image_config = image_config,
    .image_id = image_id,
    .container_dir = cdir,
    .volumes_dir = volumes,
    .runtime_root = b->e->runtime_root,
    .lookup = lookup_running,
    .lookup_ctx = b->e,
    .engine_root = b->e->root,
  };
  struct kago_spec_output out = { 0 };
  if (kago_spec_build (b->o, &in, &out, err) < 0)
    {
      kago_spec_output_free (&out);
      return -1;
    }
  *oci = out.oci, out.oci = NULL;
  *config = out.config, out.config = NULL;
  *host_config = out.host_config, out.host_config = NULL;
  *mounts = out.mounts, out.mounts = NULL;
  *path = out.path, out.path = NULL;
  *args = out.args, out.args = NULL;
  b->warnings = out.warnings, out.warnings = NULL;
  kago_spec_output_free (&out);
  return 0;
}

static void
print_warnings (char **w)
{
  for (size_t i = 0; w && w[i]; i++)
    {
      fprintf (stderr, "WARNING: %s\n", w[i]);
      free (w[i]);
    }
  free (w);
}

static int
write_cidfile (const char *path, const char *id, kago_error_t *err)
{
  FILE *f = fopen (path, "wx");
  if (f == NULL)
    return kago_error_set (err, errno, errno == EEXIST ? "Container ID file found, make sure the other container "
                                                         "isn't running or delete %s"
                                                       : "failed to create the container ID file %s",
                           path);
  fputs (id, f);
  fclose (f);
  return 0;
}

static int
run_or_create (struct kago_engine_ctx *ctx, int argc, char **argv, bool run)
{
  const char *verb = run ? "run" : "create";
  struct kago_run_opts o;
  kago_run_opts_init (&o);
  kago_error_t err = NULL;
  int ret = EXIT_ENGINE;
  struct kago_engine e = { 0 };
  struct kago_store *s = NULL;
  if (kago_run_opts_parse (argc, argv, &o, &err) < 0)
    {
      cleanup_free char *m = kago_error_string (err);
      kago_error_release (&err);
      fprintf (stderr, "kago: %s\nSee 'kago %s --help'.\n", m, verb);
      goto out;
    }
  if (o.help)
    {
      kago_run_usage (stdout, verb);
      ret = 0;
      goto out;
    }
  if (!run)
    o.detach = true;
  if (o.tty && o.interactive && !o.detach && !isatty (0))
    {
      fprintf (stderr, "kago: the input device is not a TTY\n");
      ret = 1;
      goto out;
    }
  KAGO_PHASE ("eng:parsed");
  if (kago_cli_open_engine (ctx, &e, &err) < 0 || (s = kago_cli_open_store (ctx, &err)) == NULL)
    {
      ret = kago_cli_ctr_fail (&err, EXIT_ENGINE);
      goto out;
    }
  struct build_ctx b = { .e = &e, .o = &o };
  struct kago_ctr_new n = {
    .name = o.name, .image = o.image, .build = build_spec, .build_arg = &b,
  };
  char id[KAGO_CTR_ID_LEN + 1];
  if (kago_ctr_create (&e, s, &n, id, &err) < 0)
    {
      print_warnings (b.warnings);
      if (err->errnum == ENOENT && strstr (err->msg, "No such image"))
        {
          cleanup_free char *m = kago_error_string (err);
          kago_error_release (&err);
          fprintf (stderr, "Unable to find image '%s' locally\nkago: %s\nSee 'kago %s --help'.\n", o.image, m,
                   verb);
          goto out;
        }
      ret = kago_cli_ctr_fail (&err, EXIT_ENGINE);
      goto out;
    }
  print_warnings (b.warnings);
  kago_store_close (s);
  s = NULL;
  if (o.network && strcmp (o.network, "none") != 0 && strcmp (o.network, "default") != 0
      && strcmp (o.network, "host") != 0 && strncmp (o.network, "container:", 10) != 0)
    {
      /* The bridge, forwarding and NAT in our namespace, here where a
         notice can be printed (the monitor repeats it silently).  */
      cleanup_free char *notice = NULL;
      KAGO_PHASE ("eng:created");
      if (kago_ctr_net_prepare (&e, id, &notice, &err) < 0)
        {
          kago_error_t e2 = NULL;
          if (kago_ctr_remove (&e, id, true, false, &e2) < 0)
            kago_error_release (&e2);
          ret = kago_cli_ctr_fail (&err, EXIT_ENGINE);
          goto out;
        }
      if (notice)
        fprintf (stderr, "kago: %s\n", notice);
      KAGO_PHASE ("eng:net-prepared");
    }
  if (o.cidfile && write_cidfile (o.cidfile, id, &err) < 0)
    {
      kago_error_t e2 = NULL;
      if (kago_ctr_remove (&e, id, true, false, &e2) < 0)
        kago_error_release (&e2);
      ret = kago_cli_ctr_fail (&err, EXIT_ENGINE);
      goto out;
    }
  if (!run)
    {
      printf ("%s\n", id);
      ret = 0;
      goto out;
    }
  struct term_state ts = { 0 };
  struct kago_spawn_opts so = {
    .attach = !o.detach,
    .attach_stdin = o.interactive && !o.detach,
    .detach_keys = o.detach_keys,
    .title_area = ctx->title_area,
    .title_len = ctx->title_len,
  };
  if (o.tty)
    {
      struct winsize ws;
      if (ioctl (0, TIOCGWINSZ, &ws) == 0 || ioctl (1, TIOCGWINSZ, &ws) == 0)
        so.rows = ws.ws_row, so.cols = ws.ws_col;
      if (!o.detach && o.interactive)
        term_raw (&ts);
    }
  int conn = -1;
  pid_t pid = 0;
  if (kago_ctr_start (&e, id, &so, o.detach ? NULL : &conn, &pid, &err) < 0)
    {
      term_restore (&ts);
      int code = kago_ctr_exec_error_code (err);
      if (o.rm)
        {
          kago_error_t e2 = NULL;
          if (kago_ctr_remove (&e, id, true, false, &e2) < 0)
            kago_error_release (&e2);
        }
      ret = kago_cli_ctr_fail (&err, code);
      goto out;
    }
  if (o.detach)
    {
      printf ("%s\n", id);
      ret = 0;
      goto out;
    }
  KAGO_PHASE ("eng:started");
  bool detached;
  ret = attached_wait (&e, id, conn, o.tty, o.sig_proxy, &detached);
  KAGO_PHASE ("eng:exited");
  KAGO_PHASE_DUMP ();
  close (conn);
  term_restore (&ts);
  if (detached)
    ret = 0;
out:
  if (s)
    kago_store_close (s);
  if (e.root)
    kago_engine_close (&e);
  kago_run_opts_free (&o);
  return ret;
}

int
kago_cmd_ctr_run (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  return run_or_create (ctx, argc, argv, true);
}

int
kago_cmd_ctr_create (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  return run_or_create (ctx, argc, argv, false);
}

/* ---- start / attach ---- */

int
kago_cmd_ctr_start (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "attach", no_argument, NULL, 'a' },    { "interactive", no_argument, NULL, 'i' },
    { "detach-keys", required_argument, NULL, 'k' }, { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool attach = false, interactive = false;
  const char *keys = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+aih", opts, NULL)) != -1)
    switch (c)
      {
      case 'a': attach = true; break;
      case 'i': interactive = true; break;
      case 'k': keys = optarg; break;
      case 'h':
        puts ("Usage:  kago start [OPTIONS] CONTAINER [CONTAINER...]\n\nStart one or more stopped containers\n\n"
              "Options:\n  -a, --attach               Attach STDOUT/STDERR and forward signals\n"
              "      --detach-keys string   Override the key sequence for detaching a container\n"
              "  -i, --interactive          Attach container's STDIN");
        return 0;
      default:
        fprintf (stderr, "See 'kago start --help'.\n");
        return EXIT_ENGINE;
      }
  if (optind >= argc)
    {
      fprintf (stderr, "kago: \"start\" requires at least 1 argument.\nSee 'kago start --help'.\n");
      return EXIT_ENGINE;
    }
  if ((attach || interactive) && argc - optind > 1)
    {
      fprintf (stderr, "kago: you cannot start and attach multiple containers at once\n");
      return EXIT_ENGINE;
    }
  kago_error_t err = NULL;
  struct kago_engine e;
  if (kago_cli_open_engine (ctx, &e, &err) < 0)
    return kago_cli_ctr_fail (&err, 1);
  int ret = 0;
  for (int i = optind; i < argc; i++)
    {
      struct kago_ctr_info info;
      if (kago_ctr_get (&e, argv[i], &info, &err) < 0)
        {
          ret = kago_cli_ctr_fail (&err, 1);
          continue;
        }
      bool tty = kago_rec_bool (info.record, "Config", "Tty");
      struct kago_spawn_opts so = {
        .attach = attach || interactive, .attach_stdin = interactive, .detach_keys = keys,
        .title_area = ctx->title_area, .title_len = ctx->title_len,
      };
      struct term_state ts = { 0 };
      if (tty && interactive)
        term_raw (&ts);
      int conn = -1;
      if (kago_ctr_start (&e, info.id, &so, so.attach ? &conn : NULL, NULL, &err) < 0)
        {
          term_restore (&ts);
          ret = kago_cli_ctr_fail (&err, 1);
        }
      else if (so.attach && conn >= 0)
        {
          bool detached;
          ret = attached_wait (&e, info.id, conn, tty, true, &detached);
          close (conn);
          term_restore (&ts);
          if (detached)
            ret = 0;
        }
      else
        printf ("%s\n", argv[i]);
      kago_ctr_info_free (&info);
    }
  kago_engine_close (&e);
  return ret;
}

int
kago_cmd_ctr_attach (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "no-stdin", no_argument, NULL, 'n' }, { "sig-proxy", required_argument, NULL, 's' },
    { "detach-keys", required_argument, NULL, 'k' }, { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool no_stdin = false, sig_proxy = true;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+h", opts, NULL)) != -1)
    switch (c)
      {
      case 'n': no_stdin = true; break;
      case 's': sig_proxy = strcmp (optarg, "false") != 0; break;
      case 'k': break; /* the monitor's keys were set at start */
      case 'h':
        puts ("Usage:  kago attach [OPTIONS] CONTAINER\n\nAttach local standard input, output, and error streams "
              "to a running container\n\nOptions:\n      --detach-keys string   Override the key sequence for "
              "detaching a container\n      --no-stdin             Do not attach STDIN\n      --sig-proxy          "
              "  Proxy all received signals to the process (default true)");
        return 0;
      default:
        fprintf (stderr, "See 'kago attach --help'.\n");
        return 1;
      }
  if (argc - optind != 1)
    {
      fprintf (stderr, "kago: \"attach\" requires exactly 1 argument.\nSee 'kago attach --help'.\n");
      return 1;
    }
  kago_error_t err = NULL;
  struct kago_engine e;
  if (kago_cli_open_engine (ctx, &e, &err) < 0)
    return kago_cli_ctr_fail (&err, 1);
  struct kago_ctr_info info;
  int ret = 1;
  if (kago_ctr_get (&e, argv[optind], &info, &err) < 0)
    {
      kago_engine_close (&e);
      return kago_cli_ctr_fail (&err, 1);
    }
  if (info.status != KAGO_CTR_RUNNING)
    {
      fprintf (stderr, "kago: You cannot attach to a stopped container, start it first\n");
      goto out;
    }
  bool tty = kago_rec_bool (info.record, "Config", "Tty");
  bool stdin_open = kago_rec_bool (info.record, "Config", "OpenStdin") && !no_stdin;
  int conn = kago_mon_connect (&e, info.id, &err);
  if (conn < 0)
    {
      ret = kago_cli_ctr_fail (&err, 1);
      goto out;
    }
  int fds[3], nfds = 0, flags = KAGO_ATTACH_STDOUT | KAGO_ATTACH_STDERR;
  if (stdin_open)
    fds[nfds++] = 0, flags |= KAGO_ATTACH_STDIN;
  fds[nfds++] = 1;
  fds[nfds++] = 2;
  struct kago_mon_msg m = { .type = KAGO_MON_ATTACH, .a = flags };
  struct term_state ts = { 0 };
  if (tty && stdin_open)
    term_raw (&ts);
  if (kago_mon_send (conn, &m, fds, nfds, &err) < 0)
    {
      term_restore (&ts);
      close (conn);
      ret = kago_cli_ctr_fail (&err, 1);
      goto out;
    }
  if (tty)
    send_resize (conn);
  bool detached;
  ret = attached_wait (&e, info.id, conn, tty, sig_proxy, &detached);
  close (conn);
  term_restore (&ts);
  if (detached)
    ret = 0;
out:
  kago_ctr_info_free (&info);
  kago_engine_close (&e);
  return ret;
}
