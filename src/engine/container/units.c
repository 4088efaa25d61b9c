/* Go's and go-units' value syntaxes, as docker's CLI parses its flags.  */
#include "engine/container/units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cleanup.h"
#include "common/xalloc.h"

/* go-units parseSize (v0.5): the number is everything up to the last digit,
   '.' or ' ' (a single space separator is dropped); the suffix is b, or a
   multiplier letter optionally followed by "b" or "ib", in any case.  */
static int
parse_size (const char *s, int64_t mul, int64_t *out, kago_error_t *err)
{
  const char *sep = NULL;
  for (const char *p = s; *p; p++)
    if (isdigit ((unsigned char) *p) || *p == '.' || *p == ' ')
      sep = p;
  if (sep == NULL)
    return kago_error_set (err, 0, "invalid size: '%s'", s);
  size_t numlen = (size_t) (sep - s) + (*sep == ' ' ? 0 : 1);
  cleanup_free char *num = xstrndup (s, numlen);
  const char *sfx = sep + 1;

  /* strconv.ParseFloat: no leading/trailing space, no empty string.  */
  char *end = NULL;
  errno = 0;
  double size = num[0] && !isspace ((unsigned char) num[0]) ? strtod (num, &end) : 0;
  if (end == NULL || *end != '\0' || num[0] == '\0' || strchr (num, 'x') || strchr (num, 'X'))
    return kago_error_set (err, 0, "strconv.ParseFloat: parsing \"%s\": invalid syntax", num);
  if (errno == ERANGE && isinf (size))
    return kago_error_set (err, 0, "strconv.ParseFloat: parsing \"%s\": value out of range", num);
  if (size < 0 || isnan (size))
    return kago_error_set (err, 0, "invalid size: '%s'", s);

  size_t sl = strlen (sfx);
  if (sl == 0)
    goto done;
  if (sl > 3)
    return kago_error_set (err, 0, "invalid suffix: '%s'", sfx);
  char lower[4] = { 0 };
  for (size_t i = 0; i < sl; i++)
    lower[i] = (char) tolower ((unsigned char) sfx[i]);
  if (lower[0] == 'b')
    {
      if (sl > 1)
        return kago_error_set (err, 0, "invalid suffix: '%s'", lower);
      goto done;
    }
  const char *letters = "kmgtp";
  const char *l = strchr (letters, lower[0]);
  if (l == NULL)
    return kago_error_set (err, 0, "invalid suffix: '%s'", lower);
  if ((sl == 2 && lower[1] != 'b') || (sl == 3 && strcmp (lower + 1, "ib") != 0))
    return kago_error_set (err, 0, "invalid suffix: '%s'", lower);
  for (const char *q = letters; q <= l; q++)
    size *= (double) mul;
done:
  /* Go's int64(float) of a huge value is implementation-defined; refuse it.  */
  if (size >= 9223372036854775807.0)
    return kago_error_set (err, 0, "invalid size: '%s'", s);
  *out = (int64_t) size;
  return 0;
}

int
kago_ram_in_bytes (const char *s, int64_t *out, kago_error_t *err)
{
  return parse_size (s, 1024, out, err);
}

int
kago_from_human_size (const char *s, int64_t *out, kago_error_t *err)
{
  return parse_size (s, 1000, out, err);
}

/* The digits of S in BASE (0: Go's prefixes), with Go's underscore rule
   loosely: underscores only with base 0.  Returns false on bad syntax.  */
static bool
go_digits (const char *s, int base, uint64_t *val, bool *overflow)
{
  bool underscores = false;
  if (base == 0)
    {
      base = 10;
      underscores = true;
      if (s[0] == '0' && s[1] != '\0')
        {
          switch (s[1])
            {
            case 'x':
            case 'X':
              base = 16;
              s += 2;
              break;
            case 'o':
            case 'O':
              base = 8;
              s += 2;
              break;
            case 'b':
            case 'B':
              base = 2;
              s += 2;
              break;
            default:
              base = 8;
              s += 1;
              break;
            }
        }
    }
  if (*s == '\0')
    return false;
  uint64_t v = 0;
  *overflow = false;
  char prev = 0;
  for (; *s; s++)
    {
      char c = *s;
      if (c == '_' && underscores)
        {
          if (prev == '_')
            return false;
          prev = c;
          continue;
        }
      int d;
      if (c >= '0' && c <= '9')
        d = c - '0';
      else if (c >= 'a' && c <= 'z')
        d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'Z')
        d = c - 'A' + 10;
      else
        return false;
      if (d >= base)
        return false;
      if (v > (UINT64_MAX - (uint64_t) d) / (uint64_t) base)
        *overflow = true;
      else
        v = v * (uint64_t) base + (uint64_t) d;
      prev = c;
    }
  if (prev == '_')
    return false;
  *val = v;
  return true;
}

int
kago_go_parse_uint (const char *s, int base, int bits, uint64_t *out, kago_error_t *err)
{
  uint64_t v;
  bool overflow = false;
  if (s[0] == '+' || s[0] == '-' || !go_digits (s, base, &v, &overflow))
    return kago_error_set (err, 0, "strconv.ParseUint: parsing \"%s\": invalid syntax", s);
  uint64_t max = bits >= 64 ? UINT64_MAX : (UINT64_C (1) << bits) - 1;
  if (overflow || v > max)
    return kago_error_set (err, 0, "strconv.ParseUint: parsing \"%s\": value out of range", s);
  *out = v;
  return 0;
}

int
kago_go_parse_int (const char *s, int base, int bits, int64_t *out, kago_error_t *err)
{
  const char *p = s;
  bool neg = false;
  if (*p == '+' || *p == '-')
    neg = *p++ == '-';
  uint64_t v;
  bool overflow = false;
  if (!go_digits (p, base, &v, &overflow))
    return kago_error_set (err, 0, "strconv.ParseInt: parsing \"%s\": invalid syntax", s);
  uint64_t lim = UINT64_C (1) << (bits - 1);
  if (overflow || (!neg && v >= lim) || (neg && v > lim))
    return kago_error_set (err, 0, "strconv.ParseInt: parsing \"%s\": value out of range", s);
  *out = neg ? (int64_t) (0 - v) : (int64_t) v;
  return 0;
}

int
kago_go_parse_bool (const char *s, bool *out, kago_error_t *err)
{
  static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True" };
  static const char *const f[] = { "0", "f", "F", "FALSE", "false", "False" };
  for (size_t i = 0; i < 6; i++)
    {
      if (strcmp (s, t[i]) == 0)
        return *out = true, 0;
      if (strcmp (s, f[i]) == 0)
        return *out = false, 0;
    }
  return kago_error_set (err, 0, "strconv.ParseBool: parsing \"%s\": invalid syntax", s);
}

/* big.Rat SetString for what docker users type: [+-]digits[.digits][e[+-]N]
   or [+-]N/M.  Exact: the value times 1e9 must be an integer.  */
int
kago_parse_nano_cpus (const char *s, int64_t *out, kago_error_t *err)
{
  const char *p = s;
  bool neg = false;
  if (*p == '+' || *p == '-')
    neg = *p++ == '-';
  const char *slash = strchr (p, '/');
  if (slash)
    {
      cleanup_free char *a = xstrndup (p, (size_t) (slash - p));
      uint64_t num, den;
      bool o1 = false, o2 = false;
      if (!go_digits (a, 10, &num, &o1) || !go_digits (slash + 1, 10, &den, &o2) || o1 || o2 || den == 0)
        return kago_error_set (err, 0, "failed to parse %s as a rational number", s);
      if (num > (uint64_t) INT64_MAX / 1000000000u)
        return kago_error_set (err, 0, "failed to parse %s as a rational number", s);
      uint64_t n = num * 1000000000u;
      if (n % den)
        return kago_error_set (err, 0, "value is too precise");
      *out = neg ? -(int64_t) (n / den) : (int64_t) (n / den);
      return 0;
    }
  /* Decimal: collect digits, track the decimal exponent.  */
  uint64_t mant = 0;
  int exp10 = 0, ndig = 0;
  bool dot = false, big = false;
  for (; *p && *p != 'e' && *p != 'E'; p++)
    {
      if (*p == '.')
        {
          if (dot)
            return kago_error_set (err, 0, "failed to parse %s as a rational number", s);
          dot = true;
          continue;
        }
      if (!isdigit ((unsigned char) *p))
        return kago_error_set (err, 0, "failed to parse %s as a rational number", s);
      ndig++;
      if (mant > (UINT64_MAX - 9) / 10)
        {
          if (*p != '0')
            big = true;
          if (!dot)
            exp10++;
          continue;
        }
      mant = mant * 10 + (uint64_t) (*p - '0');
      if (dot)
        exp10--;
    }
  if (ndig == 0)
    return kago_error_set (err, 0, "failed to parse %s as a rational number", s);
  if (*p == 'e' || *p == 'E')
    {
      int64_t e;
      kago_error_t e2 = NULL;
      if (kago_go_parse_int (p + 1, 10, 16, &e, &e2) < 0)
        {
          kago_error_release (&e2);
          return kago_error_set (err, 0, "failed to parse %s as a rational number", s);
        }
      exp10 += (int) e;
    }
  if (big)
    return kago_error_set (err, 0, "value is too precise");
  exp10 += 9;
  while (exp10 < 0 && mant % 10 == 0 && mant)
    mant /= 10, exp10++;
  if (exp10 < 0 && mant != 0)
    return kago_error_set (err, 0, "value is too precise");
  if (mant == 0)
    exp10 = 0;
  for (; exp10 > 0; exp10--)
    {
      if (mant > (uint64_t) INT64_MAX / 10)
        return kago_error_set (err, 0, "failed to parse %s as a rational number", s);
      mant *= 10;
    }
  if (mant > (uint64_t) INT64_MAX)
    return kago_error_set (err, 0, "failed to parse %s as a rational number", s);
  *out = neg ? -(int64_t) mant : (int64_t) mant;
  return 0;
}

static const struct
{
  const char *name;
  int sig;
} signals[] = {
  { "ABRT", SIGABRT },   { "ALRM", SIGALRM },     { "BUS", SIGBUS },       { "CHLD", SIGCHLD },
  { "CLD", SIGCHLD },    { "CONT", SIGCONT },     { "FPE", SIGFPE },       { "HUP", SIGHUP },
  { "ILL", SIGILL },     { "INT", SIGINT },       { "IO", SIGIO },         { "IOT", SIGIOT },
  { "KILL", SIGKILL },   { "PIPE", SIGPIPE },     { "POLL", SIGPOLL },     { "PROF", SIGPROF },
  { "PWR", SIGPWR },     { "QUIT", SIGQUIT },     { "SEGV", SIGSEGV },     { "STKFLT", SIGSTKFLT },
  { "STOP", SIGSTOP },   { "SYS", SIGSYS },       { "TERM", SIGTERM },     { "TRAP", SIGTRAP },
  { "TSTP", SIGTSTP },   { "TTIN", SIGTTIN },     { "TTOU", SIGTTOU },     { "URG", SIGURG },
  { "USR1", SIGUSR1 },   { "USR2", SIGUSR2 },     { "VTALRM", SIGVTALRM }, { "WINCH", SIGWINCH },
  { "XCPU", SIGXCPU },   { "XFSZ", SIGXFSZ },
};

int
kago_docker_signal_parse (const char *s, int *out, kago_error_t *err)
{
  int64_t n;
  kago_error_t e = NULL;
  if (kago_go_parse_int (s, 10, 64, &n, &e) == 0)
    {
      if (n <= 0 || n > 64)
        return kago_error_set (err, 0, "Invalid signal: %s", s);
      *out = (int) n;
      return 0;
    }
  kago_error_release (&e);
  const char *name = s;
  if (strncasecmp (name, "SIG", 3) == 0)
    name += 3;
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
    if (strcasecmp (name, signals[i].name) == 0)
      return *out = signals[i].sig, 0;
  /* Go's map: RTMIN (34), RTMIN+1 .. RTMIN+15, RTMAX-14 .. RTMAX-1, RTMAX (64). */
  if (strncasecmp (name, "RTMIN", 5) == 0 || strncasecmp (name, "RTMAX", 5) == 0)
    {
      bool min = strncasecmp (name, "RTMIN", 5) == 0;
      const char *rest = name + 5;
      int off = 0;
      if (*rest)
        {
          if (*rest != (min ? '+' : '-') || !isdigit ((unsigned char) rest[1]) || rest[1] == '0')
            return kago_error_set (err, 0, "Invalid signal: %s", s);
          char *end;
          long v = strtol (rest + 1, &end, 10);
          if (*end || v < 1 || v > (min ? 15 : 14))
            return kago_error_set (err, 0, "Invalid signal: %s", s);
          off = (int) v;
        }
      *out = min ? 34 + off : 64 - off;
      return 0;
    }
  return kago_error_set (err, 0, "Invalid signal: %s", s);
}

int
kago_parse_cpuset (const char *s, int max, kago_error_t *err)
{
  /* docker's parsers.ParseUintList: "" is fine; "a-b" with a <= b; commas. */
  if (*s == '\0')
    return 0;
  const char *p = s;
  while (1)
    {
      const char *comma = strchr (p, ',');
      size_t len = comma ? (size_t) (comma - p) : strlen (p);
      cleanup_free char *item = xstrndup (p, len);
      char *dash = strchr (item, '-');
      uint64_t a, b;
      bool o = false;
      if (dash)
        {
          *dash = '\0';
          if (!go_digits (item, 10, &a, &o) || o || !go_digits (dash + 1, 10, &b, &o) || o || b < a)
            return kago_error_set (err, 0, "invalid format: %s", s);
        }
      else
        {
          if (!go_digits (item, 10, &a, &o) || o)
            return kago_error_set (err, 0, "invalid format: %s", s);
          b = a;
        }
      if (max >= 0 && b > (uint64_t) max)
        return 1;
      if (!comma)
        break;
      p = comma + 1;
    }
  return 0;
}

char *
kago_tmpfs_size_option (int64_t bytes)
{
  static const struct
  {
    char sfx;
    int64_t div;
  } m[] = { { 'g', INT64_C (1) << 30 }, { 'm', INT64_C (1) << 20 }, { 'k', INT64_C (1) << 10 } };
  for (size_t i = 0; i < 3; i++)
    if (bytes % m[i].div == 0)
      return xasprintf ("size=%lld%c", (long long) (bytes / m[i].div), m[i].sfx);
  return xasprintf ("size=%lld", (long long) bytes);
}
