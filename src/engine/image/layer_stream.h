/* A layer's uncompressed tar stream, produced by a second thread.
 *
 * The producer thread reads FD, decompresses it (gzip, zstd, or none, told
 * apart by their magic numbers, through libarchive's filters), hashes the
 * uncompressed bytes (the layer's diff ID) and hands them over in large
 * buffers.  The consumer (the tar reader of unpack.c) runs meanwhile, so
 * decompression, hashing and writing files overlap as in `tar -xzf`, where
 * gzip is a separate process.  */
#ifndef KAGO_IMAGE_LAYER_STREAM_H
#define KAGO_IMAGE_LAYER_STREAM_H

#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "engine/image/digest.h"

struct kago_layer_stream;

/* Start the producer on FD (not closed; it must stay open until finish or
   abort).  */
int kago_layer_stream_open (int fd, struct kago_layer_stream **out, kago_error_t *err);
/* The next buffer (valid until the next call): its size, 0 at the end, or -1
   on a producer error (which finish then reports).  */
ssize_t kago_layer_stream_read (struct kago_layer_stream *s, const void **buf);
/* Read what the consumer left (the tar trailer's padding is part of the diff
   ID), stop the producer and report: the digest of the uncompressed stream,
   its size and the compression found ("gzip", "zstd", "none").  Frees S.  */
int kago_layer_stream_finish (struct kago_layer_stream *s, char diff_id[KAGO_DIGEST_SIZE], uint64_t *size,
                              const char **compression, kago_error_t *err);
/* Stop the producer without waiting for the end of the input.  Frees S.  */
void kago_layer_stream_abort (struct kago_layer_stream *s);

#endif
