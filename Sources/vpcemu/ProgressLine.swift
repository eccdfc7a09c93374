import Foundation
import VPCEmu

/// The replay's progress on stderr (packets, Mpps, how much of the input is done), redrawn in
/// place at most five times a second, and the phase a `bench` measurement is in; only when stderr
/// is a terminal (and, for a replay, the input is large), so logs and pipes get nothing. Erased
/// when the run ends.
final class ProgressLine {
    private let enabled: Bool
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private var lastDraw: ContinuousClock.Instant

    convenience init(for input: ReplayInput) {
        self.init(shown: input.isLarge)
    }

    /// For a measurement long enough to need it (`bench`), shown whatever the input's size.
    init(shown: Bool = true) {
        enabled = isatty(STDERR_FILENO) == 1 && shown
        start = clock.now
        lastDraw = start
    }

    func update(_ progress: ReplaySession.Progress) {
        guard enabled else { return }
        let now = clock.now
        guard now - lastDraw >= .milliseconds(200) else { return }
        lastDraw = now
        draw(progress.line(elapsed: (now - start) / .seconds(1)))
    }

    /// A `bench` phase ("FIB build 2/5") with the seconds since the start, drawn at once: phases
    /// are seconds apart.
    func phase(_ text: String) {
        guard enabled else { return }
        draw("\(text)  \(Int((clock.now - start) / .seconds(1))) s")
    }

    private func draw(_ line: String) {
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
