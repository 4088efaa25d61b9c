/* Device access on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program built
 * from linux.resources.devices, loaded and attached with raw bpf(2) calls.
 *
 * The kernel runs the program for every device access with
 *   struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
 * where access_type = (BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_*, and allows
 * the access when it returns 1.
 *
 * Program shape (rules are tested last to first, so the last matching rule
 * wins; an "a" rule matches everything and ends the list; no match = deny):
 *
 *   r2 = ctx->access_type & 0xffff    ; device type
 *   r3 = ctx->access_type >> 16       ; requested access
 *   r4 = ctx->major
 *   r5 = ctx->minor
 *   block per rule:
 *     if r2 != TYPE goto next                    (unless type "a")
 *     r1 = r3; r1 &= ACCESS; if r1 != r3 goto next   (unless "rwm")
 *     if r4 != MAJOR goto next                   (unless wildcard)
 *     if r5 != MINOR goto next                   (unless wildcard)
 *     r0 = ALLOW; exit
 *   r0 = 0; exit
 */
#include "cgroup/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/xalloc.h"

struct prog
{
  struct bpf_insn *insns;
  size_t n, cap;
};

static void
emit (struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
  if (p->n == p->cap)
    {
      p->cap = p->cap ? p->cap * 2 : 32;
      p->insns = xrealloc (p->insns, p->cap * sizeof (struct bpf_insn));
    }
  struct bpf_insn *i = &p->insns[p->n++];
  memset (i, 0, sizeof *i);
  i->code = code;
  i->dst_reg = dst & 0xf;
  i->src_reg = src & 0xf;
  i->off = off;
  i->imm = imm;
}

static unsigned
access_bits (const char *access)
{
  unsigned bits = 0;
  for (const char *c = access ? access : "rwm"; *c; c++)
    bits |= *c == 'r'   ? BPF_DEVCG_ACC_READ
            : *c == 'w' ? BPF_DEVCG_ACC_WRITE
            : *c == 'm' ? BPF_DEVCG_ACC_MKNOD
                        : 0;
  return bits;
}

#define ACC_ALL (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

int
cg_bpf_devices_prog (const oci_device_cgroup *rules, size_t n, struct bpf_insn **insns, size_t *count,
                     kago_error_t *err)
{
  if (cg_devices_validate (rules, n, err) < 0)
    return -1;
  struct prog p = { 0 };
  emit (&p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0);
  emit (&p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff);
  emit (&p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, 0, 0);
  emit (&p, BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
  emit (&p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0);
  emit (&p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0);

  for (size_t k = n; k-- > 0;)
    {
      const oci_device_cgroup *d = &rules[k];
      char type = d->type ? d->type : 'a';
      int32_t allow = d->allow ? 1 : 0;
      if (type == 'a')
        {
          /* Matches every device: the rules before it can never decide.  */
          emit (&p, BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, allow);
          emit (&p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
          *insns = p.insns;
          *count = p.n;
          return 0;
        }
      unsigned acc = access_bits (d->access);
      bool check_acc = acc != ACC_ALL;
      bool check_major = d->has_major && d->major >= 0;
      bool check_minor = d->has_minor && d->minor >= 0;
      size_t size = 1 + (check_acc ? 3 : 0) + (check_major ? 1 : 0) + (check_minor ? 1 : 0) + 2;
      size_t start = p.n;
      /* Offset of a jump at index AT to the first instruction after this block.  */
#define TO_NEXT() ((int16_t) (start + size - (p.n + 1)))
      emit (&p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, TO_NEXT (),
            type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
      if (check_acc)
        {
          emit (&p, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
          emit (&p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, (int32_t) acc);
          /* An allow rule covers a request only if it grants all of it; a
             deny rule applies to any request that asks for some of what it
             denies (as the v1 devices controller does).  */
          if (allow)
            emit (&p, BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_3, TO_NEXT (), 0);
          else
            emit (&p, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_1, 0, TO_NEXT (), 0);
        }
      if (check_major)
        emit (&p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, TO_NEXT (), (int32_t) d->major);
      if (check_minor)
        emit (&p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, TO_NEXT (), (int32_t) d->minor);
#undef TO_NEXT
      emit (&p, BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, allow);
      emit (&p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    }
  emit (&p, BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
  emit (&p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  *insns = p.insns;
  *count = p.n;
  return 0;
}

static long
sys_bpf (int cmd, union bpf_attr *attr)
{
  return syscall (__NR_bpf, cmd, attr, sizeof *attr);
}

static int
load_prog (const struct bpf_insn *insns, size_t n, kago_error_t *err)
{
  static const char license[] = "Apache-2.0";
  union bpf_attr a;
  memset (&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  a.insns = (uint64_t) (uintptr_t) insns;
  a.insn_cnt = (uint32_t) n;
  a.license = (uint64_t) (uintptr_t) license;
  int fd = (int) sys_bpf (BPF_PROG_LOAD, &a);
  if (fd >= 0)
    return fd;
  int saved = errno;
  if (saved == EPERM || saved == ENOSYS)
    return kago_error_set (err, saved, "linux.resources.devices: load the device-cgroup eBPF program");
  /* Again with the verifier's log, for the message.  */
  cleanup_free char *log = xzalloc (65536);
  a.log_buf = (uint64_t) (uintptr_t) log;
  a.log_size = 65536;
  a.log_level = 1;
  fd = (int) sys_bpf (BPF_PROG_LOAD, &a);
  if (fd >= 0)
    return fd;
  size_t l = strlen (log);
  while (l && log[l - 1] == '\n')
    log[--l] = '\0';
  return kago_error_set (err, saved,
                         "linux.resources.devices: load the device-cgroup eBPF program (verifier: %s)",
                         log[0] ? log : "no log");
}

int
cg_bpf_devices_apply (const char *dir, const oci_device_cgroup *rules, size_t n, kago_error_t *err)
{
  cleanup_free struct bpf_insn *insns = NULL;
  size_t count = 0;
  if (cg_bpf_devices_prog (rules, n, &insns, &count, err) < 0)
    return -1;
  cleanup_close int dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return kago_error_set (err, errno, "open cgroup `%s`", dir);

  /* The programs attached before (a previous apply): replaced below.  */
  uint32_t old[64];
  uint32_t n_old = 0;
  {
    union bpf_attr q;
    memset (&q, 0, sizeof q);
    q.query.target_fd = (uint32_t) dirfd;
    q.query.attach_type = BPF_CGROUP_DEVICE;
    q.query.prog_ids = (uint64_t) (uintptr_t) old;
    q.query.prog_cnt = 64;
    if (sys_bpf (BPF_PROG_QUERY, &q) == 0)
      n_old = q.query.prog_cnt < 64 ? q.query.prog_cnt : 64;
  }

  cleanup_close int prog = load_prog (insns, count, err);
  if (prog < 0)
    return -1;
  union bpf_attr a;
  memset (&a, 0, sizeof a);
  a.target_fd = (uint32_t) dirfd;
  a.attach_bpf_fd = (uint32_t) prog;
  a.attach_type = BPF_CGROUP_DEVICE;
  a.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &a) < 0)
    return kago_error_set (err, errno,
                           "linux.resources.devices: attach the device-cgroup eBPF program to `%s`", dir);

  for (uint32_t i = 0; i < n_old; i++)
    {
      union bpf_attr g;
      memset (&g, 0, sizeof g);
      g.prog_id = old[i];
      cleanup_close int ofd = (int) sys_bpf (BPF_PROG_GET_FD_BY_ID, &g);
      if (ofd < 0)
        continue;
      union bpf_attr d;
      memset (&d, 0, sizeof d);
      d.target_fd = (uint32_t) dirfd;
      d.attach_bpf_fd = (uint32_t) ofd;
      d.attach_type = BPF_CGROUP_DEVICE;
      if (sys_bpf (BPF_PROG_DETACH, &d) < 0)
        kago_log_warn ("detach the previous device-cgroup program %u from `%s`: %s", old[i], dir,
                       strerror (errno));
    }
  return 0;
}
