using Accel.Model.Networks;

namespace Accel.Hardware.Schedule;

/// <summary>
/// An input stored im2col-style: logical channel (ky*K + kx)*Cin + ic of output pixel (y, x) holds
/// source channel ic at (y*stride + ky - pad, x*stride + kx - pad), zero outside the map. The host
/// writes it so (a byte shuffle, no arithmetic) and the first convolution becomes a 1x1 over
/// Cin*K*K channels, which fills the array's rows where Cin alone would leave most idle.
/// </summary>
public sealed record Im2Col(Shape Source, int Kernel, int Stride, int Pad)
{
    public sbyte[] Apply(sbyte[] chw, Shape packed)
    {
        if (chw.Length != Source.Elements) throw new ArgumentException($"im2col input has {chw.Length} values, expected {Source.Elements}");
        var result = new sbyte[packed.Elements];
        int cin = Source.Channels, plane = packed.Height * packed.Width;
        for (int ky = 0; ky < Kernel; ky++)
            for (int kx = 0; kx < Kernel; kx++)
                for (int ic = 0; ic < cin; ic++)
                {
                    int channel = (ky * Kernel + kx) * cin + ic;
                    for (int y = 0; y < packed.Height; y++)
                        for (int x = 0; x < packed.Width; x++)
                        {
                            int iy = y * Stride + ky - Pad, ix = x * Stride + kx - Pad;
                            if (iy < 0 || iy >= Source.Height || ix < 0 || ix >= Source.Width) continue;
                            result[channel * plane + y * packed.Width + x] = chw[(ic * Source.Height + iy) * Source.Width + ix];
                        }
                }
        return result;
    }
}

/// <summary>A run of logical channels stored from physical group <see cref="FirstGroup"/> on.</summary>
public sealed record ChannelSegment(int LogicalStart, int Count, int FirstGroup);

/// <summary>
/// Where a tensor lives in DRAM: <see cref="Groups"/> planes of H*W words from word address
/// <see cref="Base"/> (a word is <c>DramWordBytes</c> bytes), each word holding <c>lanes</c> channels. Concat is placement: each input's segment starts on a
/// group boundary of the concatenated tensor, so a channel count that is not a multiple of the
/// lanes leaves zero-filled lanes the consumers' weights skip.
/// </summary>
public sealed record TensorPlacement(string Name, Shape Shape, long Base, int Groups, bool Unsigned, IReadOnlyList<ChannelSegment> Segments)
{
    /// <summary>Set when the tensor is stored im2col-style (<see cref="Shape"/> is then the packed shape).</summary>
    public Im2Col? Im2Col { get; init; }

    /// <summary>The tensor whose DRAM region this one is part of (a concat input's concat), if not itself.</summary>
    public string? Owner { get; init; }
    public string Root => Owner ?? Name;

    public int Plane => Shape.Height * Shape.Width;
    public int Words => Groups * Plane;

    /// <summary>For each physical channel (group * lanes + lane), its logical channel or -1 for a hole.</summary>
    public int[] LogicalChannels(int lanes)
    {
        var map = Enumerable.Repeat(-1, Groups * lanes).ToArray();
        foreach (var s in Segments)
            for (int i = 0; i < s.Count; i++) map[s.FirstGroup * lanes + i] = s.LogicalStart + i;
        return map;
    }

    /// <summary>True when <paramref name="other"/> stores every channel in the same lane of the same group (segment lists may still differ).</summary>
    public bool SameLanes(TensorPlacement other, int lanes) =>
        Groups == other.Groups && LogicalChannels(lanes).AsSpan().SequenceEqual(other.LogicalChannels(lanes));

    /// <summary>A single-segment tensor of <paramref name="shape"/> at <paramref name="baseAddress"/>.</summary>
    public static TensorPlacement Dense(string name, Shape shape, long baseAddress, int lanes, bool unsignedTensor) =>
        new(name, shape, baseAddress, GroupsFor(shape.Channels, lanes), unsignedTensor, [new ChannelSegment(0, shape.Channels, 0)]);

    public static int GroupsFor(int channels, int lanes) => (channels + lanes - 1) / lanes;

    /// <summary>Packs a CHW tensor into activation words (lanes bytes each), holes zero.</summary>
    public byte[] Pack(sbyte[] chw, int lanes)
    {
        if (Im2Col is not null) chw = Im2Col.Apply(chw, Shape);
        if (chw.Length != Shape.Elements) throw new ArgumentException($"tensor '{Name}' has {chw.Length} values, expected {Shape.Elements}");
        var words = new byte[Words * lanes];
        var logical = LogicalChannels(lanes);
        for (int pc = 0; pc < logical.Length; pc++)
        {
            int lc = logical[pc];
            if (lc < 0) continue;
            int g = pc / lanes, lane = pc % lanes;
            for (int i = 0; i < Plane; i++) words[(g * Plane + i) * lanes + lane] = (byte)chw[lc * Plane + i];
        }
        return words;
    }

    /// <summary>Extracts the logical CHW tensor from the words read back from the buffer.</summary>
    public sbyte[] Unpack(ReadOnlySpan<byte> words, int lanes)
    {
        if (words.Length != Words * lanes) throw new ArgumentException($"tensor '{Name}': {words.Length} bytes read, expected {Words * lanes}");
        var chw = new sbyte[Shape.Elements];
        var logical = LogicalChannels(lanes);
        for (int pc = 0; pc < logical.Length; pc++)
        {
            int lc = logical[pc];
            if (lc < 0) continue;
            int g = pc / lanes, lane = pc % lanes;
            for (int i = 0; i < Plane; i++) chw[lc * Plane + i] = (sbyte)words[(g * Plane + i) * lanes + lane];
        }
        return chw;
    }
}
