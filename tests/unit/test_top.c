/* engine/container/top.c: ps output filtered by pids as dockerd does it
   (PID column, thread lines, CMD with its arguments joined), the refused
   "KEY=PID" options, and the host's real ps on this process.  */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "engine/container/top.h"
#include "tap.h"

static const char *ef = "UID          PID    PPID  C STIME TTY          TIME CMD\n"
                        "root           1       0  0 09:00 ?        00:00:01 /sbin/init splash\n"
                        "root          42       1  0 09:01 ?        00:00:00 sh -c sleep 100\n"
                        "root          43      42  0 09:01 ?        00:00:00 sleep 100\n"
                        "\n";

TEST (parse_ef_filters_pids)
{
  struct kago_top t;
  kago_error_t err = NULL;
  const pid_t pids[] = { 42, 43 };
  CHECK (kago_top_parse_ps (ef, pids, 2, &t, &err) == 0);
  CHECK (t.ntitles == 8);
  CHECK_STR (t.titles[1], "PID");
  CHECK_STR (t.titles[7], "CMD");
  CHECK (t.nprocs == 2);
  if (t.nprocs == 2)
    {
      CHECK_STR (t.procs[0][1], "42");
      CHECK_STR (t.procs[0][7], "sh -c sleep 100");
      CHECK_STR (t.procs[1][2], "42");
      CHECK_STR (t.procs[1][7], "sleep 100");
    }
  kago_top_free (&t);
  /* No pid of ours: the titles alone.  */
  const pid_t none[] = { 7 };
  CHECK (kago_top_parse_ps (ef, none, 1, &t, &err) == 0);
  CHECK (t.ntitles == 8 && t.nprocs == 0);
  kago_top_free (&t);
}

TEST (parse_thread_lines_follow_their_process)
{
  /* ps -efm (or aux -m): a process line, then "-" lines for its threads.  */
  const char *m = "USER PID %CPU CMD\n"
                  "root 10 0.0 /usr/bin/daemon --x\n"
                  "root - 0.0 -\n"
                  "root 11 0.0 other\n"
                  "root - 0.0 -\n"
                  "root - 0.0 -\n";
  struct kago_top t;
  kago_error_t err = NULL;
  const pid_t pids[] = { 10 };
  CHECK (kago_top_parse_ps (m, pids, 1, &t, &err) == 0);
  CHECK (t.nprocs == 2); /* 10 and its thread, not 11's */
  if (t.nprocs == 2)
    {
      CHECK_STR (t.procs[0][3], "/usr/bin/daemon --x");
      CHECK_STR (t.procs[1][1], "-");
    }
  kago_top_free (&t);
}

TEST (parse_errors)
{
  struct kago_top t;
  kago_error_t err = NULL;
  const pid_t pids[] = { 1 };
  CHECK (kago_top_parse_ps ("USER COMMAND\nroot init\n", pids, 1, &t, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "Couldn't find PID field in ps output");
  kago_error_release (&err);
  CHECK (kago_top_parse_ps ("USER PID CMD\nroot abc init\n", pids, 1, &t, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "Unexpected pid 'abc'");
  kago_error_release (&err);
  CHECK (t.titles == NULL && t.procs == NULL);
}

TEST (parse_short_rows_and_tabs)
{
  /* Tabs separate too; a row shorter than the titles gets empty cells.  */
  struct kago_top t;
  kago_error_t err = NULL;
  const pid_t pids[] = { 5 };
  CHECK (kago_top_parse_ps ("PID\tUSER\tCMD\n5\troot\n", pids, 1, &t, &err) == 0);
  CHECK (t.nprocs == 1);
  if (t.nprocs == 1)
    {
      CHECK_STR (t.procs[0][1], "root");
      CHECK_STR (t.procs[0][2], "");
    }
  kago_top_free (&t);
}

static int
validate (const char *a, const char *b, kago_error_t *err)
{
  char *v[] = { (char *) a, (char *) b };
  return kago_top_validate_args (v, b ? 2 : 1, err);
}

TEST (validate_pid_renames)
{
  kago_error_t err = NULL;
  CHECK (validate ("-o", "pid=PID", &err) == 0);
  CHECK (validate ("-o", "pid,comm", &err) == 0);
  CHECK (validate ("aux", NULL, &err) == 0);
  CHECK (validate ("-o", "user=NAME", &err) == 0);
  CHECK (validate ("-o", "user=PID", &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "specifying \"user=PID\" is not allowed");
  kago_error_release (&err);
  CHECK (validate ("-o", "pid,user=PIDX", &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "\"pid,user=PIDX\"");
  kago_error_release (&err);
  /* The first word has no space before it: dockerd's pattern misses it.  */
  CHECK (validate ("user=PID", NULL, &err) == 0);
}

TEST (real_ps_on_this_process)
{
  struct kago_top t;
  kago_error_t err = NULL;
  pid_t me = getpid ();
  CHECK (kago_top_ps (NULL, 0, &me, 1, &t, &err) == 0);
  CHECK (t.ntitles == 8);
  if (t.ntitles == 8)
    {
      CHECK_STR (t.titles[0], "UID");
      CHECK_STR (t.titles[7], "CMD");
    }
  CHECK (t.nprocs == 1);
  char mine[16];
  snprintf (mine, sizeof mine, "%d", (int) me);
  if (t.nprocs == 1)
    {
      CHECK_STR (t.procs[0][1], mine);
      CHECK_CONTAINS (t.procs[0][7], "test_top");
    }
  kago_top_free (&t);

  char *args[] = { (char *) "-o", (char *) "pid,comm" };
  CHECK (kago_top_ps (args, 2, &me, 1, &t, &err) == 0);
  CHECK (t.ntitles == 2 && t.nprocs == 1);
  kago_top_free (&t);

  /* ps refuses an option: its first stderr line.  */
  char *bad[] = { (char *) "--no-such-option-here" };
  CHECK (kago_top_ps (bad, 1, &me, 1, &t, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "ps: ");
  kago_error_release (&err);

  char *ren[] = { (char *) "-o", (char *) "user=PID" };
  CHECK (kago_top_ps (ren, 2, &me, 1, &t, &err) < 0);
  CHECK_CONTAINS (err ? err->msg : NULL, "not allowed");
  kago_error_release (&err);
}

int
main (void)
{
  RUN (parse_ef_filters_pids);
  RUN (parse_thread_lines_follow_their_process);
  RUN (parse_errors);
  RUN (parse_short_rows_and_tabs);
  RUN (validate_pid_renames);
  RUN (real_ps_on_this_process);
  return tap_done ();
}
