/* The C suite: misuse, API and thread tests, then the conformance vectors of every directory
 * given as "DIR OUT_DIR" argument pairs. Usage: c_suite [DIR OUT_DIR]... */
#include <curl/curl.h>
#include <stdlib.h>

#include "harness.h"

int main(int argc, char **argv) {
  if (argc % 2 != 1) {
    fprintf(stderr, "usage: %s [VECTOR_DIR OUT_DIR]...\n", argv[0]);
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (!sandbox_start()) {
    fprintf(stderr, "could not start the sandbox\n");
    return 1;
  }
  struct {
    const char *name;
    void (*run)(void);
  } groups[] = {{"misuse", test_misuse}, {"api", test_api}, {"threads", test_threads},
                {"cancel", test_cancel}, {"fleet", test_fleet}, {"window", test_window}};
  for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
    int before = t_failures;
    groups[i].run();
    printf("%s: %s\n", groups[i].name, t_failures == before ? "ok" : "FAILED");
  }
  int vectors = 0;
  for (int i = 1; i + 1 < argc; i += 2) vectors += run_conformance_dir(argv[i], argv[i + 1]);
  sandbox_stop();
  curl_global_cleanup();
  if (argc > 1 && vectors == 0) {
    fprintf(stderr, "no conformance vector found\n");
    t_failures++;
  }
  printf("%d passed, %d failed\n", t_checks - t_failures, t_failures);
  return t_failures == 0 ? 0 : 1;
}
