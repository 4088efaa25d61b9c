/* `-u name|uid[:group|gid]` and `--group-add`, resolved against the
   container's own /etc/passwd and /etc/group as runc's GetExecUser and
   GetAdditionalGroups do (docker's daemon uses them):
   - a name must be in passwd; a number is used as is when absent;
   - without an explicit group: the passwd entry's gid, and every group
     that lists the user by name becomes a supplementary group;
   - with one: that group (by name, or a number used as is), no
     supplementary groups;
   - --group-add NAME|GID: a name must be in /etc/group.
   The primary gid leads the additionalGids, as docker 23+ sets them.
   The files are read through the rootfs fd, so a symlinked /etc/passwd
   cannot point outside it.  */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/xalloc.h"
#include "engine/container/spec_internal.h"

#define MAX_ID 2147483647LL

/* The file's content, or NULL when it does not exist.  */
static int
read_in_root (int rootfd, const char *path, char **out, kago_error_t *err)
{
  kago_error_t e = NULL;
  *out = NULL;
  int fd = open_in_root (rootfd, path, O_RDONLY, 0, &e);
  if (fd < 0)
    {
      int en = e ? e->errnum : 0;
      kago_error_release (&e);
      if (en == ENOENT || en == ENOTDIR)
        return 0;
      return kago_error_set (err, en, "open %s in the container's rootfs", path);
    }
  size_t len;
  int rc = read_all_fd (fd, out, &len, err);
  close (fd);
  return rc;
}

/* Go's strconv.Atoi: optional sign, decimal digits only.  */
static bool
atoi_exact (const char *s, long long *out)
{
  const char *p = s;
  if (*p == '+' || *p == '-')
    p++;
  if (*p == '\0')
    return false;
  for (const char *q = p; *q; q++)
    if (*q < '0' || *q > '9')
      return false;
  errno = 0;
  long long v = strtoll (s, NULL, 10);
  if (errno)
    return false;
  *out = v;
  return true;
}

/* Split LINE at ':' into at most N fields (missing ones are "").  */
static size_t
fields (char *line, char **f, size_t n)
{
  size_t k = 0;
  f[k++] = line;
  for (char *p = line; *p && k < n; p++)
    if (*p == ':')
      {
        *p = '\0';
        f[k++] = p + 1;
      }
  for (size_t i = k; i < n; i++)
    f[i] = (char *) "";
  return k;
}

static void
add_gid (struct spec_user *u, gid_t g)
{
  for (size_t i = 0; i < u->ngids; i++)
    if (u->gids[i] == g)
      return;
  u->gids = xrealloc (u->gids, (u->ngids + 1) * sizeof *u->gids);
  u->gids[u->ngids++] = g;
}

static bool
list_has (const char *list, const char *name)
{
  if (name == NULL || *name == '\0')
    return false;
  size_t nl = strlen (name);
  for (const char *p = list; *p;)
    {
      const char *c = strchr (p, ',');
      size_t l = c ? (size_t) (c - p) : strlen (p);
      if (l == nl && strncmp (p, name, nl) == 0)
        return true;
      if (!c)
        break;
      p = c + 1;
    }
  return false;
}

void
spec_user_clear (struct spec_user *u)
{
  free (u->gids);
  free (u->home);
  memset (u, 0, sizeof *u);
}

int
spec_user_resolve (const char *rootfs, const char *spec, const struct kago_strv *group_add, struct spec_user *u,
                   kago_error_t *err)
{
  memset (u, 0, sizeof *u);
  cleanup_close int rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return kago_error_set (err, errno, "open the container's rootfs %s", rootfs);
  cleanup_free char *passwd = NULL, *group = NULL;
  if (read_in_root (rootfd, "/etc/passwd", &passwd, err) < 0 || read_in_root (rootfd, "/etc/group", &group, err) < 0)
    return -1;

  cleanup_free char *copy = xstrdup (spec ? spec : "");
  char *colon = strchr (copy, ':');
  const char *user_arg = copy, *group_arg = "";
  if (colon)
    {
      *colon = '\0';
      group_arg = colon + 1;
    }
  long long uid_n = 0, gid_n = 0;
  bool uid_num = atoi_exact (user_arg, &uid_n), gid_num = atoi_exact (group_arg, &gid_n);

  long long uid = 0, gid = 0;
  cleanup_free char *matched = NULL;
  cleanup_free char *home = xstrdup ("/");
  if (passwd)
    {
      cleanup_free char *buf = xstrdup (passwd);
      char *save = NULL;
      for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        {
          char *f[7];
          if (line[0] == '#' || fields (line, f, 7) < 3)
            continue;
          long long puid, pgid;
          if (!atoi_exact (f[2], &puid))
            continue;
          if (!atoi_exact (f[3], &pgid))
            pgid = 0;
          bool match = user_arg[0] == '\0' ? puid == 0 : uid_num ? puid == uid_n : strcmp (f[0], user_arg) == 0;
          if (!match)
            continue;
          matched = xstrdup (f[0]);
          uid = puid;
          gid = pgid;
          free (home);
          home = xstrdup (f[5]);
          break;
        }
    }
  if (matched == NULL && user_arg[0] != '\0')
    {
      if (!uid_num)
        return kago_error_set (err, 0, "unable to find user %s: no matching entries in passwd file", user_arg);
      if (uid_n < 0 || uid_n > MAX_ID)
        return kago_error_set (err, 0, "uids and gids must be in range 0-%lld", MAX_ID);
      uid = uid_n;
    }

  struct spec_user r = { 0 };
  gid_t *sgids = NULL;
  size_t nsgids = 0;
  if (group_arg[0] != '\0' || matched)
    {
      bool found = false;
      if (group)
        {
          cleanup_free char *buf = xstrdup (group);
          char *save = NULL;
          for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
            {
              char *f[4];
              if (line[0] == '#' || fields (line, f, 4) < 3)
                continue;
              long long g;
              if (!atoi_exact (f[2], &g))
                continue;
              if (group_arg[0] == '\0')
                {
                  if (list_has (f[3], matched))
                    {
                      sgids = xrealloc (sgids, (nsgids + 1) * sizeof *sgids);
                      sgids[nsgids++] = (gid_t) g;
                    }
                  continue;
                }
              if (gid_num ? g == gid_n : strcmp (f[0], group_arg) == 0)
                {
                  gid = g;
                  found = true;
                  break;
                }
            }
        }
      if (group_arg[0] != '\0' && !found)
        {
          if (!gid_num)
            {
              free (sgids);
              return kago_error_set (err, 0, "unable to find group %s: no matching entries in group file", group_arg);
            }
          if (gid_n < 0 || gid_n > MAX_ID)
            {
              free (sgids);
              return kago_error_set (err, 0, "uids and gids must be in range 0-%lld", MAX_ID);
            }
          gid = gid_n;
        }
    }
  r.uid = (uid_t) uid;
  r.gid = (gid_t) gid;
  add_gid (&r, r.gid);
  for (size_t i = 0; i < nsgids; i++)
    add_gid (&r, sgids[i]);
  free (sgids);

  for (size_t i = 0; group_add && i < group_add->n; i++)
    {
      const char *ag = group_add->v[i];
      bool found = false;
      if (group)
        {
          cleanup_free char *buf = xstrdup (group);
          char *save = NULL;
          for (char *line = strtok_r (buf, "\n", &save); line && !found; line = strtok_r (NULL, "\n", &save))
            {
              char *f[4];
              if (line[0] == '#' || fields (line, f, 4) < 3)
                continue;
              long long g;
              if (!atoi_exact (f[2], &g))
                continue;
              char num[32];
              snprintf (num, sizeof num, "%lld", g);
              if (strcmp (f[0], ag) == 0 || strcmp (num, ag) == 0)
                {
                  add_gid (&r, (gid_t) g);
                  found = true;
                }
            }
        }
      if (!found)
        {
          long long g;
          if (!atoi_exact (ag, &g))
            {
              spec_user_clear (&r);
              return kago_error_set (err, 0, "Unable to find group %s: no matching entries in group file", ag);
            }
          if (g < 0 || g > MAX_ID)
            {
              spec_user_clear (&r);
              return kago_error_set (err, 0, "uids and gids must be in range 0-%lld", MAX_ID);
            }
          add_gid (&r, (gid_t) g);
        }
    }
  r.home = steal_pointer (&home);
  *u = r;
  return 0;
}
