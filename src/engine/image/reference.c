/* Docker-compatible image reference parsing and normalization (see
   reference.h for the rules).  */
#include "engine/image/reference.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "engine/image/digest.h"

#define NAME_MAX_TOTAL 255

static bool
is_lower_alnum (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
is_alnum (char c)
{
  return isascii ((unsigned char) c) && isalnum ((unsigned char) c);
}

/* path-component := [a-z0-9]+ (([._]|__|[-]+) [a-z0-9]+)*  */
static bool
valid_path_component (const char *s, size_t n)
{
  size_t i = 0;
  if (n == 0 || !is_lower_alnum (s[0]))
    return false;
  while (i < n)
    {
      while (i < n && is_lower_alnum (s[i]))
        i++;
      if (i == n)
        return true;
      /* a separator */
      size_t j = i;
      if (s[j] == '.')
        j++;
      else if (s[j] == '_')
        j += (j + 1 < n && s[j + 1] == '_') ? 2 : 1;
      else if (s[j] == '-')
        while (j < n && s[j] == '-')
          j++;
      else
        return false;
      if (j == n || !is_lower_alnum (s[j]))
        return false;
      i = j;
    }
  return true;
}

static bool
valid_path (const char *p)
{
  if (*p == '\0')
    return false;
  while (*p)
    {
      const char *e = strchrnul (p, '/');
      if (!valid_path_component (p, (size_t) (e - p)))
        return false;
      if (*e == '/' && e[1] == '\0')
        return false;
      p = *e ? e + 1 : e;
    }
  return true;
}

/* domain := host [':' port]; host := domain-name | '[' ipv6 ']'.  */
static bool
valid_domain (const char *d)
{
  const char *p = d;
  if (*p == '[')
    {
      const char *e = strchr (p, ']');
      if (e == NULL || e == p + 1)
        return false;
      for (const char *q = p + 1; q < e; q++)
        if (!(isxdigit ((unsigned char) *q) || *q == ':'))
          return false;
      p = e + 1;
    }
  else
    {
      /* dot-separated components: [a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])? */
      for (;;)
        {
          const char *s = p;
          while (is_alnum (*p) || *p == '-')
            p++;
          if (p == s || s[0] == '-' || p[-1] == '-')
            return false;
          if (*p != '.')
            break;
          p++;
        }
    }
  if (*p == ':')
    {
      p++;
      if (!isdigit ((unsigned char) *p))
        return false;
      while (isdigit ((unsigned char) *p))
        p++;
    }
  return *p == '\0';
}

static bool
valid_tag (const char *t)
{
  size_t n = strlen (t);
  if (n == 0 || n > 128)
    return false;
  if (!(is_alnum (t[0]) || t[0] == '_'))
    return false;
  for (size_t i = 1; i < n; i++)
    if (!(is_alnum (t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
      return false;
  return true;
}

static bool
all_hex64 (const char *s)
{
  if (strlen (s) != 64)
    return false;
  for (const char *p = s; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return false;
  return true;
}

static bool
has_upper (const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (s[i] >= 'A' && s[i] <= 'Z')
      return true;
  return false;
}

int
kago_ref_parse (const char *s, unsigned flags, struct kago_ref *ref, kago_error_t *err)
{
  memset (ref, 0, sizeof *ref);
  if (s == NULL || *s == '\0')
    return kago_error_set (err, 0, "invalid reference format: empty reference");
  if (all_hex64 (s))
    return kago_error_set (err, 0, "invalid repository name (%s), cannot specify 64-byte hexadecimal strings",
                           s);

  cleanup_free char *copy = xstrdup (s);
  char *at = strchr (copy, '@');
  if (at)
    {
      *at = '\0';
      const char *dg = at + 1;
      if (strncmp (dg, "sha256:", 7) != 0)
        {
          const char *colon = strchr (dg, ':');
          if (colon && colon != dg)
            return kago_error_set (err, 0, "invalid reference format: unsupported digest algorithm in `%s`",
                                   s);
          return kago_error_set (err, 0, "invalid reference format: `%s`", s);
        }
      if (!kago_digest_valid (dg))
        return kago_error_set (err, 0, "invalid reference format: invalid digest in `%s`", s);
      ref->digest = xstrdup (dg);
    }
  char *slash = strrchr (copy, '/');
  char *colon = strrchr (slash ? slash : copy, ':');
  if (colon)
    {
      *colon = '\0';
      if (!valid_tag (colon + 1))
        {
          kago_ref_free (ref);
          return kago_error_set (err, 0, "invalid reference format: invalid tag in `%s`", s);
        }
      ref->tag = xstrdup (colon + 1);
    }

  const char *name = copy;
  const char *first_slash = strchr (name, '/');
  const char *remainder;
  if (first_slash == NULL)
    {
      ref->domain = xstrdup (KAGO_DEFAULT_DOMAIN);
      remainder = name;
    }
  else
    {
      size_t n = (size_t) (first_slash - name);
      bool is_domain = memchr (name, '.', n) || memchr (name, ':', n)
                       || (n == 9 && !strncmp (name, "localhost", 9)) || has_upper (name, n);
      if (is_domain)
        {
          ref->domain = xstrndup (name, n);
          remainder = first_slash + 1;
        }
      else
        {
          ref->domain = xstrdup (KAGO_DEFAULT_DOMAIN);
          remainder = name;
        }
    }
  if (strcmp (ref->domain, "index.docker.io") == 0)
    {
      free (ref->domain);
      ref->domain = xstrdup (KAGO_DEFAULT_DOMAIN);
    }
  if (strcmp (ref->domain, KAGO_DEFAULT_DOMAIN) == 0 && strchr (remainder, '/') == NULL)
    ref->path = xasprintf ("library/%s", remainder);
  else
    ref->path = xstrdup (remainder);

  if (has_upper (remainder, strlen (remainder)))
    {
      int r = kago_error_set (err, 0, "invalid reference format: repository name (%s) must be lowercase",
                              remainder);
      kago_ref_free (ref);
      return r;
    }
  if (!valid_domain (ref->domain) || !valid_path (ref->path))
    {
      kago_ref_free (ref);
      return kago_error_set (err, 0, "invalid reference format: `%s`", s);
    }
  if (strlen (ref->domain) + 1 + strlen (ref->path) > NAME_MAX_TOTAL)
    {
      kago_ref_free (ref);
      return kago_error_set (err, 0,
                             "invalid reference format: repository name must not be more than %d "
                             "characters",
                             NAME_MAX_TOTAL);
    }
  if ((flags & KAGO_REF_DEFAULT_TAG) && ref->tag == NULL && ref->digest == NULL)
    ref->tag = xstrdup (KAGO_DEFAULT_TAG);
  return 0;
}

void
kago_ref_free (struct kago_ref *ref)
{
  free (ref->domain);
  free (ref->path);
  free (ref->tag);
  free (ref->digest);
  memset (ref, 0, sizeof *ref);
}

char *
kago_ref_name (const struct kago_ref *ref)
{
  return xasprintf ("%s/%s", ref->domain, ref->path);
}

char *
kago_ref_string (const struct kago_ref *ref)
{
  return xasprintf ("%s/%s%s%s%s%s", ref->domain, ref->path, ref->tag ? ":" : "", ref->tag ? ref->tag : "",
                    ref->digest ? "@" : "", ref->digest ? ref->digest : "");
}

char *
kago_familiar_name (const char *name)
{
  static const char pfx[] = KAGO_DEFAULT_DOMAIN "/";
  if (strncmp (name, pfx, sizeof pfx - 1) != 0)
    return xstrdup (name);
  const char *p = name + sizeof pfx - 1;
  if (strncmp (p, "library/", 8) == 0 && strchr (p + 8, '/') == NULL)
    p += 8;
  return xstrdup (p);
}

char *
kago_ref_familiar_name (const struct kago_ref *ref)
{
  cleanup_free char *n = kago_ref_name (ref);
  return kago_familiar_name (n);
}

bool
kago_ref_split (const char *s, char **name, const char **tag, const char **digest)
{
  *name = NULL;
  *tag = *digest = NULL;
  char *c = xstrdup (s);
  char *at = strchr (c, '@');
  if (at)
    {
      *at = '\0';
      *digest = at + 1;
      *name = c;
      return true;
    }
  char *slash = strrchr (c, '/');
  char *colon = strrchr (slash ? slash : c, ':');
  if (colon)
    {
      *colon = '\0';
      *tag = colon + 1;
      *name = c;
      return true;
    }
  free (c);
  return false;
}
