using Accel.Model.Arithmetic;
using Accel.Model.Networks;
using Accel.Model.Quantized;
using Xunit;

namespace Accel.Compression.Tests;

/// <summary>Truncated, bit-flipped, wrong-version and wrong-magic containers are refused, naming the section and byte.</summary>
public class ContainerRefusalTests
{
    private static byte[] Container(bool huffman)
    {
        var network = new Network("tiny", new Shape(4, 6, 6), [new ConvLayer("a", 8, 3, Padding: 1), new ConvLayer("b", 5, 1)]);
        var rng = new Random(7);
        var convs = new Dictionary<string, QuantizedConv>();
        foreach (var node in network.Convolutions)
        {
            var conv = (ConvLayer)node.Op;
            int n = conv.OutChannels * node.Input.Channels * conv.KernelSize * conv.KernelSize;
            var w = WeightSharing.Share(Enumerable.Range(0, n).Select(_ => rng.NextDouble() < 0.4 ? (sbyte)rng.Next(-127, 128) : (sbyte)0).ToArray(), 5);
            convs[node.Name] = new QuantizedConv(node.Name, w, new int[conv.OutChannels], Enumerable.Repeat(new Requant(40000, 20), conv.OutChannels).ToArray(), Enumerable.Repeat(0.01f, conv.OutChannels).ToArray());
        }
        var scales = new Dictionary<string, float> { [Network.InputName] = 0.1f, ["a"] = 0.05f, ["b"] = 0.05f };
        var q = new QuantizedModel(network, "torchvision", scales, convs, new Dictionary<string, Requant>());
        return EieFile.Serialize(EieModel.Encode(q, 5, huffman));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_truncation_is_refused(bool huffman)
    {
        var bytes = Container(huffman);
        for (int length = 0; length < bytes.Length; length++)
        {
            var e = Assert.Throws<EieFormatException>(() => EieFile.Deserialize(bytes[..length], "t.eie"));
            Assert.Contains("t.eie", e.Message);
            Assert.InRange(e.Offset, 0, length);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_flipped_bit_is_refused_and_names_its_section(bool huffman)
    {
        var bytes = Container(huffman);
        var sections = SectionBounds(bytes);
        for (int at = 0; at < bytes.Length; at++)
            for (int bit = 0; bit < 8; bit++)
            {
                var copy = (byte[])bytes.Clone();
                copy[at] ^= (byte)(1 << bit);
                var e = Assert.Throws<EieFormatException>(() => EieFile.Deserialize(copy, "f.eie"));
                // A flip inside a section's frame is reported for that section.
                var hit = sections.FirstOrDefault(s => at >= s.Start && at < s.End);
                if (hit.Name is not null) Assert.Equal(hit.Name, e.Section);
            }
    }

    [Fact]
    public void Wrong_version_and_magic_are_named()
    {
        var bytes = Container(false);
        var v = (byte[])bytes.Clone();
        v[8] = 2;
        var e = Assert.Throws<EieFormatException>(() => EieFile.Deserialize(v, "v.eie"));
        Assert.Equal(("header", 8L), (e.Section, e.Offset));
        Assert.Contains("version 2", e.Message);
        var m = (byte[])bytes.Clone();
        m[0] = (byte)'X';
        e = Assert.Throws<EieFormatException>(() => EieFile.Deserialize(m, "m.eie"));
        Assert.Equal(("header", 0L), (e.Section, e.Offset));
    }

    /// <summary>Where each section's frame (length, payload, CRC) lies, by walking the lengths.</summary>
    private static List<(string Name, int Start, int End)> SectionBounds(byte[] bytes)
    {
        var names = new[] { "model section", "layer 'a' (section 1)", "layer 'b' (section 2)" };
        var result = new List<(string, int, int)>();
        int offset = 16;
        foreach (var name in names)
        {
            int length = BitConverter.ToInt32(bytes, offset);
            result.Add((name, offset, offset + 8 + length));
            offset += 8 + length;
        }
        return result;
    }
}
