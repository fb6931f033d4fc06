using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Board;

/// <summary>
/// The board's frame parser: the state machine of host/Accel.Link/FrameDecoder.cs (hunt, body,
/// escaped, discard) fed one byte per clock at most, never stalling. The CRC-32 runs over the body
/// as it arrives; the first twelve body bytes (header and the first six payload bytes, where every
/// command's arguments are) and the last four (the CRC) are kept in registers, and the payload
/// bytes go into the body RAM. At the closing flag the body is checked in the decoder's order: size
/// at least 10, len at most 1024, size = 6 + len + 4, then the CRC (the register over body and CRC
/// must hold the residue).
/// <para>
/// Good frames wait in <see cref="BoardConfig.FrameSlots"/> frame slots, a ring, so a host may send
/// up to that many requests without waiting for answers (HELLO's window). Slot s owns the body RAM's
/// bytes {s, payload offset[9:0]} (W x 1 KiB) and a held copy of the head and CRC registers, taken
/// at the good closing flag; only payload bytes are written, so a 1024-byte payload's CRC cannot
/// spill into the next slot. A good frame fills the write slot and advances it. The read slot (the
/// oldest full one) is the controller's: frame_valid_o, head_o and crc_o are its, rd_addr_i is a
/// payload offset within it, and release_i empties it and advances it. Bytes of a frame that
/// arrive while the write slot is full (every slot waiting) discard that frame. Every dropped frame
/// pulses drop_o once, at its closing flag.
/// </para>
/// </summary>
public static class FrameReceiver
{
    public const string Name = "accel_frame_rx";
    public const int Flag = 0x7E, Escape = 0x7D, EscapeXor = 0x20;
    public const int HeaderBytes = 6, CrcBytes = 4, MinBodyBytes = 10, MaxPayload = 1024;
    public const int MaxBodyBytes = HeaderBytes + MaxPayload + CrcBytes;
    /// <summary>Body bytes kept in registers: the header and the first six payload bytes.</summary>
    public const int HeadBytes = 12;
    /// <summary>Width of the body byte count (up to <see cref="MaxBodyBytes"/>).</summary>
    public const int CountBits = 11;
    /// <summary>Width of a payload offset, rd_addr_i (0..1023).</summary>
    public const int OffsetBits = 10;
    private const int Hunt = 0, Body = 1, Escaped = 2, Discard = 3;

    /// <summary>Bits of a slot number: 0 for a single slot.</summary>
    public static int SlotBits(BoardConfig board) => EngineConfig.Log2Ceil(board.FrameSlots);

    public static Module Build(BoardConfig board)
    {
        board.Validate();
        int slots = board.FrameSlots, sb = SlotBits(board), ramBits = OffsetBits + sb;
        var m = new Module(Name).Describe(
            $"Frame receiver: HDLC destuffing, length and CRC-32 checks, {slots} frame slot(s) of 1 KiB payload each in a ring;",
            "the oldest good frame is held (frame_valid_o) until release_i; a byte every clock, never stalled.");
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
        var rdAddr = m.Input("rd_addr_i", OffsetBits);
        var rdData = m.Output("rd_data_o", 8);
        var dropOut = m.Output("drop_o");

        // The frame in progress.
        var state = m.Reg("state", 2, Hunt);
        var count = m.Reg("count", CountBits, 0);
        var crc = m.Reg("crc", 32, 0xFFFFFFFFL);
        var tail = m.Reg("tail", 32, 0);
        var head = m.Reg("head", HeadBytes * 8, 0);
        var drop = m.Reg("drop", 1, 0);
        // The slots: full flags, the ring's pointers (none for one slot), each slot's head and CRC.
        var full = m.Reg("slot_full", slots, 0);
        var wrSlot = sb > 0 ? m.Reg("wr_slot", sb, 0) : null;
        var rdSlot = sb > 0 ? m.Reg("rd_slot", sb, 0) : null;
        var slotHead = Enumerable.Range(0, slots).Select(s => m.Reg($"slot_head{s}", HeadBytes * 8, 0)).ToArray();
        var slotCrc = Enumerable.Range(0, slots).Select(s => m.Reg($"slot_crc{s}", 32, 0)).ToArray();
        Expr IsWr(int s) => wrSlot is null ? Expr.Lit(1, 1) : wrSlot.Q.Eq(s);
        Expr IsRd(int s) => rdSlot is null ? Expr.Lit(1, 1) : rdSlot.Q.Eq(s);
        Expr AtRd(IReadOnlyList<Expr> items) => rdSlot is null ? items[0] : FrameTransmitter.Pick(rdSlot.Q, items);
        var fullBits = Enumerable.Range(0, slots).Select(s => full.Q.Bit(s)).ToArray();
        var wrFull = m.Wire("wr_full", wrSlot is null ? fullBits[0] : FrameTransmitter.Pick(wrSlot.Q, fullBits));
        var rdFull = m.Wire("rd_full", AtRd(fullBits));

        var isFlag = m.Wire("is_flag", validIn.And(byteIn.Eq(Flag)));
        var isData = m.Wire("is_data", validIn.And(byteIn.Ne(Flag)));
        var isEscape = m.Wire("is_escape", byteIn.Eq(Escape));
        var escapeOk = m.Wire("escape_ok", byteIn.Eq(Flag ^ EscapeXor).Or(byteIn.Eq(Escape ^ EscapeXor)));
        var unescaped = m.Wire("unescaped", byteIn ^ Expr.Lit(8, EscapeXor));
        // A data byte joins the body in the body state (unless it is an escape) or after a valid escape.
        var appendValue = m.Wire("append_value", Expr.Mux(state.Q.Eq(Escaped), unescaped, byteIn));
        var appending = m.Wire("appending", isData.And(state.Q.Eq(Body).And(!isEscape).Or(state.Q.Eq(Escaped).And(escapeOk))));
        var bodyFull = m.Wire("body_full", count.Q.Eq(MaxBodyBytes));
        var append = m.Wire("append", appending.And(!wrFull).And(!bodyFull));
        var crcNext = m.Wire("crc_next", 32);
        m.Instantiate(Crc32Step.Name, "u_crc", null, ("crc_i", crc.Q), ("data_i", appendValue), ("crc_o", crcNext));

        // Checks at the closing flag, on the registers (count, len from the header, CRC residue).
        var len = m.Wire("len", head.Q.Slice(47, 32));
        var sizeOk = m.Wire("size_ok", count.Q.Ge(Expr.Lit(CountBits, MinBodyBytes))
            .And(len.Le(Expr.Lit(16, MaxPayload))).And(count.Q.Zext(16).Eq(len + MinBodyBytes)));
        var crcOk = m.Wire("crc_ok", crc.Q.Eq(Expr.Lit(32, Crc32Step.Residue)));
        var good = m.Wire("good", isFlag.And(state.Q.Eq(Body)).And(count.Q.Ne(0)).And(sizeOk).And(crcOk));

        // Only payload bytes reach the RAM: body offsets 6 .. 6 + len - 1 (len is known from offset 6 on).
        var payOff = m.Wire("pay_off", count.Q - HeaderBytes);
        var payWrite = m.Wire("pay_we", append.And(count.Q.Ge(HeaderBytes)).And(!payOff.Bit(OffsetBits)).And(payOff.Zext(16).Lt(len)));
        var ramWrAddr = m.Wire("ram_wr_addr", wrSlot is null ? payOff.Slice(OffsetBits - 1, 0) : Expr.Cat(wrSlot.Q, payOff.Slice(OffsetBits - 1, 0)));
        var ramRdAddr = m.Wire("ram_rd_addr", rdSlot is null ? rdAddr : Expr.Cat(rdSlot.Q, rdAddr));

        m.Comb(b =>
        {
            foreach (var r in new[] { state, count, crc, tail, head, full }) b.Hold(r);
            foreach (var r in slotHead.Concat(slotCrc)) b.Hold(r);
            if (wrSlot is not null) { b.Hold(wrSlot); b.Hold(rdSlot!); }
            b.Set(drop.D, 0);
            // release_i empties the read slot; the write slot is never it (it is not full).
            b.If(release.And(rdFull), t =>
            {
                for (int s = 0; s < slots; s++)
                {
                    int at = s;
                    t.If(IsRd(at), g => g.Set(full.D.Slice(at, at), Expr.Lit(1, 0)));
                }
                if (rdSlot is not null) t.Set(rdSlot.D, rdSlot.Q + 1);
            });
            b.If(isFlag, t =>
            {
                t.Set(state.D, Body);
                t.Set(count.D, 0);
                t.Set(crc.D, 0xFFFFFFFFL);
                t.Case(state.Q,
                [
                    (Hunt, _ => { }),
                    (Body, s => s.If(count.Q.Ne(0).And(!good), c => c.Set(drop.D, 1))),
                ],
                // Escaped (a cut frame) or discarding: the frame is dropped.
                d => d.Set(drop.D, 1));
            });
            // A good frame fills the write slot: its head and CRC are held there, the ring advances.
            b.If(good, t =>
            {
                for (int s = 0; s < slots; s++)
                {
                    int at = s;
                    t.If(IsWr(at), g =>
                    {
                        g.Set(full.D.Slice(at, at), Expr.Lit(1, 1));
                        g.Set(slotHead[at].D, head.Q);
                        g.Set(slotCrc[at].D, tail.Q);
                    });
                }
                if (wrSlot is not null) t.Set(wrSlot.D, wrSlot.Q + 1);
            });
            b.If(isData, t => t.Case(state.Q,
            [
                (Body, s => s.If(isEscape, e => e.Set(state.D, Escaped))),
                (Escaped, s => s.If(escapeOk, e => e.Set(state.D, Body), e => e.Set(state.D, Discard))),
            ],
            _ => { }));
            // A byte the body cannot take (every slot waiting, or past MaxBodyBytes) discards the frame.
            b.If(appending.And(wrFull.Or(bodyFull)), t => t.Set(state.D, Discard));
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

        m.Instantiate("sdp_ram", "u_body", new Dictionary<string, long> { ["WIDTH"] = 8, ["DEPTH"] = slots << OffsetBits, ["ADDR_BITS"] = ramBits },
            ("clk_i", clk), ("wr_en_i", payWrite), ("wr_addr_i", ramWrAddr), ("wr_data_i", appendValue),
            ("rd_en_i", rdEn), ("rd_addr_i", ramRdAddr), ("rd_data_o", rdData));
        m.Assign(frameValidOut, rdFull);
        m.Assign(headOut, AtRd(slotHead.Select(r => (Expr)r.Q).ToArray()));
        m.Assign(crcOut, AtRd(slotCrc.Select(r => (Expr)r.Q).ToArray()));
        m.Assign(dropOut, drop.Q);
        m.Clocked(clk, rstN);
        return m;
    }
}
