/* Container records and the name index (container.h has the layout).

   A record is Docker's inspect object plus a private "Kago" object (the
   monitor's pid and start time, the rootfs directory and its layers).  It is
   replaced whole (tmp file + rename) while R/containers/ID/lock is held, so
   a reader never sees half a record and two writers never lose each other's
   change.  Records are not fsync'ed: they describe processes and mounts that
   do not survive a power loss either.  */
#include "engine/container/record.h"

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/xalloc.h"
#include "runtime/core.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int
kago_engine_open (const char *root, struct kago_engine *e, kago_error_t *err)
{
  memset (e, 0, sizeof *e);
  e->root = xstrdup (root);
  e->ctr_dir = xasprintf ("%s/containers", root);
  e->runtime_root = xasprintf ("%s/runtime", root);
  cleanup_free char *names = xasprintf ("%s/.names", e->ctr_dir);
  if (mkdir_p (names, 0700, err) < 0 || mkdir_p (e->runtime_root, 0700, err) < 0)
    {
      kago_engine_close (e);
      return -1;
    }
  return 0;
}

void
kago_engine_close (struct kago_engine *e)
{
  free (e->root);
  free (e->ctr_dir);
  free (e->runtime_root);
  memset (e, 0, sizeof *e);
}

static const char *const status_names[] = {
  [KAGO_CTR_CREATED] = "created", [KAGO_CTR_RUNNING] = "running", [KAGO_CTR_PAUSED] = "paused",
  [KAGO_CTR_RESTARTING] = "restarting", [KAGO_CTR_EXITED] = "exited", [KAGO_CTR_DEAD] = "dead",
  [KAGO_CTR_REMOVING] = "removing",
};

const char *
kago_ctr_status_name (enum kago_ctr_status s)
{
  return (size_t) s < sizeof status_names / sizeof *status_names ? status_names[s] : "unknown";
}

enum kago_ctr_status
kago_ctr_status_parse (const char *s)
{
  for (size_t i = 0; s && i < sizeof status_names / sizeof *status_names; i++)
    if (strcmp (status_names[i], s) == 0)
      return (enum kago_ctr_status) i;
  return KAGO_CTR_DEAD;
}

void
kago_ctr_new_id (char id[KAGO_CTR_ID_LEN + 1])
{
  unsigned char b[KAGO_CTR_ID_LEN / 2];
  for (;;)
    {
      size_t got = 0;
      while (got < sizeof b)
        {
          ssize_t n = getrandom (b + got, sizeof b - got, 0);
          if (n > 0)
            got += (size_t) n;
        }
      for (size_t i = 0; i < sizeof b; i++)
        snprintf (id + 2 * i, 3, "%02x", b[i]);
      /* Docker never makes an id that is all digits in its short form:
         it would read as a number in some places.  */
      if (strspn (id, "0123456789") < KAGO_CTR_SHORT_ID_LEN)
        return;
    }
}

/* Docker's names: "adjective_surname" of notable scientists and hackers.  */
static const char *const adjectives[] = {
  "admiring", "amazing", "blissful", "bold", "brave", "busy", "charming", "clever", "compassionate", "confident",
  "cool", "dazzling", "determined", "eager", "ecstatic", "elegant", "epic", "focused", "friendly", "gallant",
  "gifted", "happy", "hopeful", "jolly", "keen", "kind", "laughing", "loving", "magical", "modest",
  "nifty", "nostalgic", "objective", "optimistic", "peaceful", "pensive", "practical", "quirky", "relaxed", "serene",
  "sharp", "stoic", "strange", "sweet", "tender", "trusting", "upbeat", "vibrant", "wizardly", "zealous",
};
static const char *const surnames[] = {
  "agnesi", "babbage", "bardeen", "bartik", "bell", "booth", "borg", "bose", "curie", "darwin",
  "dijkstra", "einstein", "euler", "feynman", "fermi", "franklin", "galileo", "gauss", "goldberg", "hamilton",
  "hawking", "heisenberg", "hopper", "hypatia", "jennings", "kepler", "knuth", "lamport", "lovelace", "mccarthy",
  "meitner", "mendel", "newton", "noether", "pascal", "pike", "ritchie", "shannon", "sinoussi", "tesla",
  "thompson", "torvalds", "turing", "volhard", "wozniak", "yalow", "yonath", "zhukovsky", "wing", "wilbur",
};

char *
kago_ctr_random_name (void)
{
  unsigned r = 0;
  if (getrandom (&r, sizeof r, 0) < 0)
    r = (unsigned) time (NULL);
  size_t na = sizeof adjectives / sizeof *adjectives, ns = sizeof surnames / sizeof *surnames;
  return xasprintf ("%s_%s", adjectives[r % na], surnames[(r / na) % ns]);
}

int
kago_ctr_validate_name (const char *name, kago_error_t *err)
{
  /* Docker: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (one leading '/' allowed).  */
  if (name[0] == '/')
    name++;
  size_t n = strlen (name);
  const char *alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  bool ok = n >= 2 && n <= 255 && strchr (alnum, name[0]) != NULL;
  for (size_t i = 1; ok && i < n; i++)
    ok = strchr (alnum, name[i]) != NULL || name[i] == '_' || name[i] == '.' || name[i] == '-';
  if (!ok)
    return kago_error_set (err, EINVAL, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                           name);
  return 0;
}

static char *
name_path (struct kago_engine *e, const char *name)
{
  return xasprintf ("%s/.names/%s", e->ctr_dir, name);
}

int
kago_ctr_reserve_name (struct kago_engine *e, const char *name, const char *id, kago_error_t *err)
{
  cleanup_free char *p = name_path (e, name);
  if (symlink (id, p) == 0)
    return 0;
  if (errno != EEXIST)
    return kago_error_set (err, errno, "reserve the name `%s`", name);
  char other[KAGO_CTR_ID_LEN + 1] = "";
  ssize_t n = readlink (p, other, sizeof other - 1);
  if (n > 0)
    other[n] = '\0';
  return kago_error_set (err, 0,
                         "Conflict. The container name \"/%s\" is already in use by container \"%s\". You have to "
                         "remove (or rename) that container to be able to reuse that name.",
                         name, other);
}

void
kago_ctr_release_name (struct kago_engine *e, const char *name, const char *id)
{
  cleanup_free char *p = name_path (e, name);
  char cur[KAGO_CTR_ID_LEN + 1];
  ssize_t n = readlink (p, cur, sizeof cur - 1);
  if (n <= 0)
    return;
  cur[n] = '\0';
  if (id == NULL || strcmp (cur, id) == 0)
    unlink (p);
}

char *
kago_ctr_path (struct kago_engine *e, const char *id, const char *file)
{
  return file ? xasprintf ("%s/%s/%s", e->ctr_dir, id, file) : xasprintf ("%s/%s", e->ctr_dir, id);
}

int
kago_ctr_lock (struct kago_engine *e, const char *id, kago_error_t *err)
{
  return kago_ctr_lock_file (e, id, "lock", err);
}

int
kago_ctr_lock_file (struct kago_engine *e, const char *id, const char *file, kago_error_t *err)
{
  cleanup_free char *p = kago_ctr_path (e, id, file);
  int fd = open (p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return kago_error_set (err, 0, "No such container: %s", id);
      return kago_error_set (err, errno, "open `%s`", p);
    }
  while (flock (fd, LOCK_EX) < 0)
    if (errno != EINTR)
      {
        int en = errno;
        close (fd);
        return kago_error_set (err, en, "lock `%s`", p);
      }
  return fd;
}

json_value *
kago_ctr_record_load (struct kago_engine *e, const char *id, kago_error_t *err)
{
  cleanup_free char *p = kago_ctr_path (e, id, "record.json");
  cleanup_free char *buf = NULL;
  size_t len;
  if (read_file (p, &buf, &len, err) < 0)
    {
      if ((*err)->errnum == ENOENT)
        {
          kago_error_release (err);
          kago_error_set (err, 0, "No such container: %s", id);
        }
      return NULL;
    }
  json_value *v = json_parse (buf, len, err);
  if (v == NULL)
    kago_error_wrap (err, "record of container %s", id);
  return v;
}

int
kago_ctr_record_save (struct kago_engine *e, const char *id, const json_value *rec, kago_error_t *err)
{
  cleanup_free char *dir = kago_ctr_path (e, id, NULL);
  cleanup_free char *text = json_to_string (rec, false);
  cleanup_close int dfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return kago_error_set (err, errno, "open `%s`", dir);
  cleanup_close int fd = openat (dfd, "record.json.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return kago_error_set (err, errno, "write the record of %s", id);
  if (write_all (fd, text, strlen (text)) < 0)
    {
      int en = errno;
      unlinkat (dfd, "record.json.tmp", 0);
      return kago_error_set (err, en, "write the record of %s", id);
    }
  if (renameat (dfd, "record.json.tmp", dfd, "record.json") < 0)
    return kago_error_set (err, errno, "replace the record of %s", id);
  return 0;
}

int
kago_ctr_record_update (struct kago_engine *e, const char *id, kago_record_fn fn, void *arg, kago_error_t *err)
{
  cleanup_close int lk = kago_ctr_lock (e, id, err);
  if (lk < 0)
    return -1;
  json_value *rec = kago_ctr_record_load (e, id, err);
  if (rec == NULL)
    return -1;
  int r = fn (rec, arg, err);
  if (r == 0)
    r = kago_ctr_record_save (e, id, rec, err);
  json_free (rec);
  return r;
}

/* ---- small accessors ---- */

const char *
kago_rec_str (const json_value *rec, const char *a, const char *b)
{
  const json_value *v = json_object_get (rec, a);
  if (b)
    v = json_object_get (v, b);
  return json_get_string (v);
}

int64_t
kago_rec_int (const json_value *rec, const char *a, const char *b, int64_t def)
{
  const json_value *v = json_object_get (rec, a);
  if (b)
    v = json_object_get (v, b);
  int64_t i;
  return v && json_get_int64 (v, &i) == 0 ? i : def;
}

bool
kago_rec_bool (const json_value *rec, const char *a, const char *b)
{
  const json_value *v = json_object_get (rec, a);
  if (b)
    v = json_object_get (v, b);
  return v && v->type == JSON_BOOL && v->u.boolean;
}

void
kago_rec_set (json_value *rec, const char *a, const char *b, json_value *val)
{
  if (b == NULL)
    {
      json_object_set (rec, a, val);
      return;
    }
  json_value *o = json_object_get (rec, a);
  if (o == NULL || o->type != JSON_OBJECT)
    {
      o = json_object_new ();
      json_object_set (rec, a, o);
    }
  json_object_set (o, b, val);
}

/* ---- lookup ---- */

static bool
is_hex_prefix (const char *s)
{
  size_t n = strlen (s);
  return n > 0 && n <= KAGO_CTR_ID_LEN && strspn (s, "0123456789abcdef") == n;
}

int
kago_ctr_resolve (struct kago_engine *e, const char *name_or_id, char id[KAGO_CTR_ID_LEN + 1], kago_error_t *err)
{
  const char *q = name_or_id;
  if (q[0] == '\0')
    return kago_error_set (err, 0, "No such container: %s", name_or_id);
  /* A full id, then a name (Docker's order), then a unique id prefix.  */
  if (strlen (q) == KAGO_CTR_ID_LEN && is_hex_prefix (q))
    {
      cleanup_free char *p = kago_ctr_path (e, q, "record.json");
      if (access (p, F_OK) == 0)
        {
          memcpy (id, q, KAGO_CTR_ID_LEN + 1);
          return 0;
        }
    }
  {
    const char *nm = q[0] == '/' ? q + 1 : q;
    if (memchr (nm, '/', strlen (nm)) == NULL)
      {
        cleanup_free char *p = name_path (e, nm);
        char buf[KAGO_CTR_ID_LEN + 1];
        ssize_t n = readlink (p, buf, sizeof buf - 1);
        if (n == KAGO_CTR_ID_LEN)
          {
            buf[n] = '\0';
            memcpy (id, buf, sizeof buf);
            return 0;
          }
      }
  }
  if (is_hex_prefix (q))
    {
      cleanup_dir DIR *d = opendir (e->ctr_dir);
      if (d == NULL)
        return kago_error_set (err, errno, "open `%s`", e->ctr_dir);
      struct dirent *de;
      int found = 0;
      size_t ql = strlen (q);
      while ((de = readdir (d)) != NULL)
        if (strlen (de->d_name) == KAGO_CTR_ID_LEN && strncmp (de->d_name, q, ql) == 0)
          {
            if (found++)
              return kago_error_set (err, EINVAL, "multiple IDs found with provided prefix: %s", q);
            memcpy (id, de->d_name, KAGO_CTR_ID_LEN + 1);
          }
      if (found)
        return 0;
    }
  return kago_error_set (err, 0, "No such container: %s", name_or_id);
}

/* ---- liveness ---- */

bool
kago_pid_alive (pid_t pid, unsigned long long start)
{
  bool zombie;
  unsigned long long now = kago_pid_starttime (pid, &zombie);
  return now != 0 && !zombie && (start == 0 || now == start);
}
