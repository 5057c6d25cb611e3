// A bad line in a password, ACL or token file. Start-up stops with it
// (exit 2); a reload keeps the previous state and logs it.
#pragma once

#include <stdexcept>
#include <string>

namespace mqgate::config {

class AuthFileError : public std::runtime_error {
public:
    // line 0: the file as a whole (cannot open, cannot write).
    AuthFileError(std::string file, std::size_t line, std::string reason)
        : std::runtime_error(message(file, line, reason)),
          file_(std::move(file)),
          line_(line),
          reason_(std::move(reason)) {}
    const std::string& file() const noexcept { return file_; }
    std::size_t line() const noexcept { return line_; }
    const std::string& reason() const noexcept { return reason_; }

private:
    // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) on
    // the inlined `":" + std::to_string(line)` of a one-expression concatenation.
    static std::string message(const std::string& file, std::size_t line, const std::string& reason) {
        std::string m = file;
        if (line) m.append(":").append(std::to_string(line));
        return m.append(": ").append(reason);
    }

    std::string file_;
    std::size_t line_;
    std::string reason_;
};

}  // namespace mqgate::config
