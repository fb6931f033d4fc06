using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Board;

/// <summary>
/// UART transmitter, 8N1, LSB first: takes a byte (valid/ready) and shifts out the start bit, eight
/// data bits and the stop bit, ClocksPerBit clocks each; the line idles high. The next byte is taken
/// in the last clock of the stop bit, so back-to-back bytes leave no gap.
/// </summary>
public static class UartTransmitter
{
    public const string Name = "accel_uart_tx";

    public static Module Build(BoardConfig board)
    {
        int n = board.Validate().ClocksPerBit;
        int cw = Math.Max(1, EngineConfig.Log2Ceil(n));
        var m = new Module(Name).Describe($"UART transmitter, 8N1, {n} clocks per bit, idle high.");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        var data = m.Input("data_i", 8);
        var valid = m.Input("valid_i");
        var readyOut = m.Output("ready_o");
        var txOut = m.Output("tx_o");
        var idleOut = m.Output("idle_o");

        var busy = m.Reg("busy", 1, 0);
        var shift = m.Reg("shift", 9, 0x1FF);
        var cnt = m.Reg("cnt", cw, 0);
        var left = m.Reg("left", 4, 0);
        var tx = m.Reg("tx", 1, 1);
        var tick = m.Wire("tick", cnt.Q.Eq(0));
        var finishing = m.Wire("finishing", busy.Q.And(tick).And(left.Q.Eq(0)));
        var ready = m.Wire("ready", (!busy.Q).Or(finishing));
        var take = m.Wire("take", valid.And(ready));

        m.Comb(b =>
        {
            foreach (var r in new[] { busy, shift, cnt, left, tx }) b.Hold(r);
            b.If(busy.Q, t => t.If(tick,
                g => g.If(left.Q.Eq(0), h => h.Set(busy.D, 0), h =>
                {
                    // Stop bit last: a one shifts in behind the data.
                    h.Set(tx.D, shift.Q.Bit(0));
                    h.Set(shift.D, Expr.Cat(Expr.Lit(1, 1), shift.Q.Slice(8, 1)));
                    h.Set(left.D, left.Q - 1);
                    h.Set(cnt.D, n - 1);
                }),
                g => g.Set(cnt.D, cnt.Q - 1)));
            b.If(take, t =>
            {
                t.Set(busy.D, 1);
                t.Set(tx.D, 0);
                t.Set(shift.D, Expr.Cat(Expr.Lit(1, 1), data));
                t.Set(left.D, 9);
                t.Set(cnt.D, n - 1);
            });
        });
        m.Assign(readyOut, ready);
        m.Assign(txOut, tx.Q);
        m.Assign(idleOut, !busy.Q);
        m.Clocked(clk, rstN);
        return m;
    }
}
