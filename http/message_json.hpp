// A broker message as the JSON stream and SSE send it, made once per message
// and shared by every stream that receives it in the same form.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "mqtt/message.hpp"

namespace mqgate::http {

// {"type":"message","topic",...} for `msg` at `qos` with the stream's retain
// flag. The broker hands one message to all its stream subscribers one after
// another on one thread, so the text is kept per thread for the last message
// seen at each (qos, retained): the first stream pays for the JSON, the
// others share it.
std::shared_ptr<const std::string> message_json(const mqtt::MessagePtr& msg, std::uint8_t qos, bool retained);

}  // namespace mqgate::http
