// libFuzzer driver for a SharpFuzz target (Fuzzer.LibFuzzer.Run), written for Compass from SharpFuzz's documented
// protocol: the driver creates a System V shared-memory segment (64 KiB AFL-style edge map followed by the input
// buffer), exports its id as __LIBFUZZER_SHM_ID (and the pipe fds as __LIBFUZZER_CONTROL_PIPE_ID/_STATUS_PIPE_ID), and starts the .NET target with two pipes on fds 198 (driver ->
// target: int32 input size) and 199 (target -> driver: int32 status, 0 = ok; a first 0 is the handshake).
// After each input the edge map is copied into libFuzzer's extra counters, so libFuzzer sees .NET coverage.
//
// Bounds: libFuzzer's -timeout fires in this process while it waits on the pipe; the target dies with the driver
// (PR_SET_PDEATHSIG). -rss_limit_mb only measures this process, so the target's resident memory is checked here
// after every input against COMPASS_FUZZ_TARGET_RSS_MB (default 2048): exceeding it aborts like a crash.
//
// Build: clang -O2 -fsanitize=fuzzer libfuzzer-dotnet.c -o libfuzzer-dotnet
// Run:   ./libfuzzer-dotnet --target_path=/path/to/Compass.Fuzz [libFuzzer flags] corpus_dir
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAP_SIZE (1 << 16)
#define DATA_SIZE (1 << 20)
#define CTL_FD 198
#define ST_FD 199

__attribute__((section("__libfuzzer_extra_counters"), used)) uint8_t extra_counters[MAP_SIZE];

static uint8_t *shm;
static int ctl_fd = -1, st_fd = -1;
static pid_t child = -1;
static long rss_limit_kb = 2048L * 1024;

static void die(const char *what) {
  fprintf(stderr, "libfuzzer-dotnet: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int read_all(int fd, void *buf, size_t n) {
  uint8_t *p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

static int write_all(int fd, const void *buf, size_t n) {
  const uint8_t *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static long child_rss_kb(void) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)child);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  long kb = -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0) { kb = strtol(line + 6, NULL, 10); break; }
  fclose(f);
  return kb;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  const char *target = NULL;
  for (int i = 1; i < *argc; i++)
    if (strncmp((*argv)[i], "--target_path=", 14) == 0) target = (*argv)[i] + 14;
  if (!target) { fprintf(stderr, "libfuzzer-dotnet: missing --target_path=PATH\n"); exit(1); }
  const char *rss = getenv("COMPASS_FUZZ_TARGET_RSS_MB");
  if (rss) rss_limit_kb = atol(rss) * 1024;

  int id = shmget(IPC_PRIVATE, MAP_SIZE + DATA_SIZE, IPC_CREAT | IPC_EXCL | 0600);
  if (id < 0) die("shmget");
  shm = shmat(id, NULL, 0);
  if (shm == (void *)-1) die("shmat");
  shmctl(id, IPC_RMID, NULL);  // freed once both processes detach
  char ids[32];
  snprintf(ids, sizeof ids, "%d", id);
  setenv("__LIBFUZZER_SHM_ID", ids, 1);
  // SharpFuzz >= 2.x takes the pipe fds from the environment too (AnonymousPipeClientStream handle strings).
  setenv("__LIBFUZZER_CONTROL_PIPE_ID", "198", 1);
  setenv("__LIBFUZZER_STATUS_PIPE_ID", "199", 1);

  int ctl[2], st[2];
  if (pipe(ctl) || pipe(st)) die("pipe");
  pid_t parent = getpid();
  child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    if (dup2(ctl[0], CTL_FD) < 0 || dup2(st[1], ST_FD) < 0) die("dup2");
    close(ctl[0]); close(ctl[1]); close(st[0]); close(st[1]);
    char *args[] = {(char *)target, NULL};
    execv(target, args);
    die("execv");
  }
  close(ctl[0]);
  close(st[1]);
  ctl_fd = ctl[1];
  st_fd = st[0];
  int32_t hello;
  if (read_all(st_fd, &hello, 4) || hello != 0) { fprintf(stderr, "libfuzzer-dotnet: target handshake failed\n"); exit(1); }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > DATA_SIZE) { fprintf(stderr, "libfuzzer-dotnet: input over %d bytes; use -max_len\n", DATA_SIZE); abort(); }
  memcpy(shm + MAP_SIZE, data, size);
  int32_t n = (int32_t)size, status;
  if (write_all(ctl_fd, &n, 4) || read_all(st_fd, &status, 4)) {
    fprintf(stderr, "libfuzzer-dotnet: the .NET target died (see its stderr above)\n");
    abort();
  }
  if (getenv("COMPASS_FUZZ_DEBUG")) {
    int nz = 0;
    for (int i = 0; i < MAP_SIZE; i++) nz += shm[i] != 0;
    fprintf(stderr, "libfuzzer-dotnet: %zu-byte input, %d edges hit\n", size, nz);
  }
  memcpy(extra_counters, shm, MAP_SIZE);
  memset(shm, 0, MAP_SIZE);
  if (status != 0) {
    fprintf(stderr, "libfuzzer-dotnet: the .NET target reported a crash (status %d)\n", status);
    abort();
  }
  long kb = child_rss_kb();
  if (kb > rss_limit_kb) {
    fprintf(stderr, "libfuzzer-dotnet: target RSS %ld MiB exceeds COMPASS_FUZZ_TARGET_RSS_MB=%ld\n", kb / 1024, rss_limit_kb / 1024);
    abort();
  }
  return 0;
}
