// What every concurrency model shares apart from HTTP (exchange.h): its options, the listening
// socket, accepting, the "listening on" line, stopping on SIGINT/SIGTERM, and epoll registration.
// Shared so that the model files differ only in how they wait for sockets.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "hybrid/server/unique_fd.h"

namespace hybrid::models {

using server::UniqueFd;

struct ModelOptions {
  std::string bind_address = "127.0.0.1";  // numeric IPv4 address
  std::uint16_t port = 8080;               // 0: an ephemeral port (printed by announce())
  std::filesystem::path root = "html";
  std::size_t threads = 1;  // hybrid: workers and handler threads; the other models ignore it
};

// A non-blocking listening socket (SO_REUSEADDR, backlog 4096, as benches/compare gives every
// server). Throws std::system_error naming the address.
UniqueFd listen_on(const ModelOptions& options);

// The next pending connection, with TCP_NODELAY (a response's last segment must not wait for the
// client's delayed ACK), blocking or not; empty when none is pending (or accept failed: the
// caller's next wait retries).
UniqueFd accept_connection(int listener, bool non_blocking);

// Prints "bench_models MODEL listening on http://ADDR:PORT (root DIR)", the line hybridd prints
// and tests/support/server_process.h waits for.
void announce(std::string_view model, std::uint16_t port, const ModelOptions& options);
std::uint16_t bound_port(int listener);

// SIGINT and SIGTERM set a flag and write a byte to a pipe, so a model that waits in poll or
// epoll wakes up, and a blocking call returns EINTR (no SA_RESTART). With `wake_on_child_exit`,
// SIGCHLD writes to the pipe too (the process model reaps then). Call once, before any thread.
void install_stop_handlers(bool wake_on_child_exit = false);
bool stop_requested();  // async-signal-safe: a relaxed atomic load
int wake_fd();          // the pipe's read end (non-blocking); readable after a handled signal
void drain_wake_fd();

// Waits until `fd` is readable (true) or a stop was requested (false). Wake-ups for SIGCHLD also
// return true: the caller's accept then finds nothing and it waits again.
bool wait_readable_or_stop(int fd);

// epoll_ctl(ADD) of `fd` for `events` with data.fd = fd. watch() is for setting up (it throws
// std::system_error); a connection that cannot be watched (try_watch() false) is closed instead.
void watch(int epoll_fd, int fd, std::uint32_t events);
bool try_watch(int epoll_fd, int fd, std::uint32_t events);
UniqueFd create_epoll();

}  // namespace hybrid::models
