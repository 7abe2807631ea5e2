// HTTP for the concurrency models, the same in all of them: turn the bytes a connection received
// into responses with hybrid/http (parser, request rules, path normalisation, MIME, response
// heads) and hybrid/server's open_beneath, and move bytes between a socket and those buffers.
// Blocking and non-blocking sockets take the same calls: on a blocking one nothing ever reports
// "would block", so one Session::advance() serves a whole connection.
//
// The routes: GET or HEAD of a file below the root (a directory's index.html; 404 when missing),
// and GET /sleep?ms=N (0-10000), whose work blocks the calling thread for N ms in nanosleep —
// a stand-in for a synchronous database call.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "benches/models/common.h"

namespace hybrid::models {

// The document root, opened once; throws std::system_error when it is not a directory.
class Site {
 public:
  explicit Site(const std::filesystem::path& root);
  int fd() const { return root_.get(); }

 private:
  UniqueFd root_;
};

// One response on its way out.
struct Reply {
  std::string bytes;  // the head, and a small body (≤ kInlineBodyLimit) in the same send
  std::size_t bytes_sent = 0;
  UniqueFd file;  // a larger body, sent with sendfile after `bytes`
  off_t file_offset = 0;
  off_t file_end = 0;
  bool close_after = false;  // the connection closes once this reply is out
};

// Bodies up to this size are read into the reply and leave with the head in one send; larger
// ones go out with sendfile (hybrid's small_file_limit too).
inline constexpr std::size_t kInlineBodyLimit = 32 * 1024;
inline constexpr int kMaxSleepMilliseconds = 10'000;

enum class Progress : unsigned char { kDone, kBlocked, kFailed };

// Sends what is left of `reply`: all of it on a blocking socket; on a non-blocking one until the
// socket takes no more (kBlocked; call again when it is writable). kFailed: the peer is gone.
Progress send_reply(int socket, Reply& reply);

enum class Input : unsigned char { kRead, kWouldBlock, kEnd, kFailed };

// One recv of up to 16 KiB appended to `input`. kEnd: the peer closed its side.
Input read_some(int socket, std::string& input);

// The reply to the first request in `input` once its whole head is there (its bytes are then
// consumed; pipelined bytes after it stay); nullopt while the head is incomplete. A malformed or
// oversized head gets its 4xx and closes the connection. `keep_alive` false closes after every
// reply ("Connection: close"), as a server that serves one connection at a time must.
std::optional<Reply> answer_next(std::string& input, const Site& site, bool keep_alive = true);

inline constexpr std::string_view kSleepPath = "/sleep";
// N when `ms` is an integer from 0 to kMaxSleepMilliseconds; requested_sleep() looks for it in
// the "ms" parameter of a query ("ms=5").
std::optional<int> sleep_milliseconds(std::string_view ms);
std::optional<int> requested_sleep(std::string_view query);
// The /sleep request's work: nanosleep for `duration`, resumed after a signal unless stopping.
void block_for(std::chrono::milliseconds duration);
std::string sleep_body(int milliseconds);  // "slept N ms\n"

// A connection: the bytes received and not yet answered, and the reply on its way out (one at a
// time; pipelined requests wait in `input` until it is sent).
class Session {
 public:
  explicit Session(UniqueFd socket, bool keep_alive = true)
      : socket_(std::move(socket)), keep_alive_(keep_alive) {}

  int fd() const { return socket_.get(); }

  // Sends what is pending, answers every whole request received, and reads more, until the
  // socket would block (true: call again when epoll or a sweep says it is ready) or the
  // connection is over (false: the peer closed, failed, or a closing reply went out; drop the
  // session, which closes the socket). On a blocking socket it returns only at the end.
  bool advance(const Site& site);

  // A reply waits for room in the socket (wait for writability, not readability).
  bool wants_write() const { return pending_.has_value(); }

 private:
  UniqueFd socket_;
  bool keep_alive_;
  bool peer_closed_ = false;
  std::string input_;
  std::optional<Reply> pending_;
};

// Sessions by descriptor number for the epoll models: a slot table, as redis's ae keeps, not a
// map.
class SessionTable {
 public:
  void add(UniqueFd socket);
  // The session on `fd`, or null: the wake-up pipe, or a connection closed earlier in this epoll
  // round (a new connection that got its number takes only a spurious try from a stale event).
  Session* find(int fd);
  void remove(int fd);  // closes the socket, which also takes it out of epoll

 private:
  std::vector<std::unique_ptr<Session>> slots_;
};

}  // namespace hybrid::models
