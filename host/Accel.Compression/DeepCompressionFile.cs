using System.Buffers.Binary;
using Accel.Model.Networks;
using Accel.Model.Weights;

namespace Accel.Compression;

/// <summary>What the original file holds for one layer.</summary>
public sealed record DeepCompressionLayer(string Name, int Entries, int PaddingEntries, int NonZeros, long Weights, int CodebookUsed, long FileOffset)
{
    public double Density => (double)NonZeros / Weights;
}

/// <summary>
/// Reader of the original Deep Compression SqueezeNet 1.0 file (compressed_SqueezeNet.net, layout
/// in ../shared/data/README.md): uint32 nnz[26], then per layer float32 codebook[256],
/// float32 bias[Cout], uint8 code[nnz], uint8 gap[(nnz+1)/2] (4 bits each, low nibble first);
/// an entry's flat position over [Cout][Cin][Kh][Kw] is the running sum of (gap + 1) minus 1.
/// </summary>
public static class DeepCompressionFile
{
    private const int CodebookSize = 256;

    /// <summary>The network the file belongs to: Caffe SqueezeNet 1.0 (227x227, conv10 pad 1).</summary>
    public static Network Network => BuiltinNetworks.SqueezeNet1_0(caffe: true);

    public static (FloatModel Model, IReadOnlyList<DeepCompressionLayer> Layers) Load(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CompressionException($"{path}: {(e is FileNotFoundException or DirectoryNotFoundException ? "file not found" : e.Message)}");
        }
        return Parse(bytes, path);
    }

    public static (FloatModel Model, IReadOnlyList<DeepCompressionLayer> Layers) Parse(byte[] bytes, string path)
    {
        var network = Network;
        var convs = network.Convolutions.ToList();
        int headerBytes = 4 * convs.Count;
        if (bytes.Length < headerBytes)
            throw new CompressionException($"{path}: byte {bytes.Length}: the file ends inside the {convs.Count} layer counts ({headerBytes} bytes); not a Deep Compression SqueezeNet 1.0 file");
        var nnz = new long[convs.Count];
        for (int i = 0; i < convs.Count; i++) nnz[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4 * i));
        long offset = headerBytes;
        var weights = new Dictionary<string, ConvWeights>();
        var layers = new List<DeepCompressionLayer>();
        for (int i = 0; i < convs.Count; i++)
        {
            var node = convs[i];
            var conv = (ConvLayer)node.Op;
            long size = (long)conv.OutChannels * node.Input.Channels * conv.KernelSize * conv.KernelSize;
            long start = offset;
            long need = 4L * CodebookSize + 4L * conv.OutChannels + nnz[i] + (nnz[i] + 1) / 2;
            if (nnz[i] > size || offset + need > bytes.Length)
                throw new CompressionException($"{path}: layer {node.Name}: byte {offset}: needs {need} bytes for {nnz[i]} entries (count at byte {4 * i}), but the file ends at byte {bytes.Length}");
            var codebook = new float[CodebookSize];
            for (int k = 0; k < CodebookSize; k++, offset += 4) codebook[k] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)offset));
            var bias = new float[conv.OutChannels];
            for (int c = 0; c < bias.Length; c++, offset += 4) bias[c] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)offset));
            long codeAt = offset, gapAt = offset + nnz[i];
            var w = new float[size];
            long position = -1;
            int padding = 0, nonZeros = 0;
            var used = new HashSet<int>();
            for (long e = 0; e < nnz[i]; e++)
            {
                int code = bytes[codeAt + e];
                int gap = (bytes[gapAt + e / 2] >> (int)(4 * (e & 1))) & 0xF;
                position += gap + 1;
                if (position >= size)
                    throw new CompressionException($"{path}: layer {node.Name}: byte {gapAt + e / 2}: entry {e} lands at position {position}, past the layer's {size} weights");
                float value = codebook[code];
                if (value == 0) { padding++; continue; }
                w[position] = value;
                nonZeros++;
                used.Add(code);
            }
            offset = gapAt + (nnz[i] + 1) / 2;
            weights[node.Name] = new ConvWeights(w, bias);
            layers.Add(new DeepCompressionLayer(node.Name, (int)nnz[i], padding, nonZeros, size, used.Count, start));
        }
        if (offset != bytes.Length)
            throw new CompressionException($"{path}: byte {offset}: {bytes.Length - offset} bytes after the last layer; not the SqueezeNet 1.0 layout");
        return (new FloatModel(network, weights), layers);
    }
}
