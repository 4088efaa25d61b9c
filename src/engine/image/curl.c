/* Loading libcurl on demand (see curl.h).  */
#define KAGO_CURL_NO_REDIRECT
#include "engine/image/curl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

#include "common/xalloc.h"

struct kago_curl kago_curl_table;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char *load_error; /* NULL when loaded */

static void
load (void)
{
  void *h = dlopen ("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    {
      const char *e = dlerror ();
      load_error = xasprintf ("libcurl cannot be loaded (%s): install libcurl4", e ? e : "?");
      return;
    }
#define KAGO_CURL_SYM(name, ret, params)                                                                     \
  if ((*(void **) &kago_curl_table.name = dlsym (h, #name)) == NULL)                                         \
    {                                                                                                        \
      load_error = xasprintf ("libcurl.so.4 has no %s: it is too old (kago needs 7.66)", #name);             \
      memset (&kago_curl_table, 0, sizeof kago_curl_table);                                                  \
      return;                                                                                                \
    }
  KAGO_CURL_FUNCTIONS (KAGO_CURL_SYM)
#undef KAGO_CURL_SYM
  CURLcode c = kago_curl_table.curl_global_init (CURL_GLOBAL_ALL);
  if (c != CURLE_OK)
    load_error = xasprintf ("curl_global_init: %s", kago_curl_table.curl_easy_strerror (c));
}

int
kago_curl_load (kago_error_t *err)
{
  pthread_once (&once, load);
  if (load_error)
    return kago_error_set (err, 0, "%s", load_error);
  return 0;
}
