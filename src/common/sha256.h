/* SHA-256 (FIPS 180-4), for content keys and checksums.  */
#ifndef KAGO_SHA256_H
#define KAGO_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define KAGO_SHA256_LEN 32

struct kago_sha256
{
  uint32_t h[8];
  uint64_t len; /* bytes hashed so far */
  unsigned char buf[64];
  size_t n; /* bytes in buf */
};

void kago_sha256_init (struct kago_sha256 *c);
void kago_sha256_update (struct kago_sha256 *c, const void *data, size_t len);
void kago_sha256_final (struct kago_sha256 *c, unsigned char out[KAGO_SHA256_LEN]);
/* One call: OUT = SHA-256 (DATA).  */
void kago_sha256 (const void *data, size_t len, unsigned char out[KAGO_SHA256_LEN]);
/* 64 lowercase hex digits and a NUL.  */
void kago_sha256_hex (const unsigned char d[KAGO_SHA256_LEN], char out[2 * KAGO_SHA256_LEN + 1]);

#endif
