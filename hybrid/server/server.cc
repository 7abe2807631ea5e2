#include "hybrid/server/server.h"

#include <signal.h>

#include <atomic>

#include "hybrid/server/server_core.h"

namespace hybrid::server {

Server::Server(ServerOptions options) : core_(std::make_unique<ServerCore>(std::move(options))) {}
Server::~Server() = default;

std::uint16_t Server::port() const {
  return core_->listener().port();
}
std::string Server::url() const {
  std::string url = core_->listener().url();
  if (!core_->options().tls_certificate.empty()) url.replace(0, url.find(':'), "https");
  return url;
}
std::uint16_t Server::redirect_port() const {
  return core_->redirect_port();
}
std::size_t Server::threads() const {
  return core_->threads();
}
const ServerOptions& Server::options() const {
  return core_->options();
}

void Server::handle(std::string_view pattern, Handler handler, RouteOptions options) {
  core_->service().add_route(pattern, std::move(handler), options);
}

void Server::handle(std::string_view pattern, SimpleHandler handler, RouteOptions options) {
  core_->service().add_route(pattern, std::move(handler), options);
}

void Server::mount(std::string_view prefix, const std::filesystem::path& directory) {
  core_->service().add_mount(prefix, directory);
}
void Server::before(BeforeHook hook) {
  core_->service().hooks.before = std::move(hook);
}
void Server::after(AfterHook hook) {
  core_->service().hooks.after = std::move(hook);
}
void Server::on_error(ErrorFormatter formatter) {
  core_->service().hooks.error = std::move(formatter);
}

void Server::run() {
  core_->run();
}
void Server::stop() {
  core_->request_stop();
}
bool Server::reopen_logs() {
  return core_->reopen_access_log();
}
bool Server::reload_certificates() {
  return core_->reload_certificates();
}
ServerStats Server::stats() const {
  return core_->stats();
}

namespace {

// The server run_until_signal() stops; handlers may run on any thread of the process, and
// stop() is async-signal-safe (an atomic store and an eventfd write).
std::atomic<ServerCore*> signalled_server{nullptr};
std::atomic<int> received_signal{0};

extern "C" void stop_on_signal(int signal) {
  received_signal.store(signal);
  if (ServerCore* core = signalled_server.load()) core->request_stop();
}

}  // namespace

int Server::run_until_signal() {
  // A handler rather than sigwait(): sigwait needs the signals blocked in every thread of the
  // process, which a library cannot promise for its application's threads.
  ServerCore* expected = nullptr;
  if (!signalled_server.compare_exchange_strong(expected, core_.get())) {
    throw std::logic_error("run_until_signal(): another server is already waiting for signals");
  }
  received_signal.store(0);
  struct sigaction action {};
  action.sa_handler = stop_on_signal;
  sigemptyset(&action.sa_mask);
  struct sigaction previous_int {};
  struct sigaction previous_term {};
  sigaction(SIGINT, &action, &previous_int);
  sigaction(SIGTERM, &action, &previous_term);
  // Unblocked on this thread, so the signal finds a thread that takes it (the server's own
  // threads block them).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigset_t previous_mask;
  pthread_sigmask(SIG_UNBLOCK, &signals, &previous_mask);
  struct Restore {
    const struct sigaction& int_action;
    const struct sigaction& term_action;
    const sigset_t& mask;
    ~Restore() {
      pthread_sigmask(SIG_SETMASK, &mask, nullptr);
      sigaction(SIGINT, &int_action, nullptr);
      sigaction(SIGTERM, &term_action, nullptr);
      signalled_server.store(nullptr);
    }
  } restore{previous_int, previous_term, previous_mask};
  core_->run();
  return received_signal.load();
}

}  // namespace hybrid::server
