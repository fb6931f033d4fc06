using System.Globalization;

namespace Accel.Link.Transports;

/// <summary>How the host reaches a board.</summary>
public enum LinkKind
{
    /// <summary>A serial port (a USB-UART bridge, or the emulator's pseudo-terminal).</summary>
    Uart,
    /// <summary>The XDMA driver's device files: PREFIX_h2c_0 (host to card), PREFIX_c2h_0, PREFIX_user (AXI-Lite).</summary>
    Xdma,
    /// <summary>The emulated board, started for the run.</summary>
    Emulator,
}

/// <summary>
/// A board address as the user writes it: <c>uart:PATH[@BAUD]</c>, <c>xdma:PREFIX</c>,
/// <c>emu[@BAUD]</c> (the emulator; a baud puts it in its timed mode). <see cref="Parse"/> throws
/// a <see cref="FormatException"/> that quotes the text and lists the accepted forms.
/// </summary>
public sealed record LinkAddress(LinkKind Kind, string Path, long Baud)
{
    public const long DefaultBaud = 3_000_000;

    public const string Forms = "uart:PATH[@BAUD] (e.g. uart:/dev/ttyUSB1@3000000; baud default 3000000), xdma:PREFIX (e.g. xdma:/dev/xdma0) or emu[@BAUD]";

    /// <summary>Emulator, 0: as fast as the simulation runs.</summary>
    public bool Timed => Baud > 0;

    public string H2cPath => Kind == LinkKind.Xdma ? Path + "_h2c_0" : throw new InvalidOperationException("not an XDMA address");
    public string C2hPath => Kind == LinkKind.Xdma ? Path + "_c2h_0" : throw new InvalidOperationException("not an XDMA address");
    public string UserPath => Kind == LinkKind.Xdma ? Path + "_user" : throw new InvalidOperationException("not an XDMA address");

    public static LinkAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim();
        int colon = t.IndexOf(':');
        string scheme = (colon < 0 ? t : t[..colon]).ToLowerInvariant();
        string rest = colon < 0 ? "" : t[(colon + 1)..];
        if (scheme.StartsWith("emu", StringComparison.Ordinal) && colon < 0)
        {
            if (scheme == "emu") return new LinkAddress(LinkKind.Emulator, "", 0);
            if (scheme.StartsWith("emu@", StringComparison.Ordinal)) return new LinkAddress(LinkKind.Emulator, "", ParseBaud(text, scheme[4..]));
        }
        switch (scheme)
        {
            case "uart" when colon >= 0:
            {
                int at = rest.LastIndexOf('@');
                string path = at < 0 ? rest : rest[..at];
                if (path.Length == 0) throw Bad(text, "no serial port path after 'uart:'");
                return new LinkAddress(LinkKind.Uart, path, at < 0 ? DefaultBaud : ParseBaud(text, rest[(at + 1)..]));
            }
            case "xdma" when colon >= 0:
                if (rest.Length == 0) throw Bad(text, "no device prefix after 'xdma:'");
                if (rest.Contains('@')) throw Bad(text, "an XDMA link has no baud rate");
                return new LinkAddress(LinkKind.Xdma, rest, 0);
            default:
                throw Bad(text, colon < 0 ? "no 'uart:' or 'xdma:' before the path" : $"unknown link '{t[..colon]}'");
        }
    }

    private static long ParseBaud(string text, string baud)
    {
        if (!long.TryParse(baud, NumberStyles.None, CultureInfo.InvariantCulture, out long value) || value < 1 || value > 1_000_000_000)
            throw Bad(text, $"baud '{baud}' is not a whole number of bits per second (1..1000000000)");
        return value;
    }

    private static FormatException Bad(string text, string why) =>
        new($"board address '{text}': {why}; expected {Forms}");

    public override string ToString() => Kind switch
    {
        LinkKind.Uart => $"uart:{Path}@{Baud}",
        LinkKind.Xdma => $"xdma:{Path}",
        _ => Baud > 0 ? $"emu@{Baud}" : "emu",
    };
}
