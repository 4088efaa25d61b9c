/* The tar writer (see tar_writer.h).  */
#include "engine/image/tar_writer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fsutil.h"
#include "common/strbuf.h"

#define BLOCK 512

static const char zeros[BLOCK];

void
kago_tar_writer_init (struct kago_tar_writer *w, kago_tar_sink sink, void *ctx)
{
  memset (w, 0, sizeof *w);
  w->sink = sink;
  w->ctx = ctx;
}

int
kago_tar_fd_sink (void *ctx, const void *buf, size_t len, kago_error_t *err)
{
  if (write_all (*(int *) ctx, buf, len) < 0)
    return kago_error_set (err, errno, "write the archive");
  return 0;
}

static int
emit (struct kago_tar_writer *w, const void *buf, size_t len, kago_error_t *err)
{
  if (len == 0)
    return 0;
  if (w->sink (w->ctx, buf, len, err) < 0)
    return -1;
  w->total += len;
  return 0;
}

/* An octal field of WIDTH bytes (WIDTH-1 digits and a NUL); false when the
   value does not fit.  */
static bool
octal (char *field, size_t width, uint64_t v)
{
  if (width - 1 < 22 && v >= (uint64_t) 1 << (3 * (width - 1)))
    return false;
  snprintf (field, width, "%0*llo", (int) (width - 1), (unsigned long long) v);
  return true;
}

static void
pax_record (strbuf *sb, const char *key, const char *value, size_t vlen)
{
  size_t body = 1 + strlen (key) + 1 + vlen + 1; /* " key=value\n" */
  size_t len = body, digits;
  /* The length counts its own digits.  */
  for (;;)
    {
      char tmp[32];
      digits = (size_t) snprintf (tmp, sizeof tmp, "%zu", len);
      if (digits + body == len)
        break;
      len = digits + body;
    }
  strbuf_addf (sb, "%zu %s=", len, key);
  strbuf_add (sb, value, vlen);
  strbuf_addc (sb, '\n');
}

static char
type_flag (const struct kago_tar_entry *e)
{
  if (e->hardlink)
    return '1';
  switch (e->mode & S_IFMT)
    {
    case S_IFDIR:
      return '5';
    case S_IFLNK:
      return '2';
    case S_IFCHR:
      return '3';
    case S_IFBLK:
      return '4';
    case S_IFIFO:
      return '6';
    default:
      return '0';
    }
}

static void
checksum (char *h)
{
  unsigned sum = 0;
  memset (h + 148, ' ', 8);
  for (size_t i = 0; i < BLOCK; i++)
    sum += (unsigned char) h[i];
  snprintf (h + 148, 8, "%06o", sum);
  h[155] = ' ';
}

static int
write_block_header (struct kago_tar_writer *w, const char *name, char type, const struct kago_tar_entry *e,
                    uint64_t size, bool *need_pax, kago_error_t *err)
{
  char h[BLOCK];
  memset (h, 0, sizeof h);
  size_t nlen = strlen (name);
  if (nlen <= 100)
    memcpy (h, name, nlen);
  else
    {
      /* ustar's prefix/name split at a '/', else pax.  */
      const char *cut = NULL;
      for (const char *p = name + nlen - 1; p > name; p--)
        if (*p == '/' && (size_t) (p - name) <= 155 && nlen - (size_t) (p - name) - 1 <= 100)
          {
            cut = p;
            break;
          }
      if (cut && cut[1])
        {
          memcpy (h + 345, name, (size_t) (cut - name));
          memcpy (h, cut + 1, nlen - (size_t) (cut - name) - 1);
        }
      else
        {
          memcpy (h, name, 100);
          *need_pax = true;
        }
    }
  if (!octal (h + 100, 8, e->mode & 07777))
    *need_pax = true;
  if (!octal (h + 108, 8, e->uid))
    {
      octal (h + 108, 8, 0);
      *need_pax = true;
    }
  if (!octal (h + 116, 8, e->gid))
    {
      octal (h + 116, 8, 0);
      *need_pax = true;
    }
  if (!octal (h + 124, 12, size))
    {
      octal (h + 124, 12, 0);
      *need_pax = true;
    }
  if (!octal (h + 136, 12, e->mtime < 0 ? 0 : (uint64_t) e->mtime))
    *need_pax = true;
  h[156] = type;
  if (e->linkname && type != 'x')
    {
      size_t l = strlen (e->linkname);
      memcpy (h + 157, e->linkname, l <= 100 ? l : 100);
      if (l > 100)
        *need_pax = true;
    }
  memcpy (h + 257, "ustar", 6);
  memcpy (h + 263, "00", 2);
  if (type == '3' || type == '4')
    {
      octal (h + 329, 8, e->devmajor);
      octal (h + 337, 8, e->devminor);
    }
  checksum (h);
  return emit (w, h, BLOCK, err);
}

static int
pad (struct kago_tar_writer *w, uint64_t size, kago_error_t *err)
{
  size_t r = (size_t) (size % BLOCK);
  return r ? emit (w, zeros, BLOCK - r, err) : 0;
}

int
kago_tar_write_header (struct kago_tar_writer *w, const struct kago_tar_entry *e, kago_error_t *err)
{
  if (w->remaining)
    return kago_error_set (err, EINVAL, "tar: the previous entry is %llu bytes short",
                           (unsigned long long) w->remaining);
  char type = type_flag (e);
  uint64_t size = type == '0' ? e->size : 0;

  /* What needs pax: computed by a dry run of the ustar header.  */
  strbuf pax = STRBUF_INIT;
  size_t nlen = strlen (e->name);
  bool long_name = nlen > 100;
  if (long_name)
    {
      for (const char *p = e->name + nlen - 1; p > e->name; p--)
        if (*p == '/' && (size_t) (p - e->name) <= 155 && nlen - (size_t) (p - e->name) - 1 <= 100 && p[1])
          {
            long_name = false;
            break;
          }
    }
  if (long_name)
    pax_record (&pax, "path", e->name, nlen);
  if (e->linkname && strlen (e->linkname) > 100)
    pax_record (&pax, "linkpath", e->linkname, strlen (e->linkname));
  char num[32];
  if (size >= (uint64_t) 1 << 33)
    {
      snprintf (num, sizeof num, "%llu", (unsigned long long) size);
      pax_record (&pax, "size", num, strlen (num));
    }
  if (e->uid >= 1u << 21)
    {
      snprintf (num, sizeof num, "%u", (unsigned) e->uid);
      pax_record (&pax, "uid", num, strlen (num));
    }
  if (e->gid >= 1u << 21)
    {
      snprintf (num, sizeof num, "%u", (unsigned) e->gid);
      pax_record (&pax, "gid", num, strlen (num));
    }
  for (size_t i = 0; i < e->nxattrs; i++)
    {
      strbuf key = STRBUF_INIT;
      strbuf_addf (&key, "SCHILY.xattr.%s", e->xattrs[i].name);
      pax_record (&pax, key.buf, e->xattrs[i].value, e->xattrs[i].size);
      strbuf_release (&key);
    }

  int ret = 0;
  bool dummy = false;
  if (pax.len)
    {
      struct kago_tar_entry x = { .mode = 0644, .mtime = e->mtime };
      char xname[101];
      const char *b = strrchr (e->name, '/');
      snprintf (xname, sizeof xname, "PaxHeaders/%s", b && b[1] ? b + 1 : e->name);
      if (write_block_header (w, xname, 'x', &x, pax.len, &dummy, err) < 0
          || emit (w, pax.buf, pax.len, err) < 0 || pad (w, pax.len, err) < 0)
        ret = -1;
    }
  strbuf_release (&pax);
  if (ret < 0)
    return -1;
  if (write_block_header (w, e->name, type, e, size, &dummy, err) < 0)
    return -1;
  w->remaining = size;
  w->size = size;
  return 0;
}

int
kago_tar_write_data (struct kago_tar_writer *w, const void *buf, size_t len, kago_error_t *err)
{
  if (len > w->remaining)
    return kago_error_set (err, EINVAL, "tar: %zu bytes more than the entry's size", len);
  if (emit (w, buf, len, err) < 0)
    return -1;
  w->remaining -= len;
  if (w->remaining == 0)
    return pad (w, w->size, err);
  return 0;
}

int
kago_tar_write_end (struct kago_tar_writer *w, kago_error_t *err)
{
  if (w->remaining)
    return kago_error_set (err, EINVAL, "tar: the last entry is %llu bytes short",
                           (unsigned long long) w->remaining);
  if (emit (w, zeros, BLOCK, err) < 0 || emit (w, zeros, BLOCK, err) < 0)
    return -1;
  return 0;
}
