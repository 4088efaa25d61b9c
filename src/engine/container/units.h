/* The value syntaxes docker's CLI takes, as Go and go-units parse them, with
   their error texts (the part after `invalid argument "X" for "--f" flag: `).  */
#ifndef KAGO_ENGINE_UNITS_H
#define KAGO_ENGINE_UNITS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

/* go-units RAMInBytes: "256mb", "1g", "512k", "1024b", "1.5g", "10 MiB";
   binary multiples (k = 1024).  Errors: "invalid size: '%s'", "invalid
   suffix: '%s'", "strconv.ParseFloat: parsing \"%s\": invalid syntax".  */
int kago_ram_in_bytes (const char *s, int64_t *out, kago_error_t *err);
/* go-units FromHumanSize: the same with decimal multiples (k = 1000).  */
int kago_from_human_size (const char *s, int64_t *out, kago_error_t *err);
/* strconv.ParseInt (S, BASE, BITS); BASE 0 takes 0x, 0o, 0b, 0 prefixes and
   underscores.  "strconv.ParseInt: parsing \"x\": invalid syntax" / "value
   out of range".  */
int kago_go_parse_int (const char *s, int base, int bits, int64_t *out, kago_error_t *err);
int kago_go_parse_uint (const char *s, int base, int bits, uint64_t *out, kago_error_t *err);
/* strconv.ParseBool.  */
int kago_go_parse_bool (const char *s, bool *out, kago_error_t *err);
/* docker's opts.ParseCPUs: "1.5" -> 1500000000 ("failed to parse X as a
   rational number", "value is too precise").  */
int kago_parse_nano_cpus (const char *s, int64_t *out, kago_error_t *err);
/* docker's signal.ParseSignal: "9", "KILL", "SIGKILL", "sigkill",
   "RTMIN+3".  "Invalid signal: %s".  */
int kago_docker_signal_parse (const char *s, int *out, kago_error_t *err);
/* A cpuset list "0-2,5" (docker's parsers.ParseUintList): 0 when fine, 1
   when a number is above MAX (MAX -1: no limit), -1 on bad syntax
   ("invalid format: %s").  */
int kago_parse_cpuset (const char *s, int max, kago_error_t *err);
/* "10m" -> docker's HumanSize-free byte count for tmpfs: "size=%d[kmg]".  */
char *kago_tmpfs_size_option (int64_t bytes);

#endif
