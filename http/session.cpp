#include "http/session.hpp"

#include <algorithm>
#include <cctype>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>

#include "http/request_stats.hpp"
#include "http/router.hpp"
#include "http/stream_upgrade.hpp"
#include "net/tls_context.hpp"
#include "support/log.hpp"

namespace mqgate::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace asio = boost::asio;

// After the last response of a closing connection, how long to read and
// discard what the peer still sends (e.g. the rest of a refused body) so the
// close does not turn into a reset that destroys the response in flight.
constexpr std::chrono::seconds drain_time{2};
constexpr std::size_t drain_bytes = 8 << 20;

bool is_parse_error(beast::error_code ec) {
    static const auto& category = bhttp::make_error_code(bhttp::error::end_of_stream).category();
    return ec.category() == category && ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

// The health probes, the only routes served while the broker loads its state.
bool is_probe(std::string_view target) {
    const std::string_view path = target.substr(0, target.find('?'));
    return path == "/healthz" || path == "/readyz";
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

// A HEAD answer has the GET answer's headers, Content-Length included, and no body.
std::string serialize(const Response& r, bool keep_alive, unsigned version, bool head) {
    std::string out;
    out.reserve(r.body.size() + 256);
    out += "HTTP/1.1 ";
    out += std::to_string(r.status);
    out += ' ';
    const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(r.status));
    out.append(reason.data(), reason.size());
    out += "\r\nServer: mqgate\r\n";
    if (!r.content_type.empty()) {
        out += "Content-Type: ";
        out += r.content_type;
        out += "\r\n";
    }
    const bool has_body = r.status != 204 && r.status != 304 && r.status >= 200;
    if (has_body) {
        out += "Content-Length: ";
        out += std::to_string(r.body.size());
        out += "\r\n";
    }
    if (!keep_alive) {
        out += "Connection: close\r\n";
    } else if (version < 11) {
        out += "Connection: keep-alive\r\n";
    }
    for (const auto& [name, value] : r.headers) {
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    }
    out += "\r\n";
    if (has_body && !head) out += r.body;
    return out;
}

}  // namespace

Request to_request(bhttp::request<bhttp::string_body>& message) {
    Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    request.content_type = std::string(message[bhttp::field::content_type]);
    request.origin = std::string(message[bhttp::field::origin]);
    request.access_control_request_method = std::string(message[bhttp::field::access_control_request_method]);
    request.access_control_request_headers = std::string(message[bhttp::field::access_control_request_headers]);
    request.if_none_match = std::string(message[bhttp::field::if_none_match]);
    request.authorization = std::string(message[bhttp::field::authorization]);
    request.sec_fetch_mode = std::string(message["Sec-Fetch-Mode"]);
    request.body = std::move(message.body());
    return request;
}

Session::Session(net::FlexStream&& stream, std::shared_ptr<const SessionContext> context)
    : stream_(std::move(stream)), executor_(stream_.get_executor()), context_(std::move(context)), idle_timer_(executor_) {}

void Session::start() {
    asio::dispatch(executor_, [self = shared_from_this()] {
        if (self->stream_.is_tls()) {
            self->handshake();
        } else {
            self->wait_for_request();
        }
    });
}

void Session::close() {
    asio::post(executor_, [self = shared_from_this()] {
        if (self->handed_over_) return;
        self->closing_ = true;
        self->cancel_awaited();
        beast::error_code ignored;
        self->tcp().socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        self->tcp().close();
    });
}

void Session::handshake() {
    const auto& tls = *context_->options.tls;
    tcp().expires_after(tls.settings().handshake_timeout);
    stream_.tls()->async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](beast::error_code ec) {
        if (ec) {
            LOG_DEBUG("https: TLS handshake failed: " << ec.message());
            self->closing_ = true;
            self->tcp().close();
            return;
        }
        self->stream_.tls_common_name = net::TlsContext::peer_common_name(self->stream_.tls()->native_handle());
        self->wait_for_request();
    });
}

void Session::wait_for_request() {
    if (reading_ || checking_ || closing_ || responses_queued_ >= context_->options.max_pipelined) return;
    reading_ = true;
    // A fresh parser per request: limits and state never leak between requests.
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(context_->options.max_header_size, UINT32_MAX)));
    parser_->body_limit(context_->options.max_body_size);

    const auto& o = context_->options;
    if (buffer_.size() > 0) {
        header_deadline_ = std::chrono::steady_clock::now() + o.header_timeout;
        read_header();
        return;
    }
    // A new connection owes us a request within the header timeout; a
    // kept-alive one may sit idle longer, and its header clock starts with
    // the first byte of the next request.
    if (first_request_) {
        header_deadline_ = std::chrono::steady_clock::now() + o.header_timeout;
        tcp().expires_at(header_deadline_);
    } else if (awaiting_answer()) {
        // A timeout would close the socket under the awaited answer.
        tcp().expires_never();
        untimed_read_ = true;
    } else {
        tcp().expires_after(o.idle_timeout);
    }
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
        self->untimed_read_ = false;
        self->idle_timer_.cancel();
        if (ec) {
            self->stop_reading(ec);
            return;
        }
        self->buffer_.commit(n);
        if (!self->first_request_)
            self->header_deadline_ = std::chrono::steady_clock::now() + self->context_->options.header_timeout;
        self->read_header();
    });
}

// A bad request gets its error response; any other read error ends reading.
bool Session::read_failed(beast::error_code ec) {
    if (!ec) return false;
    if (is_parse_error(ec)) {
        fail_request(ec);
    } else {
        stop_reading(ec);
    }
    return true;
}

void Session::read_header() {
    tcp().expires_at(header_deadline_);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void Session::on_header(beast::error_code ec) {
    if (read_failed(ec)) return;
    const bool stream = context_->streams && Streams::serves(parser_->get().target());
    if (stream && !parser_->is_done())
        return answer_without_body(
            error_response(400, "bad_request", "a WebSocket upgrade or stream request must not have a body"));
    request_ = to_request(parser_->get());  // the header: no body read yet
    if (context_->loading.load() && !is_probe(request_.target))
        return answer_without_body(error_response(503, "starting", "the gateway is loading its stored state"));
    beast::error_code peer_ec;
    if (const auto peer = tcp().socket().remote_endpoint(peer_ec); !peer_ec)
        request_.peer_address = peer.address().to_string();
    // A password goes to the verifier threads: this session waits for the
    // answer (reading nothing more), the others on its thread do not.
    checking_ = context_->router.verify(request_, [self = shared_from_this()](CheckResult result) {
        asio::post(self->executor_, [self, result = std::move(result)]() mutable {
            self->checking_ = false;
            if (self->closing_ && !self->tcp().socket().is_open()) return;  // close() came meanwhile
            self->request_.checked = std::move(result.check);
            self->admit(std::move(result.refusal));
        });
    });
    if (!checking_) admit(std::nullopt);
}

// Authentication, authorization and routing look at the header only: a
// request to be refused never has its body read (nor a 100 Continue).
void Session::admit(std::optional<Response> stream_refusal) {
    if (context_->streams && Streams::serves(request_.target)) {
        if (stream_refusal) return answer_without_body(*stream_refusal);
        return hand_over();
    }
    admission_ = context_->router.admit(request_);
    if (admission_.answer) return answer_without_body(*admission_.answer);
    if (parser_->is_done()) return handle_request();
    // curl and others wait for this before sending a larger body.
    if (iequals(parser_->get()[bhttp::field::expect], "100-continue"))
        queue_raw(Outgoing::ready("HTTP/1.1 100 Continue\r\n\r\n", false, true));
    read_body();
}

void Session::answer_without_body(const Response& response) {
    reading_ = false;
    first_request_ = false;
    // The unread body would be taken for the next request: close after the answer.
    const bool keep_alive = parser_->is_done() && parser_->get().keep_alive();
    const unsigned version = parser_->get().version();
    const bool head = parser_->get().method() == bhttp::verb::head;
    parser_.reset();
    queue(response, keep_alive, version, head);
    wait_for_request();
}

void Session::read_body() {
    tcp().expires_after(context_->options.body_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
}

void Session::on_body(beast::error_code ec) {
    if (read_failed(ec)) return;
    handle_request();
}

void Session::handle_request() {
    reading_ = false;
    first_request_ = false;
    auto& message = parser_->get();
    request_.body = std::move(message.body());
    const bool keep_alive = message.keep_alive();
    const unsigned version = message.version();
    parser_.reset();

    const bool head = request_.method == "HEAD";
    const std::uint64_t awaited = ++last_awaited_;
    // The reply keeps the session alive until it comes: the route's work is
    // bounded by its own timeout, and cancel_awaited() stops it sooner.
    auto started = context_->router.start(request_, std::move(admission_), [self = shared_from_this(), awaited](Response r) {
        asio::post(self->executor_, [self, awaited, r = std::move(r)]() mutable { self->answered(awaited, std::move(r)); });
    });
    if (started.now) {
        queue(*started.now, keep_alive, version, head);
    } else {
        if (!keep_alive) closing_ = true;
        Outgoing placeholder;
        placeholder.close_after = !keep_alive;
        placeholder.awaited = awaited;
        placeholder.version = version;
        placeholder.head = head;
        placeholder.cancel = std::move(started.cancel);
        queue_raw(std::move(placeholder));
    }
    request_ = {};
    admission_ = {};
    wait_for_request();
}

void Session::answered(std::uint64_t awaited, Response response) {
    const auto it = std::find_if(outgoing_.begin(), outgoing_.end(),
                                 [awaited](const Outgoing& o) { return o.awaited == awaited; });
    if (it == outgoing_.end()) return;  // cancelled: the peer is gone
    count_response(response.status);
    it->bytes = serialize(response, !it->close_after, it->version, it->head);
    it->awaited = 0;
    it->cancel = nullptr;
    if (!writing_) write_next();
}

bool Session::awaiting_answer() const {
    return std::any_of(outgoing_.begin(), outgoing_.end(), [](const Outgoing& o) { return o.awaited != 0; });
}

void Session::cancel_awaited() {
    const auto first = std::find_if(outgoing_.begin(), outgoing_.end(), [](const Outgoing& o) { return o.awaited != 0; });
    for (auto it = first; it != outgoing_.end(); ++it) {
        if (it->cancel) it->cancel();
        if (!it->interim) --responses_queued_;
    }
    outgoing_.erase(first, outgoing_.end());
}

void Session::start_idle_timer() {
    if (!untimed_read_ || awaiting_answer()) return;
    idle_timer_.expires_after(context_->options.idle_timeout);
    idle_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (ec || !self->untimed_read_ || self->awaiting_answer()) return;
        self->closing_ = true;
        self->tcp().close();
    });
}

void Session::hand_over() {
    reading_ = false;
    closing_ = true;
    if (writing_ || !outgoing_.empty()) {
        // Earlier pipelined answers would share the socket with the new owner.
        queue(error_response(400, "bad_request", "a WebSocket upgrade or stream request must not be pipelined"), false, 11);
        return;
    }
    auto request = parser_->release();
    parser_.reset();
    // The stream's new owner sets its own timeouts.
    tcp().expires_never();
    handed_over_ = true;
    take_over(*context_->streams, std::move(stream_), std::move(request));
}

void Session::fail_request(beast::error_code ec) {
    reading_ = false;
    Response response;
    if (ec == bhttp::error::header_limit) {
        response = error_response(431, "header_too_large",
                                  "request header exceeds " + std::to_string(context_->options.max_header_size) + " bytes");
    } else if (ec == bhttp::error::body_limit) {
        response = error_response(413, "body_too_large",
                                  "request body exceeds " + std::to_string(context_->options.max_body_size) + " bytes");
    } else {
        response = error_response(400, "bad_request", "malformed HTTP request: " + ec.message());
    }
    queue(response, false, 11);
}

void Session::stop_reading(beast::error_code ec) {
    reading_ = false;
    closing_ = true;
    cancel_awaited();
    if (ec != asio::error::operation_aborted && ec != bhttp::error::end_of_stream && ec != beast::error::timeout)
        LOG_DEBUG("http: connection ended: " << ec.message());
    // A timeout has already closed the socket; after a peer's close, finish
    // the responses still queued.
    if (!writing_ && outgoing_.empty()) shutdown_and_drain();
}

void Session::queue(const Response& response, bool keep_alive, unsigned version, bool head) {
    count_response(response.status);
    if (!keep_alive) closing_ = true;
    queue_raw(Outgoing::ready(serialize(response, keep_alive, version, head), !keep_alive, false));
}

void Session::queue_raw(Outgoing outgoing) {
    if (!outgoing.interim) ++responses_queued_;
    outgoing_.push_back(std::move(outgoing));
    if (!writing_) write_next();
}

void Session::write_next() {
    if (outgoing_.empty()) {
        if (closing_ && !reading_) shutdown_and_drain();
        return;
    }
    if (outgoing_.front().awaited != 0) return;  // answered() writes it
    writing_ = true;
    tcp().expires_after(context_->options.body_timeout);
    asio::async_write(stream_, asio::buffer(outgoing_.front().bytes),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
}

void Session::on_write(beast::error_code ec) {
    writing_ = false;
    if (ec) {
        closing_ = true;
        cancel_awaited();
        tcp().close();
        return;
    }
    const auto done = std::move(outgoing_.front());
    outgoing_.pop_front();
    if (!done.interim) --responses_queued_;
    if (done.close_after) {
        shutdown_and_drain();
        return;
    }
    write_next();
    wait_for_request();
    start_idle_timer();
}

void Session::shutdown_and_drain() {
    if (draining_) return;
    draining_ = true;
    if (!tcp().socket().is_open()) return;
    tcp().expires_after(drain_time);
    if (auto* tls = stream_.tls()) {
        // close_notify, and the peer's answer (or the deadline), then close.
        tls->async_shutdown([self = shared_from_this()](beast::error_code) { self->tcp().close(); });
        return;
    }
    beast::error_code ignored;
    tcp().socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    buffer_.clear();
    drain();
}

void Session::drain() {
    tcp().async_read_some(buffer_.prepare(16384), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
        self->drained_ += n;
        if (ec || self->drained_ > drain_bytes) {
            self->tcp().close();
            return;
        }
        self->drain();
    });
}

}  // namespace mqgate::http
