/* Test harness of the C suite: assertions, the sandbox child process, and HTTP to its
 * control endpoints (libcurl). Plain C11. */
#ifndef WABLOCK_TEST_HARNESS_H
#define WABLOCK_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "wablock.h"

extern int t_failures;
extern int t_checks;

#define CHECK(cond)                                                                        \
  do {                                                                                     \
    t_checks++;                                                                            \
    if (!(cond)) {                                                                         \
      t_failures++;                                                                        \
      fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                    \
    }                                                                                      \
  } while (0)

#define CHECK_STATUS(got, want)                                                            \
  do {                                                                                     \
    int g_ = (int)(got), w_ = (int)(want);                                                 \
    t_checks++;                                                                            \
    if (g_ != w_) {                                                                        \
      t_failures++;                                                                        \
      fprintf(stderr, "  FAIL %s:%d: %s is %s, want %s\n", __FILE__, __LINE__, #got,       \
              wablock_status_name(g_) ? wablock_status_name(g_) : "?",                      \
              wablock_status_name(w_) ? wablock_status_name(w_) : "?");                     \
    }                                                                                      \
  } while (0)

#define CHECK_STR(got, want)                                                               \
  do {                                                                                     \
    const char *g_ = (got), *w_ = (want);                                                  \
    t_checks++;                                                                            \
    if (!((g_ == NULL && w_ == NULL) || (g_ && w_ && strcmp(g_, w_) == 0))) {              \
      t_failures++;                                                                        \
      fprintf(stderr, "  FAIL %s:%d: %s is \"%s\", want \"%s\"\n", __FILE__, __LINE__, #got, \
              g_ ? g_ : "(null)", w_ ? w_ : "(null)");                                     \
    }                                                                                      \
  } while (0)

/* A wablock_str over a C string (NULL gives the empty string). */
#define WS(s) wablock_str_from_cstr(s)
/* Fills out[0..n) with views of the n C strings in `in`. */
void to_strs(const char *const *in, size_t n, wablock_str *out);

/* The sandbox base URL, e.g. "http://127.0.0.1:41234". */
extern char sandbox_base[128];

/* Starts target/debug/wablock-sandbox (path in WABLOCK_SANDBOX_BIN) and reads its URL. */
bool sandbox_start(void);
/* Closes the sandbox's stdin (it exits) and reaps it. */
void sandbox_stop(void);

/* One HTTP request to the sandbox: path is appended to the base URL, body may be NULL.
 * Returns the HTTP status (0 on transport failure); *response_out (if not NULL) receives a
 * malloc'd NUL-terminated body. */
long http_request(const char *method, const char *path, const char *body, char **response_out);
/* POST /_sandbox/reset. */
bool sandbox_reset(void);
/* POST /_sandbox/inbound for a WA ID on a phone number id. */
bool sandbox_inbound(const char *phone_number_id, const char *wa_id);
/* Number of API requests the sandbox logged since the last reset, or -1. */
int sandbox_request_count(void);

/* A client on the sandbox with vector-style fast settings. */
wablock_client *sandbox_client(const char *token, size_t max_batch, size_t parallelism);

/* Test groups. */
void test_misuse(void);
void test_api(void);
void test_threads(void);
void test_cancel(void);
void test_fleet(void);
void test_window(void);
/* Runs every vector in dir, writing results under out_dir; returns vectors run. */
int run_conformance_dir(const char *dir, const char *out_dir);

#endif
