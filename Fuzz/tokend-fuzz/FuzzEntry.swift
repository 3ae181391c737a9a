#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The classifier selected by `$FUZZ_TARGET`; `nil` means "dispatch on the first input byte".
let selectedTarget: FuzzTarget? = getenv("FUZZ_TARGET").flatMap { FuzzTarget(rawValue: String(cString: $0)) }

/// Runs one input through the selected classifier (or the one picked by its first byte).
func fuzzOne(_ input: [UInt8]) {
    if let selectedTarget {
        selectedTarget.run(input)
    } else if let first = input.first {
        let all = FuzzTarget.allCases
        all[Int(first) % all.count].run(Array(input.dropFirst()))
    }
}

/// libFuzzer entry point (built with `-sanitize=fuzzer`; see docs/fuzzing.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    fuzzOne(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

#if FUZZING
/// libFuzzer's driver (from `-sanitize=fuzzer`'s runtime).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// SwiftPM links executables through their module's entry point, so the libFuzzer build keeps a `main`
/// that hands control to libFuzzer's driver.
@main
enum FuzzMain {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput))
    }
}
#else
/// Without libFuzzer: replays the files named on the command line (e.g. a crash reproducer or a corpus)
/// through the classifier chosen by `$FUZZ_TARGET` (or by each file's first byte).
@main
enum FuzzReplay {
    static func main() {
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            guard let file = fopen(path, "rb") else {
                print("tokend-fuzz: cannot open \(path)")
                continue
            }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let read = fread(&buffer, 1, buffer.count, file)
                if read <= 0 { break }
                bytes.append(contentsOf: buffer[0..<read])
            }
            fclose(file)
            fuzzOne(bytes)
            count += 1
        }
        print("tokend-fuzz: replayed \(count) input(s) without a crash")
    }
}
#endif
