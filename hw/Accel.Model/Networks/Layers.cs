namespace Accel.Model.Networks;

/// <summary>A feature-map shape: channels x height x width (batch is always 1).</summary>
public readonly record struct Shape(int Channels, int Height, int Width)
{
    public long Elements => (long)Channels * Height * Width;
    public override string ToString() => $"{Channels}x{Height}x{Width}";
}

/// <summary>
/// One layer of a network description. <see cref="Inputs"/> names the layers it reads;
/// null means "the layer before" (or the network input for the first layer).
/// </summary>
public abstract record Layer(string Name)
{
    public IReadOnlyList<string>? Inputs { get; init; }

    /// <summary>Short operator name used in tables and JSON ("conv", "fire", ...).</summary>
    public abstract string Kind { get; }
}

/// <summary>Convolution with a square KxK kernel, optional fused ReLU, bias always present.</summary>
public sealed record ConvLayer(string Name, int OutChannels, int KernelSize, int Stride = 1, int Padding = 0, bool Relu = true)
    : Layer(Name)
{
    public override string Kind => "conv";
}

/// <summary>Max pooling; ceil mode as in Caffe and torchvision SqueezeNet.</summary>
public sealed record MaxPoolLayer(string Name, int KernelSize, int Stride, int Padding = 0, bool CeilMode = true)
    : Layer(Name)
{
    public override string Kind => "maxpool";
}

/// <summary>
/// SqueezeNet Fire module: squeeze 1x1 conv + ReLU, then expand 1x1 and expand 3x3 (pad 1)
/// convs + ReLU from the squeeze output, concatenated by channel (1x1 channels first).
/// </summary>
public sealed record FireLayer(string Name, int Squeeze, int Expand1x1, int Expand3x3) : Layer(Name)
{
    public override string Kind => "fire";
    public string SqueezeName => Name + "/squeeze1x1";
    public string Expand1x1Name => Name + "/expand1x1";
    public string Expand3x3Name => Name + "/expand3x3";
    public string ConcatName => Name + "/concat";
}

/// <summary>Channel concatenation of two or more inputs of equal height and width.</summary>
public sealed record ConcatLayer(string Name) : Layer(Name)
{
    public override string Kind => "concat";
}

/// <summary>Global average pooling to 1x1 per channel.</summary>
public sealed record GlobalAvgPoolLayer(string Name) : Layer(Name)
{
    public override string Kind => "gavgpool";
}

/// <summary>Dropout: a no-op at inference, kept so descriptions match their source.</summary>
public sealed record DropoutLayer(string Name, double Ratio = 0.5) : Layer(Name)
{
    public override string Kind => "dropout";
}
