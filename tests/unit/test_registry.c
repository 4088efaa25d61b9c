/* The registry client's pure parts: WWW-Authenticate, platforms, manifests
   and indexes, Range resume bookkeeping.  */
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "engine/image/registry.h"
#include "tap.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

static json_value *
J (const char *s)
{
  kago_error_t err = NULL;
  json_value *v = json_parse (s, strlen (s), &err);
  if (v == NULL)
    abort ();
  return v;
}

TEST (www_auth_bearer)
{
  struct kago_www_auth a;
  kago_error_t err = NULL;
  CHECK (kago_www_auth_parse ("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                              "scope=\"repository:library/busybox:pull\"",
                              &a, &err)
         == 0);
  CHECK_STR (a.scheme, "Bearer");
  CHECK_STR (a.realm, "https://auth.docker.io/token");
  CHECK_STR (a.service, "registry.docker.io");
  CHECK_STR (a.scope, "repository:library/busybox:pull");
  kago_www_auth_free (&a);
  CHECK (kago_www_auth_parse ("Bearer realm=\"a\\\"b, c\", error=insufficient_scope", &a, &err) == 0);
  CHECK_STR (a.realm, "a\"b, c");
  CHECK_STR (a.error, "insufficient_scope");
  kago_www_auth_free (&a);
  CHECK (kago_www_auth_parse ("Basic realm=\"basic-realm\"", &a, &err) == 0);
  CHECK_STR (a.scheme, "Basic");
  CHECK_STR (a.realm, "basic-realm");
  kago_www_auth_free (&a);
}

TEST (www_auth_bad)
{
  struct kago_www_auth a;
  kago_error_t err = NULL;
  CHECK (kago_www_auth_parse ("Bearer service=x", &a, &err) < 0); /* no realm */
  CHECK_CONTAINS (err->msg, "without realm");
  kago_error_release (&err);
  CHECK (kago_www_auth_parse ("Bearer realm=\"open", &a, &err) < 0);
  kago_error_release (&err);
  CHECK (kago_www_auth_parse ("", &a, &err) < 0);
  kago_error_release (&err);
  CHECK (kago_www_auth_parse ("Bearer junk", &a, &err) < 0);
  kago_error_release (&err);
}

TEST (platform_parse)
{
  struct kago_platform p;
  kago_error_t err = NULL;
  CHECK (kago_platform_parse ("linux/amd64", &p, &err) == 0);
  CHECK_STR (p.os, "linux");
  CHECK_STR (p.arch, "amd64");
  CHECK_STR (p.variant, "");
  CHECK (kago_platform_parse ("linux/arm64/v8", &p, &err) == 0);
  CHECK_STR (p.variant, "v8");
  CHECK (kago_platform_parse ("Linux/x86_64", &p, &err) == 0);
  CHECK_STR (p.os, "linux");
  CHECK_STR (p.arch, "amd64");
  CHECK (kago_platform_parse ("linux/armhf", &p, &err) == 0);
  CHECK_STR (p.arch, "arm");
  CHECK_STR (p.variant, "v7");
  const char *bad[] = { "linux", "/amd64", "linux/", "linux//v7", "a/b/c/d", "linux/arm/" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      CHECK (kago_platform_parse (bad[i], &p, &err) < 0);
      kago_error_release (&err);
    }
}

TEST (platform_match)
{
  struct kago_platform p;
  kago_error_t err = NULL;
  json_value *amd = J ("{\"os\":\"linux\",\"architecture\":\"amd64\"}");
  json_value *arm64 = J ("{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}");
  json_value *arm64nv = J ("{\"os\":\"linux\",\"architecture\":\"arm64\"}");
  json_value *armv6 = J ("{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v6\"}");
  json_value *armv7 = J ("{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}");
  kago_platform_parse ("linux/amd64", &p, &err);
  CHECK (kago_platform_match (&p, amd));
  CHECK (!kago_platform_match (&p, arm64));
  kago_platform_parse ("linux/arm64", &p, &err);
  CHECK (kago_platform_match (&p, arm64));
  CHECK (kago_platform_match (&p, arm64nv));
  kago_platform_parse ("linux/arm64/v8", &p, &err);
  CHECK (kago_platform_match (&p, arm64nv));
  kago_platform_parse ("linux/arm/v7", &p, &err);
  CHECK (kago_platform_match (&p, armv7));
  CHECK (!kago_platform_match (&p, armv6));
  kago_platform_parse ("windows/amd64", &p, &err);
  CHECK (!kago_platform_match (&p, amd));
  CHECK (!kago_platform_match (&p, NULL));
  json_free (amd);
  json_free (arm64);
  json_free (arm64nv);
  json_free (armv6);
  json_free (armv7);
}

TEST (index_pick)
{
  json_value *idx
      = J ("{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX_V1 "\",\"manifests\":["
           "{\"digest\":\"" D1 "\",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
           "{\"digest\":\"" D2 "\",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\","
           "\"variant\":\"v7\"}},"
           "{\"digest\":\"" D3 "\",\"platform\":{\"os\":\"linux\",\"architecture\":\"s390x\"}}]}");
  struct kago_platform p;
  kago_error_t err = NULL;
  kago_platform_parse ("linux/arm/v7", &p, &err);
  const json_value *d = kago_index_pick (idx, &p, &err);
  CHECK (d != NULL);
  CHECK_STR (json_get_string (json_object_get (d, "digest")), D2);
  kago_platform_parse ("linux/riscv64", &p, &err);
  CHECK (kago_index_pick (idx, &p, &err) == NULL);
  CHECK_CONTAINS (err->msg, "no matching manifest for linux/riscv64");
  CHECK_CONTAINS (err->msg, "linux/amd64, linux/arm/v7, linux/s390x");
  kago_error_release (&err);
  CHECK (kago_manifest_kind (NULL, idx) == KAGO_MANIFEST_INDEX);
  json_free (idx);
}

TEST (manifest_kind)
{
  json_value *m = J ("{\"schemaVersion\":2,\"config\":{},\"layers\":[]}");
  CHECK (kago_manifest_kind (MT_DOCKER_MANIFEST, m) == KAGO_MANIFEST_IMAGE);
  CHECK (kago_manifest_kind (MT_OCI_MANIFEST_V1 "; charset=utf-8", m) == KAGO_MANIFEST_IMAGE);
  CHECK (kago_manifest_kind (MT_DOCKER_MANIFEST_LIST, m) == KAGO_MANIFEST_INDEX);
  CHECK (kago_manifest_kind ("application/json", m) == KAGO_MANIFEST_IMAGE); /* by shape */
  json_free (m);
  m = J ("{\"schemaVersion\":1,\"fsLayers\":[]}");
  CHECK (kago_manifest_kind ("application/vnd.docker.distribution.manifest.v1+prettyjws", m)
         == KAGO_MANIFEST_UNKNOWN);
  json_free (m);
}

TEST (manifest_parse)
{
  json_value *m
      = J ("{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_MANIFEST "\","
           "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":10,"
           "\"digest\":\"" D1 "\"},\"layers\":["
           "{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":20,"
           "\"digest\":\"" D2 "\"},"
           "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\",\"size\":30,"
           "\"digest\":\"" D3 "\"}]}");
  struct kago_manifest man;
  kago_error_t err = NULL;
  CHECK (kago_manifest_parse (m, &man, &err) == 0);
  CHECK_STR (man.config.digest, D1);
  CHECK (man.config.size == 10);
  CHECK (man.nlayers == 2);
  CHECK_STR (man.layers[1].digest, D3);
  CHECK (man.layers[1].size == 30);
  kago_manifest_free (&man);
  json_free (m);

  m = J ("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\"},\"layers\":[{\"mediaType\":"
         "\"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\",\"digest\":\"" D2 "\"}]}");
  CHECK (kago_manifest_parse (m, &man, &err) < 0);
  CHECK_CONTAINS (err->msg, "foreign");
  kago_error_release (&err);
  json_free (m);
  m = J ("{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:abc\"},\"layers\":[]}");
  CHECK (kago_manifest_parse (m, &man, &err) < 0);
  CHECK_CONTAINS (err->msg, "invalid digest");
  kago_error_release (&err);
  json_free (m);
  m = J ("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":-4},\"layers\":[]}");
  CHECK (kago_manifest_parse (m, &man, &err) < 0);
  kago_error_release (&err);
  json_free (m);
}

TEST (resume)
{
  CHECK (kago_resume_decide (0, 200, NULL) == KAGO_RESUME_RESTART);
  CHECK (kago_resume_decide (1000, 200, NULL) == KAGO_RESUME_RESTART); /* Range ignored */
  CHECK (kago_resume_decide (1000, 206, "bytes 1000-4999/5000") == KAGO_RESUME_APPEND);
  CHECK (kago_resume_decide (1000, 206, "bytes 1000-4999/*") == KAGO_RESUME_APPEND);
  CHECK (kago_resume_decide (1000, 206, "bytes 0-4999/5000") == KAGO_RESUME_FAIL);
  CHECK (kago_resume_decide (1000, 206, NULL) == KAGO_RESUME_FAIL);
  CHECK (kago_resume_decide (1000, 206, "items 1000-2000/5000") == KAGO_RESUME_FAIL);
  CHECK (kago_resume_decide (1000, 206, "bytes x-1") == KAGO_RESUME_FAIL);
  CHECK (kago_resume_decide (1000, 416, "bytes */5000") == KAGO_RESUME_FAIL);
}

int
main (void)
{
  RUN (www_auth_bearer);
  RUN (www_auth_bad);
  RUN (platform_parse);
  RUN (platform_match);
  RUN (index_pick);
  RUN (manifest_kind);
  RUN (manifest_parse);
  RUN (resume);
  return tap_done ();
}
