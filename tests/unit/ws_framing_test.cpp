// WebSocket framing for /mqtt and the JSON stream over ws://
// (mqtt/net/ws_framing.hpp): what a client sends, in any split, comes out as
// the MQTT bytes of its binary messages, or as its messages one by one;
// control frames get their answers; every violation closes.
#include "mqtt/net/ws_framing.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace mqgate::net {
namespace {

// A masked client frame (RFC 6455 5.2).
std::string frame(std::uint8_t opcode, std::string_view payload, bool fin = true, std::uint32_t mask = 0x37fa213d,
                  bool masked = true) {
    std::string out;
    out += static_cast<char>((fin ? 0x80 : 0) | opcode);
    const char bit = masked ? static_cast<char>(0x80) : 0;
    if (payload.size() < 126) {
        out += static_cast<char>(bit | static_cast<char>(payload.size()));
    } else if (payload.size() <= 0xffff) {
        out += static_cast<char>(bit | 126);
        out += static_cast<char>(payload.size() >> 8);
        out += static_cast<char>(payload.size() & 0xff);
    } else {
        out += static_cast<char>(bit | 127);
        for (int i = 7; i >= 0; --i) out += static_cast<char>((payload.size() >> (8 * i)) & 0xff);
    }
    const char key[4] = {char(mask >> 24), char(mask >> 16), char(mask >> 8), char(mask)};
    if (masked) out.append(key, 4);
    for (std::size_t i = 0; i < payload.size(); ++i) out += static_cast<char>(payload[i] ^ (masked ? key[i % 4] : 0));
    return out;
}

// Feeds `wire` in pieces of `step` bytes; returns the MQTT bytes.
std::string feed(WsDeframer& d, const std::string& wire, std::size_t step, std::string& replies) {
    std::string out;
    for (std::size_t at = 0; at < wire.size(); at += step) {
        std::string piece = wire.substr(at, step);
        const std::size_t n = d.feed(piece.data(), piece.size(), replies);
        out.append(piece.data(), n);
    }
    return out;
}

TEST(WsDeframerTest, BinaryMessagesInAnySplitGiveTheirBytes) {
    const std::string big(70000, 'x');  // a 64-bit length
    const std::string mid(300, 'y');    // a 16-bit length
    const std::string wire = frame(0x2, "\x10\x0c") + frame(0x2, mid, false) + frame(0x0, "", false) + frame(0x0, "tail") +
                             frame(0x2, big) + frame(0x2, "");
    for (std::size_t step : {1u, 2u, 3u, 7u, 64u, 100000u}) {
        WsDeframer d;
        std::string replies;
        // Compared, not printed: the strings are long.
        EXPECT_TRUE(feed(d, wire, step, replies) == std::string("\x10\x0c") + mid + "tail" + big) << step;
        EXPECT_TRUE(replies.empty());
        EXPECT_EQ(d.error(), WsError::none);
        EXPECT_FALSE(d.closed());
    }
}

TEST(WsDeframerTest, PingsBetweenFramesOfAMessageArePongedWithTheirData) {
    WsDeframer d;
    std::string replies;
    const std::string wire = frame(0x2, "ab", false) + frame(0x9, "hello") + frame(0x0, "cd") + frame(0xA, "unasked");
    EXPECT_EQ(feed(d, wire, 3, replies), "abcd");
    EXPECT_EQ(replies, std::string("\x8a\x05hello", 7));  // an unasked pong is ignored
}

TEST(WsDeframerTest, ACloseIsAnsweredWithItsCodeAndNothingAfterItIsRead) {
    WsDeframer d;
    std::string replies;
    const std::string wire = frame(0x2, "before") + frame(0x8, std::string("\x0f\xa1", 2) + "going") + frame(0x2, "after");
    EXPECT_EQ(feed(d, wire, 5, replies), "before");
    EXPECT_TRUE(d.closed());
    EXPECT_EQ(replies, std::string("\x88\x02\x0f\xa1", 4));
    WsDeframer empty;
    std::string answer;
    feed(empty, frame(0x8, ""), 1, answer);
    EXPECT_EQ(answer, std::string("\x88\x00", 2));
}

struct Bad {
    const char* what;
    std::string wire;
    WsError error;
    std::uint16_t code;
};

TEST(WsDeframerTest, EveryViolationClosesWithItsCode) {
    const std::vector<Bad> cases = {
        {"text", frame(0x1, "{}"), WsError::text_message, 1003},
        {"unmasked", frame(0x2, "ab", true, 0, false), WsError::unmasked, 1002},
        {"rsv1", std::string("\xc2\x80\0\0\0\0", 6), WsError::reserved_bits, 1002},
        {"opcode 3", frame(0x3, ""), WsError::bad_opcode, 1002},
        {"opcode 0xb", frame(0xb, ""), WsError::bad_opcode, 1002},
        {"fragmented ping", frame(0x9, "x", false), WsError::bad_control, 1002},
        {"ping over 125", frame(0x9, std::string(126, 'p')), WsError::bad_control, 1002},
        {"close of 1 byte", frame(0x8, "x"), WsError::bad_control, 1002},
        {"lone continuation", frame(0x0, "x"), WsError::bad_continuation, 1002},
        {"binary inside a message", frame(0x2, "a", false) + frame(0x2, "b"), WsError::bad_continuation, 1002},
        {"length top bit", std::string("\x82\xff\x80\0\0\0\0\0\0\0\0\0\0\0", 14), WsError::too_long, 1002},
    };
    for (const auto& c : cases) {
        WsDeframer d;
        std::string replies;
        feed(d, c.wire + frame(0x2, "never"), 1, replies);
        EXPECT_EQ(d.error(), c.error) << c.what;
        const std::string close{'\x88', '\x02', static_cast<char>(c.code >> 8), static_cast<char>(c.code & 0xff)};
        EXPECT_EQ(replies, close) << c.what;
    }
}

// Feeds `wire` in pieces of `step` bytes through feed_message(); returns the
// messages, each whole.
std::vector<std::string> messages(WsDeframer& d, const std::string& wire, std::size_t step, std::string& replies) {
    std::vector<std::string> out;
    std::string current;
    for (std::size_t at = 0; at < wire.size(); at += step) {
        std::string piece = wire.substr(at, step);
        char* data = piece.data();
        std::size_t left = piece.size();
        for (int guard = 0; left > 0 && guard < 1000; ++guard) {
            std::size_t payload = 0;
            bool ended = false;
            const std::size_t used = d.feed_message(data, left, replies, payload, ended);
            current.append(data, payload);
            if (ended) out.push_back(std::exchange(current, {}));
            data += used;
            left -= used;
            if (d.closed() || d.error() != WsError::none) return out;
        }
    }
    return out;
}

TEST(WsDeframerTest, MessagesModeGivesEachTextOrBinaryMessageWholeInAnySplit) {
    const std::string mid(300, 'y');
    const std::string big(70000, 'x');
    const std::string wire = frame(0x1, R"({"op":"subscribe"})") + frame(0x1, "ab", false) + frame(0x9, "p") +
                             frame(0x0, mid, false) + frame(0x0, "cd") + frame(0x1, "") + frame(0x2, big) +
                             frame(0x1, "last");
    for (std::size_t step : {1u, 2u, 5u, 64u, 100000u}) {
        WsDeframer d(WsDeframer::Mode::messages);
        std::string replies;
        const auto got = messages(d, wire, step, replies);
        ASSERT_EQ(got.size(), 5u) << step;
        EXPECT_EQ(got[0], R"({"op":"subscribe"})");
        EXPECT_TRUE(got[1] == "ab" + mid + "cd") << step;
        EXPECT_EQ(got[2], "");
        EXPECT_TRUE(got[3] == big) << step;
        EXPECT_EQ(got[4], "last");
        EXPECT_EQ(replies, std::string("\x8a\x01p", 3));
        EXPECT_EQ(d.error(), WsError::none);
    }
}

TEST(WsDeframerTest, MessagesModeStillClosesOnViolationsAndAnswersAClose) {
    WsDeframer d(WsDeframer::Mode::messages);
    std::string replies;
    const auto got = messages(d, frame(0x1, "one") + frame(0x8, "\x03\xe8") + frame(0x1, "after"), 4, replies);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_TRUE(d.closed());
    EXPECT_EQ(replies, std::string("\x88\x02\x03\xe8", 4));

    WsDeframer e(WsDeframer::Mode::messages);
    replies.clear();
    EXPECT_TRUE(messages(e, frame(0x1, "x", true, 0, false), 64, replies).empty());
    EXPECT_EQ(e.error(), WsError::unmasked);
}

TEST(WsFramingTest, ServerTextFramesUseTheShortestLength) {
    std::string out;
    append_ws_text(out, "hi");
    EXPECT_EQ(out, std::string("\x81\x02hi", 4));
    out.clear();
    append_ws_text(out, std::string(126, 'a'), true);
    EXPECT_EQ(out.substr(0, 4), std::string("\xc1\x7e\x00\x7e", 4));
    out.clear();
    append_ws_text(out, std::string(65536, 'a'));
    EXPECT_EQ(out.substr(0, 10), std::string("\x81\x7f\0\0\0\0\0\x01\0\0", 10));
    EXPECT_EQ(out.size(), 65546u);
}

TEST(WsFramingTest, ServerHeadersUseTheShortestLength) {
    std::array<char, 10> h{};
    ASSERT_EQ(ws_binary_header(125, h), 2u);
    EXPECT_EQ(std::string(h.data(), 2), std::string("\x82\x7d", 2));
    ASSERT_EQ(ws_binary_header(126, h), 4u);
    EXPECT_EQ(std::string(h.data(), 4), std::string("\x82\x7e\x00\x7e", 4));
    ASSERT_EQ(ws_binary_header(65536, h), 10u);
    EXPECT_EQ(std::string(h.data(), 10), std::string("\x82\x7f\0\0\0\0\0\x01\0\0", 10));
    std::string control;
    append_ws_control(control, 0xA, std::string(200, 'z'));  // capped at 125
    EXPECT_EQ(control.size(), 127u);
    EXPECT_EQ(static_cast<unsigned char>(control[1]), 125u);
}

}  // namespace
}  // namespace mqgate::net
