/* One client handle shared by 8 threads at once (pthreads): each blocks and unblocks its own
 * users and checks its own outcome. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define THREADS 8
#define PER_THREAD 5

struct job {
  const wablock_client *client;
  int index;
  int ok;
};

static void *worker(void *arg) {
  struct job *job = arg;
  char numbers[PER_THREAD][32];
  wablock_str users[PER_THREAD];
  for (int i = 0; i < PER_THREAD; i++) {
    snprintf(numbers[i], sizeof numbers[i], "1650777%02d%02d", job->index, i);
    users[i] = wablock_str_from_cstr(numbers[i]);
  }
  int ok = 1;
  for (int round = 0; round < 3; round++) {
    wablock_outcome *o = NULL;
    wablock_error *err = NULL;
    wablock_status st = wablock_client_block(job->client, users, PER_THREAD, &o, &err);
    ok &= st == WABLOCK_OK && wablock_outcome_succeeded_count(o) == PER_THREAD;
    for (size_t i = 0; st == WABLOCK_OK && i < PER_THREAD; i++) {
      wablock_success s;
      ok &= wablock_outcome_succeeded_get(o, i, &s, NULL) == WABLOCK_OK &&
            strcmp(s.input, numbers[i]) == 0 && s.input_len == users[i].len;
    }
    wablock_outcome_free(o);
    wablock_error_free(err);
    o = NULL;
    err = NULL;
    st = wablock_client_unblock(job->client, users, PER_THREAD, &o, &err);
    ok &= st == WABLOCK_OK && wablock_outcome_succeeded_count(o) == PER_THREAD;
    wablock_outcome_free(o);
    wablock_error_free(err);
  }
  job->ok = ok;
  return NULL;
}

void test_threads(void) {
  CHECK(sandbox_reset());
  for (int t = 0; t < THREADS; t++)
    for (int i = 0; i < PER_THREAD; i++) {
      char n[32];
      snprintf(n, sizeof n, "1650777%02d%02d", t, i);
      CHECK(sandbox_inbound("1000", n));
    }
  wablock_client *client = sandbox_client("sandbox-token", 1000, 2);
  CHECK(client != NULL);
  if (!client) return;
  pthread_t threads[THREADS];
  struct job jobs[THREADS];
  for (int t = 0; t < THREADS; t++) {
    jobs[t] = (struct job){client, t, 0};
    CHECK(pthread_create(&threads[t], NULL, worker, &jobs[t]) == 0);
  }
  for (int t = 0; t < THREADS; t++) {
    pthread_join(threads[t], NULL);
    CHECK(jobs[t].ok);
  }
  /* 8 threads x 3 rounds x (block + unblock), one request each. */
  CHECK(sandbox_request_count() == THREADS * 3 * 2);
  wablock_client_free(client);
}
