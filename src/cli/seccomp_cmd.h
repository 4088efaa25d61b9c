/* `kago seccomp ...` (seccomp_cmd.c).  */
#ifndef KAGO_CLI_SECCOMP_CMD_H
#define KAGO_CLI_SECCOMP_CMD_H

/* ARGV[0] is "seccomp".  Returns the exit status.  */
int kago_seccomp_main (int argc, char **argv);

#endif
