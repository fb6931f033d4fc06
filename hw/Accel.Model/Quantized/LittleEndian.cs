using System.Buffers.Binary;
using System.Text;

namespace Accel.Model.Quantized;

/// <summary>
/// Builds the little-endian byte layout the model files share (.q8, and the .eie container in
/// Accel.Compression): integers, f32 and `str` (u32 byte count, then UTF-8).
/// </summary>
public sealed class LittleEndianWriter
{
    private readonly MemoryStream _stream = new();
    public ReadOnlySpan<byte> Written => _stream.GetBuffer().AsSpan(0, (int)_stream.Length);
    public void Bytes(ReadOnlySpan<byte> b) => _stream.Write(b);
    public void U8(byte v) => _stream.WriteByte(v);
    public void U16(ushort v) { Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, v); Bytes(b); }
    public void U32(uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); Bytes(b); }
    public void I32(int v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteInt32LittleEndian(b, v); Bytes(b); }
    public void F32(float v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteSingleLittleEndian(b, v); Bytes(b); }
    public void Str(string s) { var b = Encoding.UTF8.GetBytes(s); U32((uint)b.Length); Bytes(b); }
}

/// <summary>
/// Reads bytes [start, end) of a model file in the layout of <see cref="LittleEndianWriter"/>.
/// Nothing is read past <c>end</c>; every refusal goes through <c>error</c> (absolute byte
/// offset, what was wrong) so each file format raises its own exception naming the file and place.
/// <c>scope</c> names the range in messages ("section", "payload").
/// </summary>
public sealed class LittleEndianReader(byte[] bytes, int start, int end, string scope, Func<long, string, Exception> error)
{
    public long Offset { get; private set; } = start;
    public int End => end;

    public void Fail(long at, string message) => throw error(at, message);
    public T Fail<T>(long at, string message) => throw error(at, message);

    public ReadOnlySpan<byte> Bytes(int n)
    {
        if (n < 0 || Offset + n > end) Fail(Offset, $"needs {n} more bytes but the {scope} ends at byte {end}");
        var span = bytes.AsSpan((int)Offset, n);
        Offset += n;
        return span;
    }

    public void Skip(int n) => Bytes(n);
    public byte U8() => Bytes(1)[0];
    public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2));
    public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4));
    public int I32() => BinaryPrimitives.ReadInt32LittleEndian(Bytes(4));
    public float F32() => BinaryPrimitives.ReadSingleLittleEndian(Bytes(4));
    public string Str() => Encoding.UTF8.GetString(Bytes((int)Count(1)));

    /// <summary>A requantization shift, refused outside the contract's range (docs/arithmetic.md).</summary>
    public byte Shift(string what)
    {
        long at = Offset;
        byte s = U8();
        if (s is < Arithmetic.Int8Arithmetic.MinShift or > Arithmetic.Int8Arithmetic.MaxShift)
            Fail(at, $"{what}: shift {s} outside [{Arithmetic.Int8Arithmetic.MinShift}, {Arithmetic.Int8Arithmetic.MaxShift}]");
        return s;
    }

    /// <summary>A count whose items take at least <paramref name="minItemBytes"/> each: refuses counts the range cannot hold.</summary>
    public uint Count(int minItemBytes)
    {
        long at = Offset;
        uint n = U32();
        if ((long)n * minItemBytes > end - Offset) Fail(at, $"count {n} is larger than the rest of the {scope} can hold");
        return n;
    }

    /// <summary>Refuses bytes left over before <c>end</c>.</summary>
    public void ExpectEnd()
    {
        if (Offset != end) Fail(Offset, $"{end - Offset} unexpected bytes at the end of the {scope}");
    }
}
