/* Loading libarchive on demand (see la.h).  */
#define KAGO_LA_NO_REDIRECT
#include "engine/image/la.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/xalloc.h"

struct kago_la kago_la_table;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char *load_error; /* NULL when loaded */

static void
load (void)
{
  /* RTLD_LOCAL: libarchive's dependencies stay out of kago's namespace.  */
  void *h = dlopen ("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    {
      const char *e = dlerror ();
      load_error = xasprintf ("libarchive cannot be loaded (%s): install libarchive13", e ? e : "?");
      return;
    }
#define KAGO_LA_SYM(name, ret, params)                                                                       \
  if ((*(void **) &kago_la_table.name = dlsym (h, #name)) == NULL)                                           \
    {                                                                                                        \
      load_error = xasprintf ("libarchive.so.13 has no %s: it is too old (kago needs 3.6)", #name);          \
      memset (&kago_la_table, 0, sizeof kago_la_table);                                                      \
      return;                                                                                                \
    }
  KAGO_LA_FUNCTIONS (KAGO_LA_SYM)
#undef KAGO_LA_SYM
}

int
kago_la_load (kago_error_t *err)
{
  pthread_once (&once, load);
  if (load_error)
    return kago_error_set (err, 0, "%s", load_error);
  return 0;
}
