/* The registry client's HTTP side (registry.h): one transfer engine on a
 * curl multi handle for everything (ping, tokens, manifests, blobs), with
 * retries, Bearer/Basic authentication and Range resume.  */
#include "engine/image/registry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "engine/image/curl.h"

#define MAX_ATTEMPTS 4             /* the first try and 3 retries */
#define MAX_MEMORY_BODY (8u << 20) /* manifests, tokens, error bodies */

struct kago_registry
{
  char *host;     /* as named in the reference: "127.0.0.1:5000", "docker.io" */
  char *endpoint; /* where it is: "registry-1.docker.io" for docker.io */
  char *path;     /* the repository: "library/busybox" */
  char *base;     /* "https://HOST/v2/" */
  bool insecure;  /* plain HTTP allowed, certificates not checked */
  char *user, *password;
  char *token;
  struct kago_www_auth challenge;
  bool have_challenge;
  int parallel;
};

/* ---------------------------------------------------------------- helpers */

static void
url_escape (strbuf *b, const char *s)
{
  for (; *s; s++)
    {
      unsigned char c = (unsigned char) *s;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr ("-._~", c))
        strbuf_addc (b, (char) c);
      else
        strbuf_addf (b, "%%%02X", c);
    }
}

/* localhost, 127.0.0.0/8, ::1, or listed.  */
static bool
host_insecure (const char *host, const struct kago_registry_opts *o)
{
  cleanup_free char *h = xstrdup (host);
  char *colon = h[0] == '[' ? strstr (h, "]:") : strrchr (h, ':');
  if (colon)
    colon[h[0] == '['] = '\0';
  if (strcmp (h, "localhost") == 0 || strncmp (h, "127.", 4) == 0 || strcmp (h, "[::1]") == 0
      || strcmp (h, "[::1") == 0)
    return true;
  for (size_t i = 0; o && i < o->ninsecure; i++)
    if (strcmp (o->insecure[i], host) == 0 || strcmp (o->insecure[i], h) == 0)
      return true;
  return false;
}

/* ---------------------------------------------------------- transfers */

enum xstate
{
  X_PENDING,
  X_ACTIVE,
  X_DONE,
  X_FAILED,
};

struct xfer
{
  struct kago_registry *r;
  CURL *h;
  struct curl_slist *hdrs;
  char *url;
  const char *accept;
  bool token_request; /* no Bearer, no 401 handling */
  /* the response */
  long status;
  char *www_auth, *content_type, *content_range, *docker_digest;
  bool started;
  bool to_writer;
  strbuf body;
  /* blobs */
  struct kago_store *store;
  const struct kago_descriptor *desc;
  struct kago_blob_writer w;
  bool w_open;
  kago_error_t werr;
  kago_blob_progress progress;
  void *pctx;
  size_t i;
  /* bookkeeping */
  enum xstate state;
  int attempts;
  bool auth_retried;
  struct timespec retry_at;
  kago_error_t err;
};

static void
resp_reset (struct xfer *x)
{
  free (x->www_auth);
  free (x->content_type);
  free (x->content_range);
  free (x->docker_digest);
  x->www_auth = x->content_type = x->content_range = x->docker_digest = NULL;
  x->status = 0;
  x->started = false;
  x->to_writer = false;
  strbuf_reset (&x->body);
}

static void
xfer_release (struct xfer *x)
{
  resp_reset (x);
  strbuf_release (&x->body);
  if (x->h)
    curl_easy_cleanup (x->h);
  if (x->hdrs)
    curl_slist_free_all (x->hdrs);
  free (x->url);
  if (x->w_open)
    kago_blob_writer_abort (&x->w);
  kago_error_release (&x->werr);
  kago_error_release (&x->err);
}

static size_t
on_header (char *buf, size_t size, size_t n, void *ud)
{
  struct xfer *x = ud;
  size_t len = size * n;
  if (len >= 5 && strncmp (buf, "HTTP/", 5) == 0)
    {
      resp_reset (x);
      return len;
    }
  const char *colon = memchr (buf, ':', len);
  if (colon == NULL)
    return len;
  size_t kl = (size_t) (colon - buf);
  const char *v = colon + 1;
  size_t vl = len - kl - 1;
  while (vl && (*v == ' ' || *v == '\t'))
    v++, vl--;
  while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
    vl--;
  char **slot = NULL;
  if (kl == 16 && strncasecmp (buf, "WWW-Authenticate", kl) == 0)
    slot = &x->www_auth;
  else if (kl == 12 && strncasecmp (buf, "Content-Type", kl) == 0)
    slot = &x->content_type;
  else if (kl == 13 && strncasecmp (buf, "Content-Range", kl) == 0)
    slot = &x->content_range;
  else if (kl == 21 && strncasecmp (buf, "Docker-Content-Digest", kl) == 0)
    slot = &x->docker_digest;
  if (slot && *slot == NULL) /* the first challenge (Bearer before Basic, as sent) */
    *slot = xstrndup (v, vl);
  return len;
}

static void
writer_truncate (struct xfer *x)
{
  if (ftruncate (x->w.fd, 0) == 0)
    (void) lseek (x->w.fd, 0, SEEK_SET);
  kago_digest_init (&x->w.hash);
  x->w.size = 0;
}

static size_t
on_body (char *buf, size_t size, size_t n, void *ud)
{
  struct xfer *x = ud;
  size_t len = size * n;
  if (!x->started)
    {
      x->started = true;
      curl_easy_getinfo (x->h, CURLINFO_RESPONSE_CODE, &x->status);
      if (x->w_open && x->status >= 200 && x->status < 300)
        {
          switch (kago_resume_decide (x->w.size, x->status, x->content_range))
            {
            case KAGO_RESUME_APPEND:
              break;
            case KAGO_RESUME_RESTART:
              writer_truncate (x);
              break;
            case KAGO_RESUME_FAIL:
            default:
              kago_error_set (&x->werr, 0, "blob %s: the registry answered `Range: bytes=%llu-` with %ld %s",
                              x->desc->digest, (unsigned long long) x->w.size, x->status,
                              x->content_range ? x->content_range : "(no Content-Range)");
              return 0;
            }
          x->to_writer = true;
        }
    }
  if (x->to_writer)
    {
      if (x->desc->size >= 0 && x->w.size + len > (uint64_t) x->desc->size)
        {
          kago_error_set (&x->werr, 0,
                          "blob %s: the registry sends more than the %lld bytes its descriptor says",
                          x->desc->digest, (long long) x->desc->size);
          return 0;
        }
      if (kago_blob_writer_write (&x->w, buf, len, &x->werr) < 0)
        return 0;
      if (x->progress)
        x->progress (x->pctx, x->i, KAGO_BLOB_DOWNLOADING, x->w.size,
                     x->desc->size >= 0 ? (uint64_t) x->desc->size : 0);
      return len;
    }
  if (x->body.len + len > MAX_MEMORY_BODY)
    {
      kago_error_set (&x->werr, 0, "GET %s: the response is larger than %u bytes", x->url, MAX_MEMORY_BODY);
      return 0;
    }
  strbuf_add (&x->body, buf, len);
  return len;
}

static int
xfer_setup (struct xfer *x, kago_error_t *err)
{
  struct kago_registry *r = x->r;
  if (x->h == NULL && (x->h = curl_easy_init ()) == NULL)
    return kago_error_set (err, ENOMEM, "curl_easy_init");
  curl_easy_reset (x->h);
  resp_reset (x);
  kago_error_release (&x->werr);
  if (x->hdrs)
    curl_slist_free_all (x->hdrs);
  x->hdrs = NULL;
  CURL *h = x->h;
  curl_easy_setopt (h, CURLOPT_URL, x->url);
  curl_easy_setopt (h, CURLOPT_PRIVATE, x);
  curl_easy_setopt (h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt (h, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt (h, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt (h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt (h, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt (h, CURLOPT_USERAGENT, "kago/" KAGO_VERSION);
  curl_easy_setopt (h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt (h, CURLOPT_HEADERDATA, x);
  curl_easy_setopt (h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt (h, CURLOPT_WRITEDATA, x);
  if (r->insecure)
    {
      curl_easy_setopt (h, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt (h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
  if (x->accept)
    x->hdrs = curl_slist_append (x->hdrs, x->accept);
  bool basic = r->user
               && (x->token_request || (r->have_challenge && strcasecmp (r->challenge.scheme, "Basic") == 0));
  if (basic)
    {
      curl_easy_setopt (h, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
      curl_easy_setopt (h, CURLOPT_USERNAME, r->user);
      curl_easy_setopt (h, CURLOPT_PASSWORD, r->password);
    }
  else if (r->token && !x->token_request)
    {
      cleanup_free char *a = xasprintf ("Authorization: Bearer %s", r->token);
      x->hdrs = curl_slist_append (x->hdrs, a);
    }
  if (x->w_open && x->w.size > 0)
    {
      char range[64];
      snprintf (range, sizeof range, "Range: bytes=%llu-", (unsigned long long) x->w.size);
      x->hdrs = curl_slist_append (x->hdrs, range);
    }
  if (x->hdrs)
    curl_easy_setopt (h, CURLOPT_HTTPHEADER, x->hdrs);
  return 0;
}

/* "HTTP 404: manifest unknown (MANIFEST_UNKNOWN)" from the status and a
   registry's {"errors": [{"code", "message"}]} body, for a blob with its
   digest first: whatever the body says, the status is shown.  */
static char *
registry_error (const struct xfer *x)
{
  strbuf b = { 0 };
  if (x->desc)
    strbuf_addf (&b, "blob %s: ", x->desc->digest);
  strbuf_addf (&b, "HTTP %ld", x->status);
  kago_error_t e = NULL;
  json_value *v = x->body.len ? json_parse (x->body.buf, x->body.len, &e) : NULL;
  kago_error_release (&e);
  json_value *errs = json_object_get (v, "errors");
  for (size_t i = 0; i < json_array_len (errs); i++)
    {
      json_value *it = json_array_at (errs, i);
      const char *code = json_get_string (json_object_get (it, "code"));
      const char *msg = json_get_string (json_object_get (it, "message"));
      strbuf_adds (&b, i ? "; " : ": ");
      if (msg)
        strbuf_adds (&b, msg);
      if (code)
        strbuf_addf (&b, "%s(%s)", msg ? " " : "", code);
    }
  json_free (v);
  return strbuf_detach (&b);
}

static int fetch_token (struct kago_registry *r, const char *challenge, kago_error_t *err);

static bool
transient_curl (CURLcode c)
{
  switch (c)
    {
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
    }
}

static void
schedule_retry (struct xfer *x)
{
  x->attempts++;
  long ms = 250L << (x->attempts < 5 ? x->attempts : 5); /* 0.5 s, 1 s, 2 s */
  clock_gettime (CLOCK_MONOTONIC, &x->retry_at);
  x->retry_at.tv_sec += ms / 1000;
  x->retry_at.tv_nsec += (ms % 1000) * 1000000L;
  if (x->retry_at.tv_nsec >= 1000000000L)
    x->retry_at.tv_sec++, x->retry_at.tv_nsec -= 1000000000L;
  x->state = X_PENDING;
  if (x->progress && x->w_open)
    x->progress (x->pctx, x->i, KAGO_BLOB_RETRYING, x->w.size, 0);
}

/* A transfer ended with RC: done, failed, or pending again.  */
static void
xfer_finish (struct xfer *x, CURLcode rc)
{
  curl_easy_getinfo (x->h, CURLINFO_RESPONSE_CODE, &x->status);
  if (rc == CURLE_WRITE_ERROR && x->werr)
    {
      x->err = steal_pointer (&x->werr);
      x->state = X_FAILED;
      return;
    }
  if (rc != CURLE_OK)
    {
      if (transient_curl (rc) && x->attempts + 1 < MAX_ATTEMPTS)
        return schedule_retry (x);
      kago_error_set (&x->err, 0, "GET %s: %s", x->url, curl_easy_strerror (rc));
      x->state = X_FAILED;
      return;
    }
  if (x->status == 401 && !x->token_request && !x->auth_retried && x->www_auth)
    {
      x->auth_retried = true;
      if (fetch_token (x->r, x->www_auth, &x->err) < 0)
        {
          x->state = X_FAILED;
          return;
        }
      x->state = X_PENDING;
      memset (&x->retry_at, 0, sizeof x->retry_at);
      return;
    }
  if ((x->status >= 500 || x->status == 429 || x->status == 408) && x->attempts + 1 < MAX_ATTEMPTS)
    return schedule_retry (x);
  if (x->status < 200 || x->status >= 300)
    {
      cleanup_free char *msg = registry_error (x);
      kago_error_set (&x->err, 0, "%ld|%s", x->status, msg);
      x->state = X_FAILED;
      return;
    }
  if (x->w_open)
    {
      if (x->desc->size >= 0 && x->w.size != (uint64_t) x->desc->size)
        {
          if (x->attempts + 1 < MAX_ATTEMPTS)
            return schedule_retry (x); /* cut short: resume with Range */
          kago_error_set (&x->err, 0, "blob %s: got %llu bytes of %lld", x->desc->digest,
                          (unsigned long long) x->w.size, (long long) x->desc->size);
          x->state = X_FAILED;
          return;
        }
      if (x->progress)
        x->progress (x->pctx, x->i, KAGO_BLOB_VERIFYING, x->w.size, x->w.size);
      char got[KAGO_DIGEST_SIZE];
      x->w_open = false;
      if (kago_blob_writer_commit (&x->w, x->desc->digest, got, &x->err) < 0)
        {
          kago_error_wrap (&x->err, "blob %s from %s", x->desc->digest, x->url);
          x->state = X_FAILED;
          return;
        }
      if (x->progress)
        x->progress (x->pctx, x->i, KAGO_BLOB_DONE, x->desc->size, x->desc->size);
    }
  x->state = X_DONE;
}

static bool
ts_passed (const struct timespec *t)
{
  struct timespec now;
  clock_gettime (CLOCK_MONOTONIC, &now);
  return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/* Run XS[0..N) to completion, PARALLEL at a time.  The first failure stops
   the rest and is returned.  */
static int
run_xfers (struct xfer **xs, size_t n, int parallel, kago_error_t *err)
{
  CURLM *m = curl_multi_init ();
  if (m == NULL)
    return kago_error_set (err, ENOMEM, "curl_multi_init");
  int active = 0, ret = 0;
  struct xfer *failed = NULL;
  for (;;)
    {
      bool pending = false;
      for (size_t i = 0; i < n && failed == NULL; i++)
        {
          struct xfer *x = xs[i];
          if (x->state != X_PENDING)
            continue;
          pending = true;
          if (active >= parallel || !ts_passed (&x->retry_at))
            continue;
          if (xfer_setup (x, &x->err) < 0)
            {
              failed = x;
              break;
            }
          curl_multi_add_handle (m, x->h);
          x->state = X_ACTIVE;
          active++;
        }
      if (failed || (active == 0 && !pending))
        break;
      int running = 0;
      CURLMcode mc = curl_multi_perform (m, &running);
      if (mc != CURLM_OK)
        {
          ret = kago_error_set (err, 0, "curl_multi_perform: %s", curl_multi_strerror (mc));
          break;
        }
      CURLMsg *msg;
      int left;
      bool ended = false;
      while ((msg = curl_multi_info_read (m, &left)) != NULL)
        {
          if (msg->msg != CURLMSG_DONE)
            continue;
          ended = true;
          struct xfer *x = NULL;
          curl_easy_getinfo (msg->easy_handle, CURLINFO_PRIVATE, (char **) &x);
          CURLcode rc = msg->data.result;
          curl_multi_remove_handle (m, msg->easy_handle);
          active--;
          xfer_finish (x, rc);
          if (x->state == X_FAILED && failed == NULL)
            failed = x;
        }
      if (failed)
        break;
      /* A transfer ended: start the next one (or return) at once; polling
         first slept out the whole timeout, as nothing was left to wake it:
         ~100 ms per request.  */
      if (ended)
        continue;
      curl_multi_poll (m, NULL, 0, 100, NULL);
    }
  for (size_t i = 0; i < n; i++)
    if (xs[i]->state == X_ACTIVE)
      {
        curl_multi_remove_handle (m, xs[i]->h);
        xs[i]->state = X_FAILED;
      }
  curl_multi_cleanup (m);
  if (ret == 0 && failed)
    {
      *err = steal_pointer (&failed->err);
      ret = -1;
    }
  return ret;
}

/* One request into memory.  On an HTTP error, *err is "STATUS|message".  */
static int
get_memory (struct kago_registry *r, const char *url, const char *accept, bool token_request, struct xfer *x,
            kago_error_t *err)
{
  memset (x, 0, sizeof *x);
  x->r = r;
  x->url = xstrdup (url);
  x->accept = accept;
  x->token_request = token_request;
  struct xfer *xs[] = { x };
  return run_xfers (xs, 1, 1, err);
}

/* Turn "STATUS|message" into "WHAT: message" and return the status.  */
static long http_error (kago_error_t *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static long
http_error (kago_error_t *err, const char *fmt, ...)
{
  long status = 0;
  const char *m = (*err)->msg;
  char *bar = strchr (m, '|');
  if (bar && bar > m && strspn (m, "0123456789") == (size_t) (bar - m))
    {
      status = strtol (m, NULL, 10);
      memmove ((*err)->msg, bar + 1, strlen (bar + 1) + 1);
    }
  va_list ap;
  va_start (ap, fmt);
  char *ctx = NULL;
  if (vasprintf (&ctx, fmt, ap) < 0)
    ctx = NULL;
  va_end (ap);
  if (ctx)
    kago_error_wrap (err, "%s", ctx);
  free (ctx);
  return status;
}

static int
fetch_token (struct kago_registry *r, const char *challenge, kago_error_t *err)
{
  struct kago_www_auth a;
  if (kago_www_auth_parse (challenge, &a, err) < 0)
    return -1;
  int ret = 0;
  if (strcasecmp (a.scheme, "Basic") == 0)
    {
      if (r->user == NULL)
        ret = kago_error_set (err, 0, "%s needs a login: run `kago login %s`", r->host, r->host);
      r->have_challenge = true;
      kago_www_auth_free (&r->challenge);
      r->challenge = a;
      return ret;
    }
  if (strcasecmp (a.scheme, "Bearer") != 0)
    {
      ret = kago_error_set (err, 0, "%s: unsupported authentication scheme `%s`", r->host, a.scheme);
      kago_www_auth_free (&a);
      return ret;
    }
  strbuf u = { 0 };
  strbuf_addf (&u, "%s%c", a.realm, strchr (a.realm, '?') ? '&' : '?');
  if (a.service)
    {
      strbuf_adds (&u, "service=");
      url_escape (&u, a.service);
      strbuf_addc (&u, '&');
    }
  cleanup_free char *scope = xasprintf ("repository:%s:pull", r->path);
  strbuf_adds (&u, "scope=");
  url_escape (&u, a.scope && strcmp (a.scope, scope) != 0 && strstr (a.scope, r->path) ? a.scope : scope);
  struct xfer x;
  if (get_memory (r, u.buf, NULL, true, &x, err) < 0)
    {
      http_error (err, "get a token from %s", a.realm);
      ret = -1;
      goto out;
    }
  json_value *v = json_parse (x.body.buf ? x.body.buf : "", x.body.len, err);
  if (v == NULL)
    {
      ret = kago_error_wrap (err, "the token from %s", a.realm);
      xfer_release (&x);
      goto out;
    }
  const char *t = json_get_string (json_object_get (v, "token"));
  if (t == NULL)
    t = json_get_string (json_object_get (v, "access_token"));
  if (t == NULL)
    ret = kago_error_set (err, 0, "%s answered without a token", a.realm);
  else
    {
      free (r->token);
      r->token = xstrdup (t);
    }
  json_free (v);
  xfer_release (&x);
out:
  strbuf_release (&u);
  kago_www_auth_free (&r->challenge);
  r->challenge = a;
  r->have_challenge = true;
  return ret;
}

/* ---------------------------------------------------------- the client */

void
kago_registry_close (struct kago_registry *r)
{
  if (r == NULL)
    return;
  free (r->host);
  free (r->endpoint);
  free (r->path);
  free (r->base);
  free (r->user);
  if (r->password)
    explicit_bzero (r->password, strlen (r->password));
  free (r->password);
  free (r->token);
  kago_www_auth_free (&r->challenge);
  free (r);
}

/* GET /v2/: pick the scheme (insecure registries: HTTPS without
   verification, then HTTP) and learn the challenge.  */
static int
ping (struct kago_registry *r, kago_error_t *err)
{
  for (int scheme = 0; scheme < (r->insecure ? 2 : 1); scheme++)
    {
      free (r->base);
      r->base = xasprintf ("%s://%s/v2/", scheme ? "http" : "https", r->endpoint);
      struct xfer x;
      kago_error_t e = NULL;
      int rc = get_memory (r, r->base, NULL, true, &x, &e);
      long status = x.status;
      char *wa = steal_pointer (&x.www_auth);
      xfer_release (&x);
      if (rc < 0 && status == 0)
        {
          /* No HTTP answer.  */
          if (scheme == 0 && r->insecure)
            {
              kago_error_release (&e);
              free (wa);
              continue;
            }
          *err = e;
          free (wa);
          return kago_error_wrap (err, "%s", r->host);
        }
      kago_error_release (&e);
      if (status == 401 && wa)
        {
          /* Basic: remember it; Bearer: get a token now.  */
          rc = fetch_token (r, wa, err);
          free (wa);
          return rc;
        }
      free (wa);
      return 0; /* 200, or a registry that does not answer /v2/ (404): go on */
    }
  return kago_error_set (err, 0, "%s: unreachable", r->host);
}

static struct kago_registry *
registry_new (const char *host, const char *path, const struct kago_registry_opts *o)
{
  struct kago_registry *r = xcalloc (1, sizeof *r);
  r->host = xstrdup (host);
  r->endpoint = xstrdup (strcmp (host, "docker.io") == 0 ? "registry-1.docker.io" : host);
  r->path = xstrdup (path);
  r->insecure = host_insecure (host, o);
  r->parallel = o && o->parallel > 0 ? o->parallel : 3;
  return r;
}

int
kago_registry_open (const struct kago_ref *ref, const struct kago_registry_opts *o,
                    struct kago_registry **out, kago_error_t *err)
{
  if (kago_curl_load (err) < 0)
    return -1;
  struct kago_registry *r = registry_new (ref->domain, ref->path, o);
  cleanup_free char *file = o && o->auth_file ? xstrdup (o->auth_file) : kago_auth_file_default ();
  if (kago_auth_lookup (file, r->host, &r->user, &r->password, err) < 0 || ping (r, err) < 0)
    {
      kago_registry_close (r);
      return -1;
    }
  *out = r;
  return 0;
}

int
kago_registry_login (const char *host, const char *user, const char *password,
                     const struct kago_registry_opts *o, kago_error_t *err)
{
  if (kago_curl_load (err) < 0)
    return -1;
  struct kago_registry *r = registry_new (host, "", o);
  r->user = xstrdup (user);
  r->password = xstrdup (password);
  int ret = ping (r, err);
  if (ret == 0 && !r->have_challenge)
    ret = 0; /* anonymous registry: any login is accepted, as docker does */
  else if (ret == 0 && strcasecmp (r->challenge.scheme, "Basic") == 0)
    {
      /* Check the password on /v2/ itself.  */
      struct xfer x;
      ret = get_memory (r, r->base, NULL, false, &x, err);
      xfer_release (&x);
      if (ret < 0)
        http_error (err, "login to %s", host);
    }
  kago_registry_close (r);
  return ret;
}

int
kago_registry_get_manifest (struct kago_registry *r, const char *reference, char **body, size_t *len,
                            char **content_type, char digest[KAGO_DIGEST_SIZE], kago_error_t *err)
{
  cleanup_free char *url = xasprintf ("%s%s/manifests/%s", r->base, r->path, reference);
  struct xfer x;
  if (get_memory (r, url,
                  "Accept: " MT_OCI_INDEX_V1 ", " MT_DOCKER_MANIFEST_LIST ", " MT_OCI_MANIFEST_V1
                  ", " MT_DOCKER_MANIFEST,
                  false, &x, err)
      < 0)
    {
      long st = http_error (err, "GET %s", url);
      xfer_release (&x);
      if (st == 404)
        {
          kago_error_release (err);
          return kago_error_set (err, 0, "manifest for %s/%s%s%s not found: manifest unknown", r->host,
                                 r->path, kago_digest_valid (reference) ? "@" : ":", reference);
        }
      return -1;
    }
  kago_digest_buf (x.body.buf ? x.body.buf : "", x.body.len, digest);
  if (kago_digest_valid (reference) && strcmp (reference, digest) != 0)
    {
      xfer_release (&x);
      return kago_error_set (err, 0, "manifest %s: digest mismatch: the content is %s", reference, digest);
    }
  if (x.docker_digest && strncmp (x.docker_digest, "sha256:", 7) == 0
      && strcmp (x.docker_digest, digest) != 0)
    {
      kago_error_set (err, 0, "manifest %s: the registry says its digest is %s, the content is %s", reference,
                      x.docker_digest, digest);
      xfer_release (&x);
      return -1;
    }
  *len = x.body.len;
  *body = x.body.buf ? strbuf_detach (&x.body) : xstrdup ("");
  *content_type = steal_pointer (&x.content_type);
  xfer_release (&x);
  return 0;
}

int
kago_registry_get_blobs (struct kago_registry *r, struct kago_store *s, const struct kago_descriptor *descs,
                         size_t n, kago_blob_progress progress, void *ctx, kago_error_t *err)
{
  struct xfer *all = xcalloc (n + 1, sizeof *all);
  struct xfer **xs = xcalloc (n + 1, sizeof *xs);
  size_t nx = 0;
  int ret = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (kago_store_has_blob (s, descs[i].digest))
        {
          if (progress)
            progress (ctx, i, KAGO_BLOB_DONE, 0, 0);
          continue;
        }
      struct xfer *x = &all[i];
      x->r = r;
      x->store = s;
      x->desc = &descs[i];
      x->i = i;
      x->progress = progress;
      x->pctx = ctx;
      x->url = xasprintf ("%s%s/blobs/%s", r->base, r->path, descs[i].digest);
      if (kago_blob_writer_open (s, &x->w, err) < 0)
        {
          ret = -1;
          break;
        }
      x->w_open = true;
      xs[nx++] = x;
      if (progress)
        progress (ctx, i, KAGO_BLOB_WAITING, 0, descs[i].size >= 0 ? (uint64_t) descs[i].size : 0);
    }
  if (ret == 0 && nx && run_xfers (xs, nx, r->parallel, err) < 0)
    {
      long st = http_error (err, "pull %s/%s", r->host, r->path);
      (void) st;
      ret = -1;
    }
  for (size_t i = 0; i < n; i++)
    xfer_release (&all[i]);
  free (all);
  free (xs);
  return ret;
}
