using System.Diagnostics;
using Accel.Golden;
using Accel.Golden.Ilgpu;
using Accel.Golden.Testing;
using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Hardware.Schedule;
using Accel.Model.Networks;
using Accel.Model.Quantized;
using Accel.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Accel.Cosim.Tests.Engine;

/// <summary>
/// Grouped and depthwise convolutions on the engine, bit-exact element by element against the
/// golden model: grouped layers on the array (each output tile reads only its groups' input
/// words), depthwise layers on the depthwise unit and, without it, on the array.
/// </summary>
public class GroupedConvCosimTests(ITestOutputHelper output)
{
    private CosimResult Run(Network net, EngineConfig config, int seed)
    {
        var model = RandomQuantizedModel.Create(net, seed);
        var input = RandomQuantizedModel.Input(net, seed + 1);
        var expected = new ScalarReference().Run(model, input).Activations.ToDictionary(kv => kv.Key, kv => kv.Value.Data);
        var schedule = CosimBuildProfile.Plan(net, config);
        var result = CosimRunner.Run(schedule, model.Convs, input, expected);
        Assert.True(result.BitExact, $"{net.Name}: {result.FirstMismatch} (dump: {result.DumpDirectory})");
        return result;
    }

    [RequiresToolsTheory("verilator")]
    [InlineData(4, 71)]
    [InlineData(8, 72)]
    public void RandomGroupedConvolutionsOnTheArrayAreBitExact(int n, int seed)
    {
        var rng = new Random(seed);
        var config = new EngineConfig { Rows = n, Cols = n };
        foreach (int groups in new[] { 2, 3, 4, 8 })
        {
            int k = rng.Next(2) == 0 ? 1 : 3, stride = 1 + rng.Next(2), pad = k == 3 ? rng.Next(2) : 0;
            // Per-group channel counts that leave the last word partly empty, and groups straddling words.
            int cin = groups * (1 + rng.Next(5)), cout = groups * (2 + rng.Next(4));
            int h = 5 + rng.Next(8), w = 5 + rng.Next(8);
            var net = new Network($"grouped_g{groups}", new Shape(cin, h, w),
                [new ConvLayer("g", cout, k, stride, pad, Relu: rng.Next(2) == 0) { Groups = groups }]);
            var r = Run(net, config, seed * 10 + groups);
            Assert.Equal(Opcode.Conv, r.Schedule.Ops[0].Opcode);
            output.WriteLine($"{n}x{n} G={groups} {cin}->{cout} {h}x{w} k{k}/s{stride}/p{pad}: {r.TotalCycles} cycles (predicted {r.Schedule.PredictedCycles})");
        }
    }

    [RequiresToolsFact("verilator")]
    public void AGroupedConvolutionReadingAConcatWithHolesIsBitExact()
    {
        // Two 6-channel 1x1 convs concatenated on 8 lanes: lanes 6 and 7 of each word are holes, so
        // the grouped conv's group 1 (channels 4..7) spans both words around a hole.
        var net = new Network("grouped_holes", new Shape(5, 9, 9),
        [
            new ConvLayer("a", 6, 1) { Inputs = [Network.InputName] },
            new ConvLayer("b", 6, 1) { Inputs = [Network.InputName] },
            new ConcatLayer("cat") { Inputs = ["a", "b"] },
            new ConvLayer("g", 9, 3, 1, 1) { Groups = 3 },
            new ConvLayer("dw", 9, 3, 2, 1) { Groups = 9 },
            // The max pool shares the input and output ports with the depthwise unit in this engine.
            new MaxPoolLayer("pool", 2, 2),
        ]);
        var r = Run(net, new EngineConfig { Rows = 8, Cols = 8 }, 81);
        Assert.Equal(Opcode.Conv, r.Schedule.Ops.Single(o => o.Node == "g").Opcode);
        Assert.Equal(Opcode.DwConv, r.Schedule.Ops.Single(o => o.Node == "dw").Opcode);
    }

    [RequiresToolsTheory("verilator")]
    [InlineData(8, 3, 1, true)]
    [InlineData(8, 3, 2, true)]
    [InlineData(8, 3, 1, false)]
    [InlineData(8, 3, 2, false)]
    [InlineData(4, 5, 1, true)]
    [InlineData(4, 5, 2, true)]
    [InlineData(4, 5, 2, false)]
    public void DepthwiseLayersAreBitExactWithAndWithoutTheUnit(int n, int k, int stride, bool unit)
    {
        var rng = new Random(n * 100 + k * 10 + stride);
        var config = new EngineConfig { Rows = n, Cols = n, DepthwiseUnit = unit, DepthwiseMaxKernel = Math.Max(3, k) };
        // Channels not a multiple of the lanes; the odd width makes the stride-2 window overhang.
        int channels = n * 2 + 1 + rng.Next(n - 1), h = 6 + rng.Next(8), w = 7 + rng.Next(8), pad = k / 2;
        var net = new Network($"dw_k{k}_s{stride}", new Shape(channels, h, w),
        [
            // Without ReLU the depthwise layer reads int8, with it uint8 (the unit widens both).
            new ConvLayer("pw", channels, 1, Relu: stride == 2),
            new ConvLayer("dw", channels, k, stride, pad, Relu: stride == 1) { Groups = channels },
        ]);
        var r = Run(net, config, 90 + k + stride);
        var op = r.Schedule.Ops.Single(o => o.Node == "dw");
        Assert.Equal(unit ? Opcode.DwConv : Opcode.Conv, op.Opcode);
        var layer = r.Layers.Single(l => l.Node == "dw");
        output.WriteLine($"{n}x{n} {channels}x{h}x{w} k{k}/s{stride} unit={unit}: {layer.Cycles} cycles (predicted {layer.PredictedCycles}), " +
            $"ideal {layer.IdealCycles}, total {r.TotalCycles} (predicted {r.Schedule.PredictedCycles})");
        Assert.InRange(r.TotalCycles, r.Schedule.PredictedCycles * 0.98, r.Schedule.PredictedCycles * 1.02);
    }
}
