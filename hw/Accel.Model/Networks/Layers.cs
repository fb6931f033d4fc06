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

/// <summary>
/// Convolution with a square KxK kernel, optional fused ReLU, bias always present. With
/// <see cref="Groups"/> above 1 the input and output channels split into that many groups, each
/// output group reading only its input group (depthwise: groups = input channels = output channels).
/// </summary>
public sealed record ConvLayer(string Name, int OutChannels, int KernelSize, int Stride = 1, int Padding = 0, bool Relu = true)
    : Layer(Name)
{
    public override string Kind => "conv";

    public int Groups { get; init; } = 1;
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

/// <summary>Average pooling over a KxK window, floor mode; padded taps are not counted in the divisor (ONNX's default).</summary>
public sealed record AvgPoolLayer(string Name, int KernelSize, int Stride, int Padding = 0) : Layer(Name)
{
    public override string Kind => "avgpool";
}

/// <summary>Element-wise sum of two inputs of the same shape (residual and bypass connections), optional ReLU after.</summary>
public sealed record AddLayer(string Name, bool Relu = false) : Layer(Name)
{
    public override string Kind => "add";
}

/// <summary>The activations beyond a conv's fused ReLU, applied element-wise.</summary>
public enum ActivationKind { Relu, Relu6, HardSigmoid, HardSwish }

/// <summary>An element-wise activation as its own layer (MobileNet's ReLU6, MobileNet v3's hard-swish).</summary>
public sealed record ActivationLayer(string Name, ActivationKind Function) : Layer(Name)
{
    public override string Kind => "activation";

    /// <summary>JSON and table name of <see cref="Function"/>.</summary>
    public static string FunctionName(ActivationKind f) => f switch
    {
        ActivationKind.Relu => "relu",
        ActivationKind.Relu6 => "relu6",
        ActivationKind.HardSigmoid => "hardsigmoid",
        _ => "hardswish",
    };
}

/// <summary>ShuffleNet's channel shuffle: channels seen as groups x (C/groups), transposed. Data movement only.</summary>
public sealed record ChannelShuffleLayer(string Name, int Groups) : Layer(Name)
{
    public override string Kind => "shuffle";
}

/// <summary>Channels [Start, Start + Count) of the input (ShuffleNet v2's channel split is two slices). Data movement only.</summary>
public sealed record ChannelSliceLayer(string Name, int Start, int Count) : Layer(Name)
{
    public override string Kind => "slice";
}

/// <summary>Channel-wise scaling: the first input (CxHxW) times the second (Cx1x1), squeeze-and-excitation's last step.</summary>
public sealed record ScaleLayer(string Name) : Layer(Name)
{
    public override string Kind => "scale";
}
