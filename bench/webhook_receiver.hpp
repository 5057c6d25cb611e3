// The webhooks scenario's receiver: an HTTP/1.1 server on 127.0.0.1 answering
// every POST 200 on kept-alive connections, crediting each message.publish
// event in the body (one event or a batch's array) to the publisher named by
// its clientid, as a subscriber credits a delivery.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "bench/roles.hpp"

namespace mqgate::bench {

class WebhookReceiver {
public:
    // Listens on 127.0.0.1:`port` at once (throws when it cannot). Publishers
    // are "<client_prefix><index>"; `flows` is indexed by index.
    WebhookReceiver(boost::asio::io_context& io, unsigned short port, std::string client_prefix, std::vector<Flow>& flows);

    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> connections{0};
    std::atomic<std::uint64_t> foreign{0};  // events naming no publisher of this run

    // Credits the events of one request body (on the receiver's thread).
    void credit(const std::string& body);

private:
    void accept();

    boost::asio::ip::tcp::acceptor acceptor_;
    std::string marker_;  // "\"clientid\":\"<client_prefix>"
    std::vector<Flow>& flows_;
};

}  // namespace mqgate::bench
