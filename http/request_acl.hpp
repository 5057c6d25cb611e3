// Who may send a request to devices (POST /api/v1/requests and the JSON
// stream's "request" op): publish rights on each request topic and subscribe
// rights on each response topic (a command may have none), under the one
// ACL, as a device would need. POST /api/v1/commands uses it too.
#pragma once

#include <optional>
#include <string>

#include "control/request_json.hpp"
#include "http/router.hpp"

namespace mqgate::http {

// The "forbidden" message for the first topic the caller may not use; nullopt when all are allowed.
std::optional<std::string> request_acl_denial(const Caller& caller, const control::Plan& plan);

}  // namespace mqgate::http
