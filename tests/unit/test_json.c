/* Unit tests for src/common/json.c.  */
#include "common/json.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

static json_value *
parse (const char *s)
{
  kago_error_t err = NULL;
  json_value *v = json_parse (s, strlen (s), &err);
  if (v == NULL)
    {
      printf ("# unexpected parse error for %s: %s\n", s, err ? err->msg : "?");
      kago_error_release (&err);
    }
  return v;
}

/* The parse error message for S (heap), or NULL if it parsed.  */
static char *
parse_err (const char *s, size_t len)
{
  kago_error_t err = NULL;
  json_value *v = json_parse (s, len, &err);
  if (v)
    {
      json_free (v);
      return NULL;
    }
  char *m = strdup (err ? err->msg : "(no message)");
  kago_error_release (&err);
  return m;
}

static void
check_invalid (const char *s, const char *needle, int line)
{
  char *m = parse_err (s, strlen (s));
  if (m == NULL)
    {
      printf ("# line %d: %s parsed but should not\n", line, s);
      tap_cur_failed = 1;
      return;
    }
  if (needle && strstr (m, needle) == NULL)
    {
      printf ("# line %d: error for %s is \"%s\", expected to contain \"%s\"\n", line, s, m, needle);
      tap_cur_failed = 1;
    }
  free (m);
}
#define INVALID(s, needle) check_invalid ((s), (needle), __LINE__)

/* Compact serialization of the parse of S.  */
static char *
roundtrip (const char *s, bool pretty)
{
  json_value *v = parse (s);
  if (v == NULL)
    return strdup ("(parse failed)");
  char *r = json_to_string (v, pretty);
  json_free (v);
  return r;
}

TEST (scalars)
{
  json_value *v = parse ("true");
  CHECK (v && v->type == JSON_BOOL && v->u.boolean);
  json_free (v);
  v = parse (" false ");
  CHECK (v && v->type == JSON_BOOL && !v->u.boolean);
  json_free (v);
  v = parse ("\n\t null\r\n");
  CHECK (v && v->type == JSON_NULL);
  json_free (v);
  v = parse ("\"abc\"");
  CHECK (v && v->type == JSON_STRING);
  CHECK_STR (json_get_string (v), "abc");
  CHECK (v && v->u.str.len == 3);
  json_free (v);
}

TEST (integers_exact)
{
  int64_t i;
  uint64_t u;
  int32_t i32;
  uint32_t u32;
  json_value *v = parse ("18446744073709551615");
  CHECK (json_get_uint64 (v, &u) == 0 && u == UINT64_MAX);
  CHECK (json_get_int64 (v, &i) < 0);
  json_free (v);

  v = parse ("-9223372036854775808");
  CHECK (json_get_int64 (v, &i) == 0 && i == INT64_MIN);
  CHECK (json_get_uint64 (v, &u) < 0);
  json_free (v);

  v = parse ("9223372036854775807");
  CHECK (json_get_int64 (v, &i) == 0 && i == INT64_MAX);
  CHECK (json_get_uint64 (v, &u) == 0 && u == (uint64_t) INT64_MAX);
  json_free (v);

  v = parse ("9223372036854775808");
  CHECK (json_get_int64 (v, &i) < 0);
  CHECK (json_get_uint64 (v, &u) == 0 && u == 9223372036854775808ull);
  json_free (v);

  v = parse ("-9223372036854775809");
  CHECK (v && v->type == JSON_NUMBER);
  CHECK (json_get_int64 (v, &i) < 0 && json_get_uint64 (v, &u) < 0);
  json_free (v);

  v = parse ("18446744073709551616");
  CHECK (v && v->type == JSON_NUMBER && json_get_uint64 (v, &u) < 0);
  CHECK (v && v->u.num.d == 18446744073709551616.0);
  json_free (v);

  v = parse ("-1");
  CHECK (json_get_int64 (v, &i) == 0 && i == -1);
  CHECK (json_get_int32 (v, &i32) == 0 && i32 == -1);
  CHECK (json_get_uint32 (v, &u32) < 0);
  json_free (v);

  v = parse ("4294967296");
  CHECK (json_get_uint32 (v, &u32) < 0);
  CHECK (json_get_int32 (v, &i32) < 0);
  json_free (v);

  v = parse ("4294967295");
  CHECK (json_get_uint32 (v, &u32) == 0 && u32 == UINT32_MAX);
  json_free (v);

  v = parse ("-0");
  CHECK (json_get_int64 (v, &i) == 0 && i == 0);
  json_free (v);

  v = parse ("0");
  CHECK (json_get_uint64 (v, &u) == 0 && u == 0);
  json_free (v);

  /* Not integers.  */
  v = parse ("1.5");
  CHECK (v && fabs (v->u.num.d - 1.5) < 1e-12);
  CHECK (json_get_int64 (v, &i) < 0);
  json_free (v);
  v = parse ("1e3");
  CHECK (v && v->u.num.d == 1000.0 && json_get_int64 (v, &i) < 0);
  json_free (v);
  v = parse ("\"1\"");
  CHECK (json_get_int64 (v, &i) < 0);
  json_free (v);
}

TEST (floats)
{
  json_value *v = parse ("-12.5e-3");
  CHECK (v && fabs (v->u.num.d + 0.0125) < 1e-15);
  json_free (v);
  v = parse ("6.02214076E+23");
  CHECK (v && v->u.num.d == 6.02214076e23);
  json_free (v);
  v = parse ("0.1");
  CHECK (v && v->u.num.d == 0.1);
  json_free (v);
}

TEST (escapes)
{
  json_value *v = parse ("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"");
  CHECK_STR (json_get_string (v), "a\"b\\c/d\b\f\n\r\t");
  json_free (v);

  v = parse ("\"\\u00E9\\u20ac\\u0041\"");
  CHECK_STR (json_get_string (v), "\xc3\xa9\xe2\x82\xac"
                                  "A");
  json_free (v);

  v = parse ("\"\\u00e9\\u20AC\"");
  CHECK_STR (json_get_string (v), "\xc3\xa9\xe2\x82\xac");
  json_free (v);

  /* Surrogate pair: U+1F600.  */
  v = parse ("\"x\\ud83d\\ude00y\"");
  CHECK_STR (json_get_string (v), "x\xf0\x9f\x98\x80y");
  json_free (v);

  /* Embedded NUL keeps its length.  */
  v = parse ("\"a\\u0000b\"");
  CHECK (v && v->u.str.len == 3 && memcmp (v->u.str.s, "a\0b", 3) == 0);
  json_free (v);

  /* Raw UTF-8 passes through.  */
  v = parse ("\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
  CHECK_STR (json_get_string (v), "caf\xc3\xa9 \xf0\x9f\x98\x80");
  json_free (v);
}

TEST (invalid_inputs)
{
  INVALID ("", "unexpected end of input");
  INVALID ("   ", "unexpected end of input");
  INVALID ("{", "unexpected end of input");
  INVALID ("[1,", "unexpected end of input");
  INVALID ("[1,]", "unexpected character ']'");
  INVALID ("{\"a\":1,}", "expected a string key");
  INVALID ("{\"a\" 1}", "expected ':'");
  INVALID ("{a:1}", "expected a string key");
  INVALID ("[1 2]", "expected ',' or ']'");
  INVALID ("{\"a\":1 \"b\":2}", "expected ',' or '}'");
  INVALID ("tru", "invalid literal");
  INVALID ("nul", "invalid literal");
  INVALID ("True", "unexpected character 'T'");
  INVALID ("01", "leading zero");
  INVALID ("-", "invalid number");
  INVALID ("1.", "invalid number");
  INVALID (".5", "unexpected character '.'");
  INVALID ("1e", "invalid number");
  INVALID ("+1", "unexpected character '+'");
  INVALID ("NaN", NULL);
  INVALID ("Infinity", NULL);
  INVALID ("1 2", "expected end of input");
  INVALID ("\"abc", "unexpected end of input in string");
  INVALID ("\"a\nb\"", "control character 0x0a");
  INVALID ("\"a\tb\"", "control character 0x09");
  INVALID ("\"\\x\"", "invalid escape '\\x'");
  INVALID ("\"\\u12\"", "invalid \\u escape");
  INVALID ("\"\\u12g4\"", "invalid \\u escape");
  INVALID ("\"\\u00\x10\x11\"", "invalid \\u escape");
  INVALID ("\"\\u00:0\"", "invalid \\u escape");
  INVALID ("\"abc\\", "unexpected end of input in string");
  INVALID ("\"abc\\\"", "unexpected end of input in string");
  INVALID ("\"\\ud83d\"", "unpaired UTF-16 surrogate");
  INVALID ("\"\\ud83dx\"", "unpaired UTF-16 surrogate");
  INVALID ("\"\\ude00\"", "unpaired UTF-16 surrogate");
  INVALID ("\"\\ud83d\\u0041\"", "unpaired UTF-16 surrogate");
  INVALID ("\"\xff\"", "invalid UTF-8");
  INVALID ("\"\xc3\"", "invalid UTF-8");
  INVALID ("\"\xc0\xaf\"", "invalid UTF-8");         /* overlong '/' */
  INVALID ("\"\xed\xa0\x80\"", "invalid UTF-8");     /* encoded surrogate */
  INVALID ("\"\xf4\x90\x80\x80\"", "invalid UTF-8"); /* > U+10FFFF */
  INVALID ("\xef\xbb\xbf{}", "unexpected byte 0xef");
  INVALID ("// comment\n{}", NULL);
  INVALID ("{'a':1}", NULL);

  /* A NUL inside the buffer is just an invalid byte (length-delimited).  */
  char *m = parse_err ("[1]\0", 4);
  CHECK_CONTAINS (m, "unexpected byte 0x00");
  free (m);
  m = parse_err ("[1]xxxx", 3);
  CHECK (m == NULL);
}

TEST (error_line_column)
{
  char *m = parse_err ("{\n  \"a\": 1,\n  \"b\" 2\n}", 20);
  CHECK_STR (m, "line 3, column 7: unexpected character '2', expected ':' after object key");
  free (m);
  m = parse_err ("[1,\n2,\n", 7);
  CHECK_CONTAINS (m, "line 3, column 1: unexpected end of input");
  free (m);
  /* Columns count characters, not bytes.  */
  m = parse_err ("[\"\xc3\xa9\xc3\xa9\", x]", 11);
  CHECK_CONTAINS (m, "line 1, column 8:");
  free (m);
  m = parse_err ("{\"a\":\"\x01\"}", 9);
  CHECK_CONTAINS (m, "line 1, column 7: control character 0x01");
  free (m);
}

TEST (depth_limit)
{
  char buf[2 * 520 + 1];
  /* 512 levels are fine.  */
  memset (buf, '[', 512);
  memset (buf + 512, ']', 512);
  json_value *v = json_parse (buf, 1024, NULL);
  CHECK (v != NULL);
  json_free (v);
  /* 513 are not.  */
  memset (buf, '[', 513);
  memset (buf + 513, ']', 513);
  char *m = parse_err (buf, 1026);
  CHECK_CONTAINS (m, "nesting deeper than 512");
  free (m);
  /* Objects count too.  */
  char obj[8 * 520];
  size_t n = 0;
  for (int i = 0; i < 513; i++)
    {
      memcpy (obj + n, "{\"a\":", 5);
      n += 5;
    }
  obj[n++] = '1';
  memset (obj + n, '}', 513);
  n += 513;
  m = parse_err (obj, n);
  CHECK_CONTAINS (m, "nesting deeper than 512");
  free (m);
}

TEST (objects_and_lookup)
{
  json_value *v = parse ("{\"a\": 1, \"b\": [true, null, \"x\"], \"a\": 2, \"\": {}}");
  CHECK (v && v->type == JSON_OBJECT && json_object_len (v) == 4);
  int64_t i;
  CHECK (json_get_int64 (json_object_get (v, "a"), &i) == 0 && i == 2); /* last wins */
  json_value *b = json_object_get (v, "b");
  CHECK (json_array_len (b) == 3);
  CHECK (json_array_at (b, 0)->type == JSON_BOOL);
  CHECK (json_array_at (b, 1)->type == JSON_NULL);
  CHECK_STR (json_get_string (json_array_at (b, 2)), "x");
  CHECK (json_array_at (b, 3) == NULL);
  CHECK (json_object_get (v, "zz") == NULL);
  CHECK (json_object_get (v, "") != NULL);
  CHECK (json_object_get (b, "a") == NULL);
  CHECK (json_array_at (v, 0) == NULL);
  CHECK (json_object_del (v, "a"));
  CHECK (json_object_get (v, "a") == NULL);
  CHECK (json_object_len (v) == 2);
  CHECK (!json_object_del (v, "a"));
  json_free (v);
}

TEST (builders_and_compact_output)
{
  json_value *o = json_object_new ();
  json_object_set (o, "s", json_string_new ("a\"b\\c\n\x01/\xc3\xa9"));
  json_object_set (o, "i", json_int_new (-42));
  json_object_set (o, "u", json_uint_new (UINT64_MAX));
  json_object_set (o, "d", json_double_new (0.5));
  json_object_set (o, "t", json_bool_new (true));
  json_object_set (o, "n", json_null_new ());
  json_value *a = json_array_new ();
  json_array_append (a, json_int_new (1));
  json_array_append (a, json_array_new ());
  json_array_append (a, json_object_new ());
  json_object_set (o, "a", a);
  json_object_set (o, "i", json_int_new (7)); /* replaces, keeps position */
  char *s = json_to_string (o, false);
  CHECK_STR (s, "{\"s\":\"a\\\"b\\\\c\\n\\u0001/\xc3\xa9\",\"i\":7,\"u\":18446744073709551615,\"d\":0.5,"
                "\"t\":true,\"n\":null,\"a\":[1,[],{}]}");
  free (s);
  json_free (o);

  strbuf sb = STRBUF_INIT;
  json_write_string (&sb, "tab\there");
  json_write_stringn (&sb, "a\0b", 3);
  CHECK_STR (sb.buf, "\"tab\\there\"\"a\\u0000b\"");
  strbuf_release (&sb);

  /* Invalid UTF-8 cannot go out as is.  */
  strbuf sb2 = STRBUF_INIT;
  json_write_string (&sb2, "x\xff"
                           "y\xe2\x80\xa8");
  CHECK_STR (sb2.buf, "\"x\\ufffdy\\u2028\"");
  strbuf_release (&sb2);
}

TEST (doubles_output)
{
  static const struct
  {
    double d;
    const char *s;
  } cases[] = {
    { 0.5, "0.5" },          { 1.0, "1" },         { -2.25, "-2.25" },
    { 0.1, "0.1" },          { 1e21, "1e+21" },    { 1e20, "100000000000000000000" },
    { 1e-7, "1e-7" },        { 1e-6, "0.000001" }, { 123456.789, "123456.789" },
    { 1.5e300, "1.5e+300" }, { 0.0, "0" },         { 3.14159, "3.14159" },
    { 2.5e-10, "2.5e-10" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      json_value *v = json_double_new (cases[i].d);
      char *s = json_to_string (v, false);
      CHECK_STR (s, cases[i].s);
      /* And it reads back to the same double.  */
      json_value *back = json_parse (s, strlen (s), NULL);
      CHECK (back && back->u.num.d == cases[i].d);
      json_free (back);
      free (s);
      json_free (v);
    }
  json_value *v = json_double_new (NAN);
  char *s = json_to_string (v, false);
  CHECK_STR (s, "null");
  free (s);
  json_free (v);
}

TEST (pretty_output)
{
  char *s = roundtrip ("{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"pid\":42,\"empty\":{},\"list\":[],"
                       "\"nested\":{\"a\":[1,{\"b\":null}]}}",
                       true);
  CHECK_STR (s, "{\n"
                "  \"ociVersion\": \"1.0.2\",\n"
                "  \"id\": \"c1\",\n"
                "  \"pid\": 42,\n"
                "  \"empty\": {},\n"
                "  \"list\": [],\n"
                "  \"nested\": {\n"
                "    \"a\": [\n"
                "      1,\n"
                "      {\n"
                "        \"b\": null\n"
                "      }\n"
                "    ]\n"
                "  }\n"
                "}");
  free (s);
  s = roundtrip ("  [ ]  ", true);
  CHECK_STR (s, "[]");
  free (s);
  s = roundtrip ("\"x\"", true);
  CHECK_STR (s, "\"x\"");
  free (s);
}

TEST (round_trip)
{
  static const char *const docs[] = {
    "{\"a\":[1,-2,18446744073709551615,-9223372036854775808,0.25,true,false,null],\"b\":{\"c\":"
    "\"\\u0000\\\"\"}}",
    "[[[[[]]]],{},\"\xe2\x82\xac\xf0\x9f\x98\x80\"]",
    "{\"emoji\":\"\xf0\x9f\x98\x80\",\"ctl\":\"\\u001f\\b\\f\"}",
  };
  for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
    {
      char *once = roundtrip (docs[i], false);
      CHECK_STR (once, docs[i]);
      char *pretty = roundtrip (docs[i], true);
      char *again = roundtrip (pretty, false);
      CHECK_STR (again, docs[i]);
      free (once);
      free (pretty);
      free (again);
    }
}

TEST (parse_file)
{
  char path[] = "/tmp/kago-test-json-XXXXXX";
  int fd = mkstemp (path);
  CHECK (fd >= 0);
  const char doc[] = "{\n  \"a\": [1, 2,\n  ]\n}\n";
  CHECK (write (fd, doc, sizeof doc - 1) == (ssize_t) (sizeof doc - 1));
  close (fd);
  kago_error_t err = NULL;
  json_value *v = json_parse_file (path, &err);
  CHECK (v == NULL);
  CHECK (err != NULL);
  if (err)
    {
      CHECK_CONTAINS (err->msg, path);
      CHECK_CONTAINS (err->msg, "line 3, column 3:");
    }
  kago_error_release (&err);

  fd = open (path, O_WRONLY | O_TRUNC);
  CHECK (write (fd, "{\"ok\": true}", 12) == 12);
  close (fd);
  v = json_parse_file (path, &err);
  CHECK (v && json_object_get (v, "ok") && json_object_get (v, "ok")->u.boolean);
  json_free (v);
  unlink (path);

  v = json_parse_file ("/nonexistent/kago/config.json", &err);
  CHECK (v == NULL && err && err->errnum == ENOENT);
  if (err)
    CHECK_CONTAINS (err->msg, "/nonexistent/kago/config.json");
  kago_error_release (&err);
}

TEST (type_names)
{
  CHECK_STR (json_type_name (JSON_NUMBER), "number");
  CHECK_STR (json_type_name (JSON_STRING), "string");
  CHECK_STR (json_type_name (JSON_OBJECT), "object");
  CHECK_STR (json_type_name (JSON_ARRAY), "array");
  CHECK_STR (json_type_name (JSON_BOOL), "boolean");
  CHECK_STR (json_type_name (JSON_NULL), "null");
}

int
main (void)
{
  RUN (scalars);
  RUN (integers_exact);
  RUN (floats);
  RUN (escapes);
  RUN (invalid_inputs);
  RUN (error_line_column);
  RUN (depth_limit);
  RUN (objects_and_lookup);
  RUN (builders_and_compact_output);
  RUN (doubles_output);
  RUN (pretty_output);
  RUN (round_trip);
  RUN (parse_file);
  RUN (type_names);
  return tap_done ();
}
