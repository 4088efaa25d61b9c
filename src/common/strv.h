/* A growable NULL-terminated vector of owned strings (shared by the image
   and container code; each side has its own helpers).  */
#ifndef KAGO_COMMON_STRV_H
#define KAGO_COMMON_STRV_H

#include <stddef.h>

struct kago_strv
{
  char **v; /* NULL-terminated, or NULL when empty */
  size_t n;
};

#endif
