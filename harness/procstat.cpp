#include "harness/procstat.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace rtb {

std::int64_t process_cpu_ns(pid_t pid) {
    std::string dir = "/proc/" + std::to_string(pid) + "/task";
    DIR* d = ::opendir(dir.c_str());
    if (!d) return -1;
    std::int64_t total = 0;
    while (auto* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        std::ifstream f(dir + "/" + e->d_name + "/schedstat");
        std::int64_t run_ns = 0;
        if (f >> run_ns) total += run_ns;
    }
    ::closedir(d);
    return total;
}

memory_usage process_memory(pid_t pid) {
    memory_usage m;
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line)) {
        std::istringstream is(line);
        std::string key;
        std::uint64_t kb = 0;
        is >> key >> kb;
        if (key == "VmRSS:") m.rss_bytes = kb * 1024;
        if (key == "VmHWM:") m.peak_bytes = kb * 1024;
    }
    return m;
}

std::string cpu_model() {
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown";
}

std::string kernel_release() {
    utsname u{};
    return ::uname(&u) == 0 ? std::string(u.release) : "unknown";
}

std::string host_name() {
    char buf[256] = {};
    return ::gethostname(buf, sizeof buf - 1) == 0 ? std::string(buf) : "unknown";
}

void stop_child(pid_t& pid, int sig, int grace_ms) {
    if (pid <= 0) return;
    if (sig) ::kill(pid, sig);
    int status = 0;
    for (int waited = 0; waited < grace_ms; waited += 10) {
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            pid = -1;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    pid = -1;
}

void raise_fd_limit() {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &rl);
    }
}

} // namespace rtb
