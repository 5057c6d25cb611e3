#include "http/ws_stream.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "events/event_log.hpp"
#include "http/deflate.hpp"
#include "http/gated_stream.hpp"
#include "http/stream_core.hpp"
#include "http/ws_raw_stream.hpp"
#include "mqtt/broker.hpp"
#include "mqtt/net/ws_framing.hpp"
#include "support/log.hpp"

namespace mqgate::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

// The deflate window mqgate offers (server_max_window_bits): 4 KiB holds a
// stream's recent messages, whose keys and topics are what repeats, and keeps
// both ends' state small.
constexpr int deflate_window_bits = 12;

// Beast answers every upgrade. Past it, a plain ws:// stream without
// compression goes to the TCP path (ws_raw_stream.hpp); wss:// and compressing
// streams stay here.
class WsStream final : public StreamTransport,
                       public PostedSignals<WsStream>,
                       public std::enable_shared_from_this<WsStream> {
public:
    WsStream(net::FlexStream stream, const StreamOptions& options, RememberStream remember)
        : ws_(GatedStream(std::move(stream))), options_(options), remember_(std::move(remember)),
          grace_(ws_.get_executor()) {}

    void start(StreamRequest request, const std::shared_ptr<StreamHub>& hub, events::EventLog& events, Caller caller) {
        beast::get_lowest_layer(ws_).expires_never();
        auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
        timeouts.idle_timeout = options_.ws_idle_timeout;
        timeouts.keep_alive_pings = true;
        ws_.set_option(timeouts);
        // With compression on, Beast negotiates permessage-deflate and inflates
        // what the client sends; the messages to the client are this class's
        // own frames, compressed by deflater_ as the handshake agreed.
        websocket::permessage_deflate deflate;
        deflate.server_enable = options_.compression;
        deflate.server_max_window_bits = deflate_window_bits;
        // Beast's own deflater sends nothing here (the messages are ours):
        // the least memory for it.
        deflate.compLevel = options_.compression_level;
        deflate.memLevel = 1;
        ws_.set_option(deflate);
        ws_.read_message_max(options_.ws_max_message_size);
        ws_.text(true);
        // Called on the 101 answer after Beast has put its extension answer in
        // it; the decorator lives in ws_, a member, so `this` outlives it.
        ws_.set_option(websocket::stream_base::decorator([this](websocket::response_type& res) {
            res.set(beast::http::field::server, "mqgate");
            agreed_compression(res[beast::http::field::sec_websocket_extensions]);
        }));

        remember_(shared_from_this());
        ws_.async_accept(request, [self = shared_from_this(), hub, &events, caller = std::move(caller)](
                                      beast::error_code ec) mutable {
            if (ec) {
                LOG_DEBUG("stream: handshake failed: " << ec.message());
                self->finish();
                return;
            }
            self->accepted(hub, events, std::move(caller));
        });
    }

    net::FlexStream::executor_type executor() noexcept { return ws_.get_executor(); }

    void shutdown() override {
        // Now, while the broker and event log exist; the close handshake follows.
        if (core_) core_->close();
        asio::post(ws_.get_executor(), [self = shared_from_this()] {
            self->begin_close(websocket::close_code::going_away, "server shutting down");
        });
    }

    // What is queued (up to a batch) goes out as ready-made frames in one
    // write beside Beast, which keeps the control frames (GatedStream).
    void write_next() {
        if (writing_ || finished_) return;
        if (closing_) {
            if (close_code_) send_close();
            return;
        }
        StreamItem item;
        while (batch_.size() < max_write_batch && core_->next(item)) {
            if (deflater_) {
                packed_.clear();
                // One zlib cannot code (out of memory) goes as it is: RFC 7692 lets any message be plain.
                if (deflater_->compress(*item.json, packed_, reset_each_message_)) {
                    net::append_ws_text(batch_, packed_, true);
                    continue;
                }
            }
            net::append_ws_text(batch_, *item.json);
        }
        if (batch_.empty()) return;
        writing_ = true;
        ws_.next_layer().write(asio::buffer(batch_), [self = shared_from_this()](beast::error_code ec) {
            self->writing_ = false;
            self->batch_.clear();
            if (ec) {
                self->finish();
                return;
            }
            self->write_next();
        });
    }

    void on_overflow() {
        begin_close(websocket::close_code::policy_error, "send queue over its limit (slow consumer)");
    }

private:
    void accepted(const std::shared_ptr<StreamHub>& hub, events::EventLog& events, Caller caller) {
        if (closing_ || finished_) return cut();  // shut down during the handshake
        if (!deflater_ && !ws_.next_layer().next_layer().is_tls()) {
            // Beast has nothing left to do: the socket goes to the TCP path,
            // and this object goes away.
            net::RawTcpStream socket(beast::get_lowest_layer(ws_).release_socket());
            finished_ = true;
            remember_(start_raw_ws_stream(std::move(socket), hub, events, options_, std::move(caller)));
            return;
        }
        core_ = make_stream_core(shared_from_this(), hub, events, options_);
        core_->restrict_to(std::move(caller));
        core_->serve_requests(options_.requests);
        accepted_ = true;
        read();
    }

    void read() {
        ws_.async_read(in_, [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        if (ec) {
            if (ec != websocket::error::closed && ec != asio::error::operation_aborted)
                LOG_DEBUG("stream: read ended: " << ec.message());
            finish();
            return;
        }
        if (!closing_) core_->handle(beast::buffers_to_string(in_.data()));
        in_.consume(in_.size());
        read();
    }

    // The handshake's answer: "permessage-deflate; server_no_context_takeover;
    // server_max_window_bits=12; ..." when Beast accepted the client's offer.
    void agreed_compression(std::string_view extensions) {
        constexpr std::string_view name = "permessage-deflate";
        if (extensions.substr(0, name.size()) != name) return;
        int bits = 15;
        reset_each_message_ = false;
        std::string_view rest = extensions.substr(name.size());
        while (!rest.empty()) {
            const auto semi = rest.find(';');
            std::string_view param = rest.substr(0, semi);
            rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
            while (!param.empty() && param.front() == ' ') param.remove_prefix(1);
            if (param == "server_no_context_takeover") reset_each_message_ = true;
            constexpr std::string_view window = "server_max_window_bits=";
            if (param.substr(0, window.size()) == window)
                std::from_chars(param.data() + window.size(), param.data() + param.size(), bits);
        }
        deflater_ = std::make_unique<Deflater>(Deflater::Format::raw, options_.compression_level,
                                               std::min(bits, deflate_window_bits));
    }

    // Closes once the write in flight (if any) is done; a peer that stopped
    // reading gets close_grace before the socket is cut.
    void begin_close(websocket::close_code code, std::string reason) {
        if (closing_ || finished_) return;
        closing_ = true;
        if (!accepted_) return cut();
        LOG_INFO("stream: closing " << remote() << " (" << static_cast<int>(code) << ": " << reason << ')');
        close_code_ = websocket::close_reason(code, reason);
        core_->close();
        grace_.expires_after(options_.close_grace);
        grace_.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (!ec) self->cut();
        });
        if (!writing_) send_close();
    }

    void send_close() {
        auto reason = std::move(*close_code_);
        close_code_.reset();
        ws_.async_close(reason, [self = shared_from_this()](beast::error_code) { self->finish(); });
    }

    void cut() {
        beast::error_code ignored;
        beast::get_lowest_layer(ws_).socket().close(ignored);
        finish();
    }

    void finish() {
        if (finished_) return;
        finished_ = true;
        if (core_) core_->close();
        grace_.cancel();
    }

    std::string remote() {
        beast::error_code ec;
        const auto ep = beast::get_lowest_layer(ws_).socket().remote_endpoint(ec);
        return ec ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
    }

    websocket::stream<GatedStream> ws_;
    const StreamOptions options_;
    const RememberStream remember_;
    std::shared_ptr<StreamCore> core_;
    beast::flat_buffer in_;
    std::string batch_;  // the frames being written: alive until the write completes
    std::unique_ptr<Deflater> deflater_;  // permessage-deflate was agreed
    bool reset_each_message_ = false;     // ... with server_no_context_takeover
    std::string packed_;                  // one message, compressed
    std::optional<websocket::close_reason> close_code_;  // a close waiting for the write in flight
    asio::steady_timer grace_;
    bool accepted_ = false;
    bool writing_ = false;
    bool closing_ = false;
    bool finished_ = false;
};

}  // namespace

void start_ws_stream(net::FlexStream stream, StreamRequest request, const std::shared_ptr<StreamHub>& hub,
                     events::EventLog& events, const StreamOptions& options, Caller caller, RememberStream remember) {
    if (!websocket::is_upgrade(request)) {
        return refuse(std::move(stream), 426, "upgrade_required",
                      "/api/v1/stream is a WebSocket: send an upgrade (or use /api/v1/stream/sse)");
    }
    auto ws = std::make_shared<WsStream>(std::move(stream), options, std::move(remember));
    ws->start(std::move(request), hub, events, std::move(caller));
}

}  // namespace mqgate::http
