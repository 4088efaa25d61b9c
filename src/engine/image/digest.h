/* sha256 digests as OCI writes them ("sha256:<64 lowercase hex>"), streaming
   hashes, and the image-spec chain ID of a layer stack.  */
#ifndef KAGO_IMAGE_DIGEST_H
#define KAGO_IMAGE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "common/sha256.h"

/* "sha256:" + 64 hex + NUL.  */
#define KAGO_DIGEST_LEN 71
#define KAGO_DIGEST_SIZE (KAGO_DIGEST_LEN + 1)

/* A streaming digest (common/sha256.h) that ends as "sha256:<hex>".  */
typedef struct kago_sha256 kago_digester;

void kago_digest_init (kago_digester *h);
void kago_digest_update (kago_digester *h, const void *data, size_t len);
/* Write "sha256:<hex>" into OUT (KAGO_DIGEST_SIZE bytes).  */
void kago_digest_final (kago_digester *h, char out[KAGO_DIGEST_SIZE]);
/* Digest of a buffer.  */
void kago_digest_buf (const void *data, size_t len, char out[KAGO_DIGEST_SIZE]);

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
