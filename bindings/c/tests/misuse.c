/* Misuse of the C API: NULLs everywhere, freeing NULL, empty arrays, invalid UTF-8, bad
 * enums and indexes. None of it may crash; each gives WABLOCK_INVALID_ARGUMENT (or a NULL /
 * zero from an accessor) and leaves out-params untouched. Use after free is undefined
 * behaviour and deliberately not tested. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const char BAD_UTF8[] = {'1', '6', (char)0xff, (char)0xfe, '5', '\0'};

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
  CHECK(wablock_error_not_attempted_get(NULL, 0) == NULL);
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
  CHECK(wablock_status_name(13) == NULL);
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
  check_error(wablock_config_new_meta(NULL, "tok", &cfg, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "phone_number_id is NULL");
  CHECK(cfg == (wablock_config *)0x1);
  check_error(wablock_config_new_meta("1000", NULL, &cfg, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "access_token is NULL");
  check_error(wablock_config_new_meta("1000", BAD_UTF8, &cfg, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "not valid UTF-8");
  CHECK(cfg == (wablock_config *)0x1);
  check_error(wablock_config_new_meta("1000", "tok", NULL, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "config_out is NULL");
  check_error(wablock_config_new_360dialog(NULL, &cfg, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "api_key is NULL");
  /* A NULL err_out is allowed: only the status comes back. */
  CHECK_STATUS(wablock_config_new_360dialog(NULL, &cfg, NULL), WABLOCK_INVALID_ARGUMENT);

  check_error(wablock_config_set_base_url(NULL, "http://127.0.0.1:1", &err), &err,
              WABLOCK_INVALID_ARGUMENT, "config is NULL");
  check_error(wablock_config_set_max_batch(NULL, 10, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "config is NULL");
  check_error(wablock_config_set_deadline_ms(NULL, 10, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "config is NULL");

  cfg = NULL;
  CHECK_STATUS(wablock_config_new_meta("1000", "secret-token-xyz", &cfg, NULL), WABLOCK_OK);
  check_error(wablock_config_set_base_url(cfg, NULL, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "base_url is NULL");
  check_error(wablock_config_set_api_version(cfg, BAD_UTF8, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "api_version is not valid UTF-8");
  check_error(wablock_config_set_deadline_ms(cfg, -2, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "deadline_ms");
  CHECK_STATUS(wablock_config_set_deadline_ms(cfg, WABLOCK_UNSET, NULL), WABLOCK_OK);

  /* Settings are checked by the core when the client is built, with its messages. */
  wablock_client *client = (wablock_client *)0x1;
  CHECK_STATUS(wablock_config_set_parallelism(cfg, 0, NULL), WABLOCK_OK);
  check_error(wablock_client_new(cfg, &client, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "parallelism is 0");
  CHECK(client == (wablock_client *)0x1);
  CHECK_STATUS(wablock_config_set_parallelism(cfg, 2, NULL), WABLOCK_OK);
  CHECK_STATUS(wablock_config_set_base_url(cfg, "http://example.com", NULL), WABLOCK_OK);
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
  const char *users[] = {"16505551234", NULL};
  wablock_outcome *outcome = (wablock_outcome *)0x1;
  wablock_error *err = NULL;

  check_error(wablock_client_block(NULL, users, 1, &outcome, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "client is NULL");
  check_error(wablock_client_block(client, NULL, 2, &outcome, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "users is NULL");
  check_error(wablock_client_block(client, users, 2, &outcome, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "users[1] is NULL");
  err = NULL;
  /* Empty arrays: the core refuses them, NULL array or not. */
  check_error(wablock_client_block(client, NULL, 0, &outcome, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "empty");
  check_error(wablock_client_unblock(client, users, 0, &outcome, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "empty");
  const char *bad[] = {"16505551234", BAD_UTF8};
  check_error(wablock_client_block(client, bad, 2, &outcome, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "users[1] is not valid UTF-8");
  check_error(wablock_client_block(client, users, 1, NULL, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "outcome_out is NULL");
  check_error(wablock_client_mutate(client, 7, users, 1, NULL, NULL, &outcome, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "operation is 7");
  CHECK(outcome == (wablock_outcome *)0x1);
  /* Nothing above reached the server. */
  CHECK(sandbox_request_count() == 0);

  wablock_page *page = (wablock_page *)0x1;
  check_error(wablock_client_list_page(NULL, 10, NULL, NULL, &page, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "client is NULL");
  check_error(wablock_client_list_page(client, -5, NULL, NULL, &page, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "limit");
  check_error(wablock_client_list_page(client, 10, BAD_UTF8, NULL, &page, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "after is not valid UTF-8");
  check_error(wablock_client_list_page(client, 0, NULL, NULL, &page, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "limit must be at least 1");
  check_error(wablock_client_list_page(client, 10, "a", "b", &page, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "not both");
  CHECK(page == (wablock_page *)0x1);

  bool blocked = true;
  check_error(wablock_client_is_blocked(client, NULL, &blocked, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "user is NULL");
  check_error(wablock_client_is_blocked(client, BAD_UTF8, &blocked, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "user is not valid UTF-8");
  check_error(wablock_client_is_blocked(client, "16505551234", NULL, &err), &err,
              WABLOCK_INVALID_ARGUMENT, "blocked_out is NULL");
  CHECK(blocked == true);

  wablock_blocked_users *it = NULL;
  check_error(wablock_client_blocked_users(client, -3, &it, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "page_size");
  CHECK(it == NULL);
  wablock_blocked_user u;
  bool has = false;
  check_error(wablock_blocked_users_next(NULL, &u, &has, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "iter is NULL");
  CHECK_STATUS(wablock_client_blocked_users(client, WABLOCK_UNSET, &it, NULL), WABLOCK_OK);
  check_error(wablock_blocked_users_next(it, NULL, &has, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "user_out is NULL");
  check_error(wablock_blocked_users_next(it, &u, NULL, &err), &err, WABLOCK_INVALID_ARGUMENT,
              "has_user_out is NULL");
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
