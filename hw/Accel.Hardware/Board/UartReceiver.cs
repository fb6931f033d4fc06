using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Board;

/// <summary>
/// UART receiver, 8N1, LSB first. The line passes a two-flop synchroniser; a low level in idle is
/// a start bit, checked again half a bit later (a shorter glitch is ignored); each data bit and the
/// stop bit are then sampled in the middle, ClocksPerBit clocks apart (a generation-time constant).
/// A good byte pulses valid_o with data_o; a low stop bit pulses frame_err_o instead (the byte is
/// discarded; the frame receiver drops the frame it was part of) and the receiver waits for the line
/// to go high before it looks for the next start bit.
/// </summary>
public static class UartReceiver
{
    public const string Name = "accel_uart_rx";
    private const int Idle = 0, Start = 1, Data = 2, Stop = 3, WaitHigh = 4;

    public static Module Build(BoardConfig board)
    {
        int n = board.Validate().ClocksPerBit;
        int cw = Math.Max(1, EngineConfig.Log2Ceil(n));
        var m = new Module(Name).Describe($"UART receiver, 8N1, {n} clocks per bit, sampled mid-bit after a two-flop synchroniser.");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        var rx = m.Input("rx_i");
        var dataOut = m.Output("data_o", 8);
        var validOut = m.Output("valid_o");
        var errOut = m.Output("frame_err_o");
        var idleOut = m.Output("idle_o");

        var sync1 = m.Reg("sync1", 1, 1);
        var sync2 = m.Reg("sync2", 1, 1);
        var state = m.Reg("state", 3, Idle);
        var cnt = m.Reg("cnt", cw, 0);
        var bit = m.Reg("bit", 3, 0);
        var shift = m.Reg("shift", 8, 0);
        var valid = m.Reg("valid", 1, 0);
        var err = m.Reg("err", 1, 0);
        var line = sync2.Q;
        var tick = m.Wire("tick", cnt.Q.Eq(0));

        m.Comb(b =>
        {
            foreach (var r in new[] { state, cnt, bit, shift }) b.Hold(r);
            b.Set(sync1.D, rx);
            b.Set(sync2.D, sync1.Q);
            b.Set(valid.D, 0);
            b.Set(err.D, 0);
            b.If(!tick, t => t.Set(cnt.D, cnt.Q - 1));
            b.Case(state.Q,
            [
                (Idle, s => s.If(!line, t => { t.Set(state.D, Start); t.Set(cnt.D, n / 2 - 1); })),
                (Start, s => s.If(tick, t => t.If(!line,
                    g => { g.Set(state.D, Data); g.Set(cnt.D, n - 1); g.Set(bit.D, 0); },
                    g => g.Set(state.D, Idle)))),
                (Data, s => s.If(tick, t =>
                {
                    t.Set(shift.D, Expr.Cat(line, shift.Q.Slice(7, 1)));
                    t.Set(cnt.D, n - 1);
                    t.Set(bit.D, bit.Q + 1);
                    t.If(bit.Q.Eq(7), g => g.Set(state.D, Stop));
                })),
                (Stop, s => s.If(tick, t => t.If(line,
                    g => { g.Set(valid.D, 1); g.Set(state.D, Idle); },
                    g => { g.Set(err.D, 1); g.Set(state.D, WaitHigh); }))),
                (WaitHigh, s => s.If(line, t => t.Set(state.D, Idle))),
            ],
            d => d.Set(state.D, Idle));
        });
        m.Assign(dataOut, shift.Q);
        m.Assign(validOut, valid.Q);
        m.Assign(errOut, err.Q);
        m.Assign(idleOut, state.Q.Eq(Idle).And(!valid.Q).And(!err.Q).And(line).And(sync1.Q));
        m.Clocked(clk, rstN);
        return m;
    }
}
