using Accel.Hardware.Rtl;

namespace Accel.Hardware.Board;

/// <summary>
/// One byte of CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) per clock, as a combinational
/// module: the next raw register from the current one and a byte. The step is linear over GF(2),
/// so each output bit is the XOR of a fixed set of input bits; the sets are worked out here from
/// the bit-serial definition, so the emitted XOR trees cannot disagree with it. Initial value and
/// final XOR (0xFFFFFFFF) are the users' business: the receiver checks the residue, the sender
/// sends the inverted register.
/// </summary>
public static class Crc32Step
{
    public const string Name = "accel_crc32_step";
    public const uint Polynomial = 0xEDB88320u;
    /// <summary>The raw register after a body and its own CRC (little-endian): a body is intact exactly when this is left.</summary>
    public const uint Residue = 0xDEBB20E3u;

    /// <summary>The bit-serial step on the raw register.</summary>
    public static uint Next(uint register, byte value)
    {
        register ^= value;
        for (int bit = 0; bit < 8; bit++)
            register = (register & 1) != 0 ? (register >> 1) ^ Polynomial : register >> 1;
        return register;
    }

    /// <summary>CRC-32 of <paramref name="data"/> (initial value and final XOR applied).</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint r = 0xFFFFFFFFu;
        foreach (byte b in data) r = Next(r, b);
        return ~r;
    }

    /// <summary>For output bit j: the register bits (mask over 32) and data bits (mask over 8) it XORs.</summary>
    public static (uint RegisterMask, byte DataMask)[] Taps()
    {
        var taps = new (uint, byte)[32];
        for (int i = 0; i < 32; i++)
        {
            uint col = Next(1u << i, 0);
            for (int j = 0; j < 32; j++)
                if ((col >> j & 1) != 0) taps[j].Item1 |= 1u << i;
        }
        for (int i = 0; i < 8; i++)
        {
            uint col = Next(0, (byte)(1 << i));
            for (int j = 0; j < 32; j++)
                if ((col >> j & 1) != 0) taps[j].Item2 |= (byte)(1 << i);
        }
        return taps;
    }

    /// <summary>Evaluates the taps (what the emitted module computes), for tests.</summary>
    public static uint NextByTaps(uint register, byte value)
    {
        var taps = Taps();
        uint r = 0;
        for (int j = 0; j < 32; j++)
        {
            int parity = System.Numerics.BitOperations.PopCount(register & taps[j].RegisterMask)
                + System.Numerics.BitOperations.PopCount((uint)(value & taps[j].DataMask));
            r |= (uint)(parity & 1) << j;
        }
        return r;
    }

    public static Module Build()
    {
        var m = new Module(Name).Describe("CRC-32 (reflected 0xEDB88320), one byte per clock: the next raw register (combinational).");
        var crcIn = m.Input("crc_i", 32);
        var data = m.Input("data_i", 8);
        var crcOut = m.Output("crc_o", 32);
        var taps = Taps();
        var bits = new Expr[32];
        for (int j = 0; j < 32; j++)
        {
            Expr? x = null;
            for (int i = 0; i < 32; i++)
                if ((taps[j].RegisterMask >> i & 1) != 0) x = x is null ? crcIn.Bit(i) : x ^ crcIn.Bit(i);
            for (int i = 0; i < 8; i++)
                if ((taps[j].DataMask >> i & 1) != 0) x = x is null ? data.Bit(i) : x ^ data.Bit(i);
            bits[j] = x ?? Expr.Lit(1, 0);
        }
        // Concatenation lists the most significant bit first.
        m.Assign(crcOut, Expr.Cat(bits.Reverse().ToArray()));
        return m;
    }
}
