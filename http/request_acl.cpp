#include "http/request_acl.hpp"

#include "mqtt/auth.hpp"

namespace mqgate::http {

std::optional<std::string> request_acl_denial(const Caller& caller, const control::Plan& plan) {
    if (!caller.may) return std::nullopt;
    for (const auto& e : plan.exchanges) {
        if (!caller.may(e.topic, mqtt::Access::write))
            return "the ACL does not let '" + caller.name + "' publish to '" + e.topic + "'";
        if (!e.response_topic.empty() && !caller.may(e.response_topic, mqtt::Access::read))
            return "the ACL does not let '" + caller.name + "' subscribe to '" + e.response_topic + "'";
    }
    return std::nullopt;
}

}  // namespace mqgate::http
