using Microsoft.ML.OnnxRuntime;

namespace Accel.Onnx.Runtime;

/// <summary>
/// ONNX Runtime (CPU) on one model: the independent float reference. Feeds the model's first
/// input and returns its first output, flattened. Symbolic dimensions of the input are taken as 1.
/// </summary>
public sealed class OnnxRuntimeSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string _inputName;
    private readonly string _outputName;

    public OnnxRuntimeSession(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: ONNX model not found", path);
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC };
        _session = new InferenceSession(path, options);
        var input = _session.InputMetadata.First();
        _inputName = input.Key;
        InputShape = input.Value.Dimensions.Select(d => d > 0 ? (long)d : 1L).ToArray();
        _outputName = _session.OutputMetadata.First().Key;
    }

    /// <summary>Shape fed to the first input (symbolic dimensions as 1).</summary>
    public IReadOnlyList<long> InputShape { get; }

    public long InputElements => InputShape.Aggregate(1L, (a, b) => a * b);

    public float[] Run(float[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Length != InputElements)
            throw new ArgumentException($"input has {input.Length} values but the model's input '{_inputName}' [{string.Join(",", InputShape)}] needs {InputElements}", nameof(input));
        using var value = OrtValue.CreateTensorValueFromMemory(input, InputShape.ToArray());
        using var runOptions = new RunOptions();
        using var results = _session.Run(runOptions, [_inputName], [value], [_outputName]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public void Dispose() => _session.Dispose();
}
