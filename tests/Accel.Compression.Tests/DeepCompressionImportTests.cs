using Accel.Model.Data;
using Accel.Onnx;
using Accel.Tests;
using Xunit;

namespace Accel.Compression.Tests;

public class DeepCompressionImportTests
{
    private static string File => SharedData.Find("deep_compression", "compressed_SqueezeNet.net")!;

    [RequiresDataFact]
    public void Decoded_weights_equal_the_onnx_export_of_the_same_model()
    {
        var (model, layers) = DeepCompressionFile.Load(File);
        var onnx = OnnxImporter.Load(SharedData.DeepCompressionOnnx!);
        Assert.Equal(26, layers.Count);
        foreach (var node in model.Network.Convolutions)
        {
            var ours = model.Weights[node.Name];
            var theirs = onnx.Weights[node.Name];
            Assert.Equal(theirs.Weights, ours.Weights);
            Assert.Equal(theirs.Bias, ours.Bias);
        }
        // The file's nnz counts: 422,083 entries, of which the non-padding ones are the non-zero weights.
        Assert.Equal(422_083, layers.Sum(l => (long)l.Entries));
        Assert.Equal(layers.Sum(l => (long)l.NonZeros), model.Weights.Values.Sum(w => (long)w.Weights.Count(v => v != 0)));
    }

    [RequiresDataFact]
    public void Densities_follow_the_squeezenet_papers_table_1()
    {
        var (model, layers) = DeepCompressionFile.Load(File);
        foreach (var (layer, node) in layers.Zip(model.Network.Convolutions))
            Assert.InRange(layer.Density, DensityConfig.Paper.For(node) - 0.04, DensityConfig.Paper.For(node) + 0.005);
    }

    [Fact]
    public void A_truncated_file_is_refused_naming_the_layer_and_byte()
    {
        var bytes = new byte[26 * 4 + 100];
        BitConverter.GetBytes(5000u).CopyTo(bytes, 0);
        var e = Assert.Throws<CompressionException>(() => DeepCompressionFile.Parse(bytes, "x.net"));
        Assert.Contains("x.net: layer conv1: byte 104", e.Message);
    }
}
