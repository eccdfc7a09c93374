/// Locates ../shared/data relative to the package root.
enum SharedData {
    static let root: String = {
        var path = #filePath
        for _ in 0..<4 { path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) }
        return path + "/../shared/data"
    }()

    static func classbench(_ name: String) -> String { root + "/classbench/" + name }
}
