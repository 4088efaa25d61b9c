/* bench/unpack_layer: unpack one layer tar (gzip, zstd or plain) into a new
   directory with kago's layer unpacker (src/engine/image/unpack.c) and print
   the diff ID, sizes and the wall time.  bench/unpack.sh times it against
   `tar -xzf` of the same file.

     unpack_layer LAYER.tar[.gz|.zst] DEST-DIR   */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "engine/image/unpack.h"

int
main (int argc, char **argv)
{
  if (argc != 3)
    {
      fprintf (stderr, "usage: %s LAYER DEST-DIR\n", argv[0]);
      return 2;
    }
  int in = open (argv[1], O_RDONLY | O_CLOEXEC);
  if (in < 0)
    {
      perror (argv[1]);
      return 1;
    }
  if (mkdir (argv[2], 0755) < 0)
    {
      perror (argv[2]);
      return 1;
    }
  int dir = open (argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    {
      perror (argv[2]);
      return 1;
    }
  struct timespec t0, t1;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  struct kago_unpack_result res;
  kago_error_t err = NULL;
  if (kago_layer_unpack (in, dir, &res, &err) < 0)
    {
      cleanup_free char *m = kago_error_string (err);
      fprintf (stderr, "unpack_layer: %s\n", m);
      kago_error_release (&err);
      return 1;
    }
  clock_gettime (CLOCK_MONOTONIC, &t1);
  double ms = (double) (t1.tv_sec - t0.tv_sec) * 1e3 + (double) (t1.tv_nsec - t0.tv_nsec) / 1e6;
  printf ("diff_id=%s tar_bytes=%" PRIu64 " content_bytes=%" PRIu64 " entries=%" PRIu64
          " compression=%s ms=%.1f\n",
          res.diff_id, res.tar_size, res.content_size, res.entries, res.compression, ms);
  close (dir);
  close (in);
  return 0;
}
