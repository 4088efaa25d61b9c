/* Seccomp notify's pure parts: the runtime's container process state
   message and its checks (runtime/seccomp_notify.c), and the agent's allow
   lists, config file, message parser, dev/flag decoding, id maps and
   /proc/TID/status parsing (agent/policy.c).  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>

#include "agent/agent.h"
#include "common/cleanup.h"
#include "common/json.h"
#include "oci/state_json.h"
#include "runtime/seccomp_notify.h"
#include "tap.h"

#define MSG(e) ((e) ? (e)->msg : NULL)

TEST (process_state_json)
{
  json_value *st = kago_state_json_new ("1.3.0", "c1", "creating", 42, "/b", NULL);
  cleanup_free char *s = kago_seccomp_process_state ("1.3.0", 42, "MKNOD=/dev/null", st);
  CHECK_STR (s,
             "{\"ociVersion\":\"1.3.0\",\"fds\":[\"seccompFd\"],\"pid\":42,\"metadata\":\"MKNOD=/dev/null\","
             "\"state\":{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"status\":\"creating\",\"pid\":42,"
             "\"bundle\":\"/b\"}}");
  /* No metadata member without listenerMetadata.  */
  st = kago_state_json_new ("1.3.0", "c1", "running", 7, "/b", NULL);
  cleanup_free char *s2 = kago_seccomp_process_state ("1.3.0", 7, NULL, st);
  CHECK (strstr (s2, "metadata") == NULL);
  CHECK_CONTAINS (s2, "\"pid\":7");
}

TEST (process_state_round_trip)
{
  /* What the runtime sends, the agent reads.  */
  json_value *st = kago_state_json_new ("1.3.0", "web", "creating", 1234, "/b", NULL);
  cleanup_free char *s = kago_seccomp_process_state ("1.3.0", 1234, "meta", st);
  struct kago_agent_hello h;
  kago_error_t err = NULL;
  CHECK (kago_agent_parse_hello (s, strlen (s), 1, &h, &err) == 0);
  CHECK (h.seccomp_fd_index == 0);
  CHECK (h.pid == 1234);
  CHECK_STR (h.id, "web");
  CHECK_STR (h.metadata, "meta");
  kago_agent_hello_clear (&h);
  /* The fds array must match what came by SCM_RIGHTS.  */
  CHECK (kago_agent_parse_hello (s, strlen (s), 2, &h, &err) < 0);
  CHECK_CONTAINS (MSG (err), "fds names 1 descriptors, 2 were sent");
  kago_error_release (&err);
}

TEST (hello_errors)
{
  static const struct
  {
    const char *json;
    const char *msg;
  } cases[] = {
    { "{\"ociVersion\":\"1\",\"fds\":[\"other\"],\"pid\":1,\"state\":{}}", "no \"seccompFd\"" },
    { "{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"state\":{}}", "pid: required" },
    { "{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":0,\"state\":{}}", "pid: required" },
    { "{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":3}", "state: required" },
    { "{\"fds\":[\"seccompFd\"],\"pid\":3,\"state\":{}}", "ociVersion: required" },
    { "{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":3,\"state\":{},\"metadata\":5}",
      "metadata: must be a string" },
    { "[1]", "not a JSON object" },
    { "{\"ociVersion\":", "container process state" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      struct kago_agent_hello h;
      kago_error_t err = NULL;
      CHECK (kago_agent_parse_hello (cases[i].json, strlen (cases[i].json), 1, &h, &err) < 0);
      CHECK_CONTAINS (MSG (err), cases[i].msg);
      kago_error_release (&err);
    }
  /* seccompFd need not be first.  */
  const char *two = "{\"ociVersion\":\"1\",\"fds\":[\"x\",\"seccompFd\"],\"pid\":9,\"state\":{\"id\":\"a\"}}";
  struct kago_agent_hello h;
  kago_error_t err = NULL;
  CHECK (kago_agent_parse_hello (two, strlen (two), 2, &h, &err) == 0);
  CHECK (h.seccomp_fd_index == 1);
  CHECK (h.metadata == NULL);
  kago_agent_hello_clear (&h);
}

TEST (notify_validate)
{
  kago_error_t err = NULL;
  oci_seccomp s = { 0 };
  CHECK (kago_seccomp_notify_validate (&s, true, &err) < 0);
  CHECK_CONTAINS (MSG (err), "SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
  kago_error_release (&err);
  CHECK (kago_seccomp_notify_validate (&s, false, &err) == 0);
  s.listener_metadata = (char *) "m";
  CHECK (kago_seccomp_notify_validate (&s, false, &err) < 0);
  CHECK_CONTAINS (MSG (err), "listenerMetadata: must not be set without listenerPath");
  kago_error_release (&err);
  s.listener_path = (char *) "";
  CHECK (kago_seccomp_notify_validate (&s, true, &err) < 0);
  CHECK_CONTAINS (MSG (err), "listenerPath: must not be empty");
  kago_error_release (&err);
  s.listener_path = (char *) "/run/agent.sock";
  CHECK (kago_seccomp_notify_validate (&s, true, &err) == 0);
  /* listenerPath without NOTIFY rules: ignored, as the spec says.  */
  CHECK (kago_seccomp_notify_validate (&s, false, &err) == 0);
}

TEST (device_lists)
{
  struct kago_agent_policy p = { 0 };
  kago_error_t err = NULL;
  CHECK (kago_agent_policy_add_devices (&p, "c:1:3,c:1:5", &err) == 0);
  CHECK (kago_agent_policy_add_devices (&p, " b:7:0 , c:1:3,c:4095:1048575", &err) == 0);
  CHECK (p.n_devices == 4); /* c:1:3 once */
  CHECK (kago_agent_policy_allows_device (&p, 'c', 1, 3));
  CHECK (kago_agent_policy_allows_device (&p, 'c', 1, 5));
  CHECK (kago_agent_policy_allows_device (&p, 'b', 7, 0));
  CHECK (kago_agent_policy_allows_device (&p, 'c', 4095, 1048575));
  CHECK (!kago_agent_policy_allows_device (&p, 'c', 1, 1));
  CHECK (!kago_agent_policy_allows_device (&p, 'b', 1, 3));
  CHECK (!kago_agent_policy_allows_device (&p, 'c', 7, 0));
  static const char *const bad[] = {
    "",     "c:1",   "x:1:3",    "c:1:3,",      ",c:1:3", "c:1:3:4", "c::3",
    "c:1:", "c:a:3", "c:4096:0", "c:1:1048576", "c:-1:3", "1:3",     "c:99999999999:1",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      CHECK (kago_agent_policy_add_devices (&p, bad[i], &err) < 0);
      CHECK_CONTAINS (MSG (err), "allowed devices");
      kago_error_release (&err);
    }
  CHECK (p.n_devices == 4);
  kago_agent_policy_free (&p);
}

TEST (fstype_lists)
{
  struct kago_agent_policy p = { 0 };
  kago_error_t err = NULL;
  CHECK (kago_agent_policy_add_fstypes (&p, "tmpfs,mqueue", &err) == 0);
  CHECK (kago_agent_policy_add_fstypes (&p, "tmpfs", &err) == 0);
  CHECK (p.n_fstypes == 2);
  CHECK (kago_agent_policy_allows_fstype (&p, "tmpfs"));
  CHECK (kago_agent_policy_allows_fstype (&p, "mqueue"));
  CHECK (!kago_agent_policy_allows_fstype (&p, "proc"));
  CHECK (!kago_agent_policy_allows_fstype (&p, "tmpf"));
  CHECK (!kago_agent_policy_allows_fstype (&p, NULL));
  CHECK (kago_agent_policy_add_fstypes (&p, "tmp fs", &err) < 0);
  CHECK_CONTAINS (MSG (err), "invalid item \"tmp fs\"");
  kago_error_release (&err);
  CHECK (kago_agent_policy_add_fstypes (&p, "TMPFS", &err) < 0);
  kago_error_release (&err);
  kago_agent_policy_free (&p);
}

TEST (config_file)
{
  struct kago_agent_policy p = { 0 };
  kago_error_t err = NULL;
  const char *ok = "{\"allowMknod\": [\"c:1:3\", \"c:10:200\"], \"allowMount\": [\"tmpfs\"]}";
  CHECK (kago_agent_policy_load_text (&p, ok, strlen (ok), &err) == 0);
  CHECK (kago_agent_policy_allows_device (&p, 'c', 10, 200));
  CHECK (kago_agent_policy_allows_fstype (&p, "tmpfs"));
  kago_agent_policy_free (&p);
  static const struct
  {
    const char *json, *msg;
  } bad[] = {
    { "{\"allowMknods\": []}", "unknown member \"allowMknods\"" },
    { "{\"allowMknod\": \"c:1:3\"}", "allowMknod: must be an array" },
    { "{\"allowMknod\": [\"c:1\"]}", "allowMknod[0]: invalid item" },
    { "{\"allowMount\": [\"tmpfs\", 3]}", "allowMount[1]: invalid item" },
    { "[]", "not a JSON object" },
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      CHECK (kago_agent_policy_load_text (&p, bad[i].json, strlen (bad[i].json), &err) < 0);
      CHECK_CONTAINS (MSG (err), bad[i].msg);
      kago_error_release (&err);
      kago_agent_policy_free (&p);
    }
}

TEST (decode_dev)
{
  uint32_t ma, mi;
  /* What glibc's makedev passes, as the kernel reads it (32 bits).  */
  kago_agent_decode_dev (makedev (1, 3), &ma, &mi);
  CHECK (ma == 1 && mi == 3);
  kago_agent_decode_dev (makedev (259, 70000), &ma, &mi);
  CHECK (ma == 259 && mi == 70000);
  kago_agent_decode_dev (makedev (4095, 1048575), &ma, &mi);
  CHECK (ma == 4095 && mi == 1048575);
  /* High bits above 32 are not the kernel's.  */
  kago_agent_decode_dev ((1ULL << 40) | makedev (1, 5), &ma, &mi);
  CHECK (ma == 1 && mi == 5);
}

TEST (mount_flags)
{
  unsigned int attrs;
  bool ro;
  unsigned long bad;
  CHECK (kago_agent_mount_attrs (0, &attrs, &ro, &bad) == 0);
  CHECK (attrs == 0 && !ro);
  CHECK (kago_agent_mount_attrs (MS_NOSUID | MS_NODEV | MS_NOEXEC, &attrs, &ro, &bad) == 0);
  CHECK (attrs == (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
  CHECK (kago_agent_mount_attrs (MS_MGC_VAL | MS_RDONLY | MS_SILENT, &attrs, &ro, &bad) == 0);
  CHECK (attrs == MOUNT_ATTR_RDONLY && ro);
  CHECK (kago_agent_mount_attrs (MS_NOATIME | MS_STRICTATIME, &attrs, &ro, &bad) == 0);
  CHECK (attrs == (MOUNT_ATTR_NOATIME | MOUNT_ATTR_STRICTATIME));
  static const unsigned long refused[] = { MS_BIND,    MS_REMOUNT, MS_MOVE,       MS_REC | MS_BIND, MS_SHARED,
                                           MS_PRIVATE, MS_SLAVE,   MS_UNBINDABLE, MS_SYNCHRONOUS };
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
    {
      CHECK (kago_agent_mount_attrs (refused[i] | MS_NOSUID, &attrs, &ro, &bad) < 0);
      CHECK (bad == refused[i]);
    }
}

TEST (id_maps)
{
  const char *map = "         0     100000      65536\n     65536      5000         10\n";
  uint32_t in;
  CHECK (kago_agent_map_to_ns (map, 100000, &in) == 0 && in == 0);
  CHECK (kago_agent_map_to_ns (map, 100005, &in) == 0 && in == 5);
  CHECK (kago_agent_map_to_ns (map, 165535, &in) == 0 && in == 65535);
  CHECK (kago_agent_map_to_ns (map, 5009, &in) == 0 && in == 65545);
  CHECK (kago_agent_map_to_ns (map, 165536, &in) < 0);
  CHECK (kago_agent_map_to_ns (map, 99999, &in) < 0);
  CHECK (kago_agent_map_to_ns (map, 0, &in) < 0);
  CHECK (kago_agent_map_to_ns ("", 0, &in) < 0);
}

TEST (status)
{
  const char *text = "Name:\tsh\nUmask:\t0027\nState:\tS (sleeping)\n"
                     "Uid:\t100000\t100001\t100002\t100003\nGid:\t100010\t100011\t100012\t100013\n"
                     "Groups:\t100000 100010 \nCapEff:\t00000000a80425fb\n";
  struct kago_agent_creds c;
  kago_error_t err = NULL;
  CHECK (kago_agent_parse_status (text, &c, &err) == 0);
  CHECK (c.fsuid == 100003 && c.fsgid == 100013);
  CHECK (c.umask == 027);
  CHECK (c.cap_eff == 0xa80425fbULL);
  CHECK (c.n_groups == 2 && c.groups[0] == 100000 && c.groups[1] == 100010);
  CHECK (kago_agent_parse_status ("Name:\tsh\n", &c, &err) < 0);
  CHECK_CONTAINS (MSG (err), "no Uid line");
  kago_error_release (&err);
  CHECK (kago_agent_parse_status ("Uid:\t1\t1\t1\t1\nGid:\t1\t1\t1\t1\nCapEff:\t0\nGroups:\n", &c, &err)
         == 0);
  CHECK (c.n_groups == 0 && c.umask == 022);
}

int
main (void)
{
  RUN (process_state_json);
  RUN (process_state_round_trip);
  RUN (hello_errors);
  RUN (notify_validate);
  RUN (device_lists);
  RUN (fstype_lists);
  RUN (config_file);
  RUN (decode_dev);
  RUN (mount_flags);
  RUN (id_maps);
  RUN (status);
  return tap_done ();
}
