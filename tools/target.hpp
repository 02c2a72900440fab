#pragma once
// `rtbench run --target URL`: a server rtbench did not start. Its URL
// checked, its host resolved, and whether anything listens there, each
// failure one line (tools/README.md's "External targets").
#include <string>
#include <string_view>
#include <vector>

#include "harness/runner.hpp"

namespace rtb {

// The words of a space-separated list (a descriptor's target_schemes or
// target_scenarios), in order.
std::vector<std::string_view> words(std::string_view list);
// Whether such a list names `word`.
bool lists(std::string_view list, std::string_view word);
// wss and https: the URL says TLS.
bool tls_scheme(std::string_view scheme);

// The transport whose client speaks `scheme` (ws, wss, ...): nullptr if none.
const transport_descriptor* target_transport(const std::string& scheme);

// Splits and resolves URL (ws://host[:port]/path?query and the other
// schemes the transports list in target_schemes). A URL that is not one,
// a scheme no transport speaks, user info, or (unless any_host) a host
// that is not loopback (127.0.0.0/8, ::1) throws usage_error; a name that
// does not resolve throws std::runtime_error.
external_target parse_target_url(const std::string& url, bool any_host);

// A TCP connect to each of the target's addresses in turn, within
// timeout_s each: the first that answers becomes t.host; when none does,
// throws std::runtime_error saying what happened (refused, no answer).
void check_reachable(external_target& t, double timeout_s);

// One client of `client`, configured as the run's (cfg: headers, options,
// TLS), connects to the target as a load client will, within timeout_s: throws std::runtime_error with the
// client's reason (a certificate refused, the HTTP status of a refused
// upgrade) when it cannot, so a run never starts against a target that
// would fail every point.
void check_target_client(const external_target& t, const transport_descriptor& client, client_config cfg,
                         double timeout_s);

} // namespace rtb
