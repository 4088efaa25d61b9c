/* kago run/create flag parsing (src/engine/container/runopts_parse.c,
   runopts_values.c, units.c): docker's syntax, values and error texts.  */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "engine/container/runopts.h"
#include "engine/container/units.h"
#include "tap.h"

#define ARGV(...) ((char *[]){ __VA_ARGS__, NULL })
#define ARGC(...) ((int) (sizeof ((char *[]){ __VA_ARGS__ }) / sizeof (char *)))
#define PARSE(o, err, ...) kago_run_opts_parse (ARGC (__VA_ARGS__), ARGV (__VA_ARGS__), (o), (err))

static char errbuf[2048];
static const char *
msg (kago_error_t *e)
{
  char *s = kago_error_string (*e);
  snprintf (errbuf, sizeof errbuf, "%s", s ? s : "(no error)");
  free (s);
  kago_error_release (e);
  return errbuf;
}

/* Parse and expect failure; returns the message.  */
static const char *
fails (int argc, char **argv)
{
  struct kago_run_opts o;
  kago_error_t e = NULL;
  int rc = kago_run_opts_parse (argc, argv, &o, &e);
  kago_run_opts_free (&o);
  if (rc == 0)
    return "(parsed)";
  return msg (&e);
}
#define FAILS(...) fails (ARGC (__VA_ARGS__), ARGV (__VA_ARGS__))

TEST (sizes_as_go_units)
{
  int64_t v;
  kago_error_t e = NULL;
  CHECK (kago_ram_in_bytes ("256mb", &v, &e) == 0 && v == 256LL << 20);
  CHECK (kago_ram_in_bytes ("1g", &v, &e) == 0 && v == 1LL << 30);
  CHECK (kago_ram_in_bytes ("512k", &v, &e) == 0 && v == 512LL << 10);
  CHECK (kago_ram_in_bytes ("1024b", &v, &e) == 0 && v == 1024);
  CHECK (kago_ram_in_bytes ("1024", &v, &e) == 0 && v == 1024);
  CHECK (kago_ram_in_bytes ("1.5g", &v, &e) == 0 && v == 3LL << 29);
  CHECK (kago_ram_in_bytes ("10 MiB", &v, &e) == 0 && v == 10LL << 20);
  CHECK (kago_ram_in_bytes ("2KB", &v, &e) == 0 && v == 2048);
  CHECK (kago_ram_in_bytes ("12x", &v, &e) < 0);
  CHECK_STR (msg (&e), "invalid suffix: 'x'");
  CHECK (kago_ram_in_bytes ("mb", &v, &e) < 0);
  CHECK_STR (msg (&e), "invalid size: 'mb'");
  CHECK (kago_ram_in_bytes ("1mbb", &v, &e) < 0);
  CHECK_STR (msg (&e), "invalid suffix: 'mbb'");
  CHECK (kago_ram_in_bytes ("-1", &v, &e) < 0);
  CHECK_STR (msg (&e), "invalid size: '-1'");
  CHECK (kago_ram_in_bytes ("1.2.3m", &v, &e) < 0);
  CHECK_STR (msg (&e), "strconv.ParseFloat: parsing \"1.2.3\": invalid syntax");
  CHECK (kago_from_human_size ("1k", &v, &e) == 0 && v == 1000);
}

TEST (go_integers_and_cpus)
{
  int64_t v;
  uint64_t u;
  kago_error_t e = NULL;
  CHECK (kago_go_parse_int ("0x10", 0, 64, &v, &e) == 0 && v == 16);
  CHECK (kago_go_parse_int ("-12", 0, 64, &v, &e) == 0 && v == -12);
  CHECK (kago_go_parse_int ("1_000", 0, 64, &v, &e) == 0 && v == 1000);
  CHECK (kago_go_parse_int ("12a", 0, 64, &v, &e) < 0);
  CHECK_STR (msg (&e), "strconv.ParseInt: parsing \"12a\": invalid syntax");
  CHECK (kago_go_parse_int ("9223372036854775808", 0, 64, &v, &e) < 0);
  CHECK_STR (msg (&e), "strconv.ParseInt: parsing \"9223372036854775808\": value out of range");
  CHECK (kago_go_parse_int ("-9223372036854775808", 0, 64, &v, &e) == 0 && v == INT64_MIN);
  CHECK (kago_go_parse_uint ("70000", 0, 16, &u, &e) < 0);
  CHECK_STR (msg (&e), "strconv.ParseUint: parsing \"70000\": value out of range");
  CHECK (kago_parse_nano_cpus ("1.5", &v, &e) == 0 && v == 1500000000);
  CHECK (kago_parse_nano_cpus ("0.000000001", &v, &e) == 0 && v == 1);
  CHECK (kago_parse_nano_cpus ("3/2", &v, &e) == 0 && v == 1500000000);
  CHECK (kago_parse_nano_cpus ("2", &v, &e) == 0 && v == 2000000000);
  CHECK (kago_parse_nano_cpus ("0.0000000001", &v, &e) < 0);
  CHECK_STR (msg (&e), "value is too precise");
  CHECK (kago_parse_nano_cpus ("abc", &v, &e) < 0);
  CHECK_STR (msg (&e), "failed to parse abc as a rational number");
  int s;
  CHECK (kago_docker_signal_parse ("SIGKILL", &s, &e) == 0 && s == SIGKILL);
  CHECK (kago_docker_signal_parse ("usr1", &s, &e) == 0 && s == SIGUSR1);
  CHECK (kago_docker_signal_parse ("15", &s, &e) == 0 && s == 15);
  CHECK (kago_docker_signal_parse ("RTMIN+3", &s, &e) == 0 && s == 37);
  CHECK (kago_docker_signal_parse ("SIGRTMAX", &s, &e) == 0 && s == 64);
  CHECK (kago_docker_signal_parse ("NOPE", &s, &e) < 0);
  CHECK_STR (msg (&e), "Invalid signal: NOPE");
  CHECK (kago_docker_signal_parse ("0", &s, &e) < 0);
  CHECK_STR (msg (&e), "Invalid signal: 0");
  cleanup_free char *t1 = kago_tmpfs_size_option (64 << 20);
  cleanup_free char *t2 = kago_tmpfs_size_option (1000);
  CHECK_STR (t1, "size=64m");
  CHECK_STR (t2, "size=1000");
}

TEST (basic_flags_and_command)
{
  struct kago_run_opts o;
  kago_error_t e = NULL;
  CHECK (PARSE (&o, &e, "run", "-itd", "--rm", "--name=web", "-e", "A=1", "-eB=2", "-w", "/srv", "-u", "1000:1000",
                "-h", "box", "busybox", "sh", "-c", "echo -e hi")
         == 0);
  CHECK (o.interactive && o.tty && o.detach && o.rm);
  CHECK_STR (o.name, "web");
  CHECK_STR (o.image, "busybox");
  CHECK (o.ncmd == 3);
  CHECK_STR (o.cmd[1], "-c");
  CHECK (o.cmd[3] == NULL);
  CHECK (o.env.n == 2);
  CHECK_STR (o.env.v[1], "B=2");
  CHECK_STR (o.workdir, "/srv");
  CHECK_STR (o.user, "1000:1000");
  CHECK_STR (o.hostname, "box");
  CHECK (o.stop_timeout == -1 && o.log_max_file == 1 && o.memory_swappiness == -1);
  kago_run_opts_free (&o);

  CHECK (PARSE (&o, &e, "run", "--detach=false", "-t=true", "--", "alpine") == 0);
  CHECK (!o.detach && o.tty && o.ncmd == 0 && o.cmd && o.cmd[0] == NULL);
  kago_run_opts_free (&o);

  setenv ("KAGO_TEST_PASS", "through", 1);
  unsetenv ("KAGO_TEST_UNSET");
  CHECK (PARSE (&o, &e, "create", "-e", "KAGO_TEST_PASS", "-e", "KAGO_TEST_UNSET", "img") == 0);
  CHECK_STR (o.env.v[0], "KAGO_TEST_PASS=through");
  CHECK_STR (o.env.v[1], "KAGO_TEST_UNSET");
  kago_run_opts_free (&o);

  CHECK (PARSE (&o, &e, "run", "--help") == 0 && o.help);
  kago_run_opts_free (&o);
}

TEST (flag_errors_as_docker)
{
  CHECK_STR (FAILS ("run", "--bogus", "img"), "unknown flag: --bogus");
  CHECK_STR (FAILS ("run", "--bogus=1", "img"), "unknown flag: --bogus");
  CHECK_STR (FAILS ("run", "-itz", "img"), "unknown shorthand flag: 'z' in -itz");
  CHECK_STR (FAILS ("run", "--name"), "flag needs an argument: --name");
  CHECK_STR (FAILS ("run", "-e"), "flag needs an argument: 'e' in -e");
  CHECK_STR (FAILS ("run", "-d"), "\"kago run\" requires at least 1 argument.");
  CHECK_STR (FAILS ("create", "-d", "img"), "unknown shorthand flag: 'd' in -d");
  CHECK_STR (FAILS ("run", "-m", "12x", "img"), "invalid argument \"12x\" for \"-m, --memory\" flag: invalid suffix: 'x'");
  CHECK_STR (FAILS ("run", "--cpu-shares=x", "img"),
             "invalid argument \"x\" for \"-c, --cpu-shares\" flag: strconv.ParseInt: parsing \"x\": invalid syntax");
  CHECK_STR (FAILS ("run", "--detach=maybe", "img"),
             "invalid argument \"maybe\" for \"-d, --detach\" flag: strconv.ParseBool: parsing \"maybe\": invalid "
             "syntax");
  CHECK_STR (FAILS ("run", "-e", "=x", "img"),
             "invalid argument \"=x\" for \"-e, --env\" flag: invalid environment variable: =x");
  CHECK_STR (FAILS ("run", "--rm", "--restart", "always", "img"), "Conflicting options: --restart and --rm");
  CHECK_STR (FAILS ("run", "--restart", "sometimes", "img"),
             "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or "
             "'unless-stopped'");
  CHECK_STR (FAILS ("run", "--restart", "always:3", "img"),
             "invalid restart policy: maximum retry count can only be used with 'on-failure'");
  CHECK_STR (FAILS ("run", "--restart", "on-failure:x", "img"),
             "invalid argument \"on-failure:x\" for \"--restart\" flag: invalid restart policy format: maximum retry "
             "count must be an integer");
  CHECK_STR (FAILS ("run", "-a", "stdout", "-d", "img"), "Conflicting options: -a and -d");
  CHECK_STR (FAILS ("run", "-w", "rel", "img"),
             "the working directory 'rel' is invalid, it needs to be an absolute path");
  CHECK_STR (FAILS ("run", "--stop-signal", "FOO", "img"), "Invalid signal: FOO");
  CHECK_STR (FAILS ("run", "--log-opt", "max-size=1x", "img"), "failed to parse max-size: invalid suffix: 'x'");
  CHECK_STR (FAILS ("run", "--expose", "80-70", "img"),
             "invalid argument \"80-70\" for \"--expose\" flag: invalid range format for --expose: 80-70");
  CHECK_STR (FAILS ("run", "--expose", "80/xyz", "img"),
             "invalid argument \"80/xyz\" for \"--expose\" flag: invalid range format for --expose: 80/xyz");
  CHECK_STR (FAILS ("run", "--log-driver", "syslog", "img"),
             "logging driver \"syslog\" is not supported (json-file and none are)");

  struct kago_run_opts o;
  kago_error_t e = NULL;
  CHECK (PARSE (&o, &e, "run", "-d", "--rm", "--restart=no", "img") == 0);
  kago_run_opts_free (&o);
  CHECK (PARSE (&o, &e, "run", "--restart", "on-failure:5", "--log-opt", "max-size=10m", "--log-opt", "max-file=3",
                "--stop-signal", "SIGINT", "--stop-timeout", "30", "img")
         == 0);
  CHECK_STR (o.restart.name, "on-failure");
  CHECK (o.restart.max_retries == 5);
  CHECK (o.log_max_size == 10 << 20 && o.log_max_file == 3);
  CHECK (o.stop_signal == SIGINT && o.stop_timeout == 30);
  kago_run_opts_free (&o);
}

TEST (resource_flags)
{
  struct kago_run_opts o;
  kago_error_t e = NULL;
  CHECK (PARSE (&o, &e, "run", "--memory=256mb", "--memory-swap", "-1", "--memory-reservation", "128m",
                "--kernel-memory", "50m", "--memory-swappiness", "10", "--cpu-shares", "512", "--cpu-period",
                "1000000", "--cpu-quota", "200000", "--cpuset-cpus", "0", "--blkio-weight", "300", "--pids-limit",
                "100", "--oom-score-adj", "-500", "--oom-kill-disable", "--shm-size", "128m", "img")
         == 0);
  CHECK (o.memory == 256LL << 20 && o.memory_swap == -1 && o.memory_reservation == 128LL << 20);
  CHECK (o.kernel_memory == 50LL << 20 && o.memory_swappiness == 10);
  CHECK (o.cpu_shares == 512 && o.cpu_period == 1000000 && o.cpu_quota == 200000);
  CHECK_STR (o.cpuset_cpus, "0");
  CHECK (o.blkio_weight == 300 && o.pids_limit == 100 && o.pids_limit_set && o.oom_score_adj == -500);
  CHECK (o.oom_kill_disable && o.shm_size == 128LL << 20);
  kago_run_opts_free (&o);
  CHECK (PARSE (&o, &e, "run", "--cpus", "1.5", "-m", "1g", "--memory-swap", "2g", "img") == 0);
  CHECK (o.nano_cpus == 1500000000 && o.memory_swap == 2LL << 30);
  kago_run_opts_free (&o);

  CHECK_STR (FAILS ("run", "-m", "4m", "img"), "Minimum memory limit allowed is 6MB");
  CHECK_STR (FAILS ("run", "-m", "64m", "--memory-swap", "32m", "img"),
             "Minimum memoryswap limit should be larger than memory limit, see usage");
  CHECK_STR (FAILS ("run", "--memory-swap", "32m", "img"),
             "You should always set the Memory limit when using Memoryswap limit, see usage");
  CHECK_STR (FAILS ("run", "-m", "64m", "--memory-reservation", "128m", "img"),
             "Minimum memory limit can not be less than memory reservation limit, see usage");
  CHECK_STR (FAILS ("run", "--memory-reservation", "1m", "img"), "Minimum memory reservation allowed is 6MB");
  CHECK_STR (FAILS ("run", "--kernel-memory", "1m", "img"), "Minimum kernel memory limit allowed is 4MB");
  CHECK_STR (FAILS ("run", "--memory-swappiness", "101", "img"),
             "invalid value: 101. Valid memory swappiness range is 0-100");
  CHECK_STR (FAILS ("run", "--oom-score-adj", "1001", "img"),
             "Invalid value 1001, range for oom score adj is [-1000, 1000]");
  CHECK_STR (FAILS ("run", "--blkio-weight", "5", "img"), "Range of blkio weight is from 10 to 1000");
  CHECK_STR (FAILS ("run", "--blkio-weight", "70000", "img"),
             "invalid argument \"70000\" for \"--blkio-weight\" flag: strconv.ParseUint: parsing \"70000\": value out "
             "of range");
  CHECK_STR (FAILS ("run", "--cpu-period", "100", "img"),
             "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
  CHECK_STR (FAILS ("run", "--cpu-quota", "100", "img"), "CPU cfs quota can not be less than 1ms (i.e. 1000)");
  CHECK_STR (FAILS ("run", "--cpus", "1", "--cpu-period", "100000", "img"),
             "Conflicting options: Nano CPUs and CPU Period cannot both be set");
  CHECK_STR (FAILS ("run", "--cpus", "1", "--cpu-quota", "100000", "img"),
             "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  CHECK_CONTAINS (FAILS ("run", "--cpus", "100000", "img"), "Range of CPUs is from 0.01 to ");
  CHECK_STR (FAILS ("run", "--cpu-shares", "1", "img"), "Invalid value 1 for --cpu-shares: the range is 2 to 262144");
  CHECK_STR (FAILS ("run", "--cpuset-cpus", "0-x", "img"), "Invalid value 0-x for cpuset cpus: invalid format: 0-x");
  CHECK_CONTAINS (FAILS ("run", "--cpuset-cpus", "4096", "img"), "Requested CPUs are not available - requested 4096");
  CHECK_STR (FAILS ("run", "--shm-size", "x", "img"),
             "invalid argument \"x\" for \"--shm-size\" flag: invalid size: 'x'");
}

TEST (ulimits)
{
  struct kago_run_opts o;
  kago_error_t e = NULL;
  CHECK (PARSE (&o, &e, "run", "--ulimit", "nofile=2048", "--ulimit", "nproc=1024:2048", "--ulimit", "core=-1",
                "--ulimit", "nofile=1024:4096", "img")
         == 0);
  CHECK (o.nulimits == 3);
  CHECK_STR (o.ulimits[0].name, "nofile");
  CHECK (o.ulimits[0].soft == 1024 && o.ulimits[0].hard == 4096);
  CHECK (o.ulimits[1].soft == 1024 && o.ulimits[1].hard == 2048);
  CHECK (o.ulimits[2].soft == -1 && o.ulimits[2].hard == -1);
  kago_run_opts_free (&o);
  CHECK_STR (FAILS ("run", "--ulimit", "nofile", "img"),
             "invalid argument \"nofile\" for \"--ulimit\" flag: invalid ulimit argument: nofile");
  CHECK_STR (FAILS ("run", "--ulimit", "files=1", "img"),
             "invalid argument \"files=1\" for \"--ulimit\" flag: invalid ulimit type: files");
  CHECK_STR (FAILS ("run", "--ulimit", "nofile=4096:1024", "img"),
             "invalid argument \"nofile=4096:1024\" for \"--ulimit\" flag: ulimit soft limit must be less than or "
             "equal to hard limit: 4096 > 1024");
  CHECK_STR (FAILS ("run", "--ulimit", "nofile=a", "img"),
             "invalid argument \"nofile=a\" for \"--ulimit\" flag: strconv.ParseInt: parsing \"a\": invalid syntax");
  CHECK_STR (FAILS ("run", "--ulimit", "nofile=1:2:3", "img"),
             "invalid argument \"nofile=1:2:3\" for \"--ulimit\" flag: too many limit value arguments - 1:2:3, can "
             "only have up to two, `soft[:hard]`");
}

TEST (devices_and_block_io)
{
  struct kago_run_opts o;
  kago_error_t e = NULL;
  CHECK (PARSE (&o, &e, "run", "--device", "/dev/null", "--device", "/dev/zero:/dev/z0", "--device",
                "/dev/full:/dev/f:r", "--device", "/dev/random:rw", "--device-cgroup-rule", "c 1:3 rwm",
                "--device-cgroup-rule", "a *:* m", "--device-write-bps", "/dev/sda:1mb", "--device-read-iops",
                "/dev/sda:100", "--blkio-weight-device", "/dev/sda:200", "img")
         == 0);
  CHECK (o.ndevices == 4);
  CHECK_STR (o.devices[0].container, "/dev/null");
  CHECK_STR (o.devices[0].perms, "rwm");
  CHECK_STR (o.devices[1].container, "/dev/z0");
  CHECK_STR (o.devices[2].perms, "r");
  CHECK_STR (o.devices[3].container, "/dev/random");
  CHECK_STR (o.devices[3].perms, "rw");
  CHECK (o.device_cgroup_rules.n == 2);
  CHECK (o.write_bps.n == 1 && o.write_bps.v[0].value == 1 << 20);
  CHECK_STR (o.write_bps.v[0].path, "/dev/sda");
  CHECK (o.read_iops.v[0].value == 100 && o.blkio_weight_device.v[0].value == 200);
  kago_run_opts_free (&o);
  CHECK_STR (FAILS ("run", "--device", "/dev/sda:/dev/xvdc:rwx", "img"),
             "invalid argument \"/dev/sda:/dev/xvdc:rwx\" for \"--device\" flag: bad mode specified: rwx");
  CHECK_STR (FAILS ("run", "--device", "/dev/sda:rel", "img"),
             "invalid argument \"/dev/sda:rel\" for \"--device\" flag: rel is not an absolute path");
  CHECK_STR (FAILS ("run", "--device", "a:b:c:d", "img"),
             "invalid argument \"a:b:c:d\" for \"--device\" flag: bad format for path: a:b:c:d");
  CHECK_STR (FAILS ("run", "--device-cgroup-rule", "x 1:3 rwm", "img"),
             "invalid argument \"x 1:3 rwm\" for \"--device-cgroup-rule\" flag: invalid device cgroup format 'x 1:3 "
             "rwm'");
  CHECK_STR (FAILS ("run", "--device-cgroup-rule", "c 1:3 rwmx", "img"),
             "invalid argument \"c 1:3 rwmx\" for \"--device-cgroup-rule\" flag: invalid device cgroup format 'c "
             "1:3 rwmx'");
  CHECK_CONTAINS (FAILS ("run", "--device-write-bps", "/dev/sda:1x", "img"), "invalid rate for device: /dev/sda:1x");
  CHECK_CONTAINS (FAILS ("run", "--device-write-bps", "sda:1m", "img"), "bad format for device path: sda:1m");
  CHECK_CONTAINS (FAILS ("run", "--device-read-bps", "/dev/sda", "img"), "bad format: /dev/sda");
  CHECK_CONTAINS (FAILS ("run", "--blkio-weight-device", "/dev/sda:5", "img"),
                  "invalid weight for device: /dev/sda:5");
}

TEST (mounts_and_security_opts)
{
  struct kago_run_opts o;
  kago_error_t e = NULL;
  CHECK (PARSE (&o, &e, "run", "--mount", "type=bind,src=/tmp,dst=/data,readonly,bind-propagation=rslave", "--mount",
                "type=tmpfs,target=/cache,tmpfs-size=64m,tmpfs-mode=1770", "--mount", "source=vol,target=/v,volume-nocopy",
                "--security-opt", "no-new-privileges", "--security-opt", "seccomp=unconfined", "--security-opt",
                "apparmor:unconfined", "--cap-add", "sys_admin", "--cap-drop", "ALL", "--sysctl",
                "net.ipv4.ip_forward=1", "img")
         == 0);
  CHECK (o.nmounts == 3);
  CHECK (o.mounts[0].type == KAGO_MOUNT_BIND && o.mounts[0].readonly);
  CHECK_STR (o.mounts[0].propagation, "rslave");
  CHECK (o.mounts[1].type == KAGO_MOUNT_TMPFS && o.mounts[1].tmpfs_size == 64 << 20 && o.mounts[1].tmpfs_mode == 01770);
  CHECK (o.mounts[2].type == KAGO_MOUNT_VOLUME && o.mounts[2].nocopy);
  CHECK (o.security_opt.n == 3);
  CHECK_STR (o.security_opt.v[1], "seccomp=unconfined");
  kago_run_opts_free (&o);

  CHECK_STR (FAILS ("run", "--mount", "type=bind,src=/x", "img"),
             "invalid argument \"type=bind,src=/x\" for \"--mount\" flag: target is required");
  CHECK_STR (FAILS ("run", "--mount", "type=tmpfs,dst=/x,volume-nocopy", "img"),
             "invalid argument \"type=tmpfs,dst=/x,volume-nocopy\" for \"--mount\" flag: cannot mix 'volume-*' "
             "options with mount type 'tmpfs'");
  CHECK_STR (FAILS ("run", "--mount", "type=bind,dst=/x,foo=bar", "img"),
             "invalid argument \"type=bind,dst=/x,foo=bar\" for \"--mount\" flag: unexpected key 'foo' in 'foo=bar'");
  CHECK_STR (FAILS ("run", "--mount", "type=bind,dst=/x,bogus", "img"),
             "invalid argument \"type=bind,dst=/x,bogus\" for \"--mount\" flag: invalid field 'bogus' must be a "
             "key=value pair");
  CHECK_STR (FAILS ("run", "--security-opt", "seccomp", "img"),
             "invalid argument \"seccomp\" for \"--security-opt\" flag: Invalid --security-opt: \"seccomp\"");
  CHECK_STR (FAILS ("run", "--security-opt", "foo=bar", "img"),
             "invalid argument \"foo=bar\" for \"--security-opt\" flag: invalid --security-opt 2: \"foo=bar\"");
  CHECK_CONTAINS (FAILS ("run", "--security-opt", "seccomp=/nonexistent.json", "img"),
                  "opening seccomp profile (/nonexistent.json) failed");
  CHECK_STR (FAILS ("run", "--cap-add", "BOGUS", "img"),
             "invalid argument \"BOGUS\" for \"--cap-add\" flag: unknown capability: \"CAP_BOGUS\"");
  CHECK_STR (FAILS ("run", "--sysctl", "kernel.hostname=x", "img"),
             "invalid argument \"kernel.hostname=x\" for \"--sysctl\" flag: sysctl 'kernel.hostname=x' is not "
             "allowed");

  /* seccomp=FILE: the content is kept, compacted, as docker's CLI sends it */
  char path[] = "/tmp/kago-test-seccomp-XXXXXX";
  int fd = mkstemp (path);
  CHECK (fd >= 0);
  const char *prof = "{ \"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": [] }";
  CHECK (write (fd, prof, strlen (prof)) == (ssize_t) strlen (prof));
  close (fd);
  CHECK (PARSE (&o, &e, "run", "--security-opt", strcat (strcpy ((char[128]){ 0 }, "seccomp:"), path), "img") == 0);
  CHECK_STR (o.security_opt.v[0], "seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[]}");
  kago_run_opts_free (&o);
  unlink (path);
}

TEST (env_and_label_files)
{
  char path[] = "/tmp/kago-test-env-XXXXXX";
  int fd = mkstemp (path);
  const char *text = "# comment\n\nA=1\n  B=two words\nKAGO_TEST_FILEVAR\nC=\n";
  CHECK (write (fd, text, strlen (text)) == (ssize_t) strlen (text));
  close (fd);
  setenv ("KAGO_TEST_FILEVAR", "fromenv", 1);
  struct kago_run_opts o;
  kago_error_t e = NULL;
  CHECK (PARSE (&o, &e, "run", "-e", "Z=last", "--env-file", path, "-l", "x=y", "--label-file", path, "-l", "solo",
                "img")
         == 0);
  CHECK (o.env.n == 5);
  CHECK_STR (o.env.v[0], "A=1");
  CHECK_STR (o.env.v[1], "B=two words");
  CHECK_STR (o.env.v[2], "KAGO_TEST_FILEVAR=fromenv");
  CHECK_STR (o.env.v[3], "C=");
  CHECK_STR (o.env.v[4], "Z=last");
  CHECK (o.labels.n == 6);
  CHECK_STR (o.labels.v[2], "KAGO_TEST_FILEVAR");
  CHECK_STR (o.labels.v[5], "solo");
  kago_run_opts_free (&o);
  CHECK_CONTAINS (FAILS ("run", "--env-file", "/nonexistent/env", "img"), "/nonexistent/env");
  unlink (path);
}

TEST (usage_lists_flags)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  kago_run_usage (f, "create");
  fclose (f);
  CHECK_CONTAINS (buf, "Usage:  kago create [OPTIONS] IMAGE [COMMAND] [ARG...]");
  CHECK_CONTAINS (buf, "-m, --memory bytes");
  CHECK (strstr (buf, "--detach") == NULL);
  free (buf);
}

TEST (publish_checked_after_the_flags)
{
  /* docker's CLI: nat.ParsePortSpecs' words, no flag prefix.  */
  CHECK_STR (FAILS ("run", "-p", "x", "img"), "invalid containerPort: x");
  CHECK_STR (FAILS ("run", "-p", "8080:80", "--publish", "y:80", "img"), "invalid hostPort: y");
  CHECK_STR (FAILS ("run", "-p", "80/icmp", "img"), "invalid proto: icmp");
  struct kago_run_opts o;
  kago_error_t e = NULL;
  CHECK (PARSE (&o, &e, "run", "-p", "8080:80", "-p", "127.0.0.1::53/udp", "-P", "img") == 0);
  CHECK (o.publish.n == 2 && o.publish_all);
  CHECK_STR (o.publish.v[1], "127.0.0.1::53/udp");
  kago_run_opts_free (&o);
}

int
main (void)
{
  RUN (sizes_as_go_units);
  RUN (publish_checked_after_the_flags);
  RUN (go_integers_and_cpus);
  RUN (basic_flags_and_command);
  RUN (flag_errors_as_docker);
  RUN (resource_flags);
  RUN (ulimits);
  RUN (devices_and_block_io);
  RUN (mounts_and_security_opts);
  RUN (env_and_label_files);
  RUN (usage_lists_flags);
  return tap_done ();
}
