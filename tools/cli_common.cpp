#include "tools/cli_common.hpp"

#include <fmt/format.h>

#include "harness/tls.hpp"

namespace rtb {

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= s.size()) {
        auto c = s.find(',', start);
        auto item = s.substr(start, c == std::string::npos ? std::string::npos : c - start);
        if (!item.empty()) out.push_back(item);
        if (c == std::string::npos) break;
        start = c + 1;
    }
    return out;
}

std::vector<const transport_descriptor*> select_transports(const std::string& list) {
    std::vector<const transport_descriptor*> out;
    // "all": rtbench's own transports; "peers": the servers people run.
    if (list == "all" || list == "peers") {
        for (auto* t : list == "all" ? all_transports() : all_peers()) out.push_back(t);
        return out;
    }
    for (auto& name : split_list(list)) {
        auto* t = find_transport(name);
        if (!t) {
            std::string known;
            for (auto table : {all_transports(), all_peers()})
                for (auto* k : table) known += (known.empty() ? "" : ", ") + std::string(k->name);
            throw usage_error("unknown transport '" + name + "' (known: " + known + ", all or peers)");
        }
        out.push_back(t);
    }
    if (out.empty()) throw usage_error("--transport needs at least one name");
    return out;
}

void add_tls_server_options(CLI::App* cmd, bool& tls, std::string& version, std::string& cert) {
    cmd->add_flag("--tls", tls, "Every transport over TLS (https://, wss://) with OpenSSL, on a throw-away self-signed "
                                "certificate for localhost made at start (never written outside the run folder or a "
                                "temporary directory)")->group("TLS");
    cmd->add_option("--tls-cert", cert, "Key of the throw-away certificate: ecdsa-p256 or rsa2048")
        ->capture_default_str()->check(CLI::IsMember({"ecdsa-p256", "rsa2048"}))->group("TLS");
    cmd->add_option("--tls-version", version, "TLS version the server accepts: 1.2, 1.3 or any (both)")
        ->capture_default_str()->group("TLS");
}

tls_version parse_tls_version_arg(const std::string& s) {
    try {
        return parse_tls_version(s);
    } catch (const std::invalid_argument& e) {
        throw usage_error(e.what());
    }
}

void option_flags::add(CLI::App* cmd, std::span<const transport_option> decls, const std::string& group,
                       bool server_only) {
    using side = transport_option::side;
    for (auto& d : decls) {
        if (server_only && d.reader == side::client) continue;
        std::string name = "--" + std::string(d.name);
        if (cmd->get_option_no_throw(name)) continue; // declared by an earlier transport
        auto& e = entries_.emplace_back(entry{&d});
        if (d.type == transport_option::kind::flag) {
            e.flag = cmd->add_flag(name, e.on, std::string(d.help));
        } else {
            std::string help(d.help);
            if (!d.unit.empty()) help += fmt::format(" [{}]", d.unit);
            e.flag = cmd->add_option(name, e.number, help)
                         ->default_str(std::to_string(d.default_value))
                         ->check(CLI::Range(d.min_value, d.max_value))
                         ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
        }
        e.flag->group(group);
    }
}

void option_flags::add_transports(CLI::App* cmd, bool server_only) {
    // `serve` (server_only) hosts rtbench's own transports; a peer's server
    // options go to the peer's own server, which `run` starts.
    for (auto table : {all_transports(), server_only ? std::span<const transport_descriptor* const>{} : all_peers()})
        for (auto* t : table) add(cmd, t->options, std::string(t->name) + " options", server_only);
}

option_values option_flags::values() const {
    option_values v;
    for (auto& e : entries_)
        if (e.flag->count() > 0)
            v.set(e.decl->name, e.decl->type == transport_option::kind::flag ? (e.on ? 1 : 0) : e.number);
    return v;
}

std::string option_flags::first_server_only() const {
    for (auto& e : entries_)
        if (e.flag->count() > 0 && e.decl->reader == transport_option::side::server) return "--" + std::string(e.decl->name);
    return {};
}

std::vector<std::string> option_flags::server_args() const {
    std::vector<std::string> args;
    for (auto& e : entries_) {
        if (e.flag->count() == 0 || e.decl->reader == transport_option::side::client) continue;
        if (e.decl->type == transport_option::kind::flag) {
            if (e.on) args.push_back("--" + std::string(e.decl->name));
        } else {
            args.push_back("--" + std::string(e.decl->name));
            args.push_back(std::to_string(e.number));
        }
    }
    return args;
}

} // namespace rtb
