namespace Accel.Onnx;

/// <summary>
/// An ONNX file the importer cannot turn into a network: unreadable, not ONNX, or using an
/// operator, attribute or pattern outside the supported subset. The message names the file
/// and, where relevant, the node, its operator type and the attribute at fault.
/// </summary>
public sealed class OnnxImportException : Exception
{
    public OnnxImportException(string message) : base(message) { }

    public OnnxImportException(string message, Exception inner) : base(message, inner) { }
}
