/* The per-container monitor process (monitor.h tells what it does).  */
#include "engine/container/monitor.h"

#include "common/cleanup.h"
#include "common/phase.h"
#include "common/fsutil.h"
#include "common/xalloc.h"
#include "engine/container/ctr_network.h"
#include "engine/container/ctr_ports.h"
#include "engine/container/ctr_dns.h"
#include "engine/container/lifecycle.h"
#include "engine/container/logs.h"
#include "engine/container/record.h"
#include "runtime/core.h"
#include "runtime/process_attrs.h"
#include "runtime/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 32

struct client
{
  int sock;
  int in, out, errfd; /* -1 when not attached */
  bool wants_exit;
  bool wait_only; /* docker wait: answered at the first exit, restart or not */
  size_t dk_pos; /* detach keys matched so far */
};

struct mon
{
  struct kago_engine *e;
  const char *id;
  struct kago_runtime rt;
  struct kago_ctr_run_config rc; /* from the record: stdio, policy, log, rootfs */
  struct kago_ctr_ports ports;   /* the published host ports' sockets */
  struct kago_ctr_dns dns;       /* the embedded DNS server (user-defined networks) */
  int master;        /* tty */
  int out_r, err_r;  /* pipes */
  int in_w;          /* the container's stdin (pipe write end or master) */
  int listen_fd, sfd;
  struct kago_log_writer log;
  struct client c[MAX_CLIENTS];
  size_t nc;
  pid_t pid;
  bool stop_requested;
  int64_t kill_at_ms; /* SIGKILL then (0: no deadline) */
  unsigned char dkeys[16];
  size_t ndkeys;
  unsigned short rows, cols;
};

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
client_detach_fds (struct client *c)
{
  if (c->in >= 0)
    close (c->in);
  if (c->out >= 0)
    close (c->out);
  if (c->errfd >= 0 && c->errfd != c->out)
    close (c->errfd);
  c->in = c->out = c->errfd = -1;
}

static void
client_drop (struct mon *m, size_t i)
{
  client_detach_fds (&m->c[i]);
  if (m->c[i].sock >= 0)
    close (m->c[i].sock);
  m->c[i] = m->c[--m->nc];
}

static void
send_simple (int sock, int type, int a)
{
  struct kago_mon_msg msg = { .type = type, .a = a };
  kago_error_t err = NULL;
  if (kago_mon_send (sock, &msg, NULL, 0, &err) < 0)
    kago_error_release (&err);
}

static void
send_error (int sock, kago_error_t e)
{
  struct kago_mon_msg msg = { .type = KAGO_MON_ERROR, .a = e ? e->errnum : 0 };
  cleanup_free char *s = e ? kago_error_string (e) : xstrdup ("unknown error");
  snprintf (msg.err, sizeof msg.err, "%s", s);
  kago_error_t err = NULL;
  if (kago_mon_send (sock, &msg, NULL, 0, &err) < 0)
    kago_error_release (&err);
}

/* ---- output ---- */

static void
fan_out (struct mon *m, enum kago_log_stream s, const char *buf, size_t n)
{
  kago_log_write (&m->log, s, buf, n);
  for (size_t i = 0; i < m->nc; i++)
    {
      struct client *c = &m->c[i];
      int fd = s == KAGO_LOG_STDERR ? c->errfd : c->out;
      if (fd >= 0 && write_all (fd, buf, n) < 0)
        client_detach_fds (c);
    }
}

/* Returns false at EOF.  */
static bool
pump (struct mon *m, int *fd, enum kago_log_stream s)
{
  char buf[16384];
  ssize_t n = read (*fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    {
      close (*fd);
      *fd = -1;
      return false;
    }
  fan_out (m, s, buf, (size_t) n);
  return true;
}

/* A client's input: the detach keys end its attachment, the rest goes to
   the container.  */
static void
client_input (struct mon *m, size_t i)
{
  struct client *c = &m->c[i];
  unsigned char buf[4096];
  ssize_t n = read (c->in, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (n <= 0)
    {
      close (c->in);
      c->in = -1;
      /* docker run -i: the end of the client's input closes the
         container's (StdinOnce); a tty keeps it.  */
      if (!m->rc.tty && m->rc.stdin_once && m->in_w >= 0)
        {
          close (m->in_w);
          m->in_w = -1;
        }
      return;
    }
  unsigned char out[4096 + 16];
  size_t o = 0;
  for (ssize_t k = 0; k < n; k++)
    {
      if (m->ndkeys && buf[k] == m->dkeys[c->dk_pos])
        {
          if (++c->dk_pos == m->ndkeys)
            {
              c->dk_pos = 0;
              if (o && m->in_w >= 0)
                write_all (m->in_w, out, o);
              client_detach_fds (c);
              if (c->sock >= 0)
                send_simple (c->sock, KAGO_MON_DETACHED, 0);
              return;
            }
          continue;
        }
      /* A broken sequence: what matched so far is input after all.  */
      for (size_t j = 0; j < c->dk_pos; j++)
        out[o++] = m->dkeys[j];
      c->dk_pos = 0;
      out[o++] = buf[k];
    }
  if (o && m->in_w >= 0 && write_all (m->in_w, out, o) < 0 && !m->rc.tty)
    {
      close (m->in_w);
      m->in_w = -1;
    }
}

static void
set_winsize (struct mon *m, unsigned short rows, unsigned short cols)
{
  if (m->master < 0 || rows == 0 || cols == 0)
    return;
  struct winsize ws = { .ws_row = rows, .ws_col = cols };
  ioctl (m->master, TIOCSWINSZ, &ws);
}

static void
request_stop (struct mon *m, int sig, int timeout)
{
  m->stop_requested = true;
  if (m->pid <= 0)
    return;
  kago_error_t err = NULL;
  if (kago_container_kill (&m->rt, m->id, sig > 0 ? sig : SIGTERM, false, &err) < 0)
    kago_error_release (&err);
  if (timeout >= 0)
    {
      int64_t at = now_ms () + (int64_t) timeout * 1000;
      if (m->kill_at_ms == 0 || at < m->kill_at_ms)
        m->kill_at_ms = at;
    }
}

static void
client_request (struct mon *m, size_t i)
{
  struct client *c = &m->c[i];
  struct kago_mon_msg msg;
  int fds[3], nfds = 0;
  kago_error_t err = NULL;
  int r = kago_mon_recv (c->sock, &msg, fds, &nfds, &err);
  if (r <= 0)
    {
      kago_error_release (&err);
      client_drop (m, i);
      return;
    }
  switch (msg.type)
    {
    case KAGO_MON_ATTACH:
      {
        int k = 0;
        client_detach_fds (c);
        if ((msg.a & KAGO_ATTACH_STDIN) && k < nfds)
          c->in = fds[k++];
        if ((msg.a & KAGO_ATTACH_STDOUT) && k < nfds)
          c->out = fds[k++];
        if ((msg.a & KAGO_ATTACH_STDERR) && k < nfds)
          c->errfd = fds[k++];
        for (; k < nfds; k++)
          close (fds[k]);
        c->wants_exit = true;
        if (c->in >= 0)
          fcntl (c->in, F_SETFL, fcntl (c->in, F_GETFL) | O_NONBLOCK);
        send_simple (c->sock, KAGO_MON_STARTED, m->pid);
        return;
      }
    case KAGO_MON_RESIZE:
      set_winsize (m, (unsigned short) msg.a, (unsigned short) msg.b);
      break;
    case KAGO_MON_STOP:
      c->wants_exit = true;
      request_stop (m, msg.a, msg.b);
      break;
    case KAGO_MON_WAIT:
      c->wants_exit = c->wait_only = true;
      break;
    default:
      break;
    }
  for (int k = 0; k < nfds; k++)
    close (fds[k]);
}

static void
accept_client (struct mon *m)
{
  int s = accept4 (m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (s < 0)
    return;
  if (m->nc == MAX_CLIENTS)
    {
      close (s);
      return;
    }
  m->c[m->nc++] = (struct client){ .sock = s, .in = -1, .out = -1, .errfd = -1 };
}

/* ---- one run of the container ---- */

static int
null_fd (void)
{
  return open ("/dev/null", O_RDWR | O_CLOEXEC);
}

/* Create and start: the container's stdio is set on our 0, 1, 2 for the
   runtime to hand down, then taken back.  */
static int
launch (struct mon *m, kago_error_t *err)
{
  int ret = -1;
  int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, in[2] = { -1, -1 }, con[2] = { -1, -1 };
  cleanup_free char *bundle = kago_ctr_path (m->e, m->id, NULL);
  cleanup_close int nul = null_fd ();
  if (nul < 0)
    return kago_error_set (err, errno, "open /dev/null");
  if (kago_ctr_prepare_start (m->e, m->id, &m->rc, err) < 0)
    return -1;
  if (m->rc.tty)
    {
      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, con) < 0)
        return kago_error_set (err, errno, "socketpair");
    }
  else if (pipe2 (out, O_CLOEXEC) < 0 || pipe2 (errp, O_CLOEXEC) < 0
           || (m->rc.open_stdin && pipe2 (in, O_CLOEXEC) < 0))
    {
      kago_error_set (err, errno, "pipe");
      goto out;
    }
  if (dup2 (in[0] >= 0 ? in[0] : nul, 0) < 0 || dup2 (out[1] >= 0 ? out[1] : nul, 1) < 0
      || dup2 (errp[1] >= 0 ? errp[1] : nul, 2) < 0)
    {
      kago_error_set (err, errno, "dup2");
      goto out;
    }
  bool attached = false;
  struct kago_create_options co = {
    .bundle = bundle, .has_console_fd = m->rc.tty, .console_fd = con[1],
  };
  int r = kago_container_create (&m->rt, m->id, &co, err);
  if (r == 0 && m->rc.tty)
    {
      m->master = kago_recv_fd (con[0], NULL, err);
      if (m->master < 0)
        r = -1;
      else
        set_winsize (m, m->rows, m->cols);
    }
  if (r == 0)
    {
      r = kago_ctr_runtime_pid (&m->rt, m->id, &m->pid, err);
      KAGO_PHASE ("mon:created");
      /* The init waits in its new network namespace: connect it first.  */
      if (r == 0 && m->rc.net_bridge && (r = kago_ctr_net_attach (m->e, m->id, m->pid, err)) == 0)
        {
          attached = true;
          KAGO_PHASE ("mon:net-attached");
          r = kago_ctr_ports_attach (m->e, m->id, &m->ports, err);
          if (r == 0)
            r = kago_ctr_dns_start (m->e, m->id, m->pid, &m->dns, err);
        }
      if (r == 0)
        r = kago_container_start (&m->rt, m->id, err);
    }
  if (r < 0)
    {
      if (attached)
        {
          kago_ctr_dns_stop (&m->dns);
          kago_ctr_ports_detach (m->e, m->id, &m->ports);
          kago_ctr_net_detach (m->e, m->id, true, 0);
        }
      kago_error_t e2 = NULL;
      if (kago_container_delete (&m->rt, m->id, true, &e2) < 0)
        kago_error_release (&e2);
      if (m->master >= 0)
        close (m->master), m->master = -1;
      m->pid = 0;
      goto out;
    }
  if (!m->rc.tty)
    {
      m->out_r = out[0], out[0] = -1;
      m->err_r = errp[0], errp[0] = -1;
      m->in_w = in[1], in[1] = -1;
    }
  else
    m->in_w = m->master;
  ret = 0;
out:
  dup2 (nul, 0), dup2 (nul, 1), dup2 (nul, 2);
  for (int k = 0; k < 2; k++)
    {
      if (out[k] >= 0)
        close (out[k]);
      if (errp[k] >= 0)
        close (errp[k]);
      if (in[k] >= 0)
        close (in[k]);
      if (con[k] >= 0)
        close (con[k]);
    }
  return ret;
}

/* Serve output and clients until the init is reaped; returns its exit
   code.  */
static int
serve (struct mon *m)
{
  int code = -1;
  bool reaped = false;
  while (!reaped || m->out_r >= 0 || m->err_r >= 0 || (m->rc.tty && m->master >= 0))
    {
      struct pollfd p[4 + MAX_CLIENTS * 2];
      int np = 0, ip_out = -1, ip_err = -1, ip_master = -1;
      p[np++] = (struct pollfd){ .fd = m->sfd, .events = POLLIN };
      p[np++] = (struct pollfd){ .fd = m->listen_fd, .events = POLLIN };
      if (m->out_r >= 0)
        ip_out = np, p[np++] = (struct pollfd){ .fd = m->out_r, .events = POLLIN };
      if (m->err_r >= 0)
        ip_err = np, p[np++] = (struct pollfd){ .fd = m->err_r, .events = POLLIN };
      if (m->rc.tty && m->master >= 0)
        ip_master = np, p[np++] = (struct pollfd){ .fd = m->master, .events = POLLIN };
      int base = np;
      size_t nc = m->nc;
      for (size_t i = 0; i < nc; i++)
        {
          p[np++] = (struct pollfd){ .fd = m->c[i].sock, .events = POLLIN };
          p[np++] = (struct pollfd){ .fd = m->c[i].in, .events = POLLIN };
        }
      int timeout = -1;
      if (m->kill_at_ms)
        {
          int64_t left = m->kill_at_ms - now_ms ();
          timeout = left < 0 ? 0 : (int) left;
        }
      if (reaped)
        timeout = 0; /* drain what is left, without waiting on a grandchild holding the pipe */
      int n = poll (p, (nfds_t) np, timeout);
      if (n < 0 && errno != EINTR)
        break;
      if (m->kill_at_ms && now_ms () >= m->kill_at_ms)
        {
          m->kill_at_ms = 0;
          kago_error_t err = NULL;
          if (kago_container_kill (&m->rt, m->id, SIGKILL, true, &err) < 0)
            kago_error_release (&err);
        }
      if (n == 0 && reaped)
        break;
      if (n <= 0)
        continue;
      if (p[0].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          while (read (m->sfd, &si, sizeof si) == (ssize_t) sizeof si)
            {
              if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
                request_stop (m, SIGTERM, 10);
            }
          int ws;
          pid_t w;
          while ((w = waitpid (-1, &ws, WNOHANG)) > 0)
            if (w == m->pid)
              {
                code = WIFEXITED (ws) ? WEXITSTATUS (ws) : WIFSIGNALED (ws) ? 128 + WTERMSIG (ws) : 255;
                reaped = true;
              }
        }
      if (p[1].revents & POLLIN)
        accept_client (m);
      if (ip_out >= 0 && p[ip_out].revents & (POLLIN | POLLHUP))
        pump (m, &m->out_r, KAGO_LOG_STDOUT);
      if (ip_err >= 0 && p[ip_err].revents & (POLLIN | POLLHUP))
        pump (m, &m->err_r, KAGO_LOG_STDERR);
      if (ip_master >= 0 && p[ip_master].revents & (POLLIN | POLLHUP | POLLERR))
        {
          if (!pump (m, &m->master, KAGO_LOG_STDOUT))
            m->in_w = -1;
        }
      /* Clients last, newest first: a drop moves the last one into I.  */
      for (size_t i = nc; i-- > 0;)
        {
          short sre = p[base + 2 * i].revents, ire = p[base + 2 * i + 1].revents;
          if (ire & (POLLIN | POLLHUP | POLLERR) && m->c[i].in >= 0)
            client_input (m, i);
          if (sre & (POLLIN | POLLHUP | POLLERR))
            client_request (m, i);
        }
    }
  /* With a tty in_w is the master itself.  */
  if (m->in_w >= 0 && m->in_w != m->master)
    close (m->in_w);
  if (m->master >= 0)
    close (m->master);
  m->master = m->in_w = -1;
  kago_log_flush (&m->log);
  return code;
}

/* ---- the monitor's life ---- */

static void
set_title (const struct kago_spawn_opts *o, const char *id)
{
  char name[16];
  snprintf (name, sizeof name, "kago-mon-%.6s", id);
  prctl (PR_SET_NAME, name, 0, 0, 0);
  if (o->title_area && o->title_len > 1)
    {
      memset (o->title_area, 0, o->title_len);
      snprintf (o->title_area, o->title_len, "kago-monitor %.12s", id);
    }
}

static int
listen_on (struct kago_engine *e, const char *id, kago_error_t *err)
{
  cleanup_free char *dir = kago_ctr_path (e, id, NULL);
  int fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return kago_error_set (err, errno, "socket");
  /* Bind through /proc/self/fd so that a long root path fits sun_path.  */
  cleanup_close int dfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  snprintf (sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/monitor.sock", dfd);
  unlinkat (dfd, "monitor.sock", 0);
  if (dfd < 0 || bind (fd, (struct sockaddr *) &sa, sizeof sa) < 0 || listen (fd, 16) < 0)
    {
      int en = errno;
      close (fd);
      return kago_error_set (err, en, "listen on the monitor socket of %s", id);
    }
  return fd;
}

static bool
should_restart (struct mon *m, int code, int restarts)
{
  if (m->stop_requested || m->rc.auto_remove)
    return false;
  /* `kago update --restart` may have changed the policy meanwhile.  */
  struct kago_ctr_run_config rc;
  kago_error_t err = NULL;
  if (kago_ctr_run_config (m->e, m->id, &rc, &err) == 0)
    {
      free (m->rc.restart);
      m->rc.restart = steal_pointer (&rc.restart);
      m->rc.max_retries = rc.max_retries;
      kago_ctr_run_config_clear (&rc);
    }
  else
    kago_error_release (&err);
  if (m->rc.restart == NULL)
    return false;
  if (strcmp (m->rc.restart, "always") == 0 || strcmp (m->rc.restart, "unless-stopped") == 0)
    return true;
  if (strcmp (m->rc.restart, "on-failure") == 0)
    return code != 0 && (m->rc.max_retries <= 0 || restarts < m->rc.max_retries);
  return false;
}

/* Wait DELAY_MS while serving clients (a stop cancels the restart).  */
static void
backoff (struct mon *m, int delay_ms)
{
  int64_t until = now_ms () + delay_ms;
  while (!m->stop_requested)
    {
      int64_t left = until - now_ms ();
      if (left <= 0)
        return;
      struct pollfd p[1 + MAX_CLIENTS];
      int np = 0;
      p[np++] = (struct pollfd){ .fd = m->listen_fd, .events = POLLIN };
      for (size_t i = 0; i < m->nc; i++)
        p[np++] = (struct pollfd){ .fd = m->c[i].sock, .events = POLLIN };
      if (poll (p, (nfds_t) np, (int) left) <= 0)
        continue;
      if (p[0].revents & POLLIN)
        accept_client (m);
      for (size_t i = m->nc; i-- > 0;)
        if ((size_t) np > i + 1 && p[i + 1].revents)
          client_request (m, i);
    }
}

static void
finish_clients (struct mon *m, int code)
{
  for (size_t i = 0; i < m->nc; i++)
    {
      client_detach_fds (&m->c[i]);
      if (m->c[i].sock >= 0)
        {
          send_simple (m->c[i].sock, KAGO_MON_EXIT, code);
          close (m->c[i].sock);
        }
    }
  m->nc = 0;
}

_Noreturn void
kago_mon_main (struct kago_engine *e, const char *id, int spawner, const struct kago_spawn_opts *o)
{
  struct mon m = { .e = e, .id = id, .master = -1, .out_r = -1, .err_r = -1, .in_w = -1, .listen_fd = -1 };
  m.rt.root = e->runtime_root;
  m.rows = o->rows, m.cols = o->cols;
  kago_error_t err = NULL;
  KAGO_PHASE_RESET ();
  KAGO_PHASE ("mon:begin");
  /* Nothing of the caller's but what attach hands over: an inherited pipe
     (a test harness's, a shell's $(...)) must not stay open for the
     container's life.  */
  if (kago_close_fds_except (3, &spawner, 1, &err) < 0)
    kago_error_release (&err);
  setsid ();
  set_title (o, id);
  signal (SIGPIPE, SIG_IGN);
  signal (SIGHUP, SIG_IGN);
  signal (SIGTSTP, SIG_IGN);
  signal (SIGTTOU, SIG_IGN);
  signal (SIGTTIN, SIG_IGN);
  sigset_t ss;
  sigemptyset (&ss);
  sigaddset (&ss, SIGCHLD);
  sigaddset (&ss, SIGTERM);
  sigaddset (&ss, SIGINT);
  sigprocmask (SIG_BLOCK, &ss, NULL);
  m.sfd = signalfd (-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);

  struct client first = { .sock = spawner, .in = -1, .out = -1, .errfd = -1, .wants_exit = true };
  if (o->attach)
    {
      if (o->attach_stdin)
        first.in = fcntl (0, F_DUPFD_CLOEXEC, 3);
      first.out = fcntl (1, F_DUPFD_CLOEXEC, 3);
      first.errfd = fcntl (2, F_DUPFD_CLOEXEC, 3);
      if (first.in >= 0)
        fcntl (first.in, F_SETFL, fcntl (first.in, F_GETFL) | O_NONBLOCK);
    }
  {
    int nul = null_fd ();
    if (nul >= 0)
      {
        dup2 (nul, 0), dup2 (nul, 1), dup2 (nul, 2);
        close (nul);
      }
  }
  m.c[m.nc++] = first;
  int nk = kago_parse_detach_keys (o->detach_keys, m.dkeys, sizeof m.dkeys, &err);
  m.ndkeys = nk > 0 ? (size_t) nk : 0;
  kago_error_release (&err);

  if (kago_ctr_run_config (e, id, &m.rc, &err) < 0
      || kago_log_open (&m.log, m.rc.log_path, m.rc.log_max_size, m.rc.log_max_file, &err)
                                                         < 0)
    goto fail_early;
  m.listen_fd = listen_on (e, id, &err);
  if (m.listen_fd < 0)
    goto fail_early;

  int restarts = 0, delay = 100, code = 0;
  bool first_run = true, removed = false;
  for (;;)
    {
      int64_t t0 = now_ms ();
      if (launch (&m, &err) < 0)
        {
          code = kago_ctr_exec_error_code (err);
          kago_ctr_record_failed_start (e, id, err, code);
          if (first_run)
            {
              send_error (spawner, err);
              /* The spawner reports it; nobody else is waiting.  */
              close (spawner);
              m.c[0].sock = -1;
            }
          kago_error_release (&err);
          break;
        }
      KAGO_PHASE ("mon:started");
      kago_ctr_record_running (e, id, m.pid, restarts, getpid ());
      KAGO_PHASE ("mon:recorded");
      if (first_run)
        for (size_t i = 0; i < m.nc; i++)
          send_simple (m.c[i].sock, KAGO_MON_STARTED, m.pid);
      first_run = false;
      code = serve (&m);
      KAGO_PHASE ("mon:exited");
      uint64_t ooms = 0;
      if (kago_container_oom_kills (&m.rt, id, &ooms, &err) < 0)
        kago_error_release (&err);
      /* Its sockets hold the container's namespace.  */
      kago_ctr_dns_stop (&m.dns);
      if (kago_container_delete (&m.rt, id, true, &err) < 0)
        kago_error_release (&err);
      KAGO_PHASE ("mon:rt-deleted");
      /* Networks connected while it ran count too (and are connected
         again at a restart).  */
      if (m.rc.net_bridge || kago_ctr_net_has_endpoints (e, id))
        {
          kago_ctr_ports_detach (e, id, &m.ports);
          /* The veths go with the namespace; waited for after the
             clients have their answer (below).  */
          kago_ctr_net_detach (e, id, true, KAGO_NET_LEAVE_VETH);
          KAGO_PHASE ("mon:net-detached");
          m.rc.net_bridge = true;
        }
      m.pid = 0;
      bool again = should_restart (&m, code, restarts);
      KAGO_PHASE ("mon:deleted");
      if (!again && m.rc.auto_remove)
        {
          /* --rm: the record goes with the rest (recorded only when the
             removal fails).  */
          removed = kago_ctr_remove_files (e, id, KAGO_NET_LEAVE_VETH, &err) == 0;
          if (!removed)
            {
              kago_error_release (&err);
              kago_ctr_record_exited (e, id, code, ooms > 0, false);
            }
          break;
        }
      kago_ctr_record_exited (e, id, code, ooms > 0, again);
      if (!again)
        break;
      for (size_t i = m.nc; i-- > 0;)
        if (m.c[i].wait_only)
          {
            send_simple (m.c[i].sock, KAGO_MON_EXIT, code);
            client_drop (&m, i);
          }
      if (now_ms () - t0 > 10000)
        delay = 100;
      backoff (&m, delay);
      if (m.stop_requested)
        {
          kago_ctr_record_exited (e, id, code, ooms > 0, false);
          break;
        }
      delay = delay * 2 > 60000 ? 60000 : delay * 2;
      restarts++;
    }
  kago_log_close (&m.log);
  close (m.listen_fd);
  {
    cleanup_free char *sock = kago_ctr_path (e, id, "monitor.sock");
    unlink (sock);
  }
  if (!removed)
    kago_ctr_monitor_gone (e, id, getpid ());
  KAGO_PHASE ("mon:removed");
#ifdef KAGO_PHASE_TRACE
  if (m.nc && m.c[0].errfd >= 0)
    dup2 (m.c[0].errfd, 2);
#endif
  KAGO_PHASE_DUMP ();
  finish_clients (&m, code);
  /* The kernel destroys the dead container's namespace and its veths in
     its own time (10-40 ms): `run` has its answer already; `stop` and `rm`
     wait for the same (kago_ctr_net_veths_gone) before they return.  */
  if (m.rc.net_bridge)
    kago_ctr_net_veths_gone (e, id, KAGO_NET_GONE_WAIT_MS);
  _exit (0);

fail_early:
  kago_ctr_record_failed_start (e, id, err, 125);
  send_error (spawner, err);
  _exit (1);
}
