using Accel.Model.Arithmetic;
using Accel.Model.Networks;
using Accel.Model.Quantized;
using Xunit;

namespace Accel.Model.Tests;

public class QuantizedModelFileTests
{
    internal static QuantizedModel Sample(int seed = 3)
    {
        var net = new Network("t", new Shape(3, 9, 9),
            [new ConvLayer("conv1", 8, 3, Stride: 2), new MaxPoolLayer("pool1", 3, 2), new FireLayer("fire2", 2, 3, 4), new ConvLayer("conv3", 5, 1, Padding: 1), new GlobalAvgPoolLayer("pool3")]);
        var rng = new Random(seed);
        var scales = new Dictionary<string, float> { [Network.InputName] = 0.5f };
        foreach (var n in net.Nodes) scales[n.Name] = n.Op is MaxPoolLayer or ConcatLayer ? 0 : (float)rng.NextDouble();
        // Concat and pool share their inputs' scales.
        scales["pool1"] = scales["conv1"];
        scales["fire2/expand1x1"] = scales["fire2/expand3x3"] = scales["fire2/concat"] = 0.25f;
        var convs = net.Convolutions.ToDictionary(n => n.Name, n =>
        {
            var c = (ConvLayer)n.Op;
            var w = new sbyte[c.OutChannels * n.Input.Channels * c.KernelSize * c.KernelSize];
            rng.NextBytes((byte[])(object)w);
            return new QuantizedConv(n.Name, w, Enumerable.Range(0, c.OutChannels).Select(_ => rng.Next(-5000, 5000)).ToArray(),
                Enumerable.Range(0, c.OutChannels).Select(_ => new Requant((ushort)rng.Next(65536), (byte)rng.Next(1, 63))).ToArray(),
                Enumerable.Range(0, c.OutChannels).Select(_ => (float)rng.NextDouble()).ToArray());
        });
        return new QuantizedModel(net, "torchvision", scales, convs, new Dictionary<string, Requant> { ["pool3"] = new(40000, 20) });
    }

    [Fact]
    public void RoundTripsEveryField()
    {
        var model = Sample();
        var back = QuantizedModelFile.Deserialize(QuantizedModelFile.Serialize(model), "t.q8");
        Assert.Equal(model.Network.Summaries, back.Network.Summaries);
        Assert.Equal(model.Preprocessing, back.Preprocessing);
        Assert.Equal(model.TensorScales.OrderBy(kv => kv.Key), back.TensorScales.OrderBy(kv => kv.Key));
        foreach (var (name, c) in model.Convs)
        {
            var d = back.Convs[name];
            Assert.Equal(c.Weights, d.Weights);
            Assert.Equal(c.Bias, d.Bias);
            Assert.Equal(c.Requant, d.Requant);
            Assert.Equal(c.WeightScale, d.WeightScale);
        }
        Assert.Equal(model.PoolRequant["pool3"], back.PoolRequant["pool3"]);
        Assert.Equal(QuantizedModelFile.Serialize(model), QuantizedModelFile.Serialize(back));
    }

    [Fact]
    public void EveryFlippedByteIsCaught()
    {
        var bytes = QuantizedModelFile.Serialize(Sample());
        for (int i = 0; i < bytes.Length; i += 7)
        {
            var copy = (byte[])bytes.Clone();
            copy[i] ^= 0x10;
            var e = Assert.Throws<QuantizedModelFormatException>(() => QuantizedModelFile.Deserialize(copy, "x.q8"));
            Assert.StartsWith("x.q8: byte ", e.Message);
        }
    }

    [Fact]
    public void TruncatedAndForeignFilesAreRefused()
    {
        var bytes = QuantizedModelFile.Serialize(Sample());
        Assert.Throws<QuantizedModelFormatException>(() => QuantizedModelFile.Deserialize(bytes[..(bytes.Length / 2)], "half.q8"));
        var e = Assert.Throws<QuantizedModelFormatException>(() => QuantizedModelFile.Deserialize("hello world, not a model"u8.ToArray(), "text.q8"));
        Assert.Equal(0, e.Offset);
        e = Assert.Throws<QuantizedModelFormatException>(() => QuantizedModelFile.Load("/nonexistent/model.q8"));
        Assert.Contains("file not found", e.Message);
    }

    [Fact]
    public void ConcatInputsMustShareTheScale()
    {
        var m = Sample();
        var scales = m.TensorScales.ToDictionary(kv => kv.Key, kv => kv.Value);
        scales["fire2/expand3x3"] = 0.125f;
        var e = Assert.Throws<NetworkException>(() => new QuantizedModel(m.Network, m.Preprocessing, scales, m.Convs, m.PoolRequant));
        Assert.Equal(("fire2/concat", "scale"), (e.Layer, e.Field));
    }
}
