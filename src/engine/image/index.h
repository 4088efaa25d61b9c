/* The reference index (ROOT/image/index.json): the images the store holds,
 * their tags and repo digests.
 *
 *   {"version": 1,
 *    "images": [{"id": CONFIG-DIGEST, "manifest": MANIFEST-DIGEST,
 *                "layers": [CHAIN-ID...], "created": RFC3339, "added": RFC3339,
 *                "size": BYTES}],
 *    "tags": {"docker.io/library/busybox:latest": MANIFEST-DIGEST},
 *    "repoDigests": {"docker.io/library/busybox@sha256:...": MANIFEST-DIGEST}}
 *
 * An image is named by its ID (the digest of its config); tags and repo
 * digests point at its manifest.  Only writers holding the store lock save
 * it, by atomic replacement; an image appears here only after its blobs and
 * layers are in place.  */
#ifndef KAGO_IMAGE_INDEX_H
#define KAGO_IMAGE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "engine/image/digest.h"

struct kago_store;

struct kago_image_rec
{
  char id[KAGO_DIGEST_SIZE];
  char manifest[KAGO_DIGEST_SIZE];
  char **layers; /* chain IDs, bottom first, NULL-terminated */
  size_t nlayers;
  char *created; /* the config's "created", or NULL */
  char *added;   /* when the image entered the store */
  uint64_t size; /* the layers' content */
};

struct kago_ref_entry
{
  char *ref;                       /* normalized "name:tag" or "name@digest" */
  char manifest[KAGO_DIGEST_SIZE]; /* what it points at */
};

struct kago_index
{
  struct kago_image_rec *images;
  size_t nimages, capimages;
  struct kago_ref_entry *tags;
  size_t ntags, captags;
  struct kago_ref_entry *digests;
  size_t ndigests, capdigests;
};

/* Load index.json (an absent file is an empty index).  */
int kago_index_load (struct kago_store *s, struct kago_index *idx, kago_error_t *err);
/* Replace index.json atomically (fsync, rename, fsync the directory).  */
int kago_index_save (struct kago_store *s, const struct kago_index *idx, kago_error_t *err);
void kago_index_free (struct kago_index *idx);

struct kago_image_rec *kago_index_find_id (const struct kago_index *idx, const char *id);
struct kago_image_rec *kago_index_by_manifest (const struct kago_index *idx, const char *manifest);
/* Add a copy of REC (unless its ID is there) and return the stored one.  */
struct kago_image_rec *kago_index_add_image (struct kago_index *idx, const struct kago_image_rec *rec);
/* Remove the image and every tag and repo digest pointing at it.  */
void kago_index_remove_image (struct kago_index *idx, const char *id);

const char *kago_index_tag_get (const struct kago_index *idx, const char *ref);
/* Point REF at MANIFEST (moving it when it pointed elsewhere).  */
void kago_index_tag_set (struct kago_index *idx, const char *ref, const char *manifest);
bool kago_index_tag_del (struct kago_index *idx, const char *ref);
void kago_index_digest_add (struct kago_index *idx, const char *ref, const char *manifest);
bool kago_index_digest_del (struct kago_index *idx, const char *ref);

/* The tags (or repo digests) of an image, in index order: a NULL-terminated
   vector of borrowed strings, freed with free().  */
const char **kago_index_image_tags (const struct kago_index *idx, const struct kago_image_rec *rec,
                                    size_t *n);
const char **kago_index_image_digests (const struct kago_index *idx, const struct kago_image_rec *rec,
                                       size_t *n);

/* Find the image NAME means, as docker does: a full or short image ID
   ("sha256:HEX", HEX, or a unique prefix of either), a reference (tag added
   when missing) or a repo digest.  *MATCHED (optional) receives the
   normalized reference NAME was found by (NULL when by ID; caller frees).
   Error "No such image: NAME".  */
struct kago_image_rec *kago_index_resolve (const struct kago_index *idx, const char *name, char **matched,
                                           kago_error_t *err);

/* Free what REC owns and zero it.  */
void kago_image_rec_clear (struct kago_image_rec *rec);

static inline void
cleanup_indexp (struct kago_index *idx)
{
  kago_index_free (idx);
}
#define cleanup_index __attribute__ ((cleanup (cleanup_indexp)))

#endif
