using Accel.Hardware.Rtl;

namespace Accel.Hardware.Board;

/// <summary>
/// The board's frame sender: on start_i, sends 0x7E, the stuffed body (cmd, flags, seq, len from
/// the inputs, len payload bytes read from the response buffer, the CRC-32 computed on the way,
/// little-endian and inverted), and a closing 0x7E (marked by last_o, for the XDMA packer) into a
/// byte stream with valid/ready. Two clocks per body byte at most (a buffer read, then the byte),
/// far faster than any line it feeds. The header inputs must hold until busy_o falls.
/// </summary>
public static class FrameTransmitter
{
    public const string Name = "accel_frame_tx";
    public const int ResponseAddressBits = 10;
    private const int Idle = 0, Open = 1, Load = 2, Send = 3, Close = 4;

    public static Module Build()
    {
        var m = new Module(Name).Describe("Frame transmitter: flags, header, payload from the response buffer, CRC-32 on the fly, HDLC stuffing.");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        var start = m.Input("start_i");
        var cmd = m.Input("cmd_i", 8);
        var flags = m.Input("flags_i", 8);
        var seq = m.Input("seq_i", 16);
        var len = m.Input("len_i", 16);
        var rdEnOut = m.Output("rd_en_o");
        var rdAddrOut = m.Output("rd_addr_o", ResponseAddressBits);
        var rdData = m.Input("rd_data_i", 8);
        var byteOut = m.Output("byte_o", 8);
        var validOut = m.Output("valid_o");
        var lastOut = m.Output("last_o");
        var ready = m.Input("ready_i");
        var busyOut = m.Output("busy_o");

        int ib = FrameReceiver.CountBits;
        var state = m.Reg("state", 3, Idle);
        var idx = m.Reg("idx", ib, 0);
        var crc = m.Reg("crc", 32, 0xFFFFFFFFL);
        var esc = m.Reg("esc", 1, 0);

        var crcAt = m.Wire("crc_at", len.Slice(ib - 1, 0) + FrameReceiver.HeaderBytes);
        var lastIdx = m.Wire("last_idx", crcAt + (FrameReceiver.CrcBytes - 1));
        var inPayload = m.Wire("in_payload", idx.Q.Ge(Expr.Lit(ib, FrameReceiver.HeaderBytes)).And(idx.Q.Lt(crcAt)));
        var payloadIdx = m.PartlyUsedWire("payload_idx", idx.Q - FrameReceiver.HeaderBytes, "Payload offsets are below 1024.");
        var crcIdx = m.PartlyUsedWire("crc_idx", idx.Q - crcAt, "The CRC is four bytes: two bits pick one.");
        var crcOutWord = m.Wire("crc_out", ~crc.Q);
        var headerByte = m.Wire("header_byte", Pick(idx.Q, [cmd, flags, seq.Slice(7, 0), seq.Slice(15, 8), len.Slice(7, 0), len.Slice(15, 8)]));
        var crcByte = m.Wire("crc_byte", Pick(crcIdx.Slice(1, 0), [crcOutWord.Slice(7, 0), crcOutWord.Slice(15, 8), crcOutWord.Slice(23, 16), crcOutWord.Slice(31, 24)]));
        var bodyByte = m.Wire("body_byte", Expr.Mux(inPayload, rdData,
            Expr.Mux(idx.Q.Lt(Expr.Lit(ib, FrameReceiver.HeaderBytes)), headerByte, crcByte)));
        var needEsc = m.Wire("need_esc", bodyByte.Eq(FrameReceiver.Flag).Or(bodyByte.Eq(FrameReceiver.Escape)));
        var crcNext = m.Wire("crc_next", 32);
        m.Instantiate(Crc32Step.Name, "u_crc", null, ("crc_i", crc.Q), ("data_i", bodyByte), ("crc_o", crcNext));
        var sending = m.Wire("sending", state.Q.Eq(Send));
        var flagOut = m.Wire("flag_out", state.Q.Eq(Open).Or(state.Q.Eq(Close)));
        var outByte = m.Wire("out_byte", Expr.Mux(flagOut, Expr.Lit(8, FrameReceiver.Flag),
            Expr.Mux(esc.Q, bodyByte ^ Expr.Lit(8, FrameReceiver.EscapeXor), Expr.Mux(needEsc, Expr.Lit(8, FrameReceiver.Escape), bodyByte))));
        var valid = m.Wire("valid", flagOut.Or(sending));

        m.Comb(b =>
        {
            foreach (var r in new[] { state, idx, crc, esc }) b.Hold(r);
            b.Case(state.Q,
            [
                (Idle, s => s.If(start, t => { t.Set(state.D, Open); t.Set(idx.D, 0); t.Set(crc.D, 0xFFFFFFFFL); t.Set(esc.D, 0); })),
                (Open, s => s.If(ready, t => t.Set(state.D, Load))),
                (Load, s => s.Set(state.D, Send)),
                (Send, s => s.If(ready, t => t.If(needEsc.And(!esc.Q), g => g.Set(esc.D, 1), g =>
                {
                    g.Set(esc.D, 0);
                    g.If(idx.Q.Lt(crcAt), h => h.Set(crc.D, crcNext));
                    g.Set(idx.D, idx.Q + 1);
                    g.Set(state.D, Expr.Mux(idx.Q.Eq(lastIdx), Expr.Lit(3, Close), Expr.Lit(3, Load)));
                }))),
                (Close, s => s.If(ready, t => t.Set(state.D, Idle))),
            ],
            d => d.Set(state.D, Idle));
        });
        m.Assign(rdEnOut, state.Q.Eq(Load).And(inPayload));
        m.Assign(rdAddrOut, payloadIdx.Slice(ResponseAddressBits - 1, 0));
        m.Assign(byteOut, outByte);
        m.Assign(validOut, valid);
        m.Assign(lastOut, state.Q.Eq(Close));
        m.Assign(busyOut, state.Q.Ne(Idle));
        m.Clocked(clk, rstN);
        return m;
    }

    /// <summary>items[index] as a mux chain (index beyond the list: the last item).</summary>
    internal static Expr Pick(Expr index, IReadOnlyList<Expr> items)
    {
        Expr e = items[^1];
        for (int i = items.Count - 2; i >= 0; i--) e = Expr.Mux(index.Eq(i), items[i], e);
        return e;
    }
}
