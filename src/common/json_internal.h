/* Shared by the JSON parser (json.c) and serializer (json_write.c).  */
#ifndef KAGO_JSON_INTERNAL_H
#define KAGO_JSON_INTERNAL_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence starting at P (first byte >= 0x80),
   or 0 when it is not valid UTF-8.  */
size_t json_utf8_seq_len (const unsigned char *p, const unsigned char *end);

#endif
