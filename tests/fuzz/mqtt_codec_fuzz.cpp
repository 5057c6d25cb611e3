// The MQTT decoder over a byte stream cut at random places, both ways a
// connection feeds it (copied in with feed(), and decoded in place), and the
// encoder round trip: every packet that decodes re-encodes to bytes that
// decode to the same packet.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "mqtt/codec.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace mqgate::mqtt;

namespace {

struct Outcome {
    std::vector<Packet> packets;
    std::error_code error;

    // Takes packets from `next` until it needs more bytes; false on an error.
    template <class Next>
    bool drain(Next&& next) {
        for (;;) {
            Packet p;
            const auto st = next(p, error);
            if (st == Decoder::Status::error) return false;
            if (st == Decoder::Status::need_more) return true;
            packets.push_back(std::move(p));
        }
    }
};

Outcome decode_copied(std::string_view stream, std::size_t max_packet, std::uint32_t seed) {
    Outcome out;
    Decoder decoder(max_packet);
    mqgate::fuzz::Splitter split(seed);
    while (!stream.empty()) {
        const auto n = split.next(stream.size());
        decoder.feed(stream.substr(0, n));
        stream.remove_prefix(n);
        if (!out.drain([&](Packet& p, std::error_code& ec) { return decoder.next(p, ec); })) return out;
        // Before its header is complete a packet may hold up to 4 bytes.
        FUZZ_CHECK(decoder.buffered() <= std::max<std::size_t>(max_packet, 4));
    }
    return out;
}

Outcome decode_in_place(std::string_view stream, std::size_t max_packet, std::uint32_t seed) {
    Outcome out;
    Decoder decoder(max_packet);
    mqgate::fuzz::Splitter split(seed);
    while (!stream.empty()) {
        const auto n = split.next(stream.size());
        // A chunk of its own, so ASan sees any read past what was handed in.
        const std::string chunk(stream.substr(0, n));
        stream.remove_prefix(n);
        std::string_view input = chunk;
        if (!out.drain([&](Packet& p, std::error_code& ec) { return decoder.next(input, p, ec); })) return out;
        FUZZ_CHECK(input.empty());
        decoder.shrink();
    }
    return out;
}

void check_round_trip(const Packet& p) {
    std::string wire;
    encode(p, wire);
    Decoder decoder;
    decoder.feed(wire);
    Packet again;
    std::error_code ec;
    FUZZ_CHECK(decoder.next(again, ec) == Decoder::Status::packet);
    FUZZ_CHECK(again == p);
    FUZZ_CHECK(decoder.buffered() == 0);
    std::string wire_again;
    encode(again, wire_again);
    FUZZ_CHECK(wire_again == wire);
    if (const auto* pub = std::get_if<Publish>(&p)) {
        std::string head;
        encode_publish_header(pub->dup, pub->qos, pub->retain, pub->topic, pub->packet_id, pub->payload.size(), head);
        FUZZ_CHECK(head + pub->payload == wire);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const auto seed = in.ConsumeIntegral<std::uint32_t>();
    // Mostly the default limit; sometimes a small one, so packet_too_large is reached.
    const auto limit_choice = in.ConsumeIntegral<std::uint8_t>();
    const std::size_t max_packet = limit_choice < 32 ? 2 + limit_choice * 4 : 1 << 20;
    const std::string stream = in.ConsumeRemainingBytesAsString();

    const auto copied = decode_copied(stream, max_packet, seed);
    const auto in_place = decode_in_place(stream, max_packet, seed ^ 0x9e3779b9u);
    // Where a stream is cut must not change what it decodes to.
    FUZZ_CHECK(copied.error == in_place.error);
    FUZZ_CHECK(copied.packets == in_place.packets);
    for (const auto& p : copied.packets) check_round_trip(p);

    // The single-packet entry point agrees with the framing one on the first packet.
    if (stream.size() >= 2) {
        Packet p;
        const auto ec = decode(static_cast<std::uint8_t>(stream[0]), std::string_view(stream).substr(2), p);
        if (!ec) check_round_trip(p);
    }
    validate_utf8(stream).message();
    return 0;
}
