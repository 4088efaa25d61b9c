/* `kago seccomp-agent ...` (seccomp_agent.c).  */
#ifndef KAGO_CLI_SECCOMP_AGENT_H
#define KAGO_CLI_SECCOMP_AGENT_H

/* ARGV[0] is "seccomp-agent".  Returns the exit status.  */
int kago_seccomp_agent_main (int argc, char **argv);

#endif
