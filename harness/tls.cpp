#include "harness/tls.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>

namespace rtb {
namespace ssl = boost::asio::ssl;

namespace {

template <class T, void (*Free)(T*)>
struct ossl_ptr {
    T* p = nullptr;
    explicit ossl_ptr(T* v) : p(v) {}
    ~ossl_ptr() { if (p) Free(p); }
    ossl_ptr(const ossl_ptr&) = delete;
    ossl_ptr& operator=(const ossl_ptr&) = delete;
    T* get() const { return p; }
};
using pkey_ptr = ossl_ptr<EVP_PKEY, EVP_PKEY_free>;
using x509_ptr = ossl_ptr<X509, X509_free>;
using bio_ptr = ossl_ptr<BIO, BIO_free_all>;

[[noreturn]] void fail(std::string_view what) {
    unsigned long e = ERR_get_error();
    char buf[256] = "";
    if (e) ERR_error_string_n(e, buf, sizeof buf);
    throw std::runtime_error(fmt::format("{}: {}", what, e ? buf : "OpenSSL error"));
}

std::string bio_text(BIO* b) {
    char* data = nullptr;
    long n = BIO_get_mem_data(b, &data);
    return std::string(data, static_cast<std::size_t>(n));
}

void add_ext(X509* x, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!ext || !X509_add_ext(x, ext, -1)) fail("certificate extension");
    X509_EXTENSION_free(ext);
}

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot read " + path);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

void set_versions(ssl::context& ctx, tls_version v) {
    int lo = v == tls_version::v1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
    int hi = v == tls_version::v1_2 ? TLS1_2_VERSION : TLS1_3_VERSION;
    SSL_CTX_set_min_proto_version(ctx.native_handle(), lo);
    SSL_CTX_set_max_proto_version(ctx.native_handle(), hi);
}

int resume_index() {
    static const int idx = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return idx;
}

// A new session (TLS 1.3: a ticket after the handshake) for the client
// whose slot the SSL object carries. A copy is kept: OpenSSL marks the
// connection's own session not resumable when the connection ends without
// a close_notify (a reset, or a client closing its socket), the TLS 1.2 rule
// (RFC 5246 7.2.1) that TLS 1.3 dropped and browsers do not apply.
int on_new_session(SSL* s, SSL_SESSION* sess) {
    auto* slot = static_cast<tls_session_slot*>(SSL_get_ex_data(s, resume_index()));
    if (!slot) return 0;
    SSL_SESSION* copy = SSL_SESSION_dup(sess);
    if (!copy) return 0;
    if (slot->session) SSL_SESSION_free(slot->session);
    slot->session = copy;
    return 0; // OpenSSL keeps (and frees) its own reference
}

} // namespace

tls_version parse_tls_version(std::string_view s) {
    if (s == "1.2") return tls_version::v1_2;
    if (s == "1.3") return tls_version::v1_3;
    if (s == "any") return tls_version::any;
    throw std::invalid_argument(fmt::format("unknown TLS version '{}' (1.2, 1.3 or any)", s));
}

const char* tls_version_name(tls_version v) {
    switch (v) {
    case tls_version::v1_2: return "1.2";
    case tls_version::v1_3: return "1.3";
    case tls_version::any: return "any";
    }
    return "?";
}

cert_pair make_self_signed(std::string_view kind) {
    EVP_PKEY* raw = nullptr;
    if (kind == "ecdsa-p256") raw = EVP_EC_gen("P-256");
    else if (kind == "rsa2048") raw = EVP_RSA_gen(2048);
    else throw std::invalid_argument(fmt::format("unknown certificate kind '{}' (ecdsa-p256 or rsa2048)", kind));
    if (!raw) fail("key generation");
    pkey_ptr key(raw);
    x509_ptr x(X509_new());
    if (!x.get()) fail("X509_new");
    X509_set_version(x.get(), 2); // v3
    unsigned char serial[8];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f; // positive
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x.get()));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x.get()), 24 * 3600);
    X509_set_pubkey(x.get(), key.get());
    X509_NAME* name = X509_get_subject_name(x.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("rtbench (throw-away)"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(x.get(), name);
    add_ext(x.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
    add_ext(x.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_ext(x.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
    add_ext(x.get(), NID_ext_key_usage, "serverAuth");
    if (!X509_sign(x.get(), key.get(), EVP_sha256())) fail("certificate signing");

    cert_pair c;
    c.kind = std::string(kind);
    bio_ptr cb(BIO_new(BIO_s_mem())), kb(BIO_new(BIO_s_mem()));
    if (!PEM_write_bio_X509(cb.get(), x.get())) fail("PEM certificate");
    if (!PEM_write_bio_PrivateKey(kb.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr)) fail("PEM key");
    c.cert_pem = bio_text(cb.get());
    c.key_pem = bio_text(kb.get());
    return c;
}

cert_pair load_cert_files(const std::string& cert_file, const std::string& key_file) {
    cert_pair c;
    c.kind = "file";
    c.cert_pem = read_file(cert_file);
    c.key_pem = read_file(key_file);
    return c;
}

void write_cert_files(const cert_pair& c, const std::string& cert_file, const std::string& key_file) {
    {
        std::ofstream f(cert_file, std::ios::binary | std::ios::trunc);
        f << c.cert_pem;
        if (!f) throw std::runtime_error("cannot write " + cert_file);
    }
    // The key: created empty with 0600 before anything is written to it.
    std::ofstream(key_file, std::ios::trunc).close();
    ::chmod(key_file.c_str(), 0600);
    std::ofstream f(key_file, std::ios::binary | std::ios::trunc);
    f << c.key_pem;
    if (!f) throw std::runtime_error("cannot write " + key_file);
}

std::string cert_fingerprint(const cert_pair& c) {
    bio_ptr b(BIO_new_mem_buf(c.cert_pem.data(), static_cast<int>(c.cert_pem.size())));
    x509_ptr x(PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr));
    if (!x.get()) fail("certificate");
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    X509_digest(x.get(), EVP_sha256(), md, &n);
    std::string out;
    for (unsigned i = 0; i < n; ++i) out += fmt::format("{}{:02X}", i ? ":" : "", md[i]);
    return out;
}

std::shared_ptr<ssl::context> make_server_tls(const cert_pair& c, tls_version version) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    set_versions(*ctx, version);
    boost::system::error_code ec;
    ctx->use_certificate_chain(boost::asio::buffer(c.cert_pem), ec);
    if (ec) throw std::runtime_error("TLS certificate: " + ec.message());
    ctx->use_private_key(boost::asio::buffer(c.key_pem), ssl::context::pem, ec);
    if (ec) throw std::runtime_error("TLS private key: " + ec.message());
    if (!SSL_CTX_check_private_key(ctx->native_handle())) fail("TLS certificate and key do not match");
    // An idle connection keeps no read/write buffers (about 34 KB each
    // otherwise): server memory per connection stays small.
    SSL_CTX_set_mode(ctx->native_handle(), SSL_MODE_RELEASE_BUFFERS);
    return ctx;
}

std::shared_ptr<tls_client> make_client_tls(const cert_pair& trusted, tls_version offer, bool resume) {
    auto t = std::make_shared<tls_client>();
    t->ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    t->resume = resume;
    auto* ctx = t->ctx->native_handle();
    set_versions(*t->ctx, offer);
    boost::system::error_code ec;
    if (!trusted.cert_pem.empty()) t->ctx->add_certificate_authority(boost::asio::buffer(trusted.cert_pem), ec);
    if (ec) throw std::runtime_error("TLS trusted certificate: " + ec.message());
    // Verified as a browser would (chain to a trusted certificate, name,
    // validity), so the client's CPU per handshake is a real client's.
    t->ctx->set_verify_mode(ssl::verify_peer);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (resume) {
        // Tickets go to the slot of the client that received them (no
        // shared cache: each client resumes its own session, as a browser).
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_new_cb(ctx, on_new_session);
    } else {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    }
    return t;
}

std::shared_ptr<tls_client> make_target_tls(const std::string& host, const std::string& ca_file, tls_version offer,
                                            bool resume) {
    // The same context as for rtbench's own server (versions, tickets),
    // then the target's trust in place of the run's certificate.
    auto t = make_client_tls(cert_pair{}, offer, resume);
    t->host = host;
    boost::system::error_code ec;
    if (ca_file.empty()) t->ctx->set_default_verify_paths(ec);
    else t->ctx->load_verify_file(ca_file, ec);
    if (ec) throw std::runtime_error("TLS trust " + (ca_file.empty() ? std::string("(the system's)") : ca_file) + ": " +
                                     ec.message());
    return t;
}

tls_session_slot::~tls_session_slot() {
    if (session) SSL_SESSION_free(session);
}

void tls_prepare_client(SSL* ssl, const tls_client& t, tls_session_slot* slot) {
    // An IP address is checked against the certificate's IP entries and is
    // never sent as SNI (RFC 6066 3: host names only).
    boost::system::error_code ec;
    boost::asio::ip::make_address(t.host, ec);
    if (ec) {
        SSL_set_tlsext_host_name(ssl, t.host.c_str());
        SSL_set1_host(ssl, t.host.c_str());
    } else if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), t.host.c_str()) != 1) {
        SSL_set1_host(ssl, t.host.c_str()); // an address no name matches: verification fails, never passes unchecked
    }
    if (!t.resume || !slot) return;
    SSL_set_ex_data(ssl, resume_index(), slot);
    if (slot->session) SSL_set_session(ssl, slot->session);
}

std::string negotiated_version(const SSL* ssl) {
    switch (SSL_version(ssl)) {
    case TLS1_2_VERSION: return "1.2";
    case TLS1_3_VERSION: return "1.3";
    default: return SSL_get_version(ssl);
    }
}

} // namespace rtb
