#pragma once
// TLS set-up shared by the server, the clients and the harness: the
// throw-away certificate, the OpenSSL contexts, and the settings a run
// passes around. Includes Asio's SSL header: not for widely included files
// (transport.hpp forward-declares what it needs).
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/ssl/context.hpp>

namespace rtb {

enum class tls_version { v1_2, v1_3, any }; // any: what a browser offers, 1.2 and 1.3

// "1.2", "1.3", "any"; throws std::invalid_argument naming the value.
tls_version parse_tls_version(std::string_view s);
const char* tls_version_name(tls_version v);

// A certificate and its private key, PEM.
struct cert_pair {
    std::string kind; // "ecdsa-p256" or "rsa2048"
    std::string cert_pem, key_pem;
};

// A self-signed certificate for localhost and 127.0.0.1, valid one day,
// signed with SHA-256: made in memory for one run, never committed.
// kind: "ecdsa-p256" (the default) or "rsa2048"; throws
// std::invalid_argument otherwise.
cert_pair make_self_signed(std::string_view kind);
// Reads a PEM certificate and key from files; throws std::runtime_error.
cert_pair load_cert_files(const std::string& cert_file, const std::string& key_file);
// Writes both files, the key readable by the owner only.
void write_cert_files(const cert_pair& c, const std::string& cert_file, const std::string& key_file);
// SHA-256 fingerprint of the certificate, "AB:CD:..." as browsers show it.
std::string cert_fingerprint(const cert_pair& c);

// The server's context: `version` only (any: 1.2 and 1.3), session tickets
// on (OpenSSL's default: two per TLS 1.3 handshake), buffers released on
// idle connections.
std::shared_ptr<boost::asio::ssl::context> make_server_tls(const cert_pair& c, tls_version version);

// What every client of a run shares: a context that trusts only the run's
// certificate and checks the name "localhost", and whether a reconnect
// offers the previous connection's session (resumption).
struct tls_client {
    std::shared_ptr<boost::asio::ssl::context> ctx;
    std::string host = "localhost"; // SNI and the name checked
    bool resume = false;
};
std::shared_ptr<tls_client> make_client_tls(const cert_pair& trusted, tls_version offer, bool resume);
// For an external server (`run --target wss://`): its certificate checked
// for `host` (a name, or an IP address against the certificate's IP
// entries) against ca_file's certificates, or the system's when empty.
// Throws std::runtime_error naming what could not be read.
std::shared_ptr<tls_client> make_target_tls(const std::string& host, const std::string& ca_file, tls_version offer,
                                            bool resume);

// One client's resumable session: the ticket its last connection got, kept
// for the next. Attached to each SSL object of that client (ex_data), so the
// context's new-session callback knows where to put a ticket.
struct tls_session_slot {
    tls_session_slot() = default;
    tls_session_slot(const tls_session_slot&) = delete;
    tls_session_slot& operator=(const tls_session_slot&) = delete;
    ~tls_session_slot();
    struct ssl_session_st* session = nullptr; // SSL_SESSION, owned
};
// Before a client handshake: SNI, the name to check, and (with resume) the
// slot's session offered and the slot attached for the next ticket.
void tls_prepare_client(struct ssl_st* ssl, const tls_client& t, tls_session_slot* slot);
// The version a finished handshake negotiated: "1.2", "1.3" (OpenSSL's own
// name for anything else).
std::string negotiated_version(const struct ssl_st* ssl);

} // namespace rtb
