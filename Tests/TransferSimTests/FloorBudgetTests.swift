import Testing

@testable import TransferSimBench

@Suite struct FloorBudgetTests {
    @Test("A budget recovers a known split: T steps at a× their floor and a rest of b× the test's floor, adding up")
    func budget_recoversKnownSplit() {
        // Kou's cell: T = 100 steps of 2·2m N² = 16 000 FLOP, a test of 2·2m N n_test = 800 000 FLOP.
        let (steps, stepFlops, testFlops) = (100, 16_000.0, 800_000.0)
        for (a, b) in [(3.0, 5.0), (1.0, 0.0), (2.5, 12.0)] {
            let full = Double(steps) * a * stepFlops + b * testFlops
            let once = a * stepFlops + b * testFlops
            let budget = FloorBudget(steps: steps, stepFlops: stepFlops, testFlops: testFlops, full: full, once: once)
            let floor = Double(steps) * stepFlops + testFlops
            #expect(abs(budget.stepsAgainstOwnFloor - a) <= 1e-12 * a, "a = \(a), b = \(b)")
            #expect(abs(budget.inSteps - Double(steps) * a * stepFlops / floor) <= 1e-12, "a = \(a), b = \(b)")
            #expect(abs(budget.outsideSteps - b * testFlops / floor) <= 1e-12, "a = \(a), b = \(b)")
            #expect(abs(budget.total - (budget.inSteps + budget.outsideSteps)) <= 1e-12, "a = \(a), b = \(b)")
        }
    }

    @Test("A workload of one step has no split: NaN, not a division by zero's infinity")
    func budget_ofOneStepIsUndefined() {
        let budget = FloorBudget(steps: 1, stepFlops: 16_000, testFlops: 800_000, full: 2e6, once: 2e6)
        #expect(budget.inSteps.isNaN && budget.outsideSteps.isNaN && budget.stepsAgainstOwnFloor.isNaN)
        #expect(budget.total == 2e6 / 816_000)
    }
}
