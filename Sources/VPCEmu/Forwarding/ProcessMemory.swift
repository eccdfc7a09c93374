#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Memory figures of the running process, for the benchmarks' reports.
public enum ProcessMemory {
    /// The peak resident set size so far, in bytes (0 if `getrusage` fails).
    public static func peakResidentBytes() -> Int {
        var usage = rusage()
        #if os(Linux)
        guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
        return usage.ru_maxrss * 1024  // kilobytes on Linux (getrusage(2))
        #else
        guard getrusage(RUSAGE_SELF, &usage) == 0 else { return 0 }
        return usage.ru_maxrss  // bytes on Darwin
        #endif
    }
}
