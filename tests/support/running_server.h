// Runs a configured hybrid::server::Server on a thread of its own, for in-process tests that
// register routes first; stops and joins it (bounded) at the end. Header-only: the support library
// does not link the server.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "hybrid/server/server.h"

namespace hybrid::test {

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
