// One client connection and the byte plumbing every owner of it needs: framing the next request
// out of the input buffer, and pushing pending output (bytes, then a file range) to the socket.
//
// Ownership: a connection belongs to exactly one thread at a time — the reactor, or the worker
// that popped its job. The job queue (reactor → worker) and the completion stack plus eventfd
// (worker → reactor) are the only hand-offs, and both publish every field below. Fields marked
// "reactor only" are never touched by workers, so the reactor may update them while a worker
// holds the connection.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hybrid/http/body_collector.h"
#include "hybrid/http/body_framing.h"
#include "hybrid/http/request.h"
#include "hybrid/http/request_parser.h"
#include "hybrid/http/status.h"
#include "hybrid/reactor/event_loop.h"
#include "hybrid/reactor/timeout_list.h"
#include "hybrid/server/thread_metrics.h"
#include "hybrid/server/unique_fd.h"
#include "hybrid/tls/tls_session.h"

namespace hybrid::server {

class BodyBuffers;
class ServerCore;
class ResponseExchange;

// What framing the next request found.
enum class Frame : unsigned char {
  kNeedMore,  // no complete request head buffered
  kRequest,   // the request passed to frame_next() holds a complete head
  kError,     // `frame_error` holds the status to answer; the connection closes afterwards
};

// What is left to write when a worker hands the connection back.
enum class Outcome : unsigned char {
  kDone,       // every response written
  kWantWrite,  // output pending (bytes and/or a file range); finish it on EPOLLOUT
  kWriteMore,  // output pending, the socket still takes more: continue in the write rotation
  kAbort,      // the output failed (the peer is gone): close at once
  // Written so far; the next request (unanswered, at the front) is a blocking handler's: the
  // fast lane's worker passes the connection to the handler pool instead of the reactor.
  kHandOff,
  // The TLS handshake waits for the client: run its next step on the socket's next readiness.
  kHandshaking,
};

// What carries the connection's bytes.
enum class StreamKind : unsigned char {
  kPlain,         // HTTP over TCP
  kTlsHello,      // a TLS listener's connection before its first bytes were looked at
  kTlsHandshake,  // the session exists; workers run its handshake a step at a time
  kTls,           // HTTP over TLS
};

// What the connection needs once its output is out.
enum class AfterOutput : unsigned char {
  kKeepOpen,  // read the next request (or wait for a handler's answer)
  kClose,     // close
  // Close, but read on first: the client may still send bytes of the request just answered (a
  // body that will not be read, or a stream that could not be framed), and closing with unread
  // bytes would reset the connection before it reads the response.
  kCloseLingering,
};

// What a worker hands back with the connection, as one value: written before the completion
// push, read by the reactor after it. The reactor keeps `after` as its plan while it finishes
// the output.
struct Completion {
  Outcome outcome = Outcome::kDone;
  AfterOutput after = AfterOutput::kKeepOpen;
};

// Where the reactor has parked a connection it owns.
enum class Phase : unsigned char {
  kFree,        // in the free list, no fd
  kReading,     // waiting for (the rest of) a request
  kQueued,      // a complete request waits for room in the job queue
  kWithWorker,  // a worker owns it
  kWriting,     // the reactor finishes output a worker could not
  // A handler answers later (or streams): the reactor waits for its ResponseExchange to say so,
  // reading nothing more from the client meanwhile, so pipelined responses stay in order.
  kAwaiting,
  // The closing response is out and the socket shut for writing; what the client still sends is
  // read and dropped until it closes too or the lingering timeout ends. Closing with unread data
  // would make the kernel send a reset, which can destroy the response before the client reads
  // it (nginx's lingering_close, Apache's lingering close).
  kLingering,
};

// What frame_next() does with a complete request head.
enum class HeadParse : unsigned char { kFull, kBoundsOnly };

// kYielded: the turn's byte budget is spent and the socket may take more; other connections
// write first (a big file must not hold up everyone else's small responses, and loopback TCP
// handles short turns far better than one 1 MiB burst).
enum class FlushResult : unsigned char { kDone, kBlocked, kYielded, kFailed };

// What one read or write on the connection's byte stream did.
enum class StreamStatus : unsigned char {
  kDone,     // `bytes` (at least one) were read or written
  kBlocked,  // nothing now: wait for readiness
  kClosed,   // reads only: the client closed its side, nothing more will come
  kFailed,   // reset, or worse: close the connection
};
struct StreamResult {
  StreamStatus status = StreamStatus::kDone;
  std::size_t bytes = 0;
};

// Bytes one connection may send per turn, heads included, and file bytes per sendfile call.
// Measured on loopback, 1 MiB responses at 10 connections, server CPU per response (medians,
// benches/RESULTS.md): 128 KiB ~170 µs, 160-192 KiB ~180-190 µs, 256 KiB ~195 µs, but 112 KiB
// ~255 µs and 96 KiB ~370 µs (128 KiB is two full 64 KiB GSO segments; why the cost jumps below
// it is not understood). Counting only file bytes (the head rode on top of the first turn)
// cost 230-250 µs at 256 KiB, ~490 µs at 128 KiB or 1 MiB.
constexpr std::uint64_t kWriteTurnBytes = 128 * 1024;
constexpr std::uint64_t kUnlimitedTurn = ~std::uint64_t{0};

struct Connection final : reactor::EventHandler {
  // `body_buffers` (null: none) keeps the storage of large outputs and payloads when they are
  // done with, for the next large body.
  explicit Connection(ServerCore& core, BodyBuffers* body_buffers = nullptr)
      : core_(core), body_buffers_(body_buffers) {
    timeout.owner = this;
  }
  void on_events(std::uint32_t events) override;

  // Back to the state of a new object, for `fd` (-1: a free connection) carried by `kind`,
  // keeping only the input buffer's memory, which its owner pools (the reactor takes it first
  // when it wants it back). The one place a connection's state is reset. Closes nothing: the
  // caller closes the fd.
  void reset(int new_fd, StreamKind kind = StreamKind::kPlain, bool redirects = false);

  // ---- owned by the current owner ----
  int fd = -1;
  char peer[48] = {};  // the client's address, filled at accept when access logging is on
  StreamKind stream = StreamKind::kPlain;
  std::optional<tls::TlsSession> tls;  // from kTlsHandshake on
  // Accepted by the plain listener of a TLS server (ServerOptions::redirect_http_port): every
  // request is answered 308 to its https:// URL.
  bool redirect_to_https = false;

  // Input: [0, input_size) received, [0, input_consumed) already answered.
  std::unique_ptr<char[]> input;
  std::size_t input_capacity = 0;
  std::size_t input_size = 0;
  std::size_t input_consumed = 0;
  std::size_t head_scanned = 0;   // find_head_end() progress over the unanswered bytes
  bool input_maybe_more = false;  // last read filled the buffer: the kernel may hold more

  // The body of the request answered last, skipped before the next head is looked for (RFC 9112
  // §6.3): its bytes are never taken for a request. Empty when no body is outstanding.
  std::optional<http::BodyReader> body;
  std::size_t request_head_length = 0;
  http::Status frame_error = http::Status::kBadRequest;

  // Output a worker could not send: bytes first, then [file_offset, file_offset+file_remaining).
  std::string output;  // pending from output_begin; often a handler's body, adopted whole
  std::size_t output_begin = 0;
  UniqueFd file_fd;
  off_t file_offset = 0;
  std::uint64_t file_remaining = 0;

  // A multipart/byteranges body: after the above, each part's head bytes and then its range of
  // file_fd go out in order (the tail is a part with an empty range). Empty for other responses.
  struct Part {
    std::size_t head_offset = 0;  // into part_heads
    std::size_t head_length = 0;
    off_t file_offset = 0;
    std::uint64_t file_length = 0;
  };
  std::vector<Part> parts;
  std::string part_heads;
  std::size_t next_part = 0;

  // A handler request in progress: its body while it is collected (the request's head stays at
  // the front of the input; the body's bytes move from the input into the collector as they
  // arrive, so the input buffer never has to hold the body), and its answer while the handler
  // has not given it (or streams it). Cleared by close_connection().
  std::optional<http::BodyCollector> collection;
  std::shared_ptr<ResponseExchange> exchange;
  reactor::MonotonicMs handed_off_at = 0;  // entered the handler pool's queue
  bool overloaded = false;  // the handler pool had no room or it waited too long: answer 503

  // For the request-duration histogram: when the reactor last handed over a read request (a
  // handler's later answer keeps the time of its request), and how many of a job's responses
  // were still being written when the worker handed the connection back — the reactor counts
  // those when that output ends.
  std::uint64_t read_at_ns = 0;
  std::uint32_t unfinished_responses = 0;

  Completion completion;
  Connection* next_completed = nullptr;  // completion stack link, written before the push
  // Set by the reactor when it saw readiness while a worker held the connection: the completion
  // must then wake a sleeping reactor, since edge-triggered epoll will not report it again.
  // Cleared by the reactor when it takes the completion.
  std::atomic<bool> reactor_waits{false};

  // ---- reactor only: never touched by a worker, so the reactor may update these while a worker
  // holds the connection ----
  struct ReactorOnly {
    Phase phase = Phase::kFree;
    bool peer_closed = false;       // the client shut down its sending side (FIN seen)
    bool readable_pending = false;  // readiness seen while a worker held the connection
    bool writable_pending = false;
    bool in_rotation = false;           // waits for its next write turn (kWriting)
    Connection* next_queued = nullptr;  // dispatch backlog or write rotation link
  } reactor_only;
  reactor::TimeoutNode timeout;  // reactor only too; its owner pointer is set once

  // Finds the next request head after the answered bytes (compacting the buffer first); on
  // kRequest fills `request` (views into `input`) and `request_head_length`, on kError
  // `frame_error`. The parsed request lives with the caller, not here, so an idle connection does
  // not carry 2 KiB of header slots; calling again without consuming gives the same result.
  // kBoundsOnly (the reactor): a complete head is reported as kRequest without parsing it — the
  // worker parses it anyway, and finds any error in it then; `request` is then only scratch.
  Frame frame_next(const http::ParseLimits& limits, http::Request& request,
                   HeadParse parse = HeadParse::kFull);

  // Marks the current request as answered: its head (a collected body has left the input
  // already; a skipped one is skipped by `body`).
  void consume_request() { input_consumed += request_head_length; }

  // Moves the buffered bytes of the front request's body into `collection` (which must exist
  // and follow a framed head). The reader then says done, an error, or neither (more to come).
  void collect_body();

  bool has_unanswered_input() const { return input_size > input_consumed || body.has_value(); }
  bool has_pending_body() const { return file_remaining > 0 || next_part < parts.size(); }
  bool has_pending_output() const { return output.size() > output_begin || has_pending_body(); }
  std::string_view pending_bytes() const {
    return std::string_view(output).substr(std::min(output_begin, output.size()));
  }

  // Sends pending bytes, then the pending file range with sendfile, at most `turn_bytes` in all:
  // bytes in memory always go out whole, and use up the budget the file then gets.
  // kBlocked on EAGAIN (resume on EPOLLOUT), kYielded when the budget ran out first, kFailed when
  // the peer is gone or the file shrank (close the connection). Adds what it wrote to `sent`,
  // the calling thread's counter.
  FlushResult flush_output(OwnedCounter& sent, std::uint64_t turn_bytes = kUnlimitedTurn);

  // The byte stream's only reads and writes: everything the client sends and everything sent to
  // it passes here, through TLS once the handshake is done. `more`: further bytes follow at once
  // (corks a partial packet). A TLS read may return less than `space` with more to come: only a
  // plain read that came back short has drained the socket.
  StreamResult receive(char* into, std::size_t space);
  StreamResult transmit(const char* bytes, std::size_t length, bool more);
  // Up to `length` bytes of file_fd from file_offset (advanced), straight from the page cache:
  // sendfile, or SSL_sendfile with kernel TLS. Only when can_send_file().
  StreamResult transmit_file(std::size_t length);
  // Without kernel TLS, file bytes must pass through user space to be encrypted.
  bool can_send_file() const { return stream != StreamKind::kTls || tls->kernel_sends(); }

  // Keeps `bytes` as pending output (a copy; the slow path only), after what is pending.
  void stash_output(const char* bytes, std::size_t length);
  // The same for a body the caller gives up: taken over without a copy when nothing is pending
  // (a large handler body then goes from the handler's string to the socket untouched).
  void stash_output(std::string&& bytes);
  // The same, before what is pending: for bytes that were due first, such as the unsent rest of
  // a worker's batch when a later response in it already left its body here.
  void stash_output_first(const char* bytes, std::size_t length);

  // Releases output state and the file; keeps the input.
  void clear_output();
  // Ends the collection (its payload's storage goes to the body buffers, if any).
  void drop_collection();

 private:
  void compact_input();
  // Without kernel TLS: the next piece of the file range becomes the pending bytes (read into
  // the output's storage, which it reuses piece after piece). False if the file shrank.
  bool load_file_piece();
  // Pending output becomes `first` then `second` (either may view the old output).
  void replace_output(std::string_view first, std::string_view second);
  void release_bytes();

  ServerCore& core_;
  BodyBuffers* const body_buffers_;
};

// The head of the idle connection's memory: an input buffer exists only while bytes are
// buffered, so 10 000 idle keep-alive connections cost the Connection objects and nothing more.
std::size_t connection_input_capacity(const http::ParseLimits& limits);

}  // namespace hybrid::server
