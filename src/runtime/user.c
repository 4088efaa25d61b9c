/* The process user: supplementary groups, gid, uid and umask.
 *
 * Ids come from config.json as numbers and are used exactly as given: uid 1
 * is uid 1 (CVE-2026-30892 was a runtime treating "1" as root).  Called after
 * kago_caps_prepare (PR_SET_KEEPCAPS 1) so that the permitted set survives the
 * switch to a non-root uid; kago_caps_apply then sets the final sets.
 */
#include "runtime/process_attrs.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"

/* In a user namespace whose gid map was written without CAP_SETGID in the
   parent namespace, /proc/self/setgroups says "deny" and setgroups(2) fails.  */
static bool
setgroups_denied (void)
{
  cleanup_fclose FILE *f = fopen ("/proc/self/setgroups", "re");
  char buf[16] = "";
  if (f == NULL)
    return false;
  if (fgets (buf, sizeof buf, f) == NULL)
    return false;
  return strncmp (buf, "deny", 4) == 0;
}

int
kago_user_apply (const oci_user *u, bool in_userns, kago_error_t *err)
{
  const uid_t uid = (uid_t) u->uid;
  const gid_t gid = (gid_t) u->gid;

  if (in_userns && setgroups_denied ())
    {
      if (u->n_additional_gids > 0)
        return kago_error_set (err, EPERM,
                               "process.user.additionalGids: cannot set %zu supplementary group(s): "
                               "setgroups is denied in this user namespace",
                               u->n_additional_gids);
    }
  else
    {
      gid_t *gids = NULL;
      cleanup_free gid_t *owned = NULL;
      if (u->n_additional_gids > 0)
        {
          owned = calloc (u->n_additional_gids, sizeof *owned);
          if (owned == NULL)
            return kago_error_set (err, ENOMEM, "setgroups");
          for (size_t i = 0; i < u->n_additional_gids; i++)
            owned[i] = (gid_t) u->additional_gids[i];
          gids = owned;
        }
      if (setgroups (u->n_additional_gids, gids) < 0)
        return kago_error_set (err, errno, "setgroups (%zu group(s))", u->n_additional_gids);
    }

  if (setresgid (gid, gid, gid) < 0)
    return kago_error_set (err, errno, "setresgid %u", (unsigned) gid);
  if (setresuid (uid, uid, uid) < 0)
    return kago_error_set (err, errno, "setresuid %u", (unsigned) uid);

  /* Verify: a mismatch here would be a privilege bug, not a config error.  */
  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  if (getresuid (&ru, &eu, &su) < 0 || getresgid (&rg, &eg, &sg) < 0)
    return kago_error_set (err, errno, "getresuid");
  if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid)
    return kago_error_set (err, EPERM, "user switch to %u:%u did not take effect", (unsigned) uid,
                           (unsigned) gid);

  umask (u->has_umask ? (mode_t) (u->umask & 07777) : 0022);
  return 0;
}
