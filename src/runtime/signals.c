/* Signal names and container ids, as runc accepts them.  */
#include "runtime/runtime.h"

#include <ctype.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct
{
  const char *name;
  int sig;
} signals[] = {
  { "HUP", SIGHUP },       { "INT", SIGINT },   { "QUIT", SIGQUIT },     { "ILL", SIGILL },
  { "TRAP", SIGTRAP },     { "ABRT", SIGABRT }, { "IOT", SIGIOT },       { "BUS", SIGBUS },
  { "FPE", SIGFPE },       { "KILL", SIGKILL }, { "USR1", SIGUSR1 },     { "SEGV", SIGSEGV },
  { "USR2", SIGUSR2 },     { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },     { "TERM", SIGTERM },
  { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },     { "STOP", SIGSTOP },
  { "TSTP", SIGTSTP },     { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },     { "URG", SIGURG },
  { "XCPU", SIGXCPU },     { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
  { "WINCH", SIGWINCH },   { "IO", SIGIO },     { "POLL", SIGPOLL },     { "PWR", SIGPWR },
  { "SYS", SIGSYS },
};

int
kago_parse_signal (const char *s, int *sig, kago_error_t *err)
{
  if (s == NULL || *s == '\0')
    return kago_error_set (err, 0, "invalid signal \"\"");
  if (isdigit ((unsigned char) s[0]))
    {
      char *end;
      long v = strtol (s, &end, 10);
      if (*end || v < 0 || v >= NSIG)
        return kago_error_set (err, 0, "invalid signal \"%s\" (valid numbers are 0-%d)", s, NSIG - 1);
      *sig = (int) v;
      return 0;
    }
  const char *n = s;
  if (strncasecmp (n, "SIG", 3) == 0)
    n += 3;
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
    if (strcasecmp (n, signals[i].name) == 0)
      {
        *sig = signals[i].sig;
        return 0;
      }
  if (strncasecmp (n, "RTMIN", 5) == 0 || strncasecmp (n, "RTMAX", 5) == 0)
    {
      int base = strncasecmp (n, "RTMIN", 5) == 0 ? SIGRTMIN : SIGRTMAX;
      const char *r = n + 5;
      if (*r == '\0')
        {
          *sig = base;
          return 0;
        }
      char *end;
      long off = strtol (r, &end, 10);
      int v = base + (int) off;
      if (*end == '\0' && (*r == '+' || *r == '-') && v >= SIGRTMIN && v <= SIGRTMAX)
        {
          *sig = v;
          return 0;
        }
    }
  return kago_error_set (err, 0, "invalid signal \"%s\"", s);
}

int
kago_validate_id (const char *id, kago_error_t *err)
{
  if (id == NULL || *id == '\0')
    return kago_error_set (err, 0, "container id cannot be empty");
  if (strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return kago_error_set (err, 0, "invalid container id \"%s\"", id);
  if (strlen (id) > 1024)
    return kago_error_set (err, 0, "invalid container id: longer than 1024 characters");
  for (const char *p = id; *p; p++)
    if (!(isalnum ((unsigned char) *p) || *p == '_' || *p == '+' || *p == '-' || *p == '.'))
      return kago_error_set (err, 0, "invalid container id \"%s\": only [A-Za-z0-9_+.-] are allowed", id);
  return 0;
}
