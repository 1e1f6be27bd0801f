/* The fleet through the C API, on the sandbox: three numbers block 2,500 users with every input
 * accounted for on every number; one number's refused token leaves the others' outcomes; the
 * entries, the merged walk, the chosen subset and misuse. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const char *const NUMBERS[3] = {"1001", "1002", "1003"};

static wablock_client *number_client(const char *id, const char *token) {
  wablock_config *cfg = NULL;
  wablock_client *client = NULL;
  if (wablock_config_new_meta(WS(id), WS(token), &cfg, NULL) != WABLOCK_OK) return NULL;
  wablock_config_set_base_url(cfg, WS(sandbox_base), NULL);
  wablock_config_set_retry_policy(cfg, 3, 1, 20, false, NULL);
  wablock_config_set_read_timeout_ms(cfg, 5000, NULL);
  wablock_config_set_parallelism(cfg, 4, NULL);
  wablock_client_new(cfg, &client, NULL);
  wablock_config_free(cfg);
  return client;
}

/* A fleet of the three numbers; `refused` (or NULL) gets a wrong token. */
static wablock_fleet *three_numbers(const char *refused) {
  wablock_fleet_builder *b = NULL;
  wablock_fleet *fleet = NULL;
  CHECK_STATUS(wablock_fleet_builder_new(&b, NULL), WABLOCK_OK);
  for (int i = 0; i < 3; i++) {
    const char *token =
        refused && strcmp(refused, NUMBERS[i]) == 0 ? "not-the-token" : "sandbox-token";
    wablock_client *c = number_client(NUMBERS[i], token);
    CHECK(c != NULL);
    CHECK_STATUS(wablock_fleet_builder_add(b, WS(NUMBERS[i]), c, NULL), WABLOCK_OK);
    wablock_client_free(c); /* the fleet keeps its own reference */
  }
  CHECK_STATUS(wablock_fleet_builder_set_total_parallelism(b, 6, NULL), WABLOCK_OK);
  CHECK_STATUS(wablock_fleet_builder_build(b, &fleet, NULL), WABLOCK_OK);
  wablock_fleet_builder_free(b);
  return fleet;
}

static long blocked_count(const char *id) {
  char path[128], *resp = NULL;
  snprintf(path, sizeof path, "/_sandbox/state?phone_number_id=%s", id);
  if (http_request("GET", path, NULL, &resp) != 200) {
    free(resp);
    return -1;
  }
  const char *at = strstr(resp, "\"blocked_count\":");
  long n = at ? strtol(at + strlen("\"blocked_count\":"), NULL, 10) : -1;
  free(resp);
  return n;
}

static void three_numbers_block_2500_users(void) {
  enum { N = 2500, INPUTS = N + 2 };
  CHECK(sandbox_reset());
  CHECK(http_request("POST", "/_sandbox/config", "{\"open\":true}", NULL) == 200);
  char(*texts)[32] = calloc(N, sizeof *texts);
  wablock_str *users = calloc(INPUTS, sizeof *users);
  for (int i = 0; i < N; i++) {
    snprintf(texts[i], sizeof texts[i], "+1 650 %07d", 1000000 + i);
    users[i] = WS(texts[i]);
  }
  users[N] = WS("not a number");
  users[N + 1] = users[0]; /* a duplicate is accounted for too */
  wablock_fleet *fleet = three_numbers(NULL);
  wablock_fleet_results *r = NULL;
  CHECK_STATUS(wablock_fleet_block(fleet, users, INPUTS, NULL, 0, &r, NULL), WABLOCK_OK);
  CHECK(wablock_fleet_results_count(r) == 3);
  for (size_t i = 0; i < 3; i++) {
    wablock_fleet_entry e;
    CHECK_STATUS(wablock_fleet_results_get(r, i, &e, NULL), WABLOCK_OK);
    CHECK_STR(e.label, NUMBERS[i]);
    CHECK(e.label_len == 4);
    CHECK(e.error == NULL && !e.has_is_blocked && e.outcome != NULL);
    size_t ok = wablock_outcome_succeeded_count(e.outcome);
    size_t failed = wablock_outcome_failed_count(e.outcome);
    CHECK(ok + failed == INPUTS);
    CHECK(ok == N + 1 && failed == 1);
    CHECK(wablock_outcome_requests(e.outcome) == 3);
    /* Every input once, in input order, across the two lists. */
    size_t s = 0, f = 0;
    for (size_t k = 0; k < INPUTS; k++) {
      wablock_success sx;
      wablock_failure fx;
      if (s < ok && wablock_outcome_succeeded_get(e.outcome, s, &sx, NULL) == WABLOCK_OK &&
          sx.input_len == users[k].len && memcmp(sx.input, users[k].data, sx.input_len) == 0) {
        s++;
      } else if (f < failed && wablock_outcome_failed_get(e.outcome, f, &fx, NULL) == WABLOCK_OK &&
                 fx.input_len == users[k].len &&
                 memcmp(fx.input, users[k].data, fx.input_len) == 0) {
        CHECK(fx.reason == WABLOCK_REASON_INVALID_USER);
        f++;
      }
    }
    CHECK(s == ok && f == failed);
    CHECK(blocked_count(NUMBERS[i]) == N);
  }
  wablock_fleet_entry e;
  wablock_error *err = NULL;
  CHECK_STATUS(wablock_fleet_results_get(r, 3, &e, &err), WABLOCK_INVALID_ARGUMENT);
  wablock_error_free(err);
  wablock_fleet_results_free(r);
  wablock_fleet_free(fleet);
  free(users);
  free(texts);
  CHECK(sandbox_reset());
}

static void one_refused_token_leaves_the_others(void) {
  CHECK(sandbox_reset());
  CHECK(http_request("POST", "/_sandbox/config", "{\"open\":true}", NULL) == 200);
  const char *texts[3] = {"+16505550001", "+16505550002", "+16505550003"};
  wablock_str users[3];
  to_strs(texts, 3, users);
  wablock_fleet *fleet = three_numbers("1002");
  wablock_fleet_results *r = NULL;
  CHECK_STATUS(wablock_fleet_block(fleet, users, 3, NULL, 0, &r, NULL), WABLOCK_OK);
  for (size_t i = 0; i < 3; i++) {
    wablock_fleet_entry e;
    CHECK_STATUS(wablock_fleet_results_get(r, i, &e, NULL), WABLOCK_OK);
    if (i == 1) {
      CHECK(e.outcome == NULL && e.error != NULL);
      CHECK_STATUS(wablock_error_kind(e.error), WABLOCK_AUTH);
      CHECK(wablock_error_not_attempted_count(e.error) == 3);
    } else {
      CHECK(e.error == NULL && e.outcome != NULL);
      CHECK(wablock_outcome_succeeded_count(e.outcome) == 3);
    }
  }
  char *json = wablock_fleet_results_to_json(r);
  CHECK(json && strstr(json, "{\"fleet\":{\"1001\":{\"outcome\":") == json);
  CHECK(json && strstr(json, "\"1002\":{\"error\":{") != NULL);
  wablock_string_free(json);
  wablock_fleet_results_free(r);
  CHECK(blocked_count("1002") == 0);

  /* The walk merges the lists; the refused number's error is listed under its label. */
  wablock_fleet_blocklist *b = NULL;
  CHECK_STATUS(wablock_fleet_blocked_users(fleet, true, 2, NULL, 0, &b, NULL), WABLOCK_OK);
  CHECK(wablock_fleet_blocklist_user_count(b) == 3);
  wablock_fleet_blocked_user u;
  CHECK_STATUS(wablock_fleet_blocklist_user_get(b, 0, &u, NULL), WABLOCK_OK);
  CHECK_STR(u.wa_id, "16505550001");
  CHECK(u.blocked_on_count == 2);
  if (u.blocked_on_count == 2) {
    CHECK_STR(u.blocked_on[0], "1001");
    CHECK_STR(u.blocked_on[1], "1003");
  }
  CHECK(wablock_fleet_blocklist_error_count(b) == 1);
  wablock_fleet_walk_error we;
  CHECK_STATUS(wablock_fleet_blocklist_error_get(b, 0, &we, NULL), WABLOCK_OK);
  CHECK_STR(we.label, "1002");
  CHECK_STATUS(wablock_error_kind(we.error), WABLOCK_AUTH);
  wablock_fleet_blocklist_free(b);

  /* A chosen subset, and is_blocked per number. */
  const char *only[2] = {"1003", "1002"};
  wablock_str labels[2];
  to_strs(only, 2, labels);
  CHECK_STATUS(wablock_fleet_is_blocked(fleet, WS("16505550002"), labels, 2, &r, NULL),
               WABLOCK_OK);
  CHECK(wablock_fleet_results_count(r) == 2);
  wablock_fleet_entry e;
  CHECK_STATUS(wablock_fleet_results_get(r, 0, &e, NULL), WABLOCK_OK);
  CHECK_STR(e.label, "1003");
  CHECK(e.has_is_blocked && e.is_blocked && e.outcome == NULL && e.error == NULL);
  wablock_fleet_results_free(r);

  /* An unknown label refuses the call, worded by the core; nothing is written to results. */
  wablock_error *err = NULL;
  r = NULL;
  labels[0] = WS("9999");
  CHECK_STATUS(wablock_fleet_block(fleet, users, 3, labels, 1, &r, &err),
               WABLOCK_INVALID_ARGUMENT);
  CHECK(r == NULL);
  CHECK(err && strstr(wablock_error_message(err), "\"9999\"") != NULL);
  wablock_error_free(err);
  /* A label that is not UTF-8 is refused with the core's wording, naming the label. */
  err = NULL;
  labels[0] = (wablock_str){"\xff", 1};
  CHECK_STATUS(wablock_fleet_is_blocked(fleet, WS("16505550002"), labels, 1, &r, &err),
               WABLOCK_INVALID_ARGUMENT);
  CHECK(err && strstr(wablock_error_message(err), "label") != NULL);
  wablock_error_free(err);
  wablock_fleet_free(fleet);
  CHECK(sandbox_reset());
}

static void fleet_misuse(void) {
  wablock_error *err = NULL;
  wablock_fleet_builder *b = NULL;
  wablock_fleet *fleet = NULL;
  CHECK_STATUS(wablock_fleet_builder_new(&b, NULL), WABLOCK_OK);
  /* An empty fleet is refused by the core. */
  CHECK_STATUS(wablock_fleet_builder_build(b, &fleet, &err), WABLOCK_INVALID_ARGUMENT);
  CHECK(fleet == NULL && err != NULL);
  wablock_error_free(err);
  err = NULL;
  CHECK_STATUS(wablock_fleet_builder_add(b, WS("1001"), NULL, &err), WABLOCK_INVALID_ARGUMENT);
  wablock_error_free(err);
  wablock_client *c = number_client("1001", "sandbox-token");
  CHECK_STATUS(wablock_fleet_builder_add(b, WS("1001"), c, NULL), WABLOCK_OK);
  CHECK_STATUS(wablock_fleet_builder_add(b, WS("1001"), c, NULL), WABLOCK_OK);
  err = NULL;
  CHECK_STATUS(wablock_fleet_builder_build(b, &fleet, &err), WABLOCK_INVALID_ARGUMENT);
  CHECK(err && strstr(wablock_error_message(err), "used twice") != NULL);
  wablock_error_free(err);
  err = NULL;
  wablock_client_close(c);
  CHECK_STATUS(wablock_fleet_builder_add(b, WS("1002"), c, &err), WABLOCK_INVALID_ARGUMENT);
  wablock_error_free(err);
  wablock_client_free(c);
  wablock_fleet_builder_free(b);
  err = NULL;
  wablock_fleet_results *r = NULL;
  CHECK_STATUS(wablock_fleet_block(NULL, NULL, 0, NULL, 0, &r, &err), WABLOCK_INVALID_ARGUMENT);
  wablock_error_free(err);
  CHECK(wablock_fleet_results_count(NULL) == 0);
  CHECK(wablock_fleet_results_to_json(NULL) == NULL);
  CHECK(wablock_fleet_blocklist_user_count(NULL) == 0);
  CHECK(wablock_fleet_blocklist_to_json(NULL) == NULL);
  wablock_fleet_results_free(NULL);
  wablock_fleet_blocklist_free(NULL);
  wablock_fleet_free(NULL);
  wablock_fleet_builder_free(NULL);
}

/* A fleet under a triggered cancel handle: every number's entry is its own WABLOCK_CANCELLED
 * error listing every input as not attempted, nothing is sent, and the original fleet does
 * not observe the handle. */
static void cancelled_fleet_sends_nothing(void) {
  CHECK(sandbox_reset());
  CHECK(http_request("POST", "/_sandbox/config", "{\"open\":true}", NULL) == 200);
  const char *texts[2] = {"+16505550001", "+16505550002"};
  wablock_str users[2];
  to_strs(texts, 2, users);
  wablock_fleet *fleet = three_numbers(NULL);
  wablock_cancel *cancel = NULL;
  CHECK_STATUS(wablock_cancel_new(&cancel, NULL), WABLOCK_OK);
  wablock_fleet *watched = NULL;
  CHECK_STATUS(wablock_fleet_with_cancel(fleet, cancel, &watched, NULL), WABLOCK_OK);
  wablock_cancel_trigger(cancel);
  wablock_fleet_results *r = NULL;
  CHECK_STATUS(wablock_fleet_block(watched, users, 2, NULL, 0, &r, NULL), WABLOCK_OK);
  CHECK(wablock_fleet_results_count(r) == 3);
  for (size_t i = 0; i < 3; i++) {
    wablock_fleet_entry e;
    CHECK_STATUS(wablock_fleet_results_get(r, i, &e, NULL), WABLOCK_OK);
    CHECK(e.outcome == NULL && e.error != NULL);
    CHECK_STATUS(wablock_error_kind(e.error), WABLOCK_CANCELLED);
    CHECK(wablock_error_not_attempted_count(e.error) == 2);
  }
  wablock_fleet_results_free(r);
  char *log = NULL;
  CHECK(http_request("GET", "/_sandbox/requests", NULL, &log) == 200);
  CHECK(log && strcmp(log, "[]") == 0);
  free(log);
  /* The fleet it came from still works. */
  CHECK_STATUS(wablock_fleet_block(fleet, users, 2, NULL, 0, &r, NULL), WABLOCK_OK);
  wablock_fleet_entry e;
  CHECK_STATUS(wablock_fleet_results_get(r, 0, &e, NULL), WABLOCK_OK);
  CHECK(e.error == NULL && e.outcome != NULL);
  wablock_fleet_results_free(r);
  /* Misuse: NULLs are refused, never a crash. */
  CHECK_STATUS(wablock_fleet_with_cancel(NULL, cancel, &watched, NULL), WABLOCK_INVALID_ARGUMENT);
  wablock_fleet_free(watched);
  wablock_cancel_free(cancel);
  wablock_fleet_free(fleet);
}

void test_fleet(void) {
  fleet_misuse();
  three_numbers_block_2500_users();
  one_refused_token_leaves_the_others();
  cancelled_fleet_sends_nothing();
}
