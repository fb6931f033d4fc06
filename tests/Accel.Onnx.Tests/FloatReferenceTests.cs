using Accel.Golden.Float;
using Accel.Model.Networks;
using Accel.Model.Weights;
using CsCheck;
using Xunit;

namespace Accel.Onnx.Tests;

/// <summary>FloatReference against direct textbook loops on small random layers.</summary>
public sealed class FloatReferenceTests
{
    private static float[] Random(Random rng, long n, bool sparse = false) =>
        Enumerable.Range(0, (int)n).Select(_ => sparse && rng.Next(3) == 0 ? 0f : (float)(rng.NextDouble() * 2 - 1)).ToArray();

    private static float[] NaiveConv(float[] x, Shape i, Shape o, ConvLayer c, ConvWeights w)
    {
        var y = new float[o.Elements];
        for (int co = 0; co < o.Channels; co++)
            for (int oy = 0; oy < o.Height; oy++)
                for (int ox = 0; ox < o.Width; ox++)
                {
                    double acc = w.Bias[co];
                    for (int ci = 0; ci < i.Channels; ci++)
                        for (int ky = 0; ky < c.KernelSize; ky++)
                            for (int kx = 0; kx < c.KernelSize; kx++)
                            {
                                int iy = oy * c.Stride - c.Padding + ky, ix = ox * c.Stride - c.Padding + kx;
                                if (iy < 0 || iy >= i.Height || ix < 0 || ix >= i.Width) continue;
                                acc += (double)w.Weights[((co * i.Channels + ci) * c.KernelSize + ky) * c.KernelSize + kx] * x[(ci * i.Height + iy) * i.Width + ix];
                            }
                    y[(co * o.Height + oy) * o.Width + ox] = c.Relu ? (float)Math.Max(acc, 0) : (float)acc;
                }
        return y;
    }

    private static float[] NaiveMaxPool(float[] x, Shape i, Shape o, MaxPoolLayer p)
    {
        var y = new float[o.Elements];
        for (int c = 0; c < o.Channels; c++)
            for (int oy = 0; oy < o.Height; oy++)
                for (int ox = 0; ox < o.Width; ox++)
                {
                    float m = float.NegativeInfinity;
                    for (int ky = 0; ky < p.KernelSize; ky++)
                        for (int kx = 0; kx < p.KernelSize; kx++)
                        {
                            int iy = oy * p.Stride - p.Padding + ky, ix = ox * p.Stride - p.Padding + kx;
                            if (iy >= 0 && iy < i.Height && ix >= 0 && ix < i.Width) m = Math.Max(m, x[(c * i.Height + iy) * i.Width + ix]);
                        }
                    Assert.False(float.IsNegativeInfinity(m), "a window lies entirely in the padding");
                    y[(c * o.Height + oy) * o.Width + ox] = m;
                }
        return y;
    }

    private static void Close(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f * (1 + Math.Abs(expected[i])), $"[{i}] expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void Conv_matches_naive_loops()
    {
        Gen.Select(Gen.Int[1, 6], Gen.Int[1, 11], Gen.Int[1, 11], Gen.Int[1, 7])
            .Select(Gen.Select(Gen.Int[1, 5], Gen.Int[1, 3], Gen.Int[0, 2], Gen.Bool), Gen.Int)
            .Sample(t =>
            {
                var ((cin, h, w, cout), (k, s, p, relu), seed) = t;
                var inShape = new Shape(cin, h, w);
                int oh = Network.OutputSize(h, k, s, p, false), ow = Network.OutputSize(w, k, s, p, false);
                if (oh < 1 || ow < 1) return;
                var layer = new ConvLayer("c", cout, k, s, p, relu);
                var rng = new Random(seed);
                var weights = new ConvWeights(Random(rng, (long)cout * cin * k * k, sparse: true), Random(rng, cout));
                var x = Random(rng, inShape.Elements);
                var outShape = new Shape(cout, oh, ow);
                Close(NaiveConv(x, inShape, outShape, layer, weights), FloatReference.Conv(x, inShape, outShape, layer, weights));
            }, iter: 300);
    }

    [Fact]
    public void MaxPool_matches_naive_loops()
    {
        Gen.Select(Gen.Int[1, 4], Gen.Int[1, 12], Gen.Int[1, 12])
            .Select(Gen.Select(Gen.Int[1, 4], Gen.Int[1, 3], Gen.Int[0, 2], Gen.Bool), Gen.Int)
            .Sample(t =>
            {
                var ((c, h, w), (k, s, p, ceil), seed) = t;
                if (2 * p > k) return;
                int oh = Network.OutputSize(h, k, s, p, ceil), ow = Network.OutputSize(w, k, s, p, ceil);
                if (oh < 1 || ow < 1) return;
                var layer = new MaxPoolLayer("p", k, s, p, ceil);
                var inShape = new Shape(c, h, w);
                var outShape = new Shape(c, oh, ow);
                var x = Random(new Random(seed), inShape.Elements);
                Assert.Equal(NaiveMaxPool(x, inShape, outShape, layer), FloatReference.MaxPool(x, inShape, outShape, layer));
            }, iter: 300);
    }

    [Fact]
    public void Whole_network_matches_layer_by_layer_naive_run()
    {
        Layer[] layers =
        [
            new ConvLayer("conv1", 6, 3, Stride: 2),
            new MaxPoolLayer("pool1", 3, 2),
            new FireLayer("fire2", 3, 4, 4),
            new DropoutLayer("drop2"),
            new ConvLayer("conv3", 5, 1, Padding: 1),
            new GlobalAvgPoolLayer("pool3"),
        ];
        var network = new Network("tiny", new Shape(3, 17, 15), layers, outputSoftmax: true);
        var model = FloatModel.Seeded(network, 42);
        var x = Random(new Random(1), network.InputShape.Elements);
        var result = FloatReference.Run(model, x, keepActivations: true);
        var acts = result.Activations!;

        foreach (var node in network.Nodes)
        {
            var inputs = node.Inputs.Select(i => acts[i]).ToList();
            float[] expected = node.Op switch
            {
                ConvLayer c => NaiveConv(inputs[0], node.Input, node.Output, c, model.Weights[node.Name]),
                MaxPoolLayer p => NaiveMaxPool(inputs[0], node.Input, node.Output, p),
                GlobalAvgPoolLayer => Enumerable.Range(0, node.Input.Channels)
                    .Select(ch => inputs[0].Skip(ch * node.Input.Height * node.Input.Width).Take(node.Input.Height * node.Input.Width).Average()).ToArray(),
                ConcatLayer => inputs.SelectMany(v => v).ToArray(),
                _ => throw new InvalidOperationException(),
            };
            Close(expected, acts[node.Name]);
        }
        var logits = acts[network.OutputNode].Select(v => Math.Exp(v)).ToArray();
        Close(logits.Select(v => (float)(v / logits.Sum())).ToArray(), result.Output);
        Assert.Equal(1.0, result.Output.Sum(), 5);
        Assert.Throws<ArgumentException>(() => FloatReference.Run(model, new float[5]));
    }
}
