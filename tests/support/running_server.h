// In-process servers for tests: options for an ephemeral loopback port, and Running, which runs a
// configured hybrid::server::Server (routes registered first) on a thread of its own and stops
// and joins it (bounded) at the end. Header-only: the support library does not link the server.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "hybrid/server/server.h"

namespace hybrid::test {

// `root` served on an ephemeral port of 127.0.0.1 by two workers.
inline server::ServerOptions loopback_options(const std::filesystem::path& root) {
  server::ServerOptions options;
  options.root = root;
  options.port = 0;
  options.bind_address = "127.0.0.1";
  options.threads = 2;
  return options;
}

class Running {
 public:
  explicit Running(server::Server& server) : server_(server) {
    thread_ = std::thread([this] {
      server_.run();
      finished_.set_value();
    });
  }
  ~Running() {
    server_.stop();
    if (finished_.get_future().wait_for(std::chrono::seconds(20)) == std::future_status::ready) {
      thread_.join();
    } else {
      ADD_FAILURE() << "run() did not return";
      thread_.detach();
    }
  }
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;

 private:
  server::Server& server_;
  std::promise<void> finished_;
  std::thread thread_;
};

}  // namespace hybrid::test
