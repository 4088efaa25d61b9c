/* sha256 digests (nettle: the same library libarchive links, SHA-NI when the
   CPU has it) and chain IDs.  */
#include "engine/image/digest.h"

#include <errno.h>
#include <string.h>

void
kago_sha256_init (kago_sha256 *h)
{
  sha256_init (&h->ctx);
}

void
kago_sha256_update (kago_sha256 *h, const void *data, size_t len)
{
  sha256_update (&h->ctx, len, data);
}

void
kago_sha256_final (kago_sha256 *h, char out[KAGO_DIGEST_SIZE])
{
  static const char hexd[] = "0123456789abcdef";
  unsigned char d[SHA256_DIGEST_SIZE];
  sha256_digest (&h->ctx, sizeof d, d);
  memcpy (out, "sha256:", 7);
  for (size_t i = 0; i < sizeof d; i++)
    {
      out[7 + 2 * i] = hexd[d[i] >> 4];
      out[7 + 2 * i + 1] = hexd[d[i] & 15];
    }
  out[KAGO_DIGEST_LEN] = '\0';
}

void
kago_sha256_buf (const void *data, size_t len, char out[KAGO_DIGEST_SIZE])
{
  kago_sha256 h;
  kago_sha256_init (&h);
  kago_sha256_update (&h, data, len);
  kago_sha256_final (&h, out);
}

bool
kago_digest_valid (const char *d)
{
  if (d == NULL || strncmp (d, "sha256:", 7) != 0 || strlen (d) != KAGO_DIGEST_LEN)
    return false;
  for (const char *p = d + 7; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return false;
  return true;
}

int
kago_digest_check (const char *d, const char *what, kago_error_t *err)
{
  if (kago_digest_valid (d))
    return 0;
  return kago_error_set (err, EINVAL, "%s: invalid digest `%s` (want sha256:<64 lowercase hex digits>)", what,
                         d ? d : "(none)");
}

const char *
kago_digest_hex (const char *d)
{
  return d + 7;
}

void
kago_chain_id (const char *parent, const char *diff_id, char out[KAGO_DIGEST_SIZE])
{
  if (parent == NULL)
    {
      memcpy (out, diff_id, KAGO_DIGEST_SIZE);
      out[KAGO_DIGEST_LEN] = '\0';
      return;
    }
  kago_sha256 h;
  kago_sha256_init (&h);
  kago_sha256_update (&h, parent, strlen (parent));
  kago_sha256_update (&h, " ", 1);
  kago_sha256_update (&h, diff_id, strlen (diff_id));
  kago_sha256_final (&h, out);
}
