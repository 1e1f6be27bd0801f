#define _POSIX_C_SOURCE 200809L
/* Cancellation (wablock_cancel): a 64,000-user block on a sandbox with latency, triggered from
 * another thread part-way, stops within one batch and still accounts for every input; misuse
 * of the handle; the deadline. */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

#define USERS 64000
#define PARALLELISM 4
#define BASE 15550000000LL

struct call {
  const wablock_client *client;
  const wablock_str *users;
  wablock_outcome *outcome;
  wablock_error *err;
  wablock_status status;
};

static void *run_block(void *arg) {
  struct call *c = arg;
  c->status = wablock_client_block(c->client, c->users, USERS, &c->outcome, &c->err);
  return NULL;
}

/* The index of a generated user ("1555" + 7 digits, possibly with a leading '+'), or -1. */
static long user_index(const char *s) {
  if (!s) return -1;
  if (*s == '+') s++;
  char *end = NULL;
  long long v = strtoll(s, &end, 10);
  if (!end || *end != '\0' || v < BASE || v >= BASE + USERS) return -1;
  return (long)(v - BASE);
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void cancel_part_way(void) {
  CHECK(sandbox_reset());
  CHECK(http_request("POST", "/_sandbox/config", "{\"open\":true,\"latency_ms\":20}", NULL) == 200);
  wablock_client *client = sandbox_client("sandbox-token", 1000, PARALLELISM);
  wablock_cancel *cancel = NULL;
  wablock_client *cancellable = NULL;
  CHECK_STATUS(wablock_cancel_new(&cancel, NULL), WABLOCK_OK);
  CHECK_STATUS(wablock_client_with_cancel(client, cancel, &cancellable, NULL), WABLOCK_OK);
  char (*numbers)[16] = calloc(USERS, sizeof *numbers);
  wablock_str *users = calloc(USERS, sizeof *users);
  unsigned char *seen = calloc(USERS, 1);
  unsigned char *sent = calloc(USERS, 1);
  if (!client || !cancellable || !numbers || !users || !seen || !sent) {
    CHECK(!"setup");
    goto out;
  }
  for (long i = 0; i < USERS; i++) {
    snprintf(numbers[i], sizeof numbers[i], "%lld", BASE + i);
    users[i] = wablock_str_from_cstr(numbers[i]);
  }

  struct call c = {cancellable, users, NULL, NULL, WABLOCK_OK};
  pthread_t thread;
  CHECK(pthread_create(&thread, NULL, run_block, &c) == 0);
  /* Part-way: once 8 of the 64 batches reached the server. */
  int count = 0;
  for (int waited = 0; (count = sandbox_request_count()) < 8 && waited < 30000; waited += 2)
    sleep_ms(2);
  CHECK(!wablock_cancel_is_triggered(cancel));
  wablock_cancel_trigger(cancel);
  wablock_cancel_trigger(cancel); /* idempotent */
  CHECK(wablock_cancel_is_triggered(cancel));
  int at_cancel = sandbox_request_count();
  pthread_join(thread, NULL);

  CHECK_STATUS(c.status, WABLOCK_CANCELLED);
  CHECK(c.outcome == NULL); /* out-params are written only on success */
  CHECK(c.err != NULL);
  if (!c.err) goto out;
  CHECK_STATUS(wablock_error_kind(c.err), WABLOCK_CANCELLED);
  CHECK(strncmp(wablock_error_message(c.err), "the call was cancelled: ", 24) == 0);

  /* Accounting: every input exactly once, in partial.succeeded or not_attempted. */
  const wablock_outcome *partial = wablock_error_partial(c.err);
  CHECK(partial != NULL);
  size_t ok = partial ? wablock_outcome_succeeded_count(partial) : 0;
  size_t na = wablock_error_not_attempted_count(c.err);
  CHECK(partial == NULL || wablock_outcome_failed_count(partial) == 0);
  CHECK(ok + na == USERS);
  CHECK(ok > 0 && na > 0);
  int twice = 0, foreign = 0;
  for (size_t i = 0; i < ok; i++) {
    wablock_success s;
    if (wablock_outcome_succeeded_get(partial, i, &s, NULL) != WABLOCK_OK) { foreign++; continue; }
    long k = user_index(s.input);
    if (k < 0) { foreign++; continue; }
    twice += seen[k];
    seen[k] = 1;
  }
  for (size_t i = 0; i < na; i++) {
    long k = user_index(wablock_error_not_attempted_get(c.err, i, NULL));
    if (k < 0) { foreign++; continue; }
    twice += seen[k];
    seen[k] = 2;
  }
  CHECK(twice == 0);
  CHECK(foreign == 0);

  /* No new batch after the cancel: the server received exactly the users reported blocked,
   * and none of those left not attempted. */
  char *log_text = NULL;
  CHECK(http_request("GET", "/_sandbox/requests", NULL, &log_text) == 200);
  cJSON *log = cJSON_Parse(log_text);
  free(log_text);
  int total = cJSON_IsArray(log) ? cJSON_GetArraySize(log) : -1;
  const cJSON *request = NULL;
  int received = 0, bad = 0;
  cJSON_ArrayForEach(request, log) {
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(request, "body");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(body, "block_users");
    const cJSON *u = NULL;
    cJSON_ArrayForEach(u, list) {
      long k = user_index(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(u, "user")));
      if (k < 0 || sent[k]) { bad++; continue; }
      sent[k] = 1;
      received++;
    }
  }
  cJSON_Delete(log);
  CHECK(bad == 0);
  CHECK((size_t)received == ok);
  int mismatch = 0;
  for (long i = 0; i < USERS; i++) mismatch += (sent[i] == 1) != (seen[i] == 1);
  CHECK(mismatch == 0);
  CHECK(partial != NULL && (int)wablock_outcome_requests(partial) == total);
  /* After the cancel, only requests a worker had already decided to send: one per worker. */
  CHECK(total <= at_cancel + PARALLELISM);
  CHECK(total < USERS / 1000);
  if (total > at_cancel + PARALLELISM || total >= USERS / 1000)
    fprintf(stderr, "  %d requests in all, %d when cancelled\n", total, at_cancel);

  /* The handle stays cancelled; every call of the clone stops before sending. */
  wablock_page *page = NULL;
  wablock_error *err = NULL;
  CHECK_STATUS(wablock_client_list_page(cancellable, false, 0, NULL, NULL, &page, &err),
               WABLOCK_CANCELLED);
  CHECK(page == NULL);
  wablock_error_free(err);
  err = NULL;
  bool blocked = true;
  CHECK_STATUS(wablock_client_is_blocked(cancellable, users[0], &blocked, &err), WABLOCK_CANCELLED);
  wablock_error_free(err);
  CHECK(sandbox_request_count() == total);
  /* The original client is unaffected. */
  wablock_outcome *o = NULL;
  CHECK_STATUS(wablock_client_unblock(client, users, 1, &o, NULL), WABLOCK_OK);
  wablock_outcome_free(o);

out:
  wablock_error_free(c.err);
  wablock_outcome_free(c.outcome);
  wablock_client_free(cancellable);
  wablock_cancel_free(cancel);
  wablock_client_free(client);
  free(numbers);
  free(users);
  free(seen);
  free(sent);
  CHECK(sandbox_reset());
}

static void misuse(void) {
  wablock_error *err = NULL;
  CHECK_STATUS(wablock_cancel_new(NULL, &err), WABLOCK_INVALID_ARGUMENT);
  wablock_error_free(err);
  err = NULL;
  wablock_cancel_trigger(NULL);
  CHECK(!wablock_cancel_is_triggered(NULL));
  wablock_cancel_free(NULL);

  wablock_cancel *cancel = NULL;
  CHECK_STATUS(wablock_cancel_new(&cancel, NULL), WABLOCK_OK);
  wablock_client *client = sandbox_client("sandbox-token", 1000, 1);
  wablock_client *out = (wablock_client *)&out; /* must stay untouched on failure */
  CHECK_STATUS(wablock_client_with_cancel(NULL, cancel, &out, &err), WABLOCK_INVALID_ARGUMENT);
  CHECK(out == (wablock_client *)&out);
  wablock_error_free(err);
  err = NULL;
  CHECK_STATUS(wablock_client_with_cancel(client, NULL, &out, &err), WABLOCK_INVALID_ARGUMENT);
  CHECK(out == (wablock_client *)&out);
  wablock_error_free(err);
  err = NULL;
  CHECK_STATUS(wablock_client_with_cancel(client, cancel, NULL, &err), WABLOCK_INVALID_ARGUMENT);
  wablock_error_free(err);
  err = NULL;
  /* A closed client cannot make a cancellable clone. */
  wablock_client_close(client);
  CHECK_STATUS(wablock_client_with_cancel(client, cancel, &out, &err), WABLOCK_INVALID_ARGUMENT);
  wablock_error_free(err);
  /* The handle may be freed before the clients made from it. */
  wablock_client *open = sandbox_client("sandbox-token", 1000, 1);
  wablock_client *clone = NULL;
  CHECK_STATUS(wablock_client_with_cancel(open, cancel, &clone, NULL), WABLOCK_OK);
  wablock_cancel_trigger(cancel);
  wablock_cancel_free(cancel);
  wablock_str one = wablock_str_from_cstr("15550000001");
  wablock_outcome *o = NULL;
  err = NULL;
  CHECK_STATUS(wablock_client_block(clone, &one, 1, &o, &err), WABLOCK_CANCELLED);
  CHECK(wablock_error_not_attempted_count(err) == 1);
  wablock_error_free(err);
  wablock_client_free(clone);
  wablock_client_free(open);
  wablock_client_free(client);
}

/* The overall deadline bounds a call: TIMEOUT, every input accounted for. */
static void deadline(void) {
  CHECK(sandbox_reset());
  CHECK(http_request("POST", "/_sandbox/config", "{\"open\":true,\"latency_ms\":400}", NULL) == 200);
  wablock_config *cfg = NULL;
  wablock_client *client = NULL;
  CHECK_STATUS(wablock_config_new_meta(WS("1000"), WS("sandbox-token"), &cfg, NULL), WABLOCK_OK);
  wablock_config_set_base_url(cfg, WS(sandbox_base), NULL);
  CHECK_STATUS(wablock_config_set_deadline_ms(cfg, 100, NULL), WABLOCK_OK);
  CHECK_STATUS(wablock_client_new(cfg, &client, NULL), WABLOCK_OK);
  wablock_config_free(cfg);
  wablock_str users[2] = {WS("15550000001"), WS("15550000002")};
  wablock_outcome *o = NULL;
  wablock_error *err = NULL;
  CHECK_STATUS(wablock_client_block(client, users, 2, &o, &err), WABLOCK_TIMEOUT);
  CHECK(err && wablock_error_not_attempted_count(err) == 2);
  wablock_error_free(err);
  wablock_client_free(client);
  CHECK(sandbox_reset());
}

void test_cancel(void) {
  misuse();
  cancel_part_way();
  deadline();
}
