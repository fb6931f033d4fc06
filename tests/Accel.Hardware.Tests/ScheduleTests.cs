using System.Numerics;
using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Hardware.Schedule;
using Accel.Model.Arithmetic;
using Accel.Model.Networks;
using Accel.Model.Quantized;
using Xunit;

namespace Accel.Hardware.Tests;

public class ScheduleTests
{
    private static readonly EngineConfig Four = new() { Rows = 4, Cols = 4 };

    private static Network SmallFire() => new("small", new Shape(3, 9, 9),
        [new ConvLayer("conv1", 6, 3, 2, 1, Relu: true), new FireLayer("fire2", 3, 5, 6), new MaxPoolLayer("pool3", 3, 2, 0, CeilMode: true)]);

    [Fact]
    public void ConcatIsPlacementOnGroupBoundariesWithHolesForTheConsumers()
    {
        var s = ScheduleCompiler.Plan(SmallFire(), Four);
        var concat = s.Tensors["fire2/concat"];
        var e1 = s.Tensors["fire2/expand1x1"];
        var e3 = s.Tensors["fire2/expand3x3"];
        Assert.Equal(concat.Base, e1.Base);
        Assert.Equal(concat.Base + 2 * concat.Plane, e3.Base); // expand1x1's 5 channels take 2 groups of 4
        Assert.Equal(4, concat.Groups);
        var logical = concat.LogicalChannels(4);
        Assert.Equal([0, 1, 2, 3, 4, -1, -1, -1, 5, 6, 7, 8, 9, 10, -1, -1], logical);
        // The pool keeps its input's layout; its output is unsigned like its input.
        Assert.Equal(concat.Groups, s.Tensors["pool3"].Groups);
        Assert.True(s.Tensors["pool3"].Unsigned);
        Assert.True(s.Tensors["fire2/squeeze1x1"].Unsigned);
        Assert.False(s.Tensors["input"].Unsigned);
    }

    [Fact]
    public void TheProgramFollowsTheWeightsInDramOnA4KiBBoundaryInWholeBeats()
    {
        var s = ScheduleCompiler.Plan(SmallFire(), Four);
        long dataEnd = (s.TensorWords + s.WeightWords) * s.Config.DramWordBytes;
        Assert.InRange(s.ProgramDramBase, dataEnd, dataEnd + EngineSchedule.ProgramAlignment - 1);
        Assert.Equal(0, s.ProgramDramBase % EngineSchedule.ProgramAlignment);
        var format = s.Format;
        Assert.Equal((format.Bits + s.Config.DramBits - 1) / s.Config.DramBits, format.DramBeats);
        var program = EngineImage.EncodeProgram(s);
        var bytes = EngineImage.ProgramDram(program, format);
        Assert.Equal(s.ProgramBytes, bytes.Length);
        Assert.Equal(s.ProgramDramBase + s.ProgramBytes, s.DramBytes);
        // Instruction i is the little-endian bytes [i * DramBytes, (i + 1) * DramBytes).
        for (int i = 0; i < program.Count; i++)
            Assert.Equal(program[i], EngineImage.FromBytes(bytes.AsSpan(i * format.DramBytes, format.DramBytes)));
    }

    [Fact]
    public void PackAndUnpackRoundTripThroughHoles()
    {
        var s = ScheduleCompiler.Plan(SmallFire(), Four);
        var concat = s.Tensors["fire2/concat"];
        var data = Enumerable.Range(0, (int)concat.Shape.Elements).Select(i => (sbyte)(i * 7)).ToArray();
        var words = concat.Pack(data, 4);
        Assert.Equal(concat.Words * 4, words.Length);
        Assert.Equal(data, concat.Unpack(words, 4));
    }

    [Fact]
    public void ConvTilingFollowsTheSlotsAndTheAccumulator()
    {
        var net = new Network("wide", new Shape(20, 30, 30), [new ConvLayer("c", 37, 3, 1, 1, Relu: true)]);
        // Input slot 400 words: 5 groups x 3 rows x 30 = 450 does not fit, so... give 1000: 5 x (r+2) x 30 <= 500 -> r = 1.
        var s = ScheduleCompiler.Plan(net, Four with { AccumulatorDepth = 100, InputDepth = 1000, OutputDepth = 1000, WeightDepth = 1000 });
        var op = Assert.Single(s.Ops);
        Assert.Equal(10, op.OutputTiles);            // ceil(37 / 4)
        Assert.Equal(5 * 9, op.PassesPerBand);       // ceil(20 / 4) groups x 3x3 taps
        Assert.Equal(30, op.Stripes);                // 5 groups x 3 rows x 30 = 450 <= 500 words; 4 rows would need 600
        Assert.Equal(5, op.WeightChunks);            // 180 words a tile, 500-word slots: 2 tiles a chunk
        Assert.Equal(10 * 45 * 4, s.WeightWords);
        Assert.Equal(net.Macs, op.Macs);
        Assert.Equal((net.Macs + 15) / 16, op.Cost.IdealCycles);
        Assert.True(op.Cost.Cycles > op.Cost.IdealCycles);
        // Each compute instruction covers one stripe and one chunk; the conv's instructions read
        // the input once per chunk or the weights once per stripe, whichever moves fewer bytes.
        var convs = s.Instructions.Where(i => i.Opcode == Opcode.Conv).ToList();
        Assert.Equal(30 * 5, convs.Count);
        Assert.All(convs, i => Assert.True(i.Fields["oc_tiles"] == 2 && i.Fields["out_h"] == 1));
        Assert.Equal(30 * 5, s.Instructions.Count(i => i.Opcode == Opcode.Store));
        // Only the first stripe has padding rows above it.
        Assert.Equal(1, convs.Count(i => i.Fields["pad_top"] == 1) / 5);
    }

    [Fact]
    public void EveryWaitNamesAnEarlierInstructionAndSlotsAreNeverOverwrittenEarly()
    {
        var s = ScheduleCompiler.Plan(BuiltinNetworks.SqueezeNet1_1(), Four with { InputDepth = 4096, OutputDepth = 1024, WeightDepth = 2048 });
        var issued = new int[3];
        foreach (var insn in s.Instructions)
        {
            // A wait for more completions than the unit has been issued would never be met.
            Assert.True(insn.Fields["wait_load"] <= issued[0] && insn.Fields["wait_compute"] <= issued[1] && insn.Fields["wait_store"] <= issued[2],
                $"instruction waits for an instruction issued after it: {string.Join(", ", insn.Fields.Where(f => f.Key.StartsWith("wait")))}");
            issued[(int)insn.Unit]++;
            // A compute waits for the loads of its slots; a store waits for the compute that filled its slot.
            if (insn.Unit == Unit.Compute) Assert.True(insn.Fields["wait_load"] > 0);
            if (insn.Unit == Unit.Store) Assert.Equal(issued[1], insn.Fields["wait_compute"]);
        }
        // The simulated timeline respects the waits and the units run in parallel.
        Assert.True(s.Instructions.Zip(s.Instructions.Skip(1)).All(p => p.First.PredictedIssue < p.Second.PredictedIssue));
        long busy = s.Instructions.Sum(i => i.PredictedDuration);
        Assert.True(busy > s.PredictedCycles, "loads and stores overlap computation");
    }

    [Fact]
    public void LayersInterleaveButEveryLoadWaitsForTheStoresThatWriteWhatItReads()
    {
        var s = ScheduleCompiler.Plan(BuiltinNetworks.SqueezeNet1_1(), new EngineConfig());
        var program = s.Instructions;
        var stores = new List<(EngineInstruction Insn, int Seq)>();
        foreach (var insn in program)
        {
            if (insn.Opcode == Opcode.Store) stores.Add((insn, stores.Count));
            if (!IsInputLoad(insn)) continue;
            // A load reads DRAM some store writes: that store is earlier and waited for.
            foreach (var st in stores.Where(st => Overlap(insn, st.Insn)))
                Assert.True(insn.Fields["wait_store"] > st.Seq, $"a load of layer {s.Ops[insn.Layer].Node} does not wait for store {st.Seq}");
        }
        // ...and no store after it writes what it read (nothing read too early).
        for (int i = 0; i < program.Count; i++)
            if (IsInputLoad(program[i]))
                Assert.DoesNotContain(program.Skip(i + 1), later => later.Opcode == Opcode.Store && Overlap(program[i], later));
        // Steps of different layers do interleave: some compute runs while an earlier layer still has steps to go.
        var computeLayers = program.Where(i => i.Unit == Unit.Compute).Select(i => i.Layer).ToList();
        Assert.Contains(computeLayers.Zip(computeLayers.Skip(1)), p => p.Second < p.First);

        static bool IsInputLoad(EngineInstruction i) => i.Opcode == Opcode.Load && i.Fields["dma_mem"] == InstructionFormat.DmaInput;
        static IEnumerable<(long Lo, long Hi)> Runs(EngineInstruction i)
        {
            long run = i.DramBytes / i.Fields["dma_chunks"];
            for (long c = 0; c < i.Fields["dma_chunks"]; c++)
            {
                long a = i.Fields["dma_dram"] + c * i.Fields["dma_dram_stride"];
                yield return (a, a + run);
            }
        }
        static bool Overlap(EngineInstruction x, EngineInstruction y) =>
            Runs(x).Any(a => Runs(y).Any(b => a.Lo < b.Hi && b.Lo < a.Hi));
    }

    [Fact]
    public void TheWeightBufferKeepsChunksThatStillFitSoAFireModuleLoadsItsWeightsOnce()
    {
        var s = ScheduleCompiler.Plan(BuiltinNetworks.SqueezeNet1_1(), new EngineConfig());
        var weightLoads = s.Instructions.Where(i => i.Opcode == Opcode.Load && i.Fields["dma_mem"] == InstructionFormat.DmaWeights).ToList();
        var computes = s.Instructions.Where(i => i.Opcode == Opcode.Conv).ToList();
        // fire2's three layers hold 64 + 64 + 576 words: each is loaded once although their steps interleave with pool1 and fire3.
        foreach (var layer in new[] { "fire2/squeeze1x1", "fire2/expand1x1", "fire2/expand3x3" })
        {
            int index = s.Ops.ToList().FindIndex(o => o.Node == layer);
            Assert.True(computes.Count(i => i.Layer == index) > 1);
            Assert.Single(weightLoads, i => i.Layer == index);
        }
        // Every weight load stays inside the buffer, and a compute reads weights where one was loaded.
        Assert.All(weightLoads, i => Assert.True(i.Fields["dma_base"] + i.Fields["dma_chunk_words"] <= s.Config.WeightDepth));
        var bases = weightLoads.Select(i => i.Fields["dma_base"]).ToHashSet();
        Assert.All(computes, i => Assert.Contains(i.Fields["wgt_base"], bases));
    }

    [Fact]
    public void AStripeOfOnlyBottomPaddingLoadsARealRowAndGivesTheUnitAnEmptyMap()
    {
        // A padded 1x1 convolution's last output row reads the padding below the map only.
        var net = new Network("pad", new Shape(4, 3, 8), [new ConvLayer("c", 4, 1, 1, 1, Relu: true)]);
        var s = ScheduleCompiler.Plan(net, Four);
        var convs = s.Instructions.Where(i => i.Opcode == Opcode.Conv).ToList();
        Assert.Equal(3, convs.Count); // a single-step 1x1 layer is split in three stripes so loads overlap compute
        var last = convs[^1];
        Assert.Equal(0, last.Fields["in_h"]);
        var input = s.Tensors[Network.InputName];
        foreach (var load in s.Instructions.Where(i => i.Opcode == Opcode.Load && i.Fields["dma_mem"] == InstructionFormat.DmaInput))
            Assert.True(load.Fields["dma_dram"] + load.DramBytes <= (input.Base + input.Words) * s.Config.DramWordBytes, "a load reads past the input tensor");
    }

    [Fact]
    public void BuffersTooSmallAreRefusedNamingTheLayerTheBufferAndTheSize()
    {
        // fire3/squeeze1x1 of SqueezeNet 1.1 reads 128 channels of 55 pixels: 8 groups x 55 = 440 words a row at 16 lanes.
        var e = Assert.Throws<BufferCapacityException>(() => ScheduleCompiler.Plan(BuiltinNetworks.SqueezeNet1_1(), new EngineConfig { InputDepth = 800 }));
        Assert.Equal("input", e.Buffer);
        Assert.Equal(880, e.NeededDepth);
        Assert.Contains("layer 'fire3/squeeze1x1'", e.Message);
        Assert.Contains("input buffer needs a depth of at least 880 (configured 800", e.Message);
        var w = Assert.Throws<BufferCapacityException>(() => ScheduleCompiler.Plan(BuiltinNetworks.SqueezeNet1_1(), new EngineConfig { WeightDepth = 1000 }));
        Assert.Equal(("fire8/expand3x3", "weight", 1152L), (w.Layer, w.Buffer, w.NeededDepth));
        Assert.Contains("one output tile (36 passes x 16 rows = 576 words)", w.Message);
        var wide = new Network("w", new Shape(1, 2, 50), [new ConvLayer("c", 4, 1, 1, 0, Relu: false)]);
        var e2 = Assert.Throws<ScheduleException>(() => ScheduleCompiler.Plan(wide, Four with { AccumulatorDepth = 32 }));
        Assert.Contains("layer 'c'", e2.Message);
        Assert.Contains("accumulator", e2.Message);
    }

    [Fact]
    public void WholeSqueezeNetsPlanAndImpossiblePlacementsNameTheLayer()
    {
        var s = ScheduleCompiler.Plan(BuiltinNetworks.SqueezeNet1_1(), Four);
        Assert.Equal(Opcode.AvgPool, s.Ops[^1].Opcode);
        Assert.Equal(BuiltinNetworks.SqueezeNet1_1().Macs, s.Macs);
        var net = new Network("bad", new Shape(4, 5, 5), [new ConvLayer("a", 4, 1, 1, 0, Relu: true), new ConcatLayer("cat") { Inputs = ["input", "a"] }]);
        var e = Assert.Throws<ScheduleException>(() => ScheduleCompiler.Plan(net, Four));
        Assert.Contains("layer 'cat'", e.Message);
    }

    [Fact]
    public void InstructionFieldsRoundTripAndRefuseValuesThatDoNotFit()
    {
        var s = ScheduleCompiler.Plan(SmallFire(), Four);
        var format = s.Format;
        foreach (var insn in s.Instructions)
        {
            var word = format.Encode(insn.Fields);
            foreach (var (name, value) in insn.Fields) Assert.Equal(value, format.Decode(word, name));
        }
        Assert.Throws<ScheduleException>(() => format.Encode(new Dictionary<string, long> { ["kernel"] = 16 }));
        Assert.Equal(-128, format.Decode(format.Encode(new Dictionary<string, long> { ["lo"] = -128 }), "lo"));
    }

    [Fact]
    public void WeightWordsHoldTheRightWeightInTheRightLane()
    {
        var net = new Network("w", new Shape(5, 4, 4), [new ConvLayer("c", 6, 3, 1, 1, Relu: false)]);
        var s = ScheduleCompiler.Plan(net, Four);
        var weights = Enumerable.Range(0, 6 * 5 * 9).Select(i => (sbyte)(i % 200 - 100)).ToArray();
        var conv = new QuantizedConv("c", weights, [1, -2, 3, -4, 5, -6], Enumerable.Repeat(new Requant(40000, 20), 6).ToArray(), new float[6]);
        var image = EngineImage.Build(s, new Dictionary<string, QuantizedConv> { ["c"] = conv });
        // Word order: tile, input group, ky, kx, array row; byte = output lane; words DramWordBytes apart.
        int wb = s.Config.DramWordBytes;
        sbyte At(int word, int lane) => (sbyte)image.WeightBytes[word * wb + lane];
        int groups = 2;
        for (int oc = 0; oc < 6; oc++)
            for (int ic = 0; ic < 5; ic++)
                for (int ky = 0; ky < 3; ky++)
                    for (int kx = 0; kx < 3; kx++)
                    {
                        int tile = oc / 4, g = ic / 4, row = ic % 4;
                        int word = ((tile * groups + g) * 9 + ky * 3 + kx) * 4 + row;
                        Assert.Equal(weights[((oc * 5 + ic) * 3 + ky) * 3 + kx], At(word, oc % 4));
                    }
        // Lanes past the 6 outputs, and rows past the 5 inputs, are zero.
        Assert.Equal(0, At((1 * groups * 9) * 4, 3));
        Assert.Equal(0, At((1 * 9) * 4 + 1, 0));
        // Parameters: biases first, then (M, S) per lane; an unused lane has M = 0, S = 1.
        var p = image.Parameters[1];
        Assert.Equal(-6, (int)(uint)((p >> 32) & uint.MaxValue));
        Assert.Equal(40000 | 20 << 16, (int)((p >> (4 * 32 + 1 * 22)) & ((1 << 22) - 1)));
        Assert.Equal(1 << 16, (int)((p >> (4 * 32 + 3 * 22)) & ((1 << 22) - 1)));
        int firstConv = s.Instructions.ToList().FindIndex(i => i.Opcode == Opcode.Conv);
        Assert.Equal(Int8Arithmetic.OutputRange(false, false).Lo, s.Format.Decode(image.Program[firstConv], "lo"));
    }

    [Fact]
    public void AFewChannelInputConvIsPackedIm2ColStyle()
    {
        var s = ScheduleCompiler.Plan(BuiltinNetworks.SqueezeNet1_1(), new EngineConfig());
        var input = s.Tensors["input"];
        Assert.NotNull(input.Im2Col);
        Assert.Equal(new Shape(27, 111, 111), input.Shape);
        var conv1 = s.Ops[0];
        Assert.Equal((1, 1, 0), (conv1.Kernel, conv1.Stride, conv1.Pad));
        Assert.Equal(2, conv1.PassesPerBand); // 27 packed channels in two groups of 16 instead of 9 taps of 3
        Assert.True(conv1.ComputeCycles < conv1.Cost.IdealCycles * 1.4, $"{conv1.ComputeCycles} busy cycles for {conv1.Cost.IdealCycles} ideal");
        // Unpacked when packing would not save passes (a 1x1 conv), or channels already fill the rows.
        Assert.Null(ScheduleCompiler.Plan(new Network("n", new Shape(3, 8, 8), [new ConvLayer("c", 4, 1, 1, 0, Relu: false)]), Four).Tensors["input"].Im2Col);
        Assert.Null(ScheduleCompiler.Plan(new Network("n", new Shape(4, 8, 8), [new ConvLayer("c", 4, 3, 1, 1, Relu: false)]), Four).Tensors["input"].Im2Col);
    }

    [Fact]
    public void Im2ColPackingPlacesEveryTapAndZeroPadding()
    {
        var source = new Shape(2, 3, 4);
        var x = Enumerable.Range(1, (int)source.Elements).Select(i => (sbyte)i).ToArray();
        var packing = new Im2Col(source, Kernel: 3, Stride: 2, Pad: 1);
        var packedShape = new Shape(18, 2, 2);
        var p = packing.Apply(x, packedShape);
        for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++)
                for (int ic = 0; ic < 2; ic++)
                    for (int y = 0; y < 2; y++)
                        for (int xx = 0; xx < 2; xx++)
                        {
                            int iy = y * 2 + ky - 1, ix = xx * 2 + kx - 1;
                            sbyte want = iy < 0 || iy >= 3 || ix < 0 || ix >= 4 ? (sbyte)0 : x[(ic * 3 + iy) * 4 + ix];
                            Assert.Equal(want, p[(((ky * 3 + kx) * 2 + ic) * 2 + y) * 2 + xx]);
                        }
    }
}
