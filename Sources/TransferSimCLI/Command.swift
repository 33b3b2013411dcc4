import ArgumentParser

/// A `transfersim` command whose errors are reported the one way: a library error (a bad key or value, a file, a
/// sweep that does not match) as one line `error: <key>: …` on stderr and exit status 1 (``fail(_:)``); ArgumentParser's
/// own usage errors (an unknown option, a value that is not of its option's type, a ``ParsableArguments/validate()``
/// failure) with the usage line and exit status 64, before `execute` runs.
protocol Command: ParsableCommand {
    /// The command's work.
    func execute() throws
}

extension Command {
    func run() throws {
        do {
            try execute()
        } catch {
            throw fail(error)
        }
    }
}
