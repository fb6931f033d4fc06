using Accel.Golden;
using Accel.Golden.Testing;
using Accel.Model.Arithmetic;
using Accel.Model.Networks;
using Accel.Model.Quantized;
using CsCheck;
using Xunit;
using Xunit.Abstractions;

namespace Accel.Golden.Tests;

/// <summary>A random single-conv case: shapes and a seed for the data.</summary>
public sealed record ConvCase(int Cin, int H, int W, int Cout, int K, int Stride, int Pad, bool Relu,
    int WeightMode, int BiasMode, int RequantMode, int InputMode, int Seed)
{
    public bool Valid => H + 2 * Pad >= K && W + 2 * Pad >= K;
}

public sealed record PoolCase(int C, int H, int W, int K, int Stride, int Pad, bool Ceil, int Seed)
{
    public bool Valid => 2 * Pad <= K && H + 2 * Pad >= K && W + 2 * Pad >= K
        && Network.OutputSize(H, K, Stride, Pad, Ceil) > 0 && Network.OutputSize(W, K, Stride, Pad, Ceil) > 0;
}

/// <summary>
/// ILGPU golden model == ScalarReference, bit for bit on every node's output, per backend.
/// </summary>
[Collection(GoldenCollection.Name)]
public sealed class EquivalenceTests(GoldenFixture fixture, ITestOutputHelper output)
{
    private static readonly ScalarReference Oracle = new();

    private static readonly Gen<ConvCase> ConvCases =
        (from cin in Gen.Int[1, 9]
         from h in Gen.Int[1, 11]
         from w in Gen.Int[1, 11]
         from cout in Gen.Int[1, 10]
         from k in Gen.OneOf(1, 3, 7)
         from s in Gen.Int[1, 2]
         from p in Gen.Int[0, 2]
         from relu in Gen.Bool
         from wm in Gen.Int[0, 3]
         from bm in Gen.Int[0, 3]
         from rm in Gen.Int[0, 5]
         from im in Gen.Int[0, 3]
         from seed in Gen.Int
         select new ConvCase(cin, h, w, cout, k, s, p, relu, wm, bm, rm, im, seed)).Where(c => c.Valid);

    private static readonly Gen<PoolCase> PoolCases =
        (from c in Gen.Int[1, 6]
         from h in Gen.Int[1, 13]
         from w in Gen.Int[1, 13]
         from k in Gen.Int[1, 4]
         from s in Gen.Int[1, 3]
         from p in Gen.Int[0, 1]
         from ceil in Gen.Bool
         from seed in Gen.Int
         select new PoolCase(c, h, w, k, s, p, ceil, seed)).Where(c => c.Valid);

    private void Check(string backend, QuantizedModel model, sbyte[] input, string context)
    {
        var expected = Oracle.Run(model, input);
        var actual = fixture.Get(backend).Run(model, input);
        Compare.SameActivations(expected, actual, context);
    }

    private static sbyte Extreme(Random r, int mode, bool weight) => mode switch
    {
        0 => (sbyte)r.Next(-128, 128),                               // uniform int8
        1 => r.Next(2) == 0 ? (sbyte)-128 : (sbyte)127,             // only the extremes
        2 => (sbyte)r.Next(-3, 4),                                   // small
        _ => weight ? (sbyte)(r.Next(2) == 0 ? -127 : 127) : (sbyte)r.Next(0, 128), // symmetric weights / post-ReLU inputs
    };

    internal static QuantizedModel ConvModel(ConvCase c, out sbyte[] input)
    {
        var net = new Network("conv", new Shape(c.Cin, c.H, c.W),
            [new ConvLayer("conv", c.Cout, c.K, c.Stride, c.Pad, c.Relu)]);
        var r = new Random(c.Seed);
        var w = new sbyte[c.Cout * c.Cin * c.K * c.K];
        for (int i = 0; i < w.Length; i++) w[i] = Extreme(r, c.WeightMode, true);
        var bias = new int[c.Cout];
        var rq = new Requant[c.Cout];
        for (int oc = 0; oc < c.Cout; oc++)
        {
            bias[oc] = c.BiasMode switch
            {
                0 => 0,
                1 => r.Next(-5000, 5001),
                2 => r.Next(2) == 0 ? -Int8Arithmetic.BiasLimit : Int8Arithmetic.BiasLimit,
                _ => r.Next(-Int8Arithmetic.BiasLimit, Int8Arithmetic.BiasLimit),
            };
            rq[oc] = c.RequantMode switch
            {
                0 => new Requant((ushort)r.Next(32768, 65536), (byte)r.Next(14, 24)),   // typical
                1 => new Requant(65535, 1),                                              // saturate
                2 => new Requant(0, (byte)r.Next(1, 63)),                                // M = 0
                3 => new Requant((ushort)r.Next(0, 65536), 62),                          // largest shift
                4 => new Requant((ushort)r.Next(0, 65536), (byte)r.Next(1, 63)),         // anything
                _ => new Requant((ushort)r.Next(1, 4), 1),                              // S = 1, tiny M
            };
        }
        input = new sbyte[c.Cin * c.H * c.W];
        for (int i = 0; i < input.Length; i++) input[i] = Extreme(r, c.InputMode, false);
        var scales = new Dictionary<string, float> { ["input"] = 1f, ["conv"] = 1f };
        var convs = new Dictionary<string, QuantizedConv>
        {
            ["conv"] = new("conv", w, bias, rq, Enumerable.Repeat(1f, c.Cout).ToArray()),
        };
        return new QuantizedModel(net, "test", scales, convs, new Dictionary<string, Requant>());
    }

    [Theory, CpuBackends, CudaBackend]
    public void Random_conv_layers(string backend)
    {
        // Multithreaded sampling: the scalar oracle runs beside the (serialised) ILGPU model.
        ConvCases.Sample(c =>
        {
            var model = ConvModel(c, out var input);
            Check(backend, model, input, c.ToString());
        }, iter: backend == "cpu-perelement" ? 800 : 2000, seed: null);
    }

    [Theory, CpuBackends, CudaBackend]
    public void Random_max_pools_and_average_pools(string backend)
    {
        PoolCases.Sample(c =>
        {
            var layers = new List<Layer> { new MaxPoolLayer("pool", c.K, c.Stride, c.Pad, c.Ceil), new GlobalAvgPoolLayer("gap") };
            var net = new Network("pool", new Shape(c.C, c.H, c.W), layers);
            var r = new Random(c.Seed);
            var scales = new Dictionary<string, float> { ["input"] = 1f, ["pool"] = 1f, ["gap"] = 1f };
            // Average-pool requant: from exact 1/HW to saturating and M = 0 extremes.
            var gapRq = (c.Seed & 3) switch
            {
                0 => Int8Arithmetic.ChooseMultiplier(1.0 / (net["pool"].Output.Height * net["pool"].Output.Width)),
                1 => new Requant(65535, 1),
                2 => new Requant(0, 1),
                _ => new Requant((ushort)r.Next(65536), (byte)r.Next(1, 63)),
            };
            var model = new QuantizedModel(net, "test", scales, new Dictionary<string, QuantizedConv>(),
                new Dictionary<string, Requant> { ["gap"] = gapRq });
            var input = new sbyte[c.C * c.H * c.W];
            bool extremes = (c.Seed & 4) != 0;
            for (int i = 0; i < input.Length; i++)
                input[i] = extremes ? (r.Next(2) == 0 ? (sbyte)-128 : (sbyte)127) : (sbyte)r.Next(-128, 128);
            Check(backend, model, input, c.ToString());
        }, iter: 600, seed: null);
    }

    /// <summary>A random small network of convs, pools (ceil and floor), Fire modules, explicit concats and an average pool.</summary>
    internal static Network RandomFireNetwork(int seed)
    {
        var r = new Random(seed);
        var shape = new Shape(r.Next(1, 7), r.Next(3, 16), r.Next(3, 16));
        var input = shape;
        var layers = new List<Layer>();
        int n = r.Next(1, 6);
        string? previous = null;
        for (int i = 0; i < n; i++)
        {
            string name = $"l{i}";
            Layer layer;
            switch (r.Next(5))
            {
                case 0:
                {
                    int k = r.Next(2) == 0 ? 1 : 3, s = r.Next(1, 3), p = k == 3 ? r.Next(0, 2) : 0;
                    if (shape.Height + 2 * p < k || shape.Width + 2 * p < k) continue;
                    layer = new ConvLayer(name, r.Next(1, 9), k, s, p, r.Next(4) != 0);
                    break;
                }
                case 1:
                {
                    int k = r.Next(2, 4), s = r.Next(1, 3), p = r.Next(0, 2);
                    bool ceil = r.Next(3) != 0;
                    if (shape.Height + 2 * p < k || shape.Width + 2 * p < k) continue;
                    if (Network.OutputSize(shape.Height, k, s, p, ceil) < 1 || Network.OutputSize(shape.Width, k, s, p, ceil) < 1) continue;
                    layer = new MaxPoolLayer(name, k, s, p, ceil);
                    break;
                }
                case 2:
                    if (previous is null) continue;
                    layer = new ConcatLayer(name) { Inputs = [previous, previous] }; // duplicate input: the copy path
                    break;
                default:
                    layer = new FireLayer(name, r.Next(1, 6), r.Next(1, 7), r.Next(1, 7));
                    break;
            }
            layers.Add(layer);
            var partial = new Network("rand", input, layers);
            shape = partial.OutputShape;
            previous = name;
        }
        if (layers.Count == 0 || r.Next(2) == 0) layers.Add(new FireLayer("fireEnd", 2, 3, 4));
        layers.Add(new DropoutLayer("drop"));
        layers.Add(new ConvLayer("convEnd", r.Next(1, 11), 1));
        layers.Add(new GlobalAvgPoolLayer("gap"));
        return new Network($"rand{seed}", input, layers);
    }

    [Theory, CpuBackends, CudaBackend]
    public void Random_small_fire_networks(string backend)
    {
        Gen.Int.Sample(seed =>
        {
            var net = RandomFireNetwork(seed);
            var model = RandomQuantizedModel.Create(net, seed);
            Check(backend, model, RandomQuantizedModel.Input(net, seed + 1), $"network seed {seed}");
        }, iter: 250, seed: null);
    }

    [Theory, CpuBackends, CudaBackend]
    public void Repeated_runs_reuse_the_cached_model(string backend)
    {
        var net = RandomFireNetwork(12345);
        var model = RandomQuantizedModel.Create(net, 7);
        for (int i = 0; i < 5; i++)
            Check(backend, model, RandomQuantizedModel.Input(net, 100 + i), $"image {i}");
    }

    [Theory, CpuTiledBackend, CudaBackend]
    public void SqueezeNet11_whole_network_one_image(string backend)
    {
        var net = BuiltinNetworks.Get(BuiltinNetworks.SqueezeNet11);
        var model = RandomQuantizedModel.Create(net, 2024);
        var input = RandomQuantizedModel.Input(net, 1);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var expected = Oracle.Run(model, input);
        double scalarMs = sw.Elapsed.TotalMilliseconds;
        var golden = fixture.Get(backend);
        var actual = golden.Run(model, input);
        sw.Restart();
        var again = golden.Run(model, input); // weights and buffers cached: the per-image cost
        // Timing is reported, never asserted (machines differ).
        output.WriteLine($"squeezenet1_1 ({net.Macs / 1e6:F0} M MAC): scalar {scalarMs:F0} ms, {golden.Name} on {golden.DeviceName} {sw.Elapsed.TotalMilliseconds:F0} ms per image (cached model)");
        Compare.SameActivations(expected, actual, "squeezenet1_1");
        Compare.SameActivations(expected, again, "squeezenet1_1 second run");
        // The random model must exercise the arithmetic: outputs are not constant.
        Assert.True(actual.Output.Data.Distinct().Count() > 5, "squeezenet1_1 output is (nearly) constant");
    }

    [Fact]
    public void Wrong_input_length_is_refused()
    {
        var net = RandomFireNetwork(1);
        var model = RandomQuantizedModel.Create(net, 1);
        Assert.Throws<ArgumentException>(() => fixture.Get("cpu").Run(model, new sbyte[1 + net.InputShape.Elements]));
        Assert.Throws<ArgumentException>(() => Oracle.Run(model, new sbyte[1]));
    }
}
