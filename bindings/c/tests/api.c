/* The C API against the sandbox: outcomes with every per-user field, pages, the iterator,
 * is_blocked, whole-call errors with every docs/behaviour.md §3.2 field, and the progress callback. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static void block_outcome_fields(wablock_client *client) {
  CHECK(sandbox_reset());
  CHECK(sandbox_inbound("1000", "16505551234"));
  const char *names[] = {"+1 (650) 555-1234", "15550001111", "not a number", "16505551234"};
  wablock_str users[4];
  to_strs(names, 4, users);
  wablock_outcome *o = NULL;
  wablock_error *err = (wablock_error *)0x1; /* untouched on success */
  CHECK_STATUS(wablock_client_block(client, users, 4, &o, &err), WABLOCK_OK);
  CHECK(err == (wablock_error *)0x1);
  if (!o) return;
  CHECK(wablock_outcome_operation(o) == WABLOCK_OPERATION_BLOCK);
  CHECK(wablock_outcome_requests(o) == 1);
  /* Duplicates: both writings of the same number get the one result, in input order. */
  CHECK(wablock_outcome_succeeded_count(o) == 2);
  CHECK(wablock_outcome_failed_count(o) == 2);
  wablock_success s;
  CHECK_STATUS(wablock_outcome_succeeded_get(o, 0, &s, NULL), WABLOCK_OK);
  CHECK_STR(s.input, "+1 (650) 555-1234");
  CHECK(s.input_len == strlen("+1 (650) 555-1234"));
  CHECK_STR(s.sent, "+16505551234");
  CHECK_STR(s.wa_id, "16505551234");
  CHECK(s.user_id == NULL);
  CHECK_STATUS(wablock_outcome_succeeded_get(o, 1, &s, NULL), WABLOCK_OK);
  CHECK_STR(s.input, "16505551234");
  wablock_failure f;
  CHECK_STATUS(wablock_outcome_failed_get(o, 0, &f, NULL), WABLOCK_OK);
  CHECK_STR(f.input, "15550001111");
  CHECK_STR(f.sent, "15550001111");
  CHECK(f.reason == WABLOCK_REASON_REENGAGEMENT_REQUIRED);
  CHECK(f.has_code && f.code == 131047);
  CHECK(f.message != NULL && f.message[0] != '\0');
  CHECK_STR(f.hint, wablock_reason_hint(WABLOCK_REASON_REENGAGEMENT_REQUIRED));
  CHECK_STATUS(wablock_outcome_failed_get(o, 1, &f, NULL), WABLOCK_OK);
  CHECK_STR(f.input, "not a number");
  CHECK(f.sent == NULL);
  CHECK(f.reason == WABLOCK_REASON_INVALID_USER);
  CHECK(!f.has_code && f.code == 0);
  CHECK_STR(f.hint, wablock_reason_hint(WABLOCK_REASON_INVALID_USER));
  /* Out of range: an error, and the out-param stays as it was. */
  wablock_failure before = f;
  wablock_error *e2 = NULL;
  CHECK_STATUS(wablock_outcome_failed_get(o, 2, &f, &e2), WABLOCK_INVALID_ARGUMENT);
  CHECK(e2 && strstr(wablock_error_message(e2), "out of range"));
  CHECK(before.input == f.input && before.reason == f.reason && before.hint == f.hint);
  wablock_error_free(e2);
  CHECK_STATUS(wablock_outcome_succeeded_get(o, 99, &s, NULL), WABLOCK_INVALID_ARGUMENT);
  char *json = wablock_outcome_to_json(o);
  CHECK(json && strncmp(json, "{\"outcome\":{\"failed\":[", 22) == 0);
  CHECK(json && strstr(json, "\"requests\":1"));
  wablock_string_free(json);
  wablock_outcome_free(o);
}

static void listing(wablock_client *client) {
  /* The blocklist holds 16505551234 from the previous test. */
  wablock_page *page = NULL;
  CHECK_STATUS(wablock_client_list_page(client, true, 10, NULL, NULL, &page, NULL), WABLOCK_OK);
  if (page) {
    CHECK(wablock_page_count(page) == 1);
    wablock_blocked_user u;
    CHECK_STATUS(wablock_page_user_get(page, 0, &u, NULL), WABLOCK_OK);
    CHECK_STR(u.wa_id, "16505551234");
    CHECK_STATUS(wablock_page_user_get(page, 1, &u, NULL), WABLOCK_INVALID_ARGUMENT);
    /* An after cursor came with a non-empty page: more may follow (behaviour 3.4). */
    CHECK(wablock_page_has_more(page));
    char *json = wablock_page_to_json(page);
    CHECK(json && strncmp(json, "{\"page\":{", 9) == 0);
    wablock_string_free(json);
    wablock_page_free(page);
  }
  wablock_blocked_users *it = NULL;
  CHECK_STATUS(wablock_client_blocked_users(client, true, 1, &it, NULL), WABLOCK_OK);
  wablock_blocked_user u = {0};
  bool has = false;
  CHECK_STATUS(wablock_blocked_users_next(it, &u, &has, NULL), WABLOCK_OK);
  CHECK(has);
  CHECK_STR(u.wa_id, "16505551234");
  CHECK_STATUS(wablock_blocked_users_next(it, &u, &has, NULL), WABLOCK_OK);
  CHECK(!has);
  CHECK_STATUS(wablock_blocked_users_next(it, &u, &has, NULL), WABLOCK_OK);
  CHECK(!has);
  wablock_blocked_users_free(it);

  bool blocked = false;
  CHECK_STATUS(wablock_client_is_blocked(client, WS("+1 650 555 1234"), &blocked, NULL), WABLOCK_OK);
  CHECK(blocked);
  CHECK_STATUS(wablock_client_is_blocked(client, WS("15550001111"), &blocked, NULL), WABLOCK_OK);
  CHECK(!blocked);
  wablock_error *err = NULL;
  CHECK_STATUS(wablock_client_is_blocked(client, WS("not a number"), &blocked, &err),
               WABLOCK_INVALID_ARGUMENT);
  wablock_error_free(err);

  const wablock_str users[] = {WS("16505551234")};
  wablock_outcome *o = NULL;
  CHECK_STATUS(wablock_client_unblock(client, users, 1, &o, NULL), WABLOCK_OK);
  CHECK(wablock_outcome_operation(o) == WABLOCK_OPERATION_UNBLOCK);
  CHECK(wablock_outcome_succeeded_count(o) == 1);
  wablock_outcome_free(o);
  CHECK_STATUS(wablock_client_is_blocked(client, WS("16505551234"), &blocked, NULL), WABLOCK_OK);
  CHECK(!blocked);
}

/* A NUL inside one user is data: that user alone fails as INVALID_USER, its input comes back
 * whole (input_len), and the others go through. */
static void nul_in_one_user(wablock_client *client) {
  CHECK(sandbox_reset());
  CHECK(sandbox_inbound("1000", "16505551234"));
  static const char with_nul[] = "16505\0" "551234";
  const wablock_str users[] = {WS("16505551234"), {with_nul, sizeof with_nul - 1}};
  wablock_outcome *o = NULL;
  CHECK_STATUS(wablock_client_block(client, users, 2, &o, NULL), WABLOCK_OK);
  if (!o) return;
  CHECK(wablock_outcome_succeeded_count(o) == 1);
  CHECK(wablock_outcome_failed_count(o) == 1);
  wablock_failure f;
  CHECK_STATUS(wablock_outcome_failed_get(o, 0, &f, NULL), WABLOCK_OK);
  CHECK(f.reason == WABLOCK_REASON_INVALID_USER);
  CHECK(f.input_len == sizeof with_nul - 1 && memcmp(f.input, with_nul, f.input_len) == 0);
  CHECK(f.sent == NULL);
  CHECK(strstr(f.message, "control character U+0000") != NULL);
  char *json = wablock_outcome_to_json(o);
  CHECK(json && strstr(json, "\"input\":\"16505\\u0000551234\""));
  wablock_string_free(json);
  wablock_outcome_free(o);
  /* Only the valid user was sent. */
  CHECK(sandbox_request_count() == 1);
}

/* After wablock_client_close every call fails with the core's "client is closed" error, and
 * nothing is sent; an iterator made before the close keeps working. */
static void closed_client(void) {
  CHECK(sandbox_reset());
  wablock_client *client = sandbox_client("sandbox-token", 1000, 1);
  CHECK(client != NULL);
  if (!client) return;
  wablock_blocked_users *it = NULL;
  CHECK_STATUS(wablock_client_blocked_users(client, false, 0, &it, NULL), WABLOCK_OK);
  wablock_client_close(client);
  wablock_client_close(client); /* twice is harmless */
  wablock_client_close(NULL);
  const wablock_str users[] = {WS("16505551234")};
  wablock_outcome *o = (wablock_outcome *)0x1;
  wablock_error *err = NULL;
  CHECK_STATUS(wablock_client_block(client, users, 1, &o, &err), WABLOCK_INVALID_ARGUMENT);
  CHECK(o == (wablock_outcome *)0x1);
  CHECK(err && strstr(wablock_error_message(err), "the client is closed"));
  /* The accounting rule holds: the refused call lists its input as not attempted. */
  CHECK(err && wablock_error_not_attempted_count(err) == 1);
  wablock_error_free(err);
  err = NULL;
  wablock_page *page = NULL;
  CHECK_STATUS(wablock_client_list_page(client, false, 0, NULL, NULL, &page, &err),
               WABLOCK_INVALID_ARGUMENT);
  CHECK(err && strstr(wablock_error_message(err), "the client is closed"));
  wablock_error_free(err);
  bool blocked = true;
  CHECK_STATUS(wablock_client_is_blocked(client, WS("16505551234"), &blocked, NULL),
               WABLOCK_INVALID_ARGUMENT);
  CHECK(blocked);
  wablock_blocked_users *it2 = (wablock_blocked_users *)0x1;
  CHECK_STATUS(wablock_client_blocked_users(client, false, 0, &it2, NULL),
               WABLOCK_INVALID_ARGUMENT);
  CHECK(it2 == (wablock_blocked_users *)0x1);
  CHECK(sandbox_request_count() == 0);
  wablock_blocked_user u;
  bool has = true;
  CHECK_STATUS(wablock_blocked_users_next(it, &u, &has, NULL), WABLOCK_OK);
  CHECK(!has);
  CHECK(sandbox_request_count() == 1);
  wablock_blocked_users_free(it);
  wablock_client_free(client);
}

/* A config with a deadline shorter than a slow answer times out; the same config with the
 * deadline cleared waits for the answer. */
static void deadline_set_and_clear(void) {
  const char *slow_page =
      "{\"responses\":[{\"status\":200,\"json\":{\"data\":[],\"paging\":{}},\"delay_ms\":400}]}";
  wablock_config *cfg = NULL;
  CHECK_STATUS(wablock_config_new_meta(WS("1000"), WS("sandbox-token"), &cfg, NULL), WABLOCK_OK);
  if (!cfg) return;
  CHECK_STATUS(wablock_config_set_base_url(cfg, WS(sandbox_base), NULL), WABLOCK_OK);
  CHECK_STATUS(wablock_config_set_retry_policy(cfg, 1, 1, 1, false, NULL), WABLOCK_OK);
  CHECK_STATUS(wablock_config_set_deadline_ms(cfg, 100, NULL), WABLOCK_OK);
  for (int cleared = 0; cleared < 2; cleared++) {
    if (cleared) CHECK_STATUS(wablock_config_clear_deadline(cfg, NULL), WABLOCK_OK);
    CHECK(sandbox_reset());
    CHECK(http_request("POST", "/_sandbox/script", slow_page, NULL) == 200);
    wablock_client *client = NULL;
    CHECK_STATUS(wablock_client_new(cfg, &client, NULL), WABLOCK_OK);
    wablock_page *page = NULL;
    wablock_error *err = NULL;
    wablock_status st = wablock_client_list_page(client, false, 0, NULL, NULL, &page, &err);
    CHECK_STATUS(st, cleared ? WABLOCK_OK : WABLOCK_TIMEOUT);
    if (!cleared) CHECK(err && strstr(wablock_error_message(err), "deadline"));
    wablock_error_free(err);
    wablock_page_free(page);
    wablock_client_free(client);
  }
  wablock_config_free(cfg);
}

/* has_limit: without it wablock's default page size (100) is sent, with it the caller's. */
static void limit_flag(wablock_client *client) {
  const bool has[] = {false, true};
  for (int i = 0; i < 2; i++) {
    CHECK(sandbox_reset());
    wablock_page *page = NULL;
    CHECK_STATUS(wablock_client_list_page(client, has[i], 7, NULL, NULL, &page, NULL),
                 WABLOCK_OK);
    wablock_page_free(page);
    char *log = NULL;
    CHECK(http_request("GET", "/_sandbox/requests", NULL, &log) == 200);
    CHECK(log && (strstr(log, "limit=7") != NULL) == has[i]);
    CHECK(log && (strstr(log, "limit=100") != NULL) == !has[i]);
    free(log);
  }
}

/* The walk's and is_blocked's JSON shapes come from the core. */
static void walk_json_from_core(wablock_client *client) {
  CHECK(sandbox_reset());
  CHECK(sandbox_inbound("1000", "16505551234"));
  const wablock_str users[] = {WS("16505551234")};
  wablock_outcome *o = NULL;
  CHECK_STATUS(wablock_client_block(client, users, 1, &o, NULL), WABLOCK_OK);
  wablock_outcome_free(o);
  wablock_blocked_users *it = NULL;
  CHECK_STATUS(wablock_client_blocked_users(client, true, 1, &it, NULL), WABLOCK_OK);
  char *json = NULL;
  CHECK_STATUS(wablock_blocked_users_collect_to_json(it, &json, NULL), WABLOCK_OK);
  CHECK_STR(json, "{\"blocked_users\":{\"error\":null,\"users\":[{\"user_id\":null,"
                  "\"wa_id\":\"16505551234\"}]}}");
  wablock_string_free(json);
  /* The walk is over: a second collect has no user left. */
  json = NULL;
  CHECK_STATUS(wablock_blocked_users_collect_to_json(it, &json, NULL), WABLOCK_OK);
  CHECK_STR(json, "{\"blocked_users\":{\"error\":null,\"users\":[]}}");
  wablock_string_free(json);
  wablock_blocked_users_free(it);
  json = wablock_is_blocked_to_json(true);
  CHECK_STR(json, "{\"is_blocked\":true}");
  wablock_string_free(json);
  json = wablock_is_blocked_to_json(false);
  CHECK_STR(json, "{\"is_blocked\":false}");
  wablock_string_free(json);
  /* Any JSON text in the core's canonical form: keys sorted at every level, compact. */
  json = NULL;
  CHECK_STATUS(wablock_canonical_json(WS("{ \"b\": [1, {\"d\": null, \"c\": \"x\"}], \"a\": true }"),
                                      &json, NULL),
               WABLOCK_OK);
  CHECK_STR(json, "{\"a\":true,\"b\":[1,{\"c\":\"x\",\"d\":null}]}");
  wablock_string_free(json);
  char *untouched = (char *)0x1;
  wablock_error *err = NULL;
  CHECK_STATUS(wablock_canonical_json(WS("{not json"), &untouched, &err), WABLOCK_INVALID_ARGUMENT);
  CHECK(untouched == (char *)0x1);
  CHECK(err && strstr(wablock_error_message(err), "not JSON"));
  wablock_error_free(err);
}

static void auth_error_fields(void) {
  CHECK(sandbox_reset());
  wablock_client *bad = sandbox_client("wrong-secret-token", 1000, 1);
  CHECK(bad != NULL);
  const wablock_str users[] = {WS("+1 650 555 1234"), WS("15550001111")};
  wablock_outcome *o = (wablock_outcome *)0x1;
  wablock_error *err = NULL;
  CHECK_STATUS(wablock_client_block(bad, users, 2, &o, &err), WABLOCK_AUTH);
  CHECK(o == (wablock_outcome *)0x1);
  CHECK(err != NULL);
  if (err) {
    CHECK_STATUS(wablock_error_kind(err), WABLOCK_AUTH);
    uint16_t http = 0;
    int64_t code = 0, sub = 12345;
    uint64_t ra = 7;
    CHECK(wablock_error_http_status(err, &http) && http == 401);
    CHECK(wablock_error_code(err, &code) && code == 190);
    CHECK(wablock_error_http_status(err, NULL)); /* NULL out: presence only */
    CHECK(!wablock_error_subcode(err, &sub) && sub == 12345);
    CHECK(!wablock_error_retryable(err));
    CHECK(!wablock_error_retry_after_ms(err, &ra) && ra == 7);
    CHECK(wablock_error_fbtrace_id(err) != NULL);
    CHECK(wablock_error_partial(err) == NULL);
    CHECK(wablock_error_not_attempted_count(err) == 2);
    size_t len = 0;
    CHECK_STR(wablock_error_not_attempted_get(err, 0, &len), "+1 650 555 1234");
    CHECK(len == strlen("+1 650 555 1234"));
    CHECK_STR(wablock_error_not_attempted_get(err, 1, NULL), "15550001111");
    CHECK(wablock_error_not_attempted_get(err, 2, &len) == NULL);
    /* The core's one-line text, as every language shows it. */
    CHECK_STR(wablock_error_display(err), "AUTH: Invalid OAuth access token - Cannot parse access token (code 190)");
    char *json = wablock_error_to_json(err);
    CHECK(json && strstr(json, "\"kind\":\"AUTH\""));
    CHECK(json && !strstr(json, "wrong-secret-token"));
    CHECK(!strstr(wablock_error_message(err), "wrong-secret-token"));
    wablock_string_free(json);
    wablock_error_free(err);
  }
  wablock_client_free(bad);
}

static void rate_limit_retry_after(wablock_client *client) {
  CHECK(sandbox_reset());
  /* A wait longer than the backoff cap is not slept: RATE_LIMITED with retry_after. */
  const char *script =
      "{\"responses\":[{\"status\":429,\"headers\":{\"Retry-After\":\"60\"},"
      "\"json\":{\"error\":{\"message\":\"slow down\",\"type\":\"OAuthException\",\"code\":130429,"
      "\"fbtrace_id\":\"Atrace\"}}}]}";
  CHECK(http_request("POST", "/_sandbox/script", script, NULL) == 200);
  const wablock_str users[] = {WS("16505551234")};
  wablock_outcome *o = NULL;
  wablock_error *err = NULL;
  CHECK_STATUS(wablock_client_block(client, users, 1, &o, &err), WABLOCK_RATE_LIMITED);
  if (err) {
    uint64_t ms = 0;
    CHECK(wablock_error_retry_after_ms(err, &ms) && ms == 60000);
    CHECK(wablock_error_retryable(err));
    CHECK_STR(wablock_error_fbtrace_id(err), "Atrace");
    wablock_error_free(err);
  }
}

struct progress_log {
  int calls;
  size_t last_done, last_total;
  int cancel_at; /* call number that cancels, 0 = never */
};

static int on_progress(size_t done, size_t total, void *user_data) {
  struct progress_log *log = user_data;
  log->calls++;
  log->last_done = done;
  log->last_total = total;
  return log->cancel_at != 0 && log->calls >= log->cancel_at;
}

static void progress_and_cancel(void) {
  CHECK(sandbox_reset());
  const char *names[] = {"16505550001", "16505550002", "16505550003", "16505550004"};
  wablock_str users[4];
  to_strs(names, 4, users);
  for (int i = 0; i < 4; i++) CHECK(sandbox_inbound("1000", names[i]));
  wablock_client *client = sandbox_client("sandbox-token", 1, 1); /* one user per batch */
  struct progress_log log = {0, 0, 0, 0};
  wablock_outcome *o = NULL;
  CHECK_STATUS(wablock_client_mutate(client, WABLOCK_OPERATION_BLOCK, users, 4, on_progress, &log,
                                     &o, NULL),
               WABLOCK_OK);
  CHECK(log.calls == 4);
  CHECK(log.last_done == 4 && log.last_total == 4);
  CHECK(wablock_outcome_succeeded_count(o) == 4);
  wablock_outcome_free(o);

  struct progress_log cancel = {0, 0, 0, 1};
  wablock_error *err = NULL;
  o = NULL;
  CHECK_STATUS(wablock_client_mutate(client, WABLOCK_OPERATION_UNBLOCK, users, 4, on_progress,
                                     &cancel, &o, &err),
               WABLOCK_CANCELLED);
  CHECK(o == NULL);
  CHECK(cancel.calls == 1);
  if (err) {
    const wablock_outcome *partial = wablock_error_partial(err);
    CHECK(partial != NULL);
    size_t done = wablock_outcome_succeeded_count(partial) + wablock_outcome_failed_count(partial);
    /* Accounting: every input is in partial or not_attempted, exactly once. */
    CHECK(done == 1);
    CHECK(done + wablock_error_not_attempted_count(err) == 4);
    CHECK(wablock_outcome_operation(partial) == WABLOCK_OPERATION_UNBLOCK);
    wablock_error_free(err);
  }
  wablock_client_free(client);
}

void test_api(void) {
  wablock_client *client = sandbox_client("sandbox-token", 1000, 1);
  CHECK(client != NULL);
  if (!client) return;
  block_outcome_fields(client);
  listing(client);
  nul_in_one_user(client);
  limit_flag(client);
  walk_json_from_core(client);
  closed_client();
  deadline_set_and_clear();
  auth_error_fields();
  rate_limit_retry_after(client);
  progress_and_cancel();
  wablock_client_free(client);
}
