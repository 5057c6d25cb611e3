// The JSON stream protocol and WebSocket frames. The first byte picks:
//   0: JSON stream ops, one per line, straight into StreamCore::handle;
//   1: raw client bytes after a fixed upgrade to /mqtt: Beast's frame parser
//      with mqgate's settings (no deflate, messages capped at the packet
//      size), binary messages' bytes into the MQTT decoder and a broker link,
//      a text message ending it [MQTT-6.0.0-1];
//   2: as 1, with the frames built by the target from the input (opcode, FIN,
//      masked payload slices), so packets are cut across messages;
//   3: as 2 for /api/v1/stream: text messages are JSON stream ops;
//   4: raw client bytes through mqgate's own frame parser for /mqtt over ws://
//      (mqtt/net/ws_framing.hpp) in pieces, its output into the MQTT decoder
//      and a broker link; its answers must be well-formed control frames;
//   5: frames built as in 2 through that parser in its messages mode (the
//      JSON stream over ws://) and through Beast's as /api/v1/stream sets it
//      up: the messages must be the same up to where either stops
//      (differential), and each goes to StreamCore as an op;
//   6: frames built as in 2, through that parser and through Beast's: both
//      must hand over the same binary-message bytes up to where either stops
//      (differential).
// Broker traffic runs meanwhile (an MQTT client publishes, events happen), so
// stream items carry messages and events; every item must be a JSON object.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <fuzzer/FuzzedDataProvider.h>
#include <nlohmann/json.hpp>

#include "events/event_log.hpp"
#include "http/stream_core.hpp"
#include "mqtt/broker.hpp"
#include "mqtt/codec.hpp"
#include "mqtt/net/ws_framing.hpp"
#include "support/log.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tests/fuzz/null_connection.hpp"

using namespace mqgate;
namespace websocket = boost::beast::websocket;
namespace test = boost::beast::test;

namespace {

struct World {
    std::chrono::system_clock::time_point now{std::chrono::seconds(1'700'000'000)};
    mqtt::Broker broker{mqtt::BrokerOptions{}, nullptr, nullptr, nullptr, [this] { return now; }};
    events::EventLog events{16};
    std::shared_ptr<http::StreamCore> core;
    std::shared_ptr<fuzz::NullConnection> publisher_conn = std::make_shared<fuzz::NullConnection>();
    std::shared_ptr<mqtt::ClientLink> publisher;
    std::size_t items = 0;

    World() {
        broker.observe([this](const mqtt::Event& e) { events.record(e); });
        // Small queues, so overflow and drops are reached.
        core = std::make_shared<http::StreamCore>(std::make_shared<http::StreamHub>(broker), events, http::StreamLimits{4096, 8, 4}, std::weak_ptr<http::StreamSignals>{});
        // The ACL's answer for the stream's caller: nothing under "x/".
        core->restrict_to({"fuzz", [](std::string_view topic, mqtt::Access) { return !topic.starts_with("x/"); }});
        broker.publish("a/retained", "r", 1, true);
        publisher = broker.attach(publisher_conn);
        mqtt::Connect c;
        c.client_id = "pub";
        publisher->packet(std::move(c));
    }
    ~World() {
        core->close();
        publisher->closed(mqtt::DisconnectReason::network_error);
    }

    // Some broker traffic for the stream to carry: a message and, now and then, an event.
    void traffic(std::uint8_t n) {
        publisher->packet(mqtt::Publish{false, static_cast<std::uint8_t>(n % 3), false, n & 4 ? "a/b" : "x/y",
                                        static_cast<std::uint16_t>(1 + n), std::string(n % 7, '\xfe')});
        if (n % 5 == 0) {
            mqtt::Event e;
            e.type = mqtt::EventType::client_kicked;
            e.client_id = "k";
            events.record(e);
        }
    }

    void drain() {
        http::StreamItem item;
        while (core->next(item)) {
            const auto j = nlohmann::json::parse(*item.json, nullptr, false);
            FUZZ_CHECK(!j.is_discarded() && j.is_object());
            ++items;
        }
    }

    void op(std::string_view text) {
        core->handle(text);
        drain();
    }
};

void json_ops(World& w, std::string_view text) {
    std::uint8_t n = 0;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        w.op(text.substr(0, nl));
        w.traffic(n++);
        w.drain();
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    }
}

// A masked client frame (RFC 6455 §5.2).
void append_frame(std::string& out, std::uint8_t opcode, bool fin, std::string_view payload, std::uint32_t mask) {
    out += static_cast<char>((fin ? 0x80 : 0) | (opcode & 0x0f));
    if (payload.size() < 126) {
        out += static_cast<char>(0x80 | payload.size());
    } else {
        out += static_cast<char>(0x80 | 126);
        out += static_cast<char>(payload.size() >> 8);
        out += static_cast<char>(payload.size() & 0xff);
    }
    const char key[4] = {char(mask >> 24), char(mask >> 16), char(mask >> 8), char(mask)};
    out.append(key, 4);
    for (std::size_t i = 0; i < payload.size(); ++i) out += static_cast<char>(payload[i] ^ key[i % 4]);
}

std::string built_frames(FuzzedDataProvider& in) {
    std::string out;
    while (in.remaining_bytes() > 0) {
        const auto head = in.ConsumeIntegral<std::uint8_t>();
        // Mostly binary or text and continuations; now and then a control frame.
        static constexpr std::uint8_t opcodes[] = {2, 0, 0, 2, 1, 9, 10, 8};
        const auto payload = in.ConsumeRandomLengthString(300);
        append_frame(out, opcodes[head & 7], (head & 8) == 0, payload, head * 0x01010101u);
    }
    return out;
}

void websocket_bytes(World& w, std::string_view path, std::string_view frames, bool json_stream) {
    boost::asio::io_context ioc;
    test::stream client(ioc);
    websocket::stream<test::stream> ws(ioc);
    ws.next_layer().connect(client);
    std::string bytes = "GET " + std::string(path) +
                        " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                        "Sec-WebSocket-Protocol: mqtt\r\n\r\n";
    bytes += frames;
    ws.next_layer().append(bytes);
    ws.next_layer().close_remote();  // then end of stream: reads see every byte, then eof

    // As /mqtt and /api/v1/stream set their WebSocket up.
    websocket::permessage_deflate no_deflate;
    no_deflate.server_enable = false;
    ws.set_option(no_deflate);
    ws.read_message_max(json_stream ? 64 * 1024 : w.broker.limits().max_packet_size);
    boost::beast::error_code ec;
    ws.accept(ec);
    FUZZ_CHECK(!ec);

    const auto conn = std::make_shared<fuzz::NullConnection>();
    auto link = w.broker.attach(conn);
    mqtt::Decoder decoder(w.broker.limits().max_packet_size);
    boost::beast::flat_buffer buffer;
    std::string message;
    bool ok = true;
    // The transport delivers nothing more once the broker closed the connection.
    while (ok && !conn->closing) {
        const auto n = ws.read_some(buffer, 4096, ec);
        if (ec) break;
        if (json_stream) {
            message.append(static_cast<const char*>(buffer.data().data()), n);
            if (ws.is_message_done()) {
                w.op(message);
                message.clear();
            }
        } else if (ws.got_text()) {
            ok = false;  // not MQTT: the connection closes
        } else {
            std::string_view input(static_cast<const char*>(buffer.data().data()), n);
            for (;;) {
                mqtt::Packet p;
                std::error_code dec;
                const auto st = decoder.next(input, p, dec);
                if (st == mqtt::Decoder::Status::need_more || conn->closing) break;
                if (st == mqtt::Decoder::Status::error) {
                    link->malformed(dec);
                    ok = false;
                    break;
                }
                link->packet(std::move(p));
            }
        }
        buffer.consume(n);
    }
    link->closed(mqtt::DisconnectReason::network_error);
}

// What Beast reads from `frames`: as /mqtt sets it up (`messages` false), the
// binary messages' bytes as one string, up to a text message, a close or an
// error; as /api/v1/stream does, each message, up to a close or an error.
std::vector<std::string> beast_read(World& w, std::string_view frames, bool messages) {
    boost::asio::io_context ioc;
    test::stream client(ioc);
    websocket::stream<test::stream> ws(ioc);
    ws.next_layer().connect(client);
    std::string bytes =
        "GET /mqtt HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n";
    bytes += frames;
    ws.next_layer().append(bytes);
    ws.next_layer().close_remote();
    websocket::permessage_deflate no_deflate;
    no_deflate.server_enable = false;
    ws.set_option(no_deflate);
    ws.read_message_max(messages ? 64 * 1024 : w.broker.limits().max_packet_size);
    boost::beast::error_code ec;
    ws.accept(ec);
    FUZZ_CHECK(!ec);
    boost::beast::flat_buffer buffer;
    std::vector<std::string> out(messages ? 0 : 1);
    for (;;) {  // ends at the end of `frames` at the latest
        if (messages) {
            ws.read(buffer, ec);
            if (ec) break;
            out.push_back(boost::beast::buffers_to_string(buffer.data()));
            buffer.clear();
            continue;
        }
        const auto n = ws.read_some(buffer, 4096, ec);
        if (ec || ws.got_text()) break;
        out[0].append(static_cast<const char*>(buffer.data().data()), n);
        buffer.consume(n);
    }
    return out;
}

// `frames` through WsDeframer in pieces (sizes taken from the bytes
// themselves). Mode::mqtt: returns the MQTT bytes it handed over as one
// string; Mode::messages: each message it handed over whole.
std::vector<std::string> deframed(std::string_view frames, net::WsDeframer::Mode mode) {
    net::WsDeframer d(mode);
    const bool messages = mode == net::WsDeframer::Mode::messages;
    std::string replies, current;
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at < frames.size() && !d.closed() && d.error() == net::WsError::none) {
        const std::size_t step = 1 + (static_cast<std::uint8_t>(frames[at]) % 61);
        std::string piece(frames.substr(at, step));
        at += piece.size();
        if (!messages) {
            const std::size_t n = d.feed(piece.data(), piece.size(), replies);
            FUZZ_CHECK(n <= piece.size());
            current.append(piece.data(), n);
            continue;
        }
        char* data = piece.data();
        std::size_t left = piece.size();
        while (left > 0 && !d.closed() && d.error() == net::WsError::none) {
            std::size_t payload = 0;
            bool ended = false;
            const std::size_t used = d.feed_message(data, left, replies, payload, ended);
            FUZZ_CHECK(used <= left && payload <= used && (used > 0 || d.closed() || d.error() != net::WsError::none));
            current.append(data, payload);
            if (ended) out.push_back(std::exchange(current, {}));
            data += used;
            left -= used;
        }
    }
    if (!messages) out.push_back(std::move(current));
    // Every answer is a whole unmasked control frame; after an error the last is a close with 1002 or 1003.
    std::size_t i = 0, last = 0;
    while (i < replies.size()) {
        FUZZ_CHECK(i + 2 <= replies.size());
        const auto b0 = static_cast<std::uint8_t>(replies[i]), b1 = static_cast<std::uint8_t>(replies[i + 1]);
        FUZZ_CHECK(b0 == 0x88 || b0 == 0x8a);
        FUZZ_CHECK(b1 <= 125 && i + 2 + b1 <= replies.size());
        last = i;
        i += 2 + b1;
    }
    if (d.error() != net::WsError::none) {
        FUZZ_CHECK(replies.size() == last + 4 && static_cast<std::uint8_t>(replies[last]) == 0x88);
        const int code = (static_cast<std::uint8_t>(replies[last + 2]) << 8) | static_cast<std::uint8_t>(replies[last + 3]);
        FUZZ_CHECK(code == (d.error() == net::WsError::text_message ? 1003 : 1002));
    }
    return out;
}

// The JSON stream's ws:// path: the messages WsDeframer reads are the ones
// Beast reads, up to where either stops (Beast also stops at a text message
// that is not UTF-8, or one over 64 KiB), and each goes to the stream as an op.
void stream_messages(World& w, std::string_view frames) {
    const auto ours = deframed(frames, net::WsDeframer::Mode::messages);
    const auto beast = beast_read(w, frames, true);
    for (std::size_t i = 0; i < std::min(ours.size(), beast.size()); ++i) FUZZ_CHECK(ours[i] == beast[i]);
    for (const auto& m : ours) w.op(m);
}

// MQTT bytes into a fresh broker link, as StreamConnection hands them over.
void mqtt_bytes(World& w, std::string_view input) {
    const auto conn = std::make_shared<fuzz::NullConnection>();
    auto link = w.broker.attach(conn);
    mqtt::Decoder decoder(w.broker.limits().max_packet_size);
    while (!conn->closing) {  // each turn takes a packet off `input`, or stops
        mqtt::Packet p;
        std::error_code dec;
        const auto st = decoder.next(input, p, dec);
        if (st == mqtt::Decoder::Status::need_more) break;
        if (st == mqtt::Decoder::Status::error) {
            link->malformed(dec);
            break;
        }
        link->packet(std::move(p));
    }
    link->closed(mqtt::DisconnectReason::network_error);
}

}  // namespace

// The broker's warnings about bad clients would flood the output.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    mqgate::log::set_level(mqgate::log::Level::off);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    World w;
    switch (in.ConsumeIntegralInRange<int>(0, 6)) {
    case 0: json_ops(w, in.ConsumeRemainingBytesAsString()); break;
    case 1: websocket_bytes(w, "/mqtt", in.ConsumeRemainingBytesAsString(), false); break;
    case 2: websocket_bytes(w, "/mqtt", built_frames(in), false); break;
    case 3: websocket_bytes(w, "/api/v1/stream", built_frames(in), true); break;
    case 4: mqtt_bytes(w, deframed(in.ConsumeRemainingBytesAsString(), net::WsDeframer::Mode::mqtt)[0]); break;
    case 5: stream_messages(w, built_frames(in)); break;
    default: {
        const std::string frames = built_frames(in);
        const std::string ours = deframed(frames, net::WsDeframer::Mode::mqtt)[0];
        FUZZ_CHECK(ours == beast_read(w, frames, false)[0]);
        mqtt_bytes(w, ours);
        break;
    }
    }
    w.drain();
    return 0;
}
