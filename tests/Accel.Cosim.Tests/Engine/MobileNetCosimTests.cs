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
/// Whole MobileNet v1 programs on the engine with seeded random weights: every node's output read
/// back from the simulated DRAM and compared element by element with the ILGPU golden model.
/// </summary>
public class MobileNetCosimTests(ITestOutputHelper output)
{
    private NetworkCosimResult Run(string name, EngineConfig config, int seed)
    {
        var net = BuiltinNetworks.Get(name);
        var model = RandomQuantizedModel.Create(net, seed);
        var input = RandomQuantizedModel.Input(net, seed + 1);
        using var golden = IlgpuGoldenModel.Create(GoldenDevice.Cpu);
        var sw = Stopwatch.StartNew();
        var whole = NetworkCosim.Run(model, input, config, golden);
        var r = whole.Cosim;
        output.WriteLine($"{name} at {config.Rows}x{config.Cols} (depthwise unit {(r.Schedule.Config.DepthwiseUnit == true ? "on" : "off")}): {r.TotalCycles} cycles " +
            $"(predicted {r.Schedule.PredictedCycles}), ideal {r.IdealCycles}, utilization {r.Utilization:P1}; sim {r.SimulationTime.TotalSeconds:F1} s, whole test step {sw.Elapsed.TotalSeconds:F1} s");
        foreach (var l in r.Layers) output.WriteLine($"  {l.Node}: {l.Cycles} cycles (predicted {l.PredictedCycles}), ideal {l.IdealCycles}, utilization {l.Utilization:P1}");
        Assert.True(r.BitExact, $"{r.FirstMismatch} (dump: {r.DumpDirectory})");
        Assert.Equal(net.Nodes.Count, r.Layers.Count);
        Assert.Equal(whole.GoldenTop5, whole.Top5);
        Assert.InRange(r.TotalCycles, r.Schedule.PredictedCycles * 0.97, r.Schedule.PredictedCycles * 1.03);
        return whole;
    }

    [RequiresToolsFact("verilator")]
    public void MobileNetV1Quarter128IsBitExactAt16x16WithTheDepthwiseUnit()
    {
        var r = Run("mobilenet_v1_0.25_128", new EngineConfig { Rows = 16, Cols = 16 }, 7);
        Assert.All(r.Cosim.Schedule.Ops.Where(o => o.Node.EndsWith("/dw")), o => Assert.Equal(Opcode.DwConv, o.Opcode));
        Assert.True(r.Cosim.Schedule.Config.DepthwiseUnit);
    }

    [RequiresToolsFact("verilator")]
    public void MobileNetV1Quarter128IsBitExactAt16x16OnTheArrayAlone()
    {
        var r = Run("mobilenet_v1_0.25_128", new EngineConfig { Rows = 16, Cols = 16, DepthwiseUnit = false }, 7);
        Assert.All(r.Cosim.Schedule.Ops.Where(o => o.Node.EndsWith("/dw")), o => Assert.Equal(Opcode.Conv, o.Opcode));
    }
}
