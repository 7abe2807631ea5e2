// The teaching text's servers, one concurrency model per file, in the text's order. Each runs
// until SIGINT or SIGTERM, then returns with no connection, thread or child left; start-up
// failures throw std::exception with a message for the user.
#pragma once

#include "benches/models/common.h"

namespace hybrid::models {

void run_fixed(const ModelOptions& options);             // 1. fixed.cc
void run_iterative(const ModelOptions& options);         // 2. iterative.cc
void run_process(const ModelOptions& options);           // 3. process.cc
void run_thread(const ModelOptions& options);            // 4. thread.cc
void run_coroutine(const ModelOptions& options);         // 5. coroutine.cc
void run_poll_nonblocking(const ModelOptions& options);  // 6. poll_nonblocking.cc
void run_epoll_lt(const ModelOptions& options);          // 7. epoll_lt.cc
void run_epoll_et(const ModelOptions& options);          // 7. epoll_et.cc
void run_hybrid(const ModelOptions& options);            // the conclusion: hybrid.cc

}  // namespace hybrid::models
