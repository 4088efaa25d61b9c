/* The decompress-and-hash producer thread of a layer's tar stream (see
   layer_stream.h).  A ring of NSLOTS buffers between the threads: the
   consumer holds at most one buffer (the one it was last handed) and gives
   it back on its next read.  */
#include "engine/image/la.h"
#include "engine/image/layer_stream.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define NSLOTS 8
#define SLOT_SIZE (512 * 1024)

struct slot
{
  char *data;
  size_t len;
};

struct kago_layer_stream
{
  int fd;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t not_full, not_empty;
  struct slot slots[NSLOTS];
  size_t head, count; /* slots[head] is the oldest full buffer */
  bool holding;       /* the consumer holds slots[head] */
  bool eof, aborted, joined;
  int errnum;
  char *errmsg;
  /* producer results */
  kago_digester hash;
  uint64_t size;
  const char *compression;
};

static void
producer_fail (struct kago_layer_stream *s, int errnum, const char *msg)
{
  pthread_mutex_lock (&s->mu);
  if (s->errmsg == NULL)
    {
      s->errnum = errnum;
      s->errmsg = xstrdup (msg);
    }
  pthread_cond_broadcast (&s->not_empty);
  pthread_mutex_unlock (&s->mu);
}

/* Wait for an empty slot; NULL when the consumer aborted.  */
static struct slot *
producer_slot (struct kago_layer_stream *s)
{
  pthread_mutex_lock (&s->mu);
  while (s->count == NSLOTS && !s->aborted)
    pthread_cond_wait (&s->not_full, &s->mu);
  struct slot *sl = s->aborted ? NULL : &s->slots[(s->head + s->count) % NSLOTS];
  pthread_mutex_unlock (&s->mu);
  return sl;
}

static void
producer_publish (struct kago_layer_stream *s)
{
  pthread_mutex_lock (&s->mu);
  s->count++;
  pthread_cond_signal (&s->not_empty);
  pthread_mutex_unlock (&s->mu);
}

static void *
producer (void *arg)
{
  struct kago_layer_stream *s = arg;
  struct archive *a = archive_read_new ();
  struct archive_entry *e;
  struct slot *cur = NULL;

  archive_read_support_filter_gzip (a);
  archive_read_support_filter_zstd (a);
  archive_read_support_format_raw (a);
  archive_read_support_format_empty (a);
  if (archive_read_open_fd (a, s->fd, 256 * 1024) != ARCHIVE_OK)
    goto fail;
  int r = archive_read_next_header (a, &e);
  if (r == ARCHIVE_EOF)
    goto done; /* an empty input */
  if (r < ARCHIVE_WARN)
    goto fail;
  switch (archive_filter_code (a, 0))
    {
    case ARCHIVE_FILTER_GZIP:
      s->compression = "gzip";
      break;
    case ARCHIVE_FILTER_ZSTD:
      s->compression = "zstd";
      break;
    default:
      s->compression = "none";
      break;
    }
  for (;;)
    {
      const void *buf;
      size_t len;
      la_int64_t off;
      r = archive_read_data_block (a, &buf, &len, &off);
      if (r == ARCHIVE_EOF)
        break;
      if (r < ARCHIVE_WARN)
        goto fail;
      kago_digest_update (&s->hash, buf, len);
      s->size += len;
      const char *p = buf;
      while (len > 0)
        {
          if (cur == NULL && (cur = producer_slot (s)) == NULL)
            goto out; /* aborted */
          size_t n = SLOT_SIZE - cur->len;
          if (n > len)
            n = len;
          memcpy (cur->data + cur->len, p, n);
          cur->len += n;
          p += n;
          len -= n;
          if (cur->len == SLOT_SIZE)
            {
              producer_publish (s);
              cur = NULL;
            }
        }
    }
done:
  if (cur && cur->len > 0)
    producer_publish (s);
  pthread_mutex_lock (&s->mu);
  s->eof = true;
  pthread_cond_broadcast (&s->not_empty);
  pthread_mutex_unlock (&s->mu);
  goto out;
fail:
  producer_fail (s, 0, archive_error_string (a) ? archive_error_string (a) : "cannot read the layer");
out:
  archive_read_free (a);
  return NULL;
}

int
kago_layer_stream_open (int fd, struct kago_layer_stream **out, kago_error_t *err)
{
  if (kago_la_load (err) < 0)
    return -1;
  struct kago_layer_stream *s = xzalloc (sizeof *s);
  s->fd = fd;
  s->compression = "none";
  pthread_mutex_init (&s->mu, NULL);
  pthread_cond_init (&s->not_full, NULL);
  pthread_cond_init (&s->not_empty, NULL);
  for (size_t i = 0; i < NSLOTS; i++)
    s->slots[i].data = xmalloc (SLOT_SIZE);
  kago_digest_init (&s->hash);

  /* The producer never needs a signal.  */
  sigset_t all, old;
  sigfillset (&all);
  pthread_sigmask (SIG_SETMASK, &all, &old);
  int r = pthread_create (&s->thread, NULL, producer, s);
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  if (r != 0)
    {
      for (size_t i = 0; i < NSLOTS; i++)
        free (s->slots[i].data);
      free (s);
      return kago_error_set (err, r, "start the layer decompression thread");
    }
  *out = s;
  return 0;
}

ssize_t
kago_layer_stream_read (struct kago_layer_stream *s, const void **buf)
{
  ssize_t ret;
  pthread_mutex_lock (&s->mu);
  if (s->holding)
    {
      s->slots[s->head].len = 0;
      s->head = (s->head + 1) % NSLOTS;
      s->count--;
      s->holding = false;
      pthread_cond_signal (&s->not_full);
    }
  while (s->count == 0 && !s->eof && s->errmsg == NULL)
    pthread_cond_wait (&s->not_empty, &s->mu);
  if (s->count > 0)
    {
      s->holding = true;
      *buf = s->slots[s->head].data;
      ret = (ssize_t) s->slots[s->head].len;
    }
  else if (s->errmsg)
    ret = -1;
  else
    ret = 0;
  pthread_mutex_unlock (&s->mu);
  return ret;
}

static void
stream_free (struct kago_layer_stream *s)
{
  if (!s->joined)
    pthread_join (s->thread, NULL);
  for (size_t i = 0; i < NSLOTS; i++)
    free (s->slots[i].data);
  pthread_mutex_destroy (&s->mu);
  pthread_cond_destroy (&s->not_full);
  pthread_cond_destroy (&s->not_empty);
  free (s->errmsg);
  free (s);
}

int
kago_layer_stream_finish (struct kago_layer_stream *s, char diff_id[KAGO_DIGEST_SIZE], uint64_t *size,
                          const char **compression, kago_error_t *err)
{
  const void *b;
  ssize_t n;
  while ((n = kago_layer_stream_read (s, &b)) > 0)
    ;
  int ret = 0;
  if (n < 0)
    ret = kago_error_set (err, s->errnum, "decompress the layer: %s", s->errmsg);
  pthread_join (s->thread, NULL);
  s->joined = true;
  if (ret == 0)
    {
      kago_digest_final (&s->hash, diff_id);
      *size = s->size;
      *compression = s->compression;
    }
  stream_free (s);
  return ret;
}

void
kago_layer_stream_abort (struct kago_layer_stream *s)
{
  pthread_mutex_lock (&s->mu);
  s->aborted = true;
  pthread_cond_broadcast (&s->not_full);
  pthread_mutex_unlock (&s->mu);
  stream_free (s);
}
