namespace Accel.Model.Networks;

/// <summary>
/// The networks the kit knows by name: the SqueezeNet variants (layer names follow the SqueezeNet
/// paper: conv1, fire2..fire9, conv10; a pool or dropout takes the number of the stage before it)
/// and the compact networks of <see cref="CompactNetworks"/>.
/// </summary>
public static class BuiltinNetworks
{
    public const string SqueezeNet10 = "squeezenet1_0";
    public const string SqueezeNet10Caffe = "squeezenet1_0_caffe";
    public const string SqueezeNet11 = "squeezenet1_1";
    public const string SqueezeNet10Bypass = "squeezenet1_0_bypass";
    public const string SqueezeNet10ComplexBypass = "squeezenet1_0_complex_bypass";
    public const string MobileNetV1 = "mobilenet_v1";
    public const string MobileNetV2 = "mobilenet_v2";
    public const string ShuffleNetV1 = "shufflenet_v1";
    public const string ShuffleNetV2 = "shufflenet_v2";

    /// <summary>
    /// The names; the compact networks (<see cref="CompactNetworks"/>) take variants in the name:
    /// mobilenet_v1_ALPHA_RES (e.g. mobilenet_v1_0.25_128), shufflenet_v1_gG, shufflenet_v2_x0.5.
    /// </summary>
    public static IReadOnlyList<string> Names { get; } =
        [SqueezeNet10, SqueezeNet10Caffe, SqueezeNet11, SqueezeNet10Bypass, SqueezeNet10ComplexBypass, MobileNetV1, MobileNetV2, ShuffleNetV1, ShuffleNetV2];

    public static bool TryGet(string name, out Network network)
    {
        network = name switch
        {
            SqueezeNet10 => SqueezeNet1_0(caffe: false),
            SqueezeNet10Caffe => SqueezeNet1_0(caffe: true),
            SqueezeNet11 => SqueezeNet1_1(),
            SqueezeNet10Bypass => CompactNetworks.SqueezeNetBypass(complex: false),
            SqueezeNet10ComplexBypass => CompactNetworks.SqueezeNetBypass(complex: true),
            MobileNetV1 => CompactNetworks.MobileNetV1(),
            MobileNetV2 => CompactNetworks.MobileNetV2(),
            ShuffleNetV1 => CompactNetworks.ShuffleNetV1(),
            ShuffleNetV2 => CompactNetworks.ShuffleNetV2(),
            _ => Variant(name)!,
        };
        return network is not null;
    }

    /// <summary>mobilenet_v1_ALPHA_RES, shufflenet_v1_gG and shufflenet_v2_xW; null for any other name.</summary>
    private static Network? Variant(string name)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var style = System.Globalization.NumberStyles.Float;
        if (name.StartsWith(MobileNetV1 + "_", StringComparison.Ordinal))
        {
            var parts = name[(MobileNetV1.Length + 1)..].Split('_');
            if (parts.Length == 2 && double.TryParse(parts[0], style, inv, out double alpha) && int.TryParse(parts[1], inv, out int resolution))
                return CompactNetworks.MobileNetV1(alpha, resolution);
        }
        if (name.StartsWith(ShuffleNetV1 + "_g", StringComparison.Ordinal) && int.TryParse(name[(ShuffleNetV1.Length + 2)..], inv, out int groups))
            return CompactNetworks.ShuffleNetV1(groups);
        if (name.StartsWith(ShuffleNetV2 + "_x", StringComparison.Ordinal) && double.TryParse(name[(ShuffleNetV2.Length + 2)..], style, inv, out double width))
            return CompactNetworks.ShuffleNetV2(width);
        return null;
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
