#include "mqtt/net/ws_framing.hpp"

#include <algorithm>

namespace mqgate::net {

namespace {
constexpr std::uint8_t op_continuation = 0x0, op_text = 0x1, op_binary = 0x2, op_close = 0x8, op_ping = 0x9,
                       op_pong = 0xA;

}  // namespace

const char* to_string(WsError e) noexcept {
    switch (e) {
    case WsError::none: return "none";
    case WsError::unmasked: return "unmasked client frame";
    case WsError::reserved_bits: return "reserved bits set";
    case WsError::text_message: return "text message (MQTT needs binary)";
    case WsError::bad_opcode: return "reserved opcode";
    case WsError::bad_control: return "malformed control frame";
    case WsError::bad_continuation: return "continuation out of order";
    case WsError::too_long: return "frame length out of range";
    }
    return "?";
}

std::size_t WsDeframer::header_size() const noexcept {
    // 2 bytes, the extended length, the mask key; known once the second byte is in.
    if (header_len_ < 2) return 2;
    const std::uint8_t len7 = header_[1] & 0x7f;
    const std::size_t extended = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    return 2 + extended + ((header_[1] & 0x80) ? 4 : 0);
}

bool WsDeframer::fail(WsError e, std::string& replies) {
    error_ = e;
    append_ws_close(replies, e == WsError::text_message ? 1003 : 1002);
    return false;
}

bool WsDeframer::start_frame(std::string& replies) {
    const std::uint8_t b0 = header_[0], b1 = header_[1];
    if (b0 & 0x70) return fail(WsError::reserved_bits, replies);
    if (!(b1 & 0x80)) return fail(WsError::unmasked, replies);
    const bool fin = (b0 & 0x80) != 0;
    opcode_ = b0 & 0x0f;
    std::uint64_t length = b1 & 0x7f;
    std::size_t at = 2;
    if (length == 126) {
        length = (std::uint64_t{header_[2]} << 8) | header_[3];
        at = 4;
    } else if (length == 127) {
        length = 0;
        for (int i = 0; i < 8; ++i) length = (length << 8) | header_[2 + i];
        if (length >> 63) return fail(WsError::too_long, replies);
        at = 10;
    }
    std::copy_n(header_.begin() + static_cast<std::ptrdiff_t>(at), 4, mask_.begin());
    mask_at_ = 0;
    remaining_ = length;
    switch (opcode_) {
    case op_text:
        if (mode_ == Mode::mqtt) return fail(WsError::text_message, replies);
        [[fallthrough]];
    case op_binary:
        if (in_message_) return fail(WsError::bad_continuation, replies);
        in_message_ = !fin;
        break;
    case op_continuation:
        if (!in_message_) return fail(WsError::bad_continuation, replies);
        in_message_ = !fin;
        break;
    case op_close:
    case op_ping:
    case op_pong:
        if (!fin || length > 125 || (opcode_ == op_close && length == 1)) return fail(WsError::bad_control, replies);
        control_.clear();
        break;
    default: return fail(WsError::bad_opcode, replies);
    }
    in_frame_ = true;
    return true;
}

void WsDeframer::end_control(std::string& replies) {
    in_frame_ = false;
    if (opcode_ == op_ping) {
        append_ws_control(replies, op_pong, control_);
    } else if (opcode_ == op_close) {
        // The answer echoes the status code (RFC 6455 5.5.1); the reason is not repeated.
        append_ws_control(replies, op_close, std::string_view(control_).substr(0, 2));
        closed_ = true;
    }
    control_.clear();
    control_.shrink_to_fit();  // an idle connection keeps no buffer
}

std::size_t WsDeframer::feed(char* data, std::size_t n, std::string& replies) {
    std::size_t out = 0;
    bool ended = false;
    run(data, n, replies, out, false, ended);
    return out;
}

std::size_t WsDeframer::feed_message(char* data, std::size_t n, std::string& replies, std::size_t& payload,
                                     bool& ended) {
    payload = 0;
    ended = false;
    return run(data, n, replies, payload, true, ended);
}

std::size_t WsDeframer::run(char* data, std::size_t n, std::string& replies, std::size_t& out, bool stop_at_end,
                            bool& ended) {
    std::size_t in = 0;
    while (in < n && !closed_ && error_ == WsError::none && !ended) {
        if (!in_frame_) {
            // Gather the header: its size is known once its second byte is in.
            while (in < n && header_len_ < header_size()) header_[header_len_++] = static_cast<std::uint8_t>(data[in++]);
            if (header_len_ < header_size()) break;
            header_len_ = 0;
            if (!start_frame(replies)) break;
            if (remaining_ == 0 && opcode_ >= op_close) end_control(replies);
            else if (remaining_ == 0) end_data(stop_at_end, ended);
            continue;
        }
        const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, n - in));
        if (opcode_ >= op_close) {
            for (std::size_t i = 0; i < take; ++i) control_ += static_cast<char>(data[in + i] ^ mask_[(mask_at_ + i) & 3]);
        } else {
            // Unmasked and moved down over the headers already read (out <= in).
            for (std::size_t i = 0; i < take; ++i) data[out + i] = static_cast<char>(data[in + i] ^ mask_[(mask_at_ + i) & 3]);
            out += take;
        }
        mask_at_ = static_cast<std::uint8_t>((mask_at_ + take) & 3);
        in += take;
        remaining_ -= take;
        if (remaining_ == 0) {
            if (opcode_ >= op_close) end_control(replies);
            else end_data(stop_at_end, ended);
        }
    }
    return in;
}

void WsDeframer::end_data(bool stop_at_end, bool& ended) noexcept {
    in_frame_ = false;
    // The frame had FIN: its message is whole.
    if (stop_at_end && !in_message_) ended = true;
}

namespace {
// A server frame's header (unmasked): `first` (FIN, RSV, opcode), then the
// shortest length encoding of `size`, written to `out`; returns its length
// (2, 4 or 10).
std::size_t frame_header(std::uint8_t first, std::uint64_t size, char* out) noexcept {
    out[0] = static_cast<char>(first);
    if (size < 126) {
        out[1] = static_cast<char>(size);
        return 2;
    }
    if (size <= 0xffff) {
        out[1] = 126;
        out[2] = static_cast<char>(size >> 8);
        out[3] = static_cast<char>(size & 0xff);
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<char>((size >> (56 - 8 * i)) & 0xff);
    return 10;
}
}  // namespace

std::size_t ws_binary_header(std::uint64_t size, std::array<char, 10>& out) noexcept {
    return frame_header(0x80 | op_binary, size, out.data());  // FIN, binary; a server does not mask
}

void append_ws_text(std::string& out, std::string_view text, bool compressed) {
    char header[10];
    out.append(header, frame_header(compressed ? 0xC1 : 0x81, text.size(), header));  // FIN, [RSV1,] text
    out.append(text);
}

void append_ws_control(std::string& out, std::uint8_t opcode, std::string_view payload) {
    const std::size_t n = std::min<std::size_t>(payload.size(), 125);
    out += static_cast<char>(0x80 | opcode);
    out += static_cast<char>(n);
    out.append(payload.data(), n);
}

void append_ws_close(std::string& out, std::uint16_t code, std::string_view reason) {
    std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
    payload.append(reason.substr(0, 123));  // a control frame carries at most 125 bytes
    append_ws_control(out, op_close, payload);
}

}  // namespace mqgate::net
