/* Misuse of the C API: NULLs everywhere, freeing NULL, empty arrays, invalid UTF-8, bad
 * enums and indexes. None of it may crash; each gives WABLOCK_INVALID_ARGUMENT (or a NULL /
 * zero from an accessor) and leaves out-params untouched. Use after free is undefined
 * behaviour and deliberately not tested. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const char BAD_UTF8[] = {'1', '6', (char)0xff, (char)0xfe, '5', '\0'};
/* A NULL pointer with a length: the only wablock_str that is not a string. */
static const wablock_str NULL_STR = {NULL, 1};

/* The error written for a status: kind matches, message is non-empty, JSON is parseable. */
static void check_error(wablock_status st, wablock_error **errp, wablock_status want,
                        const char *message_part) {
  /* Read through the pointer: the call that filled it ran before this function. */
  wablock_error *err = *errp;
  *errp = NULL;
  CHECK_STATUS(st, want);
  CHECK(err != NULL);
  if (!err) return;
  CHECK_STATUS(wablock_error_kind(err), want);
  const char *msg = wablock_error_message(err);
  CHECK(msg != NULL && msg[0] != '\0');
  if (message_part && msg && !strstr(msg, message_part)) {
    fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", msg, message_part);
    CHECK(!"message names the argument");
  }
  CHECK(!wablock_error_retryable(err));
  char *json = wablock_error_to_json(err);
  CHECK(json != NULL && strncmp(json, "{\"error\":{", 10) == 0);
  wablock_string_free(json);
  wablock_error_free(err);
}

static void frees_accept_null(void) {
  wablock_config_free(NULL);
  wablock_client_free(NULL);
  wablock_outcome_free(NULL);
  wablock_error_free(NULL);
  wablock_client_close(NULL);
  wablock_page_free(NULL);
  wablock_blocked_users_free(NULL);
  wablock_string_free(NULL);
  CHECK(1);
}

static void accessors_accept_null(void) {
  CHECK(wablock_outcome_succeeded_count(NULL) == 0);
  CHECK(wablock_outcome_failed_count(NULL) == 0);
  CHECK(wablock_outcome_requests(NULL) == 0);
  CHECK(wablock_outcome_to_json(NULL) == NULL);
  CHECK(wablock_error_message(NULL) == NULL);
  CHECK(wablock_error_display(NULL) == NULL);
  CHECK_STATUS(wablock_error_kind(NULL), WABLOCK_INVALID_ARGUMENT);
  CHECK(!wablock_error_http_status(NULL, NULL));
  CHECK(!wablock_error_code(NULL, NULL));
  CHECK(!wablock_error_subcode(NULL, NULL));
  CHECK(wablock_error_details(NULL) == NULL);
  CHECK(wablock_error_fbtrace_id(NULL) == NULL);
  CHECK(!wablock_error_retryable(NULL));
  CHECK(!wablock_error_retry_after_ms(NULL, NULL));
  CHECK(wablock_error_partial(NULL) == NULL);
  CHECK(wablock_error_not_attempted_count(NULL) == 0);
  CHECK(wablock_error_not_attempted_get(NULL, 0, NULL) == NULL);
  /* NULL with length 0 is the empty string; wablock_str_from_cstr(NULL) gives it too. */
  CHECK(WS(NULL).data == NULL && WS(NULL).len == 0);
  CHECK(WS("ab").len == 2);
  CHECK(wablock_error_to_json(NULL) == NULL);
  CHECK(wablock_page_count(NULL) == 0);
  CHECK(wablock_page_after(NULL) == NULL);
  CHECK(wablock_page_before(NULL) == NULL);
  CHECK(!wablock_page_has_more(NULL));
  CHECK(wablock_page_to_json(NULL) == NULL);
  wablock_success s;
  wablock_failure f;
  wablock_blocked_user u;
  wablock_error *err = NULL;
  check_error(wablock_outcome_succeeded_get(NULL, 0, &s, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "outcome is NULL");
  check_error(wablock_outcome_failed_get(NULL, 0, &f, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "outcome is NULL");
  check_error(wablock_page_user_get(NULL, 0, &u, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "page is NULL");
}

static void names_and_versions(void) {
  CHECK_STR(wablock_status_name(WABLOCK_OK), "OK");
  CHECK_STR(wablock_status_name(WABLOCK_AUTH), "AUTH");
  CHECK_STR(wablock_status_name(WABLOCK_CANCELLED), "CANCELLED");
  CHECK_STR(wablock_status_name(WABLOCK_STORE), "STORE");
  CHECK(wablock_status_name(16) == NULL);
  CHECK(wablock_status_name(-1) == NULL);
  CHECK_STR(wablock_reason_name(WABLOCK_REASON_REENGAGEMENT_REQUIRED), "REENGAGEMENT_REQUIRED");
  CHECK_STR(wablock_reason_name(WABLOCK_REASON_OTHER), "OTHER");
  CHECK(wablock_reason_name(8) == NULL);
  CHECK(wablock_reason_hint(-1) == NULL);
  const char *hint = wablock_reason_hint(WABLOCK_REASON_SELF_BLOCK);
  CHECK(hint != NULL && strstr(hint, "cannot block itself") != NULL);
  CHECK(wablock_reason_hint(WABLOCK_REASON_SELF_BLOCK) == hint); /* static, stable */
  CHECK_STR(wablock_version(), WABLOCK_VERSION);
  CHECK(wablock_version_number() == WABLOCK_VERSION_NUMBER);
  CHECK(WABLOCK_VERSION_NUMBER ==
        WABLOCK_VERSION_MAJOR * 10000 + WABLOCK_VERSION_MINOR * 100 + WABLOCK_VERSION_PATCH);
}

static void config_misuse(void) {
  wablock_config *cfg = (wablock_config *)0x1; /* sentinel: must stay untouched */
  wablock_error *err = NULL;
  check_error(wablock_config_new_meta(NULL_STR, WS("tok"), &cfg, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "phone_number_id is NULL");
  CHECK(cfg == (wablock_config *)0x1);
  check_error(wablock_config_new_meta(WS("1000"), NULL_STR, &cfg, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "access_token is NULL");
  check_error(wablock_config_new_meta(WS("1000"), WS(BAD_UTF8), &cfg, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "not valid UTF-8");
  CHECK(cfg == (wablock_config *)0x1);
  check_error(wablock_config_new_meta(WS("1000"), WS("tok"), NULL, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "config_out is NULL");
  check_error(wablock_config_new_360dialog(NULL_STR, &cfg, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "api_key is NULL");
  /* A NULL err_out is allowed: only the status comes back. */
  CHECK_STATUS(wablock_config_new_360dialog(NULL_STR, &cfg, NULL), WABLOCK_INVALID_ARGUMENT);

  check_error(wablock_config_set_base_url(NULL, WS("http://127.0.0.1:1"), &err), &err,
              WABLOCK_INVALID_ARGUMENT, "config is NULL");
  check_error(wablock_config_set_max_batch(NULL, 10, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "config is NULL");
  check_error(wablock_config_set_deadline_ms(NULL, 10, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "config is NULL");

  cfg = NULL;
  CHECK_STATUS(wablock_config_new_meta(WS("1000"), WS("secret-token-xyz"), &cfg, NULL), WABLOCK_OK);
  check_error(wablock_config_set_base_url(cfg, NULL_STR, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "base_url is NULL");
  check_error(wablock_config_set_api_version(cfg, WS(BAD_UTF8), &err), &err,
              WABLOCK_INVALID_ARGUMENT, "api_version is not valid UTF-8");
  /* Negative numbers reach the core as passed, and its message names them. */
  check_error(wablock_config_set_deadline_ms(cfg, -1, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "deadline_ms is -1: it is out of range");
  check_error(wablock_config_set_connect_timeout_ms(cfg, -250, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "connect_timeout_ms is -250");
  check_error(wablock_config_set_max_batch(cfg, -3, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "max_batch is -3: it is out of range");
  check_error(wablock_config_set_retry_policy(cfg, 2, -10, 100, false, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "initial_backoff_ms is -10");
  CHECK_STATUS(wablock_config_set_deadline_ms(cfg, 0, NULL), WABLOCK_OK);
  CHECK_STATUS(wablock_config_clear_deadline(cfg, NULL), WABLOCK_OK);
  check_error(wablock_config_clear_deadline(NULL, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "config is NULL");

  /* Settings are checked by the core when the client is built, with its messages. */
  wablock_client *client = (wablock_client *)0x1;
  CHECK_STATUS(wablock_config_set_parallelism(cfg, 0, NULL), WABLOCK_OK);
  check_error(wablock_client_new(cfg, &client, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "parallelism is 0");
  CHECK(client == (wablock_client *)0x1);
  CHECK_STATUS(wablock_config_set_parallelism(cfg, 2, NULL), WABLOCK_OK);
  CHECK_STATUS(wablock_config_set_base_url(cfg, WS("http://example.com"), NULL), WABLOCK_OK);
  err = NULL;
  wablock_status st = wablock_client_new(cfg, &client, &err);
  CHECK_STATUS(st, WABLOCK_INVALID_ARGUMENT);
  /* The token never appears in any message or JSON. */
  char *json = wablock_error_to_json(err);
  CHECK(json && !strstr(json, "secret-token-xyz"));
  CHECK(!strstr(wablock_error_message(err), "secret-token-xyz"));
  wablock_string_free(json);
  wablock_error_free(err);
  check_error(wablock_client_new(NULL, &client, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "config is NULL");
  check_error(wablock_client_new(cfg, NULL, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "client_out is NULL");
  wablock_config_free(cfg);
}

static void client_misuse(void) {
  wablock_client *client = sandbox_client("sandbox-token", 1000, 1);
  CHECK(client != NULL);
  if (!client) return;
  CHECK(sandbox_reset());
  const wablock_str users[] = {WS("16505551234"), NULL_STR};
  wablock_outcome *outcome = (wablock_outcome *)0x1;
  wablock_error *err = NULL;

  check_error(wablock_client_block(NULL, users, 1, &outcome, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "client is NULL");
  check_error(wablock_client_block(client, NULL, 2, &outcome, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "users is NULL");
  check_error(wablock_client_block(client, users, 2, &outcome, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "user #1 is not text");
  err = NULL;
  /* Empty arrays: the core refuses them, NULL array or not. */
  check_error(wablock_client_block(client, NULL, 0, &outcome, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "empty");
  check_error(wablock_client_unblock(client, users, 0, &outcome, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "empty");
  const wablock_str bad[] = {WS("16505551234"), WS(BAD_UTF8)};
  check_error(wablock_client_block(client, bad, 2, &outcome, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "user #1 is not text");
  /* Refused arrays still account for every string passed (bad bytes become U+FFFD). */
  CHECK(wablock_client_block(client, bad, 2, &outcome, &err) == WABLOCK_INVALID_ARGUMENT);
  CHECK(wablock_error_not_attempted_count(err) == 2);
  CHECK(strcmp(wablock_error_not_attempted_get(err, 0, NULL), "16505551234") == 0);
  CHECK(strstr(wablock_error_not_attempted_get(err, 1, NULL), "\xEF\xBF\xBD") != NULL);
  wablock_error_free(err);
  err = NULL;
  check_error(wablock_client_block(client, users, 1, NULL, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "outcome_out is NULL");
  check_error(wablock_client_mutate(client, 7, users, 1, NULL, NULL, &outcome, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "operation is 7");
  wablock_operation op = WABLOCK_OPERATION_UNBLOCK;
  check_error(wablock_operation_from_name(WS("delete"), &op, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "operation is \"delete\"");
  CHECK(op == WABLOCK_OPERATION_UNBLOCK);
  CHECK_STATUS(wablock_operation_from_name(WS("block"), &op, NULL), WABLOCK_OK);
  CHECK(op == WABLOCK_OPERATION_BLOCK);
  CHECK(outcome == (wablock_outcome *)0x1);
  /* Nothing above reached the server. */
  CHECK(sandbox_request_count() == 0);

  wablock_page *page = (wablock_page *)0x1;
  check_error(wablock_client_list_page(NULL, true, 10, NULL, NULL, &page, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "client is NULL");
  const wablock_str bad_cursor = WS(BAD_UTF8), a = WS("a"), b = WS("b");
  check_error(wablock_client_list_page(client, true, -5, NULL, NULL, &page, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "limit is -5: it is out of range");
  check_error(wablock_client_list_page(client, true, 10, &bad_cursor, NULL, &page, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "after is not valid UTF-8");
  check_error(wablock_client_list_page(client, true, 0, NULL, NULL, &page, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "limit must be at least 1");
  check_error(wablock_client_list_page(client, true, 10, &a, &b, &page, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "not both");
  CHECK(page == (wablock_page *)0x1);

  bool blocked = true;
  check_error(wablock_client_is_blocked(client, NULL_STR, &blocked, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "user is NULL");
  check_error(wablock_client_is_blocked(client, WS(BAD_UTF8), &blocked, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "user is not valid UTF-8");
  check_error(wablock_client_is_blocked(client, WS("16505551234"), NULL, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "blocked_out is NULL");
  CHECK(blocked == true);

  wablock_blocked_users *it = NULL;
  check_error(wablock_client_blocked_users(client, true, -3, &it, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "page_size is -3: it is out of range");
  CHECK(it == NULL);
  wablock_blocked_user u;
  bool has = false;
  check_error(wablock_blocked_users_next(NULL, &u, &has, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "iter is NULL");
  CHECK_STATUS(wablock_client_blocked_users(client, false, 0, &it, NULL), WABLOCK_OK);
  check_error(wablock_blocked_users_next(it, NULL, &has, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "user_out is NULL");
  check_error(wablock_blocked_users_next(it, &u, NULL, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "has_user_out is NULL");
  check_error(wablock_blocked_users_collect_to_json(it, NULL, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "json_out is NULL");
  char *json = (char *)0x1;
  check_error(wablock_blocked_users_collect_to_json(NULL, &json, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "iter is NULL");
  CHECK(json == (char *)0x1);
  wablock_blocked_users_free(it);
  CHECK(sandbox_request_count() == 0);
  wablock_client_free(client);
}

void test_misuse(void) {
  frees_accept_null();
  accessors_accept_null();
  names_and_versions();
  config_misuse();
  client_misuse();
}
