// RFC 6455 framing for the server side of MQTT over plain WebSocket (/mqtt
// over ws://), without Beast on the data path: once Beast has done the
// handshake, the connection goes back to the TCP path (an epoll-watched socket
// read into its thread's buffer), and this turns what the client sends into
// the MQTT bytes the decoder reads, and what the broker sends into one binary
// frame per write. Pure: no sockets, tested and fuzzed on its own.
//
// [MQTT-6.0.0-1]: MQTT travels in binary messages; a text message closes the
// connection. [MQTT-6.0.0-2]: the bytes of the binary messages form one
// stream, whatever their framing: packets may span frames and several may
// share one, so frame and packet boundaries are ignored here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mqgate::net {

enum class WsError : std::uint8_t {
    none,
    unmasked,          // a client frame must be masked (RFC 6455 5.1)
    reserved_bits,     // RSV1-3 set: no extension was agreed
    text_message,      // [MQTT-6.0.0-1]
    bad_opcode,        // a reserved opcode
    bad_control,       // a control frame fragmented or over 125 bytes, a close of 1 byte
    bad_continuation,  // a continuation with no message open, or a message while one is open
    too_long,          // a 64-bit length with its top bit set
};

const char* to_string(WsError e) noexcept;

class WsDeframer {
public:
    // Unmasks the payload of the binary messages in data[0, n) and moves it
    // to the front: returns how many bytes of data are MQTT bytes now. What
    // control frames ask for is appended to `replies` as frames to send (a
    // pong for each ping, the answer to a close). After a close frame or an
    // error nothing more is read: `closed()` or `error()` says so, and
    // `replies` then holds the close frame to send (1002 for a protocol
    // error, 1003 for a text message).
    std::size_t feed(char* data, std::size_t n, std::string& replies);

    bool closed() const noexcept { return closed_; }
    WsError error() const noexcept { return error_; }

private:
    bool fail(WsError e, std::string& replies);
    // The header in header_ is whole: checks it and sets up the frame.
    bool start_frame(std::string& replies);
    void end_control(std::string& replies);
    std::size_t header_size() const noexcept;

    std::uint64_t remaining_ = 0;   // payload bytes of the current frame still to come
    std::array<std::uint8_t, 14> header_{};
    std::uint8_t header_len_ = 0;   // bytes of the next frame's header gathered so far
    std::uint8_t opcode_ = 0;       // the current frame's
    std::uint8_t mask_at_ = 0;      // index into mask_ of the next payload byte
    bool in_frame_ = false;         // past the header, in the payload
    bool in_message_ = false;       // a binary message is open (its last frame not seen)
    bool closed_ = false;
    WsError error_ = WsError::none;
    std::array<std::uint8_t, 4> mask_{};
    std::string control_;           // a control frame's payload (at most 125 bytes)
};

// The header of an unmasked, final binary frame of `size` payload bytes, as a
// server sends it, written to `out`; returns its length (2, 4 or 10).
std::size_t ws_binary_header(std::uint64_t size, std::array<char, 10>& out) noexcept;

// Appends an unmasked control frame (opcode 0x8 close, 0x9 ping, 0xA pong)
// with `payload` (at most 125 bytes) to `out`.
void append_ws_control(std::string& out, std::uint8_t opcode, std::string_view payload);

}  // namespace mqgate::net
