// The MQTT 3.1.1 wire codec: pure functions over bytes. No sockets, no Asio.
// This is the fuzz target, so every malformed input must map to an Errc and
// never to undefined behaviour.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "mqtt/errors.hpp"
#include "mqtt/packet.hpp"

namespace mqgate::mqtt {

inline constexpr std::size_t max_remaining_length = 268'435'455;

// Decodes one complete packet: `first_byte` is the fixed header's first byte
// and `body` exactly the Remaining Length bytes that followed it.
// Validates every rule that can be checked from the packet alone.
std::error_code decode(std::uint8_t first_byte, std::string_view body, Packet& out);

// Appends the wire form of `p` to `out`.
void encode(const Packet& p, std::string& out);

// Appends only the fixed header and variable header of a PUBLISH (everything
// but the payload), so a writer can send header + shared payload with
// scatter/gather and one payload serves every subscriber.
void encode_publish_header(bool dup, std::uint8_t qos, bool retain, std::string_view topic,
                           std::uint16_t packet_id, std::size_t payload_size, std::string& out);

// Appends a remaining-length varint (value <= max_remaining_length).
void encode_remaining_length(std::size_t value, std::string& out);

// Incremental framing: bytes go in split at any boundary, whole packets come
// out. Each packet's fields are copied out once by decode(); bytes are first
// appended into an internal buffer, unless next(input, ...) decodes them in place.
class Decoder {
public:
    explicit Decoder(std::size_t max_packet_size = max_remaining_length + 5) noexcept
        : max_packet_size_(clamp_size(max_packet_size)) {}

    // A server's decoder: the first packet must be a CONNECT [MQTT-3.1.0-1] of
    // at most `max_connect_size` bytes. Both are checked on the fixed header,
    // before anything more of the packet is buffered (Errc::first_packet_not_connect
    // on the first byte, Errc::connect_too_large on the remaining length): a
    // peer that has not authenticated cannot make the server hold up to
    // max_packet_size for it.
    Decoder(std::size_t max_packet_size, std::size_t max_connect_size) noexcept
        : max_packet_size_(clamp_size(max_packet_size)),
          connect_limit_(std::max<std::uint32_t>(1, clamp_size(std::min(max_connect_size, max_packet_size)))) {}

    void feed(std::string_view bytes);

    enum class Status { packet, need_more, error };
    // Status::packet: `out` holds the next packet. Status::error: `ec` says why;
    // the stream is unusable from then on.
    Status next(Packet& out, std::error_code& ec);

    // As feed(input) then next(), without the copy while the decoder holds no
    // unfinished packet: whole packets are decoded straight out of `input`,
    // which is advanced past them. Only an unfinished packet is copied in
    // (input is then empty), so a connection whose reads hold whole packets
    // needs no buffer at all. A caller that stops before need_more must
    // feed() what is left of `input` if it is to be decoded later.
    Status next(std::string_view& input, Packet& out, std::error_code& ec);

    // Bytes received but not yet consumed by next() (bounded by max_packet_size
    // once a complete header has been seen).
    std::size_t buffered() const noexcept { return size_ - consumed_; }

    // Frees the buffer unless it holds part of a packet: an idle connection
    // then keeps none (memory per idle connection).
    void shrink() noexcept {
        if (buffered() != 0) return;
        buffer_.reset();
        capacity_ = size_ = consumed_ = 0;
    }

private:
    static std::uint32_t clamp_size(std::size_t n) noexcept {
        return static_cast<std::uint32_t>(std::min<std::size_t>(n, max_remaining_length + 5));
    }
    // Frames and decodes the packet at the start of `avail`; `used` is its size.
    Status frame(std::string_view avail, Packet& out, std::size_t& used, std::error_code& ec);

    // 32-bit sizes and a bare array rather than a std::string: a packet is at
    // most 256 MiB [MQTT-2.2.3], and every connection holds a decoder (memory
    // per idle connection).
    std::uint32_t max_packet_size_;
    std::uint32_t consumed_ = 0;
    std::uint32_t size_ = 0;
    std::uint32_t capacity_ = 0;
    std::unique_ptr<char[]> buffer_;
    Errc error_ = Errc::ok;  // sticky: framing is lost after the first error
    // Until the first packet is decoded: its maximum size, the first packet
    // having to be a CONNECT. 0: no such rule (a client's decoder), or it is
    // done. In what was padding: the decoder stays 32 bytes.
    std::uint32_t connect_limit_ = 0;
};

// UTF-8 string rules of §1.5.3 with the server's POLICY (reject controls
// U+0001..U+001F, U+007F..U+009F and non-characters, as Mosquitto does).
std::error_code validate_utf8(std::string_view s) noexcept;

}  // namespace mqgate::mqtt
