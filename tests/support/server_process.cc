#include "tests/support/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>

#include "gtest/gtest.h"
#include "tests/support/over_tls.h"

namespace hybrid::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kListeningMarker = "listening on http";  // http:// or https://

// fork/exec of `program` with stdout and stderr on a pipe whose read end (close-on-exec) is
// stored in `output_fd`. Returns the child's pid, or -1 with `output_fd` untouched.
pid_t spawn(const std::string& program, const std::vector<std::string>& args, int& output_fd) {
  // Everything the child needs is built before fork(): only async-signal-safe calls run between
  // fork() and exec() in a process that may have other threads.
  std::vector<char*> argv;
  std::string path = program;
  argv.push_back(path.data());
  std::vector<std::string> copies = args;
  for (std::string& arg : copies) argv.push_back(arg.data());
  argv.push_back(nullptr);

  std::array<int, 2> pipe_fds{};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << std::strerror(errno);
    return -1;
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return -1;
  }
  if (pid == 0) {
    // Die with the test: if the parent is already gone, the death signal would never come.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::dup2(pipe_fds[1], STDERR_FILENO);
    // A clean signal state, so the server's own handling (and a SIGPIPE bug) is what we test.
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::execv(argv[0], argv.data());
    constexpr std::string_view kExecFailed = "test harness: execv of the server failed\n";
    [[maybe_unused]] ssize_t ignored =
        ::write(STDERR_FILENO, kExecFailed.data(), kExecFailed.size());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  output_fd = pipe_fds[0];
  return pid;
}

// Waits for `pid` until `deadline`; the waitpid status, or nullopt on timeout.
std::optional<int> wait_until(pid_t pid, Clock::time_point deadline) {
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return status;
    if (done < 0 && errno != EINTR) return -1;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

int kill_and_reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// The port after the last ':' of the URL that follows the marker on `line`; 0 if unparsable.
std::uint16_t parse_port(std::string_view text) {
  const std::size_t marker = text.find(kListeningMarker);
  if (marker == std::string_view::npos) return 0;
  std::string_view url = text.substr(marker + std::string_view("listening on ").size());
  url = url.substr(0, url.find_first_of(" \t\r\n"));
  const std::size_t colon = url.rfind(':');
  if (colon == std::string_view::npos) return 0;
  const std::string_view digits = url.substr(colon + 1);
  unsigned value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc{} || end == digits.data() || value == 0 || value > 65535) return 0;
  return static_cast<std::uint16_t>(value);
}

bool has_option(const std::vector<std::string>& args, std::string_view name) {
  for (const std::string& arg : args) {
    if (arg == name ||
        (arg.size() > name.size() && arg.starts_with(name) && arg[name.size()] == '=')) {
      return true;
    }
  }
  return false;
}

}  // namespace

ServerProcess::ServerProcess(std::vector<std::string> args)
    : ServerProcess(HYBRIDD_PATH, std::move(args)) {}

ServerProcess::ServerProcess(std::string program, std::vector<std::string> args)
    : program_(std::move(program)) {
  std::vector<std::string> full;
  if (!has_option(args, "--port")) full.insert(full.end(), {"--port", "0"});
  if (!has_option(args, "--bind")) full.insert(full.end(), {"--bind", "127.0.0.1"});
  full.insert(full.end(), args.begin(), args.end());
  if (tests_run_over_tls() && program_ == HYBRIDD_PATH && !has_option(args, "--tls-cert")) {
    const OverTlsFiles& tls = over_tls_files();
    full.insert(full.end(), {"--tls-cert", tls.certificate, "--tls-key", tls.key});
  }

  pid_ = spawn(program_, full, output_fd_);
  if (pid_ < 0) return;
  reader_ = std::thread([this] { drain_output(); });

  const auto deadline = Clock::now() + std::chrono::seconds(10);
  std::unique_lock lock(mutex_);
  const auto line_complete = [this] {
    const std::size_t marker = output_.find(kListeningMarker);
    return output_closed_ ||
           (marker != std::string::npos && output_.find('\n', marker) != std::string::npos);
  };
  output_changed_.wait_until(lock, deadline, line_complete);
  port_ = parse_port(output_);
  if (port_ != 0) return;

  const std::string seen = output_;
  lock.unlock();
  ADD_FAILURE() << program_ << " did not report \"" << kListeningMarker
                << "HOST:PORT\" within 10 s; "
                << "output so far:\n"
                << seen;
  kill_and_reap(pid_);
  pid_ = -1;
  join_reader();
}

namespace {

// A sanitizer report in the child's output fails the test that ran it, even when the test itself
// only looked at responses: the sanitized builds run the real server as the child.
void fail_on_sanitizer_report(const std::string& program, const std::string& output) {
  for (const char* marker : {"ERROR: AddressSanitizer", "WARNING: ThreadSanitizer",
                             "ERROR: LeakSanitizer", "runtime error:"}) {
    if (output.find(marker) != std::string::npos) {
      ADD_FAILURE() << program << " reported \"" << marker << "\":\n" << output;
      return;
    }
  }
}

}  // namespace

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    // A graceful stop first, so the sanitizers' exit-time checks (leaks) run too.
    ::kill(pid_, SIGTERM);
    if (!wait_until(pid_, Clock::now() + std::chrono::seconds(5))) kill_and_reap(pid_);
    pid_ = -1;
  }
  join_reader();
  fail_on_sanitizer_report(program_, output());
}

void ServerProcess::drain_output() {
  std::array<char, 4096> chunk{};
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stop_reader_) return;
    }
    pollfd pfd{output_fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, 50);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    const ssize_t n = ::read(output_fd_, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::lock_guard lock(mutex_);
    output_.append(chunk.data(), static_cast<std::size_t>(n));
    output_changed_.notify_all();
  }
  std::lock_guard lock(mutex_);
  output_closed_ = true;
  output_changed_.notify_all();
}

void ServerProcess::join_reader() {
  if (reader_.joinable()) {
    {
      // The child is gone, so EOF is near; a grandchild holding the pipe must not hang the test.
      std::unique_lock lock(mutex_);
      output_changed_.wait_for(lock, std::chrono::seconds(2), [this] { return output_closed_; });
      stop_reader_ = true;
    }
    reader_.join();
  }
  if (output_fd_ >= 0) {
    ::close(output_fd_);
    output_fd_ = -1;
  }
}

int ServerProcess::stop(int signal, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  if (signal != 0) ::kill(pid_, signal);
  const std::optional<int> status = wait_until(pid_, Clock::now() + timeout);
  if (!status) kill_and_reap(pid_);
  pid_ = -1;
  join_reader();
  fail_on_sanitizer_report(program_, output());
  return status.value_or(-1);
}

std::string ServerProcess::output() const {
  std::lock_guard lock(mutex_);
  return output_;
}

RunResult run_hybridd(std::vector<std::string> args, std::chrono::milliseconds timeout) {
  return run_program(HYBRIDD_PATH, std::move(args), timeout);
}

RunResult run_program(std::string program, std::vector<std::string> args,
                      std::chrono::milliseconds timeout) {
  RunResult result;
  int fd = -1;
  const pid_t pid = spawn(program, args, fd);
  if (pid < 0) return result;

  const auto deadline = Clock::now() + timeout;
  std::array<char, 4096> chunk{};
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    pollfd pfd{fd, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child closed its output, normally by exiting
    result.output.append(chunk.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);

  const std::optional<int> status =
      wait_until(pid, std::max(deadline, Clock::now()) + std::chrono::milliseconds(500));
  if (!status) {
    kill_and_reap(pid);
    result.output += "\n[test harness: " + program + " timed out and was killed]\n";
    result.exit_code = -1;
  } else if (WIFEXITED(*status)) {
    result.exit_code = WEXITSTATUS(*status);
  } else if (WIFSIGNALED(*status)) {
    result.exit_code = 128 + WTERMSIG(*status);
  }
  return result;
}

}  // namespace hybrid::test
