/// "Did you mean …?": the declared name nearest to a misspelt one, for a key of the topology file
/// and for every name the CLI takes (instances, peerings, `--bind`, bundled examples).
public enum NameSuggestion {
    /// The candidate nearest to `name` (edit distance at most 2; the first of equals), or nil.
    public static func closest(to name: String, in candidates: [String]) -> String? {
        candidates.map { ($0, editDistance(Array(name), Array($0))) }.filter { $0.1 <= 2 }.min { $0.1 < $1.1 }?.0
    }

    /// Levenshtein distance: insertions, deletions and substitutions of one character.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var current = [i + 1]
            for (j, cb) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
