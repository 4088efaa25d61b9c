/* spec: write a default config.json into the bundle (or the current directory). */
#include "cli/runtime/verbs.h"

#include "common/cleanup.h"
#include "oci/default_spec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
write_all (int fd, const char *buf, size_t len)
{
  while (len > 0)
    {
      ssize_t r = write (fd, buf, len);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      buf += r;
      len -= (size_t) r;
    }
  return 0;
}

int
kago_cmd_spec (struct kago_cmd_ctx *ctx, kago_error_t *err)
{
  const char *bundle = ctx->cli->o.bundle && ctx->cli->o.bundle[0] ? ctx->cli->o.bundle : ".";

  cleanup_close int dirfd = open (bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return kago_error_set (err, errno, "open bundle `%s`", bundle);

  cleanup_free char *json = kago_default_spec_json (ctx->cli->o.rootless);
  if (json == NULL)
    return kago_error_set (err, 0, "cannot generate the default spec");

  /* O_EXCL: never overwrite, even when a file appears meanwhile.  */
  cleanup_close int fd
      = openat (dirfd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd < 0)
    {
      if (errno == EEXIST || errno == ELOOP)
        return kago_error_set (err, 0, "File config.json exists. Remove it first.");
      return kago_error_set (err, errno, "create `%s/config.json`", bundle);
    }
  size_t len = strlen (json);
  if (write_all (fd, json, len) < 0 || (len > 0 && json[len - 1] != '\n' && write_all (fd, "\n", 1) < 0))
    {
      int saved = errno;
      unlinkat (dirfd, "config.json", 0);
      return kago_error_set (err, saved, "write `%s/config.json`", bundle);
    }
  if (close (steal_fd (&fd)) < 0)
    {
      int saved = errno;
      unlinkat (dirfd, "config.json", 0);
      return kago_error_set (err, saved, "write `%s/config.json`", bundle);
    }
  return 0;
}
