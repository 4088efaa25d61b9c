/* specgen: the engine's spec builder on its own, for the integration tests
   (tests/integration/runspec.bats) until `kago run` uses it.
 *
 *   specgen DIR [run flags...] IMAGE [CMD...]
 *
 * DIR holds rootfs/ (the container's root), and gets ctr/ (hostname, hosts,
 * resolv.conf) and volumes/.  The image config is $SPECGEN_IMAGE_CONFIG
 * (a JSON file) or {"config":{"Cmd":["sh"]}}.  Prints the OCI config on
 * stdout, and {"Config","HostConfig","Mounts","Path","Args"} into the file
 * $SPECGEN_DOCKER when set.  */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json.h"
#include "engine/container/runopts.h"

int
main (int argc, char **argv)
{
  if (argc < 3)
    {
      fprintf (stderr, "usage: specgen DIR [run flags...] IMAGE [CMD...]\n");
      return 2;
    }
  const char *dir = argv[1];
  char rootfs[4096], cdir[4096], vdir[4096];
  snprintf (rootfs, sizeof rootfs, "%s/rootfs", dir);
  snprintf (cdir, sizeof cdir, "%s/ctr", dir);
  snprintf (vdir, sizeof vdir, "%s/volumes", dir);
  mkdir (cdir, 0755);
  kago_error_t err = NULL;
  struct kago_run_opts o;
  argv[1] = (char *) "run";
  if (kago_run_opts_parse (argc - 1, argv + 1, &o, &err) < 0)
    goto fail;
  const char *icf = getenv ("SPECGEN_IMAGE_CONFIG");
  const char *dflt = "{\"config\":{\"Cmd\":[\"sh\"]}}";
  json_value *img = icf ? json_parse_file (icf, &err) : json_parse (dflt, strlen (dflt), &err);
  if (img == NULL)
    goto fail;
  const char *id = getenv ("SPECGEN_ID");
  struct kago_spec_input in = {
    .id = id ? id : "5ba1c0ffee5ba1c0ffee5ba1c0ffee5ba1c0ffee5ba1c0ffee5ba1c0ffee5ba1",
    .name = "specgen",
    .rootfs = rootfs,
    .image_config = img,
    .image_id = "sha256:0",
    .container_dir = cdir,
    .volumes_dir = vdir,
    .runtime_root = dir,
    .cgroup_parent_default = getenv ("SPECGEN_CGROUP_PARENT"),
  };
  struct kago_spec_output out;
  if (kago_spec_build (&o, &in, &out, &err) < 0)
    goto fail;
  char *s = json_to_string (out.oci, true);
  puts (s);
  free (s);
  const char *dpath = getenv ("SPECGEN_DOCKER");
  if (dpath)
    {
      json_value *d = json_object_new ();
      json_object_set (d, "Config", out.config);
      json_object_set (d, "HostConfig", out.host_config);
      json_object_set (d, "Mounts", out.mounts);
      out.config = out.host_config = out.mounts = NULL;
      json_object_set (d, "Path", json_string_new (out.path));
      json_value *a = json_array_new ();
      for (size_t i = 0; out.args[i]; i++)
        json_array_append (a, json_string_new (out.args[i]));
      json_object_set (d, "Args", a);
      s = json_to_string (d, true);
      FILE *f = fopen (dpath, "we");
      if (f)
        {
          fprintf (f, "%s\n", s);
          fclose (f);
        }
      free (s);
      json_free (d);
    }
  kago_spec_output_free (&out);
  json_free (img);
  kago_run_opts_free (&o);
  return 0;
fail:;
  char *m = kago_error_string (err);
  fprintf (stderr, "specgen: %s\n", m);
  free (m);
  return 125;
}
