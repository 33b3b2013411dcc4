import ArgumentParser
import Foundation
import TransferSim

struct Slurm: Command {
    static let configuration = CommandConfiguration(
        abstract: "Write (and with --submit, submit) a sweep as a Slurm job array plus a dependent merge job.",
        discussion:
            "Resubmitting the same command after a preempted, timed-out or failed task reruns only unfinished cells.")

    @OptionGroup var options: ConfigOptions

    @OptionGroup var grid: GridOptions

    @Option(name: .long, help: "Array tasks; task i runs the cells with index ≡ i (mod N).")
    var shards: Int

    @Option(
        name: .long,
        help: "Job directory: sweep.yaml, sweep.sbatch, merge.sbatch, shards/, logs/, and the merged results.")
    var out: String

    @Option(name: .long, help: "At most K array tasks at once.")
    var maxRunning: Int?

    @Option(name: .long, help: "Slurm partition.", transform: optionValue(SlurmJob.checkedPartition))
    var partition: String?

    @Option(name: .long, help: "Time limit per task (HH:MM:SS).", transform: optionValue(SlurmJob.checkedTime))
    var time: String?

    @Option(name: .long, help: "CPUs per task (also each task's worker threads).")
    var cpusPerTask: Int = 1

    @Option(name: .long, help: "Memory per task, e.g. 2G.", transform: optionValue(SlurmJob.checkedMemory))
    var mem: String?

    @Option(name: .long, help: "transfersim executable the tasks run (default: this one).")
    var executable: String?

    @Flag(name: .long, help: "Submit with sbatch and print the job ids.")
    var submit = false

    func validate() throws {
        guard options.config != nil else { throw ValidationError("--config: a Slurm job needs a sweep config file") }
    }

    func execute() throws {
        Interruption.install()
        let config = options.config ?? ""
        let plan = try SweepPlan.load(
            path: config, overrides: options.overrides.map(\.text), seed: options.seed, grids: grid.axes,
            replicates: grid.replicates)
        let binary =
            executable
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.resolvingSymlinksInPath().path
        var job = try SlurmJob(
            plan: plan, directory: out, shards: shards, cpusPerTask: cpusPerTask,
            executable: URL(
                fileURLWithPath: binary, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            ).path)
        job.maxRunning = maxRunning
        job.partition = partition
        job.time = time
        job.memory = mem
        try job.write()
        print(
            "wrote \(job.directory.path)/sweep.sbatch (\(shards) tasks, \(plan.cells.count) cells × \(plan.spec.replicates) replicates) and merge.sbatch"
        )
        guard submit else {
            print(
                "submit: jid=$(sbatch --parsable \(job.directory.path)/sweep.sbatch) && sbatch --dependency=afterok:$jid \(job.directory.path)/merge.sbatch"
            )
            return
        }
        let ids = try job.submit()
        print("submitted array job \(ids.array) and merge job \(ids.merge)")
        print("watch: squeue -j \(ids.array),\(ids.merge)   (logs in \(job.directory.path)/logs/)")
    }
}
