/* Persist a container's cgroups in state.json and load them back:
 *
 *   {"mode": "hybrid",
 *    "hierarchies": [{"controllers": "cpu", "mount": "/sys/fs/cgroup/cpu",
 *                     "path": "/kago/ID", "created": 2}, ...,
 *                    {"controllers": "", "mount": "/sys/fs/cgroup/unified",
 *                     "path": "/kago/ID", "created": 2, "unified": true}]}
 *
 * "created" is the number of trailing path components kago made itself:
 * exactly those are removed by destroy.
 */
#include "cgroup/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

json_value *
kago_cgroup_to_json (const struct kago_cgroup *cg)
{
  json_value *o = json_object_new ();
  json_object_set (o, "mode", json_string_new (kago_cgroup_mode_name (cg->mode)));
  json_value *arr = json_array_new ();
  for (size_t i = 0; i < cg->n; i++)
    {
      const struct cg_hier *h = &cg->h[i];
      json_value *e = json_object_new ();
      json_object_set (e, "controllers", json_string_new (h->controllers));
      json_object_set (e, "mount", json_string_new (h->mount_point));
      json_object_set (e, "path", json_string_new (h->path));
      json_object_set (e, "created", json_uint_new (h->created));
      if (h->unified)
        json_object_set (e, "unified", json_bool_new (true));
      json_array_append (arr, e);
    }
  json_object_set (o, "hierarchies", arr);
  return o;
}

static const char *
get_str (const json_value *o, const char *key)
{
  return json_get_string (json_object_get (o, key));
}

int
kago_cgroup_from_json (const json_value *v, struct kago_cgroup **out, kago_error_t *err)
{
  const char *mode = get_str (v, "mode");
  const json_value *arr = json_object_get (v, "hierarchies");
  if (!mode || !arr || arr->type != JSON_ARRAY)
    return kago_error_set (err, EINVAL, "cgroup state: expected \"mode\" and \"hierarchies\"");
  struct kago_cgroup *cg = xzalloc (sizeof *cg);
  cg->clone_fd = -1;
  if (strcmp (mode, "v1") == 0)
    cg->mode = KAGO_CGROUP_V1;
  else if (strcmp (mode, "hybrid") == 0)
    cg->mode = KAGO_CGROUP_HYBRID;
  else if (strcmp (mode, "v2") == 0)
    cg->mode = KAGO_CGROUP_V2;
  else
    {
      free (cg);
      return kago_error_set (err, EINVAL, "cgroup state: unknown mode \"%s\"", mode);
    }
  size_t n = json_array_len (arr);
  cg->h = xcalloc (n ? n : 1, sizeof (*cg->h));
  for (size_t i = 0; i < n; i++)
    {
      const json_value *e = json_array_at (arr, i);
      const char *ctrls = get_str (e, "controllers"), *mount = get_str (e, "mount"),
                 *path = get_str (e, "path");
      uint32_t created = 0;
      const json_value *c = json_object_get (e, "created");
      if (!ctrls || !mount || !path || path[0] != '/' || (c && json_get_uint32 (c, &created) < 0))
        {
          kago_cgroup_free (cg);
          return kago_error_set (err, EINVAL, "cgroup state: bad hierarchies[%zu]", i);
        }
      const json_value *u = json_object_get (e, "unified");
      struct cg_hier *h = &cg->h[cg->n++];
      h->controllers = xstrdup (ctrls);
      h->mount_point = xstrdup (mount);
      h->path = xstrdup (path);
      h->dir = xasprintf ("%s%s", strcmp (mount, "/") == 0 ? "" : mount, path);
      h->created = created;
      h->unified = u && u->type == JSON_BOOL && u->u.boolean;
    }
  *out = cg;
  return 0;
}
