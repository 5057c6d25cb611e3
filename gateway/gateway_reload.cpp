// SIGHUP. Each part reloads on its own and keeps its previous state when the
// new one is bad, so a typo never takes the gateway down or drops a client.
#include <fstream>
#include <sstream>

#include "gateway/gateway.hpp"
#include "support/log.hpp"

namespace mqgate::gateway {

void Gateway::reload() {
    LOG_INFO("SIGHUP: reloading");
    reload_tls();
    reload_auth();
    reload_bridges();
    reload_webhooks();
}

config::Config Gateway::reread_config() const {
    config::Config fresh = config_;
    if (config_.file.empty()) return fresh;
    // The whole lists come from the file: a file without "webhooks" or "bridges" has none.
    fresh.webhooks.clear();
    fresh.bridges.clear();
    std::ifstream in(config_.file, std::ios::binary);
    if (!in) throw std::runtime_error(config_.file + ": cannot open");
    std::ostringstream text;
    text << in.rdbuf();
    config::apply_json_text(fresh, text.str(), config_.file);
    return fresh;
}

void Gateway::reload_webhooks() {
    if (config_.file.empty()) return;  // no file, nothing that could have changed
    try {
        webhooks_->reload(reread_config().webhooks);
    } catch (const std::exception& e) {
        LOG_ERROR("reload of webhooks failed, keeping the previous ones: " << e.what());
    }
}

void Gateway::reload_auth() {
    try {
        // The auth section is read again from the config file, then the files it names.
        const config::AuthOptions options = reread_config().auth;
        auto state = config::load_auth_state(options);
        const std::size_t users = state->users ? state->users->size() : 0;
        const std::size_t tokens = state->tokens.size();
        auth_->replace(std::move(state));
        LOG_INFO("reloaded " << users << " user(s), " << tokens << " API token(s)"
                             << (options.acl_file.empty() ? ", no ACL" : ", ACL " + options.acl_file));
    } catch (const std::exception& e) {
        LOG_ERROR("reload of users, tokens and ACL failed, keeping the previous ones: " << e.what());
    }
}

void Gateway::reload_bridges() {
    try {
        const std::size_t changed = bridges_->reload(reread_config());
        LOG_INFO("reloaded bridges: " << changed << " started or stopped");
    } catch (const std::exception& e) {
        LOG_ERROR("reload of the bridges failed, keeping the previous ones: " << e.what());
    }
}

}  // namespace mqgate::gateway
