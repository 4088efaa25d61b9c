/* The image store under the kago root (docs/images.md has the layout):
 *
 *   ROOT/image/lock                 flock: held by every writer, whole operation
 *   ROOT/image/index.json           images, tags, repo digests (atomic rewrite)
 *   ROOT/image/blobs/sha256/HEX     manifests, configs, layer blobs
 *   ROOT/image/layers/HEX/diff      a layer unpacked, HEX = its chain ID
 *   ROOT/image/layers/HEX/layer.json
 *   ROOT/image/tmp/                 work in progress; emptied by the next writer
 *
 * Crash safety: blobs and layers are made under tmp/ and renamed into place
 * complete (blobs fsynced, layers after syncfs); index.json is replaced by
 * rename after everything it names is in place.  Readers take no lock.  */
#ifndef KAGO_IMAGE_STORE_H
#define KAGO_IMAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/json.h"
#include "engine/image/digest.h"

#define KAGO_DEFAULT_ROOT "/var/lib/kago"

struct kago_store
{
  char *root;  /* ROOT/image */
  int dirfd;   /* ROOT/image */
  int lockfd;  /* >= 0 while locked */
  int blobsfd; /* ROOT/image/blobs/sha256 */
  int layersfd;
  int tmpfd;
};

/* Open (creating the layout) the store of kago root ROOT.  */
int kago_store_open (const char *root, struct kago_store **out, kago_error_t *err);
void kago_store_close (struct kago_store *s);
/* Take the writer lock (waits) and empty tmp/ of what a crashed writer left.  */
int kago_store_lock (struct kago_store *s, kago_error_t *err);
void kago_store_unlock (struct kago_store *s);

/* ---- blobs ---- */

struct kago_blob_writer
{
  struct kago_store *s;
  int fd;
  char *tmpname;
  kago_digester hash;
  uint64_t size;
};

int kago_blob_writer_open (struct kago_store *s, struct kago_blob_writer *w, kago_error_t *err);
int kago_blob_writer_write (struct kago_blob_writer *w, const void *data, size_t len, kago_error_t *err);
/* Finish: fsync, check EXPECTED (NULL: any) and rename into blobs/.  The
   digest is written to DIGEST.  On a mismatch the data is dropped and the
   error says "digest mismatch".  Always releases W.  */
int kago_blob_writer_commit (struct kago_blob_writer *w, const char *expected, char digest[KAGO_DIGEST_SIZE],
                             kago_error_t *err);
void kago_blob_writer_abort (struct kago_blob_writer *w);

int kago_store_put_blob (struct kago_store *s, const void *data, size_t len, const char *expected,
                         char digest[KAGO_DIGEST_SIZE], kago_error_t *err);
/* Copy FD to its end into a blob.  */
int kago_store_put_blob_fd (struct kago_store *s, int fd, const char *expected, char digest[KAGO_DIGEST_SIZE],
                            uint64_t *size, kago_error_t *err);
bool kago_store_has_blob (struct kago_store *s, const char *digest);
int kago_store_open_blob (struct kago_store *s, const char *digest, kago_error_t *err);
int kago_store_read_blob (struct kago_store *s, const char *digest, char **data, size_t *len,
                          kago_error_t *err);
json_value *kago_store_read_json_blob (struct kago_store *s, const char *digest, kago_error_t *err);
int64_t kago_store_blob_size (struct kago_store *s, const char *digest);

/* ---- layers ---- */

struct kago_layer_info
{
  char chain_id[KAGO_DIGEST_SIZE];
  char diff_id[KAGO_DIGEST_SIZE];
  char parent[KAGO_DIGEST_SIZE]; /* "" for the bottom layer */
  char blob[KAGO_DIGEST_SIZE];   /* the blob it was unpacked from */
  char compression[8];           /* of that blob: gzip, zstd, none */
  uint64_t tar_size;             /* uncompressed tar size */
  uint64_t content_size;         /* bytes of regular files */
};

/* Read layers/HEX/layer.json.  Returns 1 when present, 0 when absent.  */
int kago_store_layer_get (struct kago_store *s, const char *chain_id, struct kago_layer_info *info,
                          kago_error_t *err);
/* Unpack blob BLOB as the layer above PARENT (NULL for the bottom one) unless
   that layer is present.  EXPECTED_DIFF_ID (NULL: unknown, as for import)
   must match the uncompressed content.  Requires the lock.  */
int kago_store_layer_unpack (struct kago_store *s, const char *blob, const char *parent,
                             const char *expected_diff_id, struct kago_layer_info *info, kago_error_t *err);
/* "ROOT/image/layers/HEX/diff" (caller frees).  */
char *kago_store_layer_path (struct kago_store *s, const char *chain_id);

/* Remove every blob and layer that no image in the index refers to.
   REMOVED_LAYERS (optional) receives the chain IDs of the layers removed,
   *RECLAIMED (optional) the bytes freed.  Requires the lock.  */
struct kago_index;
int kago_store_gc (struct kago_store *s, const struct kago_index *idx, char ***removed_layers,
                   uint64_t *reclaimed, kago_error_t *err);

/* fsync a directory.  */
int kago_fsync_dir (int dirfd, kago_error_t *err);

static inline void
cleanup_storep (struct kago_store **s)
{
  if (*s)
    kago_store_close (*s);
}
#define cleanup_store __attribute__ ((cleanup (cleanup_storep)))

#endif
