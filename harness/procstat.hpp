#pragma once
// CPU time and memory of a process, read from /proc.
#include <cstdint>
#include <string>
#include <sys/types.h>

namespace rtb {

// CPU time (user + system) of every thread of `pid`, in ns, summed from
// /proc/<pid>/task/*/schedstat (the scheduler's exact run time), so a
// 3-second measurement is not rounded to 10 ms clock ticks. -1 on error.
std::int64_t process_cpu_ns(pid_t pid);

struct memory_usage {
    std::uint64_t rss_bytes = 0;  // VmRSS
    std::uint64_t peak_bytes = 0; // VmHWM
};
memory_usage process_memory(pid_t pid);

// Stops a child process: sends `sig` (0: none, the child was already told
// another way), waits up to `grace` for it to exit, then SIGKILLs it, and
// reaps it. Sets `pid` to -1; does nothing when it is not positive.
void stop_child(pid_t& pid, int sig, int grace_ms);

// Raises this process's open-file limit to its hard limit (the load
// generator and the relay both hold a socket or two per client).
void raise_fd_limit();

// Facts for the manifest.
std::string cpu_model();
std::string kernel_release();
std::string host_name();

} // namespace rtb
