/* The conformance vector runner of the C binding (tests/conformance/README.md): each vector's
 * setup goes to the sandbox's control endpoints, its client and operation go through the C
 * API, and the canonical JSON from the C API is compared with expect.result. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conformance_fleet.h"
#include "harness.h"

/* A growable string. */
struct sb {
  char *s;
  size_t len, cap;
};

static void sb_put(struct sb *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    b->cap = (b->len + n + 1) * 2;
    b->s = realloc(b->s, b->cap);
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}
static void sb_cat(struct sb *b, const char *s) { sb_put(b, s, strlen(s)); }

static const char *str_or(const cJSON *obj, const char *key, const char *fallback) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? v->valuestring : fallback;
}

static double num_or(const cJSON *obj, const char *key, double fallback) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}

/* Whether obj holds a number under key (absent and null are "not set"). */
static bool has_num(const cJSON *obj, const char *key) {
  return cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(obj, key));
}

/* The string under key as a wablock_str, or NULL when absent. */
static const wablock_str *opt_str(const cJSON *obj, const char *key, wablock_str *storage) {
  const char *s = str_or(obj, key, NULL);
  if (!s) return NULL;
  *storage = wablock_str_from_cstr(s);
  return storage;
}

/* cJSON strings end at their first NUL, so the operation and the expected result are read
 * from a copy of the vector in which every JSON escape \u0000 became NUL_MARK (U+E000, which
 * no vector uses); user_str turns the marks back into NUL bytes, with the length cJSON cannot
 * give, and expected_canonical back into the escape. */
#define NUL_ESCAPE "\\u0000"
#define NUL_MARK_ESCAPE "\\uE000"
#define NUL_MARK "\xEE\x80\x80"

/* A malloc'd copy of text with every NUL_ESCAPE replaced by NUL_MARK_ESCAPE (same length). */
static char *mark_nuls(const char *text) {
  char *copy = strdup(text);
  for (char *p = copy; (p = strstr(p, NUL_ESCAPE)) != NULL; p += strlen(NUL_MARK_ESCAPE))
    memcpy(p, NUL_MARK_ESCAPE, strlen(NUL_MARK_ESCAPE));
  return copy;
}

/* A user of a vector as a wablock_str over a malloc'd buffer (NUL_MARKs back to NUL bytes);
 * a non-string item becomes a NULL element, which the C API refuses. */
static wablock_str user_str(const cJSON *item) {
  wablock_str out = {NULL, 1};
  if (!cJSON_IsString(item)) return out;
  const char *in = item->valuestring;
  char *buf = malloc(strlen(in) + 1);
  size_t n = 0;
  for (const char *p = in; *p;) {
    if (strncmp(p, NUL_MARK, 3) == 0) {
      buf[n++] = '\0';
      p += 3;
    } else {
      buf[n++] = *p++;
    }
  }
  buf[n] = '\0';
  out.data = buf;
  out.len = n;
  return out;
}

/* The core's canonical JSON of a vector's expected result, parsed from the marked copy:
 * NUL_MARKs become the JSON escape again before the core reads it. */
static char *expected_canonical(const cJSON *want_marked) {
  char *printed = want_marked ? cJSON_PrintUnformatted(want_marked) : NULL;
  if (!printed) return NULL;
  struct sb text = {0};
  sb_cat(&text, "");
  for (const char *p = printed; *p;) {
    if (strncmp(p, NUL_MARK, 3) == 0) {
      sb_cat(&text, "\\u0000");
      p += 3;
    } else {
      sb_put(&text, p++, 1);
    }
  }
  free(printed);
  char *canonical = NULL;
  wablock_canonical_json(wablock_str_from_cstr(text.s), &canonical, NULL);
  free(text.s);
  return canonical;
}

static void free_user_str(wablock_str s) {
  if (s.len != 1 || s.data != NULL) free((void *)s.data);
}

/* The error's canonical JSON, for a result. */
static char *error_json(wablock_error *err) {
  char *json = wablock_error_to_json(err);
  wablock_error_free(err);
  return json;
}

/* Builds a client from a vector's "client" object; on failure returns NULL and *err. */
static wablock_client *vector_client(const cJSON *c, wablock_error **err) {
  wablock_config *cfg = NULL;
  wablock_status st;
  if (strcmp(str_or(c, "provider", "meta"), "360dialog") == 0) {
    st = wablock_config_new_360dialog(WS(str_or(c, "api_key", "sandbox-key")), &cfg, err);
  } else {
    st = wablock_config_new_meta(WS(str_or(c, "phone_number_id", "1000")),
                                 WS(str_or(c, "access_token", "sandbox-token")), &cfg, err);
    if (st == WABLOCK_OK)
      st = wablock_config_set_api_version(cfg, WS(str_or(c, "api_version", "v25.0")), err);
  }
  const cJSON *retry = cJSON_GetObjectItemCaseSensitive(c, "retry");
  const cJSON *jitter = cJSON_GetObjectItemCaseSensitive(retry, "jitter");
  if (st == WABLOCK_OK) st = wablock_config_set_base_url(cfg, WS(sandbox_base), err);
  if (st == WABLOCK_OK)
    st = wablock_config_set_max_batch(cfg, (int64_t)num_or(c, "max_batch", 1000), err);
  if (st == WABLOCK_OK)
    st = wablock_config_set_parallelism(cfg, (int64_t)num_or(c, "parallelism", 1), err);
  if (st == WABLOCK_OK)
    st = wablock_config_set_retry_policy(
        cfg, (uint32_t)num_or(retry, "max_attempts", 4),
        (int64_t)num_or(retry, "initial_backoff_ms", 1),
        (int64_t)num_or(retry, "max_backoff_ms", 50), cJSON_IsTrue(jitter), err);
  if (st == WABLOCK_OK)
    st = wablock_config_set_connect_timeout_ms(
        cfg, (int64_t)num_or(c, "connect_timeout_ms", 2000), err);
  if (st == WABLOCK_OK)
    st = wablock_config_set_read_timeout_ms(cfg, (int64_t)num_or(c, "read_timeout_ms", 2000),
                                            err);
  if (st == WABLOCK_OK && has_num(c, "deadline_ms"))
    st = wablock_config_set_deadline_ms(cfg, (int64_t)num_or(c, "deadline_ms", 0), err);
  if (st == WABLOCK_OK)
    st = wablock_config_set_list_restart_budget(
        cfg, (uint32_t)num_or(c, "list_restart_budget", 3), err);
  if (st == WABLOCK_OK)
    st = wablock_config_set_max_response_bytes(
        cfg, (uint64_t)num_or(c, "max_response_bytes", 8388608), err);
  wablock_client *client = NULL;
  if (st == WABLOCK_OK) wablock_client_new(cfg, &client, err);
  wablock_config_free(cfg);
  return client;
}

/* Runs the operation; returns the canonical result (from the core, freed with
 * wablock_string_free) or NULL for an unknown op. Every shape comes from the C API. */
static char *run_operation(wablock_client *client, const cJSON *op) {
  const char *name = str_or(op, "op", "");
  wablock_error *err = NULL;
  if (strcmp(name, "block") == 0 || strcmp(name, "unblock") == 0) {
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(op, "users");
    int n = cJSON_GetArraySize(list);
    wablock_str *users = calloc(n > 0 ? (size_t)n : 1, sizeof *users);
    int i = 0;
    const cJSON *u;
    cJSON_ArrayForEach(u, list) users[i++] = user_str(u);
    wablock_outcome *o = NULL;
    wablock_status st = name[0] == 'b' ? wablock_client_block(client, users, (size_t)n, &o, &err)
                                       : wablock_client_unblock(client, users, (size_t)n, &o, &err);
    for (int j = 0; j < n; j++) free_user_str(users[j]);
    free(users);
    if (st != WABLOCK_OK) return error_json(err);
    char *json = wablock_outcome_to_json(o);
    wablock_outcome_free(o);
    return json;
  }
  if (strcmp(name, "list_page") == 0) {
    wablock_page *page = NULL;
    wablock_str after, before;
    wablock_status st = wablock_client_list_page(
        client, has_num(op, "limit"), (int64_t)num_or(op, "limit", 0),
        opt_str(op, "after", &after), opt_str(op, "before", &before), &page, &err);
    if (st != WABLOCK_OK) return error_json(err);
    char *json = wablock_page_to_json(page);
    wablock_page_free(page);
    return json;
  }
  if (strcmp(name, "blocked_users") == 0) {
    wablock_blocked_users *it = NULL;
    if (wablock_client_blocked_users(client, has_num(op, "page_size"),
                                     (int64_t)num_or(op, "page_size", 0), &it,
                                     &err) != WABLOCK_OK)
      return error_json(err);
    char *json = NULL;
    wablock_status st = wablock_blocked_users_collect_to_json(it, &json, &err);
    wablock_blocked_users_free(it);
    return st == WABLOCK_OK ? json : error_json(err);
  }
  if (strcmp(name, "is_blocked") == 0) {
    bool blocked = false;
    wablock_str user = user_str(cJSON_GetObjectItemCaseSensitive(op, "user"));
    wablock_status st = wablock_client_is_blocked(client, user, &blocked, &err);
    free_user_str(user);
    return st == WABLOCK_OK ? wablock_is_blocked_to_json(blocked) : error_json(err);
  }
  fprintf(stderr, "  unknown op \"%s\"\n", name);
  return NULL;
}

/* The logged requests must match the expected ones on the keys each expected item carries. */
static bool requests_match(const cJSON *expected, const char *name, bool by_path) {
  char *resp = NULL;
  if (http_request("GET", "/_sandbox/requests", NULL, &resp) != 200) {
    free(resp);
    return false;
  }
  cJSON *actual = cJSON_Parse(resp);
  free(resp);
  if (by_path) sort_requests_by_path(actual);
  bool ok = cJSON_IsArray(actual) && cJSON_GetArraySize(actual) == cJSON_GetArraySize(expected);
  if (!ok)
    fprintf(stderr, "  %s: %d requests, want %d\n", name, cJSON_GetArraySize(actual),
            cJSON_GetArraySize(expected));
  for (int i = 0; ok && i < cJSON_GetArraySize(expected); i++) {
    const cJSON *want = cJSON_GetArrayItem(expected, i);
    const cJSON *got = cJSON_GetArrayItem(actual, i);
    const cJSON *field;
    cJSON_ArrayForEach(field, want) {
      const cJSON *g = cJSON_GetObjectItemCaseSensitive(got, field->string);
      if (!g || !cJSON_Compare(field, g, true)) {
        char *gs = g ? cJSON_PrintUnformatted(g) : NULL;
        char *ws = cJSON_PrintUnformatted(field);
        fprintf(stderr, "  %s: request %d %s is %s, want %s\n", name, i, field->string,
                gs ? gs : "(absent)", ws);
        free(gs);
        free(ws);
        ok = false;
      }
    }
  }
  cJSON_Delete(actual);
  return ok;
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  struct sb b = {0};
  char chunk[4096];
  size_t n;
  sb_cat(&b, "");
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) sb_put(&b, chunk, n);
  fclose(f);
  return b.s;
}

/* Runs one vector file; true when it passes. */
static bool run_vector(const char *path, const char *out_dir) {
  char *text = read_file(path);
  cJSON *v = text ? cJSON_Parse(text) : NULL;
  char *marked = text ? mark_nuls(text) : NULL;
  cJSON *v_marked = marked ? cJSON_Parse(marked) : NULL;
  free(text);
  free(marked);
  if (!v || !v_marked) {
    fprintf(stderr, "  %s: not JSON\n", path);
    cJSON_Delete(v);
    cJSON_Delete(v_marked);
    return false;
  }
  const char *name = str_or(v, "name", "unnamed");
  bool ok = sandbox_reset();
  const cJSON *step;
  cJSON_ArrayForEach(step, cJSON_GetObjectItemCaseSensitive(v, "setup")) {
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(step, "body");
    char *body_text = body ? cJSON_PrintUnformatted(body) : NULL;
    long status = http_request(str_or(step, "method", "POST"), str_or(step, "path", "/"),
                               body_text ? body_text : "{}", NULL);
    free(body_text);
    if (status < 200 || status > 299) {
      fprintf(stderr, "  %s: setup %s answered %ld\n", name, str_or(step, "path", "?"), status);
      ok = false;
    }
  }
  char *result = NULL;
  const bool fleet = cJSON_GetObjectItemCaseSensitive(v, "fleet") != NULL;
  if (ok && fleet) {
    result = run_fleet_vector(v, vector_client);
  } else if (ok) {
    wablock_error *err = NULL;
    wablock_client *client =
        vector_client(cJSON_GetObjectItemCaseSensitive(v, "client"), &err);
    if (client) {
      result = run_operation(client, cJSON_GetObjectItemCaseSensitive(v_marked, "operation"));
      wablock_client_free(client);
    } else {
      result = error_json(err);
    }
  }
  const cJSON *expect = cJSON_GetObjectItemCaseSensitive(v, "expect");
  if (result) {
    /* Byte for byte against the core's canonical form of the expected result. */
    char *want = expected_canonical(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(v_marked, "expect"), "result"));
    if (!want || strcmp(result, want) != 0) {
      fprintf(stderr, "  %s: result\n    got  %s\n    want %s\n", name, result,
              want ? want : "(not canonicalisable)");
      ok = false;
    }
    wablock_string_free(want);
    /* Results are named after the vector's file, as the Rust runner names them. */
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char out[1024];
    snprintf(out, sizeof out, "%s/%s", out_dir, base);
    FILE *f = fopen(out, "wb");
    if (f) {
      fputs(result, f);
      fclose(f);
    }
  } else {
    ok = false;
  }
  const cJSON *reqs = cJSON_GetObjectItemCaseSensitive(expect, "requests");
  if (ok && cJSON_IsArray(reqs) && !requests_match(reqs, name, fleet)) ok = false;
  wablock_string_free(result);
  cJSON_Delete(v);
  cJSON_Delete(v_marked);
  return ok;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void mkdirs(const char *path) {
  char tmp[1024];
  snprintf(tmp, sizeof tmp, "%s", path);
  for (char *p = tmp + 1; *p; p++)
    if (*p == '/') {
      *p = '\0';
      mkdir(tmp, 0755);
      *p = '/';
    }
  mkdir(tmp, 0755);
}

int run_conformance_dir(const char *dir, const char *out_dir) {
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "conformance: cannot open %s: %s\n", dir, strerror(errno));
    CHECK(!"vector directory exists");
    return 0;
  }
  mkdirs(out_dir);
  char **names = NULL;
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t len = strlen(e->d_name);
    if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0) {
      names = realloc(names, (n + 1) * sizeof *names);
      names[n++] = strdup(e->d_name);
    }
  }
  closedir(d);
  qsort(names, n, sizeof *names, by_name);
  int passed = 0;
  for (size_t i = 0; i < n; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    bool ok = run_vector(path, out_dir);
    t_checks++;
    if (ok) {
      passed++;
    } else {
      t_failures++;
      fprintf(stderr, "  FAIL vector %s\n", path);
    }
    free(names[i]);
  }
  free(names);
  printf("conformance %s: %d of %zu vectors passed\n", dir, passed, n);
  return (int)n;
}
