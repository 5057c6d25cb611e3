// Command-line flags of mqgate-bench: `--name value` pairs, every one checked,
// unknown ones refused so a typo never silently runs a different benchmark.
#pragma once

#include <map>
#include <set>
#include <string>

namespace mqgate::bench {

class Args {
public:
    Args(int argc, char** argv, int first);  // throws std::runtime_error

    std::string str(const std::string& name, const std::string& fallback);
    long integer(const std::string& name, long fallback);
    double number(const std::string& name, double fallback);

    // Throws when a flag was given that the scenario did not ask for; every
    // scenario calls it once it has read its flags, before it starts work, so
    // a mistyped flag fails at once instead of after a long run.
    void check_all_used() const;

private:
    std::map<std::string, std::string> values_;
    std::set<std::string> used_;
};

}  // namespace mqgate::bench
