/* `kago import`: a root filesystem tar becomes a one-layer image, with
   `--change` Dockerfile instructions applied to its config as `docker import`
   does (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER,
   VOLUME, WORKDIR).  */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cleanup.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "engine/image/image.h"
#include "engine/image/reference.h"

/* Shell-like words: whitespace separates, "..." and '...' group, a
   backslash escapes the next character (not inside '...').  */
static int
split_words (const char *s, struct kago_strv *out, kago_error_t *err)
{
  const char *p = s;
  for (;;)
    {
      while (*p && isspace ((unsigned char) *p))
        p++;
      if (*p == '\0')
        return 0;
      strbuf w = STRBUF_INIT;
      strbuf_grow (&w, 1);
      while (*p && !isspace ((unsigned char) *p))
        {
          if (*p == '\'' || *p == '"')
            {
              char q = *p++;
              while (*p && *p != q)
                {
                  if (q == '"' && *p == '\\' && p[1])
                    p++;
                  strbuf_addc (&w, *p++);
                }
              if (*p != q)
                {
                  strbuf_release (&w);
                  return kago_error_set (err, 0, "unmatched quote in `%s`", s);
                }
              p++;
            }
          else
            {
              if (*p == '\\' && p[1])
                p++;
              strbuf_addc (&w, *p++);
            }
        }
      kago_strv_add (out, w.buf);
      strbuf_release (&w);
    }
}

/* A JSON array of strings, or the shell form ["/bin/sh", "-c", REST].  */
static json_value *
command_value (const char *rest, kago_error_t *err)
{
  if (*rest == '[')
    {
      json_value *v = json_parse (rest, strlen (rest), NULL);
      bool ok = v && v->type == JSON_ARRAY;
      for (size_t i = 0; ok && i < json_array_len (v); i++)
        ok = json_array_at (v, i)->type == JSON_STRING;
      if (ok)
        return v;
      json_free (v);
      /* docker takes a malformed JSON array as the shell form.  */
    }
  json_value *a = json_array_new ();
  json_array_append (a, json_string_new ("/bin/sh"));
  json_array_append (a, json_string_new ("-c"));
  json_array_append (a, json_string_new (rest));
  (void) err;
  return a;
}

static json_value *
object_member (json_value *obj, const char *key)
{
  json_value *v = json_object_get (obj, key);
  if (v == NULL || v->type != JSON_OBJECT)
    {
      v = json_object_new ();
      json_object_set (obj, key, v);
    }
  return v;
}

/* KEY=VALUE pairs (ENV, LABEL), or the legacy "KEY VALUE..." form.  */
static int
key_values (const char *instr, const char *rest, struct kago_strv *keys, struct kago_strv *values,
            kago_error_t *err)
{
  struct kago_strv words = { 0 };
  if (split_words (rest, &words, err) < 0)
    return -1;
  int ret = 0;
  if (words.n == 0)
    ret = kago_error_set (err, 0, "%s requires at least one argument", instr);
  else if (strchr (words.v[0], '=') == NULL)
    {
      /* ENV KEY VALUE WITH SPACES */
      if (words.n < 2)
        ret = kago_error_set (err, 0, "%s must have two arguments", instr);
      else
        {
          kago_strv_add (keys, words.v[0]);
          const char *p = rest;
          while (isspace ((unsigned char) *p))
            p++;
          p += strcspn (p, " \t");
          while (isspace ((unsigned char) *p))
            p++;
          kago_strv_add (values, p);
        }
    }
  else
    for (size_t i = 0; i < words.n && ret == 0; i++)
      {
        char *eq = strchr (words.v[i], '=');
        if (eq == NULL || eq == words.v[i])
          {
            ret = kago_error_set (err, 0, "%s: `%s` is not KEY=VALUE", instr, words.v[i]);
            break;
          }
        *eq = '\0';
        kago_strv_add (keys, words.v[i]);
        kago_strv_add (values, eq + 1);
      }
  kago_strv_free (&words);
  return ret;
}

static void
set_env (json_value *config, const char *key, const char *value)
{
  json_value *env = json_object_get (config, "Env");
  if (env == NULL || env->type != JSON_ARRAY)
    {
      env = json_array_new ();
      json_object_set (config, "Env", env);
    }
  size_t kl = strlen (key);
  cleanup_free char *entry = xasprintf ("%s=%s", key, value);
  for (size_t i = 0; i < json_array_len (env); i++)
    {
      json_value *e = json_array_at (env, i);
      if (e->type == JSON_STRING && strncmp (e->u.str.s, key, kl) == 0 && e->u.str.s[kl] == '=')
        {
          free (e->u.str.s);
          e->u.str.s = xstrdup (entry);
          e->u.str.len = strlen (entry);
          return;
        }
    }
  json_array_append (env, json_string_new (entry));
}

int
kago_image_apply_change (json_value *config, const char *change, kago_error_t *err)
{
  const char *p = change;
  while (isspace ((unsigned char) *p))
    p++;
  size_t n = strcspn (p, " \t\n");
  cleanup_free char *instr = xstrndup (p, n);
  for (char *c = instr; *c; c++)
    *c = (char) toupper ((unsigned char) *c);
  const char *rest = p + n;
  while (isspace ((unsigned char) *rest))
    rest++;
  cleanup_free char *arg = xstrdup (rest);
  for (size_t l = strlen (arg); l > 0 && isspace ((unsigned char) arg[l - 1]); l--)
    arg[l - 1] = '\0';

  if (strcmp (instr, "CMD") == 0 || strcmp (instr, "ENTRYPOINT") == 0)
    {
      json_value *v = command_value (arg, err);
      if (v == NULL)
        return -1;
      json_object_set (config, strcmp (instr, "CMD") == 0 ? "Cmd" : "Entrypoint", v);
      return 0;
    }
  if (strcmp (instr, "ENV") == 0 || strcmp (instr, "LABEL") == 0)
    {
      struct kago_strv keys = { 0 }, values = { 0 };
      if (key_values (instr, arg, &keys, &values, err) < 0)
        {
          kago_strv_free (&keys);
          kago_strv_free (&values);
          return -1;
        }
      for (size_t i = 0; i < keys.n; i++)
        if (instr[0] == 'E')
          set_env (config, keys.v[i], values.v[i]);
        else
          json_object_set (object_member (config, "Labels"), keys.v[i], json_string_new (values.v[i]));
      kago_strv_free (&keys);
      kago_strv_free (&values);
      return 0;
    }
  if (*arg == '\0' && strcmp (instr, "ONBUILD") != 0)
    return kago_error_set (err, 0, "%s requires an argument", instr);
  if (strcmp (instr, "WORKDIR") == 0)
    {
      const char *cur = json_get_string (json_object_get (config, "WorkingDir"));
      cleanup_free char *wd = arg[0] == '/' || cur == NULL ? xstrdup (arg) : xasprintf ("%s/%s", cur, arg);
      json_object_set (config, "WorkingDir", json_string_new (wd));
      return 0;
    }
  if (strcmp (instr, "USER") == 0 || strcmp (instr, "STOPSIGNAL") == 0)
    {
      json_object_set (config, instr[0] == 'U' ? "User" : "StopSignal", json_string_new (arg));
      return 0;
    }
  if (strcmp (instr, "EXPOSE") == 0 || strcmp (instr, "VOLUME") == 0)
    {
      struct kago_strv words = { 0 };
      if (instr[0] == 'V' && arg[0] == '[')
        {
          json_value *v = json_parse (arg, strlen (arg), NULL);
          for (size_t i = 0; v && i < json_array_len (v); i++)
            if (json_get_string (json_array_at (v, i)))
              kago_strv_add (&words, json_get_string (json_array_at (v, i)));
          json_free (v);
        }
      else if (split_words (arg, &words, err) < 0)
        return -1;
      json_value *obj = object_member (config, instr[0] == 'E' ? "ExposedPorts" : "Volumes");
      for (size_t i = 0; i < words.n; i++)
        {
          if (instr[0] == 'E')
            {
              char *end;
              long port = strtol (words.v[i], &end, 10);
              if (end == words.v[i] || port < 0 || port > 65535
                  || !(*end == '\0' || strcmp (end, "/tcp") == 0 || strcmp (end, "/udp") == 0
                       || strcmp (end, "/sctp") == 0))
                {
                  int r = kago_error_set (err, 0, "EXPOSE: invalid port `%s`", words.v[i]);
                  kago_strv_free (&words);
                  return r;
                }
              cleanup_free char *key = *end ? xstrdup (words.v[i]) : xasprintf ("%ld/tcp", port);
              json_object_set (obj, key, json_object_new ());
            }
          else
            json_object_set (obj, words.v[i], json_object_new ());
        }
      kago_strv_free (&words);
      return 0;
    }
  if (strcmp (instr, "ONBUILD") == 0)
    {
      json_value *ob = json_object_get (config, "OnBuild");
      if (ob == NULL || ob->type != JSON_ARRAY)
        {
          ob = json_array_new ();
          json_object_set (config, "OnBuild", ob);
        }
      json_array_append (ob, json_string_new (arg));
      return 0;
    }
  return kago_error_set (err, 0, "%s is not a valid change command", instr);
}

/* Complete the config (platform, dates, rootfs, history), store it and add
   the image to IDX.  */
static int
commit_config (struct kago_store *s, struct kago_index *idx, json_value *config,
               const struct kago_layer_info *li, const struct kago_import_opts *o,
               struct kago_image_rec **rec, kago_error_t *err)
{
  cleanup_free char *now = kago_now_rfc3339 ();
  json_object_set (config, "architecture", json_string_new (kago_host_arch ()));
  json_object_set (config, "os", json_string_new ("linux"));
  json_object_set (config, "created", json_string_new (now));
  if (o->message)
    json_object_set (config, "comment", json_string_new (o->message));
  json_value *rootfs = json_object_new ();
  json_object_set (rootfs, "type", json_string_new ("layers"));
  json_value *diffs = json_array_new ();
  json_array_append (diffs, json_string_new (li->diff_id));
  json_object_set (rootfs, "diff_ids", diffs);
  json_object_set (config, "rootfs", rootfs);
  json_value *hist = json_array_new ();
  json_value *h = json_object_new ();
  json_object_set (h, "created", json_string_new (now));
  cleanup_free char *by = xasprintf ("kago import %s", o->source ? o->source : "-");
  json_object_set (h, "created_by", json_string_new (by));
  json_object_set (h, "comment", json_string_new (o->message ? o->message : "Imported from -"));
  json_array_append (hist, h);
  json_object_set (config, "history", hist);

  cleanup_free char *text = json_to_string (config, false);
  char cdigest[KAGO_DIGEST_SIZE];
  if (kago_store_put_blob (s, text, strlen (text), NULL, cdigest, err) < 0)
    return -1;
  return kago_image_commit (s, idx, cdigest, config, li, 1, NULL, rec, err);
}

int
kago_image_import (struct kago_store *s, int fd, const struct kago_import_opts *o, char id[KAGO_DIGEST_SIZE],
                   kago_error_t *err)
{
  cleanup_ref struct kago_ref ref = { 0 };
  if (o->ref && kago_ref_parse (o->ref, KAGO_REF_DEFAULT_TAG, &ref, err) < 0)
    return -1;
  if (o->ref && ref.digest)
    return kago_error_set (err, 0, "refusing to create a tag with a digest reference");

  /* The config first: a bad --change fails before anything is stored.  */
  json_value *config = json_object_new ();
  json_value *cc = json_object_new ();
  json_object_set (config, "config", cc);
  for (size_t i = 0; i < o->nchanges; i++)
    if (kago_image_apply_change (cc, o->changes[i], err) < 0)
      {
        json_free (config);
        return kago_error_wrap (err, "--change `%s`", o->changes[i]);
      }

  if (kago_store_lock (s, err) < 0)
    {
      json_free (config);
      return -1;
    }
  cleanup_index struct kago_index idx;
  int ret = -1;
  if (kago_index_load (s, &idx, err) < 0)
    {
      json_free (config);
      return -1;
    }
  char blob[KAGO_DIGEST_SIZE];
  struct kago_layer_info li;
  if (kago_store_put_blob_fd (s, fd, NULL, blob, NULL, err) < 0)
    {
      kago_error_wrap (err, "read the tar");
      goto out;
    }
  if (kago_store_layer_unpack (s, blob, NULL, NULL, &li, err) < 0)
    goto out;

  struct kago_image_rec *rec;
  if (commit_config (s, &idx, config, &li, o, &rec, err) < 0)
    goto out;
  if (o->ref)
    {
      cleanup_free char *full = kago_ref_string (&ref);
      kago_index_tag_set (&idx, full, rec->manifest);
    }
  if (kago_index_save (s, &idx, err) < 0)
    goto out;
  snprintf (id, KAGO_DIGEST_SIZE, "%s", rec->id);
  ret = 0;
out:
  json_free (config);
  if (ret < 0)
    {
      /* What was stored for a failed import goes.  */
      cleanup_index struct kago_index ondisk;
      kago_error_t e2 = NULL;
      if (kago_index_load (s, &ondisk, &e2) < 0 || kago_store_gc (s, &ondisk, NULL, NULL, &e2) < 0)
        kago_error_release (&e2);
    }
  return ret;
}
