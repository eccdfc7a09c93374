import Foundation

/// The bytes of a topology file as text: UTF-8, with an optional UTF-8 byte order mark, and only
/// the characters YAML allows. Anything else (UTF-16 or UTF-32, binary data, invalid UTF-8,
/// control characters) is refused before YAML parsing, with the position of the first bad byte
/// in words: libyaml would only say the input is not in the right format.
/// UTF-16 is refused rather than converted, so that one encoding (and one way of counting
/// columns) holds for every topology file.
enum TopologyText {
    /// Why the bytes are not topology text, at its position.
    struct Problem: Error, Equatable {
        var location: SourceLocation
        var message: String
    }

    static func decode(_ data: Data) -> Result<String, Problem> {
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            let start = SourceLocation(line: 1, column: 1)
            for (mark, name) in byteOrderMarks where bytes.starts(with: mark) {
                let hex = mark.map { Self.hex($0) }.joined(separator: " ")
                return .failure(Problem(location: start, message: "the file is \(name) text (it starts with the byte order mark \(hex)); topology files are UTF-8: convert it, e.g. with iconv -f \(name) -t UTF-8"))
            }
            let body = bytes.starts(with: utf8Mark) ? UnsafeBufferPointer(rebasing: bytes.dropFirst(utf8Mark.count)) : bytes
            guard !body.isEmpty else { return .success("") }
            // Fast path: no byte that could start a character YAML refuses, and valid UTF-8.
            if !mayHoldDisallowed(body), let text = String(validating: body, as: UTF8.self) {
                return .success(text)
            }
            // The fast path's test is coarse (U+00A9 starts with 0xC2 too): the slow scan decides.
            if let problem = firstProblem(body) { return .failure(problem) }
            return .success(String(decoding: body, as: UTF8.self))
        }
    }

    static let utf8Mark: [UInt8] = [0xEF, 0xBB, 0xBF]
    /// UTF-32 first: its little-endian mark starts with UTF-16's.
    static let byteOrderMarks: [([UInt8], String)] = [
        ([0x00, 0x00, 0xFE, 0xFF], "UTF-32BE"), ([0xFF, 0xFE, 0x00, 0x00], "UTF-32LE"),
        ([0xFE, 0xFF], "UTF-16BE"), ([0xFF, 0xFE], "UTF-16LE"),
    ]

    static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return "0x" + (digits.count == 1 ? "0" : "") + digits
    }

    /// Whether a byte is a C0 control other than tab, line feed and carriage return, DEL, or the
    /// lead byte of U+0080…U+00BF (C1 controls) or of U+F000…U+FFFF (U+FFFE, U+FFFF): then
    /// the slow scan decides.
    static func mayHoldDisallowed(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in bytes where byte < 0x20 || byte == 0x7F || byte == 0xC2 || byte == 0xEF {
            if byte != 0x09, byte != 0x0A, byte != 0x0D { return true }
        }
        return false
    }

    /// The characters libyaml reads (YAML 1.1's printable set, section 5.1, with tab, line feed
    /// and carriage return; libyaml's reader.c).
    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D, 0x20...0x7E, 0x85, 0xA0...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }

    /// The first NUL, other refused character or invalid UTF-8 sequence, with its line and column
    /// (columns count Unicode scalars, as libyaml's positions do).
    static func firstProblem(_ bytes: UnsafeBufferPointer<UInt8>) -> Problem? {
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var location = SourceLocation(line: 1, column: 1)
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                if encoded.count == 1, encoded.first == 0 {
                    return Problem(location: location, message: "not UTF-8 text: NUL byte (0x00) at line \(location.line), column \(location.column) (a binary file, or UTF-16 without a byte order mark?)")
                }
                let scalar = Unicode.UTF8.decode(encoded)
                if !isAllowed(scalar) {
                    let code = String(scalar.value, radix: 16, uppercase: true)
                    return Problem(location: location, message: "character U+\(String(repeating: "0", count: max(0, 4 - code.count)) + code) at line \(location.line), column \(location.column) is not allowed in YAML (control characters other than tab and line breaks are not)")
                }
                if encoded.count == 1, encoded.first == UInt8(ascii: "\n") {
                    location = SourceLocation(line: location.line + 1, column: 1)
                } else {
                    location.column += 1
                }
                offset += encoded.count
            case .error:
                return Problem(location: location, message: "not UTF-8 text: invalid byte \(hex(bytes[offset])) at line \(location.line), column \(location.column)")
            case .emptyInput:
                return nil

            }
        }
    }
}
