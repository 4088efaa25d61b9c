/* The OCI state object.  */
#include "oci/state_json.h"

json_value *
kago_state_json_new (const char *oci_version, const char *id, const char *status, pid_t pid,
                     const char *bundle, const oci_map *annotations)
{
  json_value *o = json_object_new ();
  json_object_set (o, "ociVersion", json_string_new (oci_version ? oci_version : KAGO_OCI_VERSION));
  json_object_set (o, "id", json_string_new (id ? id : ""));
  json_object_set (o, "status", json_string_new (status ? status : ""));
  if (pid > 0)
    json_object_set (o, "pid", json_int_new (pid));
  json_object_set (o, "bundle", json_string_new (bundle ? bundle : ""));
  if (annotations && annotations->n > 0)
    {
      json_value *a = json_object_new ();
      for (size_t i = 0; i < annotations->n; i++)
        json_object_set (a, annotations->items[i].key,
                         json_string_new (annotations->items[i].value ? annotations->items[i].value : ""));
      json_object_set (o, "annotations", a);
    }
  return o;
}
