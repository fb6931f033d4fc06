using Accel.Golden;
using Accel.Golden.Testing;
using Accel.Model.Arithmetic;
using Accel.Model.Networks;
using Accel.Model.Quantized;
using CsCheck;
using Xunit;
using Xunit.Abstractions;

namespace Accel.Golden.Tests;

/// <summary>
/// The operators beyond Fire (add, activation lookup, average pool, shuffle, slice, scale) in the
/// ILGPU golden model against the scalar oracle, per backend: random small graphs with extreme
/// parameters, and every built-in compact network with the sensible random model.
/// </summary>
[Collection(GoldenCollection.Name)]
public sealed class CompactOperatorGoldenTests(GoldenFixture fixture, ITestOutputHelper output)
{
    private static readonly ScalarReference Oracle = new();

    /// <summary>
    /// A random chain over every new operator. Adds and scales take a second input built from the
    /// current tensor (a 1x1 conv; a global average pool, 1x1 conv and hard-sigmoid for the gate),
    /// so both signed and unsigned operands occur.
    /// </summary>
    internal static Network RandomCompactNetwork(int seed)
    {
        var r = new Random(seed);
        var input = new Shape(r.Next(1, 4) * 6, r.Next(2, 12), r.Next(2, 12));
        var layers = new List<Layer>();
        var shape = input;
        string current = Network.InputName;
        int n = r.Next(2, 8);
        for (int i = 0; i < n; i++)
        {
            string name = $"l{i}";
            var added = new List<Layer>();
            switch (r.Next(8))
            {
                case 0:
                {
                    int groups = r.Next(3) switch { 0 => 1, 1 => shape.Channels, _ => shape.Channels % 2 == 0 ? 2 : 1 };
                    int k = r.Next(2) == 0 ? 1 : 3;
                    if (shape.Height + 2 < k || shape.Width + 2 < k) continue;
                    added.Add(new ConvLayer(name, groups * r.Next(1, 4), k, r.Next(1, 3), k / 2, r.Next(2) == 0) { Groups = groups, Inputs = [current] });
                    break;
                }
                case 1:
                    added.Add(new ConvLayer($"{name}/side", shape.Channels, 1, Relu: r.Next(2) == 0) { Inputs = [current] });
                    added.Add(new AddLayer(name, r.Next(2) == 0) { Inputs = r.Next(2) == 0 ? [current, $"{name}/side"] : [$"{name}/side", current] });
                    break;
                case 2:
                    added.Add(new ActivationLayer(name, (ActivationKind)r.Next(4)) { Inputs = [current] });
                    break;
                case 3:
                {
                    int k = r.Next(1, 4), p = r.Next(0, k / 2 + 1);
                    if (shape.Height + 2 * p < k || shape.Width + 2 * p < k) continue;
                    added.Add(new AvgPoolLayer(name, k, r.Next(1, 3), p) { Inputs = [current] });
                    break;
                }
                case 4:
                {
                    var divisors = Enumerable.Range(1, shape.Channels).Where(g => shape.Channels % g == 0).ToList();
                    added.Add(new ChannelShuffleLayer(name, divisors[r.Next(divisors.Count)]) { Inputs = [current] });
                    break;
                }
                case 5:
                {
                    int start = r.Next(shape.Channels);
                    added.Add(new ChannelSliceLayer(name, start, r.Next(1, shape.Channels - start + 1)) { Inputs = [current] });
                    break;
                }
                case 6:
                    added.Add(new GlobalAvgPoolLayer($"{name}/squeeze") { Inputs = [current] });
                    added.Add(new ConvLayer($"{name}/excite", shape.Channels, 1, Relu: false));
                    added.Add(new ActivationLayer($"{name}/gate", r.Next(3) == 0 ? ActivationKind.HardSwish : ActivationKind.HardSigmoid));
                    added.Add(new ScaleLayer(name) { Inputs = [current, $"{name}/gate"] });
                    break;
                default:
                    added.Add(new ConvLayer($"{name}/a", r.Next(1, 5), 1) { Inputs = [current] });
                    added.Add(new ConvLayer($"{name}/b", r.Next(1, 5), 1, Relu: false) { Inputs = [current] });
                    added.Add(new ConcatLayer(name) { Inputs = [$"{name}/a", $"{name}/b"] });
                    break;
            }
            layers.AddRange(added);
            shape = new Network("partial", input, layers).OutputShape;
            current = name;
        }
        if (layers.Count == 0) layers.Add(new ActivationLayer("only", ActivationKind.HardSwish));
        return new Network($"compact{seed}", input, layers);
    }

    /// <summary>The sensible random model with every new operator's parameters replaced by extreme random ones.</summary>
    internal static QuantizedModel ExtremeParameters(QuantizedModel model, int seed)
    {
        var r = new Random(seed);
        var adds = new Dictionary<string, AddRequant>();
        var tables = new Dictionary<string, int[]>();
        var avgPools = new Dictionary<string, Requant[]>();
        var scales = new Dictionary<string, Requant>();
        Requant AnyRequant() => r.Next(3) switch
        {
            0 => new Requant((ushort)r.Next(65536), (byte)r.Next(1, 63)),
            1 => new Requant(65535, 1),
            _ => new Requant((ushort)r.Next(32768, 65536), (byte)r.Next(14, 22)),
        };
        foreach (var node in model.Network.Nodes)
        {
            var (lo, hi) = model.OutputRange(node);
            switch (node.Op)
            {
                case AddLayer:
                    adds[node.Name] = r.Next(2) == 0
                        ? new AddRequant(r.Next(65536), r.Next(65536), r.Next(1, 63))
                        : new AddRequant(r.Next(16384, 65536), r.Next(0, 65536), r.Next(15, 18));
                    break;
                case ActivationLayer:
                    tables[node.Name] = Enumerable.Range(0, 256).Select(_ => r.Next(lo, hi + 1)).ToArray();
                    break;
                case AvgPoolLayer a:
                    avgPools[node.Name] = Enumerable.Range(0, a.KernelSize * a.KernelSize).Select(_ => AnyRequant()).ToArray();
                    break;
                case ScaleLayer:
                    scales[node.Name] = AnyRequant();
                    break;
            }
        }
        return new QuantizedModel(model.Network, model.Preprocessing, model.TensorScales, model.Convs, model.PoolRequant,
            new OperatorParameters { Adds = adds, ActivationTables = tables, AvgPools = avgPools, Scales = scales });
    }

    [Theory, CpuBackends, CudaBackend]
    public void Random_graphs_of_the_new_operators(string backend)
    {
        Gen.Int.Sample(seed =>
        {
            var net = RandomCompactNetwork(seed);
            var sensible = RandomQuantizedModel.Create(net, seed);
            var input = RandomQuantizedModel.Input(net, seed + 1);
            Compare.SameActivations(Oracle.Run(sensible, input), fixture.Get(backend).Run(sensible, input), $"network seed {seed}");
            var extreme = ExtremeParameters(sensible, seed);
            Compare.SameActivations(Oracle.Run(extreme, input), fixture.Get(backend).Run(extreme, input), $"network seed {seed}, extreme parameters");
        }, iter: 300, seed: null);
    }

    [Fact]
    public void Random_graphs_use_every_operator_and_both_signs()
    {
        // The generator must reach what the property test claims to cover.
        var kinds = new HashSet<string>();
        var signs = new HashSet<(string, bool)>();
        for (int seed = 0; seed < 200; seed++)
        {
            var net = RandomCompactNetwork(seed);
            var unsignedTensors = TensorGroups.UnsignedTensors(net);
            foreach (var node in net.Nodes)
            {
                kinds.Add(node.Op.Kind);
                signs.Add((node.Op.Kind, unsignedTensors.Contains(node.Inputs[0])));
            }
        }
        foreach (var kind in new[] { "add", "activation", "avgpool", "shuffle", "slice", "scale" })
        {
            Assert.Contains(kind, kinds);
            Assert.Contains((kind, true), signs);
            Assert.Contains((kind, false), signs);
        }
    }

    /// <summary>Built-in networks beyond Fire at reduced input sizes (the scalar oracle runs every node).</summary>
    public static readonly (string Name, int Size)[] BuiltinList =
    [
        (BuiltinNetworks.SqueezeNet10Bypass, 96),
        ("squeezenet1_0_complex_bypass", 96),
        ("mobilenet_v1_0.25_128", 128),
        ("mobilenet_v2", 96),
        ("shufflenet_v1", 96),
        ("shufflenet_v2_x0.5", 96),
    ];

    public static TheoryData<string, int> Builtins
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (var (name, size) in BuiltinList) data.Add(name, size);
            return data;
        }
    }

    internal static Network Reduced(string name, int size)
    {
        var net = BuiltinNetworks.Get(name);
        return net.InputShape.Height == size ? net : net.WithInput(net.InputShape with { Height = size, Width = size });
    }

    [Theory, BuiltinsOnCpuBackends, BuiltinsOnCuda]
    public void Builtin_networks_every_node(string name, int size, string backend) => WholeNetwork(name, size, backend);

    private void WholeNetwork(string name, int size, string backend)
    {
        var net = Reduced(name, size);
        var model = RandomQuantizedModel.Create(net, 77);
        var input = RandomQuantizedModel.Input(net, 78);
        var expected = Oracle.Run(model, input);
        var golden = fixture.Get(backend);
        golden.Run(model, input);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var actual = golden.Run(model, input);
        output.WriteLine($"{net.Name} {net.InputShape} ({net.Macs / 1e6:F0} M MAC): {golden.Name} {sw.Elapsed.TotalMilliseconds:F0} ms per image");
        Compare.SameActivations(expected, actual, net.Name);
        Assert.True(actual.Output.Data.Distinct().Count() > 5, $"{net.Name}: the output is (nearly) constant");
    }

    [Theory]
    [MemberData(nameof(Builtins))]
    public void Random_models_keep_activations_alive(string name, int size)
    {
        // RandomQuantizedModel's parameters must exercise the arithmetic through a whole network:
        // over all node outputs, a good share of the values non-zero and under 5 % saturated.
        var net = Reduced(name, size);
        var model = RandomQuantizedModel.Create(net, 77);
        var result = Oracle.Run(model, RandomQuantizedModel.Input(net, 78));
        long total = 0, zero = 0, saturated = 0;
        foreach (var node in net.Nodes)
        {
            var t = result.Activations[node.Name];
            var (lo, hi) = model.OutputRange(node);
            for (int i = 0; i < t.Data.Length; i++)
            {
                int v = t.ValueAt(i);
                total++;
                if (v == 0) zero++;
                if (v == hi || (lo < 0 && v == lo)) saturated++;
            }
        }
        double nonZero = 1 - (double)zero / total, sat = (double)saturated / total;
        output.WriteLine($"{net.Name}: {nonZero:P1} non-zero, {sat:P2} saturated over {total} values");
        Assert.InRange(nonZero, 0.2, 0.95);
        Assert.True(sat < 0.05, $"{net.Name}: {sat:P2} of the values saturate");
    }

    [Theory]
    [MemberData(nameof(Builtins))]
    public void Builtin_models_round_trip_through_q8(string name, int size)
    {
        var net = Reduced(name, size);
        var model = RandomQuantizedModel.Create(net, 3);
        var bytes = QuantizedModelFile.Serialize(model);
        var back = QuantizedModelFile.Deserialize(bytes, $"{name}.q8");
        Assert.Equal(bytes, QuantizedModelFile.Serialize(back));
        var input = RandomQuantizedModel.Input(net, 4);
        Compare.SameActivations(Oracle.Run(model, input), Oracle.Run(back, input), $"{name} after .q8");
    }
}

/// <summary>Every built-in compact network on both CPU backends.</summary>
public sealed class BuiltinsOnCpuBackendsAttribute : Xunit.Sdk.DataAttribute
{
    public override IEnumerable<object[]> GetData(System.Reflection.MethodInfo testMethod) =>
        from b in new[] { "cpu", "cpu-perelement" }
        from n in CompactOperatorGoldenTests.BuiltinList
        select new object[] { n.Name, n.Size, b };
}

/// <summary>Every built-in compact network on CUDA; skipped, with the reason, without a CUDA device.</summary>
public sealed class BuiltinsOnCudaAttribute : Xunit.Sdk.DataAttribute
{
    public BuiltinsOnCudaAttribute()
    {
        if (!GoldenFixture.CudaAvailable)
            Skip = "no CUDA device visible to ILGPU: the CUDA golden model is not tested on this machine";
    }

    public override IEnumerable<object[]> GetData(System.Reflection.MethodInfo testMethod) =>
        CompactOperatorGoldenTests.BuiltinList.Select(n => new object[] { n.Name, n.Size, "cuda" });
}
