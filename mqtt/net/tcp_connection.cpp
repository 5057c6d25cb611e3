#include "mqtt/net/tcp_connection.hpp"

#include <sys/epoll.h>

#include <algorithm>
#include <limits>
#include <span>
#include <type_traits>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "mqtt/net/tls_byte_stream.hpp"
#include "mqtt/net/transport.hpp"
#include "mqtt/net/ws_byte_stream.hpp"
#include "support/log.hpp"

namespace mqgate::net {

namespace asio = boost::asio;
using mqtt::DisconnectReason;

namespace {
// One gathered write carries at most this much, so a long queue cannot make
// a single write (and its stall timer) arbitrarily large.
constexpr std::size_t max_batch_frames = 64;
constexpr std::size_t max_batch_bytes = 256 * 1024;

// Clamped, not wrapped, should a timeout ever exceed what the field holds.
template <class Seconds>
Seconds short_seconds(std::chrono::seconds s) {
    return Seconds(static_cast<typename Seconds::rep>(
        std::clamp<std::chrono::seconds::rep>(s.count(), 0, std::numeric_limits<typename Seconds::rep>::max())));
}

std::string address_text(const asio::ip::address& a) {
    if (a.is_v6() && a.to_v6().is_v4_mapped())
        return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
    return a.to_string();
}
}  // namespace

template <class Stream>
void StreamConnection<Stream>::start(Stream stream, mqtt::Broker& broker, const ConnectionOptions& options,
                                     ConnectionSlot slot) {
    auto conn = std::make_shared<StreamConnection>(std::move(stream), broker, options, std::move(slot));
    auto link = broker.attach(conn);
    // The caller may be on another context's thread (the acceptor's): every
    // executor-only member is touched from the connection's own thread only.
    asio::post(conn->stream_.get_executor(),
               [conn, link = std::move(link)]() mutable { conn->begin(std::move(link)); });
}

template <class Stream>
StreamConnection<Stream>::StreamConnection(Stream stream, mqtt::Broker& broker, const ConnectionOptions& options,
                                           ConnectionSlot slot)
    : stream_(std::move(stream)),
      broker_(broker),
      connect_timeout_(short_seconds<Seconds>(options.connect_timeout)),
      write_timeout_(short_seconds<Seconds>(options.write_timeout)),
      close_flush_timeout_(short_seconds<Seconds>(options.close_flush_timeout)),
      slot_(std::move(slot)),
      protocol_(options.protocol),
      decoder_(broker.limits().max_packet_size, broker.limits().max_connect_size) {
    // Until CONNECT, when the connection began: the connect deadline's start.
    last_received_ = options.accepted_at == Clock::time_point{} ? Clock::now() : options.accepted_at;
    auto& socket = stream_.lowest_layer();
    boost::system::error_code ec;
    socket.set_option(asio::ip::tcp::no_delay(true), ec);
    const auto remote = socket.remote_endpoint(ec);
    if (!ec) remote_ = remote;
    const auto local = socket.local_endpoint(ec);
    if (!ec) local_port_ = local.port();
    if (options.max_publish_rate != 0)
        // Braces, not make_unique's parentheses: clang 14 (the fuzz build) has
        // no parenthesized aggregate initialization.
        throttle_.reset(new Throttle{TokenBucket(options.max_publish_rate), asio::steady_timer(stream_.get_executor())});
    if constexpr (!raw) tls_common_name_ = options.tls_common_name;
}

template <class Stream>
mqtt::PeerInfo StreamConnection<Stream>::peer() const {
    mqtt::PeerInfo p;
    p.address = address_text(remote_.address());
    p.port = remote_.port();
    p.local_port = local_port_;
    p.protocol = protocol_;
    if constexpr (!raw) p.tls_common_name = tls_common_name_;
    return p;
}

template <class Stream>
std::string StreamConnection<Stream>::peer_text() const {
    return address_text(remote_.address()) + ':' + std::to_string(remote_.port());
}

template <class Stream>
StreamConnection<Stream>::~StreamConnection() = default;

template <class Stream>
void StreamConnection<Stream>::begin(std::shared_ptr<mqtt::ClientLink> link) {
    if (unreported_) {
        link->closed(*unreported_);
        return;
    }
    link_ = std::move(link);
    LOG_DEBUG("connection from " << peer_text() << " (" << protocol_ << ')');
    DeadlineSweeper::of(stream_.get_executor()).add(this->shared_from_this());
    if constexpr (raw) {
        if (const auto ec = stream_.watch(this->shared_from_this())) finish(DisconnectReason::network_error);
    } else {
        read();
    }
}

template <class Stream>
void StreamConnection<Stream>::read() {
    if constexpr (raw) {
        // Level-triggered: what is readable is reported until it is read.
        if (const auto ec = stream_.watch_read(true)) finish(DisconnectReason::network_error);
    } else {
        if (read_buffer_.empty()) read_buffer_.resize(16 * 1024);
        stream_.async_read_some(asio::buffer(read_buffer_),
                                [self = this->shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                                    self->on_read(ec, self->read_buffer_.data(), n);
                                });
    }
}

template <class Stream>
void StreamConnection<Stream>::on_read(const boost::system::error_code& ec, char* data, std::size_t n) {
    if (finished_) return;
    if (ec) {
        DisconnectReason reason = DisconnectReason::network_error;
        {
            std::lock_guard lock(mutex_);
            if (close_reason_) reason = *close_reason_;
        }
        finish(reason);
        return;
    }
    // After close() nothing more is processed [MQTT-3.1.4-5]; the flush goes on.
    if (close_requested_.load(std::memory_order_acquire)) return;
    broker_.count_bytes(n, 0);
    // Before CONNECT, last_received_ holds when the connection began: the
    // connect timeout is a deadline, not restarted by each byte a slow peer
    // trickles in.
    if (connected_) last_received_ = Clock::now();
    if constexpr (ws_frames) {
        const std::size_t replies = ws_replies_.size();
        n = deframer_.feed(data, n, ws_replies_);
        if (ws_replies_.size() != replies) send_ws_replies();
        if (deframer_.closed() || deframer_.error() != WsError::none) {
            // What came before the close frame (or the bad one) still counts.
            drain({data, n});
            if (deframer_.error() != WsError::none)
                LOG_DEBUG("closing " << peer_text() << ": WebSocket " << to_string(deframer_.error()));
            // A client's close without DISCONNECT ends the connection as a lost one (its will is published).
            close(deframer_.closed() ? DisconnectReason::network_error : DisconnectReason::protocol_error);
            return;
        }
    }
    drain({data, n});
}

template <class Stream>
void StreamConnection<Stream>::send_ws_replies() {
    if constexpr (ws_frames) {
        {
            std::lock_guard lock(mutex_);
            if (write_scheduled_) return;  // the write under way takes them next
            write_scheduled_ = true;
        }
        asio::post(stream_.get_executor(), [self = this->shared_from_this()] { self->write(); });
    }
}

template <class Stream>
void StreamConnection<Stream>::drain(std::string_view input) {
    for (;;) {
        mqtt::Packet packet;
        std::error_code dec_ec;
        const auto status = decoder_.next(input, packet, dec_ec);
        if (status == mqtt::Decoder::Status::need_more) break;
        if (status == mqtt::Decoder::Status::error) {
            link_->malformed(dec_ec);
            // The broker closes on malformed(); closing here too keeps the
            // stream from ever being read again whatever the broker does.
            close(DisconnectReason::protocol_error);
            return;
        }
        if (!connected_) {
            connected_ = true;  // the CONNECT (the decoder refuses anything else first)
            last_received_ = Clock::now();
            if (slot_.refusing()) return refuse();
        }
        const bool publish = std::holds_alternative<mqtt::Publish>(packet);
        link_->packet(std::move(packet));
        // After close() nothing more is processed [MQTT-3.1.4-5]: the rest is dropped.
        if (close_requested_.load(std::memory_order_acquire)) return;
        if (publish && throttled()) {
            decoder_.feed(input);  // `input` is gone by the time reading resumes
            return;
        }
    }
    read();
}

// Over mqtt.max_connections: the client learns why [MQTT-3.2.2-5]; its
// CONNECT never reaches the broker.
template <class Stream>
void StreamConnection<Stream>::refuse() {
    LOG_DEBUG("refusing " << peer_text() << ": mqtt.max_connections reached (CONNACK 0x03)");
    mqtt::Frame connack;
    mqtt::encode(mqtt::Connack{false, mqtt::ConnectReturn::server_unavailable}, connack.head);
    send(std::move(connack));
    close(DisconnectReason::connect_rejected);
}

template <class Stream>
bool StreamConnection<Stream>::throttled() {
    if (!throttle_) return false;
    const auto wait = throttle_->bucket.take(Clock::now());
    if (wait == Clock::duration::zero()) return false;
    publish_throttled_total().fetch_add(1, std::memory_order_relaxed);
    if (!throttle_->logged) {
        throttle_->logged = true;
        LOG_WARN("client at " << peer_text() << " is over mqtt.max_publish_rate ("
                              << throttle_->bucket.rate() << "/s): reading paused while it is");
    }
    // What was read stays in the decoder; the pause ends with the debt. The
    // keepalive clock must not blame the client for our not reading.
    last_received_ = Clock::now() + wait;
    if constexpr (raw) {
        if (const auto ec = stream_.watch_read(false)) {
            finish(DisconnectReason::network_error);
            return true;
        }
    }
    throttle_->timer.expires_after(wait);
    throttle_->timer.async_wait([self = this->shared_from_this()](const boost::system::error_code& ec) {
        if (ec || self->finished_ || self->close_requested_.load(std::memory_order_acquire)) return;
        self->drain();
    });
    return true;
}

template <class Stream>
void StreamConnection<Stream>::send(mqtt::Frame frame) {
    const std::size_t size = frame.size();
    {
        std::lock_guard lock(mutex_);
        if (close_reason_) return;  // nothing is sent after close()
        outbound_.push_back(std::move(frame));
        buffered_.fetch_add(size, std::memory_order_relaxed);
        if (write_scheduled_) return;
        write_scheduled_ = true;
    }
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] { self->write(); });
}

// One spare batch per I/O thread: a connection borrows it for a write and
// gives it back once the write is done, so a thread's connections share one
// batch between them and a burst of new connections (each writes a CONNACK)
// leaves no batch behind each.
template <class Stream>
std::unique_ptr<typename StreamConnection<Stream>::WriteBatch>& StreamConnection<Stream>::spare_batch() {
    thread_local std::unique_ptr<WriteBatch> spare;
    return spare;
}

template <class Stream>
void StreamConnection<Stream>::give_back_batch() {
    if (auto& spare = spare_batch(); !spare) spare = std::move(batch_);
}

template <class Stream>
bool StreamConnection<Stream>::take_batch() {
    if (!batch_) batch_ = spare_batch() ? std::move(spare_batch()) : std::make_unique<WriteBatch>();
    auto& b = *batch_;
    {
        std::lock_guard lock(mutex_);
        while (!outbound_.empty() && b.frames.size() < max_batch_frames && b.bytes < max_batch_bytes) {
            b.bytes += static_cast<std::uint32_t>(outbound_.front().size());
            b.frames.push_back(std::move(outbound_.front()));
            outbound_.pop_front();
        }
        bool replies = false;
        if constexpr (ws_frames) replies = !ws_replies_.empty();
        if (b.frames.empty() && !replies) write_scheduled_ = false;
        // A connection quiet until this write (none since the last sweep) is
        // most likely quiet again after it (a CONNACK, a PINGRESP): its ring
        // goes back now rather than at the next sweep, so a burst of new
        // connections does not leave a ring behind each for a quarter second
        // (memory per idle connection). A busy connection keeps its ring.
        if (!wrote_ && outbound_.empty()) outbound_.shrink();
    }
    bool replies = false;
    if constexpr (ws_frames) replies = !ws_replies_.empty();
    if (b.frames.empty() && !replies) {
        give_back_batch();
        if (close_requested_.load(std::memory_order_acquire)) closing();
        return false;
    }
    wrote_ = true;
    b.buffers.clear();
    if constexpr (ws_frames) {
        // Control frames first (they may come between a message's frames), then
        // the batch as one binary message.
        if (replies) {
            b.ws_control.assign(ws_replies_);
            ws_replies_.clear();
            ws_replies_.shrink_to_fit();  // an idle connection keeps no buffer
            b.buffers.push_back(asio::buffer(b.ws_control));
        }
        if (!b.frames.empty()) b.buffers.push_back(asio::buffer(b.ws_header.data(), ws_binary_header(b.bytes, b.ws_header)));
    }
    for (const auto& f : b.frames) {
        b.buffers.push_back(asio::buffer(f.head));
        if (f.payload_of && !f.payload_of->payload.empty()) b.buffers.push_back(asio::buffer(f.payload_of->payload));
    }
    b.pos = 0;
    b.started = Clock::now();
    socket_writing_ = true;
    return true;
}

template <class Stream>
void StreamConnection<Stream>::write() {
    if (finished_) return;
    if constexpr (raw) {
        write_raw();
    } else {
        if (!take_batch()) return;
        // A span, not the vector: the write operation copies its buffer sequence,
        // and a vector copy is an allocation per write (callgrind: malloc_consolidate).
        asio::async_write(stream_, std::span<const asio::const_buffer>(batch_->buffers),
                          [self = this->shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                              self->on_write(ec, n);
                          });
    }
}

template <class Stream>
void StreamConnection<Stream>::on_write(const boost::system::error_code& ec, std::size_t n) {
    socket_writing_ = false;
    buffered_.fetch_sub(batch_->bytes, std::memory_order_relaxed);
    batch_->frames.clear();
    batch_->bytes = 0;
    batch_->ws_control.clear();
    give_back_batch();
    broker_.count_bytes(0, n);  // RawTcpStream counts as it writes and passes 0
    if (finished_) return;
    if (ec) {
        DisconnectReason reason = DisconnectReason::network_error;
        {
            std::lock_guard lock(mutex_);
            if (close_reason_) reason = *close_reason_;
        }
        finish(reason);
        return;
    }
    if constexpr (!raw) write();  // write_raw() loops itself
}

// Writes batch after batch while the socket takes them; a full socket buffer
// waits for EPOLLOUT. A few batches per turn, so one busy subscriber cannot
// hold its thread while publishers keep its queue full.
template <class Stream>
void StreamConnection<Stream>::write_raw() {
    if constexpr (raw) {
        constexpr int batches_per_turn = 8;
        for (int batch = 0; !finished_; ++batch) {
            if (!socket_writing_) {
                if (batch == batches_per_turn) {
                    asio::post(stream_.get_executor(), [self = this->shared_from_this()] { self->write(); });
                    return;
                }
                if (!take_batch()) return;
            }
            auto& b = *batch_;
            boost::system::error_code ec;
            const std::span<const asio::const_buffer> buffers(b.buffers);
            std::size_t n = stream_.write_some(buffers.subspan(b.pos), ec);
            if (ec == asio::error::would_block) ec = {};  // took nothing: wait below
            if (ec) return on_write(ec, 0);
            broker_.count_bytes(0, n);
            while (n > 0 && n >= b.buffers[b.pos].size()) n -= b.buffers[b.pos++].size();
            if (n > 0) b.buffers[b.pos] += n;
            // Not all taken: the socket's buffer is full until EPOLLOUT.
            const bool more = b.pos < b.buffers.size();
            if (const auto watch_ec = stream_.watch_write(more)) return on_write(watch_ec, 0);
            if (more) return;
            on_write({}, 0);
        }
    }
}

template <class Stream>
void StreamConnection<Stream>::on_ready(std::uint32_t events) {
    if constexpr (raw) {
        if (finished_) return;  // a stale event from the batch that closed it
        if (socket_writing_ && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) write_raw();
        if (!finished_ && stream_.watching_read() && (events & (EPOLLIN | EPOLLERR | EPOLLHUP))) read_ready();
    }
}

// Reads into this thread's buffer: an idle connection holds no read buffer of
// its own (memory per connection).
template <class Stream>
void StreamConnection<Stream>::read_ready() {
    if constexpr (raw) {
        thread_local std::array<char, 64 * 1024> buffer;
        boost::system::error_code ec;
        const std::size_t n = stream_.read_some(buffer.data(), buffer.size(), ec);
        if (ec == asio::error::would_block) return;
        on_read(ec, buffer.data(), n);
    }
}

template <class Stream>
void StreamConnection<Stream>::close(DisconnectReason why) {
    {
        std::lock_guard lock(mutex_);
        if (close_reason_) return;
        close_reason_ = why;
    }
    close_requested_.store(true, std::memory_order_release);
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] { self->closing(); });
}

// Runs once close() was requested: finishes now when nothing is queued,
// otherwise lets the writes drain (write() calls back here) within a deadline.
template <class Stream>
void StreamConnection<Stream>::closing() {
    if (finished_) return;
    DisconnectReason reason;
    bool drained;
    {
        std::lock_guard lock(mutex_);
        reason = *close_reason_;
        drained = !write_scheduled_;
    }
    if (drained) {
        finish(reason);
        return;
    }
    if (!flushing_) {
        flushing_ = true;
        last_received_ = Clock::now() + close_flush_timeout_;  // now the flush deadline
    }
}

template <class Stream>
void StreamConnection<Stream>::finish(DisconnectReason reason) {
    if (finished_) return;
    finished_ = true;
    {
        std::lock_guard lock(mutex_);
        if (!close_reason_) close_reason_ = reason;
        // Frames never written release their shared payloads now.
        for (const auto& f : outbound_) buffered_.fetch_sub(f.size(), std::memory_order_relaxed);
        outbound_.clear();
    }
    close_requested_.store(true, std::memory_order_release);
    auto& socket = stream_.lowest_layer();
    boost::system::error_code ignored;
    socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
    if (throttle_) throttle_->timer.cancel();
    LOG_DEBUG("connection " << peer_text() << " closed: " << mqtt::to_string(reason));
    if (!link_) {
        unreported_ = reason;
        return;
    }
    // The link may call back into send()/close(): both are no-ops by now.
    auto link = std::move(link_);
    link->closed(reason);
}

template <class Stream>
void StreamConnection<Stream>::set_keepalive(std::chrono::seconds keepalive) {
    asio::post(stream_.get_executor(), [self = this->shared_from_this(), keepalive] {
        if (self->finished_) return;
        self->connected_ = true;
        self->keepalive_limit_ = std::chrono::duration_cast<Millis>(keepalive * 3) / 2;
    });
}

template <class Stream>
void StreamConnection<Stream>::check(Clock::time_point now) {
    if (finished_) return;
    if (!socket_writing_ && wrote_) {
        // Nothing in flight: give back what the last burst left behind, so an
        // idle connection holds no buffers (memory per idle connection). A
        // busy one just allocates them again; one that wrote nothing since
        // the last sweep has nothing to give back, and takes no lock.
        wrote_ = false;
        batch_.reset();
        std::lock_guard lock(mutex_);
        outbound_.shrink();
    }
    decoder_.shrink();
    if (flushing_ && now >= last_received_) {
        std::optional<DisconnectReason> reason;
        {
            std::lock_guard lock(mutex_);
            reason = close_reason_;
        }
        finish(reason.value_or(DisconnectReason::network_error));
        return;
    }
    if (socket_writing_ && now >= batch_->started + write_timeout_) {
        LOG_INFO("closing " << peer_text() << ": write stalled for "
                            << write_timeout_.count() << " s");
        finish(DisconnectReason::slow_consumer);
        return;
    }
    if (!close_requested_.load(std::memory_order_acquire)) {
        if (!connected_ && now >= last_received_ + connect_timeout_) {
            LOG_DEBUG("closing " << peer_text() << ": no CONNECT in time");
            close(DisconnectReason::connect_timeout);
            return;  // closing() watches the flush from here
        }
        if (connected_ && keepalive_limit_.count() > 0 && now >= last_received_ + keepalive_limit_) {
            close(DisconnectReason::keepalive_timeout);
            return;
        }
    }
}

template class StreamConnection<RawTcpStream>;
template class StreamConnection<RawWsStream>;
template class StreamConnection<TlsByteStream>;
template class StreamConnection<WsByteStream>;

}  // namespace mqgate::net
