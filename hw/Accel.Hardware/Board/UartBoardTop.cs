using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Board;

/// <summary>
/// The UART board top: the link core behind an 8N1 UART (ClocksPerBit clocks per bit), with the
/// engine's DRAM data port (plus write strobes) and instruction port brought out for a memory
/// controller. idle_o is high when no byte is being received or sent, no frame is being executed
/// and the engine is not running: the emulator may stop clocking then until the host sends.
/// </summary>
public static class UartBoardTop
{
    public const string Name = "accel_board_uart";

    public static Module Build(EngineConfig c, BoardConfig board)
    {
        board.Validate();
        var m = new Module(Name).Describe(
            $"Board top, UART link: 8N1 at {board.ClocksPerBit} clocks per bit ({board.Baud} baud at {board.ClockHz} Hz);",
            "DRAM data port (with write strobes) and instruction port for the memory controller.");
        var clk = m.Input("clk_i");
        var rstN = m.Input("rst_ni");
        var rx = m.Input("uart_rx_i");
        var txOut = m.Output("uart_tx_o");
        var idleOut = m.Output("idle_o");
        var p = LinkCore.DeclareDramPorts(m, c);

        var rxByte = m.Wire("rx_byte", 8);
        var rxValid = m.Wire("rx_valid");
        var rxErr = m.Wire("rx_err");
        var rxIdle = m.Wire("rx_idle");
        m.Instantiate(UartReceiver.Name, "u_uart_rx", null,
            ("clk_i", clk), ("rst_ni", rstN), ("rx_i", rx), ("data_o", rxByte), ("valid_o", rxValid), ("frame_err_o", rxErr), ("idle_o", rxIdle));

        var txByte = m.Wire("tx_byte", 8);
        var txValid = m.Wire("tx_valid");
        var txReady = m.Wire("tx_ready");
        var txIdle = m.Wire("tx_idle");
        m.Instantiate(UartTransmitter.Name, "u_uart_tx", null,
            ("clk_i", clk), ("rst_ni", rstN), ("data_i", txByte), ("valid_i", txValid), ("ready_o", txReady), ("tx_o", txOut), ("idle_o", txIdle));

        var coreIdle = m.Wire("core_idle");
        var txLast = m.PartlyUsedWire("tx_last", 1, "A UART needs no frame boundary.");
        var running = m.PartlyUsedWire("running", 1, "Status for the XDMA top's registers; the UART top reads it over the link.");
        var done = m.PartlyUsedWire("done", 1, "As running.");
        var cycles = m.PartlyUsedWire("cycles", 64, "As running.");
        var framesRx = m.PartlyUsedWire("frames_rx", 32, "As running.");
        var framesDrop = m.PartlyUsedWire("frames_dropped", 32, "As running.");
        m.Instantiate(LinkCore.Name, "u_core", null, [
            ("clk_i", clk), ("rst_ni", rstN), ("rx_byte_i", rxByte), ("rx_valid_i", rxValid), ("rx_err_i", rxErr),
            ("tx_byte_o", txByte), ("tx_valid_o", txValid), ("tx_last_o", txLast), ("tx_ready_i", txReady),
            ("soft_reset_i", Expr.Lit(1, 0)), ("idle_o", coreIdle), ("running_o", running), ("done_o", done),
            ("cycles_o", cycles), ("frames_rx_o", framesRx), ("frames_dropped_o", framesDrop),
            .. p.Connections()]);
        m.Assign(idleOut, rxIdle.And(txIdle).And(coreIdle).And(!txValid));
        return m;
    }
}
