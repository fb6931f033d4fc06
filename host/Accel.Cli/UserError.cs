using Accel.Images;
using Accel.Model.Networks;
using Accel.Model.Quantized;
using Accel.Onnx;

namespace Accel.Cli;

/// <summary>A mistake in what the user asked for: printed as one line, exit code 1, no stack trace.</summary>
public sealed class UserError(string message) : Exception(message)
{
    /// <summary>True for the exceptions that describe bad input rather than a bug in the kit.</summary>
    public static bool IsUserMistake(Exception e) => e is UserError or NetworkException or OnnxImportException
        or ImageException or QuantizedModelFormatException or FileNotFoundException or DirectoryNotFoundException;
}
