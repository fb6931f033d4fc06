using Accel.Golden;
using Accel.Golden.Float;
using Accel.Golden.Testing;
using Accel.Model.Arithmetic;
using Accel.Model.Networks;
using Accel.Model.Quantized;
using Accel.Model.Weights;
using CsCheck;
using Xunit;
using Xunit.Abstractions;

namespace Accel.Golden.Tests;

/// <summary>A random grouped conv: <see cref="Groups"/> 0 means depthwise (groups = Cin = Cout).</summary>
public sealed record GroupedConvCase(int Groups, int CinPerGroup, int CoutPerGroup, int H, int W, int K, int Stride, int Pad,
    bool Relu, bool UnsignedInput, int Seed)
{
    public int G => Groups == 0 ? CinPerGroup * 4 : Groups;
    public int Cin => Groups == 0 ? G : G * CinPerGroup;
    public int Cout => Groups == 0 ? G : G * CoutPerGroup;
    public bool Valid => H + 2 * Pad >= K && W + 2 * Pad >= K;
}

/// <summary>Rule GROUPED_CONV through the int8 path: scalar oracle, ILGPU golden model, float reference, .q8.</summary>
[Collection(GoldenCollection.Name)]
public sealed class GroupedConvTests(GoldenFixture fixture, ITestOutputHelper output)
{
    private static readonly ScalarReference Oracle = new();

    private static readonly Gen<GroupedConvCase> Cases =
        (from g in Gen.OneOf(0, 1, 2, 3, 5)
         from cinG in Gen.Int[1, 4]
         from coutG in Gen.Int[1, 6]
         from h in Gen.Int[1, 10]
         from w in Gen.Int[1, 10]
         from k in Gen.OneOf(1, 3)
         from s in Gen.Int[1, 2]
         from p in Gen.Int[0, 2]
         from relu in Gen.Bool
         from unsignedInput in Gen.Bool
         from seed in Gen.Int
         select new GroupedConvCase(g, cinG, coutG, h, w, k, s, p, relu, unsignedInput, seed)).Where(c => c.Valid);

    /// <summary>
    /// A model of one grouped conv with random weights, biases and multipliers. An unsigned input comes
    /// from a ReLU conv in front (1x1, identity-like), so the grouped conv reads a 0..255 tensor.
    /// </summary>
    private static QuantizedModel Model(GroupedConvCase c, out sbyte[] input)
    {
        var layers = new List<Layer>();
        if (c.UnsignedInput) layers.Add(new ConvLayer("relu_in", c.Cin, 1));
        layers.Add(new ConvLayer("gconv", c.Cout, c.K, c.Stride, c.Pad, c.Relu) { Groups = c.G });
        var net = new Network("grouped", new Shape(c.Cin, c.H, c.W), layers);
        var r = new Random(c.Seed);
        var scales = new Dictionary<string, float> { [Network.InputName] = 1f };
        var convs = new Dictionary<string, QuantizedConv>();
        foreach (var node in net.Nodes)
        {
            var conv = (ConvLayer)node.Op;
            scales[node.Name] = 1f;
            var w = new sbyte[conv.OutChannels * FloatModel.FanIn(node)];
            for (int i = 0; i < w.Length; i++) w[i] = (sbyte)r.Next(-127, 128);
            var bias = new int[conv.OutChannels];
            var rq = new Requant[conv.OutChannels];
            for (int oc = 0; oc < conv.OutChannels; oc++)
            {
                bias[oc] = r.Next(4) == 0 ? r.Next(-Int8Arithmetic.BiasLimit, Int8Arithmetic.BiasLimit) : r.Next(-5000, 5001);
                rq[oc] = r.Next(4) == 0 ? new Requant((ushort)r.Next(65536), (byte)r.Next(1, 63)) : new Requant((ushort)r.Next(32768, 65536), (byte)r.Next(12, 20));
            }
            convs[node.Name] = new QuantizedConv(node.Name, w, bias, rq, Enumerable.Repeat(1f, conv.OutChannels).ToArray());
        }
        input = new sbyte[c.Cin * c.H * c.W];
        for (int i = 0; i < input.Length; i++) input[i] = (sbyte)r.Next(-128, 128);
        return new QuantizedModel(net, "test", scales, convs, new Dictionary<string, Requant>());
    }

    [Theory, CpuBackends, CudaBackend]
    public void Random_grouped_and_depthwise_convs(string backend)
    {
        Cases.Sample(c =>
        {
            var model = Model(c, out var input);
            Assert.True(model.IsUnsigned("relu_in") || !c.UnsignedInput);
            Compare.SameActivations(Oracle.Run(model, input), fixture.Get(backend).Run(model, input), c.ToString());
        }, iter: 1500, seed: null);
    }

    [Fact]
    public void Grouped_conv_is_each_group_convolved_alone()
    {
        // Independent of the grouped loop: slice the input by group, run an ungrouped conv per group
        // on its weight and bias slice, and concatenate the outputs.
        Cases.Sample(c =>
        {
            var model = Model(c, out var input);
            var node = model.Network["gconv"];
            var x = c.UnsignedInput ? Oracle.Run(model, input).Activations["relu_in"].Data : input;
            var q = model.Convs["gconv"];
            var (lo, hi) = model.OutputRange(node);
            var whole = ScalarReference.Conv(x, node.Input, c.UnsignedInput, (ConvLayer)node.Op, q, lo, hi);
            int cinG = c.Cin / c.G, coutG = c.Cout / c.G, plane = c.H * c.W, fanIn = cinG * c.K * c.K;
            var parts = new List<sbyte[]>();
            for (int g = 0; g < c.G; g++)
                parts.Add(ScalarReference.Conv(x[(g * cinG * plane)..((g + 1) * cinG * plane)], new Shape(cinG, c.H, c.W), c.UnsignedInput,
                    coutG, c.K, c.Stride, c.Pad, q.Weights[(g * coutG * fanIn)..((g + 1) * coutG * fanIn)],
                    q.Bias[(g * coutG)..((g + 1) * coutG)], q.Requant[(g * coutG)..((g + 1) * coutG)], lo, hi));
            Assert.Equal(ScalarReference.Concat(parts), whole);
        }, iter: 300, seed: null);
    }

    [Fact]
    public void Scalar_grouped_conv_matches_the_float_conv_on_small_integers()
    {
        // Small integers make the float conv exact; M = 2^15, S = 15 makes REQUANT the identity, so
        // the int8 conv must equal the float one element for element (clamped to the output range).
        Cases.Sample(c =>
        {
            var r = new Random(c.Seed);
            var layer = new ConvLayer("gconv", c.Cout, c.K, c.Stride, c.Pad, Relu: false) { Groups = c.G };
            var net = new Network("g", new Shape(c.Cin, c.H, c.W), [layer]);
            var node = net["gconv"];
            int fanIn = FloatModel.FanIn(node);
            var w = new sbyte[c.Cout * fanIn];
            for (int i = 0; i < w.Length; i++) w[i] = (sbyte)r.Next(-2, 3);
            var bias = Enumerable.Range(0, c.Cout).Select(_ => r.Next(-3, 4)).ToArray();
            var x = new sbyte[c.Cin * c.H * c.W];
            for (int i = 0; i < x.Length; i++) x[i] = (sbyte)r.Next(-3, 4);
            var rq = Enumerable.Repeat(new Requant(32768, 15), c.Cout).ToArray();
            var y = ScalarReference.Conv(x, node.Input, false, c.Cout, c.K, c.Stride, c.Pad, w, bias, rq, -128, 127, c.G);
            var f = FloatReference.Conv(x.Select(v => (float)v).ToArray(), node.Input, node.Output, layer,
                new ConvWeights(w.Select(v => (float)v).ToArray(), bias.Select(v => (float)v).ToArray()));
            Assert.Equal(f.Length, y.Length);
            for (int i = 0; i < y.Length; i++) Assert.Equal(Math.Clamp(f[i], -128, 127), y[i]);
        }, iter: 300, seed: null);
    }

    [Fact]
    public void Grouped_model_round_trips_through_q8()
    {
        var net = BuiltinNetworks.Get("mobilenet_v1_0.25_128");
        var model = RandomQuantizedModel.Create(net, 5);
        var bytes = QuantizedModelFile.Serialize(model);
        var back = QuantizedModelFile.Deserialize(bytes, "mobilenet.q8");
        Assert.Equal(bytes, QuantizedModelFile.Serialize(back));
        var dw = back.Network["block2/dw"];
        Assert.Equal(((ConvLayer)dw.Op).Groups, dw.Input.Channels);
        Assert.Equal(dw.Input.Channels * 9, back.Convs["block2/dw"].Weights.Length);
        Assert.Equal(model.Convs["block2/dw"].Weights, back.Convs["block2/dw"].Weights);
        var input = RandomQuantizedModel.Input(net, 2);
        Compare.SameActivations(Oracle.Run(model, input), Oracle.Run(back, input), "after .q8");
    }

    [Fact]
    public void Grouped_weight_count_is_checked_naming_the_layer()
    {
        var net = new Network("g", new Shape(4, 3, 3), [new ConvLayer("gconv", 6, 3, Padding: 1) { Groups = 2 }]);
        var scales = new Dictionary<string, float> { [Network.InputName] = 1f, ["gconv"] = 1f };
        // 6 x 4 x 3 x 3: the ungrouped count, twice what two groups need.
        var conv = new QuantizedConv("gconv", new sbyte[6 * 4 * 9], new int[6], new Requant[6], new float[6]);
        var e = Assert.Throws<NetworkException>(() => new QuantizedModel(net, "t", scales, new Dictionary<string, QuantizedConv> { ["gconv"] = conv }, new Dictionary<string, Requant>()));
        Assert.Equal("gconv", e.Layer);
        Assert.Contains("6x2x3x3", e.Message);
        var f = Assert.Throws<NetworkException>(() => new FloatModel(net, new Dictionary<string, ConvWeights> { ["gconv"] = new(new float[6 * 4 * 9], new float[6]) }));
        Assert.Equal("gconv", f.Layer);
    }

    [Theory, CpuBackends, CudaBackend]
    public void MobileNetV1_quarter_128_every_node(string backend)
    {
        var net = BuiltinNetworks.Get("mobilenet_v1_0.25_128");
        var model = RandomQuantizedModel.Create(net, 2026);
        var input = RandomQuantizedModel.Input(net, 3);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var expected = Oracle.Run(model, input);
        double scalarMs = sw.Elapsed.TotalMilliseconds;
        var golden = fixture.Get(backend);
        golden.Run(model, input);
        sw.Restart();
        var actual = golden.Run(model, input);
        output.WriteLine($"mobilenet_v1_0.25_128 ({net.Macs / 1e6:F1} M MAC): scalar {scalarMs:F0} ms, {golden.Name} {sw.Elapsed.TotalMilliseconds:F0} ms per image (cached model)");
        Compare.SameActivations(expected, actual, "mobilenet_v1_0.25_128");
        Assert.True(actual.Output.Data.Distinct().Count() > 5, "the output is (nearly) constant");
    }
}
