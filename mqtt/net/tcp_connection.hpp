// mqtt::Connection over a byte stream: plain TCP, TLS once its handshake is
// done (tls_byte_stream.hpp), WebSocket over TLS (ws_byte_stream.hpp) and
// WebSocket over plain TCP (RawWsStream: the TCP path with ws_framing.hpp).
//
// Threading: every handler runs on the stream's executor, which is one
// io_context run by one thread. send(), close() and set_keepalive() may come
// from any thread (the broker calls them under its lock): they only touch the
// mutex-protected queue or post to the executor.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "mqtt/broker.hpp"
#include "mqtt/codec.hpp"
#include "mqtt/connection.hpp"
#include "mqtt/net/connection_options.hpp"
#include "mqtt/net/deadline_sweeper.hpp"
#include "mqtt/net/publish_rate.hpp"
#include "mqtt/net/raw_tcp_stream.hpp"
#include "mqtt/net/small_mutex.hpp"
#include "mqtt/net/ws_framing.hpp"
#include "mqtt/ring_queue.hpp"
#include "net/connection_counter.hpp"
#include "net/epoll_set.hpp"

namespace mqgate::net {

template <class Stream>
class StreamConnection final : public mqtt::Connection,
                               public DeadlineSweeper::Watched,
                               public EpollSet::Handler,
                               public std::enable_shared_from_this<StreamConnection<Stream>> {
public:
    // Attaches a new connection to the broker and starts reading. `slot` is
    // held for the connection's life (the listener's connection count).
    static void start(Stream stream, mqtt::Broker& broker, const ConnectionOptions& options,
                      ConnectionSlot slot = {});

    StreamConnection(Stream stream, mqtt::Broker& broker, const ConnectionOptions& options,
                     ConnectionSlot slot);
    ~StreamConnection() override;

    void send(mqtt::Frame frame) override;
    void close(mqtt::DisconnectReason why) override;
    void set_keepalive(std::chrono::seconds keepalive) override;
    std::size_t buffered_bytes() const noexcept override { return buffered_.load(std::memory_order_relaxed); }
    mqtt::PeerInfo peer() const override;

private:
    using Clock = std::chrono::steady_clock;
    // Plain TCP waits in the context's EpollSet; the wrapped streams (TLS,
    // WebSocket over TLS) go through their own asynchronous reads and writes.
    static constexpr bool raw = std::is_base_of_v<RawTcpStream, Stream>;
    // WebSocket over plain TCP: frames taken off what is read, and put around what is written.
    static constexpr bool ws_frames = std::is_same_v<Stream, RawWsStream>;

    void begin(std::shared_ptr<mqtt::ClientLink> link);
    void read();
    // `data` is this connection's to change (RawWsStream unmasks it in place).
    void on_read(const boost::system::error_code& ec, char* data, std::size_t n);
    // RawWsStream: ws_replies_ goes out with the next write, even after close().
    void send_ws_replies();
    // Hands every whole packet in the decoder and `input` (what was just read)
    // to the broker, then reads on, unless the publish rate says to pause first.
    void drain(std::string_view input = {});
    bool throttled();
    // The CONNECT of a connection past mqtt.max_connections arrived.
    void refuse();
    void write();
    // Moves queued frames into writing_ and write_buffers_; false when none
    // are queued (and closing() has run if a close is waiting for that).
    bool take_batch();
    void on_write(const boost::system::error_code& ec, std::size_t n);
    // RawTcpStream: readiness from the EpollSet.
    void on_ready(std::uint32_t events) override;
    void read_ready();
    void write_raw();
    void closing();
    void finish(mqtt::DisconnectReason reason);
    // Called by this context's DeadlineSweeper every quarter second.
    void check(Clock::time_point now) override;

    // Members are kept lean: thousands of idle connections each hold one of
    // these (bench/: idle scenario, memory per connection). Hence short
    // durations, no optional<time_point>, the peer kept as an endpoint rather
    // than a PeerInfo of strings, and write state made only while writing.
    // Seconds: the configured timeouts are at most an hour (config_json.cpp).
    using Seconds = std::chrono::duration<std::uint16_t>;
    using Millis = std::chrono::duration<std::uint32_t, std::milli>;
    template <int>
    struct Nothing {};
    std::string peer_text() const;  // "address:port", for logs

    Stream stream_;
    mqtt::Broker& broker_;
    Millis keepalive_limit_{0};  // 1.5 x keepalive; 0 = none
    Seconds connect_timeout_;
    Seconds write_timeout_;
    Seconds close_flush_timeout_;
    // Executor-only state, here to share the word with the timeouts.
    std::optional<mqtt::DisconnectReason> unreported_;  // finished before begin() ran
    bool socket_writing_ = false;
    bool finished_ = false;
    bool connected_ = false;  // the CONNECT arrived: the connect timeout is over
    bool wrote_ = false;      // a batch was taken since the last sweep
    ConnectionSlot slot_;
    boost::asio::ip::tcp::endpoint remote_;
    std::uint16_t local_port_ = 0;
    bool flushing_ = false;  // close() waits for queued frames until the flush deadline
    const char* protocol_;  // PeerInfo::protocol
    // PeerInfo::tls_common_name: only TLS can have one (TLS, and WebSocket over TLS).
    [[no_unique_address]] std::conditional_t<raw, Nothing<0>, std::string> tls_common_name_;
    std::shared_ptr<mqtt::ClientLink> link_;
    mqtt::Decoder decoder_;
    // mqtt.max_publish_rate; only made when it is on.
    struct Throttle {
        TokenBucket bucket;
        boost::asio::steady_timer timer;
        bool logged = false;
    };
    std::unique_ptr<Throttle> throttle_;
    // Wrapped streams (TLS, WebSocket) read into this; a plain socket reads into
    // its thread's buffer instead, so an idle TCP connection holds none.
    [[no_unique_address]] std::conditional_t<raw, Nothing<1>, std::vector<char>> read_buffer_;
    // RawWsStream: the frame parser's state, and control frames to send
    // (pongs, the close answer), written ahead of the next batch.
    [[no_unique_address]] std::conditional_t<ws_frames, WsDeframer, Nothing<2>> deframer_;
    [[no_unique_address]] std::conditional_t<ws_frames, std::string, Nothing<3>> ws_replies_;

    // Shared with other threads (under mutex_).
    // The four small fields share one word.
    SmallMutex mutex_;
    std::optional<mqtt::DisconnectReason> close_reason_;
    bool write_scheduled_ = false;  // a write is posted or in flight
    std::atomic<bool> close_requested_{false};
    mqtt::RingQueue<mqtt::Frame> outbound_;
    std::atomic<std::size_t> buffered_{0};

    // More executor-only state.
    // The frames being written. Borrowed from the thread's spare for a write
    // (spare_batch()) and given back after it, or, when another connection's
    // is already back, dropped by the sweep: an idle connection holds none.
    struct WriteBatch {
        std::vector<mqtt::Frame> frames;
        std::vector<boost::asio::const_buffer> buffers;
        std::uint32_t bytes = 0;  // a batch is at most max_batch_bytes plus one packet
        std::uint32_t pos = 0;    // RawTcpStream: first `buffers` entry not fully written
        Clock::time_point started;
        std::array<char, 10> ws_header{};  // RawWsStream: the binary frame around `frames`
        std::string ws_control;            // RawWsStream: control frames written first
    };
    std::unique_ptr<WriteBatch> batch_;
    static std::unique_ptr<WriteBatch>& spare_batch();
    void give_back_batch();
    // Until connected_: when the connection began (the connect deadline
    // counts from it, whatever arrives meanwhile). Once flushing_: the flush
    // deadline instead, as nothing is received after close() (one field for
    // both, memory per idle connection).
    Clock::time_point last_received_;
};

using TcpConnection = StreamConnection<RawTcpStream>;

}  // namespace mqgate::net
