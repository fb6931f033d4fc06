using Accel.Model.Networks;

namespace Accel.Hardware.Schedule;

/// <summary>A run of logical channels stored from physical group <see cref="FirstGroup"/> on.</summary>
public sealed record ChannelSegment(int LogicalStart, int Count, int FirstGroup);

/// <summary>
/// Where a tensor lives in the activation buffer: <see cref="Groups"/> planes of H*W words, each
/// word holding <c>lanes</c> channels. Concat is placement: each input's segment starts on a
/// group boundary of the concatenated tensor, so a channel count that is not a multiple of the
/// lanes leaves zero-filled lanes the consumers' weights skip.
/// </summary>
public sealed record TensorPlacement(string Name, Shape Shape, int Base, int Groups, bool Unsigned, IReadOnlyList<ChannelSegment> Segments)
{
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

    /// <summary>A single-segment tensor of <paramref name="shape"/> at <paramref name="baseAddress"/>.</summary>
    public static TensorPlacement Dense(string name, Shape shape, int baseAddress, int lanes, bool unsignedTensor) =>
        new(name, shape, baseAddress, GroupsFor(shape.Channels, lanes), unsignedTensor, [new ChannelSegment(0, shape.Channels, 0)]);

    public static int GroupsFor(int channels, int lanes) => (channels + lanes - 1) / lanes;

    /// <summary>Packs a CHW tensor into activation words (lanes bytes each), holes zero.</summary>
    public byte[] Pack(sbyte[] chw, int lanes)
    {
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
