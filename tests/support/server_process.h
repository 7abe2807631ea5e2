// Runs the real hybridd binary (or another server that prints the same "listening on" line, such
// as examples/service) as a child process on an ephemeral loopback port, for black-box tests. The
// child is ended (SIGKILL) by the destructor if the test did not stop it, and by the kernel
// (PR_SET_PDEATHSIG) if the thread that started it dies, so a crashed test never leaves a server
// running. Create it on the test's main thread: the death signal follows the creating thread, not
// the process.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hybrid::test {

class ServerProcess {
 public:
  // Starts `hybridd --port 0 --bind 127.0.0.1 <args>` and waits for its "listening on" line; the
  // test fails (ADD_FAILURE) if it does not appear within 10 s. When `args` hold "--port" or
  // "--bind" (CLI11 rejects a repeated option), that default is left out and the test's value is
  // used. A background thread drains the child's stdout and stderr so a chatty server never
  // blocks on a full pipe.
  explicit ServerProcess(std::vector<std::string> args);
  // The same for the server binary at `program` (a path).
  ServerProcess(std::string program, std::vector<std::string> args);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool running() const { return pid_ > 0; }
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

  // Sends `signal`, waits up to `timeout`, returns the exit status as from waitpid (or -1 on
  // timeout, after which the child is killed). `signal` 0 sends nothing and only waits, for a
  // child that was already signalled with kill(pid(), ...).
  int stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(15));

  // Everything the child printed on stdout and stderr so far (complete after stop()).
  std::string output() const;

 private:
  void drain_output();  // the reader thread's body
  void join_reader();

  std::string program_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  int output_fd_ = -1;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable output_changed_;
  std::string output_;          // guarded by mutex_
  bool output_closed_ = false;  // guarded by mutex_: the pipe reached EOF
  bool stop_reader_ = false;    // guarded by mutex_: give up on EOF (a grandchild holds the pipe)
};

// Runs hybridd with exactly `args` (no defaults added) to completion, for CLI tests. exit_code is
// WEXITSTATUS for a normal exit, 128 + signal number for a signal, and -1 when `timeout` passed
// (the child is then killed); output is stdout and stderr interleaved.
struct RunResult {
  int exit_code = -1;
  std::string output;
};
RunResult run_hybridd(std::vector<std::string> args,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));
// The same for the binary at `program`.
RunResult run_program(std::string program, std::vector<std::string> args,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace hybrid::test
