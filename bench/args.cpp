#include "bench/args.hpp"

#include <stdexcept>

namespace mqgate::bench {

Args::Args(int argc, char** argv, int first) {
    for (int i = first; i < argc; ++i) {
        std::string flag = argv[i];
        if (!flag.starts_with("--")) throw std::runtime_error("expected a --flag, got " + flag);
        if (i + 1 >= argc) throw std::runtime_error(flag + " needs a value");
        values_[flag.substr(2)] = argv[++i];
    }
}

std::string Args::str(const std::string& name, const std::string& fallback) {
    used_.insert(name);
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
}

long Args::integer(const std::string& name, long fallback) {
    const auto s = str(name, "");
    if (s.empty()) return fallback;
    std::size_t end = 0;
    const long v = std::stol(s, &end);
    if (end != s.size() || v < 0) throw std::runtime_error("--" + name + " wants a non-negative integer");
    return v;
}

double Args::number(const std::string& name, double fallback) {
    const auto s = str(name, "");
    if (s.empty()) return fallback;
    std::size_t end = 0;
    const double v = std::stod(s, &end);
    if (end != s.size() || v < 0) throw std::runtime_error("--" + name + " wants a non-negative number");
    return v;
}

void Args::check_all_used() const {
    for (const auto& [name, value] : values_)
        if (!used_.contains(name)) throw std::runtime_error("unknown flag --" + name + " for this scenario");
}

}  // namespace mqgate::bench
