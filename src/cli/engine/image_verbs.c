/* `kago tag`, `rmi`, `image prune`, `load`, `save`, `import`.  */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/engine/engine.h"
#include "engine/container/lifecycle.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "engine/image/image.h"
#include "engine/image/rootfs.h"

/* Every verb takes --help; USAGE is printed for it.  Returns 1 when the
   caller should return 0 (help shown), -1 on a bad flag, 0 otherwise.  */
static int
simple_help (int argc, char **argv, const char *usage)
{
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        break;
      if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        {
          fputs (usage, stdout);
          return 1;
        }
    }
  return 0;
}

int
kago_cmd_tag (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const char usage[] = "Usage:  kago tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\n"
                              "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE\n";
  if (simple_help (argc, argv, usage))
    return 0;
  if (argc != 3)
    return kago_cli_usage_error ("tag", "\"tag\" requires exactly 2 arguments");
  kago_error_t err = NULL;
  cleanup_store struct kago_store *s = kago_cli_open_store (ctx, &err);
  if (s == NULL || kago_image_tag (s, argv[1], argv[2], &err) < 0)
    return kago_cli_fail (&err);
  return 0;
}

int
kago_cmd_rmi (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "force", no_argument, NULL, 'f' },
    { "no-prune", no_argument, NULL, 'P' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool force = false;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "fh", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        force = true;
        break;
      case 'P':
        break;
      case 'h':
        fputs ("Usage:  kago rmi [OPTIONS] IMAGE [IMAGE...]\n\nRemove one or more images\n\nOptions:\n"
               "  -f, --force      Force removal of the image\n"
               "      --no-prune   Accepted for docker compatibility (kago has no untagged parents)\n",
               stdout);
        return 0;
      default:
        return kago_cli_usage_error ("rmi", "unknown flag");
      }
  if (optind >= argc)
    return kago_cli_usage_error ("rmi", "\"rmi\" requires at least 1 argument");
  kago_error_t err = NULL;
  cleanup_store struct kago_store *s = kago_cli_open_store (ctx, &err);
  if (s == NULL)
    return kago_cli_fail (&err);
  struct kago_engine e;
  if (kago_cli_open_engine (ctx, &e, &err) < 0)
    return kago_cli_fail (&err);
  struct kago_image_users u = { .in_use = kago_ctr_image_in_use, .ctx = &e };
  const struct kago_image_users *users = &u;
  int ret = 0;
  for (int i = optind; i < argc; i++)
    {
      struct kago_strv events = { 0 };
      int r = kago_image_remove (s, argv[i], force, users, &events, &err);
      for (size_t j = 0; j < events.n; j++)
        puts (events.v[j]);
      kago_strv_free (&events);
      if (r < 0)
        ret = kago_cli_fail (&err);
    }
  kago_engine_close (&e);
  return ret;
}

int
kago_cmd_image_prune (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "all", no_argument, NULL, 'a' },
    { "force", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool all = false, force = false;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "afh", opts, NULL)) != -1)
    switch (c)
      {
      case 'a':
        all = true;
        break;
      case 'f':
        force = true;
        break;
      case 'h':
        fputs ("Usage:  kago image prune [OPTIONS]\n\nRemove unused images\n\nOptions:\n"
               "  -a, --all     Remove all unused images, not just dangling ones\n"
               "  -f, --force   Do not prompt for confirmation\n",
               stdout);
        return 0;
      default:
        return kago_cli_usage_error ("image prune", "unknown flag");
      }
  if (optind < argc)
    return kago_cli_usage_error ("image prune", "\"prune\" accepts no arguments");
  if (!force)
    {
      printf ("WARNING! This will remove all %s.\nAre you sure you want to continue? [y/N] ",
              all ? "images without at least one container associated to them" : "dangling images");
      fflush (stdout);
      char line[64];
      if (fgets (line, sizeof line, stdin) == NULL || (line[0] != 'y' && line[0] != 'Y'))
        return 0;
    }
  kago_error_t err = NULL;
  cleanup_store struct kago_store *s = kago_cli_open_store (ctx, &err);
  if (s == NULL)
    return kago_cli_fail (&err);
  struct kago_strv deleted = { 0 };
  uint64_t reclaimed = 0;
  struct kago_engine e;
  if (kago_cli_open_engine (ctx, &e, &err) < 0)
    return kago_cli_fail (&err);
  struct kago_image_users u = { .in_use = kago_ctr_image_in_use, .ctx = &e };
  int r = kago_image_prune (s, all, &u, &deleted, &reclaimed, &err);
  kago_engine_close (&e);
  if (deleted.n)
    {
      puts ("Deleted Images:");
      for (size_t i = 0; i < deleted.n; i++)
        puts (deleted.v[i]);
      putchar ('\n');
    }
  kago_strv_free (&deleted);
  if (r < 0)
    return kago_cli_fail (&err);
  char size[32];
  kago_human_size (reclaimed, size, sizeof size);
  printf ("Total reclaimed space: %s\n", size);
  return 0;
}

int
kago_cmd_load (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "input", required_argument, NULL, 'i' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *input = NULL;
  bool quiet = false;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "i:qh", opts, NULL)) != -1)
    switch (c)
      {
      case 'i':
        input = optarg;
        break;
      case 'q':
        quiet = true;
        break;
      case 'h':
        fputs ("Usage:  kago load [OPTIONS]\n\nLoad an image from a tar archive or STDIN: docker-save "
               "archives and OCI image layouts, gzip or zstd compressed or not\n\nOptions:\n"
               "  -i, --input string   Read from tar archive file, instead of STDIN\n"
               "  -q, --quiet          Suppress the load output\n",
               stdout);
        return 0;
      default:
        return kago_cli_usage_error ("load", "unknown flag");
      }
  if (optind < argc)
    return kago_cli_usage_error ("load", "\"load\" accepts no arguments");
  kago_error_t err = NULL;
  cleanup_close int fd = -1;
  if (input)
    {
      fd = open (input, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        {
          kago_error_set (&err, errno, "open `%s`", input);
          return kago_cli_fail (&err);
        }
    }
  else if (isatty (STDIN_FILENO))
    {
      fprintf (stderr, "kago: requested load from stdin, but stdin is empty\n");
      return 1;
    }
  cleanup_store struct kago_store *s = kago_cli_open_store (ctx, &err);
  if (s == NULL)
    return kago_cli_fail (&err);
  struct kago_strv loaded = { 0 }, ids = { 0 };
  if (kago_image_load (s, input ? fd : STDIN_FILENO, &loaded, &ids, &err) < 0)
    return kago_cli_fail (&err);
  if (!quiet)
    {
      for (size_t i = 0; i < loaded.n; i++)
        printf ("Loaded image: %s\n", loaded.v[i]);
      for (size_t i = 0; i < ids.n; i++)
        printf ("Loaded image ID: %s\n", ids.v[i]);
    }
  kago_strv_free (&loaded);
  kago_strv_free (&ids);
  return 0;
}

int
kago_cmd_save (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "output", required_argument, NULL, 'o' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *output = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "o:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'o':
        output = optarg;
        break;
      case 'h':
        fputs ("Usage:  kago save [OPTIONS] IMAGE [IMAGE...]\n\nSave one or more images to a tar archive "
               "(docker-save format; streamed to STDOUT by default)\n\nOptions:\n"
               "  -o, --output string   Write to a file, instead of STDOUT\n",
               stdout);
        return 0;
      default:
        return kago_cli_usage_error ("save", "unknown flag");
      }
  if (optind >= argc)
    return kago_cli_usage_error ("save", "\"save\" requires at least 1 argument");
  if (output == NULL && isatty (STDOUT_FILENO))
    {
      fprintf (stderr, "kago: cowardly refusing to save to a terminal. Use the -o flag or redirect\n");
      return 1;
    }
  kago_error_t err = NULL;
  cleanup_store struct kago_store *s = kago_cli_open_store (ctx, &err);
  if (s == NULL)
    return kago_cli_fail (&err);
  if (output == NULL)
    {
      if (kago_image_save (s, (const char *const *) argv + optind, (size_t) (argc - optind), STDOUT_FILENO,
                           &err)
          < 0)
        return kago_cli_fail (&err);
      return 0;
    }
  /* A temporary name beside OUTPUT, renamed when complete: a failed save
     leaves no half archive.  */
  cleanup_free char *copy = xstrdup (output);
  cleanup_free char *tmp = xasprintf ("%s/.%s.kago-XXXXXX", dirname (copy), basename ((char *) output));
  cleanup_close int fd = mkostemp (tmp, O_CLOEXEC);
  if (fd < 0)
    {
      kago_error_set (&err, errno, "create `%s`", output);
      return kago_cli_fail (&err);
    }
  if (kago_image_save (s, (const char *const *) argv + optind, (size_t) (argc - optind), fd, &err) < 0
      || fchmod (fd, 0644) < 0 || rename (tmp, output) < 0)
    {
      if (err == NULL)
        kago_error_set (&err, errno, "write `%s`", output);
      unlink (tmp);
      return kago_cli_fail (&err);
    }
  return 0;
}

int
kago_cmd_import (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "change", required_argument, NULL, 'c' },
    { "message", required_argument, NULL, 'm' },
    { "platform", required_argument, NULL, 'p' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct kago_strv changes = { 0 };
  struct kago_import_opts o = { 0 };
  int c, ret = 1;
  optind = 0;
  while ((c = getopt_long (argc, argv, "c:m:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'c':
        kago_strv_add (&changes, optarg);
        break;
      case 'm':
        o.message = optarg;
        break;
      case 'p':
        {
          cleanup_free char *want = xasprintf ("linux/%s", kago_host_arch ());
          if (strcmp (optarg, want) != 0 && strcmp (optarg, "linux") != 0)
            {
              kago_strv_free (&changes);
              return kago_cli_usage_error ("import", "--platform %s: kago imports for this host (%s) only",
                                           optarg, want);
            }
        }
        break;
      case 'h':
        fputs (
            "Usage:  kago import [OPTIONS] file|- [REPOSITORY[:TAG]]\n\nImport the contents from a tarball "
            "(gzip, zstd or plain) to create a filesystem image\n\nOptions:\n"
            "  -c, --change list      Apply Dockerfile instruction to the created image (CMD, ENTRYPOINT, "
            "ENV,\n                         EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)\n"
            "  -m, --message string   Set commit message for imported image\n"
            "      --platform string  Set platform (this host's only)\n",
            stdout);
        kago_strv_free (&changes);
        return 0;
      default:
        kago_strv_free (&changes);
        return kago_cli_usage_error ("import", "unknown flag");
      }
  int nargs = argc - optind;
  if (nargs < 1 || nargs > 2)
    {
      kago_strv_free (&changes);
      return kago_cli_usage_error ("import", "\"import\" requires at least 1 and at most 2 arguments");
    }
  const char *src = argv[optind];
  o.ref = nargs == 2 ? argv[optind + 1] : NULL;
  o.changes = (const char *const *) changes.v;
  o.nchanges = changes.n;
  o.source = src;
  kago_error_t err = NULL;
  cleanup_close int fd = -1;
  if (strstr (src, "://"))
    {
      kago_error_set (&err, 0, "import from a URL (%s) is not supported: download it and import the file",
                      src);
      goto out;
    }
  if (strcmp (src, "-") != 0)
    {
      fd = open (src, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        {
          kago_error_set (&err, errno, "open `%s`", src);
          goto out;
        }
    }
  {
    cleanup_store struct kago_store *s = kago_cli_open_store (ctx, &err);
    char id[KAGO_DIGEST_SIZE];
    if (s == NULL || kago_image_import (s, fd >= 0 ? fd : STDIN_FILENO, &o, id, &err) < 0)
      goto out;
    puts (id);
    ret = 0;
  }
out:
  kago_strv_free (&changes);
  if (ret != 0 && err)
    return kago_cli_fail (&err);
  return ret;
}

int
kago_cmd_image_mount (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
    { "copy", no_argument, NULL, 'c' },
    { "overlay", no_argument, NULL, 'o' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  enum kago_rootfs_mode mode = KAGO_ROOTFS_AUTO;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1)
    switch (c)
      {
      case 'c':
        mode = KAGO_ROOTFS_COPY;
        break;
      case 'o':
        mode = KAGO_ROOTFS_OVERLAY;
        break;
      case 'h':
        fputs ("Usage:  kago image mount [--overlay|--copy] IMAGE DIR\n\nMake a container root filesystem "
               "of IMAGE in DIR (created): overlayfs over the image's layers with DIR/upper and\nDIR/work, "
               "mounted on DIR/merged, or (when overlay is impossible, or with --copy) a copy in\n"
               "DIR/rootfs.  Prints the root filesystem's path.  `kago image unmount DIR` undoes it.\n",
               stdout);
        return 0;
      default:
        return kago_cli_usage_error ("image mount", "unknown flag");
      }
  if (argc - optind != 2)
    return kago_cli_usage_error ("image mount", "\"mount\" requires exactly 2 arguments");
  kago_error_t err = NULL;
  cleanup_store struct kago_store *s = kago_cli_open_store (ctx, &err);
  struct kago_rootfs r;
  if (s == NULL || kago_rootfs_create_from_image (s, argv[optind], argv[optind + 1], mode, &r, &err) < 0)
    return kago_cli_fail (&err);
  puts (r.path);
  kago_rootfs_release (&r);
  return 0;
}

int
kago_cmd_image_unmount (struct kago_engine_ctx *ctx, int argc, char **argv)
{
  (void) ctx;
  if (simple_help (argc, argv,
                   "Usage:  kago image unmount DIR\n\nUnmount and remove a root filesystem "
                   "that `kago image mount` made in DIR\n"))
    return 0;
  if (argc != 2)
    return kago_cli_usage_error ("image unmount", "\"unmount\" requires exactly 1 argument");
  kago_error_t err = NULL;
  if (kago_rootfs_remove (argv[1], &err) < 0)
    return kago_cli_fail (&err);
  return 0;
}
