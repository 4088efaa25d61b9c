/* A client of the Docker Registry HTTP API v2 / OCI distribution spec, on
 * libcurl (loaded on demand, curl.h), and the pure parts it is made of
 * (unit-tested in tests/unit/test_registry.c):
 *
 *   - WWW-Authenticate challenges (Bearer realm/service/scope, Basic);
 *   - platforms ("os/arch[/variant]") and picking one from an OCI index or a
 *     docker manifest list;
 *   - image manifests (OCI or docker schema 2): config and layer descriptors;
 *   - the bookkeeping of resuming a partial blob with Range.
 *
 * Transport: HTTPS (certificates verified) except for localhost, 127.0.0.0/8,
 * ::1 and the registries given as insecure, which are tried over HTTPS
 * without verification first and plain HTTP when that fails, as docker does.
 * Transient failures (connection errors, 5xx, 429) are retried 3 times;
 * a blob cut off midway is resumed with Range.  */
#ifndef KAGO_IMAGE_REGISTRY_H
#define KAGO_IMAGE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/json.h"
#include "engine/image/digest.h"
#include "engine/image/reference.h"
#include "engine/image/store.h"

#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_MANIFEST_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_OCI_MANIFEST_V1 "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX_V1 "application/vnd.oci.image.index.v1+json"

/* ---- WWW-Authenticate ---- */

struct kago_www_auth
{
  char *scheme; /* "Bearer", "Basic" (as sent) */
  char *realm;
  char *service;
  char *scope;
  char *error; /* "insufficient_scope", ... */
};
/* Parse one challenge: SCHEME [k=v|k="quoted, \"escapes\""] (, k=v)*.  */
int kago_www_auth_parse (const char *header, struct kago_www_auth *out, kago_error_t *err);
void kago_www_auth_free (struct kago_www_auth *a);

/* ---- platforms ---- */

struct kago_platform
{
  char os[32];
  char arch[32];
  char variant[16]; /* "" when none */
};
/* "os/arch[/variant]" (docker normalizes: x86_64 -> amd64, aarch64 -> arm64,
   arm64/v8 -> arm64 with variant "v8").  */
int kago_platform_parse (const char *s, struct kago_platform *p, kago_error_t *err);
/* linux/<host arch>[/variant]: arm64 hosts want v8, 32-bit arm v7.  */
void kago_platform_host (struct kago_platform *p);
/* Does the OCI "platform" object PLAT match WANT?  A variant is compared
   only when both give one, except that arm wants its variant matched.  */
bool kago_platform_match (const struct kago_platform *want, const json_value *plat);
/* "linux/arm64/v8" into BUF.  */
void kago_platform_string (const struct kago_platform *p, char *buf, size_t len);

/* ---- manifests ---- */

enum kago_manifest_kind
{
  KAGO_MANIFEST_UNKNOWN,
  KAGO_MANIFEST_IMAGE, /* OCI image manifest or docker schema 2 */
  KAGO_MANIFEST_INDEX, /* OCI index or docker manifest list */
};
/* From the Content-Type (may be NULL) and, when it says nothing known, the
   document's mediaType and shape.  Docker schema 1 is UNKNOWN.  */
enum kago_manifest_kind kago_manifest_kind (const char *content_type, const json_value *m);

/* The descriptor of the image for WANT in an index/list; error
   "no matching manifest for linux/arm64 in the manifest list entries
   (linux/amd64, linux/s390x)".  */
const json_value *kago_index_pick (const json_value *index, const struct kago_platform *want,
                                   kago_error_t *err);

struct kago_descriptor
{
  char digest[KAGO_DIGEST_SIZE];
  char *media_type;
  int64_t size; /* -1 when absent */
};
struct kago_manifest
{
  struct kago_descriptor config;
  struct kago_descriptor *layers;
  size_t nlayers;
};
/* An image manifest's config and layers (digests checked; foreign layers
   and unknown layer media types refused).  */
int kago_manifest_parse (const json_value *m, struct kago_manifest *out, kago_error_t *err);
void kago_manifest_free (struct kago_manifest *m);

/* ---- resuming a blob ---- */

enum kago_resume
{
  KAGO_RESUME_APPEND,  /* the response continues what we have */
  KAGO_RESUME_RESTART, /* the whole blob comes again: drop what we have */
  KAGO_RESUME_FAIL,    /* a range we did not ask for */
};
/* HAVE bytes were kept and "Range: bytes=HAVE-" sent (none when HAVE is 0);
   the response has STATUS and CONTENT_RANGE (NULL when absent).  */
enum kago_resume kago_resume_decide (uint64_t have, long status, const char *content_range);

/* ---- the client ---- */

struct kago_registry_opts
{
  const char *const *insecure; /* registry hosts allowed over plain HTTP */
  size_t ninsecure;
  const char *auth_file; /* NULL: kago_auth_file_default () */
  int parallel;          /* blob downloads at once (0: 3) */
};

/* The credentials file: $KAGO_AUTH_FILE, else $XDG_CONFIG_HOME/kago/auth.json,
   else ~/.config/kago/auth.json (caller frees).  docker's format:
   {"auths": {"HOST": {"auth": base64("user:password")}}}.  */
char *kago_auth_file_default (void);
/* The stored user and password for HOST (both NULL when there are none).  */
int kago_auth_lookup (const char *file, const char *host, char **user, char **password, kago_error_t *err);
/* Store (or, PASSWORD NULL, remove) HOST's credentials, file mode 0600.  */
int kago_auth_store (const char *file, const char *host, const char *user, const char *password,
                     kago_error_t *err);

struct kago_registry;

/* A client for the registry and repository of REF.  Pings /v2/ to pick
   the scheme and learn the authentication challenge.  */
int kago_registry_open (const struct kago_ref *ref, const struct kago_registry_opts *o,
                        struct kago_registry **out, kago_error_t *err);
void kago_registry_close (struct kago_registry *r);
/* Check USER/PASSWORD against the registry (`kago login`).  */
int kago_registry_login (const char *host, const char *user, const char *password,
                         const struct kago_registry_opts *o, kago_error_t *err);

/* GET /v2/NAME/manifests/REFERENCE (a tag or a digest).  *BODY (caller
   frees), its Content-Type, and the sha256 of the body in DIGEST; a digest
   REFERENCE must match it.  */
int kago_registry_get_manifest (struct kago_registry *r, const char *reference, char **body, size_t *len,
                                char **content_type, char digest[KAGO_DIGEST_SIZE], kago_error_t *err);

/* Progress of the blob downloads.  */
enum kago_blob_state
{
  KAGO_BLOB_WAITING,
  KAGO_BLOB_DOWNLOADING, /* CUR of TOTAL bytes */
  KAGO_BLOB_RETRYING,
  KAGO_BLOB_VERIFYING,
  KAGO_BLOB_DONE,
};
typedef void (*kago_blob_progress) (void *ctx, size_t i, enum kago_blob_state st, uint64_t cur,
                                    uint64_t total);

/* Download the blobs DESCS[0..N) into the store, o->parallel at a time,
   each hashed as it streams and committed only when its digest and size
   match.  Blobs the store has are skipped (DONE at once).  */
int kago_registry_get_blobs (struct kago_registry *r, struct kago_store *s,
                             const struct kago_descriptor *descs, size_t n, kago_blob_progress progress,
                             void *ctx, kago_error_t *err);

#endif
