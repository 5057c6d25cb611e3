// Reading the password, ACL and token files: one place decides what counts
// as readable, so the three cannot drift apart.
#pragma once

#include <string>

#include "config/auth_file_error.hpp"

namespace mqgate::config {

// The whole file. Throws AuthFileError (line 0) when it cannot be opened or
// read, or is a directory: reading one yields no bytes on Linux, which would
// pass as an empty file (no users; an ACL that silently denies everything).
// A missing file reads as "" when `missing_ok` (mqgate passwd creates it).
std::string read_auth_file(const std::string& path, bool missing_ok = false);

}  // namespace mqgate::config
