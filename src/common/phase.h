/* Phase timestamps for finding where a container start spends its time.
   Compiled out unless the build sets -Dphase_trace=true (meson option); then
   KAGO_PHASE("label") records CLOCK_MONOTONIC and KAGO_PHASE_DUMP() writes
   "kago-phase PID LABEL USEC" lines to stderr (each process dumps its own
   before it execs or returns; a forked child resets the copy it inherited).
   bench/phases.c turns them into per-phase medians.  Not for production
   builds: the dump goes to the container's stderr too.  */
#ifndef KAGO_COMMON_PHASE_H
#define KAGO_COMMON_PHASE_H

#ifdef KAGO_PHASE_TRACE
void kago_phase_mark (const char *label);
void kago_phase_dump (void);
void kago_phase_reset (void);
#define KAGO_PHASE(label) kago_phase_mark (label)
#define KAGO_PHASE_DUMP() kago_phase_dump ()
#define KAGO_PHASE_RESET() kago_phase_reset ()
#else
#define KAGO_PHASE(label) ((void) 0)
#define KAGO_PHASE_DUMP() ((void) 0)
#define KAGO_PHASE_RESET() ((void) 0)
#endif

#endif
