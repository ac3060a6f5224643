// PendingReply: the slot of one client request in its session's reply queue.
//
// Replies must reach the client in request order even though the parts of a request (one per backend
// server it was split over) complete in any order. The session queues one PendingReply per request;
// backends fill in parts; the reply is sent when it and every reply before it are ready. Each
// protocol merges parts in its own subclasses, in its folder.
//
// A merged reply (the parts of a split request put together) is built with append(): past 256 KiB
// it goes into blocks of that size, written one after another, not into one string that doubles.
// A string grown to megabytes is mapped afresh at each doubling (past glibc's mmap threshold),
// copied, and page-faulted in; blocks below the threshold come back from glibc's free lists (issue
// 28: a 16 MB merged reply cost 15-27x nutcracker's CPU per byte). A large part is not copied at
// all: the backend lends the buffer it read the part into (complete()'s `buffer`), the reply keeps
// it (keep_reply_buffer()), and its bytes go to the client from there (append_kept()).
//
// A large single-part reply passed through unchanged may arrive in pieces (add_piece): blocks read
// straight from the server's socket, which the client's writer sends as they come, without a copy
// and without holding the whole value. The backend never waits for the client to write them on a
// connection other clients share (the client's session keeps them, up to its output limit:
// client_session.hpp); only a connection that belongs to this one request (an HTTP upstream) waits
// until the client has written them (on_written). A reply cut short by a failure after pieces went
// out ends the client's connection (cut()): its framing is lost.
//
// Everything here is touched by one thread: a session and the backends it uses live on the same
// io_context, so there are no locks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <asio/buffer.hpp>

#include "proxy/buffers.hpp"
#include "proxy/recycled.hpp"

namespace ringleader::proxy {

class ClientSession;

class PendingReply {
 public:
  /// A reply that waits for `parts` backend replies.
  explicit PendingReply(std::uint32_t parts = 1) : waiting_(parts) {}
  virtual ~PendingReply() { SpareStrings::give(bytes_); }
  PendingReply(const PendingReply&) = delete;
  PendingReply& operator=(const PendingReply&) = delete;

  /// A reply the proxy answers itself: ready at once.
  static std::shared_ptr<PendingReply> local(std::string_view bytes);

  /// A backend's reply to part `part`. `failed` marks a reply the proxy made up because the backend
  /// could not answer (it is already in the protocol's error format). `buffer`, if not null, holds
  /// `reply` and is lent: the reply may keep it rather than copy from it (keep_reply_buffer()).
  void complete(std::uint32_t part, std::string_view reply, bool failed, Bytes* buffer = nullptr);

  bool ready() const noexcept { return waiting_ == 0; }
  /// May take pieces: one part, passed through, for a client that is still there.
  bool can_take_pieces() const;
  /// The next piece of the reply, in order.
  void add_piece(Bytes piece);
  /// Bytes of pieces the client has not written yet.
  std::size_t unwritten_pieces() const noexcept { return piece_bytes_; }
  /// Calls `written` each time the client has written pieces of this reply (or left).
  void on_written(std::function<void()> written) { written_ = std::move(written); }
  /// Adds what the client may write of this reply now to `out`: all of it once ready, else the
  /// pieces so far. Returns the bytes added.
  std::size_t gather(std::vector<asio::const_buffer>& out);
  /// What gather() added of a reply in pieces has been written (it may have become ready since).
  void gathered_written();
  /// The client has left: nothing will be written.
  void abandon();
  /// Failed after pieces went out: the client's connection closes after what it was sent.
  bool cut() const noexcept { return cut_; }
  /// The server closed its connection, which ends this reply (one without a length): re-framed
  /// (Frames), its `last` ends it; else the client's connection closes after it (cut()).
  void ended_by_close(std::uint32_t part);
  /// False for noreply requests: the backend's answer is dropped.
  bool sends() const noexcept { return sends_; }
  /// The reply (once ready), or its first bytes when it was built in blocks (append()).
  const std::string& bytes() const noexcept { return bytes_; }
  /// Bytes of the reply so far, blocks included.
  std::size_t size() const noexcept { return bytes_.size() + block_bytes_; }

  void set_session(std::weak_ptr<ClientSession> session) { session_ = std::move(session); }
  /// How the pieces after a rewritten start are framed when the head filter re-frames the body
  /// (HTTP's chunks, for a response that ends at its server's close to a client that keeps its
  /// connection): each piece between before(its size) and `after`, and `last` once the server's
  /// close ended the reply.
  struct Frames {
    std::string (*before)(std::size_t size) = nullptr;  // null: the pieces go as they came
    std::string_view after;
    std::string_view last;
  };
  /// Rewrites the start of the reply (the whole reply, or its first piece) before it goes to the
  /// client: a protocol whose replies carry fields about one connection sets one (HTTP's
  /// Connection, response_head.hpp). Returns how the pieces after that start are framed.
  using HeadFilter = std::function<Frames(std::string&)>;
  void set_head_filter(HeadFilter filter) { head_filter_ = std::move(filter); }
  /// Once ready, this reply becomes part `part` of `whole` instead of going to a client (one copy
  /// of a replicated write split over several servers: route/replicas.hpp).
  void answer_into(std::shared_ptr<PendingReply> whole, std::uint32_t part) {
    whole_ = std::move(whole);
    part_of_whole_ = part;
  }

 protected:
  /// Before a part is stored: true if the request was sent again instead (a read failing over to
  /// the next copy of its key, route/replicas.hpp), so this reply is not complete yet. Never asked once
  /// pieces came.
  virtual bool retried(std::uint32_t, std::string_view, bool) { return false; }
  /// Ready now, whatever parts are still out (a replicated write answered by its first success);
  /// called from on_part(). Later parts are ignored.
  void answer_early();
  /// The client this reply goes to is still there to read it.
  bool client_waits() const;

  /// Stores one part; called once per part, in completion order.
  virtual void on_part(std::uint32_t part, std::string_view reply, bool failed) = 0;
  /// Builds bytes_ from the parts once all are in (single-part replies usually do nothing here).
  virtual void on_all_parts() {}

  /// Adds `bytes` at the end of the reply being built (bytes_, then blocks once it is large).
  void append(std::string_view bytes);
  /// The reply is `bytes` instead of what was appended (an error found after some parts).
  void replace(std::string_view bytes);
  /// In on_part(): keeps the buffer the backend lent with this part, if it lent one, so the part's
  /// bytes stay valid for as long as this reply (append_kept() may add them). False if it did not,
  /// or if a head filter will rewrite the reply (it rewrites bytes_): the part's bytes are valid
  /// during on_part() only.
  bool keep_reply_buffer();
  /// Adds `bytes`, valid for as long as this reply (in a buffer it kept, or in a member of a
  /// subclass), at the end of the reply: written from where they are, not copied. A few bytes are
  /// copied all the same, as a buffer each would cost the write more than the copy.
  void append_kept(std::string_view bytes);

  std::string bytes_;
  bool sends_ = true;
  bool passes_through_ = false;  // one backend reply, unchanged: may go out in pieces

 private:
  /// Every part is in (or answer_early()): builds the reply and says it is ready.
  void finish();
  /// Adds one piece to write after the others; returns its size.
  std::size_t push_piece(Bytes piece);

  std::uint32_t waiting_;
  std::weak_ptr<ClientSession> session_;
  std::shared_ptr<PendingReply> whole_;  // answer_into()
  std::uint32_t part_of_whole_ = 0;
  bool in_pieces_ = false;  // pieces came
  Frames frames_;           // how pieces go out (HeadFilter)
  bool cut_ = false;
  static constexpr std::size_t kBlock = BlockPool::kBlockSize;
  struct Block {         // of the reply after bytes_, in order:
    Bytes own;           // append()'s, once past kBlock...
    std::string_view kept;  // ...or append_kept()'s
    std::string_view view() const noexcept { return kept.empty() ? own.view() : kept; }
  };
  std::vector<Block> blocks_;
  std::size_t block_bytes_ = 0;
  Bytes* lent_ = nullptr;     // complete()'s buffer, during on_part()
  std::vector<Bytes> kept_;   // keep_reply_buffer()'s
  std::vector<Bytes> pieces_;      // not yet written, in order (after bytes_, which holds the first
                                   // piece when a head filter rewrote it); a vector, as a deque
                                   // allocates twice when made, and a reply is made per request
  std::size_t piece_bytes_ = 0;    // in pieces_ and, while in pieces, bytes_
  std::size_t gathered_ = 0;       // pieces_ that gather() handed out
  bool head_gathered_ = false;     // ...after bytes_, the first piece
  std::function<void()> written_;  // on_written()
  HeadFilter head_filter_;
};

/// The common case: one backend reply, passed through unchanged (or dropped for noreply).
class PassThroughReply final : public PendingReply {
 public:
  explicit PassThroughReply(bool sends = true) {
    sends_ = sends;
    passes_through_ = true;
  }

 protected:
  void on_part(std::uint32_t, std::string_view reply, bool) override {
    if (keep_reply_buffer()) {
      append_kept(reply);  // a large reply not in pieces (many small values): written from where it was read
    } else {
      SpareStrings::assign(bytes_, reply);
    }
  }
};

}  // namespace ringleader::proxy
