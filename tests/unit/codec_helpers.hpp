// Helpers shared by the codec and Decoder tests: hand-written bytes, a
// packet's wire form, and one complete packet run through the Decoder.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <system_error>

#include "mqtt/codec.hpp"

namespace mqgate::mqtt::codec_test {

inline std::string bytes(std::initializer_list<int> list) {
    std::string s;
    for (const int b : list) s.push_back(static_cast<char>(b));
    return s;
}

inline std::string wire(const Packet& p) {
    std::string out;
    encode(p, out);
    return out;
}

struct Result {
    std::error_code ec;
    Packet packet;
};

// Runs a complete wire packet through the Decoder, the path every transport
// uses; expects exactly one packet or an error and nothing left over.
inline Result decode_wire(const std::string& w, std::size_t max_packet_size = max_remaining_length + 5) {
    Decoder d(max_packet_size);
    d.feed(w);
    Result r;
    const auto status = d.next(r.packet, r.ec);
    if (status == Decoder::Status::need_more) {
        ADD_FAILURE() << "decoder wants more bytes";
    } else if (status == Decoder::Status::packet) {
        EXPECT_EQ(d.buffered(), 0u);
    }
    return r;
}

}  // namespace mqgate::mqtt::codec_test
