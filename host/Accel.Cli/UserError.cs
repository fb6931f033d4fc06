using Accel.Compression;
using Accel.Cosim.Verilator;
using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Images;
using Accel.Model.Networks;
using Accel.Model.Quantized;
using Accel.Onnx;
using Accel.Synthesis;

namespace Accel.Cli;

/// <summary>A mistake in what the user asked for: printed as one line, exit code 1, no stack trace.</summary>
public sealed class UserError(string message) : Exception(message)
{
    /// <summary>True for the exceptions that describe bad input rather than a bug in the kit.</summary>
    public static bool IsUserMistake(Exception e) => e is UserError or NetworkException or OnnxImportException
        or ImageException or QuantizedModelFormatException or FileNotFoundException or DirectoryNotFoundException
        // The engine's own refusals name the field or layer; a cosim failure (Verilator missing, build error) is reported, not a crash.
        or ConfigException or ScheduleException or CosimException
        // Synthesis refusals: unknown board, yosys missing, failing or past its time limit.
        or SynthesisException
        // Compression: bad density config, imported file or .eie container (each names the file and place).
        or CompressionException or EieFormatException
        // The board was built for another engine, or the model does not fit it.
        or Accel.Board.BoardMismatchException;
}
