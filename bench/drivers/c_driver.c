/* C-library driver: the same command line and result line as every driver
 * (crates/wablock-bench/src/main.rs is the reference), through libwablock's C ABI.
 *
 *   c-driver idle|block|list|block1 BASE_URL PHONE_NUMBER_ID TOKEN N
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wablock.h"

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int fail(const char *what, wablock_error *err) {
    fprintf(stderr, "c-driver: %s: %s\n", what, err ? wablock_error_message(err) : "(no error object)");
    wablock_error_free(err);
    return 1;
}

/* The benchmark's user i, the same string in every driver. */
static char *user(size_t i) {
    char *s = malloc(16);
    if (s) snprintf(s, 16, "+1555%07zu", i);
    return s;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: c-driver idle|block|list|block1 BASE_URL PHONE_ID TOKEN N\n");
        return 64;
    }
    const char *mode = argv[1];
    size_t n = (size_t)strtoull(argv[5], NULL, 10);
    wablock_error *err = NULL;
    wablock_config *config = NULL;
    wablock_client *client = NULL;
    if (wablock_config_new_meta(wablock_str_from_cstr(argv[3]), wablock_str_from_cstr(argv[4]), &config, &err) != WABLOCK_OK) return fail("config", err);
    if (wablock_config_set_base_url(config, wablock_str_from_cstr(argv[2]), &err) != WABLOCK_OK) return fail("base_url", err);
    if (wablock_client_new(config, &client, &err) != WABLOCK_OK) return fail("client", err);
    wablock_config_free(config);

    int rc = 0;
    if (strcmp(mode, "idle") == 0) {
        printf("{\"mode\": \"idle\", \"count\": 0}\n");
    } else if (strcmp(mode, "block") == 0) {
        char **users = calloc(n ? n : 1, sizeof *users);
        wablock_str *views = calloc(n ? n : 1, sizeof *views);
        for (size_t i = 0; i < n; i++) {
            users[i] = user(i);
            views[i] = wablock_str_from_cstr(users[i]);
        }
        wablock_outcome *outcome = NULL;
        double start = now_s();
        if (wablock_client_block(client, views, n, &outcome, &err) != WABLOCK_OK) {
            rc = fail("block", err);
        } else {
            double work = now_s() - start;
            printf("{\"mode\": \"block\", \"count\": %zu, \"failed\": %zu, \"requests\": %u, \"work_s\": %.6f}\n",
                   wablock_outcome_succeeded_count(outcome), wablock_outcome_failed_count(outcome),
                   (unsigned)wablock_outcome_requests(outcome), work);
        }
        wablock_outcome_free(outcome);
        for (size_t i = 0; i < n; i++) free(users[i]);
        free(users);
        free(views);
    } else if (strcmp(mode, "list") == 0) {
        wablock_blocked_users *it = NULL;
        double start = now_s();
        size_t count = 0;
        if (wablock_client_blocked_users(client, true, (int64_t)n, &it, &err) != WABLOCK_OK) {
            rc = fail("blocked_users", err);
        } else {
            for (;;) {
                wablock_blocked_user u;
                bool has = false;
                if (wablock_blocked_users_next(it, &u, &has, &err) != WABLOCK_OK) {
                    rc = fail("blocked_users_next", err);
                    break;
                }
                if (!has) break;
                count++;
            }
            if (rc == 0)
                printf("{\"mode\": \"list\", \"count\": %zu, \"work_s\": %.6f}\n", count, now_s() - start);
        }
        wablock_blocked_users_free(it);
    } else if (strcmp(mode, "block1") == 0) {
        double *calls = calloc(n ? n : 1, sizeof *calls);
        size_t ok = 0;
        double start = now_s();
        for (size_t i = 0; i < n && rc == 0; i++) {
            char *u = user(i);
            const wablock_str one[1] = {wablock_str_from_cstr(u)};
            wablock_outcome *outcome = NULL;
            double t = now_s();
            if (wablock_client_block(client, one, 1, &outcome, &err) != WABLOCK_OK) {
                rc = fail("block1", err);
            } else {
                calls[i] = now_s() - t;
                ok += wablock_outcome_succeeded_count(outcome);
            }
            wablock_outcome_free(outcome);
            free(u);
        }
        double work = now_s() - start;
        if (rc == 0) {
            qsort(calls, n, sizeof *calls, cmp_double);
            printf("{\"mode\": \"block1\", \"count\": %zu, \"requests\": %zu, \"work_s\": %.6f, "
                   "\"per_call_median_s\": %.9f, \"per_call_mean_s\": %.9f}\n",
                   ok, n, work, n ? calls[n / 2] : 0.0, n ? work / (double)n : 0.0);
        }
        free(calls);
    } else {
        fprintf(stderr, "c-driver: unknown mode %s\n", mode);
        rc = 64;
    }
    wablock_client_free(client);
    return rc;
}
