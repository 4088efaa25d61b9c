/* `kago seccomp ...`: Docker seccomp profiles resolved into OCI
   linux.seccomp (src/seccomp/profile.h).

     kago seccomp resolve [OPTIONS] PROFILE.json    a Docker profile
     kago seccomp resolve [OPTIONS] --default       kago's default profile
     kago seccomp default [OPTIONS] [--unresolved]  the same; --unresolved
                                                    prints it in Docker's format
*/
#include "cli/seccomp_cmd.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "common/xalloc.h"
#include "runtime/process_attrs.h"
#include "seccomp/profile.h"

static void
usage (FILE *out)
{
  fputs ("Usage: kago seccomp resolve [OPTIONS] (PROFILE.json | --default)\n"
         "       kago seccomp default [OPTIONS] [--unresolved]\n"
         "\n"
         "Resolve a Docker seccomp profile (includes/excludes on capabilities,\n"
         "architectures and kernel versions, archMap, name/names) for a container\n"
         "and print the OCI linux.seccomp object for its config.json.\n"
         "\n"
         "Options:\n"
         "   --cap-add CAP     the container also has CAP (SYS_ADMIN, CAP_SYS_ADMIN, ALL); repeatable\n"
         "   --cap-drop CAP    the container does not have CAP (or ALL); repeatable\n"
         "                     (the capabilities start as Docker's 14 default ones)\n"
         "   --arch ARCH       resolve for ARCH (Go's names: amd64, arm64, ...; default: this host's)\n"
         "   --kernel X.Y      resolve for kernel X.Y (default: the running kernel's)\n"
         "   --default         resolve kago's default profile (equivalent to Docker's)\n"
         "   --unresolved      (default) print kago's default profile in Docker's format\n"
         "   --help, -h        show this help\n",
         out);
}

struct opts
{
  const char **add, **drop;
  size_t n_add, n_drop;
  const char *arch, *kernel, *file;
  bool use_default, unresolved;
};

static int
push (const char ***v, size_t *n, const char *s)
{
  *v = xrealloc (*v, (*n + 1) * sizeof **v);
  (*v)[(*n)++] = s;
  return 0;
}

/* Docker's rules: ALL in --cap-add starts from every capability, ALL in
   --cap-drop from none; then the named drops, then the named adds.  */
static int
caps_from_opts (const struct opts *o, uint64_t *out, kago_error_t *err)
{
  uint64_t caps = kago_seccomp_docker_default_caps ();
  uint64_t add = 0, drop = 0;
  bool add_all = false, drop_all = false;
  for (size_t pass = 0; pass < 2; pass++)
    {
      const char **v = pass ? o->drop : o->add;
      size_t n = pass ? o->n_drop : o->n_add;
      for (size_t i = 0; i < n; i++)
        {
          if (strcasecmp (v[i], "ALL") == 0)
            {
              *(pass ? &drop_all : &add_all) = true;
              continue;
            }
          int c = kago_seccomp_cap_parse (v[i]);
          if (c < 0)
            return kago_error_set (err, 0,
                                   "--%s: unknown capability \"%s\" (e.g. SYS_ADMIN or CAP_SYS_ADMIN)",
                                   pass ? "cap-drop" : "cap-add", v[i]);
          *(pass ? &drop : &add) |= UINT64_C (1) << c;
        }
    }
  if (add & drop)
    {
      int c = __builtin_ctzll (add & drop);
      return kago_error_set (err, 0, "%s is both added and dropped", kago_cap_name (c));
    }
  if (add_all)
    for (int c = 0; kago_cap_name (c); c++)
      caps |= UINT64_C (1) << c;
  if (drop_all)
    caps = 0;
  *out = (caps & ~drop) | add;
  return 0;
}

/* A flag that takes a value: "--key value" or "--key=value".  Returns true
   when ARGV[*I] is KEY; *VAL is its value (NULL when missing).  */
static bool
flag_value (int argc, char **argv, int *i, const char *key, const char **val)
{
  size_t n = strlen (key);
  if (strncmp (argv[*i], key, n) != 0)
    return false;
  if (argv[*i][n] == '=')
    *val = argv[*i] + n + 1;
  else if (argv[*i][n] != '\0')
    return false;
  else
    *val = *i + 1 < argc ? argv[++*i] : NULL;
  return true;
}

static int
parse (int argc, char **argv, bool is_default, struct opts *o, kago_error_t *err)
{
  memset (o, 0, sizeof *o);
  o->use_default = is_default;
  for (int i = 0; i < argc; i++)
    {
      const char *a = argv[i], *val = NULL;
      if (flag_value (argc, argv, &i, "--cap-add", &val))
        push (&o->add, &o->n_add, val);
      else if (flag_value (argc, argv, &i, "--cap-drop", &val))
        push (&o->drop, &o->n_drop, val);
      else if (flag_value (argc, argv, &i, "--arch", &val))
        o->arch = val;
      else if (flag_value (argc, argv, &i, "--kernel", &val))
        o->kernel = val;
      else if (strcmp (a, "--default") == 0)
        {
          o->use_default = true;
          continue;
        }
      else if (strcmp (a, "--unresolved") == 0 && is_default)
        {
          o->unresolved = true;
          continue;
        }
      else if (a[0] == '-' && a[1] != '\0')
        return kago_error_set (err, 0, "unknown flag \"%s\"", a);
      else if (o->file == NULL && !is_default)
        {
          o->file = a;
          continue;
        }
      else
        return kago_error_set (err, 0, "unexpected argument \"%s\"", a);
      if (val == NULL)
        return kago_error_set (err, 0, "flag needs an argument: %s", a);
    }
  if (o->use_default && o->file)
    return kago_error_set (err, 0, "give either a profile file or --default, not both");
  if (!o->use_default && o->file == NULL)
    return kago_error_set (err, 0, "\"resolve\" needs a profile file (or --default)");
  return 0;
}

static int
run (int argc, char **argv, bool is_default, kago_error_t *err)
{
  struct opts o;
  int rc = parse (argc, argv, is_default, &o, err);
  cleanup_free const char **add = o.add;
  cleanup_free const char **drop = o.drop;
  if (rc < 0)
    return -1;

  struct kago_seccomp_target t;
  if (kago_seccomp_target_host (&t, err) < 0)
    return -1;
  if (caps_from_opts (&o, &t.caps, err) < 0)
    return -1;
  if (o.arch)
    {
      if (!kago_seccomp_arch_known (o.arch))
        return kago_error_set (err, 0, "--arch: unknown architecture \"%s\" (Go's names: amd64, arm64, ...)",
                               o.arch);
      t.arch = o.arch;
    }
  if (o.kernel && kago_seccomp_parse_kernel (o.kernel, &t.kernel_major, &t.kernel_minor) < 0)
    return kago_error_set (err, 0, "--kernel: invalid version \"%s\" (expected MAJOR.MINOR)", o.kernel);

  json_value *profile;
  if (o.use_default)
    profile = kago_seccomp_default_profile ();
  else
    {
      profile = json_parse_file (o.file, err);
      if (profile == NULL)
        return -1;
    }
  json_value *out = NULL;
  if (o.unresolved)
    out = profile, profile = NULL;
  else if (kago_seccomp_profile_resolve (profile, &t, &out, err) < 0)
    {
      json_free (profile);
      return kago_error_wrap (err, "%s", o.use_default ? "kago's default profile" : o.file);
    }
  json_free (profile);
  cleanup_free char *s = json_to_string (out, true);
  json_free (out);
  if (printf ("%s\n", s) < 0 || fflush (stdout) != 0)
    return kago_error_set (err, errno, "write to stdout");
  return 0;
}

int
kago_seccomp_main (int argc, char **argv)
{
  /* argv[0] is "seccomp" */
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0)
    {
      usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? 1 : 0;
    }
  for (int i = 2; i < argc; i++)
    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
      {
        usage (stdout);
        return 0;
      }
  bool is_default = strcmp (argv[1], "default") == 0;
  if (!is_default && strcmp (argv[1], "resolve") != 0)
    {
      fprintf (stderr, "kago seccomp: unknown command \"%s\"\n\n", argv[1]);
      usage (stderr);
      return 1;
    }
  kago_error_t err = NULL;
  if (run (argc - 2, argv + 2, is_default, &err) < 0)
    {
      cleanup_free char *m = kago_error_string (err);
      fprintf (stderr, "kago seccomp %s: %s\n", argv[1], m);
      kago_error_release (&err);
      return 1;
    }
  return 0;
}
