// The reactor side of the server: accepting, reading, framing, dispatching to workers, finishing
// writes, timeouts and the shutdown drain. Everything here runs on the reactor thread except
// on_job() (workers) and request_stop() (any thread).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "hybrid/pool/worker_pool.h"
#include "hybrid/reactor/event_loop.h"
#include "hybrid/reactor/listener.h"
#include "hybrid/reactor/timeout_list.h"
#include "hybrid/server/connection.h"
#include "hybrid/server/diagnostic_log.h"
#include "hybrid/server/document_root.h"
#include "hybrid/server/file_change_monitor.h"
#include "hybrid/server/request_worker.h"
#include "hybrid/server/response_exchange.h"
#include "hybrid/server/server.h"
#include "hybrid/server/service.h"
#include "hybrid/server/virtual_hosts.h"
#include "hybrid/tls/sni.h"
#include "hybrid/tls/ticket_keys.h"

namespace hybrid::server {

class ServerCore final : public reactor::EventHandler, public ExchangeListener {
 public:
  explicit ServerCore(ServerOptions options);
  ~ServerCore();

  // Before run() only (std::logic_error afterwards): the routes, mounts and hooks.
  Service& service();

  void run();
  void request_stop();
  // Any thread: see Server::reopen_logs().
  bool reopen_access_log();

  // Any thread: a parked handler exchange has something to send.
  void exchange_ready(std::shared_ptr<ResponseExchange> exchange) override;

  const ServerOptions& options() const { return options_; }
  const reactor::Listener& listener() const { return *main_listener_.listener; }
  std::uint16_t redirect_port() const {
    return redirect_listener_.listener ? redirect_listener_.listener->port() : 0;
  }
  // Any thread: see Server::reload_certificates().
  bool reload_certificates();
  std::size_t threads() const { return pool_->size(); }
  ServerStats stats() const;

  // Reactor thread: readiness of one connection.
  void on_connection_events(Connection& connection, std::uint32_t events);

  // Wake-ups (completions and stop requests) arrive here.
  void on_events(std::uint32_t events) override;

 private:
  // One listening socket: the server's, or the plain one that redirects to HTTPS.
  class ListenerEvents final : public reactor::EventHandler {
   public:
    ListenerEvents(ServerCore& core, bool redirects) : core_(core), redirects_(redirects) {}
    void on_events(std::uint32_t) override { core_.accept_all(*this); }
    bool redirects() const { return redirects_; }
    std::unique_ptr<reactor::Listener> listener;

   private:
    ServerCore& core_;
    const bool redirects_;
  };

  void accept_all(ListenerEvents& source);
  // Every listener leaves the event loop, or joins it again (false: one could not).
  bool watch_listeners(bool on);
  void pause_accepting(reactor::MonotonicMs until);
  void maybe_resume_accepting();

  void read_and_frame(Connection& connection);
  // A TLS listener's connection: its first bytes (peeked) say whether a TLS session starts or
  // the client spoke plain HTTP, which gets 400.
  void look_at_first_bytes(Connection& connection);
  // Reads until the socket is drained or the buffer is full; false when it closed the connection.
  bool fill_input(Connection& connection);
  void after_response(Connection& connection);
  // Output done: what the completion planned (keep reading, close, or linger and close).
  void output_finished(Connection& connection);
  void dispatch(Connection& connection);
  static pool::Priority job_priority(const Connection& connection);
  void submit_backlog();
  void continue_writing(Connection& connection);
  void join_rotation(Connection& connection);
  void run_write_rotation();
  void on_completed(Connection& connection);
  void drain_completions();
  // Pushes a connection a worker is done with to the reactor (the worker's last touch of it).
  void complete(Connection& connection);
  // Handler answers that arrived since the last round.
  void drain_answers();
  // Phase::kAwaiting: sends what the connection's exchange has, or waits for it.
  void await_answer(Connection& connection);
  void start_handler_pool();

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
  Connection& acquire_connection(int fd, StreamKind kind, bool redirects);

  void expire_timeouts();
  int poll_timeout_ms() const;
  void begin_drain();
  void check_root();
  bool drained() const;
  std::uint64_t open_connections() const {
    return reactor_metrics_.accepted.read() - reactor_metrics_.closed.read();
  }

  // Workers: runs one job and hands the connection back (or on to the handler pool).
  void on_job(std::size_t worker, pool::Job job);
  void on_handler_job(std::size_t worker, pool::Job job);

  ServerOptions options_;
  DiagnosticLog diagnostics_;
  reactor::MonotonicMs quiet_pause_until_ = 0;  // "accepting paused" at most once a second
  BodyBuffers body_buffers_;  // before settings_ and the connections, which point to it
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
  // TLS: every certificate set shares these keys, so tickets survive a reload. The reactor takes
  // the current set for each new connection; a reload (any thread) replaces it.
  std::shared_ptr<tls::TicketKeys> ticket_keys_;
  std::atomic<std::shared_ptr<const tls::SniContexts>> certificates_;
  // The small-file caches' inotify events, read here so workers never poll.
  class FileChangeEvents final : public reactor::EventHandler {
   public:
    explicit FileChangeEvents(FileChangeMonitor& monitor) : monitor_(monitor) {}
    void on_events(std::uint32_t) override { monitor_.on_readable(); }

   private:
    FileChangeMonitor& monitor_;
  };

  ListenerEvents main_listener_{*this, false};
  ListenerEvents redirect_listener_{*this, true};    // its listener only with redirect_http_port
  std::unique_ptr<FileChangeMonitor> file_monitor_;  // outlives the workers' caches
  std::unique_ptr<FileChangeEvents> file_change_events_;
  reactor::EventLoop loop_{*this};
  Service service_;                   // filled before run(), read-only while the workers run
  std::atomic<bool> started_{false};  // run() began: the service is read-only from here on
  std::vector<std::unique_ptr<RequestWorker>> workers_;
  std::unique_ptr<pool::WorkerPool> pool_;
  // Blocking handlers run here, started by run() when a route needs it; fast-lane workers submit
  // to it directly (the connection passes from one worker to the other through its queue).
  std::vector<std::unique_ptr<RequestWorker>> handler_workers_;
  std::unique_ptr<pool::WorkerPool> handler_pool_;

  // Exchanges whose handler answered (any thread pushes, the reactor swaps the list out).
  std::mutex answers_mutex_;
  std::vector<std::shared_ptr<ResponseExchange>> answers_;        // guarded by answers_mutex_
  std::vector<std::shared_ptr<ResponseExchange>> answers_taken_;  // reactor only
  std::atomic<bool> answers_pending_{false};

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
  bool drain_overdue_ = false;  // the drain deadline passed (said once in the log)
  bool accepting_ = true;
  reactor::MonotonicMs accept_resume_at_ = -1;

  // The reactor's own counters: connections, dispatches, and the output it finishes.
  ThreadMetrics reactor_metrics_;
  // Set once run() has sized every thread's per-route counters: stats() reads them only then.
  std::atomic<bool> metrics_ready_{false};
  std::size_t with_workers_ = 0;
};

}  // namespace hybrid::server
