/* Fleet vectors (tests/conformance/README.md, "Fleet vectors") for the C runner: each member's
 * client is built like a vector's client (the top-level "client" with the member's keys laid
 * over it), the fleet through wablock_fleet_builder_*, and the result is the core's JSON from
 * wablock_fleet_results_to_json / wablock_fleet_blocklist_to_json. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "conformance_fleet.h"

static char *take_error_json(wablock_error *err) {
  char *json = wablock_error_to_json(err);
  wablock_error_free(err);
  return json;
}

/* The member's client object: a copy of defaults with the member's "client" keys over it. */
static cJSON *member_client(const cJSON *defaults, const cJSON *member) {
  cJSON *merged = cJSON_IsObject(defaults) ? cJSON_Duplicate(defaults, true) : cJSON_CreateObject();
  const cJSON *own = cJSON_GetObjectItemCaseSensitive(member, "client");
  const cJSON *item;
  cJSON_ArrayForEach(item, own) {
    cJSON_DeleteItemFromObjectCaseSensitive(merged, item->string);
    cJSON_AddItemToObject(merged, item->string, cJSON_Duplicate(item, true));
  }
  return merged;
}

/* Users of a vector operation as wablock_strs over the cJSON strings (fleet vectors hold no
 * NUL escapes). */
static wablock_str *strs_of(const cJSON *list, size_t *n) {
  *n = (size_t)cJSON_GetArraySize(list);
  wablock_str *out = calloc(*n > 0 ? *n : 1, sizeof *out);
  size_t i = 0;
  const cJSON *u;
  cJSON_ArrayForEach(u, list) out[i++] = wablock_str_from_cstr(cJSON_GetStringValue(u));
  return out;
}

static char *run_fleet_operation(const wablock_fleet *fleet, const cJSON *op) {
  const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(op, "op"));
  wablock_error *err = NULL;
  if (!name) return NULL;
  if (strcmp(name, "fleet_block") == 0 || strcmp(name, "fleet_unblock") == 0) {
    size_t n = 0;
    wablock_str *users = strs_of(cJSON_GetObjectItemCaseSensitive(op, "users"), &n);
    wablock_fleet_results *r = NULL;
    wablock_status st = strcmp(name, "fleet_block") == 0
                            ? wablock_fleet_block(fleet, users, n, NULL, 0, &r, &err)
                            : wablock_fleet_unblock(fleet, users, n, NULL, 0, &r, &err);
    free(users);
    if (st != WABLOCK_OK) return take_error_json(err);
    char *json = wablock_fleet_results_to_json(r);
    wablock_fleet_results_free(r);
    return json;
  }
  if (strcmp(name, "fleet_is_blocked") == 0) {
    const char *user = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(op, "user"));
    wablock_fleet_results *r = NULL;
    if (wablock_fleet_is_blocked(fleet, wablock_str_from_cstr(user), NULL, 0, &r, &err) !=
        WABLOCK_OK)
      return take_error_json(err);
    char *json = wablock_fleet_results_to_json(r);
    wablock_fleet_results_free(r);
    return json;
  }
  if (strcmp(name, "fleet_blocked_users") == 0) {
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(op, "page_size");
    wablock_fleet_blocklist *b = NULL;
    if (wablock_fleet_blocked_users(fleet, cJSON_IsNumber(size),
                                    cJSON_IsNumber(size) ? (int64_t)size->valuedouble : 0, NULL,
                                    0, &b, &err) != WABLOCK_OK)
      return take_error_json(err);
    char *json = wablock_fleet_blocklist_to_json(b);
    wablock_fleet_blocklist_free(b);
    return json;
  }
  fprintf(stderr, "  unknown fleet op \"%s\"\n", name);
  return NULL;
}

char *run_fleet_vector(const cJSON *v, make_client_fn make_client) {
  const cJSON *defaults = cJSON_GetObjectItemCaseSensitive(v, "client");
  const cJSON *total = cJSON_GetObjectItemCaseSensitive(v, "total_parallelism");
  wablock_error *err = NULL;
  wablock_fleet_builder *builder = NULL;
  if (wablock_fleet_builder_new(&builder, &err) != WABLOCK_OK) return take_error_json(err);
  char *result = NULL;
  const cJSON *member;
  cJSON_ArrayForEach(member, cJSON_GetObjectItemCaseSensitive(v, "fleet")) {
    cJSON *spec = member_client(defaults, member);
    wablock_client *client = make_client(spec, &err);
    cJSON_Delete(spec);
    if (!client) {
      result = take_error_json(err);
      break;
    }
    const char *label = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(member, "label"));
    wablock_status st = wablock_fleet_builder_add(builder, wablock_str_from_cstr(label), client, &err);
    /* The fleet keeps its own reference to the client's pool. */
    wablock_client_free(client);
    if (st != WABLOCK_OK) {
      result = take_error_json(err);
      break;
    }
  }
  if (!result && cJSON_IsNumber(total) &&
      wablock_fleet_builder_set_total_parallelism(builder, (size_t)total->valuedouble, &err) !=
          WABLOCK_OK)
    result = take_error_json(err);
  wablock_fleet *fleet = NULL;
  if (!result && wablock_fleet_builder_build(builder, &fleet, &err) != WABLOCK_OK)
    result = take_error_json(err);
  wablock_fleet_builder_free(builder);
  if (!result) result = run_fleet_operation(fleet, cJSON_GetObjectItemCaseSensitive(v, "operation"));
  wablock_fleet_free(fleet);
  return result;
}

static const char *path_of(const cJSON *request) {
  const char *p = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(request, "path"));
  return p ? p : "";
}

void sort_requests_by_path(cJSON *requests) {
  int n = cJSON_GetArraySize(requests);
  if (n < 2) return;
  cJSON **items = calloc((size_t)n, sizeof *items);
  for (int i = n - 1; i >= 0; i--) items[i] = cJSON_DetachItemFromArray(requests, i);
  /* Insertion sort: stable, so each number's requests keep their order. */
  for (int i = 1; i < n; i++) {
    cJSON *x = items[i];
    int j = i - 1;
    while (j >= 0 && strcmp(path_of(items[j]), path_of(x)) > 0) {
      items[j + 1] = items[j];
      j--;
    }
    items[j + 1] = x;
  }
  for (int i = 0; i < n; i++) cJSON_AddItemToArray(requests, items[i]);
  free(items);
}
