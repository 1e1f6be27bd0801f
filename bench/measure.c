/* measure RESULT_FILE PROGRAM [ARGS...]
 *
 * Runs PROGRAM as a child and writes its wall time, CPU time (user, sys) and peak RSS as one
 * JSON line to RESULT_FILE; exits with the child's exit code (128 + signal if killed).
 *
 * Why not os.wait4 from Python directly: Linux keeps the peak RSS of the address space a
 * process had before execve, and a child forked from the orchestrator starts as a copy of the
 * Python interpreter, so ru_maxrss would never drop below the orchestrator's own size (we saw
 * 23 MiB for a Rust process that uses 3). This helper is a few hundred KiB, so the floor it adds
 * is negligible. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: measure RESULT_FILE PROGRAM [ARGS...]\n");
        return 64;
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t pid = fork();
    if (pid < 0) {
        perror("measure: fork");
        return 70;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror("measure: exec");
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("measure: wait4");
        return 70;
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double wall = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    double user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
    double sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    FILE *f = fopen(argv[1], "w");
    if (!f) {
        perror("measure: result file");
        return 70;
    }
    fprintf(f, "{\"wall_s\": %.6f, \"user_s\": %.6f, \"sys_s\": %.6f, \"maxrss_kib\": %ld, \"exit\": %d}\n",
            wall, user, sys, ru.ru_maxrss, code);
    fclose(f);
    return code;
}
