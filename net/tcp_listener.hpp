// Accepts TCP connections and spreads them over an IoPool. What happens to an
// accepted socket is the caller's choice (plain MQTT now; TLS and HTTP can
// reuse this with another callback).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/connection_counter.hpp"
#include "net/io_pool.hpp"

namespace mqgate::net {

class TcpListener : public std::enable_shared_from_this<TcpListener> {
public:
    // Called on the acceptor's thread with a socket that belongs to the next
    // context of the pool, and the connection's slot in the counter.
    using OnAccept = std::function<void(boost::asio::ip::tcp::socket, ConnectionSlot slot)>;

    // Binds and listens now (throws boost::system::system_error on failure);
    // accepting starts with start(). The acceptor lives on `accept_context`.
    TcpListener(boost::asio::io_context& accept_context, IoPool& pool, const std::string& address,
                std::uint16_t port, std::shared_ptr<ConnectionCounter> counter, OnAccept on_accept);

    void start();
    // Closes the acceptor; thread-safe.
    void stop();

    boost::asio::ip::tcp::endpoint local_endpoint() const { return endpoint_; }
    std::uint16_t port() const noexcept { return endpoint_.port(); }

private:
    void accept();
    void on_accept(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);

    boost::asio::ip::tcp::acceptor acceptor_;
    IoPool& pool_;
    std::shared_ptr<ConnectionCounter> counter_;
    OnAccept on_accept_;
    boost::asio::steady_timer backoff_;
    boost::asio::ip::tcp::endpoint endpoint_;
    bool stopped_ = false;

    // A condition that lasts (out of descriptors, the connection limit) is
    // logged when it starts and, with how often it recurred, when it ends:
    // not at every recurrence, tens a second under load.
    class Episode {
    public:
        bool begin();  // true at the first occurrence of an episode: log it
        // Occurrences of the episode that just ended and its length; 0 if none was going on.
        std::uint64_t end(double& seconds);

    private:
        std::uint64_t count_ = 0;
        std::chrono::steady_clock::time_point started_;
    };
    Episode out_of_descriptors_;
    Episode over_limit_;
};

}  // namespace mqgate::net
