using Accel.Hardware.Rtl;

namespace Accel.Hardware.Board;

/// <summary>
/// The board's frame parser: the state machine of host/Accel.Link/FrameDecoder.cs (hunt, body,
/// escaped, discard) fed one byte per clock at most, never stalling. The destuffed body goes into
/// a buffer RAM of MaxBodyBytes; its first twelve bytes (header and the first six payload bytes,
/// where every command's arguments are) and its last four (the CRC) are also kept in registers, and
/// the CRC-32 runs over the body as it arrives. At the closing flag the body is checked in the
/// decoder's order: size at least 10, len at most 1024, size = 6 + len + 4, then the CRC (the
/// register over body and CRC must hold the residue). A good body is handed over: frame_valid_o
/// stays high, and the buffer is locked, until the controller pulses release_i. Bytes of a frame
/// that arrive while the buffer is locked discard that frame (with window 1 the host never sends
/// then). Every dropped frame pulses drop_o once, at its closing flag.
/// </summary>
public static class FrameReceiver
{
    public const string Name = "accel_frame_rx";
    public const int Flag = 0x7E, Escape = 0x7D, EscapeXor = 0x20;
    public const int HeaderBytes = 6, CrcBytes = 4, MinBodyBytes = 10, MaxPayload = 1024;
    public const int MaxBodyBytes = HeaderBytes + MaxPayload + CrcBytes;
    /// <summary>Body bytes kept in registers: the header and the first six payload bytes.</summary>
    public const int HeadBytes = 12;
    public const int AddressBits = 11;
    private const int Hunt = 0, Body = 1, Escaped = 2, Discard = 3;

    public static Module Build()
    {
        var m = new Module(Name).Describe(
            "Frame receiver: HDLC destuffing, body into a 1034-byte buffer, length and CRC-32 checks;",
            "a good body is held (frame_valid_o) until release_i; a byte every clock, never stalled.");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        var byteIn = m.Input("byte_i", 8);
        var validIn = m.Input("valid_i");
        var lineErr = m.Input("line_err_i");
        var release = m.Input("release_i");
        var frameValidOut = m.Output("frame_valid_o");
        var headOut = m.Output("head_o", HeadBytes * 8);
        var crcOut = m.Output("crc_o", 32);
        var rdEn = m.Input("rd_en_i");
        var rdAddr = m.Input("rd_addr_i", AddressBits);
        var rdData = m.Output("rd_data_o", 8);
        var dropOut = m.Output("drop_o");

        var state = m.Reg("state", 2, Hunt);
        var count = m.Reg("count", AddressBits, 0);
        var crc = m.Reg("crc", 32, 0xFFFFFFFFL);
        var tail = m.Reg("tail", 32, 0);
        var head = m.Reg("head", HeadBytes * 8, 0);
        var locked = m.Reg("locked", 1, 0);
        var drop = m.Reg("drop", 1, 0);

        var isFlag = m.Wire("is_flag", validIn.And(byteIn.Eq(Flag)));
        var isData = m.Wire("is_data", validIn.And(byteIn.Ne(Flag)));
        var isEscape = m.Wire("is_escape", byteIn.Eq(Escape));
        var escapeOk = m.Wire("escape_ok", byteIn.Eq(Flag ^ EscapeXor).Or(byteIn.Eq(Escape ^ EscapeXor)));
        var unescaped = m.Wire("unescaped", byteIn ^ Expr.Lit(8, EscapeXor));
        // A data byte joins the body in the body state (unless it is an escape) or after a valid escape.
        var appendValue = m.Wire("append_value", Expr.Mux(state.Q.Eq(Escaped), unescaped, byteIn));
        var appending = m.Wire("appending", isData.And(state.Q.Eq(Body).And(!isEscape).Or(state.Q.Eq(Escaped).And(escapeOk))));
        var full = m.Wire("full", count.Q.Eq(MaxBodyBytes));
        var append = m.Wire("append", appending.And(!locked.Q).And(!full));
        var crcNext = m.Wire("crc_next", 32);
        m.Instantiate(Crc32Step.Name, "u_crc", null, ("crc_i", crc.Q), ("data_i", appendValue), ("crc_o", crcNext));

        // Checks at the closing flag, on the registers (count, len from the header, CRC residue).
        var len = m.Wire("len", head.Q.Slice(47, 32));
        var sizeOk = m.Wire("size_ok", count.Q.Ge(Expr.Lit(AddressBits, MinBodyBytes))
            .And(len.Le(Expr.Lit(16, MaxPayload))).And(count.Q.Zext(16).Eq(len + MinBodyBytes)));
        var crcOk = m.Wire("crc_ok", crc.Q.Eq(Expr.Lit(32, Crc32Step.Residue)));

        m.Comb(b =>
        {
            foreach (var r in new[] { state, count, crc, tail, head, locked }) b.Hold(r);
            b.Set(drop.D, 0);
            b.If(release, t => t.Set(locked.D, 0));
            b.If(isFlag, t =>
            {
                t.Set(state.D, Body);
                t.Set(count.D, 0);
                t.Set(crc.D, 0xFFFFFFFFL);
                t.Case(state.Q,
                [
                    (Hunt, _ => { }),
                    (Body, s => s.If(count.Q.Ne(0), c => c.If(sizeOk.And(crcOk), g => g.Set(locked.D, 1), g => g.Set(drop.D, 1)))),
                ],
                // Escaped (a cut frame) or discarding: the frame is dropped.
                d => d.Set(drop.D, 1));
            });
            b.If(isData, t => t.Case(state.Q,
            [
                (Body, s => s.If(isEscape, e => e.Set(state.D, Escaped))),
                (Escaped, s => s.If(escapeOk, e => e.Set(state.D, Body), e => e.Set(state.D, Discard))),
            ],
            _ => { }));
            // A byte the body cannot take (buffer locked, or past MaxBodyBytes) discards the frame.
            b.If(appending.And(locked.Q.Or(full)), t => t.Set(state.D, Discard));
            b.If(append, t =>
            {
                t.Set(count.D, count.Q + 1);
                t.Set(crc.D, crcNext);
                t.Set(tail.D, Expr.Cat(appendValue, tail.Q.Slice(31, 8)));
                for (int i = 0; i < HeadBytes; i++)
                {
                    int at = i;
                    t.If(count.Q.Eq(at), g => g.Set(head.D.Slice(8 * at + 7, 8 * at), appendValue));
                }
            });
            // A UART framing error: the byte is lost, so is the frame it belonged to.
            b.If(lineErr.And(state.Q.Eq(Body).Or(state.Q.Eq(Escaped))), t => t.Set(state.D, Discard));
        });

        m.Instantiate("sdp_ram", "u_body", new Dictionary<string, long> { ["WIDTH"] = 8, ["DEPTH"] = MaxBodyBytes, ["ADDR_BITS"] = AddressBits },
            ("clk_i", clk), ("wr_en_i", append), ("wr_addr_i", count.Q), ("wr_data_i", appendValue),
            ("rd_en_i", rdEn), ("rd_addr_i", rdAddr), ("rd_data_o", rdData));
        m.Assign(frameValidOut, locked.Q);
        m.Assign(headOut, head.Q);
        m.Assign(crcOut, tail.Q);
        m.Assign(dropOut, drop.Q);
        m.Clocked(clk, rstN);
        return m;
    }
}
