#include "hybrid/server/server_core.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "hybrid/server/certificates.h"
#include "hybrid/tls/client_hello.h"

namespace hybrid::server {
namespace {

constexpr std::uint32_t kConnectionEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
constexpr std::size_t kJobQueueCapacity = 8192;
constexpr std::size_t kMaxFreeBuffers = 1024;
// After EMFILE/ENFILE the listener rests this long instead of spinning on a backlog it cannot
// accept; pending clients wait in the kernel's queue and are served once descriptors free up.
constexpr reactor::MonotonicMs kAcceptPauseMs = 100;
// How long a completion that needs no wake-up may wait for the reactor when it is seen before
// the reactor sleeps; one pushed while it sleeps waits at most kHousekeepingMs. Either only
// delays the start of that connection's keep-alive timeout and the return of its input buffer.
constexpr int kLazyCompletionMs = 20;
constexpr reactor::MonotonicMs kHousekeepingMs = 1000;
constexpr int kRotationPauseMs = 1;

void validate(const ServerOptions& options) {
  if (options.max_request_line < 64) throw std::invalid_argument("max request line must be >= 64");
  if (options.max_head_bytes < options.max_request_line) {
    throw std::invalid_argument("max head bytes (" + std::to_string(options.max_head_bytes) +
                                ") must be >= the max request line (" +
                                std::to_string(options.max_request_line) + ")");
  }
  if (options.max_connections == 0) throw std::invalid_argument("max connections must be >= 1");
  if (options.max_headers == 0 || options.max_headers > http::kMaxHeaders) {
    throw std::invalid_argument("max headers must be 1 to " + std::to_string(http::kMaxHeaders));
  }
  if (options.small_file_limit > (1u << 20)) {
    throw std::invalid_argument("small file limit must be <= 1 MiB");
  }
  if (options.threads > 1024) throw std::invalid_argument("threads must be <= 1024");
  if (!options.status_path.empty() &&
      (options.status_path.front() != '/' ||
       options.status_path.find_first_of("?# \t\r\n") != std::string::npos)) {
    throw std::invalid_argument("status path '" + options.status_path +
                                "' must be a path starting with '/', without query");
  }
  if (options.redirect_http_port && options.tls_certificate.empty()) {
    throw std::invalid_argument("redirecting plain HTTP to HTTPS needs a TLS certificate");
  }
  if (options.tls_ticket_period.count() <= 0) {
    throw std::invalid_argument("the TLS ticket period must be positive");
  }
  if (options.status_path.empty() && !options.status_allow.empty()) {
    throw std::invalid_argument("status allow is set, but there is no status path to allow");
  }
  for (const std::string& network : options.status_allow) {
    if (!AddressRange::parse(network)) {
      throw std::invalid_argument("status allow '" + network +
                                  "' is not an IPv4 or IPv6 address or CIDR network");
    }
  }
}

constexpr std::size_t kMaxErrorPage = 64 * 1024;

std::string read_error_page(int status, const std::filesystem::path& path) {
  if (status < 400 || status > 599) {
    throw std::invalid_argument("error page for " + std::to_string(status) +
                                ": only 4xx and 5xx statuses have error pages");
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw std::system_error(errno, std::generic_category(), "error page '" + path.string() + "'");
  }
  std::string page(kMaxErrorPage + 1, '\0');
  std::size_t size = 0;
  while (size < page.size()) {
    ssize_t got = ::read(fd, page.data() + size, page.size() - size);
    if (got <= 0) break;
    size += static_cast<std::size_t>(got);
  }
  ::close(fd);
  if (size > kMaxErrorPage) {
    throw std::invalid_argument("error page '" + path.string() + "' is larger than 64 KiB");
  }
  if (size == 0) throw std::invalid_argument("error page '" + path.string() + "' is empty");
  page.resize(size);
  return page;
}

}  // namespace

void Connection::on_events(std::uint32_t events) {
  core_.on_connection_events(*this, events);
}

ServerCore::ServerCore(ServerOptions options)
    : options_(std::move(options)),
      diagnostics_(options_.log_level),
      input_capacity_(0),
      keepalive_timeouts_(options_.keepalive_timeout.count()),
      header_timeouts_(options_.header_timeout.count()),
      body_timeouts_(options_.body_timeout.count()),
      send_timeouts_(options_.send_timeout.count()),
      lingering_timeouts_(options_.lingering_timeout.count()) {
  validate(options_);
  // sendfile(2) has no MSG_NOSIGNAL: a peer that vanished mid-body would kill the process with
  // SIGPIPE. Ignore it unless the embedding program installed its own handler.
  struct sigaction current {};
  if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    signal(SIGPIPE, SIG_IGN);
  }
  settings_.parse.max_request_line = options_.max_request_line;
  settings_.parse.max_head_bytes = options_.max_head_bytes;
  settings_.parse.max_headers = options_.max_headers;
  settings_.small_file_limit = options_.small_file_limit;
  settings_.body.max_body_bytes = options_.max_body_bytes;
  settings_.cache_control = options_.cache_control;
  settings_.serve_dotfiles = options_.serve_dotfiles;
  settings_.autoindex = options_.autoindex;
  settings_.precompressed = options_.precompressed;
  settings_.body_buffers = &body_buffers_;
  settings_.status_path = options_.status_path;
  for (const std::string& network : options_.status_allow) {
    settings_.status_allow.push_back(*AddressRange::parse(network));
  }
  if (settings_.status_allow.empty()) {
    const auto& loopback = AddressRange::loopback();
    settings_.status_allow.assign(loopback.begin(), loopback.end());
  }
  settings_.stats = [this] { return stats(); };
  settings_.diagnostics = &diagnostics_;
  for (const auto& [status, path] : options_.error_pages) {
    settings_.error_pages[status] = read_error_page(status, path);
  }
  if (!options_.vhosts.empty()) {
    virtual_hosts_ = std::make_unique<VirtualHosts>(options_.vhosts);
    settings_.virtual_hosts = virtual_hosts_.get();
  }
  input_capacity_ = connection_input_capacity(settings_.parse);
  if (!options_.tls_certificate.empty() || !options_.tls_key.empty()) {
    ticket_keys_ = std::make_shared<tls::TicketKeys>(options_.tls_ticket_period);
    certificates_.store(load_certificates(options_, ticket_keys_));
    settings_.hide_site_certificates = !options_.vhosts.empty();
  }

  root_ = DocumentRoot::open(options_.root);
  if (!root_) {
    throw std::system_error(errno, std::generic_category(),
                            "document root '" + options_.root.string() + "'");
  }
  shared_root_.publish(root_);
  try {
    if (options_.access_log == "-") {
      access_log_fd_ = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0);
    } else if (!options_.access_log.empty()) {
      access_log_fd_ =
          ::open(options_.access_log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    }
    if (!options_.access_log.empty() && access_log_fd_ < 0) {
      throw std::system_error(errno, std::generic_category(),
                              "access log '" + options_.access_log.string() + "'");
    }
    main_listener_.listener = std::make_unique<reactor::Listener>(
        options_.bind_address, options_.port, reactor::kDefaultBacklog, options_.reuse_port);
    if (options_.redirect_http_port) {
      redirect_listener_.listener =
          std::make_unique<reactor::Listener>(options_.bind_address, *options_.redirect_http_port,
                                              reactor::kDefaultBacklog, options_.reuse_port);
    }
    settings_.https_port = main_listener_.listener->port();
    for (ListenerEvents* source : {&main_listener_, &redirect_listener_}) {
      if (!source->listener) continue;
      if (int error = loop_.add(source->listener->fd(), EPOLLIN, *source); error != 0) {
        throw std::system_error(error, std::generic_category(), "epoll_ctl(listener)");
      }
    }
    std::size_t threads = options_.threads;
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    settings_.gzip_budget = options_.gzip_cache_bytes / threads;
    settings_.file_cache_budget = options_.file_cache_bytes / threads;
    if (settings_.file_cache_budget > 0) {
      file_monitor_ = std::make_unique<FileChangeMonitor>();
      file_change_events_ = std::make_unique<FileChangeEvents>(*file_monitor_);
      if (file_monitor_->enabled() &&
          loop_.add(file_monitor_->fd(), EPOLLIN, *file_change_events_) == 0) {
        settings_.file_monitor = file_monitor_.get();
      }
    }
    if (options_.gzip_cache_bytes > 0 && settings_.gzip_budget == 0) settings_.gzip_budget = 1;
    for (std::size_t i = 0; i < threads; ++i) {
      workers_.push_back(std::make_unique<RequestWorker>(shared_root_, settings_, draining_,
                                                         access_log_fd_, service_, *this));
    }
    pool_ = std::make_unique<pool::WorkerPool>(
        threads, kJobQueueCapacity,
        [this](std::size_t worker, pool::Job job) { on_job(worker, job); },
        [this](std::size_t worker) { workers_[worker]->on_idle(); },
        options_.batch_scheduling ? pool::Scheduling::kBatch : pool::Scheduling::kNormal,
        ticket_keys_ ? kJobQueueCapacity : 1);
  } catch (...) {
    if (access_log_fd_ >= 0) ::close(access_log_fd_);
    throw;
  }
}

ServerCore::~ServerCore() {
  pool_.reset();  // joins the workers before anything they use goes away
  handler_pool_.reset();
  for (auto& connection : connections_) {
    if (connection->reactor_only.phase != Phase::kFree) {
      connection->clear_output();
      ::close(connection->fd);
    }
  }
  workers_.clear();  // flushes the access log
  handler_workers_.clear();
  if (access_log_fd_ >= 0) ::close(access_log_fd_);
}

bool ServerCore::reload_certificates() {
  if (!ticket_keys_) return true;
  try {
    certificates_.store(load_certificates(options_, ticket_keys_));
  } catch (const std::exception& error) {
    diagnostics_.write(LogLevel::kError, "cannot reload the TLS certificates: %s; keeping the old",
                       error.what());
    return false;
  }
  diagnostics_.write(LogLevel::kInfo, "reloaded the TLS certificates");
  return true;
}

bool ServerCore::reopen_access_log() {
  if (access_log_fd_ < 0 || options_.access_log == "-") return true;
  const int fresh =
      ::open(options_.access_log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fresh < 0) {
    const int error = errno;
    diagnostics_.write(LogLevel::kWarn, "cannot reopen the access log '%s': %s",
                       options_.access_log.c_str(), std::strerror(error));
    errno = error;
    return false;
  }
  // The new file takes the log's descriptor number, which every worker keeps: their next write
  // goes to it, and a write already under way finishes on the old file. No worker is told,
  // nothing is locked, no line is lost or split between the files.
  const bool replaced = ::dup3(fresh, access_log_fd_, O_CLOEXEC) >= 0;
  const int error = errno;
  ::close(fresh);
  if (replaced) {
    diagnostics_.write(LogLevel::kInfo, "reopened the access log '%s'",
                       options_.access_log.c_str());
  } else {
    diagnostics_.write(LogLevel::kWarn, "cannot reopen the access log '%s': %s",
                       options_.access_log.c_str(), std::strerror(error));
  }
  errno = error;
  return replaced;
}

ServerStats ServerCore::stats() const {
  ServerStats stats;
  const ThreadMetrics& reactor = reactor_metrics_;
  const std::uint64_t closed = reactor.closed.read();
  stats.connections_accepted = reactor.accepted.read();
  stats.connections_open = stats.connections_accepted - closed;
  stats.jobs_dispatched = reactor.dispatched.read();
  const bool by_route = metrics_ready_.load(std::memory_order_acquire);
  if (by_route) {
    stats.requests_by_route.push_back({"static", 0});
    for (std::size_t id = 0; id < service_.route_count(); ++id) {
      stats.requests_by_route.push_back({service_.route(id).label, 0});
    }
  }
  // What the reactor finished writing: bytes, and the durations of those responses.
  stats.bytes_sent = reactor.bytes_sent.read();
  reactor.request_duration.add_to(stats.request_duration);

  std::uint64_t started = 0;
  std::uint64_t handed_off = 0;
  for (const auto& worker : workers_) {
    worker->add_to(stats, stats.workers);
    started += worker->metrics().jobs_started.read();
    handed_off += worker->metrics().handed_off.read();
  }
  // Counted before the started jobs they are compared with, so a job that starts meanwhile
  // cannot make the queue look negative.
  stats.workers.queued = stats.jobs_dispatched > started ? stats.jobs_dispatched - started : 0;
  if (by_route) {
    std::uint64_t handler_started = 0;
    for (const auto& worker : handler_workers_) {
      worker->add_to(stats, stats.handler_workers);
      handler_started += worker->metrics().jobs_started.read();
    }
    stats.handler_workers.queued = handed_off > handler_started ? handed_off - handler_started : 0;
  }
  return stats;
}

Service& ServerCore::service() {
  if (started_) throw std::logic_error("routes, mounts and hooks must be set before run()");
  return service_;
}

void ServerCore::start_handler_pool() {
  if (!service_.has_blocking_routes()) return;
  std::size_t threads = options_.handler_threads != 0 ? options_.handler_threads : pool_->size();
  for (std::size_t i = 0; i < threads; ++i) {
    // No file cache or gzip cache of their own: these workers serve static files only when a
    // client pipelines one behind a blocking request.
    handler_workers_.push_back(std::make_unique<RequestWorker>(
        shared_root_, settings_, draining_, access_log_fd_, service_, *this, Lane::kHandlers));
  }
  // A full queue answers 503 at once (on_job): room for every connection is room enough.
  const std::size_t capacity = std::clamp<std::size_t>(options_.max_connections, 64, 65534);
  handler_pool_ = std::make_unique<pool::WorkerPool>(
      threads, capacity, [this](std::size_t worker, pool::Job job) { on_handler_job(worker, job); },
      [this](std::size_t worker) { handler_workers_[worker]->on_idle(); });
}

void ServerCore::request_stop() {
  stop_requested_.store(true);
  loop_.wake();
}

void ServerCore::run() {
  started_ = true;
  start_handler_pool();
  const std::size_t route_slots = 1 + service_.route_count();
  for (const auto* lane : {&workers_, &handler_workers_}) {
    for (const auto& worker : *lane) worker->metrics().size_routes(route_slots);
  }
  metrics_ready_.store(true, std::memory_order_release);
  diagnostics_.write(LogLevel::kInfo, "serving on port %u with %zu workers and %zu handler threads",
                     static_cast<unsigned>(main_listener_.listener->port()), pool_->size(),
                     handler_pool_ ? handler_pool_->size() : std::size_t{0});
  while (true) {
    // Dekker with on_job(): either this load sees an urgent completion pushed before the store,
    // or the worker pushing it sees the flag and writes the eventfd.
    reactor_may_sleep_.store(true);
    int timeout = poll_timeout_ms();
    if (urgent_completion_.load() || (rotation_head_ != nullptr && with_workers_ == 0)) {
      timeout = 0;
    } else if (rotation_head_ != nullptr) {
      // Writers wait, but a worker holds a request: spinning here would starve it when it
      // shares this core. Its completion (or any socket event) ends the wait early.
      timeout = std::min(timeout, kRotationPauseMs);
    } else if (completed_.load() != nullptr) {
      timeout = std::min(timeout, kLazyCompletionMs);
    }
    // A worker holds jobs from this reactor: let it run before sleeping. When it shares this
    // core, sleeping first would make each request that arrives meanwhile pay a cross-core
    // wake-up of this thread, charged to the client's core (measured: 0.14 per request, and
    // ~4 % of the load generator's CPU); after the yield those requests are simply waiting.
    // With the workers on other cores the yield returns at once: one syscall per round.
    bool dispatched = false;
    if (timeout != 0 && with_workers_ > 0) {
      ::sched_yield();
      dispatched = loop_.run_once(0) > 0;
    }
    if (!dispatched) loop_.run_once(timeout);
    reactor_may_sleep_.store(false, std::memory_order_relaxed);
    drain_completions();
    if (answers_pending_.load(std::memory_order_relaxed)) drain_answers();
    submit_backlog();
    pool_->end_batch();  // one wake-up for every job this round submitted
    run_write_rotation();
    expire_timeouts();
    if (loop_.now() >= root_check_at_) check_root();
    if (draining_.load(std::memory_order_relaxed)) {
      if (drained()) break;
      if (loop_.now() >= drain_deadline_) {
        // Past the drain time: whatever the reactor holds is closed; connections with a worker
        // come back soon (worker jobs are bounded) and are closed on arrival.
        if (!drain_overdue_) {
          diagnostics_.write(LogLevel::kWarn,
                             "drain timeout: closing %llu connections still in progress",
                             static_cast<unsigned long long>(open_connections()));
          drain_overdue_ = true;
        }
        for (auto& connection : connections_) {
          Phase phase = connection->reactor_only.phase;
          if (phase == Phase::kReading || phase == Phase::kWriting || phase == Phase::kQueued ||
              phase == Phase::kAwaiting) {
            close_connection(*connection);
          }
        }
      }
    } else {
      maybe_resume_accepting();
    }
    for (Connection* closed : closed_this_batch_) free_connections_.push_back(closed);
    closed_this_batch_.clear();
  }
  pool_->stop();
  if (handler_pool_) handler_pool_->stop();
  diagnostics_.write(LogLevel::kInfo, "stopped");
}

int ServerCore::poll_timeout_ms() const {
  reactor::MonotonicMs next = -1;
  auto consider = [&next](reactor::MonotonicMs deadline) {
    if (deadline >= 0 && (next < 0 || deadline < next)) next = deadline;
  };
  consider(keepalive_timeouts_.next_deadline());
  consider(header_timeouts_.next_deadline());
  consider(body_timeouts_.next_deadline());
  consider(send_timeouts_.next_deadline());
  consider(lingering_timeouts_.next_deadline());
  if (!accepting_ && !draining_.load(std::memory_order_relaxed)) consider(accept_resume_at_);
  if (draining_.load(std::memory_order_relaxed)) consider(drain_deadline_);
  if (options_.vhosts.empty()) consider(root_check_at_);
  consider(loop_.now() + kHousekeepingMs);  // completions that arrived while asleep
  return static_cast<int>(std::clamp<reactor::MonotonicMs>(next - loop_.now(), 0, 60'000));
}

// ---- accepting ----

void ServerCore::accept_all(ListenerEvents& source) {
  while (accepting_) {
    if (open_connections() >= options_.max_connections) {
      if (loop_.now() >= quiet_pause_until_) {
        diagnostics_.write(LogLevel::kInfo,
                           "%zu connections open (--max-connections): "
                           "accepting paused until one closes",
                           options_.max_connections);
        quiet_pause_until_ = loop_.now() + 1000;
      }
      pause_accepting(-1);  // resumes when a connection closes
      return;
    }
    char peer[sizeof Connection::peer] = {};
    const bool wants_peer = access_log_fd_ >= 0 || !service_.empty() ||
                            !options_.status_path.empty() || diagnostics_.enabled(LogLevel::kDebug);
    int fd =
        source.listener->accept_connection(wants_peer ? std::span<char>(peer) : std::span<char>());
    if (fd < 0) {
      switch (-fd) {
        case EAGAIN:
          return;
        case EINTR:
        case ECONNABORTED:
        case EPROTO:
        case EPERM:
          continue;
        default:  // EMFILE, ENFILE, ENOBUFS, ENOMEM: out of resources
          if (loop_.now() >= quiet_pause_until_) {
            diagnostics_.write(LogLevel::kWarn, "accept: %s; accepting paused for %lld ms",
                               std::strerror(-fd), static_cast<long long>(kAcceptPauseMs));
            quiet_pause_until_ = loop_.now() + 1000;
          }
          pause_accepting(loop_.now() + kAcceptPauseMs);
          return;
      }
    }
    // A TLS listener's connection starts by showing its first bytes; the redirect listener's
    // are plain.
    const StreamKind kind =
        ticket_keys_ && !source.redirects() ? StreamKind::kTlsHello : StreamKind::kPlain;
    Connection& connection = acquire_connection(fd, kind, source.redirects());
    std::memcpy(connection.peer, peer, sizeof peer);
    if (loop_.add(fd, kConnectionEvents, connection) != 0) {
      close_connection(connection);
      continue;
    }
    header_timeouts_.arm(connection.timeout, loop_.now());
  }
}

void ServerCore::pause_accepting(reactor::MonotonicMs until) {
  if (accepting_) {
    watch_listeners(false);
    accepting_ = false;
  }
  accept_resume_at_ = until;
}

bool ServerCore::watch_listeners(bool on) {
  bool watched = true;
  for (ListenerEvents* source : {&main_listener_, &redirect_listener_}) {
    if (!source->listener) continue;
    if (on) {
      watched = loop_.add(source->listener->fd(), EPOLLIN, *source) == 0 && watched;
    } else {
      loop_.remove(source->listener->fd());
    }
  }
  return watched;
}

void ServerCore::maybe_resume_accepting() {
  if (accepting_ || open_connections() >= options_.max_connections) return;
  if (accept_resume_at_ >= 0 && loop_.now() < accept_resume_at_) return;
  if (!watch_listeners(true)) {
    watch_listeners(false);  // try again at the next round
    return;
  }
  accepting_ = true;
  for (ListenerEvents* source : {&main_listener_, &redirect_listener_}) {
    if (source->listener && accepting_) accept_all(*source);
  }
}

Connection& ServerCore::acquire_connection(int fd, StreamKind kind, bool redirects) {
  Connection* connection;
  if (!free_connections_.empty()) {
    connection = free_connections_.back();
    free_connections_.pop_back();
  } else {
    connections_.push_back(std::make_unique<Connection>(*this, &body_buffers_));
    connection = connections_.back().get();
  }
  connection->reset(fd, kind, redirects);
  reactor_metrics_.accepted.add();
  return *connection;
}

// ---- reading and dispatching ----

void ServerCore::on_connection_events(Connection& connection, std::uint32_t events) {
  if (connection.reactor_only.phase == Phase::kFree)
    return;  // stale: closed earlier in this epoll batch
  if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) connection.reactor_only.peer_closed = true;
  switch (connection.reactor_only.phase) {
    case Phase::kFree:
      return;
    case Phase::kQueued:
    case Phase::kWithWorker:
      if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        connection.reactor_only.readable_pending = true;
      if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
        connection.reactor_only.writable_pending = true;
      // Dekker with on_job(): either the worker's load after its push sees this, or this
      // batch's drain_completions() (later) sees the push.
      if (connection.reactor_only.readable_pending &&
          !connection.reactor_waits.load(std::memory_order_relaxed)) {
        connection.reactor_waits.store(true);
      }
      return;
    case Phase::kWriting:
      if (events & (EPOLLHUP | EPOLLERR)) {
        close_connection(connection);
        return;
      }
      if (events & EPOLLIN) connection.reactor_only.readable_pending = true;
      if ((events & EPOLLOUT) && !connection.reactor_only.in_rotation) continue_writing(connection);
      return;
    case Phase::kReading:
      switch (connection.stream) {
        case StreamKind::kTlsHello:
          look_at_first_bytes(connection);
          return;
        case StreamKind::kTlsHandshake:
          dispatch(connection);  // the handshake's next step, on a worker
          return;
        case StreamKind::kPlain:
        case StreamKind::kTls:
          read_and_frame(connection);
          return;
      }
      return;
    case Phase::kAwaiting:
      // The client's next bytes wait until the answer is out. A client that closed (or shut its
      // side) gave up on the answer, as nginx takes it for a proxied request: the exchange
      // closes and its Responder learns it.
      if (connection.reactor_only.peer_closed) {
        close_connection(connection);
        return;
      }
      if (events & EPOLLIN) connection.reactor_only.readable_pending = true;
      return;
    case Phase::kLingering:
      if (events & (EPOLLHUP | EPOLLERR)) {
        close_connection(connection);
      } else if (events & (EPOLLIN | EPOLLRDHUP)) {
        discard_input(connection);
      }
      return;
  }
}

void ServerCore::read_and_frame(Connection& connection) {
  if (!ensure_input_buffer(connection)) {
    close_connection(connection);
    return;
  }
  connection.reactor_only.readable_pending = false;
  while (true) {
    if (!fill_input(connection)) return;  // closed
    if (connection.frame_next(settings_.parse, scratch_request_, HeadParse::kBoundsOnly) !=
        Frame::kNeedMore) {
      dispatch(connection);
      return;
    }
    // A full buffer that framing emptied (a request body being skipped) must be read again now:
    // edge-triggered epoll reported those kernel bytes already and will not report them twice.
    if (!connection.input_maybe_more || connection.input_size >= connection.input_capacity) break;
  }
  wait_for_request(connection);
}

void ServerCore::look_at_first_bytes(Connection& connection) {
  std::array<std::byte, 3> first{};
  ssize_t got;
  do {
    got = ::recv(connection.fd, first.data(), first.size(), MSG_PEEK);
  } while (got < 0 && errno == EINTR);
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
  if (got <= 0) {
    close_connection(connection);
    return;
  }
  switch (tls::looks_like_tls_client_hello({first.data(), static_cast<std::size_t>(got)})) {
    case tls::ClientHelloSniff::kNeedMore:
      // Its next bytes raise a new edge; the header timeout (armed at accept) bounds the wait.
      if (connection.reactor_only.peer_closed) close_connection(connection);
      return;
    case tls::ClientHelloSniff::kNotTls: {
      // As nginx does: a plain-text 400 the client can show, then a lingering close, since the
      // rest of its request is still coming.
      static constexpr std::string_view kAnswer =
          "HTTP/1.1 400 Bad Request\r\n"
          "Content-Type: text/plain; charset=utf-8\r\n"
          "Content-Length: 51\r\n"
          "Connection: close\r\n"
          "\r\n"
          "This port speaks HTTPS: send the request over TLS.\n";
      reactor::TimeoutList::unlink(connection.timeout);
      diagnostics_.write(LogLevel::kDebug, "answering 400 to %s: plain HTTP on the TLS port",
                         connection.peer[0] != '\0' ? connection.peer : "-");
      connection.stash_output(kAnswer.data(), kAnswer.size());
      connection.completion.after = AfterOutput::kCloseLingering;
      connection.reactor_only.phase = Phase::kWriting;
      send_timeouts_.arm(connection.timeout, loop_.now());
      continue_writing(connection);
      return;
    }
    case tls::ClientHelloSniff::kTls:
      try {
        connection.tls.emplace(certificates_.load(), connection.fd);
      } catch (const std::bad_alloc&) {
        close_connection(connection);  // OpenSSL is out of memory: this client, not the server
        return;
      }
      connection.stream = StreamKind::kTlsHandshake;
      dispatch(connection);
      return;
  }
}

bool ServerCore::fill_input(Connection& connection) {
  while (true) {
    std::size_t space = connection.input_capacity - connection.input_size;
    if (space == 0) {
      connection.input_maybe_more = true;
      return true;
    }
    StreamResult got = connection.receive(connection.input.get() + connection.input_size, space);
    switch (got.status) {
      case StreamStatus::kDone:
        connection.input_size += got.bytes;
        // A short plain read drained the socket: edge-triggered epoll reports the next bytes, so
        // the read that would only return EAGAIN is skipped. (A TLS read ends at a record.)
        if (got.bytes < space && connection.stream == StreamKind::kPlain) {
          connection.input_maybe_more = false;
          return true;
        }
        break;
      case StreamStatus::kClosed:
        connection.reactor_only.peer_closed = true;
        connection.input_maybe_more = false;
        return true;
      case StreamStatus::kBlocked:
        connection.input_maybe_more = false;
        return true;
      case StreamStatus::kFailed:
        close_connection(connection);  // reset by peer, or worse
        return false;
    }
  }
}

void ServerCore::wait_for_request(Connection& connection) {
  if (connection.reactor_only.peer_closed || draining_.load(std::memory_order_relaxed)) {
    close_connection(connection);  // no complete request, and none can come (or none is wanted)
    return;
  }
  connection.reactor_only.phase = Phase::kReading;
  if (connection.body || connection.collection) {
    // Like the header timeout, counted from the body's start: a slow POST cannot stretch it.
    if (!connection.timeout.armed_in(body_timeouts_)) {
      body_timeouts_.arm(connection.timeout, loop_.now());
    }
  } else if (connection.has_unanswered_input()) {
    // The header timeout runs from the request's first byte, not from the latest one, or a
    // client sending a byte every few seconds would hold the connection forever (slowloris).
    if (!connection.timeout.armed_in(header_timeouts_)) {
      header_timeouts_.arm(connection.timeout, loop_.now());
    }
  } else {
    release_input_buffer(connection);
    keepalive_timeouts_.arm(connection.timeout, loop_.now());
  }
}

pool::Priority ServerCore::job_priority(const Connection& connection) {
  // A handshake step waits while requests of established connections do: a storm of new TLS
  // clients then delays a request by at most the step a worker is in, not by the queue of them.
  return connection.stream == StreamKind::kTlsHandshake ? pool::Priority::kDeferrable
                                                        : pool::Priority::kNormal;
}

void ServerCore::dispatch(Connection& connection) {
  reactor::TimeoutList::unlink(connection.timeout);
  connection.reactor_only.writable_pending = false;
  // A client that already shut down its side waits for our close after the response: that
  // completion must wake the reactor, though no socket event will come.
  if (connection.reactor_only.peer_closed)
    connection.reactor_waits.store(true, std::memory_order_relaxed);
  // A handler's later answer keeps the time its request was read.
  if (!connection.exchange) connection.read_at_ns = monotonic_ns();
  if (backlog_head_ == nullptr) {
    connection.reactor_only.phase = Phase::kWithWorker;
    ++with_workers_;
    if (pool_->try_submit_batched(pool::Job{&connection}, job_priority(connection))) {
      reactor_metrics_.dispatched.add();
      return;
    }
    --with_workers_;
  }
  // The queue is full: park the connection in FIFO order and read nothing more from it.
  connection.reactor_only.phase = Phase::kQueued;
  append_to(backlog_head_, backlog_tail_, connection);
}

void ServerCore::submit_backlog() {
  while (backlog_head_ != nullptr) {
    Connection* connection = backlog_head_;
    connection->reactor_only.phase = Phase::kWithWorker;
    if (!pool_->try_submit_batched(pool::Job{connection}, job_priority(*connection))) {
      connection->reactor_only.phase = Phase::kQueued;
      return;
    }
    ++with_workers_;
    reactor_metrics_.dispatched.add();
    backlog_head_ = connection->reactor_only.next_queued;
    if (backlog_head_ == nullptr) backlog_tail_ = nullptr;
  }
}

// ---- workers and completions ----

void ServerCore::on_job(std::size_t worker, pool::Job job) {
  auto& connection = *static_cast<Connection*>(job.item);
  workers_[worker]->serve(connection);
  while (connection.completion.outcome == Outcome::kHandOff) {
    connection.handed_off_at = reactor::monotonic_ms();
    // try_submit wakes a handler worker: each of these jobs may block, so there is no batch to
    // wait for. After the submit the connection is that worker's.
    workers_[worker]->metrics().handed_off.add();
    if (handler_pool_->try_submit(pool::Job{&connection})) return;
    connection.overloaded = true;  // no room: this worker answers 503 and goes on
    workers_[worker]->serve(connection);
  }
  complete(connection);
}

void ServerCore::on_handler_job(std::size_t worker, pool::Job job) {
  auto& connection = *static_cast<Connection*>(job.item);
  if (reactor::monotonic_ms() - connection.handed_off_at > options_.max_queue_wait.count()) {
    connection.overloaded = true;
  }
  handler_workers_[worker]->serve(connection);
  complete(connection);
}

void ServerCore::complete(Connection& connection) {
  // A handler's answer still to come is urgent too: the reactor must be waiting for it.
  const bool urgent = connection.completion.outcome != Outcome::kDone ||
                      connection.completion.after != AfterOutput::kKeepOpen ||
                      connection.input_maybe_more || connection.has_unanswered_input() ||
                      connection.exchange != nullptr ||
                      draining_.load(std::memory_order_relaxed);  // the reactor closes it now
  std::atomic<bool>& reactor_waits = connection.reactor_waits;
  // Publish the connection back to the reactor: after this push the worker never touches it
  // (the flag read below lives as long as the server: connections are pooled, never freed).
  Connection* head = completed_.load(std::memory_order_relaxed);
  do {
    connection.next_completed = head;
  } while (!completed_.compare_exchange_weak(head, &connection));
  if (!urgent && !reactor_waits.load()) return;
  urgent_completion_.store(true);
  if (reactor_may_sleep_.load()) loop_.wake();
}

void ServerCore::on_events(std::uint32_t) {
  drain_completions();
  if (stop_requested_.load() && !draining_.load(std::memory_order_relaxed)) begin_drain();
}

void ServerCore::drain_completions() {
  urgent_completion_.store(false, std::memory_order_relaxed);
  Connection* stack = completed_.exchange(nullptr);
  // The stack is newest first; answer in arrival order.
  Connection* fifo = nullptr;
  while (stack != nullptr) {
    Connection* next = stack->next_completed;
    stack->next_completed = fifo;
    fifo = stack;
    stack = next;
  }
  while (fifo != nullptr) {
    Connection* next = fifo->next_completed;
    fifo->next_completed = nullptr;
    on_completed(*fifo);
    fifo = next;
  }
}

void ServerCore::on_completed(Connection& connection) {
  --with_workers_;
  connection.reactor_waits.store(false, std::memory_order_relaxed);
  connection.reactor_only.phase = Phase::kReading;
  switch (connection.completion.outcome) {
    case Outcome::kAbort:
      close_connection(connection);
      return;
    case Outcome::kWantWrite:
      connection.reactor_only.phase = Phase::kWriting;
      send_timeouts_.arm(connection.timeout, loop_.now());
      if (connection.reactor_only.writable_pending) {
        connection.reactor_only.writable_pending = false;
        continue_writing(connection);
      }
      return;
    case Outcome::kWriteMore:
      connection.reactor_only.phase = Phase::kWriting;
      connection.reactor_only.writable_pending = false;
      send_timeouts_.arm(connection.timeout, loop_.now());
      join_rotation(connection);
      return;
    case Outcome::kHandshaking:
      if (draining_.load(std::memory_order_relaxed)) {
        close_connection(connection);  // no request has come on it yet
        return;
      }
      // Each step re-arms the header timeout: a handshake has a bounded number of steps (no
      // renegotiation), so a client that stalls in it is closed like a slow request head.
      header_timeouts_.arm(connection.timeout, loop_.now());
      if (connection.reactor_only.readable_pending || connection.reactor_only.writable_pending) {
        connection.reactor_only.readable_pending = false;
        dispatch(connection);
      }
      return;
    case Outcome::kDone:
    case Outcome::kHandOff:  // never reaches the reactor: on_job() passes it on
      output_finished(connection);
      return;
  }
}

void ServerCore::output_finished(Connection& connection) {
  if (connection.unfinished_responses > 0) {
    reactor_metrics_.request_duration.observe(monotonic_ns() - connection.read_at_ns,
                                              connection.unfinished_responses);
    connection.unfinished_responses = 0;
  }
  if (connection.completion.after == AfterOutput::kKeepOpen) {
    after_response(connection);
  } else {
    close_after_response(connection);
  }
}

void ServerCore::after_response(Connection& connection) {
  connection.reactor_only.phase = Phase::kReading;
  if (connection.exchange) {
    await_answer(connection);  // a handler's answer comes first, draining or not
    return;
  }
  if (draining_.load(std::memory_order_relaxed)) {
    close_connection(connection);
    return;
  }
  if (connection.frame_next(settings_.parse, scratch_request_, HeadParse::kBoundsOnly) !=
      Frame::kNeedMore) {
    dispatch(connection);
  } else if (connection.reactor_only.readable_pending || connection.input_maybe_more) {
    read_and_frame(connection);
  } else {
    wait_for_request(connection);
  }
}

void ServerCore::continue_writing(Connection& connection) {
  switch (connection.flush_output(reactor_metrics_.bytes_sent, kWriteTurnBytes)) {
    case FlushResult::kBlocked:
      send_timeouts_.arm(connection.timeout, loop_.now());  // counts from the last progress
      return;
    case FlushResult::kYielded:
      send_timeouts_.arm(connection.timeout, loop_.now());
      join_rotation(connection);
      return;
    case FlushResult::kFailed:
      close_connection(connection);
      return;
    case FlushResult::kDone:
      reactor::TimeoutList::unlink(connection.timeout);
      output_finished(connection);
      return;
  }
}

void ServerCore::join_rotation(Connection& connection) {
  connection.reactor_only.in_rotation = true;
  append_to(rotation_head_, rotation_tail_, connection);
}

void ServerCore::run_write_rotation() {
  // One turn each for the connections waiting now; those that yield again queue up behind.
  Connection* turn = rotation_head_;
  rotation_head_ = rotation_tail_ = nullptr;
  while (turn != nullptr) {
    Connection* next = turn->reactor_only.next_queued;
    turn->reactor_only.in_rotation = false;
    turn->reactor_only.next_queued = nullptr;
    continue_writing(*turn);
    turn = next;
  }
}

// ---- handler answers ----

void ServerCore::exchange_ready(std::shared_ptr<ResponseExchange> exchange) {
  {
    std::lock_guard lock(answers_mutex_);
    answers_.push_back(std::move(exchange));
  }
  answers_pending_.store(true);
  loop_.wake();
}

void ServerCore::drain_answers() {
  answers_pending_.store(false);
  {
    std::lock_guard lock(answers_mutex_);
    answers_taken_.swap(answers_);
  }
  for (std::shared_ptr<ResponseExchange>& exchange : answers_taken_) {
    auto& connection = *static_cast<Connection*>(exchange->owner());
    // Only the connection's current exchange, and only while the reactor waits for it: one
    // still with its worker is looked at when it comes back (on_completed), and one that has
    // closed (and perhaps serves another client now) is none of this exchange's business.
    if (connection.reactor_only.phase == Phase::kAwaiting && connection.exchange == exchange) {
      await_answer(connection);
    }
  }
  answers_taken_.clear();
}

void ServerCore::await_answer(Connection& connection) {
  reactor::TimeoutList::unlink(connection.timeout);
  if (connection.reactor_only.peer_closed) {
    close_connection(connection);  // gone while a worker held it (see on_connection_events)
    return;
  }
  connection.reactor_only.phase = Phase::kAwaiting;
  ResponseExchange& exchange = *connection.exchange;
  switch (exchange.answer()) {
    case ResponseExchange::Answer::kNone:
      return;  // exchange_ready() comes
    case ResponseExchange::Answer::kResponse:
      dispatch(connection);  // a worker sends it, with the static machinery if it is a file
      return;
    case ResponseExchange::Answer::kStream: {
      std::string bytes;
      const bool ended = exchange.take_stream_bytes(bytes);
      const bool keep_alive =
          exchange.request().keep_alive && exchange.request().version_minor >= 1;
      if (ended) connection.exchange.reset();
      connection.completion.after =
          ended && !keep_alive ? AfterOutput::kClose : AfterOutput::kKeepOpen;
      if (bytes.empty()) {
        if (ended) output_finished(connection);
        return;
      }
      connection.stash_output(std::move(bytes));
      connection.reactor_only.phase = Phase::kWriting;
      send_timeouts_.arm(connection.timeout, loop_.now());
      continue_writing(connection);
      return;
    }
  }
}

// ---- buffers, closing, timeouts, drain ----

bool ServerCore::ensure_input_buffer(Connection& connection) {
  if (connection.input) return true;
  if (!free_buffers_.empty()) {
    connection.input = std::move(free_buffers_.back());
    free_buffers_.pop_back();
  } else {
    connection.input = std::make_unique_for_overwrite<char[]>(input_capacity_);
  }
  connection.input_capacity = input_capacity_;
  connection.input_size = connection.input_consumed = connection.head_scanned = 0;
  return true;
}

void ServerCore::release_input_buffer(Connection& connection) {
  if (connection.input && free_buffers_.size() < kMaxFreeBuffers) {
    free_buffers_.push_back(std::move(connection.input));
  }
  connection.input.reset();
  connection.input_capacity = 0;
  connection.input_size = connection.input_consumed = connection.head_scanned = 0;
  connection.input_maybe_more = false;
}

void ServerCore::append_to(Connection*& head, Connection*& tail, Connection& connection) {
  connection.reactor_only.next_queued = nullptr;
  if (tail != nullptr) {
    tail->reactor_only.next_queued = &connection;
  } else {
    head = &connection;
  }
  tail = &connection;
}

void ServerCore::unlink_from(Connection*& head, Connection*& tail, Connection& connection) {
  Connection** link = &head;
  Connection* previous = nullptr;
  while (*link != &connection) {
    previous = *link;
    link = &(*link)->reactor_only.next_queued;
  }
  *link = connection.reactor_only.next_queued;
  if (tail == &connection) tail = previous;
}

void ServerCore::close_connection(Connection& connection) {
  reactor::TimeoutList::unlink(connection.timeout);
  if (connection.reactor_only.phase == Phase::kQueued) {
    unlink_from(backlog_head_, backlog_tail_, connection);
  } else if (connection.reactor_only.in_rotation) {
    unlink_from(rotation_head_, rotation_tail_, connection);
    connection.reactor_only.in_rotation = false;
  }
  if (connection.exchange) connection.exchange->close();  // its writers learn the client is gone
  release_input_buffer(connection);
  ::close(connection.fd);
  connection.reset(-1);
  closed_this_batch_.push_back(&connection);
  reactor_metrics_.closed.add();
}

void ServerCore::close_after_response(Connection& connection) {
  // close_notify, so the client knows the response was not cut short (best effort: the socket
  // has room after a finished response, and nothing waits for the client's reply).
  if (connection.stream == StreamKind::kTls) connection.tls->shutdown();
  const bool client_may_send = connection.completion.after == AfterOutput::kCloseLingering ||
                               connection.has_unanswered_input() || connection.input_maybe_more ||
                               connection.reactor_only.readable_pending;
  if (!client_may_send || connection.reactor_only.peer_closed ||
      options_.lingering_timeout.count() == 0 || draining_.load(std::memory_order_relaxed) ||
      ::shutdown(connection.fd, SHUT_WR) != 0) {
    close_connection(connection);
    return;
  }
  // The FIN follows the response; from here on the connection only reads, into a shared buffer.
  connection.clear_output();
  connection.body.reset();
  release_input_buffer(connection);
  connection.reactor_only.phase = Phase::kLingering;
  lingering_timeouts_.arm(connection.timeout, loop_.now());
  discard_input(connection);  // edge-triggered: bytes already here are not reported again
}

void ServerCore::discard_input(Connection& connection) {
  // A bounded share per call, so a client that keeps sending cannot hold the reactor; the
  // re-registration below makes epoll report the rest in a later round.
  constexpr int kReadsPerTurn = 64;
  for (int reads = 0; reads < kReadsPerTurn; ++reads) {
    ssize_t got = ::recv(connection.fd, discarded_.data(), discarded_.size(), 0);
    if (got > 0) continue;
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    close_connection(connection);  // the client closed its side too (0), or reset
    return;
  }
  if (loop_.modify(connection.fd, kConnectionEvents, connection) != 0) close_connection(connection);
}

void ServerCore::expire_timeouts() {
  reactor::MonotonicMs now = loop_.now();
  const std::pair<reactor::TimeoutList*, const char*> lists[] = {
      {&keepalive_timeouts_, "idle keep-alive"},
      {&header_timeouts_, "request head"},
      {&body_timeouts_, "request body"},
      {&send_timeouts_, "send"},
      {&lingering_timeouts_, "lingering close"}};
  for (auto [list, what] : lists) {
    while (reactor::TimeoutNode* node = list->pop_expired(now)) {
      auto& connection = *static_cast<Connection*>(node->owner);
      diagnostics_.write(LogLevel::kDebug, "closing the connection from %s: %s timeout",
                         connection.peer[0] != '\0' ? connection.peer : "-", what);
      close_connection(connection);
    }
  }
}

void ServerCore::begin_drain() {
  draining_.store(true);
  drain_deadline_ = loop_.now() + options_.drain_timeout.count();
  diagnostics_.write(LogLevel::kInfo, "stopping: draining %llu connections for at most %lld ms",
                     static_cast<unsigned long long>(open_connections()),
                     static_cast<long long>(options_.drain_timeout.count()));
  if (accepting_) watch_listeners(false);
  accepting_ = false;
  // New connection attempts are refused from here on.
  for (ListenerEvents* source : {&main_listener_, &redirect_listener_}) {
    if (source->listener) source->listener->close();
  }
  for (auto& connection : connections_) {
    Phase phase = connection->reactor_only.phase;
    if (phase == Phase::kReading || phase == Phase::kLingering) close_connection(*connection);
  }
}

void ServerCore::check_root() {
  // Once a second: cheap (one stat, one fstat) and enough to notice a deploy that swaps the
  // directory, or an unmounted disk, without a restart.
  constexpr reactor::MonotonicMs kRootCheckMs = 1000;
  root_check_at_ = loop_.now() + kRootCheckMs;
  if (!options_.vhosts.empty()) {
    root_check_at_ = std::numeric_limits<reactor::MonotonicMs>::max();
    return;
  }
  struct stat by_path {};
  struct stat by_fd {};
  const int current = root_ ? root_->dir().fd : -1;
  bool present = ::stat(options_.root.c_str(), &by_path) == 0 && S_ISDIR(by_path.st_mode);
  if (!present) {
    if (!root_missing_) {
      diagnostics_.write(LogLevel::kWarn,
                         "document root '%s' is gone; answering 500 until it returns",
                         options_.root.c_str());
      root_missing_ = true;
      root_.reset();
      shared_root_.publish(nullptr);
    }
    return;
  }
  if (current >= 0 && ::fstat(current, &by_fd) == 0 && by_fd.st_ino == by_path.st_ino &&
      by_fd.st_dev == by_path.st_dev) {
    return;  // the same directory
  }
  std::shared_ptr<const DocumentRoot> reopened = DocumentRoot::open(options_.root);
  if (!reopened) return;  // try again at the next check
  root_ = std::move(reopened);
  shared_root_.publish(root_);
  if (root_missing_) {
    diagnostics_.write(LogLevel::kWarn, "document root '%s' is back", options_.root.c_str());
  }
  root_missing_ = false;
}

bool ServerCore::drained() const {
  return open_connections() == 0;
}

}  // namespace hybrid::server
