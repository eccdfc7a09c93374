import Foundation
import VPCEmu

/// The replay's progress on stderr (packets, Mpps, how much of the input is done), redrawn in
/// place at most five times a second; only when stderr is a terminal and the input is large, so
/// logs and pipes get nothing. Erased when the replay ends.
final class ProgressLine {
    private let enabled: Bool
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private var lastDraw: ContinuousClock.Instant

    init(for input: ReplayInput) {
        enabled = isatty(STDERR_FILENO) == 1 && input.isLarge
        start = clock.now
        lastDraw = start
    }

    func update(_ progress: ReplaySession.Progress) {
        guard enabled else { return }
        let now = clock.now
        guard now - lastDraw >= .milliseconds(200) else { return }
        lastDraw = now
        let elapsed = (now - start) / .seconds(1)
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + progress.line(elapsed: elapsed)).utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
