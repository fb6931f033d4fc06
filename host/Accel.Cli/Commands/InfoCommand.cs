using Spectre.Console;
using System.CommandLine;
using Accel.Model.Networks;
using Accel.Onnx;

namespace Accel.Cli.Commands;

/// <summary>`accel info NETWORK`: per-layer output shapes, parameter and MAC counts.</summary>
public static class InfoCommand
{
    public static Command Create()
    {
        var network = new Argument<string>("network") { Description = "built-in name (squeezenet1_0, squeezenet1_0_caffe, squeezenet1_1), a JSON description, an ONNX file or a .q8 file" };
        var size = new Option<int?>("--input-size") { Description = "square input size to infer shapes at (default: the network's own)" };
        var json = new Option<bool>("--json") { Description = "machine-readable output" };
        var command = new Command("info", "Show a network's layers with output shapes, parameters and MACs") { network, size, json };
        command.SetAction(r => Cli.Run(() =>
        {
            string argument = r.GetValue(network)!;
            // ONNX through the importer alone: no float model is built, so layers no executor runs yet still print.
            var net = argument.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)
                ? OnnxImporter.Import(argument).Network
                : ModelSource.Open(argument, structureOnly: true).Network;
            if (r.GetValue(size) is int s) net = net.WithInput(net.InputShape with { Height = s, Width = s });
            if (r.GetValue(json)) Output.Json(Describe(net));
            else Print(net);
        }));
        return command;
    }

    public static object Describe(Network net) => new
    {
        name = net.Name,
        input = Dims(net.InputShape),
        output = Dims(net.OutputShape),
        parameters = net.Parameters,
        macs = net.Macs,
        layers = net.Summaries.Select(s => new { name = s.Name, kind = s.Kind, output = Dims(s.Output), parameters = s.Parameters, macs = s.Macs }),
    };

    private static int[] Dims(Shape s) => [s.Channels, s.Height, s.Width];

    private static void Print(Network net)
    {
        var t = Output.Table("layer", "kind", "output", "params", "MACs");
        foreach (var s in net.Summaries) Output.Row(t, s.Name, s.Kind, s.Output, Output.N(s.Parameters), Output.N(s.Macs));
        Output.Row(t, "total", "", net.OutputShape, Output.N(net.Parameters), Output.N(net.Macs));
        Output.Terminal.WriteLine($"{net.Name}: input {net.InputShape}, {net.Layers.Count} layers");
        Output.Terminal.Write(t);
        Output.Terminal.WriteLine($"{Output.N(net.Parameters)} parameters, {Output.N(net.Macs)} MACs");
    }
}
