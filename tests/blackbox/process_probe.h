// The hybridd child seen through /proc (descriptors, memory, CPU time), bounded polling, and a
// raw socket wrapper with loopback connects: shared by the black-box tests of limits and faults.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <utility>

namespace hybrid::test {

using Clock = std::chrono::steady_clock;

inline long long to_ms(Clock::duration duration) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
}

// How many descriptors `pid` holds, or -1 when it is gone. With `sockets_and_files_only`, only
// sockets and files outside /dev count: what a leaked connection or served file would add. Pipes,
// /dev/null and anonymous inodes are left out there, since sanitizer runtimes open those lazily
// (TSan's symbolizer pipes) and they say nothing about leaks.
inline int count_fds(pid_t pid, bool sockets_and_files_only) {
  std::error_code error;
  std::filesystem::directory_iterator entry("/proc/" + std::to_string(pid) + "/fd", error);
  if (error) return -1;
  int count = 0;
  for (; entry != std::filesystem::directory_iterator(); entry.increment(error)) {
    if (error) return -1;
    if (!sockets_and_files_only) {
      ++count;
      continue;
    }
    std::error_code link_error;
    const std::string target = std::filesystem::read_symlink(entry->path(), link_error).string();
    if (link_error) continue;  // closed while we looked
    if (target.rfind("socket:", 0) == 0 ||
        (target.rfind('/', 0) == 0 && target.rfind("/dev/", 0) != 0)) {
      ++count;
    }
  }
  return count;
}

inline int open_fds(pid_t pid) {
  return count_fds(pid, true);
}

// "9 descriptors (2 anon_inode, 1 file /tmp/x, 3 pipe, 1 socket)" from /proc/PID/fd, for
// failure messages.
inline std::string describe_fds(pid_t pid) {
  std::map<std::string, int> kinds;
  int total = 0;
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", error)) {
    std::string target = std::filesystem::read_symlink(entry.path(), error).string();
    if (target.starts_with("/")) target = "file " + target;
    ++kinds[target.substr(0, target.find(':'))];
    ++total;
  }
  std::string text = std::to_string(total) + " descriptors (";
  for (const auto& [kind, count] : kinds) text += std::to_string(count) + " " + kind + ", ";
  if (!kinds.empty()) text.resize(text.size() - 2);
  return text + ")";
}

inline int all_fds(pid_t pid) {
  return count_fds(pid, false);
}

// Resident memory of `pid` in KiB (VmRSS in /proc/PID/status), or -1.
inline long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  }
  return -1;
}

// User plus system CPU time of `pid` in seconds (fields 14 and 15 of /proc/PID/stat), or -1.
inline double cpu_seconds(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  const std::string stat{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  // The command name (field 2) may hold spaces and ')': the fields that follow start after the
  // last ')', with field 3 (state) first.
  const std::size_t name_end = stat.rfind(')');
  if (name_end == std::string::npos) return -1;
  std::istringstream fields(stat.substr(name_end + 1));
  std::string skipped;
  for (int field = 3; field < 14; ++field) fields >> skipped;
  unsigned long long user = 0;
  unsigned long long system = 0;
  if (!(fields >> user >> system)) return -1;
  return static_cast<double>(user + system) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Polls `condition` every 10 ms until it holds (true) or `timeout` passes (false).
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// The descriptor count of an idle server: read until two looks 50 ms apart agree, so connections
// the server is still closing are not part of the baseline.
inline int settled_fds(pid_t pid) {
  int previous = open_fds(pid);
  for (int look = 0; look < 40; ++look) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const int now = open_fds(pid);
    if (now == previous) return now;
    previous = now;
  }
  return previous;
}

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() { reset(); }
  Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Socket& operator=(Socket&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// Starts a non-blocking loopback connect. A positive `receive_buffer` is applied first: only
// before connect() does it bound the window the server sees (the window scale is fixed by the
// handshake).
inline Socket start_connect(std::uint16_t port, int receive_buffer = 0) {
  Socket socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!socket) return socket;
  if (receive_buffer > 0) {
    ::setsockopt(socket.get(), SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 &&
      errno != EINPROGRESS) {
    socket.reset();
  }
  return socket;
}

// Waits until `deadline` for a started connect; true once it is established.
inline bool finish_connect(const Socket& socket, Clock::time_point deadline) {
  pollfd pfd{socket.get(), POLLOUT, 0};
  for (;;) {
    const long long left = to_ms(deadline - Clock::now());
    const int ready = ::poll(&pfd, 1, static_cast<int>(std::max(0LL, left)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    int error = 0;
    socklen_t size = sizeof(error);
    return ::getsockopt(socket.get(), SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error == 0;
  }
}

// An established blocking connection (sends bounded by SO_SNDTIMEO), or an empty Socket.
inline Socket connect_to(std::uint16_t port, int receive_buffer = 0) {
  Socket socket = start_connect(port, receive_buffer);
  if (!socket || !finish_connect(socket, Clock::now() + std::chrono::seconds(5))) return {};
  ::fcntl(socket.get(), F_SETFL, ::fcntl(socket.get(), F_GETFL) & ~O_NONBLOCK);
  const timeval send_timeout{10, 0};
  ::setsockopt(socket.get(), SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
  return socket;
}

}  // namespace hybrid::test
