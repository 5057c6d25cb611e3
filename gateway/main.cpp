#include <iostream>
#include <string_view>

#include "config/auth_file_error.hpp"
#include "config/authorizer.hpp"
#include "config/config.hpp"
#include "config/passwd_command.hpp"
#include "gateway/bind_listener.hpp"
#include "gateway/gateway.hpp"
#include "gateway/storage.hpp"
#include "support/log.hpp"

namespace {

// Start-up errors may quote a bad file's content: no raw control bytes on the terminal.
int fail(const std::exception& e, int code) {
    std::cerr << "mqgate: " << mqgate::log::escape_controls(e.what()) << '\n';
    return code;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace mqgate;
    if (argc >= 2 && std::string_view(argv[1]) == "passwd") return config::passwd_command(argc - 2, argv + 2);
    config::Invocation invocation;
    try {
        invocation = config::load_config(argc, argv);
    } catch (const config::ConfigError& e) {
        fail(e, 2);
        if (e.source() == "command line") std::cerr << config::usage();
        return 2;
    }
    switch (invocation.action) {
        case config::Action::help: std::cout << config::usage(); return 0;
        case config::Action::version: std::cout << "mqgate " << MQGATE_VERSION << '\n'; return 0;
        case config::Action::check_config:
            try {
                config::load_auth_state(invocation.config.auth);  // the password, ACL and token files too
                gateway::check_tls_files(invocation.config);       // and the TLS certificates and keys
                gateway::check_storage(invocation.config);         // and the store's file
            } catch (const config::AuthFileError& e) {
                return fail(e, 2);
            } catch (const config::ConfigError& e) {
                return fail(e, 2);
            }
            std::cout << config::to_json(invocation.config).dump(2) << '\n';
            return 0;
        case config::Action::run: break;
    }
    log::set_level(invocation.config.log_level);
    try {
        gateway::Gateway gateway(std::move(invocation.config), MQGATE_VERSION);
        return gateway.run();
    } catch (const config::AuthFileError& e) {
        return fail(e, 2);
    } catch (const config::ConfigError& e) {  // a TLS listener's certificate or key file
        return fail(e, 2);
    } catch (const gateway::ListenError& e) {  // the address is taken or not this host's
        return fail(e, 2);
    } catch (const store::StoreError& e) {  // the store's file: unreadable, foreign, newer or corrupt
        return fail(e, 2);
    } catch (const std::exception& e) {
        return fail(e, 1);
    }
}
