/* Image operations on the store: load, save, import, tag, remove, prune,
   inspect.  Each writer takes the store lock for its whole run; each either
   completes or leaves the index as it was (what it stored on the way is
   garbage-collected).  Nothing here prints: results come back as strings
   for the CLI.  */
#ifndef KAGO_IMAGE_IMAGE_H
#define KAGO_IMAGE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/json.h"
#include "engine/image/digest.h"
#include "engine/image/index.h"
#include "engine/image/store.h"

#include "common/strv.h"
void kago_strv_add (struct kago_strv *s, const char *str);
void kago_strv_addf (struct kago_strv *s, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void kago_strv_free (struct kago_strv *s);

/* Who uses an image.  The engine's containers will answer this (an image a
   container runs from cannot be removed without force); until then the CLI
   passes NULL, which means "nobody".  IN_USE returns 1 and sets *BY (a
   container name, caller frees) when the image is in use, 0 when not.  */
struct kago_image_users
{
  int (*in_use) (void *ctx, const char *image_id, char **by, kago_error_t *err);
  void *ctx;
};

/* The host's architecture in OCI terms ("amd64", "arm64", ...).  */
const char *kago_host_arch (void);
/* Now, as RFC 3339 with nanoseconds in UTC (caller frees).  */
char *kago_now_rfc3339 (void);

/* `kago load`: a docker-save archive (manifest.json) or an OCI image layout
   (index.json), gzip/zstd compressed or not, from FD.  LOADED receives
   "NAME:TAG" (familiar form) for each tag loaded, and "sha256:ID" for each
   image loaded without one (IDS_ONLY marks which: "Loaded image ID:").  */
int kago_image_load (struct kago_store *s, int fd, struct kago_strv *loaded, struct kago_strv *ids_only,
                     kago_error_t *err);

/* `kago save`: the images NAMES (references or IDs) as a docker-save archive
   (manifest.json, repositories, config and uncompressed layer tars) written
   to OUT_FD.  */
int kago_image_save (struct kago_store *s, const char *const *names, size_t n, int out_fd, kago_error_t *err);

struct kago_import_opts
{
  const char *ref;            /* NULL: an untagged image */
  const char *const *changes; /* Dockerfile instructions: CMD, ENTRYPOINT, ENV, ... */
  size_t nchanges;
  const char *message; /* history comment */
  const char *source;  /* for the history ("-" for stdin) */
};
/* `kago import`: the tar on FD (gzip/zstd or not) as a one-layer image.  */
int kago_image_import (struct kago_store *s, int fd, const struct kago_import_opts *o,
                       char id[KAGO_DIGEST_SIZE], kago_error_t *err);
/* Apply one `--change` instruction to an image config's "config" object.  */
int kago_image_apply_change (json_value *config, const char *change, kago_error_t *err);

/* `kago tag SRC DST`.  */
int kago_image_tag (struct kago_store *s, const char *src, const char *dst, kago_error_t *err);

/* `kago rmi [-f] NAME`: untag, and delete the image when nothing refers to
   it any more, then its layers no other image uses.  EVENTS receives docker's
   lines: "Untagged: busybox:latest", "Deleted: sha256:...".  */
int kago_image_remove (struct kago_store *s, const char *name, bool force,
                       const struct kago_image_users *users, struct kago_strv *events, kago_error_t *err);

/* `kago image prune [-a]`: remove dangling images (no tag), or with ALL every
   image no container uses.  */
int kago_image_prune (struct kago_store *s, bool all, const struct kago_image_users *users,
                      struct kago_strv *deleted, uint64_t *reclaimed, kago_error_t *err);

/* `kago image inspect`: docker's object for one image.  */
json_value *kago_image_inspect (struct kago_store *s, const struct kago_index *idx,
                                const struct kago_image_rec *rec, kago_error_t *err);

/* Store a config and a manifest for layers already in the store and add the
   image to IDX (not saved).  Shared by load and import.  */
int kago_image_commit (struct kago_store *s, struct kago_index *idx, const char *config_digest,
                       const json_value *config, const struct kago_layer_info *layers, size_t nlayers,
                       const char *manifest_digest, struct kago_image_rec **out, kago_error_t *err);

/* `kago pull`.  */
struct kago_registry_opts;
enum kago_pull_state
{
  KAGO_PULL_WAITING,
  KAGO_PULL_DOWNLOADING, /* CUR of TOTAL bytes */
  KAGO_PULL_RETRYING,
  KAGO_PULL_VERIFYING,
  KAGO_PULL_DOWNLOADED,
  KAGO_PULL_EXTRACTING,
  KAGO_PULL_COMPLETE,
  KAGO_PULL_EXISTS, /* the layer was in the store */
};
struct kago_pull_progress
{
  /* Once the manifest is known: the layers' short IDs (12 hex digits).  */
  void (*begin) (void *ctx, size_t nlayers, const char *const *short_ids);
  void (*layer) (void *ctx, size_t i, enum kago_pull_state st, uint64_t cur, uint64_t total);
  void *ctx;
};
struct kago_pull_opts
{
  const struct kago_registry_opts *registry;
  const char *platform; /* "os/arch[/variant]"; NULL: this host */
  const struct kago_pull_progress *progress;
};
struct kago_pull_result
{
  char *ref;                     /* normalized: docker.io/library/busybox:latest */
  char digest[KAGO_DIGEST_SIZE]; /* what the registry named (the index for a multi-platform image) */
  char id[KAGO_DIGEST_SIZE];
  bool up_to_date; /* the image was there already */
};
/* Pull NAME (a reference, tag or digest) from its registry: the manifest
   for the platform, the config, the layers the store lacks (verified,
   several at once), unpacked in order; the index is saved once all is in
   place.  A failure leaves the index as it was.  */
int kago_image_pull (struct kago_store *s, const char *name, const struct kago_pull_opts *o,
                     struct kago_pull_result *res, kago_error_t *err);
void kago_pull_result_free (struct kago_pull_result *res);

#endif
