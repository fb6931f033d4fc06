namespace Accel.Model.Networks;

/// <summary>
/// The SqueezeNet variants the kit knows by name. Layer names follow the SqueezeNet paper:
/// conv1, fire2..fire9, conv10; a pool or dropout takes the number of the stage before it.
/// </summary>
public static class BuiltinNetworks
{
    public const string SqueezeNet10 = "squeezenet1_0";
    public const string SqueezeNet10Caffe = "squeezenet1_0_caffe";
    public const string SqueezeNet11 = "squeezenet1_1";

    public static IReadOnlyList<string> Names { get; } = [SqueezeNet10, SqueezeNet10Caffe, SqueezeNet11];

    public static bool TryGet(string name, out Network network)
    {
        network = name switch
        {
            SqueezeNet10 => SqueezeNet1_0(caffe: false),
            SqueezeNet10Caffe => SqueezeNet1_0(caffe: true),
            SqueezeNet11 => SqueezeNet1_1(),
            _ => null!,
        };
        return network is not null;
    }

    public static Network Get(string name) => TryGet(name, out var n) ? n
        : throw new ArgumentException($"unknown built-in network '{name}' (known: {string.Join(", ", Names)})");

    /// <summary>
    /// SqueezeNet 1.0. Torchvision semantics at 224x224 by default; <paramref name="caffe"/> gives
    /// the original Caffe model: 227x227 input and pad=1 on conv10 (15x15 before the average pool).
    /// </summary>
    public static Network SqueezeNet1_0(bool caffe)
    {
        int size = caffe ? 227 : 224;
        Layer[] layers =
        [
            new ConvLayer("conv1", 96, 7, Stride: 2),
            new MaxPoolLayer("pool1", 3, 2),
            new FireLayer("fire2", 16, 64, 64),
            new FireLayer("fire3", 16, 64, 64),
            new FireLayer("fire4", 32, 128, 128),
            new MaxPoolLayer("pool4", 3, 2),
            new FireLayer("fire5", 32, 128, 128),
            new FireLayer("fire6", 48, 192, 192),
            new FireLayer("fire7", 48, 192, 192),
            new FireLayer("fire8", 64, 256, 256),
            new MaxPoolLayer("pool8", 3, 2),
            new FireLayer("fire9", 64, 256, 256),
            new DropoutLayer("drop9"),
            new ConvLayer("conv10", 1000, 1, Padding: caffe ? 1 : 0),
            new GlobalAvgPoolLayer("pool10"),
        ];
        return new Network(caffe ? SqueezeNet10Caffe : SqueezeNet10, new Shape(3, size, size), layers);
    }

    /// <summary>SqueezeNet 1.1 (torchvision), 224x224: 3x3 conv1 and earlier pooling.</summary>
    public static Network SqueezeNet1_1()
    {
        Layer[] layers =
        [
            new ConvLayer("conv1", 64, 3, Stride: 2),
            new MaxPoolLayer("pool1", 3, 2),
            new FireLayer("fire2", 16, 64, 64),
            new FireLayer("fire3", 16, 64, 64),
            new MaxPoolLayer("pool3", 3, 2),
            new FireLayer("fire4", 32, 128, 128),
            new FireLayer("fire5", 32, 128, 128),
            new MaxPoolLayer("pool5", 3, 2),
            new FireLayer("fire6", 48, 192, 192),
            new FireLayer("fire7", 48, 192, 192),
            new FireLayer("fire8", 64, 256, 256),
            new FireLayer("fire9", 64, 256, 256),
            new DropoutLayer("drop9"),
            new ConvLayer("conv10", 1000, 1),
            new GlobalAvgPoolLayer("pool10"),
        ];
        return new Network(SqueezeNet11, new Shape(3, 224, 224), layers);
    }
}
