import Foundation
import Testing

@testable import TransferSim
@testable import TransferSimAnalysis
@testable import TransferSimFiles
@testable import TransferSimSweeps

/// `verify --out` follows the ownership rule of the other commands.
@Suite struct VerificationDirectoryTests {
    @Test(
        "verify --out refuses a user's verification.md or other files (untouched) and a directory in use; takes its own earlier output"
    )
    func verifyOut_ownership() throws {
        let root = try CLIHarness.temporaryDirectory("verify-out")
        defer { try? FileManager.default.removeItem(at: root) }
        // A user's own report of the same name, and a directory with some other file.
        let user = root.appendingPathComponent("mine"), other = root.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: user, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try "# My notes\n".write(to: user.appendingPathComponent("verification.md"), atomically: true, encoding: .utf8)
        try "data\n".write(to: other.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        for (directory, name) in [(user, "verification.md"), (other, "notes.txt")] {
            let outcome = try CLIHarness.run(["verify", "--quick", "--out", directory.path])
            #expect(
                outcome.status == 1 && outcome.stderr.hasPrefix("error: --out: ") && outcome.stderr.contains(name),
                "\(outcome.stderr)")
            #expect(CLIHarness.tree(directory) == [name])
            #expect(CLIHarness.leftovers(root).isEmpty)
        }
        #expect(
            try String(contentsOf: user.appendingPathComponent("verification.md"), encoding: .utf8) == "# My notes\n")
        // In use: refused at once, naming the holder.
        let busy = root.appendingPathComponent("busy")
        let held = try DirectoryLock(busy, key: "--out")
        let refused = try CLIHarness.run(["verify", "--quick", "--out", busy.path])
        #expect(
            refused.status == 1 && refused.stderr.contains("in use by another transfersim process (pid \(getpid()))"))
        held.release()
        // An earlier verify output (its report, table, sweeps and claims) is taken again; the lock is released after.
        let own = root.appendingPathComponent("own")
        try FileManager.default.createDirectory(
            at: own.appendingPathComponent("sweeps"), withIntermediateDirectories: true)
        try ClaimResult.markdown([], quick: true).write(
            to: own.appendingPathComponent("verification.md"), atomically: true, encoding: .utf8)
        try CSV.line(ClaimResult.csvHeader).write(
            to: own.appendingPathComponent("verification.csv"), atomically: true, encoding: .utf8)
        let (directory, lock) = try VerificationDirectory.claim(own.path)
        #expect(directory.path == own.path)
        #expect(throws: FileError.self) { try VerificationDirectory.claim(own.path) }
        lock.release()
        #expect(!FileManager.default.fileExists(atPath: DirectoryLock.lockFile(for: own).path))
    }
}
