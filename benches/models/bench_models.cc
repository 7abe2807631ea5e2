// bench_models: the teaching text's servers, rebuilt on hybrid/http, one concurrency model each,
// for benches/compare --models to measure side by side. The models, in the text's order, are the
// files next to this one (models.h lists them); this file only turns flags into ModelOptions.
//
//   bench_models --model epoll-et --port 8080 --root ./html
//   bench_models --model hybrid --port 0 --root ./html --threads 4   # prints the port it got
#include <signal.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "benches/models/models.h"

namespace {

using hybrid::models::ModelOptions;

struct Model {
  const char* name;
  void (*run)(const ModelOptions&);
};

constexpr std::array<Model, 9> kModels{{
    {"fixed", hybrid::models::run_fixed},
    {"iterative", hybrid::models::run_iterative},
    {"process", hybrid::models::run_process},
    {"thread", hybrid::models::run_thread},
    {"coroutine", hybrid::models::run_coroutine},
    {"poll-nonblocking", hybrid::models::run_poll_nonblocking},
    {"epoll-lt", hybrid::models::run_epoll_lt},
    {"epoll-et", hybrid::models::run_epoll_et},
    {"hybrid", hybrid::models::run_hybrid},
}};

}  // namespace

int main(int argc, char** argv) {
  ModelOptions options;
  std::string model_name;
  std::vector<std::string> names;
  for (const Model& model : kModels) names.emplace_back(model.name);

  CLI::App app{
      "bench_models: the teaching text's servers, one concurrency model each, serving "
      "files below --root and GET /sleep?ms=N (a blocking call of N ms)",
      "bench_models"};
  app.add_option("-m,--model", model_name, "The concurrency model")
      ->required()
      ->check(CLI::IsMember(names));
  app.add_option("-r,--root", options.root, "Directory to serve")->capture_default_str();
  app.add_option("-p,--port", options.port, "TCP port; 0 picks a free one")->capture_default_str();
  app.add_option("-b,--bind", options.bind_address, "Numeric IPv4 address to listen on")
      ->capture_default_str();
  app.add_option("-t,--threads", options.threads,
                 "hybrid: worker threads and blocking-handler threads; other models ignore it")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  }

  // A client that disconnects mid-response must cost an EPIPE, not the process (sendfile has no
  // MSG_NOSIGNAL).
  ::signal(SIGPIPE, SIG_IGN);
  try {
    for (const Model& model : kModels) {
      if (model_name == model.name) model.run(options);
    }
    std::printf("bench_models stopped\n");
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_models: error: %s\n", error.what());
    return 1;
  }
}
