/* Registry credentials in docker's auth.json format (login, logout, the
   Basic credentials a pull sends), split from registry_client.c.  */
#include "engine/image/registry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/strbuf.h"
#include "common/xalloc.h"

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *
b64_encode (const char *s, size_t n)
{
  strbuf b = { 0 };
  for (size_t i = 0; i < n; i += 3)
    {
      unsigned v = (unsigned char) s[i] << 16;
      if (i + 1 < n)
        v |= (unsigned char) s[i + 1] << 8;
      if (i + 2 < n)
        v |= (unsigned char) s[i + 2];
      strbuf_addc (&b, b64chars[(v >> 18) & 63]);
      strbuf_addc (&b, b64chars[(v >> 12) & 63]);
      strbuf_addc (&b, i + 1 < n ? b64chars[(v >> 6) & 63] : '=');
      strbuf_addc (&b, i + 2 < n ? b64chars[v & 63] : '=');
    }
  if (b.buf == NULL)
    strbuf_adds (&b, "");
  return strbuf_detach (&b);
}

static char *
b64_decode (const char *s)
{
  strbuf b = { 0 };
  unsigned v = 0;
  int bits = 0;
  for (; *s && *s != '='; s++)
    {
      const char *p = strchr (b64chars, *s);
      if (p == NULL || *s == '\0')
        {
          strbuf_release (&b);
          return NULL;
        }
      v = (v << 6) | (unsigned) (p - b64chars);
      bits += 6;
      if (bits >= 8)
        {
          bits -= 8;
          strbuf_addc (&b, (char) ((v >> bits) & 0xff));
        }
    }
  if (b.buf == NULL)
    strbuf_adds (&b, "");
  return strbuf_detach (&b);
}

/* --------------------------------------------------------- credentials */

char *
kago_auth_file_default (void)
{
  const char *e = getenv ("KAGO_AUTH_FILE");
  if (e && *e)
    return xstrdup (e);
  const char *x = getenv ("XDG_CONFIG_HOME");
  if (x && *x)
    return xasprintf ("%s/kago/auth.json", x);
  const char *home = getenv ("HOME");
  return xasprintf ("%s/.config/kago/auth.json", home && *home ? home : "/root");
}

static const char *const *
auth_keys (const char *host, char keys[4][300])
{
  static const char *v[5];
  size_t n = 0;
  if (strcmp (host, "docker.io") == 0)
    {
      snprintf (keys[n], 300, "https://index.docker.io/v1/");
      v[n] = keys[n], n++;
    }
  snprintf (keys[n], 300, "%s", host);
  v[n] = keys[n], n++;
  snprintf (keys[n], 300, "https://%s", host);
  v[n] = keys[n], n++;
  snprintf (keys[n], 300, "http://%s", host);
  v[n] = keys[n], n++;
  v[n] = NULL;
  return v;
}

int
kago_auth_lookup (const char *file, const char *host, char **user, char **password, kago_error_t *err)
{
  *user = *password = NULL;
  if (access (file, F_OK) < 0)
    return 0;
  json_value *doc = json_parse_file (file, err);
  if (doc == NULL)
    return -1;
  char keys[4][300];
  json_value *auths = json_object_get (doc, "auths");
  for (const char *const *k = auth_keys (host, keys); *k; k++)
    {
      json_value *e = json_object_get (auths, *k);
      if (e == NULL)
        continue;
      const char *a = json_get_string (json_object_get (e, "auth"));
      cleanup_free char *dec = a ? b64_decode (a) : NULL;
      char *colon = dec ? strchr (dec, ':') : NULL;
      if (colon)
        {
          *colon = '\0';
          *user = xstrdup (dec);
          *password = xstrdup (colon + 1);
        }
      break;
    }
  json_free (doc);
  return 0;
}

int
kago_auth_store (const char *file, const char *host, const char *user, const char *password,
                 kago_error_t *err)
{
  json_value *doc = NULL;
  if (access (file, F_OK) == 0 && (doc = json_parse_file (file, err)) == NULL)
    return -1;
  if (doc == NULL || doc->type != JSON_OBJECT)
    {
      json_free (doc);
      doc = json_object_new ();
    }
  json_value *auths = json_object_get (doc, "auths");
  if (auths == NULL || auths->type != JSON_OBJECT)
    {
      auths = json_object_new ();
      json_object_set (doc, "auths", auths);
    }
  if (password)
    {
      cleanup_free char *up = xasprintf ("%s:%s", user, password);
      cleanup_free char *enc = b64_encode (up, strlen (up));
      json_value *e = json_object_new ();
      json_object_set (e, "auth", json_string_new (enc));
      json_object_set (auths, host, e);
    }
  else
    {
      char keys[4][300];
      bool found = false;
      for (const char *const *k = auth_keys (host, keys); *k; k++)
        found |= json_object_del (auths, *k);
      if (!found)
        {
          json_free (doc);
          return kago_error_set (err, 0, "not logged in to %s", host);
        }
    }
  cleanup_free char *text = json_to_string (doc, true);
  json_free (doc);
  /* The directory: 0700, the file: 0600, replaced whole.  */
  cleanup_free char *dir = xstrdup (file);
  char *slash = strrchr (dir, '/');
  if (slash && slash != dir)
    {
      *slash = '\0';
      cleanup_free char *parent = xstrdup (dir);
      char *ps = strrchr (parent, '/');
      if (ps && ps != parent)
        {
          *ps = '\0';
          if (mkdir (parent, 0700) < 0 && errno != EEXIST)
            return kago_error_set (err, errno, "mkdir `%s`", parent);
        }
      if (mkdir (dir, 0700) < 0 && errno != EEXIST)
        return kago_error_set (err, errno, "mkdir `%s`", dir);
    }
  cleanup_free char *tmp = xasprintf ("%s.tmp", file);
  cleanup_close int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return kago_error_set (err, errno, "create `%s`", tmp);
  size_t len = strlen (text);
  if (fchmod (fd, 0600) < 0 || write (fd, text, len) != (ssize_t) len || write (fd, "\n", 1) != 1
      || fsync (fd) < 0)
    {
      int en = errno;
      unlink (tmp);
      return kago_error_set (err, en, "write `%s`", tmp);
    }
  if (rename (tmp, file) < 0)
    {
      int en = errno;
      unlink (tmp);
      return kago_error_set (err, en, "rename `%s`", tmp);
    }
  return 0;
}
