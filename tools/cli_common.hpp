#pragma once
// Helpers the subcommands share: comma lists, transport selection, exit
// codes, and the flags made from option declarations.
#include <deque>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "harness/transport.hpp"

namespace rtb {

enum class tls_version; // harness/tls.hpp

// Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 measured loss.
inline constexpr int exit_usage = 2;
inline constexpr int exit_loss = 3;

struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::vector<std::string> split_list(const std::string& s);
// "all" or a comma list of names; throws usage_error naming the unknown one.
std::vector<const transport_descriptor*> select_transports(const std::string& list);

// Flags made from option declarations (harness/options.hpp): the server
// core's settings and every registered transport's own, each transport's
// under its name in --help.
// --tls, --tls-version, --tls-cert, shared by serve and run.
void add_tls_server_options(CLI::App* cmd, bool& tls, std::string& version, std::string& cert);
// "1.2", "1.3" or "any" as a tls_version (an int here to keep OpenSSL out);
// throws usage_error.
tls_version parse_tls_version_arg(const std::string& s);

class option_flags {
public:
    // Adds `decls` to `cmd` under `group`; with server_only, just those the
    // server reads. A name two transports both declare is one flag.
    void add(CLI::App* cmd, std::span<const transport_option> decls, const std::string& group,
             bool server_only);
    // Every transport's options, grouped by transport.
    void add_transports(CLI::App* cmd, bool server_only);
    // After parsing: the values given on the command line.
    option_values values() const;
    // After parsing: the given options the server reads, as `serve` flags.
    std::vector<std::string> server_args() const;
    // After parsing: the first given option only a server reads ("--history"),
    // or empty: what cannot apply to a server rtbench did not start.
    std::string first_server_only() const;

private:
    struct entry {
        const transport_option* decl;
        std::uint64_t number = 0;
        bool on = false;
        CLI::Option* flag = nullptr;
    };
    std::deque<entry> entries_; // stable addresses: CLI11 writes into them
};

} // namespace rtb
