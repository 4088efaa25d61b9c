/* Image references (Docker's normalization), digests and chain IDs.  */
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "engine/image/digest.h"
#include "engine/image/reference.h"
#include "tap.h"

static char *
norm (const char *s)
{
  struct kago_ref r;
  kago_error_t err = NULL;
  if (kago_ref_parse (s, KAGO_REF_DEFAULT_TAG, &r, &err) < 0)
    {
      char *m = kago_error_string (err);
      kago_error_release (&err);
      char *ret = NULL;
      if (asprintf (&ret, "ERR %s", m) < 0)
        abort ();
      free (m);
      return ret;
    }
  char *out = kago_ref_string (&r);
  kago_ref_free (&r);
  return out;
}

#define NORM(in, want)                                                                                       \
  do                                                                                                         \
    {                                                                                                        \
      char *got_ = norm (in);                                                                                \
      CHECK_STR (got_, want);                                                                                \
      free (got_);                                                                                           \
    }                                                                                                        \
  while (0)

#define BAD(in, msg)                                                                                         \
  do                                                                                                         \
    {                                                                                                        \
      char *got_ = norm (in);                                                                                \
      CHECK (strncmp (got_, "ERR ", 4) == 0);                                                                \
      CHECK_CONTAINS (got_, msg);                                                                            \
      free (got_);                                                                                           \
    }                                                                                                        \
  while (0)

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

TEST (official_images_get_library_and_latest)
{
  NORM ("busybox", "docker.io/library/busybox:latest");
  NORM ("busybox:1.36", "docker.io/library/busybox:1.36");
  NORM ("library/busybox", "docker.io/library/busybox:latest");
  NORM ("docker.io/busybox", "docker.io/library/busybox:latest");
  NORM ("index.docker.io/busybox:x", "docker.io/library/busybox:x");
  NORM ("user/app", "docker.io/user/app:latest");
  NORM ("a/b/c", "docker.io/a/b/c:latest");
}

TEST (registries_hosts_and_ports)
{
  NORM ("localhost/app", "localhost/app:latest");
  NORM ("localhost:5000/app:v1", "localhost:5000/app:v1");
  NORM ("quay.io/org/app:1.0", "quay.io/org/app:1.0");
  NORM ("my-registry.example.com:443/a/b", "my-registry.example.com:443/a/b:latest");
  NORM ("[::1]:5000/app", "[::1]:5000/app:latest");
  /* An upper-case first component is a host, as in docker.  */
  NORM ("Registry/app", "Registry/app:latest");
  /* A first component without '.', ':' is a path component.  */
  NORM ("registry/app", "docker.io/registry/app:latest");
}

TEST (digests_add_no_tag)
{
  NORM ("busybox@sha256:" D64, "docker.io/library/busybox@sha256:" D64);
  NORM ("busybox:1@sha256:" D64, "docker.io/library/busybox:1@sha256:" D64);
  NORM ("localhost:5000/a@sha256:" D64, "localhost:5000/a@sha256:" D64);
}

TEST (separators_in_names)
{
  NORM ("a_b__c-d--e/f.g", "docker.io/a_b__c-d--e/f.g:latest");
  NORM ("x:Tag_1.2-3", "docker.io/library/x:Tag_1.2-3");
}

TEST (bad_references_are_refused)
{
  BAD ("", "empty");
  BAD ("Busybox", "must be lowercase");
  BAD ("user/App", "must be lowercase");
  BAD ("busybox:", "invalid tag");
  BAD ("busybox:-x", "invalid tag");
  BAD ("a//b", "invalid reference format");
  BAD ("a/", "invalid reference format");
  BAD ("_a", "invalid reference format");
  BAD ("a__-b", "invalid reference format");
  BAD ("busybox@sha256:abc", "invalid digest");
  BAD ("busybox@md5:" D64, "unsupported digest algorithm");
  BAD (D64, "64-byte hexadecimal");
  BAD ("host:port/a", "invalid reference format");
  BAD ("-host.io/a", "invalid reference format");
}

TEST (familiar_names)
{
  struct kago_ref r;
  kago_error_t err = NULL;
  CHECK (kago_ref_parse ("busybox", 0, &r, &err) == 0);
  CHECK (r.tag == NULL);
  cleanup_free char *f = kago_ref_familiar_name (&r);
  CHECK_STR (f, "busybox");
  kago_ref_free (&r);
  cleanup_free char *f2 = kago_familiar_name ("docker.io/user/app");
  CHECK_STR (f2, "user/app");
  cleanup_free char *f3 = kago_familiar_name ("localhost:5000/library/x");
  CHECK_STR (f3, "localhost:5000/library/x");
  cleanup_free char *f4 = kago_familiar_name ("docker.io/library/a/b");
  CHECK_STR (f4, "library/a/b");
}

TEST (split_normalized)
{
  char *name;
  const char *tag, *dg;
  CHECK (kago_ref_split ("localhost:5000/a/b:v1", &name, &tag, &dg));
  CHECK_STR (name, "localhost:5000/a/b");
  CHECK_STR (tag, "v1");
  CHECK (dg == NULL);
  free (name);
  CHECK (kago_ref_split ("docker.io/library/x@sha256:" D64, &name, &tag, &dg));
  CHECK_STR (name, "docker.io/library/x");
  CHECK_STR (dg, "sha256:" D64);
  free (name);
  CHECK (!kago_ref_split ("localhost:5000/a", &name, &tag, &dg));
}

TEST (sha256_and_digest_syntax)
{
  char d[KAGO_DIGEST_SIZE];
  kago_digest_buf ("a", 1, d);
  CHECK_STR (d, "sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb");
  kago_digester h;
  kago_digest_init (&h);
  kago_digest_update (&h, "", 0);
  kago_digest_final (&h, d);
  CHECK_STR (d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK (kago_digest_valid ("sha256:" D64));
  CHECK (!kago_digest_valid ("sha256:" D64 "0"));
  CHECK (!kago_digest_valid ("sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
  CHECK (!kago_digest_valid ("sha512:" D64));
  CHECK (!kago_digest_valid (NULL));
}

/* Chain IDs per the OCI image spec, checked against sha256sum:
   A=sha256("a"), B=sha256("b"), C=sha256("c");
   chain(A,B) = sha256("A B"), chain(A,B,C) = sha256(chain(A,B) + " " + C).  */
TEST (chain_ids)
{
  const char *a = "sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb";
  const char *b = "sha256:3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d";
  const char *c = "sha256:2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6";
  char c0[KAGO_DIGEST_SIZE], c1[KAGO_DIGEST_SIZE], c2[KAGO_DIGEST_SIZE];
  kago_chain_id (NULL, a, c0);
  CHECK_STR (c0, a);
  kago_chain_id (c0, b, c1);
  CHECK_STR (c1, "sha256:51c0c8ace48498d6f5fee6b0592cc06f2da0f3cbe09c5a34a97dce85c3889676");
  kago_chain_id (c1, c, c2);
  CHECK_STR (c2, "sha256:2fce7f8ce91bcf0a1428b36e1024639fdbd9469eea762dba98aa749631885106");
}

int
main (void)
{
  RUN (official_images_get_library_and_latest);
  RUN (registries_hosts_and_ports);
  RUN (digests_add_no_tag);
  RUN (separators_in_names);
  RUN (bad_references_are_refused);
  RUN (familiar_names);
  RUN (split_normalized);
  RUN (sha256_and_digest_syntax);
  RUN (chain_ids);
  return tap_done ();
}
