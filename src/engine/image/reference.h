/* Image references, normalized as Docker does (distribution/reference's
   ParseNormalizedNamed):
     busybox                 -> docker.io/library/busybox:latest
     user/app:1.0            -> docker.io/user/app:1.0
     localhost:5000/a/b      -> localhost:5000/a/b:latest
     index.docker.io/x       -> docker.io/library/x:latest
     name@sha256:<hex>       -> docker.io/library/name@sha256:<hex>  (no tag added)
   The first path component is a registry host when it contains '.' or ':',
   is "localhost", or has an upper-case letter.  Repository paths are lower
   case; tags are [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; digests sha256 only.  */
#ifndef KAGO_IMAGE_REFERENCE_H
#define KAGO_IMAGE_REFERENCE_H

#include <stdbool.h>

#include "common/error.h"

#define KAGO_DEFAULT_DOMAIN "docker.io"
#define KAGO_DEFAULT_TAG "latest"

struct kago_ref
{
  char *domain; /* "docker.io", "localhost:5000" */
  char *path;   /* "library/busybox" */
  char *tag;    /* NULL when none */
  char *digest; /* "sha256:<hex>", NULL when none */
};

enum
{
  /* Add the tag "latest" when the reference has neither tag nor digest.  */
  KAGO_REF_DEFAULT_TAG = 1 << 0,
};

int kago_ref_parse (const char *s, unsigned flags, struct kago_ref *ref, kago_error_t *err);
void kago_ref_free (struct kago_ref *ref);

/* "docker.io/library/busybox" */
char *kago_ref_name (const struct kago_ref *ref);
/* The full normalized string: NAME[:TAG][@DIGEST].  */
char *kago_ref_string (const struct kago_ref *ref);
/* What docker shows: "busybox", "user/app", "localhost:5000/a/b".  */
char *kago_ref_familiar_name (const struct kago_ref *ref);
/* The familiar form of a normalized NAME (no tag/digest).  */
char *kago_familiar_name (const char *name);

/* Split a normalized "NAME:TAG" or "NAME@DIGEST" string back into the name
   and the part after the separator (borrowed pointers into a copy the caller
   frees through *name).  Returns false when S has neither.  */
bool kago_ref_split (const char *s, char **name, const char **tag, const char **digest);

static inline void
cleanup_refp (struct kago_ref *r)
{
  kago_ref_free (r);
}
#define cleanup_ref __attribute__ ((cleanup (cleanup_refp)))

#endif
