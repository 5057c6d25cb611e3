#include "config/passwd_command.hpp"

#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "config/password_file.hpp"

namespace mqgate::config {
namespace {

constexpr const char* usage =
    "usage: mqgate passwd FILE USER      add USER or change its password\n"
    "       mqgate passwd -D FILE USER   delete USER\n"
    "The password is read twice from the terminal, or once from stdin when it is not a terminal.\n";

std::optional<std::string> read_line(std::istream& in) {
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

std::optional<std::string> prompt_without_echo(const char* prompt) {
    termios saved{};
    const bool tty = ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (tty) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::cerr << prompt << std::flush;
    auto line = read_line(std::cin);
    if (tty) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        std::cerr << '\n';
    }
    return line;
}

std::optional<std::string> read_password() {
    if (!::isatty(STDIN_FILENO)) {
        auto line = read_line(std::cin);
        if (!line) std::cerr << "mqgate passwd: no password on stdin\n";
        return line;
    }
    auto first = prompt_without_echo("Password: ");
    auto second = first ? prompt_without_echo("Reenter password: ") : std::nullopt;
    if (!first || !second) {
        std::cerr << "mqgate passwd: no password entered\n";
        return std::nullopt;
    }
    if (*first != *second) {
        std::cerr << "mqgate passwd: the passwords do not match\n";
        return std::nullopt;
    }
    return first;
}

}  // namespace

int passwd_command(int argc, const char* const* argv) {
    std::vector<std::string> args(argv, argv + argc);
    bool remove = false;
    if (!args.empty() && args.front() == "-D") {
        remove = true;
        args.erase(args.begin());
    }
    if (args.size() != 2 || args[0].starts_with("-")) {
        std::cerr << usage;
        return 2;
    }
    const std::string& path = args[0];
    const std::string& user = args[1];
    if (auto why = check_username(user); !why.empty()) {
        std::cerr << "mqgate passwd: " << why << '\n';
        return 2;
    }
    try {
        PasswordFile file = PasswordFile::load(path, /*missing_ok=*/!remove);
        if (remove) {
            if (!file.erase(user)) {
                std::cerr << "mqgate passwd: no user '" << user << "' in " << path << '\n';
                return 1;
            }
        } else {
            const auto password = read_password();
            if (!password) return 1;
            if (password->empty()) {
                std::cerr << "mqgate passwd: the password is empty\n";
                return 2;
            }
            file.set(user, hash_password(*password));
        }
        file.save(path);
    } catch (const AuthFileError& e) {
        std::cerr << "mqgate passwd: " << e.what() << '\n';
        return e.line() ? 2 : 1;
    }
    return 0;
}

}  // namespace mqgate::config
