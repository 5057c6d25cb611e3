// Internal to the stream endpoints (http/streams.hpp): what the registry
// knows of a live stream, and the answer to a refused request.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/router.hpp"
#include "net/flex_stream.hpp"

namespace mqgate::http {

using StreamRequest = boost::beast::http::request<boost::beast::http::string_body>;

class StreamTransport {
public:
    virtual ~StreamTransport() = default;
    // Closes the stream as the server goes away. Thread-safe.
    virtual void shutdown() = 0;
};

// Answers `status` with the JSON error body and closes the connection.
void refuse(net::FlexStream stream, int status, std::string_view code, std::string_view message);
void refuse(net::FlexStream stream, const Response& response);
// Writes `bytes` (a whole answer), then closes the connection.
void send_and_close(net::FlexStream stream, std::string bytes);

// The value of Access-Control-Allow-Origin for `origin`, or "" for none.
std::string allowed_origin(const std::vector<std::string>& allowed, std::string_view origin);

}  // namespace mqgate::http
