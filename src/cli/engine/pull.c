/* `kago pull`, `kago login`, `kago logout`.  */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/engine/engine.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "engine/image/image.h"
#include "engine/image/reference.h"
#include "engine/image/registry.h"

/* ---- progress, as docker shows it ---- */

struct layer_line
{
  char id[16];
  enum kago_pull_state st;
  uint64_t cur, total;
  struct timespec started; /* the first Downloading */
};

struct progress
{
  bool tty, quiet;
  struct layer_line *l;
  size_t n;
  bool drawn;
  struct timespec last;
};

static const char *
state_name (enum kago_pull_state st)
{
  switch (st)
    {
    case KAGO_PULL_WAITING:
      return "Waiting";
    case KAGO_PULL_DOWNLOADING:
      return "Downloading";
    case KAGO_PULL_RETRYING:
      return "Retrying";
    case KAGO_PULL_VERIFYING:
      return "Verifying Checksum";
    case KAGO_PULL_DOWNLOADED:
      return "Download complete";
    case KAGO_PULL_EXTRACTING:
      return "Extracting";
    case KAGO_PULL_COMPLETE:
      return "Pull complete";
    case KAGO_PULL_EXISTS:
      return "Already exists";
    default:
      return "Pulling fs layer";
    }
}

static long
ms_since (const struct timespec *t)
{
  struct timespec now;
  clock_gettime (CLOCK_MONOTONIC, &now);
  return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* "Downloading  512kB/1.05MB  3.2MB/s": bytes of the total and the mean
   speed since the layer's download began (shown after 200 ms).  */
static void
print_line (const struct layer_line *l)
{
  if (l->st == KAGO_PULL_DOWNLOADING && l->total)
    {
      char a[32], b[32], rate[48] = "";
      kago_human_size (l->cur, a, sizeof a);
      kago_human_size (l->total, b, sizeof b);
      long ms = ms_since (&l->started);
      if (ms >= 200)
        {
          char r[32];
          kago_human_size ((uint64_t) ((double) l->cur * 1000.0 / (double) ms), r, sizeof r);
          snprintf (rate, sizeof rate, "  %s/s", r);
        }
      printf ("%s: %s  %s/%s%s\n", l->id, state_name (l->st), a, b, rate);
    }
  else
    printf ("%s: %s\n", l->id, state_name (l->st));
}

static void
redraw (struct progress *p)
{
  if (p->drawn)
    printf ("\033[%zuA", p->n);
  for (size_t i = 0; i < p->n; i++)
    {
      printf ("\033[2K");
      print_line (&p->l[i]);
    }
  p->drawn = true;
  fflush (stdout);
}

static void
on_begin (void *ctx, size_t n, const char *const *ids)
{
  struct progress *p = ctx;
  p->l = xcalloc (n + 1, sizeof *p->l);
  p->n = n;
  for (size_t i = 0; i < n; i++)
    {
      snprintf (p->l[i].id, sizeof p->l[i].id, "%s", ids[i]);
      p->l[i].st = (enum kago_pull_state) - 1; /* nothing said yet */
    }
  if (p->tty && !p->quiet)
    redraw (p);
}

static void
on_layer (void *ctx, size_t i, enum kago_pull_state st, uint64_t cur, uint64_t total)
{
  struct progress *p = ctx;
  if (i >= p->n || p->quiet)
    return;
  struct layer_line *l = &p->l[i];
  bool changed = l->st != st;
  if (changed && st == KAGO_PULL_DOWNLOADING)
    clock_gettime (CLOCK_MONOTONIC, &l->started);
  l->st = st;
  l->cur = cur;
  if (total)
    l->total = total;
  if (!p->tty)
    {
      /* One line per event; "Downloading" once, not per chunk.  */
      if (changed)
        {
          printf ("%s: %s\n", l->id, st == KAGO_PULL_WAITING ? "Pulling fs layer" : state_name (st));
          fflush (stdout);
        }
      return;
    }
  if (!changed && ms_since (&p->last) < 100)
    return;
  clock_gettime (CLOCK_MONOTONIC, &p->last);
  redraw (p);
}

/* ---- flags shared by pull and login ---- */

struct reg_flags
{
  struct kago_strv insecure;
  const char *authfile;
};

/* --insecure-registry from the flag and $KAGO_INSECURE_REGISTRIES
   (comma-separated), docker's daemon.json "insecure-registries" in spirit.  */
static void
reg_flags_env (struct reg_flags *f)
{
  const char *e = getenv ("KAGO_INSECURE_REGISTRIES");
  if (e == NULL)
    return;
  cleanup_free char *c = xstrdup (e);
  char *save = NULL;
  for (char *t = strtok_r (c, ", ", &save); t; t = strtok_r (NULL, ", ", &save))
    kago_strv_add (&f->insecure, t);
}

int
kago_cmd_pull (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "quiet", no_argument, NULL, 'q' },
    { "platform", required_argument, NULL, 'p' },
    { "insecure-registry", required_argument, NULL, 'k' },
    { "authfile", required_argument, NULL, 'A' },
    { "all-tags", no_argument, NULL, 'a' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct reg_flags f = { 0 };
  const char *platform = NULL;
  bool quiet = false;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+qah", opts, NULL)) != -1)
    switch (c)
      {
      case 'q':
        quiet = true;
        break;
      case 'p':
        platform = optarg;
        break;
      case 'k':
        kago_strv_add (&f.insecure, optarg);
        break;
      case 'A':
        f.authfile = optarg;
        break;
      case 'a':
        kago_strv_free (&f.insecure);
        return kago_cli_usage_error ("pull", "--all-tags is not supported yet");
      case 'h':
        fputs ("Usage:  kago pull [OPTIONS] NAME[:TAG|@DIGEST]\n\nDownload an image from a registry\n\n"
               "Options:\n"
               "      --platform string            Set platform if server is multi-platform capable\n"
               "                                   (os/arch[/variant]; default: this host)\n"
               "  -q, --quiet                      Suppress verbose output\n"
               "      --insecure-registry string   Allow plain HTTP to this registry (repeatable;\n"
               "                                   also $KAGO_INSECURE_REGISTRIES; localhost is always)\n"
               "      --authfile string            Credentials file (default ~/.config/kago/auth.json)\n",
               stdout);
        kago_strv_free (&f.insecure);
        return 0;
      default:
        kago_strv_free (&f.insecure);
        return kago_cli_usage_error ("pull", "unknown flag");
      }
  if (argc - optind != 1)
    {
      kago_strv_free (&f.insecure);
      return kago_cli_usage_error ("pull", "\"pull\" requires exactly 1 argument");
    }
  reg_flags_env (&f);
  const char *name = argv[optind];
  kago_error_t err = NULL;
  cleanup_ref struct kago_ref ref = { 0 };
  if (kago_ref_parse (name, KAGO_REF_DEFAULT_TAG, &ref, &err) < 0)
    {
      kago_strv_free (&f.insecure);
      return kago_cli_fail (&err);
    }
  cleanup_store struct kago_store *s = kago_cli_open_store (ctx, &err);
  if (s == NULL)
    {
      kago_strv_free (&f.insecure);
      return kago_cli_fail (&err);
    }
  struct progress pr = { .tty = isatty (STDOUT_FILENO), .quiet = quiet };
  struct kago_pull_progress pp = { .begin = on_begin, .layer = on_layer, .ctx = &pr };
  struct kago_registry_opts ro = {
    .insecure = (const char *const *) f.insecure.v,
    .ninsecure = f.insecure.n,
    .auth_file = f.authfile,
  };
  struct kago_pull_opts po = { .registry = &ro, .platform = platform, .progress = &pp };
  cleanup_free char *fam = kago_ref_familiar_name (&ref);
  if (!quiet)
    {
      if (ref.digest)
        printf ("%s: Pulling from %s\n", ref.digest, fam);
      else
        printf ("%s: Pulling from %s\n", ref.tag, fam);
      fflush (stdout);
    }
  struct kago_pull_result res;
  int rc = kago_image_pull (s, name, &po, &res, &err);
  kago_strv_free (&f.insecure);
  free (pr.l);
  if (rc < 0)
    {
      kago_pull_result_free (&res);
      return kago_cli_fail (&err);
    }
  cleanup_free char *shown
      = ref.digest ? xasprintf ("%s@%s", fam, ref.digest) : xasprintf ("%s:%s", fam, ref.tag);
  if (!quiet)
    {
      printf ("Digest: %s\n", res.digest);
      printf ("Status: %s for %s\n", res.up_to_date ? "Image is up to date" : "Downloaded newer image",
              shown);
    }
  printf ("%s\n", res.ref);
  kago_pull_result_free (&res);
  return 0;
}

/* ---- login / logout ---- */

int
kago_cmd_login (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  (void) ctx;
  static const struct option opts[] = {
    { "username", required_argument, NULL, 'u' },
    { "password", required_argument, NULL, 'p' },
    { "password-stdin", no_argument, NULL, 'S' },
    { "insecure-registry", required_argument, NULL, 'k' },
    { "authfile", required_argument, NULL, 'A' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct reg_flags f = { 0 };
  const char *user = NULL;
  cleanup_free char *password = NULL;
  bool from_stdin = false;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+u:p:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'u':
        user = optarg;
        break;
      case 'p':
        free (password);
        password = xstrdup (optarg);
        break;
      case 'S':
        from_stdin = true;
        break;
      case 'k':
        kago_strv_add (&f.insecure, optarg);
        break;
      case 'A':
        f.authfile = optarg;
        break;
      case 'h':
        fputs ("Usage:  kago login [OPTIONS] SERVER\n\nLog in to a registry: the credentials are checked, "
               "then kept (mode 0600) in ~/.config/kago/auth.json ($KAGO_AUTH_FILE, --authfile)\n\nOptions:\n"
               "  -u, --username string   Username\n"
               "  -p, --password string   Password\n"
               "      --password-stdin    Take the password from stdin\n",
               stdout);
        kago_strv_free (&f.insecure);
        return 0;
      default:
        kago_strv_free (&f.insecure);
        return kago_cli_usage_error ("login", "unknown flag");
      }
  if (argc - optind != 1 || user == NULL || (password == NULL && !from_stdin))
    {
      kago_strv_free (&f.insecure);
      return kago_cli_usage_error ("login",
                                   "usage: kago login -u USER (-p PASSWORD | --password-stdin) SERVER");
    }
  if (from_stdin)
    {
      char buf[4096];
      size_t n = fread (buf, 1, sizeof buf - 1, stdin);
      while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
      buf[n] = '\0';
      free (password);
      password = xstrdup (buf);
    }
  reg_flags_env (&f);
  const char *host = argv[optind];
  struct kago_registry_opts ro = {
    .insecure = (const char *const *) f.insecure.v,
    .ninsecure = f.insecure.n,
  };
  kago_error_t err = NULL;
  cleanup_free char *file = f.authfile ? xstrdup (f.authfile) : kago_auth_file_default ();
  int rc = kago_registry_login (host, user, password, &ro, &err);
  if (rc == 0)
    rc = kago_auth_store (file, host, user, password, &err);
  kago_strv_free (&f.insecure);
  explicit_bzero (password, strlen (password));
  if (rc < 0)
    return kago_cli_fail (&err);
  printf ("Login Succeeded\n");
  return 0;
}

int
kago_cmd_logout (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  (void) ctx;
  const char *authfile = NULL;
  int i = 1;
  if (i + 1 < argc && strcmp (argv[i], "--authfile") == 0)
    {
      authfile = argv[i + 1];
      i += 2;
    }
  if (argc - i != 1)
    return kago_cli_usage_error ("logout", "usage: kago logout [--authfile FILE] SERVER");
  kago_error_t err = NULL;
  cleanup_free char *file = authfile ? xstrdup (authfile) : kago_auth_file_default ();
  if (kago_auth_store (file, argv[i], NULL, NULL, &err) < 0)
    return kago_cli_fail (&err);
  printf ("Removing login credentials for %s\n", argv[i]);
  return 0;
}
