/* Sandbox process and HTTP helpers for the C suite. */
#define _POSIX_C_SOURCE 200809L
#include "harness.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int t_failures = 0;
int t_checks = 0;
char sandbox_base[128];

static pid_t sandbox_pid = -1;
static int sandbox_stdin = -1;
static FILE *sandbox_stdout = NULL;

bool sandbox_start(void) {
  const char *bin = getenv("WABLOCK_SANDBOX_BIN");
  if (!bin) bin = "target/debug/wablock-sandbox";
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0) return false;
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[0]);
    close(in[1]);
    close(out[0]);
    close(out[1]);
    execl(bin, bin, "--port", "0", "--exit-on-stdin-eof", (char *)NULL);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  sandbox_pid = pid;
  sandbox_stdin = in[1];
  sandbox_stdout = fdopen(out[0], "r");
  if (!sandbox_stdout || !fgets(sandbox_base, sizeof sandbox_base, sandbox_stdout)) {
    fprintf(stderr, "could not read the sandbox URL from %s\n", bin);
    return false;
  }
  sandbox_base[strcspn(sandbox_base, "\r\n")] = '\0';
  return strncmp(sandbox_base, "http://", 7) == 0;
}

void sandbox_stop(void) {
  if (sandbox_stdin >= 0) close(sandbox_stdin);
  sandbox_stdin = -1;
  if (sandbox_pid > 0) {
    int status;
    waitpid(sandbox_pid, &status, 0);
  }
  sandbox_pid = -1;
  if (sandbox_stdout) fclose(sandbox_stdout);
  sandbox_stdout = NULL;
}

struct buf {
  char *data;
  size_t len;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *user) {
  struct buf *b = user;
  size_t n = size * nmemb;
  char *grown = realloc(b->data, b->len + n + 1);
  if (!grown) return 0;
  b->data = grown;
  memcpy(b->data + b->len, ptr, n);
  b->len += n;
  b->data[b->len] = '\0';
  return n;
}

long http_request(const char *method, const char *path, const char *body, char **response_out) {
  CURL *curl = curl_easy_init();
  if (!curl) return 0;
  size_t url_len = strlen(sandbox_base) + strlen(path) + 1;
  char *url = malloc(url_len);
  snprintf(url, url_len, "%s%s", sandbox_base, path);
  struct buf b = {calloc(1, 1), 0};
  struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  if (body) curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
  long status = 0;
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  free(url);
  if (response_out)
    *response_out = b.data;
  else
    free(b.data);
  return status;
}

bool sandbox_reset(void) { return http_request("POST", "/_sandbox/reset", "{}", NULL) == 200; }

bool sandbox_inbound(const char *phone_number_id, const char *wa_id) {
  char body[256];
  snprintf(body, sizeof body, "{\"phone_number_id\":\"%s\",\"wa_id\":\"%s\"}", phone_number_id,
           wa_id);
  return http_request("POST", "/_sandbox/inbound", body, NULL) == 200;
}

int sandbox_request_count(void) {
  char *resp = NULL;
  if (http_request("GET", "/_sandbox/requests", NULL, &resp) != 200) {
    free(resp);
    return -1;
  }
  cJSON *log = cJSON_Parse(resp);
  free(resp);
  int n = cJSON_IsArray(log) ? cJSON_GetArraySize(log) : -1;
  cJSON_Delete(log);
  return n;
}

wablock_client *sandbox_client(const char *token, size_t max_batch, size_t parallelism) {
  wablock_config *cfg = NULL;
  wablock_client *client = NULL;
  if (wablock_config_new_meta(wablock_str_from_cstr("1000"), wablock_str_from_cstr(token), &cfg,
                              NULL) != WABLOCK_OK) return NULL;
  wablock_config_set_base_url(cfg, wablock_str_from_cstr(sandbox_base), NULL);
  wablock_config_set_retry_policy(cfg, 3, 1, 20, false, NULL);
  wablock_config_set_read_timeout_ms(cfg, 5000, NULL);
  wablock_config_set_max_batch(cfg, (int64_t)max_batch, NULL);
  wablock_config_set_parallelism(cfg, (int64_t)parallelism, NULL);
  wablock_status st = wablock_client_new(cfg, &client, NULL);
  wablock_config_free(cfg);
  return st == WABLOCK_OK ? client : NULL;
}

void to_strs(const char *const *in, size_t n, wablock_str *out) {
  for (size_t i = 0; i < n; i++) out[i] = wablock_str_from_cstr(in[i]);
}
