#include "support/json_check.hpp"

#include <set>
#include <vector>

#include <nlohmann/json.hpp>

namespace mqgate::json_check {
namespace {

using nlohmann::json;

// Reads without building a value; any method answering false stops the parse.
class Checker final : public nlohmann::json_sax<json> {
public:
    explicit Checker(std::size_t max_depth) : max_depth_(max_depth) {}

    std::optional<Defect> defect;

    bool null() override { return value(); }
    bool boolean(bool) override { return value(); }
    bool number_integer(number_integer_t) override { return value(); }
    bool number_unsigned(number_unsigned_t) override { return value(); }
    bool number_float(number_float_t, const string_t&) override { return value(); }
    bool string(string_t&) override { return value(); }
    bool binary(binary_t&) override { return value(); }
    bool start_object(std::size_t) override { return open(true); }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(false); }
    bool end_array() override { return close(); }

    bool key(string_t& name) override {
        auto& frame = frames_.back();
        frame.key = name;
        if (frame.keys.insert(name).second) return true;
        defect = Defect{Defect::Kind::duplicate_key, "duplicate key '" + name + "'", path()};
        return false;
    }

    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
        // what() is "[json.exception.parse_error.101] parse error at line L, column C: ..."
        std::string reason = e.what();
        if (const auto pos = reason.find("] "); pos != std::string::npos) reason.erase(0, pos + 2);
        defect = Defect{Defect::Kind::syntax, std::move(reason), {}};
        return false;
    }

private:
    struct Frame {
        bool object;
        std::set<std::string, std::less<>> keys;
        std::string key;        // object: the member being read
        std::size_t index = 0;  // array: the element being read
    };

    // A value of the enclosing array (if any) is complete or about to start.
    bool value() {
        if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
        return true;
    }

    bool open(bool object) {
        if (frames_.size() >= max_depth_) {
            defect = Defect{Defect::Kind::too_deep,
                            "nesting deeper than " + std::to_string(max_depth_) + " levels", path()};
            return false;
        }
        frames_.push_back(Frame{object, {}, {}, 0});
        return true;
    }

    bool close() {
        frames_.pop_back();
        return value();
    }

    std::string path() const {
        std::string out;
        for (const auto& f : frames_) {
            if (f.object) {
                if (!out.empty()) out += '.';
                out += f.key;
            } else {
                out += '[' + std::to_string(f.index) + ']';
            }
        }
        return out;
    }

    std::size_t max_depth_;
    std::vector<Frame> frames_;
};

}  // namespace

std::optional<Defect> check(std::string_view text, bool allow_comments, std::size_t max_depth) {
    Checker checker(max_depth);
    json::sax_parse(text.begin(), text.end(), &checker, json::input_format_t::json, true, allow_comments);
    return std::move(checker.defect);
}

}  // namespace mqgate::json_check
