// The OpenAPI 3.0 description of every route add_api_routes() serves.
#pragma once

#include <string>

namespace mqgate::http {

const std::string& openapi_document();

}  // namespace mqgate::http
