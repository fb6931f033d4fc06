using System.Numerics;
using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Hardware.Schedule;
using Accel.Model.Networks;
using Accel.Model.Arithmetic;
using Accel.Model.Quantized;
using Accel.Tests;
using Xunit;

namespace Accel.Hardware.Tests;

/// <summary>
/// Grouped convolutions on the array read only their groups' input words; depthwise layers go to
/// the depthwise unit when the configuration has one and the kernel fits it, keeping their input's
/// channel layout; the engine image lays their weights and parameters out per channel group.
/// </summary>
public class GroupedConvScheduleTests
{
    private static readonly EngineConfig Four = new() { Rows = 4, Cols = 4 };

    [Fact]
    public void EachOutputTileOfAGroupedConvReadsOnlyItsGroupsInputWords()
    {
        // 4 groups of 4 -> 4 channels on 4 lanes: tile t reads input group t alone, 9 passes instead of 36.
        var net = new Network("g4", new Shape(16, 8, 8), [new ConvLayer("g", 16, 3, 1, 1) { Groups = 4 }]);
        var s = ScheduleCompiler.Plan(net, Four);
        var op = s.Ops[0];
        Assert.Equal(Opcode.Conv, op.Opcode);
        Assert.Equal([(0, 1), (1, 1), (2, 1), (3, 1)], op.TileInputGroups!);
        Assert.Equal(4L * 9 * 4, op.WeightWords(Four));
        var computes = s.Instructions.Where(i => i.Opcode == Opcode.Conv).ToList();
        Assert.All(computes, i => Assert.Equal(1, i.Fields["in_groups"]));
        Assert.All(computes, i => Assert.Equal(9, i.Fields["passes_per_band"]));
        // Every input group is loaded by the steps of its own tile.
        var loads = s.Instructions.Where(i => i.Opcode == Opcode.Load && i.Fields["dma_mem"] == InstructionFormat.DmaInput).ToList();
        Assert.Equal(4, loads.Select(l => l.Fields["dma_dram"] / (s.Tensors["input"].Plane * (long)Four.DramWordBytes)).Distinct().Count());
    }

    [Fact]
    public void TilesWhoseGroupsStraddleWordsReadBothWords()
    {
        // 3 groups of 4 input channels on 8 lanes: group 1 (channels 4..7) is lanes 4..7 of word 0; 12 outputs in tiles of 8.
        var net = new Network("g3", new Shape(12, 6, 6), [new ConvLayer("g", 12, 1) { Groups = 3 }]);
        var s = ScheduleCompiler.Plan(net, new EngineConfig { Rows = 8, Cols = 8 });
        // Tile 0 (outputs 0..7: groups 0 and 1) reads word 0; tile 1 (outputs 8..11: group 2) reads word 1.
        Assert.Equal([(0, 1), (1, 1)], s.Ops[0].TileInputGroups!);
    }

    [Theory]
    [InlineData(true, 3, 3, Opcode.DwConv)]
    [InlineData(false, 3, 3, Opcode.Conv)]
    [InlineData(true, 5, 3, Opcode.Conv)]
    [InlineData(true, 5, 5, Opcode.DwConv)]
    public void DepthwiseLayersRunOnTheUnitWhenItIsBuiltAndTheKernelFits(bool unit, int k, int maxKernel, Opcode expected)
    {
        var net = new Network("dw", new Shape(10, 9, 9), [new ConvLayer("dw", 10, k, 1, k / 2) { Groups = 10 }]);
        var s = ScheduleCompiler.Plan(net, Four with { DepthwiseUnit = unit, DepthwiseMaxKernel = maxKernel });
        Assert.Equal(expected, s.Ops[0].Opcode);
        Assert.All(s.Instructions.Where(i => i.Unit == Unit.Compute), i => Assert.Equal((long)expected, i.Fields["opcode"]));
    }

    [Fact]
    public void TheUnitIsBuiltByDefaultOnlyWhenTheScheduleHasADepthwiseLayerForIt()
    {
        // A network without depthwise layers (SqueezeNet) keeps the engine it had: no unit, no multipliers.
        var squeeze = ScheduleCompiler.Plan(BuiltinNetworks.Get("squeezenet1_1"), new EngineConfig());
        Assert.False(squeeze.Config.DepthwiseUnit);
        Assert.DoesNotContain(EngineRtl.Build(squeeze.Config), m => m.Name == Engine.DepthwiseUnit.Name);
        var mobile = ScheduleCompiler.Plan(BuiltinNetworks.Get("mobilenet_v1_0.25_128"), new EngineConfig());
        Assert.True(mobile.Config.DepthwiseUnit);
        Assert.Contains(EngineRtl.Build(mobile.Config), m => m.Name == Engine.DepthwiseUnit.Name);
        // Asked for, it is built even when no layer uses it.
        Assert.True(ScheduleCompiler.Plan(BuiltinNetworks.Get("squeezenet1_1"), new EngineConfig { DepthwiseUnit = true }).Config.DepthwiseUnit);
    }

    [Fact]
    public void ADepthwiseOutputOnTheUnitKeepsItsInputsLayoutHolesIncluded()
    {
        var net = new Network("holes", new Shape(3, 7, 7),
        [
            new ConvLayer("a", 5, 1) { Inputs = [Network.InputName] },
            new ConvLayer("b", 3, 1) { Inputs = [Network.InputName] },
            new ConcatLayer("cat") { Inputs = ["a", "b"] },
            new ConvLayer("dw", 8, 3, 2, 1) { Groups = 8 },
        ]);
        var s = ScheduleCompiler.Plan(net, Four);
        Assert.Equal(Opcode.DwConv, s.Ops.Single(o => o.Node == "dw").Opcode);
        Assert.Equal(s.Tensors["cat"].LogicalChannels(4), s.Tensors["dw"].LogicalChannels(4));
        Assert.Equal(3, s.Tensors["dw"].Groups);
    }

    /// <summary>
    /// A shortcut with holes (5 + 3 channels on 4 lanes: lanes 1..3 of group 1 unused) and a grouped conv
    /// feeding its add: the conv writes the shortcut's layout, one tile per group, hole columns zero;
    /// also when the conv comes first in the network's order.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AConvFeedingAnAddWritesItsPartnersLayoutHolesIncluded(bool convFirst)
    {
        Layer[] shortcut =
        [
            new ConvLayer("a", 5, 1) { Inputs = [Network.InputName] },
            new ConvLayer("b", 3, 1) { Inputs = [Network.InputName] },
            new ConcatLayer("x") { Inputs = ["a", "b"] },
        ];
        Layer branchConv = new ConvLayer("branch", 8, 1, Relu: false) { Groups = 2, Inputs = [Network.InputName] };
        Layer[] layers = convFirst ? [branchConv, .. shortcut] : [.. shortcut, branchConv];
        var net = new Network("holes_add", new Shape(8, 6, 6), [.. layers, new AddLayer("sum", Relu: true) { Inputs = ["branch", "x"] }]);
        var s = ScheduleCompiler.Plan(net, Four with { ParamDepth = 8 });
        var x = s.Tensors["x"].LogicalChannels(4);
        Assert.Equal([0, 1, 2, 3, 4, -1, -1, -1, 5, 6, 7, -1], x);
        Assert.Equal(x, s.Tensors["branch"].LogicalChannels(4));
        Assert.Equal(x, s.Tensors["sum"].LogicalChannels(4));
        var branch = s.Ops.Single(o => o.Node == "branch");
        Assert.Equal(3, branch.OutputTiles);
        // The input is dense on 4 lanes: conv group 0 (outputs 0..3) reads word 0; outputs 4..7 (tiles 1 and 2) read word 1.
        Assert.Equal([(0, 1), (1, 1), (1, 1)], branch.TileInputGroups!);

        var rng = new Random(9);
        var weights = Enumerable.Range(0, 8 * 4).Select(_ => (sbyte)rng.Next(1, 128)).ToArray();
        var convs = new Dictionary<string, QuantizedConv>
        {
            ["a"] = Filled("a", 5, 8), ["b"] = Filled("b", 3, 8),
            ["branch"] = new("branch", weights, Enumerable.Range(0, 8).Select(i => 100 + i).ToArray(),
                Enumerable.Range(0, 8).Select(i => new Requant((ushort)(2000 + i), 20)).ToArray(), new float[8]),
        };
        var operators = new OperatorParameters { Adds = new Dictionary<string, AddRequant> { ["sum"] = new(1 << 14, 1 << 14, 15) } };
        var image = EngineImage.Build(s, convs, operators: operators);
        int wb = Four.DramWordBytes;
        long tile1 = branch.WeightBase - s.WeightDramBase + 1L * 4;  // tile 0 reads one word: 4 array rows
        // Tile 1 (input word 1 = channels 4..7): column 0 is output 4, the other columns are holes.
        for (int row = 0; row < 4; row++)
            for (int col = 0; col < 4; col++)
            {
                sbyte expected = col == 0 ? weights[4 * 4 + row] : (sbyte)0;
                Assert.Equal(expected, (sbyte)image.WeightBytes[(tile1 + row) * wb + col]);
            }
        var p = image.Parameters[branch.ParamBase + 2];
        Assert.Equal(105, (int)(uint)(p & uint.MaxValue));                 // lane 0 of group 2 is output 5
        Assert.Equal(0, (int)(uint)((p >> (3 * 32)) & uint.MaxValue));     // lane 3 is a hole: bias 0
    }

    private static QuantizedConv Filled(string name, int cout, int cin) =>
        new(name, Enumerable.Repeat((sbyte)1, cout * cin).ToArray(), new int[cout], Enumerable.Repeat(new Requant(1 << 14, 15), cout).ToArray(), new float[cout]);

    [Fact]
    public void TheImageHoldsKxKWeightWordsAndOneParameterWordPerChannelGroup()
    {
        var net = new Network("dw", new Shape(6, 5, 5), [new ConvLayer("dw", 6, 3, 1, 1) { Groups = 6 }]);
        var s = ScheduleCompiler.Plan(net, Four with { ParamDepth = 8 });
        var rng = new Random(5);
        var weights = Enumerable.Range(0, 6 * 9).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray();
        var bias = Enumerable.Range(0, 6).Select(i => -1000 * i + 7).ToArray();
        var requant = Enumerable.Range(0, 6).Select(i => new Requant((ushort)(1000 + i), (byte)(20 + i))).ToArray();
        var image = EngineImage.Build(s, new Dictionary<string, QuantizedConv> { ["dw"] = new("dw", weights, bias, requant, new float[6]) });
        int wb = Four.DramWordBytes;
        for (int g = 0; g < 2; g++)
            for (int tap = 0; tap < 9; tap++)
                for (int lane = 0; lane < 4; lane++)
                {
                    int ch = g * 4 + lane;
                    sbyte expected = ch < 6 ? weights[ch * 9 + tap] : (sbyte)0;
                    Assert.Equal(expected, (sbyte)image.WeightBytes[(g * 9 + tap) * wb + lane]);
                }
        // Group 1: lanes 0 and 1 are channels 4 and 5; lanes 2 and 3 are past the layer (bias 0, M = 0, S = 1).
        var p = image.Parameters[1];
        int BiasOf(int lane) => (int)(uint)((p >> (lane * 32)) & uint.MaxValue);
        long Rq(int lane) => (long)((p >> (4 * 32 + lane * EngineConfig.RequantLaneBits)) & ((BigInteger.One << EngineConfig.RequantLaneBits) - 1));
        Assert.Equal(bias[5], BiasOf(1));
        Assert.Equal(1005L | (25L << EngineConfig.MultiplierBits), Rq(1));
        Assert.Equal(0, BiasOf(3));
        Assert.Equal(1L << EngineConfig.MultiplierBits, Rq(3));
    }

    [RequiresToolsTheory("verilator")]
    [InlineData(4, false, 3)]
    [InlineData(4, true, 5)]
    [InlineData(8, true, 7)]
    public void EmittedRtlPassesVerilatorLintWithAndWithoutTheDepthwiseUnit(int n, bool unit, int maxKernel)
    {
        var config = RtlTestSupport.Small(n) with { DepthwiseUnit = unit, DepthwiseMaxKernel = maxKernel };
        var (dir, files) = RtlTestSupport.Emit(config);
        try
        {
            Assert.Equal(unit, files.Any(f => Path.GetFileName(f) == "accel_dw_unit.v"));
            var (code, output) = RtlTestSupport.Run("verilator", ["--lint-only", "-Wall", "--top-module", "accel_top", .. files], dir);
            Assert.True(code == 0 && !output.Contains("%Warning"), $"verilator -Wall at {n}x{n}:\n{output}");
        }
        finally { Directory.Delete(dir, true); }
    }
}
