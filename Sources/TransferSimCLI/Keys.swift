import ArgumentParser
import TransferSim

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print every config key with its theory default, kou2023-code default, meaning and range (Markdown).")

    func run() {
        let theory = ExperimentConfig(preset: .theory)
        let kou = ExperimentConfig(preset: .kou2023Code)
        print("| key | theory default | kou2023-code default | meaning | range |")
        print("|---|---|---|---|---|")
        for field in ConfigField.all {
            print("| `\(field.key)` | \(field.render(theory)) | \(field.render(kou)) | \(field.meaning) | \(field.range) |")
        }
    }
}
