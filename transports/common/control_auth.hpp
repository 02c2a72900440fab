#pragma once
// Who may use the harness's remote control (/control/*), which can stop the
// publisher and disconnect clients: nobody, unless the server was started
// with control on, and then only a request that
//   - carries the run's token in the Rtb-Control-Token header (never in the
//     URL, which lands in logs and browser history),
//   - names this server in Host (127.0.0.1, localhost, [::1] or the bound
//     address, with its port): a DNS-rebinding page names its own host,
//   - comes from no foreign Origin: a cross-site form or fetch from a page
//     in the user's own browser carries the page's origin.
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/fields.hpp>

#include "harness/control_client.hpp" // the header name and random_token()

namespace rtb {

// Why a request names a host other than this server ("" when it does not).
std::string foreign_host(const boost::beast::http::fields& h, std::string_view bind, unsigned port);

// Why a request may not use /control/* (nullopt: it may).
std::optional<std::string> control_refusal(const boost::beast::http::fields& h, std::string_view token,
                                           std::string_view bind, unsigned port);

} // namespace rtb
