// 4. A thread per connection. The text started a thread for each accepted connection: the same
// blocking code as the process model, sharing one address space. So does this one, with no cap
// (--threads is ignored): each thread keeps its connection for as many requests as the client
// sends. On SIGTERM the sockets still served are shut down, which ends their blocked reads, and
// every thread is joined. What it shows: cheaper than a process, and blocking work (/sleep) holds
// only its own thread — but a stack and the scheduler's context switches per client, which is
// what stops it at thousands of connections.
#include <sys/socket.h>

#include <list>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "benches/models/exchange.h"
#include "benches/models/models.h"

namespace hybrid::models {
namespace {

class ConnectionThreads {
 public:
  // Starts a thread that serves `socket` until the connection ends. No thread (the system is
  // out of them): the socket closes, and the client sees that instead of a hang.
  void start(UniqueFd socket, const Site& site) {
    std::lock_guard lock(mutex_);
    join_finished();
    const auto entry = threads_.emplace(threads_.end());
    entry->socket = socket.get();
    try {
      entry->thread = std::thread([this, entry, &site, socket = std::move(socket)]() mutable {
        Session session(std::move(socket));
        session.advance(site);
        std::lock_guard finished_lock(mutex_);
        // Marked while the socket is still open (the session closes it after this): stop()
        // shuts down only unfinished sockets, so never a descriptor number reused meanwhile.
        entry->finished = true;
        finished_.push_back(entry);
      });
    } catch (const std::system_error&) {
      threads_.erase(entry);
    }
  }

  // Ends every connection's blocked read and joins every thread.
  void stop() {
    std::list<Entry> all;
    {
      std::lock_guard lock(mutex_);
      for (const Entry& entry : threads_) {
        if (!entry.finished) ::shutdown(entry.socket, SHUT_RDWR);
      }
      all.splice(all.end(), threads_);  // iterators stay valid for threads still finishing
    }
    for (Entry& entry : all) entry.thread.join();
  }

 private:
  struct Entry {
    std::thread thread;
    int socket = -1;
    bool finished = false;  // guarded by mutex_
  };

  // Under mutex_. A finished thread only closes its socket and returns: joining is short.
  void join_finished() {
    for (const auto entry : finished_) {
      entry->thread.join();
      threads_.erase(entry);
    }
    finished_.clear();
  }

  std::mutex mutex_;
  std::list<Entry> threads_;                          // guarded by mutex_
  std::vector<std::list<Entry>::iterator> finished_;  // guarded by mutex_
};

}  // namespace

void run_thread(const ModelOptions& options) {
  install_stop_handlers();
  const Site site(options.root);
  const UniqueFd listener = listen_on(options);
  announce("thread", bound_port(listener.get()), options);
  ConnectionThreads threads;
  while (wait_readable_or_stop(listener.get())) {
    while (!stop_requested()) {
      UniqueFd socket = accept_connection(listener.get(), /*non_blocking=*/false);
      if (!socket) break;
      threads.start(std::move(socket), site);
    }
  }
  threads.stop();
}

}  // namespace hybrid::models
