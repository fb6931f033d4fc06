using Accel.Golden;
using Accel.Golden.Ilgpu;
using Accel.Golden.Testing;
using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Hardware.Schedule;
using Accel.Model.Data;
using Accel.Model.Networks;
using Accel.Onnx;
using Accel.Quantization;
using Accel.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Accel.Cosim.Tests.Engine;

/// <summary>
/// The feeder skips a pass whose rows x cols weight block is all zero (unless it is a band's first
/// or last): outputs stay bit-exact, the skipped passes cost almost nothing and the cost model
/// predicts the saving.
/// </summary>
public class ZeroSkippingTests(ITestOutputHelper output)
{
    [RequiresToolsFact("verilator")]
    public void A3x3LayerWithAThirdOfItsPassesLeftIsExactAndAtLeast1Point5TimesFaster()
    {
        // 32 -> 32 channels, 3x3, on 8x8: 4 input groups x 9 taps = 36 passes per output tile, 4 tiles.
        const int n = 8, cin = 32, cout = 32, k = 3;
        var net = new Network("block_sparse", new Shape(cin, 13, 13), [new ConvLayer("c", cout, k, 1, 1, Relu: true)]);
        var config = new EngineConfig { Rows = n, Cols = n };
        var dense = RandomQuantizedModel.Create(net, 21);
        var input = RandomQuantizedModel.Input(net, 22);

        // Keep a third of the (tile, group, tap) blocks; tile 3 keeps none (its outputs are the bias).
        var sparse = RandomQuantizedModel.Create(net, 21);
        var sparseWeights = sparse.Convs["c"].Weights;
        var rng = new Random(23);
        int kept = 0, blocks = 0;
        for (int tile = 0; tile < cout / n; tile++)
            for (int g = 0; g < cin / n; g++)
                for (int tap = 0; tap < k * k; tap++, blocks++)
                {
                    if (tile < 3 && rng.Next(3) == 0) { kept++; continue; }
                    for (int oc = tile * n; oc < (tile + 1) * n; oc++)
                        for (int ic = g * n; ic < (g + 1) * n; ic++)
                            sparseWeights[(oc * cin + ic) * k * k + tap] = 0;
                }

        var schedule = CosimBuildProfile.Plan(net, config);
        CosimResult Run(Model.Quantized.QuantizedModel model)
        {
            var expected = new ScalarReference().Run(model, input).Activations.ToDictionary(kv => kv.Key, kv => kv.Value.Data);
            return CosimRunner.Run(schedule, model.Convs, input, expected);
        }
        var full = Run(dense);
        var skipping = Run(sparse);
        Assert.True(full.BitExact, full.FirstMismatch?.ToString());
        Assert.True(skipping.BitExact, skipping.FirstMismatch?.ToString());

        var zero = EngineImage.Build(schedule, sparse.Convs).ZeroPasses;
        Assert.Equal(blocks - kept, zero.Count);
        Assert.Equal(0, EngineImage.Build(schedule, dense.Convs).ZeroPasses.Count);

        long denseCompute = full.Layers[0].Cycles, sparseCompute = skipping.Layers[0].Cycles;
        double speedup = (double)denseCompute / sparseCompute;
        output.WriteLine($"{kept} of {blocks} passes kept: {denseCompute} -> {sparseCompute} cycles ({speedup:F2}x); " +
            $"predicted {full.Schedule.PredictedCycles} -> {skipping.Schedule.PredictedCycles}, measured {full.TotalCycles} -> {skipping.TotalCycles}");
        Assert.True(speedup >= 1.5, $"{denseCompute} cycles dense vs {sparseCompute} skipping ({kept} of {blocks} passes kept): {speedup:F2}x");
        // The prediction knows the skipped passes (the dense one is the schedule's own).
        Assert.InRange(skipping.TotalCycles, skipping.Schedule.PredictedCycles * 0.98, skipping.Schedule.PredictedCycles * 1.02);
        Assert.InRange(full.TotalCycles, full.Schedule.PredictedCycles * 0.98, full.Schedule.PredictedCycles * 1.02);
        Assert.True(skipping.Schedule.PredictedCycles < full.Schedule.PredictedCycles);
    }

    [RequiresDataFact]
    public void SqueezeNet11WithItsExpand3x3LayersBlockPrunedTo33PercentRunsThemAtLeast1Point5TimesFasterAt16x16()
    {
        // SqueezeNet 1.1 quantized on the cat image; every expand3x3 keeps the third of its 16x16
        // pass blocks (output tile x input group x tap) with the largest L2 norm, as
        // `accel compress --block 16x16` does. Dense and pruned runs share one program.
        Assert.Null(Tools.MissingReason(["verilator"]));
        const int n = 16;
        var floatModel = OnnxImporter.Load(SharedData.SqueezeNet11Onnx!);
        var x = ReferenceInputs.Cat("squeezenet1_1");
        var calibration = PostTrainingQuantizer.Calibrate(floatModel, [x]);
        var dense = PostTrainingQuantizer.Quantize(floatModel, calibration, "torchvision");
        var pruned = PostTrainingQuantizer.Quantize(floatModel, calibration, "torchvision");
        var input = dense.QuantizeInput(x);
        foreach (var (name, conv) in pruned.Convs.Where(kv => kv.Key.EndsWith("expand3x3")))
        {
            int cout = conv.Bias.Length, taps = 9, cin = conv.Weights.Length / (cout * taps);
            var w = conv.Weights;
            var blocks = (from t in Enumerable.Range(0, cout / n) from g in Enumerable.Range(0, cin / n) from tap in Enumerable.Range(0, taps)
                          select (t, g, tap)).ToList();
            long Norm((int T, int G, int Tap) b) => Enumerable.Range(b.T * n, n).Sum(oc => Enumerable.Range(b.G * n, n)
                .Sum(ic => (long)w[(oc * cin + ic) * taps + b.Tap] * w[(oc * cin + ic) * taps + b.Tap]));
            foreach (var b in blocks.OrderByDescending(Norm).Skip((int)Math.Round(blocks.Count / 3.0)).ToList())
                for (int oc = b.t * n; oc < (b.t + 1) * n; oc++)
                    for (int ic = b.g * n; ic < (b.g + 1) * n; ic++) w[(oc * cin + ic) * taps + b.tap] = 0;
        }

        using var golden = IlgpuGoldenModel.Create(GoldenDevice.Cpu);
        var config = new EngineConfig { Rows = n, Cols = n };
        var full = NetworkCosim.Run(dense, input, config, golden).Cosim;
        var skipping = NetworkCosim.Run(pruned, input, config, golden, new CosimOptions { SparseWeights = true }).Cosim;
        Assert.True(full.BitExact, full.FirstMismatch?.ToString());
        Assert.True(skipping.BitExact, $"{skipping.FirstMismatch} (dump: {skipping.DumpDirectory})");
        foreach (var (d, s) in full.Layers.Zip(skipping.Layers).Where(p => p.First.Node.EndsWith("expand3x3")))
        {
            double speedup = (double)d.Cycles / s.Cycles;
            output.WriteLine($"{d.Node}: {d.Cycles} -> {s.Cycles} cycles ({speedup:F2}x; predicted {s.PredictedCycles}), " +
                $"weight beats {s.WeightLoadBeats}, decode {s.DecodeCycles} cycles");
            Assert.True(speedup >= 1.5, $"{d.Node}: {d.Cycles} -> {s.Cycles} cycles, {speedup:F2}x");
            Assert.InRange(s.PredictedCycles, s.Cycles * 0.95, s.Cycles * 1.05);
        }
        output.WriteLine($"whole network {full.TotalCycles} -> {skipping.TotalCycles} cycles (predicted {skipping.Schedule.PredictedCycles})");
        Assert.InRange(skipping.Schedule.PredictedCycles, skipping.TotalCycles * 0.97, skipping.TotalCycles * 1.03);
    }
}
