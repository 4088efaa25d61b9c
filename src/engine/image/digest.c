/* OCI digests ("sha256:<hex>", on common/sha256: nettle, SHA-NI when the
   CPU has it) and chain IDs.  */
#include "engine/image/digest.h"

#include <errno.h>
#include <string.h>

void
kago_digest_init (kago_digester *h)
{
  kago_sha256_init (h);
}

void
kago_digest_update (kago_digester *h, const void *data, size_t len)
{
  kago_sha256_update (h, data, len);
}

void
kago_digest_final (kago_digester *h, char out[KAGO_DIGEST_SIZE])
{
  unsigned char d[KAGO_SHA256_LEN];
  kago_sha256_final (h, d);
  memcpy (out, "sha256:", 7);
  kago_sha256_hex (d, out + 7);
}

void
kago_digest_buf (const void *data, size_t len, char out[KAGO_DIGEST_SIZE])
{
  kago_digester h;
  kago_digest_init (&h);
  kago_digest_update (&h, data, len);
  kago_digest_final (&h, out);
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
  kago_digester h;
  kago_digest_init (&h);
  kago_digest_update (&h, parent, strlen (parent));
  kago_digest_update (&h, " ", 1);
  kago_digest_update (&h, diff_id, strlen (diff_id));
  kago_digest_final (&h, out);
}
