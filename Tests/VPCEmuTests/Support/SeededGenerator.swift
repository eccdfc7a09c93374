@testable import VPCEmu

/// The library's SplitMix64: every randomised test replays the same inputs for a seed.
typealias SeededGenerator = SplitMix64
