// The access log, one buffer per worker: lines in the combined log format are appended without
// locks and leave in one write(2) per batch, when the buffer fills or the worker goes idle.
// Whole lines per write on an O_APPEND file keep workers' lines from interleaving.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "hybrid/http/request.h"
#include "hybrid/http/status.h"

namespace hybrid::server {

class AccessLog {
 public:
  // `fd` is shared by every worker's AccessLog and outlives them; -1 disables logging.
  explicit AccessLog(int fd) : fd_(fd) {}
  ~AccessLog() { flush(); }
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  bool enabled() const { return fd_ >= 0; }

  // `request` is null when the request could not be parsed (logged as "-").
  void record(std::string_view peer, const http::Request* request, http::Status status,
              std::uint64_t body_bytes);

  void flush();

 private:
  void append_quoted(std::string_view value);

  int fd_;
  std::string buffer_;
  std::int64_t stamp_second_ = -1;
  char stamp_[32] = {};
};

}  // namespace hybrid::server
