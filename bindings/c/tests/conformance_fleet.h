/* Fleet vectors in the C runner (conformance_fleet.c). */
#ifndef WABLOCK_TEST_CONFORMANCE_FLEET_H
#define WABLOCK_TEST_CONFORMANCE_FLEET_H

#include <cjson/cJSON.h>

#include "wablock.h"

/* Builds a client from a vector-style "client" object; NULL and *err on failure. */
typedef wablock_client *(*make_client_fn)(const cJSON *client, wablock_error **err);

/* Runs a vector that has a "fleet" key; returns the core's canonical result (free with
 * wablock_string_free), or NULL for an unknown operation. */
char *run_fleet_vector(const cJSON *vector, make_client_fn make_client);

/* Stably sorts a request log by "path" (fleet logs interleave numbers). */
void sort_requests_by_path(cJSON *requests);

#endif
