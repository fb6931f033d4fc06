using System.Buffers.Binary;
using System.IO.Hashing;
using Accel.Model.Arithmetic;
using Accel.Model.Networks;
using Accel.Model.Quantized;
using Xunit;

namespace Accel.Model.Tests;

/// <summary>The int8 model of the operators beyond Fire: signedness, scale groups, validation, .q8 sections.</summary>
public class CompactInt8ModelTests
{
    [Fact]
    public void UnsignedTensorsFollowTheOperators()
    {
        var v2 = BuiltinNetworks.Get("mobilenet_v2");
        var u = TensorGroups.UnsignedTensors(v2);
        Assert.DoesNotContain("conv1", u);                     // conv without ReLU
        Assert.Contains("conv1/relu6", u);
        Assert.DoesNotContain(v2.Nodes.First(n => n.Op is AddLayer).Name, u); // sum of linear bottlenecks

        var v1 = BuiltinNetworks.Get("shufflenet_v1");
        u = TensorGroups.UnsignedTensors(v1);
        var shuffle = v1.Nodes.First(n => n.Op is ChannelShuffleLayer);
        Assert.Contains(shuffle.Name, u);                      // a shuffle of a ReLU conv
        var shortcut = v1.Nodes.First(n => n.Op is AvgPoolLayer);
        Assert.DoesNotContain(shortcut.Name, u);               // concatenated with a ReLU-less conv: one signed group
        Assert.Contains(v1.Nodes.First(n => n.Op is AddLayer { Relu: true }).Name, u);
        Assert.Contains(v1.Nodes.First(n => n.Op is ActivationLayer).Name, u);

        var bypass = BuiltinNetworks.Get(BuiltinNetworks.SqueezeNet10Bypass);
        Assert.Contains("fire3/bypass", TensorGroups.UnsignedTensors(bypass));  // two unsigned inputs, no ReLU needed
        var complex = BuiltinNetworks.Get(BuiltinNetworks.SqueezeNet10ComplexBypass);
        Assert.DoesNotContain("fire2/bypass", TensorGroups.UnsignedTensors(complex)); // the 1x1 bypass conv is signed

        var sv2 = BuiltinNetworks.Get("shufflenet_v2_x0.5");
        u = TensorGroups.UnsignedTensors(sv2);
        Assert.All(sv2.Nodes.Where(n => n.Op is ChannelSliceLayer or ChannelShuffleLayer), n => Assert.Contains(n.Name, u));
        var groups = TensorGroups.ScaleGroups(sv2);
        Assert.All(sv2.Nodes.Where(n => n.Op is ChannelSliceLayer or ChannelShuffleLayer), n => Assert.Equal(groups[n.Inputs[0]], groups[n.Name]));
    }

    [Fact]
    public void SignFollowsThroughGroupsToAFixedPoint()
    {
        // The average pool reads an unsigned tensor, but a later concat puts it in one group with a
        // signed conv; the scale reading that pool must then be signed too.
        var net = new Network("fix", new Shape(4, 6, 6),
        [
            new ConvLayer("a", 4, 1),
            new AvgPoolLayer("avg", 3, 1, 1),
            new ConvLayer("lin", 4, 1, Relu: false) { Inputs = ["a"] },
            new ConcatLayer("cat") { Inputs = ["avg", "lin"] },
            new GlobalAvgPoolLayer("g") { Inputs = ["a"] },
            new ActivationLayer("gate", ActivationKind.HardSigmoid),
            new ScaleLayer("scaled") { Inputs = ["avg", "gate"] },
            new AvgPoolLayer("avg2", 2, 2) { Inputs = ["scaled"] },
        ]);
        var u = TensorGroups.UnsignedTensors(net);
        Assert.Contains("a", u);
        Assert.Contains("gate", u);
        Assert.DoesNotContain("avg", u);
        Assert.DoesNotContain("scaled", u);
        Assert.DoesNotContain("avg2", u);
    }

    private static readonly Network Small = new("ops", new Shape(4, 5, 5),
    [
        new ConvLayer("c", 4, 1),
        new AddLayer("add", Relu: true) { Inputs = ["c", Network.InputName] },
        new ActivationLayer("hs", ActivationKind.HardSwish),
        new AvgPoolLayer("avg", 3, 2, 1),
        new ChannelShuffleLayer("sh", 2),
        new ChannelSliceLayer("sl", 1, 2),
        new GlobalAvgPoolLayer("g") { Inputs = ["c"] },
        new ScaleLayer("scale") { Inputs = ["c", "g"] },
    ]);

    private static QuantizedModel SmallModel(OperatorParameters? ops = null, Dictionary<string, float>? scales = null)
    {
        scales ??= new[] { Network.InputName }.Concat(Small.Nodes.Select(n => n.Name)).ToDictionary(n => n, _ => 0.5f);
        var convs = new Dictionary<string, QuantizedConv>
        {
            ["c"] = new("c", new sbyte[16], new int[4], Enumerable.Repeat(new Requant(32768, 16), 4).ToArray(), new float[4]),
        };
        ops ??= new OperatorParameters
        {
            Adds = new Dictionary<string, AddRequant> { ["add"] = new(40000, 20000, 16) },
            ActivationTables = new Dictionary<string, int[]> { ["hs"] = Enumerable.Range(0, 256).Select(v => (sbyte)v / 2).ToArray() },
            AvgPools = new Dictionary<string, Requant[]> { ["avg"] = Enumerable.Range(1, 9).Select(n => Int8Arithmetic.ChooseMultiplier(1.0 / n)).ToArray() },
            Scales = new Dictionary<string, Requant> { ["scale"] = new(50000, 22) },
        };
        return new QuantizedModel(Small, "t", scales, convs, new Dictionary<string, Requant> { ["g"] = new(40000, 20) }, ops);
    }

    [Fact]
    public void MissingOrMalformedParametersAreRefusedByLayer()
    {
        var ok = SmallModel().Operators;
        NetworkException Refused(OperatorParameters ops) => Assert.Throws<NetworkException>(() => SmallModel(ops));
        Assert.Equal("add", Refused(ok with { Adds = new Dictionary<string, AddRequant>() }).Layer);
        Assert.Equal("add", Refused(ok with { Adds = new Dictionary<string, AddRequant> { ["add"] = new(70000, 1, 16) } }).Layer);
        Assert.Equal("add", Refused(ok with { Adds = new Dictionary<string, AddRequant> { ["add"] = new(1, 1, 0) } }).Layer);
        Assert.Equal("hs", Refused(ok with { ActivationTables = new Dictionary<string, int[]> { ["hs"] = new int[255] } }).Layer);
        var e = Refused(ok with { ActivationTables = new Dictionary<string, int[]> { ["hs"] = Enumerable.Repeat(200, 256).ToArray() } });
        Assert.Equal(("hs", "table"), (e.Layer, e.Field));
        Assert.Contains("[-128, 127]", e.Message); // hard-swish is signed
        Assert.Equal("avg", Refused(ok with { AvgPools = new Dictionary<string, Requant[]> { ["avg"] = new Requant[4] } }).Layer);
        Assert.Equal("scale", Refused(ok with { Scales = new Dictionary<string, Requant>() }).Layer);

        var scales = new[] { Network.InputName }.Concat(Small.Nodes.Select(n => n.Name)).ToDictionary(n => n, _ => 0.5f);
        scales["sl"] = 0.25f;
        var s = Assert.Throws<NetworkException>(() => SmallModel(scales: scales));
        Assert.Equal(("sl", "scale"), (s.Layer, s.Field));
    }

    [Fact]
    public void OutputRangesOfTheNewOperators()
    {
        var m = SmallModel();
        Assert.Equal((0, 255), m.OutputRange(Small["add"]));      // ReLU add of unsigned conv and signed input: ReLU makes it unsigned
        Assert.Equal((-128, 127), m.OutputRange(Small["hs"]));
        Assert.Equal((-128, 127), m.OutputRange(Small["avg"]));
        Assert.Equal((-128, 127), m.OutputRange(Small["scale"])); // the gate (a global average pool) is signed
    }

    [Fact]
    public void OperatorSectionsRoundTripAndVersion1FilesStillLoad()
    {
        var model = SmallModel();
        var bytes = QuantizedModelFile.Serialize(model);
        var back = QuantizedModelFile.Deserialize(bytes, "ops.q8");
        Assert.Equal(model.Operators.Adds["add"], back.Operators.Adds["add"]);
        Assert.Equal(model.Operators.ActivationTables["hs"], back.Operators.ActivationTables["hs"]);
        Assert.Equal(model.Operators.AvgPools["avg"], back.Operators.AvgPools["avg"]);
        Assert.Equal(model.Operators.Scales["scale"], back.Operators.Scales["scale"]);
        Assert.Equal(bytes, QuantizedModelFile.Serialize(back));

        // A version 1 file (no operator sections) of a Fire network reads as before.
        var fire = QuantizedModelFileTests.Sample();
        var v2 = QuantizedModelFile.Serialize(fire);
        var v1 = v2[..^20].Concat(new byte[4]).ToArray(); // drop the four empty section counts and the CRC
        BinaryPrimitives.WriteUInt32LittleEndian(v1.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(v1.AsSpan(v1.Length - 4), Crc32.HashToUInt32(v1.AsSpan(0, v1.Length - 4)));
        var old = QuantizedModelFile.Deserialize(v1, "old.q8");
        Assert.Equal(v2, QuantizedModelFile.Serialize(old));

        // A shift of 0 in an average pool's multipliers is refused at its byte.
        var bad = (byte[])bytes.Clone();
        int at = FindAvgShift(bad);
        bad[at] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(bad.AsSpan(bad.Length - 4), Crc32.HashToUInt32(bad.AsSpan(0, bad.Length - 4)));
        var f = Assert.Throws<QuantizedModelFormatException>(() => QuantizedModelFile.Deserialize(bad, "bad.q8"));
        Assert.Equal(at, f.Offset);
        Assert.Contains("average pool 'avg' tap count 1", f.Message);
    }

    /// <summary>The byte of the first shift in the average-pool section: after its name and count.</summary>
    private static int FindAvgShift(byte[] bytes)
    {
        var name = "\u0003\0\0\0avg"u8.ToArray();
        int i = bytes.AsSpan().LastIndexOf(name); // the name also appears earlier, among the tensor scales
        Assert.True(i > 0);
        return i + name.Length + 4 + 2;
    }
}
