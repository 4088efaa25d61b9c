/* libcurl, loaded with dlopen when `kago pull` first needs it, for the
 * reason libarchive is (la.h, docs/images.md "Dependencies"): the OCI
 * runtime face copies the whole executable into a sealed memfd at every
 * container start, and a linked libcurl would load OpenSSL, nghttp2, ssh,
 * ldap, kerberos... at every start.  The registry client calls libcurl
 * through this table, filled from libcurl.so.4 on first use.
 *
 * Include this instead of <curl/curl.h>: it redefines the functions kago
 * uses as calls through the table.  Call kago_curl_load() first.  */
#ifndef KAGO_IMAGE_CURL_H
#define KAGO_IMAGE_CURL_H

/* curl_easy_setopt is a type-checking macro with GCC; the table entry
   replaces it.  */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "common/error.h"

#define KAGO_CURL_FUNCTIONS(X)                                                                               \
  X (curl_global_init, CURLcode, (long) )                                                                    \
  X (curl_easy_init, CURL *, (void) )                                                                        \
  X (curl_easy_cleanup, void, (CURL *) )                                                                     \
  X (curl_easy_reset, void, (CURL *) )                                                                       \
  X (curl_easy_setopt, CURLcode, (CURL *, CURLoption, ...))                                                  \
  X (curl_easy_getinfo, CURLcode, (CURL *, CURLINFO, ...))                                                   \
  X (curl_easy_perform, CURLcode, (CURL *) )                                                                 \
  X (curl_easy_strerror, const char *, (CURLcode))                                                           \
  X (curl_slist_append, struct curl_slist *, (struct curl_slist *, const char *) )                           \
  X (curl_slist_free_all, void, (struct curl_slist *) )                                                      \
  X (curl_multi_init, CURLM *, (void) )                                                                      \
  X (curl_multi_cleanup, CURLMcode, (CURLM *) )                                                              \
  X (curl_multi_add_handle, CURLMcode, (CURLM *, CURL *) )                                                   \
  X (curl_multi_remove_handle, CURLMcode, (CURLM *, CURL *) )                                                \
  X (curl_multi_perform, CURLMcode, (CURLM *, int *) )                                                       \
  X (curl_multi_poll, CURLMcode, (CURLM *, struct curl_waitfd *, unsigned int, int, int *) )                 \
  X (curl_multi_info_read, CURLMsg *, (CURLM *, int *) )                                                     \
  X (curl_multi_strerror, const char *, (CURLMcode))

#define KAGO_CURL_FIELD(name, ret, params) ret (*name) params;
struct kago_curl
{
  KAGO_CURL_FUNCTIONS (KAGO_CURL_FIELD)
};
#undef KAGO_CURL_FIELD

extern struct kago_curl kago_curl_table;

/* dlopen libcurl.so.4, fill the table and run curl_global_init (once).
   Error: "libcurl cannot be loaded (...): install libcurl4".  */
int kago_curl_load (kago_error_t *err);

#ifndef KAGO_CURL_NO_REDIRECT
#define curl_global_init kago_curl_table.curl_global_init
#define curl_easy_init kago_curl_table.curl_easy_init
#define curl_easy_cleanup kago_curl_table.curl_easy_cleanup
#define curl_easy_reset kago_curl_table.curl_easy_reset
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_easy_setopt kago_curl_table.curl_easy_setopt
#define curl_easy_getinfo kago_curl_table.curl_easy_getinfo
#define curl_easy_perform kago_curl_table.curl_easy_perform
#define curl_easy_strerror kago_curl_table.curl_easy_strerror
#define curl_slist_append kago_curl_table.curl_slist_append
#define curl_slist_free_all kago_curl_table.curl_slist_free_all
#define curl_multi_init kago_curl_table.curl_multi_init
#define curl_multi_cleanup kago_curl_table.curl_multi_cleanup
#define curl_multi_add_handle kago_curl_table.curl_multi_add_handle
#define curl_multi_remove_handle kago_curl_table.curl_multi_remove_handle
#define curl_multi_perform kago_curl_table.curl_multi_perform
#define curl_multi_poll kago_curl_table.curl_multi_poll
#define curl_multi_info_read kago_curl_table.curl_multi_info_read
#define curl_multi_strerror kago_curl_table.curl_multi_strerror
#endif

#endif
