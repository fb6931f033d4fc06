using Accel.Model.Arithmetic;
using Accel.Model.Networks;
using Accel.Model.Quantized;

namespace Accel.Compression;

/// <summary>
/// A quantized model whose convolution weights are held as EIE streams with per-layer int8
/// codebooks. <see cref="Model"/> carries exactly the weights the streams decode to.
/// </summary>
public sealed class EieModel
{
    public EieModel(QuantizedModel model, IReadOnlyDictionary<string, EieLayer> layers, bool huffman)
    {
        foreach (var node in model.Network.Convolutions)
            if (!layers.ContainsKey(node.Name)) throw new NetworkException(node.Name, "weights", "no EIE stream for this convolution");
        Model = model;
        Layers = layers;
        Huffman = huffman;
    }

    public QuantizedModel Model { get; }
    public IReadOnlyDictionary<string, EieLayer> Layers { get; }
    /// <summary>Whether the container stores the index and gap streams Huffman-coded.</summary>
    public bool Huffman { get; }

    /// <summary>
    /// Encodes a quantized model whose layers already hold at most 2^bits - 1 distinct non-zero
    /// weights each (see <see cref="Share"/>).
    /// </summary>
    public static EieModel Encode(QuantizedModel model, int bits, bool huffman)
    {
        var layers = new Dictionary<string, EieLayer>();
        foreach (var node in model.Network.Convolutions)
        {
            var conv = (ConvLayer)node.Op;
            layers[node.Name] = EieLayer.Encode(node.Name, model.Convs[node.Name].Weights, conv.OutChannels, bits);
        }
        return new EieModel(model, layers, huffman);
    }

    /// <summary>
    /// Weight sharing on an already quantized model: every layer's int8 weights k-means shared to
    /// 2^bits - 1 non-zero values. Biases are kept (without calibration means there is nothing to
    /// correct them with; quantize from float weights for BIAS_CORRECTION of the shared weights).
    /// </summary>
    public static QuantizedModel Share(QuantizedModel model, int bits)
    {
        var convs = model.Convs.ToDictionary(c => c.Key, c => c.Value with { Weights = WeightSharing.Share(c.Value.Weights, bits) });
        return model.WithConvs(convs);
    }
}

/// <summary>The byte cost of one layer in the container (see docs/formats.md).</summary>
public sealed record LayerSizes(long Entries, long Codebook, long Parameters, long Pointers, long Header)
{
    public long Total => Entries + Codebook + Parameters + Pointers + Header;
}
