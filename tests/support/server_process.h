// Runs the real hybridd binary as a child process on an ephemeral loopback port, for black-box
// tests. The child is ended (SIGKILL) by the destructor if the test did not stop it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace hybrid::test {

class ServerProcess {
 public:
  // Starts `hybridd --port 0 --bind 127.0.0.1 <args>` and waits for its "listening on" line; the
  // test fails (ADD_FAILURE) if it does not appear within 10 s.
  explicit ServerProcess(std::vector<std::string> args);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool running() const { return pid_ > 0; }
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

  // Sends `signal`, waits up to `timeout`, returns the exit status as from waitpid (or -1 on
  // timeout, after which the child is killed).
  int stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(15));

  // Everything the child printed on stdout and stderr so far (read after stop()).
  std::string output() const;

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  int output_fd_ = -1;
  std::string output_;
};

// Runs hybridd with `args` to completion (for CLI tests); returns exit status and output.
struct RunResult {
  int exit_code = -1;
  std::string output;
};
RunResult run_hybridd(std::vector<std::string> args,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace hybrid::test
