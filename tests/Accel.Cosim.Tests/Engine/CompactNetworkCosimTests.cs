using System.Diagnostics;
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
/// Whole compact networks on a 16x16 engine with seeded random weights, every node read back from
/// the simulated DRAM and compared element by element with the ILGPU golden model. These need both
/// the depthwise unit (DWCONV) and the element-wise units (ELTWISE) in one program.
/// </summary>
public class CompactNetworkCosimTests(ITestOutputHelper output)
{
    private NetworkCosimResult Run(Network net, int seed)
    {
        var config = new EngineConfig { Rows = 16, Cols = 16 };
        var model = RandomQuantizedModel.Create(net, seed);
        var input = RandomQuantizedModel.Input(net, seed + 1);
        using var golden = IlgpuGoldenModel.Create(GoldenDevice.Cpu);
        var sw = Stopwatch.StartNew();
        var whole = NetworkCosim.Run(model, input, config, golden);
        var r = whole.Cosim;
        output.WriteLine($"{net.Name} {net.InputShape} at 16x16: {r.TotalCycles} cycles (predicted {r.Schedule.PredictedCycles}), " +
            $"ideal {r.IdealCycles}, utilization {r.Utilization:P1}; sim {r.SimulationTime.TotalSeconds:F1} s, whole test {sw.Elapsed.TotalSeconds:F1} s");
        foreach (var l in r.Layers) output.WriteLine($"  {l.Node}: {l.Cycles} cycles (predicted {l.PredictedCycles}), ideal {l.IdealCycles}");
        Assert.True(r.BitExact, $"{r.FirstMismatch} (dump: {r.DumpDirectory})");
        Assert.Equal(whole.GoldenTop5, whole.Top5);
        return whole;
    }

    [RequiresToolsFact("verilator")]
    public void ShuffleNetV2HalfIsBitExactAt16x16()
    {
        var net = BuiltinNetworks.Get("shufflenet_v2_x0.5");
        var r = Run(net, 11);
        var ops = r.Cosim.Schedule.Ops;
        Assert.Contains(ops, o => o.Opcode == Opcode.DwConv);
        Assert.Contains(ops, o => o.Opcode == Opcode.Eltwise);
    }

    /// <summary>
    /// ShuffleNet v1 (g = 3): at 16 lanes stage 2's first unit concatenates 24 + 216 channels, so every
    /// grouped conv feeding a stage-2 add writes that layout with its holes.
    /// </summary>
    [RequiresToolsFact("verilator")]
    public void ShuffleNetV1IsBitExactAt16x16()
    {
        var r = Run(BuiltinNetworks.Get(BuiltinNetworks.ShuffleNetV1), 17);
        var schedule = r.Cosim.Schedule;
        var shortcut = schedule.Tensors["stage2/unit1/relu"].LogicalChannels(16);
        Assert.Contains(-1, shortcut);
        Assert.Equal(shortcut, schedule.Tensors["stage2/unit4/gconv2"].LogicalChannels(16));
        Assert.Contains(schedule.Ops, o => o.Opcode == Opcode.DwConv);
    }

    [RequiresToolsFact("verilator")]
    public void SqueezeNetSimpleBypassIsBitExactAt16x16()
    {
        var r = Run(BuiltinNetworks.Get(BuiltinNetworks.SqueezeNet10Bypass), 13);
        Assert.Contains(r.Cosim.Schedule.Ops, o => o.Opcode == Opcode.Eltwise && o.Node.EndsWith("/bypass"));
    }
}
