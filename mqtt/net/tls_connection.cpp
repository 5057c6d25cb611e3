#include "mqtt/net/tls_connection.hpp"

#include <string>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "support/log.hpp"

namespace mqgate::net {

namespace asio = boost::asio;

namespace {

class Handshake : public std::enable_shared_from_this<Handshake> {
public:
    Handshake(asio::ip::tcp::socket socket, ConnectionSlot slot, std::shared_ptr<const TlsContext> tls,
              mqtt::Broker& broker, const ConnectionOptions& options)
        : context_(tls->current()),
          stream_(std::move(socket), *context_),
          timer_(stream_.get_executor()),
          slot_(std::move(slot)),
          tls_(std::move(tls)),
          broker_(broker),
          options_(options) {
        // The connect timeout counts from here, the accept, not from the end of
        // a handshake a slow peer may stretch to handshake_timeout.
        options_.accepted_at = std::chrono::steady_clock::now();
    }

    // On the stream's own thread.
    void run() {
        boost::system::error_code ec;
        const auto remote = stream_.next_layer().remote_endpoint(ec);
        if (!ec) peer_ = remote.address().to_string() + ":" + std::to_string(remote.port());
        timer_.expires_after(tls_->settings().handshake_timeout);
        timer_.async_wait([self = shared_from_this()](const boost::system::error_code& wait_ec) {
            if (wait_ec || self->done_) return;
            self->done_ = true;
            LOG_DEBUG("mqtts: no TLS handshake from " << self->peer_ << " within "
                                                       << self->tls_->settings().handshake_timeout.count() << " s");
            boost::system::error_code ignored;
            self->stream_.next_layer().close(ignored);
        });
        stream_.async_handshake(asio::ssl::stream_base::server,
                                [self = shared_from_this()](const boost::system::error_code& hs_ec) {
                                    self->on_handshake(hs_ec);
                                });
    }

private:
    void on_handshake(const boost::system::error_code& ec) {
        if (done_) return;  // timed out: the socket is closed already
        done_ = true;
        timer_.cancel();
        if (ec) {
            LOG_DEBUG("mqtts: TLS handshake with " << peer_ << " failed: " << ec.message());
            return;
        }
        auto options = options_;
        options.tls_common_name = TlsContext::peer_common_name(stream_.native_handle());
        TlsConnection::start(TlsByteStream(std::move(stream_)), broker_, options, std::move(slot_));
    }

    // Declared first: the stream's SSL object is made from it.
    const std::shared_ptr<asio::ssl::context> context_;
    TlsByteStream::Ssl stream_;
    asio::steady_timer timer_;
    ConnectionSlot slot_;
    const std::shared_ptr<const TlsContext> tls_;
    mqtt::Broker& broker_;
    ConnectionOptions options_;
    std::string peer_ = "?";
    bool done_ = false;
};

}  // namespace

void start_tls_connection(asio::ip::tcp::socket socket, ConnectionSlot slot,
                          const std::shared_ptr<const TlsContext>& tls, mqtt::Broker& broker,
                          const ConnectionOptions& options) {
    auto executor = socket.get_executor();
    auto handshake = std::make_shared<Handshake>(std::move(socket), std::move(slot), tls, broker, options);
    asio::post(executor, [handshake] { handshake->run(); });
}

}  // namespace mqgate::net
