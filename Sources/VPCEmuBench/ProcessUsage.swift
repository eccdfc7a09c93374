#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Resource figures of the running process (`getrusage`), for the benchmarks' reports.
public enum ProcessUsage {
    /// The peak resident set size so far, in bytes (0 if `getrusage` fails).
    public static func peakResidentBytes() -> Int {
        guard let usage = current() else { return 0 }
        #if os(Linux)
        return usage.ru_maxrss * 1024  // kilobytes on Linux (getrusage(2))
        #else
        return usage.ru_maxrss  // bytes on Darwin
        #endif
    }

    /// CPU time used so far by all the process's threads, user + system, in nanoseconds (0 if
    /// `getrusage` fails). With a reader thread beside the forwarding one it grows faster than the
    /// wall clock.
    public static func cpuNanoseconds() -> Int64 {
        guard let usage = current() else { return 0 }
        func nanoseconds(_ time: timeval) -> Int64 { Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_usec) * 1_000 }
        return nanoseconds(usage.ru_utime) + nanoseconds(usage.ru_stime)
    }

    /// CPU time used so far by the calling thread, in nanoseconds (0 if the clock cannot be read).
    public static func threadCPUNanoseconds() -> Int64 {
        var time = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time) == 0 else { return 0 }
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    private static func current() -> rusage? {
        var usage = rusage()
        #if os(Linux)
        guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return nil }
        #else
        guard getrusage(RUSAGE_SELF, &usage) == 0 else { return nil }
        #endif
        return usage
    }
}
