#include "bench/webhook_receiver.hpp"

#include <optional>

#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace mqgate::bench {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// One connection: read a request, answer 200, until the gateway closes it.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, WebhookReceiver& receiver) : stream_(std::move(socket)), receiver_(receiver) {}

    void read() {
        request_ = {};
        parser_.emplace();
        parser_->body_limit(64 * 1024 * 1024);  // a batch of up to 1000 events
        http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return;  // closed by the gateway, or the run is over
            self->request_ = self->parser_->release();
            self->receiver_.credit(self->request_.body());
            self->receiver_.requests.fetch_add(1, std::memory_order_relaxed);
            self->response_ = {http::status::ok, 11};
            self->response_.keep_alive(self->request_.keep_alive());
            self->response_.prepare_payload();
            http::async_write(self->stream_, self->response_, [self](beast::error_code ec, std::size_t) {
                if (!ec && self->response_.keep_alive()) self->read();
            });
        });
    }

private:
    beast::tcp_stream stream_;
    WebhookReceiver& receiver_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::request<http::string_body> request_;
    http::response<http::empty_body> response_;
};

}  // namespace

WebhookReceiver::WebhookReceiver(asio::io_context& io, unsigned short port, std::string client_prefix,
                                 std::vector<Flow>& flows)
    : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port)),
      marker_("\"clientid\":\"" + client_prefix),
      flows_(flows) {
    accept();
}

void WebhookReceiver::accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
        if (ec) return;  // the run is over
        connections.fetch_add(1, std::memory_order_relaxed);
        std::make_shared<Session>(std::move(socket), *this)->read();
        accept();
    });
}

void WebhookReceiver::credit(const std::string& body) {
    // Events per publisher in this body, credited once each, then the waiting publishers woken.
    std::vector<std::pair<std::uint32_t, std::uint64_t>> counts;
    for (auto at = body.find(marker_); at != std::string::npos; at = body.find(marker_, at + 1)) {
        std::uint32_t index = 0;
        std::size_t i = at + marker_.size();
        const std::size_t digits = i;
        for (; i < body.size() && i - digits < 9 && body[i] >= '0' && body[i] <= '9'; ++i) index = index * 10 + (body[i] - '0');
        if (i == digits || i >= body.size() || body[i] != '"' || index >= flows_.size()) {
            foreign.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        if (counts.empty() || counts.back().first != index) counts.emplace_back(index, 0);
        ++counts.back().second;
    }
    for (const auto& [index, n] : counts) {
        auto& flow = flows_[index];
        flow.delivered.fetch_add(n);
        if (flow.waiting.load() && flow.waiting.exchange(false))
            asio::post(flow.publisher->context(), [p = flow.publisher] { p->pump(); });
    }
}

}  // namespace mqgate::bench
