// OpenSSL reports failures on a per-thread error queue. Sessions move between threads, so every
// call that may fail starts with the queue empty and ends with it drained into a message: a
// leftover error would otherwise be blamed on the next connection that thread serves.
#pragma once

#include <string>

namespace hybrid::tls {

// The reasons queued on this thread, oldest first, joined by "; " ("" when none), and the queue
// emptied.
std::string take_openssl_errors();

}  // namespace hybrid::tls
