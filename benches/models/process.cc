// 3. A process per connection. The text forked a child for each accepted connection, so a slow
// client held only its own process. So does this one; the child keeps the connection for as
// many requests as the client sends (blocking reads and writes), then exits. The parent reaps
// children as SIGCHLD wakes it (none is left a zombie) and, on SIGTERM, ends and reaps the ones
// still serving. What it shows: isolation and blocking code that reads like prose, paid for
// with a fork per connection and a process's memory and context switches per client.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <unordered_set>

#include "benches/models/exchange.h"
#include "benches/models/models.h"

namespace hybrid::models {
namespace {

void reap_finished(std::unordered_set<pid_t>& children) {
  pid_t child = 0;
  int status = 0;
  while ((child = ::waitpid(-1, &status, WNOHANG)) > 0) children.erase(child);
}

[[noreturn]] void serve_in_child(UniqueFd socket, const Site& site) {
  // The parent's handlers would only interrupt this child's calls; let SIGTERM end it.
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  ::signal(SIGCHLD, SIG_DFL);
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // a parent killed outright leaves no server behind
  Session(std::move(socket)).advance(site);
  ::_exit(0);  // not exit(): the parent's static objects and buffers are the parent's
}

}  // namespace

void run_process(const ModelOptions& options) {
  install_stop_handlers(/*wake_on_child_exit=*/true);
  const Site site(options.root);
  const UniqueFd listener = listen_on(options);
  announce("process", bound_port(listener.get()), options);
  std::unordered_set<pid_t> children;
  while (wait_readable_or_stop(listener.get())) {
    reap_finished(children);
    while (!stop_requested()) {
      UniqueFd socket = accept_connection(listener.get(), /*non_blocking=*/false);
      if (!socket) break;
      const pid_t child = ::fork();
      if (child == 0) {
        ::close(listener.get());
        serve_in_child(std::move(socket), site);
      }
      if (child > 0) children.insert(child);
      // fork failed (EAGAIN): the connection closes; the client sees a reset, not a hang.
    }
  }
  for (const pid_t child : children) ::kill(child, SIGTERM);
  for (const pid_t child : children) {
    while (::waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

}  // namespace hybrid::models
