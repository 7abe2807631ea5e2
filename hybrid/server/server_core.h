// The reactor side of the server: accepting, reading, framing, dispatching to workers, finishing
// writes, timeouts and the shutdown drain. Everything here runs on the reactor thread except
// on_job() (workers) and request_stop() (any thread).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "hybrid/pool/worker_pool.h"
#include "hybrid/reactor/event_loop.h"
#include "hybrid/reactor/listener.h"
#include "hybrid/reactor/timeout_list.h"
#include "hybrid/server/connection.h"
#include "hybrid/server/document_root.h"
#include "hybrid/server/file_change_monitor.h"
#include "hybrid/server/request_worker.h"
#include "hybrid/server/server.h"
#include "hybrid/server/virtual_hosts.h"

namespace hybrid::server {

class ServerCore final : public reactor::EventHandler {
 public:
  explicit ServerCore(ServerOptions options);
  ~ServerCore();

  void run();
  void request_stop();

  const ServerOptions& options() const { return options_; }
  const reactor::Listener& listener() const { return *listener_; }
  std::size_t threads() const { return pool_->size(); }
  ServerStats stats() const;

  // Reactor thread: readiness of one connection.
  void on_connection_events(Connection& connection, std::uint32_t events);

  // Wake-ups (completions and stop requests) arrive here.
  void on_events(std::uint32_t events) override;

 private:
  class ListenerEvents final : public reactor::EventHandler {
   public:
    explicit ListenerEvents(ServerCore& core) : core_(core) {}
    void on_events(std::uint32_t) override { core_.accept_all(); }

   private:
    ServerCore& core_;
  };

  void accept_all();
  void pause_accepting(reactor::MonotonicMs until);
  void maybe_resume_accepting();

  void read_and_frame(Connection& connection);
  // Reads until the socket is drained or the buffer is full; false when it closed the connection.
  bool fill_input(Connection& connection);
  void after_response(Connection& connection);
  void dispatch(Connection& connection);
  void submit_backlog();
  void continue_writing(Connection& connection);
  void join_rotation(Connection& connection);
  void run_write_rotation();
  void on_completed(Connection& connection);
  void drain_completions();

  void wait_for_request(Connection& connection);
  bool ensure_input_buffer(Connection& connection);
  void release_input_buffer(Connection& connection);
  void close_connection(Connection& connection);
  // After the last response: closes, or lingers (Phase::kLingering) while the client may still
  // be sending.
  void close_after_response(Connection& connection);
  void discard_input(Connection& connection);
  // The backlog and the write rotation: FIFO lists linked through Connection::next_queued.
  static void append_to(Connection*& head, Connection*& tail, Connection& connection);
  static void unlink_from(Connection*& head, Connection*& tail, Connection& connection);
  Connection& acquire_connection(int fd);

  void expire_timeouts();
  int poll_timeout_ms() const;
  void begin_drain();
  void check_root();
  bool drained() const;

  // Workers: runs one job and hands the connection back.
  void on_job(std::size_t worker, pool::Job job);

  ServerOptions options_;
  ResponseSettings settings_;
  http::Request scratch_request_;  // the reactor only frames; workers parse for themselves
  std::unique_ptr<VirtualHosts> virtual_hosts_;
  // The document root, reopened when the directory is replaced; null while it is missing.
  // `root_` is the reactor's reference, for check_root(); workers read `shared_root_`, and a
  // replaced root closes once the last worker that used it has moved on.
  std::shared_ptr<const DocumentRoot> root_;
  SharedRoot shared_root_;
  bool root_missing_ = false;
  reactor::MonotonicMs root_check_at_ = 0;
  int access_log_fd_ = -1;
  std::unique_ptr<reactor::Listener> listener_;
  // The small-file caches' inotify events, read here so workers never poll.
  class FileChangeEvents final : public reactor::EventHandler {
   public:
    explicit FileChangeEvents(FileChangeMonitor& monitor) : monitor_(monitor) {}
    void on_events(std::uint32_t) override { monitor_.on_readable(); }

   private:
    FileChangeMonitor& monitor_;
  };

  ListenerEvents listener_events_{*this};
  std::unique_ptr<FileChangeMonitor> file_monitor_;  // outlives the workers' caches
  std::unique_ptr<FileChangeEvents> file_change_events_;
  reactor::EventLoop loop_{*this};
  std::vector<std::unique_ptr<RequestWorker>> workers_;
  std::unique_ptr<pool::WorkerPool> pool_;

  // Connection objects are pooled for the server's lifetime: a stale epoll event can only ever
  // reach a live object. Objects closed during one epoll batch return to the free list after it,
  // so a stale event from that batch never hits a connection accepted in the same batch.
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> free_connections_;
  std::vector<Connection*> closed_this_batch_;
  std::vector<std::unique_ptr<char[]>> free_buffers_;
  std::size_t input_capacity_;

  // Workers push finished connections here (lock-free stack); the reactor takes the whole
  // stack at once. Most completions need no wake-up at all: a keep-alive connection whose
  // response went out whole only matters again when its next request arrives, and that arrival
  // wakes the reactor through epoll, which then takes the stack first. Only an urgent completion
  // (close, unsent output, buffered input, readiness the reactor already saw) writes the event
  // loop's coalesced eventfd, and only while the reactor may be asleep.
  std::atomic<Connection*> completed_{nullptr};
  std::atomic<bool> urgent_completion_{false};
  // True while the reactor may block in epoll_wait.
  std::atomic<bool> reactor_may_sleep_{false};

  // Connections with a complete request that found the job queue full (FIFO).
  Connection* backlog_head_ = nullptr;
  Connection* backlog_tail_ = nullptr;
  // Connections writing a large body whose socket takes more: one turn each per round (FIFO).
  Connection* rotation_head_ = nullptr;
  Connection* rotation_tail_ = nullptr;

  reactor::TimeoutList keepalive_timeouts_;
  reactor::TimeoutList header_timeouts_;
  reactor::TimeoutList body_timeouts_;
  reactor::TimeoutList send_timeouts_;
  reactor::TimeoutList lingering_timeouts_;
  std::array<char, 16384> discarded_{};  // what lingering connections read goes here

  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> draining_{false};  // read by workers: responses close their connection
  reactor::MonotonicMs drain_deadline_ = 0;
  bool accepting_ = true;
  reactor::MonotonicMs accept_resume_at_ = -1;

  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> open_{0};
  std::atomic<std::uint64_t> dispatched_{0};
  std::size_t with_workers_ = 0;
};

}  // namespace hybrid::server
