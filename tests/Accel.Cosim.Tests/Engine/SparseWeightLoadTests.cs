using Accel.Golden;
using Accel.Golden.Ilgpu;
using Accel.Golden.Testing;
using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Model.Networks;
using Accel.Model.Data;
using Accel.Model.Quantized;
using Accel.Onnx;
using Accel.Quantization;
using Accel.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Accel.Cosim.Tests.Engine;

/// <summary>
/// Decode on load: weight loads read sparse streams and accel_sparse_decoder writes the dense
/// words. The RTL must write exactly what the host decoder gives: every layer bit-exact, with
/// weights sparse enough that the streams are used, and the cost model timing the sparse loads.
/// </summary>
public class SparseWeightLoadTests(ITestOutputHelper output)
{
    [RequiresToolsTheory("verilator")]
    [InlineData(4)]
    [InlineData(8)]
    public void SparseLoadsDecodeToTheDenseWeightsBitExact(int n)
    {
        // A 3x3 conv (long lane runs: 15, 16 and more zeros), a 1x1 conv with all-zero lanes and words, a 3x3 again.
        var net = new Network("sparse_loads", new Shape(3 * n, 11, 11),
        [
            new ConvLayer("a", 4 * n, 3, 1, 1, Relu: true),
            new ConvLayer("b", 2 * n + 1, 1, 1, 0, Relu: true),
            new ConvLayer("c", 3 * n, 3, 1, 1, Relu: false),
        ]);
        var model = RandomQuantizedModel.Create(net, 31);
        var rng = new Random(32);
        foreach (var (name, density) in new[] { ("a", 0.15), ("b", 0.3), ("c", 0.05) })
        {
            var w = model.Convs[name].Weights;
            int cout = model.Convs[name].Requant.Length;
            for (int i = 0; i < w.Length; i++)
                if (rng.NextDouble() >= density) w[i] = 0;
            // Output channel 1 of b is all zero (an all-zero lane); b keeps a few large values.
            if (name == "b") for (int i = w.Length / cout; i < 2 * w.Length / cout; i++) w[i] = 0;
        }
        var input = RandomQuantizedModel.Input(net, 33);
        var config = new EngineConfig { Rows = n, Cols = n };
        var schedule = CosimBuildProfile.Plan(net, config);
        var expected = new ScalarReference().Run(model, input).Activations.ToDictionary(kv => kv.Key, kv => kv.Value.Data);

        // Host side: every converted load's stream decodes to its dense words.
        var image = EngineImage.Build(schedule, model.Convs);
        var plan = SparseWeightLoads.Apply(schedule, image.WeightBytes);
        Assert.True(plan.SparseLoads > 0, "no weight load became sparse");
        int wordBytes = config.DramWordBytes;
        long weightBase = schedule.WeightDramBase * wordBytes;
        foreach (var insn in plan.Schedule.Instructions.Where(i => i.Fields.GetValueOrDefault("dma_sparse") == 1))
        {
            long at = insn.Fields["dma_dram"] - weightBase, words = insn.Fields["dma_chunks"] * insn.Fields["dma_chunk_words"];
            int beats = (int)insn.Fields["dma_src_beats"];
            var decoded = SparseWeightStream.Decode(plan.WeightBytes.AsSpan((int)at, beats * config.DramBits / 8), n, (int)words, config.DramBits);
            for (long w = 0; w < words; w++)
                for (int l = 0; l < n; l++)
                    Assert.Equal((sbyte)image.WeightBytes[at + w * wordBytes + l], decoded[w * n + l]);
        }

        var dense = CosimRunner.Run(schedule, model.Convs, input, expected);
        var result = CosimRunner.Run(schedule, model.Convs, input, expected, new CosimOptions { SparseWeights = true });
        Assert.True(dense.BitExact, dense.FirstMismatch?.ToString());
        Assert.True(result.BitExact, result.FirstMismatch?.ToString());
        Assert.Equal(plan.SparseLoads, result.Layers.Sum(l => l.SparseLoads));
        foreach (var l in result.Layers)
            output.WriteLine($"{l.Node}: {l.SparseLoads} sparse loads, weight beats {dense.Layers.First(d => d.Node == l.Node).WeightLoadBeats} -> {l.WeightLoadBeats}, " +
                $"decode {l.DecodeCycles} cycles, compute {l.Cycles}");
        output.WriteLine($"dense {dense.TotalCycles} (predicted {dense.Schedule.PredictedCycles}), sparse {result.TotalCycles} (predicted {result.Schedule.PredictedCycles})");
        Assert.True(result.Layers.Sum(l => l.WeightLoadBeats) < dense.Layers.Sum(l => l.WeightLoadBeats));
        Assert.True(result.Layers.All(l => l.SparseLoads == 0 || l.DecodeCycles > 0));
        Assert.InRange(result.TotalCycles, result.Schedule.PredictedCycles * 0.98, result.Schedule.PredictedCycles * 1.02);
    }

    [RequiresDataTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheWholeOfSqueezeNet11WithTable1SparsityIsBitExactThroughTheDecoderAt16x16(bool everyLayerAt20Percent)
    {
        // SqueezeNet 1.1 quantized on the cat image, then magnitude-pruned per layer to the Deep
        // Compression Table 1 pattern (expand3x3 33 %, conv10 20 %, ...; docs/compression.md), so
        // that many weight loads decode on load; every layer must stay bit-exact.
        Assert.Null(Tools.MissingReason(["verilator"]));
        var floatModel = OnnxImporter.Load(SharedData.SqueezeNet11Onnx!);
        var x = ReferenceInputs.Cat("squeezenet1_1");
        var model = PostTrainingQuantizer.Quantize(floatModel, PostTrainingQuantizer.Calibrate(floatModel, [x]), "torchvision");
        var input = model.QuantizeInput(x);
        foreach (var (name, conv) in model.Convs)
        {
            double density = name == "conv10" ? 0.2 : name is "fire8/expand3x3" or "fire9/expand3x3" ? 0.3
                : name.EndsWith("expand3x3") ? 0.33 : name is "fire6/expand1x1" or "fire8/expand1x1" or "fire7/squeeze1x1" or "fire9/squeeze1x1" ? 0.5 : 1.0;
            // Sparse enough everywhere that every weight load of every Fire module goes through the decoder.
            if (everyLayerAt20Percent) density = 0.2;
            if (density >= 1) continue;
            var w = conv.Weights;
            int keep = (int)Math.Round(density * w.Length);
            int threshold = w.Select(v => Math.Abs((int)v)).OrderByDescending(v => v).ElementAt(keep);
            for (int i = 0; i < w.Length; i++) if (Math.Abs((int)w[i]) <= threshold) w[i] = 0;
        }
        using var golden = IlgpuGoldenModel.Create(GoldenDevice.Cpu);
        var config = new EngineConfig { Rows = 16, Cols = 16 };
        var whole = NetworkCosim.Run(model, input, config, golden, new CosimOptions { SparseWeights = true });
        var r = whole.Cosim;
        foreach (var l in r.Layers.Where(l => l.Op == "Conv"))
            output.WriteLine($"{l.Node}: {l.Cycles} cycles (predicted {l.PredictedCycles}), weight beats {l.WeightLoadBeats}, {l.SparseLoads} sparse loads, decode {l.DecodeCycles} cycles");
        output.WriteLine($"{r.TotalCycles} cycles (predicted {r.Schedule.PredictedCycles}), sim {r.SimulationTime.TotalSeconds:F1} s");
        Assert.True(r.BitExact, $"{r.FirstMismatch} (dump: {r.DumpDirectory})");
        Assert.Equal(whole.GoldenTop5, whole.Top5);
        Assert.True(r.Layers.Sum(l => l.SparseLoads) > 10, "few weight loads were sparse");
        if (everyLayerAt20Percent)
            Assert.All(r.Schedule.Instructions.Where(i => i.Opcode == Opcode.Load && i.Fields["dma_mem"] == InstructionFormat.DmaWeights),
                i => Assert.Equal(1, i.Fields["dma_sparse"]));
        Assert.InRange(r.Schedule.PredictedCycles, r.TotalCycles * 0.99, r.TotalCycles * 1.01);
    }
}
