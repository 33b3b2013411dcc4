/// Where a span-engine training's time goes against its FLOP floor (docs/performance.md), from two measurements of the
/// same workload: with its `T` steps and with one step.
///
/// Times are in FLOP at the `dgemm` rate (wall seconds per training × threads × one `dgemm` rate, the same for both
/// runs, so that the split is their wall times'). With `t_T` and `t_1` the two times,
/// a step costs `(t_T − t_1)/(T − 1)`, the steps `T` times that, and the rest of a training (the test with its draws and
/// products, the result rows, the summary) `t_T` minus the steps. The floor is `T` steps of `2·2m N²` FLOP and the
/// test product's `2·2m N n_test` (§5), so `total = inSteps + outsideSteps`.
package struct FloorBudget: Equatable {
    /// `t_T / floor`: the workload's ratio to its floor.
    package let total: Double
    /// The steps' time over the whole floor.
    package let inSteps: Double
    /// The steps' time over their own floor (`T` steps of `stepFlops`).
    package let stepsAgainstOwnFloor: Double
    /// The time outside the steps over the whole floor.
    package let outsideSteps: Double

    /// The budget of a training of `steps` steps of `stepFlops` FLOP each and a test of `testFlops`, whose times (FLOP
    /// at the `dgemm` rate) are `full` with every step and `once` with one; `steps` must exceed 1.
    package init(steps: Int, stepFlops: Double, testFlops: Double, full: Double, once: Double) {
        let floor = Double(steps) * stepFlops + testFlops
        let stepsTime = steps > 1 ? (full - once) * Double(steps) / Double(steps - 1) : .nan
        total = full / floor
        inSteps = stepsTime / floor
        stepsAgainstOwnFloor = stepsTime / (Double(steps) * stepFlops)
        outsideSteps = (full - stepsTime) / floor
    }
}
