using Accel.Golden;
using Accel.Golden.Ilgpu;
using Accel.Golden.Testing;
using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Model.Networks;
using Accel.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Accel.Cosim.Tests.Engine;

/// <summary>
/// The ELTWISE unit against the scalar reference: random shapes, channel counts that are not a
/// multiple of the rows, operands of either signedness, with and without ReLU; and the cost
/// model's prediction of the measured cycles.
/// </summary>
public class EltwiseCosimTests(ITestOutputHelper output)
{
    private CosimResult Run(Network net, int n, int seed)
    {
        var model = RandomQuantizedModel.Create(net, seed);
        var input = RandomQuantizedModel.Input(net, seed + 1);
        var expected = new ScalarReference().Run(model, input).Activations.ToDictionary(kv => kv.Key, kv => kv.Value.Data);
        var schedule = CosimBuildProfile.Plan(net, new EngineConfig { Rows = n, Cols = n });
        var r = CosimRunner.Run(schedule, model.Convs, input, expected, null, model.PoolRequant, model.Operators);
        foreach (var l in r.Layers)
            output.WriteLine($"{l.Node,-8} {l.Op,-8} measured {l.Cycles,7} predicted {l.PredictedCycles,7} exact {l.BitExact}");
        output.WriteLine($"total measured {r.TotalCycles} predicted {r.Schedule.PredictedCycles}");
        return r;
    }

    /// <summary>
    /// Every element-wise layer's cycles within 6 % (+ 10) of the cost model's; the whole program within 8 %
    /// (tiny 1x1 convolutions, over-predicted by up to 40 cycles, dominate the rest of the error).
    /// </summary>
    private static void AssertPredicted(CosimResult r)
    {
        foreach (var l in r.Layers.Where(l => l.Op == nameof(Opcode.Eltwise)))
            Assert.InRange(l.PredictedCycles, l.Cycles * 0.94 - 10, l.Cycles * 1.06 + 10);
        Assert.InRange(r.TotalCycles, r.Schedule.PredictedCycles * 0.92, r.Schedule.PredictedCycles * 1.08);
    }

    /// <summary>
    /// input -> a (1x1) and b (3x3) -> add(a, b); a second add of the signed network input and the
    /// sum. Signedness follows the ReLU flags (a ReLU conv's output is unsigned).
    /// </summary>
    private static Network AddNetwork(Random rng, int channels, int h, int w)
    {
        bool reluA = rng.Next(2) == 0, reluB = rng.Next(2) == 0, reluSum = rng.Next(2) == 0;
        return new Network($"add_{channels}x{h}x{w}", new Shape(channels, h, w),
        [
            new ConvLayer("a", channels, 1, 1, 0, Relu: reluA) { Inputs = [Network.InputName] },
            new ConvLayer("b", channels, 3, 1, 1, Relu: reluB) { Inputs = [Network.InputName] },
            new AddLayer("sum", Relu: reluSum) { Inputs = ["a", "b"] },
            new AddLayer("residual", Relu: !reluSum) { Inputs = ["sum", Network.InputName] },
        ]);
    }

    [RequiresToolsTheory("verilator")]
    [InlineData(4, 1)]
    [InlineData(4, 2)]
    [InlineData(8, 3)]
    [InlineData(8, 4)]
    public void RandomAddsAreBitExactAndPredicted(int n, int seed)
    {
        var rng = new Random(seed);
        int channels = rng.Next(n + 1, 3 * n) | 1;
        var net = AddNetwork(rng, channels, rng.Next(3, 12), rng.Next(3, 12));
        var r = Run(net, n, 100 + seed);
        Assert.True(r.BitExact, r.FirstMismatch?.ToString());
        foreach (var l in r.Layers.Where(l => l.Op == nameof(Opcode.Eltwise)))
            Assert.True(l.Cycles > 0);
        AssertPredicted(r);
    }

    [RequiresToolsTheory("verilator")]
    [InlineData(BuiltinNetworks.SqueezeNet10Bypass, 32, 8)]
    [InlineData(BuiltinNetworks.SqueezeNet10ComplexBypass, 32, 8)]
    public void ABypassSqueezeNetIsBitExactInEveryNode(string name, int size, int n)
    {
        // Seeded random weights; every node (the adds included) read back from DRAM and compared with the ILGPU golden model.
        var net = BuiltinNetworks.Get(name).WithInput(new Shape(3, size, size));
        var model = RandomQuantizedModel.Create(net, 7);
        var input = RandomQuantizedModel.Input(net, 8);
        using var golden = IlgpuGoldenModel.Create(GoldenDevice.Cpu);
        var whole = NetworkCosim.Run(model, input, new EngineConfig { Rows = n, Cols = n }, golden);
        var r = whole.Cosim;
        output.WriteLine($"{name} {size}x{size} on {n}x{n}: {r.TotalCycles} cycles (predicted {r.Schedule.PredictedCycles}), sim {r.SimulationTime.TotalSeconds:F1} s");
        foreach (var l in r.Layers.Where(l => l.Op == nameof(Opcode.Eltwise)))
            output.WriteLine($"  {l.Node}: {l.Cycles} cycles (predicted {l.PredictedCycles})");
        Assert.True(r.BitExact, $"{r.FirstMismatch} (dump: {r.DumpDirectory})");
        Assert.Equal(net.Nodes.Count(n => n.Op is AddLayer), r.Layers.Count(l => l.Op == nameof(Opcode.Eltwise)));
        Assert.Equal(whole.GoldenTop5, whole.Top5);
        Assert.InRange(r.Schedule.PredictedCycles, r.TotalCycles * 0.98, r.TotalCycles * 1.02);
    }

    [Fact]
    public void AddsOfDifferentChannelLayoutsAreRefusedNamingTheLayer()
    {
        // At 4 lanes a concat of 6 + 6 channels leaves holes (groups 0-1 and 2-3); a pool of a 12-channel conv
        // fills 3 groups and, unlike a conv operand, cannot be written in the concat's layout.
        var net = new Network("holes", new Shape(4, 5, 5),
        [
            new ConvLayer("e1", 6, 1) { Inputs = [Network.InputName] },
            new ConvLayer("e3", 6, 3, 1, 1) { Inputs = [Network.InputName] },
            new ConcatLayer("cat") { Inputs = ["e1", "e3"] },
            new ConvLayer("wide", 12, 1) { Inputs = [Network.InputName] },
            new MaxPoolLayer("side", 3, 1, 1) { Inputs = ["wide"] },
            new AddLayer("sum") { Inputs = ["cat", "side"] },
        ]);
        var e = Assert.Throws<ScheduleException>(() => Accel.Hardware.Schedule.ScheduleCompiler.Plan(net, new EngineConfig { Rows = 4, Cols = 4 }));
        Assert.Contains("layer 'sum'", e.Message);
        Assert.Contains("different channel layouts", e.Message);
    }

    [RequiresToolsTheory("verilator")]
    [InlineData(4, 11)]
    [InlineData(4, 12)]
    [InlineData(8, 13)]
    [InlineData(8, 14)]
    public void RandomActivationLookupsAreBitExactAndPredicted(int n, int seed)
    {
        // conv -> activation -> activation: inputs of either signedness, tables from the random model.
        var rng = new Random(seed);
        int channels = rng.Next(n + 1, 3 * n) | 1;
        var kinds = Enum.GetValues<ActivationKind>();
        var net = new Network($"act_{seed}", new Shape(channels, rng.Next(3, 12), rng.Next(3, 12)),
        [
            new ConvLayer("c", channels, 3, 1, 1, Relu: rng.Next(2) == 0),
            new ActivationLayer("f", kinds[rng.Next(kinds.Length)]),
            new ActivationLayer("g", kinds[rng.Next(kinds.Length)]),
            new AddLayer("sum") { Inputs = ["f", "c"] },
        ]);
        var r = Run(net, n, 200 + seed);
        Assert.True(r.BitExact, r.FirstMismatch?.ToString());
        AssertPredicted(r);
    }

    [RequiresToolsTheory("verilator")]
    [InlineData(4, 21)]
    [InlineData(4, 22)]
    [InlineData(8, 23)]
    [InlineData(8, 24)]
    public void RandomShufflesAndSlicesAreBitExactAndPredicted(int n, int seed)
    {
        // ShuffleNet v2's unit: split by two slices, a branch on the right half, concat(left, branch),
        // shuffle; plus a slice at an odd offset and a shuffle of a concat with holes.
        var rng = new Random(seed);
        int half = rng.Next(2, 2 * n) | 1, g = 2 + rng.Next(2);
        var net = new Network($"gather_{seed}", new Shape(2 * half, rng.Next(3, 10), rng.Next(3, 10)),
        [
            new ConvLayer("c", 2 * half, 1, Relu: rng.Next(2) == 0),
            new ChannelSliceLayer("left", 0, half) { Inputs = ["c"] },
            new ChannelSliceLayer("right", half, half) { Inputs = ["c"] },
            new ConvLayer("branch", half, 3, 1, 1, Relu: true) { Inputs = ["right"] },
            new ConcatLayer("cat") { Inputs = ["left", "branch"] },
            new ChannelShuffleLayer("shuffle", 2) { Inputs = ["cat"] },
            new ChannelSliceLayer("odd", 1 + rng.Next(half), half) { Inputs = ["shuffle"] },
            new ConvLayer("d", g * (1 + rng.Next(n)), 1, Relu: false) { Inputs = ["odd"] },
            new ChannelShuffleLayer("shuffle2", g) { Inputs = ["d"] },
        ]);
        var r = Run(net, n, 300 + seed);
        Assert.True(r.BitExact, r.FirstMismatch?.ToString());
        AssertPredicted(r);
    }

    [RequiresToolsTheory("verilator")]
    [InlineData(4, 31)]
    [InlineData(4, 32)]
    [InlineData(8, 33)]
    [InlineData(8, 34)]
    public void RandomSqueezeAndExcitationScalesAreBitExactAndPredicted(int n, int seed)
    {
        // Squeeze-and-excitation: pool -> 1x1 -> 1x1 -> hard-sigmoid gate, then the map times its channel's gate.
        var rng = new Random(seed);
        int channels = rng.Next(n + 1, 3 * n) | 1;
        var net = new Network($"se_{seed}", new Shape(channels, rng.Next(3, 10), rng.Next(3, 10)),
        [
            new ConvLayer("c", channels, 3, 1, 1, Relu: rng.Next(2) == 0),
            new GlobalAvgPoolLayer("squeeze"),
            new ConvLayer("reduce", 1 + rng.Next(channels), 1, Relu: true),
            new ConvLayer("expand", channels, 1, Relu: false),
            new ActivationLayer("gate", ActivationKind.HardSigmoid),
            new ScaleLayer("excite") { Inputs = ["c", "gate"] },
        ]);
        var r = Run(net, n, 400 + seed);
        Assert.True(r.BitExact, r.FirstMismatch?.ToString());
        AssertPredicted(r);
    }

    [RequiresToolsTheory("verilator")]
    [InlineData(4, 41)]
    [InlineData(4, 42)]
    [InlineData(8, 43)]
    [InlineData(8, 44)]
    public void RandomAveragePoolsAreBitExactAndPredicted(int n, int seed)
    {
        // ShuffleNet's 3x3/2 pad 1 shortcut pool and a random window; border windows use their own tap count's (M, S).
        var rng = new Random(seed);
        int channels = rng.Next(n + 1, 3 * n) | 1, k = 2 + rng.Next(3);
        var net = new Network($"avg_{seed}", new Shape(channels, rng.Next(6, 14), rng.Next(6, 14)),
        [
            new ConvLayer("c", channels, 3, 1, 1, Relu: rng.Next(2) == 0),
            new AvgPoolLayer("shortcut", 3, 2, 1) { Inputs = ["c"] },
            new AvgPoolLayer("random", k, 1 + rng.Next(2), rng.Next(k / 2 + 1)) { Inputs = ["c"] },
        ]);
        var r = Run(net, n, 500 + seed);
        Assert.True(r.BitExact, r.FirstMismatch?.ToString());
        AssertPredicted(r);
    }
    /// <summary>
    /// ShuffleNet v1's stride-2 unit on a tensor with holes inside it: the average pool shortcut and an
    /// activation are lane-wise, so their slots of the concat keep their input's layout (holes
    /// included), and the convolution after the concat reads through that layout.
    /// </summary>
    [RequiresToolsTheory("verilator")]
    [InlineData(4, 61)]
    [InlineData(8, 62)]
    public void LaneWiseLayersKeepTheirInputLayoutInsideAConcat(int n, int seed)
    {
        int odd = n + 1, rest = 2 * n - 1;
        var net = new Network($"lanewise_concat_{seed}", new Shape(3, 9, 9),
        [
            new ConvLayer("a", odd, 3, 1, 1) { Inputs = [Network.InputName] },
            new ConvLayer("b", rest, 1, 1, 0) { Inputs = [Network.InputName] },
            new ConcatLayer("x") { Inputs = ["a", "b"] },
            new AvgPoolLayer("shortcut", 3, 2, 1) { Inputs = ["x"] },
            new ConvLayer("branch", 2 * n + 3, 3, 2, 1) { Inputs = ["x"] },
            new ConcatLayer("unit") { Inputs = ["shortcut", "branch"] },
            new ActivationLayer("act", ActivationKind.HardSwish) { Inputs = ["unit"] },
            new ConvLayer("c", n + 2, 1, 1, 0, Relu: false) { Inputs = ["act"] },
        ]);
        var r = Run(net, n, 600 + seed);
        Assert.True(r.BitExact, r.FirstMismatch?.ToString());
        var shortcut = r.Schedule.Tensors["shortcut"];
        Assert.Equal(r.Schedule.Tensors["x"].Segments.Count, shortcut.Segments.Count);
    }

    /// <summary>
    /// ShuffleNet v1's units on a shortcut with holes: x = concat(a, b) stores n + 1 and 2n - 1
    /// channels from groups 0 and 2, so the grouped convs feeding the adds write x's layout (hole
    /// columns with zero weights, M = 0), and the second unit reads the first one's sum through it.
    /// </summary>
    [RequiresToolsTheory("verilator")]
    [InlineData(4, 71)]
    [InlineData(8, 72)]
    public void ConvsFeedingAnAddWriteTheShortcutsLayoutHolesIncluded(int n, int seed)
    {
        int c = 3 * n;
        var net = new Network($"holey_units_{seed}", new Shape(3, 7, 7),
        [
            new ConvLayer("a", n + 1, 3, 1, 1) { Inputs = [Network.InputName] },
            new ConvLayer("b", 2 * n - 1, 1, 1, 0) { Inputs = [Network.InputName] },
            new ConcatLayer("x") { Inputs = ["a", "b"] },
            new ConvLayer("unit1/gconv1", c, 1) { Groups = 3, Inputs = ["x"] },
            new ConvLayer("unit1/gconv2", c, 1, Relu: false) { Groups = 3 },
            new AddLayer("unit1/add", Relu: true) { Inputs = ["unit1/gconv2", "x"] },
            new ConvLayer("unit2/dw", c, 3, 1, 1, Relu: false) { Groups = c, Inputs = ["unit1/add"] },
            new ConvLayer("unit2/gconv2", c, 1, Relu: false) { Groups = 3 },
            new AddLayer("unit2/add", Relu: false) { Inputs = ["unit1/add", "unit2/gconv2"] },
            new ConvLayer("head", n + 2, 1, 1, 0, Relu: false),
        ]);
        var r = Run(net, n, 700 + seed);
        Assert.True(r.BitExact, r.FirstMismatch?.ToString());
        var x = r.Schedule.Tensors["x"].LogicalChannels(n);
        Assert.Contains(-1, x);
        foreach (var t in new[] { "unit1/gconv2", "unit1/add", "unit2/dw", "unit2/gconv2", "unit2/add" })
            Assert.Equal(x, r.Schedule.Tensors[t].LogicalChannels(n));
        Assert.Equal(Opcode.DwConv, r.Schedule.Ops.Single(o => o.Node == "unit2/dw").Opcode);
    }
}
