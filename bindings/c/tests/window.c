/* The window (blocks that wait for the 24-hour window) through the C API, on the sandbox with
 * the 24-hour rule on and a SQLite store in a temp dir: a refused block is queued; a tampered
 * payload is refused with WABLOCK_SIGNATURE and nothing recorded; the signed payload of the
 * user's next message blocks them (the report carries the outcome); the queue is empty; the
 * same payload again changes nothing. Then misuse: NULLs, bad store locations, a malformed
 * body, no client for a number, a block call failing as a whole, cancel, close. Last,
 * wablock_window_with_cancel: a 64,000-user block_when_possible cancelled from another thread,
 * a cancelled ingest and process_pending that leave the queue intact, and its misuse. */
#define _XOPEN_SOURCE 700 /* mkdtemp, strdup, P_tmpdir */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define NUMBER "1000"
#define STALE "+16505550000"
#define APP_SECRET "sandbox-app-secret"

static char dir[512];

static void store_path(char *out, size_t n, const char *name) {
  /* dir fits in 512 bytes, names are short */
  snprintf(out, n, "%s/%s", dir, name);
}

/* A window over a new SQLite file in the temp dir, with the sandbox client for NUMBER (token
 * `token`) and, when `secret` is not NULL, that app secret. */
static wablock_window *new_window(const char *name, const char *token, const char *secret) {
  char path[600];
  store_path(path, sizeof path, name);
  wablock_window *w = NULL;
  wablock_error *err = NULL;
  wablock_status st = wablock_window_new(WS(path), &w, &err);
  CHECK_STATUS(st, WABLOCK_OK);
  if (st != WABLOCK_OK) {
    fprintf(stderr, "  %s\n", wablock_error_display(err));
    wablock_error_free(err);
    return NULL;
  }
  wablock_client *client = sandbox_client(token, 1000, 4);
  CHECK(client != NULL);
  CHECK_STATUS(wablock_window_add_client(w, WS(NUMBER), client, NULL), WABLOCK_OK);
  wablock_client_free(client); /* the window keeps its own reference */
  if (secret) CHECK_STATUS(wablock_window_set_app_secret(w, WS(secret), NULL), WABLOCK_OK);
  CHECK_STATUS(wablock_window_set_lease_ms(w, 30000, NULL), WABLOCK_OK);
  return w;
}

static size_t pending_count(const wablock_window *w) {
  wablock_pending_list *p = NULL;
  if (wablock_window_pending(w, &p, NULL) != WABLOCK_OK) return SIZE_MAX;
  size_t n = wablock_pending_list_count(p);
  wablock_pending_list_free(p);
  return n;
}

static wablock_window_state_kind state_of(const wablock_window *w, const char *user,
                                          int64_t *at_ms) {
  wablock_window_state s = {WABLOCK_WINDOW_UNKNOWN, -1};
  CHECK_STATUS(wablock_window_window_state(w, WS(NUMBER), WS(user), &s, NULL), WABLOCK_OK);
  if (at_ms) *at_ms = s.at_ms;
  return s.kind;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* POST /_sandbox/inbound for STALE: the sandbox records the message and returns the signed
 * webhook of it. Both strings are malloc'd. */
static bool inbound(char **body, char **signature) {
  char *resp = NULL;
  long status = http_request("POST", "/_sandbox/inbound",
                             "{\"phone_number_id\":\"" NUMBER "\",\"wa_id\":\"16505550000\"}",
                             &resp);
  cJSON *v = status == 200 ? cJSON_Parse(resp) : NULL;
  free(resp);
  const cJSON *b = cJSON_GetObjectItemCaseSensitive(v, "webhook_body");
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(v, "signature");
  bool ok = cJSON_IsString(b) && cJSON_IsString(s);
  if (ok) {
    *body = strdup(b->valuestring);
    *signature = strdup(s->valuestring);
  }
  cJSON_Delete(v);
  return ok;
}

static void refused_block_waits_for_the_next_message(void) {
  CHECK(sandbox_reset());
  wablock_window *w = new_window("flow.db", "sandbox-token", APP_SECRET);
  if (!w) return;

  /* 1. A refused block is queued. */
  wablock_str users[1] = {WS(STALE)};
  wablock_when_possible *r = NULL;
  CHECK_STATUS(wablock_window_block_when_possible(w, WS(NUMBER), users, 1, &r, NULL), WABLOCK_OK);
  const wablock_outcome *o = wablock_when_possible_outcome(r);
  CHECK(wablock_outcome_succeeded_count(o) == 0);
  CHECK(wablock_outcome_failed_count(o) == 1);
  wablock_failure f;
  CHECK_STATUS(wablock_outcome_failed_get(o, 0, &f, NULL), WABLOCK_OK);
  CHECK(f.reason == WABLOCK_REASON_REENGAGEMENT_REQUIRED);
  CHECK(f.has_code && f.code == 131047);
  CHECK(wablock_when_possible_queued_count(r) == 1);
  size_t len = 0;
  CHECK_STR(wablock_when_possible_queued_get(r, 0, &len), STALE);
  CHECK(len == strlen(STALE));
  CHECK(wablock_when_possible_queued_get(r, 1, &len) == NULL);
  char *json = wablock_when_possible_to_json(r);
  CHECK(json && strstr(json, "\"queued\":[\"" STALE "\"]") != NULL);
  CHECK(json && strncmp(json, "{\"outcome\":{", 12) == 0);
  wablock_string_free(json);
  wablock_when_possible_free(r);

  wablock_pending_list *p = NULL;
  CHECK_STATUS(wablock_window_pending(w, &p, NULL), WABLOCK_OK);
  CHECK(wablock_pending_list_count(p) == 1);
  wablock_pending_block pb;
  CHECK_STATUS(wablock_pending_list_get(p, 0, &pb, NULL), WABLOCK_OK);
  CHECK_STR(pb.phone_number_id, NUMBER);
  CHECK_STR(pb.user, "16505550000");
  CHECK_STR(pb.input, STALE);
  CHECK(pb.input_len == strlen(STALE));
  CHECK(pb.created_at_ms > now_ms() - 600000 && pb.created_at_ms <= now_ms());
  CHECK(pb.claim_owner == NULL && pb.claimed_until_ms == 0);
  json = wablock_pending_list_to_json(p);
  CHECK(json && strstr(json, "\"input\":\"" STALE "\"") && strncmp(json, "{\"pending\":[", 12) == 0);
  wablock_string_free(json);
  wablock_error *err = NULL;
  CHECK_STATUS(wablock_pending_list_get(p, 1, &pb, &err), WABLOCK_INVALID_ARGUMENT);
  wablock_error_free(err);
  wablock_pending_list_free(p);
  CHECK(state_of(w, STALE, NULL) == WABLOCK_WINDOW_UNKNOWN);

  /* The user writes in: the sandbox records it and signs the webhook of the message. */
  char *body = NULL, *signature = NULL;
  CHECK(inbound(&body, &signature));
  if (!body) {
    wablock_window_free(w);
    return;
  }
  size_t body_len = strlen(body);
  wablock_str sig = WS(signature);

  /* 2. A tampered payload is refused with SIGNATURE, and nothing of it is recorded. */
  char *tampered = strdup(body);
  tampered[body_len / 2] ^= 0x01;
  wablock_ingest_report *report = (wablock_ingest_report *)(uintptr_t)1; /* must stay untouched */
  err = NULL;
  CHECK_STATUS(wablock_window_ingest(w, (const uint8_t *)tampered, body_len, &sig, &report, &err),
               WABLOCK_SIGNATURE);
  CHECK(report == (wablock_ingest_report *)(uintptr_t)1);
  CHECK_STATUS(wablock_error_kind(err), WABLOCK_SIGNATURE);
  CHECK_STR(wablock_error_window_kind(err), "SIGNATURE");
  CHECK(strstr(wablock_error_message(err), "does not match") != NULL);
  CHECK(strncmp(wablock_error_display(err), "SIGNATURE: ", 11) == 0);
  CHECK(strstr(wablock_error_display(err), APP_SECRET) == NULL);
  CHECK(wablock_error_block_error(err) == NULL);
  /* The crate's JSON, in the core's error shape. */
  char *sig_json = wablock_error_to_json(err);
  CHECK(sig_json != NULL && strstr(sig_json, "\"kind\":\"SIGNATURE\"") != NULL &&
        strstr(sig_json, "\"not_attempted\":[]") != NULL &&
        strstr(sig_json, "\"http_status\":null") != NULL && strstr(sig_json, APP_SECRET) == NULL);
  wablock_string_free(sig_json);
  CHECK(wablock_error_not_attempted_count(err) == 0 && wablock_error_partial(err) == NULL);
  wablock_error_free(err);
  free(tampered);
  err = NULL;
  CHECK_STATUS(wablock_window_ingest(w, (const uint8_t *)body, body_len, NULL, &report, &err),
               WABLOCK_SIGNATURE);
  CHECK(err && strstr(wablock_error_message(err), "no X-Hub-Signature-256") != NULL);
  wablock_error_free(err);
  CHECK(state_of(w, STALE, NULL) == WABLOCK_WINDOW_UNKNOWN);
  CHECK(pending_count(w) == 1);

  /* 3. The signed payload of the next message blocks the user. */
  report = NULL;
  CHECK_STATUS(wablock_window_ingest(w, (const uint8_t *)body, body_len, &sig, &report, NULL),
               WABLOCK_OK);
  CHECK(wablock_ingest_report_messages(report) == 1);
  CHECK(wablock_ingest_report_new_messages(report) == 1);
  const wablock_queued_blocks *blocks = wablock_ingest_report_blocks(report);
  CHECK(wablock_queued_blocks_count(blocks) == 1);
  wablock_queued_block qb;
  CHECK_STATUS(wablock_queued_blocks_get(blocks, 0, &qb, NULL), WABLOCK_OK);
  CHECK_STR(qb.phone_number_id, NUMBER);
  CHECK_STR(qb.user, "16505550000");
  CHECK_STR(qb.input, STALE);
  CHECK(qb.input_len == strlen(STALE));
  CHECK(!qb.still_pending);
  CHECK(qb.error == NULL && qb.outcome != NULL);
  CHECK(wablock_outcome_succeeded_count(qb.outcome) == 1);
  wablock_success s;
  CHECK_STATUS(wablock_outcome_succeeded_get(qb.outcome, 0, &s, NULL), WABLOCK_OK);
  CHECK_STR(s.input, STALE);
  CHECK(qb.json && strstr(qb.json, "\"still_pending\":false") != NULL);
  json = wablock_ingest_report_to_json(report);
  CHECK(json && strncmp(json, "{\"ingest\":{\"blocks\":[{", 22) == 0);
  CHECK(json && strstr(json, "\"messages\":1,\"new_messages\":1}}") != NULL);
  wablock_string_free(json);
  wablock_ingest_report_free(report);

  /* 4. The queue is empty, and the user's window is open for about 24 hours. */
  CHECK(pending_count(w) == 0);
  int64_t until = 0;
  CHECK(state_of(w, STALE, &until) == WABLOCK_WINDOW_OPEN);
  CHECK(until > now_ms() + 23 * 3600 * 1000LL && until <= now_ms() + 24 * 3600 * 1000LL);

  /* 5. The same payload again changes nothing: no new message, no request. */
  int requests = sandbox_request_count();
  report = NULL;
  CHECK_STATUS(wablock_window_ingest(w, (const uint8_t *)body, body_len, &sig, &report, NULL),
               WABLOCK_OK);
  CHECK(wablock_ingest_report_messages(report) == 1);
  CHECK(wablock_ingest_report_new_messages(report) == 0);
  CHECK(wablock_queued_blocks_count(wablock_ingest_report_blocks(report)) == 0);
  wablock_ingest_report_free(report);
  CHECK(sandbox_request_count() == requests);
  CHECK(pending_count(w) == 0);

  /* process_pending finds nothing left either. */
  wablock_queued_blocks *left = NULL;
  CHECK_STATUS(wablock_window_process_pending(w, &left, NULL), WABLOCK_OK);
  CHECK(wablock_queued_blocks_count(left) == 0);
  wablock_queued_blocks_free(left);

  free(body);
  free(signature);
  wablock_window_free(w);
}

static void nulls_and_closed(void) {
  wablock_window *w = new_window("nulls.db", "sandbox-token", NULL);
  if (!w) return;
  wablock_error *err = NULL;
  wablock_pending_list *p = (wablock_pending_list *)(uintptr_t)1;
  CHECK_STATUS(wablock_window_pending(NULL, &p, &err), WABLOCK_INVALID_ARGUMENT);
  CHECK(p == (wablock_pending_list *)(uintptr_t)1);
  CHECK_STR(wablock_error_message(err), "window is NULL");
  CHECK(wablock_error_window_kind(err) == NULL); /* found by this library, not the window */
  wablock_error_free(err);
  CHECK_STATUS(wablock_window_pending(w, NULL, NULL), WABLOCK_INVALID_ARGUMENT);
  CHECK_STATUS(wablock_window_process_pending(w, NULL, NULL), WABLOCK_INVALID_ARGUMENT);
  wablock_window_state s;
  CHECK_STATUS(wablock_window_window_state(w, WS(NUMBER), WS(STALE), NULL, NULL),
               WABLOCK_INVALID_ARGUMENT);
  wablock_str null_user = {NULL, 3};
  CHECK_STATUS(wablock_window_window_state(w, WS(NUMBER), null_user, &s, NULL),
               WABLOCK_INVALID_ARGUMENT);
  err = NULL;
  CHECK_STATUS(wablock_window_window_state(w, WS(NUMBER), WS("not a user"), &s, &err),
               WABLOCK_INVALID_ARGUMENT);
  CHECK_STR(wablock_error_window_kind(err), "INVALID_ARGUMENT");
  wablock_error_free(err);
  wablock_ingest_report *report = NULL;
  CHECK_STATUS(wablock_window_ingest(w, NULL, 10, NULL, &report, NULL), WABLOCK_INVALID_ARGUMENT);
  CHECK_STATUS(wablock_window_add_client(w, WS(NUMBER), NULL, NULL), WABLOCK_INVALID_ARGUMENT);
  CHECK_STATUS(wablock_window_add_client(NULL, WS(NUMBER), NULL, NULL), WABLOCK_INVALID_ARGUMENT);
  wablock_str null_secret = {NULL, 4};
  CHECK_STATUS(wablock_window_set_app_secret(w, null_secret, NULL), WABLOCK_INVALID_ARGUMENT);
  CHECK_STATUS(wablock_window_set_lease_ms(NULL, 1, NULL), WABLOCK_INVALID_ARGUMENT);
  CHECK_STATUS(wablock_window_new(WS("x.db"), NULL, NULL), WABLOCK_INVALID_ARGUMENT);
  CHECK_STATUS(wablock_window_new_default(NULL, NULL), WABLOCK_INVALID_ARGUMENT);

  /* Every free and accessor is NULL-safe. */
  wablock_window_free(NULL);
  wablock_window_close(NULL);
  wablock_when_possible_free(NULL);
  wablock_ingest_report_free(NULL);
  wablock_queued_blocks_free(NULL);
  wablock_pending_list_free(NULL);
  wablock_cancelled_free(NULL);
  CHECK(wablock_when_possible_outcome(NULL) == NULL);
  CHECK(wablock_when_possible_queued_count(NULL) == 0);
  CHECK(wablock_when_possible_queued_get(NULL, 0, NULL) == NULL);
  CHECK(wablock_when_possible_to_json(NULL) == NULL);
  CHECK(wablock_ingest_report_blocks(NULL) == NULL);
  CHECK(wablock_ingest_report_messages(NULL) == 0);
  CHECK(wablock_ingest_report_to_json(NULL) == NULL);
  CHECK(wablock_queued_blocks_count(NULL) == 0);
  CHECK(wablock_pending_list_count(NULL) == 0);
  CHECK(wablock_pending_list_to_json(NULL) == NULL);
  CHECK(wablock_cancelled_count(NULL, WABLOCK_CANCELLED_CANCELLED) == 0);
  CHECK(wablock_cancelled_get(NULL, WABLOCK_CANCELLED_CANCELLED, 0, NULL, NULL) == NULL);
  CHECK(wablock_error_window_kind(NULL) == NULL);
  CHECK(wablock_error_block_error(NULL) == NULL);
  wablock_queued_block qb;
  CHECK_STATUS(wablock_queued_blocks_get(NULL, 0, &qb, NULL), WABLOCK_INVALID_ARGUMENT);

  /* Closed: every later call is refused; closing twice is harmless. */
  wablock_window_close(w);
  wablock_window_close(w);
  err = NULL;
  p = NULL;
  CHECK_STATUS(wablock_window_pending(w, &p, &err), WABLOCK_INVALID_ARGUMENT);
  CHECK(p == NULL);
  CHECK(err && strstr(wablock_error_message(err), "closed") != NULL);
  wablock_error_free(err);
  CHECK_STATUS(wablock_window_set_lease_ms(w, 1, NULL), WABLOCK_INVALID_ARGUMENT);
  wablock_window_free(w);
}

static void bad_store_locations(void) {
  wablock_window *w = NULL;
  wablock_error *err = NULL;
  CHECK_STATUS(wablock_window_new(WS("mysql://db.example/window"), &w, &err),
               WABLOCK_INVALID_ARGUMENT);
  CHECK(w == NULL);
  CHECK_STR(wablock_error_window_kind(err), "INVALID_ARGUMENT");
  CHECK(err && strstr(wablock_error_message(err), "scheme 'mysql'") != NULL);
  wablock_error_free(err);
  err = NULL;
  CHECK_STATUS(wablock_window_new(WS("  "), &w, &err), WABLOCK_INVALID_ARGUMENT);
  CHECK(err && strstr(wablock_error_message(err), "empty") != NULL);
  wablock_error_free(err);

  /* A directory that cannot be made: a regular file stands in its way. */
  char file[600], path[700];
  store_path(file, sizeof file, "a-file");
  FILE *fp = fopen(file, "w");
  CHECK(fp != NULL);
  if (fp) fclose(fp);
  snprintf(path, sizeof path, "%s/window.db", file);
  err = NULL;
  CHECK_STATUS(wablock_window_new(WS(path), &w, &err), WABLOCK_STORE);
  CHECK(w == NULL);
  CHECK_STR(wablock_error_window_kind(err), "STORE");
  CHECK(err && strstr(wablock_error_message(err), "cannot create the directory") != NULL);
  CHECK(err && strncmp(wablock_error_display(err), "STORE: ", 7) == 0);
  wablock_error_free(err);

  /* Nobody listens on port 1 of loopback: STORE, and the password is never quoted. */
  err = NULL;
  CHECK_STATUS(wablock_window_new(WS("postgres://wablock:hunter2-secret@127.0.0.1:1/db"), &w, &err),
               WABLOCK_STORE);
  CHECK(err && strstr(wablock_error_message(err), "cannot connect to the PostgreSQL store") != NULL);
  CHECK(err && strstr(wablock_error_display(err), "hunter2") == NULL);
  wablock_error_free(err);
  /* Not UTF-8. */
  char bad[] = {'w', (char)0xff, 0};
  CHECK_STATUS(wablock_window_new(WS(bad), &w, NULL), WABLOCK_INVALID_ARGUMENT);
}

static void malformed_body_records_nothing(void) {
  CHECK(sandbox_reset());
  wablock_window *w = new_window("malformed.db", "sandbox-token", NULL); /* no app secret */
  if (!w) return;
  const char *bodies[] = {"not json", "{}", "{\"object\":\"whatsapp_business_account\",\"entry\":[{"
                                             "\"changes\":[{\"field\":\"messages\",\"value\":{"
                                             "\"messages\":[{\"id\":\"wamid.1\"}]}}]}]}"};
  for (size_t i = 0; i < 3; i++) {
    wablock_ingest_report *report = NULL;
    wablock_error *err = NULL;
    CHECK_STATUS(wablock_window_ingest(w, (const uint8_t *)bodies[i], strlen(bodies[i]), NULL,
                                       &report, &err),
                 WABLOCK_MALFORMED);
    CHECK(report == NULL);
    CHECK_STR(wablock_error_window_kind(err), "MALFORMED");
    CHECK(err && strncmp(wablock_error_display(err), "MALFORMED: ", 11) == 0);
    wablock_error_free(err);
  }
  wablock_ingest_report *report = NULL;
  CHECK_STATUS(wablock_window_ingest(w, NULL, 0, NULL, &report, NULL), WABLOCK_MALFORMED);
  CHECK(state_of(w, "16505550000", NULL) == WABLOCK_WINDOW_UNKNOWN);
  wablock_window_free(w);
}

static void block_errors(void) {
  CHECK(sandbox_reset());
  wablock_window *w = new_window("errors.db", "not-the-token", APP_SECRET);
  if (!w) return;
  wablock_str users[2] = {WS(STALE), WS("+1 650 555 0101")};
  wablock_when_possible *r = NULL;
  wablock_error *err = NULL;

  /* No client for that number. */
  CHECK_STATUS(wablock_window_block_when_possible(w, WS("999"), users, 2, &r, &err),
               WABLOCK_INVALID_ARGUMENT);
  CHECK(r == NULL);
  CHECK_STR(wablock_error_window_kind(err), "INVALID_ARGUMENT");
  CHECK(err && strstr(wablock_error_message(err), "no client is configured for phone number id 999"));
  CHECK(wablock_error_block_error(err) == NULL);
  wablock_error_free(err);

  /* The block call fails as a whole: the core's status and accounting, nothing queued. */
  err = NULL;
  CHECK_STATUS(wablock_window_block_when_possible(w, WS(NUMBER), users, 2, &r, &err), WABLOCK_AUTH);
  CHECK(r == NULL);
  CHECK_STR(wablock_error_window_kind(err), "BLOCK");
  CHECK_STATUS(wablock_error_kind(err), WABLOCK_AUTH);
  const wablock_error *core = wablock_error_block_error(err);
  CHECK(core != NULL);
  CHECK_STATUS(wablock_error_kind(core), WABLOCK_AUTH);
  CHECK(wablock_error_window_kind(core) == NULL);
  CHECK(strncmp(wablock_error_display(err), "BLOCK: AUTH: ", 13) == 0);
  CHECK_STR(wablock_error_message(err), wablock_error_display(core));
  CHECK(wablock_error_not_attempted_count(err) == 2);
  CHECK(wablock_error_not_attempted_count(core) == 2);
  CHECK_STR(wablock_error_not_attempted_get(err, 1, NULL), "+1 650 555 0101");
  uint16_t http = 0;
  CHECK(wablock_error_http_status(err, &http) && http == 401);
  char *json = wablock_error_to_json(err);
  CHECK(json && strncmp(json, "{\"error\":{", 10) == 0 && strstr(json, "\"kind\":\"AUTH\""));
  wablock_string_free(json);
  CHECK(strstr(wablock_error_display(err), "not-the-token") == NULL);
  wablock_error_free(err);
  CHECK(pending_count(w) == 0);

  /* An empty list is the core's to refuse: BLOCK with the core's INVALID_ARGUMENT. */
  err = NULL;
  CHECK_STATUS(wablock_window_block_when_possible(w, WS(NUMBER), NULL, 0, &r, &err),
               WABLOCK_INVALID_ARGUMENT);
  CHECK_STR(wablock_error_window_kind(err), "BLOCK");
  CHECK(wablock_error_block_error(err) != NULL);
  wablock_error_free(err);
  wablock_window_free(w);
}

static void cancel_pending(void) {
  CHECK(sandbox_reset());
  wablock_window *w = new_window("cancel.db", "sandbox-token", APP_SECRET);
  if (!w) return;
  wablock_str users[1] = {WS(STALE)};
  wablock_when_possible *r = NULL;
  CHECK_STATUS(wablock_window_block_when_possible(w, WS(NUMBER), users, 1, &r, NULL), WABLOCK_OK);
  wablock_when_possible_free(r);
  CHECK(pending_count(w) == 1);

  wablock_str cancel[3] = {WS("1 650 555 0000"), WS("+1 650 555 0199"), WS("nope")};
  wablock_cancelled *c = NULL;
  CHECK_STATUS(wablock_window_cancel_pending(w, WS(NUMBER), cancel, 3, &c, NULL), WABLOCK_OK);
  CHECK(wablock_cancelled_count(c, WABLOCK_CANCELLED_CANCELLED) == 1);
  CHECK(wablock_cancelled_count(c, WABLOCK_CANCELLED_NOT_PENDING) == 1);
  CHECK(wablock_cancelled_count(c, WABLOCK_CANCELLED_INVALID) == 1);
  CHECK(wablock_cancelled_count(c, 7) == 0);
  size_t len = 0;
  CHECK_STR(wablock_cancelled_get(c, WABLOCK_CANCELLED_CANCELLED, 0, &len, NULL), "1 650 555 0000");
  CHECK(len == 14);
  CHECK_STR(wablock_cancelled_get(c, WABLOCK_CANCELLED_NOT_PENDING, 0, NULL, NULL),
            "+1 650 555 0199");
  const char *why = NULL;
  CHECK_STR(wablock_cancelled_get(c, WABLOCK_CANCELLED_INVALID, 0, NULL, &why), "nope");
  CHECK(why != NULL && strlen(why) > 0);
  CHECK(wablock_cancelled_get(c, WABLOCK_CANCELLED_INVALID, 1, NULL, NULL) == NULL);
  wablock_cancelled_free(c);
  CHECK(pending_count(w) == 0);

  wablock_error *err = NULL;
  c = NULL;
  CHECK_STATUS(wablock_window_cancel_pending(w, WS(NUMBER), NULL, 0, &c, &err),
               WABLOCK_INVALID_ARGUMENT);
  CHECK(c == NULL);
  CHECK_STR(wablock_error_window_kind(err), "INVALID_ARGUMENT");
  wablock_error_free(err);
  wablock_window_free(w);
}

/* A queued block that fails as a whole when taken up stays queued, with the core's error in
 * the report; process_pending makes it later without a new webhook. */
static void retryable_failure_stays_queued(void) {
  CHECK(sandbox_reset());
  wablock_window *w = new_window("retry.db", "sandbox-token", APP_SECRET);
  if (!w) return;
  wablock_str users[1] = {WS(STALE)};
  wablock_when_possible *r = NULL;
  CHECK_STATUS(wablock_window_block_when_possible(w, WS(NUMBER), users, 1, &r, NULL), WABLOCK_OK);
  wablock_when_possible_free(r);
  char *body = NULL, *signature = NULL;
  CHECK(inbound(&body, &signature));
  if (!body) {
    wablock_window_free(w);
    return;
  }
  /* The next request is throttled for longer than the backoff cap: RATE_LIMITED at once. */
  CHECK(http_request("POST", "/_sandbox/script",
                     "{\"responses\":[{\"status\":429,\"headers\":{\"Retry-After\":\"60\"},"
                     "\"json\":{\"error\":{\"message\":\"slow down\",\"type\":\"OAuthException\","
                     "\"code\":130429}}}]}",
                     NULL) == 200);
  wablock_str sig = WS(signature);
  wablock_ingest_report *report = NULL;
  CHECK_STATUS(wablock_window_ingest(w, (const uint8_t *)body, strlen(body), &sig, &report, NULL),
               WABLOCK_OK);
  const wablock_queued_blocks *blocks = wablock_ingest_report_blocks(report);
  CHECK(wablock_queued_blocks_count(blocks) == 1);
  wablock_queued_block qb;
  CHECK_STATUS(wablock_queued_blocks_get(blocks, 0, &qb, NULL), WABLOCK_OK);
  CHECK(qb.still_pending);
  CHECK(qb.outcome == NULL && qb.error != NULL);
  CHECK_STATUS(wablock_error_kind(qb.error), WABLOCK_RATE_LIMITED);
  CHECK(wablock_error_window_kind(qb.error) == NULL); /* the core's own error */
  CHECK(wablock_error_not_attempted_count(qb.error) == 1);
  CHECK(qb.json && strstr(qb.json, "\"error\":{") && strstr(qb.json, "\"still_pending\":true"));
  CHECK_STATUS(wablock_queued_blocks_get(blocks, 1, &qb, NULL), WABLOCK_INVALID_ARGUMENT);
  wablock_ingest_report_free(report);
  CHECK(pending_count(w) == 1);

  wablock_queued_blocks *done = NULL;
  CHECK_STATUS(wablock_window_process_pending(w, &done, NULL), WABLOCK_OK);
  CHECK(wablock_queued_blocks_count(done) == 1);
  CHECK_STATUS(wablock_queued_blocks_get(done, 0, &qb, NULL), WABLOCK_OK);
  CHECK(!qb.still_pending && qb.error == NULL);
  CHECK(wablock_outcome_succeeded_count(qb.outcome) == 1);
  wablock_queued_blocks_free(done);
  CHECK(pending_count(w) == 0);
  free(body);
  free(signature);
  wablock_window_free(w);
}

/* One window, 8 threads at once: reads, queueing and process_pending all succeed. */
static void *window_worker(void *arg) {
  const wablock_window *w = arg;
  long failures = 0;
  wablock_str users[1] = {WS(STALE)};
  for (int i = 0; i < 20; i++) {
    wablock_window_state s;
    wablock_pending_list *p = NULL;
    wablock_when_possible *r = NULL;
    wablock_queued_blocks *q = NULL;
    failures += wablock_window_window_state(w, WS(NUMBER), WS(STALE), &s, NULL) != WABLOCK_OK;
    failures += wablock_window_pending(w, &p, NULL) != WABLOCK_OK;
    failures += wablock_pending_list_count(p) != 1 && i > 0;
    failures += wablock_window_block_when_possible(w, WS(NUMBER), users, 1, &r, NULL) != WABLOCK_OK;
    failures += wablock_window_process_pending(w, &q, NULL) != WABLOCK_OK;
    wablock_pending_list_free(p);
    wablock_when_possible_free(r);
    wablock_queued_blocks_free(q);
  }
  return (void *)failures;
}

static void shared_by_threads(void) {
  CHECK(sandbox_reset());
  wablock_window *w = new_window("threads.db", "sandbox-token", APP_SECRET);
  if (!w) return;
  wablock_str users[1] = {WS(STALE)};
  wablock_when_possible *r = NULL;
  CHECK_STATUS(wablock_window_block_when_possible(w, WS(NUMBER), users, 1, &r, NULL), WABLOCK_OK);
  wablock_when_possible_free(r);
  pthread_t threads[8];
  for (int i = 0; i < 8; i++) CHECK(pthread_create(&threads[i], NULL, window_worker, w) == 0);
  for (int i = 0; i < 8; i++) {
    void *failures = NULL;
    CHECK(pthread_join(threads[i], &failures) == 0);
    CHECK(failures == NULL);
  }
  CHECK(pending_count(w) == 1); /* one row per user, however often queued */
  /* A setter while nothing is in flight still works; the window stays usable. */
  CHECK_STATUS(wablock_window_set_lease_ms(w, 1000, NULL), WABLOCK_OK);
  CHECK(pending_count(w) == 1);
  wablock_window_free(w);
}

/* ---------------------------------------------------------------- wablock_window_with_cancel */

#define MANY 64000
#define MANY_BASE 15550000000LL

struct window_call {
  const wablock_window *window;
  const wablock_str *users;
  wablock_when_possible *result;
  wablock_error *err;
  wablock_status status;
};

static void *run_block_when_possible(void *arg) {
  struct window_call *c = arg;
  c->status = wablock_window_block_when_possible(c->window, WS(NUMBER), c->users, MANY,
                                                 &c->result, &c->err);
  return NULL;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* A 64,000-user block_when_possible on a sandbox with 20 ms latency, cancelled from another
 * thread part-way: the core's CANCELLED behind a BLOCK error, every input in partial or
 * not_attempted, nothing queued; the parent window is unaffected. */
static void cancelled_block_when_possible(void) {
  CHECK(sandbox_reset());
  CHECK(http_request("POST", "/_sandbox/config", "{\"open\":true,\"latency_ms\":20}", NULL) == 200);
  wablock_window *w = new_window("cancel-block.db", "sandbox-token", NULL);
  char(*numbers)[16] = calloc(MANY, sizeof *numbers);
  wablock_str *users = calloc(MANY, sizeof *users);
  wablock_cancel *cancel = NULL;
  wablock_window *cancellable = NULL;
  CHECK_STATUS(wablock_cancel_new(&cancel, NULL), WABLOCK_OK);
  if (w) CHECK_STATUS(wablock_window_with_cancel(w, cancel, &cancellable, NULL), WABLOCK_OK);
  struct window_call c = {cancellable, users, NULL, NULL, WABLOCK_OK};
  if (!w || !numbers || !users || !cancellable) {
    CHECK(!"setup");
    goto out;
  }
  for (long i = 0; i < MANY; i++) {
    snprintf(numbers[i], sizeof numbers[i], "%lld", MANY_BASE + i);
    users[i] = wablock_str_from_cstr(numbers[i]);
  }
  pthread_t thread;
  CHECK(pthread_create(&thread, NULL, run_block_when_possible, &c) == 0);
  for (int waited = 0; sandbox_request_count() < 8 && waited < 30000; waited += 2) sleep_ms(2);
  wablock_cancel_trigger(cancel);
  pthread_join(thread, NULL);

  CHECK_STATUS(c.status, WABLOCK_CANCELLED);
  CHECK(c.result == NULL); /* out-params are written only on success */
  CHECK(c.err != NULL);
  if (!c.err) goto out;
  CHECK_STR(wablock_error_window_kind(c.err), "BLOCK");
  const wablock_error *core = wablock_error_block_error(c.err);
  CHECK(core != NULL);
  CHECK_STATUS(wablock_error_kind(core), WABLOCK_CANCELLED);
  CHECK(strncmp(wablock_error_display(c.err), "BLOCK: CANCELLED: ", 18) == 0);
  const wablock_outcome *partial = wablock_error_partial(c.err);
  size_t ok = partial ? wablock_outcome_succeeded_count(partial) : 0;
  size_t failed = partial ? wablock_outcome_failed_count(partial) : 0;
  size_t na = wablock_error_not_attempted_count(c.err);
  CHECK(partial != NULL);
  CHECK(ok + failed + na == MANY);
  CHECK(ok > 0 && na > 0);
  CHECK(failed == 0);
  int total = sandbox_request_count();
  CHECK(total < MANY / 1000); /* stopped part-way */
  CHECK(pending_count(w) == 0);  /* nothing queued */

  /* The handle stays cancelled: ingest and process_pending on the window refuse to start. */
  wablock_queued_blocks *q = NULL;
  wablock_error *err = NULL;
  CHECK_STATUS(wablock_window_process_pending(cancellable, &q, &err), WABLOCK_CANCELLED);
  CHECK(q == NULL);
  CHECK_STR(wablock_error_window_kind(err), "BLOCK");
  wablock_error_free(err);
  CHECK(sandbox_request_count() == total);
  /* The parent window is unaffected. */
  wablock_when_possible *r = NULL;
  CHECK_STATUS(wablock_window_block_when_possible(w, WS(NUMBER), users, 1, &r, NULL), WABLOCK_OK);
  CHECK(r && wablock_outcome_succeeded_count(wablock_when_possible_outcome(r)) == 1);
  wablock_when_possible_free(r);

out:
  wablock_error_free(c.err);
  wablock_when_possible_free(c.result);
  wablock_window_free(cancellable);
  wablock_cancel_free(cancel);
  wablock_window_free(w);
  free(numbers);
  free(users);
  CHECK(sandbox_reset());
}

/* Triggered before ingest: CANCELLED, nothing of the payload recorded, the queued block still
 * queued and no request sent; process_pending likewise; the parent window then makes the
 * block. Then the lifetime rules and the misuse of wablock_window_with_cancel. */
static void cancelled_ingest_keeps_the_queue(void) {
  CHECK(sandbox_reset());
  wablock_window *w = new_window("cancel-ingest.db", "sandbox-token", APP_SECRET);
  if (!w) return;
  wablock_str users[1] = {WS(STALE)};
  wablock_when_possible *r = NULL;
  CHECK_STATUS(wablock_window_block_when_possible(w, WS(NUMBER), users, 1, &r, NULL), WABLOCK_OK);
  wablock_when_possible_free(r);
  CHECK(pending_count(w) == 1);
  char *body = NULL, *signature = NULL;
  CHECK(inbound(&body, &signature));
  wablock_cancel *cancel = NULL;
  wablock_window *cancellable = NULL;
  CHECK_STATUS(wablock_cancel_new(&cancel, NULL), WABLOCK_OK);
  CHECK_STATUS(wablock_window_with_cancel(w, cancel, &cancellable, NULL), WABLOCK_OK);
  if (!body || !cancellable) goto out;
  int requests = sandbox_request_count();

  /* Not triggered: the new window reads the same store. */
  CHECK(pending_count(cancellable) == 1);
  wablock_cancel_trigger(cancel);
  wablock_str sig = WS(signature);
  size_t body_len = strlen(body);
  wablock_ingest_report *report = (wablock_ingest_report *)(uintptr_t)1; /* must stay untouched */
  wablock_error *err = NULL;
  CHECK_STATUS(wablock_window_ingest(cancellable, (const uint8_t *)body, body_len, &sig, &report,
                                     &err),
               WABLOCK_CANCELLED);
  CHECK(report == (wablock_ingest_report *)(uintptr_t)1);
  CHECK_STR(wablock_error_window_kind(err), "BLOCK");
  CHECK(wablock_error_block_error(err) != NULL &&
        wablock_error_kind(wablock_error_block_error(err)) == WABLOCK_CANCELLED);
  wablock_error_free(err);
  CHECK(state_of(w, STALE, NULL) == WABLOCK_WINDOW_UNKNOWN); /* nothing recorded */
  CHECK(pending_count(w) == 1);
  wablock_queued_blocks *q = (wablock_queued_blocks *)(uintptr_t)1;
  err = NULL;
  CHECK_STATUS(wablock_window_process_pending(cancellable, &q, &err), WABLOCK_CANCELLED);
  CHECK(q == (wablock_queued_blocks *)(uintptr_t)1);
  wablock_error_free(err);
  CHECK(pending_count(cancellable) == 1); /* store operations do not observe the handle */
  CHECK(state_of(cancellable, STALE, NULL) == WABLOCK_WINDOW_UNKNOWN);
  CHECK(sandbox_request_count() == requests);

  /* The parent is unaffected: the same payload blocks the user. */
  report = NULL;
  CHECK_STATUS(wablock_window_ingest(w, (const uint8_t *)body, body_len, &sig, &report, NULL),
               WABLOCK_OK);
  CHECK(wablock_queued_blocks_count(wablock_ingest_report_blocks(report)) == 1);
  wablock_ingest_report_free(report);
  CHECK(pending_count(w) == 0);

  /* A setter on the new window does not change the parent, nor the other way round; neither
   * is refused because of the other. */
  CHECK_STATUS(wablock_window_set_lease_ms(cancellable, 1000, NULL), WABLOCK_OK);
  CHECK_STATUS(wablock_window_set_lease_ms(w, 2000, NULL), WABLOCK_OK);

  /* Closing the parent does not close the new window (it shares the store), and a closed
   * window makes no new one. */
  wablock_window_close(w);
  CHECK(pending_count(cancellable) == 0);
  wablock_window *again = (wablock_window *)(uintptr_t)1;
  err = NULL;
  CHECK_STATUS(wablock_window_with_cancel(w, cancel, &again, &err), WABLOCK_INVALID_ARGUMENT);
  CHECK(again == (wablock_window *)(uintptr_t)1);
  CHECK(err && strstr(wablock_error_message(err), "closed") != NULL);
  CHECK(wablock_error_window_kind(err) == NULL);
  wablock_error_free(err);

out:
  free(body);
  free(signature);
  wablock_window_free(cancellable);
  wablock_cancel_free(cancel);
  wablock_window_free(w);
}

static void with_cancel_misuse(void) {
  wablock_window *w = new_window("cancel-misuse.db", "sandbox-token", NULL);
  wablock_cancel *cancel = NULL;
  CHECK_STATUS(wablock_cancel_new(&cancel, NULL), WABLOCK_OK);
  wablock_window *out = (wablock_window *)(uintptr_t)1;
  wablock_error *err = NULL;
  CHECK_STATUS(wablock_window_with_cancel(NULL, cancel, &out, &err), WABLOCK_INVALID_ARGUMENT);
  CHECK_STR(wablock_error_message(err), "window is NULL");
  wablock_error_free(err);
  err = NULL;
  CHECK_STATUS(wablock_window_with_cancel(w, NULL, &out, &err), WABLOCK_INVALID_ARGUMENT);
  CHECK_STR(wablock_error_message(err), "cancel is NULL");
  wablock_error_free(err);
  CHECK(out == (wablock_window *)(uintptr_t)1);
  err = NULL;
  CHECK_STATUS(wablock_window_with_cancel(w, cancel, NULL, &err), WABLOCK_INVALID_ARGUMENT);
  CHECK_STR(wablock_error_message(err), "window_out is NULL");
  wablock_error_free(err);
  CHECK_STATUS(wablock_window_with_cancel(NULL, NULL, NULL, NULL), WABLOCK_INVALID_ARGUMENT);
  /* The handle may be freed before the window made from it, and the parent before both. */
  out = NULL;
  CHECK_STATUS(wablock_window_with_cancel(w, cancel, &out, NULL), WABLOCK_OK);
  wablock_cancel_free(cancel);
  wablock_window_free(w);
  CHECK(out && pending_count(out) == 0);
  wablock_window_free(out);
}

void test_window(void) {
  const char *tmp = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/wablock-c-window-XXXXXX", tmp && *tmp ? tmp : P_tmpdir);
  if (!mkdtemp(dir)) {
    CHECK(!"mkdtemp");
    return;
  }
  refused_block_waits_for_the_next_message();
  nulls_and_closed();
  bad_store_locations();
  malformed_body_records_nothing();
  block_errors();
  cancel_pending();
  retryable_failure_stays_queued();
  shared_by_threads();
  cancelled_block_when_possible();
  cancelled_ingest_keeps_the_queue();
  with_cancel_misuse();
  CHECK_STR(wablock_status_name(WABLOCK_SIGNATURE), "SIGNATURE");
  CHECK_STR(wablock_status_name(WABLOCK_MALFORMED), "MALFORMED");
  CHECK_STR(wablock_status_name(WABLOCK_STORE), "STORE");
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  CHECK(system(cmd) == 0);
}
