/* kago — error reporting idiom.
 *
 * Every function that can fail takes `kago_error_t *err` as its last argument,
 * returns a negative value (or NULL) on failure and fills *err with the errno
 * that caused it (0 when there is none) and a message.  Callers add context with
 * kago_error_wrap().  Only the CLI prints errors and exits.
 *
 *   if (mount (...) < 0)
 *     return kago_error_set (err, errno, "mount `%s` on rootfs", target);
 *
 * renders as  "mount `/proc` on rootfs: Operation not permitted".
 */
#ifndef KAGO_ERROR_H
#define KAGO_ERROR_H

#include <stdarg.h>

struct kago_error
{
  int errnum; /* errno, or 0 */
  char *msg;  /* context, without the strerror part */
};
typedef struct kago_error *kago_error_t;

/* Set *err (which must be NULL) and return -1.  */
int kago_error_set (kago_error_t *err, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
int kago_error_setv (kago_error_t *err, int errnum, const char *fmt, va_list ap);

/* Prefix the message in *err with "CONTEXT: ".  Returns -1.  */
int kago_error_wrap (kago_error_t *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* The full message "msg: strerror(errnum)", owned by the caller.  */
char *kago_error_string (const kago_error_t err);

void kago_error_release (kago_error_t *err);

/* Serialize an error into a flat buffer (for the sync socket from a child) and
   back.  Returns the number of bytes used.  */
#define KAGO_ERROR_WIRE_MAX 4096
struct kago_error_wire
{
  int errnum;
  char msg[KAGO_ERROR_WIRE_MAX - sizeof (int)];
};
void kago_error_to_wire (const kago_error_t err, struct kago_error_wire *w);
int kago_error_from_wire (kago_error_t *err, const struct kago_error_wire *w);

#endif
