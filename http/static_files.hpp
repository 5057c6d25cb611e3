// The dashboard: the files under web/, embedded in the binary at build time
// (cmake/embed_web.cmake generates the table), so mqgate serves it anywhere
// without files on disk.
#pragma once

#include <span>
#include <string_view>

#include "http/router.hpp"

namespace mqgate::http {

struct StaticFile {
    std::string_view path;  // "/index.html", "/assets/app.css": the URL path, exactly
    std::string_view content_type;
    std::string_view body;
    std::string_view etag;  // quoted strong validator: a hash of the body
};

// Sorted by path. Defined in the generated web_files.cpp.
std::span<const StaticFile> embedded_files() noexcept;

// The router's fallback: GET/HEAD of an embedded file ("/" is /index.html),
// with ETag / If-None-Match (304). Paths are looked up verbatim in the table,
// never decoded or resolved, so no spelling of ".." can reach the disk.
// Unknown paths get the 404 page, or the JSON error under /api/.
Response serve_static_file(const Request& request);

}  // namespace mqgate::http
