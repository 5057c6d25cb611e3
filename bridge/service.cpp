#include "bridge/service.hpp"

#include <boost/asio/ssl/context.hpp>

namespace mqgate::bridge {

namespace asio = boost::asio;

std::shared_ptr<asio::ssl::context> client_tls_context(const config::BridgeOptions& o, std::size_t index,
                                                       const std::string& source) {
    auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                         asio::ssl::context::no_tlsv1_1);
    const std::string key = "bridges[" + std::to_string(index) + "].tls.";
    const auto load = [&](const char* field, auto step) {
        try {
            step();
        } catch (const boost::system::system_error& e) {
            throw config::ConfigError(source, key + field, e.code().message());
        }
    };
    if (o.tls_ca.empty()) load("ca", [&] { context->set_default_verify_paths(); });
    else load("ca", [&] { context->load_verify_file(o.tls_ca); });
    if (!o.tls_cert.empty()) {
        load("cert", [&] { context->use_certificate_chain_file(o.tls_cert); });
        load("key", [&] { context->use_private_key_file(o.tls_key, asio::ssl::context::pem); });
    }
    return context;
}

BridgeService::BridgeService(const config::Config& config, mqtt::Broker& broker, net::IoPool& pool) {
    const std::string source = config.file.empty() ? "configuration" : config.file;
    for (std::size_t i = 0; i < config.bridges.size(); ++i) {
        const auto& options = config.bridges[i];
        auto tls = options.tls ? client_tls_context(options, i, source) : nullptr;
        std::string client_id = options.client_id.empty() ? config.node_name + "-" + options.name : options.client_id;
        clients_.push_back(std::make_shared<BridgeClient>(options, std::move(client_id), broker, pool.next(),
                                                          std::move(tls)));
    }
}

BridgeService::~BridgeService() { stop(); }

void BridgeService::start() {
    for (const auto& client : clients_) client->start();
}

void BridgeService::stop() {
    if (stopped_) return;
    stopped_ = true;
    for (const auto& client : clients_) client->stop();
}

std::vector<std::pair<std::string, BridgeStatus>> BridgeService::statuses() const {
    std::vector<std::pair<std::string, BridgeStatus>> out;
    for (const auto& client : clients_) out.emplace_back(client->options().name, client->status());
    return out;
}

nlohmann::json BridgeService::list_json() const {
    nlohmann::json data = nlohmann::json::array();
    for (const auto& client : clients_) {
        const auto& o = client->options();
        const BridgeStatus s = client->status();
        nlohmann::json addresses = nlohmann::json::array();
        for (const auto& a : o.addresses) addresses.push_back(a.text());
        data.push_back({{"name", o.name},
                        {"state", to_string(s.state)},
                        {"address", s.address},
                        {"addresses", std::move(addresses)},
                        {"tls", o.tls},
                        {"client_id", client->client_id()},
                        {"last_error", s.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.last_error)},
                        {"connack_code", s.connack_code < 0 ? nlohmann::json(nullptr) : nlohmann::json(s.connack_code)},
                        {"refused", s.refused},
                        {"connected_at_ms", s.connected_at_ms ? nlohmann::json(s.connected_at_ms) : nlohmann::json(nullptr)},
                        {"retry_at_ms", s.retry_at_ms ? nlohmann::json(s.retry_at_ms) : nlohmann::json(nullptr)},
                        {"forwarded_out", s.forwarded_out},
                        {"forwarded_in", s.forwarded_in},
                        {"queued", s.queued},
                        {"queued_bytes", s.queued_bytes},
                        {"dropped", s.dropped},
                        {"failures", s.failures}});
    }
    const auto count = data.size();
    return {{"data", std::move(data)}, {"meta", {{"page", 1}, {"limit", count}, {"count", count}}}};
}

}  // namespace mqgate::bridge
