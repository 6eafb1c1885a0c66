import Testing

@testable import FunnelTensor
import FunnelTestSupport

@Suite struct AutomaticDifferentiationTests {
    @Test func tensorUsedTwiceAccumulates() {
        let x = Tensor([3], requiresGradient: true)
        (x * x + x).sum().backward()
        #expect(x.gradient?.scalars == [7])
    }

    /// An intermediate used four times: its gradient is summed in place after the second
    /// contribution, and a reshape (which shares its gradient's memory) in between is not
    /// written through.
    @Test func intermediateUsedManyTimesAccumulates() {
        let x = Tensor([1, 2], requiresGradient: true)
        let hidden = x * 3
        let shared = hidden.reshaped([2, 1])
        let total = (hidden * 1).sum() + (hidden * 2).sum() + (hidden * 4).sum() + (shared * 8).sum()
        total.backward()
        #expect(x.gradient?.scalars == [45, 45])
    }

    /// A sum hands the same gradient tensor to both leaves, and a reshape shares its memory: a
    /// leaf keeps a gradient without copying only when nothing else sees it, so accumulating
    /// into one leaf later never writes into the other's.
    @Test func leavesSharingAGradientKeepTheirOwn() {
        let (a, b) = (Tensor([1, 2], requiresGradient: true), Tensor([3, 4], requiresGradient: true))
        let matrix = Tensor([1, 2, 3, 4], requiresGradient: true)
        (a + b + matrix.reshaped([2, 2]).sum(alongAxes: [0])).sum().backward()
        (a * 2).sum().backward()
        matrix.reshaped([4]).sum().backward()
        #expect(a.gradient?.scalars == [3, 3])
        #expect(b.gradient?.scalars == [1, 1])
        #expect(matrix.gradient?.scalars == [2, 2, 2, 2])
    }

    @Test func gradientsAccumulateAcrossBackwardCalls() {
        let x = Tensor([1, 2], requiresGradient: true)
        (x * 2).sum().backward()
        (x * 3).sum().backward()
        #expect(x.gradient?.scalars == [5, 5])
        x.zeroGradient()
        #expect(x.gradient == nil)
    }

    @Test func detachedStopsTheGradient() {
        let x = Tensor([2], requiresGradient: true)
        let weight = x.detached() * 10
        (weight * x).sum().backward()
        #expect(x.gradient?.scalars == [20])
        #expect(!weight.requiresGradient)
    }

    @Test func noGradientScopeRecordsNothing() {
        let x = Tensor([2], requiresGradient: true)
        let y = withoutGradients { x * x }
        #expect(!y.requiresGradient && y.node == nil)
        #expect((x * x).requiresGradient)
    }

    @Test func noGradientScopeIsTaskLocal() async {
        let otherTask = withoutGradients {
            #expect(!GradientMode.isEnabled)
            return Task.detached { GradientMode.isEnabled }
        }
        #expect(await otherTask.value)
        #expect(GradientMode.isEnabled)
    }

    @Test func diamondGraph() {
        // y = a·b + a·c with b = 2a, c = a²: dy/da = 2a·... = 4a + 3a² at a = 2 → 8 + 12.
        let a = Tensor([2], requiresGradient: true)
        let b = a * 2
        let c = a * a
        (a * b + a * c).sum().backward()
        #expect(a.gradient?.scalars == [20])
    }

    @Test func deepChainDoesNotOverflowTheStack() {
        let x = Tensor([1], requiresGradient: true)
        var y = x
        for _ in 0..<5_000 { y = y * 1 }
        y.sum().backward()
        #expect(x.gradient?.scalars == [1])
    }

    @Test func seededBackwardForNonScalar() {
        let x = Tensor([1, 2], requiresGradient: true)
        (x * 3).backward(seed: Tensor([1, 10]))
        #expect(x.gradient?.scalars == [3, 30])
    }

    @Test func sameSeedSameNumbers() {
        var first = RandomGenerator(seed: 7)
        var second = RandomGenerator(seed: 7)
        #expect(Tensor.randomNormal([5], using: &first).scalars == Tensor.randomNormal([5], using: &second).scalars)
    }
}

@Suite struct GraphLifetimeTests {
    /// A backward rule must not keep its own output alive (a reference cycle would leak every
    /// activation of every training step).
    @Test func everyIntermediateIsFreed() {
        weak var intermediate: Tensor?
        let x = Tensor([0.5, -1, 2], requiresGradient: true)
        do {
            let values = [
                x.exp(), x.sigmoid(), x.relu(), x.softmax(), x.logSoftmax(), x.max(alongAxes: [0]),
                x.logSumExp(), x.sum(), Tensor.pow(x.abs() + 1, x), x.tanh().mean(),
            ]
            intermediate = values[0]
            let loss = values.map { $0.sum() }.reduce(Tensor(0), +)
            loss.backward()
        }
        #expect(intermediate == nil)
        #expect(x.gradient != nil)
    }

    @Test func retainedGraphCanBeUsedTwice() {
        let x = Tensor([2], requiresGradient: true)
        let y = (x * x).sum()
        y.backward(retainingGraph: true)
        y.backward()
        #expect(x.gradient?.scalars == [8])
    }
}
