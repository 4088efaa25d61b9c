/* SHA-256 (FIPS 180-4), for content keys and checksums.  */
#ifndef KAGO_SHA256_H
#define KAGO_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include <nettle/sha2.h>

#define KAGO_SHA256_LEN 32

struct kago_sha256
{
  struct sha256_ctx ctx;
};

void kago_sha256_init (struct kago_sha256 *c);
void kago_sha256_update (struct kago_sha256 *c, const void *data, size_t len);
void kago_sha256_final (struct kago_sha256 *c, unsigned char out[KAGO_SHA256_LEN]);
/* One call: OUT = SHA-256 (DATA).  */
void kago_sha256 (const void *data, size_t len, unsigned char out[KAGO_SHA256_LEN]);
/* 64 lowercase hex digits and a NUL.  */
void kago_sha256_hex (const unsigned char d[KAGO_SHA256_LEN], char out[2 * KAGO_SHA256_LEN + 1]);

#endif
