using Accel.Cli;
using Accel.Cli.Commands;
using Accel.Golden;
using Accel.Golden.Float;
using Accel.Images;
using Accel.Model.Data;
using Accel.Model.Networks;
using Accel.Model.Weights;
using Accel.Quantization;
using Accel.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Accel.Host.Tests;

public class QuantizerTests(ITestOutputHelper output)
{
    private static readonly Network Small = new("small", new Shape(3, 24, 24),
    [
        new ConvLayer("conv1", 12, 3, Stride: 2),
        new MaxPoolLayer("pool1", 3, 2),
        new FireLayer("fire2", 6, 10, 14),
        new FireLayer("fire3", 6, 10, 14),
        new ConvLayer("conv4", 7, 1),
        new GlobalAvgPoolLayer("pool4"),
    ]);

    [Fact]
    public void ConcatAndPoolShareTheirInputsScale()
    {
        var ranges = new ActivationRanges();
        var rng = new Random(5);
        ranges.Observe(new[] { Network.InputName }.Concat(Small.Nodes.Select(n => n.Name))
            .ToDictionary(n => n, n => new[] { (float)rng.NextDouble() * 10 }));
        var scales = PostTrainingQuantizer.SharedScales(Small, ranges);

        Assert.Equal(scales["conv1"], scales["pool1"]);
        // Every tensor here comes from a ReLU conv (or a pool/concat of them): unsigned, range / 255.
        Assert.Equal(Math.Max(ranges["conv1"], ranges["pool1"]) / 255, scales["conv1"], 6);
        foreach (var fire in new[] { "fire2", "fire3" })
        {
            float expected = new[] { "expand1x1", "expand3x3", "concat" }.Max(s => ranges[$"{fire}/{s}"]) / 255;
            Assert.Equal(expected, scales[$"{fire}/concat"], 6);
            Assert.Equal(scales[$"{fire}/concat"], scales[$"{fire}/expand1x1"]);
            Assert.Equal(scales[$"{fire}/concat"], scales[$"{fire}/expand3x3"]);
        }
        Assert.Equal(ranges["fire2/squeeze1x1"] / 255, scales["fire2/squeeze1x1"], 6);
        Assert.Equal(ranges[Network.InputName] / 127, scales[Network.InputName], 6);
        Assert.Equal(ranges["pool4"] / 127, scales["pool4"], 6);
    }

    [Fact]
    public void Int8OutputTracksTheFloatModel()
    {
        var model = FloatModel.Seeded(Small, 11);
        var pre = Preprocessing.ForInputSize(24);
        var inputs = Enumerable.Range(0, 6).Select(i => pre.Apply(RgbImage.Synthetic(i, 40, 30))).ToList();
        var q = PostTrainingQuantizer.Quantize(model, PostTrainingQuantizer.Calibrate(model, inputs.Take(4).ToList()), pre.Name);
        var scalar = new ScalarReference();
        foreach (var input in inputs)
        {
            var f = FloatReference.Run(model, input).Output;
            var r = scalar.Run(q, q.QuantizeInput(input)).Output;
            double signal = f.Sum(v => (double)v * v);
            double noise = f.Select((v, i) => Math.Pow(v - r.Dequantize(i), 2)).Sum();
            double sqnr = 10 * Math.Log10(signal / noise);
            output.WriteLine($"SQNR {sqnr:F1} dB");
            // A random untrained network on synthetic pictures measures 17-25 dB here; a wrong
            // scale, bias or requantization lands near or below 0 dB.
            Assert.True(sqnr > 12, $"int8 output is {sqnr:F1} dB from the float output");
        }
    }

    [Fact]
    public void BiasesAndRequantFollowTheContract()
    {
        var model = FloatModel.Seeded(Small, 3);
        var pre = Preprocessing.ForInputSize(24);
        var ranges = PostTrainingQuantizer.Calibrate(model, [pre.Apply(RgbImage.Synthetic(1)), pre.Apply(RgbImage.Synthetic(2))]);
        var q = PostTrainingQuantizer.Quantize(model, ranges, pre.Name);
        var conv = q.Convs["fire2/expand3x3"];
        double sx = q.TensorScales["fire2/squeeze1x1"], sy = q.TensorScales["fire2/concat"];
        var w = model.Weights["fire2/expand3x3"];
        var means = ranges.ChannelMeans("fire2/squeeze1x1")!;
        const int fanIn = 6 * 9;
        for (int c = 0; c < conv.Bias.Length; c++)
        {
            // BIAS_CORRECTION: the bias absorbs sum (w_q * s_w - w) * E[x] over the channel's taps.
            double correction = 0;
            for (int i = 0; i < fanIn; i++)
                correction += (conv.Weights[c * fanIn + i] * (double)conv.WeightScale[c] - w.Weights[c * fanIn + i]) * means[i / 9];
            Assert.Equal(Accel.Model.Arithmetic.Int8Arithmetic.QuantizeBias(w.Bias[c] - correction, sx * conv.WeightScale[c]), conv.Bias[c]);
            Assert.Equal(sx * conv.WeightScale[c] / sy, conv.Requant[c].RealScale, 1e-4 * sx * conv.WeightScale[c] / sy);
            Assert.Contains(conv.Weights.Skip(c * fanIn).Take(fanIn), v => Math.Abs((int)v) == 127);
        }
        Assert.All(means, m => Assert.True(m >= 0, "a ReLU output's mean is non-negative"));
    }

    [Fact]
    public void BiasCorrectionRemovesTheMeanErrorOfRoundedWeights()
    {
        // One 1x1 conv on a constant input: the float output is exactly b + sum(w) * x, so after
        // correction the dequantized weights plus corrected bias must reproduce it (up to bias rounding).
        var net = new Network("one", new Shape(5, 3, 3), [new ConvLayer("c", 4, 1, Relu: false)]);
        var model = FloatModel.Seeded(net, 9);
        var input = Enumerable.Repeat(0.7f, 45).ToArray();
        var ranges = PostTrainingQuantizer.Calibrate(model, [input]);
        var q = PostTrainingQuantizer.Quantize(model, ranges, "torchvision");
        var conv = q.Convs["c"];
        var w = model.Weights["c"];
        for (int oc = 0; oc < 4; oc++)
        {
            double exact = w.Bias[oc] + Enumerable.Range(0, 5).Sum(i => w.Weights[oc * 5 + i] * 0.7);
            double viaInt = conv.Bias[oc] * q.InputScale * conv.WeightScale[oc]
                + Enumerable.Range(0, 5).Sum(i => conv.Weights[oc * 5 + i] * conv.WeightScale[oc] * 0.7);
            Assert.Equal(exact, viaInt, q.InputScale * conv.WeightScale[oc]);
        }
    }

    [Fact]
    public void ATensorReadOnlyByReLU6OrHardSigmoidKeepsOnlyTheRangeTheyUse()
    {
        // Rule ACTIVATION_INPUT_RANGE: "a" feeds only a ReLU6 (bound 6), "b" only a hard-sigmoid (3),
        // "c" a ReLU6 and an add (no bound). Ranges of 20 become 6, 3 and 20.
        var net = new Network("bounds", new Shape(2, 3, 3),
        [
            new ConvLayer("a", 2, 1, Relu: false),
            new ActivationLayer("a6", ActivationKind.Relu6),
            new ConvLayer("b", 2, 1, Relu: false) { Inputs = [Network.InputName] },
            new ActivationLayer("bs", ActivationKind.HardSigmoid),
            new ConvLayer("c", 2, 1, Relu: false) { Inputs = [Network.InputName] },
            new ActivationLayer("c6", ActivationKind.Relu6),
            new AddLayer("sum") { Inputs = ["c", "a6"] },
        ]);
        var ranges = new ActivationRanges();
        ranges.Observe(new[] { Network.InputName }.Concat(net.Nodes.Select(n => n.Name)).ToDictionary(n => n, _ => new[] { -20f, 20f }));
        var scales = PostTrainingQuantizer.SharedScales(net, ranges);
        Assert.Equal(6f / 127, scales["a"], 6);
        Assert.Equal(3f / 127, scales["b"], 6);
        Assert.Equal(20f / 127, scales["c"], 6);
        Assert.Equal(20f / 255, scales["a6"], 6);  // calibrated output range, unsigned
    }

    [Fact]
    public void BiasCorrectionOfADepthwiseConvUsesEachChannelsOwnInput()
    {
        // Depthwise 1x1 on a per-channel constant input: channel c sees only x_c, so the corrected
        // bias plus dequantized weights reproduce b_c + w_c * x_c (rule GROUPED_CONV in BIAS_CORRECTION).
        var net = new Network("dw", new Shape(4, 3, 3), [new ConvLayer("c", 4, 1, Relu: false) { Groups = 4 }]);
        var model = FloatModel.Seeded(net, 9);
        float[] level = [0.7f, -1.3f, 2.1f, 0.2f];
        var input = Enumerable.Range(0, 36).Select(i => level[i / 9]).ToArray();
        var q = PostTrainingQuantizer.Quantize(model, PostTrainingQuantizer.Calibrate(model, [input]), "torchvision");
        var conv = q.Convs["c"];
        var w = model.Weights["c"];
        Assert.Equal(4, conv.Weights.Length);
        for (int oc = 0; oc < 4; oc++)
        {
            double exact = w.Bias[oc] + w.Weights[oc] * level[oc];
            double viaInt = conv.Bias[oc] * q.InputScale * conv.WeightScale[oc] + conv.Weights[oc] * conv.WeightScale[oc] * level[oc];
            Assert.Equal(exact, viaInt, q.InputScale * conv.WeightScale[oc]);
        }
    }

    /// <summary>
    /// Built-in networks beyond Fire with seeded float weights: quantized on random synthetic
    /// pictures, the int8 logits point the same way as the float ones (cosine similarity).
    /// </summary>
    [Theory]
    [InlineData("mobilenet_v1_0.25_128", 128)]
    [InlineData("mobilenet_v2", 96)]
    [InlineData("shufflenet_v1", 96)]
    [InlineData("shufflenet_v2_x0.5", 96)]
    [InlineData("squeezenet1_0_bypass", 96)]
    [InlineData("squeezenet1_0_complex_bypass", 96)]
    public void CompactNetworksQuantizeCloseToFloat(string name, int resolution)
    {
        var net = BuiltinNetworks.Get(name);
        net = net.WithInput(net.InputShape with { Height = resolution, Width = resolution });
        var model = FloatModel.Seeded(net, 17);
        var pre = Preprocessing.ForInputSize(resolution);
        var inputs = Enumerable.Range(0, 6).Select(i => pre.Apply(RgbImage.Synthetic(100 + i, resolution + 32, resolution + 16))).ToList();
        var q = PostTrainingQuantizer.Quantize(model, PostTrainingQuantizer.Calibrate(model, inputs.Take(4).ToList()), pre.Name);
        var scalar = new ScalarReference();
        var floats = inputs.Select(input => FloatReference.Run(model, input).Output.Select(v => (double)v).ToArray()).ToList();
        var ints = inputs.Select(input =>
        {
            var r = scalar.Run(q, q.QuantizeInput(input)).Output;
            return Enumerable.Range(0, r.Data.Length).Select(i => (double)r.Dequantize(i)).ToArray();
        }).ToList();
        static double Cosine(IEnumerable<(double A, double B)> pairs)
        {
            double dot = 0, aa = 0, bb = 0;
            foreach (var (a, b) in pairs) { dot += a * b; aa += a * a; bb += b * b; }
            return dot / Math.Sqrt(aa * bb);
        }
        for (int k = 0; k < inputs.Count; k++)
        {
            double cosine = Cosine(floats[k].Zip(ints[k]));
            bool sameTop1 = Array.IndexOf(floats[k], floats[k].Max()) == Array.IndexOf(ints[k], ints[k].Max());
            output.WriteLine($"{name} image {k}: cosine(float, int8 logits) {cosine:F4}, same top-1: {sameTop1}");
            Assert.True(cosine > 0.95, $"{name}: image {k}: the int8 logits have cosine {cosine:F4} with the float ones");
        }
        // Random networks map every picture to much the same logits, so the cosine above is mostly
        // that common part. What the picture changes is the deviation from the mean over pictures:
        // pooled over all pictures, float and int8 must agree on it too.
        int classes = floats[0].Length;
        var fMean = Enumerable.Range(0, classes).Select(i => floats.Average(x => x[i])).ToArray();
        var dMean = Enumerable.Range(0, classes).Select(i => ints.Average(x => x[i])).ToArray();
        double deviation = Cosine(Enumerable.Range(0, inputs.Count).SelectMany(k =>
            Enumerable.Range(0, classes).Select(i => (floats[k][i] - fMean[i], ints[k][i] - dMean[i]))));
        output.WriteLine($"{name}: cosine of the deviations from the mean over pictures {deviation:F4}");
        Assert.True(deviation > 0.6, $"{name}: the int8 logits' deviations from their mean have cosine {deviation:F4} with the float ones");
    }

    /// <summary>
    /// Least top-1 agreement with float per model. SqueezeNet 1.1 meets the acceptance figure (95).
    /// The Deep Compression 1.0 model measures 89: all of its disagreements are images whose two
    /// best float logits lie within 0.8 of each other (27 of the 100 are within 0.5), closer than
    /// int8 noise; 85 guards against regressions (README, "Figures").
    /// </summary>
    public static TheoryData<string, string, int> DevSetModels => new()
    {
        { "squeezenet1_1.onnx", "torchvision", 95 },
        { "squeezenet1_0_deep_compression.onnx", "caffe", 85 },
    };

    /// <summary>
    /// The dev-set figures: on the 100 ImageNet dev images the int8 golden model's top-1 agrees
    /// with ONNX Runtime's float top-1 on at least <paramref name="minAgree"/>, and its top-5
    /// accuracy is within 3 points of the float model's.
    /// </summary>
    [RequiresDataTheory]
    [MemberData(nameof(DevSetModels))]
    public void DevSetAgreesWithOnnxRuntime(string file, string preprocessing, int minAgree)
    {
        var source = ModelSource.Open(SharedData.Find("models", file)!);
        Assert.Equal(preprocessing, source.Preprocessing.Name);
        var q = source.GetQuantized(new CalibrationSettings(), output.WriteLine);
        var results = GoldenCommand.Classify(source, source, q, ImageSet.Enumerate(SharedData.DevImages!), GoldenDevice.Cpu, false, null, output.WriteLine);
        var s = GoldenCommand.Summarize(results);
        output.WriteLine($"{file}: int8 top-1 {s.Top1}, top-5 {s.Top5}; float top-1 {s.FloatTop1}, top-5 {s.FloatTop5}; top-1 agreement {s.Agree}/{s.FloatCompared}");
        Assert.Equal(100, s.Labelled);
        Assert.True(s.Agree >= minAgree, $"int8 top-1 agrees with float on {s.Agree}/100, expected at least {minAgree}");
        Assert.InRange(s.Top5 - s.FloatTop5, -3, 3);
    }
}

public class MseClipTests
{
    [Fact]
    public void ARareOutlierIsClipped()
    {
        // A dense bulk (25.6 M values) in the bottom eighth of the range and one far outlier:
        // the rounding noise saved on the bulk outweighs clipping the outlier, so clipping wins.
        var h = new long[ActivationRanges.Bins];
        for (int b = 0; b < ActivationRanges.Bins / 8; b++) h[b] = 100_000;
        h[^1] = 1;
        float clip = ActivationRanges.MseClip(h, 100f, 255);
        Assert.InRange(clip, 12.5f, 30f);
    }

    [Fact]
    public void AUniformDistributionKeepsItsRange()
    {
        var h = Enumerable.Repeat(100L, ActivationRanges.Bins).ToArray();
        Assert.InRange(ActivationRanges.MseClip(h, 10f, 255), 9.5f, 10f);
    }

    [Fact]
    public void ALoneOutlierAmongFewValuesIsKept()
    {
        // 1,000 values and one outlier: clipping it by more than a hair costs more than all the
        // rounding noise it saves, so the range stays (within a few bins of) the maximum.
        var h = new long[ActivationRanges.Bins];
        h[4] = 1000;
        h[^1] = 1;
        Assert.InRange(ActivationRanges.MseClip(h, 100f, 255), 99f, 100f);
    }

    [Fact]
    public void TheNetworkOutputIsNeverClipped()
    {
        // The same heavy-bulk-plus-outlier distribution in a hidden tensor and in the output.
        var net = new Network("t", new Shape(2, 4, 4), [new ConvLayer("a", 3, 1), new ConvLayer("b", 2, 1, Relu: false)]);
        var ranges = new ActivationRanges();
        float[] heavy = [.. Enumerable.Repeat(0.1f, 4_000_000), 50f];
        var acts = new Dictionary<string, float[]>
        {
            [Network.InputName] = [1f], ["a"] = heavy, ["b"] = heavy,
        };
        ranges.Observe(acts);
        ranges.ObserveHistogram(acts, n => ranges[n]);
        var scales = PostTrainingQuantizer.SharedScales(net, ranges);
        Assert.True(scales["a"] < 50f / 255 / 4, "the hidden tensor's outlier is clipped");
        Assert.Equal(50f / 127, scales["b"], 6);
    }
}
