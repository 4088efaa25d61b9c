/* The engine face of `kago` (src/cli/engine/): global flags, the verb table
   and the shared output helpers of the engine verbs.  */
#ifndef KAGO_CLI_ENGINE_H
#define KAGO_CLI_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "common/error.h"
#include "common/json.h"
#include "engine/image/store.h"

struct kago_engine_ctx
{
  const char *root; /* --root, $KAGO_ROOT, or /var/lib/kago */
  const char *bip;  /* --bip, $KAGO_BIP, or NULL: the default network's subnet */
  bool debug;
  /* The argv area (for the monitor's process title).  */
  char *title_area;
  size_t title_len;
};

/* Dispatch `kago [global flags] VERB ...`.  Returns the exit status, or -1
   when argv names no engine verb (main then says so).  */
int kago_engine_main (int argc, char **argv);
/* The engine verbs' part of `kago --help`.  */
void kago_engine_usage_commands (FILE *out);

/* Each verb: ARGV[0] is the verb name.  */
int kago_cmd_images (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_image (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_image_inspect (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_tag (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_rmi (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_image_prune (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_load (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_save (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_import (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_pull (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_login (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_logout (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_image_mount (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_image_unmount (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_stats (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_top (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_ctr_run (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_ctr_create (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_ctr_start (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_ctr_attach (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_ctr_stop (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_ctr_restart (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_ctr_kill (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_ctr_rm (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_ctr_wait (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_ctr_pause (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_ctr_unpause (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_ctr_rename (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_ctr_inspect (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_ctr_port (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_ctr_ps (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_ctr_logs (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_ctr_exec (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_ctr_update (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_ctr_container (struct kago_engine_ctx *ctx, int argc, char **argv);
int kago_cmd_network (struct kago_engine_ctx *ctx, int argc, char **argv);

/* ---- helpers (output.c) ---- */

/* Print "kago: MSG" (docker says "Error response from daemon: MSG"; kago
   has no daemon) and release the error.  Returns 1.  */
int kago_cli_fail (kago_error_t *err);
/* "kago VERB: MSG" usage error; returns 1.  */
int kago_cli_usage_error (const char *verb, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Print "kago: MSG" and release the error; returns STATUS.  */
int kago_cli_ctr_fail (kago_error_t *err, int status);
struct kago_engine;
int kago_cli_open_engine (struct kago_engine_ctx *ctx, struct kago_engine *e, kago_error_t *err);
struct kago_store *kago_cli_open_store (struct kago_engine_ctx *ctx, kago_error_t *err);

/* go-units HumanSizeWithPrecision(size, 3): "4.26MB", "0B".  */
void kago_human_size (uint64_t bytes, char *buf, size_t len);
/* go-units HumanDuration + " ago": "2 months ago"; "N/A" when T is 0.  */
void kago_human_since (time_t t, time_t now, char *buf, size_t len);
/* go-units HumanDuration of D seconds: "Less than a second", "5 seconds",
   "About a minute", "3 hours", ...  */
void kago_human_duration (double d, char *buf, size_t len);
/* Print pretty JSON (kago's two-space indentation) with Go's four.  */
void kago_print_indented4 (const char *text);
/* Parse RFC 3339 ("2024-01-02T03:04:05.123Z", offsets too); 0 on failure.  */
time_t kago_parse_rfc3339 (const char *s);

/* A table as docker prints it (text/tabwriter, minwidth 10, padding 3).  */
struct kago_table
{
  char ***rows;
  size_t nrows, ncols;
};
void kago_table_init (struct kago_table *t, size_t ncols);
/* Add a row of NCOLS strings (copied).  */
void kago_table_add (struct kago_table *t, const char *const *cells);
void kago_table_print (struct kago_table *t, FILE *out);
void kago_table_free (struct kago_table *t);

/* A Go-template subset for --format: literal text with {{.A.B}}, {{.}},
   {{json .A}} and {{json .}}; "\t" and "\n" written as two characters
   become a tab and a newline.  Renders V into OUT.  Returns -1 with *err on
   a template error.  */
int kago_template_render (const char *tmpl, const json_value *v, FILE *out, kago_error_t *err);

/* --format of a list verb (format.c), docker's rules: NULL, "" or "table"
   is DEFAULT_TABLE; "json" is {{json .}}; "table TMPL" prints a header (each
   {{.Field}} replaced by its HEADERS entry, else its name in capitals) and
   the rows aligned as a table; any other TMPL is rendered once per row.  */
struct kago_format_header
{
  const char *field;  /* ".CPUPerc" */
  const char *header; /* "CPU %" */
};
int kago_cli_format_rows (FILE *out, const char *format, const char *default_table,
                          const struct kago_format_header *headers, size_t nheaders, json_value *const *rows,
                          size_t n, kago_error_t *err);

#endif
