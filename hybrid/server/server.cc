#include "hybrid/server/server.h"

#include "hybrid/server/server_core.h"

namespace hybrid::server {

Server::Server(ServerOptions options) : core_(std::make_unique<ServerCore>(std::move(options))) {}
Server::~Server() = default;

std::uint16_t Server::port() const {
  return core_->listener().port();
}
std::string Server::url() const {
  return core_->listener().url();
}
std::size_t Server::threads() const {
  return core_->threads();
}
const ServerOptions& Server::options() const {
  return core_->options();
}
void Server::run() {
  core_->run();
}
void Server::stop() {
  core_->request_stop();
}
ServerStats Server::stats() const {
  return core_->stats();
}

}  // namespace hybrid::server
