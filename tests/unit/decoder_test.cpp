// The incremental Decoder: packets split at any boundary, fed by copy
// (feed + next) or decoded in place (next(input, ...), what connections use),
// size limits, sticky errors and random input.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "mqtt/codec.hpp"
#include "codec_helpers.hpp"

namespace mqgate::mqtt {
namespace {

using namespace codec_test;

std::vector<Packet> sample_packets() {
    Connect c;
    c.client_id = "dev-1";
    c.keepalive = 30;
    c.will = Will{"dev/1/status", "offline", 1, true};
    c.username = "alice";
    c.password = std::string("s3\0cret", 7);
    return {c,
            Connack{true, ConnectReturn::accepted},
            Publish{false, 0, false, "a/b", 0, ""},
            Publish{true, 1, true, "sensors/\xC3\xA9t\xC3\xA9", 65535, std::string(300, '\x7F')},
            Publish{false, 2, false, "x", 2, std::string("\0\0\0", 3)},
            Puback{1},
            Pubrec{2},
            Pubrel{2},
            Pubcomp{2},
            Subscribe{3, {{"a/#", 0}, {"+/b", 2}}},
            Suback{3, {0, 0x80}},
            Unsubscribe{4, {"a/#"}},
            Unsuback{4},
            Pingreq{},
            Pingresp{},
            Disconnect{}};
}

std::string stream_of(const std::vector<Packet>& packets) {
    std::string s;
    for (const auto& p : packets) encode(p, s);
    return s;
}

// The two ways bytes reach the decoder: copied in by feed(), or decoded in
// place by next(input, ...), which copies only an unfinished packet.
enum class Mode { copy, in_place };

// Hands `chunks` over in order, draining after each; in place, each chunk is
// destroyed (overwritten) once drained, as a reused read buffer would be.
std::vector<Packet> drain_chunks(Decoder& d, const std::vector<std::string_view>& chunks, Mode mode = Mode::copy) {
    std::vector<Packet> got;
    for (const auto chunk : chunks) {
        std::string scratch(chunk);
        std::string_view input(scratch);
        if (mode == Mode::copy) d.feed(input);
        for (int guard = 0; guard < 1000; ++guard) {
            Packet p;
            std::error_code ec;
            const auto status = mode == Mode::copy ? d.next(p, ec) : d.next(input, p, ec);
            if (status == Decoder::Status::need_more) break;
            EXPECT_EQ(status, Decoder::Status::packet) << ec.message();
            if (status != Decoder::Status::packet) return got;
            got.push_back(std::move(p));
        }
        EXPECT_TRUE(input.empty() || mode == Mode::copy);
        scratch.assign(scratch.size(), '\xEE');
    }
    return got;
}

TEST(Decoder, ManyPacketsInOneFeed) {
    const auto packets = sample_packets();
    for (const auto mode : {Mode::copy, Mode::in_place}) {
        Decoder d;
        const auto got = drain_chunks(d, {stream_of(packets)}, mode);
        EXPECT_TRUE(got == packets);
        EXPECT_EQ(d.buffered(), 0u);
    }
}

TEST(Decoder, StreamCutAtEveryBytePosition) {
    const auto packets = sample_packets();
    const std::string s = stream_of(packets);
    const std::string_view all(s);
    for (const auto mode : {Mode::copy, Mode::in_place}) {
        for (std::size_t cut = 0; cut <= s.size(); ++cut) {
            Decoder d;
            const auto got = drain_chunks(d, {all.substr(0, cut), all.substr(cut)}, mode);
            ASSERT_TRUE(got == packets) << "cut at " << cut;
            ASSERT_EQ(d.buffered(), 0u);
        }
    }
}

TEST(Decoder, StreamOneByteAtATime) {
    const auto packets = sample_packets();
    const std::string s = stream_of(packets);
    std::vector<std::string_view> chunks;
    for (std::size_t i = 0; i < s.size(); ++i) chunks.push_back(std::string_view(s).substr(i, 1));
    for (const auto mode : {Mode::copy, Mode::in_place}) {
        Decoder d;
        EXPECT_TRUE(drain_chunks(d, chunks, mode) == packets);
        EXPECT_EQ(d.buffered(), 0u);
    }
}

// In place, whole packets are not copied: only the unfinished one is, and
// input is then used up.
TEST(Decoder, InPlaceCopiesOnlyTheUnfinishedPacket) {
    const Packet publish = Publish{false, 1, false, "t", 1, std::string(50, 'x')};
    const std::string one = wire(publish);
    const std::string two = one + one.substr(0, 10);
    std::string_view input(two);
    Decoder d;
    Packet p;
    std::error_code ec;
    ASSERT_EQ(d.next(input, p, ec), Decoder::Status::packet);
    EXPECT_EQ(input.size(), 10u);
    EXPECT_EQ(d.buffered(), 0u);
    ASSERT_EQ(d.next(input, p, ec), Decoder::Status::need_more);
    EXPECT_TRUE(input.empty());
    EXPECT_EQ(d.buffered(), 10u);
    std::string_view rest = std::string_view(one).substr(10);
    ASSERT_EQ(d.next(rest, p, ec), Decoder::Status::packet);
    EXPECT_TRUE(p == publish);
    EXPECT_EQ(d.buffered(), 0u);
}

// A caller that stops early (a paused read) feeds what is left, and decoding
// resumes from it once the input itself is gone.
TEST(Decoder, InPlaceLeftoverFedForLater) {
    const std::string one = wire(Puback{7});
    std::string read = one + one + one;
    std::string_view input(read);
    Decoder d;
    Packet p;
    std::error_code ec;
    ASSERT_EQ(d.next(input, p, ec), Decoder::Status::packet);
    d.feed(input);
    read.assign(read.size(), '\0');
    std::string_view none;
    for (int i = 0; i < 2; ++i) {
        ASSERT_EQ(d.next(none, p, ec), Decoder::Status::packet);
        EXPECT_TRUE(p == Packet{Puback{7}});
    }
    EXPECT_EQ(d.next(none, p, ec), Decoder::Status::need_more);
}

// Errors are sticky in place too, and the bad bytes are not consumed.
TEST(Decoder, InPlaceErrorIsSticky) {
    const std::string bad = bytes({0xC0, 0x01, 0x00});
    std::string_view input(bad);
    Decoder d;
    Packet p;
    std::error_code ec;
    EXPECT_EQ(d.next(input, p, ec), Decoder::Status::error);
    EXPECT_EQ(ec, Errc::trailing_bytes);
    std::string_view good = "\xC0\x00";
    EXPECT_EQ(d.next(good, p, ec), Decoder::Status::error);
    EXPECT_EQ(ec, Errc::trailing_bytes);
}

TEST(Decoder, LargePacketInUnevenChunks) {
    const std::vector<Packet> packets{Pingreq{}, Publish{false, 1, false, "big", 5, std::string(70'000, 'q')},
                                      Puback{5}};
    const std::string s = stream_of(packets);
    for (const std::size_t step : {std::size_t{1}, std::size_t{3}, std::size_t{1000}, std::size_t{65536}}) {
        std::vector<std::string_view> chunks;
        for (std::size_t i = 0; i < s.size(); i += step) chunks.push_back(std::string_view(s).substr(i, step));
        Decoder d;
        EXPECT_TRUE(drain_chunks(d, chunks) == packets) << step;
        EXPECT_EQ(d.buffered(), 0u);
    }
}

// The error a decoder reports for `w`, which must not need more bytes first.
std::error_code first_error(const std::string& w, std::size_t max_packet_size = max_remaining_length + 5) {
    Decoder d(max_packet_size);
    d.feed(w);
    Packet p;
    std::error_code ec;
    EXPECT_EQ(d.next(p, ec), Decoder::Status::error);
    return ec;
}

// A server's decoder (first packet a CONNECT within max_connect_size) handed
// `w` in place, as a connection does: the error it reports, which must come
// without more bytes, and nothing buffered.
std::error_code server_error(const std::string& w, std::size_t max_connect_size,
                             std::size_t max_packet_size = 1 << 20) {
    Decoder d(max_packet_size, max_connect_size);
    std::string_view input(w);
    Packet p;
    std::error_code ec;
    EXPECT_EQ(d.next(input, p, ec), Decoder::Status::error);
    EXPECT_EQ(d.buffered(), 0u);
    return ec;
}

// Refused from the first byte or the header, before the rest is buffered.
TEST(ServerDecoder, FirstByteNotConnectRefusedAtOnce) {
    for (const int first : {0x30, 0xC0, 0x82, 0x11, 0x20})
        EXPECT_EQ(server_error(bytes({first}), 4096), Errc::first_packet_not_connect) << first;
}

TEST(ServerDecoder, ConnectOverTheLimitRefusedOnItsHeader) {
    // Remaining length 5000: nothing of the body has arrived yet.
    EXPECT_EQ(server_error(bytes({0x10, 0x88, 0x27}), 4096), Errc::connect_too_large);
}

TEST(ServerDecoder, ConnectAtTheLimitThenLargerPacketsAccepted) {
    Connect c;
    c.client_id = "dev";
    c.will = Will{"w", std::string(100, 'x'), 0, false};
    const std::string connect = wire(c);
    const Publish big{false, 0, false, "t", 0, std::string(1000, 'y')};
    const std::string s = connect + wire(big);
    // The limit bounds the CONNECT only; the publish is larger than it.
    Decoder d(1 << 20, connect.size());
    std::vector<std::string_view> one_byte_chunks;
    for (std::size_t i = 0; i < s.size(); ++i) one_byte_chunks.push_back(std::string_view(s).substr(i, 1));
    EXPECT_TRUE(drain_chunks(d, one_byte_chunks) == (std::vector<Packet>{c, big}));
    EXPECT_EQ(server_error(connect, connect.size() - 1), Errc::connect_too_large);
}

TEST(ServerDecoder, ConnectLimitNeverAboveMaxPacketSize) {
    EXPECT_EQ(server_error(bytes({0x10, 0x80, 0x08}), 1 << 20, 1024), Errc::connect_too_large);  // 1027 B
}

TEST(Decoder, PacketTooLargeFromHeaderAlone) {
    // Remaining length 1024: total 1027.
    EXPECT_EQ(first_error(bytes({0x30, 0x80, 0x08}), 1024), Errc::packet_too_large);
}

TEST(Decoder, PacketExactlyAtMaxSizeIsAccepted) {
    const std::string w = wire(Publish{false, 0, false, "t", 0, std::string(100, 'x')});
    EXPECT_FALSE(decode_wire(w, w.size()).ec);
    EXPECT_EQ(decode_wire(w, w.size() - 1).ec, Errc::packet_too_large);
}

TEST(Decoder, ReservedTypeDetectedOnFirstByte) {
    for (const int first : {0x00, 0xF0, 0x0F}) EXPECT_EQ(first_error(bytes({first})), Errc::reserved_packet_type);
}

TEST(Decoder, BadFlagsDetectedBeforeTheBody) {
    EXPECT_EQ(first_error(bytes({0x82 & 0xF0, 0x7F})), Errc::invalid_fixed_header_flags);
}

TEST(Decoder, RemainingLengthTooLongWithoutAFifthByte) {
    Decoder d;
    d.feed(bytes({0x30, 0x80, 0x80, 0x80}));
    Packet p;
    std::error_code ec;
    EXPECT_EQ(d.next(p, ec), Decoder::Status::need_more);
    d.feed(bytes({0x80}));
    EXPECT_EQ(d.next(p, ec), Decoder::Status::error);
    EXPECT_EQ(ec, Errc::remaining_length_too_long);
}

TEST(Decoder, ErrorIsSticky) {
    Decoder d;
    d.feed(bytes({0xC0, 0x01, 0x00}) + wire(Pingreq{}));
    Packet p;
    std::error_code ec;
    EXPECT_EQ(d.next(p, ec), Decoder::Status::error);
    EXPECT_EQ(ec, Errc::trailing_bytes);
    ec.clear();
    EXPECT_EQ(d.next(p, ec), Decoder::Status::error);
    EXPECT_EQ(ec, Errc::trailing_bytes);
}

TEST(Decoder, PacketsBeforeAnErrorAreDelivered) {
    Decoder d;
    d.feed(wire(Pingreq{}) + wire(Puback{7}) + bytes({0x38, 3, 0x00, 0x01, 'a'}));
    Packet p;
    std::error_code ec;
    EXPECT_EQ(d.next(p, ec), Decoder::Status::packet);
    EXPECT_EQ(d.next(p, ec), Decoder::Status::packet);
    EXPECT_TRUE(p == Packet{Puback{7}});
    EXPECT_EQ(d.next(p, ec), Decoder::Status::error);
    EXPECT_EQ(ec, Errc::dup_with_qos0);
}

TEST(Decoder, BufferIsCompacted) {
    const std::string one = wire(Publish{false, 1, false, "t", 1, std::string(50, 'x')});
    Decoder d;
    Packet p;
    std::error_code ec;
    for (int round = 0; round < 1000; ++round) {
        // Three and a half packets, then the missing half.
        d.feed(one + one + one + one.substr(0, one.size() / 2));
        for (int i = 0; i < 3; ++i) ASSERT_EQ(d.next(p, ec), Decoder::Status::packet);
        ASSERT_EQ(d.next(p, ec), Decoder::Status::need_more);
        ASSERT_EQ(d.buffered(), one.size() / 2);
        d.feed(std::string_view(one).substr(one.size() / 2));
        ASSERT_EQ(d.next(p, ec), Decoder::Status::packet);
        ASSERT_EQ(d.buffered(), 0u);
        ASSERT_EQ(d.next(p, ec), Decoder::Status::need_more);
    }
}

// The codec is the fuzz target: arbitrary bytes end in packets, need_more or
// an error, never in a crash (run under the sanitizers to mean something).
TEST(Decoder, RandomBytesNeverCrash) {
    std::mt19937 rng(12345);
    const std::string valid = stream_of(sample_packets());
    for (int round = 0; round < 2000; ++round) {
        std::string input = valid;
        const int flips = 1 + static_cast<int>(rng() % 8);
        for (int i = 0; i < flips; ++i) input[rng() % input.size()] = static_cast<char>(rng() & 0xFF);
        Decoder d(4096);
        d.feed(input);
        Packet p;
        std::error_code ec;
        int packets = 0;
        Decoder::Status status;
        while ((status = d.next(p, ec)) == Decoder::Status::packet) ASSERT_LT(++packets, 100);
        if (status == Decoder::Status::error) {
            EXPECT_EQ(&ec.category(), &mqtt_category());
        }
    }
}

}  // namespace
}  // namespace mqgate::mqtt
