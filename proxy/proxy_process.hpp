#pragma once
// A real reverse proxy in the path of a measured point: Debian's nginx,
// started by the harness, unprivileged, in its own directory under the run
// folder (config, pid, temp files, error log), listening on 127.0.0.1 only,
// and stopped at the end of the point. README.md beside this file.
#include <cstdint>
#include <string>

namespace rtb {

struct proxy_spec {
    std::string name = "none"; // "none", "nginx:default", "nginx:tuned", "nginx:<file>"
    std::string config;        // the template file (proxy/nginx-*.conf or the user's)
    bool active() const { return name != "none"; }
};

// "none", "nginx" (= nginx:tuned), "nginx:default", "nginx:tuned" or
// "nginx:PATH" (a config template of the user's, with the same @NAME@
// fields). `root` is the checkout (where proxy/ is). Throws
// std::invalid_argument naming the value.
proxy_spec parse_proxy(const std::string& s, const std::string& root);

// The nginx binary: $RTBENCH_NGINX, /usr/sbin/nginx, or nginx on PATH.
// Throws std::runtime_error saying how to install it when there is none.
std::string find_nginx();

class proxy_process {
public:
    // Starts nginx in front of 127.0.0.1:`upstream` with the config
    // template of `spec`, in `dir` (created). With cert_file set, nginx
    // terminates TLS (`tls_version`: "1.2", "1.3" or "any") and talks plain
    // HTTP to the upstream. `connections`: clients it must hold.
    // Throws std::runtime_error naming what failed (with nginx's own words).
    proxy_process(const proxy_spec& spec, const std::string& dir, std::uint16_t upstream, std::size_t connections,
                  const std::string& cert_file = {}, const std::string& key_file = {},
                  const std::string& tls_version = {});
    ~proxy_process();
    proxy_process(const proxy_process&) = delete;
    proxy_process& operator=(const proxy_process&) = delete;

    std::uint16_t port() const { return port_; }
    int pid() const { return pid_; }
    void stop();

private:
    int pid_ = -1;
    std::uint16_t port_ = 0;
    std::string dir_;
};

} // namespace rtb
