/* sha256 digests as OCI writes them ("sha256:<64 lowercase hex>"), streaming
   hashes, and the image-spec chain ID of a layer stack.  */
#ifndef KAGO_IMAGE_DIGEST_H
#define KAGO_IMAGE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#include <nettle/sha2.h>

#include "common/error.h"

/* "sha256:" + 64 hex + NUL.  */
#define KAGO_DIGEST_LEN 71
#define KAGO_DIGEST_SIZE (KAGO_DIGEST_LEN + 1)

typedef struct
{
  struct sha256_ctx ctx;
} kago_sha256;

void kago_sha256_init (kago_sha256 *h);
void kago_sha256_update (kago_sha256 *h, const void *data, size_t len);
/* Write "sha256:<hex>" into OUT (KAGO_DIGEST_SIZE bytes).  */
void kago_sha256_final (kago_sha256 *h, char out[KAGO_DIGEST_SIZE]);
/* Digest of a buffer.  */
void kago_sha256_buf (const void *data, size_t len, char out[KAGO_DIGEST_SIZE]);

/* True for "sha256:" followed by exactly 64 lowercase hex digits.  */
bool kago_digest_valid (const char *d);
/* Check D, returning -1 with "invalid digest `D`" (prefixed by WHAT) when bad.  */
int kago_digest_check (const char *d, const char *what, kago_error_t *err);
/* The hex part of a valid digest (a pointer into D).  */
const char *kago_digest_hex (const char *d);

/* OCI image-spec chain ID: ChainID(L0) = DiffID(L0);
   ChainID(L0..n) = sha256(ChainID(L0..n-1) + " " + DiffID(Ln)).
   PARENT is NULL for the bottom layer.  */
void kago_chain_id (const char *parent, const char *diff_id, char out[KAGO_DIGEST_SIZE]);

#endif
