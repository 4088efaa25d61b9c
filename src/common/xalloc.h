/* Allocation that aborts on failure: an out-of-memory runtime cannot do
   anything useful, and checking every small allocation hides real errors.  */
#ifndef KAGO_XALLOC_H
#define KAGO_XALLOC_H

#include <stddef.h>

void *xmalloc (size_t n) __attribute__ ((malloc, returns_nonnull));
void *xzalloc (size_t n) __attribute__ ((malloc, returns_nonnull));
void *xcalloc (size_t n, size_t size) __attribute__ ((malloc, returns_nonnull));
void *xrealloc (void *p, size_t n) __attribute__ ((returns_nonnull));
char *xstrdup (const char *s) __attribute__ ((malloc, returns_nonnull));
char *xstrndup (const char *s, size_t n) __attribute__ ((malloc, returns_nonnull));
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), malloc, returns_nonnull));

#endif
