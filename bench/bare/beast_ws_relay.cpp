// The stack's limit for MQTT over WebSocket, measured beside mqgate in the
// same bench run (bench/run: broker "beast-bare", ws-throughput only): Beast's
// websocket::stream doing only the framing, with the least MQTT the
// generator's clients need. A CONNECT gets a CONNACK, a SUBSCRIBE a SUBACK
// (and makes its connection a receiver), PINGREQ a PINGRESP, and every binary
// message that starts with a QoS 0 PUBLISH is relayed as it is to every
// receiver: no topic matching, no sessions, no queue limits. Not a broker:
// a yardstick for how close mqgate's /mqtt is to what the framing alone costs.
//
// Usage: beast-ws-relay [PORT]   (0: any; prints "listening http 127.0.0.1:N" and "ready")
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

class Session;
std::vector<std::weak_ptr<Session>> receivers;

class Session : public std::enable_shared_from_this<Session> {
public:
    explicit Session(tcp::socket socket) : ws_(std::move(socket)) {}

    void start() {
        ws_.set_option(websocket::stream_base::decorator(
            [](websocket::response_type& res) { res.set(beast::http::field::sec_websocket_protocol, "mqtt"); }));
        ws_.binary(true);
        ws_.async_accept([self = shared_from_this()](beast::error_code ec) {
            if (!ec) self->read();
        });
    }

    void send(std::shared_ptr<const std::string> bytes) {
        out_.push_back(std::move(bytes));
        if (out_.size() == 1) write();
    }

private:
    void read() {
        ws_.async_read(in_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return;
            self->on_message();
            self->read();
        });
    }

    void on_message() {
        const auto* p = static_cast<const unsigned char*>(in_.data().data());
        const std::size_t n = in_.size();
        if (n > 0) {
            switch (p[0] & 0xf0) {
            case 0x10: send(std::make_shared<const std::string>("\x20\x02\x00\x00", 4)); break;  // CONNACK
            case 0x80:  // SUBACK granting QoS 0, for the packet id at bytes 2-3
                if (n >= 4) {
                    send(std::make_shared<const std::string>(std::string{'\x90', '\x03', static_cast<char>(p[2]),
                                                                         static_cast<char>(p[3]), '\x00'}));
                    receivers.push_back(weak_from_this());
                }
                break;
            case 0xc0: send(std::make_shared<const std::string>("\xd0\x00", 2)); break;  // PINGRESP
            case 0x30: {
                auto bytes = std::make_shared<const std::string>(static_cast<const char*>(in_.data().data()), n);
                std::erase_if(receivers, [](const auto& r) { return r.expired(); });
                for (const auto& r : receivers)
                    if (auto s = r.lock()) s->send(bytes);
                break;
            }
            default: break;
            }
        }
        in_.consume(n);
    }

    void write() {
        ws_.async_write(asio::buffer(*out_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return;
            self->out_.pop_front();
            if (!self->out_.empty()) self->write();
        });
    }

    websocket::stream<beast::tcp_stream> ws_;
    beast::flat_buffer in_;
    std::deque<std::shared_ptr<const std::string>> out_;
};

void accept(tcp::acceptor& acceptor) {
    acceptor.async_accept([&acceptor](beast::error_code ec, tcp::socket socket) {
        if (!ec) {
            socket.set_option(tcp::no_delay(true));
            std::make_shared<Session>(std::move(socket))->start();
        }
        accept(acceptor);
    });
}

}  // namespace

int main(int argc, char** argv) {
    asio::io_context io(1);
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                             static_cast<unsigned short>(argc > 1 ? std::atoi(argv[1]) : 0)));
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](beast::error_code, int) { io.stop(); });
    accept(acceptor);
    std::cout << "listening http 127.0.0.1:" << acceptor.local_endpoint().port() << "\nready" << std::endl;
    io.run();
    return 0;
}
