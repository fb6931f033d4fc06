using System.Text.Json;
using System.Text.Json.Nodes;

namespace Accel.Model.Networks;

/// <summary>
/// The JSON network description (docs/formats.md): users define their own Fire stacks with it,
/// and the quantized-model file embeds it. Reading is strict: an unknown field, a wrong type or
/// an inconsistent shape is a <see cref="NetworkException"/> naming the layer and the field.
/// </summary>
public static class NetworkJson
{
    public static Network Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NetworkException(path, "file", e.Message);
        }
        return Parse(text, Path.GetFileNameWithoutExtension(path));
    }

    public static Network Parse(string json, string defaultName = "network")
    {
        JsonNode? root;
        try { root = JsonNode.Parse(json); }
        catch (JsonException e) { throw new NetworkException(defaultName, "json", $"not valid JSON: {e.Message}"); }
        if (root is not JsonObject obj) throw new NetworkException(defaultName, "json", "the description must be a JSON object");

        Allow(obj, defaultName, "name", "input", "softmax", "layers");
        string name = Str(obj, defaultName, "name") ?? defaultName;
        if (obj["input"] is not JsonArray inArr || inArr.Count != 3)
            throw new NetworkException(name, "input", "must be [channels, height, width]");
        var dims = inArr.Select((d, i) => Int(d, name, $"input[{i}]")).ToArray();
        bool softmax = Bool(obj, name, "softmax") ?? false;
        if (obj["layers"] is not JsonArray layerArr)
            throw new NetworkException(name, "layers", "must be an array of layer objects");

        var layers = new List<Layer>();
        var declaredInChannels = new List<(string Layer, int Channels)>();
        for (int i = 0; i < layerArr.Count; i++)
        {
            if (layerArr[i] is not JsonObject l) throw new NetworkException($"layers[{i}]", "layer", "must be an object");
            string lname = Str(l, $"layers[{i}]", "name") ?? throw new NetworkException($"layers[{i}]", "name", "missing");
            string type = Str(l, lname, "type") ?? throw new NetworkException(lname, "type", "missing");
            Layer layer = type switch
            {
                "conv" => Conv(l, lname),
                "maxpool" => Pool(l, lname),
                "fire" => Fire(l, lname),
                "concat" => Only(l, lname, new ConcatLayer(lname)),
                "gavgpool" => Only(l, lname, new GlobalAvgPoolLayer(lname)),
                "dropout" => Dropout(l, lname),
                "avgpool" => AvgPool(l, lname),
                "add" => Add(l, lname),
                "activation" => Activation(l, lname),
                "shuffle" => Shuffle(l, lname),
                "slice" => Slice(l, lname),
                "scale" => Only(l, lname, new ScaleLayer(lname)),
                _ => throw new NetworkException(lname, "type",
                    $"unknown layer type '{type}' (conv, maxpool, fire, concat, gavgpool, dropout, avgpool, add, activation, shuffle, slice, scale)"),
            };
            if (l["inputs"] is JsonNode inputsNode)
            {
                if (inputsNode is not JsonArray ia) throw new NetworkException(lname, "inputs", "must be an array of layer names");
                layer = layer with { Inputs = ia.Select((x, k) => x is JsonValue v && v.TryGetValue(out string? s) ? s
                    : throw new NetworkException(lname, $"inputs[{k}]", "must be a string")).ToList() };
            }
            if (l["inChannels"] is JsonNode ic) declaredInChannels.Add((lname, Int(ic, lname, "inChannels")));
            layers.Add(layer);
        }

        var network = new Network(name, new Shape(dims[0], dims[1], dims[2]), layers, softmax);
        foreach (var (lname, channels) in declaredInChannels)
        {
            var node = network.Nodes.First(n => n.Group == lname);
            if (node.Input.Channels != channels)
                throw new NetworkException(lname, "inChannels", $"declares {channels} input channels but its input '{node.Inputs[0]}' has {node.Input.Channels}");
        }
        return network;
    }

    public static string Serialize(Network network)
    {
        var layers = new JsonArray();
        foreach (var layer in network.Layers)
        {
            var o = new JsonObject { ["name"] = layer.Name, ["type"] = layer.Kind };
            switch (layer)
            {
                case ConvLayer c:
                    o["out"] = c.OutChannels; o["kernel"] = c.KernelSize; o["stride"] = c.Stride; o["pad"] = c.Padding; o["relu"] = c.Relu;
                    if (c.Groups != 1) o["groups"] = c.Groups;
                    break;
                case AvgPoolLayer a:
                    o["kernel"] = a.KernelSize; o["stride"] = a.Stride; o["pad"] = a.Padding;
                    break;
                case AddLayer add:
                    o["relu"] = add.Relu;
                    break;
                case ActivationLayer act:
                    o["function"] = ActivationLayer.FunctionName(act.Function);
                    break;
                case ChannelShuffleLayer sh:
                    o["groups"] = sh.Groups;
                    break;
                case ChannelSliceLayer sl:
                    o["start"] = sl.Start; o["count"] = sl.Count;
                    break;
                case MaxPoolLayer p:
                    o["kernel"] = p.KernelSize; o["stride"] = p.Stride; o["pad"] = p.Padding; o["ceil"] = p.CeilMode;
                    break;
                case FireLayer f:
                    o["squeeze"] = f.Squeeze; o["expand1x1"] = f.Expand1x1; o["expand3x3"] = f.Expand3x3;
                    break;
                case DropoutLayer d:
                    o["ratio"] = d.Ratio;
                    break;
            }
            if (layer.Inputs is { } inputs) o["inputs"] = new JsonArray(inputs.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray());
            layers.Add(o);
        }
        var root = new JsonObject
        {
            ["name"] = network.Name,
            ["input"] = new JsonArray(network.InputShape.Channels, network.InputShape.Height, network.InputShape.Width),
            ["softmax"] = network.OutputSoftmax,
            ["layers"] = layers,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static ConvLayer Conv(JsonObject l, string n)
    {
        Allow(l, n, "name", "type", "inputs", "inChannels", "out", "kernel", "stride", "pad", "relu", "groups");
        return new ConvLayer(n, Req(l, n, "out"), Req(l, n, "kernel"), Opt(l, n, "stride") ?? 1, Opt(l, n, "pad") ?? 0, Bool(l, n, "relu") ?? true)
        {
            Groups = Opt(l, n, "groups") ?? 1,
        };
    }

    private static AvgPoolLayer AvgPool(JsonObject l, string n)
    {
        Allow(l, n, "name", "type", "inputs", "inChannels", "kernel", "stride", "pad");
        return new AvgPoolLayer(n, Req(l, n, "kernel"), Req(l, n, "stride"), Opt(l, n, "pad") ?? 0);
    }

    private static AddLayer Add(JsonObject l, string n)
    {
        Allow(l, n, "name", "type", "inputs", "inChannels", "relu");
        return new AddLayer(n, Bool(l, n, "relu") ?? false);
    }

    private static ActivationLayer Activation(JsonObject l, string n)
    {
        Allow(l, n, "name", "type", "inputs", "inChannels", "function");
        string f = Str(l, n, "function") ?? throw new NetworkException(n, "function", "missing");
        var kind = Enum.GetValues<ActivationKind>().Where(k => ActivationLayer.FunctionName(k) == f).Cast<ActivationKind?>().FirstOrDefault()
            ?? throw new NetworkException(n, "function", $"unknown activation '{f}' (relu, relu6, hardsigmoid, hardswish)");
        return new ActivationLayer(n, kind);
    }

    private static ChannelShuffleLayer Shuffle(JsonObject l, string n)
    {
        Allow(l, n, "name", "type", "inputs", "inChannels", "groups");
        return new ChannelShuffleLayer(n, Req(l, n, "groups"));
    }

    private static ChannelSliceLayer Slice(JsonObject l, string n)
    {
        Allow(l, n, "name", "type", "inputs", "inChannels", "start", "count");
        return new ChannelSliceLayer(n, Req(l, n, "start"), Req(l, n, "count"));
    }

    private static MaxPoolLayer Pool(JsonObject l, string n)
    {
        Allow(l, n, "name", "type", "inputs", "inChannels", "kernel", "stride", "pad", "ceil");
        return new MaxPoolLayer(n, Req(l, n, "kernel"), Req(l, n, "stride"), Opt(l, n, "pad") ?? 0, Bool(l, n, "ceil") ?? true);
    }

    private static FireLayer Fire(JsonObject l, string n)
    {
        Allow(l, n, "name", "type", "inputs", "inChannels", "squeeze", "expand1x1", "expand3x3");
        return new FireLayer(n, Req(l, n, "squeeze"), Req(l, n, "expand1x1"), Req(l, n, "expand3x3"));
    }

    private static DropoutLayer Dropout(JsonObject l, string n)
    {
        Allow(l, n, "name", "type", "inputs", "inChannels", "ratio");
        double ratio = 0.5;
        if (l["ratio"] is JsonNode r && !(r is JsonValue v && v.TryGetValue(out ratio)))
            throw new NetworkException(n, "ratio", "must be a number");
        return new DropoutLayer(n, ratio);
    }

    private static Layer Only(JsonObject l, string n, Layer layer)
    {
        Allow(l, n, "name", "type", "inputs", "inChannels");
        return layer;
    }

    private static void Allow(JsonObject o, string layer, params string[] fields)
    {
        foreach (var key in o.Select(kv => kv.Key))
            if (!fields.Contains(key))
                throw new NetworkException(layer, key, $"unknown field (allowed: {string.Join(", ", fields)})");
    }

    private static int Req(JsonObject o, string layer, string field) =>
        Opt(o, layer, field) ?? throw new NetworkException(layer, field, "missing");

    private static int? Opt(JsonObject o, string layer, string field) =>
        o[field] is JsonNode v ? Int(v, layer, field) : null;

    private static int Int(JsonNode? node, string layer, string field) =>
        node is JsonValue v && v.TryGetValue(out int i) ? i
        : throw new NetworkException(layer, field, $"must be an integer, got {node?.ToJsonString() ?? "null"}");

    private static bool? Bool(JsonObject o, string layer, string field) =>
        o[field] switch
        {
            null => null,
            JsonValue v when v.TryGetValue(out bool b) => b,
            var other => throw new NetworkException(layer, field, $"must be true or false, got {other.ToJsonString()}"),
        };

    private static string? Str(JsonObject o, string layer, string field) =>
        o[field] switch
        {
            null => null,
            JsonValue v when v.TryGetValue(out string? s) => s,
            var other => throw new NetworkException(layer, field, $"must be a string, got {other.ToJsonString()}"),
        };
}
