/* Records, names and locks: the engine's internal container plumbing
   (record.c).  container.h is the public face.  */
#ifndef KAGO_ENGINE_RECORD_H
#define KAGO_ENGINE_RECORD_H

#include "engine/container/container.h"

#include <stdint.h>

enum kago_ctr_status kago_ctr_status_parse (const char *s);

/* A fresh random 64-hex id (never all digits in its first 12).  */
void kago_ctr_new_id (char id[KAGO_CTR_ID_LEN + 1]);
/* Docker-style "adjective_surname"; the caller frees.  */
char *kago_ctr_random_name (void);
int kago_ctr_validate_name (const char *name, kago_error_t *err);
/* Take NAME for ID: an error naming the owner when it is taken.  */
int kago_ctr_reserve_name (struct kago_engine *e, const char *name, const char *id, kago_error_t *err);
/* Release NAME if it is ID's (any owner when ID is NULL).  */
void kago_ctr_release_name (struct kago_engine *e, const char *name, const char *id);

/* R/containers/ID[/FILE] (caller frees).  */
char *kago_ctr_path (struct kago_engine *e, const char *id, const char *file);
/* Lock the container (flock on R/containers/ID/lock); returns the fd to
   close, or -1 ("No such container" when its directory is gone).  */
int kago_ctr_lock (struct kago_engine *e, const char *id, kago_error_t *err);
/* The same on another lock file of the container (start.lock).  */
int kago_ctr_lock_file (struct kago_engine *e, const char *id, const char *file, kago_error_t *err);
json_value *kago_ctr_record_load (struct kago_engine *e, const char *id, kago_error_t *err);
/* Replace the record (the caller holds the lock).  */
int kago_ctr_record_save (struct kago_engine *e, const char *id, const json_value *rec, kago_error_t *err);
/* Lock, load, FN, save (when FN returned 0), unlock.  */
typedef int (*kago_record_fn) (json_value *rec, void *arg, kago_error_t *err);
int kago_ctr_record_update (struct kago_engine *e, const char *id, kago_record_fn fn, void *arg, kago_error_t *err);

/* REC.A[.B] accessors (B may be NULL).  */
const char *kago_rec_str (const json_value *rec, const char *a, const char *b);
int64_t kago_rec_int (const json_value *rec, const char *a, const char *b, int64_t def);
bool kago_rec_bool (const json_value *rec, const char *a, const char *b);
void kago_rec_set (json_value *rec, const char *a, const char *b, json_value *val);

/* PID exists, is not a zombie and has start time START (any when 0); the
   start time is the runtime's kago_pid_starttime.  */
bool kago_pid_alive (pid_t pid, unsigned long long start);

#endif
