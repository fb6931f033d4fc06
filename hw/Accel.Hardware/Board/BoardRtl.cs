using System.Globalization;
using System.Text;
using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Board;

/// <summary>The board link's modules, leaves first (they instantiate the engine's accel_top), and its C header.</summary>
public static class BoardRtl
{
    public const string ConfigHeader = "accel_board_config.h";

    public static IReadOnlyList<Module> Build(EngineConfig engine, BoardConfig board)
    {
        engine.Validate().RequireResolved();
        board.Validate();
        return
        [
            Crc32Step.Build(),
            UartReceiver.Build(board),
            UartTransmitter.Build(board),
            FrameReceiver.Build(board),
            FrameTransmitter.Build(),
            LinkController.Build(engine, board),
            LinkCore.Build(engine, board),
            UartBoardTop.Build(engine, board),
            XdmaBoardTop.Build(engine, board),
        ];
    }

    /// <summary>The header every emitted board file starts with: the engine's, plus the board's clock, baud, DRAM and frame slots.</summary>
    public static IReadOnlyList<string> Header(EngineConfig engine, BoardConfig board) =>
    [
        .. EngineRtl.Header(engine),
        $"Board: {board.ClockHz} Hz, {board.Baud} baud ({board.ClocksPerBit} clocks per bit), {board.DramBytes} DRAM bytes, {board.FrameSlots} frame slots.",
    ];

    /// <summary><c>accel_board_config.h</c>: the constants the board emulator compiles against.</summary>
    public static string CHeader(EngineConfig engine, BoardConfig board)
    {
        var sb = new StringBuilder();
        foreach (var line in Header(engine, board)) sb.Append("// ").AppendLine(line);
        sb.AppendLine("#pragma once");
        sb.AppendLine(CultureInfo.InvariantCulture, $"#define ACCEL_BOARD_CLOCKS_PER_BIT {board.ClocksPerBit}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"#define ACCEL_BOARD_DRAM_BYTES {board.DramBytes}ULL");
        sb.AppendLine(CultureInfo.InvariantCulture, $"#define ACCEL_BOARD_CLOCK_HZ {board.ClockHz}ULL");
        sb.AppendLine(CultureInfo.InvariantCulture, $"#define ACCEL_BOARD_BAUD {board.Baud}ULL");
        sb.AppendLine(CultureInfo.InvariantCulture, $"#define ACCEL_BOARD_FRAME_SLOTS {board.FrameSlots}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"#define ACCEL_BOARD_PARAM_WORD_BYTES {LinkController.ParameterWordBytes(engine)}");
        return sb.ToString();
    }
}
