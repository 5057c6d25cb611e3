// Internal to the stream endpoints (http/streams.hpp): what the registry
// knows of a live stream, and the answer to a refused request.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/router.hpp"
#include "http/stream_core.hpp"
#include "http/streams.hpp"
#include "net/flex_stream.hpp"

namespace mqgate::http {

using StreamRequest = boost::beast::http::request<boost::beast::http::string_body>;

class StreamTransport {
public:
    virtual ~StreamTransport() = default;
    // Closes the stream as the server goes away. Thread-safe.
    virtual void shutdown() = 0;
};

// Registers a live stream, so that the server's shutdown reaches it.
using RememberStream = std::function<void(const std::shared_ptr<StreamTransport>&)>;

// The StreamSignals of a transport `T` (CRTP) that runs on one thread: wake()
// posts T::write_next() and overflow() T::on_overflow() to it. T derives from
// std::enable_shared_from_this<T> and has executor().
template <class T>
class PostedSignals : public StreamSignals {
public:
    void wake() override {
        auto& t = static_cast<T&>(*this);
        boost::asio::post(t.executor(), [self = t.shared_from_this()] { self->write_next(); });
    }
    void overflow() override {
        auto& t = static_cast<T&>(*this);
        boost::asio::post(t.executor(), [self = t.shared_from_this()] { self->on_overflow(); });
    }

protected:
    ~PostedSignals() = default;
};

// The StreamCore of `transport`, which it signals.
template <class T>
std::shared_ptr<StreamCore> make_stream_core(const std::shared_ptr<T>& transport, const std::shared_ptr<StreamHub>& hub,
                                             events::EventLog& events, const StreamOptions& options) {
    const StreamLimits limits{options.ws_send_queue_bytes, options.ws_send_queue_frames,
                              hub->broker().limits().max_subscriptions_per_session};
    return std::make_shared<StreamCore>(hub, events, limits, std::weak_ptr<StreamSignals>(transport));
}

// Answers `status` with the JSON error body and closes the connection.
void refuse(net::FlexStream stream, int status, std::string_view code, std::string_view message);
void refuse(net::FlexStream stream, const Response& response);
// Writes `bytes` (a whole answer), then closes the connection.
void send_and_close(net::FlexStream stream, std::string bytes);

// The value of Access-Control-Allow-Origin for `origin`, or "" for none.
std::string allowed_origin(const std::vector<std::string>& allowed, std::string_view origin);

}  // namespace mqgate::http
