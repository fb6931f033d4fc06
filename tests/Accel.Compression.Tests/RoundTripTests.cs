using Accel.Model.Arithmetic;
using Accel.Model.Networks;
using Accel.Model.Quantized;
using CsCheck;
using Xunit;

namespace Accel.Compression.Tests;

public class RoundTripTests
{
    /// <summary>A small network with a 3x3 and a 1x1 conv: rows of 4*9 = 36 and 8 weights.</summary>
    private static readonly Network Tiny = new("tiny", new Shape(4, 6, 6),
        [new ConvLayer("a", 8, 3, Padding: 1), new ConvLayer("b", 5, 1, Relu: false)]);

    /// <summary>Random int8 weights at a density, with forced zero runs of exactly 15 and of 16+ and an empty channel.</summary>
    private static sbyte[] Weights(Random rng, int rows, int rowLength, double density)
    {
        var w = new sbyte[rows * rowLength];
        for (int i = 0; i < w.Length; i++)
            if (rng.NextDouble() < density) w[i] = (sbyte)(rng.Next(1, 128) * (rng.Next(2) == 0 ? 1 : -1));
        if (rows > 1) Array.Clear(w, rowLength, rowLength); // an empty output channel
        return w;
    }

    private static QuantizedModel Model(Random rng, int bits, double density)
    {
        var scales = new Dictionary<string, float> { [Network.InputName] = 0.1f, ["a"] = 0.05f, ["b"] = 0.2f };
        var convs = new Dictionary<string, QuantizedConv>();
        foreach (var node in Tiny.Convolutions)
        {
            var conv = (ConvLayer)node.Op;
            int rowLength = node.Input.Channels * conv.KernelSize * conv.KernelSize;
            var w = WeightSharing.Share(Weights(rng, conv.OutChannels, rowLength, density), bits);
            var bias = Enumerable.Range(0, conv.OutChannels).Select(_ => rng.Next(-100000, 100000)).ToArray();
            var requant = Enumerable.Range(0, conv.OutChannels).Select(_ => new Requant((ushort)rng.Next(1 << 15, 1 << 16), (byte)rng.Next(1, 63))).ToArray();
            var ws = Enumerable.Range(0, conv.OutChannels).Select(_ => (float)rng.NextDouble()).ToArray();
            convs[node.Name] = new QuantizedConv(node.Name, w, bias, requant, ws);
        }
        return new QuantizedModel(Tiny, "torchvision", scales, convs, new Dictionary<string, Requant>());
    }

    private static void AssertSameModel(QuantizedModel expected, QuantizedModel actual)
    {
        foreach (var (name, c) in expected.Convs)
        {
            var d = actual.Convs[name];
            Assert.Equal(c.Weights, d.Weights);
            Assert.Equal(c.Bias, d.Bias);
            Assert.Equal(c.Requant, d.Requant);
            Assert.Equal(c.WeightScale, d.WeightScale);
        }
        Assert.Equal(expected.TensorScales, actual.TensorScales);
    }

    [Fact]
    public void Container_round_trip_gives_identical_int8_weights_for_every_width_density_and_coding()
    {
        Gen.Select(Gen.Int[EieLayer.MinBits, EieLayer.MaxBits], Gen.Double[0, 1], Gen.Bool, Gen.Int)
            .Sample((bits, density, huffman, seed) =>
            {
                var q = Model(new Random(seed), bits, density);
                var bytes = EieFile.Serialize(EieModel.Encode(q, bits, huffman));
                var back = EieFile.Deserialize(bytes, "random.eie");
                AssertSameModel(q, back.Model);
                Assert.Equal(huffman, back.Huffman);
            }, iter: 300);
    }

    [Theory]
    [InlineData("mobilenet_v2")]
    [InlineData("shufflenet_v1")]
    [InlineData("squeezenet1_0_complex_bypass")]
    public void Networks_beyond_Fire_keep_grouped_weights_and_operator_parameters(string name)
    {
        var net = BuiltinNetworks.Get(name);
        net = net.WithInput(net.InputShape with { Height = 64, Width = 64 });
        var q = Golden.Testing.RandomQuantizedModel.Create(net, 5);
        var back = EieFile.Deserialize(EieFile.Serialize(EieModel.Encode(q, 8, huffman: false)), $"{name}.eie").Model;
        AssertSameModel(q, back);
        // The .q8 operator sections travel inside the model section: same bytes after a .q8 round trip.
        Assert.Equal(QuantizedModelFile.Serialize(q), QuantizedModelFile.Serialize(back));
        var input = Golden.Testing.RandomQuantizedModel.Input(net, 6);
        Assert.Equal(new Golden.ScalarReference().Run(q, input).Output.Data, new Golden.ScalarReference().Run(back, input).Output.Data);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void Extreme_densities_round_trip(double density)
    {
        for (int bits = EieLayer.MinBits; bits <= EieLayer.MaxBits; bits++)
            foreach (bool huffman in new[] { false, true })
            {
                var q = Model(new Random(bits), bits, density);
                AssertSameModel(q, EieFile.Deserialize(EieFile.Serialize(EieModel.Encode(q, bits, huffman)), "x.eie").Model);
            }
    }

    [Fact]
    public void Zero_runs_of_15_take_no_padding_and_of_16_take_one()
    {
        // Row: 15 zeros, w, 16 zeros, w, 31 zeros, w, 32 zeros, w, then trailing zeros.
        var row = new List<sbyte>();
        foreach (int run in new[] { 15, 16, 31, 32 }) { row.AddRange(new sbyte[run]); row.Add(5); }
        row.AddRange(new sbyte[40]);
        var layer = EieLayer.Encode("runs", row.ToArray(), 1, 4);
        Assert.Equal(new byte[] { 1, 0, 1, 0, 1, 0, 0, 1 }, layer.Indices);
        Assert.Equal(new byte[] { 15, 15, 0, 15, 15, 15, 15, 0 }, layer.Gaps);
        Assert.Equal(row.ToArray(), layer.Decode());
    }

    [Fact]
    public void Empty_channels_have_no_entries_and_pointers_skip_them()
    {
        var w = new sbyte[3 * 20];
        w[0] = 3; w[45] = -7; w[59] = 2;
        var layer = EieLayer.Encode("e", w, 3, 4);
        Assert.Equal(new ushort[] { 1, 0, 2 }, layer.RowEntries);
        Assert.Equal(new[] { 0, 1, 1, 3 }, layer.Pointers());
        Assert.Equal(w, layer.Decode());
    }

    [Fact]
    public void Kmeans_codebook_is_int8_without_zero_or_minus_128_and_maps_to_nearest()
    {
        Gen.Select(Gen.Int[EieLayer.MinBits, EieLayer.MaxBits], Gen.SByte.Array[1, 2000]).Sample((bits, raw) =>
        {
            var w = raw.Select(v => v == sbyte.MinValue ? (sbyte)-127 : v).ToArray();
            var centroids = WeightSharing.Centroids(w, bits);
            Assert.True(centroids.Length <= (1 << bits) - 1);
            Assert.DoesNotContain((sbyte)0, centroids);
            Assert.DoesNotContain(sbyte.MinValue, centroids);
            var shared = WeightSharing.Share(w, centroids);
            for (int i = 0; i < w.Length; i++)
            {
                Assert.Equal(w[i] == 0, shared[i] == 0);
                if (w[i] != 0) Assert.Equal(centroids.Min(c => Math.Abs(c - w[i])), Math.Abs(shared[i] - w[i]));
            }
        }, iter: 200);
    }

    [Fact]
    public void Few_distinct_values_are_kept_exactly()
    {
        var w = new sbyte[] { 0, 3, -3, 100, -127, 3, 0, 1 };
        Assert.Equal(w, WeightSharing.Share(w, 4));
    }

    [Fact]
    public void Huffman_codes_round_trip_and_are_prefix_free()
    {
        Gen.Byte[0, 63].Array[0, 3000].Sample(symbols =>
        {
            var f = new long[64];
            foreach (var s in symbols) f[s]++;
            var lengths = Huffman.CodeLengths(f);
            var stream = Huffman.Encode(symbols, lengths);
            Assert.Equal(symbols, Huffman.Decode(stream, lengths, symbols.Length));
        }, iter: 200);
    }

    [Fact]
    public void Pruning_keeps_the_largest_magnitudes_and_never_densifies()
    {
        var w = new float[] { 0.1f, -0.5f, 0.3f, 0, -0.2f, 0.05f };
        Assert.Equal(new float[] { 0, -0.5f, 0.3f, 0, 0, 0 }, Pruning.Prune(w, 2.0 / 6));
        Assert.Same(w, Pruning.Prune(w, 5.0 / 6)); // 5 non-zeros already: not pruned
    }
}
