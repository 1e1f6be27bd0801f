/* Blocks the users given on the command line and prints what happened to each one, then
 * lists the blocklist. The client comes from the environment: WABLOCK_PROVIDER,
 * WABLOCK_PHONE_NUMBER_ID, WABLOCK_ACCESS_TOKEN (or WABLOCK_API_KEY), WABLOCK_BASE_URL.
 *
 *   cc block_users.c $(pkg-config --cflags --libs wablock) -o block_users
 *   ./block_users "+1 (650) 555-1234" 447700900123
 *
 * Exit status: 0 when every user was blocked, 1 when some were not, 2 when the call failed. */
#include <stdio.h>
#include <stdlib.h>
#include <wablock.h>

static int print_error(const char *what, wablock_error *err) {
  uint16_t http = 0;
  /* wablock_error_display is the one-line text every wablock language shows. */
  fprintf(stderr, "%s failed: %s", what, wablock_error_display(err));
  if (wablock_error_http_status(err, &http)) fprintf(stderr, " (HTTP %u)", (unsigned)http);
  fprintf(stderr, "\n");
  for (size_t i = 0; i < wablock_error_not_attempted_count(err); i++)
    fprintf(stderr, "  not attempted: %s\n", wablock_error_not_attempted_get(err, i, NULL));
  wablock_error_free(err);
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s USER...\n", argv[0]);
    return 2;
  }
  printf("libwablock %s (header %s)\n", wablock_version(), WABLOCK_VERSION);
  wablock_client *client = NULL;
  wablock_error *err = NULL;
  if (wablock_client_from_env(&client, &err) != WABLOCK_OK) return print_error("client", err);

  /* Strings cross as (pointer, length) pairs. */
  size_t n_users = (size_t)(argc - 1);
  wablock_str *users = calloc(n_users, sizeof *users);
  if (!users) return 2;
  for (size_t i = 0; i < n_users; i++) users[i] = wablock_str_from_cstr(argv[i + 1]);
  wablock_outcome *outcome = NULL;
  wablock_status st = wablock_client_block(client, users, n_users, &outcome, &err);
  free(users);
  if (st != WABLOCK_OK) {
    wablock_client_free(client);
    return print_error("block", err);
  }
  for (size_t i = 0; i < wablock_outcome_succeeded_count(outcome); i++) {
    wablock_success s;
    if (wablock_outcome_succeeded_get(outcome, i, &s, NULL) == WABLOCK_OK)
      printf("blocked     %-20s sent as %s\n", s.input, s.sent);
  }
  for (size_t i = 0; i < wablock_outcome_failed_count(outcome); i++) {
    wablock_failure f;
    if (wablock_outcome_failed_get(outcome, i, &f, NULL) == WABLOCK_OK)
      printf("not blocked %-20s %s: %s\n", f.input, wablock_reason_name(f.reason), f.hint);
  }
  int status = wablock_outcome_failed_count(outcome) == 0 ? 0 : 1;
  wablock_outcome_free(outcome);

  /* Walk the whole blocklist, page by page (false: wablock's default page size). */
  wablock_blocked_users *it = NULL;
  if (wablock_client_blocked_users(client, false, 0, &it, &err) == WABLOCK_OK) {
    wablock_blocked_user user;
    bool has = false;
    size_t n = 0;
    while (wablock_blocked_users_next(it, &user, &has, &err) == WABLOCK_OK && has) n++;
    if (err) status = print_error("listing", err);
    else printf("the blocklist holds %zu users\n", n);
    wablock_blocked_users_free(it);
  }
  wablock_client_free(client);
  return status;
}
