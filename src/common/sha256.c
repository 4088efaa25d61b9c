/* SHA-256 through nettle (linked statically; it uses the CPU's SHA
   instructions where there are some): one implementation for the seccomp
   cache keys and the image store's digests.  */
#include "common/sha256.h"

void
kago_sha256_init (struct kago_sha256 *c)
{
  sha256_init (&c->ctx);
}

void
kago_sha256_update (struct kago_sha256 *c, const void *data, size_t len)
{
  sha256_update (&c->ctx, len, data);
}

void
kago_sha256_final (struct kago_sha256 *c, unsigned char out[KAGO_SHA256_LEN])
{
  sha256_digest (&c->ctx, KAGO_SHA256_LEN, out);
}

void
kago_sha256 (const void *data, size_t len, unsigned char out[KAGO_SHA256_LEN])
{
  struct kago_sha256 c;
  kago_sha256_init (&c);
  kago_sha256_update (&c, data, len);
  kago_sha256_final (&c, out);
}

void
kago_sha256_hex (const unsigned char d[KAGO_SHA256_LEN], char out[2 * KAGO_SHA256_LEN + 1])
{
  static const char hexd[] = "0123456789abcdef";
  for (size_t i = 0; i < KAGO_SHA256_LEN; i++)
    {
      out[2 * i] = hexd[d[i] >> 4];
      out[2 * i + 1] = hexd[d[i] & 15];
    }
  out[2 * KAGO_SHA256_LEN] = '\0';
}
