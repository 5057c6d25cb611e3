// One MQTT client connection of the load generator. Built for throughput:
// reads are parsed in place (no copy of a payload), writes are batched (one
// write in flight, everything queued meanwhile goes out in the next one).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/websocket/stream.hpp>

namespace mqgate::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Failures seen by any connection: a scenario with errors is reported as such.
struct ErrorLog {
    std::atomic<std::uint64_t> count{0};
    std::atomic<bool> has_first{false};
    std::string first;  // written once, by whoever sets has_first
    void record(const std::string& what);
};
ErrorLog& errors();

// A PUBLISH seen in place in the read buffer.
struct PublishView {
    std::uint8_t qos;
    std::string_view topic;
    std::uint16_t packet_id;
    std::string_view payload;
};
bool parse_publish(std::uint8_t first, std::string_view body, PublishView& out);

class Conn {
public:
    Conn(asio::io_context& io, std::size_t read_buffer);
    virtual ~Conn() = default;
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;

    // Connects, sends CONNECT (keepalive 0; clean session unless `clean` is
    // false, which asks the broker for a persistent session) and starts
    // reading. With a `ws_path` the MQTT bytes travel over a WebSocket
    // (subprotocol "mqtt", binary messages, one message per batch of packets).
    void start(const tcp::endpoint& broker, std::string client_id, const std::string& ws_path = {},
               bool clean = true);

    // Bytes appended here go out with the next write; flush() starts it.
    std::string& out() { return out_; }
    void flush();
    bool writing() const noexcept { return writing_; }

    asio::io_context& context() noexcept { return io_; }
    void close();

protected:
    virtual void on_connack() {}
    // Every packet after the CONNACK, `body` pointing into the read buffer.
    virtual void on_packet(std::uint8_t first, std::string_view body) = 0;
    // After all packets of one read were handled: the place to publish counts
    // and flush acknowledgements once per read rather than once per packet.
    virtual void on_read_done() {}
    virtual void on_write_done() {}

private:
    void read();
    void handle_read(std::size_t n);
    void fail(const char* where, const boost::system::error_code& ec);

    asio::io_context& io_;
    tcp::socket socket_;
    std::unique_ptr<boost::beast::websocket::stream<tcp::socket>> ws_;
    std::vector<char> in_;
    std::size_t filled_ = 0;
    std::string out_;
    std::string writing_buf_;
    bool writing_ = false;
    bool connected_ = false;
    bool closed_ = false;
};

}  // namespace mqgate::bench
