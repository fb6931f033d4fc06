using System.Buffers.Binary;
using System.IO.Hashing;
using Accel.Model.Arithmetic;
using Accel.Model.Networks;

namespace Accel.Model.Quantized;

/// <summary>A .q8 file that cannot be read; names the file, the byte offset and what was wrong there.</summary>
public sealed class QuantizedModelFormatException(string path, long offset, string message)
    : Exception($"{path}: byte {offset}: {message}")
{
    public string Path { get; } = path;
    public long Offset { get; } = offset;
}

/// <summary>
/// The quantized-model file (.q8), layout in docs/formats.md: magic, version, the network's
/// JSON description, preprocessing name, tensor scales, per-conv int8 weights / int32 biases /
/// requantization, pool requantization, the parameters of adds, activations, average pools and
/// scales (version 2), and a CRC-32 of everything before it. Little-endian. Version 1 files (no
/// operator sections) are still read.
/// </summary>
public static class QuantizedModelFile
{
    public static ReadOnlySpan<byte> Magic => "ACCELQ8\0"u8;
    public const uint Version = 2;
    public const uint FirstVersion = 1;

    public static void Save(QuantizedModel model, string path)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        File.WriteAllBytes(path, Serialize(model));
    }

    public static byte[] Serialize(QuantizedModel model)
    {
        var w = new LittleEndianWriter();
        w.Bytes(Magic);
        w.U32(Version);
        WriteDescription(w, model);
        var convs = model.Network.Convolutions.Select(n => model.Convs[n.Name]).ToList();
        w.U32((uint)convs.Count);
        foreach (var c in convs)
        {
            w.Str(c.Name);
            w.U32((uint)c.Bias.Length);
            w.U32((uint)c.Weights.Length);
            w.Bytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(c.Weights.AsSpan()));
            foreach (var b in c.Bias) w.I32(b);
            foreach (var r in c.Requant) { w.U16(r.Multiplier); w.U8(r.Shift); }
            foreach (var s in c.WeightScale) w.F32(s);
        }
        var pools = model.Network.Nodes.Where(n => n.Op is GlobalAvgPoolLayer).Select(n => n.Name).ToList();
        w.U32((uint)pools.Count);
        foreach (var p in pools) { w.Str(p); w.U16(model.PoolRequant[p].Multiplier); w.U8(model.PoolRequant[p].Shift); }
        WriteOperators(w, model);
        w.U32(Crc32.HashToUInt32(w.Written));
        return w.Written.ToArray();
    }

    public static QuantizedModel Load(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new QuantizedModelFormatException(path, 0, e is FileNotFoundException or DirectoryNotFoundException ? "file not found" : e.Message);
        }
        return Deserialize(bytes, path);
    }

    public static QuantizedModel Deserialize(byte[] bytes, string path)
    {
        var r = new LittleEndianReader(bytes, 0, bytes.Length - 4, "payload", (at, message) => new QuantizedModelFormatException(path, at, message));
        if (bytes.Length < Magic.Length + 8 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new QuantizedModelFormatException(path, 0, "not a quantized-model file (magic 'ACCELQ8' missing)");
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4));
        uint actual = Crc32.HashToUInt32(bytes.AsSpan(0, bytes.Length - 4));
        if (stored != actual)
            throw new QuantizedModelFormatException(path, bytes.Length - 4, $"checksum mismatch (stored 0x{stored:x8}, computed 0x{actual:x8}): the file is truncated or corrupt");
        r.Skip(Magic.Length);
        long versionAt = r.Offset;
        uint version = r.U32();
        if (version is < FirstVersion or > Version)
            throw new QuantizedModelFormatException(path, versionAt, $"version {version} is not supported (this build reads versions {FirstVersion} to {Version})");

        long jsonAt = r.Offset;
        var (network, preprocessing, scales) = ReadDescription(r, path);

        var convs = new Dictionary<string, QuantizedConv>();
        uint convCount = r.Count(12);
        for (int i = 0; i < convCount; i++)
        {
            string name = r.Str();
            int cout = (int)r.Count(7);
            int nw = (int)r.Count(1);
            var weights = new sbyte[nw];
            r.Bytes(nw).CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(weights.AsSpan()));
            var bias = new int[cout];
            for (int k = 0; k < cout; k++) bias[k] = r.I32();
            var requant = new Requant[cout];
            for (int k = 0; k < cout; k++) requant[k] = new Requant(r.U16(), r.Shift($"conv '{name}' channel {k}"));
            var wscale = new float[cout];
            for (int k = 0; k < cout; k++) wscale[k] = r.F32();
            convs[name] = new QuantizedConv(name, weights, bias, requant, wscale);
        }

        var pools = new Dictionary<string, Requant>();
        uint poolCount = r.Count(7);
        for (int i = 0; i < poolCount; i++) pools[r.Str()] = new Requant(r.U16(), r.U8());
        var operators = version >= 2 ? ReadOperators(r) : OperatorParameters.None;
        if (r.Offset != bytes.Length - 4)
            throw new QuantizedModelFormatException(path, r.Offset, $"{bytes.Length - 4 - r.Offset} unexpected bytes before the checksum");

        try { return new QuantizedModel(network, preprocessing, scales, convs, pools, operators); }
        catch (NetworkException e) { throw new QuantizedModelFormatException(path, jsonAt, $"contents do not match the embedded network: {e.Message}"); }
    }

    /// <summary>
    /// Version 2's operator sections, each a `u32` count then per node in graph order: adds (`str`
    /// name, `u16` M_a, `u16` M_b, `u8` S), activations (`str` name, `i16`[256] table), average
    /// pools (`str` name, `u32` n, (`u16` M, `u8` S)[n]) and scales (`str` name, `u16` M, `u8` S).
    /// </summary>
    public static void WriteOperators(LittleEndianWriter w, QuantizedModel model)
    {
        var ops = model.Operators;
        List<string> Named<T>() => model.Network.Nodes.Where(n => n.Op is T).Select(n => n.Name).ToList();
        var adds = Named<AddLayer>();
        w.U32((uint)adds.Count);
        foreach (var a in adds)
        {
            var r = ops.Adds[a];
            w.Str(a); w.U16((ushort)r.MultiplierA); w.U16((ushort)r.MultiplierB); w.U8((byte)r.Shift);
        }
        var acts = Named<ActivationLayer>();
        w.U32((uint)acts.Count);
        foreach (var a in acts)
        {
            w.Str(a);
            foreach (var v in ops.ActivationTables[a]) w.U16(unchecked((ushort)(short)v));
        }
        var avgs = Named<AvgPoolLayer>();
        w.U32((uint)avgs.Count);
        foreach (var a in avgs)
        {
            w.Str(a);
            w.U32((uint)ops.AvgPools[a].Length);
            foreach (var r in ops.AvgPools[a]) { w.U16(r.Multiplier); w.U8(r.Shift); }
        }
        var scales = Named<ScaleLayer>();
        w.U32((uint)scales.Count);
        foreach (var sc in scales) { w.Str(sc); w.U16(ops.Scales[sc].Multiplier); w.U8(ops.Scales[sc].Shift); }
    }

    /// <summary>Reads what <see cref="WriteOperators"/> wrote; shifts outside the contract are refused at their offset.</summary>
    public static OperatorParameters ReadOperators(LittleEndianReader r)
    {
        var adds = new Dictionary<string, AddRequant>();
        uint n = r.Count(9);
        for (int i = 0; i < n; i++)
        {
            string name = r.Str();
            int ma = r.U16(), mb = r.U16();
            adds[name] = new AddRequant(ma, mb, r.Shift($"add '{name}'"));
        }
        var tables = new Dictionary<string, int[]>();
        n = r.Count(4 + 2 * OperatorParameters.TableSize);
        for (int i = 0; i < n; i++)
        {
            string name = r.Str();
            var table = new int[OperatorParameters.TableSize];
            for (int k = 0; k < table.Length; k++) table[k] = (short)r.U16();
            tables[name] = table;
        }
        var avgs = new Dictionary<string, Requant[]>();
        n = r.Count(8);
        for (int i = 0; i < n; i++)
        {
            string name = r.Str();
            var rq = new Requant[r.Count(3)];
            for (int k = 0; k < rq.Length; k++) rq[k] = new Requant(r.U16(), r.Shift($"average pool '{name}' tap count {k + 1}"));
            avgs[name] = rq;
        }
        var scales = new Dictionary<string, Requant>();
        n = r.Count(7);
        for (int i = 0; i < n; i++)
        {
            string name = r.Str();
            scales[name] = new Requant(r.U16(), r.Shift($"scale '{name}'"));
        }
        return new OperatorParameters { Adds = adds, ActivationTables = tables, AvgPools = avgs, Scales = scales };
    }

    /// <summary>
    /// The model description both model files carry (.q8 after its version, .eie in its model
    /// section): the network's JSON (`str`), the preprocessing name (`str`), then `u32` count and
    /// per tensor (input first, then nodes in graph order, so the bytes are deterministic) `str`
    /// name and `f32` scale.
    /// </summary>
    public static void WriteDescription(LittleEndianWriter w, QuantizedModel model)
    {
        w.Str(NetworkJson.Serialize(model.Network));
        w.Str(model.Preprocessing);
        var names = new[] { Networks.Network.InputName }.Concat(model.Network.Nodes.Select(n => n.Name)).ToList();
        w.U32((uint)names.Count);
        foreach (var name in names) { w.Str(name); w.F32(model.TensorScales[name]); }
    }

    /// <summary>Reads what <see cref="WriteDescription"/> wrote; a bad network description is refused at its offset.</summary>
    public static (Networks.Network Network, string Preprocessing, Dictionary<string, float> Scales) ReadDescription(LittleEndianReader r, string path)
    {
        long jsonAt = r.Offset;
        Networks.Network network;
        try { network = NetworkJson.Parse(r.Str(), System.IO.Path.GetFileNameWithoutExtension(path)); }
        catch (NetworkException e) { return r.Fail<(Networks.Network, string, Dictionary<string, float>)>(jsonAt, $"embedded network description: {e.Message}"); }
        string preprocessing = r.Str();
        var scales = new Dictionary<string, float>();
        uint scaleCount = r.Count(8);
        for (int i = 0; i < scaleCount; i++) scales[r.Str()] = r.F32();
        return (network, preprocessing, scales);
    }
}
