using Accel.Golden;
using Accel.Golden.Testing;
using Accel.Hardware.Config;
using Accel.Hardware.Schedule;
using Accel.Model.Networks;
using Accel.Tests;
using Xunit;

namespace Accel.Cosim.Tests.Engine;

/// <summary>Cosim of small random layers: bit-exact runs, and a mismatch is found, located and dumped.</summary>
public class CosimRunnerTests
{
    private static (CosimResult Result, Dictionary<string, sbyte[]> Expected) Run(Network net, int n, Func<Dictionary<string, sbyte[]>, Dictionary<string, sbyte[]>>? tamper = null,
        CosimOptions? options = null, EngineConfig? config = null, MemoryModel? memory = null)
    {
        var model = RandomQuantizedModel.Create(net, 11);
        var input = RandomQuantizedModel.Input(net, 12);
        var expected = new ScalarReference().Run(model, input).Activations.ToDictionary(kv => kv.Key, kv => kv.Value.Data);
        if (tamper is not null) expected = tamper(expected);
        var schedule = CosimBuildProfile.Plan(net, config ?? new EngineConfig { Rows = n, Cols = n }, memory: memory);
        return (CosimRunner.Run(schedule, model.Convs, input, expected, options), expected);
    }

    [RequiresToolsFact("verilator")]
    public void SqueezeNet10Conv1ShapeIsBitExact()
    {
        // 7x7 stride 2 on 3 channels (SqueezeNet 1.0's conv1) into a ceil-mode 3x3/2 pool, on a reduced input.
        var net = new Network("conv7", new Shape(3, 23, 21),
            [new ConvLayer("conv1", 10, 7, 2, 0, Relu: true), new MaxPoolLayer("pool1", 3, 2, 0, CeilMode: true)]);
        var (r, _) = Run(net, 4);
        Assert.True(r.BitExact, r.FirstMismatch?.ToString());
        Assert.All(r.Layers, l => Assert.True(l.Cycles > 0));
        Assert.Equal(r.Layers[0].IdealCycles, (net.Macs + 15) / 16);
    }

    [RequiresToolsFact("verilator")]
    public void TheProgramStreamsInOnceAndAStarvedFetchQueueStaysExactAndPredicted()
    {
        // Short instructions, a 4-instruction queue and a slow, distant memory: the controller waits
        // on the instruction port often, and the cost model has to see those waits.
        var net = new Network("chain", new Shape(8, 15, 15),
        [
            new ConvLayer("a", 16, 3, 1, 1, Relu: true), new MaxPoolLayer("p", 3, 2, 0, CeilMode: true),
            new ConvLayer("b", 8, 1, 1, 0, Relu: true), new ConvLayer("c", 12, 3, 1, 1, Relu: false),
        ]);
        var starved = new MemoryModel { ReadLatency = 300, BeatsPerCycle = 0.5 };
        var (r, _) = Run(net, 4, config: new EngineConfig { Rows = 4, Cols = 4, FetchQueueDepth = 4 }, memory: starved);
        Assert.True(r.BitExact, r.FirstMismatch?.ToString());
        var s = r.Schedule;
        // Every byte of the program (instructions, then END) crosses the instruction port exactly once.
        Assert.Equal((ulong)s.ProgramBytes, r.Dram!.InstructionReadBeats * (ulong)s.Config.DramBits / 8);
        Assert.Equal(0, s.ProgramDramBase % EngineSchedule.ProgramAlignment);
        Assert.InRange(r.TotalCycles, s.PredictedCycles * 0.98, s.PredictedCycles * 1.02);
        // The same program with the default queue and memory waits less for its instructions.
        var (fed, _) = Run(net, 4);
        Assert.True(fed.BitExact);
        Assert.True(fed.TotalCycles < r.TotalCycles, $"{fed.TotalCycles} cycles fed vs {r.TotalCycles} starved");
    }

    [RequiresToolsFact("verilator")]
    public void AMismatchIsReportedAtTheFirstDifferingElementAndDumped()
    {
        var net = new Network("one", new Shape(5, 6, 7), [new ConvLayer("c", 6, 3, 1, 1, Relu: false)]);
        var work = Path.Combine(Path.GetTempPath(), "accel-mismatch-" + Guid.NewGuid().ToString("N")[..8]);
        var (r, expected) = Run(net, 2, e =>
        {
            var copy = e.ToDictionary(kv => kv.Key, kv => (sbyte[])kv.Value.Clone());
            int index = (4 * 6 + 2) * 7 + 5; // channel 4, y 2, x 5
            copy["c"][index] = (sbyte)(copy["c"][index] ^ 0x10);
            copy["c"][index + 1] = (sbyte)(copy["c"][index + 1] ^ 0x10);
            return copy;
        }, new CosimOptions { WorkDirectory = work });
        try
        {
            Assert.False(r.BitExact);
            var m = Assert.IsType<Mismatch>(r.FirstMismatch);
            Assert.Equal(("c", 4, 2, 5, 2), (m.Node, m.Channel, m.Y, m.X, m.Count));
            Assert.Equal(expected["c"][(4 * 6 + 2) * 7 + 5], (sbyte)m.Expected);
            Assert.NotNull(r.DumpDirectory);
            Assert.True(File.Exists(Path.Combine(r.DumpDirectory!, "c.expected.i8")));
            Assert.True(File.Exists(Path.Combine(r.DumpDirectory!, "c.got.i8")));
            Assert.Contains("channel 4 y 2 x 5", File.ReadAllText(Path.Combine(r.DumpDirectory!, "index.json")));
        }
        finally { Directory.Delete(work, true); }
    }

    [RequiresToolsFact("verilator")]
    public void TraceWritesAVcdOfTheRun()
    {
        var net = new Network("tiny", new Shape(2, 3, 3), [new ConvLayer("c", 2, 1, 1, 0, Relu: true)]);
        var vcd = Path.Combine(Path.GetTempPath(), "accel-trace-" + Guid.NewGuid().ToString("N")[..8] + ".vcd");
        try
        {
            var (r, _) = Run(net, 2, options: new CosimOptions { TracePath = vcd });
            Assert.True(r.BitExact);
            var text = File.ReadAllText(vcd);
            Assert.Contains("$enddefinitions", text);
            Assert.Contains("active_cycles_o", text);
        }
        finally { File.Delete(vcd); }
    }
}
