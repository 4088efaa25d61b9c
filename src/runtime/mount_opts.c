/* Mount options of config.json "mounts[].options" -> flags, propagation,
 * recursive attributes and the data string (runtime-spec config.md "Mounts",
 * mount(8) names, runc's extensions: r* recursive attributes, tmpcopyup).
 * Later options win over earlier ones ("ro,rw" is rw).
 */
#include "runtime/mounts.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "common/strbuf.h"
#include "common/xalloc.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif

enum opt_kind
{
  OPT_SET,     /* set an MS_* flag */
  OPT_CLEAR,   /* clear an MS_* flag */
  OPT_PROP,    /* propagation */
  OPT_RSET,    /* recursive attribute set */
  OPT_RCLEAR,  /* recursive attribute clear */
};

struct opt_def
{
  const char *name;
  enum opt_kind kind;
  unsigned long long value;
};

static const struct opt_def opt_table[] = {
  { "ro", OPT_SET, MS_RDONLY },
  { "rw", OPT_CLEAR, MS_RDONLY },
  { "nosuid", OPT_SET, MS_NOSUID },
  { "suid", OPT_CLEAR, MS_NOSUID },
  { "nodev", OPT_SET, MS_NODEV },
  { "dev", OPT_CLEAR, MS_NODEV },
  { "noexec", OPT_SET, MS_NOEXEC },
  { "exec", OPT_CLEAR, MS_NOEXEC },
  { "sync", OPT_SET, MS_SYNCHRONOUS },
  { "async", OPT_CLEAR, MS_SYNCHRONOUS },
  { "dirsync", OPT_SET, MS_DIRSYNC },
  { "remount", OPT_SET, MS_REMOUNT },
  { "mand", OPT_SET, MS_MANDLOCK },
  { "nomand", OPT_CLEAR, MS_MANDLOCK },
  { "noatime", OPT_SET, MS_NOATIME },
  { "atime", OPT_CLEAR, MS_NOATIME },
  { "nodiratime", OPT_SET, MS_NODIRATIME },
  { "diratime", OPT_CLEAR, MS_NODIRATIME },
  { "relatime", OPT_SET, MS_RELATIME },
  { "norelatime", OPT_CLEAR, MS_RELATIME },
  { "strictatime", OPT_SET, MS_STRICTATIME },
  { "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
  { "lazytime", OPT_SET, MS_LAZYTIME },
  { "nolazytime", OPT_CLEAR, MS_LAZYTIME },
  { "silent", OPT_SET, MS_SILENT },
  { "loud", OPT_CLEAR, MS_SILENT },
  { "iversion", OPT_SET, MS_I_VERSION },
  { "noiversion", OPT_CLEAR, MS_I_VERSION },
  { "nosymfollow", OPT_SET, MS_NOSYMFOLLOW },
  { "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW },

  { "private", OPT_PROP, MS_PRIVATE },
  { "rprivate", OPT_PROP, MS_PRIVATE | MS_REC },
  { "shared", OPT_PROP, MS_SHARED },
  { "rshared", OPT_PROP, MS_SHARED | MS_REC },
  { "slave", OPT_PROP, MS_SLAVE },
  { "rslave", OPT_PROP, MS_SLAVE | MS_REC },
  { "unbindable", OPT_PROP, MS_UNBINDABLE },
  { "runbindable", OPT_PROP, MS_UNBINDABLE | MS_REC },

  { "rro", OPT_RSET, MOUNT_ATTR_RDONLY },
  { "rrw", OPT_RCLEAR, MOUNT_ATTR_RDONLY },
  { "rnosuid", OPT_RSET, MOUNT_ATTR_NOSUID },
  { "rsuid", OPT_RCLEAR, MOUNT_ATTR_NOSUID },
  { "rnodev", OPT_RSET, MOUNT_ATTR_NODEV },
  { "rdev", OPT_RCLEAR, MOUNT_ATTR_NODEV },
  { "rnoexec", OPT_RSET, MOUNT_ATTR_NOEXEC },
  { "rexec", OPT_RCLEAR, MOUNT_ATTR_NOEXEC },
  { "rnodiratime", OPT_RSET, MOUNT_ATTR_NODIRATIME },
  { "rdiratime", OPT_RCLEAR, MOUNT_ATTR_NODIRATIME },
  { "rrelatime", OPT_RSET, MOUNT_ATTR_RELATIME },
  { "rnorelatime", OPT_RCLEAR, MOUNT_ATTR_RELATIME },
  { "rnoatime", OPT_RSET, MOUNT_ATTR_NOATIME },
  { "ratime", OPT_RCLEAR, MOUNT_ATTR_NOATIME },
  { "rstrictatime", OPT_RSET, MOUNT_ATTR_STRICTATIME },
  { "rnostrictatime", OPT_RCLEAR, MOUNT_ATTR_STRICTATIME },
  { "rnosymfollow", OPT_RSET, MOUNT_ATTR_NOSYMFOLLOW },
  { "rsymfollow", OPT_RCLEAR, MOUNT_ATTR_NOSYMFOLLOW },
};

/* The atime attributes are one field (MOUNT_ATTR__ATIME), not bits: setting
   one means "clear the field, then set this value"; clearing one means "back
   to the default" (relatime, value 0).  The kernel wants the whole field in
   attr_clr whenever it is touched.  */
static bool
is_atime_attr (const struct opt_def *d)
{
  return strcmp (d->name + 1, "relatime") == 0 || strcmp (d->name + 1, "norelatime") == 0
         || strcmp (d->name + 1, "noatime") == 0 || strcmp (d->name + 1, "atime") == 0
         || strcmp (d->name + 1, "strictatime") == 0 || strcmp (d->name + 1, "nostrictatime") == 0;
}

int
kago_mount_propagation_parse (const char *name, unsigned long *flags)
{
  for (size_t i = 0; i < sizeof opt_table / sizeof opt_table[0]; i++)
    if (opt_table[i].kind == OPT_PROP && strcmp (opt_table[i].name, name) == 0)
      {
        *flags = (unsigned long) opt_table[i].value;
        return 0;
      }
  return -1;
}

int
kago_mount_opts_parse (const char *const *options, size_t n, struct kago_mount_opts *out, kago_error_t *err)
{
  (void) err;
  cleanup_strbuf strbuf data = STRBUF_INIT;
  memset (out, 0, sizeof *out);

  for (size_t i = 0; i < n; i++)
    {
      const char *o = options[i];
      if (o == NULL || *o == '\0')
        continue;
      const struct opt_def *d = NULL;
      for (size_t k = 0; k < sizeof opt_table / sizeof opt_table[0]; k++)
        if (strcmp (opt_table[k].name, o) == 0)
          {
            d = &opt_table[k];
            break;
          }
      if (d)
        {
          switch (d->kind)
            {
            case OPT_SET:
              out->flags |= (unsigned long) d->value;
              out->clear_flags &= ~(unsigned long) d->value;
              break;
            case OPT_CLEAR:
              out->flags &= ~(unsigned long) d->value;
              out->clear_flags |= (unsigned long) d->value;
              break;
            case OPT_PROP:
              out->propagation = (unsigned long) d->value;
              break;
            case OPT_RSET:
              if (is_atime_attr (d))
                {
                  out->rec_attr_set = (out->rec_attr_set & ~(unsigned long long) MOUNT_ATTR__ATIME) | d->value;
                  out->rec_attr_clr |= MOUNT_ATTR__ATIME;
                }
              else
                {
                  out->rec_attr_set |= d->value;
                  out->rec_attr_clr &= ~d->value;
                }
              break;
            case OPT_RCLEAR:
              if (is_atime_attr (d))
                {
                  /* Only undo the value named; the field goes back to relatime. */
                  if ((out->rec_attr_set & MOUNT_ATTR__ATIME) == d->value || d->value == MOUNT_ATTR_RELATIME)
                    out->rec_attr_set &= ~(unsigned long long) MOUNT_ATTR__ATIME;
                  out->rec_attr_clr |= MOUNT_ATTR__ATIME;
                }
              else
                {
                  out->rec_attr_set &= ~d->value;
                  out->rec_attr_clr |= d->value;
                }
              break;
            default:
              break;
            }
          continue;
        }
      if (strcmp (o, "bind") == 0)
        out->bind = true;
      else if (strcmp (o, "rbind") == 0)
        out->bind = out->rbind = true;
      else if (strcmp (o, "idmap") == 0)
        out->idmap = true;
      else if (strcmp (o, "ridmap") == 0)
        out->idmap = out->ridmap = true;
      else if (strcmp (o, "tmpcopyup") == 0)
        out->tmpcopyup = true;
      else
        {
          if (data.len)
            strbuf_addc (&data, ',');
          strbuf_adds (&data, o);
        }
    }
  out->data = data.len ? strbuf_detach (&data) : NULL;
  return 0;
}

void
kago_mount_opts_clear (struct kago_mount_opts *o)
{
  free (o->data);
  o->data = NULL;
}

unsigned long long
kago_mount_flags_to_attr (unsigned long flags)
{
  unsigned long long a = 0;
  if (flags & MS_RDONLY)
    a |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NOSUID)
    a |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV)
    a |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC)
    a |= MOUNT_ATTR_NOEXEC;
  if (flags & MS_NODIRATIME)
    a |= MOUNT_ATTR_NODIRATIME;
  if (flags & MS_NOSYMFOLLOW)
    a |= MOUNT_ATTR_NOSYMFOLLOW;
  if (flags & MS_NOATIME)
    a |= MOUNT_ATTR_NOATIME;
  else if (flags & MS_STRICTATIME)
    a |= MOUNT_ATTR_STRICTATIME;
  return a;
}

void
kago_mount_opts_bind_attrs (const struct kago_mount_opts *o, unsigned long long *set, unsigned long long *clr)
{
  unsigned long atime = MS_NOATIME | MS_STRICTATIME | MS_RELATIME;
  *set = kago_mount_flags_to_attr (o->flags & ~atime);
  *clr = kago_mount_flags_to_attr (o->clear_flags & ~atime);
  if (o->flags & atime)
    {
      *set |= kago_mount_flags_to_attr (o->flags & atime);
      *clr |= MOUNT_ATTR__ATIME;
    }
  else if (o->clear_flags & atime)
    *clr |= MOUNT_ATTR__ATIME;   /* back to relatime */
}
