/* Minimal TAP producer for kago's C unit tests.
 *
 *   TEST (json_parses_numbers) { CHECK (x == 1); CHECK_STR (s, "a"); }
 *   int main (void) { RUN (json_parses_numbers); return tap_done (); }
 *
 * Each TEST is one TAP "ok"/"not ok" line; failed CHECKs print diagnostics.
 */
#ifndef KAGO_TAP_H
#define KAGO_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed, tap_cur_failed;

#define TEST(name) static void test_##name (void)
#define RUN(name)                                                                                            \
  do                                                                                                         \
    {                                                                                                        \
      tap_cur_failed = 0;                                                                                    \
      test_##name ();                                                                                        \
      tap_n++;                                                                                               \
      if (tap_cur_failed)                                                                                    \
        tap_failed++;                                                                                        \
      printf ("%s %d - %s\n", tap_cur_failed ? "not ok" : "ok", tap_n, #name);                               \
      fflush (stdout);                                                                                       \
    }                                                                                                        \
  while (0)

#define CHECK(cond)                                                                                          \
  do                                                                                                         \
    {                                                                                                        \
      if (!(cond))                                                                                           \
        {                                                                                                    \
          printf ("# %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                                 \
          tap_cur_failed = 1;                                                                                \
        }                                                                                                    \
    }                                                                                                        \
  while (0)

#define CHECK_STR(a, b)                                                                                      \
  do                                                                                                         \
    {                                                                                                        \
      const char *a_ = (a), *b_ = (b);                                                                       \
      if (a_ == NULL || b_ == NULL || strcmp (a_, b_) != 0)                                                  \
        {                                                                                                    \
          printf ("# %s:%d: CHECK_STR failed: %s = \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a,       \
                  a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                                   \
          tap_cur_failed = 1;                                                                                \
        }                                                                                                    \
    }                                                                                                        \
  while (0)

/* Check that a string contains a substring.  */
#define CHECK_CONTAINS(hay, needle)                                                                          \
  do                                                                                                         \
    {                                                                                                        \
      const char *h_ = (hay), *n_ = (needle);                                                                \
      if (h_ == NULL || strstr (h_, n_) == NULL)                                                             \
        {                                                                                                    \
          printf ("# %s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, h_ ? h_ : "(null)", n_);  \
          tap_cur_failed = 1;                                                                                \
        }                                                                                                    \
    }                                                                                                        \
  while (0)

static inline int
tap_done (void)
{
  printf ("1..%d\n", tap_n);
  return tap_failed ? 1 : 0;
}

#endif
