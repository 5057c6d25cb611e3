// Internal to the stream endpoints (http/streams.hpp): what the registry
// knows of a live stream, and the answer to a refused request.
#pragma once

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

// The StreamCore of `transport`, which runs on `executor`: the core's wake
// posts transport->write_next() and its overflow transport->on_overflow() to
// that thread, each only while the transport still exists.
template <class Transport, class Executor>
std::shared_ptr<StreamCore> make_stream_core(const std::shared_ptr<Transport>& transport, const Executor& executor,
                                             const std::shared_ptr<StreamHub>& hub, events::EventLog& events,
                                             const StreamOptions& options) {
    const std::weak_ptr<Transport> weak = transport;
    const StreamLimits limits{options.ws_send_queue_bytes, options.ws_send_queue_frames,
                              hub->broker().limits().max_subscriptions_per_session};
    return std::make_shared<StreamCore>(
        hub, events, limits,
        [weak, executor] {
            boost::asio::post(executor, [weak] {
                if (auto self = weak.lock()) self->write_next();
            });
        },
        [weak, executor] {
            boost::asio::post(executor, [weak] {
                if (auto self = weak.lock()) self->on_overflow();
            });
        });
}

// Answers `status` with the JSON error body and closes the connection.
void refuse(net::FlexStream stream, int status, std::string_view code, std::string_view message);
void refuse(net::FlexStream stream, const Response& response);
// Writes `bytes` (a whole answer), then closes the connection.
void send_and_close(net::FlexStream stream, std::string bytes);

// The value of Access-Control-Allow-Origin for `origin`, or "" for none.
std::string allowed_origin(const std::vector<std::string>& allowed, std::string_view origin);

}  // namespace mqgate::http
