import FunnelModels
import FunnelTensor
import Testing

/// The objective's total is the weighted sum of its tasks, in order, and it logs each task.
@Suite struct ObjectiveTests {
    @Test func totalIsTheWeightedSumOfTheTasks() {
        let objective = Objective(
            tasks: [.init(name: "ctr", loss: Tensor(0.5)), .init(name: "cvr", loss: Tensor(2), weight: 0.25)],
            logs: ["weight": Tensor(3)])
        #expect(objective.total.scalar == 1)
        #expect(objective.loggedValues == ["loss": 1, "ctr_loss": 0.5, "cvr_loss": 2, "weight": 3])
        let single = Objective(Tensor(0.7))
        #expect(single.tasks.map(\.name) == ["loss"] && single.loggedValues == ["loss": Double(Float(0.7))])
    }
}
