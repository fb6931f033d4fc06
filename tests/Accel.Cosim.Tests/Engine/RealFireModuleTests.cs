using Accel.Golden;
using Accel.Golden.Ilgpu;
using Accel.Hardware.Config;
using Accel.Model.Data;
using Accel.Model.Quantized;
using Accel.Onnx;
using Accel.Quantization;
using Accel.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Accel.Cosim.Tests.Engine;

/// <summary>
/// SqueezeNet 1.1 with its real (ONNX) weights, quantized on the cat image: each Fire module runs
/// in cosim at 16x16, fed with the golden model's activations for that module, and every output
/// element of squeeze, expand1x1, expand3x3 and the concat matches the golden model.
/// </summary>
public class RealFireModuleTests(ITestOutputHelper output)
{
    private static readonly Lazy<(QuantizedModel Model, sbyte[] Input)> Model = new(() =>
    {
        var floatModel = OnnxImporter.Load(SharedData.SqueezeNet11Onnx!);
        var x = ReferenceInputs.Cat("squeezenet1_1");
        var q = PostTrainingQuantizer.Quantize(floatModel, PostTrainingQuantizer.Calibrate(floatModel, [x]), "torchvision");
        return (q, q.QuantizeInput(x));
    });

    [RequiresDataFact]
    public void EveryFireModuleOfSqueezeNet11IsBitExactAt16x16()
    {
        Assert.Null(Tools.MissingReason(["verilator"]));
        var (model, input) = Model.Value;
        using var golden = IlgpuGoldenModel.Create(GoldenDevice.Cpu);
        var config = new EngineConfig { Rows = 16, Cols = 16 };
        var failures = new List<string>();
        foreach (var fire in new[] { "fire2", "fire3", "fire4", "fire5", "fire6", "fire7", "fire8", "fire9" })
        {
            var r = LayerCosim.Run(model, input, fire, config, golden);
            output.WriteLine($"{fire}: bit-exact {r.BitExact}, {r.TotalCycles} cycles, ideal {r.IdealCycles}, utilization {r.Utilization:P1}, " +
                $"sim {r.SimulationTime.TotalSeconds:F1} s");
            foreach (var l in r.Layers)
            {
                output.WriteLine($"  {l.Node}: {l.Cycles} cycles (predicted {l.PredictedCycles}), utilization {l.Utilization:P1}");
                // The cost model tracks the RTL closely on real layers.
                Assert.InRange(l.PredictedCycles, l.Cycles * 0.98, l.Cycles * 1.02);
            }
            if (!r.BitExact) failures.Add($"{fire}: {r.FirstMismatch} (dump: {r.DumpDirectory})");
            Assert.Equal(4, r.Layers.Count + 1); // squeeze, expand1x1, expand3x3; the concat is placement
            // Alone, a Fire module also pays for loading its first stripe and storing its last.
            Assert.True(r.Utilization > 0.75, $"{fire}: utilization {r.Utilization:P1}");
        }
        Assert.Empty(failures);
    }

    [RequiresDataFact]
    public void TheWholeOfSqueezeNet11IsBitExactAt16x16StreamingThroughDram()
    {
        // Every layer, conv1 to the global average pool, in one program: input and weights in the
        // simulated DRAM (64-bit port, the default memory model), every layer's output read back from it.
        Assert.Null(Tools.MissingReason(["verilator"]));
        var (model, input) = Model.Value;
        using var golden = IlgpuGoldenModel.Create(GoldenDevice.Cpu);
        var whole = NetworkCosim.Run(model, input, new EngineConfig { Rows = 16, Cols = 16 }, golden);
        var r = whole.Cosim;
        output.WriteLine($"{r.TotalCycles} cycles (predicted {r.Schedule.PredictedCycles}), ideal {r.IdealCycles}, utilization {r.Utilization:P1}, " +
            $"{whole.FramesPerSecond:F1} frames/s, top-5 {string.Join(",", whole.Top5)}, sim {r.SimulationTime.TotalSeconds:F1} s");
        foreach (var l in r.Layers) output.WriteLine($"  {l.Node}: {l.Cycles} cycles (predicted {l.PredictedCycles}), utilization {l.Utilization:P1}");
        Assert.True(r.BitExact, $"{r.FirstMismatch} (dump: {r.DumpDirectory})");
        Assert.Equal(model.Network.Nodes.Count(n => n.Op is not Accel.Model.Networks.ConcatLayer and not Accel.Model.Networks.DropoutLayer), r.Layers.Count);
        Assert.Equal(whole.GoldenTop5, whole.Top5);
        Assert.Equal(1_363_875, r.IdealCycles);
        Assert.True(r.Utilization >= 0.75, $"utilization {r.Utilization:P1}");
        Assert.InRange(r.Schedule.PredictedCycles, r.TotalCycles * 0.99, r.TotalCycles * 1.01);
        Assert.All(r.Layers, l => Assert.InRange(l.PredictedCycles, l.Cycles * 0.95 - 50, l.Cycles * 1.05 + 50));
    }

    [RequiresDataFact]
    public void TheWholeOfSqueezeNet10CaffeWithDeepCompressionWeightsIsBitExactAt16x16()
    {
        // 227x227, 7x7/2 conv1 (packed im2col-style), Caffe's pad=1 on conv10 (15x15 before the average pool).
        Assert.Null(Tools.MissingReason(["verilator"]));
        var floatModel = OnnxImporter.Load(SharedData.DeepCompressionOnnx!);
        var x = ReferenceInputs.Cat("squeezenet1_0_deep_compression");
        var model = PostTrainingQuantizer.Quantize(floatModel, PostTrainingQuantizer.Calibrate(floatModel, [x]), "caffe");
        var input = model.QuantizeInput(x);
        using var golden = IlgpuGoldenModel.Create(GoldenDevice.Cpu);
        var acts = golden.Run(model, input).Activations;
        var schedule = CosimBuildProfile.Plan(model.Network, new EngineConfig { Rows = 16, Cols = 16 });
        var r = CosimRunner.Run(schedule, model.Convs, input, acts.ToDictionary(kv => kv.Key, kv => kv.Value.Data), null, model.PoolRequant);
        output.WriteLine($"{r.TotalCycles} cycles (predicted {schedule.PredictedCycles}), ideal {r.IdealCycles}, utilization {r.Utilization:P1}, sim {r.SimulationTime.TotalSeconds:F1} s");
        Assert.True(r.BitExact, $"{r.FirstMismatch} (dump: {r.DumpDirectory})");
        Assert.Equal(new Accel.Model.Networks.Shape(1000, 15, 15), model.Network["conv10"].Output);
        Assert.Equal(NetworkCosim.TopK(model.Network, r.Outputs, 5), Accel.Golden.Classification.TopK(model, golden.Run(model, input), 5));
        Assert.InRange(schedule.PredictedCycles, r.TotalCycles * 0.99, r.TotalCycles * 1.01);
    }
}
