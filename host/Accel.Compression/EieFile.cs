using System.Buffers.Binary;
using System.IO.Hashing;
using Accel.Model.Arithmetic;
using Accel.Model.Networks;
using Accel.Model.Quantized;

namespace Accel.Compression;

/// <summary>An .eie file that cannot be read: names the file, the section (layer) and the byte offset.</summary>
public sealed class EieFormatException(string path, string section, long offset, string message)
    : Exception($"{path}: {section}, byte {offset}: {message}")
{
    public string Path { get; } = path;
    public string Section { get; } = section;
    public long Offset { get; } = offset;
}

/// <summary>
/// The compressed-model container (.eie), layout in docs/formats.md: a 16-byte header (magic,
/// version, section count), a model section (network JSON, preprocessing, tensor scales, pool
/// requantization), one section per convolution in network order (codebook, biases, weight
/// scales, requantization, channel entry counts, EIE entries packed or Huffman-coded), each
/// section framed by its length and a CRC-32, and a CRC-32 of the whole file. Little-endian.
/// </summary>
public static class EieFile
{
    public static ReadOnlySpan<byte> Magic => "ACCELEIE"u8;
    public const uint Version = 1;
    private const int HeaderBytes = 16;

    [Flags]
    private enum LayerFlags : byte { Huffman = 1, UniformScale = 2, UniformRequant = 4 }

    public static void Save(EieModel model, string path)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        File.WriteAllBytes(path, Serialize(model));
    }

    public static byte[] Serialize(EieModel model)
    {
        var q = model.Model;
        var convs = q.Network.Convolutions.ToList();
        var file = new LittleEndianWriter();
        file.Bytes(Magic);
        file.U32(Version);
        file.U32((uint)(1 + convs.Count));
        Section(file, ModelSection(q));
        foreach (var node in convs) Section(file, LayerSection(q.Convs[node.Name], model.Layers[node.Name], model.Huffman).Payload);
        file.U32(Crc32.HashToUInt32(file.Written));
        return file.Written.ToArray();
    }

    /// <summary>Per-layer byte costs as <see cref="Serialize"/> lays them out (frame and name counted as header).</summary>
    public static LayerSizes Sizes(EieModel model, string layer) => LayerSection(model.Model.Convs[layer], model.Layers[layer], model.Huffman).Sizes;

    private static void Section(LittleEndianWriter file, ReadOnlySpan<byte> payload)
    {
        int start = file.Written.Length;
        file.U32((uint)payload.Length);
        file.Bytes(payload);
        file.U32(Crc32.HashToUInt32(file.Written[start..]));
    }

    private static byte[] ModelSection(QuantizedModel q)
    {
        var w = new LittleEndianWriter();
        QuantizedModelFile.WriteDescription(w, q);
        var pools = q.Network.Nodes.Where(n => n.Op is GlobalAvgPoolLayer).Select(n => n.Name).ToList();
        w.U32((uint)pools.Count);
        foreach (var p in pools) { w.Str(p); w.U16(q.PoolRequant[p].Multiplier); w.U8(q.PoolRequant[p].Shift); }
        // Networks with adds, activations, average pools or scales append the .q8's operator
        // sections; Fire-only networks keep the section as it was, byte for byte.
        if (HasOperatorParameters(q.Network)) QuantizedModelFile.WriteOperators(w, q);
        return w.Written.ToArray();
    }

    private static (byte[] Payload, LayerSizes Sizes) LayerSection(QuantizedConv conv, EieLayer eie, bool huffman)
    {
        var w = new LittleEndianWriter();
        bool uniformScale = conv.WeightScale.All(s => s.Equals(conv.WeightScale[0]));
        bool uniformRequant = conv.Requant.All(r => r == conv.Requant[0]);
        var flags = (huffman ? LayerFlags.Huffman : 0) | (uniformScale ? LayerFlags.UniformScale : 0) | (uniformRequant ? LayerFlags.UniformRequant : 0);
        w.Str(conv.Name);
        w.U32((uint)eie.Rows);
        w.U32((uint)eie.RowLength);
        w.U8((byte)eie.Bits);
        w.U8((byte)flags);
        long header = w.Written.Length + 8; // + the section's length and CRC
        foreach (var c in eie.Codebook) w.U8((byte)c);
        long codebook = eie.Codebook.Length;
        int mark = w.Written.Length;
        foreach (var b in conv.Bias) w.I32(b);
        foreach (var s in uniformScale ? conv.WeightScale[..1] : conv.WeightScale) w.F32(s);
        foreach (var r in uniformRequant ? conv.Requant[..1] : conv.Requant) { w.U16(r.Multiplier); w.U8(r.Shift); }
        long parameters = w.Written.Length - mark;
        foreach (var n in eie.RowEntries) w.U16(n);
        long pointers = 2L * eie.Rows;
        mark = w.Written.Length;
        if (huffman)
        {
            int symbols = 1 << eie.Bits;
            var indexLengths = Huffman.CodeLengths(Frequencies(eie.Indices, symbols));
            var gapLengths = Huffman.CodeLengths(Frequencies(eie.Gaps, EieLayer.MaxGap + 1));
            w.Bytes(indexLengths);
            w.Bytes(gapLengths);
            var indexStream = Huffman.Encode(eie.Indices, indexLengths);
            var gapStream = Huffman.Encode(eie.Gaps, gapLengths);
            w.U32((uint)indexStream.Length);
            w.Bytes(indexStream);
            w.U32((uint)gapStream.Length);
            w.Bytes(gapStream);
        }
        else
        {
            var bits = new BitWriter();
            for (int e = 0; e < eie.Entries; e++) bits.Write(eie.Indices[e] | (uint)eie.Gaps[e] << eie.Bits, eie.Bits + 4);
            w.Bytes(bits.ToArray());
        }
        long entries = w.Written.Length - mark;
        return (w.Written.ToArray(), new LayerSizes(entries, codebook, parameters, pointers, header));
    }

    private static long[] Frequencies(byte[] symbols, int alphabet)
    {
        var f = new long[alphabet];
        foreach (var s in symbols) f[s]++;
        return f;
    }

    public static EieModel Load(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EieFormatException(path, "file", 0, e is FileNotFoundException or DirectoryNotFoundException ? "file not found" : e.Message);
        }
        return Deserialize(bytes, path);
    }

    public static EieModel Deserialize(byte[] bytes, string path)
    {
        if (bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new EieFormatException(path, "header", 0, "not a compressed-model file (magic 'ACCELEIE' missing)");
        if (bytes.Length < HeaderBytes + 4)
            throw new EieFormatException(path, "header", bytes.Length, $"the file ends after {bytes.Length} bytes, inside the {HeaderBytes}-byte header: truncated");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        if (version != Version)
            throw new EieFormatException(path, "header", 8, $"version {version} is not supported (this build reads version {Version})");
        uint sectionCount = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12));

        long offset = HeaderBytes;
        var payload = NextSection(bytes, path, ref offset, "model section");
        var r = SectionReader(bytes, path, "model section", payload.Start, payload.End);
        var (network, preprocessing, scales) = QuantizedModelFile.ReadDescription(r, path);
        var pools = new Dictionary<string, Requant>();
        uint poolCount = r.Count(7);
        for (int i = 0; i < poolCount; i++) pools[r.Str()] = new Requant(r.U16(), r.Shift($"pool {i}"));
        var operators = r.Offset < r.End ? QuantizedModelFile.ReadOperators(r) : OperatorParameters.None;
        r.ExpectEnd();

        var convNodes = network.Convolutions.ToList();
        if (sectionCount != 1 + convNodes.Count)
            throw new EieFormatException(path, "header", 12, $"{sectionCount} sections declared, but the network has {convNodes.Count} convolutions (expected {1 + convNodes.Count})");
        var convs = new Dictionary<string, QuantizedConv>();
        var layers = new Dictionary<string, EieLayer>();
        bool? huffman = null;
        for (int i = 0; i < convNodes.Count; i++)
        {
            var node = convNodes[i];
            string section = $"layer '{node.Name}' (section {i + 1})";
            var p = NextSection(bytes, path, ref offset, section);
            var (conv, eie, layerHuffman) = ReadLayer(SectionReader(bytes, path, section, p.Start, p.End), node);
            if (huffman is not null && huffman != layerHuffman)
                throw new EieFormatException(path, section, p.Start, "mixes Huffman-coded and packed layers; a file uses one or the other");
            huffman = layerHuffman;
            convs[node.Name] = conv;
            layers[node.Name] = eie;
        }
        if (bytes.Length - offset != 4)
            throw new EieFormatException(path, "file checksum", offset, bytes.Length - offset < 4
                ? "the file ends before its checksum: truncated"
                : $"{bytes.Length - offset - 4} unexpected bytes after the last section");
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)offset));
        uint actual = Crc32.HashToUInt32(bytes.AsSpan(0, (int)offset));
        if (stored != actual)
            throw new EieFormatException(path, "file checksum", offset, $"checksum mismatch (stored 0x{stored:x8}, computed 0x{actual:x8}): the file is corrupt");
        try { return new EieModel(new QuantizedModel(network, preprocessing, scales, convs, pools, operators), layers, huffman ?? false); }
        catch (NetworkException e) { throw new EieFormatException(path, "model section", HeaderBytes, $"contents do not match the embedded network: {e.Message}"); }
    }

    private static bool HasOperatorParameters(Network network) =>
        network.Nodes.Any(n => n.Op is AddLayer or ActivationLayer or AvgPoolLayer or ScaleLayer);

    /// <summary>Frames one section (length, payload, CRC) and checks its CRC before anything in it is read.</summary>
    private static (int Start, int End) NextSection(byte[] bytes, string path, ref long offset, string section)
    {
        if (offset + 4 > bytes.Length - 4)
            throw new EieFormatException(path, section, offset, "the file ends before this section: truncated");
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)offset));
        long end = offset + 4 + length;
        if (end + 4 > bytes.Length - 4)
            throw new EieFormatException(path, section, offset, $"section of {length} bytes runs past the end of the file (byte {bytes.Length}): truncated or corrupt length");
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)end));
        uint actual = Crc32.HashToUInt32(bytes.AsSpan((int)offset, (int)(end - offset)));
        if (stored != actual)
            throw new EieFormatException(path, section, offset, $"section checksum mismatch (stored 0x{stored:x8} at byte {end}, computed 0x{actual:x8}): corrupt");
        var payload = ((int)offset + 4, (int)end);
        offset = end + 4;
        return payload;
    }

    private static (QuantizedConv, EieLayer, bool) ReadLayer(LittleEndianReader r, Node node)
    {
        var conv = (ConvLayer)node.Op;
        long at = r.Offset;
        string name = r.Str();
        if (name != node.Name) r.Fail(at, $"names layer '{name}', expected '{node.Name}' (sections follow the network's convolution order)");
        at = r.Offset;
        int rows = (int)r.U32(), rowLength = (int)r.U32();
        int expectedLength = Accel.Model.Weights.FloatModel.FanIn(node);
        if (rows != conv.OutChannels || rowLength != expectedLength)
            r.Fail(at, $"shape {rows}x{rowLength}, the network says {conv.OutChannels}x{expectedLength}");
        at = r.Offset;
        int bits = r.U8();
        if (bits is < EieLayer.MinBits or > EieLayer.MaxBits) r.Fail(at, $"{bits}-bit codebook, expected {EieLayer.MinBits}..{EieLayer.MaxBits}");
        at = r.Offset;
        var flags = (LayerFlags)r.U8();
        if ((flags & ~(LayerFlags.Huffman | LayerFlags.UniformScale | LayerFlags.UniformRequant)) != 0) r.Fail(at, $"unknown flags 0x{(byte)flags:x2}");
        var codebook = new sbyte[1 << bits];
        for (int i = 0; i < codebook.Length; i++) codebook[i] = (sbyte)r.U8();
        var bias = new int[rows];
        for (int c = 0; c < rows; c++) bias[c] = r.I32();
        var scale = new float[rows];
        if (flags.HasFlag(LayerFlags.UniformScale)) Array.Fill(scale, r.F32());
        else for (int c = 0; c < rows; c++) scale[c] = r.F32();
        var requant = new Requant[rows];
        if (flags.HasFlag(LayerFlags.UniformRequant)) Array.Fill(requant, new Requant(r.U16(), r.Shift("requant")));
        else for (int c = 0; c < rows; c++) requant[c] = new Requant(r.U16(), r.Shift($"channel {c} requant"));
        var rowEntries = new ushort[rows];
        long total = 0;
        for (int c = 0; c < rows; c++) { rowEntries[c] = r.U16(); total += rowEntries[c]; }
        at = r.Offset;
        if (total > (long)rows * rowLength) r.Fail(at, $"channel counts add up to {total} entries, more than the {(long)rows * rowLength} weights");
        var indices = new byte[total];
        var gaps = new byte[total];
        bool huffman = flags.HasFlag(LayerFlags.Huffman);
        if (huffman)
        {
            var indexLengths = r.Bytes(1 << bits).ToArray();
            var gapLengths = r.Bytes(EieLayer.MaxGap + 1).ToArray();
            at = r.Offset;
            var decodedIndices = Huffman.Decode(r.Bytes((int)r.Count(1)), indexLengths, (int)total) ?? r.Fail<byte[]>(at, "the Huffman-coded index stream does not decode to the declared entries");
            at = r.Offset;
            var decodedGaps = Huffman.Decode(r.Bytes((int)r.Count(1)), gapLengths, (int)total) ?? r.Fail<byte[]>(at, "the Huffman-coded gap stream does not decode to the declared entries");
            decodedIndices.CopyTo(indices, 0);
            decodedGaps.CopyTo(gaps, 0);
        }
        else
        {
            int width = bits + 4;
            var packed = new BitReader(r.Bytes((int)((total * width + 7) / 8)));
            for (long e = 0; e < total; e++)
            {
                uint v = packed.Read(width);
                indices[e] = (byte)(v & ((1u << bits) - 1));
                gaps[e] = (byte)(v >> bits);
            }
        }
        r.ExpectEnd();
        var eie = new EieLayer(bits, rows, rowLength, codebook, rowEntries, indices, gaps);
        if (eie.Validate() is string problem) r.Fail(at, problem);
        return (new QuantizedConv(node.Name, eie.Decode(), bias, requant, scale), eie, huffman);
    }

    /// <summary>Reads one section's payload; every error names the section and the absolute byte offset.</summary>
    private static LittleEndianReader SectionReader(byte[] bytes, string path, string section, int start, int end) =>
        new(bytes, start, end, "section", (at, message) => new EieFormatException(path, section, at, message));
}
