#include "hybrid/server/request_worker.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <random>
#include <utility>

#include "hybrid/http/conditional.h"
#include "hybrid/http/content_coding.h"
#include "hybrid/http/directory_listing.h"
#include "hybrid/http/gzip.h"
#include "hybrid/http/http_date.h"
#include "hybrid/http/mime.h"
#include "hybrid/http/query.h"
#include "hybrid/http/range.h"
#include "hybrid/http/request_rules.h"
#include "hybrid/http/response_head.h"
#include "hybrid/http/target.h"
#include "hybrid/server/directory_reader.h"
#include "hybrid/server/virtual_hosts.h"

namespace hybrid::server {
namespace {

constexpr std::size_t kHeadRoom = 1536;       // the largest head a 200, 206 or 304 can have
constexpr std::size_t kErrorRoom = 2048;      // an error response with its default body
constexpr std::size_t kBatchedResponses = 4;  // small responses one batch holds at least

// The longest Location a 301 can carry: FileResponder::choose() needs 3 × target + 16 bytes.
std::size_t location_room(const ResponseSettings& settings) {
  return 3 * settings.parse.max_request_line + 16;
}

std::size_t largest_error_page(const ResponseSettings& settings) {
  std::size_t largest = 0;
  for (const auto& page : settings.error_pages) largest = std::max(largest, page.second.size());
  return largest;
}

std::string_view etag_suffix(http::Coding coding) {
  switch (coding) {
    case http::Coding::kBrotli:
      return "-br";
    case http::Coding::kGzip:
      return "-gz";
    case http::Coding::kIdentity:
      break;
  }
  return "";
}

}  // namespace

RequestWorker::RequestWorker(const SharedRoot& root, const ResponseSettings& settings,
                             const std::atomic<bool>& draining, int access_log_fd,
                             const Service& service, ExchangeListener& answers, Lane lane)
    : settings_(settings),
      draining_(draining),
      root_(root),
      files_(-1, settings.parse.max_request_line, settings.serve_dotfiles),
      // + 64: a "100 Continue" may precede the response in the batch. A 301 is an error
      // response (default body) plus its Location.
      response_room_(64 + std::max({kErrorRoom + largest_error_page(settings),
                                    kHeadRoom + settings.small_file_limit,
                                    kErrorRoom + location_room(settings)})),
      location_(location_room(settings)),
      boundary_seed_(std::random_device{}()),
      log_(access_log_fd),
      service_(service),
      answers_(answers),
      lane_(lane) {
  if (settings.gzip_budget > 0) gzip_.emplace(settings.gzip_budget);
  if (settings.file_cache_budget > 0) {
    file_cache_.emplace(settings.file_cache_budget, settings.file_monitor);
    files_.use_cache(&*file_cache_, settings.small_file_limit);
  }
  files_.list_directories(settings.autoindex);
  files_.hide_site_certificates(settings.hide_site_certificates);
  batch_.resize(kBatchedResponses * response_room_);
}

void RequestWorker::serve(Connection& connection) {
  if (connection.stream == StreamKind::kTlsHandshake) {
    metrics_.jobs_started.add();
    connection.completion = step_handshake(connection);
    metrics_.jobs_finished.add();
    return;
  }
  // The reactor only found where the head ends; the one full parse happens here, so no
  // connection carries a parsed request.
  Frame frame = connection.frame_next(settings_.parse, request_);
  if (frame == Frame::kNeedMore) {
    // The reactor saw a complete head, so the parse cannot want more (find_head_end()'s contract
    // with parse_request(), which the parser fuzz target checks). Were it ever broken, answering
    // 400 and closing beats handing the same bytes back and forth.
    frame = Frame::kError;
    connection.frame_error = http::Status::kBadRequest;
  }
  current_ = &connection;
  metrics_.jobs_started.add();
  metrics_.queue_wait.observe(monotonic_ns() - connection.read_at_ns);
  bool keep_open = true;
  Next next = Next::kContinue;
  FlushResult flushed = FlushResult::kDone;
  std::uint32_t answered_here = 0;
  for (int answered = 1;; ++answered) {
    if (batch_.size() - batch_size_ < response_room_) {
      flushed = flush(connection);
      if (flushed != FlushResult::kDone) break;  // this request stays buffered, unanswered
    }
    Answer answer = respond(connection, frame);
    if (answer.next != Next::kContinue) {
      // The request is not answered yet (or its answer comes later): nothing to log, and the
      // connection stays open whatever comes next.
      next = answer.next;
      break;
    }
    keep_open = answer.keep_alive;
    ++answered_here;
    metrics_.count_response(http::code(answer.status), answered_route_);
    if (log_.enabled()) {
      log_.record(connection.peer, frame == Frame::kRequest ? &request_ : nullptr, answer.status,
                  answer.body_bytes);
    }
    if (connection.has_pending_output()) {
      flushed = flush(connection);
      if (flushed != FlushResult::kDone) break;
    }
    if (!keep_open || answered >= settings_.max_requests_per_job) break;
    frame = connection.frame_next(settings_.parse, request_);
    if (frame == Frame::kNeedMore) break;
  }
  if (flushed == FlushResult::kDone) flushed = flush(connection);
  current_ = nullptr;
  // Responses still being written are the reactor's to time when their output ends.
  connection.unfinished_responses = 0;
  if (flushed == FlushResult::kDone) {
    if (answered_here > 0) {
      metrics_.request_duration.observe(monotonic_ns() - connection.read_at_ns, answered_here);
    }
  } else if (flushed != FlushResult::kFailed) {
    connection.unfinished_responses = answered_here;
  }
  metrics_.jobs_finished.add();

  // One value for the reactor: what is left to write, and what then.
  AfterOutput after = AfterOutput::kKeepOpen;
  if (!keep_open) after = client_may_send_ ? AfterOutput::kCloseLingering : AfterOutput::kClose;
  switch (flushed) {
    case FlushResult::kFailed:
      connection.completion = {Outcome::kAbort, AfterOutput::kClose};
      break;
    case FlushResult::kBlocked:
      connection.completion = {Outcome::kWantWrite, after};
      break;
    case FlushResult::kYielded:
      connection.completion = {Outcome::kWriteMore, after};
      break;
    case FlushResult::kDone:
      // A body still to collect and an answer still to come are the reactor's to wait for
      // (after_response() sees both); a hand-off is the fast lane's.
      connection.completion = {next == Next::kHandOff ? Outcome::kHandOff : Outcome::kDone, after};
      break;
  }
}

RequestWorker::Answer RequestWorker::respond(Connection& connection, Frame frame) {
  // Until the body is known to be absent or to be skipped, the client may send bytes nobody
  // reads: a close must linger.
  client_may_send_ = true;
  answered_route_ = 0;
  if (frame == Frame::kError) {
    if (settings_.diagnostics != nullptr) {
      settings_.diagnostics->write(LogLevel::kDebug, "answering %d to %s: a malformed request",
                                   http::code(connection.frame_error),
                                   connection.peer[0] != '\0' ? connection.peer : "-");
    }
    // A request we could not frame leaves the stream in an unknown state: answer and close.
    return respond_error(connection.frame_error, false, false);
  }
  const http::Request& request = request_;
  const bool head_only = request.method == http::Method::kHead;
  const bool keep_alive =
      http::wants_keep_alive(request) && !draining_.load(std::memory_order_relaxed);
  if (connection.redirect_to_https)
    return respond_https_redirect(connection, keep_alive, head_only);
  if (connection.exchange) {
    // Dispatched again with the answer a handler gave later: it answers this request.
    std::shared_ptr<ResponseExchange> exchange = std::move(connection.exchange);
    connection.consume_request();
    client_may_send_ = false;
    answered_route_ = exchange->request().route;
    if (exchange->answer() != ResponseExchange::Answer::kResponse) {
      return emit_service_error(connection, 500, false, head_only);
    }
    Response response = exchange->take_response();
    return emit_response(connection, response, exchange->request());
  }
  if (!settings_.status_path.empty()) {
    http::TargetParts parts;
    if (http::split_target(request.target, parts) && parts.path == settings_.status_path) {
      return respond_status(connection, keep_alive, head_only);
    }
  }
  if (!service_.empty()) {
    const http::Status verdict = http::check_request(request);
    // 405 and 501 are the static server's view of the method; the routes have their own.
    if (verdict == http::Status::kOk || verdict == http::Status::kMethodNotAllowed ||
        verdict == http::Status::kNotImplemented) {
      if (std::optional<Answer> answer = respond_routed(connection, keep_alive, head_only)) {
        return *answer;
      }
    }
  }
  return respond_static(connection, RootDir{}, request.target, {});
}

RequestWorker::Answer RequestWorker::respond_static(Connection& connection, RootDir mount,
                                                    std::string_view target,
                                                    std::string_view mount_prefix) {
  const http::Request& request = request_;
  connection.consume_request();  // the views stay valid until the next frame_next()
  const bool head_only = request.method == http::Method::kHead;
  bool keep_alive = http::wants_keep_alive(request) && !draining_.load(std::memory_order_relaxed);

  const http::Status verdict = http::check_request(request);
  const bool framing_known = verdict == http::Status::kOk ||
                             verdict == http::Status::kMethodNotAllowed ||
                             verdict == http::Status::kNotImplemented;
  if (!framing_known) return respond_error(verdict, false, head_only);

  // The body (RFC 9112 §6): framed now, skipped after the answer, never taken for a request.
  const http::BodyFraming framing = http::body_framing(request);
  if (framing.kind == http::BodyKind::kNone) client_may_send_ = false;
  const http::Expectation expectation = http::expectation(request);
  if (expectation == http::Expectation::kUnsupported) {
    return respond_error(http::Status::kExpectationFailed, false, head_only);  // RFC 9110 §10.1.1
  }
  if (framing.kind != http::BodyKind::kNone) {
    http::BodyReader body(framing, settings_.body);
    if (body.error() != http::Status::kOk) return respond_error(body.error(), false, head_only);
    if (expectation == http::Expectation::kContinue) {
      if (verdict != http::Status::kOk) {
        // The request will not be accepted: a final status instead of 100, and the client may
        // then not send the body at all, so the connection cannot continue.
        keep_alive = false;
      } else {
        constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        std::memcpy(batch_.data() + batch_size_, kContinue.data(), kContinue.size());
        batch_size_ += kContinue.size();
      }
    }
    if (keep_alive) {
      connection.body.emplace(body);
      client_may_send_ = false;
    }
  }

  if (verdict != http::Status::kOk) return respond_error(verdict, keep_alive, head_only);

  if (request.method == http::Method::kOptions) {
    // RFC 9110 §9.3.7: "OPTIONS *" asks about the server, "OPTIONS /path" about a resource; a
    // static server allows the same methods everywhere.
    http::TargetParts parts;
    if (request.target != "*" && !http::split_target(request.target, parts)) {
      return respond_error(http::Status::kBadRequest, false, false);
    }
    http::ResponseHeadWriter head(batch_room(), http::Status::kNoContent, http::http_date_now());
    head.header("Allow", http::kAllowedMethods);
    if (!keep_alive) head.header("Connection", "close");
    batch_size_ += head.finish();
    return {keep_alive, http::Status::kNoContent, 0};
  }

  RootDir root = mount.fd >= 0 ? mount : root_.current();
  if ((settings_.virtual_hosts == nullptr || mount.fd >= 0) && root.fd < 0) {
    return respond_error(http::Status::kInternalServerError, keep_alive, head_only);
  }
  if (settings_.virtual_hosts != nullptr && mount.fd < 0) {
    // RFC 9112 §3.2.2: the authority of an absolute-form target wins over the Host header.
    http::TargetParts parts;
    std::string_view host;
    if (http::split_target(request.target, parts) && !parts.host.empty()) {
      host = parts.host;
    } else {
      host = request.find_header("Host").value_or("");
    }
    root = settings_.virtual_hosts->root_for(host);
    if (root.fd < 0) return respond_error(http::Status::kMisdirectedRequest, keep_alive, head_only);
  }

  FileChoice file = files_.choose(root, target, location_);
  if (file.status == http::Status::kMovedPermanently && !mount_prefix.empty()) {
    // The Location names the directory inside the mount: put the mount's prefix before it.
    if (file.location_length + mount_prefix.size() > location_.size()) {
      return respond_error(http::Status::kUriTooLong, keep_alive, head_only);
    }
    std::memmove(location_.data() + mount_prefix.size(), location_.data(), file.location_length);
    std::memcpy(location_.data(), mount_prefix.data(), mount_prefix.size());
    file.location_length += mount_prefix.size();
  }
  if (file.status == http::Status::kMovedPermanently) {
    http::ErrorResponseOptions options{.keep_alive = keep_alive,
                                       .head_only = head_only,
                                       .location = {location_.data(), file.location_length},
                                       .date = http::http_date_now()};
    std::size_t length = http::build_error_response(batch_room(), file.status, options);
    // response_room_ holds the longest Location; should that ever fail, 414 rather than nothing.
    if (length == 0) return respond_error(http::Status::kUriTooLong, false, head_only);
    batch_size_ += length;
    return {keep_alive, file.status, 0};
  }
  if (file.status != http::Status::kOk) {
    return respond_error(file.status, keep_alive && file.status != http::Status::kBadRequest,
                         head_only);
  }
  if (file.listing) {
    return respond_listing(connection, file, root.fd, target, mount_prefix, keep_alive);
  }
  return respond_file(connection, request, file, root.fd, keep_alive);
}

RequestWorker::Answer RequestWorker::respond_listing(Connection& connection, FileChoice& directory,
                                                     int root_fd, std::string_view target,
                                                     std::string_view mount_prefix,
                                                     bool keep_alive) {
  const bool head_only = request_.method == http::Method::kHead;
  http::DirectoryListing listing;
  if (!http::percent_decode(mount_prefix, listing.path)) listing.path.assign(mount_prefix);
  listing.path.push_back('/');
  if (!directory.directory_path.empty()) {
    listing.path.append(directory.directory_path).push_back('/');
  }
  const http::Status read =
      read_directory(root_fd, std::move(directory.fd), directory.directory_path,
                     settings_.serve_dotfiles, DirectoryReadLimits{}, listing);
  if (read != http::Status::kOk) return respond_error(read, keep_alive, head_only);

  http::TargetParts parts;
  const bool json = http::split_target(target, parts) &&
                    http::find_query_parameter(parts.query, "format") == "json";
  std::string body = json ? http::render_listing_json(listing) : http::render_listing_html(listing);
  http::ResponseHeadWriter head(batch_room(), http::Status::kOk, http::http_date_now());
  head.header("Content-Type", json ? "application/json" : "text/html; charset=utf-8");
  head.header("Content-Length", body.size());
  // No validators: a directory's mtime moves when entries come and go, not when a listed file
  // changes size or time, so nothing cheap describes this body; caches must ask every time.
  head.header("Cache-Control", "no-cache");
  if (listing.omitted > 0) head.header("X-Autoindex-Omitted", listing.omitted);
  head.header("X-Content-Type-Options", "nosniff");
  add_connection(head, keep_alive, request_.version_minor);
  const std::size_t length = head.finish();
  if (length == 0) return respond_error(http::Status::kInternalServerError, false, head_only);
  batch_size_ += length;
  if (head_only) return {keep_alive, http::Status::kOk, 0};
  const std::size_t body_bytes = body.size();
  emit_body(connection, std::move(body));
  return {keep_alive, http::Status::kOk, body_bytes};
}

// The representation chosen for a file (RFC 9110 §12.5.3) and its validators (§8.8).
struct RequestWorker::Representation {
  UniqueFd fd;  // none when the content is in memory
  struct stat st {};
  const std::string* memory = nullptr;  // the content, from the small-file or gzip cache
  std::string_view content_type;
  http::Coding coding = http::Coding::kIdentity;
  bool varies = false;  // the resource has variants: Vary on every response of it
  // A cached file sent whole and as it is: its head fields, rendered once, are this response's.
  CachedFile* ready = nullptr;
  bool ready_made = false;  // ...and they have been rendered already
  std::optional<std::time_t> last_modified;
  std::array<char, http::kMaxEtagLength> etag_text{};
  std::size_t etag_length = 0;
  std::array<char, http::kHttpDateLength> last_modified_text{};

  std::uint64_t size() const {
    return memory ? std::uint64_t{memory->size()} : static_cast<std::uint64_t>(st.st_size);
  }
  std::string_view etag() const {
    return ready_made ? std::string_view(ready->etag)
                      : std::string_view(etag_text.data(), etag_length);
  }
  std::string_view last_modified_date() const {
    if (ready_made) return ready->last_modified;
    return last_modified ? std::string_view(last_modified_text.data(), last_modified_text.size())
                         : std::string_view();
  }
};

// What follows the head: the whole representation, one range of it, or several as
// multipart/byteranges (RFC 9110 §14.6).
struct RequestWorker::FileBody {
  http::Status status = http::Status::kOk;  // or kPartialContent
  http::RangeSet ranges{};
  bool multipart = false;
  std::array<char, http::kMaxBoundaryLength> boundary_text{};
  std::size_t boundary_length = 0;
  std::uint64_t offset = 0;  // a single range's first byte
  std::uint64_t length = 0;  // Content-Length
  std::uint64_t size = 0;    // the whole representation's

  bool partial() const { return status == http::Status::kPartialContent; }
  std::string_view boundary() const { return {boundary_text.data(), boundary_length}; }
};

RequestWorker::Answer RequestWorker::respond_file(Connection& connection,
                                                  const http::Request& request, FileChoice& file,
                                                  int root_fd, bool keep_alive) {
  const bool head_only = request.method == http::Method::kHead;
  Representation chosen;
  represent(request, file, root_fd, chosen);

  switch (http::evaluate_preconditions(request, chosen.etag(), chosen.last_modified)) {
    case http::Precondition::kNotModified: {
      // RFC 9110 §15.4.5: the validators and cache headers a 200 would carry, no content.
      http::ResponseHeadWriter head(batch_room(), http::Status::kNotModified,
                                    http::http_date_now());
      add_validators(head, chosen);
      add_connection(head, keep_alive, request.version_minor);
      std::size_t length = head.finish();
      if (length == 0) return respond_error(http::Status::kInternalServerError, false, head_only);
      batch_size_ += length;
      return {keep_alive, http::Status::kNotModified, 0};
    }
    case http::Precondition::kPreconditionFailed:
      return respond_error(http::Status::kPreconditionFailed, keep_alive, head_only);
    case http::Precondition::kProceed:
      break;
  }

  FileBody body;
  if (!plan_body(request, chosen, body)) {
    std::array<char, http::kMaxContentRangeLength> content_range{};
    std::size_t length = http::format_unsatisfied_range(content_range, body.size);
    const http::Header headers[] = {{"Content-Range", {content_range.data(), length}}};
    return respond_error(http::Status::kRangeNotSatisfiable, keep_alive, head_only, headers);
  }

  const FileResponse response{chosen, body, keep_alive, request.version_minor};
  char* start = batch_.data() + batch_size_;
  const std::size_t head_length = write_file_head(batch_room(), response, body.length);
  if (head_length == 0) return respond_error(http::Status::kInternalServerError, false, head_only);
  if (head_only) {
    batch_size_ += head_length;
    return {keep_alive, body.status, 0};
  }
  return emit_file_body(connection, response, chosen.fd, start, head_length);
}

void RequestWorker::represent(const http::Request& request, FileChoice& file, int root_fd,
                              Representation& chosen) {
  chosen.fd = std::move(file.fd);
  chosen.st = file.st;
  chosen.memory = file.content;
  chosen.content_type = file.content_type;

  // A precompressed sibling when the client takes it.
  if (settings_.precompressed && root_fd >= 0) {
    struct stat brotli_st {};
    struct stat gzip_st {};
    UniqueFd brotli = files_.open_variant(root_fd, ".br", brotli_st);
    UniqueFd gzip = files_.open_variant(root_fd, ".gz", gzip_st);
    // Vary goes on every response of a resource that has variants, whichever one is sent.
    chosen.varies = brotli || gzip;
    if (chosen.varies) {
      chosen.coding = http::choose_coding(request, {bool(brotli), bool(gzip)})
                          .value_or(http::Coding::kIdentity);
      if (chosen.coding != http::Coding::kIdentity) {
        const bool is_brotli = chosen.coding == http::Coding::kBrotli;
        chosen.fd = std::move(is_brotli ? brotli : gzip);
        chosen.st = is_brotli ? brotli_st : gzip_st;
        chosen.memory = nullptr;
      }
    }
  }

  // On-the-fly gzip for compressible files without precompressed siblings, compressed once per
  // file version and kept in this worker's cache.
  const off_t size = chosen.st.st_size;
  if (gzip_ && !chosen.varies && size >= static_cast<off_t>(GzipCache::kMinSource) &&
      size <= static_cast<off_t>(GzipCache::kMaxSource) &&
      http::is_compressible_type(chosen.content_type)) {
    chosen.varies = true;
    if (http::choose_coding(request, {false, true}) == http::Coding::kGzip) {
      const std::string* gzipped = chosen.memory ? gzip_->compressed(*chosen.memory, chosen.st)
                                                 : gzip_->compressed(chosen.fd.get(), chosen.st);
      if (gzipped) {
        chosen.memory = gzipped;
        chosen.coding = http::Coding::kGzip;
      }
    }
  }

  if (chosen.memory == file.content && chosen.coding == http::Coding::kIdentity && !chosen.varies) {
    chosen.ready = file.cached;
  }
  chosen.ready_made = chosen.ready != nullptr && !chosen.ready->plain_fields.empty();
  chosen.last_modified = http::usable_last_modified(chosen.st);
  if (!chosen.ready_made) {
    chosen.etag_length = http::format_etag(chosen.st, etag_suffix(chosen.coding), chosen.etag_text);
    if (chosen.last_modified) {
      http::format_http_date(*chosen.last_modified, chosen.last_modified_text);
    }
  }
}

bool RequestWorker::plan_body(const http::Request& request, const Representation& chosen,
                              FileBody& body) {
  body.size = chosen.size();
  body.length = body.size;
  // Ranges (RFC 9110 §14.2) apply to the selected representation, on GET and HEAD.
  if (std::optional<std::string_view> range = request.find_header("Range")) {
    std::optional<std::string_view> if_range = request.find_header("If-Range");
    if (!if_range || http::if_range_allows_range(*if_range, chosen.etag(), chosen.last_modified)) {
      body.ranges = http::parse_range(*range, body.size);
    }
  }
  if (body.ranges.outcome == http::RangeOutcome::kUnsatisfiable) return false;
  if (body.ranges.outcome != http::RangeOutcome::kSatisfiable) return true;

  body.status = http::Status::kPartialContent;
  body.multipart = body.ranges.count > 1;
  if (body.multipart) {
    body.boundary_length = http::make_boundary(body.boundary_text, boundary_seed_++);
    body.length =
        http::multipart_length(body.ranges, body.boundary(), chosen.content_type, body.size);
  } else {
    body.offset = body.ranges.ranges[0].first;
    body.length = body.ranges.ranges[0].length();
  }
  return true;
}

void RequestWorker::add_validators(http::ResponseHeadWriter& head, const Representation& chosen) {
  if (!chosen.etag().empty()) head.header("ETag", chosen.etag());
  if (!chosen.last_modified_date().empty()) {
    head.header("Last-Modified", chosen.last_modified_date());
  }
  if (!settings_.cache_control.empty()) head.header("Cache-Control", settings_.cache_control);
  if (chosen.varies) head.header("Vary", "Accept-Encoding");
}

void RequestWorker::add_connection(http::ResponseHeadWriter& head, bool keep_alive,
                                   int version_minor) {
  if (!keep_alive) {
    head.header("Connection", "close");
  } else if (version_minor == 0) {
    head.header("Connection", "keep-alive");
  }
}

// Everything between Server and Connection; a cache entry's ready-made fields are this, rendered
// once.
void RequestWorker::add_file_fields(http::ResponseHeadWriter& head, const FileResponse& file,
                                    std::uint64_t content_length) {
  const FileBody& body = file.body;
  if (body.multipart) {
    std::array<char, http::kMaxBoundaryLength + 48> multipart_type{};
    std::size_t type_length = http::format_multipart_content_type(multipart_type, body.boundary());
    head.header("Content-Type", {multipart_type.data(), type_length});
  } else {
    head.header("Content-Type", file.chosen.content_type);
  }
  head.header("Content-Length", content_length);
  if (body.partial() && !body.multipart) {
    std::array<char, http::kMaxContentRangeLength> content_range{};
    std::size_t range_length = http::format_content_range(
        content_range, {body.offset, body.offset + content_length - 1}, body.size);
    head.header("Content-Range", {content_range.data(), range_length});
  }
  if (file.chosen.coding != http::Coding::kIdentity) {
    head.header("Content-Encoding", http::coding_token(file.chosen.coding));
  }
  head.header("Accept-Ranges", "bytes");
  add_validators(head, file.chosen);
  head.header("X-Content-Type-Options", "nosniff");
}

std::size_t RequestWorker::write_file_head(std::span<char> out, const FileResponse& file,
                                           std::uint64_t content_length) {
  out = out.first(std::min(out.size(), kHeadRoom));
  const Representation& chosen = file.chosen;
  CachedFile* ready = chosen.ready;
  if (ready == nullptr || file.body.partial() || content_length != file.body.size) {
    http::ResponseHeadWriter head(out, file.body.status, http::http_date_now());
    add_file_fields(head, file, content_length);
    add_connection(head, file.keep_alive, file.version_minor);
    return head.finish();
  }
  if (ready->plain_fields.empty()) {
    std::array<char, kHeadRoom> fields{};
    http::ResponseHeadWriter writer(fields);
    add_file_fields(writer, file, content_length);
    if (writer.fields_size() == 0) return 0;
    ready->plain_fields.assign(fields.data(), writer.fields_size());
    ready->etag = chosen.etag();
    ready->last_modified = chosen.last_modified_date();
  }
  std::array<char, 32> connection_room{};
  http::ResponseHeadWriter connection_field(connection_room);
  add_connection(connection_field, file.keep_alive, file.version_minor);
  return http::assemble_head(out, file.body.status, http::http_date_now(), ready->plain_fields,
                             {connection_room.data(), connection_field.fields_size()});
}

RequestWorker::Answer RequestWorker::emit_file_body(Connection& connection,
                                                    const FileResponse& file, UniqueFd& fd,
                                                    char* start, std::size_t head_length) {
  const FileBody& body = file.body;
  const Answer answer{file.keep_alive, body.status, body.length};
  if (file.chosen.memory) {
    batch_size_ += head_length;
    return {file.keep_alive, body.status, emit_memory_body(connection, file)};
  }
  if (body.multipart) {
    // Each part's head, then its range straight from the file: never a copy of the data.
    batch_size_ += head_length;
    connection.part_heads.clear();
    connection.parts.clear();
    std::array<char, 512> part_head{};
    for (std::size_t i = 0; i < body.ranges.count; ++i) {
      const http::ByteRange& range = body.ranges.ranges[i];
      std::size_t written = http::format_part_head(
          part_head, body.boundary(), file.chosen.content_type, range, body.size, i == 0);
      connection.parts.push_back(
          {connection.part_heads.size(), written, static_cast<off_t>(range.first), range.length()});
      connection.part_heads.append(part_head.data(), written);
    }
    std::size_t tail = http::format_multipart_tail(part_head, body.boundary());
    connection.parts.push_back({connection.part_heads.size(), tail, 0, 0});
    connection.part_heads.append(part_head.data(), tail);
    connection.next_part = 0;
    connection.file_fd = std::move(fd);
    return answer;
  }
  if (body.length > settings_.small_file_limit) {
    batch_size_ += head_length;
    connection.file_fd = std::move(fd);  // flush_output() sends the range and closes it
    connection.file_offset = static_cast<off_t>(body.offset);
    connection.file_remaining = body.length;
    return answer;
  }
  return emit_read_body(fd.get(), file, start, head_length);
}

std::size_t RequestWorker::emit_memory_body(Connection& connection, const FileResponse& file) {
  const FileBody& body = file.body;
  const std::string& memory = *file.chosen.memory;
  std::string assembled;
  std::string_view content;
  if (body.multipart) {
    std::array<char, 512> part_head{};
    for (std::size_t i = 0; i < body.ranges.count; ++i) {
      const http::ByteRange& range = body.ranges.ranges[i];
      assembled.append(part_head.data(),
                       http::format_part_head(part_head, body.boundary(), file.chosen.content_type,
                                              range, body.size, i == 0));
      assembled.append(memory, range.first, range.length());
    }
    assembled.append(part_head.data(), http::format_multipart_tail(part_head, body.boundary()));
    content = assembled;
  } else {
    content = std::string_view(memory).substr(body.offset, body.length);
  }
  if (content.size() <= batch_.size() - batch_size_) {
    std::memcpy(batch_.data() + batch_size_, content.data(), content.size());
    batch_size_ += content.size();
  } else {
    connection.stash_output(content.data(), content.size());  // sent right after the batch
  }
  return content.size();
}

// A small file (or range) read into the batch right behind its head: one send for both.
RequestWorker::Answer RequestWorker::emit_read_body(int fd, const FileResponse& file, char* start,
                                                    std::size_t head_length) {
  const FileBody& body = file.body;
  std::size_t got = 0;
  while (got < body.length) {
    ssize_t n = ::pread(fd, start + head_length + got, body.length - got,
                        static_cast<off_t>(body.offset + got));
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  if (got < body.length) {
    if (body.partial()) {
      // The file shrank under a range: the promised Content-Range is gone; answer 500 and close.
      return respond_error(http::Status::kInternalServerError, false, false);
    }
    // The file shrank between fstat and read: describe what was actually read.
    std::array<char, kHeadRoom> fixed{};
    std::size_t fixed_length = write_file_head(fixed, file, got);
    std::memmove(start + fixed_length, start + head_length, got);
    std::memcpy(start, fixed.data(), fixed_length);
    head_length = fixed_length;
  }
  batch_size_ += head_length + got;
  return {file.keep_alive, body.status, got};
}

RequestWorker::Answer RequestWorker::respond_error(http::Status status, bool keep_alive,
                                                   bool head_only,
                                                   std::span<const http::Header> headers) {
  std::string_view body;
  if (auto page = settings_.error_pages.find(http::code(status));
      page != settings_.error_pages.end()) {
    body = page->second;
  }
  http::ErrorResponseOptions options{
      .keep_alive = keep_alive,
      .head_only = head_only,
      .allow = status == http::Status::kMethodNotAllowed ? http::kAllowedMethods : "",
      .date = http::http_date_now(),
      .body = body,
      .headers = headers};
  std::size_t length = http::build_error_response(batch_room(), status, options);
  batch_size_ += length;
  std::size_t body_length = body.empty() ? http::default_body(status).size() : body.size();
  return {keep_alive, status, head_only ? 0 : body_length};
}

Completion RequestWorker::step_handshake(Connection& connection) {
  const tls::TlsResult result = connection.tls->handshake();
  switch (result.status) {
    case tls::TlsStatus::kDone:
      metrics_.tls_handshakes.add();
      if (connection.tls->session_reused()) metrics_.tls_resumed.add();
      connection.stream = StreamKind::kTls;
      // The request may have come with the client's last handshake flight, and edge-triggered
      // epoll will not report those bytes again: the reactor reads at once.
      connection.input_maybe_more = true;
      return {Outcome::kDone, AfterOutput::kKeepOpen};
    case tls::TlsStatus::kWantRead:
    case tls::TlsStatus::kWantWrite:
      return {Outcome::kHandshaking, AfterOutput::kKeepOpen};
    case tls::TlsStatus::kClosed:
    case tls::TlsStatus::kError:
      break;
  }
  metrics_.tls_handshake_errors.add();
  if (settings_.diagnostics != nullptr) {
    settings_.diagnostics->write(LogLevel::kDebug, "TLS handshake with %s failed: %s",
                                 connection.peer[0] != '\0' ? connection.peer : "-",
                                 result.error.empty() ? "closed" : result.error.c_str());
  }
  return {Outcome::kAbort, AfterOutput::kClose};
}

RequestWorker::Answer RequestWorker::respond_https_redirect(Connection& connection, bool keep_alive,
                                                            bool head_only) {
  const http::Request& request = request_;
  connection.consume_request();
  const http::Status verdict = http::check_request(request);
  if (verdict == http::Status::kBadRequest) return respond_error(verdict, false, head_only);
  // A body is not read: the client sends it again to the new URL. Close after the answer.
  if (http::body_framing(request).kind == http::BodyKind::kNone) {
    client_may_send_ = false;
  } else {
    keep_alive = false;
  }
  http::TargetParts parts;
  if (request.target == "*") {
    parts.path = "/";
  } else if (!http::split_target(request.target, parts)) {
    return respond_error(http::Status::kBadRequest, false, head_only);
  }
  // RFC 9112 §3.2.2: an absolute-form target's authority wins over Host. The name is checked
  // (normalize_host) before it goes into a header: nothing but a DNS name or an IP literal.
  std::string_view authority =
      parts.host.empty() ? request.find_header("Host").value_or("") : parts.host;
  char host[256];
  const std::size_t host_length = normalize_host(authority, host, sizeof host);
  if (host_length == 0) return respond_error(http::Status::kBadRequest, false, head_only);
  std::string location = "https://";
  const std::string_view name(host, host_length);
  if (name.find(':') != std::string_view::npos) {
    location.append("[").append(name).append("]");  // an IPv6 literal
  } else {
    location.append(name);
  }
  if (settings_.https_port != 443)
    location.append(":").append(std::to_string(settings_.https_port));
  location.append(parts.path);
  if (!parts.query.empty()) location.append("?").append(parts.query);
  http::ErrorResponseOptions options{.keep_alive = keep_alive,
                                     .head_only = head_only,
                                     .location = location,
                                     .date = http::http_date_now()};
  const std::size_t length =
      http::build_error_response(batch_room(), http::Status::kPermanentRedirect, options);
  if (length == 0) return respond_error(http::Status::kUriTooLong, false, head_only);
  batch_size_ += length;
  return {keep_alive, http::Status::kPermanentRedirect, 0};
}

RequestWorker::Answer RequestWorker::respond_status(Connection& connection, bool keep_alive,
                                                    bool head_only) {
  const http::Request& request = request_;
  connection.consume_request();
  // Answered without reading a body: one that was sent closes the connection.
  keep_alive = keep_alive && !http::has_body(request);
  client_may_send_ = !keep_alive;
  const http::Status verdict = http::check_request(request);
  if (verdict != http::Status::kOk && verdict != http::Status::kMethodNotAllowed) {
    return respond_error(verdict, false, head_only);
  }
  const std::string_view peer = connection.peer;
  const bool allowed =
      std::any_of(settings_.status_allow.begin(), settings_.status_allow.end(),
                  [peer](const AddressRange& range) { return range.contains(peer); });
  if (!allowed) return respond_error(http::Status::kForbidden, keep_alive, head_only);
  if (request.method != http::Method::kGet && request.method != http::Method::kHead) {
    return respond_error(http::Status::kMethodNotAllowed, keep_alive, head_only);
  }
  Response response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.header("Cache-Control", "no-store");
  response.body = prometheus_text(settings_.stats());
  const ExchangeRequest exchange{head_only, keep_alive, request.version_minor, {}, {}};
  return emit_response(connection, response, exchange);
}

// ---- a service's routes and handlers ----

void RequestWorker::log_handler_exception(std::string_view method, std::string_view path,
                                          const char* what) const {
  // Once per exception; the client only gets a 500 that says nothing of it.
  if (settings_.diagnostics == nullptr) return;
  settings_.diagnostics->write(LogLevel::kError, "the handler for %.*s %.*s threw: %s",
                               static_cast<int>(method.size()), method.data(),
                               static_cast<int>(path.size()), path.data(), what);
}

std::optional<RequestWorker::Answer> RequestWorker::respond_routed(Connection& connection,
                                                                   bool keep_alive,
                                                                   bool head_only) {
  const http::Request& request = request_;
  http::TargetParts parts;
  if (!http::split_target(request.target, parts)) return std::nullopt;  // 400 or "OPTIONS *"
  const http::RouteMatch match =
      service_.router().match(request.method_token, parts.path, route_params_);
  if (match.result == http::RouteResult::kNotFound) return std::nullopt;  // the root's
  if (match.result == http::RouteResult::kFound) {
    const Route& route = service_.route(match.route);
    answered_route_ = 1 + match.route;
    if (route.mount.fd < 0) {
      return respond_handler(connection, route, parts.path, parts.query, keep_alive, head_only);
    }
    const std::size_t path_start =
        static_cast<std::size_t>(parts.path.data() - request.target.data());
    return respond_static(connection, route.mount,
                          request.target.substr(path_start + route.prefix_length),
                          request.target.substr(path_start, route.prefix_length));
  }
  // Answered from the table without reading a body: one that was sent closes the connection.
  connection.consume_request();
  keep_alive = keep_alive && !http::has_body(request);
  client_may_send_ = !keep_alive;
  switch (match.result) {
    case http::RouteResult::kMethodNotAllowed:
      return emit_service_error(connection, 405, keep_alive, head_only, match.allow);
    case http::RouteResult::kOptions: {
      // RFC 9110 §9.3.7: what this resource allows, from the routing table.
      http::ResponseHeadWriter head(batch_room(), http::Status::kNoContent, http::http_date_now());
      head.header("Allow", match.allow);
      if (!keep_alive) head.header("Connection", "close");
      batch_size_ += head.finish();
      return Answer{keep_alive, http::Status::kNoContent, 0};
    }
    default:
      return emit_service_error(connection, 400, false, head_only);
  }
}

RequestWorker::Answer RequestWorker::respond_handler(Connection& connection, const Route& route,
                                                     std::string_view path, std::string_view query,
                                                     bool keep_alive, bool head_only) {
  const http::Request& request = request_;
  const http::BodyFraming framing = http::body_framing(request);
  if (connection.overloaded) {
    // No handler thread in time (ServerOptions::max_queue_wait) or no room in its queue: say so
    // now rather than answer late. A body it sent is not read: the connection closes.
    connection.overloaded = false;
    overloaded_.add();
    connection.consume_request();
    connection.drop_collection();
    keep_alive = keep_alive && framing.kind == http::BodyKind::kNone;
    client_may_send_ = !keep_alive;
    return emit_service_error(connection, 503, keep_alive, head_only, {}, "1");
  }
  if (lane_ == Lane::kFast && route.options.blocking) return {.next = Next::kHandOff};

  // The body (RFC 9112 §6): collected whole before the handler runs, never by a blocking read.
  const http::Expectation expectation = http::expectation(request);
  if (expectation == http::Expectation::kUnsupported) {
    connection.consume_request();
    return emit_service_error(connection, 417, false, head_only);  // RFC 9110 §10.1.1
  }
  bool body_unread = false;
  if (framing.kind != http::BodyKind::kNone) {
    if (!connection.collection) {
      http::BodyLimits limits = settings_.body;
      if (route.options.max_body_bytes > 0) limits.max_body_bytes = route.options.max_body_bytes;
      // A large body collects into storage an earlier one left (body_buffers.h says why).
      const bool large =
          framing.kind == http::BodyKind::kChunked || framing.length >= BodyBuffers::kMinKept;
      http::BodyCollector collector(framing, limits,
                                    large && settings_.body_buffers != nullptr
                                        ? settings_.body_buffers->take()
                                        : std::string{});
      if (collector.error() != http::Status::kOk) {
        connection.consume_request();  // 413 before a byte of it is read; closing lingers
        return emit_service_error(connection, http::code(collector.error()), false, head_only);
      }
      if (!route.options.read_body && expectation == http::Expectation::kContinue) {
        // The client waits for a 100 that will not come: answer without its body, then close.
        body_unread = true;
        keep_alive = false;
      } else {
        connection.collection.emplace(std::move(collector));
      }
    }
    if (connection.collection) {
      connection.collect_body();
      http::BodyCollector& collection = *connection.collection;
      if (collection.error() != http::Status::kOk) {
        connection.consume_request();
        http::Status error = collection.error();
        connection.drop_collection();
        return emit_service_error(connection, http::code(error), false, head_only);
      }
      if (!collection.done()) {
        if (expectation == http::Expectation::kContinue && !collection.continue_sent()) {
          constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          emit_bytes(connection, kContinue);
          collection.set_continue_sent();
        }
        return {.next = Next::kCollect};
      }
    }
  }
  client_may_send_ = body_unread;
  handled_.add();

  // The request as the handler sees it: views into the input, the collection and this worker.
  fields_.clear();
  for (const http::Header& header : request.headers())
    fields_.push_back({header.name, header.value});
  params_.clear();
  for (const http::RouteParam& param : route_params_.all()) {
    params_.push_back({param.name, param.value});
  }
  decoded_path_.clear();
  http::percent_decode(path, decoded_path_);  // the router accepted it: well-formed
  Request view;
  view.method_ = request.method_token;
  view.target_ = request.target;
  view.path_ = decoded_path_;
  view.query_ = query;
  view.peer_ = connection.peer;
  view.version_minor_ = request.version_minor;
  view.headers_ = fields_;
  view.params_ = params_;
  std::string empty_body;
  view.body_ = connection.collection && route.options.read_body ? &connection.collection->payload()
                                                                : &empty_body;

  const ServiceHooks& hooks = service_.hooks;
  ExchangeRequest exchange_request{head_only, keep_alive, request.version_minor, {}, {}};
  if (hooks.after) {
    exchange_request.method.assign(request.method_token);
    exchange_request.path = decoded_path_;
    exchange_request.route = answered_route_;
  }
  if (hooks.before) {
    std::optional<Response> early;
    try {
      early = hooks.before(view);
    } catch (...) {
      early = error_response(hooks, 500);
    }
    if (early) {
      connection.consume_request();
      connection.drop_collection();
      return emit_response(connection, *early, exchange_request);
    }
  }

  if (route.simple) {
    // The short form answers now, on this thread: no exchange to share, nothing to wait for.
    Response response;
    try {
      response = route.simple(view);
      if (hooks.after) hooks.after(exchange_request.method, exchange_request.path, response);
    } catch (const std::exception& error) {
      log_handler_exception(request.method_token, path, error.what());
      response = error_response(hooks, 500);
    } catch (...) {
      log_handler_exception(request.method_token, path, "not a std::exception");
      response = error_response(hooks, 500);
    }
    connection.consume_request();
    connection.drop_collection();
    return emit_response(connection, response, exchange_request);
  }

  auto exchange = std::make_shared<ResponseExchange>(std::move(exchange_request), hooks, answers_,
                                                     this, &connection);
  try {
    route.handler(view, make_responder(exchange));
  } catch (const std::exception& error) {
    log_handler_exception(request.method_token, path, error.what());
  } catch (...) {
    log_handler_exception(request.method_token, path, "not a std::exception");
  }
  connection.drop_collection();  // Request::body() ends with the handler
  switch (exchange->park()) {
    case ResponseExchange::Answer::kResponse: {
      connection.consume_request();
      Response response = exchange->take_response();
      return emit_response(connection, response, exchange->request());
    }
    case ResponseExchange::Answer::kStream: {
      // The head and what the handler wrote so far go out now; the reactor sends the rest.
      connection.consume_request();
      std::string bytes;
      const bool ended = exchange->take_stream_bytes(bytes);
      emit_bytes(connection, bytes);
      if (!ended) {
        connection.exchange = std::move(exchange);
        return {.next = Next::kAwait};
      }
      const ExchangeRequest& asked = exchange->request();
      return {asked.keep_alive && asked.version_minor >= 1, http::Status::kOk, bytes.size()};
    }
    case ResponseExchange::Answer::kNone:
      // Answered later: the request stays at the front of the input until then, and the
      // reactor waits for the answer before reading anything more.
      connection.exchange = std::move(exchange);
      return {.next = Next::kAwait};
  }
  return {.next = Next::kAwait};
}

RequestWorker::Answer RequestWorker::emit_response(Connection& connection, Response& response,
                                                   const ExchangeRequest& request) {
  if (!response.file.empty()) return emit_file(connection, response, request);
  const bool bodiless = response.status == 204 || response.status == 304;
  std::size_t length =
      write_handler_head(batch_room(), response, request, response.body.size(), false);
  if (length == 0 && batch_size_ > 0) {
    // Perhaps only the room ran out: move what is batched aside (in order) and try again.
    connection.stash_output(batch_.data(), batch_size_);
    batch_size_ = 0;
    length = write_handler_head(batch_room(), response, request, response.body.size(), false);
  }
  if (length == 0) {
    // An unsafe field, a status outside 200-599, or a head larger than the batch.
    Response error = error_response(service_.hooks, 500);
    length = write_handler_head(batch_room(), error, request, error.body.size(), false);
    if (length == 0) return respond_error(http::Status::kInternalServerError, false, false);
    batch_size_ += length;
    if (!request.head_only) emit_bytes(connection, error.body);
    return {request.keep_alive, http::Status::kInternalServerError, error.body.size()};
  }
  batch_size_ += length;
  const bool sends_body = !request.head_only && !bodiless;
  const std::size_t body_bytes = sends_body ? response.body.size() : 0;
  if (sends_body) emit_body(connection, std::move(response.body));
  return {request.keep_alive, static_cast<http::Status>(response.status), body_bytes};
}

RequestWorker::Answer RequestWorker::emit_file(Connection& connection, const Response& response,
                                               const ExchangeRequest& request) {
  FileChoice file;
  file.fd.reset(::open(response.file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!file.fd || ::fstat(file.fd.get(), &file.st) != 0 || !S_ISREG(file.st.st_mode)) {
    return emit_service_error(connection, 404, request.keep_alive, request.head_only);
  }
  const std::string name = response.file.filename().string();
  if (auto type = http::mime_type_for_extension(name)) {
    file.content_type = *type;
  } else {
    file.content_type = files_.sniffer().content_type(file.fd.get(), file.st);
  }
  file.status = http::Status::kOk;
  return respond_file(connection, request_, file, -1, request.keep_alive);
}

RequestWorker::Answer RequestWorker::emit_service_error(Connection& connection, int status,
                                                        bool keep_alive, bool head_only,
                                                        std::string_view allow,
                                                        std::string_view retry_after) {
  Response response = error_response(service_.hooks, status);
  if (!allow.empty()) response.header("Allow", std::string(allow));
  if (!retry_after.empty()) response.header("Retry-After", std::string(retry_after));
  const ExchangeRequest request{head_only, keep_alive, request_.version_minor, {}, {}};
  return emit_response(connection, response, request);
}

void RequestWorker::emit_bytes(Connection& connection, std::string_view bytes) {
  if (bytes.empty()) return;
  if (bytes.size() <= batch_.size() - batch_size_ && !connection.has_pending_output()) {
    std::memcpy(batch_.data() + batch_size_, bytes.data(), bytes.size());
    batch_size_ += bytes.size();
    return;
  }
  // Too large for the batch: the batch goes into the pending output first, so the bytes follow
  // it on the wire whatever the socket takes now (serve() flushes pending output next).
  if (batch_size_ > 0) connection.stash_output(batch_.data(), batch_size_);
  batch_size_ = 0;
  connection.stash_output(bytes.data(), bytes.size());
}

void RequestWorker::emit_body(Connection& connection, std::string&& body) {
  if (body.size() <= batch_.size() - batch_size_ && !connection.has_pending_output()) {
    emit_bytes(connection, body);
    if (settings_.body_buffers != nullptr) settings_.body_buffers->give(std::move(body));
    return;
  }
  // Too large for the batch: the string itself becomes the pending output, sent from where the
  // handler built it. Copying it cost a fresh allocation per response, whose pages faulted in
  // again each time once glibc had given them back.
  if (batch_size_ > 0) connection.stash_output(batch_.data(), batch_size_);
  batch_size_ = 0;
  connection.stash_output(std::move(body));
}

namespace {

// Waits until the socket takes bytes again, at most until `deadline`.
bool wait_writable(int fd, std::chrono::steady_clock::time_point deadline) {
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd writable{fd, POLLOUT, 0};
    const int ready =
        ::poll(&writable, 1, static_cast<int>(std::min<long long>(left.count(), 60'000)));
    if (ready > 0) return (writable.revents & (POLLERR | POLLHUP)) == 0;
    if (ready < 0 && errno != EINTR) return false;
  }
}

}  // namespace

bool RequestWorker::send_now(std::string& bytes, std::chrono::steady_clock::time_point deadline) {
  if (current_ == nullptr) return false;
  Connection& connection = *current_;
  // What is already on its way goes first: the pending output, the batch, then these bytes.
  if (batch_size_ > 0) connection.stash_output(batch_.data(), batch_size_);
  batch_size_ = 0;
  if (!bytes.empty()) connection.stash_output(bytes.data(), bytes.size());
  bytes.clear();
  while (connection.has_pending_output()) {
    switch (connection.flush_output(metrics_.bytes_sent)) {
      case FlushResult::kFailed:
        return false;
      case FlushResult::kBlocked:
        if (!wait_writable(connection.fd, deadline)) return false;
        break;
      case FlushResult::kDone:
      case FlushResult::kYielded:
        break;
    }
  }
  return true;
}

FlushResult RequestWorker::flush(Connection& connection) {
  std::size_t sent_total = 0;
  while (sent_total < batch_size_) {
    StreamResult sent = connection.transmit(batch_.data() + sent_total, batch_size_ - sent_total,
                                            connection.has_pending_output());
    if (sent.status == StreamStatus::kDone) {
      metrics_.bytes_sent.add(sent.bytes);
      sent_total += sent.bytes;
    } else if (sent.status == StreamStatus::kBlocked) {
      // Anything already pending was answered after the batch (an in-memory body too large for
      // it): the batch's rest goes first.
      connection.stash_output_first(batch_.data() + sent_total, batch_size_ - sent_total);
      batch_size_ = 0;
      return FlushResult::kBlocked;
    } else {
      batch_size_ = 0;
      return FlushResult::kFailed;
    }
  }
  batch_size_ = 0;
  // The batch is this turn's first bytes: a turn ends at the same stream offset whatever the
  // head's length, as the reactor's later turns do.
  return connection.flush_output(
      metrics_.bytes_sent, kWriteTurnBytes - std::min<std::uint64_t>(sent_total, kWriteTurnBytes));
}

void RequestWorker::add_to(ServerStats& stats, PoolStats& pool) const {
  const ThreadMetrics& m = metrics_;
  for (std::size_t i = 0; i < stats.responses_by_class.size(); ++i) {
    stats.responses_by_class[i] += m.responses_by_class[i].read();
  }
  // The caller lists the routes only once run() has sized every worker's counters and published
  // that (ServerCore::metrics_ready_): before, `routes` may be changing and is not read.
  if (!stats.requests_by_route.empty()) {
    for (std::size_t i = 0; i < m.route_count && i < stats.requests_by_route.size(); ++i) {
      stats.requests_by_route[i].requests += m.routes[i].read();
    }
  }
  stats.bytes_sent += m.bytes_sent.read();
  m.request_duration.add_to(stats.request_duration);
  stats.handler_requests += handled_.read();
  stats.tls_handshakes += m.tls_handshakes.read();
  stats.tls_resumed += m.tls_resumed.read();
  stats.tls_handshake_errors += m.tls_handshake_errors.read();
  stats.overloaded += overloaded_.read();
  if (file_cache_) {
    stats.file_cache_hits += file_cache_->hits().read();
    stats.file_cache_misses += file_cache_->misses().read();
  }
  if (gzip_) {
    stats.gzip_cache_hits += gzip_->hits().read();
    stats.gzip_cache_misses += gzip_->compressions().read();
  }
  const std::uint64_t finished = m.jobs_finished.read();
  const std::uint64_t started = m.jobs_started.read();
  pool.workers += 1;
  pool.busy += started > finished ? 1 : 0;
  m.queue_wait.add_to(pool.queue_wait);
}

}  // namespace hybrid::server
